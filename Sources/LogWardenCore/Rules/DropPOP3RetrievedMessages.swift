/// Drops the message in the multi-line reply to POP3 `RETR n` and `TOP n m`, up to the lone `.`.
public enum DropPOP3RetrievedMessages: MaskingRule {
  public static let identifier = "drop-pop3-retrieved-messages"
  public static let summary = "Removes the message lines of POP3 RETR and TOP replies, leaving one marker line."
  public static let triggers: [(MailProtocol, String)] = [(.pop3, "RETR"), (.pop3, "TOP")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    session.expectPOP3(.message)
  }

  public static let examples = [
    RuleExample(
      .pop3, ["C: RETR 1", "S: +OK 20 octets", "S: Subject: x", "S: ", "S: body", "S: .", "C: QUIT"],
      ["C: RETR 1", "S: +OK 20 octets", "[logwarden: body removed: 3 lines; 14 bytes]", "S: .", "C: QUIT"]),
    RuleExample(.pop3, ["C: RETR 9", "S: -ERR no such message", "C: LIST", "S: +OK", "S: 1 20", "S: ."],
                ["C: RETR 9", "S: -ERR no such message", "C: LIST", "S: +OK", "S: 1 20", "S: ."]),
    RuleExample(.pop3, ["C: TOP 1 0", "S: +OK", "S: From: a@b", "S: .", "C: STAT"], ["C: TOP 1 0", "S: +OK", "[logwarden: body removed: 1 lines; 9 bytes]", "S: .", "C: STAT"]),
  ]
}
