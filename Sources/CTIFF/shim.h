#include <tiffio.h>
#include <sys/types.h>

// Typed TIFFSetField calls, so Swift sets tags without building a C va_list per call
// (Swift's CVarArg boxing cost more than libtiff's own work when writing 100 IFDs).
// Each passes the value as TIFFSetField reads it: uint16 tags as int, uint32 tags as
// uint32, rationals as double, ASCII as char*, arrays as (count, pointer).
static inline int dc_tiff_set_int(TIFF *tif, uint32_t tag, int value) {
  return TIFFSetField(tif, tag, value);
}
static inline int dc_tiff_set_uint32(TIFF *tif, uint32_t tag, uint32_t value) {
  return TIFFSetField(tif, tag, value);
}
static inline int dc_tiff_set_double(TIFF *tif, uint32_t tag, double value) {
  return TIFFSetField(tif, tag, value);
}
static inline int dc_tiff_set_string(TIFF *tif, uint32_t tag, const char *value) {
  return TIFFSetField(tif, tag, value);
}
static inline int dc_tiff_set_uint16_array(TIFF *tif, uint32_t tag, int count,
                                           const uint16_t *values) {
  return TIFFSetField(tif, tag, count, values);
}

/// Reserves `len` bytes at `offset` of the file `fd` without changing its size: Linux's
/// fallocate(2) with FALLOC_FL_KEEP_SIZE, which Swift's Glibc module leaves out (it is a
/// GNU extension). Returns 0, or -1 with errno set (EOPNOTSUPP where the file system has
/// no fallocate); elsewhere than Linux it does nothing.
#if defined(__linux__)
extern int fallocate(int fd, int mode, off_t offset, off_t len);
static inline int dc_reserve_file_range(int fd, off_t offset, off_t len) {
  return fallocate(fd, 0x01 /* FALLOC_FL_KEEP_SIZE */, offset, len);
}
#else
static inline int dc_reserve_file_range(int fd, off_t offset, off_t len) {
  (void)fd; (void)offset; (void)len;
  return 0;
}
#endif
