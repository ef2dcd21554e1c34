/// Masks SASL authentication: the initial response of `AUTH`/`AUTHENTICATE`/`X-EXPS`/`XAUTH` and every client line of
/// the exchange that follows, until the server ends it (SMTP reply other than 334, POP3 `+OK`/`-ERR`, IMAP tagged
/// reply). An argument that cannot be a mechanism name (RFC 4422: up to 20 of `A-Z 0-9 - _`) is masked whole.
///
/// Mechanism names stay (PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5, NTLM, GSSAPI, XOAUTH2, OAUTHBEARER, SCRAM-*, …); server
/// challenges stay; the client's `*` cancel and an empty response (`=`) stay; Exchange's own
/// `<authentication response>` stays.
public enum MaskSASLExchange: MaskingRule {
  public static let identifier = "mask-sasl-exchange"
  public static let summary = "Replaces SASL initial responses and every client line of an AUTH exchange with ****."
  public static let triggers: [(MailProtocol, String)] = [
    (.smtp, "AUTH"), (.smtp, "X-EXPS"), (.smtp, "XAUTH"), (.pop3, "AUTH"), (.imap, "AUTHENTICATE"),
  ]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    let line = command.line
    let end = line.trimmedEnd()
    guard command.argumentsStart < end else {
      // POP3 `AUTH` alone lists mechanisms (multi-line); SMTP `AUTH` alone is an error reply.
      if command.proto == .pop3 { session.expectPOP3(.multiLine) }
      return
    }
    let mechanismEnd = line.tokenEnd(from: command.argumentsStart)
    guard CredentialKind.isMechanismName(line, command.argumentsStart, mechanismEnd) else {
      // No mechanism name where one must be: the argument is a response or a password. Mask all of it.
      session.client = .sasl(.saslOther)
      if command.proto == .pop3 { session.expectPOP3(.single) }
      verdict.maskCredential(in: line, from: command.argumentsStart, as: .saslOther, counters: &counters)
      return
    }
    let kind = CredentialKind.sasl(line, command.argumentsStart, mechanismEnd)
    var responseStart = line.skipBlanks(from: mechanismEnd)
    // Exchange's `X-EXPS EXCHANGEAUTH SHA256 <blob>`: the hash name is not secret.
    if kind == .exchangeAuth, responseStart < end {
      let hashEnd = line.tokenEnd(from: responseStart)
      if line.hasUppercasePrefix(responseStart, hashEnd, "SHA") && hashEnd - responseStart <= 8 {
        responseStart = line.skipBlanks(from: hashEnd)
      }
    }
    session.client = .sasl(kind)
    if command.proto == .pop3 { session.expectPOP3(.single) }
    guard responseStart < end else { return }
    if command.proto == .imap || command.proto == .unknown,
      let literal = IMAPLiteralHeader.trailing(in: line, from: responseStart), literal.start == responseStart
    {
      verdict.mask(literal.start, literal.end, literal.nonSynchronizing ? .literalHeaderNonSync : .literalHeader)
      session.clientLiteralRemaining = literal.octets
      session.clientLiteralRole = .mask
      session.clientLiteralOwner = .authenticate
      counters.count(kind)
      return
    }
    if line.equalsUppercase(responseStart, end, "=") { return }
    if line.isAllStars(responseStart, end) || line.isExchangeAuthMask(responseStart, end) {
      counters.alreadyMasked += 1
      return
    }
    verdict.mask(responseStart, line.count)
    counters.count(kind)
  }

  public static let examples = [
    RuleExample(.smtp, ["C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=", "S: 235 2.7.0 ok"], ["C: AUTH PLAIN ****", "S: 235 2.7.0 ok"]),
    RuleExample(
      .smtp,
      ["C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: dXNlcg==", "S: 334 UGFzc3dvcmQ6", "C: c2VjcmV0", "S: 235 ok", "C: MAIL FROM:<a@b>"],
      ["C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: ****", "S: 334 UGFzc3dvcmQ6", "C: ****", "S: 235 ok", "C: MAIL FROM:<a@b>"]),
    RuleExample(.smtp, ["C: AUTH LOGIN dXNlcg==", "S: 334 UGFzc3dvcmQ6", "C: c2VjcmV0", "S: 535 no"], ["C: AUTH LOGIN ****", "S: 334 UGFzc3dvcmQ6", "C: ****", "S: 535 no"]),
    RuleExample(.smtp, ["C: AUTH CRAM-MD5", "S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", "S: 235 ok"],
                ["C: AUTH CRAM-MD5", "S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", "C: ****", "S: 235 ok"]),
    RuleExample(.smtp, ["C: AUTH PLAIN", "S: 334 ", "C: *", "S: 501 cancelled", "C: QUIT"], ["C: AUTH PLAIN", "S: 334 ", "C: *", "S: 501 cancelled", "C: QUIT"]),
    RuleExample(.smtp, ["C: AUTH NTLM TlRMTVNTUAABAAAAt5IAQAcABwAgAAAA", "S: 334 TlRMTVNTUAACAAAADgAOADAAAAC1", "C: TlRMTVNTUAADAAAAGAAYAHgAAAAYABgA", "S: 235 ok"],
                ["C: AUTH NTLM ****", "S: 334 TlRMTVNTUAACAAAADgAOADAAAAC1", "C: ****", "S: 235 ok"]),
    RuleExample(.smtp, ["C: AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5Lg==", "S: 334 eyJzdGF0dXMiOiI0MDEifQ==", "C: ", "S: 535 no"],
                ["C: AUTH XOAUTH2 ****", "S: 334 eyJzdGF0dXMiOiI0MDEifQ==", "C: ", "S: 535 no"]),
    RuleExample(.smtp, ["C: X-EXPS GSSAPI YIIGhgYJKoZIhvcSAQICAQBuggZ1", "S: 235 <authentication response>"], ["C: X-EXPS GSSAPI ****", "S: 235 <authentication response>"]),
    RuleExample(.smtp, ["C: AUTH LOGIN", "S: 334 <authentication response>", "C: <authentication response>", "S: 235 ok"], ["C: AUTH LOGIN", "S: 334 <authentication response>", "C: <authentication response>", "S: 235 ok"]),
    RuleExample(.smtp, ["C: AUTH dXNlcgB1c2VyAHNlY3JldA==", "S: 535 no", "C: QUIT"], ["C: AUTH ****", "S: 535 no", "C: QUIT"]),
    RuleExample(.smtp, ["C: AUTH PLAIN:dXNlcgB1c2VyAHNlY3JldA==", "S: 501 syntax"], ["C: AUTH ****", "S: 501 syntax"]),
    RuleExample(.smtp, ["C: auth plain\u{0B}dXNlcgB1c2VyAHNlY3JldA==", "S: 235 ok"], ["C: auth plain\u{0B}****", "S: 235 ok"]),
    RuleExample(.smtp, ["C: AUTH hunter2!", "S: 504 unknown"], ["C: AUTH ****", "S: 504 unknown"]),
    // XAUTH (a non-standard extension some relays speak) is treated as AUTH: what follows it is never kept blindly.
    RuleExample(.smtp, ["C: XAUTH alice S3cretPW!", "S: 250 ok", "C: QUIT"], ["C: XAUTH ****", "S: 250 ok", "C: QUIT"]),
    RuleExample(.pop3, ["C: AUTH UzNjcmV0UFch", "S: -ERR no"], ["C: AUTH ****", "S: -ERR no"]),
    RuleExample(.imap, ["C: a1 AUTHENTICATE AGFsaWNlAFMzY3JldFBXIQ==", "S: a1 NO"], ["C: a1 AUTHENTICATE ****", "S: a1 NO"]),
    RuleExample(.pop3, ["C: AUTH PLAIN", "S: +", "C: dGVzdAB0ZXN0AHRlc3Q=", "S: +OK logged in"], ["C: AUTH PLAIN", "S: +", "C: ****", "S: +OK logged in"]),
    RuleExample(.pop3, ["C: AUTH", "S: +OK methods", "S: PLAIN", "S: .", "C: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", "S: +OK"], ["C: AUTH", "S: +OK methods", "S: PLAIN", "S: .", "C: AUTH PLAIN ****", "S: +OK"]),
    RuleExample(.imap, ["C: A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=", "S: A01 OK done"], ["C: A01 AUTHENTICATE PLAIN ****", "S: A01 OK done"]),
    RuleExample(.imap, ["C: a2 AUTHENTICATE LOGIN", "S: + VXNlcm5hbWU6", "C: dXNlcg==", "S: + UGFzc3dvcmQ6", "C: c2VjcmV0", "S: a2 OK"], ["C: a2 AUTHENTICATE LOGIN", "S: + VXNlcm5hbWU6", "C: ****", "S: + UGFzc3dvcmQ6", "C: ****", "S: a2 OK"]),
    RuleExample(.imap, ["C: a3 AUTHENTICATE OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVy", "S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", "C: AQ==", "S: a3 NO failed"],
                ["C: a3 AUTHENTICATE OAUTHBEARER ****", "S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", "C: ****", "S: a3 NO failed"]),
    RuleExample(.imap, ["C: a4 AUTHENTICATE PLAIN {24}", "S: +", "C: AGZyZWQAc2VjcmV0cGFzcw==", "S: a4 OK"], ["C: a4 AUTHENTICATE PLAIN {4}", "S: +", "C: ****", "S: a4 OK"]),
    RuleExample(.imap, ["C: a5 AUTHENTICATE CRAM-MD5", "S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+", "C: *", "S: a5 BAD cancelled", "C: a6 NOOP"], ["C: a5 AUTHENTICATE CRAM-MD5", "S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+", "C: *", "S: a5 BAD cancelled", "C: a6 NOOP"]),
  ]
}
