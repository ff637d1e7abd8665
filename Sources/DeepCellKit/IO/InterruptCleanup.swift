import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Removes the temporary files of a run when it is interrupted (SIGINT, SIGTERM, SIGHUP),
/// so a killed tool leaves no partial output behind (design.md, "Outputs").
///
/// ``install()`` (done by ``ToolRunner``) routes those signals to a Dispatch source, which
/// runs in normal thread context: it unlinks every tracked path, then re-raises the
/// signal with its default action so the exit status still tells what happened.
public enum InterruptCleanup {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var paths = Set<String>()
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  nonisolated(unsafe) private static var stopRequest: (() -> Void)?

  /// The signals handled.
  static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  /// Removes `path` if the run is interrupted (until ``untrack(_:)``).
  public static func track(_ path: String) {
    lock.withLock { _ = paths.insert(path) }
  }

  /// Stops tracking `path` (it was renamed into place or removed).
  public static func untrack(_ path: String) {
    lock.withLock { _ = paths.remove(path) }
  }

  /// Makes the first SIGINT or SIGTERM call `request` instead of ending the process, so a long
  /// run (dc-train) can stop at a safe point and keep what it has; a second signal ends the
  /// process as usual. nil restores the default.
  public static func onFirstInterrupt(_ request: (() -> Void)?) {
    lock.withLock { stopRequest = request }
  }

  /// Unlinks every tracked path that still exists and forgets them all.
  public static func removeTrackedFiles() {
    let all = lock.withLock { () -> Set<String> in
      defer { paths.removeAll() }
      return paths
    }
    for path in all { unlink(path) }
  }

  /// Installs the signal handling (idempotent).
  public static func install() {
    lock.withLock {
      guard sources.isEmpty else { return }
      for sig in signals {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
          if sig != SIGHUP,
            let request = lock.withLock({ () -> (() -> Void)? in
              defer { stopRequest = nil }
              return stopRequest
            })
          {
            request()
            return
          }
          removeTrackedFiles()
          signal(sig, SIG_DFL)
          kill(getpid(), sig)
        }
        source.resume()
        sources.append(source)
      }
    }
  }
}
