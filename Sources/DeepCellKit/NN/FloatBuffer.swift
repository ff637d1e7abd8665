import Foundation

/// A 64-byte aligned, fixed-length float32 buffer owned by a class, so layers can hand the
/// same memory to oneDNN, OpenBLAS and Swift kernels without copies (backend.md §6: oneDNN
/// memory is allocated with `posix_memalign(64)` and passed as a handle).
public final class FloatBuffer {
  /// The first element.
  public let pointer: UnsafeMutablePointer<Float>
  /// Number of elements.
  public let count: Int
  /// The buffer's share of the memory budget, held as long as the buffer lives.
  let reservation: MemoryBudget.Reservation

  /// A zero-filled buffer of `count` floats, reserved from `budget` (network tensors of
  /// training and prediction all live in these buffers).
  ///
  /// - Throws: ``DeepCellError`` (`io`, exit 74) when the buffer cannot exist: more bytes than
  ///   `Int` holds, more than the machine's physical memory (which Linux would grant lazily
  ///   and then kill the process while zeroing), more than `budget` has left, or an
  ///   allocation the system refuses. The sizes come from user input (batch size, crop,
  ///   frame, model file), so this is an error, not a crash.
  public init(count: Int, budget: MemoryBudget = .process) throws {
    precondition(count >= 0, "negative buffer length")
    let elements = max(count, 1)
    let (bytes, overflow) = elements.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
    guard !overflow, UInt64(bytes) <= ProcessInfo.processInfo.physicalMemory else {
      throw DeepCellError(
        .io, "memory",
        "cannot allocate \(count) floats (\(FloatBuffer.describe(count))): more than this "
          + "machine's \(FloatBuffer.describe(bytes: ProcessInfo.processInfo.physicalMemory))")
    }
    reservation = try budget.reserve(bytes, for: "network buffers")
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
      throw DeepCellError(
        .io, "memory", "out of memory allocating \(FloatBuffer.describe(bytes: UInt64(bytes)))")
    }
    memset(raw, 0, bytes)
    pointer = raw.bindMemory(to: Float.self, capacity: elements)
    self.count = count
  }

  /// `count` floats as a byte size in GiB or MiB, for messages (saturating for huge counts).
  static func describe(_ count: Int) -> String {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
    return overflow ? "more than 8 EiB" : describe(bytes: UInt64(bytes))
  }

  /// A byte size in GiB (one decimal) or MiB, for messages.
  static func describe(bytes: UInt64) -> String {
    let gib = Double(bytes) / Double(1 << 30)
    if gib >= 1 { return String(format: "%.1f GiB", gib) }
    return String(format: "%.0f MiB", Double(bytes) / Double(1 << 20))
  }

  /// A buffer holding `values`.
  ///
  /// - Throws: ``DeepCellError`` (`io`) as ``init(count:)``.
  public convenience init(_ values: [Float]) throws {
    try self.init(count: values.count)
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
  }

  deinit { free(pointer) }

  /// The elements as a buffer pointer.
  public var buffer: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer, count: count)
  }

  /// A copy of the elements.
  public var values: [Float] { Array(buffer) }

  /// Sets every element to zero.
  public func zero() { memset(pointer, 0, count * MemoryLayout<Float>.size) }

  /// Copies all elements from `other` (same count).
  public func copy(from other: FloatBuffer) {
    precondition(other.count == count, "buffer lengths differ")
    pointer.update(from: other.pointer, count: count)
  }
}
