/// What a sanitizing pass removes. Profiles are ordered: each one does everything the one before does.
public enum SanitizeProfile: String, CaseIterable, Sendable, Codable {
  /// Mask every credential; keep everything else.
  case credentials
  /// Credentials masked and message bodies dropped: a level-5 log becomes level-4 detail.
  case level4
  /// level4 plus consistent keyed pseudonyms for addresses, user names, host names and IPs.
  case vendor

  /// Whether this profile drops message bodies.
  public var dropsBodies: Bool { self != .credentials }
  /// Whether this profile pseudonymizes identities.
  public var pseudonymizes: Bool { self == .vendor }
}

/// Options for one sanitizing pass.
public struct SanitizeOptions: Sendable {
  public var profile: SanitizeProfile
  /// A registered format name, or nil to detect the format from the file's start and name.
  public var formatName: String?
  /// Sub-keys for the `vendor` profile (required by it, ignored by the others).
  public var pseudonymKeys: PseudonymKeys?
  /// What the `vendor` profile pseudonymizes and how.
  public var pseudonymOptions: PseudonymOptions
  /// Where new pseudonyms and their originals are recorded for `reveal` (vendor profile only).
  public var ledger: PseudonymLedger?
  /// Under the vendor profile, render pseudonymized rows on a second thread when the machine has more than one core
  /// (the output is the same either way).
  public var rendersOnSecondCore: Bool = true
  /// Under the other profiles, read ahead and write behind on a second thread when the machine has more than one
  /// core (the output is the same either way).
  public var overlapsIO: Bool = true
  /// How much the I/O thread reads at a time (tests make it tiny to put slot boundaries everywhere).
  var overlapReadSize = 1 << 20

  public init(
    profile: SanitizeProfile = .level4, formatName: String? = nil, pseudonymKeys: PseudonymKeys? = nil,
    pseudonymOptions: PseudonymOptions = PseudonymOptions(), ledger: PseudonymLedger? = nil
  ) {
    self.profile = profile
    self.formatName = formatName
    self.pseudonymKeys = pseudonymKeys
    self.pseudonymOptions = pseudonymOptions
    self.ledger = ledger
  }
}

/// What one sanitizing pass over one input did. Counts only; never content.
public struct FileReport: Codable, Sendable, Equatable {
  public var path: String
  /// The format the input was read as.
  public var format: String
  public var linesRead: Int = 0
  public var bytesRead: Int = 0
  public var bytesWritten: Int = 0
  /// Credentials masked, by kind (e.g. `pop3-pass`, `sasl-plain`, `imap-login`).
  public var credentialsMasked: [String: Int] = [:]
  /// Credentials the server had already masked (e.g. Exchange's `*****`), left as they were.
  public var credentialsAlreadyMasked: Int = 0
  public var bodyLinesDropped: Int = 0
  public var bodyBytesDropped: Int = 0
  /// Lines that could not be parsed and were masked whole.
  public var unparsedLines: Int = 0
  /// Identities replaced by pseudonyms, by kind (`email`, `user`, `host`, `ip`).
  public var pseudonymized: [String: Int] = [:]
  /// Non-fatal findings (e.g. "format not recognised; generic fallback used"). Never content.
  public var warnings: [String] = []

  public init(path: String, format: String) {
    self.path = path
    self.format = format
  }

  /// Total credentials masked across kinds.
  public var totalCredentialsMasked: Int { credentialsMasked.values.reduce(0, +) }
}
