import ArgumentParser
import Foundation
import LogWardenCore

/// `logwarden status`: what each set holds and what happens next.
struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show each log set: live size, archives, oldest archive, stage counts, next action.",
    discussion: "Reads only; takes no lock. Exit status: 0 ok, 1 a set could not be read, 78 bad policy.")

  @OptionGroup var policyOptions: PolicyOptions

  @Flag(help: "Print the status as JSON.")
  var json = false

  @Option(help: ArgumentHelp("Pin the clock (ISO 8601).", valueName: "TIME"))
  var now: String?

  func run() throws {
    let policy = try policyOptions.load()
    let engine = RetentionEngine(policy: policy, environment: liveEnvironment())
    do {
      let status = try engine.status(now: try parseNow(now))
      if json { try printJSON(status) } else { print(status.render(), terminator: "") }
      if status.sets.contains(where: { $0.error != nil }) { throw ExitCode(ExitStatus.partialFailure) }
    } catch let error as LogWardenError {
      printError("logwarden: \(error)")
      throw ExitCode(error.exitStatus)
    }
  }
}
