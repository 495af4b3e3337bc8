#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png_guard.h"

static int exif_orientation(png_structp png, png_infop info) {
    png_uint_32 size = 0;
    png_bytep exif = NULL;
    if (!png_get_eXIf_1(png, info, &size, &exif)) return 1;
    return ccodecs_exif_orientation(exif, size);
}

ccodecs_status ccodecs_png_info(const uint8_t *data, size_t size, ccodecs_png_info_t *out,
                                ccodecs_diag_t *diag) {
    ccodecs_diag_reset(diag);
    memset(out, 0, sizeof *out);
    ccodecs_png_guard guard = { diag, CCODECS_CORRUPT, data, size, 0 };
    png_structp png;
    png_infop info;
    if (!ccodecs_png_create_reader(&guard, &png, &info)) return CCODECS_FAILURE;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return guard.status;
    }
    png_read_info(png, info);  // everything up to the first IDAT
    out->width = (int)png_get_image_width(png, info);
    out->height = (int)png_get_image_height(png, info);
    out->color_type = png_get_color_type(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    out->has_alpha = (out->color_type & PNG_COLOR_MASK_ALPHA) ||
                     png_get_valid(png, info, PNG_INFO_tRNS);
    out->orientation = exif_orientation(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return CCODECS_OK;
}

/// out = (a·c + (255 − a)·bg + 127) / 255: the correctly rounded blend.
static void composite(const uint8_t *rgba, uint8_t *rgb, size_t pixels,
                      const uint8_t background[3]) {
    for (size_t i = 0; i < pixels; i++, rgba += 4, rgb += 3) {
        unsigned a = rgba[3];
        for (int c = 0; c < 3; c++)
            rgb[c] = (uint8_t)((a * rgba[c] + (255 - a) * background[c] + 127) / 255);
    }
}

/// Each palette entry as RGB8, already composited over the background with its tRNS alpha
/// by the same formula as `composite`.
typedef struct {
    uint8_t rgb[256][3];
    int count;
} palette_lut;

static void load_palette(png_structp png, png_infop info, const uint8_t background[3],
                         palette_lut *lut) {
    png_colorp entries = NULL;
    int count = 0;
    // libpng has already failed on a palette image without PLTE ("Missing PLTE before IDAT").
    png_get_PLTE(png, info, &entries, &count);
    png_bytep alphas = NULL;
    int alpha_count = 0;
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_get_tRNS(png, info, &alphas, &alpha_count, NULL);
    lut->count = count < 0 ? 0 : count > 256 ? 256 : count;
    for (int i = 0; i < lut->count; i++) {
        uint8_t rgba[4] = { entries[i].red, entries[i].green, entries[i].blue,
                            i < alpha_count ? alphas[i] : 255 };
        composite(rgba, lut->rgb[i], 1, background);
    }
}

/// Palette indices → RGB; an index with no palette entry makes the file corrupt.
static void expand_indices(png_structp png, ccodecs_png_guard *guard, const palette_lut *lut,
                           const uint8_t *indices, uint8_t *rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; i++, rgb += 3) {
        int index = indices[i];
        if (index >= lut->count) {
            char text[96];
            snprintf(text, sizeof text, "palette index %d is past the %d-entry palette", index, lut->count);
            guard->status = CCODECS_CORRUPT;
            png_error(png, text);
        }
        memcpy(rgb, lut->rgb[index], 3);
    }
}

/// Asks libpng for 8-bit RGB or RGBA whatever the stored colour type and depth.
static void request_rgb8(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);  // bit replication: exact v·255/(2^d − 1)
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_scale_16(png);  // rounds, unlike png_set_strip_16
    if (!(color_type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
}

/// The decoder behind both entry points. With `row_fn` NULL every row lands in `rgb_out`
/// (capacity checked). With `row_fn` set, `rgb_out` is ignored and each finished RGB8 row
/// is handed to `row_fn`, top to bottom, from one reused row buffer: memory stays at a
/// few rows whatever the height. Adam7 images cannot be streamed that way (a row is only
/// complete after the last pass), so they fall back to a full decode into a temporary
/// buffer whose rows are then handed over.
static ccodecs_status decode_png(const uint8_t *data, size_t size, const uint8_t background[3],
                                 uint8_t *rgb_out, size_t out_capacity,
                                 ccodecs_png_row_fn row_fn, void *context,
                                 int *out_width, int *out_height, ccodecs_diag_t *diag) {
    ccodecs_diag_reset(diag);
    *out_width = 0;
    *out_height = 0;
    ccodecs_png_guard guard = { diag, CCODECS_CORRUPT, data, size, 0 };
    png_structp png;
    png_infop info;
    if (!ccodecs_png_create_reader(&guard, &png, &info)) return CCODECS_FAILURE;
    uint8_t *volatile scratch = NULL;  // one row of RGBA or indices, or all rows if interlaced
    uint8_t *volatile owned = NULL;    // row_fn: the RGB row, or the whole image if interlaced
    if (setjmp(png_jmpbuf(png))) {
        free(scratch);
        free(owned);
        png_destroy_read_struct(&png, &info, NULL);
        return guard.status;
    }
    png_read_info(png, info);
    size_t width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if (row_fn == NULL && out_capacity / 3 / width < height) {
        guard.status = CCODECS_CAPACITY;
        png_error(png, "output buffer too small for the decoded PNG");
    }
    // Palette images are expanded here rather than by libpng, which gives an index past
    // the end of the palette a made-up colour (black) and reports it at most as a warning.
    palette_lut lut;
    int indexed = png_get_color_type(png, info) == PNG_COLOR_TYPE_PALETTE;
    if (indexed) {
        load_palette(png, info, background, &lut);
        png_set_packing(png);  // one index per byte
    } else {
        request_rgb8(png, info);
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int alpha = !indexed && png_get_channels(png, info) == 4;
    size_t rows = passes > 1 ? height : 1;
    // Streaming: every row goes to the same one-row buffer and on to row_fn at once.
    int streaming = row_fn != NULL && passes == 1;
    if (row_fn != NULL) {
        size_t held = streaming ? 1 : height;
        if (held > SIZE_MAX / 3 / width) {
            guard.status = CCODECS_FAILURE;
            png_error(png, "out of memory");
        }
        owned = malloc(width * 3 * held);
        if (owned == NULL) {
            guard.status = CCODECS_FAILURE;
            png_error(png, "out of memory");
        }
        rgb_out = owned;
    }
    size_t stride = streaming ? 0 : width * 3;

    if (!indexed && !alpha) {
        // Rows land in place; later Adam7 passes fill in the same rows.
        for (int pass = 0; pass < passes; pass++)
            for (size_t y = 0; y < height; y++) {
                png_read_row(png, rgb_out + y * stride, NULL);
                if (streaming) row_fn(context, rgb_out, (int)y, (int)width);
            }
    } else {
        size_t channels = indexed ? 1 : 4;
        scratch = malloc(width * channels * rows);
        if (scratch == NULL) {
            guard.status = CCODECS_FAILURE;
            png_error(png, "out of memory");
        }
        for (int pass = 0; pass < passes; pass++)
            for (size_t y = 0; y < height; y++) {
                png_read_row(png, scratch + (rows > 1 ? y : 0) * width * channels, NULL);
                if (rows > 1) continue;
                if (indexed) expand_indices(png, &guard, &lut, scratch, rgb_out + y * stride, width);
                else composite(scratch, rgb_out + y * stride, width, background);
                if (streaming) row_fn(context, rgb_out, (int)y, (int)width);
            }
        if (rows > 1) {
            if (indexed) expand_indices(png, &guard, &lut, scratch, rgb_out, width * height);
            else composite(scratch, rgb_out, width * height, background);
        }
    }
    // Reads up to IEND, checking the remaining CRCs: a file cut after the pixels still
    // counts as truncated.
    png_read_end(png, NULL);
    if (row_fn != NULL && !streaming)  // Adam7: the rows of the full decode, in order
        for (size_t y = 0; y < height; y++) row_fn(context, rgb_out + y * width * 3, (int)y, (int)width);
    free(scratch);
    free(owned);
    png_destroy_read_struct(&png, &info, NULL);
    *out_width = (int)width;
    *out_height = (int)height;
    return CCODECS_OK;
}

ccodecs_status ccodecs_png_decode(const uint8_t *data, size_t size,
                                  const uint8_t background[3], uint8_t *rgb_out,
                                  size_t out_capacity, int *out_width, int *out_height,
                                  ccodecs_diag_t *diag) {
    return decode_png(data, size, background, rgb_out, out_capacity, NULL, NULL,
                      out_width, out_height, diag);
}

ccodecs_status ccodecs_png_decode_rows(const uint8_t *data, size_t size,
                                       const uint8_t background[3], ccodecs_png_row_fn row_fn,
                                       void *context, int *out_width, int *out_height,
                                       ccodecs_diag_t *diag) {
    if (row_fn == NULL) {
        ccodecs_diag_reset(diag);
        *out_width = 0;
        *out_height = 0;
        ccodecs_diag_error(diag, "no row function");
        return CCODECS_FAILURE;
    }
    return decode_png(data, size, background, NULL, 0, row_fn, context, out_width, out_height, diag);
}
