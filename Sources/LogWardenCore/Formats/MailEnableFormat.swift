#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MailEnable SMTP activity logs (`SMTP-Activity-yymmdd.log`): one tab-separated row per command and its reply.
///
/// ```
/// 04/22/11 13:15:49	SMTP-IN	DB5317C3680B4A4F8FB7660F65307C96.MAI	208	127.0.0.1	AUTH	AUTH LOGIN	334 VXNlcm5hbWU6	18	12
/// 04/22/11 13:15:49	SMTP-IN	DB5317C3680B4A4F8FB7660F65307C96.MAI	208	127.0.0.1	AUTH	cGFzc3dvcmQ=	235 Authenticated	19	14	mailmaster@Java3
/// ```
/// Columns: date and time (one column, or two), `SMTP-IN`/`SMTP-OU`, message file, connection number, remote
/// address, verb, the client's line, the server's reply, bytes out, bytes in, authenticated user and, on some rows,
/// the message subject. Each row's client line and reply go through the SMTP engine, one session per connection
/// number and direction; a session starts at EHLO/HELO. Since the message itself is never logged, DATA accepted
/// with 354 is closed right away. Versions up to 1.9x logged the AUTH LOGIN answers (the password in base64); 8.x
/// writes `{blank}`, which stays. A client column under an `AUTH` verb that is not the AUTH command itself is masked
/// whatever the session state. The subject column is message content: masked when bodies are dropped.
/// The `[date]***** LOG FILE STARTED *****` banner stays; any other row of another shape is written as `****`.
public final class MailEnableFormat: LogFormat {
  public static let name = "mailenable"
  public static let summary = "MailEnable SMTP activity logs (one row per command and reply; AUTH answers of old versions)"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    let named = fileName.uppercased().hasPrefix("SMTP-ACTIVITY")
    guard let base = head.baseAddress?.assumingMemoryBound(to: UInt8.self), head.count > 0 else { return named ? 60 : 0 }
    var start = 0
    var rows = 0
    var lines = 0
    while start < head.count && lines < 20 {
      var end = start
      while end < head.count && base[end] != 0x0A { end += 1 }
      if end >= head.count && start > 0 { break }
      var n = end - start
      if n > 0 && base[start + n - 1] == 0x0D { n -= 1 }
      if n > 0 {
        let line = ByteLine(base: base + start, count: n)
        if !isBanner(line) {
          lines += 1
          if Row.parse(line) != nil { rows += 1 }
        }
      }
      start = end + 1
    }
    if rows > 0 && rows * 4 >= lines * 3 { return named ? 95 : 90 }
    return named ? 60 : 0
  }

  /// `[01/02/26 09:00:00]****************** LOG FILE STARTED *******************`
  static func isBanner(_ line: ByteLine) -> Bool {
    guard line.count > 2, line[0] == 0x5B, let close = MailLogScan.find(line, "]", from: 1, end: min(line.count, 40))
    else { return false }
    for k in 1..<close where !(line[k].isASCIIDigit || line[k] == 0x2F || line[k] == 0x3A || line[k] == 0x20) { return false }
    return close + 1 < line.count && line[close + 1] == 0x2A
  }

  /// Column positions of one row (at most `Row.maxColumns`, the rest of the line stays in the last one).
  struct Row {
    static let maxColumns = 16
    var typeIndex: Int
    var isOutbound: Bool
    var columns: Int

    /// Splits `line` at TABs into `starts`/`ends` (each holding `maxColumns` entries).
    static func parse(_ line: ByteLine, starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>) -> Row? {
      var columns = 0
      var i = 0
      while columns < maxColumns {
        starts[columns] = i
        let tab = i < line.count ? memchr(line.base + i, 0x09, line.count - i) : nil
        let k = tab.map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - line.base } ?? line.count
        ends[columns] = k
        columns += 1
        guard k < line.count else { break }
        i = k + 1
      }
      if columns == maxColumns { ends[columns - 1] = line.count }
      // `MM/DD/YY HH:MM:SS` in one column, or date and time in two.
      guard ends[0] - starts[0] >= 8, line[starts[0]].isASCIIDigit, line[starts[0] + 2] == 0x2F else { return nil }
      let typeIndex = (ends[0] - starts[0] >= 17) ? 1 : 2
      guard columns >= typeIndex + 7 else { return nil }
      let t = starts[typeIndex]
      let tEnd = ends[typeIndex]
      guard line.hasUppercasePrefix(t, tEnd, "SMTP-") else { return nil }
      let outbound = line.equalsUppercase(t, tEnd, "SMTP-OU") || line.equalsUppercase(t, tEnd, "SMTP-OUT")
      return Row(typeIndex: typeIndex, isOutbound: outbound, columns: columns)
    }

    static func parse(_ line: ByteLine) -> Row? {
      let starts = UnsafeMutablePointer<Int>.allocate(capacity: maxColumns)
      let ends = UnsafeMutablePointer<Int>.allocate(capacity: maxColumns)
      defer {
        starts.deallocate()
        ends.deallocate()
      }
      return parse(line, starts: starts, ends: ends)
    }
  }

  private let context: FormatContext
  private let engine = ProtocolEngine(defaultProtocol: .smtp)
  private var spans = MaskSpans()
  private var local = SanitizeCounters()
  private var out: [UInt8] = []
  private let starts = UnsafeMutablePointer<Int>.allocate(capacity: Row.maxColumns)
  private let ends = UnsafeMutablePointer<Int>.allocate(capacity: Row.maxColumns)

  public var counters: SanitizeCounters {
    var total = engine.counters
    for k in 0..<total.credentials.count { total.credentials[k] += local.credentials[k] }
    total.alreadyMasked += local.alreadyMasked
    return total
  }

  public init(context: FormatContext) { self.context = context }

  deinit {
    starts.deallocate()
    ends.deallocate()
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    if line.count == 0 || Self.isBanner(line) {
      keep(line, terminator)
      return
    }
    guard let row = Row.parse(line, starts: starts, ends: ends) else {
      context.report.unparsedLines += 1
      context.emit(MaskText.stars.bytes, terminator: terminator)
      return
    }
    let t = row.typeIndex
    let (ns, ne) = (starts[t + 2], ends[t + 2])
    let (vs, ve) = (starts[t + 4], ends[t + 4])
    let (cs, ce) = (starts[t + 5], ends[t + 5])
    let (rs, re) = (starts[t + 6], ends[t + 6])
    spans.reset()
    var key = fnv1a(line.base + ns, ne - ns)
    if row.isOutbound { key = ~key }
    let verbIsAuth = line.equalsUppercase(vs, ve, "AUTH")
    let clientIsHidden = MailLogScan.isAlreadyHidden(line, cs, ce)
    let client = ByteLine(base: line.base + cs, count: clientIsHidden ? 0 : ce - cs)
    let startsSession = line.equalsUppercase(vs, ve, "EHLO") || line.equalsUppercase(vs, ve, "HELO")
      || line.hasUppercasePrefix(cs, ce, "EHLO") || line.hasUppercasePrefix(cs, ce, "HELO")
    if startsSession { engine.forget(session: key) }
    // A session first seen in this file joined mid-way, unless its row is plainly a command: the client column
    // starts with the verb column (`AUTH` / `AUTH LOGIN`), which a SASL answer never does.
    let isCommandRow = ve > vs && ce - cs >= ve - vs && line.equalsUppercaseBytes(cs, cs + (ve - vs), vs)
      && (ce - cs == ve - vs || line[cs + (ve - vs)] == 0x20)
    // (`isStart` only matters when the session is new.)
    let isStart = startsSession || isCommandRow

    // The client's line, unless it is the lone `.` MailEnable may log for the end of a message.
    if !(ce - cs == 1 && line[cs] == 0x2E) {
      let verdict = engine.process(session: key, isStart: isStart, direction: .client, line: client)
      spans.add(verdict, at: cs, length: client.count)
      if verbIsAuth && !clientIsHidden && verdict.isUnchanged && !line.hasUppercasePrefix(cs, ce, "AUTH") && ce > cs {
        // An answer under an AUTH verb is a credential whatever the session state says.
        spans.add(cs, ce)
        local.count(.saslOther)
      }
      if clientIsHidden && verbIsAuth && ce > cs { local.alreadyMasked += 1 }
    }
    let reply = ByteLine(base: line.base + rs, count: re - rs)
    _ = engine.process(session: key, isStart: isStart, direction: .server, line: reply)
    if re - rs >= 3 && line[rs] == 0x33 && line[rs + 1] == 0x35 && line[rs + 2] == 0x34 {
      // 354: the message follows but is not logged; end it so the next row's command is read as a command.
      let dot: StaticString = "."
      _ = engine.process(session: key, isStart: false, direction: .client, line: ByteLine(base: dot.utf8Start, count: 1))
    }
    if line.equalsUppercase(vs, ve, "QUIT") { _ = engine.close(session: key) }
    if context.dropsBodies, t + 10 < row.columns, case let (ss, se) = (starts[t + 10], ends[t + 10]), se > ss {
      spans.add(ss, se)
      context.countDroppedBody(BodyCount(lines: 1, bytes: se - ss))
    }
    MailLogScan.maskGeneric(line, from: rs, end: re, spans: &spans, counters: &local)
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
    // No message content is ever logged, so no body run can be open.
  }

  @inline(__always) private func keep(_ line: ByteLine, _ terminator: LineTerminator) {
    context.output.keep(line.base, line.count + terminator.length)
  }
}

extension ByteLine {
  /// Whether `[start, end)` equals the bytes at `other` of the same line, ignoring ASCII case.
  fileprivate func equalsUppercaseBytes(_ start: Int, _ end: Int, _ other: Int) -> Bool {
    guard end <= count, other + (end - start) <= count else { return false }
    for k in 0..<(end - start) where self[start + k].asciiUppercased != self[other + k].asciiUppercased { return false }
    return true
  }
}
