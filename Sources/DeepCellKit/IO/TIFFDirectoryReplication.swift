import Foundation

extension TIFFDirectoryEditor {
  /// Bytes of one value of TIFF field type `type` (TIFF 6.0 §2 "Types"; BigTIFF's LONG8,
  /// SLONG8, IFD8), nil for a type this editor does not know.
  static func typeSize(_ type: UInt64) -> Int? {
    switch type {
    case 0: 0  // libtiff's placeholder for a deferred strile array (count 0)
    case 1, 2, 6, 7: 1  // BYTE, ASCII, SBYTE, UNDEFINED
    case 3, 8: 2  // SHORT, SSHORT
    case 4, 9, 11, 13: 4  // LONG, SLONG, FLOAT, IFD
    case 5, 10, 12, 16, 17, 18: 8  // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
    default: nil
    }
  }

  /// Appends `copies` copies of the file's last IFD, chained after it, when the file holds
  /// at least two IFDs and the last one, with its out-of-line values, ends the file, as
  /// `TIFFWriteDirectory` leaves it.
  ///
  /// The last IFD's block (its entry table and the values that do not fit in their entries,
  /// which libtiff writes right after the table) runs to the end of the file; each copy is
  /// that block shifted by a whole, even number of bytes (IFDs and values stay on word
  /// boundaries, TIFF 6.0 §2), with every out-of-line value offset shifted alike and the
  /// next-IFD offsets chaining the copies. The result is byte for byte what libtiff writes
  /// when given the same tags once a page. Returns false, having written nothing, when the
  /// layout is not the expected one (the caller then lets libtiff write the rest).
  func replicateLastDirectory(copies: Int) throws -> Bool {
    guard copies > 0 else { return true }
    let directories = try directoryOffsets(limit: Int.max)
    guard directories.count >= 2 else { return false }
    let previous = directories[directories.count - 2]
    let previousEnd = nextPointerOffset(previous, entries: try entryCount(previous)) + UInt64(word)
    let last = directories[directories.count - 1]
    let entries = try entryCount(last)
    let tableEnd = nextPointerOffset(last, entries: entries) + UInt64(word)
    let fileEnd = file.fileSize
    guard previousEnd <= last, tableEnd <= fileEnd else { return false }
    let table = try read(at: last, count: Int(tableEnd - last))
    // Entries whose values do not fit in the entry point into the block: note where their
    // offset fields are, to shift them in each copy.
    var offsetFields: [(index: Int, target: UInt64)] = []
    var blockStart = last
    for e in 0..<entries {
      let start = countBytes + e * entryBytes
      guard let size = Self.typeSize(value(table[(start + 2)..<(start + 4)])) else { return false }
      let count = value(table[(start + 4)..<(start + 4 + word)])
      let (bytes, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
      guard !overflow else { return false }
      if bytes > UInt64(word) {
        let field = start + 4 + word
        let target = value(table[field..<(field + word)])
        let inside = target >= previousEnd && target + bytes <= fileEnd
        guard inside, target + bytes <= last || target >= tableEnd else { return false }
        offsetFields.append((field, target))
        blockStart = min(blockStart, target)
      }
    }
    var block = try read(at: blockStart, count: Int(fileEnd - blockStart))
    if block.count % 2 == 1 { block.append(0) }
    let stride = UInt64(block.count)
    let tableIndex = Int(last - blockStart)
    let nextIndex = tableIndex + table.count - word
    // The copies, built in memory, then written in pieces small enough to stay in the
    // write-back file's copy of the file head.
    var copiesBytes = [UInt8]()
    copiesBytes.reserveCapacity(block.count * copies)
    for k in 1...copies {
      let shift = UInt64(k) * stride
      for (field, target) in offsetFields {
        store(target + shift, count: word, in: &block, at: tableIndex + field)
      }
      store(k < copies ? last + shift + stride : 0, count: word, in: &block, at: nextIndex)
      copiesBytes += block
    }
    let firstCopy = blockStart + stride
    if firstCopy > fileEnd {
      try write([UInt8](repeating: 0, count: Int(firstCopy - fileEnd)), at: fileEnd)
    }
    let piece = 32 << 10
    var start = 0
    while start < copiesBytes.count {
      let end = min(copiesBytes.count, start + piece)
      try write(Array(copiesBytes[start..<end]), at: firstCopy + UInt64(start))
      start = end
    }
    var link = [UInt8](repeating: 0, count: word)
    store(last + stride, count: word, in: &link, at: 0)
    try write(link, at: tableEnd - UInt64(word))
    return true
  }
}
