import ArgumentParser
import LogWardenCore

/// `--key` and `--epoch`, shared by every command that derives pseudonyms.
struct KeyOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Key file (default: $LOGWARDEN_KEY, then the policy's key, then /etc/logwarden/key for root or "
        + "~/.config/logwarden/key).", valueName: "FILE"))
  var key: String?

  @Option(
    help: ArgumentHelp(
      "Mix LABEL into every pseudonym, so shares with different epochs cannot be linked.", valueName: "LABEL"))
  var epoch: String?

  /// Finds and loads the key and derives the sub-keys; prints the error and exits with its status on failure.
  func loadKeys(policyKeyPath: String? = nil) throws -> PseudonymKeys {
    do {
      let master = try KeyLookup.forCurrentProcess(commandLinePath: key, policyPath: policyKeyPath).load()
      return PseudonymKeys(master: master, epoch: epoch)
    } catch {
      printError("logwarden: \(error)")
      throw ExitCode(error.exitStatus)
    }
  }
}

/// `logwarden pseudonym`: prints the pseudonym `sanitize --profile vendor` writes for each value.
struct Pseudonym: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the pseudonym of each value (IP address, e-mail address, host name or user name).",
    discussion: """
      One line per value, in order. The kind is detected unless --kind is given: an IP (also [v6]:port), \
      an address (has @), a user (DOMAIN\\user, or no dot), otherwise a host name.
      Exit status: 0 ok, 64 usage, 66 no key file, 78 key problem (e.g. readable by others).
      """)

  enum KindChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, email, user, host, ip
  }

  enum IPModeChoice: String, ExpressibleByArgument, CaseIterable {
    case encrypt, truncate, keep
  }

  @OptionGroup var keyOptions: KeyOptions

  @Option(help: "Kind of every value: auto, email, user, host or ip.")
  var kind: KindChoice = .auto

  @Option(name: .customLong("ip-mode"), help: "encrypt (ipcrypt-pfx, reversible), truncate (/24, /64) or keep.")
  var ipMode: IPModeChoice = .encrypt

  @Option(
    name: .customLong("keep-domain"),
    help: ArgumentHelp("Leave DOMAIN and its subdomains as they are (repeatable).", valueName: "DOMAIN"))
  var keptDomains: [String] = []

  @Option(help: ArgumentHelp("Record new tokens and their originals in this ledger (for reveal).", valueName: "FILE"))
  var ledger: String?

  @Argument(help: "Values to pseudonymize.")
  var values: [String] = []

  func validate() throws {
    if values.isEmpty { throw ValidationError("give one or more values") }
  }

  func run() throws {
    let keys = try keyOptions.loadKeys()
    var options = PseudonymOptions()
    switch ipMode {
    case .encrypt: options.ipMode = .encrypt
    case .truncate: options.ipMode = .truncate()
    case .keep: options.ipMode = .keep
    }
    if !keptDomains.isEmpty {
      options.emailDomains = .keep(keptDomains)
      options.hostNames = .keep(keptDomains)
    }
    do {
      let ledgerFile = try ledger.map { path throws(LogWardenError) in
        try PseudonymLedger(path: path, keys: keys, create: true)
      }
      let pseudonymizer = Pseudonymizer(keys: keys, options: options, ledger: ledgerFile)
      for value in values {
        print(pseudonym(of: value, with: pseudonymizer))
      }
      try pseudonymizer.flushLedger()
    } catch {
      printError("logwarden: \(error)")
      throw ExitCode(error.exitStatus)
    }
  }

  private func pseudonym(of value: String, with pseudonymizer: Pseudonymizer) -> String {
    let bytes = Array(value.utf8)
    let result: [UInt8] = bytes.withUnsafeBytes { raw in
      switch kind {
      case .auto: return Array(pseudonymizer.pseudonym(for: value).pseudonym.utf8)
      case .email: return pseudonymizer.pseudonym(forEmail: raw)
      case .user: return pseudonymizer.pseudonym(forUser: raw)
      case .host: return pseudonymizer.pseudonym(forHost: raw)
      case .ip: return pseudonymizer.pseudonym(forIP: raw) ?? Array(raw)
      }
    }
    return String(decoding: result, as: UTF8.self)
  }
}
