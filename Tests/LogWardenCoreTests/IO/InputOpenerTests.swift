import Foundation
import Testing
import LogWardenCore

@Suite struct InputOpenerTests {
  private func write(_ bytes: [UInt8], named name: String, in directory: URL) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  @Test func opensPlainGzipAndZstdByContentNotName() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let plain = IOTestSupport.logText(lines: 1_000)
    // Misleading names on purpose: detection must come from magic bytes.
    let cases: [(String, [UInt8], InputCompression)] = [
      ("a.gz", plain, .none),
      ("b.log", try IOTestSupport.gzipWithSink(plain), .gzip),
      ("c.gz", try zstdCompressForTest(plain), .zstd),
    ]
    for (name, content, expected) in cases {
      let path = try write(content, named: name, in: directory)
      let opened = try InputOpener.openInputDetectingCompression(path: path)
      #expect(opened.compression == expected)
      #expect(try IOTestSupport.readAll(opened.source) == plain)
      #expect(try IOTestSupport.readAll(InputOpener.openInput(path: path)) == plain)
    }
  }

  @Test func keepsShortAndEmptyInputsIntact() throws {
    for content: [UInt8] in [[], [0x1F], [0x28, 0xB5, 0x2F], Array("ok\n".utf8), Array("abcd".utf8)] {
      let opened = try InputOpener.decompressing(MemorySource(content, maxChunk: 1), name: "t")
      #expect(opened.compression == .none)
      #expect(try IOTestSupport.readAll(opened.source, readSize: 1) == content)
    }
  }

  @Test func sniffsThroughOneByteReads() throws {
    let plain = IOTestSupport.logText(lines: 20)
    let opened = try InputOpener.decompressing(MemorySource(try IOTestSupport.gzipWithSink(plain), maxChunk: 1), name: "t")
    #expect(opened.compression == .gzip)
    #expect(try IOTestSupport.readAll(opened.source) == plain)
  }

  @Test func truncatedCompressedFileThrows() throws {
    let directory = try IOTestSupport.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let gz = try IOTestSupport.gzipWithSink(IOTestSupport.logText(lines: 100))
    let path = try write(Array(gz.dropLast(3)), named: "cut.gz", in: directory)
    #expect(throws: LogWardenError.self) { try IOTestSupport.readAll(InputOpener.openInput(path: path)) }
  }

  @Test func missingFileIsAnOpenError() {
    #expect(throws: LogWardenError.self) { try InputOpener.openInput(path: "/nonexistent-\(UUID().uuidString)") }
  }
}
