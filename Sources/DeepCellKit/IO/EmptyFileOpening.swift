import Foundation

/// Opens `path` for writing from its start, created when missing, emptied when it holds
/// anything: `open` with `flags` (`O_WRONLY` or `O_RDWR`, plus `O_CREAT` and `O_CLOEXEC`),
/// then `ftruncate` only when the file is not already empty. Returns the descriptor, or -1
/// with `errno` set.
///
/// Not `O_TRUNC`: on ext4, truncating a file (even an empty one, as the outputs' temporary
/// files from `mkstemp` are) marks it for "auto_da_alloc", and its `close` then starts
/// writing back all its dirty pages in the closing process: a 210 MB TIFF copy spent a
/// third of its CPU time there, in time tifffile's writes (to files that were never
/// truncated) leave to the kernel's flusher threads.
func openEmptiedForWriting(_ path: String, flags: Int32, mode: mode_t) -> Int32 {
  let fd = open(path, flags | O_CREAT, mode)
  guard fd >= 0 else { return -1 }
  var info = stat()
  if fstat(fd, &info) != 0 || (info.st_size != 0 && ftruncate(fd, 0) != 0) {
    let saved = errno
    close(fd)
    errno = saved
    return -1
  }
  return fd
}
