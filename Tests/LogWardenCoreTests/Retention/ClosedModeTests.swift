import Foundation
import Testing
@testable import LogWardenCore

private let closedSet = """
    smtp:
      directory: $LOGS
      glob: "RECV*.LOG"
      rotation:
        mode: closed
        quiet: 1h
      stages:
        - at: rotation
          profile: credentials
  """

@Suite struct ClosedModeTests {
  /// logrotate scenario 1 (first run, idempotent rerun), adapted: closed files are archived on the first run.
  @Test func firstRunArchivesClosedFilesAndRerunIsIdempotent() throws {
    let h = try Harness(sets: closedSet)
    Files.write(h.logs + "/RECV20250114-1.LOG", "a PASS hunter2\nb\n", modified: T0 - 30 * hour)
    Files.write(h.logs + "/RECV20250114-2.LOG", "c\n", modified: T0 - 20 * hour)
    Files.write(h.logs + "/RECV20250115-1.LOG", "d\n", modified: T0 - 2 * hour)  // newest of the series: live

    let report = try h.run(at: T0)
    #expect(report.exitStatus == 0)
    let names = h.archiveNames()
    #expect(names == ["RECV20250114-1-20250114T060000Z.LOG.gz", "RECV20250114-2-20250114T160000Z.LOG.gz"])
    #expect(try Files.decompress(h.archives + "/" + names[0]) == "a PASS ****\nb\n")
    #expect(!Files.exists(h.logs + "/RECV20250114-1.LOG"))
    #expect(!Files.exists(h.logs + "/RECV20250114-2.LOG"))
    #expect(Files.read(h.logs + "/RECV20250115-1.LOG") == "d\n")
    #expect(report.sets[0].actions.map(\.kind) == ["archive", "archive"])
    #expect(report.sets[0].actions.allSatisfy { $0.outcome == .done })

    let records = try h.store().archives(setName: "smtp")
    #expect(records.count == 2)
    #expect(records[0].profileStrength == SanitizeProfile.credentials.strength)
    #expect(records[0].contentBytes == 14)

    let again = try h.run(at: T0 + 60)
    #expect(again.sets[0].actions.isEmpty)
    #expect(!again.isNoteworthy)
    #expect(h.archiveNames() == names)
  }

  @Test func quietPeriodAndNewestAreRespected() throws {
    let h = try Harness(sets: closedSet)
    Files.write(h.logs + "/RECV20250115-1.LOG", "x\n", modified: T0 - 30 * 60)  // quiet only 30 min
    Files.write(h.logs + "/RECV20250115-2.LOG", "y\n", modified: T0 - 60)
    try h.run(at: T0)
    #expect(h.archiveNames().isEmpty)
    try h.run(at: T0 + hour)
    #expect(h.archiveNames() == ["RECV20250115-1-20250115T113000Z.LOG.gz"])
  }

  @Test func seriesOrderIsNumericNotLexical() {
    func file(_ name: String) -> LiveFile {
      LiveFile(path: "/x/" + name, name: name, status: FileStatus(inode: 1, mode: 0o100644, size: 1, modified: 0))
    }
    let groups = FileSeries.group([file("L0000010.log"), file("L0000009.log"), file("RECV20250101-10.LOG"), file("RECV20250101-9.LOG"), file("RECV20250102-1.LOG")])
    #expect(groups.map { $0.map(\.name) } == [
      ["L0000009.log", "L0000010.log"], ["RECV20250101-9.LOG", "RECV20250101-10.LOG", "RECV20250102-1.LOG"],
    ])
  }

  @Test func filesStillOpenAreNotArchived() throws {
    let h = try Harness(sets: closedSet)
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - 30 * hour)
    Files.write(h.logs + "/RECV20250115-1.LOG", "b\n", modified: T0 - 2 * hour)
    h.probe.hold(h.logs + "/RECV20250114-1.LOG")
    let report = try h.run(at: T0)
    #expect(h.archiveNames().isEmpty)
    #expect(report.sets[0].warnings.contains { $0.contains("still open by a process") })
  }

  @Test func archivesKeepOwnerModeAndModificationTime() throws {
    let h = try Harness(sets: closedSet)
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - 30 * hour, mode: 0o600)
    Files.write(h.logs + "/RECV20250115-1.LOG", "b\n", modified: T0 - 2 * hour)
    try h.run(at: T0)
    let archive = h.archives + "/" + h.archiveNames()[0]
    #expect(Files.mode(archive) == 0o600)
    var st = stat()
    stat(archive, &st)
    #expect(Int64(st.st_mtim.tv_sec) == T0 - 30 * hour)
    #expect(Files.mode(h.archives) == 0o750)
  }

  /// logrotate 30/72: an archive name that exists is never overwritten; the new one gets a `-1` suffix.
  @Test func existingArchiveIsNeverOverwritten() throws {
    let h = try Harness(sets: closedSet)
    _ = h.root.sub("logs/archive")
    Files.write(h.archives + "/RECV20250114-1-20250114T060000Z.LOG.gz", "not ours")
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - 30 * hour)
    Files.write(h.logs + "/RECV20250115-1.LOG", "b\n", modified: T0 - 2 * hour)
    try h.run(at: T0)
    #expect(Files.read(h.archives + "/RECV20250114-1-20250114T060000Z.LOG.gz") == "not ours")
    #expect(try Files.decompress(h.archives + "/RECV20250114-1-20250114T060000Z-1.LOG.gz") == "a\n")
  }

  /// logrotate 23/24/90/112: symlinks, hard links and FIFOs are refused, and a FIFO does not hang the run.
  @Test func symlinksHardLinksAndFIFOsAreRefused() throws {
    let h = try Harness(sets: closedSet)
    let outside = h.root.sub("outside") + "/secret.LOG"
    Files.write(outside, "outside\n", modified: T0 - 30 * hour)
    symlink(outside, h.logs + "/RECV20250101-1.LOG")
    Files.write(h.logs + "/RECV20250102-1.LOG", "hard\n", modified: T0 - 30 * hour)
    link(h.logs + "/RECV20250102-1.LOG", h.root.sub("outside") + "/hardlink")
    mkfifo(h.logs + "/RECV20250103-1.LOG", 0o600)
    Files.write(h.logs + "/RECV20250115-1.LOG", "b\n", modified: T0 - 2 * hour)
    let report = try h.run(at: T0)
    #expect(h.archiveNames().isEmpty)
    #expect(Files.read(outside) == "outside\n")
    let warnings = report.sets[0].warnings.joined(separator: "\n")
    #expect(warnings.contains("RECV20250101-1.LOG: symbolic link; not rotated"))
    #expect(warnings.contains("RECV20250102-1.LOG: hard link (2 names); not rotated"))
    #expect(warnings.contains("RECV20250103-1.LOG: FIFO; not rotated"))
  }

  /// logrotate 21/22: a glob matching nothing is quiet; a missing directory is an error.
  @Test func missingFilesAndDirectories() throws {
    let h = try Harness(sets: closedSet)
    let quiet = try h.run(at: T0)
    #expect(!quiet.isNoteworthy)
    #expect(quiet.exitStatus == 0)
    try FileManager.default.removeItem(atPath: h.logs)
    let missing = try h.run(at: T0)
    #expect(missing.exitStatus == ExitStatus.partialFailure)
    #expect(missing.sets[0].errors.first?.contains("No such file or directory") == true)
  }

  @Test func sanitizerFailureKeepsTheSourceAndLeavesNoTemporaryFile() throws {
    let h = try Harness(sets: closedSet)
    Files.write(h.logs + "/RECV20250114-1.LOG", "a\n", modified: T0 - 30 * hour)
    Files.write(h.logs + "/RECV20250115-1.LOG", "b\n", modified: T0 - 2 * hour)
    h.filter.failWith = .badInput(path: "x", reason: "format not recognised")
    let report = try h.run(at: T0)
    #expect(report.exitStatus == ExitStatus.partialFailure)
    #expect(Files.read(h.logs + "/RECV20250114-1.LOG") == "a\n")
    #expect(Files.list(h.archives).isEmpty)
    #expect(try h.store().journal().isEmpty)
    h.filter.failWith = nil
    try h.run(at: T0 + 60)
    #expect(h.archiveNames().count == 1)
  }

  @Test func zstdAndUncompressedArchives() throws {
    for (compression, ext) in [("zstd", ".zst"), ("none", "")] {
      let h = try Harness(sets: closedSet + "\n    archive:\n      compression: \(compression)")
      Files.write(h.logs + "/RECV20250114-1.LOG", "a PASS x\n", modified: T0 - 30 * hour)
      Files.write(h.logs + "/RECV20250115-1.LOG", "b\n", modified: T0 - 2 * hour)
      try h.run(at: T0)
      #expect(h.archiveNames() == ["RECV20250114-1-20250114T060000Z.LOG" + ext])
      #expect(try Files.decompress(h.archives + "/" + h.archiveNames()[0]) == "a PASS ****\n")
    }
  }
}
