import Foundation

/// The post-processing parameters of deepcell-toolbox `deep_watershed` (watershed.md §1),
/// with the reference's defaults (which are also NuclearSegmentation's values).
public struct DeepWatershedParameters: Sendable, Equatable {
  /// How markers are found in the maxima map.
  public enum MaximaAlgorithm: String, Sendable, CaseIterable {
    /// `h_maxima` with a `disk(radius)` footprint (the default; §3).
    case hMaxima = "h_maxima"
    /// `peak_local_max(min_distance=radius, threshold_abs=maxima_threshold)` (§4).
    case peakLocalMax = "peak_local_max"
  }

  /// peak_local_max's `exclude_border`: `false`, `true` (= `radius`) or a width in pixels.
  public enum ExcludeBorder: Sendable, Equatable {
    case off
    case radius
    case pixels(Int)
  }

  /// Footprint radius for peak finding (`disk(radius)` or `min_distance`).
  public var radius: Int = 10
  /// h for h-maxima (a prominence), or the absolute threshold of peak_local_max.
  public var maximaThreshold: Double = 0.1
  /// Watershed mask = smoothed interior `> interiorThreshold`.
  public var interiorThreshold: Double = 0.01
  /// Gaussian σ applied to the maxima map (0 = none).
  public var maximaSmooth: Double = 0
  /// Gaussian σ applied to the interior map (0 = none).
  public var interiorSmooth: Double = 1
  /// Which model output is the maxima map (Python-style index; negative counts from the end).
  public var maximaIndex: Int = 0
  /// Which model output is the interior map (Python-style index).
  public var interiorIndex: Int = -1
  /// Erode the final labels by this many pixels (0 = off).
  public var labelErosion: Int = 0
  /// Remove labels with fewer pixels than this (0 = off).
  public var smallObjectsThreshold: Int = 0
  /// Fill holes smaller than this inside labels (0 = off).
  public var fillHolesThreshold: Int = 0
  /// Grey-dilate the interior map with a `(2e+1)²` square (nil or 0 = off).
  public var pixelExpansion: Int? = nil
  /// Marker finder.
  public var maximaAlgorithm: MaximaAlgorithm = .hMaxima
  /// peak_local_max only: drop peaks near the border.
  public var excludeBorder: ExcludeBorder = .off
  /// Deprecated alias of `radius`; wins when set (the reference's `min_distance`).
  public var minDistance: Int? = nil
  /// Deprecated alias of `interiorThreshold`; wins when set.
  public var distanceThreshold: Double? = nil
  /// Deprecated alias of `maximaThreshold`; wins when set.
  public var detectionThreshold: Double? = nil
  /// peak_local_max border mode (skimage 0.21 `nearest` by default; 0.19 used `constant`).
  public var peakBorderMode: PeakLocalMax.BorderMode = .nearest

  /// The reference defaults.
  public init() {}

  /// The effective radius and thresholds after the deprecated aliases (alias value wins).
  public var effectiveRadius: Int { minDistance ?? radius }
  /// See ``effectiveRadius``.
  public var effectiveMaximaThreshold: Double { detectionThreshold ?? maximaThreshold }
  /// See ``effectiveRadius``.
  public var effectiveInteriorThreshold: Double { distanceThreshold ?? interiorThreshold }

  /// Throws a usage error for a value the reference rejects or that makes no sense:
  /// non-finite thresholds or sigmas, negative sizes, and an h-maxima h that is not > 0
  /// (skimage raises for h = 0 and for a seed above the image when h < 0).
  public func validate() throws {
    let r = effectiveRadius
    guard r >= 0 else { throw DeepCellError(.usage, "radius", "must be >= 0, got \(r)") }
    let h = effectiveMaximaThreshold
    guard h.isFinite else {
      throw DeepCellError(.usage, "maxima_threshold", "must be finite, got \(h)")
    }
    if maximaAlgorithm == .hMaxima && !(h > 0) {
      throw DeepCellError(.usage, "maxima_threshold", "must be > 0 for h_maxima, got \(h)")
    }
    let t = effectiveInteriorThreshold
    guard t.isFinite else {
      throw DeepCellError(.usage, "interior_threshold", "must be finite, got \(t)")
    }
    for (name, s) in [("maxima_smooth", maximaSmooth), ("interior_smooth", interiorSmooth)] {
      guard s.isFinite, s >= 0 else {
        throw DeepCellError(.usage, name, "must be a finite number >= 0, got \(s)")
      }
    }
    for (name, v) in [
      ("label_erosion", labelErosion), ("small_objects_threshold", smallObjectsThreshold),
      ("fill_holes_threshold", fillHolesThreshold), ("pixel_expansion", pixelExpansion ?? 0),
    ] {
      guard v >= 0 else { throw DeepCellError(.usage, name, "must be >= 0, got \(v)") }
    }
    if case .pixels(let w) = excludeBorder, w < 0 {
      throw DeepCellError(.usage, "exclude_border", "cannot be negative, got \(w)")
    }
  }
}

/// deepcell-toolbox 0.12.1 `deep_watershed`: instance labels from a maxima map (inner
/// distance) and an interior map (outer distance), in the spec's order of steps
/// (watershed.md §2): smooth both maps, optional pixel expansion, markers by h-maxima or
/// peak_local_max, 8-connected marker labelling, watershed of `−interior` inside
/// `interior > interior_threshold`, optional erosion, small-object removal and hole filling,
/// then sequential relabelling.
public enum DeepWatershed {
  /// Labels one 2-D frame: `maxima` and `interior` are row-major `height × width` planes
  /// (channel 0 of the model outputs). Returns int32 labels 1…N (0 = background).
  /// Throws for invalid parameters and for NaN or infinite map values.
  public static func segment(
    maxima maximaMap: [Float], interior interiorMap: [Float], height: Int, width: Int,
    parameters p: DeepWatershedParameters
  ) throws -> [Int32] {
    try p.validate()
    guard maximaMap.count == height * width, interiorMap.count == height * width else {
      throw DeepCellError(
        .badData, "maps", "maxima and interior maps do not match \(height)×\(width)")
    }
    if maximaMap.contains(where: { !$0.isFinite }) {
      throw DeepCellError(.badData, "maxima map", "contains NaN or infinite values")
    }
    if interiorMap.contains(where: { !$0.isFinite }) {
      throw DeepCellError(.badData, "interior map", "contains NaN or infinite values")
    }
    if maximaMap.isEmpty { return [] }
    let radius = p.effectiveRadius
    // 1–2. Gaussian smoothing (σ = 0 leaves the map as it is).
    let maxima = try GaussianFilter.apply(
      maximaMap, height: height, width: width, sigma: p.maximaSmooth)
    var interior = try GaussianFilter.apply(
      interiorMap, height: height, width: width, sigma: p.interiorSmooth)
    // 3. Pixel expansion of the interior.
    if let e = p.pixelExpansion, e > 0 {
      interior = MaximumFilter.apply(
        interior, height: height, width: width, footprint: .square(halfWidth: e))
    }
    // 4. Markers.
    var markerMask: [UInt8]
    switch p.maximaAlgorithm {
    case .hMaxima:
      markerMask = try HMaxima.mask(
        maxima, height: height, width: width, h: p.effectiveMaximaThreshold,
        footprint: .disk(radius: radius))
    case .peakLocalMax:
      let border: Int
      switch p.excludeBorder {
      case .off: border = 0
      case .radius: border = radius
      case .pixels(let w): border = w
      }
      markerMask = [UInt8](repeating: 0, count: maxima.count)
      for peak in PeakLocalMax.peaks(
        maxima, height: height, width: width, minDistance: radius,
        threshold: p.effectiveMaximaThreshold, borderWidth: border,
        borderMode: p.peakBorderMode)
      {
        markerMask[peak.y * width + peak.x] = 1
      }
    }
    // 5. Marker components, 8-connected, numbered in raster order.
    let (markers, markerCount) = ConnectedComponents.label(
      markerMask, height: height, width: width,
      connectivity: .eight, background: 0
    )
    // 6. Watershed of −interior inside interior > threshold (float32 compare, as numpy does).
    var seededLabels = 0
    var labels = Watershed.flood(
      negativeOf: interior, above: Float(p.effectiveInteriorThreshold), markers: markers,
      height: height, width: width, seededLabels: &seededLabels)
    // 7. Erosion of label edges.
    if p.labelErosion > 0 {
      labels = ErodeEdges.apply(labels, height: height, width: width, erosionWidth: p.labelErosion)
    }
    // 8. Small-object removal (per label value).
    if p.smallObjectsThreshold > 0 {
      labels = try RemoveSmallObjects.apply(labels, minSize: p.smallObjectsThreshold)
    }
    // 9. Hole filling.
    if p.fillHolesThreshold > 0 {
      labels = FillHoles.apply(labels, height: height, width: width, size: p.fillHolesThreshold)
    }
    // 10. Sequential relabelling — nothing to do when no step removed a label and every
    // marker label 1…N reached the mask (the watershed's labels are those of its seeds).
    if p.labelErosion == 0 && p.smallObjectsThreshold == 0 && p.fillHolesThreshold == 0
      && seededLabels == markerCount
    {
      return labels
    }
    return Relabel.sequential(labels).labels
  }

  /// Labels a batch: `outputs` are model outputs of shape `(B, H, W, C)` (or `(H, W)` /
  /// `(B, H, W)`, read as one channel); the maps are `outputs[maximaIndex]` and
  /// `outputs[interiorIndex]`, channel 0 of each. Frames run in parallel (`threads`
  /// workers, 0 = all cores); the result, int32 `(B, H, W, 1)`, does not depend on it.
  public static func segment(
    outputs: [NDArray], parameters p: DeepWatershedParameters, threads: Int = 0
  ) throws -> NDArray {
    try p.validate()
    func pick(_ index: Int, _ name: String) throws -> NDArray {
      let k = index < 0 ? outputs.count + index : index
      guard k >= 0, k < outputs.count else {
        throw DeepCellError(
          .usage, name, "index \(index) out of range for \(outputs.count) outputs")
      }
      return outputs[k]
    }
    let maximaArray = try pick(p.maximaIndex, "maxima_index")
    let interiorArray = try pick(p.interiorIndex, "interior_index")
    guard let ms = maximaArray.asStack(), let is_ = interiorArray.asStack() else {
      throw DeepCellError(
        .badData, "maps",
        "must be 2-D frames or stacks (B, H, W[, C]), got rank \(maximaArray.rank)")
    }
    guard Array(ms.shape.prefix(3)) == Array(is_.shape.prefix(3)) else {
      throw DeepCellError(
        .badData, "maps",
        "maxima \(maximaArray.shape) and interior \(interiorArray.shape) differ in shape")
    }
    let (b, h, w) = (ms.shape[0], ms.shape[1], ms.shape[2])
    guard ms.shape[3] >= 1, is_.shape[3] >= 1 else {
      throw DeepCellError(.badData, "maps", "have no channels")
    }
    var output = NDArray(zeros: [b, h, w, 1], dtype: .int32)
    let plane = h * w
    // All frames at once by default; the error of the lowest failing frame is reported.
    let workers = threads > 0 ? threads : max(b, 1)
    try withFloats(ms) { maxima in
      try withFloats(is_) { interior in
        try output.withUnsafeMutableBufferPointer(Int32.self) { out in
          let mc = ms.shape[3]
          let ic = is_.shape[3]
          try Parallel.forEach(b, threads: workers) { frame in
            // Channel 0 of this frame of each map.
            var m = [Float](repeating: 0, count: plane)
            var i = [Float](repeating: 0, count: plane)
            for k in 0..<plane {
              m[k] = maxima[(frame * plane + k) * mc]
              i[k] = interior[(frame * plane + k) * ic]
            }
            let labels: [Int32]
            do {
              labels = try segment(maxima: m, interior: i, height: h, width: w, parameters: p)
            } catch let e as DeepCellError where b > 1 {
              throw DeepCellError(e.kind, "frame \(frame): \(e.subject)", e.reason)
            }
            for k in 0..<plane { out[frame * plane + k] = labels[k] }
          }
        }
      }
    }
    return output
  }

  /// Calls `body` with the elements of `array` as float32: in place when they are float32,
  /// else converted (numpy `astype(float32)`).
  private static func withFloats<R>(
    _ array: NDArray, _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) throws -> R {
    if array.dtype == .float32 { return try array.withUnsafeBufferPointer(Float.self, body) }
    return try array.floats().withUnsafeBufferPointer(body)
  }
}
