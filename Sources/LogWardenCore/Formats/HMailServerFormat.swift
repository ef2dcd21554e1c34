/// hMailServer logs (`hmailserver_YYYY-MM-DD.log`, or per service with "separate service logs").
///
/// ```
/// "SMTPD"	4388	5	"2020-02-28 15:06:25.909"	"1.2.3.4"	"RECEIVED: AUTH LOGIN"
/// "SMTPD"	4388	5	"2020-02-28 15:06:25.910"	"1.2.3.4"	"SENT: 334 VXNlcm5hbWU6"
/// "DEBUG"	5104	"2016-02-06 05:29:12.655"	"TCP connection started for session 7796"
/// ```
/// Tab-separated; every text field is double-quoted and inner quotes are not escaped, so the message runs from its
/// opening quote to the line's last quote. CRLF inside a message is written as `[nl]`. Session lines (`SMTPD`,
/// `SMTPC`, `POP3D`, `POP3C`, `IMAPD`) carry thread, session id and remote address; `RECEIVED:`/`SENT:` give the
/// direction (reversed for the `SMTPC`/`POP3C` clients). Each `[nl]`-separated piece is one protocol line for the
/// engine, one session per session id; `TCP connection started for session N` marks a start.
///
/// hMailServer masks some secrets itself (`PASS ***`, `LOGIN "user" ***`, AUTH PLAIN as `<base64 user> ***`, AUTH
/// LOGIN passwords as `***`) and keeps others (the AUTH LOGIN user name, APOP digests, AUTHENTICATE responses); the
/// engine masks every client credential line either way. Other lines (`TCPIP`, `DEBUG`, `APPLICATION`, `ERROR`) get
/// the generic secret patterns. A line of another shape is written as `****`.
public final class HMailServerFormat: LogFormat {
  public static let name = "hmailserver"
  public static let summary = "hMailServer logs (SMTPD/SMTPC/POP3D/POP3C/IMAPD protocol lines, [nl] continuations)"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    guard let base = head.baseAddress?.assumingMemoryBound(to: UInt8.self), head.count > 8 else { return 0 }
    var n = 0
    while n < head.count && n < 4096 && base[n] != 0x0A { n += 1 }
    let line = ByteLine(base: base, count: n)
    if Record.parseType(line) != nil { return 95 }
    return fileName.lowercased().hasPrefix("hmailserver") ? 40 : 0
  }

  /// The message types and what they say about the line.
  enum Kind {
    case session(proto: MailProtocol, serverIsUs: Bool)
    case other
  }

  struct Record {
    var kind: Kind
    /// Session id field (session lines only).
    var sessionStart = 0
    var sessionEnd = 0
    /// Message content: after its opening quote, up to its closing quote (or the line end when it has none).
    var messageStart = 0
    var messageEnd = 0

    static let types: [(StaticString, Kind)] = [
      ("\"SMTPD\"", .session(proto: .smtp, serverIsUs: true)), ("\"SMTPC\"", .session(proto: .smtp, serverIsUs: false)),
      ("\"POP3D\"", .session(proto: .pop3, serverIsUs: true)), ("\"POP3C\"", .session(proto: .pop3, serverIsUs: false)),
      ("\"IMAPD\"", .session(proto: .imap, serverIsUs: true)), ("\"TCPIP\"", .other), ("\"DEBUG\"", .other),
      ("\"APPLICATION\"", .other), ("\"ERROR\"", .other),
    ]

    static func parseType(_ line: ByteLine) -> (Kind, Int)? {
      guard line.count > 8, line[0] == 0x22 else { return nil }
      let end = min(line.count, 16)
      var k = 1
      while k < end && line[k] != 0x22 { k += 1 }
      guard k + 1 < line.count, line[k + 1] == 0x09 else { return nil }
      if k == 6 {
        // The five-letter session types: compare the packed name.
        let name = UInt64(line[1]) | UInt64(line[2]) << 8 | UInt64(line[3]) << 16 | UInt64(line[4]) << 24 | UInt64(line[5]) << 32
        switch name {
        case 0x44_50_54_4D_53: return (.session(proto: .smtp, serverIsUs: true), 8)  // SMTPD
        case 0x43_50_54_4D_53: return (.session(proto: .smtp, serverIsUs: false), 8)  // SMTPC
        case 0x44_33_50_4F_50: return (.session(proto: .pop3, serverIsUs: true), 8)  // POP3D
        case 0x43_33_50_4F_50: return (.session(proto: .pop3, serverIsUs: false), 8)  // POP3C
        case 0x44_50_41_4D_49: return (.session(proto: .imap, serverIsUs: true), 8)  // IMAPD
        default: break
        }
      }
      for (name, kind) in types where line.equalsUppercase(0, k + 1, name) { return (kind, k + 2) }
      return nil
    }

    static func parse(_ line: ByteLine) -> Record? {
      guard let (kind, afterType) = parseType(line) else { return nil }
      var sessionField = 0
      // Session lines: thread, session, "time", "ip", "message". Others: thread, "time", "message".
      let fields: Int
      if case .session = kind { fields = 4 } else { fields = 2 }
      var i = afterType
      for field in 0..<fields {
        if field == 1 { sessionField = i }
        var k = i
        if k < line.count && line[k] == 0x22 {
          k += 1
          while k < line.count && line[k] != 0x22 { k += 1 }
          k += 1
        } else {
          while k < line.count && line[k].isASCIIDigit { k += 1 }
        }
        guard k < line.count, line[k] == 0x09 else { return nil }
        i = k + 1
      }
      guard i < line.count, line[i] == 0x22 else { return nil }
      var record = Record(kind: kind)
      if case .session = kind {
        record.sessionStart = sessionField
        var e = record.sessionStart
        while e < line.count && line[e].isASCIIDigit { e += 1 }
        record.sessionEnd = e
        guard e > record.sessionStart else { return nil }
      }
      record.messageStart = i + 1
      var end = line.count
      while end > record.messageStart && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
      record.messageEnd = end > record.messageStart && line[end - 1] == 0x22 ? end - 1 : end
      return record
    }
  }

  private let context: FormatContext
  private let engine = ProtocolEngine(defaultProtocol: .unknown)
  private var local = SanitizeCounters()
  private var spans = MaskSpans()
  private var out: [UInt8] = []
  private var rendered: [UInt8] = []

  public var counters: SanitizeCounters {
    var total = engine.counters
    for k in 0..<total.credentials.count { total.credentials[k] += local.credentials[k] }
    total.alreadyMasked += local.alreadyMasked
    return total
  }

  public init(context: FormatContext) { self.context = context }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    var body = line
    if line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
      body = ByteLine(base: line.base + 3, count: line.count - 3)
    }
    if body.count == 0 {
      keep(line, terminator)
      return
    }
    guard let record = Record.parse(body) else {
      unparsable(line, terminator)
      return
    }
    let offset = line.count - body.count
    switch record.kind {
    case .other:
      spans.reset()
      noteSessionEvents(body, record)
      MailLogScan.maskGeneric(body, from: record.messageStart, end: record.messageEnd, spans: &spans, counters: &local)
      writeSpans(line, offset: offset, terminator)
    case .session(let proto, let serverIsUs):
      sessionLine(line, body, offset: offset, record, proto: proto, serverIsUs: serverIsUs, terminator)
    }
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }

  public func finish() {
    for open in engine.drainOpenBodies() where context.dropsBodies {
      emitMarker(open.body, context: open.context, terminator: context.lastTerminator)
    }
  }

  // MARK: Lines

  /// `TCP connection started for session N` / `Ending session N`.
  private func noteSessionEvents(_ body: ByteLine, _ record: Record) {
    let m = record.messageStart
    let e = record.messageEnd
    if let at = MailLogScan.find(body, "started for session ", from: m, end: e), let id = body.decimal(at + 20, e) {
      // The protocol is guessed from the greeting that follows.
      engine.begin(session: UInt64(id))
    } else if MailLogScan.find(body, "Ending session ", from: m, end: e) == m, let id = body.decimal(m + 15, e) {
      if let (open, markerContext) = engine.close(session: UInt64(id)), context.dropsBodies {
        emitMarker(open, context: markerContext, terminator: context.lastTerminator)
      }
    }
  }

  private func sessionLine(
    _ line: ByteLine, _ body: ByteLine, offset: Int, _ record: Record, proto: MailProtocol, serverIsUs: Bool,
    _ terminator: LineTerminator
  ) {
    let m = record.messageStart
    let e = record.messageEnd
    let received = body.hasUppercasePrefix(m, e, "RECEIVED: ")
    let sent = !received && body.hasUppercasePrefix(m, e, "SENT: ")
    guard received || sent else {
      spans.reset()
      MailLogScan.maskGeneric(body, from: m, end: e, spans: &spans, counters: &local)
      writeSpans(line, offset: offset, terminator)
      return
    }
    let direction: Direction = (received == serverIsUs) ? .client : .server
    let textStart = m + (received ? 10 : 6)
    let key = UInt64(body.decimal(record.sessionStart, record.sessionEnd) ?? 0)
    // A session not announced by `TCP connection started` begins at its greeting; one first seen elsewhere joined
    // mid-way. (`isStart` only matters for a session the engine does not know yet.)
    let isStart = direction == .server && Self.isGreeting(body, textStart, e)

    // Each `[nl]`-separated piece is one protocol line. `rendered` is built only once a piece changes.
    var changed = false
    var pieceStart = textStart
    var keptPieces = 0
    var bodyStartedHere = false
    while true {
      let nl = MailLogScan.find(body, "[nl]", from: pieceStart, end: e) ?? e
      let piece = ByteLine(base: body.base + pieceStart, count: nl - pieceStart)
      let verdict = engine.process(session: key, isStart: isStart, direction: direction, line: piece, protocolHint: proto)
      if verdict.bodyStarted && context.dropsBodies {
        bodyStartedHere = true
        engine.rememberMarkerContext(Array(UnsafeBufferPointer(start: line.base, count: offset + textStart)), for: key)
      }
      if let ended = verdict.bodyEnded, context.dropsBodies {
        if bodyStartedHere {
          // The message began in this record (so `changed` is set): its marker is a piece of the same record.
          context.countDroppedBody(ended)
          if keptPieces > 0 { rendered.append(contentsOf: "[nl]".utf8) }
          rendered.append(contentsOf: BodyMarker.text(ended))
          keptPieces += 1
          bodyStartedHere = false
        } else {
          emitMarker(ended, context: engine.markerContext(for: key), terminator: terminator)
        }
      }
      if !changed && !(verdict.isUnchanged && !(verdict.isBody && context.dropsBodies)) {
        // The first change: copy the pieces before it, unchanged, at once.
        changed = true
        rendered.removeAll(keepingCapacity: true)
        if pieceStart > textStart {
          rendered.append(contentsOf: UnsafeBufferPointer(start: body.base + textStart, count: pieceStart - 4 - textStart))
        }
      }
      if verdict.isBody && context.dropsBodies {
        // dropped
      } else {
        if changed {
          if keptPieces > 0 { rendered.append(contentsOf: "[nl]".utf8) }
          if verdict.isUnchanged {
            rendered.append(contentsOf: UnsafeBufferPointer(start: piece.base, count: piece.count))
          } else {
            verdict.render(piece, dropBodies: context.dropsBodies, into: &rendered)
          }
        }
        keptPieces += 1
      }
      guard nl < e else { break }
      pieceStart = nl + 4
    }
    if !changed {
      keep(line, terminator)
      return
    }
    if keptPieces == 0 { return }  // the whole record was message content
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: offset + textStart))
    out.append(contentsOf: rendered)
    out.append(contentsOf: UnsafeBufferPointer(start: body.base + e, count: body.count - e))
    context.emit(out, terminator: terminator)
  }

  /// A greeting: `220 …`, `+OK …`, `* OK …`, `* PREAUTH …`.
  static func isGreeting(_ line: ByteLine, _ start: Int, _ end: Int) -> Bool {
    line.hasUppercasePrefix(start, end, "220") || line.hasUppercasePrefix(start, end, "+OK")
      || line.hasUppercasePrefix(start, end, "* OK") || line.hasUppercasePrefix(start, end, "* PREAUTH")
  }

  // MARK: Output

  private func writeSpans(_ line: ByteLine, offset: Int, _ terminator: LineTerminator) {
    if spans.isEmpty {
      keep(line, terminator)
      return
    }
    spans.normalize()
    out.removeAll(keepingCapacity: true)
    let body = ByteLine(base: line.base + offset, count: line.count - offset)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: offset))
    spans.render(body, into: &out)
    context.emit(out, terminator: terminator)
  }

  @inline(__always) private func keep(_ line: ByteLine, _ terminator: LineTerminator) {
    context.output.keep(line.base, line.count + terminator.length)
  }

  /// A marker record: the prefix of the line where the body started, the marker, the closing quote.
  private func emitMarker(_ body: BodyCount, context markerContext: [UInt8], terminator: LineTerminator) {
    context.countDroppedBody(body)
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: markerContext)
    out.append(contentsOf: BodyMarker.text(body))
    out.append(0x22)
    context.emit(out, terminator: terminator == .none ? .crlf : terminator)
  }

  /// A line of another shape: written as `****`.
  private func unparsable(_ line: ByteLine, _ terminator: LineTerminator) {
    context.report.unparsedLines += 1
    context.emit(MaskText.stars.bytes, terminator: terminator)
  }
}
