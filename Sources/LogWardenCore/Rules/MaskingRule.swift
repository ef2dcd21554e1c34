/// A client command as the engine hands it to a rule: positions inside `line`, nothing copied.
public struct ClientCommand {
  public let line: ByteLine
  public let proto: MailProtocol
  /// The IMAP tag, or an empty range.
  public let tagStart: Int
  public let tagEnd: Int
  public let verbStart: Int
  public let verbEnd: Int
  /// First non-blank byte after the verb (== line.count when there are no arguments).
  public let argumentsStart: Int

  public var hasArguments: Bool { argumentsStart < line.trimmedEnd() }

  /// Where the token after the first argument starts, or nil when there is at most one argument.
  public var secondArgumentStart: Int? {
    let end = line.trimmedEnd()
    guard argumentsStart < end else { return nil }
    let next = line.skipBlanks(from: line.tokenEnd(from: argumentsStart))
    return next < end ? next : nil
  }
}

extension LineVerdict {
  /// Masks a secret running from `start` to the end of the line, counting it as `kind`; a server's own mask
  /// (`*****`) is left alone and counted as already masked.
  mutating func maskCredential(in line: ByteLine, from start: Int, as kind: CredentialKind, counters: inout SanitizeCounters) {
    let end = line.trimmedEnd()
    guard start < end else { return }
    if line.isAllStars(start, end) {
      counters.alreadyMasked += 1
      return
    }
    mask(start, line.count)
    counters.count(kind)
  }
}

/// A sanitizing rule triggered by a client command verb.
///
/// Rules are small types in one registered list (`BuiltinRules.all`). A rule masks spans of the command line and may
/// move the session into a state (a SASL exchange, a message upload) that the engine then follows line by line.
public protocol MaskingRule: Sendable {
  /// Kebab-case identifier, unique across rules.
  static var identifier: String { get }
  /// One sentence saying exactly what the rule changes.
  static var summary: String { get }
  /// The verbs (upper-case) that trigger the rule, per protocol.
  static var triggers: [(MailProtocol, String)] { get }
  /// Masks what the command carries and updates the session.
  static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters)
  /// Transcripts that show the rule working; they double as tests.
  static var examples: [RuleExample] { get }
}

/// A protocol transcript and what the sanitizer must turn it into.
///
/// Lines start with `C: ` (client) or `S: ` (server). In `expected`, a removed body appears as one line
/// `[logwarden: body removed: N lines; M bytes]` before the line that ended it.
public struct RuleExample: Sendable {
  public let proto: MailProtocol
  public let input: [String]
  public let expected: [String]
  /// Profile the example runs under (bodies are dropped under `.level4`).
  public let profile: SanitizeProfile
  public let line: UInt

  public init(
    _ proto: MailProtocol, _ input: [String], _ expected: [String], profile: SanitizeProfile = .level4,
    line: UInt = #line
  ) {
    self.proto = proto
    self.input = input
    self.expected = expected
    self.profile = profile
    self.line = line
  }
}
