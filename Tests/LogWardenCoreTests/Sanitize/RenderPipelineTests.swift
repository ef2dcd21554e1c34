import Testing
@testable import LogWardenCore

/// The vendor profile renders exchange-csv rows on a second thread (`DeferredRowPipeline`). Output and counts must
/// be exactly those of rendering inline, across many batches; a write error on the render thread must surface.
struct RenderPipelineTests {
  private func vendor(secondCore: Bool) -> SanitizeOptions {
    var options = SanitizeOptions(profile: .vendor, pseudonymKeys: testKeys)
    options.rendersOnSecondCore = secondCore
    return options
  }

  @Test(arguments: [(UInt64(5), 8), (6, 48)])
  func secondThreadWritesExactlyWhatInlineRenderingWrites(seed: UInt64, concurrency: Int) throws {
    let generated = MemorySink()
    // Several 1 MiB batches, and session bodies open across batch boundaries.
    try ExchangeLogGenerator(seed: seed, concurrentSessions: concurrency).write(targetBytes: 5 << 20, to: generated)
    let inline = MemorySink()
    let inlineReport = try Sanitizer(options: vendor(secondCore: false)).sanitize(
      source: MemorySource(generated.bytes, maxChunk: 300_007), sink: inline, name: "RECV2026010100-1.LOG")
    let threaded = MemorySink()
    let threadedReport = try Sanitizer(options: vendor(secondCore: true)).sanitize(
      source: MemorySource(generated.bytes, maxChunk: 65_537), sink: threaded, name: "RECV2026010100-1.LOG")
    #expect(inline.bytes.count > 1 << 20)
    #expect(threaded.bytes == inline.bytes)
    #expect(threadedReport == inlineReport)
    #expect(threadedReport.bytesWritten == threaded.bytes.count)
    #expect((threadedReport.pseudonymized["ip"] ?? 0) > 1000)
  }

  /// A sink that fails once `limit` bytes have been written.
  final class FailingSink: ByteSink {
    let limit: Int
    var written = 0
    init(limit: Int) { self.limit = limit }
    func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
      written += bytes.count
      if written > limit { throw .io(operation: "write", path: "test-output", errno: 28) }
    }
    func finish() throws(LogWardenError) {}
  }

  @Test func aWriteErrorOnTheRenderThreadFailsTheRun() throws {
    let generated = MemorySink()
    try ExchangeLogGenerator(seed: 7, concurrentSessions: 16).write(targetBytes: 4 << 20, to: generated)
    #expect(throws: LogWardenError.self) {
      _ = try Sanitizer(options: vendor(secondCore: true)).sanitize(
        source: MemorySource(generated.bytes), sink: FailingSink(limit: 100_000), name: "RECV2026010100-1.LOG")
    }
  }
}
