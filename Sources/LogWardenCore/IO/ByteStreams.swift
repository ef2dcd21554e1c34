#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull source of bytes: a file, stdin, or a decoder wrapped around another source.
///
/// Sources are read in large chunks; nothing on this protocol is per line.
public protocol ByteSource: AnyObject {
  /// Reads up to `buffer.count` bytes into `buffer`; returns 0 only at end of input.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int
}

/// A push sink of bytes: a file, stdout, or an encoder wrapped around another sink.
public protocol ByteSink: AnyObject {
  /// Writes all of `bytes` (retrying short writes).
  func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError)
  /// Flushes anything buffered and finishes the stream (e.g. a gzip trailer). Does not close descriptors it does not own.
  func finish() throws(LogWardenError)
}

extension ByteSource {
  /// Reads into `array` from index `offset` on (up to its end); returns the count, 0 only at end of input.
  public func read(into array: inout [UInt8], from offset: Int) throws(LogWardenError) -> Int {
    var failure: LogWardenError?
    let n = array.withUnsafeMutableBytes { raw -> Int in
      do throws(LogWardenError) {
        return try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]))
      } catch {
        failure = error
        return 0
      }
    }
    if let failure { throw failure }
    return n
  }
}

extension ByteSink {
  /// Convenience for small writes from an array.
  public func write(_ bytes: [UInt8]) throws(LogWardenError) {
    var failure: LogWardenError?
    bytes.withUnsafeBytes { raw in
      do throws(LogWardenError) { try write(raw) } catch { failure = error }
    }
    if let failure { throw failure }
  }
}

/// Reads from a POSIX file descriptor.
public final class FileDescriptorSource: ByteSource {
  public let fd: Int32
  private let ownsDescriptor: Bool
  private let displayName: String

  /// Opens `path` read-only. The name is used only in error messages.
  public init(path: String) throws(LogWardenError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw LogWardenError.io(operation: "open", path: path, errno: errno) }
    self.fd = fd
    self.ownsDescriptor = true
    self.displayName = path
  }

  /// Wraps an existing descriptor (e.g. 0 for stdin) without taking ownership.
  public init(descriptor: Int32, name: String) {
    self.fd = descriptor
    self.ownsDescriptor = false
    self.displayName = name
  }

  deinit { if ownsDescriptor { close(fd) } }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    while true {
      #if canImport(Glibc)
      let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
      #else
      let n = Darwin.read(fd, buffer.baseAddress, buffer.count)
      #endif
      if n >= 0 { return n }
      if errno == EINTR { continue }
      throw LogWardenError.io(operation: "read", path: displayName, errno: errno)
    }
  }
}

/// Writes to a POSIX file descriptor, in large buffered chunks.
public final class FileDescriptorSink: ByteSink {
  public let fd: Int32
  private let displayName: String
  private var buffer: UnsafeMutableRawBufferPointer
  private var used = 0

  /// Wraps `descriptor` without taking ownership; the caller closes it.
  public init(descriptor: Int32, name: String, bufferSize: Int = 1 << 18) {
    self.fd = descriptor
    self.displayName = name
    self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
  }

  deinit { buffer.deallocate() }

  public func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    if bytes.count > buffer.count - used {
      try flush()
      if bytes.count >= buffer.count {
        try writeAll(bytes)
        return
      }
    }
    if bytes.count > 0 {
      (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
      used += bytes.count
    }
  }

  public func finish() throws(LogWardenError) { try flush() }

  /// Writes out the internal buffer.
  public func flush() throws(LogWardenError) {
    if used > 0 {
      try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
      used = 0
    }
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    var offset = 0
    while offset < bytes.count {
      #if canImport(Glibc)
      let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      #else
      let n = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      #endif
      if n < 0 {
        if errno == EINTR { continue }
        throw LogWardenError.io(operation: "write", path: displayName, errno: errno)
      }
      offset += n
    }
  }
}

/// Collects everything written into memory. For tests and small outputs only.
public final class MemorySink: ByteSink {
  public private(set) var bytes: [UInt8] = []
  public init() {}
  public func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) { self.bytes.append(contentsOf: bytes) }
  public func finish() throws(LogWardenError) {}
}

/// Serves bytes from memory. For tests and small inputs only.
public final class MemorySource: ByteSource {
  private let bytes: [UInt8]
  private var offset = 0
  private let maxChunk: Int
  /// `maxChunk` lets tests force chunk boundaries at every position.
  public init(_ bytes: [UInt8], maxChunk: Int = Int.max) {
    self.bytes = bytes
    self.maxChunk = maxChunk
  }
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    let n = min(buffer.count, bytes.count - offset, maxChunk)
    if n > 0 {
      bytes.withUnsafeBytes { src in
        buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
      }
    }
    offset += n
    return n
  }
}
