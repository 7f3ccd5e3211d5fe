#ifndef METAGRAPPA_CMALLOC_SHIM_H
#define METAGRAPPA_CMALLOC_SHIM_H
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

// Grows the main heap by about `bytes` (address space only), marks that range for
// transparent huge pages (the kernel's "madvise" mode) and frees it back to the heap,
// which keeps it (M_TRIM_THRESHOLD). Buffers later carved from it fault in 2 MiB at a
// time instead of 4 KiB. Blocks of 30 MiB stay below M_MMAP_THRESHOLD (32 MiB), so
// they come from the heap; if the heap cannot grow, glibc maps them elsewhere and
// nothing is marked. Returns the bytes marked.
static inline size_t mg_heap_hugepages(size_t bytes) {
    enum { block = 30 << 20, huge = 2 << 20 };
    void *blocks[64];
    size_t n = 0;
    uintptr_t low = (uintptr_t)sbrk(0);
    while (n * (size_t)block < bytes && n < 64 && (blocks[n] = malloc(block)) != NULL) n++;
    uintptr_t high = (uintptr_t)sbrk(0);
    uintptr_t start = (low + huge - 1) & ~(uintptr_t)(huge - 1);
    size_t marked = 0;
    if (high > start && madvise((void *)start, high - start, MADV_HUGEPAGE) == 0) marked = high - start;
    for (size_t i = 0; i < n; i++) free(blocks[i]);
    return marked;
}
#endif
