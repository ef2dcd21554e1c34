// logwarden-bench formats-b [--size 100M] [--dir DIR] [--runs N]
//
// Generates (once) about --size bytes of each of: an Exchange SMTP Receive log (the reference), a Postfix+Dovecot
// debug syslog, a Dovecot rawlog pair (.in/.out of one long IMAP connection), an hMailServer log and a MailEnable
// activity log; then sanitizes each in-process (profile level4, output discarded) and prints MB/s and the ratio to
// exchange-csv. All content is synthetic: documentation addresses, .test domains, fake passwords.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LogWardenCore

/// Counts and drops what it is given.
final class DiscardSink: ByteSink {
  private(set) var bytes = 0
  func write(_ buffer: UnsafeRawBufferPointer) throws(LogWardenError) { bytes += buffer.count }
  func finish() throws(LogWardenError) {}
}

/// Buffers generated text and writes it to a file in large chunks.
struct GeneratedFile {
  let file: AtomicFileWriter
  var buffer: [UInt8] = []
  var written = 0

  init(path: String) throws {
    file = try AtomicFileWriter(path: path, mode: 0o644)
    buffer.reserveCapacity(1 << 20)
  }

  mutating func line(_ text: String, crlf: Bool = false) throws {
    buffer.append(contentsOf: text.utf8)
    if crlf { buffer.append(0x0D) }
    buffer.append(0x0A)
    if buffer.count >= 1 << 20 { try flush() }
  }

  mutating func flush() throws {
    try file.sink.write(buffer)
    written += buffer.count
    buffer.removeAll(keepingCapacity: true)
  }

  mutating func commit() throws {
    try flush()
    try file.commit()
  }

  var size: Int { written + buffer.count }
}

private func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

private struct BenchRandom {
  var rng: SplitMix64
  mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
  mutating func word() -> String {
    let words = ["invoice", "meeting", "lunch", "report", "deadline", "project", "budget", "review", "holiday", "notes",
                 "update", "schedule", "draft", "contract", "offer", "thanks", "question", "agenda"]
    return words[int(words.count)]
  }
  mutating func sentence() -> String { (0..<(6 + int(10))).map { _ in word() }.joined(separator: " ") }
}

/// A Postfix `debug_peer_list` + Dovecot auth debug syslog.
func generateMailSyslog(size: Int, path: String) throws {
  var out = try GeneratedFile(path: path)
  var r = BenchRandom(rng: SplitMix64(seed: 0xB0B1))
  var second = 0
  var queue = 0x4F1C3A1
  while out.size < size {
    second += 1
    let stamp = String(format: "Nov %2d %02d:%02d:%02d", 1 + (second / 86400) % 28, (second / 3600) % 24, (second / 60) % 60, second % 60)
    let pid = 1000 + r.int(8000)
    let host = "client\(r.int(200)).example.test[198.51.100.\(r.int(250))]"
    let p = "\(stamp) mx postfix/smtpd[\(pid)]: "
    let user = "user\(r.int(500))@example.test"
    let blob = b64("\0\(user)\0Winter\(r.int(9999))!")
    try out.line(p + "connect from \(host)")
    try out.line(p + "> \(host): 220 mx.example.test ESMTP Postfix")
    try out.line(p + "< \(host): EHLO client.example.test")
    for ext in ["250-mx.example.test", "250-PIPELINING", "250-SIZE 10240000", "250-AUTH PLAIN LOGIN", "250-ENHANCEDSTATUSCODES", "250 8BITMIME"] {
      try out.line(p + "> \(host): \(ext)")
    }
    try out.line(p + "< \(host): AUTH PLAIN \(blob)")
    try out.line(p + "xsasl_dovecot_server_first: sasl_method PLAIN, init_response \(blob)")
    try out.line("\(stamp) auth: Debug: client in: AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=198.51.100.7\tresp=\(blob) (previous base64 data may contain sensitive data)")
    try out.line("\(stamp) auth: Debug: passwd-file(\(user),198.51.100.7): Performing passdb lookup")
    try out.line("\(stamp) auth: Debug: client passdb out: OK\t1\tuser=\(user)")
    try out.line(p + "xsasl_dovecot_handle_reply: auth reply: OK?1?user=\(user)")
    try out.line(p + "> \(host): 235 2.7.0 Authentication successful")
    try out.line(p + "< \(host): MAIL FROM:<\(user)> SIZE=\(1000 + r.int(90000))")
    try out.line(p + "extract_addr: input: <\(user)>")
    try out.line(p + "> \(host): 250 2.1.0 Ok")
    try out.line(p + "< \(host): RCPT TO:<rcpt\(r.int(900))@example.test>")
    try out.line(p + "> \(host): 250 2.1.5 Ok")
    try out.line(p + "< \(host): DATA")
    try out.line(p + "> \(host): 354 End data with <CR><LF>.<CR><LF>")
    queue += 1
    let q = String(queue, radix: 16, uppercase: true)
    try out.line("\(stamp) mx postfix/cleanup[\(pid + 1)]: \(q): message-id=<\(q)@client.example.test>")
    if r.int(4) == 0 {
      try out.line("\(stamp) mx postfix/cleanup[\(pid + 1)]: \(q): warning: header Subject: \(r.sentence()) from \(host); from=<\(user)> to=<rcpt@example.test> proto=ESMTP helo=<client>")
    }
    try out.line(p + "> \(host): 250 2.0.0 Ok: queued as \(q)")
    try out.line(p + "< \(host): QUIT")
    try out.line(p + "> \(host): 221 2.0.0 Bye")
    try out.line("\(stamp) mx postfix/qmgr[700]: \(q): from=<\(user)>, size=\(1000 + r.int(90000)), nrcpt=1 (queue active)")
    try out.line(p + "disconnect from \(host) ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6")
    try out.line("\(stamp) imap-login: Info: Login: user=<\(user)>, method=PLAIN, rip=198.51.100.7, lip=192.0.2.1, mpid=\(pid), TLS, session=<VcbljZMcnQC7rFOw>")
  }
  try out.commit()
}

/// One long IMAP connection: client `.in` and server `.out`, timestamped, with FETCH and APPEND bodies.
func generateRawlogPair(size: Int, stem: String) throws {
  var cin = try GeneratedFile(path: stem + ".in")
  var cout = try GeneratedFile(path: stem + ".out")
  var r = BenchRandom(rng: SplitMix64(seed: 0xB0B2))
  var micros: UInt64 = 1_714_550_400_000_000
  func stamp() -> String {
    micros += 137
    return "\(micros / 1_000_000).\(String(format: "%06d", Int(micros % 1_000_000))) "
  }
  try cout.line(stamp() + "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN] Dovecot ready.", crlf: true)
  try cin.line(stamp() + "a1 LOGIN \"fred@example.test\" \"Winter2024!\"", crlf: true)
  try cout.line(stamp() + "a1 OK Logged in", crlf: true)
  var tag = 2
  while cin.size + cout.size < size {
    tag += 1
    switch r.int(4) {
    case 0:
      var body: [String] = ["From: a@example.test", "Subject: \(r.sentence())", ""]
      for _ in 0..<(5 + r.int(30)) { body.append(r.sentence()) }
      let octets = body.reduce(0) { $0 + $1.utf8.count + 2 }
      try cin.line(stamp() + "a\(tag) APPEND INBOX {\(octets)}", crlf: true)
      try cout.line(stamp() + "+ OK", crlf: true)
      let s = stamp()
      for line in body { try cin.line(s + line, crlf: true) }
      try cin.line(s, crlf: true)
      try cout.line(stamp() + "a\(tag) OK [APPENDUID 1 \(tag)] Append completed.", crlf: true)
    case 1:
      try cin.line(stamp() + "a\(tag) NOOP", crlf: true)
      try cout.line(stamp() + "* \(tag) EXISTS", crlf: true)
      try cout.line(stamp() + "a\(tag) OK NOOP completed.", crlf: true)
    default:
      var body: [String] = ["Return-Path: <b@example.test>", "Subject: \(r.sentence())", ""]
      for _ in 0..<(10 + r.int(60)) { body.append(r.sentence()) }
      let octets = body.reduce(0) { $0 + $1.utf8.count + 2 }
      try cin.line(stamp() + "a\(tag) UID FETCH \(tag) (BODY.PEEK[])", crlf: true)
      try cout.line(stamp() + "* \(tag) FETCH (UID \(tag) BODY[] {\(octets)}", crlf: true)
      let s = stamp()
      for line in body { try cout.line(s + line, crlf: true) }
      try cout.line(stamp() + ")", crlf: true)
      try cout.line(stamp() + "a\(tag) OK Fetch completed.", crlf: true)
    }
  }
  try cin.commit()
  try cout.commit()
}

/// hMailServer: interleaved SMTPD, POP3D and IMAPD sessions.
func generateHMailServer(size: Int, path: String) throws {
  var out = try GeneratedFile(path: path)
  var r = BenchRandom(rng: SplitMix64(seed: 0xB0B3))
  var session = 1
  while out.size < size {
    session += 1
    let ip = "198.51.100.\(r.int(250))"
    let t = String(format: "2020-02-28 %02d:%02d:%02d.%03d", (session / 3600) % 24, (session / 60) % 60, session % 60, r.int(1000))
    func s(_ type: String, _ msg: String) throws { try out.line("\"\(type)\"\t\(4000 + r.int(999))\t\(session)\t\"\(t)\"\t\"\(ip)\"\t\"\(msg)\"", crlf: true) }
    try out.line("\"DEBUG\"\t5104\t\"\(t)\"\t\"TCP connection started for session \(session)\"", crlf: true)
    switch r.int(3) {
    case 0:
      try s("SMTPD", "SENT: 220 mail.example.test ESMTP")
      try s("SMTPD", "RECEIVED: EHLO client\(r.int(99))")
      try s("SMTPD", "SENT: 250-mail.example.test[nl]250-SIZE 20480000[nl]250-AUTH LOGIN PLAIN[nl]250 HELP")
      try s("SMTPD", "RECEIVED: AUTH LOGIN")
      try s("SMTPD", "SENT: 334 VXNlcm5hbWU6")
      try s("SMTPD", "RECEIVED: \(b64("user\(r.int(500))@example.test"))")
      try s("SMTPD", "SENT: 334 UGFzc3dvcmQ6")
      try s("SMTPD", "RECEIVED: ***")
      try s("SMTPD", "SENT: 235 authenticated.")
      try s("SMTPD", "RECEIVED: MAIL FROM:<a\(r.int(99))@example.test>")
      try s("SMTPD", "SENT: 250 OK")
      try s("SMTPD", "RECEIVED: RCPT TO:<b\(r.int(99))@example.test>")
      try s("SMTPD", "SENT: 250 OK")
      try s("SMTPD", "RECEIVED: DATA")
      try s("SMTPD", "SENT: 354 OK, send.")
      try s("SMTPD", "SENT: 250 Queued (0.\(r.int(999)) seconds)")
      try s("SMTPD", "RECEIVED: QUIT")
    case 1:
      try s("POP3D", "SENT: +OK POP3")
      try s("POP3D", "RECEIVED: USER user\(r.int(500))@example.test")
      try s("POP3D", "SENT: +OK Send your password")
      try s("POP3D", "RECEIVED: PASS ***")
      try s("POP3D", "SENT: +OK Mailbox locked and ready")
      try s("POP3D", "RECEIVED: LIST")
      try s("POP3D", "SENT: +OK 2 messages (320 octets)[nl]1 120[nl]2 200[nl].")
      try s("POP3D", "RECEIVED: QUIT")
    default:
      try s("IMAPD", "SENT: * OK IMAPrev1")
      try s("IMAPD", "RECEIVED: a1 login \"user\(r.int(500))@example.test\" ***")
      try s("IMAPD", "SENT: a1 OK LOGIN completed")
      try s("IMAPD", "RECEIVED: a2 SELECT INBOX")
      try s("IMAPD", "SENT: * \(r.int(99)) EXISTS[nl]* 0 RECENT[nl]a2 OK [READ-WRITE] SELECT completed")
      try s("IMAPD", "RECEIVED: a3 LOGOUT")
      try s("IMAPD", "SENT: * BYE Have a nice day")
    }
    try out.line("\"DEBUG\"\t5104\t\"\(t)\"\t\"Ending session \(session)\"", crlf: true)
  }
  try out.commit()
}

/// MailEnable SMTP activity rows, interleaved connections.
func generateMailEnable(size: Int, path: String) throws {
  var out = try GeneratedFile(path: path)
  var r = BenchRandom(rng: SplitMix64(seed: 0xB0B4))
  var conn = 100
  while out.size < size {
    conn += 1
    let ip = "198.51.100.\(r.int(250))"
    let user = "user\(r.int(500))@example.test"
    let t = String(format: "05/24/17 %02d:%02d:%02d", (conn / 3600) % 24, (conn / 60) % 60, conn % 60)
    func row(_ verb: String, _ client: String, _ reply: String, _ u: String = "", _ subject: String? = nil) throws {
      var cols = [t, "SMTP-IN", "40B24E176E7A4DA0BA22B600D60839BF.MAI", "\(conn)", ip, verb, client, reply, "\(10 + r.int(90))", "\(10 + r.int(90))", u]
      if let subject { cols.append(subject) }
      try out.line(cols.joined(separator: "\t"), crlf: true)
    }
    try row("EHLO", "EHLO client\(r.int(99))", "250-mail.example.test [\(ip)], this server offers 4 extensions")
    try row("AUTH", "AUTH LOGIN", "334 VXNlcm5hbWU6")
    try row("AUTH", b64(user), "334 UGFzc3dvcmQ6", user)
    try row("AUTH", b64("Winter\(r.int(9999))!"), "235 Authenticated", user)
    try row("MAIL", "MAIL FROM:<\(user)>", "250 Requested mail action okay, completed", user)
    try row("RCPT", "RCPT TO:<rcpt\(r.int(900))@example.test>", "250 Requested mail action okay, completed", user)
    try row("DATA", "DATA", "354 Start mail input; end with <CRLF>.<CRLF>", user)
    try row("DATA", ".", "250 Requested mail action okay, completed", user, r.sentence())
    try row("QUIT", "QUIT", "221 Service closing transmission channel", user)
  }
  try out.commit()
}

/// Generates the inputs once, then times each format (best of `--runs`).
public func runFormatBenchmarkB(arguments args: [String]) throws {
  let size = option("--size", in: args).flatMap(parseSize) ?? 100 << 20
  let dir = option("--dir", in: args) ?? "bench-data"
  let runs = option("--runs", in: args).flatMap(Int.init) ?? 3
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  let tag = "\(size >> 20)M"
  let exchange = "\(dir)/exchange-\(tag).log"
  let syslog = "\(dir)/mail-syslog-\(tag).log"
  let rawlog = "\(dir)/20240501-100000.\(size >> 20).1"
  let hmail = "\(dir)/hmailserver_\(tag).log"
  let mailenable = "\(dir)/SMTP-Activity-\(tag).log"
  func ensure(_ path: String, _ make: () throws -> Void) throws {
    if !FileManager.default.fileExists(atPath: path) {
      print("generating \(path) …")
      try make()
    }
  }
  try ensure(exchange) { try generate(size: size, path: exchange) }
  try ensure(syslog) { try generateMailSyslog(size: size, path: syslog) }
  try ensure(rawlog + ".out") { try generateRawlogPair(size: size, stem: rawlog) }
  try ensure(hmail) { try generateHMailServer(size: size, path: hmail) }
  try ensure(mailenable) { try generateMailEnable(size: size, path: mailenable) }

  func fileSize(_ path: String) -> Double {
    Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
  }
  let sanitizer = Sanitizer(options: SanitizeOptions(profile: .level4))
  // CPU time of this thread: other processes on a busy machine do not count against a format.
  func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
  func time(_ body: () throws -> Void) rethrows -> Double {
    var bestSeconds = Double.infinity
    for _ in 0..<runs {
      let start = cpuSeconds()
      try body()
      bestSeconds = min(bestSeconds, cpuSeconds() - start)
    }
    return bestSeconds
  }
  func single(_ path: String) throws -> (Double, String) {
    var format = ""
    let seconds = try time {
      let report = try sanitizer.sanitize(source: try FileDescriptorSource(path: path), sink: DiscardSink(), name: path)
      format = report.format
    }
    return (fileSize(path) / 1_048_576 / seconds, format)
  }
  let (reference, _) = try single(exchange)
  func report(_ name: String, _ rate: Double) {
    print("\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.1f", rate)) MB/s  "
      + String(format: "%.2f× exchange-csv", rate / reference))
  }
  print("level4, in-process, output discarded, MB per CPU second (best of \(runs)); inputs of about \(size >> 20) MiB")
  report("exchange-csv (reference)", reference)
  for path in [syslog, hmail, mailenable, rawlog + ".out", rawlog + ".in"] {
    let (rate, format) = try single(path)
    report("\(format) (\(URL(fileURLWithPath: path).lastPathComponent))", rate)
  }
  let pairBytes = fileSize(rawlog + ".in") + fileSize(rawlog + ".out")
  let pairSeconds = try time {
    _ = try sanitizer.sanitizePair(
      received: PairHalf(source: try FileDescriptorSource(path: rawlog + ".in"), sink: DiscardSink(), name: rawlog + ".in"),
      sent: PairHalf(source: try FileDescriptorSource(path: rawlog + ".out"), sink: DiscardSink(), name: rawlog + ".out"))
  }
  report("dovecot-rawlog pair (sanitizePair, .in+.out)", pairBytes / 1_048_576 / pairSeconds)
}
