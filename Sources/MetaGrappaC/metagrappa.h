/* MetaGRAPPA's C ABI (libMetaGrappaC.so: `swift build -c release --product MetaGrappaC
 * -Xswiftc -static-stdlib`). The Python package is its first user.
 *
 * k-space: interleaved complex64 (float re, im), C order [coils, ny, nx]; masks: ny bytes,
 * non-zero = acquired (every R-th line plus one block of ACS lines). Every function that
 * can fail returns 0, or the exit code of the failure's kind (64 bad argument, 65 bad data,
 * 66 file cannot be read or written, 70 numerical failure) with a NUL-terminated message in
 * `error` (at most `error_capacity` bytes). Options are a JSON object (NULL or "" for none)
 * with the keys mg_settings lists (kernel_lines, kernel_readout, lambda, solver,
 * noise_variance, iterations, learning_rate, seed, hidden, plateau_window, whitening_ridge,
 * variant, model, allow_other_array, virtual_coils); unknown keys are refused. The functions
 * are thread-safe; each uses mg_threads() worker threads. */
#ifndef METAGRAPPA_H
#define METAGRAPPA_H
#include <stdint.h>

void mg_set_threads(int32_t n);
int32_t mg_threads(void);
void mg_version(char *out, int64_t capacity);
/* The reconstruction settings as a JSON array (key, flag, python, methods, accepts_auto,
 * default, summary, setting); returns the bytes needed with the NUL. */
int64_t mg_settings(char *out, int64_t capacity);

int32_t mg_uniform_mask(int32_t ny, int32_t acceleration, int32_t acs, uint8_t *out,
                        char *error, int64_t error_capacity);

/* method: "grappa", "raki" or "meta"; out: coils*ny*nx complex64; info: JSON of what ran. */
int32_t mg_reconstruct(const char *method, const float *kspace, int32_t coils, int32_t ny, int32_t nx,
                       const uint8_t *mask, const char *options, float *out,
                       char *info, int64_t info_capacity, char *error, int64_t error_capacity);

/* GRAPPA across ky and kz of a 3-D acquisition: kspace [partitions, coils, ny, nx], mask
 * partitions x ny bytes (a lattice, CAIPIRINHA-shifted or not, plus a fully sampled box);
 * options may hold "lambda"; info receives JSON (lattice, calibration box, seconds). */
int32_t mg_grappa_volume(const float *kspace, int32_t partitions, int32_t coils, int32_t ny, int32_t nx,
                         const uint8_t *mask, const char *options, float *out,
                         char *info, int64_t info_capacity, char *error, int64_t error_capacity);

/* GRAPPA kernels as the bytes of a kernel file; *size receives the byte count, and the
 * bytes are copied only if bytes_capacity holds them. */
int32_t mg_calibrate(const float *kspace, int32_t coils, int32_t ny, int32_t nx, const uint8_t *mask,
                     const char *options, uint8_t *bytes, int64_t bytes_capacity, int64_t *size,
                     char *error, int64_t error_capacity);
int32_t mg_kernel_info(const uint8_t *bytes, int64_t count, char *info, int64_t info_capacity,
                       char *error, int64_t error_capacity);
int32_t mg_apply_kernel(const uint8_t *bytes, int64_t count, const float *kspace, int32_t coils, int32_t ny,
                        int32_t nx, const uint8_t *mask, float *out, char *error, int64_t error_capacity);

/* out: ny*nx float32. */
int32_t mg_gfactor(const float *kspace, int32_t coils, int32_t ny, int32_t nx, const uint8_t *mask,
                   const char *options, float *out, char *error, int64_t error_capacity);
int32_t mg_rss(const float *kspace, int32_t coils, int32_t ny, int32_t nx, float *out,
               char *error, int64_t error_capacity);

/* Files of every format the command line reads; shape receives [slices, coils, ny, nx].
 * probe: NULL, or a NULL-terminated argv of a command that calls mg_probe_hdf5 on the path
 * appended to it; HDF5 files are then read first in that child process. */
int32_t mg_read_open(const char *path, const char *const *probe, void **handle, int32_t *shape,
                     char *info, int64_t info_capacity, char *error, int64_t error_capacity);
int32_t mg_probe_hdf5(const char *path, char *error, int64_t error_capacity);
int32_t mg_read_slice(void *handle, int32_t index, float *out, uint8_t *mask, int32_t *recorded,
                      char *error, int64_t error_capacity);
/* out: the noise-only samples, info's noise_shape [coils, readouts, samples] complex64. */
int32_t mg_read_noise(void *handle, float *out, char *error, int64_t error_capacity);
void mg_read_close(void *handle);

/* Coil combination of k-space [coils, ny, nx]: method "rss", "adaptive" or "sense";
 * out: ny*nx complex64 (rss: real). */
int32_t mg_combine(const float *kspace, int32_t coils, int32_t ny, int32_t nx, const char *method, float *out,
                   char *error, int64_t error_capacity);
/* slices magnitude images [ny, nx] float32 to a NIfTI file placed by geometry (JSON, as
 * mg_read_open's info gives it; NULL: 1 mm voxels, identity orientation). */
int32_t mg_write_image(const char *path, const float *images, int32_t slices, int32_t ny, int32_t nx,
                       const char *geometry, char *error, int64_t error_capacity);
int32_t mg_write(const char *path, const float *kspace, int32_t slices, int32_t coils, int32_t ny, int32_t nx,
                 char *error, int64_t error_capacity);

#endif
