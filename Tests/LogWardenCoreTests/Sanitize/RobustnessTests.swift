import Testing
@testable import LogWardenCore

/// Inputs that must never crash the sanitizer or make it pass a secret.
struct RobustnessTests {
  func sanitize(_ bytes: [UInt8], name: String = "RECV2023011115-1.LOG", format: String? = nil) throws -> ([UInt8], FileReport) {
    let sink = MemorySink()
    let report = try Sanitizer(options: SanitizeOptions(profile: .level4, formatName: format)).sanitize(
      source: MemorySource(bytes, maxChunk: 1 << 16), sink: sink, name: name)
    return (sink.bytes, report)
  }

  static let header = Array(
    "#Log-type: SMTP Receive Protocol Log\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n".utf8)

  @Test func tenMebibyteLineIsMaskedAndFollowingLinesStillProcessed() throws {
    var input = Self.header
    input += Array("2023-01-01T00:00:00.000Z,C,00000000000000AB,1,192.0.2.1:25,198.51.100.1:1,<,AUTH PLAIN ".utf8)
    input += [UInt8](repeating: 0x41, count: 10 << 20)
    input += Array(",\r\n2023-01-01T00:00:01.000Z,C,00000000000000AB,2,192.0.2.1:25,198.51.100.1:1,<,PASS again,\r\n".utf8)
    let (output, report) = try sanitize(input)
    #expect(output.count < 4096)
    #expect(report.unparsedLines == 1)
    let text = String(decoding: output, as: UTF8.self)
    #expect(!text.contains("AAAAAAAA"))
    #expect(!text.contains("again"))
    #expect(report.linesRead == 4)
  }

  @Test func theFallbackSaysThatItKeepsBodies() throws {
    let (_, level4) = try sanitize(Array("some text a server wrote\nPASS hunter2\n".utf8), name: "unknown.txt")
    #expect(level4.format == "generic")
    #expect(level4.warnings.contains { $0.contains("message bodies not recognised and kept") })
  }

  @Test func binaryGarbageNeverPassesThrough() throws {
    var rng = SplitMix64(seed: 42)
    var garbage: [UInt8] = []
    for _ in 0..<200_000 { garbage.append(UInt8(truncatingIfNeeded: rng.next())) }
    for name in ["RECV2023011115-1.LOG", "unknown.bin"] {
      let (output, _) = try sanitize(Self.header + garbage, name: name)
      // No 16-byte window of the garbage may survive (lines that happen to parse keep only their structure).
      let text = output
      var leaked = 0
      var i = 0
      while i + 16 <= garbage.count {
        if garbage[i..<i + 16].allSatisfy({ $0 != 0x0A && $0 != 0x0D && $0 != 0x2C }) {
          let window = Array(garbage[i..<i + 16])
          if text.count >= 16 && search(text, window) { leaked += 1 }
        }
        i += 4096
      }
      #expect(leaked == 0, "\(name)")
    }
  }

  @Test func emptyAndTruncatedInputs() throws {
    let (empty, _) = try sanitize([])
    #expect(empty.isEmpty)
    let truncated = Self.header + Array("2023-01-01T00:00:00.000Z,C,00000000000000AB,1,192.0.2.1:25,198.51.100.1:1,<,PASS sec".utf8)
    let (output, report) = try sanitize(truncated)
    #expect(!String(decoding: output, as: UTF8.self).contains("sec"))
    #expect(output.last != 0x0A, "a truncated last line stays without a line break")
    #expect(report.unparsedLines == 1)
  }

  func search(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
      if Array(haystack[i..<i + needle.count]) == needle { return true }
    }
    return false
  }
}
