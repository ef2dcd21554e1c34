import SystemLibDeflate
import SystemZlib

/// What `GzipVerifier` found in an archive that passed every check.
public struct GzipVerification: Sendable, Equatable {
  /// Total decompressed size of all members.
  public var uncompressedBytes: Int
  /// Size of the archive itself.
  public var compressedBytes: Int
  /// Number of gzip members.
  public var memberCount: Int
  /// CRC-32 of the whole decompressed content (all members combined); comparable with
  /// `ParallelGzipSink.contentCRC32`.
  public var contentCRC32: UInt32
}

/// Reads a gzip archive back in full and checks it: every member must inflate cleanly and
/// match its CRC-32 and ISIZE trailer; truncation, trailing garbage and empty files fail.
/// The retention engine deletes a source only after this passes (and the sizes/CRC match
/// what was written).
///
/// Members up to a few MiB (such as `ParallelGzipSink`'s) are checked with libdeflate in one
/// call each; larger members are streamed through zlib, so memory stays flat either way.
public enum GzipVerifier {
  /// Verifies the gzip file at `path`. Throws `LogWardenError.badInput` on any defect.
  public static func verify(path: String) throws(LogWardenError) -> GzipVerification {
    try verify(source: FileDescriptorSource(path: path), name: path)
  }

  /// Verifies the gzip file at `path` and also that it holds exactly what was written: the
  /// given content size and CRC-32 (e.g. `ParallelGzipSink.uncompressedByteCount` and
  /// `.contentCRC32`). Throws `LogWardenError.badInput` otherwise.
  public static func verify(path: String, expectedUncompressedBytes: Int, expectedCRC32: UInt32)
    throws(LogWardenError) -> GzipVerification
  {
    let verification = try verify(path: path)
    guard verification.uncompressedBytes == expectedUncompressedBytes && verification.contentCRC32 == expectedCRC32
    else {
      throw LogWardenError.badInput(path: path, reason: "archive content differs from what was written")
    }
    return verification
  }

  /// Verifies the gzip stream in `source` (read to its end). `name` is used only in messages.
  public static func verify(source: ByteSource, name: String) throws(LogWardenError) -> GzipVerification {
    let verifier = try MemberVerifier(source: source, name: name)
    return try verifier.run()
  }
}

/// The state of one verification run: a window of compressed input and a scratch output buffer.
private final class MemberVerifier {
  /// Compressed bytes held at once; a member that fits in half of it takes the fast path.
  static let windowCapacity = 4 << 20
  /// Largest decompressed member checked by the fast path.
  static let outputCapacity = 8 << 20

  let source: ByteSource
  let name: String
  let window = UnsafeMutableRawBufferPointer.allocate(byteCount: windowCapacity, alignment: 64)
  let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: outputCapacity, alignment: 64)
  let decompressor: OpaquePointer
  /// Unconsumed input is `window[start..<end]`.
  var start = 0
  var end = 0
  var sourceAtEnd = false
  var result = GzipVerification(uncompressedBytes: 0, compressedBytes: 0, memberCount: 0, contentCRC32: 0)

  init(source: ByteSource, name: String) throws(LogWardenError) {
    guard let decompressor = libdeflate_alloc_decompressor() else {
      window.deallocate()
      scratch.deallocate()
      throw LogWardenError.badInput(path: name, reason: "cannot allocate gzip decompressor (out of memory)")
    }
    self.source = source
    self.name = name
    self.decompressor = decompressor
  }

  deinit {
    libdeflate_free_decompressor(decompressor)
    window.deallocate()
    scratch.deallocate()
  }

  func run() throws(LogWardenError) -> GzipVerification {
    while true {
      if end - start < Self.windowCapacity / 2 { try refill() }
      if start == end {
        if result.memberCount == 0 { throw LogWardenError.badInput(path: name, reason: "empty file is not a gzip archive") }
        return result
      }
      if try !fastPathMember() {
        // Too large for one call, or defective: zlib streams it and gives the precise verdict.
        try streamMemberWithZlib()
      }
    }
  }

  /// Moves unconsumed input to the front of the window and reads until it is full or the source ends.
  func refill() throws(LogWardenError) {
    if start > 0 {
      if end > start { window.baseAddress!.copyMemory(from: window.baseAddress! + start, byteCount: end - start) }
      end -= start
      start = 0
    }
    while end < window.count && !sourceAtEnd {
      let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: window[end...]))
      if n == 0 { sourceAtEnd = true }
      end += n
      result.compressedBytes += n
    }
  }

  /// Checks one member with libdeflate when it lies wholly in the window; false if it could not.
  func fastPathMember() throws(LogWardenError) -> Bool {
    var consumed = 0
    var produced = 0
    let status = libdeflate_gzip_decompress_ex(
      decompressor, window.baseAddress! + start, end - start, scratch.baseAddress!, scratch.count, &consumed, &produced)
    guard status == LIBDEFLATE_SUCCESS else { return false }
    // libdeflate has checked CRC-32 and ISIZE; read the CRC to build the content checksum.
    let memberCRC = UnsafeRawPointer(window.baseAddress! + start + consumed - 8).loadUnaligned(as: UInt32.self).littleEndian
    record(memberCRC: memberCRC, memberSize: produced)
    start += consumed
    return true
  }

  /// Inflates one member with zlib from the current position, refilling the window as needed.
  func streamMemberWithZlib() throws(LogWardenError) {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deallocate() }
    guard inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw LogWardenError.badInput(path: name, reason: "cannot start gzip decoder")
    }
    defer { inflateEnd(stream) }
    while true {
      if start == end {
        try refill()
        if start == end { throw LogWardenError.badInput(path: name, reason: "gzip archive is truncated") }
      }
      stream.pointee.next_in = (window.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_in = UInt32(end - start)
      stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = UInt32(scratch.count)
      let status = inflate(stream, Z_NO_FLUSH)
      start = end - Int(stream.pointee.avail_in)
      switch status {
      case Z_STREAM_END:
        // For gzip streams zlib keeps the running CRC-32 in `adler`, already checked against the trailer.
        record(memberCRC: UInt32(stream.pointee.adler), memberSize: Int(stream.pointee.total_out))
        return
      case Z_OK, Z_BUF_ERROR:
        continue
      default:
        throw LogWardenError.badInput(path: name, reason: "corrupt gzip data (\(zlibMessage(stream)))")
      }
    }
  }

  func record(memberCRC: UInt32, memberSize: Int) {
    result.contentCRC32 = UInt32(crc32_combine(uLong(result.contentCRC32), uLong(memberCRC), Int(memberSize)))
    result.uncompressedBytes += memberSize
    result.memberCount += 1
  }
}
