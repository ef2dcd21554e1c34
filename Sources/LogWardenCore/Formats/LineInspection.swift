/// What `share` needs to know about one raw log line to keep whole sessions: which session it belongs to, when it
/// was written, and which of its bytes can name a person or a machine.
///
/// A format that can tell this adopts ``SessionAwareFormat`` (in an extension, next to the format). Formats that do
/// not are still shared, a file at a time: a file that mentions a selected value is kept whole.
public struct LineFacts {
  public enum Role: Sendable, Equatable {
    /// Structure the format needs to read the rest of the file (`#Fields:`, a field-name row, a banner). Kept in
    /// every shared file that keeps at least one entry.
    case header
    /// A log entry.
    case entry
  }

  /// Where in the line an identity can appear, and how to read it.
  public struct Field: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
      /// An IP address, possibly with a port or in brackets (`192.0.2.7:25`, `[2001:db8::1]:993`).
      case endpoint
      /// A user name or address column.
      case user
      /// Free text that can hold addresses, user names and IPs anywhere.
      case text
    }
    public var kind: Kind
    /// Byte offsets into the line, end exclusive. Quotes of a quoted CSV field may be included.
    public var start: Int
    public var end: Int
    public init(kind: Kind, start: Int, end: Int) {
      self.kind = kind
      self.start = start
      self.end = end
    }
  }

  public var role: Role = .entry
  /// The session the line belongs to (a format-specific key; equal keys mean the same session), or nil.
  public var session: UInt64? = nil
  /// When the line was written, in seconds since the epoch (UTC), if the line says.
  public var timestamp: Int64? = nil
  /// The parts of the line that can hold identities. Reused from line to line (no allocation per line).
  public var fields: [Field] = []

  public init() {}

  /// Clears the facts for the next line, keeping the field buffer's capacity.
  public mutating func reset() {
    role = .entry
    session = nil
    timestamp = nil
    fields.removeAll(keepingCapacity: true)
  }
}

/// Reads the facts of the lines of one file, in order (it may keep state, e.g. the column layout of a CSV header).
public protocol LineInspector: AnyObject {
  /// Fills `facts` (already reset) for `line` (without its terminator).
  func inspect(_ line: ByteLine, into facts: inout LineFacts)
}

/// A format whose lines carry a session key, so that `share` can keep whole sessions across interleaved lines and
/// across files. Adopt it in an extension of the format; nothing else needs registering.
public protocol SessionAwareFormat: LogFormat {
  /// A fresh inspector for one file (`fileName` as given to the sanitizer).
  static func makeInspector(fileName: String) -> any LineInspector
  /// The session key for a session id as an administrator types it (`--session`), or nil if it cannot be one.
  static func sessionKey(forID id: String) -> UInt64?
}

extension BuiltinFormats {
  /// An inspector for files of `format`, or nil when the format cannot tell sessions apart.
  public static func inspector(for format: any LogFormat.Type, fileName: String) -> (any LineInspector)? {
    (format as? any SessionAwareFormat.Type)?.makeInspector(fileName: fileName)
  }

  /// The session key `format` gives the session id `id`, or nil.
  public static func sessionKey(forID id: String, format: any LogFormat.Type) -> UInt64? {
    (format as? any SessionAwareFormat.Type)?.sessionKey(forID: id)
  }
}

/// Timestamps as log lines write them, parsed from bytes without allocating.
public enum LineTimestamp {
  /// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]` at `[start, end)`; no zone means UTC.
  /// Returns seconds since the epoch, or nil if the bytes are not that shape.
  public static func parseISO8601(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
    guard end - start >= 19 else { return nil }
    func digits(_ at: Int, _ count: Int) -> Int? {
      var value = 0
      for k in at..<(at + count) {
        let d = p[k] &- 0x30
        guard d < 10 else { return nil }
        value = value * 10 + Int(d)
      }
      return value
    }
    let s = start
    guard p[s + 4] == 0x2D, p[s + 7] == 0x2D, p[s + 10] == 0x54 || p[s + 10] == 0x20 || p[s + 10] == 0x74,
      p[s + 13] == 0x3A, p[s + 16] == 0x3A,
      let year = digits(s, 4), let month = digits(s + 5, 2), let day = digits(s + 8, 2),
      let hour = digits(s + 11, 2), let minute = digits(s + 14, 2), let second = digits(s + 17, 2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var k = s + 19
    if k < end && (p[k] == 0x2E || p[k] == 0x2C) {
      k += 1
      while k < end && p[k] &- 0x30 < 10 { k += 1 }
    }
    var offset = 0
    if k < end && (p[k] == 0x2B || p[k] == 0x2D) && end - k >= 5 {
      let sign = p[k] == 0x2D ? -1 : 1
      guard let h = digits(k + 1, 2) else { return nil }
      let m: Int?
      if p[k + 3] == 0x3A { m = end - k >= 6 ? digits(k + 4, 2) : nil } else { m = digits(k + 3, 2) }
      guard let m else { return nil }
      offset = sign * (h * 3600 + m * 60)
    }
    let days = daysFromCivil(year: year, month: month, day: day)
    return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }
}
