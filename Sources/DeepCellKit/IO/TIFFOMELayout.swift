extension TIFFFrameLayout {
  /// The layout of the first image (series) of an OME-TIFF: its Z × T planes become frames
  /// (T slowest, as ImageJ orders slices within time points), its channel planes the
  /// channels of each frame (times the samples of a pixel, for RGB pages), wherever
  /// `DimensionOrder` and the `TiffData` elements put them among the IFDs.
  ///
  /// `pageOfIFD` maps an IFD number of the file to the frame page reading it (nil for an
  /// IFD that is no frame page: a reduced-resolution image or past the chain's end);
  /// `fileName` is the file's own name, for `TiffData` that name their file without a UUID.
  /// Returns the layout (its ``pageTable`` names the pages read when they are not simply
  /// 0, 1, 2 …) and a warning when the file holds further images, which are not read.
  ///
  /// - Throws: ``DeepCellError`` `badData` about `subject` when the OME-XML points to
  ///   other files (a multi-file dataset, or `BinaryOnly` metadata), when its sizes do not
  ///   match the pages, or when a plane has no IFD or an IFD is out of range.
  static func ome(
    _ metadata: OMEMetadata, height h: Int, width w: Int, samples spp: Int, pageCount: Int,
    pageOfIFD: (Int) -> Int?, fileName: String, subject: String
  ) throws -> (TIFFFrameLayout, warning: String?) {
    func fail(_ why: String) -> DeepCellError { DeepCellError(.badData, subject, why) }
    if metadata.isBinaryOnly {
      throw fail(
        "OME-TIFF whose metadata live in another file (BinaryOnly): open the companion .ome.xml dataset with Bio-Formats, or convert it to one OME-TIFF first"
      )
    }
    let image = metadata.images[0]
    guard image.sizeX == w, image.sizeY == h else {
      throw fail(
        "OME-XML says \(image.sizeX)×\(image.sizeY) pixels (SizeX×SizeY), the pages are \(w)×\(h)")
    }
    guard image.sizeC % spp == 0 else {
      throw fail("OME-XML SizeC=\(image.sizeC) does not fit pages of \(spp) samples a pixel")
    }
    let channels = image.sizeC / spp
    let (zt, o1) = image.sizeZ.multipliedReportingOverflow(by: image.sizeT)
    let (planes, o2) = zt.multipliedReportingOverflow(by: channels)
    // Every plane has an IFD of its own: more planes than pages cannot be (and would only
    // make the plane map below huge).
    guard !o1, !o2, planes <= pageCount else {
      throw fail(
        "OME-XML sizes Z=\(image.sizeZ), C=\(image.sizeC), T=\(image.sizeT) need more planes than the \(pageCount) pages"
      )
    }
    // The IFD of every plane (in DimensionOrder's plane numbering), from the TiffData map.
    var ifdOfPlane = [Int?](repeating: nil, count: planes)
    if image.tiffData.isEmpty {
      for p in 0..<planes { ifdOfPlane[p] = p }
    }
    for data in image.tiffData {
      if let uuid = data.uuid {
        let own =
          metadata.uuid.map { $0 == uuid } ?? (data.fileName == nil || data.fileName == fileName)
        if !own {
          throw fail(
            "multi-file OME-TIFF dataset (planes stored in \(data.fileName ?? uuid)): not supported; convert it to one OME-TIFF first (e.g. Bio-Formats bfconvert)"
          )
        }
      }
      guard data.firstZ < image.sizeZ, data.firstC < channels, data.firstT < image.sizeT else {
        throw fail(
          "OME-XML TiffData starts at plane Z=\(data.firstZ), C=\(data.firstC), T=\(data.firstT), outside the image"
        )
      }
      let first = image.planeIndex(
        z: data.firstZ, c: data.firstC, t: data.firstT, channels: channels)
      let ifd = data.ifd ?? 0
      let count = data.planeCount ?? (data.ifd != nil ? 1 : planes - first)
      guard count <= planes - first else {
        throw fail(
          "OME-XML TiffData maps \(count) planes from plane \(first); the image has \(planes)")
      }
      for k in 0..<count { ifdOfPlane[first + k] = ifd + k }
    }
    // Frame f = t · SizeZ + z holds the channel planes c = 0…channels−1.
    var table = [Int]()
    table.reserveCapacity(planes)
    for t in 0..<image.sizeT {
      for z in 0..<image.sizeZ {
        for c in 0..<channels {
          let plane = image.planeIndex(z: z, c: c, t: t, channels: channels)
          guard let ifd = ifdOfPlane[plane] else {
            throw fail("OME-XML maps no IFD to plane Z=\(z), C=\(c), T=\(t)")
          }
          guard let page = pageOfIFD(ifd) else {
            throw fail(
              "OME-XML puts plane Z=\(z), C=\(c), T=\(t) in IFD \(ifd), which holds no full image")
          }
          table.append(page)
        }
      }
    }
    var layout = TIFFFrameLayout(
      frameCount: image.sizeZ * image.sizeT, frameShape: [h, w, image.sizeC],
      pagesPerFrame: channels,
      join: .channels)
    if table != Array(0..<planes) { layout.pageTable = table }
    let others = metadata.images.count - 1
    let warning =
      others > 0
      ? "OME-TIFF holds \(metadata.images.count) images (series); reading only the first (\(image.id))"
      : nil
    return (layout, warning)
  }
}
