#if canImport(Glibc)
import Glibc
#endif
import SystemZlib

/// Reads a file through the `FileSystem` protocol (so that faults can be injected).
final class FileSystemSource: ByteSource {
  let fileSystem: FileSystem
  let fd: Int32
  let path: String
  /// Stop after this many bytes (nil: read to end of file).
  private var remaining: Int64?
  private(set) var bytesRead: Int64 = 0

  init(fileSystem: FileSystem, fd: Int32, path: String, limit: Int64? = nil) {
    self.fileSystem = fileSystem
    self.fd = fd
    self.path = path
    self.remaining = limit
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    var target = buffer
    if let remaining {
      if remaining <= 0 { return 0 }
      if Int64(buffer.count) > remaining { target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(remaining)]) }
    }
    let n = try fileSystem.read(fd, into: target, path: path)
    bytesRead += Int64(n)
    if remaining != nil { remaining! -= Int64(n) }
    return n
  }
}

/// Reads `[0, limit)` of a file, skipping holes (SEEK_DATA) and dropping NUL bytes: the region a writer without
/// O_APPEND leaves behind after its file was truncated. Used by copytruncate only. `rawCRC` covers the bytes as they
/// are in the file (holes read as zeros), so recovery can tell whether a prefix is still present.
final class HoleSkippingSource: ByteSource {
  let fileSystem: FileSystem
  let fd: Int32
  let path: String
  private(set) var limit: Int64
  /// When set, reaching `limit` asks for the file's current size and goes on if it grew (copytruncate's
  /// "copy what was appended meanwhile").
  private let currentSize: (() throws(LogWardenError) -> Int64)?
  private var offset: Int64 = 0
  private(set) var nulBytesDropped: Int64 = 0
  private(set) var rawCRC: UInt32 = 0
  private var scratch: UnsafeMutableRawBufferPointer

  init(fileSystem: FileSystem, fd: Int32, path: String, start: Int64 = 0, limit: Int64, currentSize: (() throws(LogWardenError) -> Int64)? = nil) {
    self.fileSystem = fileSystem
    self.fd = fd
    self.path = path
    self.offset = start
    self.limit = limit
    self.currentSize = currentSize
    self.scratch = .allocate(byteCount: 1 << 20, alignment: 16)
  }

  deinit { scratch.deallocate() }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    while true {
      if offset >= limit {
        guard let currentSize else { return 0 }
        let size = try currentSize()
        if size <= limit { return 0 }
        limit = size
      }
      // Skip a hole, accounting for it in the raw CRC as zeros.
      let dataStart = try fileSystem.nextData(fd, from: offset, path: path) ?? limit
      if dataStart > offset {
        let holeEnd = min(dataStart, limit)
        rawCRC = Checksum.crc32(zeros: holeEnd - offset, continuing: rawCRC)
        nulBytesDropped += holeEnd - offset
        offset = holeEnd
        continue
      }
      let want = Int(min(Int64(min(buffer.count, scratch.count)), limit - offset))
      let n = try fileSystem.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]), at: offset, path: path)
      if n == 0 { throw .io(operation: "read", path: path, errno: EIO) }  // the file shrank under us
      let chunk = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
      rawCRC = Checksum.crc32(chunk, continuing: rawCRC)
      offset += Int64(n)
      var out = 0
      for byte in chunk where byte != 0 {
        buffer[out] = byte
        out += 1
      }
      nulBytesDropped += Int64(n - out)
      if out > 0 { return out }
    }
  }
}

/// Writes a file through the `FileSystem` protocol, buffered.
final class FileSystemSink: ByteSink {
  let fileSystem: FileSystem
  let fd: Int32
  let path: String
  private var buffer: UnsafeMutableRawBufferPointer
  private var used = 0
  private(set) var bytesWritten: Int64 = 0

  init(fileSystem: FileSystem, fd: Int32, path: String, bufferSize: Int = 1 << 20) {
    self.fileSystem = fileSystem
    self.fd = fd
    self.path = path
    self.buffer = .allocate(byteCount: bufferSize, alignment: 16)
  }

  deinit { buffer.deallocate() }

  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    if bytes.count > buffer.count - used {
      try flush()
      if bytes.count >= buffer.count {
        try fileSystem.write(fd, bytes, path: path)
        bytesWritten += Int64(bytes.count)
        return
      }
    }
    if bytes.count > 0 {
      (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
      used += bytes.count
    }
  }

  func finish() throws(LogWardenError) { try flush() }

  func flush() throws(LogWardenError) {
    if used > 0 {
      try fileSystem.write(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<used]), path: path)
      bytesWritten += Int64(used)
      used = 0
    }
  }
}

/// Passes bytes through to another sink, computing the CRC-32 and length of everything written.
final class ChecksummingSink: ByteSink {
  let next: ByteSink
  private(set) var crc: UInt32 = 0
  private(set) var count: Int64 = 0
  private(set) var finished = false

  init(next: ByteSink) { self.next = next }

  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    crc = Checksum.crc32(bytes, continuing: crc)
    count += Int64(bytes.count)
    try next.write(bytes)
  }

  func finish() throws(LogWardenError) {
    guard !finished else { return }
    finished = true
    try next.finish()
  }
}

/// Discards everything (for verification passes).
final class CountingNullSink: ByteSink {
  private(set) var crc: UInt32 = 0
  private(set) var count: Int64 = 0
  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    crc = Checksum.crc32(bytes, continuing: crc)
    count += Int64(bytes.count)
  }
  func finish() throws(LogWardenError) {}
}

enum Checksum {
  static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    var value = UInt(crc)
    var offset = 0
    while offset < bytes.count {
      let n = min(bytes.count - offset, Int(Int32.max))
      value = SystemZlib.crc32(value, base.assumingMemoryBound(to: UInt8.self) + offset, UInt32(n))
      offset += n
    }
    return UInt32(truncatingIfNeeded: value)
  }

  static func crc32(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { crc32($0, continuing: crc) }
  }

  static func crc32(zeros count: Int64, continuing crc: UInt32) -> UInt32 {
    var value = crc
    let zeros = [UInt8](repeating: 0, count: 65_536)
    var left = count
    while left > 0 {
      let n = Int(min(left, 65_536))
      value = zeros.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[0..<n]), continuing: value) }
      left -= Int64(n)
    }
    return value
  }
}

/// Copies a source to a sink in large chunks, then finishes the sink.
enum StreamCopy {
  static func copy(from source: ByteSource, to sink: ByteSink, chunkSize: Int = 1 << 20) throws(LogWardenError) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let n = try source.read(into: buffer)
      if n == 0 { break }
      try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    try sink.finish()
  }
}
