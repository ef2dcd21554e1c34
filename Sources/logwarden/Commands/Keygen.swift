import ArgumentParser
import LogWardenCore

/// `logwarden keygen`: creates the master key pseudonyms are derived from.
struct Keygen: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Create a new random 256-bit pseudonymization key (mode 0600, never overwrites).",
    discussion: """
      Without --out the key is written to the default location: /etc/logwarden/key for root, \
      ~/.config/logwarden/key otherwise. The path is printed on stdout. Keep the key secret and back it up: \
      pseudonyms can only be reproduced or revealed with it.
      Exit status: 0 ok, 64 the file already exists, 74 I/O error.
      """)

  @Option(help: ArgumentHelp("Write the key to FILE.", valueName: "FILE"))
  var out: String?

  func run() throws {
    guard let path = out ?? KeyLookup.forCurrentProcess().defaultPath else {
      throw ValidationError("no home directory to put the key in; give --out FILE")
    }
    do {
      try KeyFile.generate(at: path)
    } catch {
      printError("logwarden: \(error)")
      throw ExitCode(error.exitStatus)
    }
    print(path)
  }
}
