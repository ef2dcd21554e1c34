import Foundation
import Testing

@testable import LogWardenCore

private let reclaimSet = """
    smtp:
      directory: $LOGS
      glob: "RECV*.LOG"
      rotation:
        mode: closed
        quiet: 1h
      limits:
        max-age: 10d
        max-count: 1
  """

/// Text that gzip cannot shrink much (so archives keep a size worth deleting).
private func noisyText(_ bytes: Int, seed: UInt64) -> String {
  var state = seed &+ 0x9E37_79B9_7F4A_7C15
  let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/".utf8)
  var out = [UInt8]()
  out.reserveCapacity(bytes)
  while out.count < bytes {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    out.append(out.count % 64 == 63 ? 0x0A : alphabet[Int(state >> 58)])
  }
  return String(decoding: out, as: UTF8.self)
}

/// Bytes allocated to the files below `root` (what a filesystem would count).
private func allocated(under root: String) -> Int64 {
  var total: Int64 = 0
  let enumerator = FileManager.default.enumerator(atPath: root)
  while let relative = enumerator?.nextObject() as? String {
    var st = stat()
    if lstat(root + "/" + relative, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { total += Int64(st.st_blocks) * 512 }
  }
  return total
}

/// Everything under a directory: path, size and modification time (and the database's bytes), to prove nothing moved.
private func snapshot(_ root: String) -> [String] {
  var entries: [String] = []
  let enumerator = FileManager.default.enumerator(atPath: root)
  while let relative = enumerator?.nextObject() as? String {
    var st = stat()
    lstat(root + "/" + relative, &st)
    let content =
      (st.st_mode & S_IFMT) == S_IFREG
      ? (FileManager.default.contents(atPath: root + "/" + relative)?.hashValue ?? 0) : 0
    entries.append("\(relative) \(st.st_size) \(st.st_mtim.tv_sec) \(st.st_ino) \(content)")
  }
  return entries.sorted()
}

/// A tree with something for every step: archives made by the engine over 20 days (some past max-age, more than
/// max-count), a leftover temporary file, closed logs not archived yet, the live log, and a file logwarden did not make.
private func fixtureTree(
  _ h: Harness, archiveBytes: Int = 2000, closedSizes: [Int] = [5000, 2_000_000, 20000], leftover: Bool = true
) throws -> (leftover: String, closed: [String], live: String, foreign: String) {
  // Twelve daily files, archived as they close (one run per day), stamps 20 to 9 days before T0.
  for day in 0..<12 {
    let name = "RECV202501\(String(format: "%02d", day + 1))-1.LOG"
    let stamp = T0 - Int64(20 - day) * 86_400
    Files.write(h.logs + "/" + name, noisyText(archiveBytes, seed: UInt64(day)), modified: stamp)
    Files.write(h.logs + "/RECV20250199-1.LOG", "live\n", modified: stamp + 60)  // newest: keeps the others closed
    try h.run(at: stamp + 2 * hour)
  }
  let leftoverPath = h.archives + "/.RECV20250110-1-20250110T120000Z.LOG.gz.logwarden-tmp-dead-beef"
  if leftover { Files.write(leftoverPath, String(repeating: "t", count: 3000)) }
  var closed: [String] = []
  for (i, size) in closedSizes.enumerated() {
    let path = h.logs + "/RECV2025011\(5 + i)-1.LOG"
    Files.write(path, String(repeating: "x", count: size), modified: T0 - 5 * hour)
    closed.append(path)
  }
  let live = h.logs + "/RECV20250199-1.LOG"
  Files.write(live, String(repeating: "live\n", count: 100), modified: T0 - 60)
  let foreign = h.archives + "/RECV20241201-1-20241201T000000Z.LOG.gz"
  Files.write(foreign, String(repeating: "f", count: 4000))
  return (leftoverPath, closed, live, foreign)
}

@Suite struct ReclaimTests {
  /// A harness whose limits were loose while the archives were made, then tightened (a policy change): the next
  /// reclaim finds archives past max-age and beyond max-count.
  private func harness() throws -> Harness {
    let h = try Harness(
      sets: """
          smtp:
            directory: $LOGS
            glob: "RECV*.LOG"
            rotation:
              mode: closed
              quiet: 1h
        """)
    return h
  }

  @Test func planTakesTheStepsInPriorityOrder() throws {
    let h = try harness()
    let tree = try fixtureTree(h)
    try h.configure(sets: reclaimSet)
    // A 100 MiB filesystem with 3 MiB free and a target it cannot reach: every step is needed.
    let total: Int64 = 100 << 20
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: total, availableBytes: 3 << 20) }
    let engine = ReclaimEngine(policy: h.policy, environment: h.engine().environment)
    let plan = try engine.plan(target: .free(.bytes(1 << 30)), now: Date(timeIntervalSince1970: TimeInterval(T0)))

    let steps = plan.items.map(\.step)
    #expect(steps == steps.sorted())  // fixed priority order
    #expect(plan.items.first?.path == tree.leftover)
    #expect(plan.items.first?.step == .leftover)
    let expired = plan.items.filter { $0.step == .expired }
    #expect(!expired.isEmpty)
    #expect(expired.allSatisfy { $0.reason.hasPrefix("max-age") })
    let overLimit = plan.items.filter { $0.step == .overLimit }
    #expect(!overLimit.isEmpty && overLimit.allSatisfy { $0.reason.hasPrefix("max-count") })
    // Oldest archives first within each step.
    let deletedNames = plan.items.filter { $0.step != .compress && $0.step != .leftover }.map {
      ($0.path as NSString).lastPathComponent
    }
    #expect(deletedNames == deletedNames.sorted())
    // Closed logs: all compressed; never the live file, never the foreign file.
    let compress = plan.items.filter { $0.step == .compress }.map(\.path)
    #expect(compress == [tree.closed[1], tree.closed[2], tree.closed[0]])  // room for all: the biggest gain first
    #expect(plan.items.contains { $0.step == .oldest })
    #expect(!plan.items.contains { $0.path == tree.live || $0.path == tree.foreign })
    // Everything logwarden made is in the plan and the target is still far: the rest is named.
    #expect(!plan.meetsTarget)
    let unreachable = plan.fileSystems.flatMap(\.unreachable).joined(separator: "\n")
    #expect(unreachable.contains("live log"))
    #expect(unreachable.contains("does not prove logwarden made"))
    let text = plan.render(dryRun: true)
    #expect(text.contains("1 leftover"))
    #expect(text.contains("SHORT of the target"))
  }

  @Test func smallestFirstWhenThereIsNoRoomForTheBigOnes() throws {
    let h = try harness()
    let tree = try fixtureTree(h)
    for archive in h.archiveNames() { unlink(h.archives + "/" + archive) }  // nothing to delete: only compressions
    unlink(tree.leftover)
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: 1 << 30, availableBytes: (256 << 10) + 4000) }
    let engine = ReclaimEngine(policy: h.policy, environment: h.engine().environment)
    let plan = try engine.plan(target: .free(.bytes(1 << 29)), now: Date(timeIntervalSince1970: TimeInterval(T0)))
    // Room for the archives of the two small files only (each needs its estimate, a quarter more, and 256 KiB).
    let compress = plan.items.filter { $0.step == .compress }
    #expect(compress.map(\.path) == [tree.closed[0], tree.closed[2]])
    #expect(plan.notes.contains { $0.hasPrefix(tree.closed[1]) && $0.contains("is not compressed") })
  }

  @Test func dryRunChangesNothing() throws {
    let h = try harness()
    _ = try fixtureTree(h)
    try h.configure(sets: reclaimSet)
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: 100 << 20, availableBytes: 0) }
    let corrupt = h.state + "/state.sqlite.corrupt-20250101T000000Z"
    Files.write(corrupt, "not a database")
    let before = snapshot(h.root.path)
    let engine = ReclaimEngine(policy: h.policy, environment: h.engine().environment)
    let plan = try engine.plan(target: .usage(50), now: Date(timeIntervalSince1970: TimeInterval(T0)))
    #expect(!plan.items.isEmpty)
    #expect(!plan.items.contains { $0.path == corrupt })
    #expect(plan.render(dryRun: true).contains("note: \(corrupt) (4.0 KiB): an unreadable state database moved aside"))
    #expect(snapshot(h.root.path) == before)
  }

  /// No limit is violated and nothing is free: the oldest archives make room for compressing the big closed log,
  /// and they are deleted before it is compressed.
  @Test func freesASimulatedFullDiskDeletingBeforeCompressing() throws {
    let h = try harness()
    let tree = try fixtureTree(h, archiveBytes: 100_000, closedSizes: [1_500_000], leftover: false)
    // statvfs simulated from the files themselves: the filesystem is exactly full.
    let root = h.root.path
    let capacity = allocated(under: root)
    h.fileSystem.spaceOverride = { _ in
      FileSystemSpace(totalBytes: capacity, availableBytes: capacity - allocated(under: root))
    }
    let engine = ReclaimEngine(policy: h.policy, environment: h.engine().environment)
    let now = Date(timeIntervalSince1970: TimeInterval(T0))
    let want: Int64 = 1_500_000
    let plan = try engine.plan(target: .free(.bytes(want)), now: now)
    #expect(plan.fileSystems.first?.availableBytes == 0)
    #expect(plan.meetsTarget)
    #expect(plan.items.first?.step == .compress && plan.items.first?.path == tree.closed[0])
    let borrowed = plan.items.filter { $0.step == .oldest }
    #expect(!borrowed.isEmpty && borrowed.count < 12)
    #expect(borrowed.allSatisfy { $0.reason.contains("makes room to compress RECV20250115-1.LOG") })
    let recordsBefore = try h.store().archives(setName: "smtp").count
    var progress: [ReclaimProgress] = []
    guard case .completed(let report) = try engine.execute(plan, now: now, progress: { progress.append($0) }) else {
      Issue.record("lock busy")
      return
    }
    #expect(report.entries.allSatisfy { $0.outcome == .done }, "\(report.entries.filter { $0.outcome != .done })")
    // Deletions first (no room to write an archive before), then the compression.
    #expect(report.entries.map(\.item.step) == Array(repeating: .oldest, count: borrowed.count) + [.compress])
    #expect(report.targetMet)
    #expect(capacity - allocated(under: root) >= want)
    #expect(progress.count == plan.items.count && progress.last?.done == plan.items.count)
    // Only logwarden's: the live log and the foreign file are untouched; deleted archives are forgotten.
    #expect(Files.read(tree.live) == String(repeating: "live\n", count: 100))
    #expect(Files.exists(tree.foreign))
    #expect(!Files.exists(tree.closed[0]))
    #expect(try h.store().archives(setName: "smtp").count == recordsBefore - borrowed.count + 1)
    #expect(report.exitStatus == ExitStatus.ok)
  }

  @Test func refusesFilesReplacedSinceThePlan() throws {
    let h = try harness()
    _ = try fixtureTree(h)
    h.fileSystem.spaceOverride = { _ in FileSystemSpace(totalBytes: 1 << 30, availableBytes: 0) }
    let engine = ReclaimEngine(policy: h.policy, environment: h.engine().environment)
    let now = Date(timeIntervalSince1970: TimeInterval(T0))
    let plan = try engine.plan(target: .free(.bytes(1 << 20)), now: now)
    let victim = try #require(plan.items.first { $0.step == .oldest })
    // Someone replaces the archive with another file under the same name.
    unlink(victim.path)
    Files.write(victim.path, "not the archive\n", modified: T0 - 1)
    guard case .completed(let report) = try engine.execute(plan, now: now) else { return }
    let entry = try #require(report.entries.first { $0.item.path == victim.path })
    #expect(entry.outcome == .skipped)
    #expect(Files.read(victim.path) == "not the archive\n")
  }

  /// A real full filesystem: a 2 MiB tmpfs (needs root; skipped otherwise).
  @Test func freesAFullTmpfs() throws {
    let h = try harness()
    let mountPoint = h.root.path  // logs, archives and the state database all on the full filesystem
    guard geteuid() == 0, mount("tmpfs", mountPoint, "tmpfs", 0, "size=2m") == 0 else {
      print("freesAFullTmpfs: skipped (cannot mount a tmpfs here: \(String(cString: strerror(errno))))")
      return
    }
    defer { umount2(mountPoint, 2 /* MNT_DETACH */) }
    _ = h.root.sub("logs")
    // Archives made by the engine, then a foreign file filling the rest until writes fail.
    for day in 0..<6 {
      let stamp = T0 - Int64(10 - day) * 86_400
      Files.write(
        h.logs + "/RECV202501\(String(format: "%02d", day + 1))-1.LOG", noisyText(150_000, seed: UInt64(day)),
        modified: stamp)
      Files.write(h.logs + "/RECV20250199-1.LOG", "live\n", modified: stamp + 60)
      try h.run(at: stamp + 2 * hour)
    }
    #expect(h.archiveNames().count == 6)
    let filler = h.logs + "/filler.bin"
    let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
    var chunk = [UInt8](repeating: 0x41, count: 4096)
    while chunk.withUnsafeMutableBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    close(fd)
    var info = statvfs()
    statvfs(mountPoint, &info)
    #expect(info.f_bavail == 0)

    let engine = ReclaimEngine(
      policy: h.policy,
      environment: RetentionEnvironment(
        fileSystem: PosixFileSystem(), probe: h.probe, filter: h.filter, notifier: h.notifier, sleep: { _ in },
        monotonicNow: { 0 }))
    let now = Date(timeIntervalSince1970: TimeInterval(T0))
    let plan = try engine.plan(target: .free(.bytes(64 << 10)), now: now)
    #expect(!plan.items.isEmpty && plan.meetsTarget)
    guard case .completed(let report) = try engine.execute(plan, now: now) else {
      Issue.record("lock busy")
      return
    }
    statvfs(mountPoint, &info)
    #expect(Int64(info.f_bavail) * Int64(info.f_frsize) >= 64 << 10)
    #expect(report.targetMet)
    #expect(report.entries.allSatisfy { $0.outcome == .done }, "\(report.entries.filter { $0.outcome != .done })")
    #expect(report.entries.map(\.item.step).allSatisfy { $0 == .oldest })
    #expect(
      try StateStore.openForReading(path: h.policy.stateDatabasePath).archives(setName: "smtp").count
        == h.archiveNames().count)
    #expect(Files.exists(filler))
    #expect(Files.read(h.logs + "/RECV20250199-1.LOG") == "live\n")
    // Oldest first: the newest archives are still there.
    #expect(h.archiveNames().contains("RECV20250106-1-20250110T120000Z.LOG.gz"))
  }
}
