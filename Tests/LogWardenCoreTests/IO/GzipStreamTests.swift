import Foundation
import Testing
import LogWardenCore

@Suite struct GzipStreamTests {
  @Test func decodesSystemGzipOutput() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let plain = IOTestSupport.logText(lines: 20_000)
    let compressed = try IOTestSupport.gzipWithSystemTool(plain, in: directory)
    #expect(try IOTestSupport.gunzip(compressed) == plain)
  }

  @Test func roundTripsWithOneByteUpstreamReads() throws {
    let plain = IOTestSupport.logText(lines: 300)
    let compressed = try IOTestSupport.gzipWithSink(plain)
    #expect(try IOTestSupport.gunzip(compressed, maxChunk: 1) == plain)
    // One-byte reads on the output side too: every internal boundary gets exercised.
    #expect(try IOTestSupport.gunzip(compressed, maxChunk: 7, readSize: 1) == plain)
  }

  @Test func roundTripsLargeRandomInput() throws {
    let plain = IOTestSupport.randomBytes(count: 3 << 20 + 12_345, seed: 42)
    let compressed = try IOTestSupport.gzipWithSink(plain, level: 1)
    #expect(try IOTestSupport.gunzip(compressed, maxChunk: 100_003, readSize: 65_537) == plain)
  }

  @Test func sinkAcceptsManySmallWrites() throws {
    let plain = IOTestSupport.logText(lines: 500)
    let memory = MemorySink()
    let sink = try GzipCompressingSink(downstream: memory, name: "test")
    for byte in plain { try sink.write([byte]) }
    try sink.finish()
    #expect(sink.uncompressedByteCount == plain.count)
    #expect(try IOTestSupport.gunzip(memory.bytes) == plain)
  }

  @Test func sinkOutputDecodesWithSystemGzip() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let plain = IOTestSupport.logText(lines: 5_000)
    let archive = directory.appendingPathComponent("out.gz")
    let decoded = directory.appendingPathComponent("out")
    try Data(try IOTestSupport.gzipWithSink(plain)).write(to: archive)
    #expect(try IOTestSupport.run("/bin/gzip", ["-dc", archive.path], stdoutPath: decoded.path) == 0)
    #expect([UInt8](try Data(contentsOf: decoded)) == plain)
  }

  @Test func decodesConcatenatedMembers() throws {
    let parts = [
      IOTestSupport.logText(lines: 100, seed: 1), [], IOTestSupport.randomBytes(count: 70_000, seed: 2),
      IOTestSupport.logText(lines: 3, seed: 3),
    ]
    var archive: [UInt8] = []
    for part in parts { archive += try IOTestSupport.gzipWithSink(part) }
    let expected = parts.flatMap { $0 }
    #expect(try IOTestSupport.gunzip(archive) == expected)
    #expect(try IOTestSupport.gunzip(archive, maxChunk: 1, readSize: 999) == expected)
  }

  @Test func emptyContentRoundTrips() throws {
    let compressed = try IOTestSupport.gzipWithSink([])
    #expect(compressed.count == 20)
    #expect(try IOTestSupport.gunzip(compressed) == [])
  }

  @Test func emptyInputIsNotGzip() {
    #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip([]) }
  }

  @Test func truncationAtEveryLengthThrows() throws {
    let compressed = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 50))
    for length in 1..<compressed.count {
      #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(Array(compressed.prefix(length))) }
    }
  }

  @Test func truncatedSecondMemberThrows() throws {
    let first = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 10))
    let second = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 10, seed: 9))
    #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(first + second.prefix(second.count - 1)) }
    #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(first + second.prefix(5)) }
  }

  @Test func crcMismatchThrows() throws {
    var compressed = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 50))
    compressed[compressed.count - 6] ^= 0x01  // inside the CRC32 of the trailer
    #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(compressed) }
  }

  @Test func lengthMismatchThrows() throws {
    var compressed = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 50))
    compressed[compressed.count - 2] ^= 0x01  // inside ISIZE
    #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(compressed) }
  }

  @Test func corruptBodyThrows() throws {
    let plain = IOTestSupport.logText(lines: 200)
    let compressed = try IOTestSupport.gzipWithSink(plain)
    for position in stride(from: 10, to: compressed.count - 8, by: 37) {
      var damaged = compressed
      damaged[position] ^= 0x10
      #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(damaged) }
    }
  }

  @Test func trailingGarbageThrows() throws {
    let compressed = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 5))
    #expect(throws: LogWardenError.self) { try IOTestSupport.gunzip(compressed + Array("garbage".utf8)) }
  }

  @Test func errorMessagesNameTheInputNotItsContent() throws {
    let secret = Array("AUTH PLAIN c2VjcmV0\r\n".utf8)
    var compressed = try IOTestSupport.gzipWithSink(secret)
    compressed[compressed.count - 6] ^= 0x01
    do {
      _ = try GzipDecompressingSource(upstream: MemorySource(compressed), name: "smtp.log.gz").readAllForTest()
      Issue.record("expected an error")
    } catch {
      guard case .badInput(let path, let reason) = error else { Issue.record("wrong error \(error)"); return }
      #expect(path == "smtp.log.gz")
      #expect(!reason.contains("AUTH"))
    }
  }
}

extension ByteSource {
  fileprivate func readAllForTest() throws(LogWardenError) -> [UInt8] { try IOTestSupport.readAll(self) }
}
