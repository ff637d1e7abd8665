/// A choice of Z slices and time points of a hyperstack whose frames are T time points of
/// Z slices each (frame `t · Z + z`, ImageJ's and OME-TIFF's order as the readers give it;
/// ``StackMetadata/slices`` is Z): `--z 2` keeps slice 2 of every time point, `--t 0,5`
/// time points 0 and 5 with all their slices. Indices are 0-based; negative ones count from
/// the end, as in Python.
public struct HyperstackSelection: Sendable, Equatable {
  /// Z slices kept, in order (nil: all).
  public var z: [Int]?
  /// Time points kept, in order (nil: all).
  public var t: [Int]?

  /// Keeps slices `z` of time points `t` (nil: all).
  public init(z: [Int]? = nil, t: [Int]? = nil) {
    self.z = z
    self.t = t
  }

  /// A comma-separated index list (`0`, `2,0`, `-1`); nil when malformed or empty.
  public static func parseList(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
    return parts.map { $0! }
  }

  /// The frames kept of `frameCount` frames of `slices` Z slices each, time point by time
  /// point, and the number of Z slices of each kept time point. Throws `usage` naming
  /// `subject` for an index outside the hyperstack.
  public func indices(frameCount: Int, slices: Int, subject: String) throws -> (
    frames: [Int], slices: Int
  ) {
    let zCount = max(1, slices)
    let tCount = frameCount / zCount
    func resolve(_ list: [Int]?, _ count: Int, _ axis: String) throws -> [Int] {
      guard let list else { return Array(0..<count) }
      return try list.map { i in
        let k = i < 0 ? i + count : i
        guard k >= 0, k < count else {
          throw DeepCellError(
            .usage, subject,
            "\(axis) \(i) does not exist (the stack has \(count) \(axis == "Z slice" ? "Z slices" : "time points"))"
          )
        }
        return k
      }
    }
    let zs = try resolve(z, zCount, "Z slice")
    let ts = try resolve(t, tCount, "time point")
    return (ts.flatMap { t in zs.map { t * zCount + $0 } }, zs.count)
  }
}
