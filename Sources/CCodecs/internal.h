// Helpers shared by the CCodecs translation units; not part of the public header.
#ifndef CCODECS_INTERNAL_H
#define CCODECS_INTERNAL_H

#include "ccodecs.h"

void ccodecs_diag_reset(ccodecs_diag_t *diag);
/// Keeps the first error message; later ones are usually consequences of it.
void ccodecs_diag_error(ccodecs_diag_t *diag, const char *message);
/// Appends a warning (newline-separated) as long as it fits.
void ccodecs_diag_warn(ccodecs_diag_t *diag, const char *message);

/// EXIF orientation (1...8) from a TIFF structure ("II*\0" or "MM\0*" onward), reading
/// IFD0 tag 0x0112 with every offset bounds-checked. Returns 1 when absent or invalid.
int ccodecs_exif_orientation(const uint8_t *tiff, size_t size);

#endif
