/// IIS / Exchange 2000–2003 SMTP (SMTPSVC) and NNTP (NNTPSVC) virtual server logs in W3C extended format.
///
/// ```
/// #Software: Microsoft Internet Information Services 6.0
/// #Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status …
/// 2006-10-09 05:00:16 24.118.118.106 36A42160 SMTPSVC1 MEE-PDC 192.168.1.2 0 MAIL - +FROM:+<a@example.net> 250 …
/// ```
/// The `#Fields:` line drives the columns (layouts are configurable). Rows are analysed by `IISCommandAnalyzer`; only
/// `cs-method`, `cs-uri-stem` and `cs-uri-query` ever change, every other column and directive stays. A row whose
/// column count does not match the layout keeps its date and time, and gets `****` as method and `-` elsewhere.
public final class IISW3CFormat: LogFormat {
  public static let name = "iis-smtp-w3c"
  public static let summary = "IIS / Exchange 2000-2003 SMTPSVC and NNTPSVC logs, W3C extended (#Fields: … cs-method …)"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    let lines = DetectionText.lines(head, maxLines: 40)
    var fields: String? = nil
    var iis = false
    var mail = false
    for line in lines {
      if line.hasPrefix("#Fields:") { fields = line }
      if line.hasPrefix("#Software: Microsoft Internet Information Services") { iis = true }
      if !line.hasPrefix("#")
        && (line.contains("SMTPSVC") || line.contains("NNTPSVC") || line.contains(" SMTP ") || line.contains(" NNTP ")
          || line.hasSuffix(" SMTP") || line.hasSuffix(" NNTP") || line.contains("OutboundConnection"))
      {
        mail = true
      }
    }
    guard let fields, fields.contains("cs-method") || fields.contains("cs-uri-query") else { return 0 }
    if mail { return 90 }
    return iis ? 30 : 20
  }

  private let context: FormatContext
  private let analyzer = IISCommandAnalyzer()
  private var out: [UInt8] = []
  /// Field boundaries of the current row. Fixed buffers behind `let`s: no exclusivity checks per field.
  private static let maxFields = 128
  private let starts = UnsafeMutablePointer<Int>.allocate(capacity: maxFields)
  private let ends = UnsafeMutablePointer<Int>.allocate(capacity: maxFields)
  private var splitCount = 0

  private var fieldCount = 0
  private var dateIndex = -1
  private var timeIndex = -1
  private var clientIPIndex = -1
  private var userIndex = -1
  private var methodIndex = -1
  private var stemIndex = -1
  private var queryIndex = -1
  private var statusIndex = -1
  private var versionIndex = -1
  private var siteIndex = -1

  public var counters: SanitizeCounters { analyzer.counters }

  public init(context: FormatContext) { self.context = context }

  deinit {
    starts.deallocate()
    ends.deallocate()
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    if line.trimmedEnd() == 0 {
      keep(line, terminator)
      return
    }
    let binary = line.containsControlBytes(from: 0, to: line.count)
    if line[0] == 0x23 /* # */ && !binary {
      directive(line, terminator)
      return
    }
    guard !binary, fieldCount > 0, split(line), splitCount == fieldCount else {
      unparsable(line, terminator)
      return
    }
    var row = IISCommandAnalyzer.Row()
    row.clientIP = range(clientIPIndex)
    row.user = range(userIndex)
    row.method = range(methodIndex)
    row.stem = range(stemIndex)
    row.query = range(queryIndex)
    if let status = range(statusIndex) { row.status = line.decimal(status.lowerBound, status.upperBound) }
    if let version = range(versionIndex) {
      row.isNNTP = line.equalsUppercase(version.lowerBound, version.upperBound, "NNTP")
    } else if let site = range(siteIndex) {
      row.isNNTP = line.hasUppercasePrefix(site.lowerBound, site.upperBound, "NNTPSVC")
    }
    if methodIndex < 0 {
      // A layout without the verb: the query cannot be interpreted, so it never goes out.
      if let q = row.query, !(q.count == 1 && line[q.lowerBound] == 0x2D) {
        write(line, terminator, IISCommandAnalyzer.Changes(query: MaskText.stars.bytes))
      } else {
        keep(line, terminator)
      }
      return
    }
    let changes = analyzer.analyze(line, row)
    if changes.isUnchanged {
      keep(line, terminator)
    } else {
      write(line, terminator, changes)
    }
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }
  public func finish() {}

  // MARK: Directives

  private func directive(_ line: ByteLine, _ terminator: LineTerminator) {
    let n = line.count
    if line.hasUppercasePrefix(0, n, "#FIELDS:") {
      configure(line, from: 8)
      keep(line, terminator)
    } else if line.hasUppercasePrefix(0, n, "#SOFTWARE:") || line.hasUppercasePrefix(0, n, "#VERSION:")
      || line.hasUppercasePrefix(0, n, "#DATE:") || line.hasUppercasePrefix(0, n, "#START-DATE:")
      || line.hasUppercasePrefix(0, n, "#END-DATE:")
    {
      keep(line, terminator)
    } else if line.hasUppercasePrefix(0, n, "#REMARK:") {
      out.removeAll(keepingCapacity: true)
      out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: 8))
      if line.skipBlanks(from: 8) < line.trimmedEnd() { out.append(contentsOf: Array(" ****".utf8)) }
      context.emit(out, terminator: terminator)
    } else {
      context.report.unparsedLines += 1
      context.emit(Array("#****".utf8), terminator: terminator)
    }
  }

  private func configure(_ line: ByteLine, from: Int) {
    fieldCount = 0
    dateIndex = -1
    timeIndex = -1
    clientIPIndex = -1
    userIndex = -1
    methodIndex = -1
    stemIndex = -1
    queryIndex = -1
    statusIndex = -1
    versionIndex = -1
    siteIndex = -1
    let end = line.trimmedEnd()
    var i = line.skipBlanks(from: from)
    while i < end {
      let e = line.tokenEnd(from: i)
      let index = fieldCount
      if line.equalsUppercase(i, e, "DATE") { dateIndex = index }
      else if line.equalsUppercase(i, e, "TIME") { timeIndex = index }
      else if line.equalsUppercase(i, e, "C-IP") { clientIPIndex = index }
      else if line.equalsUppercase(i, e, "CS-USERNAME") { userIndex = index }
      else if line.equalsUppercase(i, e, "CS-METHOD") { methodIndex = index }
      else if line.equalsUppercase(i, e, "CS-URI-STEM") { stemIndex = index }
      else if line.equalsUppercase(i, e, "CS-URI-QUERY") { queryIndex = index }
      else if line.equalsUppercase(i, e, "SC-STATUS") { statusIndex = index }
      else if line.equalsUppercase(i, e, "CS-VERSION") { versionIndex = index }
      else if line.equalsUppercase(i, e, "S-SITENAME") { siteIndex = index }
      fieldCount += 1
      i = line.skipBlanks(from: e)
    }
  }

  // MARK: Rows

  /// Splits a row at single spaces (trailing blanks ignored). Returns false for an empty row or too many fields.
  private func split(_ line: ByteLine) -> Bool {
    splitCount = 0
    let end = line.trimmedEnd()
    guard end > 0 else { return false }
    let starts = self.starts
    let ends = self.ends
    var n = 0
    var i = 0
    while n < Self.maxFields {
      var j = i
      while j < end && line[j] != asciiSpace { j += 1 }
      starts[n] = i
      ends[n] = j
      n += 1
      if j >= end {
        splitCount = n
        return true
      }
      i = j + 1
    }
    return false
  }

  @inline(__always) private func range(_ index: Int) -> Range<Int>? {
    index >= 0 && index < splitCount ? starts[index]..<ends[index] : nil
  }

  private func write(_ line: ByteLine, _ terminator: LineTerminator, _ changes: IISCommandAnalyzer.Changes) {
    out.removeAll(keepingCapacity: true)
    var position = 0
    for index in 0..<splitCount {
      let replacement: [UInt8]?
      if index == methodIndex && changes.maskMethod || index == stemIndex && changes.maskStem {
        replacement = MaskText.stars.bytes
      } else if index == queryIndex {
        replacement = changes.query
      } else {
        replacement = nil
      }
      guard let replacement else { continue }
      out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: starts[index] - position))
      out.append(contentsOf: replacement)
      position = ends[index]
    }
    out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: line.count - position))
    context.emit(out, terminator: terminator)
  }

  @inline(__always) private func keep(_ line: ByteLine, _ terminator: LineTerminator) {
    context.output.keep(line.base, line.count + terminator.length)
  }

  /// A row that does not fit the layout: date and time (if they look like them) stay, the method is `****`, every
  /// other column `-`. Without a layout: `****`.
  private func unparsable(_ line: ByteLine, _ terminator: LineTerminator) {
    context.report.unparsedLines += 1
    guard fieldCount > 0 else {
      context.emit(MaskText.stars.bytes, terminator: terminator)
      return
    }
    _ = split(line)
    out.removeAll(keepingCapacity: true)
    for index in 0..<fieldCount {
      if index > 0 { out.append(asciiSpace) }
      if (index == dateIndex || index == timeIndex), let r = range(index), isTimestampText(line, r) {
        out.append(contentsOf: UnsafeBufferPointer(start: line.base + r.lowerBound, count: r.count))
      } else if index == (methodIndex >= 0 ? methodIndex : max(queryIndex, 0)) {
        out.append(contentsOf: MaskText.stars.bytes)
      } else {
        out.append(0x2D)
      }
    }
    context.emit(out, terminator: terminator)
  }

  private func isTimestampText(_ line: ByteLine, _ r: Range<Int>) -> Bool {
    guard !r.isEmpty, r.count <= 12 else { return false }
    for k in r {
      let c = line[k]
      if !(c.isASCIIDigit || c == 0x2D || c == 0x3A || c == 0x2E) { return false }
    }
    return true
  }
}
