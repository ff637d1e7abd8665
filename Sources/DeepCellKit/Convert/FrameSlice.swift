/// A selection of frames in Python's slice syntax, `START:STOP:STEP` with each part
/// optional (`0:100:2`, `::-1`, `-10:`), or a single index (`5`, `-1` the last frame), as
/// numpy selects `stack[START:STOP:STEP]` or `stack[[i]]`.
public struct FrameSlice: Sendable, Equatable, CustomStringConvertible {
  /// First index (nil: from the start, or from the end for a negative step).
  public var start: Int?
  /// Index the selection stops before (nil: through the end, or the start).
  public var stop: Int?
  /// Step between indices; never 0.
  public var step: Int
  /// True for a single index (`5`): out of range is an error, not an empty selection.
  public var isIndex: Bool

  /// Parses `START:STOP:STEP`, `START:STOP` or one index; nil for anything else or a
  /// zero step.
  public init?(parsing text: String) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    func number(_ s: String) -> Int?? {
      if s.isEmpty { return .some(nil) }
      guard let n = Int(s) else { return nil }
      return .some(n)
    }
    switch parts.count {
    case 1:
      guard let n = Int(parts[0]) else { return nil }
      (start, stop, step, isIndex) = (n, nil, 1, true)
    case 2, 3:
      guard let a = number(parts[0]), let b = number(parts[1]) else { return nil }
      var s = 1
      if parts.count == 3, !parts[2].isEmpty {
        guard let n = Int(parts[2]), n != 0 else { return nil }
        s = n
      }
      (start, stop, step, isIndex) = (a, b, s, false)
    default:
      return nil
    }
  }

  /// `START:STOP:STEP` as given (empty parts left empty), or the index.
  public var description: String {
    if isIndex { return String(start!) }
    return "\(start.map(String.init) ?? ""):\(stop.map(String.init) ?? ""):\(step)"
  }

  /// The selected indices of a stack of `count` frames, in order, as Python computes
  /// `range(count)[START:STOP:STEP]`: negative indices count from the end, and a slice
  /// reaching past either end is cut there. Throws `usage` naming `subject` for an index
  /// outside the stack or a slice that selects nothing.
  public func indices(count: Int, subject: String) throws -> [Int] {
    if isIndex {
      let i = start! < 0 ? start! + count : start!
      guard i >= 0, i < count else {
        throw DeepCellError(
          .usage, subject, "frame \(start!) does not exist (the stack has \(count) frames)")
      }
      return [i]
    }
    func resolve(_ value: Int?, _ fallback: Int, _ low: Int, _ high: Int) -> Int {
      guard var v = value else { return fallback }
      if v < 0 { v += count }
      return min(max(v, low), high)
    }
    let result: [Int]
    if step > 0 {
      let a = resolve(start, 0, 0, count)
      let b = resolve(stop, count, 0, count)
      result = a < b ? Array(stride(from: a, to: b, by: step)) : []
    } else {
      let a = resolve(start, count - 1, -1, count - 1)
      let b = resolve(stop, -1, -1, count - 1)
      result = a > b ? Array(stride(from: a, to: b, by: step)) : []
    }
    guard !result.isEmpty else {
      throw DeepCellError(
        .usage, subject, "--frames \(self) selects no frame of the \(count) in the stack")
    }
    return result
  }
}

/// The frames of another reader at the given indices, in that order (``FrameSlice``).
public final class FrameSelectingReader: StackReader {
  /// The reader whose frames are selected.
  public let base: any StackReader
  /// The indices of `base` read, in output order.
  public let indices: [Int]

  /// Z slices a time point of the selection, when known (a ``HyperstackSelection``).
  private let slices: Int?

  /// Frames `indices` of `base` (each in `0..<base.frameCount`), which are time points of
  /// `slices` Z slices when given.
  public init(_ base: any StackReader, indices: [Int], slices: Int? = nil) {
    precondition(indices.allSatisfy { $0 >= 0 && $0 < base.frameCount }, "frame out of range")
    self.base = base
    self.indices = indices
    self.slices = slices
  }

  public var frameCount: Int { indices.count }
  public var frameShape: [Int] { base.frameShape }
  public var dtype: DType { base.dtype }
  /// The base's pixel size; Z slices as given, else the base's when every frame is kept in
  /// order, else 1.
  public var metadata: StackMetadata {
    var m = base.metadata
    if let slices {
      m.slices = slices
    } else if indices != Array(0..<base.frameCount) {
      m.slices = 1
    }
    return m
  }

  public func readFrame(_ index: Int) throws -> NDArray { try base.readFrame(indices[index]) }
}
