/// How the pages of a TIFF file make up the frames of a (frames, height, width, channels)
/// stack (spec/io.md §4): which description gives the axes, how many pages a frame spans
/// and how those pages are joined.
struct TIFFFrameLayout: Equatable {
  /// How consecutive pages combine into one frame.
  enum Join: Equatable {
    /// Each page is one channel (or one group of `samplesPerPixel` channels) of the frame:
    /// ImageJ hyperstacks store channels as separate planes, C fastest (TZCYX).
    case channels
    /// Each page is one row block of the frame: tifffile stores a non-RGB (T, H, W, C)
    /// array as pages of shape (W, C), H pages per frame.
    case rows
  }

  /// Number of frames.
  var frameCount: Int
  /// [height, width, channels] of one frame.
  var frameShape: [Int]
  /// Pages (or contiguous planes) per frame.
  var pagesPerFrame: Int
  /// How the pages of a frame are joined.
  var join: Join
  /// True for ImageJ's single-IFD form: `images=` planes stored back to back after the
  /// first page's data (ImageJ's files over 4 GiB).
  var contiguousPlanes: Bool = false
  /// The page of each plane, frame by frame (`pageTable[frame · pagesPerFrame + plane]`),
  /// when the pages are not simply in frame order: OME-TIFF's dimension orders other than
  /// channels fastest, and `TiffData` maps. nil: plane p of frame f is page
  /// `f · pagesPerFrame + p`.
  var pageTable: [Int]? = nil

  /// The page (or contiguous plane) holding plane `plane` of frame `frame`.
  func page(frame: Int, plane: Int) -> Int {
    let k = frame * pagesPerFrame + plane
    return pageTable?[k] ?? k
  }

  /// One page per frame.
  static func pages(_ count: Int, height: Int, width: Int, samples: Int) -> TIFFFrameLayout {
    TIFFFrameLayout(
      frameCount: count, frameShape: [height, width, samples], pagesPerFrame: 1, join: .channels)
  }

  /// The layout of `pageCount` pages of (height, width, samples) given the parsed ImageJ
  /// description or tifffile shape (either may be nil). `contiguousPossible` tells whether
  /// the first page is uncompressed and its strips contiguous, so ImageJ's single-IFD form
  /// can apply. Returns the layout and, when a description was present but did not fit the
  /// pages, a warning saying it was ignored.
  static func resolve(
    pageCount: Int, height h: Int, width w: Int, samples spp: Int, imageJ: ImageJMetadata?,
    shape: [Int]?,
    contiguousPossible: Bool
  ) -> (TIFFFrameLayout, warning: String?) {
    let plain = pages(pageCount, height: h, width: w, samples: spp)
    if let ij = imageJ {
      let c = ij.channels
      if ij.images == pageCount, pageCount % c == 0 {
        return (
          TIFFFrameLayout(
            frameCount: pageCount / c, frameShape: [h, w, c * spp], pagesPerFrame: c,
            join: .channels), nil
        )
      }
      if pageCount == 1, ij.images > 1, ij.images <= 1 << 40, ij.images % c == 0, contiguousPossible
      {
        return (
          TIFFFrameLayout(
            frameCount: ij.images / c, frameShape: [h, w, c * spp], pagesPerFrame: c,
            join: .channels,
            contiguousPlanes: true), nil
        )
      }
      return (
        plain,
        "ImageJ description (images=\(ij.images), channels=\(c)) does not match the \(pageCount) pages; reading pages as frames"
      )
    }
    guard let shape, !shape.isEmpty else { return (plain, nil) }
    let total = shape.reduce(1) {
      $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1
    }
    let pageElements = h * w * spp
    let mismatch =
      "tifffile shape \(shape) does not match the \(pageCount) pages of \(h)×\(w)×\(spp); reading pages as frames"
    let (expected, overflow) = pageElements.multipliedReportingOverflow(by: pageCount)
    guard !overflow, total == expected else { return (plain, mismatch) }
    // Chunky or planar multi-sample pages are whole frames; so are pages of a rank ≤ 3
    // shape ((N,) H, W). A rank ≥ 4 shape follows DeepCell's channels-last convention,
    // (…, H, W, C): tifffile stores it as H pages of (W, C) per frame.
    if spp > 1 || shape.count <= 3 { return (plain, nil) }
    let rows = shape[shape.count - 3]
    if shape[shape.count - 2] == h, shape[shape.count - 1] == w, rows >= 1, pageCount % rows == 0 {
      return (
        TIFFFrameLayout(
          frameCount: pageCount / rows, frameShape: [rows, h, w], pagesPerFrame: rows, join: .rows),
        nil
      )
    }
    return (plain, mismatch)
  }
}
