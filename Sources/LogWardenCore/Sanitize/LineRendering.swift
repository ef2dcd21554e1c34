/// Renders engine verdicts into bytes. Formats call these for the protocol part of a record.
public enum BodyMarker {
  /// `[logwarden: body removed: N lines; M bytes]` — the one line that replaces a dropped body.
  public static func text(_ body: BodyCount) -> [UInt8] {
    Array("[logwarden: body removed: \(body.lines) lines; \(body.bytes) bytes]".utf8)
  }
}

extension LineVerdict {
  /// Appends `line` as it must be written: edits applied, masked whole as `****`, and — when bodies are dropped —
  /// without its body prefix. Callers skip lines with `isBody` themselves when dropping bodies.
  public func render(_ line: ByteLine, dropBodies: Bool, into out: inout [UInt8]) {
    if maskWhole {
      out.append(contentsOf: MaskText.stars.bytes)
      return
    }
    var position = dropBodies ? bodyPrefix : 0
    for edit in edits where edit.end > position || (edit.start >= position) {
      let start = max(edit.start, position)
      if start > position {
        out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: start - position))
      }
      out.append(contentsOf: edit.text.bytes)
      position = max(edit.end, start)
    }
    if position < line.count {
      out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: line.count - position))
    }
  }
}
