import Crypto

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A source that passes on only the lines `keep` accepts, with their own line endings. `keep` sees every line, in
/// order, without its terminator (a trailing CR is left out too). Lines longer than `maxLineLength` are dropped
/// whole (counted in `overlongLinesDropped`): `share` never hands a line it could not look at to the sanitizer.
final class LineFilterSource: ByteSource {
  private let upstream: ByteSource
  private let keep: (ByteLine) -> Bool
  private let capacity: Int
  private let readSize: Int
  private let buffer: UnsafeMutablePointer<UInt8>
  private var start = 0
  private var end = 0
  private var atEOF = false
  private var skipping = false
  /// A kept line being handed out: `[pendingStart, pendingEnd)` of the buffer.
  private var pendingStart = 0
  private var pendingEnd = 0
  private(set) var overlongLinesDropped = 0

  init(upstream: ByteSource, maxLineLength: Int = 4 << 20, readSize: Int = 1 << 20, keep: @escaping (ByteLine) -> Bool)
  {
    self.upstream = upstream
    self.keep = keep
    self.readSize = readSize
    self.capacity = max(maxLineLength, 1024) + readSize
    self.buffer = .allocate(capacity: capacity)
  }

  deinit { buffer.deallocate() }

  func read(into out: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    var written = 0
    while written < out.count {
      if pendingEnd > pendingStart {
        let n = min(pendingEnd - pendingStart, out.count - written)
        (out.baseAddress! + written).copyMemory(from: buffer + pendingStart, byteCount: n)
        pendingStart += n
        written += n
        continue
      }
      if start < end, let nl = memchr(buffer + start, 0x0A, end - start) {
        let lineEnd = nl.assumingMemoryBound(to: UInt8.self) - buffer
        if skipping {
          skipping = false
        } else {
          var contentEnd = lineEnd
          if contentEnd > start && buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
          if keep(ByteLine(base: UnsafePointer(buffer + start), count: contentEnd - start)) {
            pendingStart = start
            pendingEnd = lineEnd + 1
          }
        }
        start = lineEnd + 1
        continue
      }
      if atEOF {
        if start < end && !skipping {
          var contentEnd = end
          if buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
          if keep(ByteLine(base: UnsafePointer(buffer + start), count: contentEnd - start)) {
            pendingStart = start
            pendingEnd = end
          }
        }
        start = end
        if pendingEnd > pendingStart { continue }
        break
      }
      if written > 0 { break }  // hand out what is ready before moving bytes around
      if start > 0 {
        if end > start { memmove(buffer, buffer + start, end - start) }
        end -= start
        start = 0
        pendingStart = 0
        pendingEnd = 0
      }
      if end == capacity {
        // No line break within the limit: drop this line up to its end.
        if !skipping { overlongLinesDropped += 1 }
        skipping = true
        start = 0
        end = 0
      }
      let room = min(capacity - end, readSize)
      let n = try upstream.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: room))
      if n == 0 { atEOF = true } else { end += n }
    }
    return written
  }
}

/// Hashes (SHA-256) and counts everything read through it.
final class HashingSource: ByteSource {
  private let upstream: ByteSource
  private var hasher = SHA256()
  private(set) var count: Int64 = 0

  init(upstream: ByteSource) { self.upstream = upstream }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    let n = try upstream.read(into: buffer)
    if n > 0 {
      hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      count += Int64(n)
    }
    return n
  }

  /// The digest in lower-case hex (call once, after the last read).
  func hexDigest() -> String { Hex.lower(hasher.finalize()) }
}

enum Hex {
  static func lower(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    for byte in bytes {
      out.append(HexDigits.lower[Int(byte >> 4)])
      out.append(HexDigits.lower[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
