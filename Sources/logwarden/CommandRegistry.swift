import ArgumentParser

/// Every subcommand, in the order `--help` lists them. Add a new command here.
enum CommandRegistry {
  static let all: [any ParsableCommand.Type] = [
    Run.self, Status.self, Check.self,
    Sanitize.self,
    Formats.self,
    Keygen.self, Pseudonym.self, Reveal.self,
    Share.self, Reclaim.self,
  ]
}
