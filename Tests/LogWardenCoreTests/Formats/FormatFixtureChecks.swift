import Foundation
import Testing
@testable import LogWardenCore

/// Checks over every format fixture besides the goldens (`FormatGoldenTests`): each registered format has fixtures,
/// cases with message bodies have a credentials-profile golden, and chunk boundaries change nothing.
struct FormatFixtureChecks {
  @Test func everyFormatHasFixtures() {
    for format in BuiltinFormats.all where format.name != "generic" {
      #expect(FormatFixture.all.contains { $0.format == format.name }, "no fixtures for \(format.name)")
    }
  }

  @Test(arguments: FormatFixture.all.filter { $0.name.contains("level5") || $0.name.contains("body") })
  func bodyCasesHaveACredentialsGolden(_ fixture: FormatFixture) {
    #expect(fixture.expected(.credentials) != nil, "record it with RECORD_GOLDENS=1")
  }

  /// Lines are handed out from different buffers when reads are small: output and report must not change.
  @Test(arguments: FormatFixture.all)
  func smallReadsGiveTheSameOutput(_ fixture: FormatFixture) throws {
    let whole = try FormatRunner.sanitize(fixture.input, format: fixture.format, fileName: fixture.fileName)
    for chunk in [1, 7, 64] {
      let chunked = try FormatRunner.sanitize(
        fixture.input, format: fixture.format, fileName: fixture.fileName, maxChunk: chunk)
      #expect(whole.output == chunked.output, "chunk size \(chunk)")
      #expect(whole.report == chunked.report, "chunk size \(chunk)")
    }
  }
}
