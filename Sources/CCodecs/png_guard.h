// libpng error handling: errors longjmp (libpng's own png_jmpbuf) after recording the
// message, warnings are collected, nothing is printed.
#ifndef CCODECS_PNG_GUARD_H
#define CCODECS_PNG_GUARD_H

#include <png.h>
#include <stdbool.h>

#include "internal.h"

typedef struct {
    ccodecs_diag_t *diag;
    ccodecs_status status;      // what to return after the longjmp
    const uint8_t *data;        // reading: the whole file in memory
    size_t size, position;
} ccodecs_png_guard;

void ccodecs_png_on_error(png_structp png, png_const_charp message);
void ccodecs_png_on_warning(png_structp png, png_const_charp message);

/// A read struct whose input is guard->data, with the size limits left to the caller
/// and CRC errors in any chunk treated as errors, and its info struct. False when memory
/// runs out: nothing is left allocated and guard->diag says so.
bool ccodecs_png_create_reader(ccodecs_png_guard *guard, png_structp *png, png_infop *info);

#endif
