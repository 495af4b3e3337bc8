#include "internal.h"

static uint32_t read_u16(const uint8_t *p, int little_endian) {
    return little_endian ? (uint32_t)p[0] | (uint32_t)p[1] << 8
                         : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t read_u32(const uint8_t *p, int little_endian) {
    return little_endian
        ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
        : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int ccodecs_exif_orientation(const uint8_t *tiff, size_t size) {
    enum { tag_orientation = 0x0112, type_short = 3, type_long = 4, entry_size = 12 };
    if (tiff == NULL || size < 8) return 1;
    int little_endian;
    if (tiff[0] == 'I' && tiff[1] == 'I') little_endian = 1;
    else if (tiff[0] == 'M' && tiff[1] == 'M') little_endian = 0;
    else return 1;
    if (read_u16(tiff + 2, little_endian) != 42) return 1;

    size_t ifd = read_u32(tiff + 4, little_endian);
    if (ifd > size || size - ifd < 2) return 1;
    uint32_t count = read_u16(tiff + ifd, little_endian);
    for (uint32_t i = 0; i < count; i++) {
        size_t entry = ifd + 2 + (size_t)i * entry_size;
        if (entry > size || size - entry < entry_size) return 1;
        const uint8_t *p = tiff + entry;
        if (read_u16(p, little_endian) != tag_orientation) continue;
        uint32_t type = read_u16(p + 2, little_endian);
        if (read_u32(p + 4, little_endian) < 1) return 1;
        // A single SHORT sits left-aligned in the 4-byte value field; some writers use LONG.
        uint32_t value = type == type_short ? read_u16(p + 8, little_endian)
                       : type == type_long  ? read_u32(p + 8, little_endian) : 0;
        return value >= 1 && value <= 8 ? (int)value : 1;
    }
    return 1;
}
