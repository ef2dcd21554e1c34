/// ipcrypt-pfx (draft-denis-ipcrypt §6.2): prefix-preserving, format-preserving, reversible IP encryption.
///
/// The 32-byte key is two AES-128 keys K1, K2. Bit by bit from the most significant, the bits seen so far of the
/// original address are padded to a block (`zeros ‖ 1 ‖ prefix`), the PRF `AES(K1, block) ⊕ AES(K2, block)` is
/// computed, and its least significant bit flips the current bit. IPv4 is processed as the last 32 bits of its
/// IPv4-mapped form, so it stays IPv4. Two addresses sharing an n-bit prefix share an n-bit encrypted prefix.
///
/// Encryption knows every prefix up front, so all 32 (IPv4) or 128 (IPv6) blocks go through AES in one batch per key.
/// Decryption needs each decrypted bit before the next block, so it is sequential (it only serves `reveal`).
/// Not thread-safe (scratch buffers); create one per thread.
public final class IPCryptPfx {
  private let first: any AESBlockEncrypting
  private let second: any AESBlockEncrypting
  /// 128 blocks per key: room for a whole IPv6 address.
  private let scratchFirst: UnsafeMutablePointer<UInt8>
  private let scratchSecond: UnsafeMutablePointer<UInt8>

  /// `key` must be 32 bytes whose halves differ (equal halves cancel out and leave addresses unchanged).
  public convenience init(key: [UInt8]) throws(LogWardenError) {
    try Self.validate(key)
    self.init(
      validatedKey: key, first: AESBlockEncryptor(key: Array(key[0..<16])),
      second: AESBlockEncryptor(key: Array(key[16..<32])))
  }

  /// The portable (slow) variant through `AES.permute`; used by tests to check the fallback against the vectors.
  static func portable(key: [UInt8]) throws(LogWardenError) -> IPCryptPfx {
    try validate(key)
    return IPCryptPfx(
      validatedKey: key, first: PermuteBlockEncryptor(key: Array(key[0..<16])),
      second: PermuteBlockEncryptor(key: Array(key[16..<32])))
  }

  private static func validate(_ key: [UInt8]) throws(LogWardenError) {
    guard key.count == 32 else { throw LogWardenError.usage("an ipcrypt-pfx key is 32 bytes; got \(key.count)") }
    guard key[0..<16] != key[16..<32] else {
      throw LogWardenError.usage("the two halves of an ipcrypt-pfx key must differ")
    }
  }

  private init(validatedKey: [UInt8], first: any AESBlockEncrypting, second: any AESBlockEncrypting) {
    self.first = first
    self.second = second
    scratchFirst = .allocate(capacity: 128 * 16)
    scratchSecond = .allocate(capacity: 128 * 16)
  }

  deinit {
    scratchFirst.deallocate()
    scratchSecond.deallocate()
  }

  /// Encrypts an address; IPv4 (IPv4-mapped) stays IPv4.
  public func encrypt(_ address: IPAddress) -> IPAddress {
    let start = address.isV4 ? 96 : 0
    let blockCount = 128 - start
    for index in 0..<blockCount {
      let block = Self.paddedPrefix(of: address, length: start + index)
      Self.store(block, at: scratchFirst + index * 16)
    }
    scratchSecond.update(from: scratchFirst, count: blockCount * 16)
    first.encrypt(scratchFirst, blockCount: blockCount)
    second.encrypt(scratchSecond, blockCount: blockCount)
    var flips = IPAddress(high: 0, low: 0)
    for index in 0..<blockCount {
      let bit = (scratchFirst[index * 16 + 15] ^ scratchSecond[index * 16 + 15]) & 1
      if bit != 0 { Self.setBit(&flips, prefixLength: start + index) }
    }
    return IPAddress(high: address.high ^ flips.high, low: address.low ^ flips.low)
  }

  /// Inverts ``encrypt(_:)``.
  public func decrypt(_ address: IPAddress) -> IPAddress {
    let start = address.isV4 ? 96 : 0
    // The IPv4-mapped prefix is not encrypted; the decrypted prefix starts from it.
    var decrypted = address.isV4 ? address.keepingPrefix(96) : IPAddress(high: 0, low: 0)
    for length in start..<128 {
      Self.store(Self.paddedPrefix(of: decrypted, length: length), at: scratchFirst)
      scratchSecond.update(from: scratchFirst, count: 16)
      first.encrypt(scratchFirst, blockCount: 1)
      second.encrypt(scratchSecond, blockCount: 1)
      let flip = (scratchFirst[15] ^ scratchSecond[15]) & 1
      let encryptedBit = Self.bit(of: address, prefixLength: length)
      if encryptedBit ^ flip != 0 { Self.setBit(&decrypted, prefixLength: length) }
    }
    return decrypted
  }

  /// `zeros ‖ 1 ‖ the first `length` bits of address`, as a 128-bit value.
  static func paddedPrefix(of address: IPAddress, length: Int) -> (UInt64, UInt64) {
    var high: UInt64 = 0
    var low: UInt64 = 0
    let shift = 128 - length  // 1…128
    if shift < 64 {
      low = address.low >> UInt64(shift) | address.high << UInt64(64 - shift)
      high = address.high >> UInt64(shift)
    } else if shift < 128 {
      low = address.high >> UInt64(shift - 64)
    }
    if length >= 64 { high |= 1 << UInt64(length - 64) } else { low |= 1 << UInt64(length) }
    return (high, low)
  }

  private static func store(_ block: (UInt64, UInt64), at pointer: UnsafeMutablePointer<UInt8>) {
    let raw = UnsafeMutableRawPointer(pointer)
    raw.storeBytes(of: block.0.bigEndian, as: UInt64.self)
    raw.storeBytes(of: block.1.bigEndian, toByteOffset: 8, as: UInt64.self)
  }

  /// The bit after the first `prefixLength` bits (bit 127 − prefixLength counting from the least significant).
  private static func bit(of address: IPAddress, prefixLength: Int) -> UInt8 {
    let position = 127 - prefixLength
    let word = position >= 64 ? address.high >> UInt64(position - 64) : address.low >> UInt64(position)
    return UInt8(truncatingIfNeeded: word & 1)
  }

  private static func setBit(_ address: inout IPAddress, prefixLength: Int) {
    let position = 127 - prefixLength
    if position >= 64 { address.high |= 1 << UInt64(position - 64) } else { address.low |= 1 << UInt64(position) }
  }
}
