import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Several image files read as the frames of one stack, in natural sort order: a Cell
/// Tracking Challenge `t000.tif` folder, a PNG series, a glob of TIFF stacks. Each file
/// contributes all its frames (the image array `X`, or its only array, of an NPZ).
///
/// The files are opened one at a time, so memory and open descriptors stay bounded however
/// many there are. Every file must hold frames of the first file's shape and dtype; the
/// first that does not is named in a `badData` error, when the reader opens (TIFF, NPY,
/// NPZ) or when its frame is read (a PNG's size is known only once decoded, so a PNG
/// series is decoded once, not twice). The pixel size is the first file's.
public final class FileSequenceReader: StackReader {
  /// The files, in reading order.
  public let files: [String]
  public let frameCount: Int
  public let frameShape: [Int]
  public let dtype: DType
  public let metadata: StackMetadata
  /// What opening the files said (e.g. an OME-TIFF's skipped series), once per message.
  public private(set) var warnings: [String] = []

  /// The first frame of each file, and `frameCount` at the end.
  private let firstFrame: [Int]
  private var open: (file: Int, reader: any StackReader)?

  /// File name extensions a directory's image files have.
  public static let imageExtensions = ["tif", "tiff", "png", "npy", "npz"]

  /// Whether `path` names a sequence rather than one file: an existing directory, or a
  /// pattern with glob characters (`*`, `?`, `[`) that is no existing file.
  public static func isSequence(_ path: String) -> Bool {
    var info = stat()
    if stat(path, &info) == 0 { return (info.st_mode & S_IFMT) == S_IFDIR }
    return path.contains { "*?[".contains($0) }
  }

  /// The files `path` names, in natural order: a directory's visible regular files with an
  /// image extension (``imageExtensions``), or the matches of a glob pattern. Throws
  /// `noInput` when there are none or the directory cannot be read.
  public static func files(matching path: String) throws -> [String] {
    var info = stat()
    var found: [String] = []
    if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      let names: [String]
      do {
        names = try FileManager.default.contentsOfDirectory(atPath: path)
      } catch {
        throw DeepCellError(.noInput, path, "cannot list the directory")
      }
      for name in names where !name.hasPrefix(".") {
        let ext = (name as NSString).pathExtension.lowercased()
        guard imageExtensions.contains(ext) else { continue }
        let full = path.hasSuffix("/") ? path + name : path + "/" + name
        if stat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { found.append(full) }
      }
      guard !found.isEmpty else {
        throw DeepCellError(
          .noInput, path,
          "the directory holds no image files (\(imageExtensions.map { "." + $0 }.joined(separator: ", ")))"
        )
      }
    } else {
      var matches = glob_t()
      defer { globfree(&matches) }
      let status = glob(path, 0, nil, &matches)
      if status == 0 {
        for k in 0..<Int(matches.gl_pathc) {
          guard let p = matches.gl_pathv[k] else { continue }
          let name = String(cString: p)
          if stat(name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { found.append(name) }
        }
      }
      guard !found.isEmpty else {
        throw DeepCellError(.noInput, path, "no file matches the pattern")
      }
    }
    return NaturalOrder.sorted(found)
  }

  /// Reads the files `path` names (``files(matching:)``) as one stack.
  public convenience init(path: String) throws {
    try self.init(files: try Self.files(matching: path))
  }

  /// Reads `files` in the order given as one stack. Throws `noInput` for a missing file,
  /// `badData` naming the first file whose frames differ from the first file's in shape or
  /// dtype, or one that is no image.
  public init(files: [String]) throws {
    precondition(!files.isEmpty, "no files")
    self.files = files
    var first: [Int] = []
    var total = 0
    var shape: [Int] = []
    var type = DType.uint8
    var metadata = StackMetadata()
    var warnings: [String] = []
    var opened: (file: Int, reader: any StackReader)? = nil
    for (k, file) in files.enumerated() {
      first.append(total)
      let input = try InputFile(path: file)
      // A PNG is one frame; its size is checked when it is decoded, except the first's.
      if input.format == .png && k > 0 {
        total += 1
        continue
      }
      let reader = try input.stackReader()
      for w in input.warnings where !warnings.contains(w) { warnings.append(w) }
      if k == 0 {
        (shape, type, metadata) = (reader.frameShape, reader.dtype, reader.metadata)
        opened = (0, reader)
      } else {
        try Self.check(reader, file: file, shape: shape, dtype: type, firstFile: files[0])
      }
      total += reader.frameCount
    }
    first.append(total)
    firstFrame = first
    frameCount = total
    frameShape = shape
    dtype = type
    self.metadata = StackMetadata(pixelSize: metadata.pixelSize)
    self.warnings = warnings
    open = opened
  }

  /// Throws `badData` naming `file` unless `reader`'s frames are `shape` `dtype`.
  static func check(
    _ reader: any StackReader, file: String, shape: [Int], dtype: DType, firstFile: String
  ) throws {
    guard reader.frameShape == shape, reader.dtype == dtype else {
      let (h, w, c) = (reader.frameShape[0], reader.frameShape[1], reader.frameShape[2])
      throw DeepCellError(
        .badData, file,
        "frames of \(h)×\(w)×\(c) \(reader.dtype) differ from \(firstFile)'s \(shape[0])×\(shape[1])×\(shape[2]) \(dtype): the files of a sequence must match"
      )
    }
  }

  /// Frame `index` of the sequence: a frame of the file holding it, opened when needed.
  public func readFrame(_ index: Int) throws -> NDArray {
    guard index >= 0, index < frameCount else {
      throw DeepCellError(.usage, files[0], "frame \(index) out of range (0..<\(frameCount))")
    }
    // The last file whose first frame is at or before `index`.
    var low = 0
    var high = files.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if firstFrame[mid] <= index { low = mid } else { high = mid - 1 }
    }
    if open?.file != low {
      open = nil
      let reader = try InputFile(path: files[low]).stackReader()
      try Self.check(reader, file: files[low], shape: frameShape, dtype: dtype, firstFile: files[0])
      guard reader.frameCount == firstFrame[low + 1] - firstFrame[low] else {
        throw DeepCellError(.badData, files[low], "changed while it was read")
      }
      open = (low, reader)
    }
    return try open!.reader.readFrame(index - firstFrame[low])
  }
}
