/// Masks anything after the single user name of POP3 `USER`: a password typed on the same line.
public enum MaskStrayUserArguments: MaskingRule {
  public static let identifier = "mask-stray-user-arguments"
  public static let summary = "Replaces extra arguments after the POP3 USER name with ****."
  public static let triggers: [(MailProtocol, String)] = [(.pop3, "USER")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    guard let extra = command.secondArgumentStart else { return }
    verdict.maskCredential(in: command.line, from: extra, as: .strayArgument, counters: &counters)
  }

  public static let examples = [
    RuleExample(.pop3, ["C: USER alice"], ["C: USER alice"]),
    RuleExample(.pop3, ["C: USER alice hunter2"], ["C: USER alice ****"]),
  ]
}
