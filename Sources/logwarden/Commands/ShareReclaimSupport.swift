import ArgumentParser
import Foundation
import LogWardenCore

/// Helpers shared by `share` and `reclaim`.
enum CommandSupport {
  /// An ISO 8601 instant (`2025-01-31T03:00:00Z`, with an offset, or a bare date) for option `name`.
  static func parseTime(_ text: String?, option name: String) throws -> Date? {
    guard let text else { return nil }
    guard let date = UTCStamp.parseISO8601(text) else {
      throw ValidationError(
        "\(name): expected an ISO 8601 time such as 2025-01-31T03:00:00Z or 2025-01-31, got '\(text)'")
    }
    return date
  }

  /// Whether a descriptor is a terminal.
  static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

  /// Writes to stderr without a newline (progress lines).
  static func writeError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }

  /// Prints the error and returns the exit code it maps to.
  static func fail(_ error: LogWardenError) -> ExitCode {
    printError("logwarden: \(error)")
    return ExitCode(error.exitStatus)
  }
}
