import Foundation

/// Estimates the typical nucleus diameter of a frame from the objects the model itself finds,
/// for `dc-predict --diameter auto` (the idea of Cellpose's size estimate: a first segmentation
/// tells the size, which sets the scale of the final one).
///
/// A model trained at nucleus diameter D₀ (``ModelDescription/diameter``) segments nuclei well
/// when they appear about D₀ pixels across. The frame is segmented at a ladder of scales, each
/// assuming a diameter D (scale D₀/D; a centre crop of at most ``maxSide`` model pixels a side);
/// each pass measures the median equivalent diameter d (√(4·area/π)) of the objects it finds, in
/// model pixels. A pass whose d is within ``tolerance`` of D₀ saw its nuclei near the training
/// size, so its reading d·D/D₀ is trusted; among such passes the one at the coarsest scale (largest
/// D) wins, because at finer scales large nuclei break into pieces of about D₀ pixels and fake a
/// consistent reading, while at coarser scales small nuclei shrink below what the model finds.
/// The estimate is then refined by one pass at its own scale.
public struct DiameterEstimation: Sendable {
  /// One segmentation pass.
  public struct Pass: Sendable, Equatable {
    /// Diameter in input pixels the pass assumed (its scale is D₀ / assumed).
    public var assumed: Double
    /// Median equivalent diameter of its objects in model pixels (0: none found).
    public var measured: Double
    /// Objects it found away from the crop's border (all objects when fewer than 3 are).
    public var count: Int
    /// The diameter it reads in input pixels: measured · assumed / D₀.
    public var reading: Double
  }

  /// The outcome: the estimate (nil when no pass found any nucleus) and every pass made.
  public struct Result: Sendable, Equatable {
    public var diameter: Double?
    public var passes: [Pass]
  }

  /// The model's training diameter D₀ in pixels.
  public var trainingDiameter: Double
  /// Assumed diameters as multiples of D₀ (default 0.5 … 8 in steps of √2).
  public var ladder: [Double] = (-2...6).map { pow(2, Double($0) / 2) }
  /// Largest side of a pass's crop in model pixels.
  public var maxSide: Int = 384
  /// How far d may be from D₀ (a factor) for a pass to count as consistent.
  public var tolerance: Double = 1.4
  /// Fewest objects a consistent pass needs.
  public var minimumCount: Int = 3
  /// The post-processing at the model's scale.
  public var watershed: DeepWatershedParameters

  /// An estimator for a model trained at `trainingDiameter` pixels, segmenting with
  /// `watershed` (in model pixels).
  public init(trainingDiameter: Double, watershed: DeepWatershedParameters) {
    self.trainingDiameter = trainingDiameter
    self.watershed = watershed
  }

  /// Estimates the nucleus diameter of `frame` (prepared: normalized, height × width ×
  /// channels) with `predictor` (its test-time flips are not used here).
  public func estimate(
    _ frame: [Float], height: Int, width: Int, channels: Int, predictor: PanopticPredictor
  ) throws -> Result {
    var passes: [Pass] = []
    for factor in ladder {
      passes.append(
        try pass(
          assumed: trainingDiameter * factor, frame, height: height, width: width,
          channels: channels, predictor: predictor))
    }
    let consistent = passes.filter {
      $0.count >= minimumCount && $0.measured > 0
        && abs(log($0.measured / trainingDiameter)) <= log(tolerance)
    }
    let chosen =
      consistent.max { $0.assumed < $1.assumed }
      ?? passes.filter { $0.count > 0 }.min {
        abs(log($0.measured / trainingDiameter)) < abs(log($1.measured / trainingDiameter))
      }
    guard let chosen else { return Result(diameter: nil, passes: passes) }
    let refined = try pass(
      assumed: chosen.reading, frame, height: height, width: width, channels: channels,
      predictor: predictor)
    passes.append(refined)
    let diameter = refined.count > 0 ? refined.reading : chosen.reading
    return Result(diameter: diameter, passes: passes)
  }

  /// One pass assuming nuclei `assumed` input pixels across.
  func pass(
    assumed: Double, _ frame: [Float], height: Int, width: Int, channels: Int,
    predictor: PanopticPredictor
  ) throws -> Pass {
    let scale = trainingDiameter / assumed
    // The centre crop whose resized size is at most maxSide a side.
    let side = max(1, Int(Double(maxSide) / scale))
    let (ch, cw) = (min(height, side), min(width, side))
    let (top, left) = ((height - ch) / 2, (width - cw) / 2)
    var crop = [Float](repeating: 0, count: ch * cw * channels)
    for y in 0..<ch {
      let s = ((top + y) * width + left) * channels
      crop.replaceSubrange(
        y * cw * channels..<(y + 1) * cw * channels, with: frame[s..<s + cw * channels])
    }
    let (nh, nw) = MapPredictor.scaledSize(height: ch, width: cw, scale: scale)
    let resized = Resample.resize(
      crop, height: ch, width: cw, channels: channels, newHeight: nh, newWidth: nw)
    let maps = try predictor.predict([resized], height: nh, width: nw, channels: channels)[0]
    let inner = maps[0]
    let outer = maps[min(1, maps.count - 1)]
    let labels = try DeepWatershed.segment(
      maxima: inner, interior: outer, height: nh, width: nw, parameters: watershed)
    let (areas, touching) = Self.objectAreas(labels, height: nh, width: nw)
    let inside = zip(areas, touching).filter { $0.0 > 0 && !$0.1 }.map(\.0)
    let used = inside.count >= minimumCount ? inside : areas.filter { $0 > 0 }
    guard !used.isEmpty else { return Pass(assumed: assumed, measured: 0, count: 0, reading: 0) }
    let diameters = used.map { (4 * Double($0) / Double.pi).squareRoot() }.sorted()
    let n = diameters.count
    let median = n % 2 == 1 ? diameters[n / 2] : (diameters[n / 2 - 1] + diameters[n / 2]) / 2
    return Pass(
      assumed: assumed, measured: median, count: used.count,
      reading: median * assumed / trainingDiameter)
  }

  /// Area of each label 1…max and whether it touches the frame's border.
  static func objectAreas(_ labels: [Int32], height: Int, width: Int) -> ([Int], [Bool]) {
    let maxLabel = Int(labels.max() ?? 0)
    var areas = [Int](repeating: 0, count: maxLabel + 1)
    var touching = [Bool](repeating: false, count: maxLabel + 1)
    for y in 0..<height {
      for x in 0..<width {
        let l = Int(labels[y * width + x])
        guard l > 0 else { continue }
        areas[l] += 1
        if y == 0 || x == 0 || y == height - 1 || x == width - 1 { touching[l] = true }
      }
    }
    return (Array(areas.dropFirst()), Array(touching.dropFirst()))
  }
}
