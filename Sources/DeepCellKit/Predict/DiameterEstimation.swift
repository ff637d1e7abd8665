import Foundation

/// Estimates the typical nucleus diameter of a frame from the objects the model itself finds,
/// for `dc-predict --diameter auto` (the idea of Cellpose's size estimate: a first segmentation
/// tells the size, which sets the scale of the final one).
///
/// A model trained at nucleus diameter D₀ (``ModelDescription/diameter``) finds objects about
/// D₀ pixels across when the frame is at the right scale. The frame is segmented at a ladder of
/// scales, each assuming a diameter D (scale D₀/D) on a crop of at most ``maxSide`` model
/// pixels a side (the window of the frame with the most intensity variance, so a crop of a
/// sparse field or of an embryo's yolk does not stand for the nuclei), and each pass measures
/// the median equivalent diameter m(D) (√(4·area/π)) of its objects in model pixels, leaving
/// out fragments under D₀/4 (so background speckle does not decide it) and objects no brighter
/// than the background (``brighterThanBackground(_:_:channels:)``: at a wrong scale a network
/// may call the noise of a low-light image nuclei, and their size must not decide). m falls
/// as D grows (the nuclei shrink in the model's view), and the estimate is where it crosses
/// D₀, interpolated log-linearly between the two passes around the first crossing and kept
/// within the ladder's range, times the model's ``calibration`` (the median ratio of true to
/// estimated diameters on its training images; 1 when unknown).
public struct DiameterEstimation: Sendable {
  /// One segmentation pass.
  public struct Pass: Sendable, Equatable {
    /// Diameter in input pixels the pass assumed (its scale is D₀ / assumed).
    public var assumed: Double
    /// Median equivalent diameter of its counted objects in model pixels, fragments under D₀/4
    /// left out (0: none found).
    public var measured: Double
    /// Objects it counted: those brighter than the background and away from the crop's border
    /// (the bright ones at the border too when fewer than ``DiameterEstimation/minimumCount``
    /// are inside).
    public var count: Int
    /// The diameter it reads in input pixels: measured · assumed / D₀.
    public var reading: Double { measured * assumed / trainingDiameter }
    /// D₀ of the estimation.
    public var trainingDiameter: Double
  }

  /// The outcome: the estimate (nil when no pass found any nucleus) and every pass made.
  public struct Result: Sendable, Equatable {
    public var diameter: Double?
    public var passes: [Pass]
  }

  /// The model's training diameter D₀ in pixels.
  public var trainingDiameter: Double
  /// Assumed diameters as multiples of D₀ (default 0.35 … 11.3 in steps of 2: six passes, 6 to
  /// 192 px for D₀ = 17, so nuclei of a high-magnification image, 100–190 px across, are
  /// neither clamped to the ladder's top nor read from a pass that cut them into fragments;
  /// the crossing is interpolated between them).
  public var ladder: [Double] = [-3, -1, 1, 3, 5, 7].map { pow(2, Double($0) / 2) }
  /// Largest side of a pass's crop in model pixels.
  public var maxSide: Int = 256
  /// Fewest objects away from the crop's border a pass measures (else it uses all objects).
  public var minimumCount: Int = 3
  /// Factor applied to the crossing (``ModelDescription/diameterCalibration``).
  public var calibration: Double = 1
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
    let integral = IntensityIntegral(frame, height: height, width: width, channels: channels)
    var passes: [Pass] = []
    for factor in ladder {
      passes.append(
        try pass(
          assumed: trainingDiameter * factor, frame, height: height, width: width,
          channels: channels, integral: integral, predictor: predictor))
    }
    guard
      let crossing = Self.crossing(passes, target: trainingDiameter, minimumCount: minimumCount)
    else {
      return Result(diameter: nil, passes: passes)
    }
    return Result(diameter: crossing * calibration, passes: passes)
  }

  /// The assumed diameter at which the measured diameter crosses `target`: log-linear
  /// interpolation between the first pass (by assumed diameter) measuring above it and the next
  /// one measuring at or below it. Passes that found fewer than `minimumCount` objects are
  /// skipped when others found that many (a pass seeing one fragment says little); without a
  /// crossing, the smallest or largest assumption when every pass measures below or above (no
  /// extrapolation past what was tried); nil when no pass found anything.
  static func crossing(_ passes: [Pass], target: Double, minimumCount: Int = 1) -> Double? {
    let any = passes.filter { $0.count > 0 && $0.measured > 0 }
    let enough = any.filter { $0.count >= minimumCount }
    let found = (enough.isEmpty ? any : enough).sorted { $0.assumed < $1.assumed }
    guard let first = found.first, let last = found.last else { return nil }
    for (a, b) in zip(found, found.dropFirst()) where a.measured > target && b.measured <= target {
      let t = log(a.measured / target) / log(a.measured / b.measured)
      return exp(log(a.assumed) + t * (log(b.assumed) - log(a.assumed)))
    }
    return first.measured <= target ? first.assumed : last.assumed
  }

  /// Integral images of a frame's channel sum and of its square, (height+1) × (width+1), so
  /// the intensity variance of any window costs four lookups; built once per estimate and
  /// shared by its passes.
  struct IntensityIntegral {
    let height: Int
    let width: Int
    private let sum: [Double]
    private let squares: [Double]

    init(_ frame: [Float], height: Int, width: Int, channels: Int) {
      self.height = height
      self.width = width
      let stride = width + 1
      var sum = [Double](repeating: 0, count: (height + 1) * stride)
      var squares = sum
      for y in 0..<height {
        var rowSum = 0.0
        var rowSquares = 0.0
        for x in 0..<width {
          var v = 0.0
          for c in 0..<channels { v += Double(frame[(y * width + x) * channels + c]) }
          rowSum += v
          rowSquares += v * v
          sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rowSum
          squares[(y + 1) * stride + x + 1] = squares[y * stride + x + 1] + rowSquares
        }
      }
      self.sum = sum
      self.squares = squares
    }

    /// Top-left corner of the `ch` × `cw` window with the largest intensity variance, on a
    /// grid of steps of a quarter window; the first on ties.
    func busiestWindow(ch: Int, cw: Int) -> (top: Int, left: Int) {
      guard ch < height || cw < width else { return (0, 0) }
      let stride = width + 1
      func box(_ a: [Double], _ t: Int, _ l: Int) -> Double {
        a[(t + ch) * stride + l + cw] - a[t * stride + l + cw] - a[(t + ch) * stride + l]
          + a[t * stride + l]
      }
      let n = Double(ch * cw)
      let tops = Array(Swift.stride(from: 0, through: height - ch, by: max(1, ch / 4)))
      let lefts = Array(Swift.stride(from: 0, through: width - cw, by: max(1, cw / 4)))
      var best = (top: 0, left: 0)
      var bestVariance = -Double.infinity
      for t in Set(tops + [height - ch]).sorted() {
        for l in Set(lefts + [width - cw]).sorted() {
          let mean = box(sum, t, l) / n
          let variance = box(squares, t, l) / n - mean * mean
          if variance > bestVariance {
            bestVariance = variance
            best = (t, l)
          }
        }
      }
      return best
    }
  }

  /// Top-left corner of the `ch` × `cw` window of `frame` with the largest intensity variance
  /// (summed over channels), on a grid of steps of a quarter window; the first on ties.
  static func busiestWindow(
    _ frame: [Float], height: Int, width: Int, channels: Int, ch: Int, cw: Int
  ) -> (top: Int, left: Int) {
    IntensityIntegral(frame, height: height, width: width, channels: channels)
      .busiestWindow(ch: ch, cw: cw)
  }

  /// The median equivalent diameter √(4·area/π) of objects of `areas` (model pixels),
  /// leaving out fragments under D₀/4 across (noise at any scale) unless nothing else is left.
  func medianDiameter(areas: [Int]) -> Double {
    let all = areas.map { (4 * Double($0) / Double.pi).squareRoot() }
    let nuclei = all.filter { $0 >= trainingDiameter / 4 }
    return Self.median(nuclei.isEmpty ? all : nuclei)
  }

  /// One pass assuming nuclei `assumed` input pixels across.
  func pass(
    assumed: Double, _ frame: [Float], height: Int, width: Int, channels: Int,
    integral: IntensityIntegral, predictor: PanopticPredictor
  ) throws -> Pass {
    let scale = trainingDiameter / assumed
    // The busiest crop whose resized size is at most maxSide a side.
    let side = max(1, Int(Double(maxSide) / scale))
    let (ch, cw) = (min(height, side), min(width, side))
    let (top, left) = integral.busiestWindow(ch: ch, cw: cw)
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
    let used = Self.countedAreas(
      labels, resized, height: nh, width: nw, channels: channels, minimumCount: minimumCount)
    guard !used.isEmpty else {
      return Pass(assumed: assumed, measured: 0, count: 0, trainingDiameter: trainingDiameter)
    }
    return Pass(
      assumed: assumed, measured: medianDiameter(areas: used), count: used.count,
      trainingDiameter: trainingDiameter)
  }

  /// The areas of the objects of `labels` a pass measures, over its input `image` (height ×
  /// width × `channels`): those brighter than the background
  /// (``brighterThanBackground(_:_:channels:)``) and not touching the border, or, when fewer
  /// than `minimumCount` are, the bright ones at the border too.
  static func countedAreas(
    _ labels: [Int32], _ image: [Float], height: Int, width: Int, channels: Int,
    minimumCount: Int
  ) -> [Int] {
    let (areas, touching) = objectAreas(labels, height: height, width: width)
    let bright = brighterThanBackground(labels, image, channels: channels)
    let counted = areas.indices.filter { areas[$0] > 0 && bright[$0] }
    let inside = counted.filter { !touching[$0] }.map { areas[$0] }
    return inside.count >= minimumCount ? inside : counted.map { areas[$0] }
  }

  /// The median of `values` (the mean of the middle two for an even count); `values` not empty.
  static func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
  }

  /// For each label 1…max of `labels` over `image` (height × width × `channels`), whether its
  /// mean intensity (channels summed) is at least the median of the background pixels (label
  /// 0) plus one robust standard deviation of them (1.4826 · their median absolute deviation);
  /// all true when no label is, or when there is no background, so a pass always measures
  /// something.
  static func brighterThanBackground(_ labels: [Int32], _ image: [Float], channels: Int)
    -> [Bool]
  {
    let maxLabel = Int(labels.max() ?? 0)
    var sums = [Double](repeating: 0, count: maxLabel + 1)
    var counts = [Int](repeating: 0, count: maxLabel + 1)
    var background: [Double] = []
    for (i, l) in labels.enumerated() {
      var v = 0.0
      for c in 0..<channels { v += Double(image[i * channels + c]) }
      if l > 0 {
        sums[Int(l)] += v
        counts[Int(l)] += 1
      } else {
        background.append(v)
      }
    }
    let all = [Bool](repeating: true, count: maxLabel)
    guard !background.isEmpty else { return all }
    let level = median(background)
    let spread = 1.4826 * median(background.map { abs($0 - level) })
    let bright = (1..<maxLabel + 1).map {
      counts[$0] > 0 && sums[$0] / Double(counts[$0]) >= level + spread
    }
    return bright.contains(true) ? bright : all
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
