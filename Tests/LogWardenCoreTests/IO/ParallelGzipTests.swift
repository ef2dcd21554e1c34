import Foundation
import Testing
import LogWardenCore

@Suite struct ParallelGzipSinkTests {
  /// Compresses `plain` in writes of `writeSize` bytes and returns the archive and the sink.
  private func compress(
    _ plain: [UInt8], level: Int32 = ParallelGzipSink.recommendedArchiveLevel, chunkSize: Int, threads: Int,
    writeSize: Int = 1 << 16
  ) throws -> (archive: [UInt8], sink: ParallelGzipSink) {
    let memory = MemorySink()
    let sink = try ParallelGzipSink(downstream: memory, level: level, chunkSize: chunkSize, threads: threads, name: "t")
    var offset = 0
    while offset < plain.count {
      let end = min(offset + writeSize, plain.count)
      try sink.write(Array(plain[offset..<end]))
      offset = end
    }
    try sink.finish()
    return (memory.bytes, sink)
  }

  @Test(arguments: [1, 2, 4])
  func roundTripsAndKeepsMemberOrder(threads: Int) throws {
    // Random data makes misordered members impossible to miss.
    let plain = IOTestSupport.randomBytes(count: 600_000, seed: UInt64(threads))
    let (archive, sink) = try compress(plain, chunkSize: 4096, threads: threads, writeSize: 10_007)
    #expect(sink.memberCount == (plain.count + 4095) / 4096)
    #expect(sink.uncompressedByteCount == plain.count)
    #expect(sink.compressedByteCount == archive.count)
    #expect(try IOTestSupport.gunzip(archive, maxChunk: 65_521) == plain)
  }

  @Test func chunkBoundariesAndTinyWrites() throws {
    let chunk = 1024
    for length in [chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 7] {
      let plain = IOTestSupport.logText(lines: 40).prefix(length).map { $0 }
      let (archive, sink) = try compress(plain, chunkSize: chunk, threads: 2, writeSize: 1)
      #expect(sink.memberCount == (plain.count + chunk - 1) / chunk)
      #expect(try IOTestSupport.gunzip(archive, maxChunk: 1, readSize: 333) == plain)
    }
  }

  @Test func largeLogDecodesWithSystemGzipAndVerifier() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let plain = IOTestSupport.logText(lines: 60_000) + IOTestSupport.randomBytes(count: 300_000, seed: 5)
    let (archive, sink) = try compress(plain, chunkSize: 256 << 10, threads: 2, writeSize: 1 << 20)
    let archivePath = directory.appendingPathComponent("out.gz")
    let decodedPath = directory.appendingPathComponent("out")
    try Data(archive).write(to: archivePath)
    #expect(try IOTestSupport.run("/bin/gzip", ["-dc", archivePath.path], stdoutPath: decodedPath.path) == 0)
    #expect([UInt8](try Data(contentsOf: decodedPath)) == plain)
    #expect(try IOTestSupport.readAll(InputOpener.openInput(path: archivePath.path)) == plain)

    let verification = try GzipVerifier.verify(path: archivePath.path)
    #expect(verification.uncompressedBytes == plain.count)
    #expect(verification.compressedBytes == archive.count)
    #expect(verification.memberCount == sink.memberCount)
    #expect(verification.contentCRC32 == sink.contentCRC32)
    _ = try GzipVerifier.verify(
      path: archivePath.path, expectedUncompressedBytes: sink.uncompressedByteCount, expectedCRC32: sink.contentCRC32)
    #expect(throws: LogWardenError.self) {
      try GzipVerifier.verify(
        path: archivePath.path, expectedUncompressedBytes: sink.uncompressedByteCount, expectedCRC32: sink.contentCRC32 ^ 1)
    }
    #expect(throws: LogWardenError.self) {
      try GzipVerifier.verify(
        path: archivePath.path, expectedUncompressedBytes: sink.uncompressedByteCount - 1, expectedCRC32: sink.contentCRC32)
    }
  }

  @Test func emptyInputGivesOneValidEmptyMember() throws {
    let (archive, sink) = try compress([], chunkSize: 4096, threads: 2)
    #expect(sink.memberCount == 1)
    #expect(sink.contentCRC32 == 0)
    #expect(try IOTestSupport.gunzip(archive) == [])
    let verification = try GzipVerifier.verify(source: MemorySource(archive), name: "t")
    #expect(verification.uncompressedBytes == 0)
    #expect(verification.memberCount == 1)
  }

  @Test func everyLevelRoundTrips() throws {
    let plain = IOTestSupport.logText(lines: 2_000)
    for level: Int32 in 0...12 {
      let (archive, _) = try compress(plain, level: level, chunkSize: 32 << 10, threads: 2)
      #expect(try IOTestSupport.gunzip(archive) == plain)
    }
  }

  @Test func rejectsBadParameters() {
    #expect(throws: LogWardenError.self) { try ParallelGzipSink(downstream: MemorySink(), level: 13, name: "t") }
    #expect(throws: LogWardenError.self) { try ParallelGzipSink(downstream: MemorySink(), chunkSize: 10, name: "t") }
    #expect(throws: LogWardenError.self) { try ParallelGzipSink(downstream: MemorySink(), threads: 0, name: "t") }
  }

  @Test func downstreamFailureIsReportedAndSticks() throws {
    let sink = try ParallelGzipSink(downstream: FailingSink(), chunkSize: 1024, threads: 2, name: "t")
    let data = IOTestSupport.randomBytes(count: 64 << 10, seed: 3)
    #expect(throws: LogWardenError.self) { try sink.write(data) }
    #expect(throws: LogWardenError.self) { try sink.write(data) }
    #expect(throws: LogWardenError.self) { try sink.finish() }
  }

  @Test func abandonedSinkShutsDownCleanly() throws {
    // Dropping a sink mid-stream (e.g. after a sanitizer error) must not crash or hang.
    for _ in 0..<20 {
      let sink = try ParallelGzipSink(downstream: MemorySink(), chunkSize: 1024, threads: 3, name: "t")
      try sink.write(IOTestSupport.randomBytes(count: 20_000, seed: 9))
    }
  }
}

@Suite struct GzipVerifierTests {
  private func parallelArchive(_ plain: [UInt8], chunkSize: Int = 8192) throws -> [UInt8] {
    let memory = MemorySink()
    let sink = try ParallelGzipSink(downstream: memory, chunkSize: chunkSize, threads: 2, name: "t")
    try sink.write(plain)
    try sink.finish()
    return memory.bytes
  }

  private func verify(_ archive: [UInt8], maxChunk: Int = .max) throws(LogWardenError) -> GzipVerification {
    try GzipVerifier.verify(source: MemorySource(archive, maxChunk: maxChunk), name: "t")
  }

  @Test func acceptsSystemGzipSingleMemberLargerThanTheFastPath() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // More than 8 MiB in one member forces the zlib streaming path.
    let plain = IOTestSupport.randomBytes(count: 9 << 20, seed: 11)
    let archive = try IOTestSupport.gzipWithSystemTool(plain, level: 1, in: directory)
    let verification = try verify(archive, maxChunk: 1 << 20)
    #expect(verification.uncompressedBytes == plain.count)
    #expect(verification.memberCount == 1)
    let expectedCRC = try GzipVerifier.verify(source: MemorySource(try IOTestSupport.gzipWithSink(plain, level: 1)), name: "t").contentCRC32
    #expect(verification.contentCRC32 == expectedCRC)
  }

  @Test func mixedMemberSizesAndSources() throws {
    let small = IOTestSupport.logText(lines: 30)
    let big = IOTestSupport.randomBytes(count: 9 << 20, seed: 12)
    let archive = try parallelArchive(small) + IOTestSupport.gzipWithSink(big, level: 1) + parallelArchive(small)
    let verification = try verify(archive, maxChunk: 777_777)
    #expect(verification.uncompressedBytes == 2 * small.count + big.count)
    #expect(verification.memberCount == 3)
    let reference = try verify(try parallelArchive(small + big + small, chunkSize: 1 << 20))
    #expect(verification.contentCRC32 == reference.contentCRC32)
  }

  @Test func catchesAFlippedByteAnywhere() throws {
    // Two members with a known boundary, so header bytes can be told apart.
    let first = try parallelArchive(IOTestSupport.logText(lines: 1_500, seed: 1), chunkSize: 1 << 20)
    let second = try parallelArchive(IOTestSupport.logText(lines: 1_500, seed: 2), chunkSize: 1 << 20)
    let archive = first + second
    var positions = Array(stride(from: 0, to: archive.count, by: max(1, archive.count / 300)))
    positions += [first.count - 1, first.count, first.count + 3, archive.count - 1, archive.count - 5, archive.count - 8]
    for position in positions {
      // gzip has no checksum over a header's MTIME, XFL and OS bytes (offsets 4...9).
      let offsetInMember = position < first.count ? position : position - first.count
      if (4...9).contains(offsetInMember) { continue }
      var damaged = archive
      damaged[position] ^= 0x04
      #expect(throws: LogWardenError.self, "flip at \(position)") { try verify(damaged) }
    }
  }

  @Test func catchesTruncationAndTrailingGarbageAndEmptyFiles() throws {
    let archive = try parallelArchive(IOTestSupport.logText(lines: 500), chunkSize: 2048)
    for cut in [1, 10, 17, archive.count / 2, archive.count - 1] {
      #expect(throws: LogWardenError.self, "cut at \(cut)") { try verify(Array(archive.prefix(cut))) }
    }
    #expect(throws: LogWardenError.self) { try verify(archive + [0, 0, 0, 0]) }
    #expect(throws: LogWardenError.self) { try verify(archive + Array("x".utf8)) }
    #expect(throws: LogWardenError.self) { try verify([]) }
  }

  @Test func missingFileIsAnIOError() {
    #expect(throws: LogWardenError.self) { try GzipVerifier.verify(path: "/nonexistent-\(UUID().uuidString).gz") }
  }
}

/// A sink whose writes always fail, to exercise error propagation.
private final class FailingSink: ByteSink {
  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    throw LogWardenError.io(operation: "write", path: "failing", errno: 28)
  }
  func finish() throws(LogWardenError) {}
}
