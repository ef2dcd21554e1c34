import Foundation
import Testing
@testable import LogWardenCore

/// Every fixture under `Fixtures/formats/<format>/<case>.log` is sanitized (format auto-detected, profile level4) and
/// compared with `<case>.expected`. A `<case>.credentials.expected` next to it is compared under the credentials
/// profile, a `<case>.vendor.expected` under the vendor profile with the fixed test key. With `RECORD_GOLDENS=1` the expected files are (re)written from the current output and the test fails, so
/// that every new or changed golden is reviewed in the diff before it is committed.
struct FormatGoldenTests {
  static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("formats")
  /// Writes recorded goldens into the source tree, not the build bundle.
  static let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/formats")

  static var cases: [String] {
    let fm = FileManager.default
    var result: [String] = []
    for format in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] {
      for file in (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(format).path)) ?? []
      where file.hasSuffix(".log") || file.hasSuffix(".in") || file.hasSuffix(".out") {
        result.append("\(format)/\(file)")
      }
    }
    return result.sorted()
  }

  static func sanitize(_ path: URL, profile: SanitizeProfile) throws -> (String, FileReport) {
    let (bytes, report) = try sanitizeBytes(path, profile: profile)
    return (String(decoding: bytes, as: UTF8.self), report)
  }

  /// The exact output bytes (goldens compare bytes: invalid UTF-8 must round-trip as it was).
  static func sanitizeBytes(_ path: URL, profile: SanitizeProfile) throws -> ([UInt8], FileReport) {
    let source = try FileDescriptorSource(path: path.path)
    let sink = MemorySink()
    let report = try Sanitizer(options: SanitizeOptions(profile: profile, pseudonymKeys: testKeys)).sanitize(
      source: source, sink: sink, name: path.lastPathComponent)
    return (sink.bytes, report)
  }

  @Test(arguments: cases)
  func matchesGolden(_ fixture: String) throws {
    let input = Self.root.appendingPathComponent(fixture)
    let format = fixture.split(separator: "/").first.map(String.init)!
    for (profile, suffix) in [
      (SanitizeProfile.level4, ".expected"), (.credentials, ".credentials.expected"), (.vendor, ".vendor.expected"),
    ] {
      let base = String(fixture.dropLast(fixture.hasSuffix(".log") ? 4 : 0))
      let expectedURL = Self.root.appendingPathComponent(base + suffix)
      let exists = FileManager.default.fileExists(atPath: expectedURL.path)
      let recording = ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1"
      // Optional goldens are recorded only for formats that opt in by having one already (or exchange-csv).
      if profile != .level4 && !exists && !(recording && profile == .vendor && format == "exchange-csv") { continue }
      let (output, report) = try Self.sanitizeBytes(input, profile: profile)
      #expect(report.format == format, "\(fixture) detected as \(report.format)")
      if recording {
        try Data(output).write(to: Self.sourceRoot.appendingPathComponent(base + suffix))
        Issue.record("recorded \(base + suffix): review the diff, then run again without RECORD_GOLDENS")
        continue
      }
      guard exists else {
        Issue.record("missing golden \(base + suffix); record it with RECORD_GOLDENS=1")
        continue
      }
      let expected = Array(try Data(contentsOf: expectedURL))
      if output != expected {
        let got = output.split(separator: 0x0A, omittingEmptySubsequences: false)
        let want = expected.split(separator: 0x0A, omittingEmptySubsequences: false)
        let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
        Issue.record("\(fixture) (\(profile)) differs from \(base + suffix) at line \(line + 1)")
      }
    }
  }
}
