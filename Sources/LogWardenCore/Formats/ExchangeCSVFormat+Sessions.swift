/// Sessions of Exchange CSV protocol logs for `share`: the `session-id`/`sessionId` column keys a session (the same id
/// continues across hourly/daily files), the first column is the row's UTC time, and the endpoints, `user`,
/// `data`/`parameters` and `context` columns can hold identities.
extension ExchangeCSVFormat: SessionAwareFormat {
  public static func makeInspector(fileName: String) -> any LineInspector { ExchangeCSVLineInspector() }

  public static func sessionKey(forID id: String) -> UInt64? {
    var bytes = Array(id.utf8)
    while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
    while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
    guard !bytes.isEmpty else { return nil }
    return bytes.withUnsafeBufferPointer { ExchangeCSVLineInspector.key($0.baseAddress!, $0.count) }
  }
}

/// Reads Exchange CSV rows for `share`. Follows the `#Fields:` line (or the bare field-name row) like the format does.
final class ExchangeCSVLineInspector: LineInspector {
  private let splitter = CSVRowSplitter()
  private var firstLine = true
  private var fieldCount = 9
  private var timeIndex = 0
  private var sessionIndex = 2
  private var endpointIndexes: [Int] = [4, 5]
  private var userIndex = -1
  private var textIndexes: [Int] = [7, 8]

  /// The session key of an id: 16 hex digits (Exchange's form) are the key itself, anything else is hashed
  /// case-insensitively.
  static func key(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    if n == 16, let value = hexValue16(p) { return value }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for k in 0..<n {
      h ^= UInt64(p[k].asciiUppercased)
      h = h &* 0x100_0000_01b3
    }
    return h
  }

  func inspect(_ line: ByteLine, into facts: inout LineFacts) {
    var body = line
    if firstLine {
      firstLine = false
      if line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
        body = ByteLine(base: line.base + 3, count: line.count - 3)
      }
    }
    if body.count == 0 {
      facts.role = .header
      return
    }
    if body[0] == 0x23 /* # */ {
      facts.role = .header
      if body.hasUppercasePrefix(0, body.count, "#FIELDS:") { configure(body, from: body.skipBlanks(from: 8)) }
      return
    }
    if body.hasUppercasePrefix(0, body.count, "DATETIME,SESSIONID,")
      || body.hasUppercasePrefix(0, body.count, "DATE-TIME,")
    {
      facts.role = .header
      configure(body, from: 0)
      return
    }
    // An entry. A row that does not split into the expected columns has no session; all of it is free text.
    guard splitter.split(body), splitter.count == fieldCount else {
      facts.fields.append(.init(kind: .text, start: 0, end: line.count))
      return
    }
    let offset = line.count - body.count
    if timeIndex >= 0 {
      let f = splitter[timeIndex]
      facts.timestamp = LineTimestamp.parseISO8601(body.base, f.start, f.end)
    }
    if sessionIndex >= 0 {
      let f = splitter[sessionIndex]
      var s = f.start
      var e = f.end
      if f.quoted {
        s += 1
        e -= 1
      }
      if e > s { facts.session = Self.key(body.base + s, e - s) }
    }
    for index in endpointIndexes where index >= 0 {
      let f = splitter[index]
      facts.fields.append(.init(kind: .endpoint, start: offset + f.start, end: offset + f.end))
    }
    if userIndex >= 0 {
      let f = splitter[userIndex]
      facts.fields.append(.init(kind: .user, start: offset + f.start, end: offset + f.end))
    }
    for index in textIndexes where index >= 0 {
      let f = splitter[index]
      facts.fields.append(.init(kind: .text, start: offset + f.start, end: offset + f.end))
    }
  }

  private func configure(_ body: ByteLine, from: Int) {
    let names = ExchangeCSVFormat.fieldNames(in: body, from: from)
    func index(_ candidates: String...) -> Int { names.firstIndex { candidates.contains($0) } ?? -1 }
    fieldCount = names.count
    timeIndex = index("date-time", "datetime")
    sessionIndex = index("session-id", "sessionid")
    endpointIndexes = [index("local-endpoint", "sip"), index("remote-endpoint", "cip")]
    userIndex = index("user")
    textIndexes = [index("data"), index("parameters"), index("command"), index("context")]
    // Columns not named above that are neither times, ids nor numbers could still carry names: treat them as text.
    let known: Set<String> = [
      "date-time", "datetime", "session-id", "sessionid", "sequence-number", "seqnumber", "local-endpoint", "sip",
      "remote-endpoint", "cip", "user", "event", "data", "parameters", "command", "context", "duration", "rqsize",
      "rpsize", "connector-id",
    ]
    for (i, name) in names.enumerated() where !known.contains(name) { textIndexes.append(i) }
  }
}
