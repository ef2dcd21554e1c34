import Crypto
import Foundation
import Testing

@testable import LogWardenCore

/// Session S1 (alice) begins in an older file that the retention engine archives, and goes on in the live file; S2
/// (bob) and S3 (nobody selected) interleave with it.
private func sessionFixture(_ s: ShareHarness) throws -> (archived: String, live: String) {
  let older = exchangeLog([
    ("AAAA000000000001", 0, "+", "", ""),
    ("BBBB000000000002", 0, "+", "", ""),
    ("AAAA000000000001", 1, "<", "EHLO laptop.contoso.test", ""),
    ("BBBB000000000002", 1, "<", "EHLO mx.fabrikam.test", ""),
    ("AAAA000000000001", 2, "<", "AUTH PLAIN AGFsaWNlQGNvbnRvc28udGVzdABXaW50ZXIyMDI0IQ==", ""),
    ("BBBB000000000002", 2, "<", "MAIL FROM:<bob@fabrikam.test>", ""),
    ("AAAA000000000001", 3, "*", "", "User Name: alice@contoso.test"),
    ("AAAA000000000001", 4, ">", "235 2.7.0 Authentication successful", ""),
    ("BBBB000000000002", 3, ">", "250 2.1.0 Sender OK", ""),
  ])
  let newer = exchangeLog(
    [
      ("CCCC000000000003", 0, "+", "", ""),
      ("AAAA000000000001", 5, "<", "MAIL FROM:<someone@contoso.test>", ""),
      ("BBBB000000000002", 4, "<", "RCPT TO:<carol@contoso.test>", ""),
      ("CCCC000000000003", 1, "<", "EHLO other.example", ""),
      ("AAAA000000000001", 6, "<", "DATA", ""),
      ("AAAA000000000001", 7, ">", "354 Start mail input; end with <CRLF>.<CRLF>", ""),
      ("AAAA000000000001", 8, "<", "Subject: quarterly numbers", ""),
      ("AAAA000000000001", 9, "<", ".", ""),
      ("AAAA000000000001", 10, ">", "250 2.6.0 Queued mail for delivery", ""),
      ("BBBB000000000002", 5, "-", "", "Local"),
      ("AAAA000000000001", 11, "-", "", "Local"),
    ], minute: 5)
  Files.write(s.logs + "/RECV2025011410-1.LOG", older, modified: T0 - 30 * hour)
  Files.write(s.logs + "/RECV2025011411-1.LOG", newer, modified: T0 - 10)
  try s.h.run(at: T0)  // archives the older file (closed mode): S1 now spans an archive and a live file
  #expect(s.h.archiveNames() == ["RECV2025011410-1-20250114T060000Z.LOG.gz"])
  return (older, newer)
}

/// Only the header lines and the rows of `session`.
private func only(_ session: String, of log: String) -> String {
  log.linesKeepingEnds.filter { $0.hasPrefix("#") || $0.sessionColumn == session }.joined()
}

@Suite struct ShareTests {
  @Test func keepsWholeSessionsOfTheSelectedUserAcrossInterleavedLinesAndFiles() throws {
    let s = try ShareHarness()
    let (older, newer) = try sessionFixture(s)
    let out = s.root + "/ticket.tar.gz"
    let result = try s.share(ShareSelection(users: ["alice@contoso.test"]), out: out)
    guard case .written(let manifest) = result.outcome else {
      Issue.record("not written: \(result.outcome)")
      return
    }
    let files = try BundleReader.read(out)
    let archived = "ticket/exch/RECV2025011410-1-20250114T060000Z.LOG"
    let live = "ticket/exch/RECV2025011411-1.LOG"
    #expect(Set(files.keys) == [archived, live, "ticket/MANIFEST.json", "ticket/README.txt"])

    // Exactly the selected session's rows, sanitized as the vendor profile does them; no other session's rows.
    #expect(
      String(decoding: files[archived]!, as: UTF8.self)
        == (try s.vendor(only("AAAA000000000001", of: older), name: "RECV2025011410-1-20250114T060000Z.LOG")))
    #expect(
      String(decoding: files[live]!, as: UTF8.self)
        == (try s.vendor(only("AAAA000000000001", of: newer), name: "RECV2025011411-1.LOG")))
    for content in files.values {
      let text = String(decoding: content, as: UTF8.self)
      #expect(!text.contains("BBBB000000000002"))
      #expect(!text.contains("CCCC000000000003"))
      #expect(!text.contains("alice"))
      #expect(!text.contains("Winter2024"))
      #expect(!text.contains("quarterly"))
    }
    // Every row of S1 is there (the body lines become one marker row).
    let liveText = String(decoding: files[live]!, as: UTF8.self)
    #expect(liveText.rows(ofSession: "AAAA000000000001").count == 7)
    #expect(liveText.contains("[logwarden: body removed: 1 lines;"))
    #expect(manifest.files.map(\.sessionsKept) == [1, 1])
    #expect(manifest.files.map(\.selection) == ["sessions", "sessions"])
    #expect(manifest.files.map(\.source) == ["archive", "live"])
    #expect(manifest.totals.credentialsMasked["sasl-plain"] == 1)

    // The printed pseudonym is the one in the bundle.
    let alice = try #require(result.pseudonyms.first)
    #expect(alice.value == "alice@contoso.test" && alice.kind == .email)
    #expect(String(decoding: files[archived]!, as: UTF8.self).contains("User Name: " + alice.pseudonym))
    #expect(manifest.selection.users == [.init(kind: "email", pseudonym: alice.pseudonym)])
    #expect(!String(decoding: files["ticket/MANIFEST.json"]!, as: UTF8.self).contains("alice"))
  }

  @Test func selectsByIPAndSessionIDAndTimeRange() throws {
    let s = try ShareHarness()
    _ = try sessionFixture(s)
    let out = s.root + "/by-ip.zip"
    let byIP = try s.share(ShareSelection(ips: [IPAddress("203.0.113.9")!]), out: out)
    guard case .written(let manifest) = byIP.outcome else {
      Issue.record("not written")
      return
    }
    #expect(manifest.files.allSatisfy { $0.sessionsKept == 1 })
    let text = try BundleReader.read(out).filter { $0.key.hasSuffix(".LOG") }.values.map {
      String(decoding: $0, as: UTF8.self)
    }
    .joined()
    #expect(text.rows(ofSession: "BBBB000000000002").count == 6)
    #expect(!text.contains("AAAA000000000001") && !text.contains("CCCC000000000003"))

    let bySession = s.root + "/by-session.tar.gz"
    guard case .written = try s.share(ShareSelection(sessions: ["cccc000000000003"]), out: bySession).outcome else {
      Issue.record("not written")
      return
    }
    let files = try BundleReader.read(bySession).filter { $0.key.hasSuffix(".LOG") }
    #expect(files.keys.sorted() == ["by-session/exch/RECV2025011411-1.LOG"])

    // Rows from 10:05:00 to 10:05:02 of the live file only, whole file otherwise not needed.
    let byTime = s.root + "/by-time.tar.gz"
    let since = LineTimestamp.parseISO8601(Array("2025-01-14T10:05:00Z".utf8), 0, 20)!
    let result = try s.share(ShareSelection(since: since, until: since + 2), out: byTime)
    guard case .written(let m) = result.outcome else {
      Issue.record("not written")
      return
    }
    #expect(m.files.map(\.path) == ["exch/RECV2025011411-1.LOG"])
    #expect(m.files[0].selection == "time")
    #expect(m.files[0].firstTime == "2025-01-14T10:05:00Z" && m.files[0].lastTime == "2025-01-14T10:05:02Z")

    let none = try s.share(ShareSelection(users: ["nobody@nowhere.test"]), out: s.root + "/none.tar.gz")
    guard case .nothingSelected = none.outcome else {
      Issue.record("expected nothing selected")
      return
    }
    #expect(!Files.exists(s.root + "/none.tar.gz"))
  }

  @Test func findsAFailedLoginByTheUserNameInsideItsSASLResponse() throws {
    let s = try ShareHarness()
    // dave's only trace: his AUTH PLAIN response (\0dave@contoso.test\0Summer2025!) and AUTH LOGIN user name.
    let plain = Data("\u{0}dave@contoso.test\u{0}Summer2025!".utf8).base64EncodedString()
    let login = Data("erin@contoso.test".utf8).base64EncodedString()
    let log = exchangeLog([
      ("AAAA000000000001", 0, "+", "", ""),
      ("BBBB000000000002", 0, "+", "", ""),
      ("AAAA000000000001", 1, "<", "AUTH PLAIN " + plain, ""),
      ("BBBB000000000002", 1, "<", "AUTH LOGIN", ""),
      ("AAAA000000000001", 2, ">", "535 5.7.3 Authentication unsuccessful", ""),
      ("BBBB000000000002", 2, ">", "334 <authentication response>", ""),
      ("BBBB000000000002", 3, "<", login, ""),
      ("CCCC000000000003", 0, "+", "", ""),
    ])
    Files.write(s.logs + "/RECV2025011411-1.LOG", log, modified: T0 - 10)
    for (user, session, rows) in [
      ("dave@contoso.test", "AAAA000000000001", 3), ("erin@contoso.test", "BBBB000000000002", 4),
    ] {
      let out = s.root + "/\(session).tar.gz"
      guard case .written(let manifest) = try s.share(ShareSelection(users: [user]), out: out).outcome else {
        Issue.record("not written for \(user)")
        continue
      }
      #expect(manifest.files.map(\.sessionsKept) == [1])
      let text = String(decoding: try BundleReader.read(out).first { $0.key.hasSuffix(".LOG") }!.value, as: UTF8.self)
      #expect(text.rows(ofSession: session).count == rows)
      #expect(text.linesKeepingEnds.filter { !$0.hasPrefix("#") }.allSatisfy { $0.sessionColumn == session })
      #expect(!text.contains(plain) && !text.contains(login))
    }
  }

  @Test(arguments: ["tar.gz", "zip"])
  func manifestHashesAndSizesMatchTheFilesInTheBundle(_ ext: String) throws {
    let s = try ShareHarness()
    _ = try sessionFixture(s)
    let out = s.root + "/bundle." + ext
    let result = try s.share(ShareSelection(users: ["bob@fabrikam.test"]), out: out, epoch: "ticket-4711")
    guard case .written(let manifest) = result.outcome else {
      Issue.record("not written")
      return
    }
    let files = try BundleReader.read(out)
    let json = try #require(files["bundle/MANIFEST.json"])
    let decoded = try JSONDecoder().decode(ShareManifest.self, from: Data(json))
    #expect(decoded.files.count == 2)
    #expect(decoded.key == .init(fingerprint: s.key.fingerprint(epoch: "ticket-4711"), epoch: "ticket-4711"))
    #expect(decoded.version == LogWardenVersion.current)
    #expect(decoded.profile == .vendor)
    for entry in decoded.files {
      let content = try #require(files["bundle/" + entry.path])
      #expect(Int64(content.count) == entry.bytes)
      #expect(Hex.lower(SHA256.hash(data: content)) == entry.sha256)
      #expect(entry.set == "exch" && entry.format == "exchange-csv")
    }
    #expect(manifest.totals.bytes == decoded.files.reduce(0) { $0 + $1.bytes })
    let readme = String(decoding: try #require(files["bundle/README.txt"]), as: UTF8.self)
    #expect(readme.contains(s.key.fingerprint(epoch: "ticket-4711")))
    #expect(readme.contains("ipcrypt-pfx") && readme.contains("****") && readme.contains("body removed"))
    // Nothing of the staging area is left next to the bundle.
    #expect(Files.list(s.root).filter { $0.contains("logwarden") }.isEmpty)
  }

  @Test func refusesWhenTheOutputStillHoldsACredentialAndNamesFileAndLineOnly() throws {
    let s = try ShareHarness()
    // The context column is free text, not a protocol field: the format masks key=value secrets there but not a
    // protocol command an agent quoted into it; the share's leak scan is the second line of defence.
    let log = exchangeLog([
      ("AAAA000000000001", 0, "+", "", ""),
      ("AAAA000000000001", 1, "<", "EHLO laptop.contoso.test", ""),
      ("AAAA000000000001", 2, "*", "", "agent replayed PASS hunter2 to the server"),
      ("AAAA000000000001", 3, "<", "MAIL FROM:<alice@contoso.test>", ""),
    ])
    Files.write(s.logs + "/RECV2025011411-1.LOG", log, modified: T0 - 10)
    let out = s.root + "/leak.tar.gz"
    let result = try s.share(ShareSelection(users: ["alice@contoso.test"]), out: out)
    guard case .refused(let findings) = result.outcome else {
      Issue.record("expected a refusal, got \(result.outcome)")
      return
    }
    #expect(
      findings == [
        LeakFinding(file: "exch/RECV2025011411-1.LOG", line: 7, what: "still looks like a credential (pop3-pass)")
      ])
    #expect(findings.allSatisfy { !$0.description.contains("hunter2") })
    #expect(!Files.exists(out))
    #expect(Files.list(s.root).filter { $0.contains("logwarden") }.isEmpty)
  }

  @Test func refusesWhenAnOriginalOfASelectedUserOrIPSurvives() throws {
    let s = try ShareHarness()
    _ = try sessionFixture(s)
    // A file that bypasses the sanitizer: copied as it is.
    let builder = ShareBuilder(
      policy: s.h.policy,
      options: s.options(
        ShareSelection(users: ["alice@contoso.test"], ips: [IPAddress("198.51.100.7")!]), out: s.root + "/raw.zip"))
    builder.sanitizeOverride = { (_: String, source: ByteSource, sink: ByteSink) throws(LogWardenError) -> FileReport in
      try StreamCopy.copy(from: source, to: sink)
      try sink.finish()
      return FileReport(path: "", format: "exchange-csv")
    }
    let result = try builder.build()
    guard case .refused(let findings) = result.outcome else {
      Issue.record("expected a refusal")
      return
    }
    let whats = Set(findings.map(\.what))
    #expect(whats.contains("holds an original of --user #1"))
    #expect(whats.contains("holds an original of --ip #1"))
    #expect(whats.contains("still looks like a credential (sasl-plain)"))
    #expect(
      findings.contains(
        LeakFinding(
          file: "exch/RECV2025011410-1-20250114T060000Z.LOG", line: 7,
          what: "still looks like a credential (sasl-plain)")))
    for finding in findings {
      #expect(!finding.description.contains("alice") && !finding.description.contains("198.51.100.7"))
    }
    #expect(!Files.exists(s.root + "/raw.zip"))
  }

  @Test func formatsWithoutSessionsKeepWholeFilesThatMentionASelectedValue() throws {
    let s = try ShareHarness(format: nil, glob: "*.txt")
    Files.write(
      s.logs + "/a.txt", "10:00 accepted alice@contoso.test from 198.51.100.7\n10:01 PASS ****\n", modified: T0 - 60)
    Files.write(s.logs + "/b.txt", "10:00 accepted bob@fabrikam.test\n", modified: T0 - 60)
    let out = s.root + "/generic.tar.gz"
    let result = try s.share(ShareSelection(users: ["alice@contoso.test"]), out: out)
    guard case .written(let manifest) = result.outcome else {
      Issue.record("not written: \(result.outcome)")
      return
    }
    #expect(manifest.files.map(\.path) == ["exch/a.txt"])
    #expect(manifest.files[0].selection == "whole-file")
    #expect(manifest.files[0].format == "generic")
    let text = String(decoding: try BundleReader.read(out)["generic/exch/a.txt"]!, as: UTF8.self)
    #expect(text.hasPrefix("10:00 accepted user-"))
    #expect(text.split(separator: "\n").count == 2)
  }

  @Test func archivesAlreadyPseudonymizedWithAnotherKeyOrEpochAreLeftOutAndSaidSo() throws {
    let s = try ShareHarness()
    _ = try sessionFixture(s)
    // Mark the archive as vendor-staged in the state database.
    let store = try StateStore.open(path: s.h.policy.stateDatabasePath, now: T0)
    var record = try #require(try store.archives(setName: "exch").first)
    record.profileStrength = SanitizeProfile.vendor.strength
    try store.updateArchive(record, clearingJournal: nil)
    let result = try s.share(
      ShareSelection(ips: [IPAddress("198.51.100.7")!]), out: s.root + "/e.tar.gz", epoch: "other")
    #expect(result.warnings.count == 1)
    #expect(result.warnings[0].contains("already pseudonymized"))
    guard case .written(let manifest) = result.outcome else {
      Issue.record("not written")
      return
    }
    #expect(manifest.files.map(\.source) == ["live"])
  }

  @Test func anUnreadableArchiveIsLeftOutAndTheBundleMarkedIncomplete() throws {
    let s = try ShareHarness()
    _ = try sessionFixture(s)
    let archive = s.h.archives + "/" + s.h.archiveNames()[0]
    Files.write(archive, "not gzip at all")
    let result = try s.share(ShareSelection(ips: [IPAddress("198.51.100.7")!]), out: s.root + "/i.tar.gz")
    guard case .written(let manifest) = result.outcome else {
      Issue.record("not written")
      return
    }
    #expect(result.incomplete)
    #expect(result.warnings.count == 1 && result.warnings[0].hasPrefix(archive + ": left out: "))
    #expect(manifest.files.map(\.source) == ["live"])
  }

  @Test func keyFingerprintIsStableDependsOnEpochAndIsNotTheKey() throws {
    let key = try KeyMaterial(bytes: [UInt8](repeating: 7, count: 32))
    let a = key.fingerprint(epoch: nil)
    #expect(a.count == 16 && a.allSatisfy(\.isHexDigit))
    #expect(a == key.fingerprint(epoch: ""))
    #expect(a != key.fingerprint(epoch: "2026-q1"))
    #expect(a != (try KeyMaterial(bytes: [UInt8](repeating: 8, count: 32))).fingerprint(epoch: nil))
    #expect(!String(decoding: key.hexDigits, as: UTF8.self).contains(a))
  }
}

@Suite struct LineInspectionTests {
  @Test func exchangeRowsGiveSessionTimeAndIdentityFields() {
    let inspector = ExchangeCSVFormat.makeInspector(fileName: "RECV2025011410-1.LOG")
    let lines = exchangeLog([("08D675E58CA1DA37", 3, "*", "", "User Name: alice@contoso.test")]).split(
      separator: "\r\n")
    var facts = LineFacts()
    var seen: [LineFacts] = []
    for line in lines {
      facts.reset()
      Array(line.utf8).withUnsafeBufferPointer {
        inspector.inspect(ByteLine(base: $0.baseAddress!, count: $0.count), into: &facts)
      }
      seen.append(facts)
    }
    #expect(seen.dropLast().allSatisfy { $0.role == .header })
    let row = seen.last!
    #expect(row.role == .entry)
    #expect(row.session == 0x08D6_75E5_8CA1_DA37)
    #expect(row.session == ExchangeCSVFormat.sessionKey(forID: "08d675e58ca1da37"))
    #expect(row.timestamp == LineTimestamp.parseISO8601(Array("2025-01-14T10:00:00Z".utf8), 0, 20))
    #expect(row.fields.map(\.kind) == [.endpoint, .endpoint, .text, .text])
    let matcher = IdentityMatcher(users: ["ALICE@contoso.test"], ips: [])
    Array(lines.last!.utf8).withUnsafeBufferPointer { b in
      #expect(matcher.matches(ByteLine(base: b.baseAddress!, count: b.count), row))
      #expect(
        !IdentityMatcher(users: ["lice@contoso.test", "alice@contoso.tes"], ips: []).matchesAnywhere(
          ByteLine(base: b.baseAddress!, count: b.count)))
      #expect(
        IdentityMatcher(users: [], ips: [IPAddress("198.51.100.7")!]).matches(
          ByteLine(base: b.baseAddress!, count: b.count), row) == false)
      #expect(
        IdentityMatcher(users: [], ips: [IPAddress("192.0.2.44")!]).matches(
          ByteLine(base: b.baseAddress!, count: b.count), row))
    }
  }

  @Test func popImapSchemaUsesItsOwnColumns() {
    let inspector = ExchangeCSVFormat.makeInspector(fileName: "IMAP4.LOG")
    let text =
      "dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context\n"
      + "2023-01-11T16:00:00.000Z,42,1,10.0.0.6:993,192.0.2.9:4000,CONTOSO\\frank,1,10,10,LOGIN,frank ****,R=ok\n"
    var facts = LineFacts()
    var last = LineFacts()
    for line in text.split(separator: "\n") {
      facts.reset()
      Array(line.utf8).withUnsafeBufferPointer {
        inspector.inspect(ByteLine(base: $0.baseAddress!, count: $0.count), into: &facts)
      }
      last = facts
    }
    #expect(last.session == ExchangeCSVFormat.sessionKey(forID: "42"))
    #expect(last.fields.map(\.kind) == [.endpoint, .endpoint, .user, .text, .text, .text])
  }

  @Test(arguments: [
    ("2025-01-14T10:00:00Z", 1_736_848_800), ("2025-01-14 10:00:00.123", 1_736_848_800),
    ("2025-01-14T11:00:00+01:00", 1_736_848_800), ("2025-01-14T05:30:00-0430", 1_736_848_800),
    ("2024-02-29T00:00:00Z", 1_709_164_800), ("1970-01-01T00:00:00Z", 0),
  ])
  func timestamps(_ text: String, _ expected: Int64) {
    #expect(LineTimestamp.parseISO8601(Array(text.utf8), 0, text.utf8.count) == expected)
  }

  @Test func lineFilterKeepsChosenLinesWithTheirEndingsAtEveryChunkSize() throws {
    let input = Array("keep 1\r\ndrop\nkeep 2\n\ndrop again\nkeep last".utf8)
    for chunk in 1...9 {
      let filter = LineFilterSource(upstream: MemorySource(input, maxChunk: chunk), maxLineLength: 1024, readSize: 3) {
        $0.count >= 4 && $0[0] == 0x6B
      }
      let sink = MemorySink()
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 1)
      defer { buffer.deallocate() }
      while true {
        let n = try filter.read(into: buffer)
        if n == 0 { break }
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      }
      #expect(String(decoding: sink.bytes, as: UTF8.self) == "keep 1\r\nkeep 2\nkeep last", "chunk \(chunk)")
    }
  }

  @Test func lineFilterDropsOverlongLinesWhole() throws {
    let input = Array(("keep a\n" + String(repeating: "x", count: 5000) + "\nkeep b\n").utf8)
    let filter = LineFilterSource(upstream: MemorySource(input, maxChunk: 100), maxLineLength: 1024, readSize: 100) {
      _ in true
    }
    let sink = MemorySink()
    try StreamCopy.copy(from: filter, to: sink)
    #expect(String(decoding: sink.bytes, as: UTF8.self) == "keep a\nkeep b\n")
    #expect(filter.overlongLinesDropped == 1)
  }
}

/// The leak check over every format fixture: silent on what the vendor profile writes (no refusal of a good bundle),
/// and loud on the raw inputs that hold credentials (a bundle that bypassed the sanitizer is refused).
@Suite struct LeakCheckOverFixturesTests {
  static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("formats")
  static var cases: [String] { FormatGoldenTests.cases }

  private func scan(_ bytes: [UInt8], name: String) throws -> [LeakFinding] {
    let type = bytes.withUnsafeBytes { BuiltinFormats.detect(head: $0, fileName: name) } ?? BuiltinFormats.fallback
    return try LeakScanner(users: [], ips: []).scan(MemorySource(bytes), file: name, format: type)
  }

  @Test(arguments: cases)
  func vendorOutputPassesAndRawInputWithCredentialsIsCaught(_ name: String) throws {
    let url = Self.root.appendingPathComponent(name)
    let (vendor, report) = try FormatGoldenTests.sanitizeBytes(url, profile: .vendor)
    #expect(try scan(vendor, name: url.lastPathComponent) == [], "false alarm on the vendor output")
    let raw = Array(try Data(contentsOf: url))
    if report.totalCredentialsMasked > 0 {
      #expect(try !scan(raw, name: url.lastPathComponent).isEmpty, "a raw input with credentials passes the check")
    }
  }
}
