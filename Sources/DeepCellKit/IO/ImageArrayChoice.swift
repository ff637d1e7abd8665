extension InputFile {
  /// The image array of a tool's input (design.md, "Inputs"): `requested` (a tool's
  /// `--array`), else `X`, else the only array. An NPZ with several arrays and no `X`, or
  /// none, is bad data (exit 65). Arrays named in `ignoring` (metadata such as a pixel-size
  /// array) are not candidates for the only array.
  public func imageArrayName(_ requested: String?, ignoring: Set<String> = []) throws -> String {
    if let requested { return try resolve(requested) }
    let names = arrayNames.filter { !ignoring.contains($0) }
    if names.contains(ArrayName.image) { return ArrayName.image }
    if names.count == 1 { return names[0] }
    throw DeepCellError(
      .badData, subject,
      names.isEmpty
        ? "holds no arrays"
        : "no array 'X' (arrays: \(names.joined(separator: ", "))); choose one with --array")
  }
}
