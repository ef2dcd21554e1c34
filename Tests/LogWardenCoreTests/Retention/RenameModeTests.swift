import Foundation
import Testing
@testable import LogWardenCore

private func renameSet(_ extra: String = "") -> String {
  """
    dovecot:
      directory: $LOGS
      glob: "dovecot.log"
      rotation:
        mode: rename
        size: 10
        schedule: daily
        notify:
          command: "true"
  \(extra)
      stages:
        - at: rotation
          profile: credentials
  """
}

@Suite struct RenameModeTests {
  @Test func rotatesBySizeNotifiesOnceAndArchivesAfterRelease() throws {
    let h = try Harness(sets: renameSet("      create: true"))
    Files.write(h.logs + "/dovecot.log", "login PASS secret\nline 2\n", mode: 0o640)
    let report = try h.run(at: T0)
    #expect(report.exitStatus == 0)
    #expect(h.notifier.calls == 1)
    #expect(h.archiveNames() == ["dovecot-20250115T120000Z.log.gz"])
    #expect(try Files.decompress(h.archives + "/dovecot-20250115T120000Z.log.gz") == "login PASS ****\nline 2\n")
    #expect(Files.read(h.logs + "/dovecot.log") == "")  // created anew (create: true)
    #expect(Files.mode(h.logs + "/dovecot.log") == 0o640)
    #expect(Files.list(h.logs).filter { $0.hasPrefix(".") }.isEmpty)  // no staged file left
    #expect(report.sets[0].actions.first?.kind == "rotate")
    #expect(try h.store().source(setName: "dovecot", path: h.logs + "/dovecot.log")?.lastRotated == T0)
  }

  @Test func smallFilesWaitForTheScheduleAndEmptyFilesAreSkipped() throws {
    let h = try Harness(sets: renameSet())
    Files.write(h.logs + "/dovecot.log", "short\n")  // 6 bytes < 10
    try h.run(at: T0)  // first sighting: schedule counts from now
    #expect(h.archiveNames().isEmpty)
    try h.run(at: T0 + 6 * hour)  // same day
    #expect(h.archiveNames().isEmpty)
    try h.run(at: T0 + 12 * hour + 1)  // next UTC day
    #expect(h.archiveNames() == ["dovecot-20250116T000001Z.log.gz"])
    Files.write(h.logs + "/dovecot.log", "")
    try h.run(at: T0 + 3 * day)
    #expect(h.archiveNames().count == 1)  // if-empty: false
  }

  /// newsyslog: never compress a file the writer was not told to release; logrotate 109: history is kept.
  @Test func failedNotifyKeepsTheRenamedFileAndTheNextRunFinishes() throws {
    let h = try Harness(sets: renameSet())
    Files.write(h.logs + "/dovecot.log", "one PASS x\ntwo\n")
    h.notifier.outcome = .failed("the notify command exited with status 1")
    let first = try h.run(at: T0)
    #expect(first.exitStatus == ExitStatus.partialFailure)
    #expect(h.archiveNames().isEmpty)
    let staged = Files.list(h.logs).filter { $0.hasPrefix(".dovecot.log.logwarden-rotated-") }
    #expect(staged.count == 1)
    #expect(first.humanSummary().contains("FAILED rotate"))
    #expect(first.humanSummary().contains("not notified"))
    Files.write(h.logs + "/dovecot.log", "three\n")  // the writer went on in a new file

    h.notifier.outcome = .notified
    let second = try h.run(at: T0 + hour)
    #expect(second.exitStatus == 0)
    #expect(h.archiveNames() == ["dovecot-20250115T120000Z.log.gz"])
    #expect(try Files.decompress(h.archives + "/" + h.archiveNames()[0]) == "one PASS ****\ntwo\n")
    #expect(Files.read(h.logs + "/dovecot.log") == "three\n")
    #expect(Files.list(h.logs).filter { $0.hasPrefix(".") }.isEmpty)
  }

  @Test func aWriterThatKeepsTheFileOpenDelaysArchiving() throws {
    let h = try Harness(sets: renameSet())
    Files.write(h.logs + "/dovecot.log", "0123456789abc\n")
    h.probe.hold(h.logs + "/dovecot.log")  // the writer never lets go
    let report = try h.run(at: T0)
    #expect(h.archiveNames().isEmpty)
    #expect(report.sets[0].warnings.contains { $0.contains("still open by the writer") })
    h.probe.open = []
    try h.run(at: T0 + hour)
    #expect(h.archiveNames().count == 1)
  }

  /// logrotate #215 is the complaint; our first sighting starts the age clock, size still rotates at once.
  @Test func ageTriggerCountsFromFirstSightingThenLastRotation() throws {
    let h = try Harness(sets: """
        dovecot:
          directory: $LOGS
          glob: "*.log"
          rotation:
            mode: rename
            age: 2d
            notify: none
      """)
    Files.write(h.logs + "/a.log", "a\n")
    try h.run(at: T0)
    try h.run(at: T0 + 2 * day - 1)
    #expect(h.archiveNames().isEmpty)
    try h.run(at: T0 + 2 * day)
    #expect(h.archiveNames() == ["a-20250117T120000Z.log.gz"])
  }

  @Test func dryRunPrintsThePlanAndChangesNothing() throws {
    let h = try Harness(sets: renameSet())
    Files.write(h.logs + "/dovecot.log", "0123456789abcdef\n")
    let plan = try h.plan(at: T0)
    let text = plan.render()
    #expect(text.contains("rotate   \(h.logs)/dovecot.log (17 B) -> \(h.archives)/dovecot-20250115T120000Z.log.gz"))
    #expect(text.contains("size 17 B >= 10"))
    #expect(text.contains("total: rotate 1 (17 B)"))
    #expect(!Files.exists(h.state))
    #expect(!Files.exists(h.archives))
    #expect(h.notifier.calls == 0)
    let json = plan.asReport()
    #expect(json.dryRun)
    #expect(json.sets[0].actions.first?.outcome == .planned)
    try h.run(at: T0)
    #expect(h.archiveNames() == ["dovecot-20250115T120000Z.log.gz"])
  }

  @Test func lockContentionReportsBusy() throws {
    let h = try Harness(sets: renameSet())
    _ = h.root.sub("state")
    guard case .acquired(let held) = try StateLock.acquire(stateDirectory: h.state, waitSeconds: 0) else {
      Issue.record("could not take the lock")
      return
    }
    defer { held.release() }
    let outcome = try h.engine().run(now: Date(timeIntervalSince1970: TimeInterval(T0)))
    guard case .lockBusy(let path) = outcome else {
      Issue.record("expected lock busy")
      return
    }
    #expect(path == h.state + "/lock")
  }

  /// logrotate 93: `--wait` serializes runs. The injected sleep releases the other holder on the first pause.
  @Test func waitingForTheLockSucceedsOnceItIsReleased() throws {
    let h = try Harness(sets: renameSet())
    _ = h.root.sub("state")
    guard case .acquired(let held) = try StateLock.acquire(stateDirectory: h.state, waitSeconds: 0) else {
      Issue.record("could not take the lock")
      return
    }
    var pauses = 0
    var environment = h.engine().environment
    environment.sleep = { _ in
      pauses += 1
      held.release()
    }
    let engine = RetentionEngine(policy: h.policy, environment: environment)
    guard case .completed = try engine.run(now: Date(timeIntervalSince1970: TimeInterval(T0)), waitSeconds: 30) else {
      Issue.record("expected the run to get the lock after waiting")
      return
    }
    #expect(pauses == 1)
  }

  @Test func archivesKeepTheSourceOwner() throws {
    guard getuid() == 0 else { return }  // only root can give files away
    let h = try Harness(sets: renameSet())
    Files.write(h.logs + "/dovecot.log", "owned by someone else\n", mode: 0o640)
    chown(h.logs + "/dovecot.log", 4321, 8765)
    try h.run(at: T0)
    var st = stat()
    stat(h.archives + "/" + h.archiveNames()[0], &st)
    #expect(st.st_uid == 4321)
    #expect(st.st_gid == 8765)
    #expect(st.st_mode & 0o777 == 0o640)
  }
}

@Suite struct ScheduleTests {
  /// DST: a daily schedule in Europe/Berlin rotates once per local day on the 23-hour and 25-hour days.
  @Test func dailyInBerlinAcrossDSTChanges() {
    let tz = "Europe/Berlin"
    // 2025-03-30 is 23 hours long in Berlin (clocks go 02:00 -> 03:00).
    let startSpring = RotationCalendar.periodStart(.daily, containing: 1_743_300_000, timeZone: tz)  // 2025-03-30T02:00Z
    #expect(startSpring == 1_743_289_200)  // 2025-03-29T23:00Z = 00:00 CET
    let nextSpring = RotationCalendar.nextPeriodStart(.daily, after: 1_743_300_000, timeZone: tz)
    let springMidnight: Int64 = 1_743_289_200
    #expect(nextSpring == springMidnight + 23 * hour)
    // 2025-10-26 is 25 hours long.
    let autumnMidnight: Int64 = 1_761_429_600  // 2025-10-25T22:00Z = 00:00 CEST
    let startAutumn = RotationCalendar.periodStart(.daily, containing: 1_761_480_000, timeZone: tz)  // 2025-10-26T12:00Z
    #expect(startAutumn == autumnMidnight)
    let nextAutumn = RotationCalendar.nextPeriodStart(.daily, after: 1_761_480_000, timeZone: tz)
    #expect(nextAutumn == autumnMidnight + 25 * hour)
    let dueAfter24h = RotationCalendar.isDue(.daily, last: autumnMidnight + 1, now: autumnMidnight + 24 * hour + 1, timeZone: tz)
    let dueAfter25h = RotationCalendar.isDue(.daily, last: autumnMidnight + 1, now: autumnMidnight + 25 * hour, timeZone: tz)
    #expect(!dueAfter24h)
    #expect(dueAfter25h)
  }

  /// The repeated hour at the end of summer time is two hourly periods, not one.
  @Test func hourlyDuringTheRepeatedHour() {
    let tz = "Europe/Berlin"
    let first = Int64(1_761_440_400)  // 2025-10-26T01:00Z = 02:00 CET... first 02:00 is CEST at 00:00Z
    let dueAtNextHour = RotationCalendar.isDue(.hourly, last: first - hour, now: first, timeZone: tz)
    let dueWithinHour = RotationCalendar.isDue(.hourly, last: first, now: first + hour - 1, timeZone: tz)
    #expect(dueAtNextHour)
    #expect(!dueWithinHour)
  }

  @Test func weeklyStartsOnMonday() {
    // 2025-01-15 is a Wednesday; its ISO week starts on Monday 2025-01-13.
    #expect(RotationCalendar.periodStart(.weekly, containing: T0, timeZone: "UTC") == 1_736_726_400)
  }
}
