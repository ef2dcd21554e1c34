/// Everything a format needs while it processes one input.
public final class FormatContext {
  public let profile: SanitizeProfile
  public let output: OutputWriter
  public var report: FileReport
  /// The input's file name (no directories), for formats that key on it.
  public let fileName: String
  /// The line ending seen most recently, for lines the format writes itself.
  public var lastTerminator: LineTerminator = .lf

  /// Set under the `vendor` profile. Formats that know their columns use it directly and set
  /// `rewritesIdentities`; for the others the driver rewrites every written line as free text.
  public let identities: IdentityRewriter?

  /// Set by the driver under the vendor profile when a second core is available: formats that render identities
  /// themselves hand costly rows to it instead of rendering them inline (it writes them in order, on its thread).
  public var renderPipeline: DeferredRowPipeline? = nil

  public init(
    profile: SanitizeProfile, output: OutputWriter, report: FileReport, fileName: String,
    identities: IdentityRewriter? = nil
  ) {
    self.profile = profile
    self.output = output
    self.report = report
    self.fileName = fileName
    self.identities = identities
  }

  /// Whether message bodies are dropped under the current profile.
  public var dropsBodies: Bool { profile.dropsBodies }

  /// Counts a body run that was removed.
  public func countDroppedBody(_ body: BodyCount) {
    report.bodyLinesDropped += body.lines
    report.bodyBytesDropped += body.bytes
  }

  /// Writes a line the format built, with the input's line ending.
  public func emit(_ bytes: [UInt8], terminator: LineTerminator) {
    switch terminator {
    case .none: output.append(bytes)
    case .lf: output.append(bytes + [0x0A])
    case .crlf: output.append(bytes + [0x0D, 0x0A])
    }
  }

  /// Writes a line the format built in `bytes`, appending the line ending to it first (one write, no copy).
  public func emit(consuming bytes: inout [UInt8], terminator: LineTerminator) {
    switch terminator {
    case .none: break
    case .lf: bytes.append(0x0A)
    case .crlf:
      bytes.append(0x0D)
      bytes.append(0x0A)
    }
    output.append(bytes)
  }
}

/// A log format: recognises its files, and rewrites them line by line in their own shape.
///
/// One format per file, registered in `BuiltinFormats.all`. A format parses the line's framing (CSV fields,
/// timestamps, direction arrows, session ids), hands the protocol text to a `ProtocolEngine`, and writes the result
/// back in the same syntax. A line it cannot parse is masked whole, never copied.
public protocol LogFormat: AnyObject {
  /// Kebab-case name used by `--format` and in reports.
  static var name: String { get }
  /// One line for `logwarden formats`.
  static var summary: String { get }
  /// How sure the format is that a file starting with `head` and named `fileName` is its own: 0 (no) to 100.
  static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int
  init(context: FormatContext)
  /// Processes one line (without its terminator).
  func process(_ line: ByteLine, _ terminator: LineTerminator)
  /// A line longer than the reader's limit: `prefix` is its start, `length` what was seen so far.
  func overlong(prefix: ByteLine, length: Int)
  /// End of input: emit what is still pending (markers of open bodies).
  func finish()
  /// Credentials counted by the format's engine(s), added to the report at the end.
  var counters: SanitizeCounters { get }
  /// True when the format applies `context.identities` itself, column by column (faster and protocol-aware).
  static var rewritesIdentities: Bool { get }
}

extension LogFormat {
  public static var rewritesIdentities: Bool { false }
}

extension LogFormat {
  /// Default for overlong lines: one masked line, counted as unparsed.
  public func overlongDefault(context: FormatContext) {
    context.report.unparsedLines += 1
    context.emit(MaskText.stars.bytes, terminator: context.lastTerminator == .none ? .lf : context.lastTerminator)
  }
}
