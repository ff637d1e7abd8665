import Foundation

/// One entry of deepcell's lineage dictionary (spec/track.md §4).
public struct LineageEntry: Sendable, Equatable {
  /// The track label.
  public var label: Int
  /// The frames where the label occurs, ascending.
  public var frames: [Int]
  /// Labels of the daughter tracks.
  public var daughters: [Int]
  /// Whether the track ended by dividing.
  public var capped: Bool
  /// The division frame (CellTracker: the daughters' first frame; CTC readers: the parent's
  /// last frame), or nil.
  public var frameDivision: Int?
  /// The parent track's label, or nil.
  public var parent: Int?

  /// A lineage entry.
  public init(
    label: Int, frames: [Int], daughters: [Int] = [], capped: Bool = false,
    frameDivision: Int? = nil, parent: Int? = nil
  ) {
    self.label = label
    self.frames = frames
    self.daughters = daughters
    self.capped = capped
    self.frameDivision = frameDivision
    self.parent = parent
  }
}

/// deepcell's lineage dictionary `{label: {label, frames, daughters, capped, frame_div, parent}}`
/// (spec/track.md §4), with its JSON form (`lineage.json` in a `.trk`) and validity check.
public struct Lineage: Sendable, Equatable {
  /// Entries by label.
  public var entries: [Int: LineageEntry]

  /// A lineage of the given entries.
  public init(entries: [Int: LineageEntry] = [:]) { self.entries = entries }

  /// The JSON text, keys as strings in ascending numeric order, 4-space indent (as
  /// deepcell's `save_trk` writes it with `json.dump(..., indent=4)`).
  public func jsonText() -> String {
    func list(_ v: [Int]) -> String {
      if v.isEmpty { return "[]" }
      return "[\n" + v.map { "            \($0)" }.joined(separator: ",\n") + "\n        ]"
    }
    func optional(_ v: Int?) -> String { v.map(String.init) ?? "null" }
    var parts: [String] = []
    for label in entries.keys.sorted() {
      let e = entries[label]!
      parts.append(
        """
            "\(label)": {
                "label": \(e.label),
                "frames": \(list(e.frames)),
                "daughters": \(list(e.daughters)),
                "capped": \(e.capped ? "true" : "false"),
                "frame_div": \(optional(e.frameDivision)),
                "parent": \(optional(e.parent))
            }
        """)
    }
    return parts.isEmpty ? "{}" : "{\n" + parts.joined(separator: ",\n") + "\n}"
  }

  /// Parses lineage JSON: an object keyed by label, or (`.trks`) a one-element list of such
  /// objects. Missing `daughters`/`capped`/`frame_div`/`parent` default to empty/false/null.
  ///
  /// - Throws: ``DeepCellError`` (`badData`) naming `subject` when the text is not such JSON.
  public static func parse(_ data: [UInt8], subject: String) throws -> Lineage {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(data), options: [.fragmentsAllowed])
    } catch {
      throw DeepCellError(.badData, subject, "lineage is not valid JSON")
    }
    var root = object
    if let list = root as? [Any] {
      guard list.count == 1 else {
        throw DeepCellError(
          .badData, subject, "lineage list holds \(list.count) movies; expected one")
      }
      root = list[0]
    }
    guard let dict = root as? [String: Any] else {
      throw DeepCellError(.badData, subject, "lineage must be a JSON object keyed by label")
    }
    func int(_ v: Any?, _ what: String) throws -> Int? {
      guard let v, !(v is NSNull) else { return nil }
      if let n = v as? NSNumber {
        let d = n.doubleValue
        if d.rounded() == d, abs(d) < 9e15 { return Int(d) }
      }
      throw DeepCellError(.badData, subject, "lineage \(what) is not an integer")
    }
    func ints(_ v: Any?, _ what: String) throws -> [Int] {
      guard let v, !(v is NSNull) else { return [] }
      guard let list = v as? [Any] else {
        throw DeepCellError(.badData, subject, "lineage \(what) is not a list")
      }
      return try list.map { try int($0, what) ?? 0 }
    }
    var entries = [Int: LineageEntry]()
    for (key, value) in dict {
      guard let label = Int(key), label > 0 else {
        throw DeepCellError(
          .badData, subject, "lineage key \"\(key)\" is not a positive integer label")
      }
      guard let e = value as? [String: Any] else {
        throw DeepCellError(.badData, subject, "lineage entry \(key) is not an object")
      }
      let frames = try ints(e["frames"], "frames of \(key)")
      entries[label] = LineageEntry(
        label: try int(e["label"], "label of \(key)") ?? label, frames: frames.sorted(),
        daughters: try ints(e["daughters"], "daughters of \(key)"),
        capped: (e["capped"] as? Bool) ?? false,
        frameDivision: try int(e["frame_div"], "frame_div of \(key)"),
        parent: try int(e["parent"], "parent of \(key)"))
    }
    return Lineage(entries: entries)
  }

  /// Checks the lineage against the frames where each label occurs (`present[label]` =
  /// ascending frames), as deepcell's `is_valid_lineage` does (§4): the same labels on both
  /// sides, `frames` equal to the occurrences, daughters listed and starting after the
  /// parent's last frame, a listed parent existing and ending before the child starts.
  /// (Daughters may start later than parent's last frame + 1: CTC allows such gaps.)
  ///
  /// - Throws: ``DeepCellError`` (`badData`) naming `subject` and the first inconsistency.
  public func validate(present: [Int: [Int]], subject: String) throws {
    for label in present.keys.sorted() where entries[label] == nil {
      throw DeepCellError(
        .badData, subject, "label \(label) occurs in the masks but not in the lineage")
    }
    for label in entries.keys.sorted() {
      let e = entries[label]!
      guard let frames = present[label] else {
        throw DeepCellError(.badData, subject, "lineage label \(label) does not occur in the masks")
      }
      guard frames == e.frames else {
        throw DeepCellError(
          .badData, subject,
          "lineage frames of label \(label) differ from the frames where it occurs")
      }
      for d in e.daughters {
        guard let de = entries[d] else {
          throw DeepCellError(
            .badData, subject, "daughter \(d) of label \(label) is not in the lineage")
        }
        guard let first = de.frames.first, let last = e.frames.last, first > last else {
          throw DeepCellError(
            .badData, subject,
            "daughter \(d) of label \(label) does not start after its parent ends")
        }
      }
      if let p = e.parent {
        guard let pe = entries[p] else {
          throw DeepCellError(
            .badData, subject, "parent \(p) of label \(label) is not in the lineage")
        }
        guard let last = pe.frames.last, let first = e.frames.first, last < first else {
          throw DeepCellError(
            .badData, subject, "parent \(p) of label \(label) does not end before it starts")
        }
      }
    }
  }

  /// The track history this lineage describes: each label's frames split into runs of
  /// consecutive frames; the first run keeps the label, later runs get fresh labels
  /// (largest label + 1, …, in order of first frame then label) for the CTC table.
  /// Parent links are taken from `parent` and from `daughters` (either side suffices);
  /// `frame_div` is rewritten in the CellTracker convention (the daughters' first frame).
  public func history() -> TrackHistory {
    var next = (entries.keys.max() ?? 0) + 1
    var runs: [(label: Int, runs: [(Int, Int)])] = []
    for label in entries.keys.sorted() {
      var spans: [(Int, Int)] = []
      for f in entries[label]!.frames {
        if let last = spans.last, f == last.1 + 1 {
          spans[spans.count - 1].1 = f
        } else if let last = spans.last, f <= last.1 {
          continue
        } else {
          spans.append((f, f))
        }
      }
      runs.append((label, spans))
    }
    // Fresh labels for later runs, by (first frame, label).
    var later: [(first: Int, label: Int, index: Int)] = []
    for r in runs {
      for (k, s) in r.runs.enumerated() where k > 0 { later.append((s.0, r.label, k)) }
    }
    later.sort { ($0.first, $0.label) < ($1.first, $1.label) }
    var fresh = [String: Int]()
    for l in later {
      fresh["\(l.label)/\(l.index)"] = next
      next += 1
    }
    var parentOf = [Int: Int]()
    for (label, e) in entries {
      if let p = e.parent, entries[p] != nil { parentOf[label] = p }
      for d in e.daughters where entries[d] != nil && parentOf[d] == nil { parentOf[d] = label }
    }
    var records = [Int: TrackHistoryRecord]()
    for r in runs {
      let e = entries[r.label]!
      let spans = r.runs.enumerated().map { k, s in
        TrackSpan(first: s.0, last: s.1, label: k == 0 ? r.label : fresh["\(r.label)/\(k)"]!)
      }
      records[r.label] = TrackHistoryRecord(
        id: r.label, spans: spans, parent: parentOf[r.label], daughters: [], capped: e.capped,
        frameDivision: e.frameDivision)
    }
    for (child, p) in parentOf.sorted(by: { $0.key < $1.key }) {
      records[p]?.daughters.append(child)
    }
    // Written in the CellTracker convention: frame_div = the daughters' first frame.
    for (id, r) in records where !r.daughters.isEmpty {
      records[id]!.capped = true
      records[id]!.frameDivision = r.daughters.compactMap { records[$0]?.firstFrame }.min()
    }
    return TrackHistory(records: records)
  }
}
