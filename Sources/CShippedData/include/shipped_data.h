#ifndef METAGRAPPA_SHIPPED_DATA_H
#define METAGRAPPA_SHIPPED_DATA_H
#include <stddef.h>

/// One file linked into the binary byte for byte (shipped_data.S), so that the executable
/// and the Python package's library need nothing beside them.
typedef struct {
    const char *name;              ///< "paper-R4" for a model, "colin27" for the volume
    const unsigned char *bytes;
    size_t size;
} mg_shipped_file;

/// How many meta models are shipped (Models/paper-array-R<R>-<variant>.mgmeta).
size_t mg_shipped_model_count(void);
/// Shipped model `index` (< mg_shipped_model_count()), named "<variant>-R<R>".
mg_shipped_file mg_shipped_model(size_t index);
/// The Colin27 volume (Data/colin27/…npy.gz), gzip-compressed as stored.
mg_shipped_file mg_shipped_colin27(void);

#endif
