/// Drops the message literal of IMAP `APPEND mailbox [flags] [date] {n}` (and further literals of MULTIAPPEND),
/// honouring the octet count across lines.
public enum DropIMAPAppendedMessages: MaskingRule {
  public static let identifier = "drop-imap-appended-messages"
  public static let summary = "Removes the message literal of IMAP APPEND, leaving one marker line."
  public static let triggers: [(MailProtocol, String)] = [(.imap, "APPEND")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    guard let literal = IMAPLiteralHeader.trailing(in: command.line, from: command.argumentsStart) else { return }
    session.clientLiteralRemaining = literal.octets
    session.clientLiteralRole = .body
    session.clientLiteralOwner = .append
  }

  public static let examples = [
    RuleExample(
      .imap, ["C: A003 APPEND saved (\\Seen) {10}", "S: + Ready", "C: Subject: x", "S: A003 OK"],
      ["C: A003 APPEND saved (\\Seen) {10}", "S: + Ready", "[logwarden: body removed: 1 lines; 10 bytes]", "S: A003 OK"]),
    RuleExample(
      .imap, ["C: A004 APPEND box {7+}", "C: a", "C: b", "C: c", "C: A005 NOOP"],
      ["C: A004 APPEND box {7+}", "[logwarden: body removed: 3 lines; 3 bytes]", "C: A005 NOOP"]),
  ]
}
