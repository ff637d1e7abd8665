/// Applies one sample's ``RandomTransformParameters`` to one plane stack (image, target or
/// labels) in the reference's order (augment.md §3): crop → affine warp (scipy semantics,
/// ``AffineWarp``) → horizontal flip (reverse columns) → vertical flip (reverse rows).
enum SampleRendering {
  /// Output size for an image of `height`×`width` under these parameters.
  static func outputSize(_ p: RandomTransformParameters, crop: [Int]?, height: Int, width: Int) -> (
    Int, Int
  ) {
    p.cropOrigin == nil ? (height, width) : (crop![0], crop![1])
  }

  /// Float planes: bilinear (order 1) or nearest (order 0) warp.
  static func renderFloat(
    _ src: UnsafeBufferPointer<Float>, height: Int, width: Int, channels: Int,
    params p: RandomTransformParameters,
    crop: [Int]?, order: Int, fillMode: FillMode, cval: Double,
    into dst: UnsafeMutableBufferPointer<Float>
  ) {
    let (oh, ow) = outputSize(p, crop: crop, height: height, width: width)
    withCrop(
      src, height: height, width: width, channels: channels, params: p, outHeight: oh, outWidth: ow
    ) { region in
      if let warp = p.warp(height: oh, width: ow) {
        if order == 1 {
          warp.bilinear(
            region, height: oh, width: ow, channels: channels, fillMode: fillMode, cval: cval,
            into: dst)
        } else {
          warp.nearest(
            region, height: oh, width: ow, channels: channels, fillMode: fillMode,
            fill: Float(cval), into: dst)
        }
      } else {
        _ = dst.initialize(from: region)
      }
    }
    flip(dst, height: oh, width: ow, channels: channels, params: p)
  }

  /// Any element type, nearest-neighbour warp (one-hot maps, labels).
  static func renderNearest<T>(
    _ src: UnsafeBufferPointer<T>, height: Int, width: Int, channels: Int,
    params p: RandomTransformParameters,
    crop: [Int]?, fillMode: FillMode, fill: T, into dst: UnsafeMutableBufferPointer<T>
  ) {
    let (oh, ow) = outputSize(p, crop: crop, height: height, width: width)
    withCrop(
      src, height: height, width: width, channels: channels, params: p, outHeight: oh, outWidth: ow
    ) { region in
      if let warp = p.warp(height: oh, width: ow) {
        warp.nearest(
          region, height: oh, width: ow, channels: channels, fillMode: fillMode, fill: fill,
          into: dst)
      } else {
        _ = dst.initialize(from: region)
      }
    }
    flip(dst, height: oh, width: ow, channels: channels, params: p)
  }

  /// Calls `body` with the cropped region (a copy) or the whole source.
  static func withCrop<T>(
    _ src: UnsafeBufferPointer<T>, height: Int, width: Int, channels: Int,
    params p: RandomTransformParameters,
    outHeight: Int, outWidth: Int, _ body: (UnsafeBufferPointer<T>) -> Void
  ) {
    guard let origin = p.cropOrigin else {
      body(src)
      return
    }
    let rowLength = outWidth * channels
    let region = UnsafeMutableBufferPointer<T>.allocate(capacity: outHeight * rowLength)
    defer { region.deallocate() }
    for r in 0..<outHeight {
      let from = ((origin[0] + r) * width + origin[1]) * channels
      _ = UnsafeMutableBufferPointer(rebasing: region[(r * rowLength)..<((r + 1) * rowLength)])
        .initialize(from: src[from..<(from + rowLength)])
    }
    body(UnsafeBufferPointer(region))
  }

  /// Flips in place: horizontal reverses columns, vertical reverses rows.
  static func flip<T>(
    _ a: UnsafeMutableBufferPointer<T>, height: Int, width: Int, channels: Int,
    params p: RandomTransformParameters
  ) {
    if p.flipHorizontal {
      for r in 0..<height {
        var left = 0
        var right = width - 1
        while left < right {
          for k in 0..<channels {
            a.swapAt((r * width + left) * channels + k, (r * width + right) * channels + k)
          }
          left += 1
          right -= 1
        }
      }
    }
    if p.flipVertical {
      let rowLength = width * channels
      var top = 0
      var bottom = height - 1
      while top < bottom {
        for i in 0..<rowLength { a.swapAt(top * rowLength + i, bottom * rowLength + i) }
        top += 1
        bottom -= 1
      }
    }
  }
}
