/// The commands each protocol defines. A client line whose verb is in none of them is masked whole: it may be a
/// password typed at the wrong prompt. Lists cover the RFCs and the extensions Exchange, Postfix and Dovecot speak.
enum CommandTables {
  static let smtp: Set<VerbKey> = keys(
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT",
    "STARTTLS", "AUTH", "TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML", "BURL", "XEXCH50", "X-EXPS",
    "X-ANONYMOUSTLS", "XSHADOW", "XSHADOWREQUEST", "XQDISCARD", "XPROXY", "XPROXYFROM", "XPROXYTO",
    "XSESSIONPARAMS", "XRSETPROXYTO", "XCLIENT", "XFORWARD", "XOORG", "XRDST", "X-LINK2STATE", "XUSR", "XAUTH",
    "XTLS", "XQUEUE", "XSTA", "XSHADOWREQ")

  static let pop3: Set<VerbKey> = keys(
    "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA",
    "STLS", "UTF8", "LANG", "XTND", "LAST", "XCLIENT", "OPENSESSION", "PROXY")

  static let imap: Set<VerbKey> = keys(
    "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN", "SELECT", "EXAMINE", "CREATE", "DELETE",
    "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "XLIST", "STATUS", "APPEND", "CHECK", "CLOSE", "EXPUNGE",
    "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "IDLE", "DONE", "NAMESPACE", "ID", "ENABLE", "GETQUOTA",
    "GETQUOTAROOT", "SETQUOTA", "GETACL", "SETACL", "MYRIGHTS", "LISTRIGHTS", "DELETEACL", "UNSELECT", "COMPRESS",
    "NOTIFY", "GETMETADATA", "SETMETADATA", "SORT", "THREAD", "UNAUTHENTICATE", "REPLACE", "ESEARCH", "CONVERSIONS",
    "URLFETCH", "GENURLAUTH", "RESETKEY", "X-GM-EXT-1", "XAPPLEPUSHSERVICE", "OPENSESSION", "PROXY")

  static func keys(_ verbs: String...) -> Set<VerbKey> { Set(verbs.map(VerbKey.init)) }

  static func known(_ proto: MailProtocol) -> Set<VerbKey> {
    switch proto {
    case .smtp: return smtp
    case .pop3: return pop3
    case .imap: return imap
    case .unknown: return smtp.union(pop3).union(imap)
    }
  }
}
