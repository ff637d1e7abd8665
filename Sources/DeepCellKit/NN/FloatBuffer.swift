import Foundation

/// A 64-byte aligned, fixed-length float32 buffer owned by a class, so layers can hand the
/// same memory to oneDNN, OpenBLAS and Swift kernels without copies (backend.md §6: oneDNN
/// memory is allocated with `posix_memalign(64)` and passed as a handle).
public final class FloatBuffer {
  /// The first element.
  public let pointer: UnsafeMutablePointer<Float>
  /// Number of elements.
  public let count: Int

  /// A zero-filled buffer of `count` floats.
  public init(count: Int) {
    precondition(count >= 0, "negative buffer length")
    var raw: UnsafeMutableRawPointer?
    let bytes = max(count, 1) * MemoryLayout<Float>.size
    guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
      fatalError("out of memory allocating \(bytes) bytes")
    }
    memset(raw, 0, bytes)
    pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    self.count = count
  }

  /// A buffer holding `values`.
  public convenience init(_ values: [Float]) {
    self.init(count: values.count)
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
