import Testing
@testable import LogWardenCore

/// The line-wise fallback: each case is input lines and the lines it must become.
struct GenericFallbackTests {
  static func run(_ lines: [String]) throws -> [String] {
    let input = Array((lines.joined(separator: "\n") + "\n").utf8)
    let output = try FormatRunner.sanitize(input, format: "generic", fileName: "unknown.log").output
    var result = FormatRunner.text(output).components(separatedBy: "\n")
    if result.last == "" { result.removeLast() }
    return result
  }

  struct Case: CustomTestStringConvertible, Sendable {
    let input: [String]
    let expected: [String]
    let line: Int
    init(_ input: [String], _ expected: [String], line: Int = #line) {
      self.input = input
      self.expected = expected
      self.line = line
    }
    var testDescription: String { "line \(line)" }
  }

  static let cases: [Case] = [
    // Kept behaviour.
    Case(["C: PASS hunter2", "S: +OK"], ["C: PASS ****", "S: +OK"]),
    Case(["C: PASS *****"], ["C: PASS *****"]),
    // Secret fields in JSON, with a spaced separator, and behind a password-storage scheme; a JSON "user" key is
    // not the USER command (which would have masked the rest of the line as stray arguments).
    Case(["{\"user\":\"alice\",\"password\":\"hunter2\"}"], ["{\"user\":\"alice\",\"password\":\"****\"}"]),
    Case(["Password = hunter2"], ["Password = ****"]),
    Case(["cache hit: {PLAIN}hunter2\tuser=fred", "x {SHA512-CRYPT}$6$salt$hash y", "a1 APPEND INBOX {310}"],
         ["cache hit: {PLAIN}****\tuser=fred", "x {SHA512-CRYPT}**** y", "a1 APPEND INBOX {310}"]),
    // A non-ASCII letter or a control byte glued to a keyword does not hide it.
    Case(["helloäAUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="], ["helloäAUTH PLAIN ****"]),
    Case(["x\u{01}PASS hunter2"], ["x\u{01}PASS ****"]),
    Case(["a1 LOGIN bob secret"], ["a1 LOGIN bob ****"]),
    Case(["a1 LOGIN onlyone"], ["a1 LOGIN ****"]),
    Case(["S: * CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN"], ["S: * CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN"]),
    Case(["APOP mrose c4c9334bac560ecc979e58001b3e22fb"], ["APOP mrose ****"]),
    Case(["AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="], ["AUTH PLAIN ****"]),
    Case(["250-AUTH LOGIN PLAIN CRAM-MD5", "250 OK"], ["250-AUTH LOGIN PLAIN CRAM-MD5", "250 OK"]),
    Case(["AUTH LOGIN", "334 VXNlcm5hbWU6", "dXNlcg==", "334 UGFzc3dvcmQ6", "c2VjcmV0", "235 ok"],
         ["AUTH LOGIN", "334 VXNlcm5hbWU6", "****", "334 UGFzc3dvcmQ6", "****", "235 ok"]),
    Case(["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"], ["Authorization: Bearer ****"]),
    Case(["db password=hunter2 user=bob"], ["db password=**** user=bob"]),
    Case(["token: abc123, next"], ["token: ****, next"]),
    // SASL answers behind any prefix: timestamps, arrows, transcript markers, IO dumps.
    Case(["10:00:01 C: AUTH LOGIN", "10:00:01 S: 334 VXNlcm5hbWU6", "10:00:02 C: dXNlcm5hbWU=", "10:00:02 S: 334 UGFzc3dvcmQ6",
          "10:00:03 C: aHVudGVyMg==", "10:00:03 S: 235 Authentication successful"],
         ["10:00:01 C: AUTH LOGIN", "10:00:01 S: 334 VXNlcm5hbWU6", "10:00:02 C: ****", "10:00:02 S: 334 UGFzc3dvcmQ6",
          "10:00:03 C: ****", "10:00:03 S: 235 Authentication successful"]),
    Case(["  >>> AUTH LOGIN", "", "  <<< 334 UGFzc3dvcmQ6", "", "  >>> a2ItcGFzdGUtczNjcjN0", "", "  <<< 235 ok"],
         ["  >>> AUTH LOGIN", "", "  <<< 334 UGFzc3dvcmQ6", "", "  >>> ****", "", "  <<< 235 ok"]),
    Case(["t : <<< IO: |AUTH LOGIN", "t : >>> 334 VXNlcm5hbWU6", "t : <<< IO: |cmljaGll", "t : <<< cmljaGll"],
         ["t : <<< IO: |AUTH LOGIN", "t : >>> 334 VXNlcm5hbWU6", "t : <<< IO: |****", "t : <<< ****"]),
    Case(["AUTH NTLM", "+ TlRMTVNTUAACAAAADgAOADAAAAC1", "TlRMTVNTUAADAAAAGAAYAHgAAAAYABgA"],
         ["AUTH NTLM", "+ TlRMTVNTUAACAAAADgAOADAAAAC1", "****"]),
    // Server words in the window stay.
    Case(["AUTH LOGIN", "x OutboundConnectionCommand SMTPSVC1 2008-03-26 Authentication"],
         ["AUTH LOGIN", "x OutboundConnectionCommand SMTPSVC1 2008-03-26 Authentication"]),
    // URL-encoded (IIS) fields: arguments joined by '+', masked to the end of their field.
    Case(["2003-05-01 10:00:02 192.0.2.50 - NNTPSVC1 authinfo - +pass+nntp-secret 281 0 NNTP"],
         ["2003-05-01 10:00:02 192.0.2.50 - NNTPSVC1 authinfo - +pass+**** 281 0 NNTP"]),
    Case(["2008-03-26 19:18:07 1.2.3.4 gw SMTPSVC1 AUTH - +PLAIN+AGd3AGlpcy1pci1zM2NyM3Q= 235 0 SMTP"],
         ["2008-03-26 19:18:07 1.2.3.4 gw SMTPSVC1 AUTH - +PLAIN+**** 235 0 SMTP"]),
    Case([#"1.2.3.4 - gw [11/Oct/2006:13:16:41 -0600] "AUTH -?+PLAIN+AGtlaXRoAG5j SMTP" 235 30"#],
         [#"1.2.3.4 - gw [11/Oct/2006:13:16:41 -0600] "AUTH -?+PLAIN+**** SMTP" 235 30"#]),
    // USER with a password typed after the name.
    Case(["C: USER alice hunter2", "C: USER bob"], ["C: USER alice ****", "C: USER bob"]),
    // IMAP LOGIN literals: the content lines are masked whole (their framing is unknown), the go-ahead is kept.
    Case(["C: A001 LOGIN {11}", "S: + Ready for additional command text", "C: FRED FOOBAR {7}", "S: + Ready", "C: fat man",
          "S: A001 OK"],
         ["C: A001 LOGIN ****", "S: + Ready for additional command text", "****", "S: + Ready", "****", "S: A001 OK"]),
    Case(["C: A002 LOGIN {4+}", "C: fred {8+}", "C: pa sword", "C: A003 NOOP"],
         ["C: A002 LOGIN ****", "****", "****", "C: A003 NOOP"]),
    Case([#"C: a1 LOGIN "fred smith" "p a s s""#], [#"C: a1 LOGIN "fred smith" ****"#]),
    // URL user info.
    Case(["connecting to imaps://bob:hunter2@mail.example.com:993/"], ["connecting to imaps://bob:****@mail.example.com:993/"]),
    Case(["see https://example.com/path?x=1"], ["see https://example.com/path?x=1"]),
  ]

  @Test(arguments: cases)
  func masks(_ c: Case) throws {
    #expect(try Self.run(c.input) == c.expected)
  }

  @Test func reportsWhatItMasked() throws {
    let input = Array("C: PASS hunter2\nAUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\n".utf8)
    let report = try FormatRunner.sanitize(input, format: "generic", fileName: "x.log").report
    #expect(report.credentialsMasked["pop3-pass"] == 1)
    #expect(report.credentialsMasked["sasl-plain"] == 1)
  }
}
