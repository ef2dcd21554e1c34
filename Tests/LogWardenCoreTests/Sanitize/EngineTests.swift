import Testing
@testable import LogWardenCore

/// Runs client/server lines of several sessions through one engine: (session, "C: …"/"S: …").
func runInterleaved(_ proto: MailProtocol, _ lines: [(UInt64, String)], isStart: Bool = true) -> [String] {
  let engine = ProtocolEngine(defaultProtocol: proto)
  var output: [String] = []
  for (key, text) in lines {
    var bytes = Array(text.utf8.dropFirst(3))
    bytes.append(0)
    bytes.withUnsafeBufferPointer { buffer in
      let line = ByteLine(base: buffer.baseAddress!, count: buffer.count - 1)
      let verdict = engine.process(
        session: key, isStart: isStart, direction: text.hasPrefix("C: ") ? .client : .server, line: line)
      if let ended = verdict.bodyEnded { output.append("\(key) " + String(decoding: BodyMarker.text(ended), as: UTF8.self)) }
      if verdict.isBody { return }
      var out: [UInt8] = []
      verdict.render(line, dropBodies: true, into: &out)
      output.append("\(key) " + String(text.prefix(3)) + String(decoding: out, as: UTF8.self))
    }
  }
  return output
}

struct EngineTests {
  @Test func interleavedSessionsKeepTheirOwnState() {
    let out = runInterleaved(.smtp, [
      (1, "C: AUTH LOGIN"),
      (2, "C: AUTH LOGIN"),
      (1, "S: 334 VXNlcm5hbWU6"),
      (2, "S: 235 2.7.0 ok"),  // session 2's exchange ends; session 1's does not
      (2, "C: MAIL FROM:<a@b.test>"),
      (1, "C: dXNlcg=="),
      (1, "S: 235 ok"),
      (1, "C: MAIL FROM:<c@d.test>"),
    ])
    #expect(out == [
      "1 C: AUTH LOGIN", "2 C: AUTH LOGIN", "1 S: 334 VXNlcm5hbWU6", "2 S: 235 2.7.0 ok",
      "2 C: MAIL FROM:<a@b.test>", "1 C: ****", "1 S: 235 ok", "1 C: MAIL FROM:<c@d.test>",
    ])
  }

  @Test func sessionJoinedMidwayIsMaskedUntilTheServerEndsTheExchange() {
    // The AUTH line was in the previous file: the base64 answer must not pass.
    let out = runInterleaved(.smtp, [(7, "C: c2VjcmV0"), (7, "S: 235 ok"), (7, "C: MAIL FROM:<a@b.test>")], isStart: false)
    #expect(out == ["7 C: ****", "7 S: 235 ok", "7 C: MAIL FROM:<a@b.test>"])
  }

  @Test func joinedMidwayDuringDataDropsTheRestOfTheBody() {
    let out = runInterleaved(.smtp, [(3, "S: 354 go"), (3, "C: body text"), (3, "C: ."), (3, "S: 250 ok")], isStart: false)
    #expect(out == ["3 S: 354 go", "3 [logwarden: body removed: 1 lines; 9 bytes]", "3 C: .", "3 S: 250 ok"])
  }

  @Test func aLiteralAnnouncedInsideAMaskedPasswordIsMaskedToo() {
    let out = runInterleaved(.imap, [
      (1, "C: a1 LOGIN alice pw{9}"), (1, "S: + go"), (1, "C: hunter2xx"), (1, "S: a1 OK"), (1, "C: a2 NOOP"),
    ])
    #expect(out == ["1 C: a1 LOGIN alice ****", "1 S: + go", "1 C: ****", "1 S: a1 OK", "1 C: a2 NOOP"])
  }

  @Test func uidPrefixingAnythingButAUIDCommandIsMaskedWhole() {
    let out = runInterleaved(.imap, [(1, "C: a1 UID LOGIN alice Winter2024!"), (1, "C: a2 UID FETCH 1:* (FLAGS)")])
    #expect(out == ["1 C: ****", "1 C: a2 UID FETCH 1:* (FLAGS)"])
  }

  @Test func anEmptyServerLiteralDoesNotEndTheFetchResponse() {
    let out = runInterleaved(.imap, [
      (1, "C: a1 FETCH 1 (BODY[1] BODY[2])"), (1, "S: * 1 FETCH (BODY[1] {0}"), (1, "S:  BODY[2] {12}"),
      (1, "S: body text!"), (1, "S: )"), (1, "S: a1 OK"),
    ])
    #expect(out == [
      "1 C: a1 FETCH 1 (BODY[1] BODY[2])", "1 S: * 1 FETCH (BODY[1] {0}", "1 S:  BODY[2] {12}",
      "1 [logwarden: body removed: 1 lines; 10 bytes]", "1 S: )", "1 S: a1 OK",
    ])
  }

  @Test func unrecognizedClientLinesAreMaskedWhole() {
    let out = runInterleaved(.smtp, [(1, "C: hunter2"), (1, "C: PASS:secret"), (1, "C: EHLO x.test"), (1, "C: ")])
    #expect(out == ["1 C: ****", "1 C: ****", "1 C: EHLO x.test", "1 C: "])
  }

  @Test func serverEchoOfAMaskedLineIsMaskedToo() {
    let imap = runInterleaved(.imap, [(1, "C: hunter2"), (1, "S: hunter2 BAD Command unrecognized"), (1, "C: a1 NOOP")])
    #expect(imap == ["1 C: ****", "1 S: **** BAD Command unrecognized", "1 C: a1 NOOP"])
    let smtp = runInterleaved(.smtp, [(1, "C: Winter2024!"), (1, "S: 500 unrecognized command 'Winter2024!'")])
    #expect(smtp == ["1 C: ****", "1 S: 500 unrecognized command '****'"])
  }

  @Test func pop3MultiLineReplyWithoutItsDotEndsWhenTheClientSpeaks() {
    let out = runInterleaved(.pop3, [
      (1, "C: LIST"), (1, "S: +OK 2 messages"), (1, "S: 1 120"), (1, "C: RETR 1"), (1, "S: +OK"), (1, "S: secret body"),
      (1, "S: ."),
    ])
    #expect(out == [
      "1 C: LIST", "1 S: +OK 2 messages", "1 S: 1 120", "1 C: RETR 1", "1 S: +OK",
      "1 [logwarden: body removed: 1 lines; 11 bytes]", "1 S: .",
    ])
  }

  @Test func unknownProtocolIsInferredFromTheConversation() {
    let pop = runInterleaved(.unknown, [(1, "S: +OK ready"), (1, "C: USER bob"), (1, "S: +OK"), (1, "C: PASS pw pw")])
    #expect(pop.last == "1 C: PASS ****")
    let imap = runInterleaved(.unknown, [(1, "S: * OK IMAP4rev1"), (1, "C: a1 LOGIN bob \"pw\"")])
    #expect(imap.last == "1 C: a1 LOGIN bob \"****\"")
    let smtp = runInterleaved(.unknown, [(1, "C: AUTH PLAIN AGJvYgBwdw=="), (1, "S: 235 ok")])
    #expect(smtp.first == "1 C: AUTH PLAIN ****")
  }

  @Test func imapFetchLiteralIsDroppedHonouringItsSize() {
    // The literal holds a line that looks like a tagged command; it must be treated as content.
    let out = runInterleaved(.imap, [
      (1, "C: a5 FETCH 1 BODY[]"),
      (1, "S: * 1 FETCH (BODY[] {21}"),
      (1, "S: a5 OK looks tagged"),
      (1, "S: x)"),
      (1, "S: a5 OK FETCH completed"),
    ])
    #expect(out == [
      "1 C: a5 FETCH 1 BODY[]", "1 S: * 1 FETCH (BODY[] {21}", "1 [logwarden: body removed: 2 lines; 19 bytes]", "1 S: )",
      "1 S: a5 OK FETCH completed",
    ])
  }

  @Test func pop3PipelinedRetrievesDropBothMessages() {
    let out = runInterleaved(.pop3, [
      (1, "C: RETR 1"), (1, "C: RETR 2"), (1, "S: +OK"), (1, "S: one"), (1, "S: ."), (1, "S: +OK"), (1, "S: two"),
      (1, "S: ."), (1, "C: QUIT"),
    ])
    #expect(out == [
      "1 C: RETR 1", "1 C: RETR 2", "1 S: +OK", "1 [logwarden: body removed: 1 lines; 3 bytes]", "1 S: .", "1 S: +OK",
      "1 [logwarden: body removed: 1 lines; 3 bytes]", "1 S: .", "1 C: QUIT",
    ])
  }

  @Test func evictedSessionsComeBackConservatively() {
    let engine = ProtocolEngine(defaultProtocol: .smtp, maxSessions: 16)
    func client(_ key: UInt64, _ text: String, start: Bool) -> LineVerdict {
      var bytes = Array(text.utf8)
      bytes.append(0)
      return bytes.withUnsafeBufferPointer {
        engine.process(session: key, isStart: start, direction: .client, line: ByteLine(base: $0.baseAddress!, count: $0.count - 1))
      }
    }
    _ = client(1, "AUTH LOGIN", start: true)
    for key in UInt64(100)..<UInt64(140) { _ = client(key, "NOOP", start: true) }
    #expect(engine.sessionCount <= 16)
    // Session 1 was forgotten mid-AUTH: its next line is masked, not passed.
    #expect(client(1, "c2VjcmV0", start: false).maskWhole)
  }

  @Test func smtpPasswordNeverSurvivesAnyMechanism() {
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "NTLM", "GSSAPI", "XOAUTH2", "OAUTHBEARER", "SCRAM-SHA-256", "X-UNKNOWN"] {
      let out = runInterleaved(.smtp, [
        (1, "C: AUTH \(mechanism) SECRETIR=="), (1, "S: 334 challenge"), (1, "C: SECRETRESPONSE"), (1, "S: 535 5.7.8 no"),
      ])
      #expect(!out.joined().contains("SECRET"), "\(mechanism)")
      #expect(out.first == "1 C: AUTH \(mechanism) ****")
    }
  }
}
