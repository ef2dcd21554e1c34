import ArgumentParser
import Foundation
import LogWardenCore

/// `logwarden reclaim`: frees disk space now, for the disk-full page.
struct Reclaim: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Free disk space now: leftovers, expired and over-limit archives, compression, then the oldest archives.",
    discussion: """
      Plans, in this fixed order, until every filesystem holding the policy's logs meets the target: \
      (1) temporary files of failed or interrupted steps, (2) archives past their max-age, (3) the oldest archives \
      beyond max-count/max-size/keep-free, (4) compressing rotated logs not archived yet (smallest first when \
      there is too little room for the big ones), (5) the oldest archives of every set. Each line shows the bytes \
      it frees; the totals and what cannot be reached (live logs, files logwarden did not make, other data) follow.
      Live logs are never touched. Only archives the state database records for their set are deleted, and \
      temporary files of logwarden's own naming that no unfinished step still needs. A file is deleted before its \
      record, so it works on a full disk.
      On a terminal it asks before changing anything unless --yes is given; without a terminal --yes is required.
      Exit status: 0 the target is met, 1 the target is not met or a step failed, 64 usage (or no --yes without \
      a terminal), 75 another run holds the lock, 78 bad policy.
      """)

  @OptionGroup var policyOptions: PolicyOptions

  @Option(
    name: .customLong("set"), help: ArgumentHelp("Only this log set (repeatable; default: all).", valueName: "NAME"))
  var sets: [String] = []

  @Option(
    help: ArgumentHelp(
      "Make at least SIZE (e.g. 5G) or PERCENT (e.g. 10%) of each filesystem available.", valueName: "SIZE|PERCENT"))
  var free: String?

  @Option(
    name: .customLong("target-usage"),
    help: ArgumentHelp("Bring each filesystem's usage down to PERCENT (e.g. 85%).", valueName: "PERCENT"))
  var targetUsage: String?

  @Flag(name: .customLong("dry-run"), help: "Print the plan; change nothing.")
  var dryRun = false

  @Flag(help: "Do not ask before deleting.")
  var yes = false

  @Option(help: ArgumentHelp("Wait up to SECONDS for another run to finish.", valueName: "SECONDS"))
  var wait: Double = 0

  @Option(
    help: ArgumentHelp("Pin the clock (ISO 8601, e.g. 2025-01-31T03:00:00Z).", valueName: "TIME", visibility: .hidden))
  var now: String?

  func target() throws -> ReclaimTarget {
    switch (free, targetUsage) {
    case (let text?, nil):
      guard let floor = SpaceFloor.parse(text) else {
        throw ValidationError("--free: expected a size such as 5G or 500M, or a percentage such as 10%, got '\(text)'")
      }
      return .free(floor)
    case (nil, let text?):
      let digits = text.hasSuffix("%") ? String(text.dropLast()) : text
      guard let percent = Double(digits), percent >= 0, percent < 100 else {
        throw ValidationError("--target-usage: expected a percentage from 0 to 99, such as 85%, got '\(text)'")
      }
      return .usage(percent)
    case (nil, nil):
      throw ValidationError("say how much to free: --free SIZE|PERCENT or --target-usage PERCENT")
    default:
      throw ValidationError("--free and --target-usage cannot be combined")
    }
  }

  func validate() throws {
    _ = try target()
    if wait < 0 { throw ValidationError("--wait must not be negative") }
    _ = try parseNow(now)
  }

  func run() throws {
    let compiled = try policyOptions.load()
    let instant = try parseNow(now)
    let engine = ReclaimEngine(policy: compiled, environment: liveEnvironment())
    let goal = try target()
    let plan: ReclaimPlan
    do { plan = try engine.plan(target: goal, now: instant, setNames: sets) } catch { throw CommandSupport.fail(error) }
    print(plan.render(dryRun: dryRun), terminator: "")
    if dryRun {
      if !plan.meetsTarget { throw ExitCode(ExitStatus.partialFailure) }
      return
    }
    if plan.items.isEmpty {
      printError("logwarden: nothing to do")
      if !plan.meetsTarget { throw ExitCode(ExitStatus.partialFailure) }
      return
    }
    let deletions = plan.items.filter { $0.step != .compress }.count
    let compressions = plan.items.count - deletions
    var what = "delete \(deletions) file\(deletions == 1 ? "" : "s")"
    if compressions > 0 { what += " and compress \(compressions)" }
    what += " (\(ByteCount.describe(plan.totalFreed)) freed)"
    if !yes {
      guard CommandSupport.isTerminal(0) else {
        printError(
          "logwarden: reclaim would \(what); there is no terminal to ask on, so nothing was changed. "
            + "Pass --yes to go ahead (or --dry-run to only see the plan).")
        throw ExitCode(ExitStatus.usage)
      }
      CommandSupport.writeError("\(what.prefix(1).uppercased() + what.dropFirst())? [y/N] ")
      let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
      guard answer == "y" || answer == "yes" else {
        printError("logwarden: nothing was changed")
        return
      }
    }
    let bar = CommandSupport.isTerminal(2)
    let outcome: ReclaimEngine.Outcome
    do {
      outcome = try engine.execute(plan, now: instant, waitSeconds: wait) { progress in
        guard bar else { return }
        CommandSupport.writeError(Self.progressLine(progress))
      }
    } catch {
      if bar { CommandSupport.writeError("\n") }
      throw CommandSupport.fail(error)
    }
    if bar { CommandSupport.writeError("\n") }
    switch outcome {
    case .lockBusy(let lockPath):
      printError(
        "logwarden: another logwarden run holds \(lockPath); nothing was done (use --wait SECONDS to wait for it)")
      throw ExitCode(ExitStatus.tempFail)
    case .completed(let report):
      CommandSupport.writeError(report.render())
      if report.exitStatus != ExitStatus.ok { throw ExitCode(report.exitStatus) }
    }
  }

  /// `\r[#########...........]  12/40  1.2 GiB freed  name`, fitted to 100 columns.
  static func progressLine(_ p: ReclaimProgress) -> String {
    let width = 24
    let filled = p.total == 0 ? width : min(width, p.done * width / p.total)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let name = p.path.split(separator: "/").last.map(String.init) ?? p.path
    let line = "[\(bar)] \(p.done)/\(p.total)  \(ByteCount.describe(p.bytesFreed)) freed  \(name)"
    return "\r\u{1B}[K" + String(line.prefix(100))
  }
}
