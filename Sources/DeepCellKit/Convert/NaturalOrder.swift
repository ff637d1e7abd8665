/// Natural sort order of file names, as file managers list `t2.tif` before `t10.tif`:
/// runs of digits compare by their numeric value (then fewer leading zeros first), other
/// runs by their Unicode scalars.
public enum NaturalOrder {
  /// Whether `a` sorts before `b`.
  public static func areInIncreasingOrder(_ a: String, _ b: String) -> Bool {
    let x = runs(a)
    let y = runs(b)
    for (p, q) in zip(x, y) where p != q {
      switch (p.isDigits, q.isDigits) {
      case (true, true):
        let u = p.text.drop { $0 == "0" }
        let v = q.text.drop { $0 == "0" }
        if u.count != v.count { return u.count < v.count }
        if u != v { return u.unicodeScalars.lexicographicallyPrecedes(v.unicodeScalars) }
        return p.text.count < q.text.count
      default:
        return p.text.unicodeScalars.lexicographicallyPrecedes(q.text.unicodeScalars)
      }
    }
    return x.count < y.count
  }

  /// `paths` in natural order.
  public static func sorted(_ paths: [String]) -> [String] {
    paths.sorted(by: areInIncreasingOrder)
  }

  struct Run: Equatable {
    var text: Substring
    var isDigits: Bool
  }

  /// `s` cut into maximal runs of ASCII digits and of other characters.
  static func runs(_ s: String) -> [Run] {
    var result: [Run] = []
    var start = s.startIndex
    var i = s.startIndex
    while i < s.endIndex {
      let digit = s[i].isASCII && s[i].isNumber
      var j = s.index(after: i)
      while j < s.endIndex && (s[j].isASCII && s[j].isNumber) == digit { j = s.index(after: j) }
      result.append(Run(text: s[start..<j], isDigits: digit))
      start = j
      i = j
    }
    return result
  }
}
