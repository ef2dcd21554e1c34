#if canImport(Glibc)
import Glibc
#endif

/// Tells which files some process holds open, so that a file a writer is still writing is never archived.
public protocol OpenFileProbe: AnyObject {
  /// Identities of files open in any other process.
  func openFiles() -> Set<FileIdentity>
}

/// Scans `/proc/<pid>/fd/*` (Linux). Processes whose descriptors cannot be read (another user's, without privilege)
/// are skipped; run as root (or as the writers' user) for the check to be complete.
public final class ProcOpenFileProbe: OpenFileProbe {
  public init() {}

  public func openFiles() -> Set<FileIdentity> {
    var result = Set<FileIdentity>()
    let own = getpid()
    guard let proc = opendir("/proc") else { return result }
    defer { closedir(proc) }
    while let entry = readdir(proc) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      guard let pid = Int32(name), pid != own else { continue }
      let fdDirectory = "/proc/\(name)/fd"
      guard let fds = opendir(fdDirectory) else { continue }
      while let fdEntry = readdir(fds) {
        let fdName = withUnsafePointer(to: fdEntry.pointee.d_name) {
          $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        guard fdName.first?.isNumber == true else { continue }
        var st = stat()
        if stat(fdDirectory + "/" + fdName, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
          result.insert(FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
        }
      }
      closedir(fds)
    }
    return result
  }
}

/// A probe that reports nothing open (tests, and systems without /proc).
public final class NoOpenFilesProbe: OpenFileProbe {
  public init() {}
  public func openFiles() -> Set<FileIdentity> { [] }
}
