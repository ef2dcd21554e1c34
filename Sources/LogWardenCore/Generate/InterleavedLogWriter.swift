#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The driver shared by the generators: keeps `concurrentSessions` scripted sessions open, picks one at random for
/// each row, advances a millisecond clock and writes until about `targetBytes` are out (whole sessions only).
///
/// A session is a list of row renderers; each gets the row's time in milliseconds since the epoch and its position
/// in the session. Deterministic: the same seed gives the same bytes.
struct InterleavedLogWriter {
  typealias Row = (_ epochMillis: Int64, _ position: Int) -> String
  typealias SessionFactory = (_ rng: inout SplitMix64, _ index: UInt64) -> [Row]

  var seed: UInt64
  /// The first row's time, seconds since the epoch (UTC).
  var start: Int64
  var concurrentSessions: Int
  /// The largest step of the clock between two rows, in milliseconds.
  var maximumStepMillis: UInt64 = 40

  @discardableResult
  func write(header: String, targetBytes: Int, to sink: ByteSink, makeSession: SessionFactory) throws(LogWardenError)
    -> Int
  {
    var rng = SplitMix64(seed: seed)
    var out: [UInt8] = Array(header.utf8)
    var written = 0
    var sessions: [(rows: [Row], position: Int)] = []
    var index: UInt64 = 0
    var millis = start * 1000
    var finishing = false
    while true {
      while !finishing && sessions.count < max(1, concurrentSessions) {
        sessions.append((makeSession(&rng, index), 0))
        index += 1
      }
      if sessions.isEmpty { break }
      let pick = Int(rng.next() % UInt64(sessions.count))
      millis += Int64(rng.next() % max(1, maximumStepMillis))
      let (rows, position) = sessions[pick]
      if position < rows.count {
        out.append(contentsOf: rows[position](millis, position).utf8)
        sessions[pick].position += 1
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

/// Time stamps in the shapes the generated logs use.
enum GeneratedTime {
  static func parts(_ epochSeconds: Int64) -> tm {
    var t = time_t(epochSeconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    return parts
  }

  static func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }

  /// `2026-11-21T00:00:01.234Z` (Exchange CSV rows).
  static func iso8601(millis: Int64) -> String {
    let p = parts(millis / 1000)
    let ms = Int(millis % 1000)
    let fraction = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
    return "\(Int(p.tm_year) + 1900)-\(two(p.tm_mon + 1))-\(two(p.tm_mday))T\(two(p.tm_hour)):\(two(p.tm_min)):"
      + "\(two(p.tm_sec)).\(fraction)Z"
  }

  /// `Nov 21 00:00:01` (traditional syslog, day padded with a space).
  static func syslog(millis: Int64) -> String {
    let p = parts(millis / 1000)
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let day = p.tm_mday < 10 ? " \(p.tm_mday)" : "\(p.tm_mday)"
    return "\(months[Int(p.tm_mon)]) \(day) \(two(p.tm_hour)):\(two(p.tm_min)):\(two(p.tm_sec))"
  }

  /// `yyyyMMddHH` (Exchange hourly file names).
  static func hourStamp(_ epochSeconds: Int64) -> String {
    let p = parts(epochSeconds)
    return "\(Int(p.tm_year) + 1900)\(two(p.tm_mon + 1))\(two(p.tm_mday))\(two(p.tm_hour))"
  }
}

/// Exchange quotes a CSV field when it holds a comma or a quote.
func exchangeCSVField(_ text: String) -> String {
  guard text.contains(",") || text.contains("\"") else { return text }
  return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

func hex16(_ v: UInt64) -> String {
  let s = String(v, radix: 16, uppercase: true)
  return String(repeating: "0", count: max(0, 16 - s.count)) + s
}
