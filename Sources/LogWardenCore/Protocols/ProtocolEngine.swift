/// The per-session protocol state machines for SMTP, POP3 and IMAP4, shared by every log format.
///
/// A format hands the engine each protocol line with its session key and direction; the engine answers with a
/// `LineVerdict` (spans to mask, body lines to drop). Client commands are dispatched by verb to the registered
/// `MaskingRule`s; the engine itself follows what rules start: SASL exchanges until the server ends them, SMTP
/// `DATA`/`BDAT` content, POP3 multi-line replies, IMAP literals (honouring their octet counts) on both sides.
///
/// Fail-closed defaults live here too: a client line whose verb the protocol does not define is masked whole, and
/// so is every client line of a session whose start was not seen, until the server ends whatever was going on.
public final class ProtocolEngine {
  public let defaultProtocol: MailProtocol
  public var counters = SanitizeCounters()
  private var index = IntegerIndexMap()
  private var states: [SessionState] = []
  private var keys: [UInt64] = []
  private var freeSlots: [Int] = []
  private let maxSessions: Int
  private var clock: UInt64 = 0

  /// (protocol, verb) → rule, searched linearly: a dozen entries, faster than hashing.
  private static let rules: [(MailProtocol, VerbKey, any MaskingRule.Type)] = BuiltinRules.all.flatMap { rule in
    rule.triggers.map { ($0.0, VerbKey($0.1), rule) }
  }
  private static let smtpVerbs = VerbSet(CommandTables.smtp)
  private static let pop3Verbs = VerbSet(CommandTables.pop3)
  private static let imapVerbs = VerbSet(CommandTables.imap)

  /// `maxSessions` bounds memory: beyond it the least recently seen sessions are forgotten (and treated as joined
  /// mid-way if they come back).
  /// How the log writes protocol bytes.
  public let logging: ProtocolLogging

  public init(defaultProtocol: MailProtocol, maxSessions: Int = 50_000, logging: ProtocolLogging = .raw) {
    self.defaultProtocol = defaultProtocol
    self.maxSessions = max(16, maxSessions)
    self.logging = logging
  }

  /// Number of sessions currently tracked.
  public var sessionCount: Int { index.count }

  /// Analyses one protocol line of session `key`. `isStart` says the format saw the session begin on this line
  /// (or earlier in this file); a session first seen without it is treated as joined mid-way.
  public func process(
    session key: UInt64, isStart: Bool, direction: Direction, line: ByteLine, protocolHint: MailProtocol? = nil
  ) -> LineVerdict {
    clock &+= 1
    let slot: Int
    if let existing = index.find(key) {
      slot = existing
    } else {
      slot = allocate(key, SessionState(proto: protocolHint ?? defaultProtocol, joinedMidway: !isStart))
    }
    var verdict = LineVerdict()
    Self.step(&states[slot], stamp: clock, direction: direction, line: line, verdict: &verdict, counters: &counters)
    return verdict
  }

  private func allocate(_ key: UInt64, _ state: SessionState) -> Int {
    var state = state
    state.logging = logging
    if index.count >= maxSessions { evict() }
    let slot: Int
    if let free = freeSlots.popLast() {
      slot = free
      states[slot] = state
      keys[slot] = key
    } else {
      slot = states.count
      states.append(state)
      keys.append(key)
    }
    index.insert(key, slot)
    return slot
  }

  private func release(_ key: UInt64, slot: Int) {
    index.remove(key)
    states[slot] = SessionState(proto: .unknown, joinedMidway: false)
    freeSlots.append(slot)
  }

  /// Ends a session (disconnect). Returns the body run still open, with its marker context, if any.
  public func close(session key: UInt64) -> (BodyCount, [UInt8])? {
    guard let slot = index.find(key) else { return nil }
    let state = states[slot]
    release(key, slot: slot)
    return state.bodyOpen ? (state.body, state.markerContext) : nil
  }

  /// Forgets a session's state without reporting (e.g. a format-level reset).
  public func forget(session key: UInt64) {
    if let slot = index.find(key) { release(key, slot: slot) }
  }

  /// Starts a session afresh: its start has been seen.
  public func begin(session key: UInt64, protocolHint: MailProtocol? = nil) {
    var state = SessionState(proto: protocolHint ?? defaultProtocol, joinedMidway: false)
    state.logging = logging
    if let slot = index.find(key) { states[slot] = state } else { _ = allocate(key, state) }
  }

  /// What the client side of session `key` is in the middle of, or nil if it is not tracked.
  public func clientPhase(of key: UInt64) -> ClientPhase? {
    index.find(key).map { states[$0].client }
  }

  /// The protocol session `key` speaks so far, or nil if it is not tracked.
  public func sessionProtocol(_ key: UInt64) -> MailProtocol? {
    index.find(key).map { states[$0].proto }
  }

  /// Whether the session is known and in its resting state: a server line cannot change anything for it.
  public func isIdle(session key: UInt64) -> Bool {
    guard let slot = index.find(key) else { return false }
    let s = states[slot]
    return s.client == .command && s.server == .reply && !s.joinedMidway && s.serverLiteralRemaining == 0
      && s.clientLiteralRemaining == 0 && !s.bodyOpen && s.pop3ExpectedCount == 0 && !s.clientContinuationPending
  }

  /// A copy of session `key`'s state, or nil if it is not tracked. For formats that see one direction only and must
  /// infer the other (a rawlog half, a log that omits replies): they read the phase and feed a synthetic line.
  public func state(of key: UInt64) -> SessionState? {
    guard let slot = index.find(key) else { return nil }
    return states[slot]
  }

  /// Stores format-owned bytes used later to render the body marker of `key`.
  public func rememberMarkerContext(_ bytes: [UInt8], for key: UInt64) {
    if let slot = index.find(key) { states[slot].markerContext = bytes }
  }

  /// The bytes stored by `rememberMarkerContext` (empty if none).
  public func markerContext(for key: UInt64) -> [UInt8] {
    guard let slot = index.find(key) else { return [] }
    return states[slot].markerContext
  }

  /// At end of input: every session whose body run is still open, oldest first, with counts and marker context.
  public func drainOpenBodies() -> [(key: UInt64, body: BodyCount, context: [UInt8])] {
    var result: [(key: UInt64, body: BodyCount, context: [UInt8], touched: UInt64)] = []
    for (key, slot) in index.entries where states[slot].bodyOpen {
      result.append((key, states[slot].body, states[slot].markerContext, states[slot].lastTouched))
      states[slot].bodyOpen = false
    }
    return result.sorted { $0.touched < $1.touched }.map { ($0.key, $0.body, $0.context) }
  }

  /// Forgets the least recently seen half of the sessions (never one with an open body run).
  private func evict() {
    let entries = index.entries
    guard !entries.isEmpty else { return }
    let stamps = entries.map { states[$0.1].lastTouched }.sorted()
    let cutoff = stamps[stamps.count / 2]
    for (key, slot) in entries where states[slot].lastTouched <= cutoff && !states[slot].bodyOpen {
      release(key, slot: slot)
    }
  }

  // MARK: - The state machine

  static func step(
    _ s: inout SessionState, stamp: UInt64, direction: Direction, line: ByteLine, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    s.lastTouched = stamp
    switch direction {
    case .client:
      // A client speaking means a POP3 multi-line reply is over even if its "." line was never logged.
      if case .pop3MultiLine = s.server, s.serverLiteralRemaining == 0 { s.server = .reply }
      clientLine(&s, line, &verdict, &counters)
      if verdict.maskWhole { guardEcho(&s, line) }
    case .server:
      if s.echoGuardLines > 0 { maskEcho(&s, line, &verdict) }
      serverLine(&s, line, &verdict)
    }
    if s.bodyOpen && !verdict.isBody {
      verdict.bodyEnded = s.body
      s.bodyOpen = false
      s.body = BodyCount(lines: 0, bytes: 0)
    }
  }

  /// Remembers the first word of a client line that was masked whole, for the next two server lines.
  static func guardEcho(_ s: inout SessionState, _ line: ByteLine) {
    let start = line.skipBlanks(from: 0)
    let end = min(line.tokenEnd(from: start), start + 64)
    guard end - start >= 3 else { return }
    s.echoGuard = Array(UnsafeBufferPointer(start: line.base + start, count: end - start))
    s.echoGuardLines = 2
  }

  /// Masks every occurrence of the guarded word in a server line.
  static func maskEcho(_ s: inout SessionState, _ line: ByteLine, _ verdict: inout LineVerdict) {
    s.echoGuardLines -= 1
    let needle = s.echoGuard
    let n = needle.count
    guard n > 0, line.count >= n else { return }
    var i = 0
    while i + n <= line.count {
      var match = true
      for k in 0..<n where line[i + k] != needle[k] {
        match = false
        break
      }
      if match {
        verdict.mask(i, i + n)
        i += n
      } else {
        i += 1
      }
    }
    if s.echoGuardLines == 0 { s.echoGuard = [] }
  }

  static func addBody(_ s: inout SessionState, bytes: Int, _ verdict: inout LineVerdict) {
    if !s.bodyOpen {
      s.bodyOpen = true
      s.body = BodyCount(lines: 0, bytes: 0)
      verdict.bodyStarted = true
    }
    s.body.lines += 1
    s.body.bytes += bytes
  }

  /// Consumes literal/chunk content from the start of `line`. Returns the offset where protocol text resumes:
  /// `nil` if the whole line was content and more content follows on the next line.
  static func consumeContent(
    remaining: inout Int, line: ByteLine, role: LiteralRole, _ s: inout SessionState, _ verdict: inout LineVerdict
  ) -> Int? {
    let n = line.count
    let octets = s.logging == .exchange ? latin1Octets(in: line) : n
    if remaining > octets {
      // The whole line and its CRLF are content.
      remaining -= octets + 2
      applyContentRole(role, start: 0, end: n, wholeLine: true, &s, line, &verdict)
      if remaining <= 0 {
        remaining = 0
        return n + 1  // ended with the line break: the command continues on the next line
      }
      return nil
    }
    let end = s.logging == .exchange ? byteOffset(in: line, afterOctets: remaining) : remaining
    remaining = 0
    applyContentRole(role, start: 0, end: end, wholeLine: end == n, &s, line, &verdict)
    return end
  }

  /// The octets `line` stood for before ISO-8859-1 → UTF-8 conversion: a `C2`/`C3` lead and its continuation byte
  /// are one.
  static func latin1Octets(in line: ByteLine) -> Int {
    var octets = line.count
    var i = 0
    while i + 1 < line.count {
      if (line[i] == 0xC2 || line[i] == 0xC3) && line[i + 1] & 0xC0 == 0x80 {
        octets -= 1
        i += 2
      } else {
        i += 1
      }
    }
    return octets
  }

  /// The byte offset in `line` after `octets` converted octets.
  static func byteOffset(in line: ByteLine, afterOctets octets: Int) -> Int {
    var i = 0
    var seen = 0
    while i < line.count && seen < octets {
      i += (line[i] == 0xC2 || line[i] == 0xC3) && i + 1 < line.count && line[i + 1] & 0xC0 == 0x80 ? 2 : 1
      seen += 1
    }
    return i
  }

  static func applyContentRole(
    _ role: LiteralRole, start: Int, end: Int, wholeLine: Bool, _ s: inout SessionState, _ line: ByteLine,
    _ verdict: inout LineVerdict
  ) {
    switch role {
    case .keep: break
    case .mask:
      if end > start { verdict.mask(start, end) } else if wholeLine { verdict.maskWhole = true }
    case .body:
      addBody(&s, bytes: end - start, &verdict)
      if wholeLine { verdict.isBody = true } else { verdict.bodyPrefix = end }
    }
  }

  // MARK: Client side

  static func clientLine(
    _ s: inout SessionState, _ line: ByteLine, _ verdict: inout LineVerdict, _ counters: inout SanitizeCounters
  ) {
    // 1. Literal content (IMAP) announced by an earlier line.
    if s.clientLiteralRemaining > 0 {
      let role = s.clientLiteralRole
      var remaining = s.clientLiteralRemaining
      let resumeAt = consumeContent(remaining: &remaining, line: line, role: role, &s, &verdict)
      if role == .keep && s.clientLiteralOwner == .login && s.loginArgument == 1 {
        verdict.userNamePrefix = min(resumeAt ?? line.count, line.count)
      }
      s.clientLiteralRemaining = remaining
      guard let resume = resumeAt else { return }
      if resume > line.count {
        s.clientContinuationPending = true
        return
      }
      continueAfterLiteral(&s, line, from: resume, &verdict, &counters)
      return
    }
    if s.clientContinuationPending {
      s.clientContinuationPending = false
      continueAfterLiteral(&s, line, from: 0, &verdict, &counters)
      return
    }
    // 2. Phases started by earlier commands.
    switch s.client {
    case .sasl(let kind):
      s.smtpRepliesPending += 1
      saslResponse(line, kind, &verdict, &counters)
      return
    case .smtpAwaitingData:
      // A client sends content only after 354 (RFC 5321 §4.1.1.4, RFC 2920 §3.1): a client line before it is a
      // command, and DATA was refused by a reply matched to an earlier command (one whose own reply was not logged).
      s.client = .command
    case .smtpData:
      if line.count == 1 && line[0] == 0x2E {
        s.client = .command
        s.smtpRepliesPending += 1
      } else {
        addBody(&s, bytes: line.count, &verdict)
        verdict.isBody = true
      }
      return
    case .smtpChunk(var remaining):
      let resume = consumeContent(remaining: &remaining, line: line, role: .body, &s, &verdict)
      s.client = remaining > 0 ? .smtpChunk(remaining: remaining) : .command
      if let resume, resume < line.count {
        commandAt(&s, line, from: resume, &verdict, &counters)
      }
      return
    case .command:
      break
    }
    // 3. A command.
    if s.joinedMidway {
      if line.skipBlanks(from: 0) < line.trimmedEnd() {
        verdict.maskWhole = true
        counters.count(.unknownSessionLine)
      }
      return
    }
    if s.logging == .exchange, let escape = lineBreakEscape(in: line, from: 0) {
      escapedLines(&s, line, first: escape, &verdict, &counters)
      return
    }
    command(&s, line, &verdict, &counters)
  }

  /// Where the next escaped line break (`\r\n`, `\r` or `\n` as text) at or after `from` starts, and its length.
  static func lineBreakEscape(in line: ByteLine, from: Int) -> (start: Int, length: Int)? {
    guard from < line.count, let first = line.firstIndex(of: 0x5C, from: from, to: line.count) else { return nil }
    var i = first
    while i + 1 < line.count {
      if line[i] == 0x5C && (line[i + 1] == 0x72 || line[i + 1] == 0x6E) {
        let pair = line[i + 1] == 0x72 && i + 3 < line.count && line[i + 2] == 0x5C && line[i + 3] == 0x6E
        return (i, pair ? 4 : 2)
      }
      i += 1
    }
    return nil
  }

  /// A command field holding several client lines (a raw buffer the log wrote with its line breaks escaped): the
  /// command, then each later line in turn, so a command or SASL answer after the first line is not hidden behind it.
  static func escapedLines(
    _ s: inout SessionState, _ line: ByteLine, first: (start: Int, length: Int), _ verdict: inout LineVerdict,
    _ counters: inout SanitizeCounters
  ) {
    var start = 0
    var escape: (start: Int, length: Int)? = first
    var isFirst = true
    while true {
      let end = escape?.start ?? line.count
      if end > start {
        let sub = ByteLine(base: line.base + start, count: end - start)
        var inner = LineVerdict()
        if isFirst { command(&s, sub, &inner, &counters) } else { clientLine(&s, sub, &inner, &counters) }
        verdict.absorb(inner, at: start, end: end)
      }
      isFirst = false
      guard let current = escape else { return }
      start = current.start + current.length
      escape = lineBreakEscape(in: line, from: start)
    }
  }

  /// A SASL response line: masked unless it is the `*` cancel, empty, or already masked by the server.
  static func saslResponse(
    _ line: ByteLine, _ kind: CredentialKind, _ verdict: inout LineVerdict, _ counters: inout SanitizeCounters
  ) {
    let start = line.skipBlanks(from: 0)
    let end = line.trimmedEnd()
    guard start < end else { return }
    if end - start == 1 && (line[start] == 0x2A || line[start] == 0x3D) { return }  // "*" cancel, "=" empty
    if line.isAllStars(start, end) || line.isExchangeAuthMask(start, end) {
      counters.alreadyMasked += 1
      return
    }
    verdict.maskWhole = true
    counters.count(kind)
  }

  /// Resumes the command a literal interrupted, at `from` in `line`.
  static func continueAfterLiteral(
    _ s: inout SessionState, _ line: ByteLine, from: Int, _ verdict: inout LineVerdict,
    _ counters: inout SanitizeCounters
  ) {
    switch s.clientLiteralOwner {
    case .login:
      if from < line.count || s.loginArgument < 2 {
        MaskIMAPLogin.scanArguments(in: line, from: from, session: &s, verdict: &verdict, counters: &counters)
      }
    case .authenticate:
      // The initial response was the literal; what follows on the line would be more of it.
      if line.skipBlanks(from: from) < line.trimmedEnd() { verdict.mask(from, line.count) }
    case .append, .other:
      if let literal = IMAPLiteralHeader.trailing(in: line, from: from) {
        s.clientLiteralRemaining = literal.octets
        s.clientLiteralRole = s.clientLiteralOwner == .append ? .body : .keep
      }
    }
  }

  /// Dispatches a command that starts at `from` (after content that ended mid-line).
  static func commandAt(
    _ s: inout SessionState, _ line: ByteLine, from: Int, _ verdict: inout LineVerdict,
    _ counters: inout SanitizeCounters
  ) {
    let sub = ByteLine(base: line.base + from, count: line.count - from)
    var inner = LineVerdict()
    command(&s, sub, &inner, &counters)
    verdict.absorb(inner, at: from, end: line.count)
  }

  static func command(
    _ s: inout SessionState, _ line: ByteLine, _ verdict: inout LineVerdict, _ counters: inout SanitizeCounters
  ) {
    let end = line.trimmedEnd()
    let first = line.skipBlanks(from: 0)
    guard first < end else { return }
    s.smtpRepliesPending += 1
    let firstEnd = line.tokenEnd(from: first)
    let firstKey = line.verbKey(first, firstEnd)
    var proto = s.proto
    var tagStart = first
    var tagEnd = first
    var verbStart = first
    var verbEnd = firstEnd
    var verb = firstKey

    if proto == .imap || proto == .unknown {
      let second = line.skipBlanks(from: firstEnd)
      let secondEnd = line.tokenEnd(from: second)
      if second < end, let key = line.verbKey(second, secondEnd), imapVerbs.contains(key) {
        tagStart = first
        tagEnd = firstEnd
        verbStart = second
        verbEnd = secondEnd
        verb = key
        proto = .imap
      } else if proto == .imap {
        // Untagged forms (IDLE's DONE, logs that drop the tag): the first token is the verb.
      }
    }
    if proto == .unknown, let key = verb {
      let inSMTP = smtpVerbs.contains(key)
      let inPOP3 = pop3Verbs.contains(key)
      if inSMTP && !inPOP3 {
        proto = .smtp
      } else if inPOP3 && !inSMTP {
        proto = .pop3
      } else if !inSMTP && !inPOP3 && imapVerbs.contains(key) {
        proto = .imap
      }
    }
    if s.proto == .unknown && proto != .unknown { s.proto = proto }

    guard let key = verb, isKnown(key, proto), !(proto == .imap && isInvalidUID(line, key, verbEnd, end)) else {
      verdict.maskWhole = true
      counters.count(.unrecognizedCommand)
      return
    }
    let commandLine = ClientCommand(
      line: line, proto: proto, tagStart: tagStart, tagEnd: tagEnd, verbStart: verbStart, verbEnd: verbEnd,
      argumentsStart: line.skipBlanks(from: verbEnd))
    let expectedBefore = s.pop3ExpectedCount
    if let rule = rule(for: key, proto) {
      rule.apply(to: commandLine, session: &s, verdict: &verdict, counters: &counters)
    }
    if proto == .pop3 && s.pop3ExpectedCount == expectedBefore {
      s.expectPOP3(pop3Reply(to: commandLine))
    }
    if proto == .imap && s.clientLiteralRemaining == 0,
      let literal = IMAPLiteralHeader.trailing(in: line, from: commandLine.argumentsStart)
    {
      s.clientLiteralRemaining = literal.octets
      // A literal announced inside masked text (`LOGIN alice pw{9}`) carries more of the secret.
      let masked = verdict.maskWhole || verdict.edits.contains { $0.start <= literal.start && literal.start < $0.end }
      s.clientLiteralRole = masked ? .mask : .keep
      s.clientLiteralOwner = .other
    }
  }

  /// IMAP `UID` followed by anything but the commands it prefixes (RFC 3501, RFC 6851): `a1 UID LOGIN bob pw` is
  /// not a UID command, and what follows it may be a password.
  static func isInvalidUID(_ line: ByteLine, _ key: VerbKey, _ verbEnd: Int, _ end: Int) -> Bool {
    guard key == uidVerb else { return false }
    let sub = line.skipBlanks(from: verbEnd)
    let subEnd = line.tokenEnd(from: sub)
    return !(line.equalsUppercase(sub, subEnd, "FETCH") || line.equalsUppercase(sub, subEnd, "STORE")
      || line.equalsUppercase(sub, subEnd, "COPY") || line.equalsUppercase(sub, subEnd, "MOVE")
      || line.equalsUppercase(sub, subEnd, "SEARCH") || line.equalsUppercase(sub, subEnd, "EXPUNGE")
      || line.equalsUppercase(sub, subEnd, "SORT") || line.equalsUppercase(sub, subEnd, "THREAD"))
  }
  private static let uidVerb = VerbKey("UID")

  /// The rule a verb triggers in a protocol (for an unknown protocol: the SMTP, then the POP3 rule).
  static func rule(for key: VerbKey, _ proto: MailProtocol) -> (any MaskingRule.Type)? {
    var fallback: (any MaskingRule.Type)? = nil
    for (p, verb, rule) in rules where verb == key {
      if p == proto { return rule }
      if proto == .unknown && (p == .smtp || (p == .pop3 && fallback == nil)) { fallback = fallback ?? rule }
    }
    return fallback
  }

  static func isKnown(_ key: VerbKey, _ proto: MailProtocol) -> Bool {
    switch proto {
    case .smtp: return smtpVerbs.contains(key)
    case .pop3: return pop3Verbs.contains(key)
    case .imap: return imapVerbs.contains(key)
    case .unknown: return smtpVerbs.contains(key) || pop3Verbs.contains(key) || imapVerbs.contains(key)
    }
  }

  /// Which POP3 replies are multi-line (RFC 1939, RFC 2449): LIST/UIDL without argument, CAPA.
  static func pop3Reply(to command: ClientCommand) -> POP3Reply {
    let line = command.line
    if line.equalsUppercase(command.verbStart, command.verbEnd, "CAPA") { return .multiLine }
    if !command.hasArguments
      && (line.equalsUppercase(command.verbStart, command.verbEnd, "LIST")
        || line.equalsUppercase(command.verbStart, command.verbEnd, "UIDL"))
    {
      return .multiLine
    }
    return .single
  }

  // MARK: Server side

  static func serverLine(_ s: inout SessionState, _ line: ByteLine, _ verdict: inout LineVerdict) {
    var from = 0
    if s.serverContinuationPending {
      s.serverContinuationPending = false
      if let literal = IMAPLiteralHeader.trailing(in: line, from: 0) { s.expectServerLiteral(literal) }
      return
    }
    if s.serverLiteralRemaining > 0 {
      let role: LiteralRole = s.serverLiteralIsBody ? .body : .keep
      var remaining = s.serverLiteralRemaining
      let resumeAt = consumeContent(remaining: &remaining, line: line, role: role, &s, &verdict)
      s.serverLiteralRemaining = remaining
      guard let resume = resumeAt else { return }
      if resume > line.count { s.serverContinuationPending = true }
      if resume >= line.count { return }
      from = resume
      // The rest of a FETCH response may announce another literal.
      if let literal = IMAPLiteralHeader.trailing(in: line, from: from) { s.expectServerLiteral(literal) }
      return
    }
    if case .pop3MultiLine(let isBody) = s.server {
      if line.count == 1 && line[0] == 0x2E {
        s.server = .reply
      } else if isBody {
        addBody(&s, bytes: line.count, &verdict)
        verdict.isBody = true
      }
      return
    }
    let end = line.trimmedEnd()
    let start = line.skipBlanks(from: from)
    guard start < end else { return }
    if s.proto == .unknown { s.proto = guessProtocol(fromReply: line, start, end) ?? .unknown }
    switch s.proto {
    case .smtp: smtpReply(&s, line, start, end)
    case .pop3: pop3Reply(&s, line, start, end)
    case .imap: imapReply(&s, line, start, end)
    case .unknown:
      // Could not tell: a terminal-looking reply of any protocol ends a SASL exchange.
      if line.equalsUppercase(start, min(end, start + 3), "+OK") || line.hasUppercasePrefix(start, end, "-ERR") {
        pop3Reply(&s, line, start, end)
      } else if line[start].isASCIIDigit {
        smtpReply(&s, line, start, end)
      } else {
        imapReply(&s, line, start, end)
      }
    }
  }

  static func guessProtocol(fromReply line: ByteLine, _ start: Int, _ end: Int) -> MailProtocol? {
    if end - start >= 3 && line[start].isASCIIDigit && line[start + 1].isASCIIDigit && line[start + 2].isASCIIDigit {
      return .smtp
    }
    if line.hasUppercasePrefix(start, end, "+OK") || line.hasUppercasePrefix(start, end, "-ERR") { return .pop3 }
    if line.hasUppercasePrefix(start, end, "* OK") || line.hasUppercasePrefix(start, end, "* PREAUTH")
      || line.hasUppercasePrefix(start, end, "* BYE") || line.hasUppercasePrefix(start, end, "* CAPABILITY")
    {
      return .imap
    }
    return nil
  }

  static func smtpReply(_ s: inout SessionState, _ line: ByteLine, _ start: Int, _ end: Int) {
    guard end - start >= 3, let code = line.decimal(start, start + 3) else { return }
    // `250-…` continues a reply; `250 …` (or a bare code) ends it and answers the oldest pending client line.
    let isFinal = end - start == 3 || line[start + 3] != 0x2D
    let pendingBefore = s.smtpRepliesPending
    if isFinal && pendingBefore > 0 { s.smtpRepliesPending -= 1 }
    switch s.client {
    case .sasl:
      if code != 334 { s.client = .command }
    case .smtpAwaitingData:
      // Pipelined MAIL/RCPT replies come before DATA's own: only the reply to DATA decides. DATA is never
      // answered with 2xx, so a 2xx is always an earlier command's; an error ends the wait only if it is DATA's.
      if code == 354 {
        s.client = .smtpData
      } else if isFinal && code >= 400 && pendingBefore <= 1 {
        s.client = .command
      }
    case .smtpData, .smtpChunk:
      // A reply while content was expected: the content is over (the server rejected or accepted it).
      s.client = .command
    case .command:
      if s.joinedMidway {
        if code == 334 { s.client = .sasl(.saslOther) } else if code == 354 { s.client = .smtpData }
      }
    }
    s.joinedMidway = false
  }

  static func pop3Reply(_ s: inout SessionState, _ line: ByteLine, _ start: Int, _ end: Int) {
    let ok = line.hasUppercasePrefix(start, end, "+OK")
    let err = line.hasUppercasePrefix(start, end, "-ERR")
    if !ok && !err {
      // "+ challenge": a SASL continuation.
      if line[start] == 0x2B && s.joinedMidway {
        s.client = .sasl(.saslOther)
        s.joinedMidway = false
      }
      return
    }
    if case .sasl = s.client { s.client = .command }
    let expected = s.nextPOP3Reply()
    if ok && expected != .single && !s.joinedMidway {
      s.server = .pop3MultiLine(body: expected == .message)
    }
    s.joinedMidway = false
  }

  static func imapReply(_ s: inout SessionState, _ line: ByteLine, _ start: Int, _ end: Int) {
    let tokenEnd = line.tokenEnd(from: start)
    if tokenEnd - start == 1 && line[start] == 0x2B {
      // "+ ..." continuation request: for a SASL exchange or a synchronizing literal.
      return
    }
    if tokenEnd - start == 1 && line[start] == 0x2A {
      // Untagged data. A literal at its end carries message content when it is a FETCH response.
      if let literal = IMAPLiteralHeader.trailing(in: line, from: tokenEnd) {
        s.expectServerLiteral(literal)
        let n = line.skipBlanks(from: tokenEnd)
        let nEnd = line.tokenEnd(from: n)
        let kw = line.skipBlanks(from: nEnd)
        let kwEnd = line.tokenEnd(from: kw)
        s.serverLiteralIsBody = line.equalsUppercase(kw, kwEnd, "FETCH")
      }
      return
    }
    // A tagged completion ends whatever the client was doing.
    s.client = .command
    s.clientLiteralRemaining = 0
    s.clientContinuationPending = false
    s.joinedMidway = false
  }
}
