// logwarden-bench: deterministic input generators and the benchmark runners whose figures the README quotes.
//
//   logwarden-bench generate [--size 200M] FILE        write a generated Exchange SMTP Receive log
//   logwarden-bench sanitize [--size 200M] [--dir DIR] [--logwarden PATH]
//       generates DIR/exchange-<size>.log once, then times, in the same run:
//         sed -E with three substitutions (the baseline), and
//         logwarden sanitize --profile level4 FILE -o OUT   (and --profile credentials)
//       and prints MB/s, the speed ratio, and each process's peak RSS.
//   logwarden-bench compression [--size-mib 400] …   gzip -6 vs masking + parallel libdeflate gzip + verify
//   logwarden-bench pseudonym                          pseudonym costs (cold and cached)
//   logwarden-bench formats [--size-mb N] [FORMAT…]    MB/s per format against exchange-csv (Exchange 5.5, IIS, …)
//   logwarden-bench formats-b                          the same for mail-syslog, dovecot-rawlog, hmailserver, mailenable
//   logwarden-bench pseudonym
//       ns per value for IP/e-mail/host pseudonyms (cold and cached) and rewriteLine ns/line (PseudonymBench.swift).
//   logwarden-bench demo DIR
//       writes the demo log tree (DemoLogTree: Exchange SMTP Receive/Send and POP3/IMAP4 logs, a Postfix mail.log)
//       below DIR; the repository's copy is Policies/demo-logs.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LogWardenCore

func parseSize(_ text: String) -> Int? {
  let upper = text.uppercased()
  let units: [(String, Int)] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
  for (suffix, factor) in units where upper.hasSuffix(suffix) {
    return Int(upper.dropLast()).map { $0 * factor }
  }
  return Int(upper)
}

func option(_ name: String, in args: [String]) -> String? {
  guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
  return args[i + 1]
}

func generate(size: Int, path: String) throws {
  let file = try AtomicFileWriter(path: path, mode: 0o644)
  try ExchangeLogGenerator().write(targetBytes: size, to: file.sink)
  try file.commit()
}

struct Measurement {
  var seconds: Double
  /// User + system CPU time of the child: steadier than wall time on a shared machine.
  var cpuSeconds: Double = 0
  var peakRSSKiB: Int
  var status: Int32
}

/// Runs a command (no shell), stdout to `stdoutPath`, and measures wall time and the child's peak RSS (wait4).
func measure(_ argv: [String], stdoutPath: String? = nil) -> Measurement {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  if let stdoutPath {
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  }
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  var cArgs = argv.map { strdup($0) } + [nil]
  defer { for p in cArgs { free(p) } }
  var pid: pid_t = 0
  let start = DispatchTime.now()
  let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cArgs, environ)
  guard rc == 0 else { return Measurement(seconds: 0, peakRSSKiB: 0, status: -1) }
  var status: Int32 = 0
  var usage = rusage()
  wait4(pid, &status, 0, &usage)
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  let cpu =
    Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
    + Double(usage.ru_stime.tv_usec) / 1e6
  return Measurement(seconds: seconds, cpuSeconds: cpu, peakRSSKiB: usage.ru_maxrss, status: (status >> 8) & 0xFF)
}

func best(of runs: Int, _ body: () -> Measurement) -> Measurement {
  var result = body()
  for _ in 1..<runs {
    let m = body()
    if m.seconds < result.seconds { result = m }
  }
  return result
}

func runSanitizeBenchmark(_ args: [String]) throws {
  let size = option("--size", in: args).flatMap(parseSize) ?? 200 << 20
  let dir = option("--dir", in: args) ?? "bench-data"
  let runs = option("--runs", in: args).flatMap(Int.init) ?? 3
  let executableDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
  let logwarden = option("--logwarden", in: args) ?? executableDir + "/logwarden"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  let input = "\(dir)/exchange-\(size >> 20)M.log"
  if !FileManager.default.fileExists(atPath: input) {
    print("generating \(input) …")
    try generate(size: size, path: input)
  }
  let bytes = Double((try FileManager.default.attributesOfItem(atPath: input)[.size] as? NSNumber)?.intValue ?? size)
  let mb = bytes / 1_048_576
  // Warm the page cache so every contender reads from memory.
  _ = measure(["cat", input], stdoutPath: "/dev/null")
  let sedScript =
    "s/(AUTH [A-Z0-9-]+) [A-Za-z0-9+\\/=]+/\\1 ****/; s/(PASS) .*/\\1 ****/; s/(LOGIN [^ ]+) [^ ,]+/\\1 ****/"
  let sed = best(of: runs) { measure(["sed", "-E", sedScript, input], stdoutPath: "\(dir)/out-sed.log") }
  let level4 = best(of: runs) {
    measure([logwarden, "sanitize", "--profile", "level4", input, "-o", "\(dir)/out-level4.log"])
  }
  let credentials = best(of: runs) {
    measure([logwarden, "sanitize", "--profile", "credentials", input, "-o", "\(dir)/out-credentials.log"])
  }
  let keyPath = "\(dir)/bench.key"
  if !FileManager.default.fileExists(atPath: keyPath) { _ = measure([logwarden, "keygen", "--out", keyPath]) }
  let vendor = best(of: runs) {
    measure([logwarden, "sanitize", "--profile", "vendor", "--key", keyPath, input, "-o", "\(dir)/out-vendor.log"])
  }
  func row(_ name: String, _ m: Measurement) -> String {
    let rate = m.seconds > 0 ? mb / m.seconds : 0
    return "\(name.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(format: "%7.3f", m.seconds)) s  "
      + "\(String(format: "%8.1f", rate)) MB/s  cpu \(String(format: "%6.3f", m.cpuSeconds)) s  "
      + "peak RSS \(m.peakRSSKiB / 1024) MiB  exit \(m.status)"
  }
  print("input: \(input) (\(String(format: "%.1f", mb)) MiB), best of \(runs)")
  print(row("sed -E (3 substitutions)", sed))
  print(row("logwarden sanitize --profile level4", level4))
  print(row("logwarden sanitize --profile credentials", credentials))
  print(row("logwarden sanitize --profile vendor", vendor))
  if level4.seconds > 0 {
    print(String(format: "level4 speed vs sed: %.1fx wall, %.1fx cpu", sed.seconds / level4.seconds, sed.cpuSeconds / max(level4.cpuSeconds, 1e-9)))
    print(String(format: "vendor throughput vs level4: %.0f%% wall, %.0f%% cpu", 100 * level4.seconds / max(vendor.seconds, 1e-9), 100 * level4.cpuSeconds / max(vendor.cpuSeconds, 1e-9)))
  }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
  switch arguments.first {
  case "generate":
    let rest = Array(arguments.dropFirst())
    let size = option("--size", in: rest).flatMap(parseSize) ?? 200 << 20
    guard let path = rest.last, !path.hasPrefix("--") else {
      print("usage: logwarden-bench generate [--size 200M] FILE")
      exit(64)
    }
    try generate(size: size, path: path)
  case "sanitize":
    try runSanitizeBenchmark(Array(arguments.dropFirst()))
  case "formats":
    exit(runFormatBenchmark(arguments: Array(arguments.dropFirst())))
  case "formats-b":
    try runFormatBenchmarkB(arguments: Array(arguments.dropFirst()))
  case "compression":
    exit(runCompressionBenchmark(arguments: Array(arguments.dropFirst())))
  case "demo":
    guard arguments.count == 2 else {
      print("usage: logwarden-bench demo DIR")
      exit(64)
    }
    for path in try DemoLogTree.write(to: arguments[1]) { print(path) }
  case "pseudonym":
    runPseudonymBenchmark()
  default:
    print("usage: logwarden-bench generate [--size N] FILE | sanitize [--size N] [--dir DIR] [--runs N] | demo DIR | pseudonym")
    exit(64)
  }
} catch {
  print("logwarden-bench: \(error)")
  exit(1)
}
