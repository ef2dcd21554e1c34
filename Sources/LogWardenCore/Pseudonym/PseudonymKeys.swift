import Crypto

/// The sub-keys pseudonymization uses, each derived once from the master key with HKDF-SHA256.
///
/// Every use has its own key (the ipcrypt draft requires per-variant keys, and separate keys keep a token of one kind
/// from being comparable with another). The epoch label is mixed into every derivation, so shares made under two
/// epochs have unrelated pseudonyms even with the same master key.
public struct PseudonymKeys: Sendable {
  /// What a sub-key is for. The raw value is the HKDF `info` label; changing one changes every pseudonym of its kind.
  public enum Use: String, CaseIterable, Sendable {
    /// ipcrypt-pfx key (32 bytes: two AES-128 keys).
    case ip = "ipcrypt-pfx"
    /// Local parts of addresses and user names: one key, so `bob` and `bob@example.com` share a token.
    case identity = "identity"
    /// Domain and host name labels: one key, so `example.com` in an address and in a host name share a token.
    case domain = "domain"
    /// Seals the originals in a ledger. Derived without the epoch, so one ledger can serve every epoch.
    case ledger = "ledger"
  }

  /// HKDF salt: a fixed, public application label (RFC 5869 allows a non-secret salt).
  static let salt = Array("logwarden pseudonym keys v1".utf8)

  /// The epoch label, or nil for none.
  public let epoch: String?
  let ip: [UInt8]
  let identity: SymmetricKey
  let domain: SymmetricKey
  let ledger: SymmetricKey

  /// Derives all sub-keys. An empty epoch counts as none.
  public init(master: KeyMaterial, epoch: String? = nil) {
    let epoch = epoch.flatMap { $0.isEmpty ? nil : $0 }
    self.epoch = epoch
    func derive(_ use: Use) -> SymmetricKey {
      // info = use label, NUL, epoch label: the NUL keeps ("a", "bc") and ("ab", "c") apart.
      var info = Array(use.rawValue.utf8)
      info.append(0)
      if let epoch, use != .ledger { info.append(contentsOf: epoch.utf8) }
      return HKDF<SHA256>.deriveKey(
        inputKeyMaterial: master.key, salt: Self.salt, info: info, outputByteCount: 32)
    }
    ip = derive(.ip).withUnsafeBytes { Array($0) }
    identity = derive(.identity)
    domain = derive(.domain)
    ledger = derive(.ledger)
  }
}
