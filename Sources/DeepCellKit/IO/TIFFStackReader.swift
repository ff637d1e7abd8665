import CTIFF
import Foundation

/// Reads a TIFF file as a (frames, height, width, channels) stack, one frame at a time,
/// through libtiff (spec/io.md §4).
///
/// Classic TIFF and BigTIFF in either byte order; every page is a frame unless the first
/// page's description says otherwise: an ImageJ hyperstack description (`ImageJ=…`,
/// planes in TZCYX order) joins each frame's C planes into channels, and tifffile's shaped
/// description (`{"shape": [...]}`) restores (…, H, W, C) arrays stored as (W, C) pages.
/// ImageJ's single-IFD form for files over 4 GiB (`images=` planes back to back) is read too.
/// An OME-TIFF's OME-XML wins over both: its first image's Z × T planes are the frames and
/// its channel planes the channels, wherever `DimensionOrder` and `TiffData` put them
/// (``TIFFFrameLayout/ome(_:height:width:samples:pageCount:pageOfIFD:fileName:subject:)``); further
/// images are skipped with a warning, multi-file datasets and malformed OME-XML refused.
/// The pixel size comes from OME-XML's `PhysicalSizeX/Y`, else the resolution tags
/// (``PixelSize/fromResolution(xResolution:yResolution:resolutionUnit:imageJUnit:)``).
/// Samples are 8/16/32/64-bit unsigned or signed integers or 16/32/64-bit floats, one or more
/// per pixel, chunky or planar (returned channels last), in strips or tiles, with any
/// compression and predictor libtiff decodes. libtiff's messages never reach stderr: errors
/// become ``DeepCellError``s, warnings are kept in ``warnings``.
public final class TIFFStackReader: StackReader {
  /// The file read.
  public let path: String
  /// Number of frames.
  public let frameCount: Int
  /// [height, width, channels] of a frame.
  public let frameShape: [Int]
  /// Element type.
  public let dtype: DType
  /// The parsed ImageJ description of the first page, if any.
  public let imageJ: ImageJMetadata?
  /// The shape from tifffile's JSON description of the first page, if any.
  public let axesShape: [Int]?
  /// The first page's ImageDescription text, if any.
  public let imageDescription: String?
  /// The parsed OME-XML of an OME-TIFF, if any (its first image is what is read).
  public let ome: OMEMetadata?
  /// The pixel size and Z slices the file states (OME-XML's first image, or the ImageJ
  /// description and resolution tags).
  public let metadata: StackMetadata
  /// Number of pages (IFDs) holding frame data.
  public let pageCount: Int
  /// Whether the file is a BigTIFF.
  public let isBigTIFF: Bool

  /// Whether planes are read straight from one run of planes after page 0's data (ImageJ's
  /// layout, ``imageJPlanesStart(_:first:images:fileSize:)``) rather than page by page.
  var readsPlanesDirectly: Bool { layout.contiguousPlanes }

  /// libtiff's warnings and the reader's notes about ignored descriptions.
  public var warnings: [String] { notes + handle.diagnostics.warnings }
  /// The reader's own notes on how it read the file: a description that did not fit the
  /// pages, an OME-TIFF's skipped series. Tools show these; libtiff's chatter they do not.
  public var layoutWarnings: [String] { notes }

  private let handle: TIFFHandle
  private let layout: TIFFFrameLayout
  /// IFD chain index of each frame page (reduced-resolution pages are skipped).
  private let chainIndex: [Int]
  /// Offset of the first plane for ImageJ's contiguous form.
  private var contiguousBase: UInt64 = 0
  private var notes: [String] = []
  /// The IFD chain index libtiff has loaded.
  private var currentChain: Int
  private let samplesPerPage: Int
  private let pageHeight: Int
  private let pageWidth: Int
  /// The file opened once for the reads that bypass libtiff (uncompressed strips, ImageJ's
  /// contiguous planes): one `pread` into the frame instead of libtiff's mapped copy.
  private let fd: Int32
  /// Extra libtiff handles on the same file, one per further worker, so the strips of a
  /// compressed page decode concurrently (a libtiff handle is single-threaded).
  private var workerHandles: [TIFFHandle] = []
  /// The IFD chain index each worker handle has loaded.
  private var workerChain: [Int] = []

  /// Opens `path` and reads its page structure. Throws `noInput` when the path does not
  /// exist, is a directory or cannot be read; `badData` when it is not a TIFF this reader
  /// handles.
  public init(path: String) throws {
    self.path = path
    let fileSize = try Self.checkFile(path)
    fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw DeepCellError(.noInput, path, String(cString: strerror(errno))) }
    let handle: TIFFHandle
    do {
      handle = try TIFFHandle(path: path, mode: "r", failure: .badData)
    } catch {
      Foundation.close(fd)
      throw error
    }
    self.handle = handle
    let tif = handle.tif
    isBigTIFF = TIFFIsBigTIFF(tif) != 0

    // Page 0 decides the frame geometry; every other full-resolution page must match, but
    // in an OME-TIFF of several images only the pages of the first image read.
    let first = try Self.pageGeometry(handle, page: 0)
    let description = handle.stringField(TIFFTAG_IMAGEDESCRIPTION)
    let ome = try description.flatMap {
      OMEMetadata.isOMEXML($0) ? try OMEMetadata(xml: $0, subject: path) : nil
    }
    let imageJ = ome == nil ? description.flatMap { ImageJMetadata(description: $0) } : nil
    // ImageJ's own reading of its stacks: `images=` planes back to back from page 0's data.
    // When page 1 continues that run, the other IFDs are not walked (as ImageJ and tifffile
    // read such files), so a 400-page stack costs two IFDs, not 400.
    let imageJPlanes = imageJ.flatMap {
      Self.imageJPlanesStart(handle, first: first, images: $0.images, fileSize: fileSize)
    }
    var chain = [0]
    var index = 0
    var mismatched: [Int: String] = [:]  // page → why it is not like page 0
    while imageJPlanes == nil, TIFFReadDirectory(tif) != 0 {
      index += 1
      let g = try Self.pageGeometry(handle, page: index)
      if g.reduced { continue }
      if g.height != first.height || g.width != first.width || g.samples != first.samples
        || g.dtype != first.dtype
      {
        let message =
          "page \(index) is \(g.height)×\(g.width)×\(g.samples) \(g.dtype), page 0 is \(first.height)×\(first.width)×\(first.samples) \(first.dtype): not one stack"
        guard let ome, ome.images.count > 1 else {
          throw DeepCellError(.badData, path, message)
        }
        mismatched[chain.count] = message
      }
      chain.append(index)
    }
    if !handle.diagnostics.errors.isEmpty {
      throw handle.failure("corrupt IFD chain after page \(index)")
    }
    currentChain = index
    chainIndex = chain
    pageCount = imageJPlanes != nil ? imageJ!.images : chain.count
    dtype = first.dtype
    samplesPerPage = first.samples
    pageHeight = first.height
    pageWidth = first.width
    guard TIFFSetDirectory(tif, 0) != 0 else { throw handle.failure("cannot reread page 0") }
    currentChain = 0

    imageDescription = description
    self.ome = ome
    self.imageJ = imageJ
    axesShape = ome == nil && imageJ == nil ? description.flatMap(Self.shapeFromJSON) : nil

    let contiguous =
      imageJPlanes ?? (imageJ != nil && pageCount == 1 ? Self.contiguousDataStart(handle) : nil)
    var layout: TIFFFrameLayout
    let warning: String?
    if let ome {
      let pageOfIFD = Dictionary(uniqueKeysWithValues: chain.enumerated().map { ($1, $0) })
      (layout, warning) = try TIFFFrameLayout.ome(
        ome, height: first.height, width: first.width, samples: first.samples,
        pageCount: pageCount, pageOfIFD: { pageOfIFD[$0] },
        fileName: URL(fileURLWithPath: path).lastPathComponent,
        subject: path)
      // Pages of another geometry may only belong to the other images.
      if !mismatched.isEmpty {
        let pages = layout.pageTable ?? Array(0..<(layout.frameCount * layout.pagesPerFrame))
        if let bad = pages.first(where: { mismatched[$0] != nil }) {
          throw DeepCellError(.badData, path, mismatched[bad]!)
        }
      }
      let image = ome.images[0]
      metadata = StackMetadata(
        pixelSize: image.physicalSizeX.map { PixelSize(x: $0, y: image.physicalSizeY ?? $0) },
        slices: image.sizeZ)
    } else {
      (layout, warning) = TIFFFrameLayout.resolve(
        pageCount: pageCount, height: first.height, width: first.width, samples: first.samples,
        imageJ: imageJ,
        shape: axesShape, contiguousPossible: contiguous != nil)
      let pixelSize = PixelSize.fromResolution(
        xResolution: handle.floatField(TIFFTAG_XRESOLUTION),
        yResolution: handle.floatField(TIFFTAG_YRESOLUTION),
        resolutionUnit: Int(handle.field(TIFFTAG_RESOLUTIONUNIT, UInt16.self) ?? 2),
        imageJUnit: imageJ?["unit"])
      // ImageJ's slices divide the frames only where its description was followed.
      let slices = imageJ.map { layout.frameCount == $0.slices * $0.frames ? $0.slices : 1 } ?? 1
      metadata = StackMetadata(pixelSize: pixelSize, slices: slices)
    }
    if let warning { notes.append(warning) }
    // Planes read straight from the run: its pages' IFDs were never loaded.
    if imageJPlanes != nil { layout.contiguousPlanes = true }
    if layout.contiguousPlanes, let contiguous {
      let planeBytes = UInt64(first.height * first.width * first.samples * first.dtype.size)
      let (end, overflow) = UInt64(imageJ!.images).multipliedReportingOverflow(by: planeBytes)
      guard !overflow, contiguous <= fileSize, end <= fileSize - contiguous else {
        throw DeepCellError(
          .badData, path,
          "truncated ImageJ stack: \(imageJ!.images) planes do not fit in \(fileSize) bytes")
      }
      contiguousBase = contiguous
    }
    self.layout = layout
    frameCount = layout.frameCount
    frameShape = layout.frameShape
    guard frameCount > 0 else { throw DeepCellError(.badData, path, "TIFF holds no frames") }
    // A compressed page can only expand so far (deflate ≤ 1032:1, LZW < 4096:1): refuse
    // geometry no file of this size can hold before allocating a frame for it.
    let frameBytes = frameShape.reduce(dtype.size, *)
    guard frameBytes <= max(1 << 26, fileSize.multipliedReportingOverflow(by: 4096).partialValue)
    else {
      throw DeepCellError(
        .badData, path,
        "frame of \(frameShape) \(dtype) cannot be stored in a \(fileSize)-byte file")
    }
  }

  deinit { Foundation.close(fd) }

  /// Checks that `path` is a readable non-empty regular file starting with TIFF magic;
  /// returns its size.
  static func checkFile(_ path: String) throws -> UInt64 {
    var info = stat()
    guard stat(path, &info) == 0 else {
      let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
      throw DeepCellError(.noInput, path, reason)
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      throw DeepCellError(.noInput, path, "is a directory, not a TIFF file")
    }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw DeepCellError(.noInput, path, String(cString: strerror(errno))) }
    defer { Foundation.close(fd) }
    var magic = [UInt8](repeating: 0, count: 8)
    let n = read(fd, &magic, 8)
    if n == 0 { throw DeepCellError(.badData, path, "empty file, not a TIFF") }
    guard n >= 8, FileFormat.sniff(magic) == .tiff else {
      throw DeepCellError(.badData, path, "not a TIFF file (bad magic bytes)")
    }
    return UInt64(info.st_size)
  }

  /// The frame-relevant geometry of the page libtiff has loaded.
  struct PageGeometry {
    var width: Int
    var height: Int
    var samples: Int
    var dtype: DType
    var reduced: Bool
  }

  static func pageGeometry(_ handle: TIFFHandle, page: Int) throws -> PageGeometry {
    let path = handle.path
    guard let width = handle.field(TIFFTAG_IMAGEWIDTH, UInt32.self),
      let height = handle.field(TIFFTAG_IMAGELENGTH, UInt32.self),
      width > 0, height > 0
    else { throw handle.failure("page \(page) has no image size") }
    let samples = Int(handle.field(TIFFTAG_SAMPLESPERPIXEL, UInt16.self, defaulted: true) ?? 1)
    let bits = Int(handle.field(TIFFTAG_BITSPERSAMPLE, UInt16.self, defaulted: true) ?? 1)
    let format = Int(handle.field(TIFFTAG_SAMPLEFORMAT, UInt16.self, defaulted: true) ?? 1)
    let subfile = handle.field(TIFFTAG_SUBFILETYPE, UInt32.self, defaulted: true) ?? 0
    guard samples >= 1 else {
      throw DeepCellError(.badData, path, "page \(page) has \(samples) samples per pixel")
    }
    let dtype: DType
    switch (format, bits) {
    case (1, 8), (4, 8): dtype = .uint8
    case (1, 16), (4, 16): dtype = .uint16
    case (1, 32), (4, 32): dtype = .uint32
    case (1, 64), (4, 64): dtype = .uint64
    case (2, 8): dtype = .int8
    case (2, 16): dtype = .int16
    case (2, 32): dtype = .int32
    case (2, 64): dtype = .int64
    case (3, 16): dtype = .float16
    case (3, 32): dtype = .float32
    case (3, 64): dtype = .float64
    default:
      let kind =
        [1: "unsigned integer", 2: "signed integer", 3: "floating point", 4: "untyped"][format]
        ?? "sample format \(format)"
      throw DeepCellError(
        .badData, path, "unsupported pixel type on page \(page): \(bits)-bit \(kind)")
    }
    // Reject sizes whose byte count overflows before any arithmetic relies on them.
    let (pixels, o1) = Int(width).multipliedReportingOverflow(by: Int(height))
    let (elements, o2) = pixels.multipliedReportingOverflow(by: samples)
    let (_, o3) = elements.multipliedReportingOverflow(by: dtype.size * 4096)
    guard !o1, !o2, !o3 else {
      throw DeepCellError(
        .badData, path, "page \(page) is too large (\(width)×\(height)×\(samples))")
    }
    return PageGeometry(
      width: Int(width), height: Int(height), samples: samples, dtype: dtype,
      reduced: subfile & UInt32(FILETYPE_REDUCEDIMAGE) != 0)
  }

  /// The `shape` of a tifffile JSON description (`{"shape": [3, 8, 8]}`), or nil.
  static func shapeFromJSON(_ text: String) -> [Int]? {
    guard text.hasPrefix("{"),
      let data = text.trimmingCharacters(in: CharacterSet(charactersIn: "\0 \n")).data(
        using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let shape = object["shape"] as? [Any]
    else { return nil }
    var result = [Int]()
    for element in shape {
      guard let n = element as? Int, n >= 0 else { return nil }
      result.append(n)
    }
    return result
  }

  /// Where the loaded page's data starts when it is uncompressed and its strips follow one
  /// another without gaps (the precondition of ImageJ's contiguous form); else nil.
  static func contiguousDataStart(_ handle: TIFFHandle) -> UInt64? {
    contiguousData(handle)?.start
  }

  /// The loaded page's data as one run of the file (start and byte count) when it is
  /// uncompressed, MSB-first, and its strips follow one another without gaps; else nil.
  static func contiguousData(_ handle: TIFFHandle) -> (start: UInt64, count: UInt64)? {
    let tif = handle.tif
    guard TIFFIsTiled(tif) == 0,
      (handle.field(TIFFTAG_COMPRESSION, UInt16.self, defaulted: true) ?? 1) == 1,
      (handle.field(TIFFTAG_FILLORDER, UInt16.self, defaulted: true) ?? 1) == 1
    else { return nil }
    let strips = TIFFNumberOfStrips(tif)
    guard strips >= 1, strips < 1 << 20 else { return nil }
    let start = TIFFGetStrileOffset(tif, 0)
    var next = start
    for s in 0..<strips {
      guard TIFFGetStrileOffset(tif, s) == next else { return nil }
      next &+= TIFFGetStrileByteCount(tif, s)
    }
    return (start, next &- start)
  }

  /// Where ImageJ's `images` planes start when page 0 (loaded) and page 1 show the layout
  /// ImageJ and tifffile write: page 0 uncompressed, one sample plane, its strips back to
  /// back and exactly one plane long; page 1 of the same geometry, its data right after page
  /// 0's; the file long enough for all planes. Else nil, and the pages are walked one by one.
  /// Leaves page 0 loaded.
  static func imageJPlanesStart(
    _ handle: TIFFHandle, first: PageGeometry, images: Int, fileSize: UInt64
  ) -> UInt64? {
    let tif = handle.tif
    let planeBytes = UInt64(first.height * first.width * first.samples * first.dtype.size)
    guard images > 1, images <= 1 << 40, !first.reduced,
      first.samples == 1
        || Int32(handle.field(TIFFTAG_PLANARCONFIG, UInt16.self, defaulted: true) ?? 1)
          == PLANARCONFIG_CONTIG,
      let data = contiguousData(handle), data.start > 0, data.count == planeBytes
    else { return nil }
    let start = data.start
    let (total, o1) = UInt64(images).multipliedReportingOverflow(by: planeBytes)
    let (end, o2) = start.addingReportingOverflow(total)
    guard !o1, !o2, end <= fileSize else { return nil }
    let knownErrors = handle.diagnostics.errors.count
    defer { _ = TIFFSetDirectory(tif, 0) }
    guard TIFFReadDirectory(tif) != 0, handle.diagnostics.errors.count == knownErrors,
      let second = try? pageGeometry(handle, page: 1),
      second.height == first.height, second.width == first.width,
      second.samples == first.samples, second.dtype == first.dtype, !second.reduced,
      let run = contiguousData(handle), run.start == start + planeBytes,
      run.count == planeBytes
    else {
      // The walk that follows meets page 1 again and reports what is wrong with it.
      handle.diagnostics.errors.removeSubrange(knownErrors...)
      return nil
    }
    return start
  }

  /// Reads frame `index` into a new (height, width, channels) array. Only that frame's
  /// pages are decoded.
  public func readFrame(_ index: Int) throws -> NDArray {
    guard index >= 0, index < frameCount else {
      throw DeepCellError(.usage, path, "frame \(index) out of range (0..<\(frameCount))")
    }
    // fillFrame writes every byte of the frame (or throws), so no zero fill first.
    let frameBytes = frameShape.reduce(dtype.size, *)
    let bytes = try [UInt8](unsafeUninitializedCapacity: frameBytes) { out, initialized in
      try fillFrame(index, into: UnsafeMutableRawPointer(out.baseAddress!))
      initialized = frameBytes
    }
    return NDArray(shape: frameShape, dtype: dtype, bytes: bytes)
  }

  /// Decodes the pages of frame `index` into `base` as (height, width, channels) elements.
  private func fillFrame(_ index: Int, into base: UnsafeMutableRawPointer) throws {
    let es = dtype.size
    let pagePixels = pageHeight * pageWidth
    let pageBytes = pagePixels * samplesPerPage * es
    let k = layout.pagesPerFrame
    if k == 1 || layout.join == .rows {
      for p in 0..<k {
        try readPlane(layout.page(frame: index, plane: p), into: base + p * pageBytes)
      }
      return
    }
    // Channels as separate planes: decode each, then interleave (channels last).
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: pageBytes, alignment: 16)
    defer { scratch.deallocate() }
    let pixelBytes = samplesPerPage * es
    let stride = k * pixelBytes
    for c in 0..<k {
      try readPlane(layout.page(frame: index, plane: c), into: scratch)
      interleave(
        from: scratch, to: base + c * pixelBytes, count: pagePixels, elementBytes: pixelBytes,
        stride: stride)
    }
  }

  /// Decodes plane `plane` (a page, or a stored plane of ImageJ's contiguous form) into `dst`.
  private func readPlane(_ plane: Int, into dst: UnsafeMutableRawPointer) throws {
    if layout.contiguousPlanes {
      try readContiguousPlane(plane, into: dst)
      return
    }
    try load(page: plane)
    try decodeLoadedPage(into: dst, page: plane)
  }

  /// Makes libtiff load the IFD of frame page `page`.
  private func load(page: Int) throws {
    let target = chainIndex[page]
    if target == currentChain { return }
    handle.diagnostics.errors.removeAll()
    let ok =
      target == currentChain + 1
      ? TIFFReadDirectory(handle.tif) : TIFFSetDirectory(handle.tif, tdir_t(target))
    guard ok != 0 else {
      currentChain = -1
      throw handle.failure("cannot read page \(target)")
    }
    currentChain = target
  }

  /// Reads plane `plane` of ImageJ's contiguous form straight from the file.
  private func readContiguousPlane(_ plane: Int, into dst: UnsafeMutableRawPointer) throws {
    let es = dtype.size
    let bytes = pageHeight * pageWidth * samplesPerPage * es
    let offset = contiguousBase + UInt64(plane) * UInt64(bytes)
    guard readFully(into: dst, count: bytes, at: offset) else {
      throw DeepCellError(.badData, path, "truncated ImageJ stack at plane \(plane)")
    }
    if TIFFIsByteSwapped(handle.tif) != 0 && es > 1 { swapBytes(dst, count: bytes / es, size: es) }
  }

  /// Decodes the loaded page into `dst` as chunky (height, width, samples) elements.
  private func decodeLoadedPage(into dst: UnsafeMutableRawPointer, page: Int) throws {
    let tif = handle.tif
    handle.diagnostics.errors.removeAll()
    if (handle.field(TIFFTAG_IMAGEDEPTH, UInt32.self, defaulted: true) ?? 1) > 1 {
      throw DeepCellError(.badData, path, "page \(page) is a 3-D (ImageDepth > 1) image")
    }
    let compression = handle.field(TIFFTAG_COMPRESSION, UInt16.self, defaulted: true) ?? 1
    if Int32(handle.field(TIFFTAG_PHOTOMETRIC, UInt16.self) ?? 1) == PHOTOMETRIC_YCBCR {
      if Int32(compression) == COMPRESSION_JPEG {
        handle.setField(TIFFTAG_JPEGCOLORMODE, Int32(JPEGCOLORMODE_RGB))
      } else {
        throw DeepCellError(.badData, path, "page \(page): subsampled YCbCr data is not supported")
      }
    }
    if TIFFIsCODECConfigured(compression) == 0 {
      throw DeepCellError(
        .badData, path, "page \(page): compression \(compression) is not supported by libtiff")
    }
    let es = dtype.size
    let spp = samplesPerPage
    let h = pageHeight
    let w = pageWidth
    let planar =
      spp > 1
      && Int32(handle.field(TIFFTAG_PLANARCONFIG, UInt16.self, defaulted: true) ?? 1)
        == PLANARCONFIG_SEPARATE
    let planes = planar ? spp : 1
    let pixelBytes = (planar ? 1 : spp) * es  // bytes per pixel within one stored plane
    if planar {
      // Decode each sample plane into scratch, then interleave.
      let planeBytes = h * w * es
      let scratch = UnsafeMutableRawPointer.allocate(byteCount: planeBytes, alignment: 16)
      defer { scratch.deallocate() }
      for s in 0..<spp {
        if TIFFIsTiled(tif) != 0 {
          try decodeTiles(
            into: scratch, plane: s, pixelBytes: pixelBytes, page: page,
            compressed: compression != 1)
        } else {
          try decodeStrips(
            into: scratch, plane: s, planes: planes, rowBytes: w * pixelBytes, page: page,
            compressed: compression != 1)
        }
        interleave(
          from: scratch, to: dst + s * es, count: h * w, elementBytes: es, stride: spp * es)
      }
    } else if TIFFIsTiled(tif) != 0 {
      try decodeTiles(
        into: dst, plane: 0, pixelBytes: pixelBytes, page: page, compressed: compression != 1)
    } else {
      try decodeStrips(
        into: dst, plane: 0, planes: 1, rowBytes: w * pixelBytes, page: page,
        compressed: compression != 1)
    }
  }

  /// Decodes the strips of sample plane `plane` into `dst` (rows of `rowBytes`).
  private func decodeStrips(
    into dst: UnsafeMutableRawPointer, plane: Int, planes: Int, rowBytes: Int, page: Int,
    compressed: Bool
  ) throws {
    let tif = handle.tif
    let h = pageHeight
    let rps = min(
      Int(handle.field(TIFFTAG_ROWSPERSTRIP, UInt32.self, defaulted: true) ?? UInt32.max), h)
    guard rps >= 1 else { throw DeepCellError(.badData, path, "page \(page) has RowsPerStrip 0") }
    let stripsPerPlane = (h + rps - 1) / rps
    guard Int(TIFFNumberOfStrips(tif)) >= stripsPerPlane * planes else {
      throw DeepCellError(.badData, path, "page \(page) has too few strips for its size")
    }
    let first = plane * stripsPerPlane
    if !compressed
      && readUncompressedStrips(
        into: dst, first: first, count: stripsPerPlane, stripBytes: rps * rowBytes,
        planeBytes: h * rowBytes)
    {
      return
    }
    let workers = compressed ? min(Parallel.defaultThreads, stripsPerPlane) : 1
    if workers > 1 {
      try prepareWorkerHandles(workers - 1, page: page)
    }
    // Consecutive runs of strips, one a worker; worker 0 decodes with the main handle.
    try Parallel.forEach(workers, threads: workers) { w in
      let handle = w == 0 ? self.handle : workerHandles[w - 1]
      let range = (w * stripsPerPlane / workers)..<((w + 1) * stripsPerPlane / workers)
      for s in range {
        let rows = min(rps, h - s * rps)
        let size = rows * rowBytes
        let strip = UInt32(first + s)
        let n = TIFFReadEncodedStrip(handle.tif, strip, dst + s * rps * rowBytes, tmsize_t(size))
        guard n == size else {
          throw handle.failure(
            n < 0
              ? "page \(page): cannot decode strip \(strip)"
              : "page \(page): strip \(strip) is truncated")
        }
      }
    }
  }

  /// Opens `count` worker handles (once) and makes each load frame page `page`'s IFD.
  private func prepareWorkerHandles(_ count: Int, page: Int) throws {
    while workerHandles.count < count {
      workerHandles.append(try TIFFHandle(path: path, mode: "r", failure: .badData))
      workerChain.append(0)
    }
    let target = chainIndex[page]
    for w in 0..<count where workerChain[w] != target {
      let worker = workerHandles[w]
      worker.diagnostics.errors.removeAll()
      let ok =
        target == workerChain[w] + 1
        ? TIFFReadDirectory(worker.tif) : TIFFSetDirectory(worker.tif, tdir_t(target))
      guard ok != 0 else {
        workerChain[w] = -1
        throw worker.failure("cannot read page \(target)")
      }
      workerChain[w] = target
    }
  }

  /// Reads the loaded page's strips `first..<first + count` of an uncompressed page straight
  /// from the file into `dst` when they need no decoding: MSB-first fill order, stored back to
  /// back, each `stripBytes` long (the last at least its rows). One `pread` then replaces
  /// libtiff's copy from its memory map; the samples are swapped to native order where the
  /// file's differ. Returns false when the strips need libtiff (which then reports any fault).
  private func readUncompressedStrips(
    into dst: UnsafeMutableRawPointer, first: Int, count: Int, stripBytes: Int, planeBytes: Int
  ) -> Bool {
    let tif = handle.tif
    guard (handle.field(TIFFTAG_FILLORDER, UInt16.self, defaulted: true) ?? 1) == 1
    else { return false }
    let start = TIFFGetStrileOffset(tif, UInt32(first))
    let lastBytes = UInt64(planeBytes - (count - 1) * stripBytes)
    for k in 0..<count {
      let s = UInt32(first + k)
      let (offset, overflow) = start.addingReportingOverflow(UInt64(k * stripBytes))
      let length = TIFFGetStrileByteCount(tif, s)
      guard !overflow, TIFFGetStrileOffset(tif, s) == offset,
        k == count - 1 ? length >= lastBytes : length == UInt64(stripBytes)
      else { return false }
    }
    guard start > 0, readFully(into: dst, count: planeBytes, at: start) else { return false }
    let es = dtype.size
    if TIFFIsByteSwapped(tif) != 0 && es > 1 { swapBytes(dst, count: planeBytes / es, size: es) }
    return true
  }

  /// Reads `count` bytes at `offset` of the file into `dst`; false when the file ends first,
  /// a read fails, or the range lies past what `off_t` addresses (a corrupt strip offset).
  private func readFully(into dst: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> Bool {
    guard offset <= UInt64(off_t.max) - UInt64(count) else { return false }
    var done = 0
    while done < count {
      let n = pread(fd, dst + done, count - done, off_t(offset) + off_t(done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      done += n
    }
    return true
  }

  /// Decodes the tiles of sample plane `plane` into `dst` (a full plane, `pixelBytes` a
  /// pixel). Compressed tiles are decoded by several workers at once, each on its own libtiff
  /// handle and a consecutive run of tiles; every tile lands in its own part of `dst`, so the
  /// plane is the same for any thread count.
  private func decodeTiles(
    into dst: UnsafeMutableRawPointer, plane: Int, pixelBytes: Int, page: Int, compressed: Bool
  ) throws {
    let tif = handle.tif
    let h = pageHeight
    let w = pageWidth
    let tw = Int(handle.field(TIFFTAG_TILEWIDTH, UInt32.self) ?? 0)
    let th = Int(handle.field(TIFFTAG_TILELENGTH, UInt32.self) ?? 0)
    guard tw > 0, th > 0, tw <= 1 << 16, th <= 1 << 16 else {
      throw DeepCellError(.badData, path, "page \(page) has an invalid tile size \(tw)×\(th)")
    }
    let tileBytes = tw * th * pixelBytes
    guard TIFFTileSize(tif) == tileBytes else {
      throw handle.failure("page \(page): unexpected tile size")
    }
    let rowBytes = w * pixelBytes
    let across = (w + tw - 1) / tw
    let tiles = across * ((h + th - 1) / th)
    let workers = compressed ? min(Parallel.defaultThreads, tiles) : 1
    if workers > 1 {
      try prepareWorkerHandles(workers - 1, page: page)
    }
    try Parallel.forEach(workers, threads: workers) { worker in
      let handle = worker == 0 ? self.handle : workerHandles[worker - 1]
      let scratch = UnsafeMutableRawPointer.allocate(byteCount: tileBytes, alignment: 16)
      defer { scratch.deallocate() }
      for t in (worker * tiles / workers)..<((worker + 1) * tiles / workers) {
        let (y, x) = (t / across * th, t % across * tw)
        let tile = TIFFComputeTile(handle.tif, UInt32(x), UInt32(y), 0, UInt16(plane))
        let n = TIFFReadEncodedTile(handle.tif, tile, scratch, tmsize_t(tileBytes))
        guard n == tileBytes else {
          throw handle.failure(
            n < 0
              ? "page \(page): cannot decode tile \(tile)"
              : "page \(page): tile \(tile) is truncated")
        }
        let rows = min(th, h - y)
        let copy = min(tw, w - x) * pixelBytes
        for r in 0..<rows {
          (dst + (y + r) * rowBytes + x * pixelBytes).copyMemory(
            from: scratch + r * tw * pixelBytes, byteCount: copy)
        }
      }
    }
  }
}

/// Copies `count` elements of `elementBytes` from packed `src` to `dst` every `stride` bytes.
func interleave(
  from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, count: Int, elementBytes: Int,
  stride: Int
) {
  switch elementBytes {
  case 1:
    let s = src.assumingMemoryBound(to: UInt8.self)
    for i in 0..<count { dst.storeBytes(of: s[i], toByteOffset: i * stride, as: UInt8.self) }
  case 2:
    for i in 0..<count {
      dst.storeBytes(
        of: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self), toByteOffset: i * stride,
        as: UInt16.self)
    }
  case 4:
    for i in 0..<count {
      dst.storeBytes(
        of: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self), toByteOffset: i * stride,
        as: UInt32.self)
    }
  case 8:
    for i in 0..<count {
      dst.storeBytes(
        of: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self), toByteOffset: i * stride,
        as: UInt64.self)
    }
  default:
    for i in 0..<count {
      (dst + i * stride).copyMemory(from: src + i * elementBytes, byteCount: elementBytes)
    }
  }
}

/// Reverses the byte order of `count` elements of `size` bytes in place.
func swapBytes(_ p: UnsafeMutableRawPointer, count: Int, size: Int) {
  switch size {
  case 2:
    let q = p.assumingMemoryBound(to: UInt16.self)
    for i in 0..<count { q[i] = q[i].byteSwapped }
  case 4:
    let q = p.assumingMemoryBound(to: UInt32.self)
    for i in 0..<count { q[i] = q[i].byteSwapped }
  case 8:
    let q = p.assumingMemoryBound(to: UInt64.self)
    for i in 0..<count { q[i] = q[i].byteSwapped }
  default: break
  }
}
