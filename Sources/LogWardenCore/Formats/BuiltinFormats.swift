/// Every built-in log format. Add a new format here; detection asks each in turn and takes the most confident.
public enum BuiltinFormats {
  public static let all: [any LogFormat.Type] = [
    ExchangeCSVFormat.self,
    Exchange55PopImapFormat.self,
    Exchange55IMSFormat.self,
    IISW3CFormat.self,
    IISNCSAFormat.self,
    POP3ArrowFormat.self,
    TranscriptFormat.self,
    MailSyslogFormat.self,
    DovecotRawlogFormat.self,
    HMailServerFormat.self,
    MailEnableFormat.self,
    MDaemonFormat.self,
    GenericFallbackFormat.self,
  ]

  /// The format used when detection finds nothing: never copies a line unsanitized.
  public static let fallback: any LogFormat.Type = GenericFallbackFormat.self

  /// The format registered under `name`.
  public static func named(_ name: String) -> (any LogFormat.Type)? {
    all.first { $0.name == name }
  }

  /// The most confident format for a file, or nil when none recognises it.
  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> (any LogFormat.Type)? {
    var best: (any LogFormat.Type)? = nil
    var bestScore = 0
    for format in all {
      let score = format.detect(head: head, fileName: fileName)
      if score > bestScore {
        best = format
        bestScore = score
      }
    }
    return best
  }
}
