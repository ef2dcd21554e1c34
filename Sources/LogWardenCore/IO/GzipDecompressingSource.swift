import SystemZlib

/// A `ByteSource` that inflates a gzip stream read from `upstream`, chunk by chunk.
///
/// Concatenated members are decoded one after another, as `gzip -d` does. A corrupt
/// member, a CRC or length mismatch, trailing non-gzip bytes, an empty input or a stream
/// that ends inside a member all throw `LogWardenError.badInput`; a truncated archive
/// never looks like a clean end of input.
public final class GzipDecompressingSource: ByteSource {
  private let upstream: ByteSource
  private let name: String
  private let stream: UnsafeMutablePointer<z_stream>
  private let inputBuffer: UnsafeMutableRawBufferPointer
  private var upstreamAtEnd = false
  /// True between members: the last member ended and the next has not started yet.
  private var betweenMembers = false
  private var sawAnyInput = false
  private var finished = false

  /// `name` is the input's path or label; it is used only in error messages.
  public init(upstream: ByteSource, name: String, inputBufferSize: Int = 1 << 18) throws(LogWardenError) {
    self.upstream = upstream
    self.name = name
    self.inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(inputBufferSize, 64), alignment: 16)
    self.stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // 16 + MAX_WBITS: gzip wrapper only, 32 KiB window; zlib checks CRC32 and ISIZE itself.
    let status = inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deallocate()
      inputBuffer.deallocate()
      throw LogWardenError.badInput(path: name, reason: "cannot start gzip decoder (zlib status \(status))")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    inputBuffer.deallocate()
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    if finished || buffer.count == 0 { return 0 }
    let capacity = min(buffer.count, Int(UInt32.max))
    while true {
      if stream.pointee.avail_in == 0 && !upstreamAtEnd { try refill() }

      if betweenMembers {
        if stream.pointee.avail_in == 0 {
          // refill() hit the end of input exactly at a member boundary: a clean end.
          finished = true
          return 0
        }
        inflateReset(stream)
        betweenMembers = false
      }

      if stream.pointee.avail_in == 0 && upstreamAtEnd {
        throw LogWardenError.badInput(
          path: name, reason: sawAnyInput ? "gzip stream is truncated" : "empty input is not a gzip stream")
      }

      stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = UInt32(capacity)
      let status = inflate(stream, Z_NO_FLUSH)
      let produced = capacity - Int(stream.pointee.avail_out)
      switch status {
      case Z_OK, Z_BUF_ERROR:
        // Z_BUF_ERROR only means "no progress with what you gave me": more input is needed.
        break
      case Z_STREAM_END:
        betweenMembers = true
      case Z_NEED_DICT, Z_DATA_ERROR:
        throw LogWardenError.badInput(path: name, reason: "corrupt gzip data (\(zlibMessage(stream)))")
      case Z_MEM_ERROR:
        throw LogWardenError.badInput(path: name, reason: "gzip decoder ran out of memory")
      default:
        throw LogWardenError.badInput(path: name, reason: "gzip decoder failed (zlib status \(status))")
      }
      if produced > 0 { return produced }
    }
  }

  private func refill() throws(LogWardenError) {
    let n = try upstream.read(into: inputBuffer)
    if n == 0 {
      upstreamAtEnd = true
    } else {
      sawAnyInput = true
    }
    stream.pointee.next_in = inputBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_in = UInt32(n)
  }
}

/// zlib's own description of the last error: fixed strings such as "incorrect data check", never data.
func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>) -> String {
  guard let message = stream.pointee.msg else { return "unknown error" }
  return String(cString: message)
}
