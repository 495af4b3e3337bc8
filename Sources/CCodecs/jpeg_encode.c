#include <stdlib.h>
#include <string.h>

#include "jpeg_guard.h"

static ccodecs_status check_params(const ccodecs_jpeg_encode_params_t *p,
                                   ccodecs_diag_t *diag) {
    const char *problem = NULL;
    if (p->width <= 0 || p->height <= 0 || p->width > JPEG_MAX_DIMENSION ||
        p->height > JPEG_MAX_DIMENSION)
        problem = "JPEG size out of range";
    else if (p->components != 1 && p->components != 3 && p->components != 4)
        problem = "JPEG input must have 1, 3 or 4 components";
    else if (p->quality < 1 || p->quality > 100)
        problem = "JPEG quality must be 1...100";
    else if (p->restart_interval < 0 || p->restart_interval > 65535)
        problem = "JPEG restart interval must be 0...65535";
    else if ((p->adobe_marker || p->ycck) && p->components != 4)
        problem = "Adobe marker and YCCK apply to CMYK input only";
    else if (p->ycck && !p->adobe_marker)
        problem = "YCCK needs the Adobe marker that declares it";
    else if (p->app1_size > 65533 || (p->app1_size > 0 && p->app1 == NULL))
        problem = "APP1 payload must be 1...65533 bytes";
    if (problem) ccodecs_diag_error(diag, problem);
    return problem ? CCODECS_FAILURE : CCODECS_OK;
}

ccodecs_status ccodecs_jpeg_encode(const uint8_t *pixels,
                                   const ccodecs_jpeg_encode_params_t *p, uint8_t **out,
                                   size_t *out_size, ccodecs_diag_t *diag) {
    ccodecs_diag_reset(diag);
    *out = NULL;
    *out_size = 0;
    if (check_params(p, diag) != CCODECS_OK) return CCODECS_FAILURE;

    struct jpeg_compress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    ccodecs_jpeg_guard guard;
    // jpeg_mem_dest keeps these current as it grows the buffer; libjpeg never frees it.
    struct { unsigned char *buffer; unsigned long size; } dest = { NULL, 0 };
    uint8_t *volatile inverted_row = NULL;
    cinfo.err = ccodecs_jpeg_guard_install(&guard, diag, CCODECS_FAILURE);
    if (setjmp(guard.jump)) {
        free(inverted_row);
        jpeg_destroy_compress(&cinfo);
        free(dest.buffer);
        return guard.status;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &dest.buffer, &dest.size);
    cinfo.image_width = (JDIMENSION)p->width;
    cinfo.image_height = (JDIMENSION)p->height;
    cinfo.input_components = p->components;
    cinfo.in_color_space = p->components == 1 ? JCS_GRAYSCALE
                         : p->components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    if (p->ycck) jpeg_set_colorspace(&cinfo, JCS_YCCK);
    if (p->components == 4) cinfo.write_Adobe_marker = p->adobe_marker ? TRUE : FALSE;
    jpeg_set_quality(&cinfo, p->quality, TRUE);
    if (!p->subsample) {
        for (int c = 0; c < cinfo.num_components; c++) {
            cinfo.comp_info[c].h_samp_factor = 1;
            cinfo.comp_info[c].v_samp_factor = 1;
        }
    }
    if (p->progressive) jpeg_simple_progression(&cinfo);
    cinfo.restart_interval = (unsigned int)p->restart_interval;
    jpeg_start_compress(&cinfo, TRUE);
    if (p->app1_size > 0)
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, p->app1, (unsigned int)p->app1_size);

    size_t stride = (size_t)p->width * (size_t)p->components;
    if (p->adobe_marker) {
        inverted_row = malloc(stride);
        if (inverted_row == NULL) {
            ccodecs_diag_error(diag, "out of memory");
            jpeg_destroy_compress(&cinfo);
            free(dest.buffer);
            return CCODECS_FAILURE;
        }
    }
    while (cinfo.next_scanline < cinfo.image_height) {
        const uint8_t *source = pixels + (size_t)cinfo.next_scanline * stride;
        JSAMPROW row = (JSAMPROW)source;
        if (inverted_row) {
            for (size_t i = 0; i < stride; i++) inverted_row[i] = (uint8_t)(255 - source[i]);
            row = inverted_row;
        }
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    free(inverted_row);
    jpeg_destroy_compress(&cinfo);
    *out = dest.buffer;
    *out_size = dest.size;
    return CCODECS_OK;
}
