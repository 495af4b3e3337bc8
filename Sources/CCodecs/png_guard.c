#include <stdio.h>
#include <string.h>

#include "png_guard.h"

void ccodecs_png_on_error(png_structp png, png_const_charp message) {
    ccodecs_png_guard *guard = png_get_error_ptr(png);
    // libpng explains a bad IHDR only in warnings issued just before this generic error
    // (IHDR is the first chunk, so every warning so far is about it): keep the reasons.
    if (strcmp(message, "Invalid IHDR data") == 0 && guard->diag->warnings[0] != '\0') {
        char text[sizeof guard->diag->message];
        size_t used = (size_t)snprintf(text, sizeof text, "%s:", message);
        for (const char *w = guard->diag->warnings; *w != '\0' && used + 2 < sizeof text; w++) {
            if (w == guard->diag->warnings || w[-1] == '\n') text[used++] = ' ';
            if (*w != '\n') text[used++] = *w;
            else text[used++] = ';';
        }
        text[used] = '\0';
        ccodecs_diag_error(guard->diag, text);
    } else {
        ccodecs_diag_error(guard->diag, message);
    }
    png_longjmp(png, 1);
}

void ccodecs_png_on_warning(png_structp png, png_const_charp message) {
    ccodecs_png_guard *guard = png_get_error_ptr(png);
    ccodecs_diag_warn(guard->diag, message);
}

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
    ccodecs_png_guard *guard = png_get_io_ptr(png);
    if (count > guard->size - guard->position) {
        guard->status = CCODECS_TRUNCATED;
        png_error(png, "PNG data ends early");
    }
    memcpy(out, guard->data + guard->position, count);
    guard->position += count;
}

bool ccodecs_png_create_reader(ccodecs_png_guard *guard, png_structp *png, png_infop *info) {
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, guard, ccodecs_png_on_error, ccodecs_png_on_warning);
    *info = *png ? png_create_info_struct(*png) : NULL;
    if (*info == NULL) {
        png_destroy_read_struct(png, NULL, NULL);
        ccodecs_diag_error(guard->diag, "out of memory");
        return false;
    }
    png_set_read_fn(*png, guard, read_from_memory);
    // The caller enforces its own pixel limit before allocating; libpng's default
    // (1,000,000 per side) would reject legal panoramas.
    png_set_user_limits(*png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    // Default: critical-chunk CRC errors fail, ancillary ones are silently dropped.
    // A CRC mismatch anywhere means the file is damaged, so fail on both.
    png_set_crc_action(*png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    return true;
}
