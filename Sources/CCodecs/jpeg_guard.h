// libjpeg error handling that never exits or prints: errors and data-losing warnings
// longjmp back to the entry point, other warnings are collected in the diagnostics.
#ifndef CCODECS_JPEG_GUARD_H
#define CCODECS_JPEG_GUARD_H

#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>

#include "internal.h"

typedef struct {
    struct jpeg_error_mgr manager;  // first, so a j_common_ptr's err casts to the guard
    jmp_buf jump;
    ccodecs_diag_t *diag;
    ccodecs_status status;          // what to return after the longjmp
} ccodecs_jpeg_guard;

/// Fills `guard` and returns its manager, for `cinfo.err`. Errors become `error_status`
/// unless they are "unsupported" features or truncation.
struct jpeg_error_mgr *ccodecs_jpeg_guard_install(ccodecs_jpeg_guard *guard,
                                                  ccodecs_diag_t *diag,
                                                  ccodecs_status error_status);

#endif
