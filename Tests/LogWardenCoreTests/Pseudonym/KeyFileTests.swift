import Foundation
import Testing

@testable import LogWardenCore

@Suite struct KeyFileTests {
  @Test func generateWritesOneHexLineWithMode0600() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("key")
    try KeyFile.generate(at: path)
    #expect(fileMode(path) == 0o600)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.count == 65)
    #expect(text.hasSuffix("\n"))
    #expect(text.dropLast().allSatisfy { $0.isHexDigit && !$0.isUppercase })
  }

  @Test func generateRefusesToOverwrite() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("key")
    try KeyFile.generate(at: path)
    let before = try String(contentsOfFile: path, encoding: .utf8)
    #expect(throws: LogWardenError.self) { try KeyFile.generate(at: path) }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == before)
  }

  @Test func generateCreatesPrivateParentDirectories() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("a/b/key")
    try KeyFile.generate(at: path)
    #expect(fileMode(dir.file("a/b")) == 0o700)
    _ = try KeyFile.load(from: path)
  }

  @Test func twoGeneratedKeysDiffer() throws {
    let dir = try TemporaryDirectory()
    let first = try KeyFile.generate(at: dir.file("one"))
    let second = try KeyFile.generate(at: dir.file("two"))
    #expect(first.hexDigits != second.hexDigits)
  }

  @Test func loadRoundTripsGeneratedKey() throws {
    let dir = try TemporaryDirectory()
    let generated = try KeyFile.generate(at: dir.file("key"))
    #expect(try KeyFile.load(from: dir.file("key")).hexDigits == generated.hexDigits)
  }

  @Test(arguments: [0o640, 0o604, 0o644, 0o660, 0o700 | 0o070])
  func loadRefusesKeyAccessibleByOthers(mode: Int) throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("key")
    try KeyFile.generate(at: path)
    chmod(path, mode_t(mode))
    do {
      _ = try KeyFile.load(from: path)
      Issue.record("a key with mode \(String(mode, radix: 8)) was accepted")
    } catch {
      #expect(error.exitStatus == ExitStatus.config)
      #expect(error.description.contains("chmod 600"))
    }
  }

  @Test func missingKeyFileIsNoInputAndNamesKeygen() throws {
    let dir = try TemporaryDirectory()
    do {
      _ = try KeyFile.load(from: dir.file("absent"))
      Issue.record("a missing key loaded")
    } catch {
      #expect(error.exitStatus == ExitStatus.noInput)
      #expect(error.description.contains("logwarden keygen"))
    }
  }

  @Test func malformedKeyIsRefusedWithoutEchoingIt() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("key")
    let secret = "not-a-key-but-secret-looking-content"
    FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
    do {
      _ = try KeyFile.load(from: path)
      Issue.record("a malformed key loaded")
    } catch {
      #expect(error.exitStatus == ExitStatus.config)
      #expect(!error.description.contains(secret))
    }
  }

  @Test func parseAcceptsSurroundingWhitespaceAndUpperCase() {
    let hex = String(repeating: "aB", count: 32)
    #expect(KeyMaterial.parse(fileContents: Array("  \(hex)\r\n".utf8)) != nil)
    #expect(KeyMaterial.parse(fileContents: Array(hex.dropLast().utf8)) == nil)
    #expect(KeyMaterial.parse(fileContents: Array((hex + hex).utf8)) == nil)
  }
}

@Suite struct KeyLookupTests {
  let home = "/home/alice"

  @Test func commandLineWins() {
    let lookup = KeyLookup(
      commandLinePath: "/cli", policyPath: "/policy", environment: ["LOGWARDEN_KEY": "/env", "HOME": home],
      isRoot: false)
    #expect(lookup.resolve()! == ("/cli", .commandLine))
  }

  @Test func environmentBeforePolicy() {
    let lookup = KeyLookup(policyPath: "/policy", environment: ["LOGWARDEN_KEY": "/env", "HOME": home], isRoot: false)
    #expect(lookup.resolve()! == ("/env", .environment))
  }

  @Test func policyBeforeDefault() {
    let lookup = KeyLookup(policyPath: "/policy", environment: ["HOME": home, "LOGWARDEN_KEY": ""], isRoot: false)
    #expect(lookup.resolve()! == ("/policy", .policy))
  }

  @Test func userDefaultUnderHome() {
    let lookup = KeyLookup(environment: ["HOME": home], isRoot: false)
    #expect(lookup.resolve()! == ("/home/alice/.config/logwarden/key", .defaultLocation))
  }

  @Test func rootDefaultIsSystemWide() {
    let lookup = KeyLookup(environment: ["HOME": "/root"], isRoot: true)
    #expect(lookup.resolve()! == ("/etc/logwarden/key", .defaultLocation))
  }

  @Test func noHomeAndNothingConfiguredNamesKeygen() {
    let lookup = KeyLookup(environment: [:], isRoot: false)
    #expect(lookup.resolve() == nil)
    do {
      _ = try lookup.load()
      Issue.record("loaded a key from nowhere")
    } catch {
      #expect(error.exitStatus == ExitStatus.noInput)
      #expect(error.description.contains("logwarden keygen"))
    }
  }

  @Test func explicitMissingPathDoesNotFallBack() throws {
    let dir = try TemporaryDirectory()
    try KeyFile.generate(at: dir.path + "/.config/logwarden/key")
    let lookup = KeyLookup(commandLinePath: dir.file("absent"), environment: ["HOME": dir.path], isRoot: false)
    #expect(throws: LogWardenError.self) { try lookup.load() }
    let fallback = KeyLookup(environment: ["HOME": dir.path], isRoot: false)
    _ = try fallback.load()
  }
}

@Suite struct PseudonymKeysTests {
  @Test func epochsAndUsesGiveIndependentKeys() throws {
    let master = try KeyMaterial(bytes: [UInt8](repeating: 1, count: 32))
    let plain = PseudonymKeys(master: master)
    let april = PseudonymKeys(master: master, epoch: "2026-04")
    let may = PseudonymKeys(master: master, epoch: "2026-05")
    #expect(plain.ip != april.ip)
    #expect(april.ip != may.ip)
    #expect(plain.identity != plain.domain)
    #expect(april.identity != may.identity)
    #expect(PseudonymKeys(master: master, epoch: "").ip == plain.ip)
    #expect(PseudonymKeys(master: master, epoch: "2026-04").ip == april.ip)
  }
}
