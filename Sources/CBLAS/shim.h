#ifndef METAGRAPPA_CBLAS_SHIM_H
#define METAGRAPPA_CBLAS_SHIM_H
// Swift cannot import C's `float _Complex`; give LAPACKE plain structs instead
// (layout-compatible with swift-numerics' Complex<Float> / Complex<Double>).
typedef struct { float real, imag; } lapack_complex_float_t;
typedef struct { double real, imag; } lapack_complex_double_t;
#define lapack_complex_float lapack_complex_float_t
#define lapack_complex_double lapack_complex_double_t
#define lapack_complex_float_real(z) ((z).real)
#define lapack_complex_float_imag(z) ((z).imag)
#define lapack_complex_double_real(z) ((z).real)
#define lapack_complex_double_imag(z) ((z).imag)
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS threading control (declared in cblas.h by OpenBLAS; repeated for clarity).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
// Stops OpenBLAS's worker threads. They are started when the library loads and spin
// (sched_yield) for ~1e8 cycles waiting for work, stealing a core from our own workers.
int blas_thread_shutdown_(void);
#endif
