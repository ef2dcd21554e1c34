#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replacements collected in any order (engine verdicts, pattern matches) and merged into one sorted set.
///
/// Formats that mix protocol lines with free-text debug lines (syslog, hMailServer, MailEnable) gather every span to
/// mask here, then render once. Overlapping spans merge into one `****`. Reused across lines: no allocation per line.
struct MaskSpans {
  private(set) var edits: [LineEdit] = []

  var isEmpty: Bool { edits.isEmpty }

  mutating func reset() { edits.removeAll(keepingCapacity: true) }

  /// Adds `[start, end)` to mask with `text`. Empty spans are ignored unless the text is not plain stars.
  mutating func add(_ start: Int, _ end: Int, _ text: MaskText = .stars) {
    guard end > start || text != .stars else { return }
    edits.append(LineEdit(start: start, end: end, text: text))
  }

  /// Adds an engine verdict about the bytes that start at `offset` of the line.
  mutating func add(_ verdict: LineVerdict, at offset: Int, length: Int) {
    if verdict.maskWhole {
      add(offset, offset + length)
      return
    }
    for edit in verdict.edits { add(edit.start + offset, edit.end + offset, edit.text) }
  }

  /// Sorts and merges the spans (overlaps become one `****`).
  mutating func normalize() {
    guard edits.count > 1 else { return }
    edits.sort { $0.start < $1.start || ($0.start == $1.start && $0.end > $1.end) }
    var merged = 0
    for k in 1..<edits.count {
      let e = edits[k]
      if e.start < edits[merged].end || (e.start == edits[merged].start && e.start == e.end) {
        edits[merged].end = max(edits[merged].end, e.end)
        edits[merged].text = .stars
      } else {
        merged += 1
        edits[merged] = e
      }
    }
    edits.removeLast(edits.count - merged - 1)
  }

  /// Appends `line[from..<to]` with the spans inside it replaced. Call `normalize()` first.
  func render(_ line: ByteLine, from: Int = 0, to: Int? = nil, into out: inout [UInt8]) {
    let end = to ?? line.count
    var position = from
    for edit in edits where edit.start >= from && edit.start <= end {
      if edit.start > position {
        out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: edit.start - position))
      }
      out.append(contentsOf: edit.text.bytes)
      position = max(position, min(edit.end, end))
    }
    if position < end { out.append(contentsOf: UnsafeBufferPointer(start: line.base + position, count: end - position)) }
  }
}

/// Allocation-free searches and credential patterns shared by the free-text mail log formats.
enum MailLogScan {
  /// First index of `literal` in `line[from..<end]` (case-sensitive), or nil.
  @inline(__always)
  static func find(_ line: ByteLine, _ literal: StaticString, from: Int, end: Int) -> Int? {
    let n = literal.utf8CodeUnitCount
    guard n > 0, end - from >= n else { return nil }
    let lit = literal.utf8Start
    let first = lit[0]
    var i = from
    let last = end - n
    while i <= last {
      guard let hit = memchr(line.base + i, Int32(first), last - i + 1) else { return nil }
      let at = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - line.base
      if n == 1 || (line.base[at + 1] == lit[1] && memcmp(line.base + at, lit, n) == 0) { return at }
      i = at + 1
    }
    return nil
  }

  /// Last index of `literal` in `line[from..<end]` (case-sensitive), or nil.
  static func findLast(_ line: ByteLine, _ literal: StaticString, from: Int, end: Int) -> Int? {
    let n = literal.utf8CodeUnitCount
    guard n > 0, end - from >= n else { return nil }
    let lit = literal.utf8Start
    var i = end - n
    while i >= from {
      if line[i] == lit[0] && memcmp(line.base + i, lit, n) == 0 { return i }
      i -= 1
    }
    return nil
  }

  /// Whether `line[from..<end]` contains `literal` ignoring ASCII case (`literal` upper-case).
  static func containsUppercase(_ line: ByteLine, _ literal: StaticString, from: Int, end: Int) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard end - from >= n else { return false }
    var i = from
    while i <= end - n {
      if line.hasUppercasePrefix(i, end, literal) { return true }
      i += 1
    }
    return false
  }

  /// Last index of `byte` in `line[from..<end]`.
  static func lastIndex(of byte: UInt8, _ line: ByteLine, from: Int, end: Int) -> Int? {
    var i = end - 1
    while i >= from {
      if line[i] == byte { return i }
      i -= 1
    }
    return nil
  }

  /// Whether `[start, end)` is a value a server already masked or hid (`****`, `<hidden>`, `{blank}`, empty).
  static func isAlreadyHidden(_ line: ByteLine, _ start: Int, _ end: Int) -> Bool {
    end <= start || line.isAllStars(start, end) || line.equalsUppercase(start, end, "<HIDDEN>")
      || line.equalsUppercase(start, end, "{BLANK}") || line.equalsUppercase(start, end, "<REDACTED>")
  }

  /// A field separator in debug output: blank, TAB, or rsyslog's escaped TAB `#011`.
  @inline(__always)
  static func separatorLength(_ line: ByteLine, at i: Int, end: Int) -> Int {
    let c = line[i]
    if c == 0x20 || c == 0x09 { return 1 }
    if c == 0x23 && i + 3 < end && line[i + 1] == 0x30 && line[i + 2] == 0x31 && line[i + 3] == 0x31 { return 4 }
    return 0
  }

  /// End of a value that starts at `start`: up to a separator (and `extra`, e.g. `?` for Postfix's escaped tabs).
  static func valueEnd(_ line: ByteLine, from start: Int, end: Int, extra: UInt8 = 0) -> Int {
    var i = start
    while i < end {
      let c = line[i]
      if c == 0x20 || c == 0x09 || (extra != 0 && c == extra) { return i }
      if c == 0x23 && separatorLength(line, at: i, end: end) == 4 { return i }
      i += 1
    }
    return end
  }

  @inline(__always) static func isKeyByte(_ c: UInt8) -> Bool {
    ((c | 0x20) &- 0x61) < 26 || c.isASCIIDigit || c == 0x5F || c == 0x2D || c == 0x2E
  }

  /// Whether the key `[start, end)` names a secret: it ends in pass, passwd, password, pwd, secret or token (any
  /// case), or is `resp` (a Dovecot SASL response) or `pw`.
  static func isSecretKey(_ line: ByteLine, _ start: Int, _ end: Int) -> Bool {
    let n = end - start
    guard n >= 2 else { return false }
    func endsWith(_ literal: StaticString) -> Bool {
      let m = literal.utf8CodeUnitCount
      return n >= m && line.equalsUppercase(end - m, end, literal)
    }
    return endsWith("PASS") || endsWith("PASSWD") || endsWith("PASSWORD") || endsWith("PWD") || endsWith("SECRET")
      || endsWith("TOKEN") || line.equalsUppercase(start, end, "RESP") || line.equalsUppercase(start, end, "PW")
  }

  /// Masks the values of `key=value` pairs whose key names a secret (see `isSecretKey`) in `line[from..<end]`.
  /// Values may be quoted (`"…"`, `'…'`) or bracketed (`<…>`); otherwise they run to the next separator
  /// (blank, TAB, `#011`, or `extra`). Values a server already hid are left and counted as such.
  static func maskKeyValues(
    _ line: ByteLine, from: Int, end: Int, extra: UInt8 = 0, spans: inout MaskSpans, counters: inout SanitizeCounters
  ) {
    var i = from
    while i < end {
      guard let hit = memchr(line.base + i, 0x3D, end - i) else { return }
      let eq = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - line.base
      var k = eq
      while k > from && isKeyByte(line[k - 1]) { k -= 1 }
      // rsyslog writes TABs as `#011`: `#011resp=` is the key `resp`.
      if k > from && line[k - 1] == 0x23 && eq - k > 3 && line[k] == 0x30 && line[k + 1] == 0x31 && line[k + 2] == 0x31 {
        k += 3
      }
      guard k < eq, isSecretKey(line, k, eq) else {
        i = eq + 1
        continue
      }
      var v = eq + 1
      var valueEnd: Int
      if v < end, let close = closing(of: line[v]) {
        v += 1
        valueEnd = v
        while valueEnd < end && line[valueEnd] != close { valueEnd += 1 }
        if valueEnd >= end { valueEnd = MailLogScan.valueEnd(line, from: v, end: end, extra: extra) }
      } else {
        valueEnd = MailLogScan.valueEnd(line, from: v, end: end, extra: extra)
      }
      if isAlreadyHidden(line, v, valueEnd) || (v > eq + 1 && valueEnd < end && isAlreadyHidden(line, v - 1, valueEnd + 1)) {
        if valueEnd > v { counters.alreadyMasked += 1 }
      } else {
        spans.add(v, valueEnd)
        counters.count(line.equalsUppercase(k, eq, "RESP") ? .saslOther : .passwordField)
      }
      i = max(valueEnd, eq + 1)
    }
  }

  @inline(__always) static func closing(of c: UInt8) -> UInt8? {
    switch c {
    case 0x22: return 0x22
    case 0x27: return 0x27
    case 0x3C: return 0x3E
    default: return nil
    }
  }

  /// Masks what follows `marker` up to the last `close` byte of the line (or the end if there is none): for debug
  /// lines that quote a password, e.g. `(given password: …)` or `password '…'`. The value may itself contain the
  /// closing byte, so the last one is taken: more is masked rather than less.
  @discardableResult
  static func maskAfter(
    _ marker: StaticString, upToLast close: UInt8, _ line: ByteLine, from: Int, end: Int, kind: CredentialKind,
    spans: inout MaskSpans, counters: inout SanitizeCounters
  ) -> Bool {
    guard let at = find(line, marker, from: from, end: end) else { return false }
    let start = at + marker.utf8CodeUnitCount
    var stop = end
    if close != 0, let last = lastIndex(of: close, line, from: start, end: end) { stop = last }
    if stop > start && !isAlreadyHidden(line, start, stop) {
      spans.add(start, stop)
      counters.count(kind)
    }
    return true
  }

  /// Masks `Bearer <token>`.
  static func maskBearer(_ line: ByteLine, from: Int, end: Int, spans: inout MaskSpans, counters: inout SanitizeCounters) {
    var i = from
    while let at = find(line, "Bearer ", from: i, end: end) {
      let t = line.skipBlanks(from: at + 7)
      let tEnd = valueEnd(line, from: t, end: end)
      if tEnd > t && !isAlreadyHidden(line, t, tEnd) {
        spans.add(t, tEnd)
        counters.count(.bearerToken)
      }
      i = max(tEnd, at + 7)
    }
  }

  /// The generic credential patterns every free-text line gets: `key=value` secrets, `Bearer` tokens, and quoted
  /// passwords in debug output (`password '…'`, `(given password: …)`).
  static func maskGeneric(_ line: ByteLine, from: Int, end: Int, spans: inout MaskSpans, counters: inout SanitizeCounters) {
    guard from < end else { return }
    maskKeyValues(line, from: from, end: end, spans: &spans, counters: &counters)
    // The remaining patterns all contain "pass" or "Bearer": a cheap pre-check skips most lines.
    if find(line, "pass", from: from, end: end) != nil {
      maskAfter("given password: ", upToLast: 0x29, line, from: from, end: end, kind: .passwordField, spans: &spans, counters: &counters)
      maskAfter("password '", upToLast: 0x27, line, from: from, end: end, kind: .passwordField, spans: &spans, counters: &counters)
      maskAfter("password \"", upToLast: 0x22, line, from: from, end: end, kind: .passwordField, spans: &spans, counters: &counters)
      maskAfter("pass `", upToLast: 0x27, line, from: from, end: end, kind: .passwordField, spans: &spans, counters: &counters)
    }
    if find(line, "Bearer ", from: from, end: end) != nil {
      maskBearer(line, from: from, end: end, spans: &spans, counters: &counters)
    }
    // Dovecot's passdb cache with `auth_debug_passwords`: `cache hit: {SCHEME}password<TAB>extra fields`.
    maskAfter("cache hit: ", upToFirst: 0x09, line, from: from, end: end, spans: &spans, counters: &counters)
    // An auth-worker request to verify a password: `PASSV<TAB>id<TAB>passdb=n<TAB>password<TAB>fields`.
    if let at = find(line, "PASSV\t", from: from, end: end),
      let idEnd = line.firstIndex(of: 0x09, from: at + 6, to: end),
      let passdbEnd = line.firstIndex(of: 0x09, from: idEnd + 1, to: end)
    {
      let start = passdbEnd + 1
      let stop = line.firstIndex(of: 0x09, from: start, to: end) ?? end
      if stop > start && !isAlreadyHidden(line, start, stop) {
        spans.add(start, stop)
        counters.count(.passwordField)
      }
    }
  }

  /// Masks what follows `marker` up to the first `stop` byte after it (or the end of the line).
  static func maskAfter(
    _ marker: StaticString, upToFirst stop: UInt8, _ line: ByteLine, from: Int, end: Int, spans: inout MaskSpans,
    counters: inout SanitizeCounters
  ) {
    guard let at = find(line, marker, from: from, end: end) else { return }
    let start = at + marker.utf8CodeUnitCount
    let valueEnd = line.firstIndex(of: stop, from: start, to: end) ?? end
    if valueEnd > start && !isAlreadyHidden(line, start, valueEnd) {
      spans.add(start, valueEnd)
      counters.count(.passwordField)
    }
  }

  /// Whether `line[from..<end]` holds bytes that never occur in text: C0 controls other than TAB and ESC, or DEL.
  @inline(__always)
  static func isBinary(_ line: ByteLine, from: Int, end: Int) -> Bool {
    var i = from
    while i < end {
      let c = line[i]
      if c < 0x20 {
        if c != 0x09 && c != 0x1B && c != 0x0D { return true }
      } else if c == 0x7F {
        return true
      }
      i += 1
    }
    return false
  }
}

extension BodyMarker {
  /// `[logwarden: TLS data removed: N bytes]` — replaces encrypted bytes a log recorded after STARTTLS.
  static func tlsOmitted(bytes: Int) -> [UInt8] { Array("[logwarden: TLS data removed: \(bytes) bytes]".utf8) }
  /// `[logwarden: binary data removed: N bytes]` — replaces bytes that are not text (never copied through).
  static func binaryOmitted(bytes: Int) -> [UInt8] { Array("[logwarden: binary data removed: \(bytes) bytes]".utf8) }
}
