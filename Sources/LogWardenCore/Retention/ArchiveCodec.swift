#if canImport(Glibc)
import Glibc
#endif

/// Compression for archives, behind a small protocol so the retention engine does not depend on which encoder is
/// used. `ArchiveCodecs` is the one place that picks the implementation.
public protocol ArchiveCodec {
  /// A sink that compresses into `sink`; its `finish()` writes the trailer and finishes `sink`.
  func encoder(writingTo sink: ByteSink, name: String) throws(LogWardenError) -> ByteSink
  /// A source that decompresses `source` (all gzip members / zstd frames).
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource
  /// Reads `source` to its end and returns the decompressed length and CRC-32, checking the format's own
  /// integrity data (gzip member CRC/ISIZE, zstd checksums) on the way.
  func verify(_ source: ByteSource, name: String) throws(LogWardenError) -> (bytes: Int64, crc: UInt32)
}

extension ArchiveCodec {
  public func verify(_ source: ByteSource, name: String) throws(LogWardenError) -> (bytes: Int64, crc: UInt32) {
    let counter = CountingNullSink()
    try StreamCopy.copy(from: try decoder(readingFrom: source, name: name), to: counter)
    return (counter.count, counter.crc)
  }
}

public enum ArchiveCodecs {
  /// Worker threads for compression: the online CPUs, at most 8.
  static let threads: Int = max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

  /// The codec for a policy's compression setting.
  public static func make(for compression: ArchiveCompression) -> ArchiveCodec {
    switch compression {
    case .gzip(let level): return ParallelGzipCodec(level: Int32(level), threads: threads)
    case .zstd(let level): return ZstdCodec(level: Int32(level), workers: threads > 1 ? Int32(threads) : 0)
    case .none: return IdentityCodec()
    }
  }

  /// The codec that reads an existing archive, chosen by its extension.
  public static func forReading(compressionExtension: String) -> ArchiveCodec {
    switch compressionExtension {
    case ".gz": return ParallelGzipCodec(level: ParallelGzipSink.recommendedArchiveLevel, threads: 1)
    case ".zst": return ZstdCodec(level: 3, workers: 0)
    default: return IdentityCodec()
    }
  }
}

struct IdentityCodec: ArchiveCodec {
  func encoder(writingTo sink: ByteSink, name: String) throws(LogWardenError) -> ByteSink { sink }
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource { source }
}

/// Standard multi-member gzip, compressed with libdeflate on every core (`ParallelGzipSink`), verified member by
/// member (`GzipVerifier`).
struct ParallelGzipCodec: ArchiveCodec {
  var level: Int32
  var threads: Int
  func encoder(writingTo sink: ByteSink, name: String) throws(LogWardenError) -> ByteSink {
    try ParallelGzipSink(downstream: sink, level: level, threads: threads, name: name)
  }
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource {
    try GzipDecompressingSource(upstream: source, name: name)
  }
  func verify(_ source: ByteSource, name: String) throws(LogWardenError) -> (bytes: Int64, crc: UInt32) {
    let result = try GzipVerifier.verify(source: source, name: name)
    return (Int64(result.uncompressedBytes), result.contentCRC32)
  }
}

struct ZstdCodec: ArchiveCodec {
  var level: Int32
  var workers: Int32
  func encoder(writingTo sink: ByteSink, name: String) throws(LogWardenError) -> ByteSink {
    try ZstdCompressingSink(downstream: sink, level: level, workers: workers, name: name)
  }
  func decoder(readingFrom source: ByteSource, name: String) throws(LogWardenError) -> ByteSource {
    try ZstdDecompressingSource(upstream: source, name: name)
  }
}
