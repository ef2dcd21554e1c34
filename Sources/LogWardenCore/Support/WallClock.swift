import Foundation

/// The source of "now" for a run. Injected so that tests and `--now` replays never read the real clock.
public protocol WallClock: Sendable {
  /// The current instant.
  func now() -> Date
}

/// Reads the system's real-time clock.
public struct SystemWallClock: WallClock {
  public init() {}
  public func now() -> Date { Date() }
}

/// Always returns the same instant (tests, `--now`).
public struct FixedWallClock: WallClock {
  public var instant: Date
  public init(_ instant: Date) { self.instant = instant }
  public func now() -> Date { instant }
}

/// UTC timestamps as written into archive names: `yyyyMMdd'T'HHmmss'Z'`.
public enum UTCStamp {
  /// Formats whole seconds since the epoch as `20250131T235959Z`.
  public static func format(epochSeconds: Int64) -> String {
    var t = time_t(epochSeconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let year = Int(parts.tm_year) + 1900
    var y = String(year)
    while y.count < 4 { y = "0" + y }
    return y + two(parts.tm_mon + 1) + two(parts.tm_mday) + "T" + two(parts.tm_hour) + two(parts.tm_min)
      + two(parts.tm_sec) + "Z"
  }

  /// Parses `20250131T235959Z` back to seconds since the epoch; nil if the text is not exactly that shape or not a real time.
  public static func parse(_ text: Substring) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for i in range {
        let b = bytes[i]
        guard b >= 0x30, b <= 0x39 else { return nil }
        value = value * 10 + Int(b - 0x30)
      }
      return value
    }
    guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
      let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
    else { return nil }
    guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    let seconds = Int64(timegm(&parts))
    // Reject days that timegm normalised (e.g. 20250231).
    guard format(epochSeconds: seconds) == String(text) else { return nil }
    return seconds
  }

  /// Parses an ISO 8601 time as given to `--now`: `2025-01-31T23:59:59Z`, with an offset (`+01:00`), or a bare date
  /// (`2025-01-31`, midnight UTC). Returns nil when the text is not one of these shapes.
  public static func parseISO8601(_ text: String) -> Date? {
    let formats = ["yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd"]
    for format in formats {
      let formatter = DateFormatter()
      formatter.locale = Locale(identifier: "en_US_POSIX")
      formatter.timeZone = TimeZone(identifier: "UTC")
      formatter.dateFormat = format
      if let date = formatter.date(from: text) { return date }
    }
    if let seconds = parse(Substring(text)) { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
    return nil
  }

  /// `2025-01-31T23:59:59Z`, for reports.
  public static func iso8601(epochSeconds: Int64) -> String {
    let s = format(epochSeconds: epochSeconds)
    let c = Array(s)
    return "\(String(c[0..<4]))-\(String(c[4..<6]))-\(String(c[6..<8]))T\(String(c[9..<11])):\(String(c[11..<13])):\(String(c[13..<15]))Z"
  }
}

extension Date {
  /// Whole seconds since the epoch, rounded down.
  public var epochSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
}
