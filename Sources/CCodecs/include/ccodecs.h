// CCodecs: a small, crash-proof C layer over libjpeg-turbo and libpng.
//
// Every entry point catches libjpeg/libpng errors with setjmp/longjmp inside C and
// returns a status code plus a message; nothing here ever calls exit(), aborts or
// prints to stderr, whatever bytes it is given. Warnings are collected in the
// diagnostics; the ones that mean pixel data is missing are promoted to errors.
// Truncation is strict: data cut anywhere, even just before EOI/IEND with every pixel
// present, is CCODECS_TRUNCATED, and a CRC mismatch in any PNG chunk is CCODECS_CORRUPT.
//
// This header deliberately includes neither jpeglib.h nor png.h, so Swift sees only
// these few plain types.
#ifndef CCODECS_H
#define CCODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes returned by every function.
typedef enum {
    CCODECS_OK = 0,
    /// The data is damaged (bad marker, bad Huffman code, CRC mismatch, zlib error...).
    CCODECS_CORRUPT = 1,
    /// The data ends before the image does.
    CCODECS_TRUNCATED = 2,
    /// Well-formed but uses something this build cannot decode (12-bit JPEG, lossless
    /// JPEG, a dimension over libjpeg's 65500 limit...). Width/height are still filled
    /// in when known, so the caller can report the size.
    CCODECS_UNSUPPORTED = 3,
    /// The caller's output buffer is smaller than the image.
    CCODECS_CAPACITY = 4,
    /// Out of memory, or invalid arguments.
    CCODECS_FAILURE = 5,
} ccodecs_status;

/// Messages from the codec libraries. `message` holds the error on failure;
/// `warnings` holds tolerated warnings, newline-separated (cut off when full).
typedef struct {
    char message[256];
    char warnings[512];
    int warning_count;
} ccodecs_diag_t;

typedef struct {
    int width, height;             // stored size
    int output_width, output_height; // size after DCT scaling by 1/scale_denom
    int components;
    int progressive;
    int adobe;                     // an Adobe APP14 marker was seen (CMYK stored inverted)
    int orientation;               // EXIF orientation 1...8; 1 when absent or invalid
} ccodecs_jpeg_info_t;

/// Reads the JPEG header only. `scale_denom` (1, 2, 4 or 8) sets output_width/height.
/// On CCODECS_UNSUPPORTED because of libjpeg's size limit, width/height are filled.
ccodecs_status ccodecs_jpeg_info(const uint8_t *data, size_t size, int scale_denom,
                                 ccodecs_jpeg_info_t *out, ccodecs_diag_t *diag);

/// Decodes to interleaved RGB8, scaled by 1/scale_denom with libjpeg's DCT scaling.
/// Grayscale is replicated, CMYK/YCCK converted to RGB (Adobe files are inverted).
/// `rgb_out` must hold output_width * output_height * 3 bytes (see ccodecs_jpeg_info).
ccodecs_status ccodecs_jpeg_decode(const uint8_t *data, size_t size, int scale_denom,
                                   uint8_t *rgb_out, size_t out_capacity, int *out_width,
                                   int *out_height, ccodecs_diag_t *diag);

/// Receives one decoded JPEG row: `width` RGB8 pixels, valid only during the call.
typedef void (*ccodecs_jpeg_row_fn)(void *context, const uint8_t *rgb_row, int y, int width);

/// ccodecs_jpeg_decode, of the output rows `first_row ..< end_row` only, each handed to
/// `row_fn` as it is decoded (one row of memory): the rows above are skipped with
/// jpeg_skip_scanlines (entropy-decoded, no IDCT), decoding stops after the range (so a
/// file cut below it is not noticed). For reading one strip of a huge photo.
ccodecs_status ccodecs_jpeg_decode_rows(const uint8_t *data, size_t size, int scale_denom, int first_row,
                                        int end_row, ccodecs_jpeg_row_fn row_fn, void *context,
                                        int *out_width, int *out_height, ccodecs_diag_t *diag);

typedef struct {
    int width, height;
    int color_type;   // PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int bit_depth;    // 1, 2, 4, 8 or 16
    int interlaced;   // Adam7
    int has_alpha;    // alpha channel or tRNS
    int orientation;  // from an eXIf chunk placed before IDAT; 1 otherwise
} ccodecs_png_info_t;

ccodecs_status ccodecs_png_info(const uint8_t *data, size_t size, ccodecs_png_info_t *out,
                                ccodecs_diag_t *diag);

/// Decodes to interleaved RGB8: palette expanded, gray replicated, 1/2/4-bit samples
/// scaled by bit replication (exact), 16-bit samples reduced by png_set_scale_16,
/// i.e. round(v * 255 / 65535). Transparency (alpha channel or tRNS) is composited over
/// `background` (3 bytes, RGB) as out = (a*c + (255 - a)*bg + 127) / 255 in integers,
/// with a and c already reduced to 8 bits. No gamma or ICC handling.
ccodecs_status ccodecs_png_decode(const uint8_t *data, size_t size,
                                  const uint8_t background[3], uint8_t *rgb_out,
                                  size_t out_capacity, int *out_width, int *out_height,
                                  ccodecs_diag_t *diag);

/// Receives one decoded row: `width` RGB8 pixels, valid only during the call.
typedef void (*ccodecs_png_row_fn)(void *context, const uint8_t *rgb_row, int y, int width);

/// ccodecs_png_decode, streamed: each RGB8 row (same transformations, same errors) is
/// handed to `row_fn` top to bottom as soon as it is decoded, from a buffer of one row,
/// so memory does not grow with the height. Adam7-interlaced images are decoded whole
/// into a temporary buffer first (a row is complete only after the last pass) and then
/// handed over row by row. On an error after some rows were delivered (a corrupt later
/// row, truncation before IEND) the status is still the error: discard those rows.
/// `row_fn` must not call back into this decoder.
ccodecs_status ccodecs_png_decode_rows(const uint8_t *data, size_t size,
                                       const uint8_t background[3], ccodecs_png_row_fn row_fn,
                                       void *context, int *out_width, int *out_height,
                                       ccodecs_diag_t *diag);

// ---- Encoders, for tests and tools. Output is malloc'd; release it with ccodecs_free.

typedef struct {
    int width, height;
    int components;        // 1 gray, 3 RGB, 4 CMYK (0 = no ink, 255 = full ink)
    int quality;           // 1...100
    int progressive;
    int restart_interval;  // in MCUs; 0 for none
    int subsample;         // 1: 4:2:0 chroma (libjpeg's default); 0: 4:4:4
    int adobe_marker;      // CMYK only: write APP14 and store inverted (Photoshop style)
    int ycck;              // CMYK only: store as YCCK (requires adobe_marker)
    const uint8_t *app1;   // raw APP1 payload written as is (e.g. "Exif\0\0" + TIFF)
    size_t app1_size;
} ccodecs_jpeg_encode_params_t;

ccodecs_status ccodecs_jpeg_encode(const uint8_t *pixels,
                                   const ccodecs_jpeg_encode_params_t *params,
                                   uint8_t **out, size_t *out_size, ccodecs_diag_t *diag);

typedef struct {
    int width, height;
    int color_type;              // 0, 2, 3, 4 or 6
    int bit_depth;               // legal depth for the colour type
    int interlaced;              // Adam7
    const uint8_t *palette;      // RGB triples (colour type 3)
    int palette_entries;
    const uint8_t *trns_alpha;   // palette alpha values (colour type 3)
    int trns_count;
    int has_trns_color;          // colour types 0 and 2: tRNS colour key
    uint16_t trns_color[3];      // gray in [0], or R G B
    const uint8_t *exif;         // eXIf payload (TIFF header onward), before IDAT
    size_t exif_size;
} ccodecs_png_encode_params_t;

/// `samples`: rows top to bottom, one byte per sample for depths up to 8 (unpacked,
/// value < 2^depth; palette indices for type 3), two bytes big-endian for depth 16.
ccodecs_status ccodecs_png_encode(const uint8_t *samples,
                                  const ccodecs_png_encode_params_t *params, uint8_t **out,
                                  size_t *out_size, ccodecs_diag_t *diag);

void ccodecs_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
