#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What kind of directory entry a path is (from `lstat`, so symlinks are reported as such).
public enum FileKind: String, Sendable, Codable {
  case regular, directory, symlink, fifo, socket, characterDevice, blockDevice, unknown
}

/// The parts of `struct stat` retention needs.
public struct FileStatus: Sendable, Equatable {
  public var device: UInt64
  public var inode: UInt64
  /// The full `st_mode` (type and permission bits).
  public var mode: UInt32
  public var linkCount: UInt64
  public var owner: UInt32
  public var group: UInt32
  public var size: Int64
  /// Modification time, whole seconds since the epoch.
  public var modified: Int64
  public var modifiedNanoseconds: Int64
  /// Allocated size in bytes (`st_blocks * 512`); smaller than `size` for sparse files.
  public var allocatedBytes: Int64
  /// The filesystem's preferred I/O block size.
  public var blockSize: Int64

  public init(
    device: UInt64 = 1, inode: UInt64, mode: UInt32, linkCount: UInt64 = 1, owner: UInt32 = 0, group: UInt32 = 0,
    size: Int64, modified: Int64, modifiedNanoseconds: Int64 = 0, allocatedBytes: Int64? = nil, blockSize: Int64 = 4096
  ) {
    self.device = device
    self.inode = inode
    self.mode = mode
    self.linkCount = linkCount
    self.owner = owner
    self.group = group
    self.size = size
    self.modified = modified
    self.modifiedNanoseconds = modifiedNanoseconds
    self.allocatedBytes = allocatedBytes ?? size
    self.blockSize = blockSize
  }

  /// Permission bits only (`0o7777`).
  public var permissions: UInt32 { mode & 0o7777 }

  public var kind: FileKind {
    switch mode & UInt32(S_IFMT) {
    case UInt32(S_IFREG): return .regular
    case UInt32(S_IFDIR): return .directory
    case UInt32(S_IFLNK): return .symlink
    case UInt32(S_IFIFO): return .fifo
    case UInt32(S_IFSOCK): return .socket
    case UInt32(S_IFCHR): return .characterDevice
    case UInt32(S_IFBLK): return .blockDevice
    default: return .unknown
    }
  }

  /// Whether `other` is the same file (device and inode).
  public func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }
}

/// Space on the filesystem holding a path.
public struct FileSystemSpace: Sendable, Equatable {
  /// Total size in bytes.
  public var totalBytes: Int64
  /// Bytes available to unprivileged users (`f_bavail`).
  public var availableBytes: Int64
  public init(totalBytes: Int64, availableBytes: Int64) {
    self.totalBytes = totalBytes
    self.availableBytes = availableBytes
  }
}

/// Every system call the retention engine makes on files, behind one protocol so that crash and ENOSPC paths are testable.
///
/// Paths are absolute. Errors are `LogWardenError.io` naming the operation and path; they never carry file content.
/// Descriptors returned by `open…` calls are owned by the caller and released with `close(_:)`.
public protocol FileSystem: AnyObject {
  /// `lstat`; nil when the path does not exist.
  func status(ofPath path: String) throws(LogWardenError) -> FileStatus?
  func status(ofDescriptor fd: Int32, path: String) throws(LogWardenError) -> FileStatus
  /// Entry names in a directory, without `.` and `..`, unsorted.
  func contentsOfDirectory(_ path: String) throws(LogWardenError) -> [String]
  /// Opens an existing file read-only without following a final symlink and without blocking on FIFOs.
  func openForReading(_ path: String) throws(LogWardenError) -> Int32
  /// Opens an existing file read-write without following a final symlink (copytruncate).
  func openForUpdate(_ path: String) throws(LogWardenError) -> Int32
  /// Creates a new file that must not exist yet (`O_CREAT|O_EXCL|O_NOFOLLOW`), write-only.
  func createExclusive(_ path: String, permissions: UInt32) throws(LogWardenError) -> Int32
  func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(LogWardenError) -> Int
  func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws(LogWardenError) -> Int
  /// Writes all of `bytes` (retrying short writes).
  func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(LogWardenError)
  func synchronize(_ fd: Int32, path: String) throws(LogWardenError)
  func close(_ fd: Int32)
  /// Opens the directory and fsyncs it, so that renames and unlinks in it are durable.
  func synchronizeDirectory(_ path: String) throws(LogWardenError)
  /// `rename(2)`: replaces `destination` if it exists.
  func rename(_ source: String, to destination: String) throws(LogWardenError)
  /// `link(2)`: fails with EEXIST rather than replace `destination`.
  func link(_ source: String, to destination: String) throws(LogWardenError)
  func removeFile(_ path: String) throws(LogWardenError)
  func createDirectory(_ path: String, permissions: UInt32) throws(LogWardenError)
  func setOwner(_ fd: Int32, owner: UInt32, group: UInt32, path: String) throws(LogWardenError)
  func setPermissions(_ fd: Int32, _ permissions: UInt32, path: String) throws(LogWardenError)
  /// Sets the modification (and access) time, whole seconds.
  func setModificationTime(_ fd: Int32, seconds: Int64, nanoseconds: Int64, path: String) throws(LogWardenError)
  func truncate(_ fd: Int32, toLength length: Int64, path: String) throws(LogWardenError)
  /// `fallocate(FALLOC_FL_COLLAPSE_RANGE)`: removes `[0, length)` from the file in place. `length` must be a multiple
  /// of the filesystem block size. Throws `.io(errno: EOPNOTSUPP/EINVAL)` where the filesystem cannot do it.
  func collapsePrefix(_ fd: Int32, length: Int64, path: String) throws(LogWardenError)
  /// `lseek(SEEK_DATA)`: the first data offset at or after `offset`, or nil when only a hole remains.
  func nextData(_ fd: Int32, from offset: Int64, path: String) throws(LogWardenError) -> Int64?
  /// `lseek(SEEK_HOLE)`: the first hole offset at or after `offset` (the file size if none).
  func nextHole(_ fd: Int32, from offset: Int64, path: String) throws(LogWardenError) -> Int64
  func space(ofFileSystemAt path: String) throws(LogWardenError) -> FileSystemSpace
}

extension FileSystem {
  public func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(LogWardenError) {
    var failure: LogWardenError?
    bytes.withUnsafeBytes { raw in
      do throws(LogWardenError) { try write(fd, raw, path: path) } catch { failure = error }
    }
    if let failure { throw failure }
  }
}

/// The real filesystem (Linux system calls).
public final class PosixFileSystem: FileSystem {
  public init() {}

  private static func convert(_ st: stat) -> FileStatus {
    FileStatus(
      device: UInt64(st.st_dev), inode: UInt64(st.st_ino), mode: UInt32(st.st_mode), linkCount: UInt64(st.st_nlink),
      owner: UInt32(st.st_uid), group: UInt32(st.st_gid), size: Int64(st.st_size),
      modified: Int64(st.st_mtim.tv_sec), modifiedNanoseconds: Int64(st.st_mtim.tv_nsec),
      allocatedBytes: Int64(st.st_blocks) * 512, blockSize: Int64(st.st_blksize))
  }

  public func status(ofPath path: String) throws(LogWardenError) -> FileStatus? {
    var st = stat()
    if lstat(path, &st) != 0 {
      if errno == ENOENT || errno == ENOTDIR { return nil }
      throw .io(operation: "lstat", path: path, errno: errno)
    }
    return Self.convert(st)
  }

  public func status(ofDescriptor fd: Int32, path: String) throws(LogWardenError) -> FileStatus {
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
    return Self.convert(st)
  }

  public func contentsOfDirectory(_ path: String) throws(LogWardenError) -> [String] {
    guard let dir = opendir(path) else { throw .io(operation: "opendir", path: path, errno: errno) }
    defer { closedir(dir) }
    var names: [String] = []
    while true {
      errno = 0
      guard let entry = readdir(dir) else {
        if errno != 0 { throw .io(operation: "readdir", path: path, errno: errno) }
        break
      }
      let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
        pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  private func openRetrying(_ path: String, _ flags: Int32, _ mode: mode_t = 0, operation: String) throws(LogWardenError) -> Int32 {
    while true {
      let fd = open(path, flags, mode)
      if fd >= 0 { return fd }
      if errno == EINTR { continue }
      throw .io(operation: operation, path: path, errno: errno)
    }
  }

  public func openForReading(_ path: String) throws(LogWardenError) -> Int32 {
    let fd = try openRetrying(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, operation: "open")
    // Reads from regular files never block; clear O_NONBLOCK anyway so descriptors behave normally.
    let flags = fcntl(fd, F_GETFL)
    if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    return fd
  }

  public func openForUpdate(_ path: String) throws(LogWardenError) -> Int32 {
    try openRetrying(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, operation: "open")
  }

  public func createExclusive(_ path: String, permissions: UInt32) throws(LogWardenError) -> Int32 {
    try openRetrying(
      path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(permissions), operation: "create")
  }

  public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(LogWardenError) -> Int {
    while true {
      let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
      if n >= 0 { return n }
      if errno == EINTR { continue }
      throw .io(operation: "read", path: path, errno: errno)
    }
  }

  public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws(LogWardenError) -> Int {
    while true {
      let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
      if n >= 0 { return n }
      if errno == EINTR { continue }
      throw .io(operation: "read", path: path, errno: errno)
    }
  }

  public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(LogWardenError) {
    var offset = 0
    while offset < bytes.count {
      let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw .io(operation: "write", path: path, errno: errno)
      }
      offset += n
    }
  }

  public func synchronize(_ fd: Int32, path: String) throws(LogWardenError) {
    guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
  }

  public func close(_ fd: Int32) { _ = Glibc.close(fd) }

  public func synchronizeDirectory(_ path: String) throws(LogWardenError) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
    defer { _ = Glibc.close(fd) }
    guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
  }

  public func rename(_ source: String, to destination: String) throws(LogWardenError) {
    guard Glibc.rename(source, destination) == 0 else { throw .io(operation: "rename", path: source, errno: errno) }
  }

  public func link(_ source: String, to destination: String) throws(LogWardenError) {
    guard Glibc.link(source, destination) == 0 else { throw .io(operation: "link", path: destination, errno: errno) }
  }

  public func removeFile(_ path: String) throws(LogWardenError) {
    guard unlink(path) == 0 else { throw .io(operation: "unlink", path: path, errno: errno) }
  }

  public func createDirectory(_ path: String, permissions: UInt32) throws(LogWardenError) {
    guard mkdir(path, mode_t(permissions)) == 0 else { throw .io(operation: "mkdir", path: path, errno: errno) }
  }

  public func setOwner(_ fd: Int32, owner: UInt32, group: UInt32, path: String) throws(LogWardenError) {
    guard fchown(fd, uid_t(owner), gid_t(group)) == 0 else { throw .io(operation: "fchown", path: path, errno: errno) }
  }

  public func setPermissions(_ fd: Int32, _ permissions: UInt32, path: String) throws(LogWardenError) {
    guard fchmod(fd, mode_t(permissions)) == 0 else { throw .io(operation: "fchmod", path: path, errno: errno) }
  }

  public func setModificationTime(_ fd: Int32, seconds: Int64, nanoseconds: Int64, path: String) throws(LogWardenError) {
    var times = [
      timespec(tv_sec: time_t(seconds), tv_nsec: Int(nanoseconds)),
      timespec(tv_sec: time_t(seconds), tv_nsec: Int(nanoseconds)),
    ]
    guard futimens(fd, &times) == 0 else { throw .io(operation: "futimens", path: path, errno: errno) }
  }

  public func truncate(_ fd: Int32, toLength length: Int64, path: String) throws(LogWardenError) {
    guard ftruncate(fd, off_t(length)) == 0 else { throw .io(operation: "ftruncate", path: path, errno: errno) }
  }

  public func collapsePrefix(_ fd: Int32, length: Int64, path: String) throws(LogWardenError) {
    guard let fallocate = LinuxCalls.fallocate else {
      throw .io(operation: "fallocate", path: path, errno: ENOSYS)
    }
    guard fallocate(fd, LinuxCalls.collapseRange, 0, off_t(length)) == 0 else {
      throw .io(operation: "fallocate", path: path, errno: errno)
    }
  }

  public func nextData(_ fd: Int32, from offset: Int64, path: String) throws(LogWardenError) -> Int64? {
    let r = lseek(fd, off_t(offset), LinuxCalls.seekData)
    if r < 0 {
      if errno == ENXIO { return nil }
      throw .io(operation: "lseek", path: path, errno: errno)
    }
    return Int64(r)
  }

  public func nextHole(_ fd: Int32, from offset: Int64, path: String) throws(LogWardenError) -> Int64 {
    let r = lseek(fd, off_t(offset), LinuxCalls.seekHole)
    if r < 0 { throw .io(operation: "lseek", path: path, errno: errno) }
    return Int64(r)
  }

  public func space(ofFileSystemAt path: String) throws(LogWardenError) -> FileSystemSpace {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { throw .io(operation: "statvfs", path: path, errno: errno) }
    let unit = Int64(info.f_frsize)
    return FileSystemSpace(totalBytes: Int64(info.f_blocks) * unit, availableBytes: Int64(info.f_bavail) * unit)
  }
}

/// Linux calls that Swift's Glibc module does not import (they need `_GNU_SOURCE`), looked up once at run time.
enum LinuxCalls {
  typealias FallocateFunction = @convention(c) (Int32, Int32, off_t, off_t) -> Int32
  static let collapseRange: Int32 = 0x08  // FALLOC_FL_COLLAPSE_RANGE, <linux/falloc.h>
  static let seekData: Int32 = 3  // SEEK_DATA
  static let seekHole: Int32 = 4  // SEEK_HOLE

  static let fallocate: FallocateFunction? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "fallocate") else { return nil }
    return unsafeBitCast(symbol, to: FallocateFunction.self)
  }()
}
