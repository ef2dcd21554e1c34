import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keyed tokens: `prefix` + base32 (lower case, RFC 4648 alphabet) of the first 80 bits of HMAC-SHA256.
///
/// 80 bits keep accidental collisions out of reach (about 2^40 distinct values before one is likely) and the
/// alphabet is valid in both local parts and DNS labels.
struct TokenMaker {
  /// Token prefix for local parts and user names.
  static let identityPrefix: [UInt8] = Array("user-".utf8)
  /// Token prefix for pseudonymized host and domain labels.
  static let domainPrefix: [UInt8] = Array("dom-".utf8)
  /// Base32 characters after the prefix.
  static let digestCharacters = 16

  static let alphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

  private let prepared: HMAC<SHA256>
  let prefix: [UInt8]

  init(key: SymmetricKey, prefix: [UInt8]) {
    prepared = HMAC<SHA256>(key: key)
    self.prefix = prefix
  }

  /// The token for `bytes` (already normalized by the caller, e.g. lower-cased).
  func token(for bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var mac = prepared  // copies the keyed inner/outer state: no per-token key processing
    mac.update(data: bytes)
    let digest = mac.finalize()
    var out = prefix
    out.reserveCapacity(prefix.count + Self.digestCharacters)
    digest.withUnsafeBytes { raw in
      // 80 bits = 16 groups of 5 bits, read big-endian from the first 10 bytes.
      var buffer: UInt64 = 0
      var bits = 0
      for index in 0..<10 {
        buffer = buffer << 8 | UInt64(raw[index])
        bits += 8
        while bits >= 5 {
          bits -= 5
          out.append(Self.alphabet[Int((buffer >> UInt64(bits)) & 0x1f)])
        }
      }
    }
    return out
  }

  func token(for bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { token(for: $0) }
  }

  /// Whether `bytes` has the shape of a token with `prefix`.
  static func isToken(_ bytes: some Collection<UInt8>, prefix: [UInt8]) -> Bool {
    guard bytes.count == prefix.count + digestCharacters, bytes.starts(with: prefix) else { return false }
    return bytes.dropFirst(prefix.count).allSatisfy { (0x61...0x7a).contains($0) || (0x32...0x37).contains($0) }
  }
}

/// A bounded map from input bytes to output bytes. Lookups do not allocate.
///
/// When full it is emptied: pseudonyms are deterministic, so forgetting only costs recomputation, and clearing
/// avoids per-hit bookkeeping that an LRU would need.
struct BoundedByteCache {
  private struct Entry {
    let key: [UInt8]
    let value: [UInt8]
  }

  private var table: [UInt64: Entry] = [:]
  let capacity: Int

  init(capacity: Int) { self.capacity = max(1, capacity) }

  var count: Int { table.count }

  /// FNV-1a: cheap and good enough here, because a collision only costs a miss (keys are compared in full).
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      h ^= UInt64(byte)
      h = h &* 0x100_0000_01b3
    }
    return h
  }

  func value(for key: UnsafeRawBufferPointer, hash: UInt64) -> [UInt8]? {
    guard let entry = table[hash], entry.key.count == key.count else { return nil }
    let equal = entry.key.withUnsafeBytes { stored in
      key.count == 0 || memcmp(stored.baseAddress!, key.baseAddress!, key.count) == 0
    }
    return equal ? entry.value : nil
  }

  mutating func insert(_ value: [UInt8], for key: UnsafeRawBufferPointer, hash: UInt64) {
    if table.count >= capacity { table.removeAll(keepingCapacity: true) }
    table[hash] = Entry(key: Array(key), value: value)
  }
}
