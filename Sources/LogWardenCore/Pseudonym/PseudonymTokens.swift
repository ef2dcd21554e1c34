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

/// A bounded map from byte strings to byte strings: open addressing over one arena, so lookups neither allocate nor
/// retain anything.
///
/// When it reaches `maximumEntries` (or its arena limit) it is emptied: pseudonyms are deterministic, so forgetting
/// only costs recomputation, and clearing avoids the per-hit bookkeeping an LRU would need. Not thread-safe.
final class ByteCache {
  private struct Slot {
    /// 0 marks an empty slot (``hash(_:)`` never returns 0).
    var hash: UInt64 = 0
    var offset: Int = 0
    var keyLength: Int32 = 0
    var valueLength: Int32 = 0
  }

  let maximumEntries: Int
  private let maximumArenaBytes: Int
  private var slots: UnsafeMutablePointer<Slot>
  private var slotMask: Int
  private var arena: UnsafeMutablePointer<UInt8>
  private var arenaCapacity: Int
  private var arenaUsed = 0
  private(set) var count = 0

  init(maximumEntries: Int) {
    self.maximumEntries = max(1, maximumEntries)
    maximumArenaBytes = max(1 << 16, self.maximumEntries * 128)
    var slotCount = 64
    while slotCount < 2 * min(self.maximumEntries, 512) { slotCount <<= 1 }
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: Slot(), count: slotCount)
    slotMask = slotCount - 1
    arenaCapacity = 1 << 14
    arena = .allocate(capacity: arenaCapacity)
  }

  deinit {
    slots.deallocate()
    arena.deallocate()
  }

  /// FNV-1a with a final mix (the slot index uses the low bits): cheap, and a collision only costs a longer probe
  /// because keys are compared in full.
  @inline(__always) static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      h ^= UInt64(byte)
      h = h &* 0x100_0000_01b3
    }
    h ^= h >> 32
    h = h &* 0x9e37_79b9_7f4a_7c15
    h ^= h >> 29
    return h == 0 ? 1 : h
  }

  /// The stored value for `key`, valid until the next insert; nil when there is none.
  func valueBytes(for key: UnsafeRawBufferPointer, hash: UInt64) -> UnsafeBufferPointer<UInt8>? {
    guard let index = find(key, hash: hash) else { return nil }
    let slot = slots[index]
    return UnsafeBufferPointer(start: arena + slot.offset + Int(slot.keyLength), count: Int(slot.valueLength))
  }

  /// Appends the value stored for `key` to `out`; false when there is none.
  func appendValue(for key: UnsafeRawBufferPointer, hash: UInt64, to out: inout [UInt8]) -> Bool {
    guard let value = valueBytes(for: key, hash: hash) else { return false }
    if !value.isEmpty { out.append(contentsOf: value) }
    return true
  }

  /// The value stored for `key`, copied.
  func value(for key: UnsafeRawBufferPointer, hash: UInt64) -> [UInt8]? {
    var out = [UInt8]()
    return appendValue(for: key, hash: hash, to: &out) ? out : nil
  }

  /// Stores `value` for `key` (which the caller has just looked up and missed).
  func insert(_ value: UnsafeRawBufferPointer, for key: UnsafeRawBufferPointer, hash: UInt64) {
    let needed = key.count + value.count
    if count >= maximumEntries { removeAll() }
    if arenaUsed + needed > arenaCapacity { makeArenaRoom(for: needed) }
    if 2 * (count + 1) > slotMask + 1 { growSlots() }
    let offset = arenaUsed
    if key.count > 0 {
      (arena + offset).update(from: key.baseAddress!.assumingMemoryBound(to: UInt8.self), count: key.count)
    }
    if value.count > 0 {
      (arena + offset + key.count).update(
        from: value.baseAddress!.assumingMemoryBound(to: UInt8.self), count: value.count)
    }
    arenaUsed += needed
    var index = Int(truncatingIfNeeded: hash) & slotMask
    while slots[index].hash != 0 { index = (index + 1) & slotMask }
    slots[index] = Slot(hash: hash, offset: offset, keyLength: Int32(key.count), valueLength: Int32(value.count))
    count += 1
  }

  func insert(_ value: [UInt8], for key: UnsafeRawBufferPointer, hash: UInt64) {
    value.withUnsafeBytes { insert($0, for: key, hash: hash) }
  }

  func removeAll() {
    slots.update(repeating: Slot(), count: slotMask + 1)
    arenaUsed = 0
    count = 0
  }

  private func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
    var index = Int(truncatingIfNeeded: hash) & slotMask
    while true {
      let slot = slots[index]
      if slot.hash == 0 { return nil }
      if slot.hash == hash && Int(slot.keyLength) == key.count
        && (key.count == 0 || memcmp(arena + slot.offset, key.baseAddress!, key.count) == 0)
      {
        return index
      }
      index = (index + 1) & slotMask
    }
  }

  private func makeArenaRoom(for needed: Int) {
    var capacity = arenaCapacity
    while arenaUsed + needed > capacity && capacity < maximumArenaBytes { capacity <<= 1 }
    if arenaUsed + needed > capacity {
      removeAll()
      while needed > capacity { capacity <<= 1 }
    }
    guard capacity != arenaCapacity else { return }
    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    grown.update(from: arena, count: arenaUsed)
    arena.deallocate()
    arena = grown
    arenaCapacity = capacity
  }

  private func growSlots() {
    let oldSlots = slots
    let oldCount = slotMask + 1
    let newCount = oldCount << 1
    slots = .allocate(capacity: newCount)
    slots.initialize(repeating: Slot(), count: newCount)
    slotMask = newCount - 1
    for k in 0..<oldCount where oldSlots[k].hash != 0 {
      var index = Int(truncatingIfNeeded: oldSlots[k].hash) & slotMask
      while slots[index].hash != 0 { index = (index + 1) & slotMask }
      slots[index] = oldSlots[k]
    }
    oldSlots.deallocate()
  }
}
