import ArgumentParser
import LogWardenCore

struct Sanitize: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Mask credentials and drop message bodies in protocol logs.")
  @Argument(help: "Files, directories (recursed) or - for stdin.") var paths: [String] = []
  func run() throws { throw ExitCode(70) }
}
