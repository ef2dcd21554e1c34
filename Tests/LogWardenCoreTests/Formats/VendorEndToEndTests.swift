import Foundation
import Testing
@testable import LogWardenCore

/// The vendor profile over every format fixture: no original IP address, e-mail address or user name survives, and
/// each identity that survives level4 is replaced by its one pseudonym exactly as often as it appeared.
struct VendorEndToEndTests {
  static let users = ["erin", "frank", "judy", "grace", "heidi", "ivan", "mrose", "relayuser"]

  func run(_ url: URL, profile: SanitizeProfile) throws -> String {
    let sink = MemorySink()
    _ = try Sanitizer(options: SanitizeOptions(profile: profile, pseudonymKeys: testKeys)).sanitize(
      source: try FileDescriptorSource(path: url.path), sink: sink, name: url.lastPathComponent)
    return String(decoding: sink.bytes, as: UTF8.self)
  }

  /// IPv4 addresses and e-mail addresses in `text` (test code: a regex is fine here).
  func identities(in text: String) -> Set<String> {
    let patterns = [#"\b(?:\d{1,3}\.){3}\d{1,3}\b"#, #"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#]
    var found = Set<String>()
    for pattern in patterns {
      let regex = try! NSRegularExpression(pattern: pattern)
      for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        found.insert(String(text[Range(match.range, in: text)!]))
      }
    }
    return found
  }

  func occurrences(_ needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
  }

  @Test(arguments: FormatGoldenTests.cases)
  func noIdentitySurvivesAndPseudonymsAreConsistent(_ fixture: String) throws {
    let url = FormatGoldenTests.root.appendingPathComponent(fixture)
    // Header lines (#Version: 15.0.0.0 …) carry no identities and stay as they are.
    func body(_ text: String) -> String {
      text.components(separatedBy: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("\u{FEFF}#") }.joined(separator: "\n")
    }
    let level4 = body(try run(url, profile: .level4))
    let vendor = body(try run(url, profile: .vendor))
    let pseudonymizer = Pseudonymizer(keys: testKeys)
    for original in identities(in: level4) {
      if original.hasPrefix("127.") || original.hasPrefix("user-") { continue }
      let isEmail = original.contains("@")
      // Message-ids (<id@host>) are pseudonymized like addresses; the token must differ from the original.
      #expect(!vendor.contains(original), "\(fixture): \(original) survives the vendor profile")
      let pseudonym = pseudonymizer.pseudonym(for: original).pseudonym
      #expect(pseudonym != original)
      if !isEmail {
        #expect(
          occurrences(pseudonym, in: vendor) >= occurrences(original, in: level4),
          "\(fixture): the pseudonym of \(original) does not replace every occurrence")
      }
    }
    for user in Self.users where level4.range(of: "\\b\(user)\\b", options: .regularExpression) != nil {
      #expect(vendor.range(of: "\\b\(user)\\b", options: .regularExpression) == nil, "\(fixture): user \(user) survives")
    }
  }
}
