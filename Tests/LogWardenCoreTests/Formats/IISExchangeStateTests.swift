import Testing
@testable import LogWardenCore

/// How IIS rows carry a SASL exchange across rows: `sc-status` is fed back to the engine as the reply.
struct IISExchangeStateTests {
  static let header = """
    #Software: Microsoft Internet Information Services 6.0
    #Fields: time c-ip cs-username s-sitename cs-method cs-uri-stem cs-uri-query sc-status cs-version

    """

  /// Rows as `method query status`; returns each row's method and query after sanitizing.
  static func run(_ rows: [(String, String, Int)], ip: String = "192.0.2.1", user: String = "client") throws -> [String] {
    var text = header
    for (method, query, status) in rows { text += "10:00:00 \(ip) \(user) SMTPSVC1 \(method) - \(query) \(status) SMTP\n" }
    let output = try FormatRunner.sanitize(Array(text.utf8), format: "iis-smtp-w3c", fileName: "ex.log").output
    return FormatRunner.text(output).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let f = line.split(separator: " ")
      return "\(f[4]) \(f[6])"
    }
  }

  @Test func plainVerbInsideAnExchangeIsMasked() throws {
    let out = try Self.run([("AUTH", "+LOGIN", 334), ("MAIL", "+FROM:<a@b>", 334), ("dXNlcg==", "-", 235), ("MAIL", "+FROM:<a@b>", 250)])
    #expect(out == ["AUTH +LOGIN", "**** ****", "**** -", "MAIL +FROM:<a@b>"])
  }

  @Test func cancelledExchangeEndsWithTheReplyToTheCancel() throws {
    // `*` cancels and its 501 ends the exchange: the next command is a command again.
    let out = try Self.run([("AUTH", "+LOGIN", 334), ("*", "-", 501), ("MAIL", "+FROM:<a@b>", 250), ("RCPT", "+TO:<c@d>", 250)])
    #expect(out == ["AUTH +LOGIN", "* -", "MAIL +FROM:<a@b>", "RCPT +TO:<c@d>"])
    // Still in the exchange when the cancel is answered with 334 (the server did not take it): the next row masked.
    let odd = try Self.run([("AUTH", "+LOGIN", 334), ("*", "-", 334), ("c2VjcmV0", "-", 235)])
    #expect(odd == ["AUTH +LOGIN", "* -", "**** -"])
  }

  @Test func sessionsAreKeptApartByAddressAndHeloName() throws {
    var text = Self.header
    text += "10:00:00 192.0.2.1 a SMTPSVC1 AUTH - +LOGIN 334 SMTP\n"
    text += "10:00:00 192.0.2.2 b SMTPSVC1 MAIL - +FROM:<x@y> 250 SMTP\n"
    text += "10:00:01 192.0.2.1 a SMTPSVC1 cGFzcw== - - 235 SMTP\n"
    let output = FormatRunner.text(try FormatRunner.sanitize(Array(text.utf8), format: "iis-smtp-w3c", fileName: "ex.log").output)
    #expect(output.contains("192.0.2.2 b SMTPSVC1 MAIL - +FROM:<x@y> 250"))
    #expect(output.contains("192.0.2.1 a SMTPSVC1 **** - - 235"))
  }

  @Test func withoutStatusEachRowStandsAlone() throws {
    let text = """
      #Fields: c-ip cs-username cs-method cs-uri-query
      127.0.0.1 h AUTH +LOGIN
      127.0.0.1 h dXNlcg== -
      127.0.0.1 h MAIL +FROM:<a@b>
      127.0.0.1 h BDAT +100+LAST
      127.0.0.1 h RCPT +TO:<c@d>

      """
    let output = FormatRunner.text(try FormatRunner.sanitize(Array(text.utf8), format: "iis-smtp-w3c", fileName: "ex.log").output)
    #expect(output == """
      #Fields: c-ip cs-username cs-method cs-uri-query
      127.0.0.1 h AUTH +LOGIN
      127.0.0.1 h **** -
      127.0.0.1 h MAIL +FROM:<a@b>
      127.0.0.1 h BDAT +100+LAST
      127.0.0.1 h RCPT +TO:<c@d>

      """)
  }

  @Test func plainVerbsFollowTheRuleList() {
    // A verb with a masking rule must never take the shortcut.
    let ruled = BuiltinRules.all.flatMap { $0.triggers }.filter { $0.0 == .smtp }.map { VerbKey($0.1) }
    for verb in ruled { #expect(!IISCommandAnalyzer.isPlain(verb)) }
    #expect(IISCommandAnalyzer.isPlain(VerbKey("MAIL")))
  }
}
