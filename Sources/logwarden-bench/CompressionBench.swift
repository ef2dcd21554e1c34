import Foundation
import LogWardenCore

/// `logwarden-bench compression [options]`: times archiving (credential masking + gzip) with
/// `ParallelGzipSink` against `/bin/gzip -6` on the same file in the same run, and prints
/// throughput, sizes and size ratios, plus a libdeflate level table.
///
/// Options:
///   --input PATH      benchmark this file instead of a generated Exchange SMTP Receive log
///   --size-mib N      size of the generated log (default 400)
///   --corpus NAME     generated input: varied (realistic entropy, default) or sanitizer
///                     (LogWardenCore.ExchangeLogGenerator, the sanitizer benchmark's input)
///   --levels LIST     libdeflate levels for the table, e.g. 1,2,3,4,5,6 (default 1...6)
///   --level N         level for the archive run (default ParallelGzipSink.recommendedArchiveLevel)
///   --threads N       compression threads (default 2)
///   --chunk-kib N     uncompressed bytes per gzip member (default 1024)
///   --repeat N        runs of everything, interleaved; the best of each is reported (default 3)
///   --keep            keep the temporary directory (its path is printed)
/// Returns the process exit status (0 on success).
@discardableResult
func runCompressionBenchmark(arguments: [String]) -> Int32 {
  do {
    let options = try CompressionBenchOptions(arguments)
    try CompressionBench(options: options).run()
    return 0
  } catch {
    FileHandle.standardError.write(Data("compression benchmark: \(error)\n".utf8))
    return 1
  }
}

struct CompressionBenchOptions {
  var inputPath: String?
  var sizeMiB = 400
  var levels: [Int32] = [1, 2, 3, 4, 5, 6]
  var archiveLevel = ParallelGzipSink.recommendedArchiveLevel
  var threads = 2
  var chunkSize = 1 << 20
  var keep = false
  var repeats = 3
  var corpus = Corpus.varied

  /// Which generator makes the input when no `--input` is given.
  enum Corpus: String {
    /// `VariedExchangeLogGenerator`: realistic entropy (the default).
    case varied
    /// LogWardenCore's `ExchangeLogGenerator`: the sanitizer benchmark's input, highly repetitive.
    case sanitizer
  }

  init(_ arguments: [String]) throws {
    var rest = arguments[...]
    func value(_ flag: String) throws -> String {
      guard let next = rest.popFirst() else { throw LogWardenError.usage("\(flag) needs a value") }
      return next
    }
    func number(_ flag: String) throws -> Int {
      let text = try value(flag)
      guard let n = Int(text), n > 0 else { throw LogWardenError.usage("\(flag): not a positive number: \(text)") }
      return n
    }
    while let flag = rest.popFirst() {
      switch flag {
      case "--input": inputPath = try value(flag)
      case "--size-mib": sizeMiB = try number(flag)
      case "--levels":
        let list = try value(flag).split(separator: ",").compactMap { Int32($0) }
        guard !list.isEmpty else { throw LogWardenError.usage("--levels: expected e.g. 1,2,3") }
        levels = list
      case "--level": archiveLevel = Int32(try number(flag))
      case "--threads": threads = try number(flag)
      case "--chunk-kib": chunkSize = try number(flag) << 10
      case "--repeat": repeats = try number(flag)
      case "--corpus":
        let name = try value(flag)
        guard let parsed = Corpus(rawValue: name) else { throw LogWardenError.usage("--corpus: varied or sanitizer") }
        corpus = parsed
      case "--keep": keep = true
      default: throw LogWardenError.usage("unknown option \(flag)")
      }
    }
  }
}

struct CompressionBench {
  let options: CompressionBenchOptions

  func run() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("logwarden-bench-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer {
      if options.keep { print("kept \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) }
    }

    let input: String
    if let given = options.inputPath {
      input = given
    } else {
      input = directory.appendingPathComponent("RECV2024031100-1.LOG").path
      let started = ContinuousClock.now
      switch options.corpus {
      case .varied:
        var generator = VariedExchangeLogGenerator(seed: 20_240_311)
        try generator.write(to: input, bytes: options.sizeMiB << 20)
      case .sanitizer:
        let file = try OutputFile(path: input)
        try ExchangeLogGenerator().write(targetBytes: options.sizeMiB << 20, to: file.sink)
      }
      print("generated \(input) in \(format(ContinuousClock.now - started))")
    }
    let inputSize = try fileSize(input)
    // Read once so every run below starts with the file in the page cache.
    _ = try copyThrough(input, into: NullSink())
    print("input: \(mib(inputSize)) MiB, threads \(options.threads), chunk \(options.chunkSize >> 10) KiB, "
      + "best of \(options.repeats) runs, load average before: \(loadAverage())")

    let gzipOut = directory.appendingPathComponent("gzip6.gz").path
    let archive = directory.appendingPathComponent("archive.gz").path
    var gzipRun = Measurement()
    var levelRuns: [Int32: Measurement] = [:]
    var levelSizes: [Int32: Int] = [:]
    var maskOnlyRun = Measurement()
    var archiveRun = Measurement()
    var verifyRun = Measurement()
    var lastSink: ParallelGzipSink?
    var lastVerification: GzipVerification?
    // Interleaved repeats: background load on a shared machine hits every contender alike.
    for _ in 0..<options.repeats {
      gzipRun.add(try measure(child: true) { try systemGzip(input: input, output: gzipOut) })
      for level in options.levels {
        let output = directory.appendingPathComponent("level\(level).gz").path
        levelRuns[level, default: Measurement()].add(try measure { try compressFile(input, to: output, level: level) })
        levelSizes[level] = try fileSize(output)
        try? FileManager.default.removeItem(atPath: output)
      }
      maskOnlyRun.add(try measure { _ = try sanitize(input, into: NullSink()) })
      archiveRun.add(try measure { lastSink = try sanitizeAndCompress(input, to: archive, level: options.archiveLevel) })
      verifyRun.add(try measure { lastVerification = try GzipVerifier.verify(path: archive) })
    }
    let gzipSize = try fileSize(gzipOut)
    let archiveSize = try fileSize(archive)
    guard let sink = lastSink, let verification = lastVerification,
      verification.uncompressedBytes == sink.uncompressedByteCount && verification.contentCRC32 == sink.contentCRC32
    else { throw LogWardenError.badInput(path: archive, reason: "verification disagrees with what was written") }
    print("load average after: \(loadAverage())")
    print("")
    print("baseline /bin/gzip -6: \(gzipRun.describe(bytes: inputSize)), \(gzipSize) bytes")
    print("")
    print("libdeflate levels, compression only (ParallelGzipSink, \(options.threads) threads); size vs gzip -6:")
    print(pad("level", 6) + pad("wall s", 8) + pad("MB/s", 8) + pad("cpu s", 7) + pad("bytes", 12) + pad("size", 8)
      + pad("speedup", 8))
    for level in options.levels {
      let run = levelRuns[level]!, size = levelSizes[level]!
      print(
        pad("\(level)", 6) + pad(seconds(run.wall), 8) + pad(rate(inputSize, run.wall), 8) + pad(seconds(run.cpu), 7)
          + pad("\(size)", 12) + pad(String(format: "%.4f", Double(size) / Double(gzipSize)), 8)
          + pad(String(format: "%.2fx", ratio(gzipRun.wall, run.wall)), 8))
    }
    print("")
    let total = archiveRun.wall + verifyRun.wall
    print("archive = credential masking + ParallelGzipSink level \(options.archiveLevel), then GzipVerifier:")
    print("  masking only     \(maskOnlyRun.describe(bytes: inputSize))")
    print("  mask + gzip      \(archiveRun.describe(bytes: inputSize))")
    print("  verify           \(verifyRun.describe(bytes: inputSize)) (of content), \(verification.memberCount) members")
    print("  total            \(format(total)), \(rate(inputSize, total)) MB/s")
    print("  sanitized bytes  \(sink.uncompressedByteCount) (input \(inputSize))")
    print("  archive size     \(archiveSize) bytes = \(String(format: "%.4f", Double(archiveSize) / Double(gzipSize)))x gzip -6 of the input")
    print("  speedup vs gzip -6: \(String(format: "%.2f", ratio(gzipRun.wall, archiveRun.wall)))x (mask + gzip), "
      + "\(String(format: "%.2f", ratio(gzipRun.wall, total)))x (including verify)")
    let gzipCheck = try runTool("/bin/gzip", ["-t", archive])
    print("  /bin/gzip -t on the archive: \(gzipCheck == 0 ? "ok" : "FAILED (status \(gzipCheck))")")
  }

  /// Best wall-clock time of several runs, and the CPU time of that same run.
  struct Measurement {
    var wall = Duration.seconds(Int64.max)
    var cpu = Duration.zero
    mutating func add(_ sample: (wall: Duration, cpu: Duration)) {
      if sample.wall < wall { (wall, cpu) = sample }
    }
    func describe(bytes: Int) -> String {
      String(format: "%.3f s wall, %.1f MB/s, %.3f s cpu", wall.seconds, Double(bytes) / 1e6 / wall.seconds, cpu.seconds)
    }
  }

  /// Times `body`; CPU time is this process's (all threads), or its children's when `child` is set.
  private func measure(child: Bool = false, _ body: () throws -> Void) rethrows -> (wall: Duration, cpu: Duration) {
    let who = child ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue
    let cpuBefore = cpuTime(who)
    let start = ContinuousClock.now
    try body()
    return (ContinuousClock.now - start, cpuTime(who) - cpuBefore)
  }

  private func cpuTime(_ who: __rusage_who_t) -> Duration {
    var usage = rusage()
    getrusage(who, &usage)
    let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
    return .microseconds(micros)
  }

  private func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
  }

  // MARK: Runs

  private func systemGzip(input: String, output: String) throws {
    let status = try runTool("/bin/gzip", ["-6", "-c", input], stdoutPath: output)
    guard status == 0 else { throw LogWardenError.usage("/bin/gzip failed with status \(status)") }
  }

  private func compressFile(_ input: String, to output: String, level: Int32) throws {
    let file = try OutputFile(path: output)
    let sink = try ParallelGzipSink(
      downstream: file.sink, level: level, chunkSize: options.chunkSize, threads: options.threads, name: output)
    _ = try copyThrough(input, into: sink)
    try sink.finish()
  }

  private func sanitizeAndCompress(_ input: String, to output: String, level: Int32) throws -> ParallelGzipSink {
    let file = try OutputFile(path: output)
    let sink = try ParallelGzipSink(
      downstream: file.sink, level: level, chunkSize: options.chunkSize, threads: options.threads, name: output)
    _ = try sanitize(input, into: sink)
    return sink
  }

  private func sanitize(_ input: String, into sink: ByteSink) throws -> FileReport {
    let source = try InputOpener.openInput(path: input)
    return try Sanitizer(options: SanitizeOptions(profile: .credentials)).sanitize(source: source, sink: sink, name: input)
  }

  private func copyThrough(_ path: String, into sink: ByteSink) throws -> Int {
    let source = try FileDescriptorSource(path: path)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    defer { buffer.deallocate() }
    var total = 0
    while true {
      let n = try source.read(into: buffer)
      if n == 0 { return total }
      try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      total += n
    }
  }

  // MARK: Helpers

  private func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
  }

  private func seconds(_ d: Duration) -> String { String(format: "%.3f", d.seconds) }
  private func format(_ d: Duration) -> String { String(format: "%.3f s", d.seconds) }
  private func rate(_ bytes: Int, _ d: Duration) -> String { String(format: "%.1f", Double(bytes) / 1e6 / d.seconds) }
  private func ratio(_ a: Duration, _ b: Duration) -> Double { a.seconds / b.seconds }
  private func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
  private func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
}

extension Duration {
  fileprivate var seconds: Double {
    let parts = components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
  }
}

/// An output file opened for writing (truncated), closed on deinit.
private final class OutputFile {
  let descriptor: Int32
  let sink: FileDescriptorSink
  init(path: String) throws {
    descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw LogWardenError.io(operation: "create", path: path, errno: errno) }
    sink = FileDescriptorSink(descriptor: descriptor, name: path)
  }
  deinit { close(descriptor) }
}

/// Discards everything; used to pre-read a file into the page cache.
private final class NullSink: ByteSink {
  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {}
  func finish() throws(LogWardenError) {}
}

/// Runs a tool with stdout to `stdoutPath` (or /dev/null) and returns its exit status.
private func runTool(_ tool: String, _ arguments: [String], stdoutPath: String? = nil) throws -> Int32 {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: tool)
  process.arguments = arguments
  if let stdoutPath {
    _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
  } else {
    process.standardOutput = FileHandle.nullDevice
  }
  try process.run()
  process.waitUntilExit()
  return process.terminationStatus
}

/// Writes a synthetic Exchange 2016-style SMTP Receive protocol log: interleaved sessions of
/// inbound MX traffic, authenticated submissions (AUTH LOGIN / AUTH PLAIN with base64
/// credentials) and probes, with random addresses, ports, session ids, certificate
/// thumbprints and message ids, CRLF line ends. Deterministic for a given seed.
///
/// Unlike `ExchangeLogGenerator` (built for the sanitizer: few users, repeated bodies), its
/// entropy is close to real protocol logs (about 8:1 under gzip -6), which is what
/// compression speed and ratio depend on.
struct VariedExchangeLogGenerator {
  private var random: SplitMix64
  private var out: [UInt8] = []
  private var clockMillis: Int = 0
  private let domains: [String]
  private let users: [String]
  private let hosts: [String]

  init(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    func word(_ r: inout SplitMix64) -> String {
      let syllables = ["ka", "lo", "mi", "ter", "an", "so", "vel", "ri", "do", "mar", "en", "tu", "pra", "ne", "gor", "li"]
      return (0..<(2 + Int(r.next() % 3))).map { _ in syllables[Int(r.next() % UInt64(syllables.count))] }.joined()
    }
    let tlds = ["com", "org", "net", "de", "co.uk", "fr", "nl", "io"]
    domains = (0..<3000).map { _ in word(&random) + "." + tlds[Int(random.next() % UInt64(tlds.count))] }
    users = (0..<5000).map { _ in word(&random) + (random.next() % 3 == 0 ? ".\(word(&random))" : "") }
    hosts = (0..<800).map { _ in ["mail", "mx", "smtp", "out", "relay"][Int(random.next() % 5)] + "\(random.next() % 40)" }
    self.random = random
  }

  mutating func write(to path: String, bytes target: Int) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw LogWardenError.io(operation: "create", path: path, errno: errno) }
    defer { close(fd) }
    let sink = FileDescriptorSink(descriptor: fd, name: path)
    append(
      "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Receive Protocol Log\r\n"
        + "#Date: 2024-03-11T00:00:00.000Z\r\n"
        + "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n")
    var sessions: [Session] = (0..<6).map { _ in makeSession() }
    var written = 0
    while written + out.count < target {
      let index = Int(random.next() % UInt64(sessions.count))
      clockMillis += Int(random.next() % 40)
      emit(&sessions[index])
      if sessions[index].isDone { sessions[index] = makeSession() }
      if out.count >= 1 << 20 {
        try sink.write(out)
        written += out.count
        out.removeAll(keepingCapacity: true)
      }
    }
    try sink.write(out)
    try sink.finish()
  }

  private struct Session {
    var id: String
    var connector: String
    var local: String
    var remote: String
    var lines: [(event: String, data: String, context: String)]
    var next = 0
    var isDone: Bool { next == lines.count }
  }

  private mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

  private mutating func hex(_ digits: Int) -> String {
    let alphabet = Array("0123456789ABCDEF")
    return String((0..<digits).map { _ in alphabet[Int(random.next() % 16)] })
  }

  private mutating func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

  private mutating func address() -> String { "\(pick(users))@\(pick(domains))" }

  private mutating func makeSession() -> Session {
    let kind = random.next() % 10
    let frontend = kind < 7
    let remoteIP =
      frontend
      ? "\(1 + random.next() % 223).\(random.next() % 256).\(random.next() % 256).\(1 + random.next() % 254)"
      : "10.20.\(random.next() % 8).\(1 + random.next() % 254)"
    let remote = "\(remoteIP):\(1024 + random.next() % 64000)"
    let local = frontend ? "10.0.0.5:25" : "10.0.0.5:587"
    let connector = frontend ? "EX01\\Default Frontend EX01" : "EX01\\Client Frontend EX01"
    let client = "\(pick(hosts)).\(pick(domains))"
    var lines: [(String, String, String)] = [
      ("+", "", ""),
      ("*", "SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders",
       "Set Session Permissions"),
      (">", "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 11 Mar 2024 \(timeOfDay()) +0000", ""),
      ("<", "EHLO \(client)", ""),
      (">", "250  EX01.contoso.com Hello [\(remoteIP)] SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS "
        + "X-ANONYMOUSTLS AUTH NTLM LOGIN X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING SMTPUTF8 XRDST", ""),
    ]
    if kind == 9 {
      // A probe: connects, says hello, leaves.
      lines.append(random.next() % 2 == 0 ? ("<", "QUIT", "") : ("-", "", "Remote(SocketError)"))
      if lines.last!.0 == "<" { lines.append((">", "221 2.0.0 Service closing transmission channel", "")); lines.append(("-", "", "Local")) }
      return Session(id: "08DC" + hex(12), connector: connector, local: local, remote: remote, lines: lines)
    }
    lines.append(("<", "STARTTLS", ""))
    lines.append((">", "220 2.0.0 SMTP server ready", ""))
    lines.append(("*", "", "Sending certificate"))
    lines.append(("*", "CN=EX01.contoso.com", "Certificate subject"))
    lines.append(("*", "CN=Contoso Issuing CA 1, DC=contoso, DC=com", "Certificate issuer name"))
    lines.append(("*", hex(32), "Certificate serial number"))
    lines.append(("*", hex(40), "Certificate thumbprint"))
    lines.append(("*", "", "TLS negotiation succeeded"))
    lines.append(("<", "EHLO \(client)", ""))
    lines.append((">", "250  EX01.contoso.com Hello [\(remoteIP)] SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES "
      + "AUTH NTLM LOGIN X-EXPS GSSAPI NTLM 8BITMIME BINARYMIME CHUNKING SMTPUTF8 XRDST", ""))
    let sender = address()
    if !frontend {
      let user = pick(users) + "@contoso.com"
      let password = hex(6).lowercased() + "Pw!" + hex(4)
      if random.next() % 2 == 0 {
        lines.append(("<", "AUTH LOGIN", ""))
        lines.append((">", "334 VXNlcm5hbWU6", ""))
        lines.append(("<", base64(user), ""))
        lines.append((">", "334 UGFzc3dvcmQ6", ""))
        lines.append(("<", base64(password), ""))
      } else {
        lines.append(("<", "AUTH PLAIN " + base64("\u{0}\(user)\u{0}\(password)"), ""))
      }
      lines.append(("*", "SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAnySender", "Set Session Permissions"))
      lines.append(("*", "CONTOSO\\\(user.split(separator: "@")[0])", "authenticated"))
      lines.append((">", "235 2.7.0 Authentication successful", ""))
    }
    let messageCount = 1 + Int(random.next() % 3)
    for _ in 0..<messageCount {
      let size = 2_000 + Int(random.next() % 180_000)
      lines.append(("<", "MAIL FROM:<\(sender)> SIZE=\(size) BODY=8BITMIME", ""))
      lines.append(("*", "08DC\(hex(12));\(dateTime());1", "receiving message"))
      lines.append((">", "250 2.1.0 Sender OK", ""))
      for _ in 0..<(1 + Int(random.next() % 3)) {
        lines.append(("<", "RCPT TO:<\(pick(users))@contoso.com>", ""))
        lines.append((">", "250 2.1.5 Recipient OK", ""))
      }
      if random.next() % 2 == 0 {
        lines.append(("<", "DATA", ""))
        lines.append((">", "354 Start mail input; end with <CRLF>.<CRLF>", ""))
      } else {
        lines.append(("<", "BDAT \(size) LAST", ""))
      }
      let internalId = 10_000_000 + random.next() % 90_000_000
      lines.append((">", "250 2.6.0 <\(hex(8))\(hex(8)).\(hex(6))@\(pick(domains))> [InternalId=\(internalId), "
        + "Hostname=EX01.contoso.com] \(size) bytes in \(random.next() % 900).\(random.next() % 1000), "
        + "\(random.next() % 9000).\(random.next() % 1000) KB/sec Queued mail for delivery", ""))
    }
    lines.append(("<", "QUIT", ""))
    lines.append((">", "221 2.0.0 Service closing transmission channel", ""))
    lines.append(("-", "", "Local"))
    return Session(id: "08DC" + hex(12), connector: connector, local: local, remote: remote, lines: lines)
  }

  private mutating func emit(_ session: inout Session) {
    let line = session.lines[session.next]
    var text = "\(dateTime()),\(session.connector),\(session.id),\(session.next),\(session.local),\(session.remote),"
    text += "\(line.event),\(csvField(line.data)),\(csvField(line.context))\r\n"
    append(text)
    session.next += 1
  }

  /// Exchange quotes a field that contains a comma or a quote, doubling inner quotes.
  private func csvField(_ value: String) -> String {
    guard value.contains(",") || value.contains("\"") else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  private func timeOfDay() -> String {
    let seconds = (clockMillis / 1000) % 86_400
    return String(format: "%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60)
  }

  private func dateTime() -> String {
    let day = 11 + (clockMillis / 86_400_000) % 18
    return String(format: "2024-03-%02dT", day) + timeOfDay() + String(format: ".%03dZ", clockMillis % 1000)
  }

  private mutating func append(_ text: String) { out.append(contentsOf: text.utf8) }
}
