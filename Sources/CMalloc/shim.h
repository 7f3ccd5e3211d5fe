#ifndef METAGRAPPA_CMALLOC_SHIM_H
#define METAGRAPPA_CMALLOC_SHIM_H
#include <malloc.h>
#endif
