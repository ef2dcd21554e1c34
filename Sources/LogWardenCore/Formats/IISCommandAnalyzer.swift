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

  private static let reply334 = Array("334".utf8)
  private static let reply250 = Array("250".utf8)

  private enum Role { case inbound, outboundCommand, outboundResponse }

  func analyze(_ line: ByteLine, _ row: Row) -> Changes {
    let method = row.method.flatMap { isDash(line, $0) ? nil : $0 }
    let query = row.query.flatMap { isDash(line, $0) ? nil : $0 }
    var role = Role.inbound
    if let user = row.user {
      if line.equalsUppercase(user.lowerBound, user.upperBound, "OUTBOUNDCONNECTIONRESPONSE") {
        role = .outboundResponse
      } else if line.equalsUppercase(user.lowerBound, user.upperBound, "OUTBOUNDCONNECTIONCOMMAND") {
        role = .outboundCommand
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
    // IIS writes `-` as the stem of every SMTP and NNTP row: anything else came from the client unparsed.
    let strayStem = row.stem.map { !isDash(line, $0) } ?? false
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
    if let reply {
      let code = reply == 334 ? Self.reply334 : Self.reply250
      code.withUnsafeBufferPointer { b in
        _ = engine.process(
          session: key, isStart: true, direction: .server, line: ByteLine(base: b.baseAddress!, count: b.count),
          protocolHint: .smtp)
      }
    }
    let start = text.skipBlanks(from: 0)
    if !stateful || text.equalsUppercase(start, text.tokenEnd(from: start), "QUIT") { engine.forget(session: key) }
    return verdict
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
    if let ip = row.clientIP { key = fnv1a(line.base + ip.lowerBound, ip.count) }
    switch role {
    case .outboundCommand, .outboundResponse:
      return key ^ 0x0B7B_0D00_0000_0001
    case .inbound:
      if let user = row.user { key = (key &* 31) ^ fnv1a(line.base + user.lowerBound, user.count) }
      return key
    }
  }

  private func isDash(_ line: ByteLine, _ range: Range<Int>) -> Bool {
    range.isEmpty || (range.count == 1 && line[range.lowerBound] == 0x2D)
  }
}
