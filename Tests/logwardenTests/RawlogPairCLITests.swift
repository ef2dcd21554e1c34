import Foundation
import Testing

/// `logwarden sanitize` over a directory of Dovecot rawlogs: the halves of each connection are read as a pair and
/// both outputs are written.
struct RawlogPairCLITests {
  @Test func halvesInADirectoryAreSanitizedAsPairs() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let logs = dir.appendingPathComponent("rawlogs")
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    // POP3 with stamps: RETR's message can only be recognised with the client's side.
    let client = "1.000002 USER fred\r\n1.000003 PASS s3cret horse\r\n1.000005 RETR 1\r\n"
    let server = "1.000001 +OK ready\r\n1.000002 +OK\r\n1.000004 +OK in\r\n1.000006 +OK 9 octets\r\n1.000006 x: secret body\r\n1.000006 .\r\n"
    try Data(client.utf8).write(to: logs.appendingPathComponent("20240501-100000.77.1.in"))
    try Data(server.utf8).write(to: logs.appendingPathComponent("20240501-100000.77.1.out"))
    let result = try CLI.run(["sanitize", "--profile", "level4", "--output-dir", "clean", "--report", "r.json", "rawlogs"], in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    let a = try String(contentsOf: dir.appendingPathComponent("clean/20240501-100000.77.1.in"), encoding: .utf8)
    let b = try String(contentsOf: dir.appendingPathComponent("clean/20240501-100000.77.1.out"), encoding: .utf8)
    #expect(a == "1.000002 USER fred\r\n1.000003 PASS ****\r\n1.000005 RETR 1\r\n")
    #expect(b.contains("[logwarden: body removed: 1 lines; 14 bytes]") && !b.contains("secret body"))
    let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("r.json"))) as? [String: Any]
    #expect((report?["files"] as? [[String: Any]])?.map { $0["format"] as? String } == ["dovecot-rawlog", "dovecot-rawlog"])
  }
}
