/// Protocol transcripts as RFCs, articles and support tickets write them: `S: ` before server lines, `C: ` before
/// client lines, one session per file.
///
/// ```
/// S: +OK test.com Mail Server
/// C: USER test
/// C: PASS secret
/// ```
/// The protocol (SMTP, POP3 or IMAP) is recognised from the first replies and commands. A transcript that begins
/// with a client line is treated as joined mid-way. Blank lines stay; any other line is masked.
public final class TranscriptFormat: LogFormat {
  public static let name = "transcript"
  public static let summary = "'S: ' / 'C: ' protocol transcripts (one session, SMTP, POP3 or IMAP)"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int {
    var marked = 0
    var clients = 0
    var other = 0
    for bytes in DetectionText.byteLines(head, maxLines: 60) {
      DetectionText.withLine(bytes) { line in
        if line.trimmedEnd() == 0 { return }
        switch parse(line) {
        case .client?:
          marked += 1
          clients += 1
        case .server?: marked += 1
        case nil: other += 1
        }
      }
    }
    guard marked >= 3, clients >= 1, marked >= 4 * other else { return 0 }
    return 60
  }

  /// `S:`/`C:` followed by a space or the line's end.
  static func parse(_ line: ByteLine) -> Direction? {
    guard line.count >= 2, line[1] == 0x3A, line.count == 2 || line[2] == asciiSpace else { return nil }
    switch line[0] {
    case 0x43: return .client
    case 0x53: return .server
    default: return nil
    }
  }

  private let context: FormatContext
  private let writer: ProtocolLineWriter

  public var counters: SanitizeCounters { writer.engine.counters }
  /// Vendor profile: `ProtocolLineWriter` applies the pseudonyms, client text by position.
  public static var rewritesIdentities: Bool { true }

  public init(context: FormatContext) {
    self.context = context
    writer = ProtocolLineWriter(context: context, engine: ProtocolEngine(defaultProtocol: .unknown))
  }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    guard let direction = Self.parse(line) else {
      if line.trimmedEnd() == 0 {
        writer.keep(line, terminator)
      } else {
        writer.maskUnparsable(line, terminator, keepPrefix: 0)
      }
      return
    }
    writer.write(
      line, terminator, textStart: min(3, line.count), session: 0, isStart: direction == .server,
      direction: direction, proto: nil)
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }
  public func finish() { writer.finish() }
}
