import Foundation
import Testing
@testable import LogWardenCore

/// `OverlappedIO` reads and writes on a second thread. It must frame lines exactly as `LineReader` does, write
/// exactly what it is given in order (kept bytes by reference into its slots, new bytes through its arenas), and
/// surface read and write failures without hanging.
struct OverlappedIOTests {
  enum Event: Equatable {
    case line([UInt8], LineTerminator)
    case overlong([UInt8])
  }

  /// Text with CRLF and LF lines, empty lines, an overlong line and a last line without a line break.
  static func mixedText(seed: UInt64, lines: Int) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var text: [UInt8] = []
    for index in 0..<lines {
      let length = index == lines / 2 ? 3000 : Int(rng.next() % 120)
      for _ in 0..<length { text.append(0x20 + UInt8(rng.next() % 90)) }
      text += rng.next() % 3 == 0 ? [0x0D, 0x0A] : [0x0A]
    }
    text += Array("tail without a line break".utf8)
    return text
  }

  static func lineReaderEvents(_ text: [UInt8], chunk: Int) throws -> [Event] {
    var events: [Event] = []
    try LineReader(maxLineLength: 1024, readSize: 4096).run(
      source: MemorySource(text, maxChunk: chunk), firstChunk: { _ in },
      line: { line, terminator in events.append(.line(Array(line.buffer), terminator)) },
      overlong: { prefix, _ in events.append(.overlong(Array(prefix.buffer.prefix(1024)))) },
      chunkDone: {})
    return events
  }

  /// Runs `OverlappedIO` over `text`, echoing every line (by reference) and its terminator (copied) to a memory sink.
  static func overlappedEvents(_ text: [UInt8], chunk: Int, readSize: Int = 4096) throws -> ([Event], [UInt8], Int) {
    let sink = MemorySink()
    let io = OverlappedIO(source: MemorySource(text, maxChunk: chunk), sink: sink, maxLineLength: 1024, readSize: readSize)
    defer { io.abandon() }
    var events: [Event] = []
    var writeFailure: LogWardenError? = nil
    let crlf: [UInt8] = [0x0D, 0x0A]
    try io.run(
      firstChunk: { _ in },
      line: { line, terminator in
        events.append(.line(Array(line.buffer), terminator))
        do {
          try io.write(UnsafeRawBufferPointer(line.buffer))
          try Self.write(Array(crlf.suffix(terminator.length)), to: io)
        } catch {
          writeFailure = error as? LogWardenError
        }
      },
      overlong: { prefix, _ in events.append(.overlong(Array(prefix.buffer.prefix(1024)))) },
      chunkDone: {})
    if let writeFailure { throw writeFailure }
    try io.finish()
    return (events, sink.bytes, io.bytesWritten)
  }

  /// Writes new bytes (not from a slot: they are copied before `write` returns).
  static func write(_ bytes: [UInt8], to io: OverlappedIO) throws(LogWardenError) {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { copy.deallocate() }
    copy.copyBytes(from: bytes)
    try io.write(UnsafeRawBufferPointer(copy))
  }

  /// Where two sequences first differ (nil when equal), so a failure does not print megabytes.
  static func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int? {
    for index in 0..<min(a.count, b.count) where a[index] != b[index] { return index }
    return a.count == b.count ? nil : min(a.count, b.count)
  }

  /// What the echo writes: every line that is not overlong, with its own terminator.
  static func echoed(_ events: [Event]) -> [UInt8] {
    var bytes: [UInt8] = []
    for case .line(let line, let terminator) in events { bytes += line + terminator.bytes }
    return bytes
  }

  @Test(arguments: [1, 7, 100, 999, 5000, Int.max])
  func framesAndEchoesLikeTheLineReader(chunk: Int) throws {
    let text = Self.mixedText(seed: 0x0E10 &+ UInt64(chunk % 1000), lines: chunk == 1 ? 300 : 3000)
    let expected = try Self.lineReaderEvents(text, chunk: chunk)
    let (events, written, count) = try Self.overlappedEvents(text, chunk: chunk)
    #expect(events.count == expected.count)
    #expect(Self.firstDifference(events, expected) == nil)
    #expect(expected.filter { if case .overlong = $0 { true } else { false } }.count == 1)
    #expect(Self.firstDifference(written, Self.echoed(expected)) == nil)
    #expect(count == written.count)
  }

  @Test func lineBreaksAtSlotEdges() throws {
    // Lines of exactly the read size and one byte either side, so breaks fall on and around the slot edges.
    var text: [UInt8] = []
    for length in [511, 512, 513, 1022, 1023, 1024, 0, 1, 510] {
      text += [UInt8](repeating: 0x61, count: length) + [0x0D, 0x0A]
    }
    for readSize in [511, 512, 513] {
      let expected = try Self.lineReaderEvents(text, chunk: Int.max)
      let (events, written, _) = try Self.overlappedEvents(text, chunk: Int.max, readSize: readSize)
      #expect(Self.firstDifference(events, expected) == nil, "read size \(readSize)")
      #expect(Self.firstDifference(written, Self.echoed(expected)) == nil, "read size \(readSize)")
      #expect(expected.count == 9 && expected[5] == .overlong([UInt8](repeating: 0x61, count: 1024)))
    }
  }

  @Test func firstChunkSeesAHeadOfAtLeast64KiBOrTheWholeInput() throws {
    for (size, chunk) in [(100, 1), (70_000, 997), (200_000, 4096)] {
      let text = [UInt8](repeating: 0x41, count: 99) + [0x0A]
      let input = Array(Array(repeating: text, count: size / 100).joined())
      let io = OverlappedIO(source: MemorySource(input, maxChunk: chunk), sink: MemorySink())
      defer { io.abandon() }
      var head = 0
      var lines = 0
      try io.run(
        firstChunk: { head = $0.count }, line: { _, _ in lines += 1 }, overlong: { _, _ in }, chunkDone: {})
      try io.finish()
      #expect(head >= min(size, 65536), "size \(size)")
      #expect(lines == size / 100)
    }
  }

  @Test func newBytesBeyondTheArenasAreWrittenInOrder() throws {
    // 6 MiB of copied output (twice the arenas) interleaved with kept lines.
    let input = Array(Array(repeating: Array("kept line\n".utf8), count: 6000).joined())
    let block = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let sink = MemorySink()
    let io = OverlappedIO(source: MemorySource(input, maxChunk: 3000), sink: sink, readSize: 8192)
    defer { io.abandon() }
    var expected: [UInt8] = []
    try io.run(
      firstChunk: { _ in },
      line: { line, _ in
        try? io.write(UnsafeRawBufferPointer(line.buffer))
        try? Self.write(block, to: io)
        expected += Array(line.buffer) + block
      },
      overlong: { _, _ in }, chunkDone: {})
    try io.finish()
    #expect(sink.bytes.count == expected.count)
    #expect(Self.firstDifference(sink.bytes, expected) == nil)
  }

  final class FailingSink: ByteSink {
    var allowed: Int
    init(allowed: Int) { self.allowed = allowed }
    func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
      allowed -= bytes.count
      if allowed < 0 { throw .io(operation: "write", path: "out", errno: ENOSPC) }
    }
    func finish() throws(LogWardenError) {}
  }

  final class FailingSource: ByteSource {
    var remaining: Int
    init(failAfter: Int) { remaining = failAfter }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
      guard remaining > 0 else { throw .io(operation: "read", path: "in", errno: EIO) }
      let n = min(remaining, buffer.count)
      for index in 0..<n { buffer[index] = index % 50 == 49 ? 0x0A : 0x42 }
      remaining -= n
      return n
    }
  }

  @Test func aWriteFailureIsThrownAndNothingHangs() throws {
    let input = Array(Array(repeating: Array("a line of forty bytes to be copied ....\n".utf8), count: 200_000).joined())
    let io = OverlappedIO(source: MemorySource(input, maxChunk: 65536), sink: FailingSink(allowed: 100_000))
    defer { io.abandon() }
    var thrown: LogWardenError? = nil
    do {
      try io.run(
        firstChunk: { _ in },
        line: { line, _ in try? io.write(UnsafeRawBufferPointer(line.buffer)) },
        overlong: { _, _ in }, chunkDone: {})
      try io.finish()
    } catch {
      thrown = error
    }
    #expect(thrown == .io(operation: "write", path: "out", errno: ENOSPC))
  }

  @Test func aReadFailureOnTheThreadIsThrown() {
    let io = OverlappedIO(source: FailingSource(failAfter: 300_000), sink: MemorySink(), readSize: 65536)
    defer { io.abandon() }
    var lines = 0
    #expect(throws: LogWardenError.io(operation: "read", path: "in", errno: EIO)) {
      try io.run(firstChunk: { _ in }, line: { _, _ in lines += 1 }, overlong: { _, _ in }, chunkDone: {})
    }
    #expect(lines > 0 && lines <= 300_000 / 50)
  }

  @Test func aReadFailureInTheFirstSlotIsThrown() {
    let io = OverlappedIO(source: FailingSource(failAfter: 300_000), sink: MemorySink())
    defer { io.abandon() }
    #expect(throws: LogWardenError.io(operation: "read", path: "in", errno: EIO)) {
      try io.run(firstChunk: { _ in }, line: { _, _ in }, overlong: { _, _ in }, chunkDone: {})
    }
  }

  /// An input that fits in the first slot is written on the calling thread: every write is in the sink as soon as
  /// `write` returns.
  @Test func aSmallInputIsWrittenWithoutTheThread() throws {
    let input = Array(Array(repeating: Array("small\r\n".utf8), count: 1000).joined())
    let sink = MemorySink()
    let io = OverlappedIO(source: MemorySource(input, maxChunk: 100), sink: sink)
    defer { io.abandon() }
    var immediate = true
    try io.run(
      firstChunk: { _ in },
      line: { line, _ in
        let before = sink.bytes.count
        try? io.write(UnsafeRawBufferPointer(line.buffer))
        immediate = immediate && sink.bytes.count == before + line.count
      },
      overlong: { _, _ in }, chunkDone: {})
    try io.finish()
    #expect(immediate)
    #expect(sink.bytes == Array(Array(repeating: Array("small".utf8), count: 1000).joined()))
    #expect(io.bytesWritten == 5000)
  }

  /// The sanitizer's output and report are the same with and without the second thread.
  @Test(arguments: [SanitizeProfile.credentials, .level4])
  func sanitizerOutputIsTheSameWithAndWithoutOverlap(profile: SanitizeProfile) throws {
    let generated = MemorySink()
    try ExchangeLogGenerator(seed: 0x0E11, concurrentSessions: 12).write(targetBytes: 3 << 20, to: generated)
    var results: [([UInt8], FileReport)] = []
    for (overlaps, chunk) in [(false, Int.max), (true, Int.max), (true, 4093)] {
      var options = SanitizeOptions(profile: profile)
      options.overlapsIO = overlaps
      let sink = MemorySink()
      let report = try Sanitizer(options: options).sanitize(
        source: MemorySource(generated.bytes, maxChunk: chunk), sink: sink, name: "RECV2026010100-1.LOG")
      results.append((sink.bytes, report))
    }
    #expect(results[0].1.linesRead > 10_000)
    #expect(results[0].0.count < generated.bytes.count)
    for result in results.dropFirst() {
      #expect(Self.firstDifference(result.0, results[0].0) == nil)
      #expect(result.1 == results[0].1)
    }
  }

  /// Every format's fixtures through slots of 7 bytes (a slot boundary every 7 bytes): the same output and report
  /// with and without the second thread.
  @Test(arguments: FormatGoldenTests.cases.filter { $0.hasSuffix(".log") })
  func everyFixtureIsTheSameWithTinySlots(_ fixture: String) throws {
    let url = FormatGoldenTests.root.appendingPathComponent(fixture)
    let bytes = Array(try Data(contentsOf: url))
    for profile in [SanitizeProfile.credentials, .level4] {
      var results: [([UInt8], FileReport)] = []
      for overlaps in [false, true] {
        var options = SanitizeOptions(profile: profile)
        options.overlapsIO = overlaps
        options.overlapReadSize = 7
        let sink = MemorySink()
        let report = try Sanitizer(options: options).sanitize(
          source: MemorySource(bytes), sink: sink, name: url.lastPathComponent)
        results.append((sink.bytes, report))
      }
      #expect(Self.firstDifference(results[1].0, results[0].0) == nil, "\(fixture) \(profile)")
      #expect(results[1].1 == results[0].1, "\(fixture) \(profile)")
    }
  }

  @Test func sanitizerReportsAFullDisk() {
    let generated = MemorySink()
    _ = try? ExchangeLogGenerator(seed: 0x0E12).write(targetBytes: 4 << 20, to: generated)
    #expect(throws: LogWardenError.io(operation: "write", path: "out", errno: ENOSPC)) {
      _ = try Sanitizer(options: SanitizeOptions(profile: .level4)).sanitize(
        source: MemorySource(generated.bytes), sink: FailingSink(allowed: 1 << 20), name: "RECV2026010100-1.LOG")
    }
  }
}

extension ByteLine {
  /// The line's bytes, for tests.
  fileprivate var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}
