/// DeepCell's `pixelwise` target (alias `deepcell`; `pixelwise_transform`, augment.md §5.4):
/// uint8 one-hot `[edge, interior, background]`, where edge = the inner boundaries of the
/// labels (``LabelBoundaries``) and interior = the other foreground pixels. With a
/// `dilationRadius` r the edge is dilated by a disk(r) and the interior removed from it.
///
/// With `separateEdgeClasses` the output is four channels `[bg_cell_edge, cell_cell_edge,
/// interior, background]` computed exactly as the reference code does — which (quirk,
/// reproduced) puts in channel 0 the edge pixels *not* within a cross-dilation of the
/// background and in channel 1 those that are.
public enum PixelwiseTransform {
  /// Number of output channels.
  public static func channelCount(separateEdgeClasses: Bool) -> Int { separateEdgeClasses ? 4 : 3 }

  /// Writes the one-hot map (H, W, 3 or 4) of one row-major `height`×`width` label frame
  /// into `out`.
  public static func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int, dilationRadius: Int?,
    separateEdgeClasses: Bool,
    into out: UnsafeMutableBufferPointer<UInt8>
  ) {
    let n = height * width
    var edge = [UInt8](repeating: 0, count: n)
    edge.withUnsafeMutableBufferPointer {
      LabelBoundaries.inner(of: labels, height: height, width: width, into: $0)
    }
    var interior = [UInt8](repeating: 0, count: n)
    for i in 0..<n where labels[i] != 0 && edge[i] == 0 { interior[i] = 1 }
    let radius = dilationRadius ?? 0
    if !separateEdgeClasses {
      if radius > 0 {
        edge = dilateByDisk(edge, height: height, width: width, radius: radius)
        for i in 0..<n where interior[i] != 0 { edge[i] = 0 }
      }
      for i in 0..<n {
        out[3 * i] = edge[i]
        out[3 * i + 1] = interior[i]
        out[3 * i + 2] = (edge[i] == 0 && interior[i] == 0) ? 1 : 0
      }
      return
    }
    var background = [UInt8](repeating: 0, count: n)
    for i in 0..<n where labels[i] == 0 { background[i] = 1 }
    let dilatedBackground = dilateByDisk(background, height: height, width: width, radius: 1)
    var backgroundEdge = [UInt8](repeating: 0, count: n)
    var interiorEdge = [UInt8](repeating: 0, count: n)
    for i in 0..<n where edge[i] != 0 {
      if dilatedBackground[i] == 0 { backgroundEdge[i] = 1 } else { interiorEdge[i] = 1 }
    }
    if radius > 0 {
      interiorEdge = dilateByDisk(interiorEdge, height: height, width: width, radius: radius)
      backgroundEdge = dilateByDisk(backgroundEdge, height: height, width: width, radius: radius)
      for i in 0..<n where interior[i] != 0 {
        interiorEdge[i] = 0
        backgroundEdge[i] = 0
      }
    }
    for i in 0..<n {
      out[4 * i] = backgroundEdge[i]
      out[4 * i + 1] = interiorEdge[i]
      out[4 * i + 2] = interior[i]
      out[4 * i + 3] = (backgroundEdge[i] == 0 && interiorEdge[i] == 0 && interior[i] == 0) ? 1 : 0
    }
  }

  /// Binary dilation by skimage's `disk(radius)` (offsets with dy² + dx² ≤ r²); pixels
  /// outside the image count as 0. Private to the pixelwise target.
  static func dilateByDisk(_ mask: [UInt8], height: Int, width: Int, radius: Int) -> [UInt8] {
    var offsets: [(Int, Int)] = []
    for dy in -radius...radius {
      for dx in -radius...radius where dy * dy + dx * dx <= radius * radius {
        offsets.append((dy, dx))
      }
    }
    var out = [UInt8](repeating: 0, count: height * width)
    for r in 0..<height {
      for c in 0..<width where mask[r * width + c] != 0 {
        for (dy, dx) in offsets {
          let rr = r + dy
          let cc = c + dx
          if rr >= 0 && rr < height && cc >= 0 && cc < width { out[rr * width + cc] = 1 }
        }
      }
    }
    return out
  }
}
