import CZlib

/// CRC-32 (ISO 3309, the ZIP checksum, APPNOTE 4.4.7) of `bytes` continued from `crc`.
func crc32Update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
  guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
  return UInt32(
    truncatingIfNeeded: crc32_z(UInt(crc), base.assumingMemoryBound(to: UInt8.self), bytes.count))
}

/// Raw-deflate (RFC 1951) decompression through zlib's `inflate` with window bits −15:
/// the stream a ZIP member of method 8 holds (APPNOTE 4.4.5), as `np.savez_compressed`
/// writes it.
final class RawInflater {
  private let stream: UnsafeMutablePointer<z_stream>
  /// Whether the deflate stream's final block has been decoded.
  private(set) var finished = false

  init() throws {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = inflateInit2_(stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deallocate()
      throw DeepCellError(.io, "zlib", "inflateInit2 failed (\(status))")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
  }

  /// Starts over for a new stream.
  func reset() {
    inflateReset(stream)
    finished = false
  }

  /// Decodes from `input` into `output`; returns the bytes consumed and produced.
  /// Throws `badData` naming `subject` for a corrupt stream.
  func inflate(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, subject: String
  ) throws -> (
    consumed: Int, produced: Int
  ) {
    if finished || output.count == 0 { return (0, 0) }
    let inCount = min(input.count, Int(UInt32.max))
    let outCount = min(output.count, Int(UInt32.max))
    stream.pointee.next_in =
      inCount > 0
      ? UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self)) : nil
    stream.pointee.avail_in = UInt32(inCount)
    stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
    stream.pointee.avail_out = UInt32(outCount)
    let status = CZlib.inflate(stream, Z_NO_FLUSH)
    let consumed = inCount - Int(stream.pointee.avail_in)
    let produced = outCount - Int(stream.pointee.avail_out)
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    switch status {
    case Z_OK, Z_BUF_ERROR: break
    case Z_STREAM_END: finished = true
    case Z_MEM_ERROR: throw DeepCellError(.io, subject, "out of memory while inflating")
    default: throw DeepCellError(.badData, subject, "corrupt deflate stream")
    }
    return (consumed, produced)
  }
}

/// Raw-deflate (RFC 1951) compression through zlib's `deflate` with window bits −15,
/// zlib's default level 6 and memory level 8: what Python's `zipfile` (and so
/// `np.savez_compressed`) writes for method 8.
final class RawDeflater {
  private let stream: UnsafeMutablePointer<z_stream>
  private var output = [UInt8](repeating: 0, count: 1 << 18)

  init(level: Int32 = Z_DEFAULT_COMPRESSION) throws {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = deflateInit2_(
      stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
      Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deallocate()
      throw DeepCellError(.io, "zlib", "deflateInit2 failed (\(status))")
    }
  }

  deinit {
    deflateEnd(stream)
    stream.deallocate()
  }

  /// Starts a new stream.
  func reset() { deflateReset(stream) }

  /// Compresses `input` (and with `finish`, ends the stream), handing each produced chunk to `sink`.
  func deflate(
    _ input: UnsafeRawBufferPointer, finish: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var offset = 0
    repeat {
      let chunk = min(input.count - offset, 1 << 30)
      let last = offset + chunk == input.count
      stream.pointee.next_in =
        chunk > 0
        ? UnsafeMutablePointer(
          mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self))
        : nil
      stream.pointee.avail_in = UInt32(chunk)
      let flush = finish && last ? Z_FINISH : Z_NO_FLUSH
      while true {
        let (status, produced) = output.withUnsafeMutableBytes { out -> (Int32, Int) in
          stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
          stream.pointee.avail_out = UInt32(out.count)
          let status = CZlib.deflate(stream, flush)
          return (status, out.count - Int(stream.pointee.avail_out))
        }
        if status == Z_STREAM_ERROR { throw DeepCellError(.io, "zlib", "deflate failed") }
        if produced > 0 {
          try output.withUnsafeBytes {
            try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced]))
          }
        }
        if flush == Z_FINISH {
          if status == Z_STREAM_END { break }
        } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
          break
        }
      }
      offset += chunk
    } while offset < input.count
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
  }
}
