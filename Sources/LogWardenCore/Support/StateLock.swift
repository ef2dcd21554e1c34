#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<state directory>/lock`, held for a whole run.
///
/// The lock file is created once and never renamed or removed, so every run locks the same inode (logrotate's state-file
/// lock breaks because it renames a new inode over the file it locks). The lock is released by `release()`, by
/// `deinit`, or by the kernel when the process dies — a run killed with SIGKILL never leaves a stale lock.
public final class StateLock {
  /// The lock file's path.
  public let path: String
  private var fd: Int32

  private init(path: String, fd: Int32) {
    self.path = path
    self.fd = fd
  }

  deinit { release() }

  /// The lock file's path for a state directory.
  public static func lockPath(stateDirectory: String) -> String { stateDirectory + "/lock" }

  /// Outcome of trying to take the lock.
  public enum Outcome {
    case acquired(StateLock)
    /// Another process holds the lock (after waiting `waitSeconds`).
    case busy
  }

  /// Takes the lock, waiting up to `waitSeconds` (0: do not wait). Creates the lock file (mode 0600) if needed.
  /// `sleep` is called between attempts with the seconds to pause; it is injectable so that tests never sleep.
  public static func acquire(
    stateDirectory: String, waitSeconds: Double, sleep: (Double) -> Void = StateLock.realSleep,
    monotonicNow: () -> Double = StateLock.monotonicSeconds
  ) throws(LogWardenError) -> Outcome {
    let path = lockPath(stateDirectory: stateDirectory)
    let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
    let deadline = monotonicNow() + max(0, waitSeconds)
    while true {
      if flock(fd, LOCK_EX | LOCK_NB) == 0 { return .acquired(StateLock(path: path, fd: fd)) }
      let code = errno
      if code == EINTR { continue }
      guard code == EWOULDBLOCK else {
        Glibc.close(fd)
        throw .io(operation: "flock", path: path, errno: code)
      }
      let remaining = deadline - monotonicNow()
      if remaining <= 0 {
        Glibc.close(fd)
        return .busy
      }
      sleep(min(0.05, remaining))
    }
  }

  /// Releases the lock (idempotent).
  public func release() {
    if fd >= 0 {
      _ = flock(fd, LOCK_UN)
      Glibc.close(fd)
      fd = -1
    }
  }

  /// Pauses the calling thread.
  public static func realSleep(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
  }

  /// CLOCK_MONOTONIC in seconds.
  public static func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
  }
}
