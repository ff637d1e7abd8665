import Foundation
import XCTest

@testable import DeepCellKit

/// CTC measures on the real sequences in ../shared/data (CTC licence: internal use only, so
/// never copied into the repository) against py-ctcmetrics numbers from
/// make_ctc_real_reference.py. The result is the TRA markers perturbed exactly as that script
/// does. Without ../shared the tests skip, and fail under `CI=true` (CI has ../shared).
final class TrackingRealDataTests: XCTestCase {
  func run(_ name: String) throws {
    let gt = try TestEnvironment.requireShared("data/\(name)/01_GT")
    // 30 frames of up to 1024²: about 35 s for both sequences in a debug build on 2 cores, so
    // they run in every `make test` that has ../shared.
    let all = try XCTUnwrap(loadMetricsJSON("reference_ctc_real.json") as? [String: Any])
    let reference = try XCTUnwrap(all[name] as? [String: Any])

    let traFolder = gt.appendingPathComponent("TRA")
    let files = try CTCFolderEvaluation.tiffFiles(in: traFolder.path)
    let tra = try files.map {
      try TIFFStackReader(path: traFolder.appendingPathComponent($0).path).readFrame(0)
    }
    let tracks = try CTCTrackTable.read(
      path: traFolder.appendingPathComponent("man_track.txt").path)
    let T = tra.count
    let full = tracks.filter { $0.begin == 0 && $0.end == T - 1 && $0.parent == 0 }.map(\.label)
      .sorted()
    let (a, b, c, d) = (full[0], full[1], full[2], full[3])
    let new = tracks.map(\.label).max()! + 1
    let shape = [tra[0].shape[0], tra[0].shape[1]]
    var result = [NDArray]()
    for t in 0..<T {
      let g = tra[t].values(UInt16.self)
      var r = g
      for i in g.indices {
        let l = Int(g[i])
        if t >= 20 && l == a { r[i] = 0 }
        if t >= 10 && l == b { r[i] = UInt16(new) }
        if t >= 15 && l == c { r[i] = UInt16(d) }
        if t >= 15 && l == d { r[i] = UInt16(c) }
      }
      if (5...8).contains(t) {
        for y in 0..<7 {
          for x in 0..<7 where r[y * shape[1] + x] == 0 { r[y * shape[1] + x] = UInt16(new + 1) }
        }
      }
      result.append(NDArray(shape: shape, values: r))
    }
    var resultTracks = tracks.map { rec -> TrackRecord in
      var rec = rec
      if rec.label == a { rec.end = 19 }
      if rec.label == b { rec.end = 9 }
      return rec
    }
    resultTracks.append(TrackRecord(label: new, begin: 10, end: T - 1, parent: 0))
    resultTracks.append(TrackRecord(label: new + 1, begin: 5, end: 8, parent: 0))

    let frames = try (0..<T).map {
      CTCFrameMatch(
        reference: try IndexedLabels(
          stack: tra[$0], frame: 0, imageShape: shape, subject: files[$0]),
        result: try IndexedLabels(
          stack: result[$0], frame: 0, imageShape: shape, subject: "result \($0)"))
    }
    let segFolder = gt.appendingPathComponent("SEG")
    let segFrames = try CTCFolderEvaluation.tiffFiles(in: segFolder.path).map {
      file -> CTCFrameMatch in
      let t = Int(file.dropFirst("man_seg".count).dropLast(".tif".count))!
      let seg = try TIFFStackReader(path: segFolder.appendingPathComponent(file).path).readFrame(0)
      return CTCFrameMatch(
        reference: try IndexedLabels(stack: seg, frame: 0, imageShape: shape, subject: file),
        result: try IndexedLabels(
          stack: result[t], frame: 0, imageShape: shape, subject: "result \(t)"))
    }
    let e = try TrackingEvaluation(
      frames: frames, segmentationFrames: segFrames, referenceTracks: tracks,
      resultTracks: resultTracks)
    assertRecord(e.record, reference, tolerance: 1e-6, context: name)
    assertRecord(e.record, reference, tolerance: 1e-12, context: name + " (exact)")
  }

  func testGOWT1() throws { try run("ctc-fluo-n2dh-gowt1-01") }
  func testSIMPlus() throws { try run("ctc-fluo-n2dh-sim-plus-01") }
}
