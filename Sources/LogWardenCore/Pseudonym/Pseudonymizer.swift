#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces identities in log bytes with consistent keyed pseudonyms.
///
/// - E-mail addresses → `user-<token>@<domain>`; the local part is lower-cased first, so `Alice@X` and `alice@x`
///   match, and a bare user name `bob` gets the same `user-<token>` as `bob@example.com`.
/// - Host and domain names → each label below the public suffix becomes `dom-<token>`, where the token of a label is
///   keyed on the whole name from that label down (`mx1.example.com` → `dom-A.dom-B.com`; `example.com` → `dom-B.com`).
/// - IP addresses → ipcrypt-pfx (default), truncation or unchanged; blocks in `keptNetworks` stay as they are.
/// - Windows SIDs, GUIDs and Dovecot session ids → fixed masks (see ``PseudonymOptions/IdentifierMasks``).
///
/// Tokens are base32 of 80 bits of HMAC-SHA256 under a sub-key of the master key, so the same input gets the same
/// pseudonym on every line, file, run and server sharing the key (and epoch). Results are cached per instance
/// (bounded), keyed by the input bytes.
///
/// One instance per thread: it keeps caches and scratch buffers and takes no locks. Instances built from the same
/// ``PseudonymKeys`` produce identical output.
public final class Pseudonymizer {
  public let options: PseudonymOptions

  private let identityTokens: TokenMaker
  private let domainTokens: TokenMaker
  private let ipCipher: IPCryptPfx
  private let ledger: PseudonymLedger?
  private var pendingLedgerEntries: [PseudonymLedger.Entry] = []
  private var ledgerError: LogWardenError?
  private static let ledgerBatchSize = 256

  private let emailCache: ByteCache
  private let hostCache: ByteCache
  private let userCache: ByteCache
  private let identityTokenCache: ByteCache
  private let domainTokenCache: ByteCache
  /// Address (16 bytes) and written form (1 byte) → replacement text; an empty value means "kept as written".
  private let ipTextCache: ByteCache
  private var ipKey = [UInt8](repeating: 0, count: 17)
  private var ipText: [UInt8] = []
  private let identifierMasks: PseudonymOptions.IdentifierMasks
  private let keptEmailDomains: [[UInt8]]?
  private let keptHostDomains: [[UInt8]]?

  private var emailSpans: [(start: Int, end: Int)] = []

  /// - Parameters:
  ///   - keys: sub-keys derived once from the master key (share them between instances).
  ///   - ledger: where new tokens and their originals are recorded for `reveal`; nil records nothing.
  public init(keys: PseudonymKeys, options: PseudonymOptions = PseudonymOptions(), ledger: PseudonymLedger? = nil) {
    self.options = options
    identityTokens = TokenMaker(key: keys.identity, prefix: TokenMaker.identityPrefix)
    domainTokens = TokenMaker(key: keys.domain, prefix: TokenMaker.domainPrefix)
    // HKDF output halves are independent; equal halves would need a 2^-128 accident.
    ipCipher = try! IPCryptPfx(key: keys.ip)
    self.ledger = ledger
    let capacity = options.cacheCapacity
    emailCache = ByteCache(maximumEntries: capacity)
    hostCache = ByteCache(maximumEntries: capacity)
    userCache = ByteCache(maximumEntries: capacity)
    identityTokenCache = ByteCache(maximumEntries: capacity)
    domainTokenCache = ByteCache(maximumEntries: capacity)
    ipTextCache = ByteCache(maximumEntries: capacity)
    identifierMasks = options.identifierMasks
    keptEmailDomains = Self.keptDomains(options.emailDomains)
    keptHostDomains = Self.keptDomains(options.hostNames)
  }

  /// nil means "keep all"; an empty list means "keep none".
  private static func keptDomains(_ policy: PseudonymOptions.DomainPolicy) -> [[UInt8]]? {
    switch policy {
    case .pseudonymize: return []
    case .keepAll: return nil
    case .keep(let domains):
      return domains.map { domain in
        var bytes = Array(domain.utf8).map(lowercasedASCII)
        while bytes.last == 0x2e { bytes.removeLast() }
        return bytes
      }
    }
  }

  // MARK: - Free text

  /// Appends `line` to `out` with every e-mail address and IP address replaced, and the well-known fields that name
  /// people: `host[ip]` and `helo=<…>` host names, `user=<…>`, `sasl_username=…` and Dovecot `imap(user)` user names,
  /// Windows SIDs, Dovecot session ids (and GUIDs if enabled). Adds the number of values changed per
  /// ``PseudonymKind`` raw value to `counts` (kept values are not counted).
  ///
  /// `line` is one line without its terminator; anything else (e.g. CR) is copied as it is.
  public func rewriteLine(_ line: UnsafeRawBufferPointer, into out: inout [UInt8], counts: inout [String: Int]) {
    guard let raw = line.baseAddress, line.count > 0 else { return }
    let p = raw.assumingMemoryBound(to: UInt8.self)
    let n = line.count
    let tables = ScanTables.shared
    let table = tables.classes

    // Candidate pre-check: without a digit, ':', '@', '<', '=' or '(' there is no address, IP, named field or
    // masked id to find.
    var seen: UInt8 = 0
    for i in 0..<n { seen |= table[Int(p[i])] }
    let candidates = ByteClass.digit | ByteClass.colon | ByteClass.at | ByteClass.angle | ByteClass.fieldMark
    guard seen & candidates != 0 else {
      out.append(contentsOf: UnsafeRawBufferPointer(start: raw, count: n))
      return
    }

    if seen & ByteClass.at != 0 {
      collectEmailSpans(p, count: n, tables: tables)
    } else {
      emailSpans.removeAll(keepingCapacity: true)
    }
    var tally = Tally()
    var copied = 0
    var emailIndex = 0
    var nextEmailStart = emailSpans.isEmpty ? n : emailSpans[0].start
    let masks = identifierMasks

    /// Copies the input up to `end` unchanged.
    func copyThrough(_ end: Int) {
      if end > copied { out.append(contentsOf: UnsafeRawBufferPointer(start: raw + copied, count: end - copied)) }
      copied = max(copied, end)
    }

    var i = 0
    while i < n {
      if i >= nextEmailStart {
        let span = emailSpans[emailIndex]
        copyThrough(span.start)
        appendEmailPseudonym(UnsafeRawBufferPointer(start: raw + span.start, count: span.end - span.start), to: &out)
        tally.emails += 1
        copied = span.end
        i = span.end
        emailIndex += 1
        nextEmailStart = emailIndex < emailSpans.count ? emailSpans[emailIndex].start : n
        continue
      }
      let cls = table[Int(p[i])]
      let isWordStart = cls & ByteClass.word != 0
      // Only hex digits and "::" can start an address; most words ("Nov", "postfix") are skipped right here.
      if cls & ByteClass.hex != 0 || (cls == ByteClass.colon && i + 1 < n && p[i + 1] == 0x3a) {
        if let match = IPScanner.match(at: i, in: p, count: nextEmailStart, tables: tables) {
          if let hostStart = hostBeforeBracketedIP(match, p, count: n, lowerBound: copied, tables: tables) {
            copyThrough(hostStart)
            let host = UnsafeRawBufferPointer(start: raw + hostStart, count: match.start - 1 - hostStart)
            if appendChanged(&out, { appendHostPseudonym(host, policyKept: keptHostDomains, to: &$0) }, original: host) {
              tally.hosts += 1
            }
            copied = match.start - 1
          }
          copyThrough(match.start)
          if appendIPPseudonym(
            match, original: UnsafeRawBufferPointer(start: raw + match.start, count: match.end - match.start), to: &out)
          {
            tally.ips += 1
          } else {
            copyThrough(match.end)
          }
          copied = match.end
          i = match.end
          continue
        }
      }
      if isWordStart {
        if let end = rewriteKnownField(
          at: i, p, count: nextEmailStart, lineCount: n, masks: masks, tables: tables, tally: &tally,
          copied: &copied, out: &out)
        {
          i = end
          continue
        }
        // Skip the rest of the word: nothing starts inside one.
        i += 1
        while i < nextEmailStart && table[Int(p[i])] & ByteClass.word != 0 { i += 1 }
        continue
      }
      // Dovecot auth lines: "passwd-file(user,192.0.2.1,<session>)".
      if cls == ByteClass.angle, i > 0, p[i - 1] == 0x2c, masks.contains(.dovecotSessionIDs),
        let end = IdentifierScanner.bracketedSession(at: i, p, count: nextEmailStart)
      {
        copyThrough(i + 1)
        out.append(contentsOf: IdentifierScanner.sessionMask)
        copied = end
        tally.sessions += 1
        i = end
        continue
      }
      i += 1
    }
    copyThrough(n)
    tally.add(to: &counts)
  }

  /// Per-line counters, added to the caller's dictionary once per line.
  private struct Tally {
    var emails = 0
    var users = 0
    var hosts = 0
    var ips = 0
    var sids = 0
    var guids = 0
    var sessions = 0

    func add(to counts: inout [String: Int]) {
      if emails > 0 { counts[PseudonymKind.email.rawValue, default: 0] += emails }
      if users > 0 { counts[PseudonymKind.user.rawValue, default: 0] += users }
      if hosts > 0 { counts[PseudonymKind.host.rawValue, default: 0] += hosts }
      if ips > 0 { counts[PseudonymKind.ip.rawValue, default: 0] += ips }
      if sids > 0 { counts[PseudonymKind.sid.rawValue, default: 0] += sids }
      if guids > 0 { counts[PseudonymKind.guid.rawValue, default: 0] += guids }
      if sessions > 0 { counts[PseudonymKind.sessionID.rawValue, default: 0] += sessions }
    }
  }

  /// `name[ip]` (Postfix, Exchange): the start of `name` when `match` sits in brackets right after a host name.
  private func hostBeforeBracketedIP(
    _ match: IPMatch, _ p: UnsafePointer<UInt8>, count: Int, lowerBound: Int, tables: ScanTables
  ) -> Int? {
    let open = match.start - 1
    guard open > lowerBound, p[open] == 0x5b, match.end < count, p[match.end] == 0x5d else { return nil }
    var start = open
    while start > lowerBound && tables.isHostName(p[start - 1]) { start -= 1 }
    while start < open && (p[start] == 0x2e || p[start] == 0x2d) { start += 1 }
    return start < open ? start : nil
  }

  /// Rewrites a well-known field starting at the word start `i`: a Windows SID, GUID or Dovecot session id (fixed
  /// masks), `helo=<name>` (host), or a user name in `user=<…>`, `sasl_username=…` or Dovecot's `imap(user)…` /
  /// `passwd-file(user,…)` prefixes. Returns where scanning resumes, or nil if nothing starts here.
  ///
  /// `n` is where the next e-mail address starts (or the line end): fields holding an address are left to the
  /// address scanner.
  private func rewriteKnownField(
    at i: Int, _ p: UnsafePointer<UInt8>, count n: Int, lineCount: Int, masks: PseudonymOptions.IdentifierMasks,
    tables: ScanTables, tally: inout Tally, copied: inout Int, out: inout [UInt8]
  ) -> Int? {
    let raw = UnsafeRawPointer(p)
    func copyUpTo(_ start: Int) {
      if start > copied { out.append(contentsOf: UnsafeRawBufferPointer(start: raw + copied, count: start - copied)) }
    }
    func replace(_ start: Int, _ end: Int, with replacement: [UInt8]) {
      copyUpTo(start)
      out.append(contentsOf: replacement)
      copied = end
    }
    func replaceUser(_ start: Int, _ end: Int) {
      copyUpTo(start)
      let user = UnsafeRawBufferPointer(start: raw + start, count: end - start)
      if appendChanged(&out, { appendUserPseudonym(user, to: &$0) }, original: user) { tally.users += 1 }
      copied = end
    }
    switch p[i] {
    case 0x53 where masks.contains(.windowsSIDs):  // S
      guard let (end, mask) = IdentifierScanner.windowsSID(at: i, p, count: n) else { return nil }
      if let mask {
        replace(i, end, with: mask)
        tally.sids += 1
      }
      return end
    case 0x73:  // s
      if masks.contains(.dovecotSessionIDs), let (start, end) = IdentifierScanner.dovecotSession(at: i, p, count: n) {
        replace(start, end, with: IdentifierScanner.sessionMask)
        tally.sessions += 1
        return end
      }
      if let (start, end) = IdentifierScanner.saslUsername(at: i, p, count: n, lineCount: lineCount), end > start {
        replaceUser(start, end)
        return end
      }
    case 0x75:  // u
      if let (start, end) = IdentifierScanner.userArgument(at: i, p, count: n), end > start {
        replaceUser(start, end)
        return end
      }
    case 0x68:  // h
      if let (start, end) = IdentifierScanner.heloArgument(at: i, p, count: n), end > start {
        copyUpTo(start)
        let host = UnsafeRawBufferPointer(start: raw + start, count: end - start)
        if appendChanged(&out, { appendHostPseudonym(host, policyKept: keptHostDomains, to: &$0) }, original: host) {
          tally.hosts += 1
        }
        copied = end
        return end
      }
    default:
      break
    }
    if let field = IdentifierScanner.dovecotServiceUser(at: i, p, count: n, tables: tables) {
      replaceUser(field.userStart, field.userEnd)
      var resume = field.userEnd
      if masks.contains(.dovecotSessionIDs), let (start, end) = field.session {
        replace(start, end, with: IdentifierScanner.sessionMask)
        tally.sessions += 1
        resume = end
      }
      return resume
    }
    if masks.contains(.guids), tables.classes[Int(p[i])] & ByteClass.hex != 0,
      let end = IdentifierScanner.guid(at: i, p, count: n)
    {
      replace(i, end, with: IdentifierScanner.guidMask)
      tally.guids += 1
      return end
    }
    return nil
  }

  /// Finds every e-mail address in the line (sorted, non-overlapping) into `emailSpans`.
  ///
  /// The local part is read backwards from each '@': RFC 5321 atext plus dots, but not `=`, `/` or `?` (so
  /// `sasl_username=bob@x` yields `bob@x`) unless the address is in angle brackets (SRS addresses contain `=`).
  /// An address literal (`bob@[192.0.2.1]`) ends at the '@': the IP scanner rewrites the literal.
  private func collectEmailSpans(_ p: UnsafePointer<UInt8>, count n: Int, tables: ScanTables) {
    emailSpans.removeAll(keepingCapacity: true)
    let local = tables.emailLocal
    var searchFrom = 0
    var lowerBound = 0
    while searchFrom < n, let found = memchr(p + searchFrom, 0x40, n - searchFrom) {
      let at = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
      searchFrom = at + 1
      var start = at
      if at > lowerBound && p[at - 1] == 0x22 {
        // "quoted local part"@domain
        var quote = at - 2
        while quote >= lowerBound && p[quote] != 0x22 && p[quote] >= 0x20 { quote -= 1 }
        guard quote >= lowerBound, p[quote] == 0x22, quote < at - 1 else { continue }
        start = quote
      } else {
        var extended = at
        while extended > lowerBound && local[Int(p[extended - 1])] & EmailBytes.extended != 0 { extended -= 1 }
        if extended > lowerBound && p[extended - 1] == 0x3c {
          start = extended
        } else {
          while start > lowerBound && local[Int(p[start - 1])] & EmailBytes.strict != 0 { start -= 1 }
        }
        // A local part starts with a letter, digit, UTF-8 byte or '_' (leading quotes and dots are punctuation).
        while start < at && !(tables.isWord(p[start]) || p[start] == 0x5f) { start += 1 }
      }
      guard start < at else { continue }
      var end = at + 1
      if end < n && p[end] == 0x5b {
        // Address literal: only "local@" is ours.
      } else {
        guard end < n, tables.isWord(p[end]) else { continue }
        while end < n && tables.isHostName(p[end]) { end += 1 }
        while p[end - 1] == 0x2e || p[end - 1] == 0x2d { end -= 1 }
      }
      emailSpans.append((start, end))
      lowerBound = end
      searchFrom = max(searchFrom, end)
    }
  }

  // MARK: - Typed entry points

  /// The pseudonym of an e-mail address (`local@domain`, `local@[ip]`); without an '@' it is treated as a user name.
  public func pseudonym(forEmail bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var out = [UInt8]()
    appendEmailPseudonym(bytes, to: &out)
    return out
  }

  /// The pseudonym of a user name: `bob` → `user-<token>` (the token of `bob@any.domain`'s local part),
  /// `DOMAIN\bob` → `dom-<token>\user-<token>`, and an address → its address pseudonym.
  public func pseudonym(forUser bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var out = [UInt8]()
    appendUserPseudonym(bytes, to: &out)
    return out
  }

  /// The pseudonym of a host name (HELO/EHLO argument, reverse-DNS name); address literals and bare IPs are
  /// encrypted as IPs.
  public func pseudonym(forHost bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var out = [UInt8]()
    appendHostPseudonym(bytes, policyKept: keptHostDomains, to: &out)
    return out
  }

  /// `bytes` with its IP address replaced: `1.2.3.4`, `[v6]:port`, `ip:port`, `::ffff:1.2.3.4`, `fe80::1%eth0`,
  /// `[IPv6:…]`. Nil when there is no address in it.
  public func pseudonym(forIP bytes: UnsafeRawBufferPointer) -> [UInt8]? {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
      let match = IPScanner.firstMatch(in: base, from: 0, count: bytes.count)
    else { return nil }
    var out = [UInt8]()
    out.append(contentsOf: bytes[..<match.start])
    let original = UnsafeRawBufferPointer(rebasing: bytes[match.start..<match.end])
    if !appendIPPseudonym(match, original: original, to: &out) { out.append(contentsOf: original) }
    out.append(contentsOf: bytes[match.end...])
    return out
  }

  /// The pseudonym of an IP address value, or nil when the address is kept (kept network or mode `keep`).
  public func pseudonym(forIPAddress address: IPAddress) -> IPAddress? {
    ipResult(address)
  }

  /// Appends the pseudonym of `bytes` read as `kind` to `out` (no allocation on cache hits) and returns whether it
  /// differs from the input. For the format code that renders fields: `.email`, `.user`, `.host`, `.ip` (the input
  /// is appended unchanged when it holds no address); mask kinds append the input unchanged.
  @discardableResult
  public func appendPseudonym(of kind: PseudonymKind, _ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
    appendChanged(
      &out,
      { out in
        switch kind {
        case .email: appendEmailPseudonym(bytes, to: &out)
        case .user: appendUserPseudonym(bytes, to: &out)
        case .host: appendHostPseudonym(bytes, policyKept: keptHostDomains, to: &out)
        case .ip:
          if let pseudonym = pseudonym(forIP: bytes) {
            out.append(contentsOf: pseudonym)
          } else {
            out.append(contentsOf: bytes)
          }
        case .sid, .guid, .sessionID:
          out.append(contentsOf: bytes)
        }
      }, original: bytes)
  }

  /// Runs `append` and tells whether what it appended differs from `original` (kept values are not counted).
  @inline(__always)
  private func appendChanged(
    _ out: inout [UInt8], _ append: (inout [UInt8]) -> Void, original: UnsafeRawBufferPointer
  ) -> Bool {
    let start = out.count
    append(&out)
    let appended = out.count - start
    guard appended == original.count else { return true }
    return out.withUnsafeBytes { written in
      appended > 0 && memcmp(written.baseAddress! + start, original.baseAddress!, appended) != 0
    }
  }

  /// ``rewriteLine(_:into:counts:)`` for a ``ByteLine``.
  public func rewriteLine(_ line: ByteLine, into out: inout [UInt8], counts: inout [String: Int]) {
    rewriteLine(UnsafeRawBufferPointer(start: line.base, count: line.count), into: &out, counts: &counts)
  }

  /// Detects what `value` is (IP, e-mail address, host name or user name) and returns its pseudonym.
  public func pseudonym(for value: String) -> (kind: PseudonymKind, pseudonym: String) {
    let kind = Self.detectKind(value)
    var out = [UInt8]()
    Array(value.utf8).withUnsafeBytes { _ = appendPseudonym(of: kind, $0, to: &out) }
    return (kind, String(decoding: out, as: UTF8.self))
  }

  /// What kind of value `value` looks like: an IP (also bracketed or with a port), an address (has '@'), a host
  /// name (has a dot), otherwise a user name.
  public static func detectKind(_ value: String) -> PseudonymKind {
    let bytes = Array(value.utf8)
    if bytes.contains(0x40) { return .email }
    if bytes.contains(0x5c) { return .user }
    let isIP: Bool = bytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress, let match = IPScanner.firstMatch(in: base, from: 0, count: buffer.count)
      else { return false }
      // Only framing may surround the address: brackets, "IPv6:", a port or a zone id.
      let before = buffer[..<match.start]
      let after = buffer[match.end...]
      let framingBefore =
        before.isEmpty || before.elementsEqual([0x5b])
        || before.map(lowercasedASCII).elementsEqual(Array("[ipv6:".utf8))
      let framingAfter =
        after.allSatisfy { $0 == 0x5d || $0 == 0x3a || $0 == 0x25 || ByteClass.table[Int($0)] & ByteClass.word != 0 }
        && (after.isEmpty || after.first == 0x5d || after.first == 0x3a || after.first == 0x25)
      return framingBefore && framingAfter
    }
    if isIP { return .ip }
    if bytes.contains(0x2e) { return .host }
    return .user
  }

  // MARK: - Ledger

  /// Writes tokens recorded since the last flush to the ledger. Call at the end of each file.
  public func flushLedger() throws(LogWardenError) {
    if let ledgerError {
      self.ledgerError = nil
      throw ledgerError
    }
    guard let ledger, !pendingLedgerEntries.isEmpty else { return }
    let entries = pendingLedgerEntries
    pendingLedgerEntries.removeAll(keepingCapacity: true)
    try ledger.record(entries)
  }

  private func recordInLedger(token: [UInt8], kind: PseudonymKind, original: [UInt8]) {
    guard ledger != nil else { return }
    pendingLedgerEntries.append(PseudonymLedger.Entry(token: token, kind: kind, original: original))
    if pendingLedgerEntries.count >= Self.ledgerBatchSize, ledgerError == nil {
      // The hot path cannot throw; the first failure is reported by the next flushLedger().
      do { try flushLedger() } catch { ledgerError = error }
    }
  }

  // MARK: - Pieces

  private func appendUserPseudonym(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    let hash = ByteCache.hash(bytes)
    if userCache.appendValue(for: bytes, hash: hash, to: &out) { return }
    var result = [UInt8]()
    if bytes.contains(0x40) {
      appendEmailPseudonym(bytes, to: &result)
    } else if let slash = bytes.firstIndex(of: 0x5c) {
      appendHostPseudonym(UnsafeRawBufferPointer(rebasing: bytes[..<slash]), policyKept: keptHostDomains, to: &result)
      result.append(0x5c)
      result.append(contentsOf: identityToken(UnsafeRawBufferPointer(rebasing: bytes[(slash + 1)...])))
    } else {
      result.append(contentsOf: identityToken(bytes))
    }
    userCache.insert(result, for: bytes, hash: hash)
    out.append(contentsOf: result)
  }

  private func appendEmailPseudonym(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    let hash = ByteCache.hash(bytes)
    if emailCache.appendValue(for: bytes, hash: hash, to: &out) { return }
    var result = [UInt8]()
    if let at = bytes.lastIndex(of: 0x40) {
      result.append(contentsOf: identityToken(UnsafeRawBufferPointer(rebasing: bytes[..<at])))
      result.append(0x40)
      let domain = UnsafeRawBufferPointer(rebasing: bytes[(at + 1)...])
      if !domain.isEmpty { appendHostPseudonym(domain, policyKept: keptEmailDomains, cached: false, to: &result) }
    } else {
      result.append(contentsOf: identityToken(bytes))
    }
    emailCache.insert(result, for: bytes, hash: hash)
    out.append(contentsOf: result)
  }

  /// `user-<token>` of the lower-cased local part or user name, quotes removed.
  private func identityToken(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var slice = bytes[...]
    if slice.count >= 2, slice.first == 0x22, slice.last == 0x22 { slice = slice.dropFirst().dropLast() }
    if slice.isEmpty { return [] }
    let lowered = slice.map(lowercasedASCII)
    return lowered.withUnsafeBytes { key in
      let hash = ByteCache.hash(key)
      if let cached = identityTokenCache.value(for: key, hash: hash) { return cached }
      let token = identityTokens.token(for: key)
      identityTokenCache.insert(token, for: key, hash: hash)
      recordInLedger(token: token, kind: .user, original: lowered)
      return token
    }
  }

  /// `dom-<token>` for a lower-cased name (a label and everything after it).
  private func domainToken(_ lowered: ArraySlice<UInt8>) -> [UInt8] {
    lowered.withUnsafeBytes { key in
      let hash = ByteCache.hash(key)
      if let cached = domainTokenCache.value(for: key, hash: hash) { return cached }
      let token = domainTokens.token(for: key)
      domainTokenCache.insert(token, for: key, hash: hash)
      recordInLedger(token: token, kind: .host, original: Array(lowered))
      return token
    }
  }

  private func appendHostPseudonym(
    _ bytes: UnsafeRawBufferPointer, policyKept: [[UInt8]]?, cached: Bool = true, to out: inout [UInt8]
  ) {
    let hash = ByteCache.hash(bytes)
    if cached && hostCache.appendValue(for: bytes, hash: hash, to: &out) { return }
    let result = hostPseudonym(bytes, policyKept: policyKept)
    if cached { hostCache.insert(result, for: bytes, hash: hash) }
    out.append(contentsOf: result)
  }

  private func hostPseudonym(_ bytes: UnsafeRawBufferPointer, policyKept: [[UInt8]]?) -> [UInt8] {
    var name = bytes.map(lowercasedASCII)
    while name.last == 0x2e { name.removeLast() }
    if name.isEmpty { return Array(bytes) }

    // Address literals and bare IPs.
    if let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
      let match = IPScanner.firstMatch(in: base, from: 0, count: bytes.count),
      isIPLiteralFraming(bytes, match)
    {
      var out = Array(bytes[..<match.start])
      let original = UnsafeRawBufferPointer(rebasing: bytes[match.start..<match.end])
      if !appendIPPseudonym(match, original: original, to: &out) { out.append(contentsOf: original) }
      out.append(contentsOf: bytes[match.end...])
      return out
    }
    if name.elementsEqual("localhost".utf8) || name.elementsEqual("unknown".utf8) { return Array(bytes) }
    guard let keptDomains = policyKept else { return Array(bytes) }
    for domain in keptDomains where Self.isSameOrSubdomain(name, of: domain) { return Array(bytes) }

    let labels = name.split(separator: 0x2e, omittingEmptySubsequences: false)
    let suffixCount = PublicSuffixes.suffixLabelCount(labels: labels)
    let ownedCount = labels.count - suffixCount
    if ownedCount <= 0 { return Array(bytes) }
    if labels[..<ownedCount].allSatisfy({ $0.elementsEqual("localhost".utf8) }) { return Array(bytes) }

    var out = [UInt8]()
    for index in 0..<ownedCount {
      if index > 0 { out.append(0x2e) }
      out.append(contentsOf: domainToken(name[labels[index].startIndex...]))
    }
    if suffixCount > 0 {
      out.append(0x2e)
      out.append(contentsOf: name[labels[ownedCount].startIndex...])
    }
    return out
  }

  /// Whether only brackets, "IPv6:" or nothing surround the address (a host field holding an IP).
  private func isIPLiteralFraming(_ bytes: UnsafeRawBufferPointer, _ match: IPMatch) -> Bool {
    let before = bytes[..<match.start]
    let after = bytes[match.end...]
    if before.isEmpty && after.isEmpty { return true }
    guard before.first == 0x5b, after.elementsEqual([0x5d]) else { return false }
    return before.count == 1 || before.map(lowercasedASCII).elementsEqual("[ipv6:".utf8)
  }

  private static func isSameOrSubdomain(_ name: [UInt8], of domain: [UInt8]) -> Bool {
    guard name.count >= domain.count, name.suffix(domain.count).elementsEqual(domain) else { return false }
    return name.count == domain.count || name[name.count - domain.count - 1] == 0x2e
  }

  /// The replacement address, or nil when the address stays as it is.
  private func ipResult(_ address: IPAddress) -> IPAddress? {
    if isKept(address) { return nil }
    switch options.ipMode {
    case .keep:
      return nil
    case .truncate(let v4Length, let v6Length):
      return address.isV4
        ? address.keepingPrefix(96 + max(0, min(32, v4Length))) : address.keepingPrefix(max(0, min(128, v6Length)))
    case .encrypt:
      let encrypted = ipCipher.encrypt(address)
      return encrypted == address ? nil : encrypted
    }
  }

  private func isKept(_ address: IPAddress) -> Bool {
    for network in options.keptNetworks where network.contains(address) { return true }
    return false
  }

  /// Appends the pseudonym of `match` in the form it was written; false (nothing appended) when it is kept.
  private func appendIPPseudonym(_ match: IPMatch, original: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
    let formTag: UInt8
    switch match.form {
    case .v4: formTag = 4
    case .v4MappedText: formTag = 46
    case .v6: formTag = 6
    }
    return ipKey.withUnsafeMutableBytes { key in
      key.storeBytes(of: match.address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
      key.storeBytes(of: match.address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
      key[16] = formTag
      let keyBytes = UnsafeRawBufferPointer(key)
      let hash = ByteCache.hash(keyBytes)
      if let cached = ipTextCache.valueBytes(for: keyBytes, hash: hash) {
        if cached.isEmpty { return false }
        out.append(contentsOf: cached)
        return true
      }
      ipText.removeAll(keepingCapacity: true)
      if let result = ipResult(match.address) {
        switch match.form {
        case .v4:
          result.appendV4Text(to: &ipText)
        case .v4MappedText:
          ipText.append(contentsOf: [0x3a, 0x3a, 0x66, 0x66, 0x66, 0x66, 0x3a])  // "::ffff:"
          result.appendV4Text(to: &ipText)
        case .v6:
          result.appendV6Text(to: &ipText)
        }
      }
      ipTextCache.insert(ipText, for: keyBytes, hash: hash)
      out.append(contentsOf: ipText)
      return !ipText.isEmpty
    }
  }
}

/// ASCII lower-casing; other bytes (including UTF-8) unchanged.
@inline(__always) func lowercasedASCII(_ byte: UInt8) -> UInt8 {
  byte &- 0x41 < 26 ? byte | 0x20 : byte
}

/// Byte sets of e-mail local parts.
enum EmailBytes {
  /// RFC 5322 atext specials allowed in local parts here (`=`, `/`, `?` only inside angle brackets).
  static let strictSpecials: Set<UInt8> = Set("!#$%&'*+-^_`{|}~.".utf8)
  /// Table bit: a local-part byte anywhere.
  static let strict: UInt8 = 1
  /// Table bit: a local-part byte inside angle brackets (adds `=`, `/`, `?`, for SRS addresses).
  static let extended: UInt8 = 2

  nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {  // written once, then read-only
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    for byte in 0..<256 {
      let isStrict = ByteClass.table[byte] & ByteClass.word != 0 || strictSpecials.contains(UInt8(byte))
      let isExtended = isStrict || byte == 0x3d || byte == 0x2f || byte == 0x3f
      table[byte] = (isStrict ? strict : 0) | (isExtended ? extended : 0)
    }
    return UnsafePointer(table)
  }()
}
