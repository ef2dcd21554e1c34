import Foundation
import Testing
import LogWardenCore

func zstdCompressForTest(_ bytes: [UInt8], level: Int32 = 3) throws(LogWardenError) -> [UInt8] {
  let memory = MemorySink()
  let sink = try ZstdCompressingSink(downstream: memory, level: level, name: "test")
  try sink.write(bytes)
  try sink.finish()
  return memory.bytes
}

func zstdDecompressForTest(_ bytes: [UInt8], maxChunk: Int = .max, readSize: Int = 1 << 16) throws(LogWardenError)
  -> [UInt8]
{
  try IOTestSupport.readAll(
    ZstdDecompressingSource(upstream: MemorySource(bytes, maxChunk: maxChunk), name: "test"), readSize: readSize)
}

@Suite struct ZstdStreamTests {
  @Test func roundTripsText() throws {
    let plain = IOTestSupport.logText(lines: 10_000)
    let compressed = try zstdCompressForTest(plain)
    #expect(compressed.count < plain.count / 4)
    #expect(try zstdDecompressForTest(compressed) == plain)
    #expect(try zstdDecompressForTest(compressed, maxChunk: 1, readSize: 3) == plain)
  }

  @Test func roundTripsLargeRandomInputAcrossLevels() throws {
    let plain = IOTestSupport.randomBytes(count: 2 << 20 + 17, seed: 7)
    for level: Int32 in [-3, 1, 9] {
      #expect(try zstdDecompressForTest(zstdCompressForTest(plain, level: level), maxChunk: 50_001, readSize: 70_001) == plain)
    }
  }

  @Test func manySmallWritesAndWorkers() throws {
    let plain = IOTestSupport.logText(lines: 400)
    let memory = MemorySink()
    let sink = try ZstdCompressingSink(downstream: memory, level: 5, workers: 2, name: "test")
    for start in stride(from: 0, to: plain.count, by: 13) { try sink.write(Array(plain[start..<min(start + 13, plain.count)])) }
    try sink.finish()
    #expect(sink.uncompressedByteCount == plain.count)
    #expect(try zstdDecompressForTest(memory.bytes) == plain)
  }

  @Test func decodesConcatenatedFrames() throws {
    let a = IOTestSupport.logText(lines: 50, seed: 1), b = IOTestSupport.logText(lines: 70, seed: 2)
    let joined = try zstdCompressForTest(a) + zstdCompressForTest([]) + zstdCompressForTest(b)
    #expect(try zstdDecompressForTest(joined, maxChunk: 5) == a + b)
  }

  @Test func emptyContentRoundTripsButEmptyInputThrows() throws {
    #expect(try zstdDecompressForTest(zstdCompressForTest([])) == [])
    #expect(throws: LogWardenError.self) { try zstdDecompressForTest([]) }
  }

  @Test func truncationThrows() throws {
    let compressed = try zstdCompressForTest(IOTestSupport.logText(lines: 60))
    for length in 1..<compressed.count {
      #expect(throws: LogWardenError.self) { try zstdDecompressForTest(Array(compressed.prefix(length))) }
    }
  }

  @Test func corruptionThrows() throws {
    var compressed = try zstdCompressForTest(IOTestSupport.logText(lines: 60))
    compressed[compressed.count - 2] ^= 0x40  // in the content checksum
    #expect(throws: LogWardenError.self) { try zstdDecompressForTest(compressed) }
  }

  @Test func decodesSystemZstdOutput() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let plain = IOTestSupport.logText(lines: 3_000)
    let input = directory.appendingPathComponent("log")
    let output = directory.appendingPathComponent("log.zst")
    try Data(plain).write(to: input)
    try #require(try IOTestSupport.run("/usr/bin/zstd", ["-q", "-c", input.path], stdoutPath: output.path) == 0)
    #expect(try zstdDecompressForTest([UInt8](Data(contentsOf: output))) == plain)
  }
}

