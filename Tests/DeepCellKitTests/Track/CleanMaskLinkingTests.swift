import Foundation
import XCTest

@testable import DeepCellKit

/// Issue 18: on clean masks (ids scrambled per frame) dc-track's AOGM is never above a plain
/// IoU-Hungarian linker's, divisions are found (F1 ≥ 0.95), and a track that loses 3 % of its
/// detections keeps one id. Synthetic movies run everywhere; the CTC sequences need ../shared
/// (skipped with a reason outside CI, a failure under CI=true).
final class CleanMaskLinkingTests: XCTestCase {
  /// dc-track against the IoU linker on one movie, both as ``CellTracker`` and as the whole
  /// ``TrackingJob`` users run, with its writing pass's every repair on (gap filling, merge
  /// splitting, and the opt-in late daughters, `--late-daughter-gap 3`); returns
  /// ``CellTracker``'s evaluation.
  private var compared = 0

  @discardableResult
  func compare(_ movie: CleanMovies.Movie) throws -> TrackingEvaluation {
    let ours = try CleanMovies.evaluate(CleanMovies.track(movie), movie)
    compared += 1
    let folder = try TestPaths.temporaryFolder(self).appendingPathComponent("movie\(compared)")
    var late = TrackingParameters()
    late.lateDaughterGap = 3
    let job = try CleanMovies.evaluate(
      CleanMovies.trackJob(movie, input: movie.frames, folder: folder, parameters: late), movie)
    let iou = try CleanMovies.evaluate(CleanMovies.iouLinker(movie), movie)
    for (what, e) in [
      ("dc-track's tracker", ours), ("dc-track's whole job, late daughters on", job),
    ] {
      XCTAssertLessThanOrEqual(
        e.operations.aogm, iou.operations.aogm,
        "\(movie.name): \(what) AOGM \(e.operations.aogm), IoU linker \(iou.operations.aogm)")
      XCTAssertEqual(e.det, 1, "\(movie.name): \(what) detects every clean cell")
    }
    return ours
  }

  func testSyntheticMoviesAreLinkedNoWorseThanIoU() throws {
    for kind in CleanMovies.Kind.allCases {
      for seed in [1, 2] as [UInt64] {
        let movie = CleanMovies.synthetic(kind, seed: seed)
        let e = try compare(movie)
        if kind == .dividing {
          let o = e.operations
          XCTAssertEqual(
            o.aogm, 0,
            "\(movie.name) seed \(seed): NS \(o.ns) FN \(o.fn) FP \(o.fp) ED \(o.ed) EA \(o.ea) EC \(o.ec)"
          )
        }
        if kind == .dividing {
          XCTAssertGreaterThan(e.graphDivisions.referenceDivisions, 5)
          XCTAssertGreaterThanOrEqual(e.graphDivisions.f1, 0.95, "\(movie.name) seed \(seed)")
          XCTAssertGreaterThanOrEqual(e.divisions.f1, 0.95, "\(movie.name) seed \(seed)")
        }
      }
    }
  }

  func testGoldenSequenceIsLinkedNoWorseThanIoU() throws {
    let (gt, h, w) = try TrackFixtures.groundTruth()
    // ctc_sequence.npz: 16 cells, cell 1 divides into 17 and 18 at frame 5.
    let movie = CleanMovies.fromFrames(
      name: "golden ctc_sequence", gt, h, w, parentOf: [17: 1, 18: 1])
    let e = try compare(movie)
    XCTAssertEqual(e.operations.aogm, 0)
    XCTAssertEqual(e.graphDivisions.truePositives, 1)
  }

  func testCTCSequencesAreLinkedNoWorseThanIoU() throws {
    for name in ["ctc-fluo-n2dh-sim-plus-01", "ctc-fluo-n2dh-gowt1-01"] {
      let gt = try TestEnvironment.requireShared("data/\(name)/01_GT")
      let movie = try CleanMovies.ctc(gt, name: name)
      let e = try compare(movie)
      if name.contains("sim-plus") {
        XCTAssertGreaterThanOrEqual(e.graphDivisions.f1, 0.95, name)
        XCTAssertGreaterThanOrEqual(e.divisions.f1, 0.95, name)
      }
    }
  }

  /// 3 % of the cell-frames dropped (seeded): every ground-truth track that lost a detection
  /// keeps a single track id over all its frames.
  func testDroppedDetectionsKeepOneIdentity() throws {
    // GOWT1 (1024², two minutes in a debug build) is left to bench/track_accuracy.sh. The
    // dividing movie is not used: with a daughter's first frame dropped the division is found
    // a frame late and the daughter that continued its parent's id for that frame changes id
    // (6 of its tracks), which BC(1), not this identity count, is meant to judge.
    var movies = [CleanMovies.synthetic(.touching, seed: 3)]
    let gt = try TestEnvironment.requireShared("data/ctc-fluo-n2dh-sim-plus-01/01_GT")
    movies.append(try CleanMovies.ctc(gt, name: "ctc-fluo-n2dh-sim-plus-01"))
    for movie in movies {
      var cellFrames: [(Int, Int)] = []
      for (t, f) in movie.frames.enumerated() {
        for l in Set(f).subtracting([0]).sorted() { cellFrames.append((t, l)) }
      }
      var rng = SplitMix(seed: 18)
      var dropped = Set<Int>()
      while dropped.count < cellFrames.count * 3 / 100 {
        dropped.insert(Int(rng.next() % UInt64(cellFrames.count)))
      }
      var frames = movie.frames
      var affected = Set<Int>()
      for i in dropped {
        let (t, l) = cellFrames[i]
        frames[t] = frames[t].map { $0 == l ? 0 : $0 }
        affected.insert(l)
      }
      let (out, _) = try TrackFixtures.track(
        frames.enumerated().map { TrackFixtures.scrambled($1, seed: UInt64(500 + $0)) },
        movie.height, movie.width)
      let ids = TrackFixtures.idsPerTruthLabel(frames, out)
      let broken = affected.filter { (ids[$0]?.count ?? 0) > 1 }
      XCTAssertTrue(
        broken.isEmpty, "\(movie.name): tracks \(broken.sorted()) lost their identity over a gap")
    }
  }
}
