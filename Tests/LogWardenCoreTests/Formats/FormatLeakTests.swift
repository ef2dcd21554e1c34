import Foundation
import Testing
@testable import LogWardenCore

/// Fixture conventions: every secret contains `s3cr3t` (in clear, in base64, or UTF-16LE inside an NTLM blob), every
/// line of message content contains `zzbody`. Whatever the goldens say, none of it may survive sanitizing.
struct FormatLeakTests {
  /// Secrets that cannot carry the marker: the APOP digest of the fixtures, and base64 halves of wrapped blobs.
  static let otherSecrets = [
    "c4c9334bac560ecc979e58001b3e22fb",
    "ZC1wbGFpbi1zM2NyM3Q=",  // exchange55-popimap/wrapped-lines
    "LXMzY3IzdA==",  // exchange55-ims/garbage-midway-truncated
    "AHUxMTZiaXQAd3JhcHBl",
    "AEpvaG5EAGltcy13cmFwcGVk",
  ]

  @Test(arguments: FormatFixture.all)
  func noSecretSurvivesLevel4(_ fixture: FormatFixture) throws {
    let output = try FormatRunner.sanitize(fixture.input, format: fixture.format, fileName: fixture.fileName).output
    let text = FormatRunner.text(output)
    for secret in Self.secrets(in: fixture.input) {
      #expect(!text.contains(secret), "\(fixture.testDescription) leaks a secret")
    }
    #expect(!text.lowercased().contains("s3cr3t"), "\(fixture.testDescription) leaks a marked secret")
    #expect(!text.contains("zzbody"), "\(fixture.testDescription) leaks message content")
  }

  @Test(arguments: FormatFixture.all)
  func noSecretSurvivesCredentialsProfile(_ fixture: FormatFixture) throws {
    let output = try FormatRunner.sanitize(
      fixture.input, format: fixture.format, fileName: fixture.fileName, profile: .credentials
    ).output
    let text = FormatRunner.text(output)
    for secret in Self.secrets(in: fixture.input) {
      #expect(!text.contains(secret), "\(fixture.testDescription) leaks a secret")
    }
    #expect(!text.lowercased().contains("s3cr3t"), "\(fixture.testDescription) leaks a marked secret")
  }

  /// The vendor profile (pseudonyms on top of level4) keeps the level4 masking and the line structure.
  @Test(arguments: FormatFixture.all.filter { FormatLeakTests.markedFormats.contains($0.format) })
  func vendorProfileKeepsMaskingAndShape(_ fixture: FormatFixture) throws {
    let sink = MemorySink()
    _ = try Sanitizer(options: SanitizeOptions(profile: .vendor, formatName: fixture.format, pseudonymKeys: testKeys))
      .sanitize(source: MemorySource(fixture.input), sink: sink, name: fixture.fileName)
    let text = FormatRunner.text(sink.bytes)
    for secret in Self.secrets(in: fixture.input) { #expect(!text.contains(secret)) }
    #expect(!text.lowercased().contains("s3cr3t"))
    #expect(!text.contains("zzbody"))
    let level4 = try FormatRunner.sanitize(fixture.input, format: fixture.format, fileName: fixture.fileName).output
    #expect(sink.bytes.filter { $0 == 0x0A }.count == level4.filter { $0 == 0x0A }.count)
  }

  /// Formats whose fixtures follow the `s3cr3t` / `zzbody` convention (others have leak tests of their own).
  static let markedFormats = [
    "exchange55-popimap", "exchange55-ims", "iis-smtp-w3c", "iis-smtp-ncsa", "pop3-arrows", "transcript",
  ]

  /// The leak check itself must see the fixtures' secrets.
  @Test func everyFormatHasSecrets() {
    for format in Self.markedFormats {
      let count = FormatFixture.all.filter { $0.format == format }.map { Self.secrets(in: $0.input).count }.reduce(0, +)
      #expect(count >= 4, "\(format): only \(count) secrets found in the fixtures")
    }
  }

  /// Every string in `input` that must not reach the output: clear secrets and their base64 forms, base64 tokens
  /// whose decoding contains the marker, and the listed others present in the input.
  static func secrets(in input: [UInt8]) -> Set<String> {
    let text = String(decoding: input, as: UTF8.self)
    var result = Set<String>()
    for token in tokens(text, extraSeparators: []) + tokens(text, extraSeparators: ["+"]) {
      if token.lowercased().contains("s3cr3t") {
        result.insert(token)
        result.insert(Data(token.utf8).base64EncodedString())
      }
      if token.count >= 8, let decoded = decodeBase64(token), containsMarker(decoded) {
        result.insert(token)
      }
    }
    for other in otherSecrets where text.contains(other) { result.insert(other) }
    return result
  }

  private static func tokens(_ text: String, extraSeparators: Set<Character>) -> [String] {
    let base64: Set<Character> = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_!")
    return text.split { !base64.contains($0) || extraSeparators.contains($0) }.map(String.init)
  }

  private static func decodeBase64(_ token: String) -> [UInt8]? {
    var t = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    t = t.trimmingCharacters(in: CharacterSet(charactersIn: "="))
    while t.count % 4 != 0 { t += "=" }
    return Data(base64Encoded: t).map { [UInt8]($0) }
  }

  private static func containsMarker(_ bytes: [UInt8]) -> Bool {
    let ascii = Array("s3cr3t".utf8)
    let utf16: [UInt8] = ascii.flatMap { [$0, UInt8(0)] }
    return contains(bytes, ascii) || contains(bytes, utf16)
  }

  private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
      return true
    }
    return false
  }
}
