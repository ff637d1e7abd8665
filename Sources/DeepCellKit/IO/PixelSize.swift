import Foundation

/// The physical size of a pixel in micrometres, as a file states it: OME-XML's
/// `PhysicalSizeX/Y`, or TIFF's X/YResolution (pixels per unit) with ImageJ's `unit=` or
/// the ResolutionUnit tag.
public struct PixelSize: Sendable, Equatable, CustomStringConvertible {
  /// Width of a pixel (along X, the columns) in µm.
  public var x: Double
  /// Height of a pixel (along Y, the rows) in µm.
  public var y: Double

  /// A pixel of `x` × `y` µm.
  public init(x: Double, y: Double) {
    self.x = x
    self.y = y
  }

  /// A square pixel of `size` µm.
  public init(_ size: Double) { self.init(x: size, y: size) }

  /// `0.5 µm` for square pixels, else `0.5 × 0.25 µm` (x × y).
  public var description: String {
    x == y ? "\(format(x)) µm" : "\(format(x)) × \(format(y)) µm"
  }

  private func format(_ v: Double) -> String { String(format: "%g", v) }

  /// Micrometres per unit of ImageJ's `unit=` values (and OME's unit symbols): `micron`,
  /// `um`, `µm`, ImageJ's escaped `\u00B5m`, `nm`, `mm`, `cm`, `m` … ; nil for `pixel`,
  /// `inch` and unknown units.
  static func micrometres(perUnit unit: String) -> Double? {
    let u = unit.trimmingCharacters(in: .whitespaces)
    switch u.lowercased() {
    case "micron", "microns", "um", "\\u00b5m": return 1
    default: return OMEMetadata.micrometresPerUnit[u]
    }
  }

  /// The pixel size stated by TIFF resolution tags: `xResolution`/`yResolution` pixels per
  /// unit, the unit taken from ImageJ's `unit=` entry when there is one (ImageJ writes
  /// ResolutionUnit none), else from `resolutionUnit` (3 centimetre; 4 millimetre and 5
  /// micrometre as tifffile writes them). The inch (2, libtiff's default, 72 dpi on files
  /// that mean nothing by it) and no unit give nil. The resolutions are single-precision in
  /// libtiff, so the size is rounded to 7 significant digits (2.0 pixels/µm → 0.5 µm).
  static func fromResolution(
    xResolution: Float?, yResolution: Float?, resolutionUnit: Int, imageJUnit: String?
  ) -> PixelSize? {
    guard let xResolution, xResolution.isFinite, xResolution > 0 else { return nil }
    let yResolution = yResolution.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? xResolution
    let scale: Double
    if let imageJUnit {
      guard let s = micrometres(perUnit: imageJUnit) else { return nil }
      scale = s
    } else {
      switch resolutionUnit {
      case 3: scale = 10_000
      case 4: scale = 1_000
      case 5: scale = 1
      default: return nil
      }
    }
    return PixelSize(
      x: significant(scale / Double(xResolution)), y: significant(scale / Double(yResolution)))
  }

  /// `v` rounded to 7 significant decimal digits.
  static func significant(_ v: Double) -> Double {
    guard v.isFinite, v > 0 else { return v }
    let p = pow(10, 6 - floor(log10(v)))
    return (v * p).rounded() / p
  }
}
