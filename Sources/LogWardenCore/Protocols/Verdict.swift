/// Which mail protocol a session speaks. `unknown` sessions are analysed with the union of all three.
public enum MailProtocol: UInt8, Sendable, CaseIterable {
  case smtp, pop3, imap, unknown
}

/// Who wrote a protocol line: the client (commands, SASL responses, uploaded messages) or the server (replies).
public enum Direction: UInt8, Sendable {
  case client, server
}

/// The text a masked span is replaced with. Always fixed-length, so nothing leaks the secret's length.
public enum MaskText: UInt8, Sendable {
  /// `****`
  case stars
  /// `"****"` — keeps an IMAP quoted string a quoted string.
  case quotedStars
  /// `{4}` — an IMAP synchronizing literal header whose content became `****`.
  case literalHeader
  /// `{4+}` — the non-synchronizing (LITERAL+) form.
  case literalHeaderNonSync

  public var bytes: [UInt8] {
    switch self {
    case .stars: return Array("****".utf8)
    case .quotedStars: return Array("\"****\"".utf8)
    case .literalHeader: return Array("{4}".utf8)
    case .literalHeaderNonSync: return Array("{4+}".utf8)
    }
  }
}

/// One replacement inside a line: bytes `[start, end)` become `text`.
public struct LineEdit: Sendable, Equatable {
  public var start: Int
  public var end: Int
  public var text: MaskText
}

/// Lines and bytes of one removed message body.
public struct BodyCount: Sendable, Equatable {
  public var lines: Int
  public var bytes: Int
}

/// The protocol engine's decision about one line. The format renders it in its own syntax.
public struct LineVerdict {
  /// Replacements, sorted by `start`, non-overlapping. Empty for most lines.
  public var edits: [LineEdit] = []
  /// The whole line is to be replaced by `****`.
  public var maskWhole = false
  /// The whole line is message content (dropped under `level4`).
  public var isBody = false
  /// The first `bodyPrefix` bytes are message content; the rest is protocol (an IMAP literal that ended mid-line).
  public var bodyPrefix = 0
  /// This line starts a new body run (the format records where to put the marker).
  public var bodyStarted = false
  /// A body run ended just before this line (or before the rest after `bodyPrefix`): emit its marker first.
  public var bodyEnded: BodyCount? = nil
  /// The first `userNamePrefix` bytes are a user name sent as an IMAP literal (`LOGIN {5}` / `frank …`): the vendor
  /// profile pseudonymizes them. Nothing is edited before them, so the offsets hold in the rendered line too.
  public var userNamePrefix = 0

  public init() {}

  /// Whether the line goes out exactly as it came in (apart from body handling).
  @inlinable public var isUnchanged: Bool { edits.isEmpty && !maskWhole && !isBody && bodyPrefix == 0 }

  /// Folds in the verdict of the sub-line `[start, end)`: masked whole, or message content (which shares the line
  /// with protocol text, so it is masked rather than dropped) → that range masked; otherwise its edits, shifted.
  mutating func absorb(_ inner: LineVerdict, at start: Int, end: Int) {
    if inner.maskWhole || inner.isBody {
      mask(start, end)
      return
    }
    if inner.bodyPrefix > 0 { mask(start, start + inner.bodyPrefix) }
    for edit in inner.edits where edit.start >= inner.bodyPrefix { mask(start + edit.start, start + edit.end, edit.text) }
  }

  mutating func mask(_ start: Int, _ end: Int, _ text: MaskText = .stars) {
    guard end > start || text != .stars else { return }
    if let last = edits.last, last.end > start {
      // Overlap: merge into one span (cannot happen for well-formed rule output, but stay safe).
      edits[edits.count - 1].end = max(last.end, end)
      return
    }
    edits.append(LineEdit(start: start, end: end, text: text))
  }
}
