/// The command analysis shared by the IIS SMTPSVC / NNTPSVC formats (W3C extended and NCSA common).
///
/// IIS writes one row per command: `cs-method` is the verb, `cs-uri-query` its argument with `+` for spaces, and
/// `sc-status` the reply code. `cs-username` is the HELO argument, or the pseudo-user `OutboundConnectionCommand` /
/// `OutboundConnectionResponse` for the server's own outbound sessions, whose replies get rows of their own.
///
/// Each row becomes the protocol line `method query` for the engine; edits map back onto the query byte for byte
/// (the `+` decoding keeps lengths). Inbound rows are keyed by client IP and HELO name; when the layout has
/// `sc-status`, the reply code is fed back to the engine so a SASL exchange (`AUTH LOGIN` → 334 → base64 rows)
/// keeps masking its continuation rows until it ends. Without `sc-status` each row is analysed on its own — an AUTH
/// continuation row still has no verb and is masked as an unknown command. IIS never logs message content, so a
/// row is always a command: the engine's message states are never kept open across rows.
///
/// The reply is fed only when the session may be mid-exchange afterwards (the row started one, the engine masked it,
/// or it is the client's `*` cancel, whose reply ends the exchange). Rows with a plain verb (HELO, MAIL, RCPT, QUIT,
/// …; none has a masking rule) in a session that is not mid-exchange skip the engine: it would leave them as they
/// are.
final class IISCommandAnalyzer {
  let engine = ProtocolEngine(defaultProtocol: .smtp)
  private var nntpCounters = SanitizeCounters()
  private var virtualLine: [UInt8] = []
  private var query: [UInt8] = []

  var counters: SanitizeCounters {
    var c = engine.counters
    c.merge(nntpCounters)
    return c
  }

  /// Byte ranges of one row's fields inside its line; nil when the layout lacks the field.
  struct Row {
    var clientIP: Range<Int>?
    var user: Range<Int>?
    var method: Range<Int>?
    var stem: Range<Int>?
    var query: Range<Int>?
    var status: Int?
    var isNNTP = false
  }

  /// What to write back. `query` holds the new query bytes when it changes.
  struct Changes {
    var maskMethod = false
    var maskStem = false
    var query: [UInt8]? = nil
    var isUnchanged: Bool { !maskMethod && !maskStem && query == nil }
  }

  /// SMTP verbs that no registered rule handles and that start nothing: in a session taking commands the engine
  /// leaves such a row as it is, so it is not asked (a third of the per-row cost). Derived from the rule list, so a
  /// rule added for one of these verbs takes it off.
  /// Kept as the packed first eight bytes of each verb (all are shorter): a linear scan of a few integers is cheaper
  /// per row than hashing into a `Set`.
  static let plainVerbs: [UInt64] = {
    let ruled = Set(BuiltinRules.all.flatMap { $0.triggers }.filter { $0.0 == .smtp || $0.0 == .unknown }.map { $0.1 })
    let candidates = ["HELO", "EHLO", "MAIL", "RCPT", "QUIT", "RSET", "NOOP", "VRFY", "EXPN", "HELP"]
    return candidates.filter { !ruled.contains($0) }.map { VerbKey($0).a }
  }()

  @inline(__always) static func isPlain(_ verb: VerbKey) -> Bool {
    verb.b == 0 && plainVerbs.contains(verb.a)
  }
  /// Inbound sessions the engine may hold in the middle of an exchange (the last reply fed was 334).
  private var busy = Set<UInt64>()

  private static let reply334 = Array("334".utf8)
  private static let reply250 = Array("250".utf8)

  private enum Role { case inbound, outboundCommand, outboundResponse }

  func analyze(_ line: ByteLine, _ row: Row) -> Changes {
    let method = row.method.flatMap { isDash(line, $0) ? nil : $0 }
    let query = row.query.flatMap { isDash(line, $0) ? nil : $0 }
    // IIS writes `-` as the stem of every SMTP and NNTP row: anything else came from the client unparsed.
    let strayStem = row.stem.map { !isDash(line, $0) } ?? false
    var role = Role.inbound
    if let user = row.user {
      if line.equalsUppercase(user.lowerBound, user.upperBound, "OUTBOUNDCONNECTIONRESPONSE") {
        role = .outboundResponse
      } else if line.equalsUppercase(user.lowerBound, user.upperBound, "OUTBOUNDCONNECTIONCOMMAND") {
        role = .outboundCommand
      }
    }
    if !row.isNNTP && role == .inbound, let method, let verb = line.verbKey(method.lowerBound, method.upperBound),
      Self.isPlain(verb)
    {
      let key = sessionKey(line, row, role)
      if !busy.contains(key) {
        if line.equalsUppercase(method.lowerBound, method.upperBound, "QUIT") { engine.forget(session: key) }
        return Changes(maskStem: strayStem)
      }
    }
    // The protocol line: "method query", '+' decoded to spaces (same length). Built in a local (swapped with the
    // stored buffer) so appends carry no exclusivity checks.
    var virtualLine: [UInt8] = []
    swap(&virtualLine, &self.virtualLine)
    defer { swap(&virtualLine, &self.virtualLine) }
    virtualLine.removeAll(keepingCapacity: true)
    if let method { virtualLine.append(contentsOf: UnsafeBufferPointer(start: line.base + method.lowerBound, count: method.count)) }
    if method != nil && query != nil { virtualLine.append(asciiSpace) }
    let queryOffset = virtualLine.count
    if let query {
      let start = virtualLine.count
      virtualLine.append(contentsOf: UnsafeBufferPointer(start: line.base + query.lowerBound, count: query.count))
      virtualLine.withUnsafeMutableBufferPointer { b in
        for k in start..<b.count where b[k] == 0x2B { b[k] = asciiSpace }
      }
    }
    if virtualLine.isEmpty { return Changes(maskStem: strayStem) }

    let key = sessionKey(line, row, role)
    let verdict: LineVerdict = virtualLine.withUnsafeBufferPointer { b in
      let text = ByteLine(base: b.baseAddress!, count: b.count)
      if row.isNNTP {
        return role == .outboundResponse ? LineVerdict() : NNTPCommands.analyze(text, counters: &nntpCounters)
      }
      switch role {
      case .outboundResponse:
        _ = engine.process(session: key, isStart: true, direction: .server, line: text, protocolHint: .smtp)
        return LineVerdict()
      case .outboundCommand:
        return command(text, key: key, reply: nil, stateful: true)
      case .inbound:
        if let status = row.status, status >= 200 && status <= 599 {
          return command(text, key: key, reply: status == 334 ? 334 : 250, stateful: true)
        }
        return command(text, key: key, reply: nil, stateful: false)
      }
    }
    var result = changes(verdict, line, row, method: method, query: query, queryOffset: queryOffset)
    if strayStem { result.maskStem = true }
    return result
  }

  /// Runs a client command; `reply` is fed back as the server's answer.
  private func command(_ text: ByteLine, key: UInt64, reply: Int?, stateful: Bool) -> LineVerdict {
    if !stateful { engine.forget(session: key) }
    var verdict = engine.process(session: key, isStart: true, direction: .client, line: text, protocolHint: .smtp)
    if verdict.isBody || verdict.bodyPrefix > 0 {
      // The engine expected message content, which IIS never logs: this row is a command.
      engine.forget(session: key)
      verdict = engine.process(session: key, isStart: true, direction: .client, line: text, protocolHint: .smtp)
    }
    // The reply matters only when the session may be in the middle of something afterwards: a command that starts
    // an exchange or a message, or a line the engine masked (a SASL answer). Other rows leave it taking commands.
    if let reply, !verdict.isUnchanged || startsExchange(text) || isCancel(text) {
      if stateful {
        if reply == 334 {
          if busy.count >= 1 << 16 { busy.removeAll(keepingCapacity: true) }
          busy.insert(key)
        } else {
          busy.remove(key)
        }
      }
      let code = reply == 334 ? Self.reply334 : Self.reply250
      code.withUnsafeBufferPointer { b in
        _ = engine.process(
          session: key, isStart: true, direction: .server, line: ByteLine(base: b.baseAddress!, count: b.count),
          protocolHint: .smtp)
      }
    }
    let start = text.skipBlanks(from: 0)
    if !stateful || text.equalsUppercase(start, text.tokenEnd(from: start), "QUIT") {
      engine.forget(session: key)
      if stateful { busy.remove(key) }
    }
    return verdict
  }

  /// The client's `*` cancelling a SASL exchange: its reply ends the exchange.
  private func isCancel(_ text: ByteLine) -> Bool {
    let start = text.skipBlanks(from: 0)
    return start < text.count && text[start] == 0x2A && text.skipBlanks(from: start + 1) >= text.trimmedEnd()
  }

  /// AUTH, X-EXPS, DATA, BDAT: commands after which the session is not simply waiting for the next command.
  private func startsExchange(_ text: ByteLine) -> Bool {
    let start = text.skipBlanks(from: 0)
    let end = text.tokenEnd(from: start)
    return text.equalsUppercase(start, end, "AUTH") || text.equalsUppercase(start, end, "X-EXPS")
      || text.equalsUppercase(start, end, "DATA") || text.equalsUppercase(start, end, "BDAT")
  }

  private func changes(
    _ verdict: LineVerdict, _ line: ByteLine, _ row: Row, method: Range<Int>?, query: Range<Int>?, queryOffset: Int
  ) -> Changes {
    var result = Changes()
    if verdict.maskWhole || verdict.edits.contains(where: { $0.start < queryOffset && method != nil }) {
      if let method, !(method.count == 4 && line.hasLiteral("xxxx", at: method.lowerBound)) {
        // `xxxx` is what IIS writes for a verb it did not recognise; anything else came from the client.
        result.maskMethod = true
      }
      if let stem = row.stem, !isDash(line, stem) { result.maskStem = true }
      if query != nil { result.query = MaskText.stars.bytes }
      return result
    }
    guard !verdict.edits.isEmpty, let query else { return result }
    self.query.removeAll(keepingCapacity: true)
    var position = query.lowerBound
    for edit in verdict.edits {
      let start = query.lowerBound + max(0, edit.start - queryOffset)
      let end = min(query.upperBound, query.lowerBound + max(0, edit.end - queryOffset))
      if start > position {
        self.query.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: start - position))
      }
      self.query.append(contentsOf: edit.text.bytes)
      position = max(position, end)
    }
    if position < query.upperBound {
      self.query.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: query.upperBound - position))
    }
    result.query = self.query
    return result
  }

  private func sessionKey(_ line: ByteLine, _ row: Row, _ role: Role) -> UInt64 {
    var key: UInt64 = 0x5EED
    if let ip = row.clientIP { key = wordHash(line.base + ip.lowerBound, ip.count, seed: key) }
    switch role {
    case .outboundCommand, .outboundResponse:
      return key ^ 0x0B7B_0D00_0000_0001
    case .inbound:
      if let user = row.user { key = wordHash(line.base + user.lowerBound, user.count, seed: key) }
      return key
    }
  }

  private func isDash(_ line: ByteLine, _ range: Range<Int>) -> Bool {
    range.isEmpty || (range.count == 1 && line[range.lowerBound] == 0x2D)
  }
}

/// A session-key hash that reads eight bytes at a time (addresses and HELO names are short; byte-wise FNV showed in
/// profiles). Not for anything but table keys.
@inline(__always) func wordHash(_ base: UnsafePointer<UInt8>, _ count: Int, seed: UInt64) -> UInt64 {
  var h = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
  let raw = UnsafeRawPointer(base)
  var i = 0
  while i + 8 <= count {
    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 31
    i += 8
  }
  if i < count {
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < count {
      tail |= UInt64(base[i]) << shift
      shift += 8
      i += 1
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
    h ^= h >> 29
  }
  return h
}
