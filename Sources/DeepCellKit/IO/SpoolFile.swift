import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A temporary file for a tool's intermediate data (predicted maps waiting for their NPZ
/// member, a tracking pass's frames): created empty in the temporary directory under a name
/// no other process uses, open for reading and writing, removed by ``remove()`` or, if the
/// tool is interrupted first, by ``InterruptCleanup``.
final class SpoolFile {
  let path: String
  let handle: FileHandle

  /// A new, empty spool file whose name ends in `suffix` (e.g. `-inner_distance.f32`).
  init(tool: String, suffix: String) throws {
    path = NSTemporaryDirectory() + "/\(tool)-\(getpid())-\(UUID().uuidString)\(suffix)"
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let h = FileHandle(forUpdatingAtPath: path)
    else { throw DeepCellError(.cannotCreate, path, "cannot create a spool file") }
    handle = h
    InterruptCleanup.track(path)
  }

  /// Closes and deletes the file.
  func remove() {
    try? handle.close()
    unlink(path)
    InterruptCleanup.untrack(path)
  }
}
