import Foundation

/// Calendar periods for scheduled rotation, computed on absolute instants in the set's time zone, so that DST changes
/// neither skip nor repeat a period: a daily schedule rotates once per local calendar day whether it has 23, 24 or 25
/// hours, and the repeated hour at the end of summer time is two distinct hourly periods.
enum RotationCalendar {
  static func calendar(timeZone: String) -> Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
    calendar.firstWeekday = 2  // ISO weeks start on Monday
    calendar.minimumDaysInFirstWeek = 4
    return calendar
  }

  /// The start of the period containing `instant`.
  static func periodStart(_ schedule: RotationSchedule, containing instant: Int64, timeZone: String) -> Int64 {
    let calendar = calendar(timeZone: timeZone)
    let date = Date(timeIntervalSince1970: TimeInterval(instant))
    let component: Calendar.Component
    switch schedule {
    case .hourly: component = .hour
    case .daily: component = .day
    case .weekly: component = .weekOfYear
    }
    guard let interval = calendar.dateInterval(of: component, for: date) else { return instant }
    return interval.start.epochSeconds
  }

  /// The start of the next period after the one containing `instant`.
  static func nextPeriodStart(_ schedule: RotationSchedule, after instant: Int64, timeZone: String) -> Int64 {
    let calendar = calendar(timeZone: timeZone)
    let date = Date(timeIntervalSince1970: TimeInterval(instant))
    let component: Calendar.Component
    switch schedule {
    case .hourly: component = .hour
    case .daily: component = .day
    case .weekly: component = .weekOfYear
    }
    guard let interval = calendar.dateInterval(of: component, for: date) else { return instant + 3600 }
    return interval.end.epochSeconds
  }

  /// Whether `now` is in a later period than `last`.
  static func isDue(_ schedule: RotationSchedule, last: Int64, now: Int64, timeZone: String) -> Bool {
    periodStart(schedule, containing: now, timeZone: timeZone) > periodStart(schedule, containing: last, timeZone: timeZone)
  }
}
