/// Masks the password of IMAP `LOGIN user password`, in every form RFC 3501 allows: atom, quoted string (with `\"` and
/// `\\` escapes), synchronizing `{n}` and non-synchronizing `{n+}` literals spanning lines. The user name stays.
///
/// A password literal's header becomes `{4}` and its content `****`, so its length does not leak. Anything after the
/// password (or a lone argument that could be the password) is masked too.
public enum MaskIMAPLogin: MaskingRule {
  public static let identifier = "mask-imap-login"
  public static let summary = "Replaces the password argument of IMAP LOGIN (atom, quoted or literal) with ****."
  public static let triggers: [(MailProtocol, String)] = [(.imap, "LOGIN")]

  public static func apply(
    to command: ClientCommand, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    session.loginArgument = 0
    scanArguments(in: command.line, from: command.argumentsStart, session: &session, verdict: &verdict, counters: &counters)
    // One argument and nothing pending: it may be the password itself.
    if session.loginArgument == 1 && session.clientLiteralRemaining == 0 && verdict.edits.isEmpty {
      let start = command.argumentsStart
      let end = command.line.trimmedEnd()
      if start < end && !command.line.isAllStars(start, end) {
        verdict.mask(start, command.line.count)
        counters.count(.imapLogin)
      }
    }
  }

  /// Parses LOGIN arguments from `from`, resuming at `session.loginArgument` (0 = user, 1 = password, 2 = after).
  /// Called again by the engine when a literal argument ends in the middle of a later line.
  static func scanArguments(
    in line: ByteLine, from: Int, session: inout SessionState, verdict: inout LineVerdict,
    counters: inout SanitizeCounters
  ) {
    let end = line.trimmedEnd()
    var i = line.skipBlanks(from: from)
    while i < end {
      if session.loginArgument >= 2 {
        // Stray bytes after the password: could be the rest of a password with spaces.
        verdict.mask(i, line.count)
        return
      }
      if session.loginArgument == 1 {
        if let literal = IMAPLiteralHeader.trailing(in: line, from: i), literal.start == i {
          verdict.mask(literal.start, literal.end, literal.nonSynchronizing ? .literalHeaderNonSync : .literalHeader)
          session.clientLiteralRemaining = literal.octets
          session.clientLiteralRole = .mask
          session.clientLiteralOwner = .login
          session.loginArgument = 2
          counters.count(.imapLogin)
          return
        }
        let tokenEnd: Int
        if line[i] == 0x22, let close = line.endOfQuotedString(from: i) {
          tokenEnd = close
        } else {
          tokenEnd = line.tokenEnd(from: i)
        }
        if line.isAllStars(i, tokenEnd) && line.skipBlanks(from: tokenEnd) >= end {
          counters.alreadyMasked += 1
          session.loginArgument = 2
          return
        }
        let quoted = line[i] == 0x22 && line.skipBlanks(from: tokenEnd) >= end && tokenEnd == end
        verdict.mask(i, line.count, quoted ? .quotedStars : .stars)
        counters.count(.imapLogin)
        session.loginArgument = 2
        return
      }
      // The user name.
      if let literal = IMAPLiteralHeader.trailing(in: line, from: i), literal.start == i {
        session.clientLiteralRemaining = literal.octets
        session.clientLiteralRole = .keep
        session.clientLiteralOwner = .login
        session.loginArgument = 1
        return
      }
      if line[i] == 0x22 {
        guard let close = line.endOfQuotedString(from: i) else {
          // An unterminated quoted string: the password may be inside it.
          verdict.mask(i, line.count)
          counters.count(.imapLogin)
          session.loginArgument = 2
          return
        }
        i = close
      } else {
        i = line.tokenEnd(from: i)
      }
      session.loginArgument = 1
      i = line.skipBlanks(from: i)
    }
  }

  public static let examples = [
    RuleExample(.imap, ["C: a001 LOGIN SMITH SESAME", "S: a001 OK"], ["C: a001 LOGIN SMITH ****", "S: a001 OK"]),
    RuleExample(.imap, ["C: 1 LOGIN U116BIT password"], ["C: 1 LOGIN U116BIT ****"]),
    RuleExample(.imap, [#"C: a1 LOGIN "fred" "p\"a\\ss word""#], [#"C: a1 LOGIN "fred" "****""#]),
    RuleExample(.imap, [#"C: a1 LOGIN "fr\"ed" pass"#], [#"C: a1 LOGIN "fr\"ed" ****"#]),
    RuleExample(
      .imap,
      ["C: A001 LOGIN {11}", "S: + Ready for additional command text", "C: FRED FOOBAR {7}", "S: + Ready for additional command text", "C: fat man", "S: A001 OK LOGIN completed"],
      ["C: A001 LOGIN {11}", "S: + Ready for additional command text", "C: FRED FOOBAR {4}", "S: + Ready for additional command text", "C: ****", "S: A001 OK LOGIN completed"]),
    RuleExample(.imap, ["C: A001 LOGIN {11+}", "C: FRED FOOBAR {7+}", "C: fat man", "S: A001 OK"], ["C: A001 LOGIN {11+}", "C: FRED FOOBAR {4+}", "C: ****", "S: A001 OK"]),
    RuleExample(.imap, ["C: a2 LOGIN bob {11}", "S: + go", "C: two", "C: lines!", "S: a2 OK"], ["C: a2 LOGIN bob {4}", "S: + go", "C: ****", "C: ****", "S: a2 OK"]),
    RuleExample(.imap, ["C: a3 LOGIN frank@contoso.test *****"], ["C: a3 LOGIN frank@contoso.test *****"]),
    RuleExample(.imap, ["C: login frank@contoso.test hunter2"], ["C: login frank@contoso.test ****"]),
    RuleExample(.imap, ["C: a4 LOGIN onlyonearg"], ["C: a4 LOGIN ****"]),
    RuleExample(.imap, ["C: a5 LOGIN bob pass word with spaces"], ["C: a5 LOGIN bob ****"]),
  ]
}
