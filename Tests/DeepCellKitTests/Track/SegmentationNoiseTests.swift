import Foundation
import XCTest

@testable import DeepCellKit

/// Issue 18: tracking from what a segmentation gives rather than clean masks. The truth is a
/// clean synthetic movie (``CleanMovies``); the tracker gets the same movie with noise of the
/// kinds found in our segmentation of Fluo-N2DH-SIM+ (bench/track_results.md): mitotic
/// nuclei cut into two touching halves a frame or two before the daughters separate, and
/// touching neighbours merged into one mask for a few frames.
final class SegmentationNoiseTests: XCTestCase {
  /// The movie's frames with every mitotic parent (a track with two daughters starting the
  /// frame after it ends) cut into two halves in its last `frames` frames, along the line
  /// through its centroid perpendicular to the line between its daughters.
  static func mitoticHalves(_ movie: CleanMovies.Movie, frames count: Int) -> [[Int]] {
    var out = movie.frames
    var fresh = (movie.frames.flatMap { $0 }.max() ?? 0) + 1
    let w = movie.width
    func centroid(_ t: Int, _ label: Int) -> (Double, Double)? {
      var n = 0.0
      var r = 0.0
      var c = 0.0
      for (p, v) in movie.frames[t].enumerated() where v == label {
        n += 1
        r += Double(p / w)
        c += Double(p % w)
      }
      return n > 0 ? (r / n, c / n) : nil
    }
    for parent in movie.tracks {
      let kids = movie.tracks.filter { $0.parent == parent.label }
      guard kids.count == 2, kids.allSatisfy({ $0.begin == parent.end + 1 }),
        let a = centroid(parent.end + 1, kids[0].label),
        let b = centroid(parent.end + 1, kids[1].label)
      else { continue }
      for t in max(parent.begin, parent.end - count + 1)...parent.end {
        guard let m = centroid(t, parent.label) else { continue }
        for (p, v) in movie.frames[t].enumerated() where v == parent.label {
          let side =
            (Double(p / w) - m.0) * (b.0 - a.0) + (Double(p % w) - m.1) * (b.1 - a.1)
          if side > 0 { out[t][p] = fresh }
        }
        fresh += 1
      }
    }
    return out
  }

  /// Divisions of the truth in the movie (tracks with two daughters).
  static func divisionCount(_ movie: CleanMovies.Movie) -> Int {
    Set(
      movie.tracks.map(\.parent).filter { p in
        p != 0 && movie.tracks.filter { $0.parent == p }.count == 2
      }
    ).count
  }

  func testMitoticHalvesAreTheParentUntilTheDaughtersSeparate() throws {
    for seed in [1, 2] as [UInt64] {
      let movie = CleanMovies.synthetic(.dividing, seed: seed)
      XCTAssertGreaterThan(Self.divisionCount(movie), 5)
      for cut in [1, 2] {
        let input = Self.mitoticHalves(movie, frames: cut)
        let ours = try CleanMovies.evaluate(CleanMovies.track(movie, input: input), movie)
        var atOnce = TrackingParameters()
        atOnce.divisionJoin = 0
        let early = try CleanMovies.evaluate(
          CleanMovies.track(movie, input: input, parameters: atOnce), movie)
        let name = "seed \(seed), parents cut in their last \(cut) frames"
        // Reported when the halves appear, every division comes `cut` frames early and
        // none is found; kept as the parent, each is found in its frame.
        XCTAssertLessThan(early.graphDivisions.f1.isNaN ? 0 : early.graphDivisions.f1, 0.5, name)
        XCTAssertGreaterThanOrEqual(ours.graphDivisions.f1, 0.95, name)
        XCTAssertLessThan(ours.operations.aogm, early.operations.aogm, name)
        XCTAssertEqual(ours.det, 1, name)
      }
    }
  }

  func testADaughterAppearingAFrameLateIsStillADaughter() throws {
    // One daughter of every division is missed in its first frame: the parent's track goes
    // on into the other daughter, half its area, and the missed one appears a frame later.
    // Measured against the parent's last whole mask it is a division, found a frame late
    // (BC(1)); measured against the half-size daughter it is not.
    for seed in [1, 2] as [UInt64] {
      let movie = CleanMovies.synthetic(.dividing, seed: seed)
      var input = movie.frames
      var late = 0
      for parent in movie.tracks {
        let kids = movie.tracks.filter { $0.parent == parent.label }
        guard kids.count == 2, kids[0].begin == parent.end + 1, kids[0].end > kids[0].begin
        else { continue }
        let t = kids[0].begin
        input[t] = input[t].map { $0 == kids[0].label ? 0 : $0 }
        late += 1
      }
      XCTAssertGreaterThan(late, 5)
      let e = try CleanMovies.evaluate(
        CleanMovies.track(movie, input: input), movie, divisionTolerance: 1)
      XCTAssertGreaterThanOrEqual(e.divisions.f1, 0.9, "seed \(seed): \(e.divisions)")
    }
  }

  /// The movie with one daughter of every division unseen for its first `frames` frames, in
  /// the truth as in the input (as the CTC's GOWT1 01 reference starts its daughters 4
  /// frames apart); returns it and how many divisions were changed.
  static func lateDaughters(_ movie: CleanMovies.Movie, frames k: Int) -> (CleanMovies.Movie, Int) {
    var late = movie
    var count = 0
    for parent in movie.tracks {
      let kids = movie.tracks.filter { $0.parent == parent.label }
      guard kids.count == 2, kids.allSatisfy({ $0.begin == parent.end + 1 }),
        kids[0].end > kids[0].begin + k
      else { continue }
      for t in kids[0].begin..<(kids[0].begin + k) {
        late.frames[t] = late.frames[t].map { $0 == kids[0].label ? 0 : $0 }
      }
      let i = late.tracks.firstIndex { $0.label == kids[0].label }!
      late.tracks[i].begin += k
      count += 1
    }
    return (late, count)
  }

  func testADaughterUnseenForFramesIsDatedWhereTheFirstAppears() throws {
    // The parent's track goes on into the daughter that is seen (about half its area); the
    // other starts a track of its own 2 or 3 frames later. dc-track's whole job with
    // `--late-daughter-gap 3` (``LateDaughter``) makes it the second daughter and ends the
    // parent where its mask shrank, the reference's division frame; by default (0) none is
    // found.
    let folder = try TestPaths.temporaryFolder(self)
    for k in [2, 3] {
      let (movie, count) = Self.lateDaughters(CleanMovies.synthetic(.dividing, seed: 1), frames: k)
      XCTAssertGreaterThan(count, 5)
      var on = TrackingParameters()
      on.lateDaughterGap = 3
      let ours = try CleanMovies.evaluate(
        CleanMovies.trackJob(
          movie, input: movie.frames, folder: folder.appendingPathComponent("late\(k)"),
          parameters: on), movie)
      let plain = try CleanMovies.evaluate(
        CleanMovies.trackJob(
          movie, input: movie.frames, folder: folder.appendingPathComponent("off\(k)")), movie)
      let name = "one daughter unseen for \(k) frames (\(count) divisions)"
      // Unseen for 3 frames, a few late daughters appear touching their sister and are
      // taken at once by the online tracker as a division of the sister (``DivisionDetection``'s
      // footprint rule), reported 3 frames late: 30 of the 36 are found at seed 1.
      XCTAssertGreaterThanOrEqual(
        ours.divisions.f1, k == 2 ? 0.95 : 0.8, "\(name): \(ours.divisions)")
      XCTAssertLessThan(plain.divisions.f1.isNaN ? 0 : plain.divisions.f1, 0.5, name)
      XCTAssertLessThan(ours.operations.aogm, plain.operations.aogm, name)
      XCTAssertEqual(ours.det, 1, name)
      // A late daughter is in a lineage, so `--min-track-length` does not remove it, however
      // short (the limit here removes every other track without lineage).
      on.minTrackLength = movie.frames.count
      let filtered = try CleanMovies.evaluate(
        CleanMovies.trackJob(
          movie, input: movie.frames, folder: folder.appendingPathComponent("short\(k)"),
          parameters: on), movie)
      XCTAssertEqual(filtered.divisions, ours.divisions, name)
    }
  }

  func testHalvesOfOneNucleusAreJoinedButTouchingNucleiAreNot() throws {
    // Frame 24 × 48: a 20 × 16 nucleus cut down the middle (columns 4…11 | 12…19), and two
    // discs of radius 6 one pixel apart (centres 13 apart on row 12).
    let h = 24
    let w = 48
    var labels = [Int](repeating: 0, count: h * w)
    for r in 2..<22 {
      for c in 4..<20
      where Double((r - 12) * (r - 12)) / 100 + Double((c - 12) * (c - 12)) / 64 <= 1 {
        labels[r * w + c] = c < 12 ? 1 : 2
      }
      for c in 20..<48 {
        if (r - 12) * (r - 12) + (c - 26) * (c - 26) <= 36 { labels[r * w + c] = 3 }
        if (r - 12) * (r - 12) + (c - 39) * (c - 39) <= 36 { labels[r * w + c] = 4 }
      }
    }
    let (cells, cellOfPixel) = try CellFeatures.measureWithIndexMap(
      labels: TrackFixtures.frame(labels, h, w), raw: nil, subject: "t")
    func joined(_ a: Int, _ b: Int) -> Bool {
      DivisionJoin.joined(
        cells[a], aIndex: a, cells[b], bIndex: b, cellOfPixel: cellOfPixel, height: h, width: w,
        contact: TrackingParameters().divisionJoinContact)
    }
    XCTAssertTrue(joined(0, 1))
    XCTAssertFalse(joined(2, 3))
    XCTAssertFalse(joined(0, 2))
    let union = DivisionJoin.union(cells[0], cells[1])
    XCTAssertEqual(union.area, cells[0].area + cells[1].area)
    XCTAssertEqual(union.pixels, (cells[0].pixels + cells[1].pixels).sorted())
    XCTAssertEqual(union.centroidRow, 12, accuracy: 0.5)
  }

  /// The touching movie with a third of its partner pairs merged into one mask (the first
  /// partner's label) for `frames` frames from frame 10; returns the input and the merged
  /// partners' labels.
  static func mergedPairs(_ movie: CleanMovies.Movie, frames count: Int) -> ([[Int]], [Int]) {
    var out = movie.frames
    var taken: [Int] = []
    for first in stride(from: 1, to: 18, by: 6) {
      let second = first + 1
      let frames = 9...(10 + count)
      guard
        frames.allSatisfy({ movie.frames[$0].contains(first) && movie.frames[$0].contains(second) })
      else { continue }
      for t in 10..<(10 + count) {
        out[t] = out[t].map { $0 == second ? first : $0 }
      }
      taken.append(second)
    }
    return (out, taken)
  }

  func testMergedNeighboursKeepTheirIdentityAndTheirMasks() throws {
    let folder = try TestPaths.temporaryFolder(self)
    for count in [1, 2, 3] {
      let movie = CleanMovies.synthetic(.touching, seed: 4)
      let (input, merged) = Self.mergedPairs(movie, frames: count)
      XCTAssertGreaterThanOrEqual(merged.count, 2)
      let ours = try CleanMovies.trackJob(
        movie, input: input, folder: folder.appendingPathComponent("split\(count)"))
      var off = TrackingParameters()
      off.splitMerges = false
      let plain = try CleanMovies.trackJob(
        movie, input: input, folder: folder.appendingPathComponent("plain\(count)"),
        parameters: off)
      let e = try CleanMovies.evaluate(ours, movie)
      let p = try CleanMovies.evaluate(plain, movie)
      let name = "merged for \(count) frames"
      XCTAssertLessThan(e.operations.aogm, p.operations.aogm, name)
      XCTAssertEqual(e.operations.fn, 0, name)
      // Every merged cell keeps one CTC track through the merge (no gap, no new track).
      for label in merged {
        var labels = Set<Int>()
        for (t, f) in movie.frames.enumerated() {
          for (q, v) in f.enumerated() where v == label && ours.frames[t][q] != 0 {
            labels.insert(ours.frames[t][q])
          }
        }
        let runs = ours.tracks.filter { labels.contains($0.label) }
        XCTAssertEqual(runs.count, 1, "\(name): cell \(label) → \(runs)")
      }
    }
  }
}
