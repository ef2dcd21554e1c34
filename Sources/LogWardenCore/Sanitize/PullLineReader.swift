#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hands out the lines of one source on demand, for inputs read side by side (the two halves of a Dovecot rawlog).
///
/// Same framing as `LineReader`: LF or CRLF terminators, a last line without one, lines of `maxLineLength` bytes or
/// more reported once as `overlong` and skipped, wherever the chunk boundaries fall. A line is valid until the next
/// call to `next()`. Before the buffer moves, `willMoveBuffer` runs, so an `OutputWriter` can write out kept runs
/// that point into it.
final class PullLineReader {
  enum Item {
    case line(ByteLine, LineTerminator)
    /// A line longer than the limit: its first bytes and the length seen so far.
    case overlong(ByteLine, Int)
  }

  let maxLineLength: Int
  let readSize: Int
  private let source: ByteSource
  private let capacity: Int
  private let buffer: UnsafeMutablePointer<UInt8>
  private var start = 0
  private var end = 0
  private var atEOF = false
  private var skipping = false
  private var discardPending = false
  /// Called before the buffer's content moves or is discarded.
  var willMoveBuffer: () -> Void = {}
  /// Lines handed out (overlong ones included) and bytes consumed.
  private(set) var linesRead = 0
  private(set) var bytesRead = 0

  init(source: ByteSource, maxLineLength: Int = 4 << 20, readSize: Int = 1 << 20) {
    self.source = source
    self.maxLineLength = max(maxLineLength, 1024)
    self.readSize = readSize
    self.capacity = self.maxLineLength + readSize
    self.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
  }

  deinit { buffer.deallocate() }

  /// The first bytes of the input (up to 64 KiB, fewer at end of input), without consuming them. Call before `next()`.
  func head() throws(LogWardenError) -> UnsafeRawBufferPointer {
    while !atEOF && end - start < 65536 && end < capacity {
      try fill()
    }
    return UnsafeRawBufferPointer(start: buffer + start, count: min(end - start, 65536))
  }

  /// The next line, or nil at end of input.
  func next() throws(LogWardenError) -> Item? {
    if discardPending {
      discardPending = false
      willMoveBuffer()
      start = 0
      end = 0
    }
    while true {
      if start < end, let nl = memchr(buffer + start, 0x0A, end - start) {
        let lineEnd = nl.assumingMemoryBound(to: UInt8.self) - buffer
        if skipping {
          bytesRead += lineEnd - start + 1
          skipping = false
          start = lineEnd + 1
          continue
        }
        var contentEnd = lineEnd
        var terminator = LineTerminator.lf
        if contentEnd > start && buffer[contentEnd - 1] == 0x0D {
          contentEnd -= 1
          terminator = .crlf
        }
        let line = ByteLine(base: UnsafePointer(buffer + start), count: contentEnd - start)
        let consumed = lineEnd - start + 1
        bytesRead += consumed
        linesRead += 1
        start = lineEnd + 1
        if line.count >= maxLineLength {
          return .overlong(LineFraming.overlongPrefix(line.base, line.count), consumed)
        }
        return .line(line, terminator)
      }
      if atEOF {
        if start < end && !skipping {
          let line = ByteLine(base: UnsafePointer(buffer + start), count: end - start)
          bytesRead += end - start
          linesRead += 1
          start = end
          if line.count >= maxLineLength {
            return .overlong(LineFraming.overlongPrefix(line.base, line.count), line.count)
          }
          return .line(line, .none)
        }
        if skipping { bytesRead += end - start }
        start = end
        return nil
      }
      if end - start >= maxLineLength {
        bytesRead += end - start
        if !skipping {
          skipping = true
          linesRead += 1
          discardPending = true
          return .overlong(LineFraming.overlongPrefix(buffer + start, end - start), end - start)
        }
        willMoveBuffer()
        start = 0
        end = 0
      }
      try fill()
    }
  }

  private func fill() throws(LogWardenError) {
    if start > 0 && (end == capacity || capacity - end < readSize) {
      willMoveBuffer()
      if end > start { memmove(buffer, buffer + start, end - start) }
      end -= start
      start = 0
    }
    let room = min(capacity - end, readSize)
    guard room > 0 else { return }
    let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: room))
    if n == 0 { atEOF = true }
    end += n
  }
}
