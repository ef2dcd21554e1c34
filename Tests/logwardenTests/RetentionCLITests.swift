import Foundation
import LogWardenCore
import Testing

/// End-to-end tests of `logwarden run/status/check`, spawning the built binary.
enum RetentionCLI {
  /// A fresh directory tree: logs/, state/ and the policy file written from `sets` ($DIR is replaced).
  static func setUp(sets: String, extra: String = "") throws -> (dir: URL, policy: String) {
    let dir = try CLI.temporaryDirectory()
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("logs"), withIntermediateDirectories: true)
    let yaml = "version: 1\nstate-directory: \(dir.path)/state\n\(extra)sets:\n" + sets.replacingOccurrences(of: "$DIR", with: dir.path)
    let policy = dir.appendingPathComponent("policy.yaml").path
    try yaml.write(toFile: policy, atomically: true, encoding: .utf8)
    return (dir, policy)
  }

  static func write(_ path: String, _ text: String, modified: Date? = nil) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path) }
  }

  static func gunzip(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc", path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  static func list(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }

  /// Runs the binary with extra environment variables; returns the status and whether it died of SIGKILL.
  static func run(_ arguments: [String], environment: [String: String], in directory: URL) throws -> (status: Int32, killed: Bool, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CLI.binary)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, stderr)
  }
}

private let closedSets = """
    smtp:
      directory: $DIR/logs
      glob: "RECV*.LOG"
      rotation:
        mode: closed
      limits:
        max-age: 30d

  """

@Suite(.serialized) struct RetentionCLITests {
  @Test func checkPrintsThePlanOrLocatedErrors() throws {
    let (dir, policy) = try RetentionCLI.setUp(sets: closedSets)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = try CLI.run(["check", "--policy", policy], in: dir)
    #expect(good.status == 0)
    #expect(String(decoding: good.stdout, as: UTF8.self).contains("rotation:  closed: archive files that are not the newest of their series once unmodified for 1h"))
    #expect(good.stderr.contains("warning: set smtp: archives are written without masking credentials"))
    try "version: 1\nstate-directory: /x\nsets:\n  a:\n    directory: /x\n    glob: '*'\n    rotation: {mode: sideways}\n"
      .write(toFile: policy, atomically: true, encoding: .utf8)
    let bad = try CLI.run(["check", "--policy", policy], in: dir)
    #expect(bad.status == 78)
    #expect(bad.stderr.contains("policy.yaml:7:22: sets.a.rotation.mode: expected closed, rename or copytruncate, got 'sideways'"))
  }

  @Test func runArchivesThenIsQuietAndStatusReports() throws {
    let (dir, policy) = try RetentionCLI.setUp(sets: closedSets)
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.path + "/logs"
    try RetentionCLI.write(logs + "/RECV20250114-1.LOG", "line one\nline two\n", modified: Date(timeIntervalSince1970: 1_736_848_800))
    try RetentionCLI.write(logs + "/RECV20250115-1.LOG", "live\n", modified: Date(timeIntervalSince1970: 1_736_938_800))

    let dry = try CLI.run(["run", "--policy", policy, "--now", "2025-01-15T12:00:00Z", "--dry-run"], in: dir)
    #expect(dry.status == 0)
    #expect(String(decoding: dry.stdout, as: UTF8.self).contains("archive  \(logs)/RECV20250114-1.LOG (18 B) -> \(logs)/archive/RECV20250114-1-20250114T100000Z.LOG.gz"))
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/state"))

    let first = try CLI.run(["run", "--policy", policy, "--now", "2025-01-15T12:00:00Z", "--json"], in: dir)
    #expect(first.status == 0)
    #expect(first.stderr == "logwarden: smtp: archived 1 file (18 B -> \(try archiveSize(logs)) B)\n")
    let report = try JSONDecoder().decode(RunReport.self, from: first.stdout)
    #expect(report.sets[0].actions.first?.outcome == .done)
    #expect(try RetentionCLI.gunzip(logs + "/archive/RECV20250114-1-20250114T100000Z.LOG.gz") == "line one\nline two\n")

    let again = try CLI.run(["run", "--policy", policy, "--now", "2025-01-15T13:00:00Z"], in: dir)
    #expect(again.status == 0)
    #expect(again.stderr.isEmpty)  // cron mails only what matters

    let status = try CLI.run(["status", "--policy", policy, "--now", "2025-01-15T13:00:00Z"], in: dir)
    let text = String(decoding: status.stdout, as: UTF8.self)
    #expect(text.contains("archives: 1,"))
    #expect(text.contains("oldest RECV20250114-1-20250114T100000Z.LOG.gz (1d3h old)"))
    #expect(text.contains("next:     2025-02-13T10:00:01Z: delete RECV20250114-1-20250114T100000Z.LOG.gz (max-age)"))
  }

  private func archiveSize(_ logs: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: logs + "/archive/RECV20250114-1-20250114T100000Z.LOG.gz")
    return (attributes[.size] as? Int) ?? -1
  }

  /// logrotate 102/103: garbage configuration is an error and nothing is rotated.
  @Test func garbagePolicyExits78AndChangesNothing() throws {
    let (dir, policy) = try RetentionCLI.setUp(sets: closedSets)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data([0xFF, 0x00, 0x13, 0x37]).write(to: URL(fileURLWithPath: policy))
    let result = try CLI.run(["run", "--policy", policy], in: dir)
    #expect(result.status == 78)
    #expect(result.stderr.contains("policy is not UTF-8 text"))
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/state"))
  }

  /// logrotate 87: a second instance exits at once (75) while the first holds the lock.
  @Test func lockBusyExits75() throws {
    let (dir, policy) = try RetentionCLI.setUp(sets: closedSets)
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(atPath: dir.path + "/state", withIntermediateDirectories: true)
    guard case .acquired(let lock) = try StateLock.acquire(stateDirectory: dir.path + "/state", waitSeconds: 0) else {
      Issue.record("could not take the lock")
      return
    }
    defer { lock.release() }
    let result = try CLI.run(["run", "--policy", policy], in: dir)
    #expect(result.status == 75)
    #expect(result.stderr.contains("another logwarden run holds \(dir.path)/state/lock"))
  }

  @Test func unknownSetIsAUsageError() throws {
    let (dir, policy) = try RetentionCLI.setUp(sets: closedSets)
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLI.run(["run", "--policy", policy, "--set", "nope"], in: dir)
    #expect(result.status == 64)
    #expect(result.stderr.contains("unknown set 'nope'; the policy has: smtp"))
  }

  /// kill -9 at every step of every kind of work; the next run finishes or rolls back, nothing is lost or doubled.
  @Test(arguments: CrashPoint.allCases)
  func killNineAtEachStep(_ point: CrashPoint) throws {
    let sets = """
        closed:
          directory: $DIR/logs
          glob: "RECV*.LOG"
          rotation:
            mode: closed
          archive:
            directory: $DIR/archive-closed
          stages:
            - after: 1d
              profile: credentials
          limits:
            max-age: 4d
        renamed:
          directory: $DIR/logs
          glob: "app.log"
          rotation:
            mode: rename
            size: 1
            notify:
              command: "touch $DIR/logs/app.log"
          archive:
            directory: $DIR/archive-rename
        copied:
          directory: $DIR/logs
          glob: "mail.log"
          rotation:
            mode: copytruncate
            size: 1
          archive:
            directory: $DIR/archive-copy

      """
    let (dir, policy) = try RetentionCLI.setUp(sets: sets)
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.path + "/logs"
    /// Lines of exactly 32 bytes, so that copytruncate finds block-aligned line ends.
    func lines(_ prefix: String, _ range: Range<Int>) -> String {
      range.map { n -> String in
        let text = "\(prefix) line \(n) "
        return text + String(repeating: ".", count: 31 - text.count) + "\n"
      }.joined()
    }
    let day: TimeInterval = 86_400
    let t0 = Date(timeIntervalSince1970: 1_736_942_400)  // 2025-01-15T12:00:00Z
    // An old archive for the stage and delete steps.
    try RetentionCLI.write(logs + "/RECV20250109-1.LOG", lines("expired", 0..<100), modified: t0.addingTimeInterval(-3 * day))
    try RetentionCLI.write(logs + "/RECV20250110-1.LOG", lines("old", 0..<100), modified: t0.addingTimeInterval(-2 * day))
    try RetentionCLI.write(logs + "/RECV20250111-1.LOG", lines("older", 0..<100), modified: t0.addingTimeInterval(-1.5 * day))
    try RetentionCLI.write(logs + "/RECV20250113-1.LOG", lines("live", 0..<10), modified: t0)
    let setup = try RetentionCLI.run(["run", "--policy", policy, "--now", "2025-01-15T12:00:00Z", "--set", "closed"], environment: [:], in: dir)
    #expect(setup.status == 0, "\(setup.stderr)")
    // Work for every step: closed files, a live file to rename, one to copy; the day after, stages and deletions.
    try RetentionCLI.write(logs + "/RECV20250112-1.LOG", lines("closed", 0..<300), modified: t0)
    try RetentionCLI.write(logs + "/app.log", lines("app", 0..<300))
    try RetentionCLI.write(logs + "/mail.log", lines("mail", 0..<600))
    let crashed = try RetentionCLI.run(
      ["run", "--policy", policy, "--now", "2025-01-17T12:00:00Z"], environment: ["LOGWARDEN_TEST_KILL_AT": point.rawValue], in: dir)
    #expect(crashed.killed, "\(point.rawValue) was not reached: status \(crashed.status) \(crashed.stderr)")
    let recovered = try RetentionCLI.run(["run", "--policy", policy, "--now", "2025-01-17T12:00:00Z"], environment: [:], in: dir)
    #expect(recovered.status == 0, "\(recovered.stderr)")

    var all: [String] = []
    for archiveDirectory in ["archive-closed", "archive-rename", "archive-copy"] {
      for name in RetentionCLI.list(dir.path + "/" + archiveDirectory) {
        #expect(!name.hasPrefix("."), "left behind: \(name)")
        all += try RetentionCLI.gunzip(dir.path + "/" + archiveDirectory + "/" + name).split(separator: "\n").map(String.init)
      }
    }
    for name in RetentionCLI.list(logs) {
      #expect(!name.hasPrefix("."), "left behind: \(name)")
      all += (try String(contentsOfFile: logs + "/" + name, encoding: .utf8)).split(separator: "\n").map(String.init)
    }
    // The archive older than 4d was deleted; everything else is present exactly once.
    let expected = (lines("old", 0..<100) + lines("older", 0..<100) + lines("closed", 0..<300) + lines("app", 0..<300)
      + lines("mail", 0..<600) + lines("live", 0..<10)).split(separator: "\n").map(String.init)
    var counts: [String: Int] = [:]
    for line in all { counts[line, default: 0] += 1 }
    let missing = expected.filter { counts[$0] == nil }
    let doubled = counts.filter { $0.value > 1 }.map(\.key).sorted()
    let unexpected = Set(all).subtracting(expected).sorted()
    #expect(missing.isEmpty, "\(point.rawValue): \(missing.count) lines lost, e.g. \(missing.prefix(3))")
    #expect(doubled.isEmpty, "\(point.rawValue): \(doubled.count) lines doubled, e.g. \(doubled.prefix(3))")
    #expect(unexpected.isEmpty, "\(point.rawValue): \(unexpected.count) unexpected lines, e.g. \(unexpected.prefix(3))")
  }

  /// ENOSPC on a small tmpfs: the source is kept, the partial output removed, other sets still run.
  @Test func diskFullOnARealFilesystem() throws {
    let (dir, policy) = try RetentionCLI.setUp(sets: """
        full:
          directory: $DIR/logs
          glob: "A*.LOG"
          rotation:
            mode: closed
          archive:
            directory: $DIR/small/archive
        fine:
          directory: $DIR/logs
          glob: "B*.LOG"
          rotation:
            mode: closed

      """)
    let small = dir.path + "/small"
    try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=256k", "tmpfs", small]
    mount.standardError = FileHandle.nullDevice
    try? mount.run()
    mount.waitUntilExit()
    guard mount.terminationStatus == 0 else {
      print("skipping diskFullOnARealFilesystem: cannot mount a tmpfs here (needs root)")
      return
    }
    defer {
      let umount = Process()
      umount.executableURL = URL(fileURLWithPath: "/bin/umount")
      umount.arguments = [small]
      try? umount.run()
      umount.waitUntilExit()
    }
    // ~2 MiB of poorly compressible text: its archive cannot fit in 256 KiB.
    var generator = SystemRandomNumberGenerator()
    let noise = (0..<60_000).map { _ in String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 36) }.joined(separator: "\n") + "\n"
    let old = Date(timeIntervalSinceNow: -86_400)
    try RetentionCLI.write(dir.path + "/logs/A20250114-1.LOG", noise, modified: old)
    try RetentionCLI.write(dir.path + "/logs/A20250115-1.LOG", "live\n")
    try RetentionCLI.write(dir.path + "/logs/B20250114-1.LOG", "b\n", modified: old)
    try RetentionCLI.write(dir.path + "/logs/B20250115-1.LOG", "live\n")
    let result = try CLI.run(["run", "--policy", policy], in: dir)
    #expect(result.status == 1)
    #expect(result.stderr.contains("full: FAILED archive \(dir.path)/logs/A20250114-1.LOG"))
    #expect(result.stderr.contains("No space left on device"))
    #expect(result.stderr.contains("fine: archived 1 file"))
    #expect(try String(contentsOfFile: dir.path + "/logs/A20250114-1.LOG", encoding: .utf8) == noise)
    #expect(RetentionCLI.list(small + "/archive").isEmpty)
  }
}
