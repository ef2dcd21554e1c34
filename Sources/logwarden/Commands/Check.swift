import ArgumentParser
import LogWardenCore

/// `logwarden check`: validates a policy and prints its effective plan.
struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Validate a policy and print its effective plan (every default spelled out).",
    discussion: "Errors name file:line:column. Exit status: 0 valid, 78 invalid.")

  @OptionGroup var policyOptions: PolicyOptions

  func run() throws {
    let policy = try policyOptions.load()
    print(policy.effectiveDescription(), terminator: "")
    for advisory in policy.advisories() { printError("logwarden: warning: \(advisory)") }
  }
}
