import Foundation

/// A limit on the memory the tools buffer (issue 16 §6): the user's `DC_MAX_MEMORY` (`4G`,
/// `512M`, `1.5G`, `65536`; K, M, G, T are powers of 1024, an optional `B`/`iB` is accepted).
///
/// Code that holds big buffers for a while (network tensors, training datasets, augmented
/// samples) takes a ``Reservation`` for their bytes before allocating them and keeps it as
/// long as the buffers live; short-lived buffers are ``check(_:for:)``ed against what is held.
/// A request that would take the held total past the limit throws ``DeepCellError`` `io`
/// (exit 74, as an allocation the system refuses) in one line naming the limit, before
/// anything is allocated. Without a limit every request fits and only the total is kept.
public final class MemoryBudget: @unchecked Sendable {
  /// The environment variable the tools read.
  public static let environmentVariable = "DC_MAX_MEMORY"

  /// The limit in bytes; nil means none.
  public let limit: Int?
  /// How the limit was given, for messages (`DC_MAX_MEMORY=512M`).
  public let origin: String
  private let lock = NSLock()
  private var held = 0

  /// A budget of `limit` bytes (nil: unlimited); `origin` names where it came from.
  public init(limit: Int?, origin: String = "memory limit") {
    self.limit = limit
    self.origin = origin
  }

  /// The budget `DC_MAX_MEMORY` in `environment` sets (unlimited when it is unset or empty).
  /// Throws `usage` (exit 64) for a value that is not a size.
  public static func fromEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> MemoryBudget {
    guard let text = environment[environmentVariable], !text.isEmpty else {
      return MemoryBudget(limit: nil)
    }
    return MemoryBudget(
      limit: try parse(text, subject: environmentVariable),
      origin: "\(environmentVariable)=\(text)")
  }

  /// The budget of this process: unlimited until a tool installs its own
  /// (``RuntimeOptions/apply()`` installs ``fromEnvironment(_:)``). Library calls that take
  /// a budget default to it.
  public static var process: MemoryBudget {
    get { processLock.withLock { processBudget } }
    set { processLock.withLock { processBudget = newValue } }
  }
  private static let processLock = NSLock()
  nonisolated(unsafe) private static var processBudget = MemoryBudget(limit: nil)

  /// Bytes of a size such as `4G`, `512M`, `1.5GiB`, `65536`. Throws `usage` naming
  /// `subject` for anything else, zero included.
  public static func parse(_ text: String, subject: String) throws -> Int {
    var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
    for suffix in ["IB", "B"] where digits.hasSuffix(suffix) { digits.removeLast(suffix.count) }
    let units: [Character: Double] = [
      "K": 0x400, "M": 0x10_0000, "G": 0x4000_0000, "T": 0x100_0000_0000,
    ]
    var scale = 1.0
    if let last = digits.last, let unit = units[last] {
      scale = unit
      digits.removeLast()
    }
    guard let value = Double(digits), value.isFinite, value > 0,
      value * scale >= 1, value * scale < 0x1p62, digits.allSatisfy({ $0.isNumber || $0 == "." })
    else {
      throw DeepCellError(
        .usage, subject, "'\(text)' is not a memory size (examples: 4G, 512M, 65536)")
    }
    return Int(value * scale)
  }

  /// Bytes held by live reservations.
  public var inUse: Int { lock.withLock { held } }

  /// Takes `bytes` for `what` (e.g. "training images") until the reservation is released or
  /// deinitialized. Throws `io` when the held total plus `bytes` exceeds the limit.
  public func reserve(_ bytes: Int, for what: String) throws -> Reservation {
    try lock.withLock {
      try admit(bytes, for: what)
      held += bytes
    }
    return Reservation(budget: self, bytes: bytes)
  }

  /// Throws `io` when `bytes` more for `what` would not fit beside what is held (for
  /// buffers that live shortly and take no reservation).
  public func check(_ bytes: Int, for what: String) throws {
    try lock.withLock { try admit(bytes, for: what) }
  }

  /// Called with the lock held.
  private func admit(_ bytes: Int, for what: String) throws {
    guard let limit else { return }
    let (total, overflow) = held.addingReportingOverflow(max(bytes, 0))
    guard overflow || total > limit else { return }
    let already = held > 0 ? " beside \(Self.describe(held)) held" : ""
    throw DeepCellError(
      .io, "memory",
      "\(what): \(overflow ? "more than 8 EiB" : Self.describe(bytes)) needed\(already), more "
        + "than \(origin) allows (\(Self.describe(limit)))")
  }

  fileprivate func release(_ bytes: Int) { lock.withLock { held -= bytes } }

  /// `bytes` in GiB or MiB (one decimal) or in bytes below 1 MiB, for messages.
  public static func describe(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b >= 0x4000_0000 { return String(format: "%.1f GiB", b / 0x4000_0000) }
    if b >= 0x10_0000 { return String(format: "%.1f MiB", b / 0x10_0000) }
    return "\(bytes) bytes"
  }

  /// Bytes taken from a budget, given back by ``release()`` or when the last reference goes.
  /// Values that own big buffers (a ``FloatBuffer``, a batch) keep one.
  public final class Reservation: @unchecked Sendable {
    /// The budget the bytes came from.
    public let budget: MemoryBudget
    /// The bytes taken.
    public let bytes: Int
    private let lock = NSLock()
    private var released = false

    fileprivate init(budget: MemoryBudget, bytes: Int) {
      self.budget = budget
      self.bytes = bytes
    }

    /// Gives the bytes back (once; later calls do nothing).
    public func release() {
      let first = lock.withLock {
        defer { released = true }
        return !released
      }
      if first { budget.release(bytes) }
    }

    deinit { release() }
  }
}

/// `a × b × …` in bytes, or nil when the product overflows `Int` (sizes from user input).
func byteCount(_ factors: [Int]) -> Int? {
  var total = 1
  for f in factors {
    let (product, overflow) = total.multipliedReportingOverflow(by: max(f, 0))
    if overflow { return nil }
    total = product
  }
  return total
}
