/// Maps pseudonyms back to what they replaced: IPs by ipcrypt-pfx decryption (the key and epoch must match), and
/// `user-…`/`dom-…` tokens through a ``PseudonymLedger``.
///
/// Truncated IPs and masked identifiers cannot be revealed. Not thread-safe (the cipher has scratch buffers).
public final class PseudonymRevealer {
  /// The outcome for one pseudonym.
  public struct Revelation: Sendable, Equatable {
    public let kind: PseudonymKind
    /// The input with every token that could be resolved replaced by its original.
    public let value: String
    /// Tokens that stayed as they were (no ledger, or not in it).
    public let unresolvedTokens: [String]
    /// Whether anything was revealed at all.
    public var isComplete: Bool { unresolvedTokens.isEmpty }
  }

  private let cipher: IPCryptPfx
  private let ledger: PseudonymLedger?

  public init(keys: PseudonymKeys, ledger: PseudonymLedger? = nil) {
    cipher = try! IPCryptPfx(key: keys.ip)  // HKDF halves differ except by a 2^-128 accident
    self.ledger = ledger
  }

  /// Reveals one pseudonym as printed by `logwarden pseudonym` or written by `sanitize`.
  public func reveal(_ pseudonym: String) throws(LogWardenError) -> Revelation {
    let kind = Pseudonymizer.detectKind(pseudonym)
    if kind == .ip, let decrypted = revealIP(pseudonym) {
      return Revelation(kind: .ip, value: decrypted, unresolvedTokens: [])
    }
    var unresolved: [String] = []
    var output = ""
    // Parts are separated by '@' (address) or '\' (DOMAIN\user); each part is a token or a dotted name.
    var part = ""
    for character in pseudonym {
      if character == "@" || character == "\\" {
        output += try revealPart(part, unresolved: &unresolved)
        output.append(character)
        part = ""
      } else {
        part.append(character)
      }
    }
    output += try revealPart(part, unresolved: &unresolved)
    return Revelation(kind: kind, value: output, unresolvedTokens: unresolved)
  }

  /// Decrypts the address inside `text`, keeping its framing (brackets, port, `::ffff:`, zone).
  private func revealIP(_ text: String) -> String? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { buffer -> String? in
      guard let base = buffer.baseAddress, let match = IPScanner.firstMatch(in: base, from: 0, count: buffer.count)
      else { return nil }
      let original = cipher.decrypt(match.address)
      var out = Array(buffer[..<match.start])
      switch match.form {
      case .v4: original.appendV4Text(to: &out)
      case .v4MappedText:
        out.append(contentsOf: Array("::ffff:".utf8))
        original.appendV4Text(to: &out)
      case .v6: original.appendV6Text(to: &out)
      }
      out.append(contentsOf: buffer[match.end...])
      return String(decoding: out, as: UTF8.self)
    }
  }

  /// A `user-…` token, or a dotted name whose first `dom-…` label stands for the whole name from there on.
  private func revealPart(_ part: String, unresolved: inout [String]) throws(LogWardenError) -> String {
    let bytes = Array(part.utf8)
    if Pseudonymizer.detectKind(part) == .ip, let decrypted = revealIP(part) { return decrypted }
    if TokenMaker.isToken(bytes, prefix: TokenMaker.identityPrefix) {
      guard let record = try ledger?.lookup(token: part) else {
        unresolved.append(part)
        return part
      }
      return record.original
    }
    let labels = part.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard let index = labels.firstIndex(where: { TokenMaker.isToken(Array($0.utf8), prefix: TokenMaker.domainPrefix) })
    else { return part }
    guard let record = try ledger?.lookup(token: labels[index]) else {
      unresolved.append(
        contentsOf: labels.filter { TokenMaker.isToken(Array($0.utf8), prefix: TokenMaker.domainPrefix) })
      return part
    }
    // The token was keyed on the name from its label to the end, so the original already holds the suffix.
    return (labels[..<index] + [record.original]).joined(separator: ".")
  }
}
