@testable import LogWardenCore

/// A fixed, public test key (bytes 0…31). Never use it for real data.
let testMasterKey = try! KeyMaterial(bytes: (0..<32).map { UInt8($0) })
let testKeys = PseudonymKeys(master: testMasterKey)

extension Pseudonymizer {
  /// `rewriteLine` on a String, for tests.
  func rewrite(_ line: String) -> String {
    var counts: [String: Int] = [:]
    return rewrite(line, counts: &counts)
  }

  func rewrite(_ line: String, counts: inout [String: Int]) -> String {
    var out = [UInt8]()
    Array(line.utf8).withUnsafeBytes { rewriteLine($0, into: &out, counts: &counts) }
    return String(decoding: out, as: UTF8.self)
  }

  func email(_ value: String) -> String {
    String(decoding: Array(value.utf8).withUnsafeBytes { pseudonym(forEmail: $0) }, as: UTF8.self)
  }

  func user(_ value: String) -> String {
    String(decoding: Array(value.utf8).withUnsafeBytes { pseudonym(forUser: $0) }, as: UTF8.self)
  }

  func host(_ value: String) -> String {
    String(decoding: Array(value.utf8).withUnsafeBytes { pseudonym(forHost: $0) }, as: UTF8.self)
  }

  func ip(_ value: String) -> String? {
    Array(value.utf8).withUnsafeBytes { pseudonym(forIP: $0) }.map { String(decoding: $0, as: UTF8.self) }
  }
}

/// The ipcrypt-pfx pseudonym of `address` under the test keys, computed directly.
func expectedIP(_ address: String, keys: PseudonymKeys = testKeys) -> String {
  try! IPCryptPfx(key: keys.ip).encrypt(IPAddress(address)!).description
}
