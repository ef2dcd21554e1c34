/// Masks anything after the single user name of POP3 `USER`: a password typed on the same line.
public enum MaskStrayUserArguments: MaskingRule {
  public static let identifier = "mask-stray-user-arguments"
  public static let summary = "Replaces extra arguments after the POP3 USER name with ****."
  public static let triggers: [(MailProtocol, String)] = [(.pop3, "USER")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    let line = command.line
    let end = line.trimmedEnd()
    guard command.argumentsStart < end else { return }
    let nameEnd = line.tokenEnd(from: command.argumentsStart)
    let extra = line.skipBlanks(from: nameEnd)
    guard extra < end else { return }
    verdict.mask(extra, line.count)
    counters.count(.strayArgument)
  }

  public static let examples = [
    RuleExample(.pop3, ["C: USER alice"], ["C: USER alice"]),
    RuleExample(.pop3, ["C: USER alice hunter2"], ["C: USER alice ****"]),
  ]
}
