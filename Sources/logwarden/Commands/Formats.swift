import ArgumentParser
import LogWardenCore

struct Formats: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the log formats logwarden reads.")
  func run() throws {
    let width = BuiltinFormats.all.map { $0.name.count }.max() ?? 0
    for format in BuiltinFormats.all {
      print(format.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + format.summary)
    }
  }
}
