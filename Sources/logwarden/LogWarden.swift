import ArgumentParser
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
}
