/// Postfix and Dovecot logs: syslog files (traditional `Mmm dd hh:mm:ss` or RFC 3339 stamps, Postfix's own
/// `maillog_file`) and Dovecot's `log_path` form, including their maximum-debug output.
///
/// ```
/// Nov  6 20:02:02 tiki postfix/smtpd[8834]: < unknown[10.0.0.4]: AUTH PLAIN AGZyZWQAc2VjcmV0
/// 2024-05-01T10:00:00.123456+02:00 mx postfix/smtpd[8834]: xsasl_dovecot_server_first: sasl_method PLAIN, init_response AGZyZWQAc2VjcmV0
/// Nov 22 13:29:23 auth: Debug: client in: AUTH	1	PLAIN	service=smtp	resp=AGZyZWQAc2VjcmV0 (previous base64 data may contain sensitive data)
/// ```
/// Every line is parsed as *stamp*, optional *host*, *program*`[`*pid*`]:` and a message; a line that does not parse
/// is masked whole (its stamp kept).
///
/// - Postfix `debug_peer_list`/`-v` protocol lines (`< host[ip]: …` from the client, `> host[ip]: …` from the
///   server; reversed for the `smtp`/`lmtp` clients) go through the SMTP engine, one session per process id and
///   `host[ip]`, reset at `connect from` and closed at `disconnect from`.
/// - Postfix SASL debug lines: `init_response`, decoded/uncoded responses and replies, `pass \`…'` of the client's
///   password lookup, the Cyrus client's `…_get_passwd:` callback, `COOKIE`, secrets in `auth reply:` fields,
///   `maps_find` and dict-debug `lookup: "…" = "…"` results of password and SASL maps, and the value of a map lookup
///   that follows `input attribute name: value`.
/// - `header_checks`/`body_checks` logs (`warning: header Subject: … from host[ip]; from=<…>`): the quoted message
///   text is message content and is masked when bodies are dropped.
/// - Dovecot auth debug: `resp=` and `CONT` responses, `(given password: …)`, the passdb `cache hit:` entry, the
///   password of an auth-worker `PASSV` request, `SCHEME(given) != 'stored'`, `password '…'`, `Credentials: …`,
///   `auth_token=`, the `REQUEST` cookie, `(username: …)` of rejected user names.
/// - Every line: secret `key=value` pairs (`pass=`, `password=`, `token=`, …) and `Bearer` tokens.
///
/// `sasl_username=` and Dovecot's `user=<…>`/`session=<…>` stay (identities are pseudonymized by another profile).
public final class MailSyslogFormat: LogFormat {
  public static let name = "mail-syslog"
  public static let summary = "Postfix and Dovecot logs (syslog, RFC 3339, maillog_file, Dovecot log_path), debug output included"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    guard let base = head.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
    var parsed = 0
    var mail = 0
    var lines = 0
    var start = 0
    let n = min(head.count, 16384)
    while start < n && lines < 40 {
      var end = start
      while end < n && base[end] != 0x0A { end += 1 }
      if end >= n && start > 0 { break }  // a line cut by the head's end
      var count = end - start
      if count > 0 && base[start + count - 1] == 0x0D { count -= 1 }
      if count > 0 {
        lines += 1
        let line = ByteLine(base: base + start, count: count)
        if let p = SyslogPrefix.parse(line) {
          parsed += 1
          if p.kind != .other { mail += 1 }
        }
      }
      start = end + 1
    }
    guard lines > 0 else { return 0 }
    if mail > 0 && parsed * 4 >= lines * 3 { return 85 }
    if parsed * 4 >= lines * 3 { return 30 }
    return 0
  }

  private let context: FormatContext
  private let engine = ProtocolEngine(defaultProtocol: .smtp)
  private var local = SanitizeCounters()
  private var spans = MaskSpans()
  private var out: [UInt8] = []
  /// The program-and-pid key of the line before, when it was Postfix's `input attribute name: value`.
  private var lookupValuePending: UInt64 = 0
  /// The current line was a Postfix protocol line (its masking is the engine's).
  private var wasProtocolLine = false

  public var counters: SanitizeCounters {
    var total = engine.counters
    let other = fallback.counters
    for k in 0..<total.credentials.count { total.credentials[k] += local.credentials[k] + other.credentials[k] }
    total.alreadyMasked += local.alreadyMasked + other.alreadyMasked
    return total
  }

  /// Lines of programs this format does not know get the generic fallback's line-wise scan as well.
  private let fallback: GenericFallbackFormat

  public init(context: FormatContext) {
    self.context = context
    self.fallback = GenericFallbackFormat(context: context)
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    if line.count == 0 {
      keep(line, terminator)
      return
    }
    guard let p = SyslogPrefix.parse(line) else {
      unparsable(line, terminator)
      return
    }
    spans.reset()
    var dropLine = false
    wasProtocolLine = false
    switch p.kind {
    case .postfix: postfix(line, p, terminator, drop: &dropLine)
    case .dovecot: dovecot(line, p)
    case .other:
      // A program whose output this format does not know: its message is scanned as the fallback scans any text.
      var verdict = LineVerdict()
      let message = ByteLine(base: line.base + p.messageStart, count: line.count - p.messageStart)
      fallback.scan(message, &verdict)
      spans.add(verdict, at: p.messageStart, length: message.count)
    }
    if dropLine { return }
    if lookupValuePending != 0 && p.kind != .postfix { lookupValuePending = 0 }
    // Protocol lines are the engine's; every other line gets the generic patterns.
    if !wasProtocolLine {
      MailLogScan.maskGeneric(line, from: p.messageStart, end: line.count, spans: &spans, counters: &local)
    }
    if spans.isEmpty {
      keep(line, terminator)
      return
    }
    spans.normalize()
    out.removeAll(keepingCapacity: true)
    spans.render(line, into: &out)
    context.emit(out, terminator: terminator)
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }

  public func finish() {
    for open in engine.drainOpenBodies() where context.dropsBodies {
      emitMarker(open.body, context: open.context, terminator: context.lastTerminator)
    }
  }

  // MARK: Postfix

  private func postfix(_ line: ByteLine, _ p: SyslogPrefix, _ terminator: LineTerminator, drop: inout Bool) {
    let m = p.messageStart
    let end = line.count
    guard m < end else { return }
    let programKey = fnv1a(line.base + p.programStart, p.pidEnd - p.programStart)
    let pendingLookup = lookupValuePending == programKey
    lookupValuePending = 0

    // `< host[ip]: text` / `> host[ip]: text` (the SMTP client adds the port: `> host[ip]:587: text`).
    if end - m >= 4 && (line[m] == 0x3C || line[m] == 0x3E) && line[m + 1] == 0x20 {
      let hostStart = m + 2
      let hostEnd = line.tokenEnd(from: hostStart)
      if hostEnd - hostStart >= 4 && line[hostEnd - 1] == 0x3A,
        let close = MailLogScan.lastIndex(of: 0x5D, line, from: hostStart, end: hostEnd),
        MailLogScan.find(line, "[", from: hostStart, end: close) != nil,
        close == hostEnd - 2 || (line[close + 1] == 0x3A && line.decimal(close + 2, hostEnd - 1) != nil)
      {
        wasProtocolLine = true
        protocolLine(line, p, terminator, programKey: programKey, hostStart: hostStart, hostEnd: hostEnd - 1, drop: &drop)
        return
      }
    }
    let first = line.tokenEnd(from: m)
    if line.equalsUppercase(m, first, "CONNECT") || line.equalsUppercase(m, first, "DISCONNECT") {
      // `connect from host[ip]` starts a session, `disconnect from host[ip] …` ends it (smtpd).
      let f = line.skipBlanks(from: first)
      let fEnd = line.tokenEnd(from: f)
      if line.equalsUppercase(f, fEnd, "FROM") {
        let h = line.skipBlanks(from: fEnd)
        let hEnd = line.tokenEnd(from: h)
        if hEnd > h {
          let key = sessionKey(programKey, line, h, hEnd)
          if first - m == 7 {
            engine.forget(session: key)
            _ = engine.process(session: key, isStart: true, direction: .server, line: ByteLine(base: line.base, count: 0))
          } else if let (open, markerContext) = engine.close(session: key), context.dropsBodies {
            emitMarker(open, context: markerContext, terminator: terminator)
          }
        }
      }
      return
    }
    // SASL debugging: `xsasl_dovecot_server_first: …`, `smtpd_sasl_authenticate: …`, `smtp_sasl_passwd_lookup: …`.
    if first > m && line[first - 1] == 0x3A && MailLogScan.containsUppercase(line, "SASL", from: m, end: first) {
      saslDebug(line, function: m..<first, from: first, end: end)
      return
    }
    // Postfix's dict debug (`-v`): `hash:/etc/postfix/sasl_passwd lookup: "[relay]:587" = "user:password"`. The value of
    // a password or SASL map is a secret.
    if let lookup = MailLogScan.find(line, " lookup: \"", from: m, end: end),
      MailLogScan.containsUppercase(line, "PASSW", from: m, end: lookup)
        || MailLogScan.containsUppercase(line, "SASL", from: m, end: lookup),
      let eq = MailLogScan.find(line, "\" = \"", from: lookup, end: end)
    {
      let start = eq + 5
      let stop = MailLogScan.lastIndex(of: 0x22, line, from: start, end: end) ?? end
      if stop > start && !MailLogScan.isAlreadyHidden(line, start, stop) {
        spans.add(start, stop)
        local.count(.passwordField)
      }
      return
    }
    if line.equalsUppercase(m, first, "MAPS_FIND:") {
      // `maps_find: smtp_sasl_password_maps: hash:…: [relay]:587 = user:password`
      if MailLogScan.containsUppercase(line, "PASSW", from: first, end: end),
        let eq = MailLogScan.find(line, " = ", from: first, end: end), eq + 3 < end
      {
        spans.add(eq + 3, end)
        local.count(.passwordField)
      }
      return
    }
    if line.equalsUppercase(m, first, "INPUT") {
      // `input attribute name: value` announces a map lookup result on the next line of this process.
      if let at = MailLogScan.find(line, "attribute name: value", from: first, end: end), at + 21 == line.trimmedEnd() {
        lookupValuePending = programKey
      } else if pendingLookup, let at = MailLogScan.find(line, "attribute value: ", from: first, end: end),
        at + 17 < end
      {
        spans.add(at + 17, end)
        local.count(.passwordField)
      }
      return
    }
    headerOrBodyCheck(line, from: m, end: end)
  }

  private func sessionKey(_ programKey: UInt64, _ line: ByteLine, _ hostStart: Int, _ hostEnd: Int) -> UInt64 {
    var h = programKey
    for k in hostStart..<hostEnd {
      h ^= UInt64(line[k])
      h = h &* 0x100_0000_01b3
    }
    return h
  }

  private func protocolLine(
    _ line: ByteLine, _ p: SyslogPrefix, _ terminator: LineTerminator, programKey: UInt64, hostStart: Int,
    hostEnd: Int, drop: inout Bool
  ) {
    let m = p.messageStart
    let key = sessionKey(programKey, line, hostStart, hostEnd)
    let fromPeer = line[m] == 0x3C  // `<`: what Postfix received
    let direction: Direction = (fromPeer != p.postfixIsClient) ? .client : .server
    let textStart = min(hostEnd + 2, line.count)
    let text = ByteLine(base: line.base + textStart, count: line.count - textStart)
    let isGreeting = direction == .server && text.count >= 3 && text[0] == 0x32 && text[1] == 0x32
      && text[2] == 0x30 && (text.count == 3 || text[3] == 0x20 || text[3] == 0x2D)
    if isGreeting && p.postfixIsClient {
      // A greeting to Postfix's SMTP/LMTP client: a new connection of this process.
      engine.forget(session: key)
    }
    // A session first seen without `connect from` or a greeting joined mid-way: its client lines stay masked
    // until the server ends whatever was going on.
    let verdict = engine.process(session: key, isStart: isGreeting, direction: direction, line: text, protocolHint: .smtp)
    if verdict.bodyStarted && context.dropsBodies {
      engine.rememberMarkerContext(Array(UnsafeBufferPointer(start: line.base, count: textStart)), for: key)
    }
    if let ended = verdict.bodyEnded, context.dropsBodies {
      emitMarker(ended, context: engine.markerContext(for: key), terminator: terminator)
    }
    if verdict.isBody && context.dropsBodies {
      drop = true
      return
    }
    spans.add(verdict, at: textStart, length: text.count)
    if verdict.bodyPrefix > 0 && context.dropsBodies { spans.add(textStart, textStart + verdict.bodyPrefix) }
  }

  /// Postfix SASL debug lines after the function name at `from`.
  private func saslDebug(_ line: ByteLine, function: Range<Int>, from: Int, end: Int) {
    if MailLogScan.containsUppercase(line, "GET_PASS", from: function.lowerBound, end: function.upperBound) {
      // `xsasl_cyrus_client_get_passwd: <password>`: the Cyrus SASL client's password callback prints the password.
      let value = line.skipBlanks(from: from)
      if value < line.trimmedEnd() && !MailLogScan.isAlreadyHidden(line, value, line.trimmedEnd()) {
        spans.add(value, end)
        local.count(.passwordField)
      }
      return
    }
    if let at = MailLogScan.find(line, "auth reply: ", from: from, end: end) {
      // Dovecot's auth protocol as Postfix prints it, TABs shown as `?`: `OK?1?user=…`, `COOKIE?…`, `CONT?1?…`.
      let fields = at + 12
      MailLogScan.maskKeyValues(line, from: fields, end: end, extra: 0x3F, spans: &spans, counters: &local)
      let cmdEnd = MailLogScan.valueEnd(line, from: fields, end: end, extra: 0x3F)
      if line.equalsUppercase(fields, cmdEnd, "COOKIE") && cmdEnd + 1 < end {
        spans.add(cmdEnd + 1, end)
        local.count(.passwordField)
      }
      return
    }
    if MailLogScan.find(line, "pass `", from: from, end: end) != nil { return }  // masked by the generic patterns
    // `init_response <b64>`, `decoded response: …`, `uncoded initial reply: …`, `client response …`: the rest of the
    // line is the client's credential. Challenges (`challenge: …`) stay.
    var i = from
    while i < end {
      let t = line.skipBlanks(from: i)
      let tEnd = line.tokenEnd(from: t)
      guard t < tEnd else { break }
      var wordEnd = tEnd
      if line[wordEnd - 1] == 0x3A || line[wordEnd - 1] == 0x2C { wordEnd -= 1 }
      if (wordEnd - t >= 8 && line.equalsUppercase(wordEnd - 8, wordEnd, "RESPONSE"))
        || line.equalsUppercase(t, wordEnd, "REPLY")
      {
        let valueStart = line.skipBlanks(from: tEnd)
        if valueStart < line.trimmedEnd() && !MailLogScan.isAlreadyHidden(line, valueStart, line.trimmedEnd()) {
          spans.add(valueStart, end)
          local.count(.saslOther)
        }
        return
      }
      i = tEnd
    }
  }

  /// `<queue id>: <action>: header|body <message text> from <client>; from=<…> to=<…> proto=… helo=<…>[: text]`.
  private func headerOrBodyCheck(_ line: ByteLine, from m: Int, end: Int) {
    guard context.dropsBodies else { return }
    // Queue id, then the action word.
    let q = line.tokenEnd(from: m)
    guard q > m, line[q - 1] == 0x3A else { return }
    let a = line.skipBlanks(from: q)
    let aEnd = line.tokenEnd(from: a)
    guard aEnd - a >= 3, aEnd - a <= 12, line[aEnd - 1] == 0x3A else { return }
    let c = line.skipBlanks(from: aEnd)
    let cEnd = line.tokenEnd(from: c)
    guard line.equalsUppercase(c, cEnd, "HEADER") || line.equalsUppercase(c, cEnd, "BODY") else { return }
    let textStart = min(cEnd + 1, end)
    // The text ends at the last ` from <client>; from=<`; the text itself may contain anything.
    var textEnd = end
    var search = end
    while let at = MailLogScan.findLast(line, "; from=<", from: textStart, end: search) {
      var k = at - 1
      while k > textStart && line[k] != 0x20 { k -= 1 }  // start of <client>
      if k - 5 >= textStart && line.equalsUppercase(k - 5, k, " FROM") {
        textEnd = k - 5
        break
      }
      search = at
    }
    guard textEnd > textStart else { return }
    spans.add(textStart, textEnd)
    context.countDroppedBody(BodyCount(lines: 1, bytes: textEnd - textStart))
  }

  // MARK: Dovecot

  private func dovecot(_ line: ByteLine, _ p: SyslogPrefix) {
    let m = p.messageStart
    let end = line.count
    // `client in: AUTH	1	PLAIN	…	resp=<b64>` (resp= is a secret key) and `client in: CONT	1	<b64>`.
    if let cont = MailLogScan.find(line, "CONT", from: m, end: end), cont >= m + 4,
      line[cont - 4] == 0x69 && line[cont - 3] == 0x6E && line[cont - 2] == 0x3A && line[cont - 1] == 0x20
    {
      var i = cont + 4
      var field = 0
      while i < end && field < 2 {
        let sep = MailLogScan.separatorLength(line, at: i, end: end)
        guard sep > 0 else { break }
        i += sep
        let vEnd = MailLogScan.valueEnd(line, from: i, end: end)
        field += 1
        if field == 2 {
          if vEnd > i && !MailLogScan.isAlreadyHidden(line, i, vEnd) && !line.equalsUppercase(i, vEnd, "<HIDDEN>") {
            spans.add(i, vEnd)
            local.count(.saslOther)
          }
        }
        i = vEnd
      }
      return
    }
    if let request = MailLogScan.find(line, "REQUEST", from: m, end: end), request >= m + 4,
      line[request - 4] == 0x69 && line[request - 3] == 0x6E && line[request - 2] == 0x3A
    {
      // `master in: REQUEST	<id>	<client pid>	<client id>	<cookie>	…`: the cookie authenticates the request.
      var i = request + 7
      var field = 0
      while i < end && field < 4 {
        let sep = MailLogScan.separatorLength(line, at: i, end: end)
        guard sep > 0 else { break }
        i += sep
        let vEnd = MailLogScan.valueEnd(line, from: i, end: end)
        field += 1
        if field == 4 && vEnd > i { spans.add(i, vEnd) }
        i = vEnd
      }
      return
    }
    // `SCHEME(given) != 'stored'` (auth_debug_passwords): both sides are passwords.
    if MailLogScan.find(line, "!= '", from: m, end: end) != nil, let ne = MailLogScan.findLast(line, ") != '", from: m, end: end) {
      var open = ne
      if let prefixEnd = MailLogScan.find(line, "): ", from: m, end: ne) {
        var k = prefixEnd + 3
        while k < ne && line[k] != 0x28 { k += 1 }
        open = k
      } else {
        var k = m
        while k < ne && line[k] != 0x28 { k += 1 }
        open = k
      }
      if open < ne {
        spans.add(open + 1, ne)
        local.count(.passwordField)
      }
      let storedStart = ne + 6
      let storedEnd = MailLogScan.lastIndex(of: 0x27, line, from: storedStart, end: end) ?? end
      if storedEnd > storedStart { spans.add(storedStart, storedEnd) }
    }
    // `Credentials: <hex>` (the password or a password-equivalent hash, in hex).
    if let at = MailLogScan.find(line, "Credentials: ", from: m, end: end), at + 13 < end {
      spans.add(at + 13, MailLogScan.valueEnd(line, from: at + 13, end: end))
      local.count(.passwordField)
    }
    // `Username character disallowed by auth_username_chars: 0x22 (username: "…")`: a user name that failed may be a
    // password typed into the wrong field.
    MailLogScan.maskAfter("(username: ", upToLast: 0x29, line, from: m, end: end, kind: .passwordField, spans: &spans, counters: &local)
  }

  // MARK: Output

  @inline(__always) private func keep(_ line: ByteLine, _ terminator: LineTerminator) {
    context.output.keep(line.base, line.count + terminator.length)
  }

  private func emitMarker(_ body: BodyCount, context markerContext: [UInt8], terminator: LineTerminator) {
    context.countDroppedBody(body)
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: markerContext)
    out.append(contentsOf: BodyMarker.text(body))
    context.emit(out, terminator: terminator == .none ? .lf : terminator)
  }

  /// A line without a syslog prefix: only its stamp (if any) survives.
  private func unparsable(_ line: ByteLine, _ terminator: LineTerminator) {
    context.report.unparsedLines += 1
    out.removeAll(keepingCapacity: true)
    if let stamp = SyslogPrefix.timestampEnd(line) {
      out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: stamp))
      out.append(0x20)
    }
    out.append(contentsOf: MaskText.stars.bytes)
    context.emit(out, terminator: terminator)
  }
}

/// The parsed prefix of a syslog or Dovecot `log_path` line.
struct SyslogPrefix {
  enum Kind { case postfix, dovecot, other }
  var kind: Kind
  /// The program name (`postfix/smtpd`, `dovecot`, `auth`, `imap(user)<…>`), without `[pid]` and `:`.
  var programStart: Int
  var programEnd: Int
  /// End of `program[pid]` (before the colon).
  var pidEnd: Int
  /// Where the program's message starts.
  var messageStart: Int
  /// Postfix's SMTP/LMTP client (`smtp`, `lmtp`): `>` lines are its commands.
  var postfixIsClient: Bool

  /// Parses `stamp [host] program[pid]: message`. Nil when the line has no such prefix.
  static func parse(_ line: ByteLine) -> SyslogPrefix? {
    guard let stampEnd = timestampEnd(line), stampEnd < line.count, line[stampEnd] == 0x20 else { return nil }
    let t1 = line.skipBlanks(from: stampEnd)
    let t1End = line.tokenEnd(from: t1)
    guard t1End > t1 else { return nil }
    if line[t1End - 1] == 0x3A && t1End - t1 >= 2 {
      // Dovecot's own log file: `stamp service: Level: message`.
      return make(line, programStart: t1, programColon: t1End - 1, hasHost: false)
    }
    let t2 = line.skipBlanks(from: t1End)
    let t2End = line.tokenEnd(from: t2)
    guard t2End - t2 >= 2, line[t2End - 1] == 0x3A else { return nil }
    return make(line, programStart: t2, programColon: t2End - 1, hasHost: true)
  }

  private static func make(_ line: ByteLine, programStart: Int, programColon: Int, hasHost: Bool) -> SyslogPrefix {
    var nameEnd = programColon
    if line[programColon - 1] == 0x5D, let open = MailLogScan.lastIndex(of: 0x5B, line, from: programStart, end: programColon) {
      nameEnd = open
    }
    let messageStart = min(line.skipBlanks(from: programColon + 1), line.count)
    var kind: Kind = .other
    var isClient = false
    let n = nameEnd - programStart
    if n >= 7 && line.hasUppercasePrefix(programStart, nameEnd, "POSTFIX") {
      kind = .postfix
      var slash = nameEnd - 1
      while slash > programStart && line[slash] != 0x2F { slash -= 1 }
      isClient = line[slash] == 0x2F
        && (line.equalsUppercase(slash + 1, nameEnd, "SMTP") || line.equalsUppercase(slash + 1, nameEnd, "LMTP"))
    } else if !hasHost || line.hasUppercasePrefix(programStart, nameEnd, "DOVECOT") {
      kind = .dovecot
    }
    return SyslogPrefix(
      kind: kind, programStart: programStart, programEnd: nameEnd, pidEnd: programColon, messageStart: messageStart,
      postfixIsClient: isClient)
  }

  /// End of a leading stamp: `Mmm dd hh:mm:ss[.frac]`, `Mmm  d …`, or ISO 8601 / RFC 3339
  /// (`YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]`).
  static func timestampEnd(_ line: ByteLine) -> Int? {
    let n = line.count
    guard n >= 15 else { return nil }
    @inline(__always) func digit(_ i: Int) -> Bool { i < n && line[i].isASCIIDigit }
    @inline(__always) func clock(_ i: Int) -> Bool {
      digit(i) && digit(i + 1) && i + 2 < n && line[i + 2] == 0x3A && digit(i + 3) && digit(i + 4) && i + 5 < n
        && line[i + 5] == 0x3A && digit(i + 6) && digit(i + 7)
    }
    func fraction(_ i: Int) -> Int {
      guard i < n, line[i] == 0x2E || line[i] == 0x2C, digit(i + 1) else { return i }
      var k = i + 1
      while digit(k) { k += 1 }
      return k
    }
    let c0 = line[0] | 0x20
    if (c0 &- 0x61) < 26 && ((line[1] | 0x20) &- 0x61) < 26 && ((line[2] | 0x20) &- 0x61) < 26 && line[3] == 0x20 {
      var i = 4
      if line[i] == 0x20 { i += 1 }
      guard digit(i) else { return nil }
      i += 1
      if digit(i) { i += 1 }
      guard i < n, line[i] == 0x20, clock(i + 1) else { return nil }
      return fraction(i + 9)
    }
    if digit(0) && digit(1) && digit(2) && digit(3) && line[4] == 0x2D && digit(5) && digit(6) && line[7] == 0x2D
      && digit(8) && digit(9) && (line[10] == 0x54 || line[10] == 0x20) && clock(11)
    {
      var i = fraction(19)
      if i < n && line[i] == 0x5A {
        i += 1
      } else if i < n && (line[i] == 0x2B || line[i] == 0x2D) && digit(i + 1) && digit(i + 2) {
        i += 3
        if i < n && line[i] == 0x3A { i += 1 }
        if digit(i) && digit(i + 1) { i += 2 }
      }
      return i
    }
    return nil
  }
}
