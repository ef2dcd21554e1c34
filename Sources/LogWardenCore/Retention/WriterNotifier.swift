import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What came of telling a writer to reopen its log.
public enum NotifyOutcome: Equatable, Sendable {
  case notified
  /// The pid file is missing or its process is gone: nobody holds the file, so archiving may go on (newsyslog).
  case writerNotRunning(String)
  case failed(String)
}

/// Tells a writer to reopen its log after a rename.
public protocol WriterNotifier {
  func notify(_ notification: WriterNotification, timeout: PolicyDuration) -> NotifyOutcome
}

/// Runs notify commands with `/bin/sh -c` and sends signals to pids read from pid files.
public struct ProcessWriterNotifier: WriterNotifier {
  public init() {}

  public func notify(_ notification: WriterNotification, timeout: PolicyDuration) -> NotifyOutcome {
    switch notification {
    case .none:
      return .notified
    case .signal(let pidFile, let signal, let name):
      guard let data = FileManager.default.contents(atPath: pidFile) else {
        return .writerNotRunning("pid file \(pidFile) is missing")
      }
      let text = String(decoding: data.prefix(32), as: UTF8.self)
        .split(whereSeparator: { (c: Character) in c == "\n" || c == " " }).first.map(String.init) ?? ""
      guard let pid = Int32(text), pid > 1 else { return .failed("pid file \(pidFile) does not hold a process id") }
      if kill(pid, signal) == 0 { return .notified }
      if errno == ESRCH { return .writerNotRunning("process \(pid) from \(pidFile) is not running") }
      return .failed("cannot send SIG\(name) to process \(pid): \(String(cString: strerror(errno)))")
    case .command(let command):
      return run(command, timeoutSeconds: Double(timeout.seconds))
    }
  }

  private func run(_ command: String, timeoutSeconds: Double) -> NotifyOutcome {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let args = ["/bin/sh", "-c", command]
    var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    // The command starts with no blocked signals and default handlers, whatever this process has.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    sigdelset(&all, SIGKILL)
    sigdelset(&all, SIGSTOP)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
    guard rc == 0 else { return .failed("cannot start the notify command: \(String(cString: strerror(rc)))") }
    let deadline = StateLock.monotonicSeconds() + timeoutSeconds
    var status: Int32 = 0
    while true {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid { break }
      if r < 0 && errno != EINTR { return .failed("cannot wait for the notify command") }
      if StateLock.monotonicSeconds() > deadline {
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return .failed("the notify command did not finish within \(PolicyDuration(seconds: Int64(timeoutSeconds)))")
      }
      StateLock.realSleep(0.02)
    }
    let exited = (status & 0x7f) == 0
    if exited {
      let code = (status >> 8) & 0xff
      return code == 0 ? .notified : .failed("the notify command exited with status \(code)")
    }
    return .failed("the notify command was killed by signal \(status & 0x7f)")
  }
}
