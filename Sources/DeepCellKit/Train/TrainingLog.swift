import Foundation

/// The CSV log of Keras' `CSVLogger` as model.md §9 describes it: a header `epoch` then every
/// log key sorted, one row per epoch, CRLF line ends, losses as Python floats of the float32
/// values, `lr` as numpy prints a float32, `NA` for a missing key.
public enum TrainingLog {
  /// The header for heads `0..<headCount`.
  public static func columns(headCount: Int) -> [String] {
    var keys = ["loss", "lr", "val_loss"]
    for i in 0..<headCount { keys += ["semantic_\(i)_loss", "val_semantic_\(i)_loss"] }
    return ["epoch"] + keys.sorted()
  }

  /// The header line with CRLF.
  public static func header(headCount: Int) -> String {
    columns(headCount: headCount).joined(separator: ",") + "\r\n"
  }

  /// One row: `values` by key (losses), `lr` the learning rate in force.
  public static func row(epoch: Int, lr: Float, values: [String: Float], headCount: Int) -> String {
    columns(headCount: headCount).map { key -> String in
      switch key {
      case "epoch": return String(epoch)
      case "lr": return numpyFloat32(lr)
      default: return values[key].map { "\(Double($0))" } ?? "NA"
      }
    }.joined(separator: ",") + "\r\n"
  }

  /// numpy's repr of a float32: shortest round-trip digits, positional for
  /// 1e-4 ≤ |v| < 1e16, else scientific with a two-digit exponent (`9.9e-05`, `1e-04`).
  public static func numpyFloat32(_ v: Float) -> String {
    let text = v.description
    let a = Double(abs(v))
    if v == 0 || (a >= 1e-4 && a < 1e16) {
      return text.hasSuffix(".0") ? String(text.dropLast(1)) : text
    }
    // Shortest digits and decimal exponent from Swift's shortest representation.
    var mantissa = text
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = String(text[..<e])
      exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    let negative = mantissa.hasPrefix("-")
    if negative { mantissa.removeFirst() }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = String(parts[0])
    let fracPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = intPart + fracPart
    var pointExp = intPart.count - 1 + exponent
    while digits.hasPrefix("0") && digits.count > 1 {
      digits.removeFirst()
      pointExp -= 1
    }
    while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
    let lead = String(digits.prefix(1))
    let rest = String(digits.dropFirst())
    let exp = String(format: "%@%02d", pointExp < 0 ? "-" : "+", abs(pointExp))
    return (negative ? "-" : "") + lead + (rest.isEmpty ? "" : "." + rest) + "e" + exp
  }
}
