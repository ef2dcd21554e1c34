import Testing
@testable import LogWardenCore

/// Servers echo the name a client logged in with. Under the vendor profile the echo gets the same pseudonym as the
/// command, in that session only, and the reply's status token is never touched.
struct EchoedUserTests {
  private let header = """
    #Software: Microsoft Exchange Server\r
    #Log-type: POP3 Protocol Log\r
    #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r

    """

  private func row(_ session: Int, _ seq: Int, _ event: String, _ data: String) -> String {
    "2012-05-01T08:00:01.\(100 + seq)Z,,0000000000000\(session)AB,\(seq),127.0.0.1:110,127.0.0.2:5012\(session),\(event),\(data),\r\n"
  }

  private func sanitize(_ text: String, secondCore: Bool) throws -> String {
    var options = SanitizeOptions(profile: .vendor, pseudonymKeys: testKeys)
    options.rendersOnSecondCore = secondCore
    let sink = MemorySink()
    _ = try Sanitizer(options: options).sanitize(
      source: MemorySource(Array(text.utf8)), sink: sink, name: "POP3-echo.LOG")
    return String(decoding: sink.bytes, as: UTF8.self)
  }

  @Test(arguments: [false, true])
  func echoedUserNamesGetTheCommandsPseudonym(secondCore: Bool) throws {
    let log = header
      + row(1, 0, "+", "") + row(2, 0, "+", "")
      + row(1, 1, "<", "USER mrose") + row(2, 1, "<", "USER okay")
      + row(1, 2, ">", "+OK mrose is a real hoopy frood")
      + row(1, 3, "<", "PASS secret-pass")
      + row(1, 4, ">", "+OK MRose's maildrop has 2 messages (320 octets)")
      + row(2, 2, ">", "+OK okay-ish and mrose are not this session's names")
      + row(1, 5, ">", "-ERR mrosewood is someone else")
    let output = try sanitize(log, secondCore: secondCore)
    let name = Array("mrose".utf8)
    let pseudonym = String(
      decoding: name.withUnsafeBytes { Pseudonymizer(keys: testKeys).pseudonym(forUser: $0) }, as: UTF8.self)
    #expect(pseudonym.hasPrefix("user-"))
    let lines = output.split(separator: "\n").map(String.init)
    #expect(!output.contains("secret-pass"))
    #expect(lines.contains { $0.contains(",<,USER \(pseudonym),") })
    #expect(lines.contains { $0.contains(",>,+OK \(pseudonym) is a real hoopy frood,") })
    #expect(lines.contains { $0.contains(",>,+OK \(pseudonym)'s maildrop has 2 messages (320 octets),") })
    // Another session's reply keeps its words; a longer word that starts with the name is not the name.
    #expect(lines.contains { $0.contains("+OK okay-ish and mrose are not this session's names") })
    #expect(lines.contains { $0.contains("-ERR mrosewood is someone else") })
  }
}

/// The same for the line formats that follow sessions through `ProtocolLineWriter` (POP3 arrows, transcripts,
/// Exchange 5.5).
struct EchoedUserLineFormatTests {
  @Test func pop3ArrowRepliesEchoingTheUserGetItsPseudonym() throws {
    let log = """
      127.0.0.21 » +OK ready <123.456@mail.test>
      127.0.0.22 » +OK ready
      127.0.0.21 « USER mrose
      127.0.0.21 » +OK mrose is a real hoopy frood
      127.0.0.21 « PASS arrow-s3cr3t
      127.0.0.22 » +OK mrose is not this session's user
      127.0.0.21 » +OK mrose's maildrop has 2 messages (320 octets)

      """
    var options = SanitizeOptions(profile: .vendor, pseudonymKeys: testKeys)
    options.formatName = "pop3-arrows"
    let sink = MemorySink()
    _ = try Sanitizer(options: options).sanitize(source: MemorySource(Array(log.utf8)), sink: sink, name: "pop3.log")
    let output = String(decoding: sink.bytes, as: UTF8.self)
    let name = Array("mrose".utf8)
    let pseudonym = String(
      decoding: name.withUnsafeBytes { Pseudonymizer(keys: testKeys).pseudonym(forUser: $0) }, as: UTF8.self)
    #expect(!output.contains("arrow-s3cr3t"))
    #expect(output.contains("« USER \(pseudonym)\n"))
    #expect(output.contains("» +OK \(pseudonym) is a real hoopy frood\n"))
    #expect(output.contains("» +OK \(pseudonym)'s maildrop has 2 messages (320 octets)\n"))
    #expect(output.contains("» +OK mrose is not this session's user\n"))
  }
}
