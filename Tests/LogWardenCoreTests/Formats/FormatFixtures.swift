import Foundation
import Testing
@testable import LogWardenCore

/// The format fixtures: `Fixtures/formats/<format-name>/<case>.log`, with the recorded outputs `<case>.expected`
/// (profile level4) and, for some cases, `<case>.credentials.expected` (profile credentials) next to them.
/// `FormatGoldenTests` compares them; the tests here use this typed view of the same files.
struct FormatFixture: CustomTestStringConvertible, Sendable, Hashable {
  let format: String
  let name: String

  var testDescription: String { "\(format)/\(name)" }
  var fileName: String { name + ".log" }

  /// The bundled copy (read-only, refreshed by every build).
  static var bundleRoot: URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("formats")
  }

  /// The source tree, where recording writes.
  static var sourceRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/formats")
  }

  /// Every fixture, sorted.
  static let all: [FormatFixture] = {
    let fm = FileManager.default
    var result: [FormatFixture] = []
    let formats = (try? fm.contentsOfDirectory(atPath: bundleRoot.path)) ?? []
    for format in formats.sorted() {
      let files = (try? fm.contentsOfDirectory(atPath: bundleRoot.appendingPathComponent(format).path)) ?? []
      for file in files.sorted() where file.hasSuffix(".log") {
        result.append(FormatFixture(format: format, name: String(file.dropLast(4))))
      }
    }
    return result
  }()

  func url(_ suffix: String, inSource: Bool = false) -> URL {
    (inSource ? Self.sourceRoot : Self.bundleRoot).appendingPathComponent(format).appendingPathComponent(name + suffix)
  }

  var input: [UInt8] { [UInt8]((try? Data(contentsOf: url(".log"))) ?? Data()) }

  func expected(_ profile: SanitizeProfile) -> [UInt8]? {
    (try? Data(contentsOf: url(Self.expectedSuffix(profile)))).map { [UInt8]($0) }
  }

  static func expectedSuffix(_ profile: SanitizeProfile) -> String {
    profile == .level4 ? ".expected" : ".\(profile.rawValue).expected"
  }

}

enum FormatRunner {
  /// Sanitizes `bytes` as a file named `fileName`; `format` nil means detection.
  static func sanitize(
    _ bytes: [UInt8], format: String?, fileName: String, profile: SanitizeProfile = .level4, maxChunk: Int = .max
  ) throws -> (output: [UInt8], report: FileReport) {
    let sink = MemorySink()
    let sanitizer = Sanitizer(options: SanitizeOptions(profile: profile, formatName: format))
    let report = try sanitizer.sanitize(source: MemorySource(bytes, maxChunk: maxChunk), sink: sink, name: fileName)
    return (sink.bytes, report)
  }

  static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
