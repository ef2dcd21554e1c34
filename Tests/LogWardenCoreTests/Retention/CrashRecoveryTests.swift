import Foundation
import Testing
@testable import LogWardenCore

/// Stops a run at every crash point (the filesystem freezes there, as if the process got SIGKILL), starts a fresh
/// run, and checks that nothing was lost or duplicated and nothing was left behind.
@Suite struct CrashRecoveryTests {
  /// What a healthy directory looks like after recovery.
  private func expectClean(_ h: Harness, sourceLines: [String], live: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let lines = try h.allLines(live: live)
    #expect(lines.sorted() == sourceLines.sorted(), "lines lost or duplicated", sourceLocation: sourceLocation)
    #expect(Set(lines).count == lines.count, sourceLocation: sourceLocation)
    let transient = (Files.list(h.logs) + Files.list(h.archives)).filter { TransientName.isTransient($0) }
    #expect(transient.isEmpty, "left behind: \(transient)", sourceLocation: sourceLocation)
    let store = try h.store()
    #expect(try store.journal().isEmpty, sourceLocation: sourceLocation)
    let recorded = Set(try store.archives(setName: h.policy.sets[0].name).map(\.fileName))
    #expect(recorded == Set(h.archiveNames()), sourceLocation: sourceLocation)
  }

  @Test(arguments: [CrashPoint.archiveJournaled, .archiveWritten, .archivePublished, .archiveRecorded, .archiveSourceRemoved])
  func closedArchiving(_ point: CrashPoint) throws {
    let h = try Harness(sets: """
        smtp:
          directory: $LOGS
          glob: "RECV*.LOG"
          rotation:
            mode: closed
      """)
    Files.write(h.logs + "/RECV20250114-1.LOG", numberedLines(0..<50), modified: T0 - day)
    Files.write(h.logs + "/RECV20250115-1.LOG", numberedLines(50..<60), modified: T0 - 60)
    #expect(h.runCrashing(at: T0, point: point))
    let report = try h.run(at: T0 + 60)
    #expect(report.exitStatus == 0, "\(report.humanSummary())")
    #expect(h.archiveNames().count == 1)
    try expectClean(h, sourceLines: numberedLines(0..<60).split(separator: "\n").map(String.init),
      live: [h.logs + "/RECV20250114-1.LOG", h.logs + "/RECV20250115-1.LOG"])
    #expect(!Files.exists(h.logs + "/RECV20250114-1.LOG"))
  }

  @Test(arguments: [CrashPoint.renameRenamed, .renameNotified, .archiveJournaled, .archiveWritten, .archivePublished, .archiveRecorded, .archiveSourceRemoved])
  func renameRotation(_ point: CrashPoint) throws {
    let h = try Harness(sets: """
        dovecot:
          directory: $LOGS
          glob: "dovecot.log"
          rotation:
            mode: rename
            size: 1
            notify:
              command: "true"
      """)
    Files.write(h.logs + "/dovecot.log", numberedLines(0..<50))
    // The "writer" reopens on notify: later lines go to a new file.
    h.notifier.onNotify = { if !Files.exists(h.logs + "/dovecot.log") { Files.write(h.logs + "/dovecot.log", "") } }
    if point == .archiveJournaled {
      // archive.journaled is only reached by closed files; for rename the first journal write is before the rename.
      return
    }
    #expect(h.runCrashing(at: T0, point: point))
    Files.append(h.logs + "/dovecot.log", numberedLines(50..<55))
    let report = try h.run(at: T0 + 60)
    #expect(!report.sets[0].failed, "\(report.humanSummary())")
    try expectClean(h, sourceLines: numberedLines(0..<55).split(separator: "\n").map(String.init), live: [h.logs + "/dovecot.log"])
  }

  @Test(arguments: [CrashPoint.copyTruncateWritten, .copyTruncatePublished, .copyTruncateRemoved])
  func copyTruncateCollapse(_ point: CrashPoint) throws {
    let h = try Harness(sets: copytruncateSet())
    Files.write(h.logs + "/mail.log", numberedLines(0..<600))
    #expect(h.runCrashing(at: T0, point: point))
    Files.append(h.logs + "/mail.log", numberedLines(600..<700))
    let report = try h.run(at: T0 + 60)
    #expect(!report.sets[0].failed, "\(report.humanSummary())")
    try expectClean(h, sourceLines: numberedLines(0..<700).split(separator: "\n").map(String.init), live: [h.logs + "/mail.log"])
  }

  @Test(arguments: [CrashPoint.copyTruncateWritten, .copyTruncatePublished])
  func copyTruncateTruncate(_ point: CrashPoint) throws {
    let h = try Harness(sets: copytruncateSet(collapse: false))
    Files.write(h.logs + "/mail.log", numberedLines(0..<300))
    #expect(h.runCrashing(at: T0, point: point))
    Files.append(h.logs + "/mail.log", numberedLines(300..<310))
    let report = try h.run(at: T0 + 60)
    #expect(!report.sets[0].failed, "\(report.humanSummary())")
    try expectClean(h, sourceLines: numberedLines(0..<310).split(separator: "\n").map(String.init), live: [h.logs + "/mail.log"])
  }

  @Test(arguments: [CrashPoint.stageWritten, .stageReplaced])
  func stage(_ point: CrashPoint) throws {
    let h = try Harness(sets: """
        smtp:
          directory: $LOGS
          glob: "RECV*.LOG"
          rotation:
            mode: closed
          stages:
            - at: rotation
              profile: credentials
            - after: 7d
              profile: level4
      """)
    Files.write(h.logs + "/RECV20250114-1.LOG", "a PASS x\nBODY y\nz\n", modified: T0 - day)
    Files.write(h.logs + "/RECV20250115-1.LOG", "live\n", modified: T0 - 60)
    try h.run(at: T0)
    #expect(h.runCrashing(at: T0 + 8 * day, point: point))
    let report = try h.run(at: T0 + 8 * day + 60)
    #expect(!report.sets[0].failed)
    #expect(try Files.decompress(h.archives + "/" + h.archiveNames()[0]) == "a PASS ****\nz\n")
    #expect(try h.store().archives(setName: "smtp")[0].profileStrength == 2)
    #expect(Files.list(h.archives).count == 1)
    #expect(try h.store().journal().isEmpty)
    let rerun = try h.run(at: T0 + 9 * day)
    #expect(rerun.sets[0].actions.isEmpty)
  }

  @Test func deleteCrashForgetsTheVanishedArchive() throws {
    let h = try Harness(sets: """
        smtp:
          directory: $LOGS
          glob: "RECV*.LOG"
          rotation:
            mode: closed
          limits:
            max-age: 2d
      """)
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - day)
    Files.write(h.logs + "/RECV20250115-1.LOG", "live\n", modified: T0 - 60)
    try h.run(at: T0)
    #expect(h.runCrashing(at: T0 + 3 * day, point: .deleteRemoved))
    #expect(h.archiveNames().isEmpty)
    let report = try h.run(at: T0 + 3 * day)
    #expect(report.sets[0].warnings.contains { $0.contains("forgotten") })
    #expect(try h.store().archives(setName: "smtp").isEmpty)
  }

  @Test func orphanedTemporaryFilesAreRemovedAndNeverBlock() throws {
    let h = try Harness(sets: """
        smtp:
          directory: $LOGS
          glob: "RECV*.LOG"
          rotation:
            mode: closed
      """)
    _ = h.root.sub("logs/archive")
    let leftover = h.archives + "/.RECV20250114-1-20250114T120000Z.LOG.gz.logwarden-tmp-1-2"
    Files.write(leftover, "half an archive")
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - day)
    Files.write(h.logs + "/RECV20250115-1.LOG", "live\n", modified: T0 - 60)
    let report = try h.run(at: T0)
    #expect(!Files.exists(leftover))
    #expect(report.sets[0].actions.map(\.kind) == ["cleanup", "archive"])
    #expect(h.archiveNames() == ["RECV20250114-1-20250114T120000Z.LOG.gz"])
  }

  /// A renamed live file with no journal entry (e.g. the state database was lost) is still archived.
  @Test func orphanedRotationIsArchived() throws {
    let h = try Harness(sets: """
        dovecot:
          directory: $LOGS
          glob: "dovecot.log"
          rotation:
            mode: rename
            size: 1G
            notify: none
      """)
    Files.write(h.logs + "/.dovecot.log.logwarden-rotated-20250115T110000Z", "old line\n")
    Files.write(h.logs + "/dovecot.log", "new line\n")
    let report = try h.run(at: T0)
    #expect(report.sets[0].actions.first?.kind == "recover")
    #expect(h.archiveNames() == ["dovecot-20250115T110000Z.log.gz"])
    #expect(try Files.decompress(h.archives + "/dovecot-20250115T110000Z.log.gz") == "old line\n")
  }

  @Test func corruptStateDatabaseIsMovedAsideAndTheRunGoesOn() throws {
    let h = try Harness(sets: """
        smtp:
          directory: $LOGS
          glob: "RECV*.LOG"
          rotation:
            mode: closed
      """)
    _ = h.root.sub("state")
    Files.write(h.state + "/state.sqlite", String(repeating: "garbage ", count: 1000))
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - day)
    Files.write(h.logs + "/RECV20250115-1.LOG", "live\n", modified: T0 - 60)
    let report = try h.run(at: T0)
    #expect(report.warnings.contains { $0.contains("state database was unreadable") })
    #expect(h.archiveNames().count == 1)
    #expect(Files.list(h.state).contains { $0.hasPrefix("state.sqlite.corrupt-") })
  }
}

@Suite struct DiskFullTests {
  /// ENOSPC while writing an archive: the source is kept, the partial output removed, the error is clear, and the
  /// other sets still run.
  @Test func enospcKeepsTheSourceAndOtherSetsRun() throws {
    let h = try Harness(sets: """
        a:
          directory: $LOGS
          glob: "A*.LOG"
          rotation:
            mode: closed
          archive:
            directory: $ROOT/full
        b:
          directory: $LOGS
          glob: "B*.LOG"
          rotation:
            mode: closed
      """)
    Files.write(h.logs + "/A20250114-1.LOG", numberedLines(0..<10_000), modified: T0 - day)
    Files.write(h.logs + "/A20250115-1.LOG", "live\n", modified: T0 - 60)
    Files.write(h.logs + "/B20250114-1.LOG", "b\n", modified: T0 - day)
    Files.write(h.logs + "/B20250115-1.LOG", "live\n", modified: T0 - 60)
    h.fileSystem.writeBudget = 1000
    h.fileSystem.budgetApplies = { $0.hasPrefix(h.root.path + "/full/") }
    let report = try h.run(at: T0)
    #expect(report.exitStatus == ExitStatus.partialFailure)
    let failure = try #require(report.sets[0].actions.first)
    #expect(failure.outcome == .failed)
    #expect(failure.error?.contains("No space left on device") == true)
    #expect(Files.read(h.logs + "/A20250114-1.LOG") == numberedLines(0..<10_000))
    #expect(Files.list(h.root.path + "/full").isEmpty)
    #expect(try h.store().journal().isEmpty)
    #expect(report.sets[1].actions.first?.outcome == .done)
    #expect(report.humanSummary().contains("a: FAILED archive"))
    // Space comes back: the next run finishes.
    h.fileSystem.writeBudget = nil
    let retry = try h.run(at: T0 + 60)
    #expect(retry.exitStatus == 0)
  }
}
