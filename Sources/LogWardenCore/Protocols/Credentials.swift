/// The kinds of secret the sanitizer masks, as counted in summaries and reports.
public enum CredentialKind: Int, CaseIterable, Sendable {
  case pop3Password, apopDigest, imapLogin
  case saslPlain, saslLogin, saslCramMD5, saslDigestMD5, saslNTLM, saslGSSAPI, saslXOAUTH2, saslOAuthBearer
  case saslSCRAM, saslExternal, saslOther, exchangeAuth
  /// A client line whose command is not one of the protocol's: it may be a mistyped password.
  case unrecognizedCommand
  /// A client line of a session whose start was not seen (earlier file, evicted): it may be a SASL answer.
  case unknownSessionLine
  /// Extra arguments after a user name where a password may have been typed.
  case strayArgument
  /// Credential shapes found by the line-wise fallback or in debug logs (`password=…`, `Bearer …`, …).
  case passwordField, bearerToken, base64Blob

  /// The name used in summaries and JSON reports.
  public var name: String {
    switch self {
    case .pop3Password: return "pop3-pass"
    case .apopDigest: return "apop-digest"
    case .imapLogin: return "imap-login"
    case .saslPlain: return "sasl-plain"
    case .saslLogin: return "sasl-login"
    case .saslCramMD5: return "sasl-cram-md5"
    case .saslDigestMD5: return "sasl-digest-md5"
    case .saslNTLM: return "sasl-ntlm"
    case .saslGSSAPI: return "sasl-gssapi"
    case .saslXOAUTH2: return "sasl-xoauth2"
    case .saslOAuthBearer: return "sasl-oauthbearer"
    case .saslSCRAM: return "sasl-scram"
    case .saslExternal: return "sasl-external"
    case .saslOther: return "sasl-other"
    case .exchangeAuth: return "x-exps"
    case .unrecognizedCommand: return "unrecognized-command"
    case .unknownSessionLine: return "unknown-session-line"
    case .strayArgument: return "stray-argument"
    case .passwordField: return "password-field"
    case .bearerToken: return "bearer-token"
    case .base64Blob: return "base64-blob"
    }
  }

  /// Whether `[start, end)` can be a SASL mechanism name: a known one in any case, or 1–20 characters of upper-case
  /// letters, digits, `-` and `_` (RFC 4422 §3.1). Anything else (a base64 blob, a password typed where the
  /// mechanism goes, `PLAIN:<blob>`) is not kept as a name.
  static func isMechanismName(_ line: ByteLine, _ start: Int, _ end: Int) -> Bool {
    guard end > start, end - start <= 20 else { return false }
    if sasl(line, start, end) != .saslOther { return true }
    for i in start..<end {
      let c = line[i]
      guard (c &- 0x41) < 26 || c.isASCIIDigit || c == 0x2D || c == 0x5F else { return false }
    }
    return true
  }

  /// Maps a SASL mechanism name (bytes `[start, end)` of `line`) to its kind without allocating.
  static func sasl(_ line: ByteLine, _ start: Int, _ end: Int) -> CredentialKind {
    if line.equalsUppercase(start, end, "PLAIN") { return .saslPlain }
    if line.equalsUppercase(start, end, "LOGIN") { return .saslLogin }
    if line.equalsUppercase(start, end, "CRAM-MD5") { return .saslCramMD5 }
    if line.equalsUppercase(start, end, "DIGEST-MD5") { return .saslDigestMD5 }
    if line.equalsUppercase(start, end, "NTLM") { return .saslNTLM }
    if line.equalsUppercase(start, end, "GSSAPI") || line.equalsUppercase(start, end, "GSS-SPNEGO") { return .saslGSSAPI }
    if line.equalsUppercase(start, end, "XOAUTH2") { return .saslXOAUTH2 }
    if line.equalsUppercase(start, end, "OAUTHBEARER") { return .saslOAuthBearer }
    if line.hasUppercasePrefix(start, end, "SCRAM-") { return .saslSCRAM }
    if line.equalsUppercase(start, end, "EXTERNAL") { return .saslExternal }
    if line.equalsUppercase(start, end, "EXCHANGEAUTH") { return .exchangeAuth }
    return .saslOther
  }
}

/// Allocation-free counters the engine updates on the hot path; turned into a `FileReport` at the end.
public struct SanitizeCounters: Sendable {
  public var credentials = [Int](repeating: 0, count: CredentialKind.allCases.count)
  public var alreadyMasked = 0

  public init() {}

  @inlinable public mutating func count(_ kind: CredentialKind) { credentials[kind.rawValue] &+= 1 }

  /// The sum of two sets of counters.
  public static func + (a: SanitizeCounters, b: SanitizeCounters) -> SanitizeCounters {
    var sum = a
    for i in sum.credentials.indices { sum.credentials[i] += b.credentials[i] }
    sum.alreadyMasked += b.alreadyMasked
    return sum
  }

  /// Adds the counts to a report, by kind name.
  public func add(to report: inout FileReport) {
    for kind in CredentialKind.allCases where credentials[kind.rawValue] > 0 {
      report.credentialsMasked[kind.name, default: 0] += credentials[kind.rawValue]
    }
    report.credentialsAlreadyMasked += alreadyMasked
  }
}
