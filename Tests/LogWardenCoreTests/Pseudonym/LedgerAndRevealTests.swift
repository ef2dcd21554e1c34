import Foundation
import Testing

@testable import LogWardenCore

@Suite struct LedgerAndRevealTests {
  @Test func ipsRevealWithoutLedger() throws {
    let pseudonymizer = Pseudonymizer(keys: testKeys)
    let revealer = PseudonymRevealer(keys: testKeys)
    for address in ["192.0.2.1", "[2001:db8::1]:25", "::ffff:198.51.100.7", "10.0.0.1:587", "fe80::9%eth0"] {
      let pseudonym = try #require(pseudonymizer.ip(address))
      #expect(pseudonym != address)
      let revealed = try revealer.reveal(pseudonym)
      #expect(revealed.kind == .ip)
      #expect(revealed.value == address)
    }
  }

  @Test func ipRevealNeedsTheSameEpoch() throws {
    let pseudonym = try #require(Pseudonymizer(keys: testKeys).ip("192.0.2.1"))
    let wrongEpoch = PseudonymRevealer(keys: PseudonymKeys(master: testMasterKey, epoch: "other"))
    #expect(try wrongEpoch.reveal(pseudonym).value != "192.0.2.1")
  }

  @Test func addressesUsersAndHostsRevealThroughLedger() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    let ledger = try PseudonymLedger(path: path, keys: testKeys, create: true)
    #expect(fileMode(path) == 0o600)
    let pseudonymizer = Pseudonymizer(keys: testKeys, ledger: ledger)
    let line = "from=<Alice@Example.com> to=<bob@mail.example.org> client=mx1.example.net[192.0.2.1]"
    let rewritten = pseudonymizer.rewrite(line)
    let windowsUser = pseudonymizer.user("CORP\\carol")
    try pseudonymizer.flushLedger()

    let revealer = PseudonymRevealer(
      keys: testKeys, ledger: try PseudonymLedger(path: path, keys: testKeys, create: false))
    #expect(try revealer.reveal(pseudonymizer.email("alice@example.com")).value == "alice@example.com")
    #expect(try revealer.reveal(pseudonymizer.email("bob@mail.example.org")).value == "bob@mail.example.org")
    #expect(try revealer.reveal(pseudonymizer.host("mx1.example.net")).value == "mx1.example.net")
    #expect(try revealer.reveal(pseudonymizer.user("alice")).value == "alice")
    #expect(try revealer.reveal(windowsUser).value == "corp\\carol")
    #expect(!rewritten.contains("example"))
  }

  @Test func unknownTokensStayAndAreListed() throws {
    let pseudonym = Pseudonymizer(keys: testKeys).email("dave@example.com")
    let revelation = try PseudonymRevealer(keys: testKeys).reveal(pseudonym)
    #expect(revelation.value == pseudonym)
    #expect(revelation.unresolvedTokens.count == 2)
    #expect(!revelation.isComplete)
  }

  @Test func ledgerSealsOriginals() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    let pseudonymizer = Pseudonymizer(
      keys: testKeys, ledger: try PseudonymLedger(path: path, keys: testKeys, create: true))
    _ = pseudonymizer.email("very-distinctive-person@example.com")
    try pseudonymizer.flushLedger()
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(bytes.range(of: Data("very-distinctive-person".utf8)) == nil)
    // Another key cannot open the sealed originals.
    let otherKeys = PseudonymKeys(master: try KeyMaterial(bytes: [UInt8](repeating: 3, count: 32)))
    let token = String(pseudonymizer.email("very-distinctive-person@example.com").split(separator: "@")[0])
    #expect(try PseudonymLedger(path: path, keys: otherKeys, create: false).lookup(token: token) == nil)
    #expect(
      try PseudonymLedger(path: path, keys: testKeys, create: false).lookup(token: token)?.original
        == "very-distinctive-person")
  }

  @Test func firstSightingWins() throws {
    let dir = try TemporaryDirectory()
    let ledger = try PseudonymLedger(path: dir.file("l"), keys: testKeys, create: true)
    let token = Array("user-aaaaaaaaaaaaaaaa".utf8)
    try ledger.record([.init(token: token, kind: .user, original: Array("first".utf8))])
    try ledger.record([.init(token: token, kind: .user, original: Array("second".utf8))])
    #expect(try ledger.lookup(token: "user-aaaaaaaaaaaaaaaa")?.original == "first")
  }

  @Test func refusesLedgerReadableByOthers() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    _ = try PseudonymLedger(path: path, keys: testKeys, create: true)
    chmod(path, 0o644)
    #expect(throws: LogWardenError.self) { try PseudonymLedger(path: path, keys: testKeys, create: false) }
    #expect(throws: LogWardenError.self) { try PseudonymLedger(path: path, keys: testKeys, create: true) }
  }

  @Test func missingLedgerForRevealIsNoInput() throws {
    let dir = try TemporaryDirectory()
    do {
      _ = try PseudonymLedger(path: dir.file("absent"), keys: testKeys, create: false)
      Issue.record("opened a missing ledger")
    } catch {
      #expect(error.exitStatus == ExitStatus.noInput)
    }
  }

  @Test func notALedgerIsBadInput() throws {
    let dir = try TemporaryDirectory()
    let path = dir.file("junk")
    FileManager.default.createFile(atPath: path, contents: Data("junk".utf8), attributes: [.posixPermissions: 0o600])
    #expect(throws: LogWardenError.self) { try PseudonymLedger(path: path, keys: testKeys, create: false) }
  }
}

@Suite struct RevealFormsTests {
  @Test func addressLiteralDomainDecrypts() throws {
    let pseudonymizer = Pseudonymizer(keys: testKeys)
    let revealed = try PseudonymRevealer(keys: testKeys).reveal(pseudonymizer.email("postmaster@[192.0.2.1]"))
    #expect(revealed.value.hasSuffix("@[192.0.2.1]"))
    #expect(revealed.unresolvedTokens.count == 1)  // the local part needs the ledger
  }
}
