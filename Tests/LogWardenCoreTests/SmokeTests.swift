import Testing
@testable import LogWardenCore

@Test func memorySourceHonoursChunkLimit() throws {
  let source = MemorySource(Array("abcdef".utf8), maxChunk: 4)
  var buffer = [UInt8](repeating: 0, count: 16)
  let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
  #expect(n == 4)
}
