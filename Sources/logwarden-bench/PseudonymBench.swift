import LogWardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Micro-benchmark of pseudonymization: ns per value on the cold path (first sighting: AES/HMAC work) and the cached
/// path (repeat sighting), plus `rewriteLine` over synthetic Postfix lines. Times are thread CPU time. Run a release
/// build: `swift run -c release logwarden-bench pseudonym`.
func runPseudonymBenchmark() {
  let master = try! KeyMaterial(bytes: (0..<32).map { UInt8($0) })
  let keys = PseudonymKeys(master: master)
  var random = SplitMix64(seed: 42)

  let count = 20_000
  let v4: [[UInt8]] = (0..<count).map { _ in
    let value = random.next()
    return Array("\(value & 0xff).\(value >> 8 & 0xff).\(value >> 16 & 0xff).\(value >> 24 & 0xff)".utf8)
  }
  let v6: [[UInt8]] = (0..<count).map { _ in
    let value = random.next()
    return Array(IPAddress(high: 0x2001_0db8_0000_0000 | value >> 40, low: random.next()).description.utf8)
  }
  let emails: [[UInt8]] = (0..<count).map { index in
    Array("User.\(index)@Example\(index % 50).com".utf8)
  }
  let hosts: [[UInt8]] = (0..<count).map { index in Array("mx\(index).mail\(index % 100).example.co.uk".utf8) }

  print("pseudonym benchmark (\(count) distinct values each; ns per value, thread CPU time)")
  let cipher = try! IPCryptPfx(key: (0..<32).map { UInt8($0) })
  let v4Addresses = v4.map { IPAddress(String(decoding: $0, as: UTF8.self))! }
  let v6Addresses = v6.map { IPAddress(String(decoding: $0, as: UTF8.self))! }
  for (label, addresses) in [
    ("ipcrypt-pfx encrypt alone, IPv4", v4Addresses), ("ipcrypt-pfx encrypt alone, IPv6", v6Addresses),
  ] {
    var sink: UInt64 = 0
    let start = cpuNanoseconds()
    for address in addresses { sink &+= cipher.encrypt(address).low }
    let perAddress = Double(cpuNanoseconds() - start) / Double(addresses.count)
    print("  \(pad(label)) \(format(perAddress)) ns\(sink == 42 ? " " : "")")
  }
  measure("IPv4 ipcrypt-pfx", v4) { p, value in _ = value.withUnsafeBytes { p.pseudonym(forIP: $0) } }
  measure("IPv6 ipcrypt-pfx", v6) { p, value in _ = value.withUnsafeBytes { p.pseudonym(forIP: $0) } }
  measure("e-mail address", emails) { p, value in _ = value.withUnsafeBytes { p.pseudonym(forEmail: $0) } }
  measure("host name", hosts) { p, value in _ = value.withUnsafeBytes { p.pseudonym(forHost: $0) } }

  // Free text: 2 000 distinct clients seen repeatedly, as in a day of Postfix logs.
  let lines: [[UInt8]] = (0..<count).map { index in
    let client = index % 2_000
    return Array(
      ("Nov 22 13:00:\(index % 60) mx postfix/smtpd[\(1000 + client)]: NOQUEUE: reject: RCPT from "
        + "host\(client).example.net[198.51.\(client % 256).\(client / 256)]: "
        + "554 5.7.1 <user\(index % 700)@example.org>: "
        + "Relay access denied; from=<sender\(client)@example.com> to=<user\(index % 700)@example.org> proto=ESMTP "
        + "helo=<host\(client).example.net>").utf8)
  }
  let plain: [[UInt8]] = (0..<count).map { index in
    Array("Nov 22 13:00:\(index % 60) mx postfix/qmgr[812]: 4BQ2Xk1x: removed".utf8)
  }
  measureLines("rewriteLine, Postfix reject lines", lines, keys: keys)
  measureLines("rewriteLine, lines without identities", plain, keys: keys)

  func measure(_ label: String, _ values: [[UInt8]], _ body: (Pseudonymizer, [UInt8]) -> Void) {
    let pseudonymizer = Pseudonymizer(keys: keys)
    let coldStart = cpuNanoseconds()
    for value in values { body(pseudonymizer, value) }
    let cold = Double(cpuNanoseconds() - coldStart) / Double(values.count)
    let rounds = 5
    let cachedStart = cpuNanoseconds()
    for _ in 0..<rounds { for value in values { body(pseudonymizer, value) } }
    let cached = Double(cpuNanoseconds() - cachedStart) / Double(values.count * rounds)
    print("  \(pad(label)) cold \(format(cold)) ns   cached \(format(cached)) ns")
  }
}

private func measureLines(_ label: String, _ lines: [[UInt8]], keys: PseudonymKeys) {
  let pseudonymizer = Pseudonymizer(keys: keys)
  var out = [UInt8]()
  out.reserveCapacity(1 << 16)
  var counts: [String: Int] = [:]
  var bytes = 0
  for line in lines { bytes += line.count }
  // First pass warms the caches (mostly repeats), second is measured.
  for pass in 0..<2 {
    let start = cpuNanoseconds()
    for line in lines {
      out.removeAll(keepingCapacity: true)
      line.withUnsafeBytes { pseudonymizer.rewriteLine($0, into: &out, counts: &counts) }
    }
    let elapsed = Double(cpuNanoseconds() - start)
    let perLine = elapsed / Double(lines.count)
    let megabytesPerSecond = Double(bytes) / elapsed * 1_000
    print(
      "  \(pad(label + (pass == 0 ? " (first pass)" : ""))) \(format(perLine)) ns/line  "
        + "\(format(megabytesPerSecond)) MB/s"
    )
  }
}

private func pad(_ text: String) -> String {
  text.count >= 48 ? text : text + String(repeating: " ", count: 48 - text.count)
}

private func format(_ value: Double) -> String {
  String(Int(value.rounded()))
}

/// Thread CPU time: the build machines are shared, and wall time there mostly measures other jobs.
private func cpuNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Deterministic test data.
private struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}
