import ArgumentParser
import Foundation
import LogWardenCore

/// `--policy FILE`, shared by run, status and check.
struct PolicyOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The policy file (YAML; see logwarden-policy(5)).", valueName: "FILE"))
  var policy: String

  /// Loads the policy; on failure prints every error and exits 78.
  func load() throws -> CompiledPolicy {
    let result = PolicyLoader.compile(contentsOf: policy)
    guard let compiled = result.policy else {
      for error in result.errors { printError("logwarden: \(error)") }
      throw ExitCode(ExitStatus.config)
    }
    return compiled
  }
}

/// `--now TIME`: pins the clock (tests, replaying a missed night).
func parseNow(_ text: String?) throws -> Date {
  guard let text else { return Date() }
  guard let date = UTCStamp.parseISO8601(text) else {
    throw ValidationError("--now: expected an ISO 8601 time such as 2025-01-31T03:00:00Z, got '\(text)'")
  }
  return date
}

func printJSON<T: Encodable>(_ value: T) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  let data = try encoder.encode(value)
  FileHandle.standardOutput.write(data)
  FileHandle.standardOutput.write(Data("\n".utf8))
}

/// The engine's environment for a real run. `LOGWARDEN_TEST_KILL_AT=<crash point>` makes the process SIGKILL itself
/// there (used by the end-to-end crash tests; see `CrashPoint`).
func liveEnvironment() -> RetentionEnvironment {
  var environment = RetentionEnvironment()
  if let point = ProcessInfo.processInfo.environment["LOGWARDEN_TEST_KILL_AT"].flatMap(CrashPoint.init(rawValue:)) {
    environment.hooks = RetentionHooks(checkpoint: { (reached: CrashPoint) throws(LogWardenError) in
      if reached == point { kill(getpid(), SIGKILL) }
    })
  }
  return environment
}
