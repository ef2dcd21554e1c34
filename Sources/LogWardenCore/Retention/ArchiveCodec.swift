import SystemZlib
import SystemZstd

/// Compression for archives, behind a small protocol so the retention engine does not depend on which encoder is
/// used. `ArchiveCodecs.make` is the one place that picks the implementation (the `io` branch's parallel libdeflate
/// gzip sink plugs in there).
public protocol ArchiveCodec {
  /// A sink that compresses into `sink`; its `finish()` writes the trailer and finishes `sink`.
  func encoder(writingTo sink: ByteSink) throws(LogWardenError) -> ByteSink
  /// A source that decompresses `source` (all gzip members / zstd frames).
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource
}

public enum ArchiveCodecs {
  /// The codec for a policy's compression setting.
  public static func make(for compression: ArchiveCompression) -> ArchiveCodec {
    switch compression {
    case .gzip(let level): return ZlibGzipCodec(level: Int32(level))
    case .zstd(let level): return ZstdCodec(level: Int32(level))
    case .none: return IdentityCodec()
    }
  }

  /// The codec that reads an existing archive, chosen by its extension.
  public static func forReading(compressionExtension: String) -> ArchiveCodec {
    switch compressionExtension {
    case ".gz": return ZlibGzipCodec(level: 6)
    case ".zst": return ZstdCodec(level: 3)
    default: return IdentityCodec()
    }
  }
}

struct IdentityCodec: ArchiveCodec {
  func encoder(writingTo sink: ByteSink) throws(LogWardenError) -> ByteSink { sink }
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource { source }
}

// MARK: - gzip (zlib), the fallback until the io branch's parallel encoder is wired in

struct ZlibGzipCodec: ArchiveCodec {
  var level: Int32
  func encoder(writingTo sink: ByteSink) throws(LogWardenError) -> ByteSink { try ZlibGzipEncoder(level: level, next: sink) }
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource {
    try ZlibGzipDecoder(source: source, name: name)
  }
}

final class ZlibGzipEncoder: ByteSink {
  private let stream: UnsafeMutablePointer<z_stream>
  private let next: ByteSink
  private var output: UnsafeMutableRawBufferPointer
  private var finished = false

  init(level: Int32, next: ByteSink) throws(LogWardenError) {
    self.next = next
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    output = .allocate(byteCount: 1 << 18, alignment: 16)
    let rc = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else {
      stream.deallocate()
      output.deallocate()
      throw .badInput(path: "gzip", reason: "cannot initialise the gzip encoder")
    }
  }

  deinit {
    deflateEnd(stream)
    stream.deallocate()
    output.deallocate()
  }

  private func pump(_ flush: Int32) throws(LogWardenError) {
    repeat {
      stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = UInt32(output.count)
      let rc = deflate(stream, flush)
      guard rc != Z_STREAM_ERROR else { throw .badInput(path: "gzip", reason: "gzip encoder failed") }
      let produced = output.count - Int(stream.pointee.avail_out)
      if produced > 0 { try next.write(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
      if flush == Z_FINISH && rc == Z_STREAM_END { return }
    } while stream.pointee.avail_out == 0 || (flush == Z_FINISH)
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    guard bytes.count > 0 else { return }
    stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = UInt32(bytes.count)
    try pump(Z_NO_FLUSH)
  }

  func finish() throws(LogWardenError) {
    guard !finished else { return }
    finished = true
    stream.pointee.next_in = nil
    stream.pointee.avail_in = 0
    try pump(Z_FINISH)
    try next.finish()
  }
}

final class ZlibGzipDecoder: ByteSource {
  private let stream: UnsafeMutablePointer<z_stream>
  private let source: ByteSource
  private let name: String
  private var input: UnsafeMutableRawBufferPointer
  private var inputEnded = false
  private var memberEnded = false
  private var sawAnyMember = false

  init(source: ByteSource, name: String) throws(LogWardenError) {
    self.source = source
    self.name = name
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    input = .allocate(byteCount: 1 << 18, alignment: 16)
    guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      stream.deallocate()
      input.deallocate()
      throw .badInput(path: name, reason: "cannot initialise the gzip decoder")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    input.deallocate()
  }

  private func refill() throws(LogWardenError) {
    if stream.pointee.avail_in == 0 && !inputEnded {
      let n = try source.read(into: input)
      if n == 0 { inputEnded = true }
      stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_in = UInt32(n)
    }
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    guard buffer.count > 0 else { return 0 }
    while true {
      try refill()
      if memberEnded {
        if stream.pointee.avail_in == 0 && inputEnded { return 0 }
        if stream.pointee.avail_in == 0 { continue }
        inflateReset(stream)  // the next gzip member
        memberEnded = false
      }
      if stream.pointee.avail_in == 0 && inputEnded {
        throw .badInput(path: name, reason: sawAnyMember ? "gzip stream is truncated" : "empty gzip file")
      }
      stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = UInt32(buffer.count)
      let rc = inflate(stream, Z_NO_FLUSH)
      let produced = buffer.count - Int(stream.pointee.avail_out)
      switch rc {
      case Z_STREAM_END:
        memberEnded = true
        sawAnyMember = true
      case Z_OK, Z_BUF_ERROR:
        sawAnyMember = true
      default:
        throw .badInput(path: name, reason: "corrupt gzip data (CRC or format check failed)")
      }
      if produced > 0 { return produced }
    }
  }
}

// MARK: - zstd

struct ZstdCodec: ArchiveCodec {
  var level: Int32
  func encoder(writingTo sink: ByteSink) throws(LogWardenError) -> ByteSink { try ZstdEncoder(level: level, next: sink) }
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource {
    try ZstdDecoder(source: source, name: name)
  }
}

final class ZstdEncoder: ByteSink {
  private let context: OpaquePointer
  private let next: ByteSink
  private var output: UnsafeMutableRawBufferPointer
  private var finished = false

  init(level: Int32, next: ByteSink) throws(LogWardenError) {
    guard let context = ZSTD_createCCtx() else { throw .badInput(path: "zstd", reason: "cannot create the zstd encoder") }
    self.context = context
    self.next = next
    output = .allocate(byteCount: Int(ZSTD_CStreamOutSize()), alignment: 16)
    ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
    ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
  }

  deinit {
    ZSTD_freeCCtx(context)
    output.deallocate()
  }

  private func compress(_ bytes: UnsafeRawBufferPointer, _ directive: ZSTD_EndDirective) throws(LogWardenError) {
    var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
    while true {
      var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
      let remaining = ZSTD_compressStream2(context, &out, &input, directive)
      if ZSTD_isError(remaining) != 0 { throw .badInput(path: "zstd", reason: "zstd encoder failed") }
      if out.pos > 0 { try next.write(UnsafeRawBufferPointer(rebasing: output[0..<out.pos])) }
      if directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size { return }
    }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    guard bytes.count > 0 else { return }
    try compress(bytes, ZSTD_e_continue)
  }

  func finish() throws(LogWardenError) {
    guard !finished else { return }
    finished = true
    try compress(UnsafeRawBufferPointer(start: nil, count: 0), ZSTD_e_end)
    try next.finish()
  }
}

final class ZstdDecoder: ByteSource {
  private let context: OpaquePointer
  private let source: ByteSource
  private let name: String
  private var input: UnsafeMutableRawBufferPointer
  private var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
  private var inputEnded = false
  private var frameComplete = true
  private var sawFrame = false

  init(source: ByteSource, name: String) throws(LogWardenError) {
    guard let context = ZSTD_createDCtx() else { throw .badInput(path: name, reason: "cannot create the zstd decoder") }
    self.context = context
    self.source = source
    self.name = name
    input = .allocate(byteCount: Int(ZSTD_DStreamInSize()), alignment: 16)
  }

  deinit {
    ZSTD_freeDCtx(context)
    input.deallocate()
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    guard buffer.count > 0 else { return 0 }
    while true {
      if inBuffer.pos == inBuffer.size && !inputEnded {
        let n = try source.read(into: input)
        if n == 0 { inputEnded = true }
        inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: n, pos: 0)
      }
      if inBuffer.pos == inBuffer.size && inputEnded {
        if !frameComplete || !sawFrame {
          throw .badInput(path: name, reason: sawFrame ? "zstd stream is truncated" : "empty zstd file")
        }
        return 0
      }
      var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
      let rc = ZSTD_decompressStream(context, &out, &inBuffer)
      if ZSTD_isError(rc) != 0 { throw .badInput(path: name, reason: "corrupt zstd data (checksum or format check failed)") }
      sawFrame = true
      frameComplete = rc == 0
      if out.pos > 0 { return out.pos }
    }
  }
}
