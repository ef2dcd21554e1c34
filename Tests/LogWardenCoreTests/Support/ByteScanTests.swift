import Testing
@testable import LogWardenCore

/// The word-at-a-time scanners give the same answers as a byte loop, for every byte value in every position.
struct ByteScanTests {
  /// One byte at a time: the reference.
  static func hexReference(_ bytes: [UInt8]) -> UInt64? {
    var value: UInt64 = 0
    for c in bytes {
      let digit: UInt8
      switch c {
      case 0x30...0x39: digit = c - 0x30
      case 0x41...0x46: digit = c - 0x41 + 10
      case 0x61...0x66: digit = c - 0x61 + 10
      default: return nil
      }
      value = value << 4 | UInt64(digit)
    }
    return value
  }

  static func hex(_ bytes: [UInt8]) -> UInt64? { bytes.withUnsafeBufferPointer { hexValue16($0.baseAddress!) } }

  @Test func sessionIdsParseAsTheirHexValue() {
    #expect(Self.hex(Array("08D675E58CA10000".utf8)) == 0x08D6_75E5_8CA1_0000)
    #expect(Self.hex(Array("ffffffffffffffff".utf8)) == UInt64.max)
    #expect(Self.hex(Array("0000000000000000".utf8)) == 0)
    #expect(Self.hex(Array("0123456789abcDEF".utf8)) == 0x0123_4567_89AB_CDEF)
  }

  @Test func everyByteInEveryPositionMatchesTheReference() {
    let base = Array("8cA1d0F2b39E4756".utf8)
    for position in 0..<16 {
      for value in 0...255 {
        var bytes = base
        bytes[position] = UInt8(value)
        #expect(Self.hex(bytes) == Self.hexReference(bytes), "byte \(value) at \(position)")
      }
    }
  }

  @Test func randomWordsMatchTheReference() {
    var rng = SplitMix64(seed: 0x4E58)
    let alphabet = Array("0123456789abcdefABCDEFgG/:@`".utf8)
    for _ in 0..<20_000 {
      let bytes = (0..<16).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
      #expect(Self.hex(bytes) == Self.hexReference(bytes))
    }
  }

  @Test func firstIndexMatchesAByteLoop() {
    var rng = SplitMix64(seed: 0x4E59)
    for _ in 0..<5_000 {
      let count = Int(rng.next() % 40)
      let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next() % 4 == 0 ? 0x2C : rng.next()) }
      let from = count == 0 ? 0 : Int(rng.next() % UInt64(count + 1))
      let to = from + Int(rng.next() % UInt64(count - from + 1))
      let target: UInt8 = rng.next() % 2 == 0 ? 0x2C : UInt8(truncatingIfNeeded: rng.next())
      let expected = bytes[from..<to].firstIndex(of: target)
      let got: Int? = bytes.isEmpty ? nil : bytes.withUnsafeBufferPointer {
        ByteLine(base: $0.baseAddress!, count: $0.count).firstIndex(of: target, from: from, to: to)
      }
      #expect(got == expected)
    }
  }
}
