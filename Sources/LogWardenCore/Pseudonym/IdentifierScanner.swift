#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds identifiers that point at people but need no consistent pseudonym, and the `helo=<…>` field.
/// All functions take a word start `i` and return nil when nothing of their kind starts there.
enum IdentifierScanner {
  static let guidMask: [UInt8] = Array("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".utf8)
  static let sessionMask: [UInt8] = Array("****".utf8)

  /// A Windows SID (`S-1-<authority>-<sub>…`). Returns its end and the mask to write: SIDs with three or more
  /// sub-authorities (domain, machine and Entra SIDs) become `S-1-<authority>-<first sub>-*`; short well-known SIDs
  /// (`S-1-5-18`, `S-1-5-32-544`) identify no one and get a nil mask (kept).
  static func windowsSID(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int) -> (Int, [UInt8]?)? {
    guard i + 5 < n, p[i] == 0x53, p[i + 1] == 0x2d, p[i + 2] == 0x31, p[i + 3] == 0x2d else { return nil }
    var j = i + 4
    var components: [Range<Int>] = []
    while j < n {
      let start = j
      while j < n && p[j] &- 0x30 < 10 { j += 1 }
      guard j > start else { return nil }
      components.append(start..<j)
      guard j + 1 < n, p[j] == 0x2d, p[j + 1] &- 0x30 < 10 else { break }
      j += 1
    }
    if j < n && (ByteClass.table[Int(p[j])] & ByteClass.word != 0 || p[j] == 0x5f) { return nil }
    guard components.count >= 2 else { return nil }
    // components[0] is the identifier authority; the rest are sub-authorities.
    guard components.count - 1 >= 3 else { return (j, nil) }
    var mask = Array("S-1-".utf8)
    mask.append(contentsOf: UnsafeBufferPointer(start: p + components[0].lowerBound, count: components[0].count))
    mask.append(0x2d)
    mask.append(contentsOf: UnsafeBufferPointer(start: p + components[1].lowerBound, count: components[1].count))
    mask.append(contentsOf: Array("-*".utf8))
    return (j, mask)
  }

  /// A GUID `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, either case); returns its end.
  static func guid(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int) -> Int? {
    guard i + 36 <= n else { return nil }
    for k in 0..<36 {
      let byte = p[i + k]
      if k == 8 || k == 13 || k == 18 || k == 23 {
        guard byte == 0x2d else { return nil }
      } else {
        guard ByteClass.table[Int(byte)] & ByteClass.hex != 0 else { return nil }
      }
    }
    let end = i + 36
    if end < n && (ByteClass.table[Int(p[end])] & ByteClass.word != 0 || p[end] == 0x2d || p[end] == 0x5f) {
      return nil
    }
    return end
  }

  /// Dovecot's `session=<id>`: returns the range of `id` (the id encodes the client IP and port).
  static func dovecotSession(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int) -> (Int, Int)? {
    argument(of: "session=<", at: i, p, count: n)
  }

  /// Postfix's `helo=<name>`: returns the range of `name`.
  static func heloArgument(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int) -> (Int, Int)? {
    argument(of: "helo=<", at: i, p, count: n)
  }

  /// Dovecot's `user=<name>`: returns the range of `name`.
  static func userArgument(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int) -> (Int, Int)? {
    argument(of: "user=<", at: i, p, count: n)
  }

  /// Postfix's `sasl_username=name`, ended by `,`, `;`, a blank or the line end: returns the range of `name`.
  /// `n` may stop short of the line (at the next e-mail address); then the value is an address and is left alone.
  static func saslUsername(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int, lineCount: Int) -> (Int, Int)? {
    let prefix: StaticString = "sasl_username="
    let length = prefix.utf8CodeUnitCount
    guard i + length < n, memcmp(p + i, prefix.utf8Start, length) == 0 else { return nil }
    let start = i + length
    var end = start
    while end < n && p[end] > 0x20 && p[end] != 0x2c && p[end] != 0x3b { end += 1 }
    guard end < n || n == lineCount else { return nil }
    return (start, end)
  }

  /// A Dovecot log prefix naming a user: `imap(bob)`, `pop3(bob)<pid><session>`, `passwd-file(bob,ip,<session>)`.
  struct ServiceUser {
    let userStart: Int
    let userEnd: Int
    /// The session id in `service(user)<pid><session>`, when present.
    let session: (Int, Int)?
  }

  /// Dovecot services and auth back ends whose parenthesised first argument is a user name.
  static let dovecotServices: [[UInt8]] = [
    "imap", "pop3", "lmtp", "submission", "managesieve", "sieve", "indexer-worker", "doveadm", "lda", "quota-status",
    "passwd-file", "passwd", "pam", "ldap", "sql", "shadow", "checkpassword", "static", "oauth2", "lua", "bsdauth",
    "vpopmail",
  ].map { Array($0.utf8) }

  static func dovecotServiceUser(
    at i: Int, _ p: UnsafePointer<UInt8>, count n: Int, tables: ScanTables
  ) -> ServiceUser? {
    var wordEnd = i
    while wordEnd < n && wordEnd - i <= 16 && (tables.isWord(p[wordEnd]) || p[wordEnd] == 0x2d) { wordEnd += 1 }
    guard wordEnd < n, p[wordEnd] == 0x28, wordEnd > i else { return nil }
    let wordLength = wordEnd - i
    guard dovecotServices.contains(where: { $0.count == wordLength && memcmp($0, p + i, wordLength) == 0 }) else {
      return nil
    }
    let userStart = wordEnd + 1
    var userEnd = userStart
    while userEnd < n && p[userEnd] > 0x20 && p[userEnd] != 0x29 && p[userEnd] != 0x2c { userEnd += 1 }
    guard userEnd < n, userEnd > userStart else { return nil }
    var session: (Int, Int)? = nil
    // "imap(bob)<12345><Yq3dfQ0BAAB/AAAB>": a pid, then the session id.
    if p[userEnd] == 0x29, userEnd + 1 < n, p[userEnd + 1] == 0x3c {
      var j = userEnd + 2
      while j < n && p[j] &- 0x30 < 10 { j += 1 }
      if j > userEnd + 2, j + 1 < n, p[j] == 0x3e, p[j + 1] == 0x3c, let end = bracketedSession(at: j + 1, p, count: n)
      {
        session = (j + 2, end)
      }
    }
    return ServiceUser(userStart: userStart, userEnd: userEnd, session: session)
  }

  /// `<id>` at `i` where id looks like a Dovecot session id (8–32 base64 bytes); returns the index of the `>`.
  static func bracketedSession(at i: Int, _ p: UnsafePointer<UInt8>, count n: Int) -> Int? {
    guard i < n, p[i] == 0x3c else { return nil }
    var j = i + 1
    while j < n && j - i <= 33 && isBase64(p[j]) { j += 1 }
    let length = j - i - 1
    guard j < n, p[j] == 0x3e, length >= 8, length <= 32 else { return nil }
    return j
  }

  private static func isBase64(_ byte: UInt8) -> Bool {
    (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10 || byte == 0x2b || byte == 0x2f || byte == 0x3d
  }

  /// `prefix` at `i` followed by text up to `>`: the range between them.
  private static func argument(of prefix: StaticString, at i: Int, _ p: UnsafePointer<UInt8>, count n: Int)
    -> (Int, Int)?
  {
    let length = prefix.utf8CodeUnitCount
    guard i + length < n, memcmp(p + i, prefix.utf8Start, length) == 0 else { return nil }
    let start = i + length
    var end = start
    while end < n && p[end] != 0x3e {
      guard p[end] >= 0x20 else { return nil }
      end += 1
    }
    guard end < n else { return nil }
    return (start, end)
  }
}
