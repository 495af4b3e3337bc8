#include <stdlib.h>
#include <string.h>

#include "png_guard.h"

typedef struct {
    uint8_t *bytes;
    size_t size, capacity;
} growing_buffer;

static void write_to_memory(png_structp png, png_bytep data, size_t count) {
    growing_buffer *buffer = png_get_io_ptr(png);
    if (count > buffer->capacity - buffer->size) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (count > capacity - buffer->size) {
            if (capacity > SIZE_MAX / 2) png_error(png, "PNG output too large");
            capacity *= 2;
        }
        uint8_t *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->size, data, count);
    buffer->size += count;
}

static void flush_memory(png_structp png) {
    (void)png;
}

static int channels(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: case PNG_COLOR_TYPE_PALETTE: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 0;
    }
}

ccodecs_status ccodecs_png_encode(const uint8_t *samples,
                                  const ccodecs_png_encode_params_t *p, uint8_t **out,
                                  size_t *out_size, ccodecs_diag_t *diag) {
    ccodecs_diag_reset(diag);
    *out = NULL;
    *out_size = 0;
    int channel_count = channels(p->color_type);
    if (channel_count == 0 || p->width <= 0 || p->height <= 0) {
        ccodecs_diag_error(diag, "invalid PNG colour type or size");
        return CCODECS_FAILURE;
    }
    // Bit depth against colour type, palette and tRNS are checked by libpng itself.
    ccodecs_png_guard guard = { diag, CCODECS_FAILURE, NULL, 0, 0 };
    growing_buffer buffer = { NULL, 0, 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &guard,
                                              ccodecs_png_on_error, ccodecs_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        ccodecs_diag_error(diag, "out of memory");
        return CCODECS_FAILURE;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(buffer.bytes);
        return guard.status;
    }
    png_set_write_fn(png, &buffer, write_to_memory, flush_memory);
    png_set_IHDR(png, info, (png_uint_32)p->width, (png_uint_32)p->height, p->bit_depth,
                 p->color_type, p->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (p->color_type == PNG_COLOR_TYPE_PALETTE) {
        if (p->palette == NULL || p->palette_entries < 1 || p->palette_entries > 256)
            png_error(png, "palette images need 1...256 palette entries");
        png_color palette[256];
        for (int i = 0; i < p->palette_entries; i++) {
            palette[i].red = p->palette[3 * i];
            palette[i].green = p->palette[3 * i + 1];
            palette[i].blue = p->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, palette, p->palette_entries);
        if (p->trns_count > 0)
            png_set_tRNS(png, info, p->trns_alpha, p->trns_count, NULL);
    }
    if (p->has_trns_color) {
        png_color_16 key = { 0, p->trns_color[0], p->trns_color[1], p->trns_color[2],
                             p->trns_color[0] };
        png_set_tRNS(png, info, NULL, 0, &key);
    }
    if (p->exif_size > 0)
        png_set_eXIf_1(png, info, (png_uint_32)p->exif_size, (png_bytep)p->exif);
    png_write_info(png, info);
    if (p->bit_depth < 8) png_set_packing(png);  // our rows hold one sample per byte

    size_t stride = (size_t)p->width * (size_t)channel_count * (p->bit_depth == 16 ? 2 : 1);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < p->height; y++)
            png_write_row(png, samples + (size_t)y * stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = buffer.bytes;
    *out_size = buffer.size;
    return CCODECS_OK;
}
