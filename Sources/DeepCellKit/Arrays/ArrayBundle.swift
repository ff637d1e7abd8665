/// An ordered set of named arrays: the content of an NPZ file and the unit the tools pass
/// along a pipeline (design.md, "Named arrays": `X`, `y`, `inner_distance`, `outer_distance`,
/// `fgbg`). Order is insertion order, as in an NPZ; names are unique.
public struct ArrayBundle: Sendable, Equatable {
  /// The arrays with their names, in order.
  public private(set) var entries: [(name: String, array: NDArray)]

  /// An empty bundle.
  public init() { entries = [] }

  /// A bundle of the given arrays; a later duplicate name replaces the earlier array.
  public init(_ entries: [(String, NDArray)]) {
    self.entries = []
    for (name, array) in entries { self[name] = array }
  }

  /// The names in order.
  public var names: [String] { entries.map(\.name) }

  /// Whether the bundle holds no arrays.
  public var isEmpty: Bool { entries.isEmpty }

  /// The array named `name`; setting nil removes it, setting a new name appends it.
  public subscript(name: String) -> NDArray? {
    get { entries.first { $0.name == name }?.array }
    set {
      if let i = entries.firstIndex(where: { $0.name == name }) {
        if let newValue { entries[i].array = newValue } else { entries.remove(at: i) }
      } else if let newValue {
        entries.append((name, newValue))
      }
    }
  }

  public static func == (a: ArrayBundle, b: ArrayBundle) -> Bool {
    a.entries.count == b.entries.count
      && zip(a.entries, b.entries).allSatisfy { $0.name == $1.name && $0.array == $1.array }
  }
}

/// The array names the tools agree on (design.md, "Named arrays").
public enum ArrayName {
  /// The image stack.
  public static let image = "X"
  /// The instance-label stack.
  public static let labels = "y"
  /// The inner-distance map (augment.md §5).
  public static let innerDistance = "inner_distance"
  /// The outer-distance map (augment.md §5).
  public static let outerDistance = "outer_distance"
  /// The two-channel background/foreground map.
  public static let fgbg = "fgbg"
}
