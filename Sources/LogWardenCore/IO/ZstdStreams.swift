import SystemZstd

/// A `ByteSink` that compresses everything written to it into a zstd frame (with content
/// checksum) and pushes the compressed bytes to `downstream`. `finish()` ends the frame
/// and then finishes `downstream`.
public final class ZstdCompressingSink: ByteSink {
  private let downstream: ByteSink
  private let name: String
  private let context: OpaquePointer
  private let outputBuffer: UnsafeMutableRawBufferPointer
  private var finished = false
  /// Bytes written into this sink so far (before compression).
  public private(set) var uncompressedByteCount = 0

  /// `level` is zstd's (1...19 typical, 3 is zstd's default; negative levels are faster).
  /// `workers` > 0 lets libzstd compress on that many threads of its own.
  /// `name` is used only in error messages.
  public init(downstream: ByteSink, level: Int32 = 3, workers: Int32 = 0, name: String) throws(LogWardenError) {
    guard level >= ZSTD_minCLevel() && level <= ZSTD_maxCLevel() else {
      throw LogWardenError.usage("zstd level must be \(ZSTD_minCLevel())...\(ZSTD_maxCLevel()), got \(level)")
    }
    guard let context = ZSTD_createCCtx() else {
      throw LogWardenError.badInput(path: name, reason: "cannot start zstd encoder (out of memory)")
    }
    self.downstream = downstream
    self.name = name
    self.context = context
    self.outputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
    try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
    // The checksum lets the decoder (and any verifier) detect corruption, as gzip's CRC does.
    try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
    if workers > 0 { try check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, workers)) }
  }

  deinit {
    ZSTD_freeCCtx(context)
    outputBuffer.deallocate()
  }

  public func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    guard !finished else { throw LogWardenError.usage("\(name): write after finish") }
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    uncompressedByteCount += bytes.count
    var input = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
    while input.pos < input.size {
      _ = try compressStep(&input, directive: ZSTD_e_continue)
    }
  }

  public func finish() throws(LogWardenError) {
    guard !finished else { return }
    var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    // ZSTD_e_end returns the number of bytes still to flush; 0 means the frame is complete.
    while try compressStep(&input, directive: ZSTD_e_end) != 0 {}
    finished = true
    try downstream.finish()
  }

  private func compressStep(_ input: inout ZSTD_inBuffer, directive: ZSTD_EndDirective) throws(LogWardenError) -> Int {
    var output = ZSTD_outBuffer(dst: outputBuffer.baseAddress, size: outputBuffer.count, pos: 0)
    let remaining = ZSTD_compressStream2(context, &output, &input, directive)
    try check(remaining)
    if output.pos > 0 {
      try downstream.write(UnsafeRawBufferPointer(rebasing: outputBuffer[0..<output.pos]))
    }
    return remaining
  }

  private func check(_ code: Int) throws(LogWardenError) {
    if ZSTD_isError(code) != 0 {
      throw LogWardenError.badInput(path: name, reason: "zstd encoder failed (\(String(cString: ZSTD_getErrorName(code))))")
    }
  }
}

/// A `ByteSource` that decompresses a zstd stream read from `upstream`, chunk by chunk.
///
/// Concatenated frames (and skippable frames) are decoded one after another, as `zstd -d`
/// does. Corrupt data, a checksum mismatch, an empty input or a stream that ends inside a
/// frame throw `LogWardenError.badInput`.
public final class ZstdDecompressingSource: ByteSource {
  private let upstream: ByteSource
  private let name: String
  private let context: OpaquePointer
  private let inputBuffer: UnsafeMutableRawBufferPointer
  private var input: ZSTD_inBuffer
  private var upstreamAtEnd = false
  private var sawAnyInput = false
  /// Last ZSTD_decompressStream result; 0 means "at a frame boundary, everything flushed".
  private var lastHint = 1
  private var finished = false

  /// `name` is the input's path or label; it is used only in error messages.
  public init(upstream: ByteSource, name: String) throws(LogWardenError) {
    guard let context = ZSTD_createDCtx() else {
      throw LogWardenError.badInput(path: name, reason: "cannot start zstd decoder (out of memory)")
    }
    self.upstream = upstream
    self.name = name
    self.context = context
    self.inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    self.input = ZSTD_inBuffer(src: inputBuffer.baseAddress, size: 0, pos: 0)
  }

  deinit {
    ZSTD_freeDCtx(context)
    inputBuffer.deallocate()
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    if finished || buffer.count == 0 { return 0 }
    while true {
      if input.pos == input.size && !upstreamAtEnd {
        let n = try upstream.read(into: inputBuffer)
        if n == 0 { upstreamAtEnd = true } else { sawAnyInput = true }
        input = ZSTD_inBuffer(src: inputBuffer.baseAddress, size: n, pos: 0)
      }
      if input.pos == input.size && upstreamAtEnd && lastHint == 0 {
        finished = true
        return 0
      }
      var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
      let hint = ZSTD_decompressStream(context, &output, &input)
      if ZSTD_isError(hint) != 0 {
        throw LogWardenError.badInput(
          path: name, reason: "corrupt zstd data (\(String(cString: ZSTD_getErrorName(hint))))")
      }
      lastHint = hint
      if output.pos > 0 { return output.pos }
      if input.pos == input.size && upstreamAtEnd && hint != 0 {
        // Nothing more will come and the decoder is mid-frame (or never saw a frame).
        throw LogWardenError.badInput(
          path: name, reason: sawAnyInput ? "zstd stream is truncated" : "empty input is not a zstd stream")
      }
    }
  }
}
