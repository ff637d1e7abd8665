import Foundation
import XCTest

@testable import DeepCellKit

/// The library's defaults against the reference's own signatures (deepcell-toolbox 0.12.1,
/// scikit-image 0.21: `inspect.signature` recorded by Tests/Fixtures/defaults/make_fixtures.py).
/// A default that parity tests with explicit values cannot see (h-maxima's h = 0.1 typed as
/// 0.11) fails here; so does a reference default this table neither compares nor lists as
/// not ported.
final class ReferenceDefaultsTests: XCTestCase {
  /// Our value for each reference parameter with a default, per function (nil = `None`).
  static var ours: [String: [String: Any?]] {
    let w = DeepWatershedParameters()
    let m = ObjectMetrics.Parameters()
    let clahe = CLAHE()
    return [
      "deepcell_toolbox.deep_watershed.deep_watershed": [
        "radius": w.radius, "maxima_threshold": w.maximaThreshold,
        "interior_threshold": w.interiorThreshold, "maxima_smooth": w.maximaSmooth,
        "interior_smooth": w.interiorSmooth, "maxima_index": w.maximaIndex,
        "interior_index": w.interiorIndex, "label_erosion": w.labelErosion,
        "small_objects_threshold": w.smallObjectsThreshold,
        "fill_holes_threshold": w.fillHolesThreshold, "pixel_expansion": w.pixelExpansion,
        "maxima_algorithm": w.maximaAlgorithm.rawValue,
      ],
      "deepcell_toolbox.metrics.Metrics": [
        "cutoff1": m.cutoff1, "cutoff2": m.cutoff2, "force_event_links": m.forceEventLinks,
      ],
      "deepcell_toolbox.metrics.ObjectMetrics": [
        "cutoff1": m.cutoff1, "cutoff2": m.cutoff2, "force_event_links": m.forceEventLinks,
      ],
      "deepcell_toolbox.processing.histogram_normalization": [
        "kernel_size": HistogramNormalization().kernelSize.map(\.height)
      ],
      "deepcell_toolbox.processing.normalize": ["epsilon": ZScoreNormalization().epsilon],
      "deepcell_toolbox.processing.percentile_threshold": [
        "percentile": PercentileNormalization().percentile
      ],
      "skimage.exposure.equalize_adapthist": [
        "kernel_size": clahe.kernelSize.map(\.height), "clip_limit": clahe.clipLimit,
        "nbins": clahe.binCount,
      ],
    ]
  }

  /// Reference parameters deliberately not compared, with why.
  static let notCompared: [String: Set<String>] = [
    // Output bookkeeping of the Python class (file names, JSON notes, 3-D switch) has no
    // counterpart; `ndigits` (4) and `pixel_threshold` (0.5) are default *arguments* of
    // SegmentationEvaluation / SemanticPixelStatistics, which Swift cannot read back.
    "deepcell_toolbox.metrics.Metrics": [
      "outdir", "crop_size", "feature_key", "json_notes", "is_3d", "ndigits", "pixel_threshold",
    ],
    "deepcell_toolbox.metrics.ObjectMetrics": ["is_3d"],
  ]

  func testDefaultsEqualTheReferenceSignatures() throws {
    let url = TestPaths.fixture("defaults/reference_defaults.json")
    let json = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let reference = try XCTUnwrap(json["defaults"] as? [String: [String: Any]])
    let ours = Self.ours
    XCTAssertEqual(Set(reference.keys), Set(ours.keys), "functions compared")
    for (function, parameters) in reference {
      let mine = ours[function] ?? [:]
      let skipped = Self.notCompared[function] ?? []
      XCTAssertEqual(
        Set(parameters.keys), Set(mine.keys).union(skipped),
        "\(function): every reference default is compared or listed as not ported")
      for (name, value) in parameters where !skipped.contains(name) {
        guard let entry = mine[name] else { continue }
        XCTAssertTrue(
          Self.same(value, entry), "\(function)(\(name)=): reference \(value), ours \(entry as Any)"
        )
      }
    }
  }

  /// JSON value (NSNumber, String, NSNull) against a Swift value (nil for `None`).
  static func same(_ reference: Any, _ ours: Any?) -> Bool {
    switch (reference, ours) {
    case (is NSNull, nil): return true
    case (is NSNull, _), (_, nil): return false
    case (let r as String, let o as String): return r == o
    case (let r as NSNumber, let o as Bool): return r.boolValue == o
    case (let r as NSNumber, let o as Int): return r.doubleValue == Double(o)
    case (let r as NSNumber, let o as Double): return r.doubleValue == o
    default: return false
    }
  }
}
