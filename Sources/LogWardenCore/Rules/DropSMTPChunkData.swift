/// Drops the octets sent after SMTP `BDAT n [LAST]` (RFC 3030): exactly n octets of content, counted across lines.
public enum DropSMTPChunkData: MaskingRule {
  public static let identifier = "drop-smtp-chunk-data"
  public static let summary = "Removes the n octets of message content that follow SMTP BDAT n, leaving one marker line."
  public static let triggers: [(MailProtocol, String)] = [(.smtp, "BDAT")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    let line = command.line
    let sizeEnd = line.tokenEnd(from: command.argumentsStart)
    guard let octets = line.decimal(command.argumentsStart, sizeEnd), octets > 0 else { return }
    session.client = .smtpChunk(remaining: octets)
  }

  public static let examples = [
    RuleExample(
      .smtp, ["C: BDAT 12 LAST", "C: Subject: x", "S: 250 ok"],
      ["C: BDAT 12 LAST", "[logwarden: body removed: 1 lines; 10 bytes]", "S: 250 ok"]),
    RuleExample(
      .smtp, ["C: BDAT 4", "C: abcdBDAT 3 LAST", "C: c", "S: 250 ok"],
      ["C: BDAT 4", "[logwarden: body removed: 1 lines; 4 bytes]", "C: BDAT 3 LAST", "[logwarden: body removed: 1 lines; 1 bytes]", "S: 250 ok"]),
  ]
}
