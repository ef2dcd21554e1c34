/// The compression an input was found to use, judged by its first bytes.
public enum InputCompression: String, Sendable, Equatable {
  case none
  case gzip
  case zstd

  /// Identifies the compression from an input's first bytes (up to 4 are looked at).
  public static func sniff(_ prefix: some Collection<UInt8>) -> InputCompression {
    let head = Array(prefix.prefix(4))
    if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return .gzip }
    if head == [0x28, 0xB5, 0x2F, 0xFD] { return .zstd }
    return .none
  }
}

/// Opens log inputs (files or stdin) and transparently decompresses gzip and zstd,
/// recognised by magic bytes rather than by file name. The bytes read to recognise the
/// format are replayed, so nothing is lost.
public enum InputOpener {
  /// Opens `path` ("-" means stdin) and returns a source of its decompressed content.
  public static func openInput(path: String) throws(LogWardenError) -> ByteSource {
    try openInputDetectingCompression(path: path).source
  }

  /// Like `openInput(path:)`, also reporting which compression was found.
  public static func openInputDetectingCompression(path: String) throws(LogWardenError)
    -> (source: ByteSource, compression: InputCompression)
  {
    if path == "-" { return try decompressing(FileDescriptorSource(descriptor: 0, name: "<stdin>"), name: "<stdin>") }
    return try decompressing(FileDescriptorSource(path: path), name: path)
  }

  /// Opens standard input (not closed when the source goes away).
  public static func openStandardInput(name: String = "<stdin>") throws(LogWardenError) -> ByteSource {
    try decompressing(FileDescriptorSource(descriptor: 0, name: name), name: name).source
  }

  /// Wraps any source: sniffs its first bytes and adds the matching decoder, if any.
  public static func decompressing(_ raw: ByteSource, name: String) throws(LogWardenError)
    -> (source: ByteSource, compression: InputCompression)
  {
    let prefix = try readPrefix(of: raw, count: 4)
    let replayed = PrefixedSource(prefix: prefix, upstream: raw)
    let compression = InputCompression.sniff(prefix)
    switch compression {
    case .none: return (replayed, .none)
    case .gzip: return (try GzipDecompressingSource(upstream: replayed, name: name), .gzip)
    case .zstd: return (try ZstdDecompressingSource(upstream: replayed, name: name), .zstd)
    }
  }

  /// `source` as UTF-8 text with LF line endings: a UTF-16 input (by BOM or NUL pattern, see
  /// `UTF16TranscodingSource.sniff`) is transcoded, one with CR line endings (`CRLineEndingSource.sniff`) gets LF;
  /// anything else is served as it is. The bytes read to tell are put back (all of them, so that later reads stay
  /// aligned with the file's pages: a copy from the page cache to a buffer misaligned by a few bytes is much slower).
  /// `notes` say what was changed (for the report's warnings).
  public static func normalizingText(_ source: ByteSource) throws(LogWardenError)
    -> (source: ByteSource, notes: [String])
  {
    let prefix = try readPrefix(of: source, count: 1024)
    let replayed = PrefixedSource(prefix: prefix, upstream: source)
    if let order = UTF16TranscodingSource.sniff(prefix) {
      return (
        UTF16TranscodingSource(upstream: replayed, byteOrder: order),
        ["input is \(order.rawValue); sanitized and written as UTF-8"]
      )
    }
    if CRLineEndingSource.sniff(prefix) {
      return (CRLineEndingSource(upstream: replayed), ["input has CR line endings; read and written with LF"])
    }
    return (replayed, [])
  }

  /// Reads until `count` bytes or end of input; pipes may deliver fewer bytes per read.
  static func readPrefix(of source: ByteSource, count: Int) throws(LogWardenError) -> [UInt8] {
    var prefix = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = try source.read(into: &prefix, from: filled)
      if n == 0 { break }
      filled += n
    }
    return Array(prefix[0..<filled])
  }
}

/// A `ByteSource` that first serves `prefix` and then everything from `upstream`.
/// Used to put back bytes that were read ahead (e.g. to sniff a format).
public final class PrefixedSource: ByteSource {
  private var prefix: [UInt8]
  private var prefixOffset = 0
  private let upstream: ByteSource

  public init(prefix: [UInt8], upstream: ByteSource) {
    self.prefix = prefix
    self.upstream = upstream
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    let pending = prefix.count - prefixOffset
    if pending > 0 {
      let n = min(pending, buffer.count)
      prefix.withUnsafeBytes { bytes in
        buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + prefixOffset, byteCount: n)
      }
      prefixOffset += n
      if prefixOffset == prefix.count { prefix = []; prefixOffset = 0 }
      return n
    }
    return try upstream.read(into: buffer)
  }
}
