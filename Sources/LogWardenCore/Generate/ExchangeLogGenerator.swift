import Foundation

/// A deterministic generator of Exchange SMTP Receive protocol logs: interleaved sessions with AUTH (PLAIN with an
/// initial response, LOGIN with continuation lines), MAIL/RCPT and level-5 style DATA content. For benchmarks,
/// demos and tests: the same seed always gives the same bytes. All addresses are documentation ranges
/// (192.0.2.0/24, 198.51.100.0/24) and `.test` domains; all passwords are fake.
public struct ExchangeLogGenerator {
  public var seed: UInt64
  /// Sessions open at the same time (their rows interleave).
  public var concurrentSessions: Int
  /// Body lines per message, inclusive range.
  public var bodyLines: ClosedRange<Int>
  /// The first row's time (seconds since the epoch, UTC); nil keeps the benchmark's fixed `2026-01-01` stamps.
  public var start: Int64?

  public init(
    seed: UInt64 = 0x5EED, concurrentSessions: Int = 8, bodyLines: ClosedRange<Int> = 4...24, start: Int64? = nil
  ) {
    self.seed = seed
    self.concurrentSessions = max(1, concurrentSessions)
    self.bodyLines = bodyLines
    self.start = start
  }

  /// The secrets the generator plants (plain and base64 forms), for leak checks.
  public static let plantedSecrets = ["Winter2024!", "hunter2 with spaces", "p\"a\\ss"]

  /// Writes about `targetBytes` of log (header included, always whole sessions) to `sink`. Returns bytes written.
  @discardableResult
  public func write(targetBytes: Int, to sink: ByteSink) throws(LogWardenError) -> Int {
    var rng = SplitMix64(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(1 << 20)
    var written = 0
    let header =
      "\u{FEFF}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Receive Protocol Log\r\n"
      + "#Date: \(start.map { GeneratedTime.iso8601(millis: $0 * 1000) } ?? "2026-01-01T00:00:00.000Z")\r\n"
      + "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
    out.append(contentsOf: header.utf8)
    var sessions: [SessionScript] = []
    var nextSession: UInt64 = 0x08D6_75E5_8CA1_0000 &+ (seed & 0xFFFF)
    var millis: UInt64 = 0
    var finishing = false
    while true {
      while !finishing && sessions.count < concurrentSessions {
        sessions.append(SessionScript(id: nextSession, rng: &rng, bodyLines: bodyLines))
        nextSession &+= 1
      }
      if sessions.isEmpty { break }
      let pick = Int(rng.next() % UInt64(sessions.count))
      millis &+= rng.next() % 40
      if let row = sessions[pick].nextRow(millis: millis, start: start) {
        out.append(contentsOf: row)
      } else {
        sessions.remove(at: pick)
      }
      if out.count >= 1 << 20 {
        try sink.write(out)
        written += out.count
        out.removeAll(keepingCapacity: true)
      }
      if written + out.count >= targetBytes { finishing = true }
    }
    try sink.write(out)
    written += out.count
    try sink.finish()
    return written
  }
}

/// SplitMix64: a tiny deterministic PRNG (Steele, Lea, Flood 2014).
public struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// One scripted session: its rows are produced one at a time so sessions interleave.
struct SessionScript {
  let id: UInt64
  var lines: [(event: Character, data: String)] = []
  var position = 0
  let remote: String

  init(id: UInt64, rng: inout SplitMix64, bodyLines: ClosedRange<Int>) {
    self.id = id
    let user = ["alice", "bob", "carol", "dave", "erin", "frank"][Int(rng.next() % 6)]
    remote = "198.51.100.\(rng.next() % 250 + 1):\(49152 + rng.next() % 16000)"
    let secret = ExchangeLogGenerator.plantedSecrets[Int(rng.next() % UInt64(ExchangeLogGenerator.plantedSecrets.count))]
    var l: [(Character, String)] = [
      ("+", ""),
      (">", "\"220 MX1.contoso.test Microsoft ESMTP MAIL Service ready at Thu, 1 Jan 2026 00:00:00 +0000\""),
      ("<", "EHLO client\(rng.next() % 100).fabrikam.test"),
      (">", "250  MX1.contoso.test Hello [198.51.100.7] SIZE 37748736 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS AUTH LOGIN PLAIN 8BITMIME BINARYMIME CHUNKING"),
    ]
    if rng.next() % 2 == 0 {
      l.append(("<", "AUTH PLAIN " + Base64.encode(Array("\0\(user)@contoso.test\0\(secret)".utf8))))
    } else {
      l.append(("<", "AUTH LOGIN"))
      l.append((">", "334 VXNlcm5hbWU6"))
      l.append(("<", Base64.encode(Array("\(user)@contoso.test".utf8))))
      l.append((">", "334 UGFzc3dvcmQ6"))
      l.append(("<", Base64.encode(Array(secret.utf8))))
    }
    l.append((">", "235 2.7.0 Authentication successful"))
    l.append(("*", "User Name: \(user)@contoso.test"))
    l.append(("<", "MAIL FROM:<\(user)@contoso.test> SIZE=2048"))
    l.append((">", "250 2.1.0 Sender OK"))
    l.append(("<", "RCPT TO:<partner\(rng.next() % 50)@fabrikam.test>"))
    l.append((">", "250 2.1.5 Recipient OK"))
    l.append(("<", "DATA"))
    l.append((">", "354 Start mail input; end with <CRLF>.<CRLF>"))
    l.append(("<", "Subject: quarterly numbers \(rng.next() % 1000)"))
    l.append(("<", ""))
    let count = Int(rng.next() % UInt64(bodyLines.count)) + bodyLines.lowerBound
    for k in 0..<count {
      l.append(("<", "Confidential body line \(k): the merger closes on Friday, do not forward."))
    }
    l.append(("<", "."))
    l.append((">", "250 2.6.0 <\(id)@MX1.contoso.test> [InternalId=\(rng.next() % 100000)] Queued mail for delivery"))
    l.append(("<", "QUIT"))
    l.append((">", "221 2.0.0 Service closing transmission channel"))
    l.append(("-", ""))
    lines = l
  }

  mutating func nextRow(millis: UInt64, start: Int64? = nil) -> [UInt8]? {
    guard position < lines.count else { return nil }
    let (event, data) = lines[position]
    let seconds = millis / 1000
    let stamp =
      start.map { GeneratedTime.iso8601(millis: $0 * 1000 + Int64(millis)) }
      ?? "2026-01-01T\(pad(seconds / 3600 % 24)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60)).\(pad3(millis % 1000))Z"
    let context = event == "*" ? "authenticated" : ""
    let dataField = event == "*" ? "" : csvField(data)
    let contextField = event == "*" ? csvField(data) : context
    let row =
      "\(stamp),MX1\\Default Frontend MX1,\(hex16(id)),\(position),192.0.2.10:25,\(remote),\(event),\(dataField),\(contextField)\r\n"
    position += 1
    return Array(row.utf8)
  }

  /// Quotes a field the way Exchange does: when it holds a comma or a quote (already-quoted text is kept).
  private func csvField(_ text: String) -> String {
    if text.hasPrefix("\"") { return text }
    guard text.contains(",") || text.contains("\"") else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  private func pad(_ v: UInt64) -> String { v < 10 ? "0\(v)" : "\(v)" }
  private func pad3(_ v: UInt64) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)" }
  private func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
  }
}

/// Standard base64 encoding (RFC 4648), for generated fixtures.
public enum Base64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  public static func encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    var i = 0
    while i + 2 < bytes.count {
      let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
      out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
      i += 3
    }
    let rest = bytes.count - i
    if rest == 1 {
      let v = UInt32(bytes[i]) << 16
      out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], 0x3D, 0x3D]
    } else if rest == 2 {
      let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
      out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], 0x3D]
    }
    return String(decoding: out, as: UTF8.self)
  }
}
