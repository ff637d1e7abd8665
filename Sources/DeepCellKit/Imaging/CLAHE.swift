/// Contrast-limited adaptive histogram equalization (CLAHE) of one 2-D plane, bit for bit as
/// scikit-image 0.19.3–0.21 `exposure.equalize_adapthist` computes it (normalize.md §1.1
/// steps a–l; Zuiderveld, "Contrast Limited Adaptive Histogram Equalization", Graphics
/// Gems IV, 1994).
///
/// The plane is quantized to 14 bits, split into `kernelSize` contextual regions (after
/// reflect padding), each region's histogram of `binCount` bins is clipped at
/// `clipLimit · kh · kw` with the excess redistributed, its cumulative sum becomes a gray-level
/// map, and every pixel interpolates bilinearly between the maps of the four nearest regions.
/// The result is min–max rescaled to [0, 1] in float32.
public struct CLAHE: Sendable, Equatable {
  /// Gray levels of the internal quantization, skimage's `NR_OF_GRAY` (2^14).
  public static let grayLevels = 16384

  /// Contextual region size; nil means skimage's default, 1/8 of the plane per axis.
  public var kernelSize: KernelSize?
  /// Clip limit as a fraction of the region's pixel count (skimage `clip_limit`); a value
  /// ≤ 0 disables clipping (plain adaptive histogram equalization).
  public var clipLimit: Double
  /// Histogram bins per region (skimage `nbins`), 1…16384.
  public var binCount: Int

  /// A CLAHE with skimage's parameters (defaults as `equalize_adapthist`: 1/8 kernel,
  /// clip limit 0.01, 256 bins).
  public init(kernelSize: KernelSize? = nil, clipLimit: Double = 0.01, binCount: Int = 256) {
    self.kernelSize = kernelSize
    self.clipLimit = clipLimit
    self.binCount = binCount
  }

  /// Equalizes the row-major `height × width` plane `input` into `output` (same size).
  ///
  /// `input` is a float image as skimage takes it: values in [-1, 1] (negative values
  /// quantize to 0), no NaN. `output` receives float32 values in [0, 1]. `threads` workers
  /// split the plane by rows; the result is identical for any worker count.
  /// Throws ``DeepCellError`` (`badData`) for values outside [-1, 1] or NaN, (`usage`) for
  /// bad parameters.
  public func equalize(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int,
    into output: UnsafeMutableBufferPointer<Float>, threads: Int = 1
  ) throws {
    precondition(
      input.count >= height * width && output.count >= height * width,
      "buffers smaller than the plane")
    var lo = Float.infinity
    var hi = -Float.infinity
    for v in input[0..<(height * width)] {
      guard v >= -1 && v <= 1 else {
        throw DeepCellError(.badData, "clahe", "input values must lie in [-1, 1] (found \(v))")
      }
      lo = min(lo, v)
      hi = max(hi, v)
    }
    try equalize(
      input, offset: 0, scale: 1, inputMin: lo, inputMax: hi, height: height, width: width,
      into: output, threads: threads)
  }

  /// Array form of ``equalize(_:height:width:into:threads:)``.
  public func equalize(_ input: [Float], height: Int, width: Int, threads: Int = 1) throws
    -> [Float]
  {
    precondition(
      input.count == height * width, "\(input.count) values do not fill \(height)×\(width)")
    var output = [Float](repeating: 0, count: input.count)
    try input.withUnsafeBufferPointer { src in
      try output.withUnsafeMutableBufferPointer { dst in
        try equalize(src, height: height, width: width, into: dst, threads: threads)
      }
    }
    return output
  }

  /// The core: equalizes `(input - offset) / scale` (computed in float32, as the min–max
  /// rescale before it in `histogram_normalization`; offset 0 and scale 1 leave the input
  /// unchanged bit for bit). The caller guarantees the rescaled values lie in [-1, 1] and
  /// passes the input's extremes `inputMin`, `inputMax`.
  func equalize(
    _ input: UnsafeBufferPointer<Float>, offset: Float, scale: Float, inputMin: Float,
    inputMax: Float, height: Int, width: Int, into output: UnsafeMutableBufferPointer<Float>,
    threads: Int
  ) throws {
    guard height > 0, width > 0 else { return }
    guard binCount >= 1, binCount <= CLAHE.grayLevels else {
      throw DeepCellError(
        .usage, "clahe", "bin count must be in 1…\(CLAHE.grayLevels), not \(binCount)")
    }
    let kernel = kernelSize ?? .defaultSize(height: height, width: width)
    guard kernel.height > 0, kernel.width > 0 else {
      throw DeepCellError(.usage, "kernel size", "must be positive, not \(kernel)")
    }
    let geometry = Geometry(height: height, width: width, kernel: kernel, binCount: binCount)
    let pixels = height * width
    let rowChunk = max(1, 32_768 / width)
    let chunks = Parallel.chunkCount(height, chunkSize: rowChunk)
    // a, b, e. Each pixel to uint16 (skimage img_as_uint: rint(x · 65535) in float32,
    // clipped), to 14 bits (rescale_intensity of the uint16 image to [0, 16383] in float64,
    // round half to even), to its bin. The map x → u is monotone, so the uint16 image's
    // extremes are those of the input's extremes and one pass does all three steps.
    @inline(__always) func toGray(_ x: Float) -> UInt16 {
      let v = ((x - offset) / scale) * 65535
      return UInt16(
        truncatingIfNeeded: Int32(CLAHE.roundHalfEven(v < 0 ? 0 : (v > 65535 ? 65535 : v))))
    }
    let umin = toGray(inputMin)
    let umax = toGray(inputMax)
    let toBin = CLAHE.binLookup(min: umin, max: umax, binSize: geometry.binSize)
    let bins = [UInt16](unsafeUninitializedCapacity: pixels) { bins, initialized in
      toBin.withUnsafeBufferPointer { lut in
        Parallel.forEachChunk(height, chunkSize: rowChunk, threads: threads) { _, rows in
          let range = (rows.lowerBound * width)..<(rows.upperBound * width)
          for i in range { bins[i] = toGray(input[i]) }  // vectorizes
          for i in range { bins[i] = lut[Int(bins[i] &- umin)] }
        }
      }
      initialized = pixels
    }

    // c, d, f, g, h, i. One clipped, equalized gray-level map per contextual region.
    let maps = regionMaps(bins: bins, geometry: geometry, threads: threads)

    // j, k. Bilinear interpolation between the four nearest region maps, truncated to uint16.
    var rowMin = [Float](repeating: .infinity, count: chunks)
    var rowMax = [Float](repeating: -.infinity, count: chunks)
    bins.withUnsafeBufferPointer { bins in
      maps.withUnsafeBufferPointer { maps in
        rowMin.withUnsafeMutableBufferPointer { rmin in
          rowMax.withUnsafeMutableBufferPointer { rmax in
            Parallel.forEachChunk(height, chunkSize: rowChunk, threads: threads) { c, rows in
              let (lo, hi) = interpolate(
                bins: bins, maps: maps, geometry: geometry, rows: rows, output: output)
              rmin[c] = lo
              rmax[c] = hi
            }
          }
        }
      }
    }

    // l. Min–max rescale of the float32 result to [0, 1] (skimage rescale_intensity).
    let omin = rowMin.min()!
    let omax = rowMax.max()!
    Parallel.forEachChunk(height, chunkSize: rowChunk, threads: threads) { _, rows in
      let range = (rows.lowerBound * width)..<(rows.upperBound * width)
      if omin != omax {
        let span = Float(Double(omax) - Double(omin))
        for i in range { output[i] = (output[i] - omin) / span }
      } else {
        for i in range { output[i] = min(max(output[i], 0), 1) }
      }
    }
  }

  /// The padded-grid bookkeeping of one plane (normalize.md §1.1 c–f).
  struct Geometry {
    let height: Int, width: Int
    let kh: Int, kw: Int
    /// Regions per column and per row: `ceil(H / kh)`, `ceil(W / kw)`.
    let nh: Int, nw: Int
    let binCount: Int
    /// `1 + 16384 // nbins`.
    let binSize: Int

    init(height: Int, width: Int, kernel: KernelSize, binCount: Int) {
      self.height = height
      self.width = width
      kh = kernel.height
      kw = kernel.width
      // Padded size H + kh//2 + (kh - H % kh) % kh + ceil(kh / 2) is (nh + 1)·kh.
      nh = (height + kh - 1) / kh
      nw = (width + kw - 1) / kw
      self.binCount = binCount
      binSize = 1 + CLAHE.grayLevels / binCount
    }

    /// skimage's `clim = int(np.clip(clip_limit * kernel_elements, 1, None))`, or every
    /// pixel when clipping is off.
    func clipLimitPixels(_ clipLimit: Double) -> Int32 {
      let elements = kh * kw
      guard clipLimit > 0 else { return Int32(clamping: elements) }
      return Int32(clamping: Int(max(clipLimit * Double(elements), 1)))
    }
  }

  /// `rint` (round half to even) of a float32 in [0, 2^23), by the 2^23 trick (the sum's
  /// unit in the last place is 1, so the FPU's round-to-nearest-even does the rounding;
  /// a libm call otherwise on baseline x86-64).
  @inline(__always)
  static func roundHalfEven(_ x: Float) -> Float {
    (x + 8_388_608) - 8_388_608
  }

  /// numpy `reflect` padding index: mirror without repeating the edge (`dcb|abcd|cba`),
  /// periodic with period 2(n − 1) for pads longer than the axis.
  @inline(__always)
  static func reflect(_ i: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    let period = 2 * (n - 1)
    var k = i % period
    if k < 0 { k += period }
    return k >= n ? period - k : k
  }

  /// The bin of every uint16 gray value in `min…max`, indexed by `value - min`: the 14-bit
  /// value `round((u - min) / (max - min) · 16383)` (float64, half to even; `u` clipped to
  /// [0, 16383] when `min == max`) divided by `binSize`.
  static func binLookup(min umin: UInt16, max umax: UInt16, binSize: Int) -> [UInt16] {
    if umin == 0, umax == 65535, binSize == 65 { return fullRangeBins65 }
    return makeBinLookup(min: umin, max: umax, binSize: binSize)
  }

  /// The lookup for the usual case (full uint16 range, 256 bins), computed once.
  private static let fullRangeBins65 = makeBinLookup(min: 0, max: 65535, binSize: 65)

  private static func makeBinLookup(min umin: UInt16, max umax: UInt16, binSize: Int) -> [UInt16] {
    let lo = Double(umin)
    let span = Double(umax) - lo
    return (Int(umin)...Int(umax)).map { u -> UInt16 in
      let v: Double
      if span > 0 {
        v = (((Double(u) - lo) / span) * 16383.0).rounded(.toNearestOrEven)
      } else {
        v = Double(Swift.min(u, 16383))
      }
      return UInt16(Int(v) / binSize)
    }
  }

  /// Steps f–i: for every contextual region (row-major, `nh × nw`) the clipped and
  /// redistributed histogram's equalization map, `binCount` entries each.
  func regionMaps(bins: [UInt16], geometry g: Geometry, threads: Int) -> [Int32] {
    let nbins = g.binCount
    var maps = [Int32](repeating: 0, count: g.nh * g.nw * nbins)
    let columnSource = (0..<(g.nw * g.kw)).map { CLAHE.reflect($0, g.width) }
    let clim = g.clipLimitPixels(clipLimit)
    let elements = g.kh * g.kw
    let scale = Double(CLAHE.grayLevels - 1) / Double(elements)
    bins.withUnsafeBufferPointer { bins in
      maps.withUnsafeMutableBufferPointer { maps in
        columnSource.withUnsafeBufferPointer { columnSource in
          Parallel.forEach(g.nh, threads: threads) { i in
            let rowMaps = maps.baseAddress! + i * g.nw * nbins
            rowMaps.initialize(repeating: 0, count: g.nw * nbins)
            let paddedRow = UnsafeMutablePointer<UInt16>.allocate(capacity: g.nw * g.kw)
            defer { paddedRow.deallocate() }
            // f. Histograms of the row of regions i (padded rows i·kh …), one reflected
            // image row at a time.
            for t in (i * g.kh)..<((i + 1) * g.kh) {
              let source = bins.baseAddress! + CLAHE.reflect(t, g.height) * g.width
              for s in 0..<(g.nw * g.kw) { paddedRow[s] = source[columnSource[s]] }
              for j in 0..<g.nw {
                let hist = rowMaps + j * nbins
                let segment = paddedRow + j * g.kw
                for s in 0..<g.kw { hist[Int(segment[s])] += 1 }
              }
            }
            for j in 0..<g.nw {
              let hist = rowMaps + j * nbins
              // g, h. Clip and redistribute.
              CLAHE.clipHistogram(hist, count: nbins, limit: clim)
              // i. Cumulative map, float64, clipped to 16383, truncated.
              var cumulative = 0
              for b in 0..<nbins {
                cumulative += Int(hist[b])
                let mapped = Swift.min(Double(cumulative) * scale, Double(CLAHE.grayLevels - 1))
                hist[b] = Int32(mapped)
              }
            }
          }
        }
      }
    }
    return maps
  }

  /// skimage's `clip_histogram` (normalize.md §1.1 h), in place on `count` bins.
  static func clipHistogram(_ hist: UnsafeMutablePointer<Int32>, count n: Int, limit clim: Int32) {
    // 1. Clip, counting the excess.
    var excess = 0
    for k in 0..<n where hist[k] > clim {
      excess += Int(hist[k] - clim)
      hist[k] = clim
    }
    // 2–3. Spread the average increment over the bins below `upper`.
    let increment = excess / n
    let upper = clim - Int32(increment)
    for k in 0..<n where hist[k] < upper {
      hist[k] += Int32(increment)
      excess -= increment
    }
    // 4. Bins now between upper and the limit are filled up to it.
    for k in 0..<n where hist[k] >= upper && hist[k] < clim {
      excess += Int(hist[k]) - Int(clim)
      hist[k] = clim
    }
    // 5. Hand out the rest one by one with a stride of (#bins under the limit) / excess.
    var under = 0
    for k in 0..<n where hist[k] < clim { under += 1 }
    while excess > 0 {
      let previous = excess
      for index in 0..<n {
        let step = Swift.max(1, under / excess)
        var added = 0
        var k = index
        while k < n {
          if hist[k] < clim {
            hist[k] += 1
            added += 1
            if hist[k] == clim { under -= 1 }
          }
          k += step
        }
        excess -= added
        if excess <= 0 { break }
      }
      if previous == excess { break }
    }
  }

  /// Steps j–k for the image rows `rows`: writes the interpolated value (truncated to an
  /// integer, as float32) of every pixel to `output`; returns the rows' min and max.
  ///
  /// Each term is `float32(float64(map) · (column weight · row weight))`, the four terms are
  /// summed in float32 in skimage's order (top-left, top-right, bottom-left, bottom-right),
  /// with weights `r / kh` and `c / kw` of the in-block offsets (normalize.md §1.1 k).
  func interpolate(
    bins: UnsafeBufferPointer<UInt16>, maps: UnsafeBufferPointer<Int32>, geometry g: Geometry,
    rows: Range<Int>, output: UnsafeMutableBufferPointer<Float>
  ) -> (Float, Float) {
    let nbins = g.binCount
    let padTop = g.kh / 2
    let padLeft = g.kw / 2
    var lo = Float.infinity
    var hi = -Float.infinity
    // Weights of the in-block column offsets c = 0 ..< kw and their four products per row.
    let columnWeight = (0..<g.kw).map { Double($0) / Double(g.kw) }
    var w00 = [Double](repeating: 0, count: g.kw)
    var w01 = w00
    var w10 = w00
    var w11 = w00
    for y in rows {
      let pr = y + padTop
      let bi = pr / g.kh
      let wy = Double(pr % g.kh) / Double(g.kh)
      let iy = 1 - wy
      for c in 0..<g.kw {
        let cx = columnWeight[c]
        let ix = 1 - cx
        w00[c] = ix * iy
        w01[c] = cx * iy
        w10[c] = ix * wy
        w11[c] = cx * wy
      }
      let top = maps.baseAddress! + Swift.min(Swift.max(bi - 1, 0), g.nh - 1) * g.nw * nbins
      let bottom = maps.baseAddress! + Swift.min(bi, g.nh - 1) * g.nw * nbins
      let source = bins.baseAddress! + y * g.width
      let target = output.baseAddress! + y * g.width
      // Runs of columns inside one block column bj share their four region maps.
      var x = 0
      while x < g.width {
        let pc = x + padLeft
        let bj = pc / g.kw
        let c0 = pc - bj * g.kw
        let end = Swift.min(g.width, x + (g.kw - c0))
        let left = Swift.min(Swift.max(bj - 1, 0), g.nw - 1) * nbins
        let right = Swift.min(bj, g.nw - 1) * nbins
        let tl = top + left
        let tr = top + right
        let bl = bottom + left
        let br = bottom + right
        w00.withUnsafeBufferPointer { w00 in
          w01.withUnsafeBufferPointer { w01 in
            w10.withUnsafeBufferPointer { w10 in
              w11.withUnsafeBufferPointer { w11 in
                for xx in x..<end {
                  let b = Int(source[xx])
                  let c = c0 + (xx - x)
                  var acc = Float(Double(tl[b]) * w00[c])
                  acc += Float(Double(tr[b]) * w01[c])
                  acc += Float(Double(bl[b]) * w10[c])
                  acc += Float(Double(br[b]) * w11[c])
                  let value = Float(Int32(acc))  // truncation, as astype(uint16)
                  target[xx] = value
                  lo = Swift.min(lo, value)
                  hi = Swift.max(hi, value)
                }
              }
            }
          }
        }
        x = end
      }
    }
    return (lo, hi)
  }
}
