import Crypto

extension KeyMaterial {
  /// A short public name for the pseudonym space of this key and epoch: the first 16 hex digits of the SHA-256 of a
  /// sub-key derived with HKDF (label `fingerprint`, the epoch mixed in like every pseudonym sub-key).
  ///
  /// Two bundles carry the same fingerprint exactly when their pseudonyms are comparable. It reveals nothing about the
  /// key (a one-way function of a one-way derivation) and, with the epoch mixed in, does not link shares made under
  /// different epochs.
  public func fingerprint(epoch: String?) -> String {
    var info = Array("fingerprint".utf8)
    info.append(0)
    if let epoch, !epoch.isEmpty { info.append(contentsOf: epoch.utf8) }
    let subKey = HKDF<SHA256>.deriveKey(
      inputKeyMaterial: key, salt: PseudonymKeys.salt, info: info, outputByteCount: 32)
    let digest = subKey.withUnsafeBytes { SHA256.hash(data: $0) }
    return String(Hex.lower(digest).prefix(16))
  }
}
