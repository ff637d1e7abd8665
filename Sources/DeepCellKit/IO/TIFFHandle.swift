import CTIFF
import Foundation

/// The messages libtiff reported about one open file. libtiff's error and warning handlers
/// write here instead of stderr (libtiff 4.5 per-handle handlers, `TIFFOpenOptions`), so the
/// readers and writers can turn them into ``DeepCellError``s.
final class TIFFDiagnostics {
  /// Error messages, in order.
  var errors: [String] = []
  /// Warning messages, in order.
  var warnings: [String] = []

  /// The first error, or a fallback text.
  func reason(_ fallback: String) -> String {
    guard let first = errors.first else { return fallback }
    return first
  }
}

/// Formats a libtiff diagnostic (`module: message`) and stores it in the diagnostics box.
private func recordTIFFMessage(
  _ userData: UnsafeMutableRawPointer?, _ module: UnsafePointer<CChar>?,
  _ format: UnsafePointer<CChar>?,
  _ arguments: CVaListPointer?, isError: Bool
) {
  guard let userData, let format, let arguments else { return }
  let box = Unmanaged<TIFFDiagnostics>.fromOpaque(userData).takeUnretainedValue()
  var buffer = [CChar](repeating: 0, count: 512)
  _ = vsnprintf(&buffer, buffer.count, format, arguments)
  var text = String(
    decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  if let module, module.pointee != 0 {
    let name = String(cString: module)
    // libtiff passes the file name as module for open-time messages; keep only the routine names.
    if !name.contains("/") { text = "\(name): \(text)" }
  }
  if isError {
    if box.errors.count < 16 { box.errors.append(text) }
  } else if box.warnings.count < 64 {
    box.warnings.append(text)
  }
}

private let tiffErrorHandler: TIFFErrorHandlerExtR = { _, userData, module, format, arguments in
  recordTIFFMessage(userData, module, format, arguments, isError: true)
  return 1
}

private let tiffWarningHandler: TIFFErrorHandlerExtR = { _, userData, module, format, arguments in
  recordTIFFMessage(userData, module, format, arguments, isError: false)
  return 1
}

/// Silences libtiff's process-wide handlers (they print to stderr); done once, before the
/// first file is opened. Messages still reach the per-file handlers above.
private let silenceGlobalTIFFHandlers: Void = {
  _ = TIFFSetErrorHandler(nil)
  _ = TIFFSetWarningHandler(nil)
  _ = TIFFSetErrorHandlerExt(nil)
  _ = TIFFSetWarningHandlerExt(nil)
}()

/// One open libtiff handle with its diagnostics box: the plumbing the TIFF reader and writer
/// share (opening with captured messages, reading tags through the `va_list` entry point,
/// since Swift cannot call libtiff's variadic `TIFFGetField`, and setting them through the
/// typed shims in CTIFF/shim.h).
final class TIFFHandle {
  let tif: OpaquePointer
  let diagnostics: TIFFDiagnostics
  let path: String
  /// The client file libtiff writes through (kept alive until TIFFClose has closed it).
  private var client: TIFFWriteBackFile?
  private var closed = false

  /// Opens `path` with libtiff `mode` ("r", "w", "w8" …); throws `failure` with libtiff's
  /// reason when libtiff refuses.
  init(path: String, mode: String, failure: DeepCellError.Kind) throws {
    let diagnostics = TIFFDiagnostics()
    guard let tif = Self.open(reportingTo: diagnostics, { TIFFOpenExt(path, mode, $0) }) else {
      throw DeepCellError(failure, path, diagnostics.reason("libtiff cannot open the file"))
    }
    self.tif = tif
    self.diagnostics = diagnostics
    self.path = path
  }

  /// Opens a new TIFF over `file` (client I/O) with libtiff `mode` ("w", "w8").
  init(writingTo file: TIFFWriteBackFile, mode: String) throws {
    let diagnostics = TIFFDiagnostics()
    guard
      let tif = Self.open(
        reportingTo: diagnostics,
        {
          TIFFClientOpenExt(
            file.path, mode, Unmanaged.passUnretained(file).toOpaque(), TIFFWriteBackProcs.read,
            TIFFWriteBackProcs.write, TIFFWriteBackProcs.seek, TIFFWriteBackProcs.close,
            TIFFWriteBackProcs.size, TIFFWriteBackProcs.map, TIFFWriteBackProcs.unmap, $0)
        })
    else {
      throw DeepCellError(
        .cannotCreate, file.path, diagnostics.reason("libtiff cannot create the file"))
    }
    self.tif = tif
    self.diagnostics = diagnostics
    self.path = file.path
    self.client = file
  }

  /// Calls `open` with libtiff open options whose error and warning handlers record into
  /// `diagnostics` (the process-wide handlers silenced first); returns its handle.
  private static func open(
    reportingTo diagnostics: TIFFDiagnostics, _ open: (OpaquePointer?) -> OpaquePointer?
  ) -> OpaquePointer? {
    _ = silenceGlobalTIFFHandlers
    let options = TIFFOpenOptionsAlloc()
    defer { TIFFOpenOptionsFree(options) }
    let box = Unmanaged.passUnretained(diagnostics).toOpaque()
    TIFFOpenOptionsSetErrorHandlerExtR(options, tiffErrorHandler, box)
    TIFFOpenOptionsSetWarningHandlerExtR(options, tiffWarningHandler, box)
    return open(options)
  }

  deinit { close() }

  /// Closes the handle (flushing a file being written); safe to call twice.
  func close() {
    if !closed {
      closed = true
      TIFFClose(tif)
    }
  }

  /// A badData error about this file carrying libtiff's first error message, or `fallback`.
  func failure(_ fallback: String, kind: DeepCellError.Kind = .badData) -> DeepCellError {
    let reason = diagnostics.errors.isEmpty ? fallback : "\(fallback): \(diagnostics.errors[0])"
    return DeepCellError(kind, path, reason)
  }

  /// The value of a tag of C type `T` (uint16, uint32, …), or nil when absent.
  func field<T: FixedWidthInteger>(_ tag: Int32, _ type: T.Type, defaulted: Bool = false) -> T? {
    var value: T = 0
    let found = withUnsafeMutablePointer(to: &value) { pointer in
      withVaList([pointer]) { args in
        defaulted
          ? TIFFVGetFieldDefaulted(tif, UInt32(tag), args) : TIFFVGetField(tif, UInt32(tag), args)
      }
    }
    return found != 0 ? value : nil
  }

  /// A tag libtiff returns as a C `float` (XResolution, YResolution), or nil when absent.
  func floatField(_ tag: Int32) -> Float? {
    var value: Float = 0
    let found = withUnsafeMutablePointer(to: &value) { pointer in
      withVaList([pointer]) { TIFFVGetField(tif, UInt32(tag), $0) }
    }
    return found != 0 ? value : nil
  }

  /// An ASCII tag (ImageDescription, Software …), or nil when absent.
  func stringField(_ tag: Int32) -> String? {
    var value: UnsafeMutablePointer<CChar>? = nil
    let found = withUnsafeMutablePointer(to: &value) { pointer in
      withVaList([pointer]) { TIFFVGetField(tif, UInt32(tag), $0) }
    }
    guard found != 0, let value else { return nil }
    return String(
      decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)), as: UTF8.self)
  }

  /// Sets a tag whose value TIFFSetField reads as a C `int` (the uint16 tags: BitsPerSample,
  /// Photometric, Compression …); false when libtiff refuses.
  @discardableResult
  func setField(_ tag: Int32, _ value: Int32) -> Bool {
    dc_tiff_set_int(tif, UInt32(tag), value) != 0
  }

  /// Sets a uint32 tag (ImageWidth, RowsPerStrip, SubfileType …).
  @discardableResult
  func setField(_ tag: Int32, _ value: UInt32) -> Bool {
    dc_tiff_set_uint32(tif, UInt32(tag), value) != 0
  }

  /// Sets a rational tag (XResolution, YResolution), passed as `double`.
  @discardableResult
  func setField(_ tag: Int32, _ value: Double) -> Bool {
    dc_tiff_set_double(tif, UInt32(tag), value) != 0
  }

  /// Sets an ASCII tag (ImageDescription, Software).
  @discardableResult
  func setField(_ tag: Int32, _ value: UnsafePointer<CChar>) -> Bool {
    dc_tiff_set_string(tif, UInt32(tag), value) != 0
  }

  /// Sets a uint16 array tag given as a count and the values (ExtraSamples).
  @discardableResult
  func setField(_ tag: Int32, count: Int32, _ values: UnsafePointer<UInt16>) -> Bool {
    dc_tiff_set_uint16_array(tif, UInt32(tag), count, values) != 0
  }
}
