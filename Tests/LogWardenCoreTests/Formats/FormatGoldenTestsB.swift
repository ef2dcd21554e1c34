import Foundation
import Testing
@testable import LogWardenCore

/// Goldens for Dovecot rawlog pairs: `Fixtures/formats/dovecot-rawlog/pairs/<stem>.in` and `<stem>.out` are sanitized
/// together with `Sanitizer.sanitizePair` and compared with `<stem>.in.expected` / `<stem>.out.expected` (profile
/// level4). Single files are covered by `FormatGoldenTests`. With `RECORD_GOLDENS=1` the expected files are rewritten
/// and the test fails, so that each recording is reviewed in the diff.
struct FormatGoldenTestsB {
  static let pairsRoot = FormatGoldenTests.root.appendingPathComponent("dovecot-rawlog/pairs")
  static let pairsSourceRoot = FormatGoldenTests.sourceRoot.appendingPathComponent("dovecot-rawlog/pairs")

  static var pairStems: [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: pairsRoot.path)) ?? []
    return Set(files.filter { $0.hasSuffix(".in") }.map { String($0.dropLast(3)) })
      .filter { files.contains($0 + ".out") }.sorted()
  }

  /// Sanitizes one pair; returns the two outputs and reports.
  static func sanitizePair(_ stem: String, profile: SanitizeProfile = .level4) throws -> ([UInt8], [UInt8], FileReport, FileReport) {
    let received = MemorySink()
    let sent = MemorySink()
    let (a, b) = try Sanitizer(options: SanitizeOptions(profile: profile)).sanitizePair(
      received: PairHalf(
        source: try FileDescriptorSource(path: pairsRoot.appendingPathComponent(stem + ".in").path), sink: received,
        name: stem + ".in"),
      sent: PairHalf(
        source: try FileDescriptorSource(path: pairsRoot.appendingPathComponent(stem + ".out").path), sink: sent,
        name: stem + ".out"))
    return (received.bytes, sent.bytes, a, b)
  }

  @Test(arguments: pairStems)
  func pairMatchesGolden(_ stem: String) throws {
    let (received, sent, a, b) = try Self.sanitizePair(stem)
    #expect(a.format == DovecotRawlogFormat.name && b.format == DovecotRawlogFormat.name)
    for (output, suffix) in [(received, ".in.expected"), (sent, ".out.expected")] {
      let name = stem + suffix
      if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
        try Data(output).write(to: Self.pairsSourceRoot.appendingPathComponent(name))
        Issue.record("recorded \(name): review the diff, then run again without RECORD_GOLDENS")
        continue
      }
      let url = Self.pairsRoot.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else {
        Issue.record("missing golden \(name); record it with RECORD_GOLDENS=1")
        continue
      }
      let expected = Array(try Data(contentsOf: url))
      if output != expected {
        let got = output.split(separator: 0x0A, omittingEmptySubsequences: false)
        let want = expected.split(separator: 0x0A, omittingEmptySubsequences: false)
        let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
        Issue.record("pair \(stem) differs from \(name) at line \(line + 1)")
      }
    }
  }
}
