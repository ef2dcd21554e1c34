/// MDaemon's SMTP, POP3 and IMAP session logs: a timestamp, then `-->` before what MDaemon sent, `<--` before what it
/// received, or MDaemon's own account of the session:
///
/// ```
/// Mon 2010-08-30 11:03:10: Session 8439; child 11; thread 0
/// Mon 2010-08-30 11:03:10: Accepting SMTP connection from [192.0.2.7:2818] to [192.0.2.1:25]
/// Mon 2010-08-30 11:03:10: --> 220 mx.example.test ESMTP MDaemon 11.0.3
/// Mon 2010-08-30 11:03:10: <-- AUTH CRAM-MD5
/// Mon 2010-08-30 11:03:10: --> 334 PE1EQUVNT04tRjIwMTAwODMw…
/// Mon 2010-08-30 11:03:10: <-- a2l0YWZpbmFuY2UgNWVhYjQ5…
/// ```
/// In outbound sessions (SMTP out, MultiPOP, DomainPOP) MDaemon is the client, so `-->` carries the commands. Which
/// side MDaemon is comes from the file name (`…SMTP-(out)…`, `…MultiPOP…`) and, per session, from the first line
/// that is a reply (`220 …`, `+OK`, `* OK`); until then a line that is no reply is analysed as a command.
/// `Session N;` starts a session (its lines follow it); the protocol is recognised from the replies and commands.
/// Lines before the first `Session` line belong to a session joined mid-way. MDaemon's own lines are kept, with what
/// the generic fallback takes for a credential masked (and, when bodies are dropped, the message subject); a line
/// without the timestamp is masked (blank and `-----` separator lines stay).
public final class MDaemonFormat: LogFormat {
  public static let name = "mdaemon"
  public static let summary = "MDaemon SMTP/POP3/IMAP session logs ('<date>: <-- client' / '<date>: --> server')"
  public static let rewritesIdentities = true

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    var arrows = 0
    var stamped = 0
    var other = 0
    for bytes in DetectionText.byteLines(head, maxLines: 60) {
      DetectionText.withLine(bytes) { line in
        if line.trimmedEnd() == 0 || isSeparator(line) { return }
        switch parse(line) {
        case .client?, .server?: arrows += 1
        case .information?: stamped += 1
        case nil: other += 1
        }
      }
    }
    guard arrows >= 2, arrows + stamped >= 4 * other else { return 0 }
    return 85
  }

  enum Parsed: Equatable {
    case client(textStart: Int)
    case server(textStart: Int)
    /// MDaemon's own text from `textStart` on.
    case information(textStart: Int)
  }

  /// `Mon 2010-08-30 11:03:10[.123]: ` (optionally a `NN: ` thread column), then the arrow or MDaemon's text.
  static func parse(_ line: ByteLine) -> Parsed? {
    guard let stampEnd = timestampEnd(line) else { return nil }
    var i = stampEnd
    // A numeric column some versions write after the timestamp (`00: `).
    var k = i
    while k < line.count && line[k].isASCIIDigit { k += 1 }
    if k > i && k - i <= 3 && line.hasLiteral(": ", at: k) { i = k + 2 }
    if line.hasLiteral("<-- ", at: i) || (line.hasLiteral("<--", at: i) && i + 3 == line.count) {
      return .client(textStart: min(i + 4, line.count))
    }
    if line.hasLiteral("--> ", at: i) || (line.hasLiteral("-->", at: i) && i + 3 == line.count) {
      return .server(textStart: min(i + 4, line.count))
    }
    return .information(textStart: i)
  }

  /// Where the text after `Ddd YYYY-MM-DD HH:MM:SS[.fff]: ` starts.
  static func timestampEnd(_ line: ByteLine) -> Int? {
    guard line.count >= 25 else { return nil }
    for k in 0..<3 where !(((line[k] | 0x20) &- 0x61) < 26) { return nil }
    guard line[3] == asciiSpace else { return nil }
    let digits = [4, 5, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22]
    for k in digits where !line[k].isASCIIDigit { return nil }
    guard line[8] == 0x2D, line[11] == 0x2D, line[14] == asciiSpace, line[17] == 0x3A, line[20] == 0x3A else {
      return nil
    }
    var i = 23
    if line[i] == 0x2E {
      i += 1
      while i < line.count && line[i].isASCIIDigit { i += 1 }
    }
    guard line.hasLiteral(": ", at: i) else { return nil }
    return i + 2
  }

  static func isSeparator(_ line: ByteLine) -> Bool {
    let end = line.trimmedEnd()
    guard end >= 3 else { return false }
    for k in 0..<end where line[k] != 0x2D { return false }
    return true
  }

  private let context: FormatContext
  private let writer: ProtocolLineWriter
  /// Finds credential shapes in MDaemon's own lines (the generic fallback's line-wise scan).
  private lazy var informationScanner = GenericFallbackFormat(context: context)
  private var session: UInt64 = 0
  private var sessionSeen = false
  /// MDaemon is the client (outbound session), as the file name says; nil when it does not tell.
  private let fileSaysClient: Bool?
  /// The current session's side, once known.
  private var mdaemonIsClient: Bool?
  private var out: [UInt8] = []

  public var counters: SanitizeCounters { writer.engine.counters + informationScanner.counters }

  public init(context: FormatContext) {
    self.context = context
    writer = ProtocolLineWriter(context: context, engine: ProtocolEngine(defaultProtocol: .unknown))
    let upper = context.fileName.uppercased()
    if upper.contains("OUT)") || upper.contains("-OUT") || upper.contains("MULTIPOP") || upper.contains("DOMAINPOP") {
      fileSaysClient = true
    } else if upper.contains("IN)") || upper.contains("-IN") || upper.contains("POP3") || upper.contains("IMAP") {
      fileSaysClient = false
    } else {
      fileSaysClient = nil
    }
    mdaemonIsClient = fileSaysClient
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    guard let parsed = Self.parse(line) else {
      if line.trimmedEnd() == 0 || Self.isSeparator(line) {
        writer.keep(line, terminator)
      } else {
        writer.maskUnparsable(line, terminator, keepPrefix: 0)
      }
      return
    }
    switch parsed {
    case .client(let textStart), .server(let textStart):
      let sentByMDaemon: Bool
      if case .server = parsed { sentByMDaemon = true } else { sentByMDaemon = false }
      let direction = self.direction(sentByMDaemon: sentByMDaemon, line.suffix(from: textStart))
      writer.write(
        line, terminator, textStart: textStart, session: session, isStart: sessionSeen || direction == .server,
        direction: direction, proto: nil)
    case .information(let textStart):
      if let number = sessionNumber(line, from: textStart) {
        session = number
        sessionSeen = true
        mdaemonIsClient = fileSaysClient
        writer.start(session: number, terminator: terminator, proto: nil)
      }
      information(line, terminator, textStart: textStart)
    }
  }

  /// Who wrote an arrow line. Until the session's side is known, the first reply tells it, and a line that is no
  /// reply is taken for the client's (analysed as a command: what it carries is masked, not trusted).
  private func direction(sentByMDaemon: Bool, _ text: ByteLine) -> Direction {
    if let mdaemonIsClient { return sentByMDaemon == mdaemonIsClient ? .client : .server }
    guard Self.isReply(text) else { return .client }
    mdaemonIsClient = !sentByMDaemon
    return .server
  }

  /// A server's reply: an SMTP code (`250 `, `250-`), `+OK`/`-ERR`, or an IMAP greeting (`* OK`, `* PREAUTH`).
  static func isReply(_ text: ByteLine) -> Bool {
    let n = text.count
    return text.hasSMTPReplyCode(at: 0) || text.hasUppercasePrefix(0, n, "+OK") || text.hasUppercasePrefix(0, n, "-ERR")
      || text.hasUppercasePrefix(0, n, "* OK") || text.hasUppercasePrefix(0, n, "* PREAUTH")
  }

  /// `Session 8439; child 11…`: the session number.
  private func sessionNumber(_ line: ByteLine, from start: Int) -> UInt64? {
    guard line.hasLiteral("Session ", at: start) else { return nil }
    var k = start + 8
    var value: UInt64 = 0
    while k < line.count && line[k].isASCIIDigit && value < UInt64.max / 10 {
      value = value * 10 + UInt64(line[k] - 0x30)
      k += 1
    }
    return k > start + 8 ? value : nil
  }

  /// MDaemon's own line: kept, with what the generic fallback takes for a credential masked.
  private func information(_ line: ByteLine, _ terminator: LineTerminator, textStart: Int) {
    var verdict = LineVerdict()
    let text = line.suffix(from: textStart)
    // `*  Subject: …`, MDaemon's note of the message it sends: message content, dropped with the bodies.
    let subject = text.skipBlanks(from: text.count > 0 && text[0] == 0x2A ? 1 : 0)
    let value = text.skipBlanks(from: min(subject + 8, text.count))
    if context.dropsBodies && text.hasUppercasePrefix(subject, text.count, "SUBJECT:") && value < text.count {
      verdict.mask(value, text.count)
    } else {
      informationScanner.scan(text, &verdict)
      if verdict.maskWhole {
        verdict.maskWhole = false
        verdict.edits = []
        verdict.mask(0, text.count)
      }
    }
    if verdict.isUnchanged {
      writer.keepText(line, terminator, textStart: textStart)
      return
    }
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: textStart))
    verdict.render(line.suffix(from: textStart), dropBodies: false, into: &out)
    writer.emit(out, terminator)
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }
  public func finish() { writer.finish() }
}
