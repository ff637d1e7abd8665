/// The file names `--split` gives frames: a pattern with one Python-style field for the
/// frame number, `{}`, `{:d}`, `{:Nd}` (padded with spaces) or `{:0Nd}` (zeros), e.g.
/// `t{:03d}.tif` → `t000.tif`, `t001.tif` … (the Cell Tracking Challenge's names). The
/// extension chooses the format, as for `-o`.
public struct SplitPattern: Sendable, Equatable {
  /// The text before the field.
  public var prefix: String
  /// The text after the field (ends with the extension).
  public var suffix: String
  /// Minimum width of the number.
  public var width: Int
  /// Pad with zeros (else spaces).
  public var zeroPadded: Bool
  /// The format the extension names.
  public var format: FileFormat

  /// Parses `pattern`. Throws `usage` when it has no field or several, an unknown field,
  /// a `/`, or no extension the tools write.
  public init(_ pattern: String) throws {
    func fail(_ why: String) -> DeepCellError {
      DeepCellError(.usage, "--pattern '\(pattern)'", why)
    }
    guard !pattern.contains("/") else {
      throw fail("names files inside the --split folder: no '/'")
    }
    guard let open = pattern.firstIndex(of: "{"), let close = pattern.firstIndex(of: "}"),
      open < close
    else { throw fail("needs a field for the frame number, e.g. t{:03d}.tif") }
    prefix = String(pattern[..<open])
    suffix = String(pattern[pattern.index(after: close)...])
    guard !suffix.contains("{"), !suffix.contains("}"), !prefix.contains("}") else {
      throw fail("has more than one field")
    }
    var spec = pattern[pattern.index(after: open)..<close]
    (width, zeroPadded) = (0, false)
    if !spec.isEmpty {
      guard spec.hasPrefix(":"), spec.hasSuffix("d") || spec == ":" else {
        throw fail("field {\(spec)} is not {}, {:d}, {:Nd} or {:0Nd}")
      }
      spec = spec.dropFirst().dropLast(spec.hasSuffix("d") ? 1 : 0)
      zeroPadded = spec.hasPrefix("0")
      guard spec.isEmpty || (Int(spec).map { $0 >= 0 && $0 <= 32 } ?? false) else {
        throw fail("field width '\(spec)' is not a number up to 32")
      }
      width = Int(spec) ?? 0
    }
    guard let format = FileFormat.fromExtension(suffix) else {
      throw fail("needs an extension naming the format: .tif, .ome.tif, .png, .npy or .npz")
    }
    self.format = format
  }

  /// The file name of frame `index`.
  public func name(_ index: Int) -> String {
    let digits = String(index)
    let pad = String(repeating: zeroPadded ? "0" : " ", count: max(0, width - digits.count))
    return prefix + pad + digits + suffix
  }
}
