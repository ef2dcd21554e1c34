import Foundation
import Testing
@testable import LogWardenCore

/// The secrets planted in the exchange-csv fixtures, and their base64 forms, never survive sanitizing.
struct ExchangeCSVLeakTests {
  static let secrets = ["Winter2024!", "hunter2 with spaces", "p\"a\\ss word", "p,a\"ss word", "secret-from-earlier-file"]
  static let bodyText = ["merger, confidential", "the deal closes Friday", "dot-stuffed body", "bonus is confidential",
                         "everyone gets a raise", "Subject: draft", "Subject: second message", "dropped mid-body"]

  static func forms(_ secret: String) -> [String] {
    [secret, Base64.encode(Array(secret.utf8))] + ["\0dave@contoso.test\0", "\0erin\0", "\0frank\0", "\0heidi\0", "x\0"].map {
      Base64.encode(Array(($0 + secret).utf8))
    }
  }

  @Test(arguments: ["receive-interleaved", "send-auth", "pop3-2010", "imap-2010", "imap4-2013", "pop3-2013", "malformed"])
  func noSecretOrBodySurvives(_ name: String) throws {
    let url = FormatGoldenTests.root.appendingPathComponent("exchange-csv/\(name).log")
    let (output, report) = try FormatGoldenTests.sanitize(url, profile: .level4)
    for secret in Self.secrets {
      for form in Self.forms(secret) { #expect(!output.contains(form), "\(name) leaks a form of a planted secret") }
    }
    for text in Self.bodyText { #expect(!output.contains(text), "\(name) leaks body text") }
    #expect(report.format == "exchange-csv")
  }

  @Test func credentialsProfileKeepsBodiesButNotSecrets() throws {
    let url = FormatGoldenTests.root.appendingPathComponent("exchange-csv/receive-interleaved.log")
    let (output, report) = try FormatGoldenTests.sanitize(url, profile: .credentials)
    #expect(output.contains("the deal closes Friday"))
    #expect(report.bodyLinesDropped == 0)
    for secret in Self.secrets { for form in Self.forms(secret) { #expect(!output.contains(form)) } }
  }

  @Test func everyChunkBoundaryGivesTheSameOutput() throws {
    let url = FormatGoldenTests.root.appendingPathComponent("exchange-csv/receive-interleaved.log")
    let bytes = Array(try Data(contentsOf: url))
    let reference = try sanitizeBytes(bytes, maxChunk: Int.max)
    for chunk in [1, 2, 3, 7, 64, 1000] {
      #expect(try sanitizeBytes(bytes, maxChunk: chunk) == reference, "chunk size \(chunk)")
    }
  }

  func sanitizeBytes(_ bytes: [UInt8], maxChunk: Int) throws -> [UInt8] {
    let sink = MemorySink()
    _ = try Sanitizer(options: SanitizeOptions(profile: .level4)).sanitize(
      source: MemorySource(bytes, maxChunk: maxChunk), sink: sink, name: "RECV2023011116-1.LOG")
    return sink.bytes
  }
}
