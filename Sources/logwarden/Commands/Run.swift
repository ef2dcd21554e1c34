import ArgumentParser
import Foundation
import LogWardenCore

/// `logwarden run`: every due rotation, stage and limit of a policy.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rotate, archive, minimise and limit the logs of a policy.",
    discussion: """
      Does every due rotation, stage and limit, after finishing any step an earlier run left unfinished. \
      A summary goes to stderr, only when there is something to report.
      Exit status: 0 done, 1 partly failed, 64 usage, 75 another run holds the lock, 78 bad policy.
      """)

  @OptionGroup var policyOptions: PolicyOptions

  @Option(name: .customLong("set"), help: ArgumentHelp("Only this log set (repeatable).", valueName: "NAME"))
  var sets: [String] = []

  @Flag(name: .customLong("dry-run"), help: "Print the exact plan with byte totals; change nothing.")
  var dryRun = false

  @Flag(help: "Print the run report (or, with --dry-run, the plan) as JSON on stdout.")
  var json = false

  @Option(help: ArgumentHelp("Pin the clock (ISO 8601, e.g. 2025-01-31T03:00:00Z).", valueName: "TIME"))
  var now: String?

  @Option(help: ArgumentHelp("Wait up to SECONDS for another run to finish (default: the policy's lock-wait).", valueName: "SECONDS"))
  var wait: Double?

  func validate() throws {
    if let wait, wait < 0 { throw ValidationError("--wait must not be negative") }
    _ = try parseNow(now)
  }

  func run() throws {
    let policy = try policyOptions.load()
    let instant = try parseNow(now)
    let engine = RetentionEngine(policy: policy, environment: liveEnvironment())
    do {
      if dryRun {
        let plan = try engine.plan(now: instant, setNames: sets)
        let report = plan.asReport()
        if json { try printJSON(report) } else { print(plan.render(), terminator: "") }
        if report.exitStatus != ExitStatus.ok { throw ExitCode(report.exitStatus) }
        return
      }
      switch try engine.run(now: instant, setNames: sets, waitSeconds: wait) {
      case .lockBusy(let lockPath):
        printError("logwarden: another logwarden run holds \(lockPath); nothing was done (use --wait SECONDS to wait for it)")
        throw ExitCode(ExitStatus.tempFail)
      case .completed(let report):
        let summary = report.humanSummary()
        if !summary.isEmpty { FileHandle.standardError.write(Data(summary.utf8)) }
        if json { try printJSON(report) }
        if report.exitStatus != ExitStatus.ok { throw ExitCode(report.exitStatus) }
      }
    } catch let error as LogWardenError {
      printError("logwarden: \(error)")
      throw ExitCode(error.exitStatus)
    }
  }
}
