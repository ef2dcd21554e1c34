/// How a log writes the protocol bytes it records.
public enum ProtocolLogging: UInt8, Sendable {
  /// As they were sent.
  case raw
  /// As Exchange does: converted from ISO-8859-1 to UTF-8 (so a 2-byte `C2`/`C3` sequence is one octet of a literal
  /// or `BDAT` chunk), with CR and LF inside a field written as the text `\r` and `\n` (so one field can hold
  /// several protocol lines: a raw buffer of a malformed or pipelined command).
  case exchange
}

/// What the client side of a session is in the middle of.
public enum ClientPhase: Sendable, Equatable {
  /// Expecting a command.
  case command
  /// Inside a SASL exchange (AUTH, AUTHENTICATE, X-EXPS): every client line is a credential until the server ends it.
  case sasl(CredentialKind)
  /// SMTP `DATA` sent, `354` not seen yet.
  case smtpAwaitingData
  /// SMTP message content until the lone `.`.
  case smtpData
  /// SMTP `BDAT` chunk: this many octets of content remain.
  case smtpChunk(remaining: Int)
}

/// What a client-side IMAP literal's content is.
public enum LiteralRole: UInt8, Sendable {
  /// Protocol data: kept, but its byte count is honoured so its content is never read as commands.
  case keep
  /// A credential (LOGIN password, AUTHENTICATE response): masked.
  case mask
  /// Message content (APPEND): dropped under `level4`.
  case body
}

/// Which IMAP command a client literal belongs to, so parsing can resume after it.
public enum LiteralOwner: UInt8, Sendable {
  case login, authenticate, append, other
}

/// What the server side of a session is in the middle of.
public enum ServerPhase: Sendable, Equatable {
  case reply
  /// A POP3 multi-line reply; `body` when it carries a message (RETR/TOP).
  case pop3MultiLine(body: Bool)
}

/// Per-session protocol state. Kept in a bounded table keyed by the format's session id.
public struct SessionState: Sendable {
  public var proto: MailProtocol
  public var client: ClientPhase = .command
  public var server: ServerPhase = .reply
  /// The session's start was not seen: until the server ends whatever was going on, client lines are masked.
  public var joinedMidway: Bool
  /// Pending client literal (IMAP): octets left, role, owner, and the LOGIN argument index to resume at.
  public var clientLiteralRemaining = 0
  public var clientLiteralRole: LiteralRole = .keep
  public var clientLiteralOwner: LiteralOwner = .other
  public var loginArgument = 0
  /// A client literal ended with its line break: the next client line continues the same command.
  public var clientContinuationPending = false
  /// Pending server literal (IMAP FETCH etc.).
  public var serverLiteralRemaining = 0
  public var serverLiteralIsBody = false
  /// A server literal ended with its line break: the next server line continues the same response (and may announce
  /// the next literal, as `BODY[TEXT] {24}` after `BODY[HEADER] {21}` does).
  public var serverContinuationPending = false
  /// How the log writes protocol bytes (see `ProtocolLogging`).
  public var logging = ProtocolLogging.raw
  /// SMTP client lines (commands, SASL answers, the `.` ending DATA) not answered yet by a final reply: with
  /// PIPELINING, replies to MAIL/RCPT arrive after DATA was sent and must not be taken for DATA's reply.
  public var smtpRepliesPending = 0
  /// POP3 replies still expected, oldest first, 2 bits each (see `POP3Reply`).
  public var pop3Expected: UInt64 = 0
  public var pop3ExpectedCount: UInt8 = 0
  /// The body run being removed.
  public var bodyOpen = false
  public var body = BodyCount(lines: 0, bytes: 0)
  /// Format-owned bytes remembered for the body marker (e.g. the CSV row prefix of the first body line).
  public var markerContext: [UInt8] = []
  /// The first word of the last client line masked whole (a possible password typed as a command): servers echo it
  /// (an IMAP tagged `BAD`, an SMTP "unrecognized command 'x'"), so the next server lines get it masked too.
  public var echoGuard: [UInt8] = []
  public var echoGuardLines: UInt8 = 0
  /// Recency stamp for eviction.
  var lastTouched: UInt64 = 0

  public init(proto: MailProtocol, joinedMidway: Bool) {
    self.proto = proto
    self.joinedMidway = joinedMidway
  }
}

/// The kinds of POP3 reply a client command provokes.
enum POP3Reply: UInt64 {
  case single = 0
  case multiLine = 1
  case message = 2
}

extension SessionState {
  /// A server literal announced at the end of a line: its octets come next; an empty one (`{0}`) means the response
  /// goes on at the next line.
  mutating func expectServerLiteral(_ literal: IMAPLiteralHeader) {
    serverLiteralRemaining = literal.octets
    serverContinuationPending = literal.octets == 0
  }

  mutating func expectPOP3(_ reply: POP3Reply) {
    guard pop3ExpectedCount < 32 else { return }
    pop3Expected |= reply.rawValue << (2 * UInt64(pop3ExpectedCount))
    pop3ExpectedCount += 1
  }

  mutating func nextPOP3Reply() -> POP3Reply {
    guard pop3ExpectedCount > 0 else { return .single }
    let r = POP3Reply(rawValue: pop3Expected & 3) ?? .single
    pop3Expected >>= 2
    pop3ExpectedCount -= 1
    return r
  }
}
