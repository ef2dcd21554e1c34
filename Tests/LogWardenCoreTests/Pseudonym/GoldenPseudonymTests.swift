import Foundation
import Testing

@testable import LogWardenCore

/// One row of `Fixtures/pseudonym/golden-pseudonyms.tsv`.
struct GoldenPseudonym: CustomTestStringConvertible, Sendable {
  let epoch: String
  let value: String
  let pseudonym: String
  var testDescription: String { epoch.isEmpty ? value : "\(value) @\(epoch)" }

  static func fixtureURL(_ name: String) -> URL? {
    let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
    return Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Fixtures/pseudonym")
  }

  static func load() -> [GoldenPseudonym] {
    guard let url = fixtureURL("golden-pseudonyms.tsv"), let text = try? String(contentsOf: url, encoding: .utf8)
    else { return [] }
    return text.split(separator: "\n").compactMap { line in
      guard !line.hasPrefix("#") else { return nil }
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == 3 else { return nil }
      return GoldenPseudonym(epoch: fields[0], value: fields[1], pseudonym: fields[2])
    }
  }
}

@Suite struct GoldenPseudonymTests {
  static let rows = GoldenPseudonym.load()

  @Test func fixtureKeyIsTheTestKey() throws {
    let url = try #require(GoldenPseudonym.fixtureURL("test.key"))
    let key = try #require(KeyMaterial.parse(fileContents: Array(try Data(contentsOf: url))))
    #expect(key.hexDigits == testMasterKey.hexDigits)
    #expect(Self.rows.count == 28)
  }

  /// Pins the derivation: the same key gives the same pseudonyms in every process, run and version.
  @Test(arguments: rows) func matchesGolden(_ row: GoldenPseudonym) {
    let pseudonymizer = Pseudonymizer(keys: PseudonymKeys(master: testMasterKey, epoch: row.epoch))
    #expect(pseudonymizer.pseudonym(for: row.value).pseudonym == row.pseudonym)
  }

  /// Runs the built `logwarden pseudonym` twice as separate processes and compares with the fixture.
  @Test(.enabled(if: builtBinary() != nil)) func twoProcessesAgree() throws {
    let binary = try #require(builtBinary())
    let dir = try TemporaryDirectory()
    let keyPath = dir.file("key")
    try Data(contentsOf: #require(GoldenPseudonym.fixtureURL("test.key"))).write(to: URL(fileURLWithPath: keyPath))
    chmod(keyPath, 0o600)
    let rows = Self.rows.filter { $0.epoch.isEmpty }
    let first = try run(binary, ["pseudonym", "--key", keyPath] + rows.map(\.value))
    let second = try run(binary, ["pseudonym", "--key", keyPath] + rows.map(\.value))
    #expect(first == second)
    #expect(first == rows.map(\.pseudonym))
  }

  private func run(_ binary: URL, _ arguments: [String]) throws -> [String] {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = ["PATH": "/usr/bin:/bin"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
  }
}

/// The `logwarden` executable next to the test bundle, when the build produced one.
func builtBinary() -> URL? {
  let candidate = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("logwarden")
  return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
}
