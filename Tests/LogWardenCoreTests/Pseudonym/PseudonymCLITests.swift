import Foundation
import Testing

@testable import LogWardenCore

/// End-to-end checks of `keygen`, `pseudonym` and `reveal` through the built binary (skipped when it is absent).
@Suite(.enabled(if: builtBinary() != nil)) struct PseudonymCLITests {
  struct Result {
    let status: Int32
    let stdout: [String]
    let stderr: String
  }

  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
    let process = Process()
    process.executableURL = builtBinary()!
    process.arguments = arguments
    process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init),
      stderr: String(decoding: err, as: UTF8.self))
  }

  @Test func keygenThenPseudonymThenRevealThroughLedger() throws {
    let dir = try TemporaryDirectory()
    let key = dir.file("key")
    let ledger = dir.file("ledger")
    let created = try run(["keygen", "--out", key])
    #expect(created.status == 0)
    #expect(created.stdout == [key])
    #expect(fileMode(key) == 0o600)

    let values = ["192.0.2.1", "Alice@Example.com", "mx1.example.co.uk", "CORP\\bob", "[2001:db8::1]:25"]
    let pseudonyms = try run(["pseudonym", "--key", key, "--ledger", ledger] + values)
    #expect(pseudonyms.status == 0)
    #expect(pseudonyms.stdout.count == values.count)
    #expect(fileMode(ledger) == 0o600)

    let revealed = try run(["reveal", "--key", key, "--ledger", ledger] + pseudonyms.stdout)
    #expect(revealed.status == 0)
    #expect(
      revealed.stdout == ["192.0.2.1", "alice@example.com", "mx1.example.co.uk", "corp\\bob", "[2001:db8::1]:25"])

    // Without the ledger only the IPs come back; the rest is reported and the exit status says so.
    let partial = try run(["reveal", "--key", key] + pseudonyms.stdout)
    #expect(partial.status == 1)
    #expect(partial.stdout[0] == "192.0.2.1")
    #expect(partial.stdout[1] == pseudonyms.stdout[1])
    #expect(partial.stderr.contains("--ledger"))
  }

  @Test func keyProblemsMapToExitStatuses() throws {
    let dir = try TemporaryDirectory()
    let key = dir.file("key")
    #expect(try run(["keygen", "--out", key]).status == 0)
    #expect(try run(["keygen", "--out", key]).status == 64)  // never overwrites

    let missing = try run(["pseudonym", "--key", dir.file("absent"), "192.0.2.1"])
    #expect(missing.status == 66)
    #expect(missing.stderr.contains("logwarden keygen"))

    // Root falls back to /etc/logwarden/key, which this machine may really have; only check when it cannot.
    if geteuid() != 0 || !FileManager.default.fileExists(atPath: KeyLookup.systemDefaultPath) {
      let noKeyAnywhere = try run(["pseudonym", "192.0.2.1"], environment: ["HOME": dir.path, "LOGWARDEN_KEY": ""])
      #expect(noKeyAnywhere.status == 66)
      #expect(noKeyAnywhere.stderr.contains("logwarden keygen"))
    }

    #expect(try run(["pseudonym", "192.0.2.1"], environment: ["LOGWARDEN_KEY": key]).status == 0)

    chmod(key, 0o640)
    let loose = try run(["pseudonym", "--key", key, "192.0.2.1"])
    #expect(loose.status == 78)
    #expect(loose.stderr.contains("chmod 600"))
    #expect(try run(["pseudonym", "--key", key]).status == 64)
  }

  @Test func epochsDoNotLink() throws {
    let dir = try TemporaryDirectory()
    let key = dir.file("key")
    _ = try run(["keygen", "--out", key])
    let plain = try run(["pseudonym", "--key", key, "alice@example.com", "192.0.2.1"]).stdout
    let epoch = try run(["pseudonym", "--key", key, "--epoch", "ticket-4711", "alice@example.com", "192.0.2.1"]).stdout
    #expect(plain.count == 2 && epoch.count == 2)
    #expect(plain[0] != epoch[0])
    #expect(plain[1] != epoch[1])
    let back = try run(["reveal", "--key", key, "--epoch", "ticket-4711", epoch[1]]).stdout
    #expect(back == ["192.0.2.1"])
  }
}
