import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import LogWardenCore

/// The `logwarden` command: parses flags, wires the library together, prints. No behaviour lives here.
@main
struct LogWarden: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logwarden",
    abstract: "Rotate, sanitize and limit mail-server protocol logs.",
    discussion: """
      Exit status: 0 ok, 1 partly failed, 64 usage, 65 bad input data, 66 no input, \
      74 I/O error, 75 lock busy, 78 bad policy.
      """,
    version: LogWardenVersion.current,
    subcommands: CommandRegistry.all
  )

  static func main() {
    // An interrupted run removes the temporary files it was writing, then dies of the signal as usual.
    // A signal the caller ignores (nohup's SIGHUP) stays ignored; the others are unblocked, as a spawning thread may
    // have had them blocked.
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    for interrupt in [SIGINT, SIGTERM, SIGHUP] {
      let previous = signal(interrupt) { received in
        InterruptCleanup.removeAll()
        signal(received, SIG_DFL)
        raise(received)
      }
      if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
        signal(interrupt, SIG_IGN)
      } else {
        sigaddset(&unblocked, interrupt)
      }
    }
    pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    main(nil)
  }
}
