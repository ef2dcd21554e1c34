import Testing
@testable import LogWardenCore

/// Thousands of interleaved generated sessions, each authenticating with a planted secret (PLAIN with an initial
/// response or LOGIN with continuation lines) and sending a body: no secret, no base64 form of one, and no body
/// text may survive, whatever the chunking and whichever session order the generator picked.
struct GeneratedLogLeakTests {
  @Test(arguments: [(UInt64(1), 1), (2, 3), (3, 16), (4, 64)])
  func plantedSecretsNeverSurvive(seed: UInt64, concurrency: Int) throws {
    let generated = MemorySink()
    try ExchangeLogGenerator(seed: seed, concurrentSessions: concurrency).write(targetBytes: 1 << 20, to: generated)
    let sink = MemorySink()
    let report = try Sanitizer(options: SanitizeOptions(profile: .level4)).sanitize(
      source: MemorySource(generated.bytes, maxChunk: 65_537), sink: sink, name: "RECV2026010100-1.LOG")
    let output = String(decoding: sink.bytes, as: UTF8.self)
    #expect(report.unparsedLines == 0)
    #expect(report.totalCredentialsMasked > 200)
    for secret in ExchangeLogGenerator.plantedSecrets {
      #expect(!output.contains(secret))
      #expect(!output.contains(Base64.encode(Array(secret.utf8))))
    }
    #expect(!output.contains("AHVzZXI"))  // no base64 of "\0user…" (PLAIN responses)
    #expect(!output.contains("Confidential body line"))
    #expect(!output.contains("Subject: quarterly"))
  }
}
