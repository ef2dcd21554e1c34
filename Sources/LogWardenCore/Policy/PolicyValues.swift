/// A length of time in a policy: `30s`, `15m`, `12h`, `7d`, `2w`, or a sum such as `1d12h`. A day is exactly 24 hours.
public struct PolicyDuration: Sendable, Equatable, Comparable, Hashable, Codable, CustomStringConvertible {
  /// Whole seconds, never negative.
  public var seconds: Int64

  public init(seconds: Int64) { self.seconds = seconds }
  public static let zero = PolicyDuration(seconds: 0)
  public static func hours(_ n: Int64) -> PolicyDuration { .init(seconds: n * 3600) }
  public static func days(_ n: Int64) -> PolicyDuration { .init(seconds: n * 86_400) }

  public static func < (a: PolicyDuration, b: PolicyDuration) -> Bool { a.seconds < b.seconds }

  /// Parses the policy syntax; nil if malformed. A bare `0` is allowed (no unit needed for zero).
  public init?(parsing text: String) {
    let trimmed = text.trimmingASCIIWhitespace()
    if trimmed == "0" {
      self.seconds = 0
      return
    }
    var total: Int64 = 0
    var number: Int64? = nil
    var sawUnit = false
    for ch in trimmed {
      if let digit = ch.wholeNumberValue, ch.isASCII {
        let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(digit))
        if o1 || o2 { return nil }
        number = a
        continue
      }
      guard let n = number else { return nil }
      let unit: Int64
      switch ch {
      case "s": unit = 1
      case "m": unit = 60
      case "h": unit = 3600
      case "d": unit = 86_400
      case "w": unit = 604_800
      default: return nil
      }
      let (product, overflow) = n.multipliedReportingOverflow(by: unit)
      if overflow { return nil }
      total += product
      number = nil
      sawUnit = true
    }
    guard number == nil, sawUnit else { return nil }
    self.seconds = total
  }

  /// The policy spelling in days, hours, minutes and seconds, e.g. `7d`, `1d12h`, `1m30s`.
  public var description: String {
    if seconds == 0 { return "0s" }
    var rest = seconds
    var out = ""
    for (unit, name) in [(Int64(86_400), "d"), (3600, "h"), (60, "m"), (1, "s")] {
      if rest >= unit {
        out += "\(rest / unit)\(name)"
        rest %= unit
      }
    }
    return out
  }
}

/// A byte count in a policy: `1048576`, `500K`, `500M`, `2G`, `1T` (binary multiples: K = 1024).
public enum ByteCount {
  /// Parses the policy syntax; nil if malformed. Accepts an optional `B`/`iB` suffix (`500MiB`, `500MB` = 500 MiB).
  public static func parse(_ text: String) -> Int64? {
    var t = text.trimmingASCIIWhitespace()
    guard !t.isEmpty else { return nil }
    if t.hasSuffix("iB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
    var multiplier: Int64 = 1
    if let last = t.last, !last.isNumber {
      switch last {
      case "K", "k": multiplier = 1 << 10
      case "M": multiplier = 1 << 20
      case "G": multiplier = 1 << 30
      case "T": multiplier = 1 << 40
      default: return nil
      }
      t.removeLast()
    }
    guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(t) else { return nil }
    let (value, overflow) = n.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : value
  }

  /// A short human form: `512 B`, `1.5 KiB`, `2.0 GiB`.
  public static func describe(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var index = 0
    while abs(value) >= 1024 && index < units.count - 1 {
      value /= 1024
      index += 1
    }
    if index == 0 { return "\(bytes) B" }
    let tenths = (value * 10).rounded() / 10
    return "\(tenths) \(units[index])"
  }

  /// The policy spelling of an exact byte count (`500M` when it divides evenly).
  public static func policySpelling(_ bytes: Int64) -> String {
    for (unit, name) in [(Int64(1) << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")]
    where bytes >= unit && bytes % unit == 0 {
      return "\(bytes / unit)\(name)"
    }
    return "\(bytes)"
  }
}

/// How much of a filesystem must stay free: an absolute byte count or a percentage of its size.
public enum SpaceFloor: Sendable, Equatable, CustomStringConvertible {
  case bytes(Int64)
  /// Percent of the filesystem's total size, 0 < p < 100.
  case percent(Double)

  public static func parse(_ text: String) -> SpaceFloor? {
    let t = text.trimmingASCIIWhitespace()
    if t.hasSuffix("%") {
      guard let p = Double(t.dropLast()), p > 0, p < 100 else { return nil }
      return .percent(p)
    }
    return ByteCount.parse(t).map(SpaceFloor.bytes)
  }

  /// The floor in bytes for a filesystem of `totalBytes`.
  public func bytes(ofTotal totalBytes: Int64) -> Int64 {
    switch self {
    case .bytes(let n): return n
    case .percent(let p): return Int64((Double(totalBytes) * p / 100).rounded(.up))
    }
  }

  public var description: String {
    switch self {
    case .bytes(let n): return ByteCount.policySpelling(n)
    case .percent(let p): return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }
  }
}

extension String {
  func trimmingASCIIWhitespace() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
  }
}
