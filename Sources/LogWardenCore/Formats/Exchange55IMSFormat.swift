/// Exchange 4.0–5.5 Internet Mail Service / Internet Mail Connector SMTP protocol logs (`IMCDATA\LOG\L0000000.LOG`).
///
/// ```
/// 5/13/00 2:36:27 PM : A connection was accepted from SERVER1.
/// 5/13/00 2:36:27 PM : <<< EHLO server1.COMPANY1.COM
/// 5/13/00 2:36:27 PM : >>> 250-server2.COMPANY2.COM Hello [server2]
/// 250-XEXCH50
/// 250 AUTH=LOGIN
///
/// 5/13/00 2:36:28 PM : <<< AUTH NTLM TlRMTVNTUAABAAAAt5IAQAcABwAgAAAA…
/// ```
/// Arrows are relative to the IMS: `<<<` is what it received, `>>>` what it sent. In an inbound session ("A connection
/// was accepted from …") the client's commands carry `<<<`; in an outbound one ("A connection to … was established")
/// the IMS is the client and its commands carry `>>>`. Each session start line begins a new session, and so does a
/// `220` greeting after a session's last command was answered (a start line in a wording not known here); a file
/// that starts mid-session gets a session treated as joined mid-way, oriented by whether its first line is a reply.
///
/// At Maximum level the raw received packets come first as `<<< IO: |…`, then the same line as parsed: the IO line
/// is analysed, and its parsed twin gets the same treatment without being analysed twice (a `354` seen twice would
/// end the message). Lines without a timestamp continue the record before them (multi-line replies, packets holding
/// several lines, message content); a continuation of a client line masked to its end is masked whole. Blank
/// separator lines are kept, or dropped with the message they sit in.
public final class Exchange55IMSFormat: LogFormat {
  public static let name = "exchange55-ims"
  public static let summary = "Exchange 4.0-5.5 IMS/IMC SMTP protocol logs ('5/13/00 2:36:27 PM : <<< EHLO …')"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    var arrows = 0
    var starts = 0
    var bareArrows = 0
    var bareMarkers = 0
    // The whole head: a file may start inside a long message before its first record.
    for bytes in DetectionText.byteLines(head, maxLines: 2000) {
      DetectionText.withLine(bytes) { line in
        guard let prefix = timestampEnd(line) else {
          // Pasted from a KB article: no timestamps, records indented.
          let i = line.skipBlanks(from: 0)
          if arrowAt(line, i) != nil {
            bareArrows += 1
            if line.hasLiteral("IO: |", at: i + 4) { bareMarkers += 1 }
          } else if sessionStart(line, from: i) != nil {
            bareMarkers += 1
          }
          return
        }
        if arrowAt(line, prefix) != nil { arrows += 1 }
        if sessionStart(line, from: prefix) != nil { starts += 1 }
      }
    }
    if arrows >= 2 && starts >= 1 { return 95 }
    if arrows >= 2 { return 85 }
    if arrows + starts >= 1 { return 60 }
    if bareArrows >= 3 && bareMarkers >= 1 { return 55 }
    return 0
  }

  /// End of `M/D/YY h:mm:ss AM : ` (the AM/PM is absent under 24-hour locales), or nil.
  static func timestampEnd(_ line: ByteLine) -> Int? {
    guard let dateEnd = line.slashDateEnd(from: 0), dateEnd < line.count, line[dateEnd] == asciiSpace,
      var i = line.clockTimeEnd(from: dateEnd + 1)
    else { return nil }
    if i + 3 <= line.count && line[i] == asciiSpace
      && (line.equalsUppercase(i + 1, i + 3, "AM") || line.equalsUppercase(i + 1, i + 3, "PM"))
    {
      i += 3
    }
    guard line.hasLiteral(" :", at: i) else { return nil }
    i += 2
    if i < line.count && line[i] == asciiSpace { i += 1 }
    return i
  }

  /// `<<<` (received by the IMS: true) or `>>>` (sent: false) at `i`, followed by a space or the line's end.
  static func arrowAt(_ line: ByteLine, _ i: Int) -> Bool? {
    let received: Bool
    if line.hasLiteral("<<<", at: i) {
      received = true
    } else if line.hasLiteral(">>>", at: i) {
      received = false
    } else {
      return nil
    }
    guard i + 3 == line.count || line[i + 3] == asciiSpace else { return nil }
    return received
  }

  /// Whether the information text at `from` starts a session, and whether it is inbound.
  static func sessionStart(_ line: ByteLine, from: Int) -> Bool? {
    let end = line.count
    if line.hasUppercasePrefix(from, end, "A CONNECTION WAS ACCEPTED") { return true }
    if line.hasUppercasePrefix(from, end, "A CONNECTION TO") || line.hasUppercasePrefix(from, end, "CONNECTION TO") {
      return line.containsUppercase("ESTABLISHED", from: from, to: end) ? false : nil
    }
    return nil
  }

  private let context: FormatContext
  private let writer: ProtocolLineWriter
  /// Whether records carry timestamps; decided by the first record. Without them (logs pasted from KB articles),
  /// lines starting with an arrow are records.
  private var timestamped: Bool?

  private var sessionKey: UInt64 = 0
  private var haveSession = false
  /// The current session is inbound (the remote host is the client).
  private var inbound = true
  /// The current session has had a client line (so a later greeting cannot be its own).
  private var sessionHadCommands = false

  /// What a continuation line belongs to.
  private enum Last {
    case nothing, information, unparsable
    case protocolLine(direction: Direction, isIO: Bool, maskedToEnd: Bool, isBody: Bool)
  }
  private var last: Last = .nothing

  /// Analysed IO lines waiting for their parsed twin (bodies are never queued). Flat storage: texts back to back in
  /// one buffer, edits in another, so queueing and matching allocate nothing per line.
  private struct Twin {
    var start: Int
    var count: Int
    var direction: Direction
    var maskWhole: Bool
    var editsStart: Int
    var editsCount: Int
  }
  private var twins: [Twin] = []
  private var twinHead = 0
  private var twinText: [UInt8] = []
  private var twinEdits: [LineEdit] = []
  private static let maxTwinBytes = 1 << 18

  public var counters: SanitizeCounters { writer.engine.counters }
  /// Vendor profile: `ProtocolLineWriter` applies the pseudonyms, client text by position.
  public static var rewritesIdentities: Bool { true }

  public init(context: FormatContext) {
    self.context = context
    writer = ProtocolLineWriter(context: context, engine: ProtocolEngine(defaultProtocol: .smtp))
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    let stamped = Self.timestampEnd(line)
    var prefix = stamped
    if stamped == nil && timestamped != true {
      // Untimestamped records: an arrow or a session start line at the beginning (after blanks).
      let i = line.skipBlanks(from: 0)
      if Self.arrowAt(line, i) != nil || Self.sessionStart(line, from: i) != nil { prefix = i }
    }
    guard let prefix else {
      continuation(line, terminator)
      return
    }
    if timestamped == nil { timestamped = stamped != nil }
    if let received = Self.arrowAt(line, prefix) {
      arrowRecord(line, terminator, arrowAt: prefix, received: received)
      return
    }
    // A message being transferred may hold a line that looks like a record (`1/1/01 1:00:00 AM : Note …`): while the
    // body is open, only an arrow record or a session start ends it.
    let isStart = Self.sessionStart(line, from: prefix)
    if isStart == nil, case .protocolLine(_, _, _, true) = last {
      continuation(line, terminator)
      return
    }
    // Information written by the IMS itself.
    if let isInbound = isStart {
      if haveSession { writer.close(session: sessionKey, terminator: terminator) }
      sessionKey &+= 1
      haveSession = true
      inbound = isInbound
      writer.start(session: sessionKey, terminator: terminator, proto: .smtp)
      clearTwins()
      sessionHadCommands = false
    }
    last = .information
    writer.keepText(line, terminator, textStart: prefix)
  }

  public func overlong(prefix: ByteLine, length: Int) {
    last = .unparsable
    overlongDefault(context: context)
  }

  public func finish() { writer.finish() }

  // MARK: Records

  private func direction(received: Bool) -> Direction { received == inbound ? .client : .server }

  /// `220 …`/`220-…` while the session is at rest (every command answered, no message or literal open): not the
  /// reply to STARTTLS, but a new server's greeting.
  private func isUnpromptedGreeting(_ line: ByteLine, from textStart: Int) -> Bool {
    let t = line.skipBlanks(from: textStart)
    guard line.hasLiteral("220", at: t), line.hasSMTPReplyCode(at: t), let state = writer.engine.state(of: sessionKey)
    else { return false }
    return state.client == .command && state.smtpRepliesPending == 0 && !state.bodyOpen
      && state.clientLiteralRemaining == 0
  }

  private func arrowRecord(_ line: ByteLine, _ terminator: LineTerminator, arrowAt: Int, received: Bool) {
    var textStart = min(arrowAt + 4, line.count)
    var isIO = false
    if line.hasLiteral("IO:", at: textStart) {
      isIO = true
      textStart = line.skipBlanks(from: textStart + 3)
      if textStart < line.count && line[textStart] == 0x7C /* | */ { textStart += 1 }
    }
    if !haveSession {
      // The file starts mid-session: a reply tells which side this arrow is.
      let t = line.skipBlanks(from: textStart)
      let isReply = t + 3 <= line.count && line[t].isASCIIDigit && line[t + 1].isASCIIDigit && line[t + 2].isASCIIDigit
      inbound = isReply != received
      sessionKey &+= 1
      haveSession = true
    } else if sessionHadCommands && isUnpromptedGreeting(line, from: textStart) {
      // A 220 greeting after the last command was answered opens a new session whose start line is in a wording (or
      // language) not known here; its arrow says which side the IMS is.
      writer.close(session: sessionKey, terminator: terminator)
      sessionKey &+= 1
      inbound = !received
      writer.start(session: sessionKey, terminator: terminator, proto: .smtp)
      clearTwins()
      sessionHadCommands = false
    }
    let dir = direction(received: received)
    if dir == .client { sessionHadCommands = true }
    let outcome = protocolLine(line, terminator, textStart: textStart, direction: dir, isIO: isIO, forceMask: false)
    last = .protocolLine(direction: dir, isIO: isIO, maskedToEnd: outcome.maskedToEnd, isBody: outcome.isBody)
  }

  private func continuation(_ line: ByteLine, _ terminator: LineTerminator) {
    let blank = line.skipBlanks(from: 0) >= line.count
    switch last {
    case .protocolLine(var dir, let isIO, let maskedToEnd, let isBody):
      // After `354`, text without a record of its own is the client's message, not more of the reply (a blank line
      // there still separates records, as IMS logs write them).
      if !blank && dir == .server && writer.engine.clientPhase(of: sessionKey) == .smtpData { dir = .client }
      if blank && !isBody {
        // A separator between exchanges.
        writer.keepText(line, terminator)
        return
      }
      let outcome = protocolLine(
        line, terminator, textStart: 0, direction: dir, isIO: isIO, forceMask: dir == .client && maskedToEnd)
      last = .protocolLine(
        direction: dir, isIO: isIO, maskedToEnd: maskedToEnd || outcome.maskedToEnd, isBody: outcome.isBody)
    case .information:
      writer.keepText(line, terminator)
    case .nothing, .unparsable:
      if blank {
        writer.keep(line, terminator)
      } else {
        writer.maskUnparsable(line, terminator, keepPrefix: 0)
      }
    }
  }

  /// Analyses one protocol line, or applies the verdict of its IO twin.
  private func protocolLine(
    _ line: ByteLine, _ terminator: LineTerminator, textStart: Int, direction: Direction, isIO: Bool,
    forceMask: Bool
  ) -> ProtocolLineWriter.Outcome {
    let text = line.suffix(from: textStart)
    if !isIO && twinHead < twins.count {
      let twin = twins[twinHead]
      let matches =
        twin.direction == direction
        && twinText.withUnsafeBufferPointer { b in
          ByteLine(base: b.baseAddress! + twin.start, count: twin.count)
            .equalsCollapsingBlanks(0, twin.count, text, 0, text.count)
        }
      if matches {
        var verdict = LineVerdict()
        verdict.maskWhole = twin.maskWhole
        if twin.editsCount > 0 { verdict.edits = Array(twinEdits[twin.editsStart..<(twin.editsStart + twin.editsCount)]) }
        twinHead += 1
        if twinHead == twins.count { clearTwins() }
        return writer.apply(
          verdict, line, terminator, textStart: textStart, session: sessionKey, direction: direction, forceMask: forceMask)
      }
      clearTwins()
    }
    let verdict = writer.engine.process(
      session: sessionKey, isStart: false, direction: direction, line: text, protocolHint: .smtp)
    let outcome = writer.apply(
      verdict, line, terminator, textStart: textStart, session: sessionKey, direction: direction, forceMask: forceMask)
    if isIO && !verdict.isBody && verdict.bodyPrefix == 0 {
      let maskWhole = verdict.maskWhole || (forceMask && text.skipBlanks(from: 0) < text.trimmedEnd())
      queueTwin(direction, text, maskWhole: maskWhole, edits: verdict.edits)
    }
    return outcome
  }

  private func queueTwin(_ direction: Direction, _ text: ByteLine, maskWhole: Bool, edits: [LineEdit]) {
    if twinText.count + text.count > Self.maxTwinBytes { clearTwins() }
    let start = twinText.count
    twinText.append(contentsOf: UnsafeBufferPointer(start: text.base, count: text.count))
    let editsStart = twinEdits.count
    if !edits.isEmpty { twinEdits.append(contentsOf: edits) }
    twins.append(
      Twin(
        start: start, count: text.count, direction: direction, maskWhole: maskWhole, editsStart: editsStart,
        editsCount: edits.count))
  }

  private func clearTwins() {
    twins.removeAll(keepingCapacity: true)
    twinText.removeAll(keepingCapacity: true)
    twinEdits.removeAll(keepingCapacity: true)
    twinHead = 0
  }
}
