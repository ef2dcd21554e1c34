import Foundation
import ZIPFoundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The container a share is written in, chosen by the output's name.
public enum BundleFormat: String, Sendable, Codable {
  /// POSIX ustar inside gzip (`.tar.gz`, `.tgz`).
  case tarGzip = "tar.gz"
  /// ZIP with deflate (`.zip`), for vendors on Windows.
  case zip

  /// The format for an output path, or nil if its extension is neither.
  public init?(path: String) {
    let lower = path.lowercased()
    if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") {
      self = .tarGzip
    } else if lower.hasSuffix(".zip") {
      self = .zip
    } else {
      return nil
    }
  }

  /// The output's file name without the bundle extension: the bundle's top directory.
  public static func baseName(of path: String) -> String {
    var name = path.split(separator: "/").last.map(String.init) ?? path
    for ext in [".tar.gz", ".tgz", ".zip"] where name.lowercased().hasSuffix(ext) {
      name.removeLast(ext.count)
      break
    }
    return name.isEmpty ? "logwarden-share" : name
  }
}

/// Writes the files of a bundle into its container, then publishes it atomically (temporary file, fsync, rename).
protocol BundleWriter: AnyObject {
  func addDirectory(_ path: String, modified: Int64) throws(LogWardenError)
  /// Adds a regular file of exactly `size` bytes read from `source`.
  func addFile(_ path: String, size: Int64, modified: Int64, from source: ByteSource) throws(LogWardenError)
  /// Finishes the container and moves it into place.
  func commit() throws(LogWardenError)
  /// Removes the unfinished container.
  func abandon()
}

extension BundleWriter {
  func addFile(_ path: String, bytes: [UInt8], modified: Int64) throws(LogWardenError) {
    try addFile(path, size: Int64(bytes.count), modified: modified, from: MemorySource(bytes))
  }
}

enum BundleWriters {
  static func make(_ format: BundleFormat, path: String) throws(LogWardenError) -> BundleWriter {
    switch format {
    case .tarGzip: return try TarGzipBundleWriter(path: path)
    case .zip: return try ZipBundleWriter(path: path)
    }
  }
}

/// ustar (POSIX.1-1988) written as a stream through `GzipCompressingSink` into an `AtomicFileWriter`: headers are
/// 512-byte blocks, file data is padded to a block, two zero blocks end the archive. Files of 8 GiB and more get their
/// size in base-256 (the GNU/star extension every current tar reads).
final class TarGzipBundleWriter: BundleWriter {
  private let file: AtomicFileWriter
  private let gzip: GzipCompressingSink
  private let path: String

  init(path: String) throws(LogWardenError) {
    self.path = path
    file = try AtomicFileWriter(path: path, mode: 0o600)
    do {
      gzip = try GzipCompressingSink(downstream: file.sink, level: 6, name: path)
    } catch {
      file.abandon()
      throw error
    }
  }

  func addDirectory(_ path: String, modified: Int64) throws(LogWardenError) {
    let name = path.hasSuffix("/") ? path : path + "/"
    try gzip.write(try Self.header(name: name, mode: 0o755, size: 0, modified: modified, type: 0x35))
  }

  func addFile(_ path: String, size: Int64, modified: Int64, from source: ByteSource) throws(LogWardenError) {
    try gzip.write(try Self.header(name: path, mode: 0o644, size: size, modified: modified, type: 0x30))
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var remaining = size
    while remaining > 0 {
      let want = Int(min(Int64(buffer.count), remaining))
      let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
      guard n > 0 else {
        throw .badInput(path: path, reason: "changed while the bundle was written (shorter than \(size) bytes)")
      }
      try gzip.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      remaining -= Int64(n)
    }
    let padding = Int((512 - size % 512) % 512)
    if padding > 0 { try gzip.write([UInt8](repeating: 0, count: padding)) }
  }

  func commit() throws(LogWardenError) {
    do {
      try gzip.write([UInt8](repeating: 0, count: 1024))
      try gzip.finish()
      try file.commit()
    } catch {
      file.abandon()
      throw error
    }
  }

  func abandon() { file.abandon() }

  /// One ustar header block.
  static func header(name: String, mode: Int, size: Int64, modified: Int64, type: UInt8) throws(LogWardenError)
    -> [UInt8]
  {
    var block = [UInt8](repeating: 0, count: 512)
    let (prefix, base) = try split(name)
    func put(_ bytes: [UInt8], at offset: Int) {
      for (k, b) in bytes.enumerated() { block[offset + k] = b }
    }
    func octal(_ value: Int64, width: Int) -> [UInt8] {
      // width - 1 digits, then NUL.
      var digits = Array(String(value, radix: 8).utf8)
      while digits.count < width - 1 { digits.insert(0x30, at: 0) }
      return digits + [0]
    }
    put(base, at: 0)
    put(octal(Int64(mode), width: 8), at: 100)
    put(octal(0, width: 8), at: 108)  // uid
    put(octal(0, width: 8), at: 116)  // gid
    if size < 0o77777777777 {
      put(octal(size, width: 12), at: 124)
    } else {
      // base-256: high bit of the first byte set, big-endian value in the rest.
      var value = UInt64(size)
      for k in stride(from: 11, through: 1, by: -1) {
        block[124 + k] = UInt8(value & 0xff)
        value >>= 8
      }
      block[124] = 0x80
    }
    put(octal(max(0, modified), width: 12), at: 136)
    for k in 148..<156 { block[k] = 0x20 }  // checksum field counts as spaces
    block[156] = type
    put(Array("ustar".utf8) + [0], at: 257)
    put(Array("00".utf8), at: 263)
    put(Array("root".utf8), at: 265)  // uname
    put(Array("root".utf8), at: 297)  // gname
    put(prefix, at: 345)
    let sum = block.reduce(0) { $0 + Int($1) }
    var checksum = Array(String(sum, radix: 8).utf8)
    while checksum.count < 6 { checksum.insert(0x30, at: 0) }
    put(checksum + [0, 0x20], at: 148)
    return block
  }

  /// Splits a path into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes) at a slash.
  static func split(_ path: String) throws(LogWardenError) -> ([UInt8], [UInt8]) {
    let bytes = Array(path.utf8)
    if bytes.count <= 100 { return ([], bytes) }
    for k in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[k] == 0x2F {
      let name = Array(bytes[(k + 1)...])
      if name.count <= 100 && !name.isEmpty { return (Array(bytes[..<k]), name) }
    }
    throw .usage("\(path): too long for a tar entry (name over 100 bytes with no directory split)")
  }
}

/// ZIP through ZIPFoundation, deflated, with Zip64 when needed. The archive is built in the `AtomicFileWriter`'s
/// temporary file (started as an empty ZIP, then opened for update) and renamed into place by its commit.
final class ZipBundleWriter: BundleWriter {
  private let file: AtomicFileWriter
  private var archive: Archive?
  private let path: String

  /// An empty ZIP: the end-of-central-directory record alone.
  static let emptyArchive: [UInt8] = [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)

  init(path: String) throws(LogWardenError) {
    self.path = path
    file = try AtomicFileWriter(path: path, mode: 0o600)
    do throws(LogWardenError) {
      try file.sink.write(Self.emptyArchive)
      try file.sink.flush()
    } catch {
      file.abandon()
      throw error
    }
    do {
      archive = try Archive(url: URL(fileURLWithPath: file.temporaryPath), accessMode: .update, pathEncoding: nil)
    } catch {
      file.abandon()
      throw .io(operation: "create zip", path: path, errno: Self.code(error))
    }
  }

  func addDirectory(_ path: String, modified: Int64) throws(LogWardenError) {
    do {
      try archive!.addEntry(
        with: path.hasSuffix("/") ? path : path + "/", type: .directory, uncompressedSize: Int64(0),
        modificationDate: Date(timeIntervalSince1970: TimeInterval(modified)), permissions: 0o755,
        provider: { _, _ in Data() })
    } catch {
      throw .io(operation: "write zip", path: self.path, errno: Self.code(error))
    }
  }

  func addFile(_ path: String, size: Int64, modified: Int64, from source: ByteSource) throws(LogWardenError) {
    var failure: LogWardenError?
    var provided: Int64 = 0
    do {
      try archive!.addEntry(
        with: path, type: .file, uncompressedSize: size,
        modificationDate: Date(timeIntervalSince1970: TimeInterval(modified)), permissions: 0o644,
        compressionMethod: .deflate,
        provider: { _, chunk in
          let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunk, 1), alignment: 16)
          defer { scratch.deallocate() }
          var filled = 0
          while filled < chunk {
            let n: Int
            do throws(LogWardenError) {
              n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[filled..<chunk]))
            } catch {
              failure = error
              throw error
            }
            if n == 0 { break }
            filled += n
          }
          provided += Int64(filled)
          return Data(bytes: scratch.baseAddress!, count: filled)
        })
    } catch {
      if let failure { throw failure }
      throw .io(operation: "write zip", path: self.path, errno: Self.code(error))
    }
    guard provided == size else {
      throw .badInput(path: path, reason: "changed while the bundle was written (\(provided) of \(size) bytes)")
    }
  }

  func commit() throws(LogWardenError) {
    archive = nil  // closes ZIPFoundation's stream (flushes it)
    do { try file.commit() } catch {
      file.abandon()
      throw error
    }
  }

  func abandon() {
    archive = nil
    file.abandon()
  }

  private static func code(_ error: Error) -> Int32 {
    if let posix = error as? POSIXError { return posix.code.rawValue }
    return EIO
  }
}
