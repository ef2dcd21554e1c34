import Foundation
import Testing

@testable import LogWardenCore

/// One row of `Fixtures/pseudonym/ipcrypt.tsv`.
struct IPCryptVector: CustomTestStringConvertible, Sendable {
  let key: [UInt8]
  let input: String
  let output: String
  var testDescription: String { "\(input) -> \(output)" }

  static func load(mode: String) throws -> [IPCryptVector] {
    let url = try #require(
      Bundle.module.url(forResource: "ipcrypt", withExtension: "tsv", subdirectory: "Fixtures/pseudonym"))
    let text = try String(contentsOf: url, encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
      guard !line.hasPrefix("#") else { return nil }
      let fields = line.split(separator: "\t").map(String.init)
      guard fields.count == 4, fields[0] == mode else { return nil }
      return IPCryptVector(key: hexBytes(fields[1]), input: fields[2], output: fields[3])
    }
  }
}

func hexBytes(_ hex: String) -> [UInt8] {
  var out = [UInt8]()
  var iterator = hex.utf8.makeIterator()
  while let high = iterator.next(), let low = iterator.next() {
    out.append(HexDigits.value(high)! << 4 | HexDigits.value(low)!)
  }
  return out
}

@Suite struct IPCryptPfxTests {
  static let vectors = (try? IPCryptVector.load(mode: "ipcrypt-pfx")) ?? []

  @Test func fixtureHasEveryPfxVector() {
    #expect(Self.vectors.count == 16)
  }

  @Test(arguments: vectors) func encryptsVector(_ vector: IPCryptVector) throws {
    let cipher = try IPCryptPfx(key: vector.key)
    let input = try #require(IPAddress(vector.input))
    #expect(cipher.encrypt(input).description == vector.output)
  }

  @Test(arguments: vectors) func decryptsVector(_ vector: IPCryptVector) throws {
    let cipher = try IPCryptPfx(key: vector.key)
    let output = try #require(IPAddress(vector.output))
    #expect(cipher.decrypt(output).description == IPAddress(vector.input)!.description)
  }

  @Test(arguments: vectors) func portableFallbackMatchesVector(_ vector: IPCryptVector) throws {
    let cipher = try IPCryptPfx.portable(key: vector.key)
    #expect(cipher.encrypt(IPAddress(vector.input)!).description == vector.output)
  }

  @Test func v4MappedTextEncryptsLikeIPv4() throws {
    let vector = try #require(Self.vectors.first { $0.input == "192.0.2.1" })
    let cipher = try IPCryptPfx(key: vector.key)
    #expect(cipher.encrypt(IPAddress("::ffff:192.0.2.1")!).description == vector.output)
  }

  @Test func refusesKeyWithEqualHalves() {
    let half = [UInt8](repeating: 7, count: 16)
    #expect(throws: LogWardenError.self) { try IPCryptPfx(key: half + half) }
    #expect(throws: LogWardenError.self) { try IPCryptPfx(key: half) }
  }
}
