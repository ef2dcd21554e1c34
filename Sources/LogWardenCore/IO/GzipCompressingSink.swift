import SystemZlib

/// A `ByteSink` that deflates everything written to it into one gzip member (zlib) and
/// pushes the compressed bytes to `downstream`. `finish()` writes the gzip trailer and
/// then finishes `downstream`.
public final class GzipCompressingSink: ByteSink {
  private let downstream: ByteSink
  private let name: String
  private let stream: UnsafeMutablePointer<z_stream>
  private let outputBuffer: UnsafeMutableRawBufferPointer
  private var finished = false
  /// Bytes written into this sink so far (before compression).
  public private(set) var uncompressedByteCount = 0

  /// `level` is zlib's 0...9 (6 is gzip's default). `name` is used only in error messages.
  public init(downstream: ByteSink, level: Int32 = 6, name: String, outputBufferSize: Int = 1 << 18)
    throws(LogWardenError)
  {
    guard (0...9).contains(level) else { throw LogWardenError.usage("gzip level must be 0...9, got \(level)") }
    self.downstream = downstream
    self.name = name
    self.outputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(outputBufferSize, 64), alignment: 16)
    self.stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // 16 + MAX_WBITS selects the gzip wrapper; memLevel 8 is zlib's default.
    let status = deflateInit2_(
      stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
      Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deallocate()
      outputBuffer.deallocate()
      throw LogWardenError.badInput(path: name, reason: "cannot start gzip encoder (zlib status \(status))")
    }
  }

  deinit {
    deflateEnd(stream)
    stream.deallocate()
    outputBuffer.deallocate()
  }

  public func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    guard !finished else { throw LogWardenError.usage("\(name): write after finish") }
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    uncompressedByteCount += bytes.count
    var offset = 0
    while offset < bytes.count {
      // avail_in is 32-bit; feed very large writes in slices.
      let slice = min(bytes.count - offset, 1 << 30)
      // zlib never writes through next_in; the mutable pointer is only its C signature.
      stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
      stream.pointee.avail_in = UInt32(slice)
      while stream.pointee.avail_in > 0 {
        try deflateStep(flush: Z_NO_FLUSH)
      }
      offset += slice
    }
  }

  public func finish() throws(LogWardenError) {
    guard !finished else { return }
    stream.pointee.next_in = nil
    stream.pointee.avail_in = 0
    while try !deflateStep(flush: Z_FINISH) {}
    finished = true
    try downstream.finish()
  }

  /// Runs deflate once into the output buffer and passes on what it produced. Returns true at stream end.
  @discardableResult
  private func deflateStep(flush: Int32) throws(LogWardenError) -> Bool {
    stream.pointee.next_out = outputBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = UInt32(outputBuffer.count)
    let status = deflate(stream, flush)
    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
      throw LogWardenError.badInput(path: name, reason: "gzip encoder failed (\(zlibMessage(stream)))")
    }
    let produced = outputBuffer.count - Int(stream.pointee.avail_out)
    if produced > 0 {
      try downstream.write(UnsafeRawBufferPointer(rebasing: outputBuffer[0..<produced]))
    }
    return status == Z_STREAM_END
  }
}
