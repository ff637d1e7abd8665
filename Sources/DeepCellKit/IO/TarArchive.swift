import Foundation

/// The POSIX ustar tar format (IEEE 1003.1-1988, as Python's `tarfile` reads and writes it),
/// the container of a `.trk` file (spec/track.md §5): 512-byte headers, member data padded to
/// 512 bytes, two zero blocks at the end. Sizes of 8 GiB or more use the GNU base-256 form.
enum TarArchive {
  /// The 512-byte ustar header of a regular file `name` (≤ 100 bytes) of `size` bytes.
  static func header(name: String, size: Int, modificationTime: Int = 0) -> [UInt8] {
    var h = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int, width: Int) {
      for (i, b) in text.utf8.prefix(width).enumerated() { h[offset + i] = b }
    }
    func octal(_ value: Int, at offset: Int, width: Int) {
      put(
        String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count))
          + String(value, radix: 8), at: offset, width: width - 1)
    }
    put(name, at: 0, width: 100)
    octal(0o644, at: 100, width: 8)
    octal(0, at: 108, width: 8)
    octal(0, at: 116, width: 8)
    if size < 0o77777777777 {
      octal(size, at: 124, width: 12)
    } else {
      h[124] = 0x80
      for i in 0..<8 { h[135 - i] = UInt8((size >> (8 * i)) & 0xFF) }
    }
    octal(modificationTime, at: 136, width: 12)
    h[156] = UInt8(ascii: "0")
    put("ustar", at: 257, width: 6)
    put("00", at: 263, width: 2)
    for i in 148..<156 { h[i] = 0x20 }
    let sum = h.reduce(0) { $0 + Int($1) }
    put(
      String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8),
      at: 148, width: 6)
    h[154] = 0
    h[155] = 0x20
    return h
  }

  /// Zero bytes that pad a member of `size` bytes to a multiple of 512.
  static func padding(forSize size: Int) -> [UInt8] {
    [UInt8](repeating: 0, count: (512 - size % 512) % 512)
  }

  /// The end-of-archive marker: two zero blocks.
  static let trailer = [UInt8](repeating: 0, count: 1024)

  /// A member header read from an archive.
  struct Member {
    var name: String
    var size: Int
    /// ustar type flag: `0`/NUL regular file, `x`/`g` PAX headers, `L` GNU long name, …
    var type: UInt8
  }

  /// The largest member size accepted (2⁵⁰ bytes, 1 PiB): far beyond any movie, and small
  /// enough that rounding it up to whole blocks cannot overflow.
  static let maximumMemberSize = 1 << 50

  /// Parses one 512-byte header; nil for a zero block (end of archive).
  ///
  /// - Throws: ``DeepCellError`` (`badData`) for a truncated header, a bad checksum or a size
  ///   above ``maximumMemberSize``.
  static func parseHeader(_ h: [UInt8], subject: String) throws -> Member? {
    guard h.count == 512 else { throw DeepCellError(.badData, subject, "tar archive is truncated") }
    if h.allSatisfy({ $0 == 0 }) { return nil }
    var stored = 0
    for i in 148..<156 {
      let c = h[i]
      if c == 0 || c == 0x20 { continue }
      guard c >= 0x30 && c <= 0x37 else {
        throw DeepCellError(.badData, subject, "not a tar archive (bad header checksum)")
      }
      stored = stored * 8 + Int(c - 0x30)
    }
    var sum = 0
    for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(b) }
    guard sum == stored else {
      throw DeepCellError(.badData, subject, "not a tar archive (bad header checksum)")
    }
    func text(_ offset: Int, _ width: Int) -> String {
      let bytes = h[offset..<(offset + width)].prefix { $0 != 0 }
      return String(decoding: bytes, as: UTF8.self)
    }
    var size = 0
    if h[124] & 0x80 != 0 {
      // GNU base-256: big-endian in the 11 bytes after the flag byte.
      for i in 125..<136 {
        guard size <= maximumMemberSize >> 8 else {
          throw DeepCellError(.badData, subject, "tar member size is impossibly large")
        }
        size = size << 8 | Int(h[i])
      }
    } else {
      for c in h[124..<136] where c >= 0x30 && c <= 0x37 { size = size * 8 + Int(c - 0x30) }
    }
    guard size <= maximumMemberSize else {
      throw DeepCellError(.badData, subject, "tar member size \(size) is impossibly large")
    }
    var name = text(0, 100)
    if text(257, 5) == "ustar" {
      let prefix = text(345, 155)
      if !prefix.isEmpty { name = prefix + "/" + name }
    }
    return Member(name: name, size: size, type: h[156])
  }
}
