import Foundation

/// A flag set once from another thread (dc-train's first Ctrl-C) and read by the training
/// loop after each step. Thread-safe.
public final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false

  public init() {}

  /// Raises the flag.
  public func set() { lock.withLock { value = true } }

  /// Whether the flag was raised.
  public var isSet: Bool { lock.withLock { value } }
}
