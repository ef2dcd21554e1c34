/// Masks the argument of POP3 `PASS`: everything after the verb becomes `****`.
///
/// RFC 1939 lets a server treat spaces as part of the password, so the whole rest of the line is the secret.
/// A server's own mask (`PASS *****`) is left as it is.
public enum MaskPOP3Password: MaskingRule {
  public static let identifier = "mask-pop3-password"
  public static let summary = "Replaces the argument of POP3 PASS with ****."
  public static let triggers: [(MailProtocol, String)] = [(.pop3, "PASS")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    verdict.maskCredential(in: command.line, from: command.argumentsStart, as: .pop3Password, counters: &counters)
  }

  public static let examples = [
    RuleExample(.pop3, ["C: USER bob", "S: +OK", "C: PASS s3cret", "S: +OK"], ["C: USER bob", "S: +OK", "C: PASS ****", "S: +OK"]),
    RuleExample(.pop3, ["C: pass  two words "], ["C: pass  ****"]),
    RuleExample(.pop3, ["C: PASS *****"], ["C: PASS *****"]),
    RuleExample(.pop3, ["C: PASS"], ["C: PASS"]),
  ]
}
