import CTIFF
import Foundation

/// How ``TIFFStackWriter`` stores a stack.
public struct TIFFWriteOptions: Sendable, Equatable {
  /// Pixel-data compression.
  public enum Compression: Sendable, Equatable {
    /// Uncompressed, one strip per plane.
    case none
    /// Deflate ("Adobe Deflate", code 8) through libtiff's codec (libdeflate in Debian's
    /// libtiff, else zlib), strips of about 256 KiB as tifffile writes them.
    case deflate
  }

  /// When to write BigTIFF (64-bit offsets) instead of classic TIFF.
  public enum BigTIFF: Sendable, Equatable {
    /// When the file could pass 4 GiB (``TIFFStackWriter/needsBigTIFF(dataBytes:pageCount:)``).
    case automatic
    /// Always BigTIFF.
    case always
    /// Always classic TIFF (fails when the file passes 4 GiB).
    case never
  }

  /// Pixel-data compression; `.none` by default.
  public var compression: Compression
  /// Deflate level 1–9 for `.deflate`. The default 1 is the fast end: on a (100, 512, 512)
  /// uint16 microscopy-like stack libdeflate level 1 took about half the CPU time of level 6
  /// for a 2% larger file, and label images came out within 7% (bench/tiff_io.sh).
  public var deflateLevel: Int
  /// Write the ImageJ hyperstack description so Fiji opens a (T, C) hyperstack, channels
  /// as separate planes in TZCYX order. Applies to ImageJ's pixel types uint8, uint16 and
  /// float32; other types get tifffile's shaped description.
  public var imageJ: Bool
  /// BigTIFF choice.
  public var bigTIFF: BigTIFF
  /// Write an OME-TIFF instead (wins over ``imageJ``): one grayscale page a channel plane
  /// in ImageJ's order and OME-XML on page 0 (``OMEMetadata/singleImageXML``), as tifffile,
  /// Fiji and Bio-Formats read it. Every type but bool, 64-bit integers and float16.
  public var ome: Bool
  /// Z slices a time point for OME-TIFF: the frames are `frames / slices` time points of
  /// `slices` Z planes (1: a time series).
  public var slices: Int
  /// The pixel size to record, if known: in the OME-XML, and in the resolution tags
  /// (pixels per µm with ImageJ's `unit=micron`, else pixels per centimetre).
  public var pixelSize: PixelSize?
  /// What the tools did to the stack, written into the first page's description: the
  /// ImageJ or shaped JSON description, or the OME-XML's annotations (``StackProvenance``);
  /// nil writes none.
  public var provenance: StackProvenance?

  /// Options with the defaults: uncompressed, ImageJ description, automatic BigTIFF.
  public init(
    compression: Compression = .none, deflateLevel: Int = 1, imageJ: Bool = true,
    bigTIFF: BigTIFF = .automatic, ome: Bool = false, slices: Int = 1,
    pixelSize: PixelSize? = nil, provenance: StackProvenance? = nil
  ) {
    self.compression = compression
    self.deflateLevel = deflateLevel
    self.imageJ = imageJ
    self.bigTIFF = bigTIFF
    self.ome = ome
    self.slices = slices
    self.pixelSize = pixelSize
    self.provenance = provenance
  }
}

/// Writes a (frames, height, width, channels) stack to a multi-page TIFF through libtiff,
/// frame by frame (spec/io.md §4).
///
/// With ImageJ metadata (the default, for uint8/uint16/float32) every channel of every frame
/// is one grayscale page, in TZCYX order, and page 0 carries
/// `ImageJ=1.11a\nimages=N\nchannels=C\nframes=T\nhyperstack=true\nmode=grayscale\nloop=false\n`.
/// Otherwise a frame is one page with C samples per pixel (RGB for 3-channel uint8/uint16)
/// and page 0 carries tifffile's `{"shape": [T, H, W(, C)]}`. Samples carry SampleFormat
/// (uint, int, IEEE float). With ``TIFFWriteOptions/ome`` the pages are as for ImageJ and
/// page 0 carries OME-XML instead. All IFDs are written when the writer opens (their strip arrays
/// deferred; libtiff writes pages 0 and 1, the others are copies of page 1's,
/// ``TIFFDirectoryEditor/replicateLastDirectory(copies:)``) and the pixel data follow in
/// page order, contiguous when uncompressed: the layout ImageJ writes and reads back as one
/// block. Uncompressed pages get their strip entries filled in at once and their pixels go
/// to the file without libtiff, one write a page from the frame appended (nothing kept, so a
/// stream of frames reuses one frame's memory); deflated pages go through libtiff's codec.
/// BigTIFF is chosen when the file could pass 4 GiB (``needsBigTIFF(dataBytes:pageCount:)``). The file is written to `path` directly;
/// ``abort()`` deletes it.
public final class TIFFStackWriter: StackWriter {
  /// The file written.
  public let path: String
  /// Element type of every frame.
  public let dtype: DType
  /// [height, width, channels] of every frame.
  public let frameShape: [Int]
  /// Number of frames the file will hold.
  public let frameCount: Int
  /// The options in force.
  public let options: TIFFWriteOptions
  /// Whether the file is a BigTIFF.
  public let isBigTIFF: Bool
  /// Whether the ImageJ hyperstack layout and description are written.
  public let writesImageJ: Bool
  /// Whether an OME-TIFF is written.
  public let writesOME: Bool
  /// Whether each channel of a frame is a page of its own (ImageJ and OME-TIFF).
  private let channelPages: Bool

  /// How many IFDs were copied from page 1's rather than written by libtiff.
  private(set) var copiedDirectories = 0

  private var handle: TIFFHandle?
  private var written = 0
  private var page = 0
  private var currentDirectory = 0
  /// Where the pixel data of uncompressed pages begin (page k at `dataStart + k × page bytes`).
  private var dataStart: UInt64 = 0
  private let file: TIFFWriteBackFile
  private let pageTotal: Int
  private let samplesPerPage: Int
  private let description: String

  /// Files whose data plus IFDs pass this size are written as BigTIFF: tifffile's
  /// threshold, 4 GiB less 32 MiB of headroom (spec/io.md §4).
  public static let bigTIFFThreshold = (1 << 32) - (1 << 25)

  /// Whether a stack of `dataBytes` uncompressed pixel bytes in `pageCount` pages needs
  /// BigTIFF: tifffile's rule (data > 2³² − 2²⁵ bytes) with the IFDs counted too (about
  /// 256 bytes a page). Unlike tifffile it also applies to compressed and ImageJ files,
  /// since deflate may not shrink the data and a classic TIFF cannot address past 4 GiB.
  public static func needsBigTIFF(dataBytes: Int, pageCount: Int) -> Bool {
    let (ifds, o1) = pageCount.multipliedReportingOverflow(by: 256)
    let (total, o2) = dataBytes.addingReportingOverflow(ifds)
    return o1 || o2 || total > bigTIFFThreshold
  }

  /// Pixel types ImageJ opens natively (spec/io.md §4).
  public static func isImageJType(_ dtype: DType) -> Bool {
    dtype == .uint8 || dtype == .uint16 || dtype == .float32
  }

  /// Creates `path` for `frameCount` frames of `frameShape` ([H, W, C] or [H, W]) `dtype`
  /// elements. Throws `usage` for an unsupported dtype or shape, `cannotCreate` when the
  /// file cannot be created.
  public convenience init(
    path: String, dtype: DType, frameShape: [Int], frameCount: Int,
    options: TIFFWriteOptions = .init()
  ) throws {
    try self.init(
      path: path, dtype: dtype, frameShape: frameShape, frameCount: frameCount, options: options,
      replicatingDirectories: true)
  }

  /// The designated initializer; `replicatingDirectories: false` has libtiff write every
  /// page's IFD instead of copying page 1's (``TIFFDirectoryEditor/replicateLastDirectory``),
  /// which the tests use to check that both give the same bytes.
  init(
    path: String, dtype: DType, frameShape: [Int], frameCount: Int, options: TIFFWriteOptions,
    replicatingDirectories: Bool
  ) throws {
    let shape = frameShape.count == 2 ? frameShape + [1] : frameShape
    guard shape.count == 3, shape.allSatisfy({ $0 >= 1 }), shape[0] <= Int(UInt32.max),
      shape[1] <= Int(UInt32.max),
      shape[2] <= Int(UInt16.max)
    else { throw DeepCellError(.usage, path, "cannot write frames of shape \(frameShape) to TIFF") }
    guard frameCount >= 1 else {
      throw DeepCellError(.badData, path, "cannot write a TIFF stack of zero frames")
    }
    guard dtype != .bool else {
      throw DeepCellError(.usage, path, "TIFF has no bool type; convert to uint8 first")
    }
    guard (1...9).contains(options.deflateLevel) else {
      throw DeepCellError(.usage, path, "deflate level \(options.deflateLevel) is not in 1…9")
    }
    self.path = path
    self.dtype = dtype
    self.frameShape = shape
    self.frameCount = frameCount
    self.options = options
    writesOME = options.ome
    writesImageJ = !options.ome && options.imageJ && Self.isImageJType(dtype)
    channelPages = writesOME || writesImageJ
    if let pixelSize = options.pixelSize {
      guard pixelSize.x.isFinite, pixelSize.x > 0, pixelSize.y.isFinite, pixelSize.y > 0 else {
        throw DeepCellError(.usage, path, "pixel size \(pixelSize) is not a positive length")
      }
    }
    let frameBytes = shape.reduce(dtype.size, *)
    let pages = channelPages ? frameCount * shape[2] : frameCount
    switch options.bigTIFF {
    case .always: isBigTIFF = true
    case .never: isBigTIFF = false
    case .automatic:
      isBigTIFF = Self.needsBigTIFF(
        dataBytes: frameBytes.multipliedReportingOverflow(by: frameCount).partialValue,
        pageCount: pages)
    }
    if writesOME {
      guard options.slices >= 1, frameCount % options.slices == 0 else {
        throw DeepCellError(
          .usage, path, "\(frameCount) frames are not time points of \(options.slices) Z slices")
      }
      guard
        let xml = OMEMetadata.singleImageXML(
          dtype: dtype, height: shape[0], width: shape[1], channels: shape[2],
          slices: options.slices, timePoints: frameCount / options.slices,
          pixelSize: options.pixelSize, provenance: options.provenance)
      else {
        throw DeepCellError(
          .usage, path, "OME-TIFF has no \(dtype) pixel type; convert with --dtype first")
      }
      description = xml
    } else if writesImageJ {
      var imageJ = ImageJMetadata(channels: shape[2], frames: frameCount)
      if options.pixelSize != nil {
        // ImageJ's spatial calibration: X/YResolution in pixels per `unit`.
        let at = imageJ.entries.firstIndex { $0.key == "loop" } ?? imageJ.entries.count
        imageJ.entries.insert(("unit", "micron"), at: at)
      }
      if let provenance = options.provenance {
        imageJ.entries.append((StackProvenance.descriptionKey, provenance.json))
      }
      description = imageJ.text
    } else {
      let full = [frameCount, shape[0], shape[1]] + (shape[2] > 1 ? [shape[2]] : [])
      let record = options.provenance.map { ", \"\(StackProvenance.descriptionKey)\": \($0.json)" }
      description = "{\"shape\": [\(full.map(String.init).joined(separator: ", "))]\(record ?? "")}"
    }
    // All IFDs first (strip arrays deferred), pixel data after them in page order: the layout
    // ImageJ writes and expects (it reads an `images=N` stack as N planes back to back from
    // the first page's data), which other readers take page by page.
    pageTotal = pages
    samplesPerPage = channelPages ? 1 : shape[2]
    let file = try TIFFWriteBackFile(path: path)
    self.file = file
    let handle: TIFFHandle
    do {
      handle = try TIFFHandle(writingTo: file, mode: isBigTIFF ? "w8" : "w")
    } catch {
      unlink(path)
      throw error
    }
    self.handle = handle
    do {
      // libtiff has written the header: the editor reads the byte order from it.
      let editor = try TIFFDirectoryEditor(file: file, isBigTIFF: isBigTIFF)
      for k in 0..<pages {
        // Pages 1… carry the same tags: once libtiff has written page 1's IFD, the others
        // are copies of it.
        if k == 2 && replicatingDirectories, try editor.replicateLastDirectory(copies: pages - k) {
          copiedDirectories = pages - k
          break
        }
        try setTags(handle, page: k, samples: samplesPerPage)
        guard TIFFDeferStrileArrayWriting(handle.tif) != 0,
          TIFFWriteCheck(handle.tif, 0, "TIFFStackWriter") != 0,
          TIFFWriteDirectory(handle.tif) != 0
        else { throw handle.failure("cannot write the TIFF directories", kind: .io) }
      }
      currentDirectory = -2  // the next page is reached with TIFFSetDirectory
      if options.compression == .none {
        // The pixel data follow the IFDs back to back, one strip a page: every page's place
        // is known now, so its IFD gets its strip location here and its pixels go straight
        // to the file (writePage), and the blocks for all of them are reserved at once.
        let pageBytes = shape[0] * shape[1] * samplesPerPage * dtype.size
        let start = file.fileSize
        let directories = try editor.directoryOffsets(limit: pages + 1)
        guard directories.count == pages else {
          throw DeepCellError(.io, path, "libtiff wrote \(directories.count) of \(pages) IFDs")
        }
        for (k, directory) in directories.enumerated() {
          try editor.setSingleStrip(
            directory: directory, offset: start + UInt64(k * pageBytes),
            byteCount: UInt64(pageBytes))
        }
        dataStart = start
        file.reserve(at: start, count: pages * pageBytes)
      }
    } catch {
      abort()
      throw error
    }
  }

  deinit { if handle != nil { abort() } }

  /// Appends the next frame ([H, W, C] or [1, H, W, C] of ``dtype``).
  public func append(_ frame: NDArray) throws {
    guard let handle else { throw DeepCellError(.io, path, "TIFF writer is closed") }
    let shape =
      frame.shape.count == 4 && frame.shape[0] == 1 ? Array(frame.shape.dropFirst()) : frame.shape
    guard shape == frameShape || (frameShape[2] == 1 && shape == Array(frameShape.prefix(2))) else {
      throw DeepCellError(
        .badData, path, "frame of shape \(frame.shape) does not match the stack's \(frameShape)")
    }
    guard frame.dtype == dtype else {
      throw DeepCellError(.badData, path, "frame is \(frame.dtype), the stack is \(dtype)")
    }
    guard written < frameCount else {
      throw DeepCellError(.badData, path, "more frames than the \(frameCount) declared")
    }
    let (h, w, c) = (frameShape[0], frameShape[1], frameShape[2])
    let es = dtype.size
    if channelPages && c > 1 {
      // One grayscale page a channel, gathered from the interleaved samples.
      for ch in 0..<c {
        let plane = [UInt8](unsafeUninitializedCapacity: h * w * es) { buffer, initialized in
          frame.bytes.withUnsafeBytes { raw in
            gather(
              from: raw.baseAddress! + ch * es, to: buffer.baseAddress!, count: h * w,
              elementBytes: es, stride: c * es)
          }
          initialized = h * w * es
        }
        try writePage(handle, plane, samples: 1)
      }
    } else {
      try writePage(handle, frame.bytes, samples: channelPages ? 1 : c)
    }
    written += 1
  }

  /// Rows per strip of a page of `samples` chunky samples a pixel: one strip a plane
  /// uncompressed; tifffile's ~256 KiB strips for deflate.
  private func rowsPerStrip(samples: Int) -> Int {
    let (h, w) = (frameShape[0], frameShape[1])
    let rowBytes = w * samples * dtype.size
    return options.compression == .deflate ? max(1, min(h, 262_144 / rowBytes)) : h
  }

  /// Sets the tags of page `page` (`samples` chunky samples a pixel) on the current directory.
  private func setTags(_ handle: TIFFHandle, page: Int, samples: Int) throws {
    let (h, w) = (frameShape[0], frameShape[1])
    let es = dtype.size
    let deflate = options.compression == .deflate
    let rowsPerStrip = rowsPerStrip(samples: samples)
    let format: Int32 =
      dtype.isFloat ? SAMPLEFORMAT_IEEEFP : (dtype.isSigned ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT)
    let rgb = samples == 3 && (dtype == .uint8 || dtype == .uint16)
    var ok = true
    ok = ok && handle.setField(TIFFTAG_SUBFILETYPE, UInt32(0))
    ok = ok && handle.setField(TIFFTAG_IMAGEWIDTH, UInt32(w))
    ok = ok && handle.setField(TIFFTAG_IMAGELENGTH, UInt32(h))
    ok = ok && handle.setField(TIFFTAG_BITSPERSAMPLE, Int32(es * 8))
    ok = ok && handle.setField(TIFFTAG_SAMPLESPERPIXEL, Int32(samples))
    ok = ok && handle.setField(TIFFTAG_SAMPLEFORMAT, format)
    ok = ok && handle.setField(TIFFTAG_PHOTOMETRIC, rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK)
    ok = ok && handle.setField(TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
    ok =
      ok
      && handle.setField(
        TIFFTAG_COMPRESSION, deflate ? COMPRESSION_ADOBE_DEFLATE : COMPRESSION_NONE)
    ok = ok && handle.setField(TIFFTAG_ROWSPERSTRIP, UInt32(rowsPerStrip))
    if let size = options.pixelSize {
      // Pixels per µm under ImageJ's unit=micron (ImageJ writes no ResolutionUnit), else
      // pixels per centimetre, which every TIFF reader understands.
      let scale = writesImageJ ? 1 : 10_000.0
      ok = ok && handle.setField(TIFFTAG_XRESOLUTION, scale / size.x)
      ok = ok && handle.setField(TIFFTAG_YRESOLUTION, scale / size.y)
      ok =
        ok
        && handle.setField(
          TIFFTAG_RESOLUTIONUNIT, writesImageJ ? RESUNIT_NONE : RESUNIT_CENTIMETER)
    } else {
      ok = ok && handle.setField(TIFFTAG_XRESOLUTION, Double(1))
      ok = ok && handle.setField(TIFFTAG_YRESOLUTION, Double(1))
      ok = ok && handle.setField(TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE)
    }
    if samples > 1 && !rgb {
      let extra = [UInt16](repeating: UInt16(EXTRASAMPLE_UNSPECIFIED), count: samples - 1)
      ok =
        ok
        && extra.withUnsafeBufferPointer {
          handle.setField(TIFFTAG_EXTRASAMPLES, count: Int32(samples - 1), $0.baseAddress!)
        }
    }
    if page == 0 {
      ok = ok && description.withCString { handle.setField(TIFFTAG_IMAGEDESCRIPTION, $0) }
      ok = ok && "dc-tools".withCString { handle.setField(TIFFTAG_SOFTWARE, $0) }
    }
    guard ok else { throw handle.failure("cannot set the TIFF tags", kind: .io) }
  }

  /// Writes the pixels of the next page (`samples` chunky samples a pixel). Uncompressed,
  /// they go straight to the page's place in the file, which its IFD already names.
  /// Deflated, libtiff encodes the strips and appends them to the file, then patches the
  /// IFD's deferred strip arrays in place.
  private func writePage(_ handle: TIFFHandle, _ pixels: [UInt8], samples: Int) throws {
    let h = frameShape[0]
    let rowBytes = frameShape[1] * samples * dtype.size
    if options.compression == .none {
      let ok = pixels.withUnsafeBytes {
        _ = file.seek(dataStart + UInt64(page * pixels.count), SEEK_SET)
        return file.write($0.baseAddress!, $0.count) == $0.count
      }
      guard ok else {
        throw DeepCellError(
          .io, path, "cannot write page \(page): \(file.failure ?? "write failed")")
      }
      page += 1
      return
    }
    let tif = handle.tif
    if page != currentDirectory {
      let ok =
        page == currentDirectory + 1 ? TIFFReadDirectory(tif) : TIFFSetDirectory(tif, tdir_t(page))
      guard ok != 0 else { throw handle.failure("cannot reach page \(page)", kind: .io) }
      currentDirectory = page
    }
    let rowsPerStrip = rowsPerStrip(samples: samples)
    let strips = (h + rowsPerStrip - 1) / rowsPerStrip
    // libtiff's Deflate codec (libdeflate where libtiff is built with it, else zlib).
    handle.setField(TIFFTAG_ZIPQUALITY, Int32(options.deflateLevel))
    try pixels.withUnsafeBytes { data in
      for s in 0..<strips {
        let rows = min(rowsPerStrip, h - s * rowsPerStrip)
        let n = TIFFWriteEncodedStrip(
          tif, UInt32(s),
          UnsafeMutableRawPointer(mutating: data.baseAddress! + s * rowsPerStrip * rowBytes),
          tmsize_t(rows * rowBytes))
        guard n == rows * rowBytes else {
          throw handle.failure("cannot write page \(page)", kind: .io)
        }
      }
    }
    guard TIFFForceStrileArrayWriting(tif) != 0 else {
      throw handle.failure("cannot write page \(page)", kind: .io)
    }
    page += 1
  }

  /// Completes the file; fails when fewer frames than declared were appended.
  public func finish() throws {
    guard let handle else { throw DeepCellError(.io, path, "TIFF writer is closed") }
    guard written == frameCount else {
      abort()
      throw DeepCellError(.badData, path, "stack ended after \(written) of \(frameCount) frames")
    }
    handle.close()
    let errors = handle.diagnostics.errors + (file.failure.map { [$0] } ?? [])
    self.handle = nil
    if let error = errors.first {
      unlink(path)
      throw DeepCellError(.io, path, "cannot complete the TIFF: \(error)")
    }
  }

  /// Closes and deletes the partial file.
  public func abort() {
    handle?.close()
    handle = nil
    unlink(path)
  }
}

/// Copies `count` elements of `elementBytes` taken every `stride` bytes from `src` into packed `dst`.
func gather(
  from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, count: Int, elementBytes: Int,
  stride: Int
) {
  switch elementBytes {
  case 1:
    let d = dst.assumingMemoryBound(to: UInt8.self)
    for i in 0..<count { d[i] = src.load(fromByteOffset: i * stride, as: UInt8.self) }
  case 2:
    let d = dst.assumingMemoryBound(to: UInt16.self)
    for i in 0..<count { d[i] = src.loadUnaligned(fromByteOffset: i * stride, as: UInt16.self) }
  case 4:
    let d = dst.assumingMemoryBound(to: UInt32.self)
    for i in 0..<count { d[i] = src.loadUnaligned(fromByteOffset: i * stride, as: UInt32.self) }
  case 8:
    let d = dst.assumingMemoryBound(to: UInt64.self)
    for i in 0..<count { d[i] = src.loadUnaligned(fromByteOffset: i * stride, as: UInt64.self) }
  default:
    for i in 0..<count {
      (dst + i * elementBytes).copyMemory(from: src + i * stride, byteCount: elementBytes)
    }
  }
}
