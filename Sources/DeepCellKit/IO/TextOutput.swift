import Foundation

/// A text output written as every dc output is (design.md, "Outputs"): to a temporary file
/// renamed into place, or to stdout for nil or `-`; the temporary file is removed if the run
/// is interrupted (``InterruptCleanup``). Reports (dc-metrics) and the training log
/// (dc-train, rewritten after every epoch so it can be followed) go through it.
public enum TextOutput {
  /// Writes `text` to `path` atomically (nil or `-`: stdout). Throws `cannotCreate` when the
  /// file cannot be written.
  public static func write(_ text: String, to path: String?) throws {
    let file = try OutputFile(path: path, format: .npy)
    InterruptCleanup.track(file.temporaryPath)
    defer { InterruptCleanup.untrack(file.temporaryPath) }
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: file.temporaryPath))
      try file.commit()
    } catch let error as DeepCellError {
      file.abort()
      throw error
    } catch {
      file.abort()
      throw DeepCellError(
        .cannotCreate, file.subject, "cannot write: \(error.localizedDescription)")
    }
  }
}
