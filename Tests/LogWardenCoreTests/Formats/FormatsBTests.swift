import Foundation
import Testing
@testable import LogWardenCore

/// Leak, detection, chunking and pairing tests for the mail-syslog, dovecot-rawlog, hmailserver and mailenable
/// formats. The planted secrets and message texts are those of Scripts/make-formats-b-fixtures.py.
struct FormatsBLeakTests {
  static let formats = ["mail-syslog", "dovecot-rawlog", "hmailserver", "mailenable"]
  static let passwords = [
    "Tr0ub4dor&3 horse", "qu\"ote\\back slash", "pässwörd€42", "hunter2-secret", "wr0ng guess)x'",
    "$6$saltsalt$storedhashvalue0123", "ya29.A0ARrdaM-fake-oauth-token", "4397c139d62468f0a33667937ca6e97aa65eacc7",
    "8ec077def707d11313ced0e16cabd6d6", "7fdd1bc30dd764f18321c9f0b2cd948d",
  ]
  static let users = ["fred@example.test", "alice@example.test", "bob@example.test", "relay-account", ""]
  static let bodyText = ["BODYTEXT-alpha", "BODYTEXT-beta", "SUBJECTLINE-gamma", "HEADERCHECK-delta", "APPENDED-epsilon"]

  /// Every form a planted secret may take in a log: itself, its pieces, IMAP-quoted, hex, base64 alone and inside
  /// SASL PLAIN blobs (with and without an authorization identity).
  static var secretForms: [String] {
    var forms: [String] = []
    for secret in passwords {
      forms.append(secret)
      forms += secret.split(separator: " ").map(String.init).filter { $0.count >= 6 }
      forms.append(secret.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))
      forms.append(Array(secret.utf8).map { String(format: "%02x", $0) }.joined())
      forms.append(Base64.encode(Array(secret.utf8)))
      for user in users {
        for authz in ["", "x", user] {
          forms.append(Base64.encode(Array((authz + "\0" + user + "\0" + secret).utf8)))
        }
      }
    }
    return forms
  }

  static var singleFixtures: [String] {
    var result: [String] = []
    for format in formats {
      let dir = FormatGoldenTests.root.appendingPathComponent(format)
      for file in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      where file.hasSuffix(".log") || file.hasSuffix(".in") || file.hasSuffix(".out") {
        result.append("\(format)/\(file)")
      }
    }
    return result.sorted()
  }

  static func assertNoLeak(_ output: [UInt8], _ name: String, bodies: Bool) {
    let text = String(decoding: output, as: UTF8.self)
    for form in secretForms where text.contains(form) {
      Issue.record("\(name) leaks a form of a planted secret (\(form.count) bytes)")
    }
    // XOAUTH2 blobs of the fixtures contain the token: any long run of its base64 is a leak too.
    #expect(!text.contains("QmVhcmVyIHlhMjk"), "\(name) leaks an XOAUTH2 blob")
    if bodies {
      for body in bodyText where text.contains(body) { Issue.record("\(name) leaks message text") }
    }
  }

  @Test(arguments: singleFixtures)
  func noSecretOrBodySurvives(_ fixture: String) throws {
    let url = FormatGoldenTests.root.appendingPathComponent(fixture)
    let (level4, report) = try FormatGoldenTests.sanitizeBytes(url, profile: .level4)
    Self.assertNoLeak(level4, fixture, bodies: true)
    #expect(report.format == fixture.split(separator: "/").first.map(String.init))
    let (credentials, _) = try FormatGoldenTests.sanitizeBytes(url, profile: .credentials)
    Self.assertNoLeak(credentials, fixture + " (credentials profile)", bodies: false)
  }

  @Test(arguments: FormatGoldenTestsB.pairStems)
  func noSecretOrBodySurvivesInPairs(_ stem: String) throws {
    let (received, sent, _, _) = try FormatGoldenTestsB.sanitizePair(stem)
    Self.assertNoLeak(received, stem + ".in", bodies: true)
    Self.assertNoLeak(sent, stem + ".out", bodies: true)
    let (r2, s2, _, _) = try FormatGoldenTestsB.sanitizePair(stem, profile: .credentials)
    Self.assertNoLeak(r2, stem + ".in (credentials profile)", bodies: false)
    Self.assertNoLeak(s2, stem + ".out (credentials profile)", bodies: false)
  }

  @Test func credentialsProfileKeepsMessageText() throws {
    let (_, sent, _, _) = try FormatGoldenTestsB.sanitizePair("20240501-100000.1234.1", profile: .credentials)
    #expect(String(decoding: sent, as: UTF8.self).contains("BODYTEXT-beta fetched"))
    let url = FormatGoldenTests.root.appendingPathComponent("mail-syslog/postfix-debug-peer.log")
    let (syslog, _) = try FormatGoldenTests.sanitize(url, profile: .credentials)
    #expect(syslog.contains("header Subject: SUBJECTLINE-gamma from"))
  }

  @Test(arguments: singleFixtures)
  func everyChunkBoundaryGivesTheSameOutput(_ fixture: String) throws {
    let url = FormatGoldenTests.root.appendingPathComponent(fixture)
    let bytes = Array(try Data(contentsOf: url))
    let name = url.lastPathComponent
    func run(_ chunk: Int) throws -> [UInt8] {
      let sink = MemorySink()
      _ = try Sanitizer(options: SanitizeOptions(profile: .level4)).sanitize(
        source: MemorySource(bytes, maxChunk: chunk), sink: sink, name: name)
      return sink.bytes
    }
    let reference = try run(Int.max)
    for chunk in [1, 3, 64, 4099] { #expect(try run(chunk) == reference, "\(fixture) chunk size \(chunk)") }
  }
}

struct FormatsBDetectionTests {
  static func detect(_ text: String, fileName: String) -> String? {
    Array(text.utf8).withUnsafeBytes { BuiltinFormats.detect(head: $0, fileName: fileName)?.name }
  }

  @Test func recognisesEachShape() {
    #expect(Self.detect("Nov  6 20:02:02 tiki postfix/smtpd[8834]: connect from unknown[10.0.0.4]\n", fileName: "mail.log") == "mail-syslog")
    #expect(Self.detect("2024-05-01T10:00:00.123456+02:00 mx postfix/smtpd[1]: x\n", fileName: "maillog") == "mail-syslog")
    #expect(Self.detect("Nov 22 13:29:23 auth: Debug: client in: AUTH\t1\tPLAIN\n", fileName: "dovecot.log") == "mail-syslog")
    #expect(Self.detect("May  1 10:00:00 mx dovecot: imap-login: Login: user=<a>\n", fileName: "syslog") == "mail-syslog")
    #expect(Self.detect("1714550400.000274 a1 CAPABILITY\r\n", fileName: "20240501-100000.1234.1.in") == "dovecot-rawlog")
    #expect(Self.detect("a1 CAPABILITY\r\n", fileName: "10.0.0.1-20240501-100000-1234.in") == "dovecot-rawlog")
    #expect(Self.detect("1714550400.000274 I: a1 CAPABILITY\r\n", fileName: "rawlog.txt") == "dovecot-rawlog")
    #expect(Self.detect("\"SMTPD\"\t4388\t5\t\"2020-02-28 15:06:25.909\"\t\"1.2.3.4\"\t\"RECEIVED: EHLO x\"\r\n", fileName: "x.log") == "hmailserver")
    #expect(Self.detect("\"TCPIP\"\t5104\t\"2016-02-06 05:29:12.655\"\t\"TCP - connected\"\r\n", fileName: "hmailserver_2016-02-06.log") == "hmailserver")
    #expect(Self.detect("04/22/11 13:15:49\tSMTP-IN\tA.MAI\t208\t127.0.0.1\tEHLO\tEHLO x\t250 ok\t1\t2\t\r\n", fileName: "x.log") == "mailenable")
  }

  @Test func leavesOtherShapesAlone() {
    let exchange = "#Software: Microsoft Exchange Server\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
    #expect(Self.detect(exchange, fileName: "RECV2023011116-1.LOG") == "exchange-csv")
    #expect(Self.detect("hello world\nthis is not a mail log\n", fileName: "notes.txt") == nil)
    #expect(Self.detect("20240501 some text\n", fileName: "data.in") == nil)
  }

  @Test func pairsRawlogHalvesByName() {
    func f(_ path: String) -> InputFile { InputFile(path: path, relativePath: path) }
    let units = InputDiscovery.units([
      f("a/20240501-100000.1234.1.out"), f("a/other.log"), f("a/20240501-100000.1234.1.in"),
      f("b/20240501-100000.1234.1.in"), f("a/10.0.0.1-20240501-100000-77.in.gz"), f("a/10.0.0.1-20240501-100000-77.out"),
      f("a/x.in"), f("a/x.out"),
    ])
    #expect(units == [
      .pair(received: f("a/20240501-100000.1234.1.in"), sent: f("a/20240501-100000.1234.1.out")), .single(f("a/other.log")),
      .single(f("b/20240501-100000.1234.1.in")),
      .pair(received: f("a/10.0.0.1-20240501-100000-77.in.gz"), sent: f("a/10.0.0.1-20240501-100000-77.out")),
      .single(f("a/x.in")), .single(f("a/x.out")),
    ])
  }
}

struct RawlogPairTests {
  func pair(_ received: String, _ sent: String, profile: SanitizeProfile = .level4) throws -> (String, String, FileReport, FileReport) {
    let a = MemorySink()
    let b = MemorySink()
    let (ra, rb) = try Sanitizer(options: SanitizeOptions(profile: profile)).sanitizePair(
      received: PairHalf(source: MemorySource(Array(received.utf8), maxChunk: 5), sink: a, name: "x.in"),
      sent: PairHalf(source: MemorySource(Array(sent.utf8), maxChunk: 7), sink: b, name: "x.out"))
    return (String(decoding: a.bytes, as: UTF8.self), String(decoding: b.bytes, as: UTF8.self), ra, rb)
  }

  @Test func theServerHalfOfAnUntimestampedStartTLSPairStartsInPlaintext() throws {
    // The client pass ends in TLS; the server pass must not inherit that and lose its banner and replies.
    let c = "a0 NOOP\r\na1 STARTTLS\r\n\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}junk\n"
    let s = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\na0 OK done\r\na1 OK Begin TLS negotiation now.\r\n\u{16}\u{03}\u{03}\u{00}zz\n"
    let (a, b, _, _) = try pair(c, s)
    #expect(a.hasPrefix("a0 NOOP\r\na1 STARTTLS\r\n[logwarden: TLS data removed: "))
    #expect(b.hasPrefix("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\na0 OK done\r\na1 OK Begin TLS negotiation now.\r\n"))
    #expect(b.contains("[logwarden: TLS data removed: ") && !b.contains("zz"))
  }

  @Test func stampedHalvesAreInterleavedByTime() throws {
    // POP3: RETR's body can only be recognised once the command has been seen.
    let c = "2.000000 USER fred\r\n3.000000 PASS s3cret pass\r\n5.000000 RETR 1\r\n7.000000 QUIT\r\n"
    let s = "1.000000 +OK ready\r\n2.500000 +OK\r\n4.000000 +OK\r\n6.000000 +OK 10 octets\r\n6.000000 Subject: x\r\n6.000000 secret body\r\n6.000000 .\r\n8.000000 +OK bye\r\n"
    let (a, b, ra, rb) = try pair(c, s)
    #expect(a == "2.000000 USER fred\r\n3.000000 PASS ****\r\n5.000000 RETR 1\r\n7.000000 QUIT\r\n")
    #expect(b == "1.000000 +OK ready\r\n2.500000 +OK\r\n4.000000 +OK\r\n6.000000 +OK 10 octets\r\n6.000000 [logwarden: body removed: 2 lines; 21 bytes]\r\n6.000000 .\r\n8.000000 +OK bye\r\n")
    #expect(ra.totalCredentialsMasked == 1 && rb.totalCredentialsMasked == 0)
    #expect(rb.bodyLinesDropped == 2)
  }

  @Test func unstampedHalvesUseRecordedCommands() throws {
    let c = "CAPA\r\nUSER fred\r\nPASS hunter2\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n"
    let s = "+OK ready\r\n+OK\r\nUSER\r\n.\r\n+OK\r\n+OK\r\n+OK 1 messages\r\n1 10\r\n.\r\n+OK\r\nFrom: a\r\n.\r\n+OK\r\n"
    let (a, b, _, _) = try pair(c, s)
    #expect(a == "CAPA\r\nUSER fred\r\nPASS ****\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n")
    #expect(b == "+OK ready\r\n+OK\r\nUSER\r\n.\r\n+OK\r\n+OK\r\n+OK 1 messages\r\n1 10\r\n.\r\n+OK\r\n[logwarden: body removed: 1 lines; 7 bytes]\r\n.\r\n+OK\r\n")
  }

  @Test func unstampedHalvesStayInStepAfterSASL() throws {
    // The command after an AUTH PLAIN answer is recorded too, so RETR's reply is known to be a message even when
    // its first line looks like a listing.
    let c = "AUTH PLAIN\r\nAGEAYg==\r\nRETR 1\r\nQUIT\r\n"
    let s = "+OK hi\r\n+ \r\n+OK in\r\n+OK 20 octets\r\n12 listing-shaped-body\r\n.\r\n+OK bye\r\n"
    let (a, b, _, _) = try pair(c, s)
    #expect(a == "AUTH PLAIN\r\n****\r\nRETR 1\r\nQUIT\r\n")
    #expect(b == "+OK hi\r\n+ \r\n+OK in\r\n+OK 20 octets\r\n[logwarden: body removed: 1 lines; 22 bytes]\r\n.\r\n+OK bye\r\n")
  }

  @Test func halvesOfDovecotAsClientSwapRoles() throws {
    let (a, b, ra, rb) = try pair("1.000001 220 ready\r\n1.000003 334 VXNlcm5hbWU6\r\n", "1.000002 AUTH LOGIN\r\n1.000004 Zm9v\r\n")
    #expect(a == "1.000001 220 ready\r\n1.000003 334 VXNlcm5hbWU6\r\n")
    #expect(b == "1.000002 AUTH LOGIN\r\n1.000004 ****\r\n")
    #expect(rb.totalCredentialsMasked == 1 && ra.totalCredentialsMasked == 0)
  }

  @Test func clientHalfAloneInfersTheEndOfSASL() throws {
    let sink = MemorySink()
    let input = "EHLO x\r\nAUTH PLAIN\r\nAGEAYg==\r\nMAIL FROM:<a@b>\r\nAUTH LOGIN\r\nYQ==\r\nYg==\r\nQUIT\r\nAUTH CRAM-MD5\r\nZm9vIGJhcg==\r\nNOOP\r\n"
    _ = try Sanitizer(options: SanitizeOptions()).sanitize(
      source: MemorySource(Array(input.utf8)), sink: sink, name: "20240501-100000.1.1.in")
    #expect(String(decoding: sink.bytes, as: UTF8.self)
      == "EHLO x\r\nAUTH PLAIN\r\n****\r\nMAIL FROM:<a@b>\r\nAUTH LOGIN\r\n****\r\n****\r\nQUIT\r\nAUTH CRAM-MD5\r\n****\r\nNOOP\r\n")
  }

  @Test func encryptedRestIsNeverCopied() throws {
    let c = "1.000001 a STARTTLS\r\n1.000003 \u{16}\u{03}\u{01}\u{00}\u{05}hello secret ciphertext\n1.000003 more\r\n"
    let s = "1.000000 * OK ready\r\n1.000002 a OK Begin TLS\r\n1.000004 \u{16}\u{03}\u{03}xx\r\n"
    let (a, b, ra, _) = try pair(c, s)
    #expect(a == "1.000001 a STARTTLS\r\n1.000003 [logwarden: TLS data removed: 35 bytes]\r\n")
    #expect(b == "1.000000 * OK ready\r\n1.000002 a OK Begin TLS\r\n1.000004 [logwarden: TLS data removed: 7 bytes]\r\n")
    #expect(ra.warnings == ["35 bytes of TLS-encrypted data omitted"])
  }
}

struct SMTPPipeliningTests {
  @Test func repliesToPipelinedCommandsDoNotEndTheWaitForData() {
    let out = runTranscript(.smtp, [
      "C: MAIL FROM:<a@b>", "C: RCPT TO:<c@d>", "C: DATA", "S: 250 ok", "S: 250 ok", "S: 354 go", "C: Subject: x",
      "C: HELP me with the body", "C: .", "S: 250 queued", "C: QUIT",
    ])
    #expect(out == [
      "C: MAIL FROM:<a@b>", "C: RCPT TO:<c@d>", "C: DATA", "S: 250 ok", "S: 250 ok", "S: 354 go",
      "[logwarden: body removed: 2 lines; 31 bytes]", "C: .", "S: 250 queued", "C: QUIT",
    ])
  }

  @Test func rejectedDataEndsTheWait() {
    let out = runTranscript(.smtp, [
      "C: MAIL FROM:<a@b>", "C: RCPT TO:<c@d>", "C: DATA", "S: 250 ok", "S: 550 no such user", "S: 554 no valid recipients",
      "C: QUIT",
    ])
    #expect(out.last == "C: QUIT")
  }
}

struct PullLineReaderTests {
  func lines(_ text: [UInt8], chunk: Int) throws -> [String] {
    let reader = PullLineReader(source: MemorySource(text, maxChunk: chunk), maxLineLength: 1024, readSize: 4096)
    _ = try reader.head()
    var result: [String] = []
    while let item = try reader.next() {
      switch item {
      case .line(let line, let terminator):
        result.append(String(decoding: UnsafeBufferPointer(start: line.base, count: line.count), as: UTF8.self) + "|\(terminator.length)")
      case .overlong(_, _):
        result.append("overlong")
      }
    }
    return result
  }

  @Test func framesLikeTheLineReader() throws {
    let text = Array("a\r\nb\n\n".utf8) + [UInt8](repeating: 0x41, count: 12000) + Array("\nc\r\nlast".utf8)
    for chunk in [1, 5, 100, 5000] {
      let got = try lines(text, chunk: chunk)
      #expect(got == ["a|2", "b|1", "|1", "overlong", "c|2", "last|0"], "chunk \(chunk): \(got.map { String($0.prefix(12)) })")
    }
  }
}

/// Mutated fixtures (cut, spliced, sprinkled with random bytes) never crash a format, and each output line is
/// either from the input or written by the sanitizer.
struct FormatsBRobustnessTests {
  @Test(arguments: FormatsBLeakTests.singleFixtures)
  func mutatedInputsDoNotCrash(_ fixture: String) throws {
    let url = FormatGoldenTests.root.appendingPathComponent(fixture)
    let original = Array(try Data(contentsOf: url))
    let format = String(fixture.split(separator: "/").first!)
    var rng = SplitMix64(seed: 0xF022 &+ UInt64(original.count))
    for round in 0..<60 {
      var bytes = original
      switch round % 4 {
      case 0:
        bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
      case 1:
        for _ in 0..<8 where !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
      case 2:
        let a = Int(rng.next() % UInt64(bytes.count + 1))
        let b = Int(rng.next() % UInt64(bytes.count + 1))
        bytes = Array(bytes[min(a, b)...]) + Array(bytes[..<min(a, b)])
      default:
        for _ in 0..<20 {
          let at = Int(rng.next() % UInt64(bytes.count + 1))
          bytes.insert(contentsOf: [0x0A, 0x22, 0x09, 0x7B, 0x35, 0x7D, 0x5B, 0x6E, 0x6C, 0x5D].shuffled(using: &rng).prefix(3), at: at)
        }
      }
      let sink = MemorySink()
      _ = try Sanitizer(options: SanitizeOptions(profile: .level4, formatName: format)).sanitize(
        source: MemorySource(bytes, maxChunk: 1 + Int(rng.next() % 700)), sink: sink, name: url.lastPathComponent)
    }
  }

  @Test(arguments: FormatGoldenTestsB.pairStems)
  func mutatedPairsDoNotCrash(_ stem: String) throws {
    let root = FormatGoldenTestsB.pairsRoot
    let halves = [
      Array(try Data(contentsOf: root.appendingPathComponent(stem + ".in"))),
      Array(try Data(contentsOf: root.appendingPathComponent(stem + ".out"))),
    ]
    var rng = SplitMix64(seed: 0xF023)
    for round in 0..<40 {
      var mutated = halves
      for k in 0..<2 where !mutated[k].isEmpty {
        if round % 2 == 0 {
          mutated[k] = Array(mutated[k].prefix(Int(rng.next() % UInt64(mutated[k].count + 1))))
        } else {
          for _ in 0..<6 { mutated[k][Int(rng.next() % UInt64(mutated[k].count))] = UInt8(truncatingIfNeeded: rng.next()) }
        }
      }
      _ = try Sanitizer(options: SanitizeOptions(profile: .level4)).sanitizePair(
        received: PairHalf(source: MemorySource(mutated[0], maxChunk: 1 + Int(rng.next() % 300)), sink: MemorySink(), name: stem + ".in"),
        sent: PairHalf(source: MemorySource(mutated[1], maxChunk: 1 + Int(rng.next() % 300)), sink: MemorySink(), name: stem + ".out"))
    }
  }
}
