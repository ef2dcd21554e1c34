/// Drops the message sent after SMTP `DATA`: every client line from the `354` reply to the lone `.` (dot-stuffing
/// aware: `..x` is content), headers included. One marker line replaces the content.
public enum DropSMTPMessageData: MaskingRule {
  public static let identifier = "drop-smtp-message-data"
  public static let summary = "Removes the message content of SMTP DATA (headers and body), leaving one marker line."
  public static let triggers: [(MailProtocol, String)] = [(.smtp, "DATA")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    guard !command.hasArguments else { return }
    session.client = .smtpAwaitingData
  }

  public static let examples = [
    RuleExample(
      .smtp,
      ["C: DATA", "S: 354 go ahead", "C: Subject: hi", "C: ", "C: ..hello", "C: .", "S: 250 queued", "C: QUIT"],
      ["C: DATA", "S: 354 go ahead", "[logwarden: body removed: 3 lines; 18 bytes]", "C: .", "S: 250 queued", "C: QUIT"]),
    RuleExample(.smtp, ["C: DATA", "S: 554 no valid recipients", "C: QUIT"], ["C: DATA", "S: 554 no valid recipients", "C: QUIT"]),
    // NOOP's reply is missing, so 503 looks like NOOP's: the client speaking before any 354 shows DATA was refused.
    RuleExample(
      .smtp, ["C: NOOP", "C: DATA", "S: 503 5.5.2 need MAIL", "C: AUTH PLAIN dXNlcgB1c2VyAHNlY3JldA==", "S: 235 ok"],
      ["C: NOOP", "C: DATA", "S: 503 5.5.2 need MAIL", "C: AUTH PLAIN ****", "S: 235 ok"], profile: .credentials),
    RuleExample(
      .smtp, ["C: DATA", "S: 354 go ahead", "C: secret body", "C: ."], ["C: DATA", "S: 354 go ahead", "C: secret body", "C: ."],
      profile: .credentials),
  ]
}
