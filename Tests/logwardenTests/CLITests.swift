import Foundation
import LogWardenCore
import Testing

/// Runs the built `logwarden` binary the way an administrator does, in a temporary directory.
struct CLI {
  static let binary: String = {
    let fm = FileManager.default
    let candidates = [
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("logwarden").path,
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/logwarden").path,
    ]
    return candidates.first { fm.isExecutableFile(atPath: $0) } ?? candidates[1]
  }()

  struct Result {
    var status: Int32
    var stdout: Data
    var stderr: String
  }

  static func run(_ arguments: [String], stdin: Data? = nil, in directory: URL) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(status: process.terminationStatus, stdout: stdoutData, stderr: String(decoding: stderrData, as: UTF8.self))
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("logwarden-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

let sampleLog = """
  #Software: Microsoft Exchange Server\r
  #Log-type: SMTP Receive Protocol Log\r
  #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r
  2023-01-11T15:59:51.433Z,MX1\\Default,123453EC62278461,0,192.0.2.1:25,198.51.100.2:5000,+,,\r
  2023-01-11T15:59:52.000Z,MX1\\Default,123453EC62278461,1,192.0.2.1:25,198.51.100.2:5000,<,AUTH PLAIN AHVzZXIAV2ludGVyMjAyNCE=,\r
  2023-01-11T15:59:52.100Z,MX1\\Default,123453EC62278461,2,192.0.2.1:25,198.51.100.2:5000,>,235 2.7.0 ok,\r
  2023-01-11T15:59:52.200Z,MX1\\Default,123453EC62278461,3,192.0.2.1:25,198.51.100.2:5000,<,DATA,\r
  2023-01-11T15:59:52.300Z,MX1\\Default,123453EC62278461,4,192.0.2.1:25,198.51.100.2:5000,>,354 go,\r
  2023-01-11T15:59:52.400Z,MX1\\Default,123453EC62278461,5,192.0.2.1:25,198.51.100.2:5000,<,top secret body,\r
  2023-01-11T15:59:52.500Z,MX1\\Default,123453EC62278461,6,192.0.2.1:25,198.51.100.2:5000,<,.,\r
  2023-01-11T15:59:52.600Z,MX1\\Default,123453EC62278461,7,192.0.2.1:25,198.51.100.2:5000,-,,\r

  """

struct SanitizeCommandTests {
  @Test func singleFileGoesToStdoutWithSummaryOnStderr() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(sampleLog.utf8).write(to: dir.appendingPathComponent("RECV2023011115-1.LOG"))
    let result = try CLI.run(["sanitize", "--profile", "level4", "RECV2023011115-1.LOG"], in: dir)
    #expect(result.status == 0)
    let out = String(decoding: result.stdout, as: UTF8.self)
    #expect(out.contains("AUTH PLAIN ****"))
    #expect(!out.contains("AHVzZXIAV2ludGVyMjAyNCE="))
    #expect(!out.contains("top secret body"))
    #expect(out.contains("[logwarden: body removed: 1 lines; 15 bytes]"))
    #expect(result.stderr.contains("1 credential masked"))
    #expect(result.stderr.contains("exchange-csv"))
    // The input is never modified.
    #expect(try String(contentsOf: dir.appendingPathComponent("RECV2023011115-1.LOG"), encoding: .utf8) == sampleLog)
  }

  @Test func stdinAndGzipRoundTrip() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLI.run(["sanitize", "--profile", "level4", "--gzip", "--format", "exchange-csv", "-o", "out.log.gz", "-"], stdin: Data(sampleLog.utf8), in: dir)
    #expect(result.status == 0)
    // Read it back through logwarden itself (gzip input is transparent), credentials profile keeps the rest.
    let back = try CLI.run(["sanitize", "--profile", "credentials", "out.log.gz"], in: dir)
    #expect(back.status == 0)
    let text = String(decoding: back.stdout, as: UTF8.self)
    #expect(text.contains("AUTH PLAIN ****"))
    #expect(text.contains("[logwarden: body removed"))
  }

  @Test func outputDirectoryMirrorsTheTreeAndReportIsJSON() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.appendingPathComponent("logs/SmtpReceive")
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    try Data(sampleLog.utf8).write(to: logs.appendingPathComponent("RECV2023011115-1.LOG"))
    try Data(sampleLog.utf8).write(to: logs.appendingPathComponent("RECV2023011116-1.LOG"))
    let result = try CLI.run(["sanitize", "--profile", "level4", "--output-dir", "clean", "--report", "report.json", "logs"], in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    for name in ["RECV2023011115-1.LOG", "RECV2023011116-1.LOG"] {
      let out = try String(contentsOf: dir.appendingPathComponent("clean/SmtpReceive/\(name)"), encoding: .utf8)
      #expect(out.contains("AUTH PLAIN ****"))
    }
    let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as? [String: Any]
    let totals = report?["totals"] as? [String: Any]
    #expect((totals?["credentialsMasked"] as? [String: Int])?["sasl-plain"] == 2)
    #expect((report?["files"] as? [Any])?.count == 2)
  }

  @Test func exitStatusesFollowSysexits() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try CLI.run(["sanitize"], in: dir).status == 64)
    #expect(try CLI.run(["sanitize", "--profile", "level4", "--format", "nonsense", "x"], in: dir).status == 64)
    let missing = try CLI.run(["sanitize", "--profile", "level4", "does-not-exist.log"], in: dir)
    #expect(missing.status == 66)
    #expect(missing.stderr.contains("does-not-exist.log"))
    try Data([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02]).write(to: dir.appendingPathComponent("broken.gz"))
    #expect(try CLI.run(["sanitize", "--profile", "level4", "broken.gz"], in: dir).status == 65)
    try Data(sampleLog.utf8).write(to: dir.appendingPathComponent("a.log"))
    try Data(sampleLog.utf8).write(to: dir.appendingPathComponent("b.log"))
    #expect(try CLI.run(["sanitize", "--profile", "level4", "a.log", "b.log"], in: dir).status == 64)
    #expect(try CLI.run(["sanitize", "--profile", "level4", "a.log", "-o", "a.log"], in: dir).status == 64)
  }

  @Test func outputsThatWouldLandOnAnInputOrEachOtherAreRefusedBeforeAnythingIsWritten() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.appendingPathComponent("logs")
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    try Data(sampleLog.utf8).write(to: logs.appendingPathComponent("x.log"))
    let sh = try CLI.run(["sanitize", "--profile", "level4", "-o", "x.log.gz", "logs/x.log"], in: dir)
    #expect(sh.status == 0)
    try FileManager.default.moveItem(at: dir.appendingPathComponent("x.log.gz"), to: logs.appendingPathComponent("x.log.gz"))
    let before = try Data(contentsOf: logs.appendingPathComponent("x.log"))
    // x.log.gz's output would be logs/x.log, an input; x.log's own output the same file.
    let clash = try CLI.run(["sanitize", "--profile", "level4", "--output-dir", "logs", "logs"], in: dir)
    #expect(clash.status == 64)
    #expect(clash.stderr.contains("would overwrite the input"))
    #expect(try Data(contentsOf: logs.appendingPathComponent("x.log")) == before)
    // The report may not replace an input either, and nothing else is written first.
    let report = try CLI.run(["sanitize", "--profile", "level4", "--report", "logs/x.log", "-o", "out.log", "logs/x.log"], in: dir)
    #expect(report.status == 64)
    #expect(try Data(contentsOf: logs.appendingPathComponent("x.log")) == before)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.log").path))
  }

  @Test func aFailedInputIsNamedInTheSummaryAndTheReport() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.appendingPathComponent("logs")
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    try Data(sampleLog.utf8).write(to: logs.appendingPathComponent("a.log"))
    try Data([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02]).write(to: logs.appendingPathComponent("b.log.gz"))
    let result = try CLI.run(
      ["sanitize", "--profile", "level4", "--output-dir", "clean", "--report", "report.json", "logs"], in: dir)
    #expect(result.status == 65)
    #expect(result.stderr.contains("total: 1 file,") && result.stderr.contains("1 input failed: logs/b.log.gz"))
    let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as? [String: Any]
    let failed = report?["failed"] as? [[String: Any]]
    #expect(failed?.count == 1)
    #expect(failed?.first?["path"] as? String == "logs/b.log.gz")
    #expect(failed?.first?["exitStatus"] as? Int == 65)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("clean/b.log").path))
  }

  @Test func anInterruptedRunLeavesNoTemporaryFile() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CLI.binary)
    process.arguments = ["sanitize", "--profile", "level4", "-o", "out.log", "-"]
    process.currentDirectoryURL = dir
    let input = Pipe()
    process.standardInput = input
    process.standardError = FileHandle.nullDevice
    try process.run()
    input.fileHandleForWriting.write(Data(sampleLog.utf8))
    // The input stays open: the run waits for more, with its temporary output file open.
    var temporary: [String] = []
    for _ in 0..<100 where temporary.isEmpty {
      usleep(50_000)
      temporary = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".logwarden-") }
    }
    #expect(temporary.count == 1)
    process.terminate()
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test func errorsNeverEchoLogContent() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var bytes = Array("AUTH PLAIN U2VjcmV0UGFzc3dvcmQ=\n".utf8)
    bytes = [0x1F, 0x8B] + bytes
    try Data(bytes).write(to: dir.appendingPathComponent("bad.gz"))
    let result = try CLI.run(["sanitize", "--profile", "level4", "bad.gz"], in: dir)
    #expect(result.status != 0)
    #expect(!result.stderr.contains("U2VjcmV0UGFzc3dvcmQ"))
  }

  @Test func vendorIsTheDefaultAndNeedsAKey() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(sampleLog.utf8).write(to: dir.appendingPathComponent("RECV2023011115-1.LOG"))
    let noKey = try CLI.run(["sanitize", "--key", "missing.key", "RECV2023011115-1.LOG"], in: dir)
    #expect(noKey.status == 66)
    #expect(noKey.stderr.contains("keygen"))
    #expect(try CLI.run(["keygen", "--out", "k"], in: dir).status == 0)
    let result = try CLI.run(["sanitize", "--key", "k", "--ledger", "ledger.db", "RECV2023011115-1.LOG"], in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    let out = String(decoding: result.stdout, as: UTF8.self)
    #expect(!out.contains("198.51.100.2"))
    #expect(!out.contains("192.0.2.1:25"))
    #expect(out.contains("AUTH PLAIN ****"))
    #expect(!out.contains("top secret body"))
    // The same key gives the same pseudonyms on a second run.
    let again = try CLI.run(["sanitize", "--key", "k", "RECV2023011115-1.LOG"], in: dir)
    #expect(again.stdout == result.stdout)
    // reveal maps the client IP's pseudonym back.
    let line = out.components(separatedBy: "\r\n").first { $0.contains(",+,") } ?? ""
    let columns = line.components(separatedBy: ",")
    #expect(columns.count == 9, "\(out)")
    guard columns.count == 9, let colon = columns[5].lastIndex(of: ":") else { return }
    let ip = String(columns[5][..<colon])
    let revealed = try CLI.run(["reveal", "--key", "k", ip], in: dir)
    #expect(String(decoding: revealed.stdout, as: UTF8.self).contains("198.51.100.2"))
  }

  @Test func formatsListsEveryRegisteredFormat() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLI.run(["formats"], in: dir)
    let text = String(decoding: result.stdout, as: UTF8.self)
    for format in BuiltinFormats.all { #expect(text.contains(format.name)) }
  }
}
