#ifndef METAGRAPPA_CHDF5_SHIM_H
#define METAGRAPPA_CHDF5_SHIM_H
// HDF5 is loaded on first use (dlopen), not linked: its dependency chain (libcurl, krb5,
// ldap, ssl: ~60 shared libraries) cost every process ~8 ms at start, .npy input included.
// hdf5.h supplies types and constants only; every function MetaGRAPPA calls goes through
// an `mg_` wrapper that looks the symbol up in the loaded library. Call mg_h5_load()
// (once, under a lock) before any other function here.
#include <dlfcn.h>
#include <stddef.h>
#if __has_include(<hdf5/serial/hdf5.h>)  // Debian's layout (no pkg-config: that would link the library)
#include <hdf5/serial/hdf5.h>
#else
#include <hdf5.h>
#endif

static inline void *mg_h5_symbol(const char *name) { return dlsym(RTLD_DEFAULT, name); }

#define MG_H5(ret, name, params, args) \
    static inline ret mg_##name params { return ((ret (*) params) mg_h5_symbol(#name)) args; }

MG_H5(herr_t, H5open, (void), ())
MG_H5(herr_t, H5Eset_auto2, (hid_t e, H5E_auto2_t f, void *d), (e, f, d))
MG_H5(herr_t, H5free_memory, (void *m), (m))
MG_H5(htri_t, H5Fis_hdf5, (const char *f), (f))
MG_H5(hid_t, H5Fopen, (const char *f, unsigned flags, hid_t fapl), (f, flags, fapl))
MG_H5(hid_t, H5Fcreate, (const char *f, unsigned flags, hid_t fcpl, hid_t fapl), (f, flags, fcpl, fapl))
MG_H5(herr_t, H5Fflush, (hid_t o, H5F_scope_t s), (o, s))
MG_H5(herr_t, H5Fclose, (hid_t f), (f))
MG_H5(htri_t, H5Lexists, (hid_t l, const char *n, hid_t p), (l, n, p))
MG_H5(hid_t, H5Dopen2, (hid_t l, const char *n, hid_t p), (l, n, p))
MG_H5(hid_t, H5Dcreate2, (hid_t l, const char *n, hid_t t, hid_t s, hid_t lc, hid_t dc, hid_t da), (l, n, t, s, lc, dc, da))
MG_H5(herr_t, H5Dclose, (hid_t d), (d))
MG_H5(hid_t, H5Dget_type, (hid_t d), (d))
MG_H5(hid_t, H5Dget_space, (hid_t d), (d))
MG_H5(hid_t, H5Dget_create_plist, (hid_t d), (d))
MG_H5(hsize_t, H5Dget_storage_size, (hid_t d), (d))
MG_H5(herr_t, H5Dread, (hid_t d, hid_t mt, hid_t ms, hid_t fs, hid_t x, void *b), (d, mt, ms, fs, x, b))
MG_H5(herr_t, H5Dwrite, (hid_t d, hid_t mt, hid_t ms, hid_t fs, hid_t x, const void *b), (d, mt, ms, fs, x, b))
MG_H5(herr_t, H5Dvlen_get_buf_size, (hid_t d, hid_t t, hid_t s, hsize_t *n), (d, t, s, n))
MG_H5(herr_t, H5Dvlen_reclaim, (hid_t t, hid_t s, hid_t x, void *b), (t, s, x, b))
MG_H5(H5D_layout_t, H5Pget_layout, (hid_t p), (p))
MG_H5(herr_t, H5Pclose, (hid_t p), (p))
MG_H5(hid_t, H5Screate_simple, (int r, const hsize_t *d, const hsize_t *m), (r, d, m))
MG_H5(int, H5Sget_simple_extent_ndims, (hid_t s), (s))
MG_H5(int, H5Sget_simple_extent_dims, (hid_t s, hsize_t *d, hsize_t *m), (s, d, m))
MG_H5(herr_t, H5Sselect_hyperslab, (hid_t s, H5S_seloper_t o, const hsize_t *st, const hsize_t *sd, const hsize_t *c, const hsize_t *b), (s, o, st, sd, c, b))
MG_H5(herr_t, H5Sclose, (hid_t s), (s))
MG_H5(hid_t, H5Tcreate, (H5T_class_t c, size_t n), (c, n))
MG_H5(hid_t, H5Tcopy, (hid_t t), (t))
MG_H5(hid_t, H5Tvlen_create, (hid_t t), (t))
MG_H5(hid_t, H5Tarray_create2, (hid_t t, unsigned r, const hsize_t *d), (t, r, d))
MG_H5(herr_t, H5Tinsert, (hid_t p, const char *n, size_t o, hid_t m), (p, n, o, m))
MG_H5(herr_t, H5Tset_size, (hid_t t, size_t n), (t, n))
MG_H5(H5T_cset_t, H5Tget_cset, (hid_t t), (t))
MG_H5(herr_t, H5Tset_cset, (hid_t t, H5T_cset_t c), (t, c))
MG_H5(size_t, H5Tget_size, (hid_t t), (t))
MG_H5(H5T_class_t, H5Tget_class, (hid_t t), (t))
MG_H5(int, H5Tget_nmembers, (hid_t t), (t))
MG_H5(hid_t, H5Tget_member_type, (hid_t t, unsigned m), (t, m))
MG_H5(H5T_class_t, H5Tget_member_class, (hid_t t, unsigned m), (t, m))
MG_H5(char *, H5Tget_member_name, (hid_t t, unsigned m), (t, m))
MG_H5(htri_t, H5Tequal, (hid_t a, hid_t b), (a, b))
MG_H5(herr_t, H5Tclose, (hid_t t), (t))

/// Loads libhdf5 (Debian's serial build, then the unversioned name), initialises it and
/// silences its own error printing (MetaGRAPPA reports errors itself). 0 on success.
static inline int mg_h5_load(void) {
    const char *names[] = {"libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (dlopen(names[i], RTLD_NOW | RTLD_GLOBAL) && mg_h5_symbol("H5open")) {
            if (mg_H5open() < 0) return -1;
            mg_H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
            return 0;
        }
    }
    return -1;
}

// HDF5's predefined type and property identifiers are global variables (after H5open).
static inline hid_t mg_h5_global(const char *name) { return *(const hid_t *)mg_h5_symbol(name); }
static inline hid_t mg_h5t_native_float(void) { return mg_h5_global("H5T_NATIVE_FLOAT_g"); }
static inline hid_t mg_h5t_native_double(void) { return mg_h5_global("H5T_NATIVE_DOUBLE_g"); }
static inline hid_t mg_h5t_native_uint16(void) { return mg_h5_global("H5T_NATIVE_UINT16_g"); }
static inline hid_t mg_h5t_native_uint32(void) { return mg_h5_global("H5T_NATIVE_UINT32_g"); }
static inline hid_t mg_h5t_native_uint64(void) { return mg_h5_global("H5T_NATIVE_UINT64_g"); }
static inline hid_t mg_h5t_c_s1(void) { return mg_h5_global("H5T_C_S1_g"); }
static inline hid_t mg_h5p_dataset_create(void) { return mg_h5_global("H5P_CLS_DATASET_CREATE_ID_g"); }
static inline hid_t mg_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mg_h5s_all(void) { return H5S_ALL; }
static inline unsigned mg_h5f_acc_rdonly(void) { return 0x0000u; }  // H5F_ACC_RDONLY without its H5open() call
static inline unsigned mg_h5f_acc_trunc(void) { return 0x0002u; }   // H5F_ACC_TRUNC, likewise
static inline size_t mg_h5t_variable(void) { return H5T_VARIABLE; }
#endif
