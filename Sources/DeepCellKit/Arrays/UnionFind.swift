/// Disjoint sets over the nodes 0..<count (union–find with path halving, Tarjan & van Leeuwen
/// 1984). Callers link two roots themselves through ``parent``, each with its own rule, since
/// that rule fixes which node names a component.
struct UnionFind {
  /// The parent of each node; a root is its own parent.
  var parent: [Int]

  /// `count` singleton sets.
  init(count: Int) { parent = Array(0..<count) }

  /// The root of `x`'s set, halving the path on the way.
  mutating func find(_ x: Int) -> Int {
    var x = x
    while parent[x] != x {
      parent[x] = parent[parent[x]]
      x = parent[x]
    }
    return x
  }
}
