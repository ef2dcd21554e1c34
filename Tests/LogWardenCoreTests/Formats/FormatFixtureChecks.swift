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

  /// A UTF-8 byte-order mark in front of an input (Windows tools write one) changes nothing but itself: the format is
  /// still detected, and the output is the mark followed by the same bytes.
  @Test(arguments: FormatFixture.all.filter { !$0.input.starts(with: [0xEF, 0xBB, 0xBF]) })
  func aByteOrderMarkChangesNothingButItself(_ fixture: FormatFixture) throws {
    let plain = try FormatRunner.sanitize(fixture.input, format: nil, fileName: fixture.fileName)
    let marked = try FormatRunner.sanitize([0xEF, 0xBB, 0xBF] + fixture.input, format: nil, fileName: fixture.fileName)
    #expect(marked.report.format == plain.report.format)
    #expect(marked.output == [0xEF, 0xBB, 0xBF] + plain.output)
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

/// Random bytes after a valid start must never come out: whatever a format cannot read as its own text is masked.
struct FormatGarbageTests {
  static let starts: [(format: String, fileName: String, head: String)] = [
    ("exchange55-popimap", "L0000001.log",
     "Microsoft Exchange IMAP4 Protocol Log\r\n01/26/1998 16:54:39.267     (TID:140): IMAP connection accepted from 10.0.0.1\r\n01/26/1998 16:54:39.267 >>> (TID:140): * OK ready\r\n"),
    ("exchange55-ims", "L0000000.LOG",
     "5/13/00 2:36:27 PM : A connection was accepted from SERVER1.\r\n5/13/00 2:36:27 PM : <<< EHLO a\r\n5/13/00 2:36:27 PM : >>> 250-b\r\n"),
    ("iis-smtp-w3c", "ex240101.log",
     "#Software: Microsoft Internet Information Services 6.0\r\n#Fields: date time c-ip cs-username s-sitename cs-method cs-uri-query sc-status cs-version\r\n2024-01-01 00:00:00 192.0.2.1 a SMTPSVC1 EHLO +a 250 SMTP\r\n"),
    ("iis-smtp-ncsa", "nc240101.log",
     "192.0.2.1 - a [01/Jan/2024:10:00:41 -0600] \"EHLO -?+a SMTP\" 250 46\r\n"),
    ("pop3-arrows", "pop3.log", "192.0.2.1 » +OK ready\r\n192.0.2.1 « USER a\r\n192.0.2.1 » +OK\r\n"),
    ("transcript", "t.log", "S: +OK ready\r\nC: USER a\r\nS: +OK\r\n"),
  ]

  @Test(arguments: starts.map(\.format))
  func binaryGarbageNeverPassesThrough(_ format: String) throws {
    let start = Self.starts.first { $0.format == format }!
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var garbage: [UInt8] = []
    for _ in 0..<100_000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      garbage.append(UInt8(truncatingIfNeeded: state >> 33))
    }
    for profile in [SanitizeProfile.level4, .credentials] {
      let output = try FormatRunner.sanitize(
        Array(start.head.utf8) + garbage, format: format, fileName: start.fileName, profile: profile
      ).output
      var leaked = 0
      var i = 0
      while i + 12 <= garbage.count {
        let window = Array(garbage[i..<(i + 12)])
        if !window.contains(0x0A) && !window.contains(0x0D) && Self.contains(output, window) { leaked += 1 }
        i += 997
      }
      #expect(leaked == 0, "\(format) \(profile)")
    }
  }

  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
      if haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
    }
    return false
  }
}
