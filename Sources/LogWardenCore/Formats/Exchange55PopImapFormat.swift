/// Exchange 5.5 POP3 and IMAP4 protocol logs (`L0000001.log` in the log path set in the registry, KB Q182504).
///
/// ```
/// IMAP4 Protocol Log
/// 01/26/1998 17:31:43.079     (TID:141): IMAP connection accepted from 157.58.35.128
/// 01/26/1998 17:31:43.139 >>> (TID:141): * OK Microsoft Exchange IMAP4rev1 Server Ready
/// 01/26/1998 17:34:05.003 <<< (TID:141): 1 LOGIN U116BIT password
/// ```
/// The first line names the service (it sets the protocol). Records are `MM/DD/YYYY HH:MM:SS.mmm`, the direction
/// (`<<<` from the client, `>>>` to the client, three spaces for the server's own information) and `(TID:n):`.
/// Sessions are keyed by TID; a session starts at the "connection accepted" information line, and one first seen
/// without it is treated as joined mid-way (its client lines are masked until the server ends what was going on).
///
/// A line without a timestamp continues the record before it: either the writer wrapped a long line or one record
/// held several protocol lines (a level-5 `RETR` reply with its message). It is analysed as the next protocol line of
/// the same session and direction, so message content is dropped and literal octet counts stay right; when the client
/// line before it was masked to its end (a wrapped password), the continuation is masked whole too.
/// Continuations of information lines are kept; a line that cannot belong to any record is masked.
public final class Exchange55PopImapFormat: LogFormat {
  public static let name = "exchange55-popimap"
  public static let summary = "Exchange 5.5 POP3/IMAP4 protocol logs (L0000001.log, '<<< (TID:n):' records)"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    // The whole head: a file may start inside a long message (at level 5) before its first record.
    let lines = DetectionText.byteLines(head, maxLines: 2000)
    var records = 0
    var serviceHeader = false
    for (index, bytes) in lines.enumerated() {
      DetectionText.withLine(bytes) { line in
        if case .record = parse(line) {
          records += 1
        } else if index == 0 && isServiceHeader(line) {
          serviceHeader = true
        }
      }
    }
    let named = isLogFileName(fileName)
    if records >= 2 { return serviceHeader || named ? 95 : 90 }
    if records == 1 { return serviceHeader || named ? 85 : 70 }
    if serviceHeader && named { return 40 }
    return 0
  }

  /// `L0000001.log`: `L`, seven digits, `.log`.
  static func isLogFileName(_ fileName: String) -> Bool {
    let u = Array(fileName.uppercased().utf8)
    guard u.count == 12, u[0] == 0x4C else { return false }
    return u[1..<8].allSatisfy { $0.isASCIIDigit } && Array(u[8...]) == Array(".LOG".utf8)
  }

  /// The first line naming the service: short printable text mentioning POP3 or IMAP.
  static func isServiceHeader(_ line: ByteLine) -> Bool {
    line.count > 0 && line.count <= 200 && line.isPrintableASCII(from: 0, to: line.count)
      && (line.containsUppercase("POP3", from: 0, to: line.count)
        || line.containsUppercase("IMAP", from: 0, to: line.count))
  }

  enum Parsed {
    /// No timestamp: a continuation of the record before.
    case continuation
    /// A timestamp, then something this format does not write: the first `prefix` bytes are the timestamp.
    case malformed(prefix: Int)
    /// `direction` nil for information lines; `tid` nil when an information line has none.
    case record(direction: Direction?, tid: UInt64?, textStart: Int)
  }

  /// Parses the framing of one line.
  static func parse(_ line: ByteLine) -> Parsed {
    guard let dateEnd = line.slashDateEnd(from: 0), dateEnd < line.count, line[dateEnd] == asciiSpace,
      let timeEnd = line.clockTimeEnd(from: dateEnd + 1)
    else { return .continuation }
    guard timeEnd + 4 <= line.count, line[timeEnd] == asciiSpace else { return .malformed(prefix: timeEnd) }
    var i = timeEnd + 1
    let direction: Direction?
    if line.hasLiteral("<<<", at: i) {
      direction = .client
    } else if line.hasLiteral(">>>", at: i) {
      direction = .server
    } else if line.hasLiteral("   ", at: i) {
      direction = nil
    } else {
      return .malformed(prefix: timeEnd)
    }
    i = line.skipBlanks(from: i + 3)
    guard line.hasLiteral("(TID:", at: i), let tidEnd = line.digitsEnd(from: i + 5, min: 1, max: 12),
      line.hasLiteral("):", at: tidEnd), let tid = line.decimal(i + 5, tidEnd)
    else {
      // Information lines are the server's own text: they need no TID to be safe.
      return direction == nil ? .record(direction: nil, tid: nil, textStart: i) : .malformed(prefix: timeEnd)
    }
    var textStart = tidEnd + 2
    if textStart < line.count && line[textStart] == asciiSpace { textStart += 1 }
    return .record(direction: direction, tid: UInt64(tid), textStart: textStart)
  }

  private let context: FormatContext
  private let writer: ProtocolLineWriter
  private var fileProtocol: MailProtocol?
  private var firstLine = true

  /// What a continuation line belongs to.
  private enum Last {
    case nothing
    case header
    case information
    case unparsable
    case protocolLine(key: UInt64, direction: Direction, maskedToEnd: Bool)
  }
  private var last: Last = .nothing

  public var counters: SanitizeCounters { writer.engine.counters }
  /// Vendor profile: `ProtocolLineWriter` applies the pseudonyms, client text by position.
  public static var rewritesIdentities: Bool { true }

  public init(context: FormatContext) {
    self.context = context
    writer = ProtocolLineWriter(context: context, engine: ProtocolEngine(defaultProtocol: .unknown))
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    let parsed = Self.parse(line)
    if firstLine {
      firstLine = false
      if case .continuation = parsed, Self.isServiceHeader(line) {
        fileProtocol = Self.protocolNamed(in: line, from: 0, to: line.count)
        last = .header
        writer.keep(line, terminator)
        return
      }
    }
    switch parsed {
    case .continuation:
      continuation(line, terminator)
    case .malformed(let prefix):
      last = .unparsable
      writer.maskUnparsable(line, terminator, keepPrefix: prefix)
    case .record(nil, let tid, let textStart):
      information(line, terminator, tid: tid, textStart: textStart)
    case .record(let direction?, let tid, let textStart):
      let key = tid ?? 0
      let outcome = writer.write(
        line, terminator, textStart: textStart, session: key, isStart: false, direction: direction,
        proto: fileProtocol)
      last = .protocolLine(key: key, direction: direction, maskedToEnd: outcome.maskedToEnd)
    }
  }

  public func overlong(prefix: ByteLine, length: Int) {
    last = .unparsable
    overlongDefault(context: context)
  }

  public func finish() { writer.finish() }

  private func information(_ line: ByteLine, _ terminator: LineTerminator, tid: UInt64?, textStart: Int) {
    last = .information
    let end = line.count
    if fileProtocol == nil { fileProtocol = Self.protocolNamed(in: line, from: textStart, to: end) }
    if let tid {
      if line.containsUppercase("ACCEPTED", from: textStart, to: end) {
        writer.start(session: tid, terminator: terminator, proto: fileProtocol)
      } else if line.containsUppercase("CLOSED", from: textStart, to: end)
        || line.containsUppercase("DISCONNECT", from: textStart, to: end)
        || line.containsUppercase("TERMINATED", from: textStart, to: end)
      {
        writer.close(session: tid, terminator: terminator)
      }
    }
    writer.keepText(line, terminator, textStart: textStart)
  }

  private func continuation(_ line: ByteLine, _ terminator: LineTerminator) {
    switch last {
    case .protocolLine(let key, let direction, let maskedToEnd):
      let outcome = writer.write(
        line, terminator, textStart: 0, session: key, isStart: false, direction: direction, proto: fileProtocol,
        forceMask: direction == .client && maskedToEnd)
      last = .protocolLine(key: key, direction: direction, maskedToEnd: maskedToEnd || outcome.maskedToEnd)
    case .information:
      writer.keepText(line, terminator)
    case .nothing, .header, .unparsable:
      if line.skipBlanks(from: 0) >= line.count {
        writer.keep(line, terminator)
      } else {
        writer.maskUnparsable(line, terminator, keepPrefix: 0)
      }
    }
  }

  static func protocolNamed(in line: ByteLine, from: Int, to: Int) -> MailProtocol? {
    if line.containsUppercase("IMAP", from: from, to: to) { return .imap }
    if line.containsUppercase("POP", from: from, to: to) { return .pop3 }
    return nil
  }
}
