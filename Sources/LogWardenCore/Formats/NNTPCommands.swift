/// NNTP commands as IIS NNTPSVC and Exchange 2000/2003 news logs record them. The protocol engine speaks SMTP, POP3 and
/// IMAP only, so NNTP's credential command and its fail-closed rule live here, applied to one command line at a time.
///
/// Masked: the password of `AUTHINFO PASS`, anything after the user name of `AUTHINFO USER`, the arguments after the
/// mechanism of `AUTHINFO GENERIC` / `AUTHINFO SASL` (RFC 4643, RFC 2980), an unknown `AUTHINFO` subcommand's
/// arguments, and every line whose verb NNTP does not define (it may be a SASL answer or a mistyped password).
enum NNTPCommands {
  static let verbs: Set<VerbKey> = CommandTables.keys(
    "ARTICLE", "BODY", "HEAD", "STAT", "GROUP", "LISTGROUP", "LAST", "NEXT", "POST", "IHAVE", "QUIT", "MODE", "LIST",
    "NEWGROUPS", "NEWNEWS", "DATE", "HELP", "CAPABILITIES", "OVER", "XOVER", "HDR", "XHDR", "XPAT", "SLAVE", "CHECK",
    "TAKETHIS", "XREPLIC", "XGTITLE", "XINDEX", "XROVER", "XTHREAD", "AUTHINFO", "STARTTLS", "COMPRESS", "SEARCH",
    "XPATH")

  /// Analyses one client command line.
  static func analyze(_ line: ByteLine, counters: inout SanitizeCounters) -> LineVerdict {
    var verdict = LineVerdict()
    let end = line.trimmedEnd()
    let verbStart = line.skipBlanks(from: 0)
    guard verbStart < end else { return verdict }
    let verbEnd = line.tokenEnd(from: verbStart)
    guard let key = line.verbKey(verbStart, verbEnd), verbs.contains(key) else {
      verdict.maskWhole = true
      counters.count(.unrecognizedCommand)
      return verdict
    }
    guard line.equalsUppercase(verbStart, verbEnd, "AUTHINFO") else { return verdict }
    let sub = line.skipBlanks(from: verbEnd)
    guard sub < end else { return verdict }
    let subEnd = line.tokenEnd(from: sub)
    let argument = line.skipBlanks(from: subEnd)
    if line.equalsUppercase(sub, subEnd, "SIMPLE") {
      // The credentials follow on the next line, which has no verb and is masked as unknown.
      if argument < end { mask(&verdict, line, argument, end, .strayArgument, &counters) }
    } else if line.equalsUppercase(sub, subEnd, "USER") {
      guard argument < end else { return verdict }
      let extra = line.skipBlanks(from: line.tokenEnd(from: argument))
      if extra < end { mask(&verdict, line, extra, end, .strayArgument, &counters) }
    } else if line.equalsUppercase(sub, subEnd, "PASS") {
      if argument < end { mask(&verdict, line, argument, end, .passwordField, &counters) }
    } else if line.equalsUppercase(sub, subEnd, "GENERIC") || line.equalsUppercase(sub, subEnd, "SASL") {
      guard argument < end else { return verdict }
      let mechanismEnd = line.tokenEnd(from: argument)
      let response = line.skipBlanks(from: mechanismEnd)
      if response < end {
        mask(&verdict, line, response, end, CredentialKind.sasl(line, argument, mechanismEnd), &counters)
      }
    } else {
      mask(&verdict, line, sub, end, .passwordField, &counters)
    }
    return verdict
  }

  private static func mask(
    _ verdict: inout LineVerdict, _ line: ByteLine, _ start: Int, _ end: Int, _ kind: CredentialKind,
    _ counters: inout SanitizeCounters
  ) {
    if line.isAllStars(start, end) {
      counters.alreadyMasked += 1
      return
    }
    verdict.mask(start, line.count)
    counters.count(kind)
  }
}

extension SanitizeCounters {
  /// Adds another set of counts to this one.
  mutating func merge(_ other: SanitizeCounters) {
    for k in 0..<min(credentials.count, other.credentials.count) { credentials[k] &+= other.credentials[k] }
    alreadyMasked &+= other.alreadyMasked
  }
}
