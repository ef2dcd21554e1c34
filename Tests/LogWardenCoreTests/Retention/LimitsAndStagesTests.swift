import Foundation
import Testing
@testable import LogWardenCore

private func closed(limits: String = "", stages: String = "") -> String {
  var text = """
      smtp:
        directory: $LOGS
        glob: "RECV*.LOG"
        rotation:
          mode: closed
          quiet: 1h
    """
  if !stages.isEmpty { text += "\n    stages:\n" + stages }
  if !limits.isEmpty { text += "\n    limits:\n" + limits }
  return text
}

/// Closed files RECV2025011<n>-1.LOG with the given ages (seconds before `now`), plus a newest live file.
private func makeClosedFiles(_ h: Harness, ages: [Int64], now: Int64) {
  for (i, age) in ages.enumerated() {
    Files.write(h.logs + "/RECV2025010\(i + 1)-1.LOG", "file \(i) PASS s\(i)\nBODY text \(i)\nalice was here\n", modified: now - age)
  }
  Files.write(h.logs + "/RECV20250201-1.LOG", "live\n", modified: now - 60)
}

@Suite struct LimitsTests {
  /// logrotate 85 pins integer-day rounding; ours is exact seconds: deleted when age > max-age.
  @Test func maxAgeBoundaries() throws {
    let h = try Harness(sets: closed(limits: "      max-age: 2d"))
    makeClosedFiles(h, ages: [3 * day, 2 * day, 2 * day - 1], now: T0)
    let report = try h.run(at: T0)
    #expect(h.archiveNames().count == 2)
    let deleted = report.sets[0].actions.filter { $0.kind == "delete" }
    #expect(deleted.count == 1)
    #expect(deleted.first?.reason == "max-age: age 3d > 2d")
    try h.run(at: T0 + 1)
    #expect(h.archiveNames().count == 1)  // the one exactly 2d old at T0 is now 2d+1s
    try h.run(at: T0 + 1)
    #expect(h.archiveNames().count == 1)
    try h.run(at: T0 + 2)
    #expect(h.archiveNames().isEmpty)
    #expect(try h.store().archives(setName: "smtp").isEmpty)
  }

  @Test func maxCountKeepsTheNewest() throws {
    let h = try Harness(sets: closed(limits: "      max-count: 2"))
    makeClosedFiles(h, ages: [5 * day, 4 * day, 3 * day], now: T0)
    try h.run(at: T0)
    #expect(h.archiveNames().map { String($0.prefix(14)) } == ["RECV20250102-1", "RECV20250103-1"])
  }

  @Test func maxSizeDeletesOldestUntilTheTotalFits() throws {
    let h = try Harness(sets: closed())
    makeClosedFiles(h, ages: [5 * day, 4 * day, 3 * day], now: T0)
    try h.run(at: T0)
    let sizes = h.archiveNames().map { name -> Int64 in
      var st = stat()
      stat(h.archives + "/" + name, &st)
      return Int64(st.st_size)
    }
    try h.configure(sets: closed(limits: "      max-size: \(sizes[1] + sizes[2])"))
    let report = try h.run(at: T0 + 60)
    #expect(h.archiveNames().count == 2)
    #expect(report.sets[0].actions.map(\.kind) == ["delete"])
    #expect(report.humanSummary().contains("deleted 1 archive"))
  }

  @Test func keepFreeDeletesOldestAndReportsWhenItCannot() throws {
    let h = try Harness(sets: closed(limits: "      keep-free: 10%"))
    makeClosedFiles(h, ages: [5 * day, 4 * day, 3 * day], now: T0)
    try h.run(at: T0)
    #expect(h.archiveNames().count == 3)
    // A filesystem of 10_000 bytes where 10% must stay free, with 10 bytes too few free: deleting the oldest archive
    // is enough. Free space grows as archives are deleted.
    func archiveBytes() -> Int64 {
      h.archiveNames().reduce(0) { total, name in
        var st = stat()
        stat(h.archives + "/" + name, &st)
        return total + Int64(st.st_size)
      }
    }
    let initial = archiveBytes()
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: 10_000, availableBytes: 990 + initial - archiveBytes()) }
    let report = try h.run(at: T0 + 60)
    #expect(report.sets[0].actions.filter { $0.kind == "delete" }.count == 1)
    #expect(h.archiveNames().count == 2)
    // Nothing this set may delete can make 5000 bytes free: say so, exit 1.
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: 10_000, availableBytes: 10) }
    try h.configure(sets: closed(limits: "      keep-free: 50%"))
    let starved = try h.run(at: T0 + 120)
    #expect(h.archiveNames().isEmpty)
    #expect(starved.exitStatus == ExitStatus.partialFailure)
    #expect(starved.sets[0].errors.contains { $0.contains("cannot satisfy keep-free 50%") })
    #expect(Files.read(h.logs + "/RECV20250201-1.LOG") == "live\n")  // never the live log
  }

  /// Retention deletes only files it can prove it made: recorded for the set AND the name parses.
  @Test func foreignFilesWithOurNamingAreNeverDeleted() throws {
    let h = try Harness(sets: closed(limits: "      max-age: 1d\n      max-count: 1"))
    _ = h.root.sub("logs/archive")
    let foreign = h.archives + "/RECV20240101-1-20240101T000000Z.LOG.gz"
    Files.write(foreign, "someone else's")
    Files.write(h.archives + "/notes.txt", "keep me")
    makeClosedFiles(h, ages: [3 * day, 2 * day], now: T0)
    try h.run(at: T0 + 10 * day)
    #expect(Files.read(foreign) == "someone else's")
    #expect(Files.read(h.archives + "/notes.txt") == "keep me")
    let status = try h.engine().status(now: Date(timeIntervalSince1970: TimeInterval(T0 + 10 * day)))
    #expect(status.sets[0].unmanagedFiles == 1)
    #expect(status.render().contains("1 archive-like file(s) not made by this set (never deleted)"))
  }

  @Test func spaceShortRunsDeletionsFirst() throws {
    let h = try Harness(sets: closed(limits: "      max-age: 4d\n      keep-free: 1000"))
    makeClosedFiles(h, ages: [3 * day], now: T0 - 2 * day)
    try h.run(at: T0 - 2 * day)  // one archive, 3d old at T0
    makeClosedFiles(h, ages: [day, day], now: T0)
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: 100_000, availableBytes: 500) }
    let plan = try h.plan(at: T0)
    #expect(plan.sets[0].plan?.limitsFirst == true)
    #expect(plan.sets[0].plan?.actions.first?.kind == .delete)
    #expect(plan.render().contains("(space is short: deletions run first)"))
  }
}

@Suite struct StageTests {
  private let stages = """
          - at: rotation
            profile: credentials
          - after: 7d
            profile: level4
          - after: 30d
            profile: vendor
          - after: 180d
            delete: true
    """

  @Test func stagesRunOnceEachAtTheirAge() throws {
    let h = try Harness(sets: closed(stages: stages), extra: "key-file: /etc/logwarden/key")
    makeClosedFiles(h, ages: [2 * hour], now: T0)
    try h.run(at: T0)
    let archive = h.archives + "/" + h.archiveNames()[0]
    let stamp = T0 - 2 * hour
    #expect(try Files.decompress(archive) == "file 0 PASS ****\nBODY text 0\nalice was here\n")

    let early = try h.run(at: stamp + 7 * day - 1)
    #expect(early.sets[0].actions.isEmpty)
    let week = try h.run(at: stamp + 7 * day)
    #expect(week.sets[0].actions.map(\.kind) == ["stage"])
    #expect(week.sets[0].actions[0].profile == "level4")
    #expect(try Files.decompress(archive) == "file 0 PASS ****\nalice was here\n")
    #expect(try h.store().archives(setName: "smtp")[0].profileStrength == 2)
    #expect(Files.list(h.archives).count == 1)  // replaced in place, no leftovers

    let rerun = try h.run(at: stamp + 8 * day)
    #expect(rerun.sets[0].actions.isEmpty)  // recorded: never redone
    let month = try h.run(at: stamp + 30 * day)
    #expect(month.sets[0].actions.map(\.profile) == ["vendor"])
    #expect(try Files.decompress(archive) == "file 0 PASS ****\nuser-7f3a was here\n")
    let old = try h.run(at: stamp + 180 * day + 1)
    #expect(old.sets[0].actions.map(\.kind) == ["delete"])
    #expect(h.archiveNames().isEmpty)
  }

  @Test func anOverdueArchiveJumpsStraightToItsStrongestStage() throws {
    let h = try Harness(sets: closed(stages: stages), extra: "key-file: /etc/logwarden/key")
    makeClosedFiles(h, ages: [2 * hour], now: T0)
    try h.run(at: T0)
    let report = try h.run(at: T0 + 40 * day)
    #expect(report.sets[0].actions.count == 1)
    #expect(report.sets[0].actions[0].profile == "vendor")
    #expect(h.filter.calls.map(\.profile) == [.credentials, .vendor])
  }

  @Test func aFailedStageLeavesTheArchiveUnchanged() throws {
    let h = try Harness(sets: closed(stages: stages), extra: "key-file: /etc/logwarden/key")
    makeClosedFiles(h, ages: [2 * hour], now: T0)
    try h.run(at: T0)
    let archive = h.archives + "/" + h.archiveNames()[0]
    let before = Files.read(archive)
    h.filter.failWith = .badInput(path: archive, reason: "cannot parse")
    let report = try h.run(at: T0 + 8 * day)
    #expect(report.exitStatus == ExitStatus.partialFailure)
    #expect(Files.read(archive) == before)
    #expect(Files.list(h.archives).count == 1)
    #expect(try h.store().journal().isEmpty)
  }
}
