/// Small open-addressing hash tables for the hot path. `Dictionary`/`Set` hash with SipHash, which costs more than
/// the rest of a log line's processing; keys here are already well-mixed integers, so a multiply-shift hash is enough.
/// (Session ids come from the log and could be chosen by an attacker; the table stays correct under collisions, only
/// slower, and its size is bounded by the engine.)
struct IntegerIndexMap {
  private var keys: [UInt64]
  private var values: [Int32]  // -1 empty, -2 deleted
  private var mask: Int
  private(set) var count = 0
  private var used = 0  // occupied + deleted slots

  init(capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    keys = [UInt64](repeating: 0, count: size)
    values = [Int32](repeating: -1, count: size)
    mask = size - 1
  }

  @inline(__always) private func slot(_ key: UInt64) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
  }

  /// The value stored for `key`, or nil.
  @inline(__always) func find(_ key: UInt64) -> Int? {
    var i = slot(key)
    while true {
      let v = values[i]
      if v == -1 { return nil }
      if v >= 0 && keys[i] == key { return Int(v) }
      i = (i + 1) & mask
    }
  }

  mutating func insert(_ key: UInt64, _ value: Int) {
    if (used + 1) * 2 > keys.count { grow() }
    var i = slot(key)
    var firstDeleted = -1
    while true {
      let v = values[i]
      if v == -1 { break }
      if v == -2 {
        if firstDeleted < 0 { firstDeleted = i }
      } else if keys[i] == key {
        values[i] = Int32(value)
        return
      }
      i = (i + 1) & mask
    }
    if firstDeleted >= 0 {
      i = firstDeleted
    } else {
      used += 1
    }
    keys[i] = key
    values[i] = Int32(value)
    count += 1
  }

  mutating func remove(_ key: UInt64) {
    var i = slot(key)
    while true {
      let v = values[i]
      if v == -1 { return }
      if v >= 0 && keys[i] == key {
        values[i] = -2
        count -= 1
        return
      }
      i = (i + 1) & mask
    }
  }

  private mutating func grow() {
    let oldKeys = keys
    let oldValues = values
    let size = count * 4 > keys.count ? keys.count * 2 : keys.count
    keys = [UInt64](repeating: 0, count: size)
    values = [Int32](repeating: -1, count: size)
    mask = size - 1
    count = 0
    used = 0
    for (k, v) in zip(oldKeys, oldValues) where v >= 0 { insert(k, Int(v)) }
  }

  /// Every (key, value) pair.
  var entries: [(UInt64, Int)] {
    var result: [(UInt64, Int)] = []
    for (k, v) in zip(keys, values) where v >= 0 { result.append((k, Int(v))) }
    return result
  }
}

/// A fixed set of protocol verbs with a branch-light lookup.
struct VerbSet: Sendable {
  private let table: [VerbKey?]
  private let mask: Int

  init(_ verbs: Set<VerbKey>) {
    var size = 64
    while size < verbs.count * 4 { size <<= 1 }
    var table = [VerbKey?](repeating: nil, count: size)
    for verb in verbs {
      var i = VerbSet.slot(verb, size - 1)
      while table[i] != nil { i = (i + 1) & (size - 1) }
      table[i] = verb
    }
    self.table = table
    self.mask = size - 1
  }

  @inline(__always) static func slot(_ key: VerbKey, _ mask: Int) -> Int {
    Int(truncatingIfNeeded: ((key.a ^ (key.b &* 31)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
  }

  @inline(__always) func contains(_ key: VerbKey) -> Bool {
    var i = VerbSet.slot(key, mask)
    while let candidate = table[i] {
      if candidate == key { return true }
      i = (i + 1) & mask
    }
    return false
  }
}
