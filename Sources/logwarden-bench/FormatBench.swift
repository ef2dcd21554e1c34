import Foundation
import LogWardenCore

#if canImport(Glibc)
import Glibc
#endif

/// `logwarden-bench formats [--size-mb N] [--dir DIR] [--rounds N] [--generate-only] [FORMAT…]`
///
/// Writes one synthetic log of about N MB (default 100) per format into DIR (default a temporary directory), then
/// sanitizes each in-process (profile level4, output discarded) in N interleaved rounds (default 5) and prints the
/// best MB/s per format and its ratio to the Exchange CSV path. The files stay in DIR so the CLI can be timed on them too
/// (`logwarden sanitize --format X DIR/X.log -o /dev/null`). Generated content has the shapes that cost time:
/// logins, SASL exchanges, message bodies at level 5, interleaved sessions.
func runFormatBenchmark(arguments: [String]) -> Int32 {
  var sizeMB = 100
  var directory: String? = nil
  var generateOnly = false
  var rounds = 5
  var formats: [String] = []
  var i = 0
  while i < arguments.count {
    switch arguments[i] {
    case "--size-mb":
      i += 1
      sizeMB = i < arguments.count ? Int(arguments[i]) ?? sizeMB : sizeMB
    case "--dir":
      i += 1
      directory = i < arguments.count ? arguments[i] : nil
    case "--generate-only":
      generateOnly = true
    case "--rounds":
      i += 1
      rounds = i < arguments.count ? max(1, Int(arguments[i]) ?? rounds) : rounds
    default:
      formats.append(arguments[i])
    }
    i += 1
  }
  let all = FormatBenchGenerators.all.map(\.name)
  if formats.isEmpty { formats = all }
  if !formats.contains("exchange-csv") { formats.insert("exchange-csv", at: 0) }
  let dir = directory ?? (NSTemporaryDirectory() + "logwarden-format-bench")
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

  // Generate everything first, then time in interleaved rounds (best per format): a shared, noisy machine drifts,
  // and interleaving spreads the drift over all formats.
  var files: [(name: String, path: String, bytes: Int)] = []
  for name in formats {
    guard let generator = FormatBenchGenerators.all.first(where: { $0.name == name }) else {
      print("unknown format \(name); known: \(all.joined(separator: " "))")
      return 64
    }
    let path = dir + "/" + generator.fileName
    do {
      let bytes = try FormatBenchGenerators.write(generator, to: path, bytes: sizeMB << 20)
      print("generated \(path) (\(bytes >> 20) MB)")
      files.append((name, path, bytes))
    } catch {
      print("\(name): \(error)")
      return 74
    }
  }
  if generateOnly { return 0 }
  var best = [String: Double]()
  for _ in 0..<rounds {
    for file in files {
      do {
        let seconds = try time(path: file.path, format: file.name)
        best[file.name] = min(best[file.name] ?? .infinity, seconds)
      } catch {
        print("\(file.name): \(error)")
        return 74
      }
    }
  }
  let results = files.map { ($0.name, Double($0.bytes) / 1_048_576 / best[$0.name]!) }
  if let csv = results.first(where: { $0.0 == "exchange-csv" })?.1 {
    print("\n" + pad("format") + "    MB/s  vs exchange-csv")
    for (name, mbps) in results {
      print(pad(name) + String(format: "%8.1f  %5.2fx", mbps, mbps / csv))
    }
  }
  return 0
}

private func pad(_ s: String) -> String { s.padding(toLength: 22, withPad: " ", startingAt: 0) }

/// Sanitizes `path` in-process (profile level4) with output to /dev/null; seconds for one run.
private func time(path: String, format: String) throws -> Double {
  let input = open(path, O_RDONLY)
  let output = open("/dev/null", O_WRONLY)
  defer {
    close(input)
    close(output)
  }
  let source = FileDescriptorSource(descriptor: input, name: path)
  let sink = FileDescriptorSink(descriptor: output, name: "/dev/null")
  let start = DispatchTime.now().uptimeNanoseconds
  _ = try Sanitizer(options: SanitizeOptions(profile: .level4, formatName: format))
    .sanitize(source: source, sink: sink, name: path)
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Synthetic logs, one generator per format. Each writes sessions until the size is reached.
enum FormatBenchGenerators {
  struct Generator: Sendable {
    let name: String
    let fileName: String
    let header: String
    /// Appends session number `n` to `out`.
    let session: @Sendable (Int, inout String) -> Void
  }

  static func write(_ generator: Generator, to path: String, bytes target: Int) throws -> Int {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw LogWardenError.io(operation: "open", path: path, errno: errno) }
    defer { close(fd) }
    let sink = FileDescriptorSink(descriptor: fd, name: path)
    var written = 0
    var chunk = generator.header
    var n = 0
    while written < target {
      generator.session(n, &chunk)
      n += 1
      if chunk.utf8.count >= 1 << 20 || n % 4096 == 0 {
        let bytes = Array(chunk.utf8)
        try sink.write(bytes)
        written += bytes.count
        chunk.removeAll(keepingCapacity: true)
      }
    }
    if !chunk.isEmpty {
      let bytes = Array(chunk.utf8)
      try sink.write(bytes)
      written += bytes.count
    }
    try sink.finish()
    return written
  }

  static func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

  static let body = (0..<12).map { "Line \($0) of a message body that the level-5 log carries, long enough to count." }

  static let all: [Generator] = [exchangeCSV, exchange55PopImap, exchange55IMS, iisW3C, iisNCSA, pop3Arrows, transcript]

  static let exchangeCSV = Generator(
    name: "exchange-csv", fileName: "RECV2024010100-1.LOG",
    header: """
      #Software: Microsoft Exchange Server\r
      #Version: 15.0.0.0\r
      #Log-type: SMTP Receive Protocol Log\r
      #Date: 2024-01-01T00:00:00.000Z\r
      #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r

      """
  ) { n, out in
    let id = String(format: "08DC%012X", n)
    let remote = "192.0.2.\(n % 250):\(40000 + n % 20000)"
    var seq = 0
    func row(_ event: String, _ data: String, _ context: String = "") {
      out += "2024-01-01T10:00:\(String(format: "%02d", n % 60)).\(String(format: "%03d", seq))Z,EX01\\Default Frontend EX01,\(id),\(seq),10.0.0.5:25,\(remote),\(event),\(data),\(context)\r\n"
      seq += 1
    }
    row("+", "")
    row("*", "SMTPSubmit SMTPAcceptAnySender", "Set Session Permissions")
    row(">", "220 EX01.example.com Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 10:00:00 +0000")
    row("<", "EHLO client\(n).example.com")
    row(">", "250-EX01.example.com Hello [192.0.2.\(n % 250)]")
    row(">", "250 AUTH LOGIN")
    row("<", "AUTH LOGIN")
    row(">", "334 VXNlcm5hbWU6")
    row("<", b64("user\(n)@example.com"))
    row(">", "334 UGFzc3dvcmQ6")
    row("<", b64("password-\(n)"))
    row(">", "235 2.7.0 Authentication successful")
    row("<", "MAIL FROM:<user\(n)@example.com> SIZE=2048")
    row(">", "250 2.1.0 Sender OK")
    row("<", "RCPT TO:<rcpt\(n % 97)@example.org>")
    row(">", "250 2.1.5 Recipient OK")
    row("<", "BDAT 2048 LAST")
    row(">", "250 2.6.0 <\(id)@EX01.example.com> [InternalId=\(n)] Queued mail for delivery")
    row("<", "QUIT")
    row(">", "221 2.0.0 Service closing transmission channel")
    row("-", "", "Local")
  }

  static let exchange55PopImap = Generator(
    name: "exchange55-popimap", fileName: "L0000001.log", header: "Microsoft Exchange POP3 Protocol Log\r\n"
  ) { n, out in
    let tid = 100 + n % 40
    func r(_ arrow: String, _ text: String) {
      out += "01/26/1998 17:\(String(format: "%02d", n % 60)):05.\(String(format: "%03d", n % 1000)) \(arrow) (TID:\(tid)): \(text)\r\n"
    }
    r("   ", "POP3 connection accepted from 10.0.\(n % 250).\(n % 200)")
    r(">>>", "+OK Microsoft Exchange POP3 server version 5.5.2650.23 ready")
    r("<<<", "USER user\(n)")
    r(">>>", "+OK")
    r("<<<", "PASS password-\(n)")
    r(">>>", "+OK User successfully logged on")
    r("<<<", "STAT")
    r(">>>", "+OK 2 4096")
    r("<<<", "LIST")
    r(">>>", "+OK 2 messages")
    out += "1 2048\r\n2 2048\r\n.\r\n"
    r("<<<", "RETR 1")
    r(">>>", "+OK 2048 octets")
    out += "Subject: message \(n)\r\n\r\n"
    for line in body { out += line + "\r\n" }
    out += ".\r\n"
    r("<<<", "DELE 1")
    r(">>>", "+OK")
    r("<<<", "QUIT")
    r(">>>", "+OK Microsoft Exchange POP3 server signing off")
    r("   ", "POP3 connection closed")
  }

  static let exchange55IMS = Generator(name: "exchange55-ims", fileName: "L0000000.LOG", header: "") { n, out in
    let t = "5/13/00 2:\(String(format: "%02d", n % 60)):27 PM : "
    out += t + "A connection was accepted from host\(n).example.com.\r\n"
    func io(_ text: String) {
      out += t + "<<< IO: |" + text + "\r\n" + t + "<<< " + text + "\r\n"
    }
    io("EHLO host\(n).example.com")
    out += t + ">>> 250-mail.example.com Hello [host\(n)]\r\n250-XEXCH50\r\n250-SIZE 0\r\n250 AUTH=LOGIN\r\n\r\n"
    io("AUTH LOGIN")
    out += t + ">>> 334 VXNlcm5hbWU6\r\n"
    io(b64("user\(n)"))
    out += t + ">>> 334 UGFzc3dvcmQ6\r\n"
    io(b64("password-\(n)"))
    out += t + ">>> 235 OK\r\n\r\n"
    io("MAIL FROM:<user\(n)@example.com> SIZE=1460")
    out += t + ">>> 250 OK - mail from <user\(n)@example.com>\r\n\r\n"
    io("RCPT TO:<rcpt\(n % 97)@example.org>")
    out += t + ">>> 250 OK - Recipient <rcpt\(n % 97)@example.org>\r\n\r\n"
    io("DATA")
    out += t + ">>> 354 Send data.  End with CRLF.CRLF\r\n"
    out += t + "<<< IO: |Subject: message \(n)\r\n\r\n"
    for line in body { out += line + "\r\n" }
    out += ".\r\n" + t + ">>> 250 OK\r\n\r\n"
    io("QUIT")
    out += t + ">>> 221 closing connection\r\n"
  }

  static let iisW3C = Generator(
    name: "iis-smtp-w3c", fileName: "ex240101.log",
    header: """
      #Software: Microsoft Internet Information Services 6.0\r
      #Version: 1.0\r
      #Date: 2024-01-01 00:00:00\r
      #Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)\r

      """
  ) { n, out in
    let ip = "192.0.2.\(n % 250)"
    let helo = "client\(n % 500).example.com"
    func row(_ method: String, _ query: String, _ status: Int) {
      out += "2024-01-01 10:\(String(format: "%02d", n % 60)):16 \(ip) \(helo) SMTPSVC1 MAIL01 10.0.0.5 0 \(method) - \(query) \(status) 0 48 13 0 SMTP - - - -\r\n"
    }
    row("EHLO", "+" + helo, 250)
    row("AUTH", "+LOGIN", 334)
    row(b64("user\(n)"), "-", 334)
    row(b64("password-\(n)"), "-", 235)
    row("MAIL", "+FROM:+<user\(n)@example.com>", 250)
    row("RCPT", "+TO:+<rcpt\(n % 97)@example.org>", 250)
    row("DATA", "+<\(n).1234@example.com>", 250)
    row("QUIT", helo, 240)
  }

  static let iisNCSA = Generator(name: "iis-smtp-ncsa", fileName: "nc240101.log", header: "") { n, out in
    let ip = "61.47.\(n % 250).\(n % 200)"
    let helo = "client\(n % 500).example.com"
    func row(_ request: String, _ status: Int) {
      out += "\(ip) - \(helo) [01/Jan/2024:10:\(String(format: "%02d", n % 60)):41 -0600] \"\(request) SMTP\" \(status) 46\r\n"
    }
    row("EHLO -?+" + helo, 250)
    row("AUTH -?+PLAIN+" + b64("\0user\(n)\0password-\(n)"), 235)
    row("MAIL -?+FROM:+<user\(n)@example.com>", 250)
    row("RCPT -?+TO:+<rcpt\(n % 97)@example.org>", 250)
    row("DATA -?+<\(n).1234@example.com>", 250)
    row("QUIT -?" + helo, 240)
  }

  static let pop3Arrows = Generator(name: "pop3-arrows", fileName: "pop3-arrows.log", header: "") { n, out in
    let ip = "192.168.\(n % 250).\(n % 200)"
    func c(_ text: String) { out += "\(ip) « \(text)\r\n" }
    func s(_ text: String) { out += "\(ip) » \(text)\r\n" }
    s("+OK test.com Mail Server v1 POP3")
    c("USER user\(n)")
    s("+OK")
    c("PASS password-\(n)")
    s("+OK 2 messages (4096) octets")
    c("STAT")
    s("+OK 2 4096")
    c("RETR 1")
    s("+OK 2048 octets")
    s("Subject: message \(n)")
    s("")
    for line in body { s(line) }
    s(".")
    c("DELE 1")
    s("+OK Message deleted")
    c("QUIT")
    s("+OK test.com closing connection")
    out += "\(ip) *** user\(n)@test.com 1 2048 00:00:02 OK\r\n\(ip) Disconnected\r\n"
  }

  static let transcript = Generator(name: "transcript", fileName: "transcript.log", header: "") { n, out in
    out += "S: 220 mail.example.com ESMTP\r\nC: EHLO client\(n).example.com\r\nS: 250-mail.example.com\r\nS: 250 AUTH LOGIN PLAIN\r\n"
    out += "C: AUTH PLAIN \(b64("\0user\(n)\0password-\(n)"))\r\nS: 235 2.7.0 ok\r\n"
    out += "C: MAIL FROM:<user\(n)@example.com>\r\nS: 250 ok\r\nC: RCPT TO:<rcpt\(n % 97)@example.org>\r\nS: 250 ok\r\n"
    out += "C: DATA\r\nS: 354 go ahead\r\nC: Subject: message \(n)\r\nC: \r\n"
    for line in body { out += "C: " + line + "\r\n" }
    out += "C: .\r\nS: 250 queued\r\nC: RSET\r\nS: 250 ok\r\n"
  }
}
