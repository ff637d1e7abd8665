import Dispatch
import Foundation

/// The Cell Tracking Challenge measures of a result folder against a ground-truth folder in
/// CTC layout (metrics.md §4, track.md §6), read frame by frame in bounded memory:
///
///     NN_RES/  mask000.tif … maskTTT.tif   res_track.txt
///     NN_GT/   TRA/man_track000.tif …  TRA/man_track.txt   SEG/man_segTTT.tif (some frames)
///
/// As in py-ctcmetrics, masks are paired by their sorted order and a `man_segTTT.tif` is
/// compared with the result mask at position TTT; a file may be a multi-page 3-D volume.
public enum CTCFolderEvaluation {
  /// Measures `resultFolder` against `truthFolder`.
  ///
  /// - Parameters:
  ///   - measureSEG: compare with `SEG/` when present (SEG is NaN without it).
  ///   - divisionTolerance: i of BC(i).
  ///   - threads: workers reading and matching frames (0: all cores).
  /// - Throws: ``DeepCellError``: `noInput` for a missing folder or lineage file; `badData`
  ///   for no masks, unequal frame counts, frames of different shapes, bad lineages or
  ///   results that fail the CTC checks (the message names the file).
  public static func evaluate(
    resultFolder: String, truthFolder: String, measureSEG: Bool = true, divisionTolerance: Int = 0,
    threads: Int = 0
  ) throws -> TrackingEvaluation {
    let res = URL(fileURLWithPath: resultFolder)
    let gt = URL(fileURLWithPath: truthFolder)
    let tra = gt.appendingPathComponent("TRA")
    try requireFolder(res.path)
    try requireFolder(gt.path)
    try requireFolder(tra.path)
    let resultMasks = try tiffFiles(in: res.path)
    let truthMasks = try tiffFiles(in: tra.path)
    let resTrackPath = res.appendingPathComponent("res_track.txt").path
    let manTrackPath = tra.appendingPathComponent("man_track.txt").path
    let resultTracks = try CTCTrackTable.read(path: resTrackPath)
    let truthTracks = try CTCTrackTable.read(path: manTrackPath)
    guard !truthMasks.isEmpty else {
      throw DeepCellError(.badData, tra.path, "no man_track*.tif masks")
    }
    guard resultMasks.count == truthMasks.count else {
      throw DeepCellError(
        .badData, res.path,
        "\(resultMasks.count) mask files, but the ground truth \(tra.path) has \(truthMasks.count) frames"
      )
    }
    let frames = try matchFiles(
      Array(
        zip(
          truthMasks.map { tra.appendingPathComponent($0).path },
          resultMasks.map { res.appendingPathComponent($0).path })),
      threads: threads)

    var segFrames: [CTCFrameMatch]?
    let seg = gt.appendingPathComponent("SEG")
    var isFolder: ObjCBool = false
    if measureSEG, FileManager.default.fileExists(atPath: seg.path, isDirectory: &isFolder),
      isFolder.boolValue
    {
      var pairs = [(String, String)]()
      for name in try tiffFiles(in: seg.path) {
        let digits = name.replacingOccurrences(of: "man_seg", with: "").replacingOccurrences(
          of: ".tif", with: "")
        guard let t = Int(digits) else {
          throw DeepCellError(
            .badData, seg.appendingPathComponent(name).path,
            "cannot read a frame number from the name")
        }
        guard t >= 0, t < resultMasks.count else {
          throw DeepCellError(
            .badData, seg.appendingPathComponent(name).path,
            "frame \(t) has no result mask (there are \(resultMasks.count))")
        }
        pairs.append(
          (seg.appendingPathComponent(name).path, res.appendingPathComponent(resultMasks[t]).path))
      }
      segFrames = try matchFiles(pairs, threads: threads)
    }
    return try TrackingEvaluation(
      frames: frames, segmentationFrames: segFrames, referenceTracks: truthTracks,
      resultTracks: resultTracks,
      divisionTolerance: divisionTolerance, referenceName: manTrackPath, resultName: resTrackPath,
      resultMaskName: { res.appendingPathComponent(resultMasks[$0]).path })
  }

  /// Reads and matches (reference, result) file pairs, in parallel, results in order.
  static func matchFiles(_ pairs: [(String, String)], threads: Int) throws -> [CTCFrameMatch] {
    try Parallel.map(pairs.count, threads: threads > 0 ? threads : nil) { k in
      let reference = try readLabels(pairs[k].0)
      let result = try readLabels(pairs[k].1)
      guard reference.shape == result.shape else {
        throw DeepCellError(
          .badData, pairs[k].1,
          "shape \(result.shape) differs from \(pairs[k].0)'s \(reference.shape)")
      }
      return CTCFrameMatch(reference: reference, result: result)
    }
  }

  /// One mask file as labels: a 2-D image, or a volume for a multi-page file.
  static func readLabels(_ path: String) throws -> IndexedLabels {
    let reader = try TIFFStackReader(path: path)
    let shape = reader.frameShape
    guard shape.count == 3, shape[2] == 1 else {
      throw DeepCellError(.badData, path, "a mask must have one channel, got \(shape)")
    }
    let array = reader.frameCount == 1 ? try reader.readFrame(0) : try reader.readAll()
    let imageShape =
      reader.frameCount == 1 ? [shape[0], shape[1]] : [reader.frameCount, shape[0], shape[1]]
    return try IndexedLabels(stack: array, frame: 0, imageShape: imageShape, subject: path)
  }

  static func requireFolder(_ path: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw DeepCellError(.noInput, path, "no such folder")
    }
    guard isFolder.boolValue else { throw DeepCellError(.noInput, path, "not a folder") }
  }

  /// The `.tif` file names of a folder, sorted.
  static func tiffFiles(in folder: String) throws -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: folder).filter {
        $0.hasSuffix(".tif")
      }.sorted()
    } catch {
      throw DeepCellError(.noInput, folder, "cannot list the folder")
    }
  }
}
