import Foundation

extension TIFFDirectoryEditor {
  /// Fills in the StripOffsets (273) and StripByteCounts (279) entries of the IFD at
  /// `directory`, written by libtiff with deferred strile arrays (`TIFFDeferStrileArrayWriting`),
  /// for a page of one strip of `byteCount` bytes at `offset`.
  ///
  /// libtiff leaves such an entry as type 0, count 0, value 0 and fills it, when asked
  /// (`TIFFForceStrileArrayWriting`), with a count of 1 and the value inline: LONG (type 4) in
  /// a classic TIFF, LONG8 (type 16) in a BigTIFF. This does the same, byte for byte, for an
  /// uncompressed page whose place in the file is known before its pixels arrive, sparing the
  /// per-page libtiff round trip (re-reading the IFD, rewriting the two entries).
  func setSingleStrip(directory: UInt64, offset: UInt64, byteCount: UInt64) throws {
    guard isBigTIFF || (offset <= UInt64(UInt32.max) && byteCount <= UInt64(UInt32.max)) else {
      throw DeepCellError(.io, file.path, "the pixel data pass 4 GiB in a classic TIFF")
    }
    let entries = try entryCount(directory)
    let tableStart = directory + UInt64(countBytes)
    var table = try read(at: tableStart, count: entries * entryBytes)
    var found = 0
    for e in 0..<entries {
      let start = e * entryBytes
      let tag = value(table[start..<(start + 2)])
      guard tag == 273 || tag == 279 else { continue }
      store(isBigTIFF ? 16 : 4, count: 2, in: &table, at: start + 2)  // LONG / LONG8
      store(1, count: word, in: &table, at: start + 4)  // one strip
      store(tag == 273 ? offset : byteCount, count: word, in: &table, at: start + 4 + word)
      found += 1
    }
    guard found == 2 else {
      throw DeepCellError(.io, file.path, "a TIFF directory has no strip entries to fill in")
    }
    try write(table, at: tableStart)
  }
}
