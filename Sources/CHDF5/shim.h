#ifndef METAGRAPPA_CHDF5_SHIM_H
#define METAGRAPPA_CHDF5_SHIM_H
#include <hdf5.h>
// HDF5's type and property identifiers are macros over global variables that Swift
// cannot import; these functions give them to Swift.
static inline hid_t mg_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t mg_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t mg_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t mg_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t mg_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t mg_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t mg_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mg_h5s_all(void) { return H5S_ALL; }
static inline hid_t mg_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline unsigned mg_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned mg_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline size_t mg_h5t_variable(void) { return H5T_VARIABLE; }
// Silences HDF5's own error printing: MetaGRAPPA reports errors itself.
static inline void mg_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
