/// Masks the digest of POP3 `APOP name digest`; the user name stays.
///
/// The digest is MD5(timestamp + secret): offline-crackable, so it is a credential. With a single argument
/// the argument could be the digest, so it is masked.
public enum MaskAPOPDigest: MaskingRule {
  public static let identifier = "mask-apop-digest"
  public static let summary = "Replaces the digest of POP3 APOP with ****, keeping the user name."
  public static let triggers: [(MailProtocol, String)] = [(.pop3, "APOP")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    guard command.hasArguments else { return }
    let secretStart = command.secondArgumentStart ?? command.argumentsStart
    verdict.maskCredential(in: command.line, from: secretStart, as: .apopDigest, counters: &counters)
  }

  public static let examples = [
    RuleExample(.pop3, ["C: APOP mrose c4c9334bac560ecc979e58001b3e22fb"], ["C: APOP mrose ****"]),
    RuleExample(.pop3, ["C: APOP c4c9334bac560ecc979e58001b3e22fb"], ["C: APOP ****"]),
  ]
}
