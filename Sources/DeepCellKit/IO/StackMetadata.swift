/// What a stack file states about its pixels besides their values, carried from input to
/// output where the output format can hold it: the pixel size, and how the frames divide
/// into time points of Z slices.
///
/// TIFF holds the pixel size in its resolution tags (with ImageJ's `unit=micron`) and
/// OME-TIFF in its OME-XML, which also keeps the Z slices; NPZ holds the pixel size as a
/// small float64 array, ``pixelSizeArrayName``, (y, x) in µm, which numpy reads as
/// `np.load(f)['pixel_size_um']`. NPY and PNG hold neither.
public struct StackMetadata: Sendable, Equatable {
  /// The pixel size, if known.
  public var pixelSize: PixelSize?
  /// Z slices a time point (1: the frames are a time series). Only OME-TIFF records it.
  public var slices: Int
  /// What the dc tools did to the stack (``StackProvenance``): TIFF descriptions (ImageJ and
  /// shaped JSON), OME-XML annotations and NPZ members hold it.
  public var provenance: StackProvenance?

  /// Metadata stating `pixelSize`, `slices` Z slices a time point and `provenance`.
  public init(pixelSize: PixelSize? = nil, slices: Int = 1, provenance: StackProvenance? = nil) {
    self.pixelSize = pixelSize
    self.slices = slices
    self.provenance = provenance
  }

  /// The NPZ member holding the pixel size: float64 (y, x) in µm.
  public static let pixelSizeArrayName = "pixel_size_um"

  /// The pixel size as the NPZ array ``pixelSizeArrayName`` holds it, nil when unknown.
  public var pixelSizeArray: NDArray? {
    pixelSize.map { NDArray(shape: [2], values: [$0.y, $0.x]) }
  }

  /// The pixel size an NPZ array ``pixelSizeArrayName`` states: two positive finite
  /// lengths (y, x) in µm, or one for square pixels; nil for anything else.
  public static func pixelSize(fromArray array: NDArray) -> PixelSize? {
    let values = array.doubleValues()
    guard array.rank <= 1, values.count == 1 || values.count == 2,
      values.allSatisfy({ $0.isFinite && $0 > 0 })
    else { return nil }
    return PixelSize(x: values.last!, y: values[0])
  }
}
