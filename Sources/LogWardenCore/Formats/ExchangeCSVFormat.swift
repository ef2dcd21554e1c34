/// Exchange 2007–2019 CSV protocol logs: SMTP Receive / Send, and POP3 / IMAP4 in both schemas.
///
/// ```
/// #Software: Microsoft Exchange Server
/// #Log-type: SMTP Receive Protocol Log
/// #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
/// 2023-01-11T16:00:03.115Z,EX\Default Frontend EX,123453EC62278461,12,10.0.0.1:25,192.0.2.7:56026,<,AUTH LOGIN,
/// ```
/// The `#Fields:` line (or the bare field-name row of the 2013+ POP/IMAP log) drives parsing. Sessions interleave and
/// are keyed by `session-id`/`sessionId`; the `event` column gives the direction (`<` received by Exchange, `>` sent;
/// reversed in Send logs, where Exchange is the client). The 2013+ POP/IMAP schema logs one row per command
/// (`command`, `parameters`); each row is analysed as a complete command. Output keeps every header line, column and
/// quoting rule; only the `data`/`parameters` fields change, and one marker row replaces a dropped body.
public final class ExchangeCSVFormat: LogFormat {
  public static let name = "exchange-csv"
  public static let summary = "Exchange 2007-2019 CSV protocol logs (SMTP Receive/Send, POP3/IMAP4 both schemas)"
  /// Under the vendor profile each column gets the rewriting it needs (endpoints, user names, commands, free text).
  public static let rewritesIdentities = true

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    let text = String(decoding: head.prefix(4096), as: UTF8.self)
    if text.contains("#Fields: date-time,connector-id,session-id") || text.contains("#Software: Microsoft Exchange") {
      return 95
    }
    if text.hasPrefix("dateTime,sessionId,seqNumber") || text.hasPrefix("\u{FEFF}dateTime,sessionId,seqNumber") {
      return 95
    }
    let upper = fileName.uppercased()
    let namedLikeExchange =
      (upper.hasPrefix("RECV") || upper.hasPrefix("SEND") || upper.hasPrefix("POP3") || upper.hasPrefix("IMAP4"))
      && upper.contains(".LOG")
    // Rows like 2023-01-11T15:59:51.433Z,... among the first lines that are not blank (a fragment saved by
    // PowerShell starts with a BOM and an empty line; a pasted one may start mid-row).
    let rows =
      text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
      .map { $0.drop { $0 == "\u{FEFF}" || $0 == " " || $0 == "\t" || $0 == "\r" } }
      .filter { !$0.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }
      .prefix(3)
    let looksLikeRow = rows.contains { row in
      row.count > 25 && row.dropFirst(10).first == "T" && row.contains("Z,") && row.filter { $0 == "," }.count >= 5
    }
    if looksLikeRow { return namedLikeExchange ? 80 : 60 }
    return 0
  }

  /// Which CSV schema the file uses.
  enum Schema {
    /// date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
    case transport
    /// dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context
    case popImap
  }

  private let context: FormatContext
  private let engine: ProtocolEngine
  private let splitter = CSVRowSplitter()
  private var scratch: [UInt8] = []
  private var virtualLine: [UInt8] = []
  private var rendered: [UInt8] = []
  private var out: [UInt8] = []

  private var schema: Schema = .transport
  private var fieldCount = 9
  private var sessionIndex = 2
  private var sequenceIndex = 3
  private var localEndpointIndex = 4
  private var remoteEndpointIndex = 5
  private var contextIndex = 8
  private var userIndex = -1
  private var eventIndex = 6
  private var dataIndex = 7
  private var commandIndex = -1
  private var parametersIndex = -1
  /// Exchange is the SMTP client (Send logs): `>` rows are client lines. Nil until the `#Log-type:` line or the file
  /// name tells, or the first SMTP reply shows which side it came from (a fragment without its header).
  private var exchangeIsClient: Bool? = nil
  private var fileProtocol: MailProtocol = .unknown

  public var counters: SanitizeCounters { engine.counters + contextScanner.counters }
  /// Finds `password=…`-style secrets in the free-text `context` column.
  private lazy var contextScanner = GenericFallbackFormat(context: context)
  /// The current row's `context` column with secrets masked, when it had any.
  private var maskedContextColumn: [UInt8]? = nil
  /// `context.identities`, held without reference counting on the per-field path (the context keeps it alive).
  private unowned(unsafe) let identities: IdentityRewriter?

  public init(context: FormatContext) {
    self.context = context
    self.identities = context.identities
    self.renderPipeline = context.renderPipeline
    let upper = context.fileName.uppercased()
    if upper.hasPrefix("SEND") {
      exchangeIsClient = true
      fileProtocol = .smtp
    } else if upper.hasPrefix("RECV") {
      exchangeIsClient = false
      fileProtocol = .smtp
    } else if upper.hasPrefix("POP3") {
      fileProtocol = .pop3
    } else if upper.hasPrefix("IMAP4") {
      fileProtocol = .imap
    }
    // Exchange logs raw protocol bytes converted from ISO-8859-1 to UTF-8, and CR/LF inside a field as `\r`/`\n`.
    engine = ProtocolEngine(defaultProtocol: fileProtocol, logging: .exchange)
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    // The driver takes a byte-order mark off the first line (and writes it back), so a line is its own body.
    let body = line
    if body.count == 0 {
      keep(line, terminator)
      return
    }
    if body[0] == 0x23 /* # */ {
      header(line, body, terminator)
      return
    }
    guard splitter.split(body) else {
      unparsable(line, body, terminator)
      return
    }
    if isFieldNameRow(body) && ExchangeHeaderValues.isFieldList(body, from: 0) {
      configure(fieldsIn: body, from: 0)
      keep(line, terminator)
      return
    }
    guard splitter.count == fieldCount else {
      unparsable(line, body, terminator)
      return
    }
    switch schema {
    case .transport: transportRow(line, body, terminator)
    case .popImap: popImapRow(line, body, terminator)
    }
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }

  public func finish() {
    for open in engine.drainOpenBodies() where context.dropsBodies {
      emitMarker(open.body, context: open.context, terminator: context.lastTerminator)
    }
  }

  // MARK: Header lines

  private func header(_ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator) {
    if body.hasUppercasePrefix(0, body.count, "#FIELDS:") {
      let from = body.skipBlanks(from: 8)
      guard ExchangeHeaderValues.isFieldList(body, from: 8) else { return maskedHeader(line, body, nameLength: 8, terminator) }
      configure(fieldsIn: body, from: from)
      keep(line, terminator)
    } else if body.hasUppercasePrefix(0, body.count, "#LOG-TYPE:") {
      guard ExchangeHeaderValues.isLabel(body, from: 10) else { return maskedHeader(line, body, nameLength: 10, terminator) }
      let value = String(decoding: UnsafeBufferPointer(start: body.base + 10, count: body.count - 10), as: UTF8.self)
        .split(separator: " ").joined(separator: " ").lowercased()
      if value.contains("smtp send") {
        exchangeIsClient = true
        fileProtocol = .smtp
      } else if value.contains("smtp receive") {
        exchangeIsClient = false
        fileProtocol = .smtp
      } else if value.hasPrefix("pop3") {
        fileProtocol = .pop3
      } else if value.hasPrefix("imap4") || value.hasPrefix("imap") {
        fileProtocol = .imap
      }
      keep(line, terminator)
    } else if body.hasUppercasePrefix(0, body.count, "#SOFTWARE:") {
      guard ExchangeHeaderValues.isLabel(body, from: 10) else { return maskedHeader(line, body, nameLength: 10, terminator) }
      keep(line, terminator)
    } else if body.hasUppercasePrefix(0, body.count, "#VERSION:") {
      guard ExchangeHeaderValues.isVersion(body, from: 9) else { return maskedHeader(line, body, nameLength: 9, terminator) }
      keep(line, terminator)
    } else if body.hasUppercasePrefix(0, body.count, "#DATE:") {
      guard ExchangeHeaderValues.isDate(body, from: 6) else { return maskedHeader(line, body, nameLength: 6, terminator) }
      keep(line, terminator)
    } else {
      // Not a header Exchange writes: never copy it blindly.
      maskedHeader(line, body, nameLength: 1, terminator)
    }
  }

  /// A header line whose value is not what Exchange writes there: its name (the first `nameLength` bytes) is kept,
  /// the value becomes `****`, and it counts as a line that could not be parsed.
  private func maskedHeader(_ line: ByteLine, _ body: ByteLine, nameLength: Int, _ terminator: LineTerminator) {
    context.report.unparsedLines += 1
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: line.count - body.count + nameLength))
    if nameLength > 1 { out.append(0x20) }
    out.append(contentsOf: MaskText.stars.bytes)
    context.emit(consuming: &out, terminator: terminator)
  }

  private func isFieldNameRow(_ body: ByteLine) -> Bool {
    body.hasUppercasePrefix(0, body.count, "DATETIME,SESSIONID,") || body.hasUppercasePrefix(0, body.count, "DATE-TIME,")
  }

  /// Reads the column layout from a `#Fields:` value or a bare field-name row.
  /// The lower-cased column names of a `#Fields:` value or a bare field-name row, from byte `from` on.
  static func fieldNames(in body: ByteLine, from: Int) -> [String] {
    var names: [String] = []
    var current: [UInt8] = []
    for k in from..<body.count {
      let c = body[k]
      if c == 0x2C {
        names.append(String(decoding: current, as: UTF8.self).trimmingSpaces.lowercased())
        current.removeAll()
      } else {
        current.append(c)
      }
    }
    names.append(String(decoding: current, as: UTF8.self).trimmingSpaces.lowercased())
    return names
  }

  private func configure(fieldsIn body: ByteLine, from: Int) {
    let names = Self.fieldNames(in: body, from: from)
    fieldCount = names.count
    func index(_ candidates: String...) -> Int { names.firstIndex { candidates.contains($0) } ?? -1 }
    sessionIndex = index("session-id", "sessionid")
    sequenceIndex = index("sequence-number", "seqnumber")
    localEndpointIndex = index("local-endpoint", "sip")
    remoteEndpointIndex = index("remote-endpoint", "cip")
    contextIndex = index("context")
    userIndex = index("user")
    eventIndex = index("event")
    dataIndex = index("data")
    commandIndex = index("command")
    parametersIndex = index("parameters")
    schema = (commandIndex >= 0 && parametersIndex >= 0 && eventIndex < 0) ? .popImap : .transport
    vendorRenderer = nil
    if schema == .transport && (eventIndex < 0 || dataIndex < 0) {
      // A layout we cannot interpret: every row will be masked.
      fieldCount = -1
    }
  }

  // MARK: Rows

  private func sessionKey(_ body: ByteLine) -> UInt64 {
    guard sessionIndex >= 0 else { return 0 }
    let f = splitter[sessionIndex]
    let n = f.end - f.start
    if n == 16 && !f.quoted, let value = hexValue16(body.base + f.start) { return value }
    return fnv1a(body.base + f.start, n)
  }

  private func protocolHint(_ body: ByteLine) -> MailProtocol {
    if fileProtocol != .unknown || localEndpointIndex < 0 { return fileProtocol }
    // 2007/2010 POP3/IMAP4 logs share the SMTP schema; the local port tells the protocol.
    let f = splitter[localEndpointIndex]
    var k = f.end - 1
    while k > f.start && body[k].isASCIIDigit { k -= 1 }
    guard k >= f.start, body[k] == 0x3A, let port = body.decimal(k + 1, f.end) else { return .unknown }
    switch port {
    case 110, 995: return .pop3
    case 143, 993: return .imap
    case 25, 465, 587, 2525, 475, 717: return .smtp
    default: return .unknown
    }
  }

  /// Masks secrets written as `key=value` in the context column (free text: descriptions, TLS details, user names).
  private func scanContextColumn(_ body: ByteLine) {
    maskedContextColumn = contextIndex >= 0 ? maskedKeyValues(inColumn: contextIndex, body) : nil
  }

  /// The data column of an information row with `key=value` secrets masked, or nil when it has none.
  private func scanInformationData(_ body: ByteLine) -> [UInt8]? {
    dataIndex >= 0 ? maskedKeyValues(inColumn: dataIndex, body) : nil
  }

  /// Column `index`'s content with `key=value` secrets and URL passwords masked, or nil when it has none.
  private func maskedKeyValues(inColumn index: Int, _ body: ByteLine) -> [UInt8]? {
    guard index < splitter.count else { return nil }
    let field = splitter[index]
    guard field.end > field.start else { return nil }
    var hasSeparator = false
    for k in field.start..<field.end where body[k] == 0x3D || body[k] == 0x3A {
      hasSeparator = true
      break
    }
    guard hasSeparator else { return nil }
    let (pointer, length, usesScratch) = CSVRowSplitter.content(of: field, in: body, scratch: &scratch)
    var verdict = LineVerdict()
    var rendered: [UInt8] = []
    func scan(_ p: UnsafePointer<UInt8>, _ n: Int) {
      let text = ByteLine(base: p, count: n)
      contextScanner.scanKeyValues(text, &verdict)
      if !verdict.isUnchanged { verdict.render(text, dropBodies: false, into: &rendered) }
    }
    if usesScratch { scratch.withUnsafeBufferPointer { scan($0.baseAddress!, $0.count) } } else { scan(pointer, length) }
    return verdict.isUnchanged ? nil : rendered
  }

  /// A column's content (unquoted).
  private func contentOfColumn(_ index: Int, _ body: ByteLine) -> [UInt8] {
    guard index >= 0 && index < splitter.count else { return [] }
    let (pointer, length, usesScratch) = CSVRowSplitter.content(of: splitter[index], in: body, scratch: &scratch)
    return usesScratch ? scratch : Array(UnsafeBufferPointer(start: pointer, count: length))
  }

  /// Writes the row with its context column replaced by `maskedContextColumn` (and `newData` for the data column).
  private func rowWithMaskedContext(_ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator, newData: [UInt8]?) {
    guard let maskedContext = maskedContextColumn else { return }
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: line.count - body.count))
    for i in 0..<splitter.count {
      if i > 0 { out.append(0x2C) }
      let field = splitter[i]
      if i == contextIndex {
        CSVRowSplitter.appendField(maskedContext, to: &out)
      } else if i == dataIndex, let newData {
        CSVRowSplitter.appendField(newData, to: &out)
      } else {
        out.append(contentsOf: UnsafeBufferPointer(start: body.base + field.start, count: field.end - field.start))
      }
    }
    context.emit(consuming: &out, terminator: terminator)
  }

  private func transportRow(_ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator) {
    scanContextColumn(body)
    let eventField = splitter[eventIndex]
    guard eventField.end - eventField.start == 1 else {
      unparsable(line, body, terminator)
      return
    }
    let event = body[eventField.start]
    let key = sessionKey(body)
    switch event {
    case 0x2B:  // + connect
      engine.begin(session: key, protocolHint: protocolHint(body))
      keepRow(line, body, terminator, role: .text)
      return
    case 0x2D:  // - disconnect
      if let (open, markerContext) = engine.close(session: key), context.dropsBodies {
        emitMarker(open, context: markerContext, terminator: terminator)
      }
      keepRow(line, body, terminator, role: .text)
      return
    case 0x2A:  // * information
      if sequenceIndex >= 0 {
        let s = splitter[sequenceIndex]
        if body.decimal(s.start, s.end) == 0 { engine.begin(session: key, protocolHint: protocolHint(body)) }
      }
      // Information rows carry text, not commands: secrets written as key=value there are masked too.
      if let maskedData = scanInformationData(body) {
        if identities != nil {
          vendorRow(line, body, terminator, newData: maskedData, role: .information)
        } else {
          if maskedContextColumn == nil { maskedContextColumn = contentOfColumn(contextIndex, body) }
          rowWithMaskedContext(line, body, terminator, newData: maskedData)
        }
        return
      }
      keepRow(line, body, terminator, role: .information)
      return
    case 0x3C, 0x3E:  // < received, > sent
      break
    default:
      unparsable(line, body, terminator)
      return
    }
    let dataField = splitter[dataIndex]
    let (pointer, length, usesScratch) = CSVRowSplitter.content(of: dataField, in: body, scratch: &scratch)
    let direction =
      usesScratch
      ? scratch.withUnsafeBufferPointer { self.direction(of: event, ByteLine(base: $0.baseAddress ?? pointer, count: $0.count), key, body) }
      : self.direction(of: event, ByteLine(base: pointer, count: length), key, body)
    var isStart = false
    if sequenceIndex >= 0 {
      let s = splitter[sequenceIndex]
      isStart = body.decimal(s.start, s.end) == 0
    }
    let verdict: LineVerdict
    if direction == nil {
      // A reply row (by the header) that is no SMTP reply: not what the header says it is, so not kept.
      context.report.unparsedLines += 1
      var masked = LineVerdict()
      masked.maskWhole = true
      verdict = masked
    } else if usesScratch {
      verdict = scratch.withUnsafeBufferPointer { buffer in
        analyse(key: key, isStart: isStart, direction: direction!, data: ByteLine(base: buffer.baseAddress ?? pointer, count: buffer.count), body: body)
      }
    } else {
      verdict = analyse(key: key, isStart: isStart, direction: direction!, data: ByteLine(base: pointer, count: length), body: body)
    }
    let role: DataRole = direction == .server ? .reply : .command
    userNamePrefix = verdict.userNamePrefix
    if verdict.isUnchanged && verdict.bodyEnded == nil {
      keepRow(line, body, terminator, role: role)
      return
    }
    if verdict.bodyStarted && context.dropsBodies {
      // Remember this row's columns up to the data field: the marker row reuses them.
      engine.rememberMarkerContext(rowPrefix(line, body, upTo: dataIndex), for: key)
    }
    if let ended = verdict.bodyEnded, context.dropsBodies {
      emitMarker(ended, context: engine.markerContext(for: key), terminator: terminator)
    }
    if verdict.isBody && context.dropsBodies { return }
    if verdict.isUnchanged && !(verdict.bodyPrefix > 0 && context.dropsBodies) {
      keepRow(line, body, terminator, role: role)
      return
    }
    // Re-render the data field.
    rendered.removeAll(keepingCapacity: true)
    if usesScratch {
      scratch.withUnsafeBufferPointer { buffer in
        verdict.render(ByteLine(base: buffer.baseAddress ?? pointer, count: buffer.count), dropBodies: context.dropsBodies, into: &rendered)
      }
    } else {
      verdict.render(ByteLine(base: pointer, count: length), dropBodies: context.dropsBodies, into: &rendered)
    }
    if identities != nil {
      vendorRow(line, body, terminator, newData: rendered, role: role)
      return
    }
    if maskedContextColumn != nil {
      rowWithMaskedContext(line, body, terminator, newData: rendered)
      return
    }
    out.removeAll(keepingCapacity: true)
    let prefixLength = line.count - body.count
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: prefixLength + dataField.start))
    CSVRowSplitter.appendField(rendered, to: &out)
    out.append(contentsOf: UnsafeBufferPointer(start: body.base + dataField.end, count: body.count - dataField.end))
    context.emit(consuming: &out, terminator: terminator)
  }

  // MARK: Vendor profile: identities column by column

  typealias DataRole = ExchangeDataRole

  /// Writes a row that the masking left unchanged: as it is, or with identities rewritten under the vendor profile.
  private func keepRow(_ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator, role: DataRole) {
    if identities == nil {
      if maskedContextColumn != nil {
        rowWithMaskedContext(line, body, terminator, newData: nil)
        return
      }
      keep(line, terminator)
    } else {
      vendorRow(line, body, terminator, newData: nil, role: role)
    }
  }

  /// The row's bytes up to (not including) field `upTo`, as they are (the vendor profile rewrites the marker row
  /// built from them when it is written).
  private func rowPrefix(_ line: ByteLine, _ body: ByteLine, upTo index: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: line.base, count: line.count - body.count + splitter[index].start))
  }

  /// The vendor renderer for the current column layout (a new one per `#Fields:` line).
  private var vendorRenderer: ExchangeVendorRowRenderer? = nil
  /// `context.renderPipeline` (a `let`, so the per-row path needs no reference counting for it).
  private let renderPipeline: DeferredRowPipeline?

  private func makeVendorRenderer(_ identities: IdentityRewriter) -> ExchangeVendorRowRenderer {
    let layout = ExchangeColumnLayout(
      schema: schema, sessionIndex: sessionIndex, localEndpointIndex: localEndpointIndex, remoteEndpointIndex: remoteEndpointIndex,
      contextIndex: contextIndex, userIndex: userIndex, dataIndex: dataIndex, commandIndex: commandIndex,
      parametersIndex: parametersIndex)
    let renderer = ExchangeVendorRowRenderer(layout: layout, identities: identities)
    vendorRenderer = renderer
    return renderer
  }

  /// Writes a row under the vendor profile: rendered here, or handed to the context's render pipeline (the other
  /// core) together with what the masking decided.
  private func vendorRow(
    _ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator, newData: [UInt8]?, role: DataRole,
    newCommand: [UInt8]? = nil
  ) {
    vendorRow(
      line, body, terminator, newData: newData, role: role, newCommand: newCommand,
      maskedContext: maskedContextColumn, userNamePrefix: userNamePrefix)
  }

  private func vendorRow(
    _ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator, newData: [UInt8]?, role: DataRole,
    newCommand: [UInt8]?, maskedContext maskedContextColumn: [UInt8]?, userNamePrefix: Int
  ) {
    guard let identities else { return }
    let renderer = vendorRenderer ?? makeVendorRenderer(identities)
    let prefixLength = line.count - body.count
    if let pipeline = renderPipeline {
      // Kept runs still pending in the writer go first: output order is submission order.
      context.output.flushRun()
      let row = DeferredRow(terminator: terminator, tag: role.rawValue, number: userNamePrefix << 2 | prefixLength)
      let whole = UnsafeBufferPointer(start: line.base, count: line.count)
      if newData == nil && newCommand == nil && maskedContextColumn == nil {
        pipeline.submit(row, renderer: renderer, whole)
        return
      }
      withOptionalBuffers(newData, newCommand, maskedContextColumn) { data, command, masked in
        pipeline.submit(row, renderer: renderer, whole, data, command, masked)
      }
      return
    }
    withOptionalBuffers(newData, newCommand, maskedContextColumn) { data, command, masked in
      out.removeAll(keepingCapacity: true)
      renderer.renderRow(
        line, prefixLength: prefixLength, newData: data, newCommand: command, maskedContext: masked, role: role,
        userNamePrefix: userNamePrefix, into: &out)
    }
    context.emit(consuming: &out, terminator: terminator)
  }

  /// From the current row's verdict: a user name at the start of the data (an IMAP literal).
  private var userNamePrefix = 0

  /// Who wrote a `<`/`>` row: the `event` and whether Exchange is the client give it. Exchange writes every SMTP reply
  /// with its code, so a row that should be a reply but is not one (a Send log read as a Receive log, an edited
  /// header) gets nil: it is masked, not trusted. Without a `#Log-type:` line the first SMTP reply tells the sides
  /// apart; until then a row that is no reply is analysed as a client line.
  private func direction(of event: UInt8, _ data: ByteLine, _ key: UInt64, _ body: ByteLine) -> Direction? {
    let sentByExchange = event == 0x3E
    let isReply = data.hasSMTPReplyCode(at: 0)
    guard let exchangeIsClient else {
      let hint = protocolHint(body)
      // Exchange is always the POP3/IMAP4 server.
      if hint == .pop3 || hint == .imap { return sentByExchange ? .server : .client }
      guard isReply else { return .client }
      exchangeIsClient = !sentByExchange
      return .server
    }
    let direction: Direction = sentByExchange == exchangeIsClient ? .client : .server
    guard direction == .server, !isReply, data.skipBlanks(from: 0) < data.count else { return direction }
    let hint = protocolHint(body)
    let isSMTP = hint == .smtp || (hint == .unknown && engine.sessionProtocol(key) == .smtp)
    return isSMTP ? nil : direction
  }

  private func analyse(key: UInt64, isStart: Bool, direction: Direction, data: ByteLine, body: ByteLine) -> LineVerdict {
    engine.process(session: key, isStart: isStart, direction: direction, line: data, protocolHint: protocolHint(body))
  }

  /// 2013+ POP3/IMAP4 rows: one command per row, `command` and `parameters` columns.
  private func popImapRow(_ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator) {
    scanContextColumn(body)
    let key = sessionKey(body)
    let commandField = splitter[commandIndex]
    let parametersField = splitter[parametersIndex]
    // The command line as the client sent it: "command parameters".
    virtualLine.removeAll(keepingCapacity: true)
    let (cp, cl, cs) = CSVRowSplitter.content(of: commandField, in: body, scratch: &scratch)
    if cs { virtualLine.append(contentsOf: scratch) } else { virtualLine.append(contentsOf: UnsafeBufferPointer(start: cp, count: cl)) }
    let commandLength = virtualLine.count
    if commandLength > 0 { virtualLine.append(0x20) }
    let parametersOffset = virtualLine.count
    let (pp, pl, ps) = CSVRowSplitter.content(of: parametersField, in: body, scratch: &scratch)
    if ps { virtualLine.append(contentsOf: scratch) } else { virtualLine.append(contentsOf: UnsafeBufferPointer(start: pp, count: pl)) }
    if virtualLine.isEmpty {
      keepRow(line, body, terminator, role: .text)
      return
    }
    // Lifecycle pseudo-commands that carry nothing from the client.
    let isLifecycle = commandLength > 0 && virtualLine.withUnsafeBufferPointer { b in
      let l = ByteLine(base: b.baseAddress!, count: commandLength)
      return l.equalsUppercase(0, commandLength, "OPENSESSION") || l.equalsUppercase(0, commandLength, "PROXY")
    }
    if isLifecycle && virtualLine.count == commandLength {
      keepRow(line, body, terminator, role: .text)
      return
    }
    engine.forget(session: key)
    let proto = fileProtocol
    let verdict = virtualLine.withUnsafeBufferPointer { b in
      engine.process(session: key, isStart: true, direction: .client, line: ByteLine(base: b.baseAddress!, count: b.count), protocolHint: proto)
    }
    engine.forget(session: key)
    if verdict.isUnchanged {
      if identities != nil {
        vendorRow(line, body, terminator, newData: Array(virtualLine.dropFirst(parametersOffset)), role: .command)
      } else {
        keepRow(line, body, terminator, role: .text)
      }
      return
    }
    // Map the verdict back onto the two columns.
    var newCommand: [UInt8]? = nil
    var newParameters: [UInt8]
    if verdict.maskWhole || verdict.edits.contains(where: { $0.start < parametersOffset && commandLength > 0 }) {
      if commandLength > 0 { newCommand = MaskText.stars.bytes }
      newParameters = parametersOffset < virtualLine.count ? MaskText.stars.bytes : []
    } else {
      rendered.removeAll(keepingCapacity: true)
      virtualLine.withUnsafeBufferPointer { b in
        verdict.render(ByteLine(base: b.baseAddress!, count: b.count), dropBodies: false, into: &rendered)
      }
      newParameters = Array(rendered.dropFirst(parametersOffset))
    }
    if identities != nil {
      vendorRow(line, body, terminator, newData: newParameters, role: newCommand == nil ? .command : .text, newCommand: newCommand)
      return
    }
    out.removeAll(keepingCapacity: true)
    let prefixLength = line.count - body.count
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: prefixLength))
    var position = 0
    for index in 0..<splitter.count {
      let field = splitter[index]
      if index == commandIndex, let newCommand {
        out.append(contentsOf: UnsafeBufferPointer(start: body.base + position, count: field.start - position))
        CSVRowSplitter.appendField(newCommand, to: &out)
        position = field.end
      } else if index == parametersIndex {
        out.append(contentsOf: UnsafeBufferPointer(start: body.base + position, count: field.start - position))
        CSVRowSplitter.appendField(newParameters, to: &out)
        position = field.end
      } else if index == contextIndex, let maskedContext = maskedContextColumn {
        out.append(contentsOf: UnsafeBufferPointer(start: body.base + position, count: field.start - position))
        CSVRowSplitter.appendField(maskedContext, to: &out)
        position = field.end
      }
    }
    out.append(contentsOf: UnsafeBufferPointer(start: body.base + position, count: body.count - position))
    context.emit(consuming: &out, terminator: terminator)
    newParameters.removeAll()
  }

  // MARK: Output helpers

  @inline(__always) private func keep(_ line: ByteLine, _ terminator: LineTerminator) {
    context.output.keep(line.base, line.count + terminator.length)
  }

  private func emitMarker(_ body: BodyCount, context markerContext: [UInt8], terminator: LineTerminator) {
    context.countDroppedBody(body)
    var marker = markerContext
    marker.append(contentsOf: BodyMarker.text(body))
    // Empty columns after the data field.
    let trailing = max(0, fieldCount - dataIndex - 1)
    for _ in 0..<trailing { marker.append(0x2C) }
    let ending: LineTerminator = terminator == .none ? .crlf : terminator
    if identities != nil && !markerContext.isEmpty {
      // The remembered columns hold endpoints: the marker row is rendered like any other row.
      marker.withUnsafeBufferPointer { b in
        let row = ByteLine(base: b.baseAddress!, count: b.count)
        vendorRow(
          row, row, ending, newData: nil, role: .marker, newCommand: nil, maskedContext: nil, userNamePrefix: 0)
      }
      return
    }
    context.emit(marker, terminator: ending)
  }

  /// A row that cannot be parsed: written as a row with only its timestamp (if it has one) and `****` as data.
  private func unparsable(_ line: ByteLine, _ body: ByteLine, _ terminator: LineTerminator) {
    context.report.unparsedLines += 1
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: line.count - body.count))
    // Keep a leading timestamp: digits, '-', ':', 'T', '.', 'Z' only.
    var k = 0
    while k < body.count && k < 32 {
      let c = body[k]
      if c.isASCIIDigit || c == 0x2D || c == 0x3A || c == 0x54 || c == 0x2E || c == 0x5A { k += 1 } else { break }
    }
    let hasTimestamp = k >= 10 && k < body.count && body[k] == 0x2C
    if hasTimestamp { out.append(contentsOf: UnsafeBufferPointer(start: body.base, count: k)) }
    let columns = fieldCount > 0 ? fieldCount : 9
    let maskedColumn = schema == .popImap ? max(parametersIndex, 1) : max(dataIndex, 1)
    for column in 1..<columns {
      out.append(0x2C)
      if column == maskedColumn { out.append(contentsOf: MaskText.stars.bytes) }
      if schema == .transport && column == eventIndex { out.append(0x2A) }
    }
    context.emit(consuming: &out, terminator: terminator)
  }
}

extension String {
  /// The string without leading and trailing spaces and tabs.
  var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
    return String(s)
  }
}

/// Calls `body` with buffers over the arrays that are present (nil for the absent ones).
@inline(__always) func withOptionalBuffers<R>(
  _ a: [UInt8]?, _ b: [UInt8]?, _ c: [UInt8]?,
  _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R
) -> R {
  func with(_ array: [UInt8]?, _ next: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
    guard let array else { return next(nil) }
    return array.withUnsafeBufferPointer { next($0) }
  }
  return with(a) { pa in with(b) { pb in with(c) { pc in body(pa, pb, pc) } } }
}
