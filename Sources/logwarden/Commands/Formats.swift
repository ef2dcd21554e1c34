import ArgumentParser
import LogWardenCore

struct Formats: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the log formats logwarden reads.")
  func run() throws {}
}
