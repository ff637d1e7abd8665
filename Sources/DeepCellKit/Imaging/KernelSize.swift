import Foundation

/// The height and width of CLAHE's contextual regions (normalize.md §1.1 c): skimage's
/// `kernel_size`, an int `k` meaning `(k, k)` or a pair `(kh, kw)`.
public struct KernelSize: Sendable, Equatable, CustomStringConvertible {
  /// Rows per contextual region.
  public var height: Int
  /// Columns per contextual region.
  public var width: Int

  /// A `height × width` kernel.
  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  /// A square `k × k` kernel (skimage broadcasts an int `kernel_size` to every axis).
  public init(_ k: Int) { self.init(height: k, width: k) }

  /// skimage's default for an `height × width` plane: `(max(H // 8, 1), max(W // 8, 1))`.
  public static func defaultSize(height: Int, width: Int) -> KernelSize {
    KernelSize(height: max(height / 8, 1), width: max(width / 8, 1))
  }

  /// Parses `K` or `KH,KW` (also `KHxKW`); nil when malformed or not positive.
  public init?(parsing text: String) {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
      .flatMap { $0.split(separator: "x", omittingEmptySubsequences: false) }
      .map { $0.trimmingCharacters(in: .whitespaces) }
    let numbers = parts.compactMap { Int($0) }
    guard numbers.count == parts.count, numbers.allSatisfy({ $0 > 0 }) else { return nil }
    switch numbers.count {
    case 1: self.init(numbers[0])
    case 2: self.init(height: numbers[0], width: numbers[1])
    default: return nil
    }
  }

  /// `K` for a square kernel, else `KH,KW`.
  public var description: String { height == width ? "\(height)" : "\(height),\(width)" }
}
