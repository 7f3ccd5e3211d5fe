#ifndef METAGRAPPA_CZLIB_SHIM_H
#define METAGRAPPA_CZLIB_SHIM_H
#include <zlib.h>
#endif
