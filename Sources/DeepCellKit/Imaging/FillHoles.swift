/// deepcell-toolbox `fill_holes(label_img, size, connectivity=1)` (watershed.md §6).
///
/// For each label in ascending order whose Euler number (8-connected object, 4-connected
/// holes, as skimage `regionprops.euler_number`) is below 1: inside its bounding box, every
/// 4-connected component of the complement of `(current == label)` with fewer than `size`
/// pixels is set to the label (skimage `remove_small_holes`). Quirks kept: complement pieces
/// touching the box edge count too, pixels of other labels are part of the complement, and
/// Euler numbers and boxes come from the input while the patches come from the running output.
public enum FillHoles {
  /// The plane with small holes filled.
  public static func apply(_ labels: [Int32], height: Int, width: Int, size: Int) -> [Int32] {
    precondition(labels.count == height * width, "plane does not match \(height)×\(width)")
    if size <= 0 || labels.isEmpty { return labels }
    let boxes = BoundingBoxes(labels, height: height, width: width)
    var output = labels
    for (label, box) in boxes.sorted where box.isValid {
      let bh = box.y1 - box.y0 + 1
      let bw = box.x1 - box.x0 + 1
      var original = [Bool](repeating: false, count: bh * bw)
      for y in 0..<bh {
        for x in 0..<bw {
          original[y * bw + x] = labels[(box.y0 + y) * width + box.x0 + x] == label
        }
      }
      guard eulerNumber(original, height: bh, width: bw) < 1 else { continue }
      var complement = [Bool](repeating: false, count: bh * bw)
      for y in 0..<bh {
        for x in 0..<bw {
          complement[y * bw + x] = output[(box.y0 + y) * width + box.x0 + x] != label
        }
      }
      let (pieces, count) = ConnectedComponents.label(
        complement, height: bh, width: bw, connectivity: .four)
      var sizes = [Int](repeating: 0, count: count + 1)
      for v in pieces { sizes[Int(v)] += 1 }
      for y in 0..<bh {
        for x in 0..<bw {
          let piece = Int(pieces[y * bw + x])
          if piece > 0 && sizes[piece] < size { output[(box.y0 + y) * width + box.x0 + x] = label }
        }
      }
    }
    return output
  }

  /// Euler number of a binary plane: 8-connected objects minus 4-connected holes
  /// (background components not connected to the outside), skimage `euler_number(image, 2)`.
  public static func eulerNumber(_ mask: [Bool], height: Int, width: Int) -> Int {
    let objects = ConnectedComponents.label(
      mask, height: height, width: width, connectivity: .eight
    ).count
    // Background padded by one pixel: every outside-connected piece merges into one.
    let ph = height + 2
    let pw = width + 2
    var background = [Bool](repeating: true, count: ph * pw)
    for y in 0..<height {
      for x in 0..<width where mask[y * width + x] { background[(y + 1) * pw + x + 1] = false }
    }
    let pieces = ConnectedComponents.label(background, height: ph, width: pw, connectivity: .four)
      .count
    return objects - (pieces - 1)
  }
}

/// The bounding box of every non-zero label of a plane (scipy `find_objects`).
struct BoundingBoxes {
  struct Box {
    var y0 = Int.max, x0 = Int.max, y1 = -1, x1 = -1
    var isValid: Bool { y1 >= 0 }
  }

  /// (label, box) pairs by ascending label.
  let sorted: [(Int32, Box)]

  init(_ labels: [Int32], height: Int, width: Int) {
    var boxes: [Int32: Box] = [:]
    for y in 0..<height {
      for x in 0..<width {
        let v = labels[y * width + x]
        if v <= 0 { continue }
        var b = boxes[v] ?? Box()
        b.y0 = min(b.y0, y)
        b.y1 = max(b.y1, y)
        b.x0 = min(b.x0, x)
        b.x1 = max(b.x1, x)
        boxes[v] = b
      }
    }
    sorted = boxes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }
}
