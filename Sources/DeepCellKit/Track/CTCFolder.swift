import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A Cell Tracking Challenge folder read as a movie (spec/track.md §6): the `*.tif` files in
/// sorted name order (deepcell's `load_tiffs`; `mask*.tif` or `man_track*.tif` when present),
/// one 2-D frame each, and the track table `res_track.txt` or `man_track.txt` when there is one.
public final class CTCFolderReader: StackReader {
  /// The folder.
  public let path: String
  /// The mask files, in frame order.
  public let files: [String]
  /// The track table, if the folder has one.
  public let table: TrackTable?
  public let frameCount: Int
  public let frameShape: [Int]
  public let dtype: DType

  /// Lists and checks the folder.
  ///
  /// - Throws: ``DeepCellError``: `noInput` when it is not a readable folder, `badData` when it
  ///   holds no TIFF masks, a malformed track table, or masks of different sizes or types.
  public init(path: String) throws {
    self.path = path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
      let names = try? FileManager.default.contentsOfDirectory(atPath: path)
    else { throw DeepCellError(.noInput, path, "not a readable folder") }
    let tiffs = names.filter {
      $0.lowercased().hasSuffix(".tif") || $0.lowercased().hasSuffix(".tiff")
    }.sorted()
    let masks = tiffs.filter { $0.hasPrefix("mask") }
    let manual = tiffs.filter { $0.hasPrefix("man_track") }
    let chosen = !masks.isEmpty ? masks : (!manual.isEmpty ? manual : tiffs)
    guard !chosen.isEmpty else {
      throw DeepCellError(.badData, path, "no TIFF masks in the folder (empty movie)")
    }
    files = chosen.map { (path as NSString).appendingPathComponent($0) }
    var table: TrackTable?
    for name in ["res_track.txt", "man_track.txt"] where table == nil && names.contains(name) {
      let file = (path as NSString).appendingPathComponent(name)
      guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
        throw DeepCellError(.noInput, file, "cannot read the track table")
      }
      table = try TrackTable.parse(text, subject: file)
    }
    self.table = table
    let first = try TIFFStackReader(path: files[0])
    guard first.frameCount == 1, first.frameShape[2] == 1 else {
      throw DeepCellError(
        .badData, files[0],
        "a CTC mask must be one 2-D plane, not \(first.frameCount) × \(first.frameShape)")
    }
    frameCount = files.count
    frameShape = first.frameShape
    dtype = first.dtype
  }

  public func readFrame(_ index: Int) throws -> NDArray {
    let reader = try TIFFStackReader(path: files[index])
    guard reader.frameCount == 1, reader.frameShape == frameShape else {
      throw DeepCellError(
        .badData, files[index],
        "mask is \(reader.frameCount) × \(reader.frameShape), but the first mask is 1 × \(frameShape)"
      )
    }
    let frame = try reader.readFrame(0)
    return frame.dtype == dtype ? frame : frame.converted(to: .int64)
  }
}

/// Writes a Cell Tracking Challenge result folder (spec/track.md §6): `maskTTT.tif` (16-bit,
/// 3 digits, 4 from 1000 frames on) per frame and `res_track.txt`. Everything goes to a
/// temporary folder beside the destination and is moved into place by ``finish(table:)``;
/// masks and track file of an earlier result in the destination are replaced.
public final class CTCFolderWriter {
  /// The destination folder.
  public let path: String
  private let frameCount: Int
  private let height: Int
  private let width: Int
  private let temporary: URL
  private var written = 0
  private var settled = false

  /// Prepares a result of `frameCount` masks of `height × width`.
  public init(path: String, frameCount: Int, height: Int, width: Int) throws {
    self.path = path
    self.frameCount = frameCount
    self.height = height
    self.width = width
    let destination = URL(fileURLWithPath: path)
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
      throw DeepCellError(.cannotCreate, path, "exists and is not a folder")
    }
    temporary = destination.deletingLastPathComponent().appendingPathComponent(
      ".\(destination.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
    do {
      try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
    } catch {
      throw DeepCellError(
        .cannotCreate, path, "cannot create a folder beside it: \(error.localizedDescription)")
    }
  }

  deinit { abort() }

  /// The mask file name of frame `t`.
  public static func maskName(_ t: Int, frameCount: Int) -> String {
    let digits = frameCount >= 1000 ? 4 : 3
    let number = String(t)
    return "mask" + String(repeating: "0", count: max(0, digits - number.count)) + number + ".tif"
  }

  /// Writes the next mask (row-major CTC labels, each < 65536).
  public func append(_ labels: [Int32]) throws {
    guard written < frameCount, labels.count == height * width else {
      throw DeepCellError(.badData, path, "mask \(written) does not fit the declared movie")
    }
    var values = [UInt16](repeating: 0, count: labels.count)
    for (i, l) in labels.enumerated() {
      guard l >= 0 && l <= Int32(UInt16.max) else {
        throw DeepCellError(.badData, path, "label \(l) does not fit a 16-bit CTC mask")
      }
      values[i] = UInt16(l)
    }
    let file = temporary.appendingPathComponent(Self.maskName(written, frameCount: frameCount)).path
    let writer = try TIFFStackWriter(
      path: file, dtype: .uint16, frameShape: [height, width, 1], frameCount: 1,
      options: TIFFWriteOptions(compression: .deflate, imageJ: false))
    do {
      try writer.append(NDArray(shape: [height, width, 1], values: values))
      try writer.finish()
    } catch {
      writer.abort()
      throw error
    }
    written += 1
  }

  /// Writes `res_track.txt` and moves the result into place.
  public func finish(table: TrackTable) throws {
    guard written == frameCount else {
      throw DeepCellError(.badData, path, "only \(written) of \(frameCount) masks were written")
    }
    do {
      try Data(table.text().utf8).write(to: temporary.appendingPathComponent("res_track.txt"))
    } catch {
      throw DeepCellError(.io, path, "cannot write res_track.txt: \(error.localizedDescription)")
    }
    let fm = FileManager.default
    if !fm.fileExists(atPath: path) {
      guard rename(temporary.path, path) == 0 else {
        throw DeepCellError(.cannotCreate, path, String(cString: strerror(errno)))
      }
      settled = true
      return
    }
    // Replace an earlier result inside an existing folder.
    let old = (try? fm.contentsOfDirectory(atPath: path)) ?? []
    for name in old
    where (name.hasPrefix("mask") && name.hasSuffix(".tif")) || name == "res_track.txt" {
      try? fm.removeItem(atPath: (path as NSString).appendingPathComponent(name))
    }
    for name in (try? fm.contentsOfDirectory(atPath: temporary.path)) ?? [] {
      let target = (path as NSString).appendingPathComponent(name)
      guard rename(temporary.appendingPathComponent(name).path, target) == 0 else {
        throw DeepCellError(.cannotCreate, target, String(cString: strerror(errno)))
      }
    }
    abort()
  }

  /// Removes the temporary folder; the destination is untouched unless finished.
  public func abort() {
    if settled { return }
    settled = true
    try? FileManager.default.removeItem(at: temporary)
  }
}
