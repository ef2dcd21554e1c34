/// What a ``Pseudonymizer`` replaces and how. The defaults are the most private sensible choice.
public struct PseudonymOptions: Sendable, Equatable {
  /// What happens to domain names (of addresses, or host names).
  public enum DomainPolicy: Sendable, Equatable {
    /// Labels below the public suffix become keyed tokens (`mx1.example.co.uk` → `dom-….dom-….co.uk`).
    case pseudonymize
    /// Domains stay as they are.
    case keepAll
    /// The listed domains and their subdomains stay as they are; every other domain is pseudonymized.
    case keep([String])
  }

  /// What happens to IP addresses.
  public enum IPMode: Sendable, Equatable {
    /// ipcrypt-pfx: prefix-preserving, still a valid address of the same family, reversible with the key.
    case encrypt
    /// Keep the first bits and zero the rest (like rsyslog mmanon); not reversible.
    case truncate(v4PrefixLength: Int = 24, v6PrefixLength: Int = 64)
    /// Leave addresses alone.
    case keep
  }

  /// Kinds of identifiers that get a fixed mask (they point at people but need no consistent pseudonym).
  public struct IdentifierMasks: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Windows domain and Entra SIDs (`S-1-5-21-…`) → `S-1-5-21-*`; short well-known SIDs are kept.
    public static let windowsSIDs = IdentifierMasks(rawValue: 1)
    /// GUIDs (`8-4-4-4-12` hex) → `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. Off by default: most GUIDs in mail logs
    /// are message or correlation ids that vendors need.
    public static let guids = IdentifierMasks(rawValue: 2)
    /// Dovecot `session=<…>` ids, which encode the client IP → `session=<****>`.
    public static let dovecotSessionIDs = IdentifierMasks(rawValue: 4)

    public static let `default`: IdentifierMasks = [.windowsSIDs, .dovecotSessionIDs]
  }

  public var emailDomains: DomainPolicy
  public var hostNames: DomainPolicy
  public var ipMode: IPMode
  /// Addresses inside these blocks are written unchanged (loopback and unspecified by default).
  public var keptNetworks: [IPNetwork]
  /// Identifier kinds `rewriteLine` masks.
  public var identifierMasks: IdentifierMasks
  /// Entries per cache (each kind has its own) before the cache is emptied.
  public var cacheCapacity: Int

  public init(
    emailDomains: DomainPolicy = .pseudonymize, hostNames: DomainPolicy = .pseudonymize, ipMode: IPMode = .encrypt,
    keptNetworks: [IPNetwork] = IPNetwork.loopbackAndUnspecified, identifierMasks: IdentifierMasks = .default,
    cacheCapacity: Int = 1 << 16
  ) {
    self.emailDomains = emailDomains
    self.hostNames = hostNames
    self.ipMode = ipMode
    self.keptNetworks = keptNetworks
    self.identifierMasks = identifierMasks
    self.cacheCapacity = cacheCapacity
  }
}

/// The kinds of values that get pseudonyms; raw values are the keys of `FileReport.pseudonymized`.
public enum PseudonymKind: String, Sendable, CaseIterable, Codable {
  case email
  case user
  case host
  case ip
  /// Fixed masks (not pseudonyms): Windows SIDs, GUIDs, Dovecot session ids.
  case sid
  case guid
  case sessionID = "session-id"
}
