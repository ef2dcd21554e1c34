import Testing

@testable import LogWardenCore

@Suite struct RewriteRobustnessTests {
  /// A small deterministic generator, so failures reproduce.
  struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
  }

  static let alphabet = Array("0123456789abcdefABCDEFxyzS-_.:@<>[](),=/%\\\"' \t\u{e9}".utf8)

  /// Random byte soup: the scanners must neither crash nor read past the line (debug builds check indices).
  @Test func randomLinesDoNotCrash() {
    var generator = Generator(state: 1)
    let pseudonymizer = Pseudonymizer(
      keys: testKeys, options: PseudonymOptions(identifierMasks: [.windowsSIDs, .guids, .dovecotSessionIDs]))
    var counts: [String: Int] = [:]
    for _ in 0..<20_000 {
      let length = Int(generator.next() % 80)
      let line = (0..<length).map { _ in generator.pick(Self.alphabet) }
      var out = [UInt8]()
      line.withUnsafeBytes { pseudonymizer.rewriteLine($0, into: &out, counts: &counts) }
      if length > 0 { #expect(!out.isEmpty) }
    }
  }

  /// Known identities dropped into random surroundings never survive rewriting.
  @Test func embeddedIdentitiesNeverSurvive() {
    var generator = Generator(state: 7)
    let pseudonymizer = Pseudonymizer(keys: testKeys)
    let identities = [
      "198.51.100.23", "2001:db8:abcd::42", "[2001:db8:abcd::43]:25", "::ffff:198.51.100.24",
      "carol.smith@example.org", "<dave+tag@mail.example.net>", "erin@[198.51.100.25]",
    ]
    let secrets = ["198.51.100.2", "2001:db8:abcd", "carol", "dave", "erin", "example"]
    let separators = [" ", ", ", "; ", "=", " (", ") ", "\t", " from ", " to=<", "> "]
    for _ in 0..<2_000 {
      var line = ""
      for _ in 0..<4 {
        line += generator.pick(separators)
        line += generator.pick(identities)
      }
      line += generator.pick(separators)
      let rewritten = pseudonymizer.rewrite(line)
      for secret in secrets {
        #expect(!rewritten.contains(secret), "\(secret) survived in \(line) -> \(rewritten)")
      }
    }
  }
}
