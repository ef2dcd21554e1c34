/// Dovecot rawlogs: the bytes of one connection, as the server read them (`.in`) and wrote them (`.out`).
///
/// ```
/// 20240501-100000.12345.1.in:   1714550400.123456 a1 LOGIN "fred" "s3cret"
/// 20240501-100000.12345.1.out:  1714550400.123701 a1 OK Logged in
/// single stream (rawlog to a path or tcp:host:port):
///                               1714550400.123456 I: a1 LOGIN "fred" "s3cret"
/// ```
/// Files are `<YYYYmmdd-HHMMSS>.<pid>.<n>.in|out` (`rawlog_dir`, `imap-login -R`, `lmtp_rawlog_dir`, …) or the
/// legacy `[<ip>-]<YYYYmmdd-HHMMSS>-<pid>.in|out`. Each line may start with `<sec>.<usec> `; the single-stream form
/// adds `I: `/`O: ` (`I> `/`O> ` for a piece of a line longer than 8 KiB, joined again here and written as one line).
///
/// Both halves of a connection are best sanitized together with `Sanitizer.sanitizePair`, which interleaves them by
/// their timestamps and runs one protocol session over both directions. Alone, a half is read with the other side
/// inferred: the `.in` file (client lines) ends SASL exchanges by shape and response count; the `.out` file (server
/// lines) finds POP3 message replies by their content. Which file holds the client is checked from the content, so
/// rawlogs of Dovecot acting as a client (proxy, submission relay) are read the right way round.
///
/// Everything the engine finds is masked or dropped as in every format. After STARTTLS (or at a TLS record) the
/// rest of the connection is encrypted: it is never copied, one `[logwarden: TLS data removed: N bytes]` line per
/// file stands for it. Lines holding control bytes outside a message body are likewise replaced by
/// `[logwarden: binary data removed: N bytes]`. Markers keep the line's timestamp and direction prefix.
public final class DovecotRawlogFormat: LogFormat {
  public static let name = "dovecot-rawlog"
  public static let summary = "Dovecot rawlogs (.in/.out pairs, single halves, single-stream I:/O:), plaintext protocol incl. TLS detection"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    let named = RawlogNames.half(of: fileName) != nil
    guard let base = head.baseAddress?.assumingMemoryBound(to: UInt8.self), head.count > 0 else { return named ? 60 : 0 }
    var count = 0
    while count < head.count && count < 4096 && base[count] != 0x0A { count += 1 }
    let first = ByteLine(base: base, count: count)
    if let stamp = RawlogStamp.parse(first) {
      if RawlogStamp.streamMarker(first, at: stamp.end) != nil { return 95 }
      if named { return 95 }
      // An epoch-stamped file of another name: only if the first line is protocol.
      let text = ByteLine(base: base + stamp.end, count: count - stamp.end)
      return RawlogShapes.looksLikeServerFirstLine(text) || RawlogShapes.looksLikeClientCommand(text) ? 60 : 0
    }
    return named ? 80 : 0
  }

  private let context: FormatContext
  private var conversation: RawlogConversation?
  private var singleStream = false
  private var role: Direction = .client
  /// Pieces of lines split by the single-stream writer (`I> `/`O> `), per direction: prefix of the first piece, bytes.
  private var pieces: [[UInt8]] = [[], []]
  private var piecePrefix: [[UInt8]] = [[], []]
  private var joined: [UInt8] = []

  public var counters: SanitizeCounters { conversation?.engine.counters ?? SanitizeCounters() }

  public init(context: FormatContext) { self.context = context }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    let conversation = self.conversation ?? start(line)
    if singleStream {
      streamLine(line, terminator, conversation)
      return
    }
    let protocolStart = RawlogStamp.parse(line)?.end ?? 0
    conversation.line(role, line, protocolStart: protocolStart, terminator)
  }

  public func overlong(prefix: ByteLine, length: Int) {
    let conversation = self.conversation ?? start(prefix)
    conversation.overlong(singleStream ? .client : role, terminator: context.lastTerminator)
  }

  public func finish() {
    if singleStream, let conversation {
      for d in [Direction.client, .server] where !pieces[Int(d.rawValue)].isEmpty {
        flushPieces(d, terminator: .none, conversation)
      }
    }
    conversation?.finish()
  }

  /// Decides the layout from the first line: single stream, or one half whose role comes from its name and content.
  private func start(_ first: ByteLine) -> RawlogConversation {
    if let stamp = RawlogStamp.parse(first), RawlogStamp.streamMarker(first, at: stamp.end) != nil {
      singleStream = true
      let c = RawlogConversation(client: context, server: context, inference: .both)
      conversation = c
      return c
    }
    let protocolStart = RawlogStamp.parse(first)?.end ?? 0
    let text = ByteLine(base: first.base + protocolStart, count: first.count - protocolStart)
    switch RawlogNames.half(of: context.fileName) {
    case .received?: role = RawlogShapes.looksLikeServerFirstLine(text) ? .server : .client
    case .sent?: role = RawlogShapes.looksLikeClientCommand(text) ? .client : .server
    case nil: role = RawlogShapes.looksLikeServerFirstLine(text) ? .server : .client
    }
    let c = RawlogConversation(
      client: context, server: context, inference: role == .client ? .clientOnly : .serverOnly)
    conversation = c
    return c
  }

  // MARK: Single stream

  private func streamLine(_ line: ByteLine, _ terminator: LineTerminator, _ conversation: RawlogConversation) {
    guard let stamp = RawlogStamp.parse(line), let marker = RawlogStamp.streamMarker(line, at: stamp.end) else {
      // Not a record: a line of a record cut by the writer? Never copied.
      conversation.unparsable(.client, line, terminator)
      return
    }
    let d = marker.direction
    let payload = stamp.end + 3
    if marker.isPiece || !pieces[Int(d.rawValue)].isEmpty {
      // `ts I> <≥8 KiB>` is followed, on the same physical line, by the next record's header.
      var pieceEnd = line.count
      if marker.isPiece, let next = RawlogStamp.nextRecord(in: line, from: payload + 8192) { pieceEnd = next }
      if pieces[Int(d.rawValue)].isEmpty { piecePrefix[Int(d.rawValue)] = Array(UnsafeBufferPointer(start: line.base, count: payload)) }
      pieces[Int(d.rawValue)].append(contentsOf: UnsafeBufferPointer(start: line.base + payload, count: pieceEnd - payload))
      if !marker.isPiece {
        flushPieces(d, terminator: terminator, conversation)
      } else if pieceEnd < line.count {
        streamLine(ByteLine(base: line.base + pieceEnd, count: line.count - pieceEnd), terminator, conversation)
      } else if pieces[Int(d.rawValue)].count > 4 << 20 {
        flushPieces(d, terminator: terminator, conversation)
      }
      return
    }
    conversation.line(d, line, protocolStart: payload, terminator)
  }

  /// Processes the pieces of one split line as one line, written as one `I: ` record.
  private func flushPieces(_ d: Direction, terminator: LineTerminator, _ conversation: RawlogConversation) {
    let k = Int(d.rawValue)
    joined.removeAll(keepingCapacity: true)
    joined.append(contentsOf: piecePrefix[k])
    if joined.count >= 2 { joined[joined.count - 2] = 0x3A }  // `I>` becomes `I:`
    let protocolStart = joined.count
    joined.append(contentsOf: pieces[k])
    pieces[k].removeAll(keepingCapacity: false)
    joined.withUnsafeBufferPointer { b in
      conversation.line(d, ByteLine(base: b.baseAddress!, count: b.count), protocolStart: protocolStart, terminator, canKeep: false)
    }
  }
}

/// Which half of a rawlog pair a file name denotes.
enum RawlogNames {
  enum Half { case received, sent }

  /// `.in` / `.out` (optionally `.gz`) on a rawlog-shaped name: `YYYYmmdd-HHMMSS.<pid>.<n>` or the legacy
  /// `[<ip>-]YYYYmmdd-HHMMSS-<pid>`.
  static func half(of fileName: String) -> Half? {
    guard let (stem, half) = split(fileName) else { return nil }
    return isRawlogStem(stem) ? half : nil
  }

  /// The name without its `.in`/`.out` (and `.gz`) suffix, and which half it is.
  static func split(_ fileName: String) -> (String, Half)? {
    var name = Substring(fileName)
    if name.hasSuffix(".gz") { name = name.dropLast(3) }
    if name.hasSuffix(".in") { return (String(name.dropLast(3)), .received) }
    if name.hasSuffix(".out") { return (String(name.dropLast(4)), .sent) }
    return nil
  }

  static func isRawlogStem(_ stem: String) -> Bool {
    let name = stem.split(separator: "/").last.map(Array.init) ?? []
    let bytes = name.map { $0.asciiValue ?? 0 }
    // Find `dddddddd-dddddd` followed by `.<digits>.<digits>` or `-<digits>` at the end.
    guard bytes.count >= 17 else { return false }
    var i = 0
    while i + 15 <= bytes.count {
      if (0..<8).allSatisfy({ bytes[i + $0].isASCIIDigit }) && bytes[i + 8] == 0x2D
        && (9..<15).allSatisfy({ bytes[i + $0].isASCIIDigit }) && (i == 0 || bytes[i - 1] == 0x2D)
      {
        let rest = bytes[(i + 15)...]
        if rest.first == 0x2E {
          let parts = rest.dropFirst().split(separator: 0x2E, omittingEmptySubsequences: false)
          if parts.count == 2 && parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCIIDigit } }) { return true }
        } else if rest.first == 0x2D {
          let pid = rest.dropFirst()
          if !pid.isEmpty && pid.allSatisfy({ $0.isASCIIDigit }) { return true }
        }
      }
      i += 1
    }
    return false
  }
}

/// The `<sec>.<usec> ` prefix rawlogs put at line starts, and the single-stream `I: `/`O: ` markers.
enum RawlogStamp {
  /// Parses `<digits>.<6 digits> ` at the line start. `end` is after the space; `micros` orders lines.
  @inline(__always)
  static func parse(_ line: ByteLine) -> (end: Int, micros: UInt64)? {
    var i = 0
    var seconds: UInt64 = 0
    while i < line.count && i < 12 && line[i].isASCIIDigit {
      seconds = seconds &* 10 &+ UInt64(line[i] &- 0x30)
      i += 1
    }
    guard i >= 1, i + 8 <= line.count, line[i] == 0x2E, line[i + 7] == 0x20 else { return nil }
    var micros: UInt64 = 0
    for k in (i + 1)...(i + 6) {
      guard line[k].isASCIIDigit else { return nil }
      micros = micros &* 10 &+ UInt64(line[k] &- 0x30)
    }
    return (i + 8, seconds &* 1_000_000 &+ micros)
  }

  /// `I: `, `O: `, `I> `, `O> ` at `at`.
  @inline(__always)
  static func streamMarker(_ line: ByteLine, at: Int) -> (direction: Direction, isPiece: Bool)? {
    guard at + 3 <= line.count, line[at + 2] == 0x20, line[at + 1] == 0x3A || line[at + 1] == 0x3E else { return nil }
    let isPiece = line[at + 1] == 0x3E
    switch line[at] {
    case 0x49: return (.client, isPiece)
    case 0x4F: return (.server, isPiece)
    default: return nil
    }
  }

  /// Start of the next `<sec>.<usec> I|O:|> ` record header at or after `from`, inside one physical line.
  static func nextRecord(in line: ByteLine, from: Int) -> Int? {
    var i = max(from, 0)
    while i + 11 <= line.count {
      // Find ".dddddd X? " and walk back over the seconds.
      if line[i] == 0x2E, i + 10 < line.count, line[i + 7] == 0x20,
        line[i + 8] == 0x49 || line[i + 8] == 0x4F, line[i + 9] == 0x3A || line[i + 9] == 0x3E, line[i + 10] == 0x20,
        (1...6).allSatisfy({ line[i + $0].isASCIIDigit })
      {
        var s = i
        while s > from - 1 && s > 0 && line[s - 1].isASCIIDigit && i - s < 12 { s -= 1 }
        if s < i { return s }
      }
      i += 1
    }
    return nil
  }
}

/// Shapes of first lines that tell which side of a connection a file holds.
enum RawlogShapes {
  /// A greeting or other reply: `220 …`, `+OK`, `-ERR`, `* OK`, `* PREAUTH`, `* BYE`, `* CAPABILITY`.
  static func looksLikeServerFirstLine(_ line: ByteLine) -> Bool {
    let s = line.skipBlanks(from: 0)
    let end = line.trimmedEnd()
    guard s < end else { return false }
    if end - s >= 3 && line[s].isASCIIDigit && line[s + 1].isASCIIDigit && line[s + 2].isASCIIDigit
      && (end - s == 3 || line[s + 3] == 0x20 || line[s + 3] == 0x2D)
    {
      return true
    }
    return line.hasUppercasePrefix(s, end, "+OK") || line.hasUppercasePrefix(s, end, "-ERR")
      || line.hasUppercasePrefix(s, end, "* ")
  }

  /// A client command: a known SMTP/POP3 verb first, or an IMAP verb after a tag.
  static func looksLikeClientCommand(_ line: ByteLine) -> Bool {
    if looksLikeServerFirstLine(line) { return false }
    let s = line.skipBlanks(from: 0)
    let e = line.tokenEnd(from: s)
    if let key = line.verbKey(s, e), CommandTables.smtp.contains(key) || CommandTables.pop3.contains(key) { return true }
    let s2 = line.skipBlanks(from: e)
    let e2 = line.tokenEnd(from: s2)
    if let key = line.verbKey(s2, e2), CommandTables.imap.contains(key) { return true }
    return false
  }
}

/// One rawlog connection: both directions sanitized with one protocol session, written to one or two outputs.
///
/// Lines arrive in conversation order (merged halves, a single stream) or one side at a time (`inference`). The
/// conversation keeps the line's prefix (timestamp, direction) and rewrites only the protocol text.
final class RawlogConversation {
  enum Inference {
    /// Both directions, in order.
    case both
    /// Only client lines: server replies that end SASL exchanges are inferred.
    case clientOnly
    /// Only server lines: POP3 message replies are found from recorded client commands or their content.
    case serverOnly
  }

  private struct Side {
    let context: FormatContext
    var lastTerminator: LineTerminator = .crlf
    var tlsBytes = 0
    var tlsPrefix: [UInt8] = []
    var binaryBytes = 0
    var binaryPrefix: [UInt8] = []
    var binaryTotal = 0
  }

  let engine = ProtocolEngine(defaultProtocol: .unknown)
  private let key: UInt64 = 1
  private(set) var inference: Inference
  private var sides: [Side]
  private let sharedOutput: Bool
  private let dropsBodies: Bool
  private var out: [UInt8] = []

  private var tls = false
  private var starttlsPending = false
  private var bodyDirection: Direction = .client
  private var bodyPrefix: [UInt8] = []
  private var knownProtocol: MailProtocol = .unknown

  // Client-only inference of SASL ends.
  private var saslResponses = 0
  private var saslInitialResponse = false

  // POP3 reply kinds of client commands (0 single, 1 multi-line, 2 message), recorded on a client pass and replayed
  // as synthetic commands on the server pass of an untimestamped pair.
  var pop3Record: [UInt8]? = nil
  private var pop3Replay: [UInt8] = []
  private var replayCursor = 0
  private var statusSeen = false

  // A POP3 multi-line reply the engine did not expect (0 none, 1 listing, 2 message).
  private var pop3Block: UInt8 = 0
  private var blockBody = BodyCount(lines: 0, bytes: 0)
  private var blockPrefix: [UInt8] = []

  init(client: FormatContext, server: FormatContext, inference: Inference) {
    self.sides = [Side(context: client), Side(context: server)]
    self.sharedOutput = client === server
    self.inference = inference
    self.dropsBodies = client.dropsBodies
  }

  /// Switches an untimestamped pair from its client pass to its server pass.
  func startServerPass() {
    engine.forget(session: key)
    pop3Replay = pop3Record ?? []
    pop3Record = nil
    replayCursor = 0
    statusSeen = false
    saslResponses = 0
    starttlsPending = false
    // The server's half starts in plaintext again: the client pass's switch to TLS is not the server's yet.
    tls = false
    inference = .serverOnly
  }

  // MARK: Lines

  /// Processes one line of direction `d`; `full` is the whole line, its protocol text starts at `protocolStart`.
  /// `canKeep` says the bytes live in the input buffer (unchanged lines are then written without copying).
  func line(
    _ d: Direction, _ full: ByteLine, protocolStart: Int, _ terminator: LineTerminator, canKeep: Bool = true
  ) {
    let k = Int(d.rawValue)
    let p = ByteLine(base: full.base + protocolStart, count: full.count - protocolStart)

    if tls || (p.count >= 3 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04 && !(engine.state(of: key)?.bodyOpen ?? false)) {
      // TLS records: after STARTTLS, or a TLS handshake from the first byte (implicit TLS).
      tls = true
      if sides[k].tlsBytes == 0 { sides[k].tlsPrefix = Array(UnsafeBufferPointer(start: full.base, count: protocolStart)) }
      sides[k].tlsBytes += p.count + terminator.length
      return
    }
    if d == .server && pop3Block != 0 {
      pop3BlockLine(full, p, protocolStart, terminator, canKeep)
      return
    }

    var before: SessionState? = nil
    if inference != .both || pop3Record != nil { before = engine.state(of: key) }
    if d == .client && inference == .clientOnly, let state = before, inferServerReply(state, p) {
      before = engine.state(of: key)  // the inferred reply ended the exchange: this line is a command
    }
    if d == .server && inference == .serverOnly { replayClientCommand(p) }

    let verdict = engine.process(session: key, isStart: true, direction: d, line: p)

    if d == .client {
      if inference == .clientOnly || pop3Record != nil { afterClientLine(before, p) }
      if !verdict.isBody && verdict.bodyPrefix == 0 && isStartTLS(p) { starttlsPending = true }
    } else if starttlsPending {
      startTLSReply(p)
    }
    if verdict.bodyStarted {
      bodyDirection = d
      bodyPrefix = Array(UnsafeBufferPointer(start: full.base, count: protocolStart))
    }
    if let ended = verdict.bodyEnded, dropsBodies {
      emitMarker(BodyMarker.text(ended), prefix: bodyPrefix, side: Int(bodyDirection.rawValue), terminator: terminator)
      sides[Int(bodyDirection.rawValue)].context.countDroppedBody(ended)
    }
    if d == .server && !verdict.isBody && unexpectedPOP3Content(p) {
      startPOP3Block(full, p, protocolStart, terminator, canKeep)
      return
    }
    if !verdict.isBody && verdict.bodyPrefix == 0 && MailLogScan.isBinary(p, from: 0, end: p.count) {
      if sides[k].binaryBytes == 0 { sides[k].binaryPrefix = Array(UnsafeBufferPointer(start: full.base, count: protocolStart)) }
      sides[k].binaryBytes += p.count + terminator.length
      return
    }
    if terminator != .none { sides[k].lastTerminator = terminator }
    flushBinary(k, terminator: terminator)
    if verdict.isBody && dropsBodies { return }
    if verdict.isUnchanged {
      write(full, terminator, side: k, canKeep: canKeep)
      return
    }
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: full.base, count: protocolStart))
    verdict.render(p, dropBodies: dropsBodies, into: &out)
    sides[k].context.emit(out, terminator: terminator)
  }

  /// A line too long to read: written as `****`, counted as unparsed.
  func overlong(_ d: Direction, terminator: LineTerminator) {
    let k = Int(d.rawValue)
    flushBinary(k, terminator: terminator)
    sides[k].context.report.unparsedLines += 1
    sides[k].context.emit(MaskText.stars.bytes, terminator: terminator == .none ? sides[k].lastTerminator : terminator)
  }

  /// A line the layout does not allow: written as `****`, counted as unparsed.
  func unparsable(_ d: Direction, _ full: ByteLine, _ terminator: LineTerminator) {
    overlong(d, terminator: terminator)
  }

  /// End of input: markers for whatever is still open.
  func finish() {
    if pop3Block == 2 && dropsBodies && blockBody.lines > 0 {
      emitMarker(BodyMarker.text(blockBody), prefix: blockPrefix, side: 1, terminator: sides[1].lastTerminator)
      sides[1].context.countDroppedBody(blockBody)
    }
    pop3Block = 0
    for open in engine.drainOpenBodies() where dropsBodies {
      let k = Int(bodyDirection.rawValue)
      emitMarker(BodyMarker.text(open.body), prefix: bodyPrefix, side: k, terminator: sides[k].lastTerminator)
      sides[k].context.countDroppedBody(open.body)
    }
    for k in 0..<2 {
      flushBinary(k, terminator: sides[k].lastTerminator)
      if sides[k].tlsBytes > 0 {
        emitMarker(BodyMarker.tlsOmitted(bytes: sides[k].tlsBytes), prefix: sides[k].tlsPrefix, side: k, terminator: sides[k].lastTerminator)
      }
    }
    for k in 0..<(sharedOutput ? 1 : 2) {
      let tlsBytes = sharedOutput ? sides[0].tlsBytes + sides[1].tlsBytes : sides[k].tlsBytes
      let binary = sharedOutput ? sides[0].binaryTotal + sides[1].binaryTotal : sides[k].binaryTotal
      if tlsBytes > 0 { sides[k].context.report.warnings.append("\(tlsBytes) bytes of TLS-encrypted data omitted") }
      if binary > 0 { sides[k].context.report.warnings.append("\(binary) bytes of binary data omitted") }
    }
  }

  // MARK: Output

  private func write(_ full: ByteLine, _ terminator: LineTerminator, side k: Int, canKeep: Bool) {
    if canKeep {
      sides[k].context.output.keep(full.base, full.count + terminator.length)
    } else {
      sides[k].context.output.append(full.base, full.count)
      if terminator != .none { sides[k].context.output.append(terminator.bytes) }
    }
  }

  private func emitMarker(_ text: [UInt8], prefix: [UInt8], side k: Int, terminator: LineTerminator) {
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: prefix)
    out.append(contentsOf: text)
    sides[k].context.emit(out, terminator: terminator == .none ? sides[k].lastTerminator : terminator)
  }

  private func flushBinary(_ k: Int, terminator: LineTerminator) {
    guard sides[k].binaryBytes > 0 else { return }
    let bytes = sides[k].binaryBytes
    sides[k].binaryBytes = 0
    sides[k].binaryTotal += bytes
    emitMarker(BodyMarker.binaryOmitted(bytes: bytes), prefix: sides[k].binaryPrefix, side: k, terminator: terminator)
  }

  // MARK: STARTTLS

  private func isStartTLS(_ p: ByteLine) -> Bool {
    let s = p.skipBlanks(from: 0)
    let e = p.tokenEnd(from: s)
    if p.equalsUppercase(s, e, "STARTTLS") || p.equalsUppercase(s, e, "STLS") { return true }
    let s2 = p.skipBlanks(from: e)
    return p.equalsUppercase(s2, p.tokenEnd(from: s2), "STARTTLS")
  }

  private func startTLSReply(_ p: ByteLine) {
    let s = p.skipBlanks(from: 0)
    let e = p.tokenEnd(from: s)
    guard e > s else { return }
    if p.equalsUppercase(s, e, "*") { return }  // untagged data before the tagged reply
    if e - s >= 3 && p[s].isASCIIDigit && p[s + 1].isASCIIDigit && p[s + 2].isASCIIDigit {
      if e - s > 3 && p[s + 3] == 0x2D { return }  // `220-…` continues
      if p.hasUppercasePrefix(s, e, "220") { tls = true }
    } else if p.hasUppercasePrefix(s, e, "+OK") {
      tls = true
    } else {
      let s2 = p.skipBlanks(from: e)
      if p.equalsUppercase(s2, p.tokenEnd(from: s2), "OK") { tls = true }
    }
    starttlsPending = false
  }

  // MARK: Client-only inference

  /// Before a client line: if a SASL exchange is open and this line cannot be (or need not be) another response,
  /// feed the engine the server's end of the exchange first.
  @discardableResult
  private func inferServerReply(_ s: SessionState, _ p: ByteLine) -> Bool {
    if s.client == .smtpAwaitingData {
      // The client went on after DATA: only a 354 lets it, and a client-only log cannot show a refusal.
      let reply: StaticString = "354 inferred"
      _ = engine.process(session: key, isStart: true, direction: .server, line: ByteLine(base: reply.utf8Start, count: reply.utf8CodeUnitCount))
      return true
    }
    guard case .sasl(let kind) = s.client, s.clientLiteralRemaining == 0, !s.clientContinuationPending else { return false }
    var over = !isSASLResponseShaped(p)
    if !over {
      switch kind {
      case .saslPlain: over = saslResponses >= (saslInitialResponse ? 0 : 1)
      case .saslLogin: over = saslResponses >= (saslInitialResponse ? 1 : 2)
      case .saslCramMD5: over = saslResponses >= 1
      default: over = isBareCommand(p, s.proto)
      }
    }
    if over {
      let reply: StaticString
      switch s.proto {
      case .smtp: reply = "235 2.7.0 inferred"
      case .pop3: reply = "+OK inferred"
      case .imap, .unknown: reply = "logwarden OK inferred"
      }
      _ = engine.process(session: key, isStart: true, direction: .server, line: ByteLine(base: reply.utf8Start, count: reply.utf8CodeUnitCount))
      saslResponses = 0
      return true
    }
    saslResponses += 1
    return false
  }

  /// After a client line: note a new SASL exchange (and whether it had an initial response); record POP3 replies.
  private func afterClientLine(_ before: SessionState?, _ p: ByteLine) {
    let wasCommand = before.map { $0.client == .command && $0.clientLiteralRemaining == 0 && !$0.clientContinuationPending } ?? true
    guard wasCommand, let after = engine.state(of: key) else { return }
    if case .sasl = after.client {
      var tokens = 0
      var i = p.skipBlanks(from: 0)
      let end = p.trimmedEnd()
      while i < end {
        tokens += 1
        i = p.skipBlanks(from: p.tokenEnd(from: i))
      }
      saslInitialResponse = tokens >= (after.proto == .imap ? 4 : 3)
      saslResponses = 0
    }
    if pop3Record != nil && (after.proto == .pop3 || after.proto == .unknown) {
      let s = p.skipBlanks(from: 0)
      let e = p.tokenEnd(from: s)
      guard e > s else { return }
      let hasArguments = p.skipBlanks(from: e) < p.trimmedEnd()
      var kind: UInt8 = 0
      if p.equalsUppercase(s, e, "RETR") || p.equalsUppercase(s, e, "TOP") {
        kind = 2
      } else if p.equalsUppercase(s, e, "CAPA")
        || (!hasArguments && (p.equalsUppercase(s, e, "LIST") || p.equalsUppercase(s, e, "UIDL") || p.equalsUppercase(s, e, "AUTH")))
      {
        kind = 1
      }
      if pop3Record!.count < 1 << 20 { pop3Record!.append(kind) }
    }
  }

  /// One token of base64, `*` (cancel) or `=`, or an empty line: what a SASL response looks like.
  private func isSASLResponseShaped(_ p: ByteLine) -> Bool {
    let s = p.skipBlanks(from: 0)
    let e = p.trimmedEnd()
    if s >= e { return true }
    for k in s..<e where !(p[k].isBase64 || p[k] == 0x2A) { return false }
    return true
  }

  /// A single-token line that is an argument-less SMTP/POP3 command (`QUIT`, `RSET`, `NOOP`, …).
  private func isBareCommand(_ p: ByteLine, _ proto: MailProtocol) -> Bool {
    let s = p.skipBlanks(from: 0)
    let e = p.trimmedEnd()
    guard let key = p.verbKey(s, e) else { return false }
    switch proto {
    case .smtp: return CommandTables.smtp.contains(key)
    case .pop3: return CommandTables.pop3.contains(key)
    case .imap: return false
    case .unknown: return CommandTables.smtp.contains(key) || CommandTables.pop3.contains(key)
    }
  }

  // MARK: Server-only POP3

  /// Before a server status line of a server-only pass: the client command it answers, replayed from the record.
  private func replayClientCommand(_ p: ByteLine) {
    guard !pop3Replay.isEmpty else { return }
    let s = p.skipBlanks(from: 0)
    let e = p.trimmedEnd()
    guard p.hasUppercasePrefix(s, e, "+OK") || p.hasUppercasePrefix(s, e, "-ERR") else { return }
    // Inside a multi-line reply a line like `+OK` is content, not a status.
    if let state = engine.state(of: key), state.server != .reply || state.serverLiteralRemaining > 0 { return }
    guard statusSeen else {
      statusSeen = true  // the greeting (or the login reply replayed by a post-login rawlog) answers nothing here
      return
    }
    guard replayCursor < pop3Replay.count else { return }
    let kind = pop3Replay[replayCursor]
    replayCursor += 1
    // Only a message reply is announced to the engine. A listing (LIST, UIDL, CAPA) is left to the content check,
    // which takes anything that is not plainly a listing for a message: if the record is out of step with the
    // replies, more is dropped, never less.
    let command: StaticString = kind == 2 ? "RETR 1" : "NOOP"
    _ = engine.process(
      session: key, isStart: true, direction: .client, line: ByteLine(base: command.utf8Start, count: command.utf8CodeUnitCount),
      protocolHint: .pop3)
  }

  /// A POP3 server line that is neither a status line nor part of a reply the engine expected: the start of a
  /// multi-line reply to a command this side cannot see.
  private func unexpectedPOP3Content(_ p: ByteLine) -> Bool {
    if knownProtocol == .unknown { knownProtocol = engine.state(of: key)?.proto ?? .unknown }
    guard knownProtocol == .pop3 else { return false }
    let s = p.skipBlanks(from: 0)
    let e = p.trimmedEnd()
    if p.hasUppercasePrefix(s, e, "+") || p.hasUppercasePrefix(s, e, "-ERR") { return false }
    if p.count == 1 && p[0] == 0x2E { return false }  // the end of a reply the engine followed
    guard let state = engine.state(of: key), state.server == .reply else { return false }
    return true
  }

  private func startPOP3Block(
    _ full: ByteLine, _ p: ByteLine, _ protocolStart: Int, _ terminator: LineTerminator, _ canKeep: Bool
  ) {
    pop3Block = isListingLine(p) ? 1 : 2
    blockBody = BodyCount(lines: 0, bytes: 0)
    blockPrefix = Array(UnsafeBufferPointer(start: full.base, count: protocolStart))
    pop3BlockLine(full, p, protocolStart, terminator, canKeep)
  }

  private func pop3BlockLine(
    _ full: ByteLine, _ p: ByteLine, _ protocolStart: Int, _ terminator: LineTerminator, _ canKeep: Bool
  ) {
    if p.count == 1 && p[0] == 0x2E {
      if pop3Block == 2 && dropsBodies && blockBody.lines > 0 {
        emitMarker(BodyMarker.text(blockBody), prefix: blockPrefix, side: 1, terminator: terminator)
        sides[1].context.countDroppedBody(blockBody)
      }
      pop3Block = 0
      write(full, terminator, side: 1, canKeep: canKeep)
      return
    }
    if pop3Block == 2 {
      blockBody.lines += 1
      blockBody.bytes += p.count
      if dropsBodies { return }
    } else if MailLogScan.isBinary(p, from: 0, end: p.count) {
      sides[1].context.report.unparsedLines += 1
      sides[1].context.emit(MaskText.stars.bytes, terminator: terminator)
      return
    }
    write(full, terminator, side: 1, canKeep: canKeep)
  }

  /// `1 1234` (LIST), `1 uid` (UIDL) or a capability line (`TOP`, `SASL PLAIN`): not a message.
  private func isListingLine(_ p: ByteLine) -> Bool {
    let s = p.skipBlanks(from: 0)
    let e = p.trimmedEnd()
    guard s < e else { return false }
    let t = p.tokenEnd(from: s)
    if p.decimal(s, t) != nil {
      let u = p.skipBlanks(from: t)
      return u < e && p.skipBlanks(from: p.tokenEnd(from: u)) >= e
    }
    // Capabilities: upper-case words, digits, `-`, `_`, `=`, `.`, blanks.
    for k in s..<e {
      let c = p[k]
      if !((c &- 0x41) < 26 || c.isASCIIDigit || c == 0x2D || c == 0x5F || c == 0x3D || c == 0x2E || c == 0x20) {
        return false
      }
    }
    return true
  }
}
