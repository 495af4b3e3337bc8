#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jpeg_guard.h"

/// Whether libjpeg's DCT scaling supports 1/`scale_denom`; if not, `diag` says why.
static bool valid_scale(int scale_denom, ccodecs_diag_t *diag) {
    if (scale_denom == 1 || scale_denom == 2 || scale_denom == 4 || scale_denom == 8) return true;
    ccodecs_diag_error(diag, "JPEG scale denominator must be 1, 2, 4 or 8");
    return false;
}

/// Reads the header (keeping APP1 for EXIF) and chooses the output: RGB, or CMYK that
/// we convert ourselves. Returns CCODECS_OK or CCODECS_UNSUPPORTED.
static ccodecs_status read_header(j_decompress_ptr cinfo, const uint8_t *data, size_t size,
                                  int scale_denom, ccodecs_diag_t *diag) {
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: case JCS_RGB: case JCS_YCbCr:
        cinfo->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK: case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;  // libjpeg turns YCCK into CMYK
        break;
    default:
        ccodecs_diag_error(diag, "JPEG colour space with this number of components is not supported");
        return CCODECS_UNSUPPORTED;
    }
    cinfo->scale_num = 1;
    cinfo->scale_denom = (unsigned int)scale_denom;
    jpeg_calc_output_dimensions(cinfo);
    return CCODECS_OK;
}

static int exif_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
            memcmp(m->data, "Exif\0\0", 6) == 0)
            return ccodecs_exif_orientation(m->data + 6, m->data_length - 6);
    }
    return 1;
}

ccodecs_status ccodecs_jpeg_info(const uint8_t *data, size_t size, int scale_denom,
                                 ccodecs_jpeg_info_t *out, ccodecs_diag_t *diag) {
    ccodecs_diag_reset(diag);
    memset(out, 0, sizeof *out);
    if (!valid_scale(scale_denom, diag)) return CCODECS_FAILURE;
    struct jpeg_decompress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    ccodecs_jpeg_guard guard;
    cinfo.err = ccodecs_jpeg_guard_install(&guard, diag, CCODECS_CORRUPT);
    if (setjmp(guard.jump)) {
        // libjpeg refuses sizes over 65500 after reading them: report them anyway.
        out->width = (int)cinfo.image_width;
        out->height = (int)cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return guard.status;
    }
    jpeg_create_decompress(&cinfo);
    ccodecs_status status = read_header(&cinfo, data, size, scale_denom, diag);
    out->width = (int)cinfo.image_width;
    out->height = (int)cinfo.image_height;
    out->output_width = (int)cinfo.output_width;
    out->output_height = (int)cinfo.output_height;
    out->components = cinfo.num_components;
    out->progressive = cinfo.progressive_mode ? 1 : 0;
    out->adobe = cinfo.saw_Adobe_marker ? 1 : 0;
    out->orientation = exif_orientation(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return status;
}

static inline uint8_t mul_div255(unsigned a, unsigned b) {
    return (uint8_t)((a * b + 127) / 255);  // round(a*b/255); exact since 255 is odd
}

/// CMYK → RGB by R = (255 − C)(255 − K)/255, etc. Adobe (Photoshop) files store every
/// ink inverted, so there R = C'·K'/255 directly on the stored values.
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t pixels, int inverted) {
    for (size_t i = 0; i < pixels; i++, cmyk += 4, rgb += 3) {
        unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        rgb[0] = mul_div255(c, k);
        rgb[1] = mul_div255(m, k);
        rgb[2] = mul_div255(y, k);
    }
}

struct row_copy {
    uint8_t *rgb_out;
};

static void copy_row(void *context, const uint8_t *rgb_row, int y, int width) {
    memcpy(((struct row_copy *)context)->rgb_out + (size_t)y * (size_t)width * 3, rgb_row, (size_t)width * 3);
}

ccodecs_status ccodecs_jpeg_decode(const uint8_t *data, size_t size, int scale_denom,
                                   uint8_t *rgb_out, size_t out_capacity, int *out_width,
                                   int *out_height, ccodecs_diag_t *diag) {
    *out_width = 0;
    *out_height = 0;
    ccodecs_jpeg_info_t info;
    ccodecs_status status = ccodecs_jpeg_info(data, size, scale_denom, &info, diag);
    if (status != CCODECS_OK) return status;
    if (out_capacity / 3 / (size_t)info.output_width < (size_t)info.output_height) {
        ccodecs_diag_error(diag, "output buffer too small for the decoded JPEG");
        return CCODECS_CAPACITY;
    }
    // Every row, read on to EOI, so data cut after the last scanline still counts as truncated.
    struct row_copy sink = { rgb_out };
    return ccodecs_jpeg_decode_rows(data, size, scale_denom, 0, info.output_height, copy_row, &sink,
                                    out_width, out_height, diag);
}

ccodecs_status ccodecs_jpeg_decode_rows(const uint8_t *data, size_t size, int scale_denom, int first_row,
                                        int end_row, ccodecs_jpeg_row_fn row_fn, void *context,
                                        int *out_width, int *out_height, ccodecs_diag_t *diag) {
    ccodecs_diag_reset(diag);
    *out_width = 0;
    *out_height = 0;
    if (!valid_scale(scale_denom, diag)) return CCODECS_FAILURE;
    struct jpeg_decompress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    ccodecs_jpeg_guard guard;
    uint8_t *volatile rows = NULL;
    cinfo.err = ccodecs_jpeg_guard_install(&guard, diag, CCODECS_CORRUPT);
    if (setjmp(guard.jump)) {
        free(rows);
        jpeg_destroy_decompress(&cinfo);
        return guard.status;
    }
    jpeg_create_decompress(&cinfo);
    ccodecs_status status = read_header(&cinfo, data, size, scale_denom, diag);
    if (status != CCODECS_OK) {
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    size_t width = cinfo.output_width;
    int height = (int)cinfo.output_height;
    if (first_row < 0 || end_row > height || first_row >= end_row) {
        ccodecs_diag_error(diag, "JPEG row range outside the image");
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_FAILURE;
    }
    int cmyk = cinfo.out_color_space == JCS_CMYK;
    int inverted = cinfo.saw_Adobe_marker;
    jpeg_start_decompress(&cinfo);
    // One CMYK row (4 bytes a pixel) and one RGB row.
    rows = malloc(width * 7);
    if (rows == NULL) {
        ccodecs_diag_error(diag, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_FAILURE;
    }
    uint8_t *rgb_row = rows + width * 4;
    // Rows above the range are entropy-decoded only (no IDCT, no colour conversion).
    while ((int)cinfo.output_scanline < first_row)
        jpeg_skip_scanlines(&cinfo, (JDIMENSION)(first_row - (int)cinfo.output_scanline));
    while ((int)cinfo.output_scanline < end_row) {
        int y = (int)cinfo.output_scanline;
        JSAMPROW row = cmyk ? rows : rgb_row;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
        if (cmyk) cmyk_to_rgb(rows, rgb_row, width, inverted);
        row_fn(context, rgb_row, y, (int)width);
    }
    // Rows below the range are not read: data cut there goes unnoticed.
    if (end_row == height) jpeg_finish_decompress(&cinfo); else jpeg_abort_decompress(&cinfo);
    free(rows);
    jpeg_destroy_decompress(&cinfo);
    *out_width = (int)width;
    *out_height = height;
    return CCODECS_OK;
}
