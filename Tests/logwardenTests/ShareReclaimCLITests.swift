import Foundation
import LogWardenCore
import Testing

private let exchangeSets = """
    exch:
      directory: $DIR/logs
      glob: "RECV*.LOG"
      format: exchange-csv
      rotation:
        mode: closed

  """

private func exchangeRows(_ rows: [(String, Int, String, String, String)]) -> String {
  var text = "#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Receive Protocol Log\r\n"
  text +=
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
  for (i, (session, seq, event, data, context)) in rows.enumerated() {
    text +=
      "2025-01-14T10:00:\(String(format: "%02d", i)).000Z,MX1\\Default,\(session),\(seq),10.0.0.6:25,198.51.100.\(session.hasPrefix("A") ? 7 : 9):5000,\(event),\(data),\(context)\r\n"
  }
  return text
}

@Suite(.serialized) struct ShareReclaimCLITests {
  private func setUp() throws -> (dir: URL, policy: String, logs: String) {
    let key = try CLI.temporaryDirectory().appendingPathComponent("key").path
    let made = try CLI.run(["keygen", "--out", key], in: URL(fileURLWithPath: "/"))
    #expect(made.status == 0)
    let (dir, policy) = try RetentionCLI.setUp(sets: exchangeSets, extra: "key-file: \(key)\n")
    return (dir, policy, dir.path + "/logs")
  }

  @Test func shareWritesABundleAndPrintsThePseudonyms() throws {
    let (dir, policy, logs) = try setUp()
    try RetentionCLI.write(
      logs + "/RECV2025011410-1.LOG",
      exchangeRows([
        ("AAAA000000000001", 0, "+", "", ""),
        ("BBBB000000000002", 0, "+", "", ""),
        ("AAAA000000000001", 1, "<", "AUTH PLAIN AGFsaWNlAFdpbnRlcjIwMjQh", ""),
        ("BBBB000000000002", 1, "<", "MAIL FROM:<bob@fabrikam.test>", ""),
        ("AAAA000000000001", 2, "*", "", "User Name: alice@contoso.test"),
      ]))
    let result = try CLI.run(
      ["share", "--policy", policy, "--user", "alice@contoso.test", "--out", "t.tar.gz"], in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    let stdout = String(decoding: result.stdout, as: UTF8.self)
    #expect(stdout.hasPrefix("user alice@contoso.test -> user-"))
    #expect(result.stderr.contains("wrote t.tar.gz: 1 file, 6 of 8 lines, 1 credentials masked"))
    #expect(result.stderr.contains("key fingerprint "))
    #expect(FileManager.default.fileExists(atPath: dir.path + "/t.tar.gz"))
    if FileManager.default.isExecutableFile(atPath: "/bin/tar") {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/tar")
      process.arguments = ["-tzf", dir.path + "/t.tar.gz"]
      let out = Pipe()
      process.standardOutput = out
      try process.run()
      let listing = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      #expect(listing == "t/\nt/README.txt\nt/MANIFEST.json\nt/exch/\nt/exch/RECV2025011410-1.LOG\n")
    }

    let bad = try CLI.run(["share", "--policy", policy, "--out", "t.rar"], in: dir)
    #expect(bad.status == 64)
    let none = try CLI.run(["share", "--policy", policy, "--user", "nobody@x.test", "--out", "n.zip"], in: dir)
    #expect(none.status == 66)
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/n.zip"))
  }

  @Test func shareRefusesALeakWithExit65AndNamesOnlyFileAndLine() throws {
    let (dir, policy, logs) = try setUp()
    try RetentionCLI.write(
      logs + "/RECV2025011410-1.LOG",
      exchangeRows([
        ("AAAA000000000001", 0, "+", "", ""),
        ("AAAA000000000001", 1, "*", "", "agent replayed PASS hunter2 to the server"),
        ("AAAA000000000001", 2, "<", "MAIL FROM:<alice@contoso.test>", ""),
      ]))
    let result = try CLI.run(["share", "--policy", policy, "--user", "alice@contoso.test", "--out", "t.zip"], in: dir)
    #expect(result.status == 65)
    #expect(
      result.stderr.contains(
        "refused: exch/RECV2025011410-1.LOG line 5: still looks like a credential (pop3-pass)"))
    #expect(result.stderr.contains("no bundle was written"))
    #expect(!result.stderr.contains("hunter2"))
    #expect(result.stdout.isEmpty)
    #expect(!RetentionCLI.list(dir.path).contains { $0.hasPrefix("t.") || $0.contains("logwarden") })
  }

  @Test func reclaimPlansAsksAndDeletesOnlyWithYes() throws {
    let (dir, policy, logs) = try setUp()
    for day in 1...3 {
      try RetentionCLI.write(
        logs + "/RECV2025010\(day)-1.LOG", String(repeating: "line \(day)\n", count: 50),
        modified: Date(timeIntervalSince1970: 1_735_700_000 + Double(day) * 86_400))
    }
    try RetentionCLI.write(logs + "/RECV20250199-1.LOG", "live\n", modified: Date(timeIntervalSince1970: 1_736_900_000))
    let run = try CLI.run(["run", "--policy", policy, "--now", "2025-01-15T12:00:00Z"], in: dir)
    #expect(run.status == 0)
    let archives = RetentionCLI.list(logs + "/archive")
    #expect(archives.count == 3)

    // Far more than there is: every archive goes, the target is still not met (exit 1).
    let dry = try CLI.run(["reclaim", "--policy", policy, "--free", "1000T", "--dry-run"], in: dir)
    #expect(dry.status == 1)
    let plan = String(decoding: dry.stdout, as: UTF8.self)
    #expect(plan.contains("(dry run: nothing is changed)"))
    #expect(plan.contains("5 oldest   \(logs)/archive/\(archives[0])"))
    #expect(plan.contains("SHORT of the target"))
    #expect(plan.contains("cannot reach: 1 live log"))
    #expect(RetentionCLI.list(logs + "/archive") == archives)

    let noTerminal = try CLI.run(["reclaim", "--policy", policy, "--free", "1000T"], in: dir)
    #expect(noTerminal.status == 64)
    #expect(noTerminal.stderr.contains("no terminal to ask on, so nothing was changed. Pass --yes"))
    #expect(RetentionCLI.list(logs + "/archive") == archives)

    let usage = try CLI.run(["reclaim", "--policy", policy], in: dir)
    #expect(usage.status == 64)

    let done = try CLI.run(["reclaim", "--policy", policy, "--free", "1000T", "--yes"], in: dir)
    #expect(done.status == 1)
    #expect(done.stderr.contains("reclaimed "))
    #expect(done.stderr.contains("deleted 3 files"))
    #expect(RetentionCLI.list(logs + "/archive").isEmpty)
    #expect(RetentionCLI.list(logs) == ["RECV20250199-1.LOG", "archive"])
  }
}
