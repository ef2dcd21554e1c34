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
    let line = command.line
    let end = line.trimmedEnd()
    guard command.argumentsStart < end else { return }
    let nameEnd = line.tokenEnd(from: command.argumentsStart)
    let digestStart = line.skipBlanks(from: nameEnd)
    let secretStart = digestStart < end ? digestStart : command.argumentsStart
    if line.isAllStars(secretStart, end) {
      counters.alreadyMasked += 1
      return
    }
    verdict.mask(secretStart, line.count)
    counters.count(.apopDigest)
  }

  public static let examples = [
    RuleExample(.pop3, ["C: APOP mrose c4c9334bac560ecc979e58001b3e22fb"], ["C: APOP mrose ****"]),
    RuleExample(.pop3, ["C: APOP c4c9334bac560ecc979e58001b3e22fb"], ["C: APOP ****"]),
  ]
}
