// The files the product ships, linked in as read-only data with the assembler's .incbin.
// MODELS_DIR and DATA_DIR are absolute paths from Package.swift. After replacing one of
// these files, touch this one: the build does not see .incbin inputs change.
#include "shipped_data.h"

#define EMBED(symbol, path)                                                           \
    __asm__(".section .rodata\n.balign 16\n.global " #symbol "_start\n"               \
            ".global " #symbol "_end\n" #symbol "_start:\n.incbin \"" path "\"\n"     \
            #symbol "_end:\n.previous\n");                                            \
    extern const unsigned char symbol##_start[], symbol##_end[]
#define ENTRY(name, symbol) { name, symbol##_start, (size_t)(symbol##_end - symbol##_start) }

EMBED(mg_model_paper_r4, MODELS_DIR "/paper-array-R4-paper.mgmeta");
EMBED(mg_model_paper_r5, MODELS_DIR "/paper-array-R5-paper.mgmeta");
EMBED(mg_model_paper_r6, MODELS_DIR "/paper-array-R6-paper.mgmeta");
EMBED(mg_model_residual_r4, MODELS_DIR "/paper-array-R4-residual.mgmeta");
EMBED(mg_colin27, DATA_DIR "/colin27/ch2_colin27_t1_181x217x181_uint8.npy.gz");

size_t mg_shipped_model_count(void) { return 4; }

mg_shipped_file mg_shipped_model(size_t index) {
    // Sizes are differences of two link-time symbols: computed here, not in a static table.
    const mg_shipped_file models[] = {
        ENTRY("paper-R4", mg_model_paper_r4),
        ENTRY("paper-R5", mg_model_paper_r5),
        ENTRY("paper-R6", mg_model_paper_r6),
        ENTRY("residual-R4", mg_model_residual_r4),
    };
    _Static_assert(sizeof models / sizeof models[0] == 4, "update mg_shipped_model_count");
    return models[index];
}

mg_shipped_file mg_shipped_colin27(void) { return (mg_shipped_file)ENTRY("colin27", mg_colin27); }
