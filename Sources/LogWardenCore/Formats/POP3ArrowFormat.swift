/// POP3 session logs that mark each line with the client's address and a guillemet, as several Windows mail servers
/// write them:
///
/// ```
/// 192.168.1.1 » +OK test.com Mail Server v1 POP3
/// 192.168.1.1 « USER test
/// 192.168.1.1 « PASS secret
/// 192.168.1.1 *** test@test.com 7 2379188 00:00:29 OK
/// 192.168.1.1 Disconnected
/// ```
/// `«` is the client, `»` the server (UTF-8 or single-byte Latin-1/CP1252). Sessions are keyed by the address; one
/// first seen with a client line is treated as joined mid-way. `Disconnected` ends the session; the `***` summary
/// (user, messages, bytes, time, result) is the server's own and stays. Any other line is masked, keeping its address.
public final class POP3ArrowFormat: LogFormat {
  public static let name = "pop3-arrows"
  public static let summary = "POP3 session logs with '<ip> « client' / '<ip> » server' lines"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    var arrows = 0
    var other = 0
    var lifecycle = 0
    for bytes in DetectionText.byteLines(head, maxLines: 60) where !bytes.isEmpty {
      DetectionText.withLine(bytes) { line in
        switch parse(line) {
        case .client, .server: arrows += 1
        case .summary, .disconnected: lifecycle += 1
        case .unparsable: other += 1
        }
      }
    }
    guard arrows >= 2 && arrows + lifecycle > 3 * other else { return 0 }
    return lifecycle > 0 ? 90 : 80
  }

  enum Parsed {
    case client(key: Int, textStart: Int)
    case server(key: Int, textStart: Int)
    case summary(key: Int)
    case disconnected(key: Int)
    case unparsable
  }

  /// `key` is the end of the address token.
  static func parse(_ line: ByteLine) -> Parsed {
    let keyEnd = line.tokenEnd(from: 0)
    guard keyEnd > 0, keyEnd < line.count, line[keyEnd] == asciiSpace else { return .unparsable }
    let m = keyEnd + 1
    var markerEnd = m
    var client = false
    if m + 1 < line.count && line[m] == 0xC2 && (line[m + 1] == 0xAB || line[m + 1] == 0xBB) {
      client = line[m + 1] == 0xAB
      markerEnd = m + 2
    } else if m < line.count && (line[m] == 0xAB || line[m] == 0xBB) {
      client = line[m] == 0xAB
      markerEnd = m + 1
    } else if line.hasLiteral("***", at: m) {
      return .summary(key: keyEnd)
    } else if line.equalsUppercase(m, line.trimmedEnd(), "DISCONNECTED") {
      return .disconnected(key: keyEnd)
    } else {
      return .unparsable
    }
    guard markerEnd == line.count || line[markerEnd] == asciiSpace else { return .unparsable }
    let textStart = min(markerEnd + 1, line.count)
    return client ? .client(key: keyEnd, textStart: textStart) : .server(key: keyEnd, textStart: textStart)
  }

  private let context: FormatContext
  private let writer: ProtocolLineWriter

  public var counters: SanitizeCounters { writer.engine.counters }
  /// Vendor profile: `ProtocolLineWriter` applies the pseudonyms, client text by position.
  public static var rewritesIdentities: Bool { true }

  public init(context: FormatContext) {
    self.context = context
    writer = ProtocolLineWriter(context: context, engine: ProtocolEngine(defaultProtocol: .pop3))
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    switch Self.parse(line) {
    case .client(let keyEnd, let textStart):
      writer.write(
        line, terminator, textStart: textStart, session: fnv1a(line.base, keyEnd), isStart: false, direction: .client,
        proto: .pop3)
    case .server(let keyEnd, let textStart):
      writer.write(
        line, terminator, textStart: textStart, session: fnv1a(line.base, keyEnd), isStart: true, direction: .server,
        proto: .pop3)
    case .summary(let keyEnd):
      // `<ip> *** <user> <messages> <bytes> <time> <result>`
      let user = line.skipBlanks(from: keyEnd + 4)
      let userEnd = line.tokenEnd(from: user)
      writer.keepText(line, terminator, textStart: keyEnd + 1, user: user < userEnd ? user..<userEnd : nil)
    case .disconnected(let keyEnd):
      writer.close(session: fnv1a(line.base, keyEnd), terminator: terminator)
      writer.keep(line, terminator)
    case .unparsable:
      if line.trimmedEnd() == 0 {
        writer.keep(line, terminator)
        return
      }
      let keyEnd = line.tokenEnd(from: 0)
      let keepAddress = keyEnd > 0 && keyEnd <= 64 && keyEnd < line.count && isAddress(line, keyEnd)
      writer.maskUnparsable(line, terminator, keepPrefix: keepAddress ? keyEnd + 1 : 0)
    }
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }
  public func finish() { writer.finish() }

  /// An IPv4 or IPv6 address: hex digits, `.`, `:`, `[`, `]`, with at least one `.` or `:`. Anything else in the
  /// first column of a line that cannot be parsed could be the secret itself.
  private func isAddress(_ line: ByteLine, _ end: Int) -> Bool {
    var separators = 0
    for k in 0..<end {
      let c = line[k]
      if c == 0x2E || c == 0x3A {
        separators += 1
      } else if !(c.isASCIIHexDigit || c == 0x5B || c == 0x5D) {
        return false
      }
    }
    return separators > 0
  }
}
