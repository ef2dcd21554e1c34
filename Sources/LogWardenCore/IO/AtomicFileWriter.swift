#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that a crash leaves either the old file or the complete new one: data goes to a temporary file
/// in the same directory, which is fsynced, renamed over the target, and the directory fsynced.
public final class AtomicFileWriter {
  public let path: String
  public let temporaryPath: String
  public let sink: FileDescriptorSink
  private var fd: Int32
  private var committed = false
  /// Where `InterruptCleanup` holds the temporary path until it is renamed or removed.
  private var cleanupSlot: Int?

  /// Creates the temporary file (mode `mode`, before umask) next to `path`.
  public init(path: String, mode: mode_t = 0o644) throws(LogWardenError) {
    self.path = path
    let directory = AtomicFileWriter.directory(of: path)
    let base = path.split(separator: "/").last.map(String.init) ?? path
    var template = Array("\(directory)/.\(base).logwarden-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw .io(operation: "create temporary file", path: path, errno: errno) }
    fchmod(fd, mode & ~AtomicFileWriter.currentUmask())
    self.fd = fd
    self.temporaryPath = String(cString: template.map { UInt8(bitPattern: $0) } + [])
    self.sink = FileDescriptorSink(descriptor: fd, name: path)
    self.cleanupSlot = InterruptCleanup.register(temporaryPath)
  }

  deinit {
    if !committed {
      if fd >= 0 { close(fd) }
      unlink(temporaryPath)
    }
    if let cleanupSlot { InterruptCleanup.unregister(cleanupSlot) }
  }

  /// Flushes, fsyncs and renames the temporary file over `path`, then fsyncs the directory.
  public func commit() throws(LogWardenError) {
    try sink.flush()
    guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    guard close(fd) == 0 else {
      fd = -1
      throw .io(operation: "close", path: path, errno: errno)
    }
    fd = -1
    guard rename(temporaryPath, path) == 0 else { throw .io(operation: "rename", path: path, errno: errno) }
    committed = true
    forgetTemporaryPath()
    try AtomicFileWriter.syncDirectory(AtomicFileWriter.directory(of: path))
  }

  /// Removes the temporary file without touching the target.
  public func abandon() {
    if fd >= 0 {
      close(fd)
      fd = -1
    }
    unlink(temporaryPath)
    committed = true
    forgetTemporaryPath()
  }

  private func forgetTemporaryPath() {
    if let cleanupSlot { InterruptCleanup.unregister(cleanupSlot) }
    cleanupSlot = nil
  }

  /// fsyncs a directory so a rename or unlink in it is durable.
  public static func syncDirectory(_ directory: String) throws(LogWardenError) {
    let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dfd >= 0 else { throw .io(operation: "open directory", path: directory, errno: errno) }
    defer { close(dfd) }
    guard fsync(dfd) == 0 else { throw .io(operation: "fsync directory", path: directory, errno: errno) }
  }

  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let dir = String(path[..<slash])
    return dir.isEmpty ? "/" : dir
  }

  static func currentUmask() -> mode_t {
    let old = umask(0o022)
    umask(old)
    return old
  }
}
