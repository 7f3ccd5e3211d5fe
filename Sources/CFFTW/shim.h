#ifndef METAGRAPPA_CFFTW_SHIM_H
#define METAGRAPPA_CFFTW_SHIM_H
#include <fftw3.h>
#endif
