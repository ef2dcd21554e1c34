/// IIS / Exchange 2000–2003 SMTPSVC and NNTPSVC logs in NCSA common format.
///
/// ```
/// 61.47.65.115 - 207.250.64.66 [11/Oct/2006:13:16:41 -0600] "MAIL -?+FROM:+<keith@example.com> SMTP" 250 46
/// 205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:16:39 -0600] "- -?220-mx.example.com+ESMTP SMTP" 0 82
/// ```
/// `host ident user [time] "method stem?query version" status bytes`; the user is the HELO argument or the
/// outbound pseudo-user, as in the W3C layout. Rows are analysed by `IISCommandAnalyzer`; only the method, stem and
/// query inside the quoted request change. A line that does not have this shape is written as `****`.
public final class IISNCSAFormat: LogFormat {
  public static let name = "iis-smtp-ncsa"
  public static let summary = "IIS / Exchange 2000-2003 SMTPSVC and NNTPSVC logs, NCSA common ('\"MAIL -?+FROM:… SMTP\" 250')"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    var rows = 0
    var mail = 0
    for bytes in DetectionText.byteLines(head, maxLines: 40) {
      DetectionText.withLine(bytes) { line in
        guard let request = parse(line) else { return }
        rows += 1
        if let v = request.version,
          line.equalsUppercase(v.lowerBound, v.upperBound, "SMTP") || line.equalsUppercase(v.lowerBound, v.upperBound, "NNTP")
        {
          mail += 1
        }
      }
    }
    if mail >= 2 { return 90 }
    if mail == 1 { return 75 }
    return 0
  }

  /// The parts of one NCSA row.
  struct Request {
    var host: Range<Int>
    var user: Range<Int>
    var method: Range<Int>
    var stem: Range<Int>?
    var query: Range<Int>?
    var version: Range<Int>?
    var status: Int?
  }

  static func parse(_ line: ByteLine) -> Request? {
    let end = line.trimmedEnd()
    let hostEnd = line.tokenEnd(from: 0)
    guard hostEnd > 0, hostEnd < end else { return nil }
    let ident = hostEnd + 1
    let identEnd = line.tokenEnd(from: ident)
    let user = identEnd + 1
    guard user < end else { return nil }
    let userEnd = line.tokenEnd(from: user)
    guard userEnd + 1 < end, line[userEnd + 1] == 0x5B /* [ */,
      let close = line.firstIndex(of: 0x5D /* ] */, from: userEnd + 2, to: end),
      close + 2 < end, line[close + 1] == asciiSpace, line[close + 2] == 0x22,
      let lastQuote = line.lastIndex(of: 0x22, from: close + 3, to: end)
    else { return nil }
    let requestStart = close + 3
    let methodEnd = line.tokenEnd(from: requestStart)
    guard methodEnd > requestStart, methodEnd <= lastQuote else { return nil }
    var request = Request(host: 0..<hostEnd, user: user..<userEnd, method: requestStart..<min(methodEnd, lastQuote))
    if methodEnd < lastQuote {
      let lastSpace = line.lastIndex(of: asciiSpace, from: methodEnd, to: lastQuote) ?? methodEnd
      request.version = (lastSpace + 1)..<lastQuote
      // "method version" has no target; "method stem?query version" has one.
      guard lastSpace > methodEnd else {
        let statusStart = line.skipBlanks(from: lastQuote + 1)
        request.status = line.decimal(statusStart, line.tokenEnd(from: statusStart))
        return request
      }
      let targetEnd = lastSpace
      let target = methodEnd + 1
      if let q = line.firstIndex(of: 0x3F /* ? */, from: target, to: targetEnd) {
        request.stem = target..<q
        request.query = (q + 1)..<targetEnd
      } else {
        request.stem = target..<targetEnd
      }
    }
    let statusStart = line.skipBlanks(from: lastQuote + 1)
    request.status = line.decimal(statusStart, line.tokenEnd(from: statusStart))
    return request
  }

  private let context: FormatContext
  private let analyzer = IISCommandAnalyzer()
  private var out: [UInt8] = []

  public var counters: SanitizeCounters { analyzer.counters }

  public init(context: FormatContext) { self.context = context }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    if line.trimmedEnd() == 0 {
      context.output.keep(line.base, line.count + terminator.length)
      return
    }
    guard !line.containsControlBytes(from: 0, to: line.count), let request = Self.parse(line) else {
      context.report.unparsedLines += 1
      context.emit(MaskText.stars.bytes, terminator: terminator)
      return
    }
    var row = IISCommandAnalyzer.Row()
    row.clientIP = request.host
    row.user = request.user
    row.method = request.method
    row.stem = request.stem
    row.query = request.query
    row.status = request.status
    if let v = request.version { row.isNNTP = line.equalsUppercase(v.lowerBound, v.upperBound, "NNTP") }
    let changes = analyzer.analyze(line, row)
    if changes.isUnchanged {
      context.output.keep(line.base, line.count + terminator.length)
      return
    }
    out.removeAll(keepingCapacity: true)
    var position = 0
    func replace(_ range: Range<Int>, with bytes: [UInt8]) {
      out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: range.lowerBound - position))
      out.append(contentsOf: bytes)
      position = range.upperBound
    }
    if changes.maskMethod { replace(request.method, with: MaskText.stars.bytes) }
    if changes.maskStem, let stem = request.stem { replace(stem, with: MaskText.stars.bytes) }
    if let query = changes.query, let range = request.query { replace(range, with: query) }
    out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: line.count - position))
    context.emit(out, terminator: terminator)
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }
  public func finish() {}
}
