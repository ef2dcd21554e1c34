import ArgumentParser
import LogWardenCore

/// `logwarden reveal`: maps pseudonyms back for the key holder.
struct Reveal: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Map pseudonyms back to the original values (needs the key; addresses and names need --ledger).",
    discussion: """
      IP pseudonyms are decrypted with the key (and the same --epoch). user-… and dom-… tokens are one-way: \
      they are looked up in the ledger written by 'sanitize --ledger' or 'pseudonym --ledger'. One line per \
      value, in order; tokens that cannot be resolved stay as they are and are reported on stderr.
      Exit status: 0 ok, 1 something could not be revealed, 64 usage, 66 no key or ledger file, \
      78 key or ledger problem.
      """)

  @OptionGroup var keyOptions: KeyOptions

  @Option(help: ArgumentHelp("Ledger to resolve address, user and host tokens.", valueName: "FILE"))
  var ledger: String?

  @Argument(help: "Pseudonyms to reveal.")
  var pseudonyms: [String] = []

  func validate() throws {
    if pseudonyms.isEmpty { throw ValidationError("give one or more pseudonyms") }
  }

  func run() throws {
    let keys = try keyOptions.loadKeys()
    var unresolvedCount = 0
    do {
      let ledgerFile = try ledger.map { path throws(LogWardenError) in
        try PseudonymLedger(path: path, keys: keys, create: false)
      }
      let revealer = PseudonymRevealer(keys: keys, ledger: ledgerFile)
      for pseudonym in pseudonyms {
        let revelation = try revealer.reveal(pseudonym)
        print(revelation.value)
        if !revelation.isComplete {
          unresolvedCount += 1
          let hint = ledger == nil ? "give --ledger FILE" : "not in the ledger"
          printError("logwarden: cannot reveal \(revelation.unresolvedTokens.joined(separator: ", ")) (\(hint))")
        }
      }
    } catch {
      printError("logwarden: \(error)")
      throw ExitCode(error.exitStatus)
    }
    if unresolvedCount > 0 { throw ExitCode(ExitStatus.partialFailure) }
  }
}
