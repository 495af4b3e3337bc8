#include "jpeg_guard.h"

#include <jerror.h>

static void fail(j_common_ptr cinfo, ccodecs_status status) {
    ccodecs_jpeg_guard *guard = (ccodecs_jpeg_guard *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    ccodecs_diag_error(guard->diag, text);
    guard->status = status;
    longjmp(guard->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo) {
    ccodecs_jpeg_guard *guard = (ccodecs_jpeg_guard *)cinfo->err;
    switch (cinfo->err->msg_code) {
    case JERR_BAD_PRECISION:      // 12-bit samples
    case JERR_SOF_UNSUPPORTED:    // lossless, hierarchical...
    case JERR_IMAGE_TOO_BIG:      // over JPEG_MAX_DIMENSION (65500)
    case JERR_NOT_COMPILED:
        fail(cinfo, CCODECS_UNSUPPORTED);
        break;
    case JERR_INPUT_EMPTY:
        fail(cinfo, CCODECS_TRUNCATED);
        break;
    case JERR_OUT_OF_MEMORY:
        fail(cinfo, CCODECS_FAILURE);
        break;
    default:
        fail(cinfo, guard->status);
    }
}

// Warnings (level -1) that mean pixels are missing or invented become errors: libjpeg
// would otherwise "recover" by filling the rest of the image with grey.
static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:         // data ends early; libjpeg inserts a fake EOI
        fail(cinfo, CCODECS_TRUNCATED);
        break;
    case JWRN_HIT_MARKER:       // entropy-coded segment cut short
    case JWRN_MUST_RESYNC:      // restart marker lost
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_NOT_SEQUENTIAL:
        fail(cinfo, CCODECS_CORRUPT);
        break;
    default: {                  // e.g. extraneous bytes before a marker: image intact
        ccodecs_jpeg_guard *guard = (ccodecs_jpeg_guard *)cinfo->err;
        char text[JMSG_LENGTH_MAX];
        cinfo->err->format_message(cinfo, text);
        ccodecs_diag_warn(guard->diag, text);
        cinfo->err->num_warnings++;
    }
    }
}

static void on_output_message(j_common_ptr cinfo) {
    (void)cinfo;  // never print
}

struct jpeg_error_mgr *ccodecs_jpeg_guard_install(ccodecs_jpeg_guard *guard,
                                                  ccodecs_diag_t *diag,
                                                  ccodecs_status error_status) {
    struct jpeg_error_mgr *manager = jpeg_std_error(&guard->manager);
    manager->error_exit = on_error_exit;
    manager->emit_message = on_emit_message;
    manager->output_message = on_output_message;
    guard->diag = diag;
    guard->status = error_status;
    return manager;
}
