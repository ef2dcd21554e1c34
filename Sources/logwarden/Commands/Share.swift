import ArgumentParser
import Foundation
import LogWardenCore

/// `logwarden share`: a sanitized, pseudonymized bundle of a policy's logs for a vendor.
struct Share: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Bundle the logs of chosen users, IPs or sessions for a vendor, sanitized with the vendor profile.",
    discussion: """
      Collects the live logs and archives of the policy's sets in the time range, keeps whole sessions that \
      involve a selected user, IP or session id (every line of such a session, across interleaved lines and \
      files, and nothing else), sanitizes them with the vendor profile using the policy's key, and writes BUNDLE \
      (.tar.gz, or .zip for Windows vendors) atomically with MANIFEST.json (SHA-256, size, set, time range and \
      format of every file; what was masked, dropped and pseudonymized; the key's fingerprint and the epoch) and \
      README.txt for the vendor. Without --user/--ip/--session every line in the time range is shared.
      Before anything is written, the output is checked again for anything that still looks like a credential \
      and for the selected originals; if one is found nothing is written and the file and line are named.
      The pseudonyms of the selected users and IPs are printed on stdout, to tell the vendor what to look at.
      Exit status: 0 written, 1 written but some logs could not be read, 64 usage, 65 refused (a leak was found), 66 nothing matched or no key file, \
      74 I/O error, 78 bad policy or key.
      """)

  @OptionGroup var policyOptions: PolicyOptions

  @Option(
    name: .customLong("set"), help: ArgumentHelp("Only this log set (repeatable; default: all).", valueName: "NAME"))
  var sets: [String] = []

  @Option(help: ArgumentHelp("Only lines from TIME on (ISO 8601, e.g. 2025-01-31T14:00:00Z).", valueName: "TIME"))
  var since: String?

  @Option(help: ArgumentHelp("Only lines up to TIME (ISO 8601).", valueName: "TIME"))
  var until: String?

  @Option(
    name: .customLong("user"),
    help: ArgumentHelp("Keep the sessions involving this user name or address (repeatable).", valueName: "ADDR"))
  var users: [String] = []

  @Option(
    name: .customLong("ip"),
    help: ArgumentHelp("Keep the sessions involving this IP address (repeatable).", valueName: "IP"))
  var ips: [String] = []

  @Option(
    name: .customLong("session"),
    help: ArgumentHelp("Keep this session, by the id the log writes (repeatable).", valueName: "ID"))
  var sessions: [String] = []

  @Option(
    help: ArgumentHelp("Mix NAME into every pseudonym, so this share cannot be linked to others.", valueName: "NAME"))
  var epoch: String?

  @Option(
    help: ArgumentHelp("Record the pseudonyms and their originals in this ledger, for 'reveal'.", valueName: "FILE"))
  var ledger: String?

  @Option(help: ArgumentHelp("The bundle to write: BUNDLE.tar.gz (or .tgz) or BUNDLE.zip.", valueName: "BUNDLE"))
  var out: String

  @Option(
    help: ArgumentHelp("Pin the clock (ISO 8601, e.g. 2025-01-31T03:00:00Z).", valueName: "TIME", visibility: .hidden))
  var now: String?

  func validate() throws {
    if BundleFormat(path: out) == nil { throw ValidationError("--out must end in .tar.gz, .tgz or .zip") }
    for ip in ips where IPAddress(ip) == nil { throw ValidationError("--ip: '\(ip)' is not an IP address") }
    if users.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
      throw ValidationError("--user must not be empty")
    }
    let from = try CommandSupport.parseTime(since, option: "--since")
    let to = try CommandSupport.parseTime(until, option: "--until")
    if let from, let to, from > to { throw ValidationError("--since is after --until") }
    _ = try parseNow(now)
  }

  func run() throws {
    let compiled = try policyOptions.load()
    let lookup = KeyLookup.forCurrentProcess(policyPath: compiled.keyFile)
    let master: KeyMaterial
    do { master = try lookup.load() } catch { throw CommandSupport.fail(error) }
    let keys = PseudonymKeys(master: master, epoch: epoch)
    var ledgerFile: PseudonymLedger? = nil
    if let ledger {
      do { ledgerFile = try PseudonymLedger(path: ledger, keys: keys, create: true) } catch {
        throw CommandSupport.fail(error)
      }
    }
    let selection = ShareSelection(
      setNames: sets, since: try CommandSupport.parseTime(since, option: "--since")?.epochSeconds,
      until: try CommandSupport.parseTime(until, option: "--until")?.epochSeconds, users: users,
      ips: ips.compactMap { IPAddress($0) }, sessions: sessions)
    let instant = try parseNow(now)
    let options = ShareOptions(
      selection: selection, output: out, keys: keys, keyFingerprint: master.fingerprint(epoch: epoch),
      keyPath: lookup.resolve()?.path, ledger: ledgerFile, now: instant.epochSeconds)
    let builder = ShareBuilder(policy: compiled, options: options)
    let interactive = CommandSupport.isTerminal(2)
    if interactive {
      builder.onProgress = { line in
        CommandSupport.writeError("\r\u{1B}[K" + String(line.prefix(100)))
      }
    }
    let result: ShareResult
    do { result = try builder.build() } catch {
      if interactive { CommandSupport.writeError("\r\u{1B}[K") }
      throw CommandSupport.fail(error)
    }
    if interactive { CommandSupport.writeError("\r\u{1B}[K") }
    for warning in result.warnings { printError("logwarden: warning: \(warning)") }
    switch result.outcome {
    case .nothingSelected:
      printError("logwarden: no log line matched the selection; no bundle was written")
      throw ExitCode(ExitStatus.noInput)
    case .refused(let findings):
      for finding in findings { printError("logwarden: refused: \(finding)") }
      printError(
        "logwarden: the output still holds what must not leave the server (\(findings.count) finding\(findings.count == 1 ? "" : "s")); "
          + "no bundle was written")
      throw ExitCode(ExitStatus.dataError)
    case .written(let manifest):
      for selected in result.pseudonyms {
        let what = selected.kind == .ip ? "ip" : "user"
        if selected.keptAsIs {
          print("\(what) \(selected.value) -> \(selected.pseudonym) (kept as is by the vendor profile)")
        } else {
          print("\(what) \(selected.value) -> \(selected.pseudonym)")
        }
      }
      for session in sessions { print("session \(session) -> \(session) (session ids are not pseudonymized)") }
      let t = manifest.totals
      var summary =
        "logwarden: wrote \(out): \(t.files) file\(t.files == 1 ? "" : "s"), \(t.linesKept) of \(t.linesRead) lines, "
        + "\(t.credentialsMasked.values.reduce(0, +)) credentials masked, \(t.bodyLinesDropped) body lines dropped, "
        + "\(t.pseudonymized.values.reduce(0, +)) identities pseudonymized"
      summary += "; key fingerprint \(manifest.key.fingerprint)" + (manifest.key.epoch.map { ", epoch \($0)" } ?? "")
      printError(summary)
      if result.incomplete {
        printError("logwarden: the bundle is incomplete: some logs could not be read (see the warnings above)")
        throw ExitCode(ExitStatus.partialFailure)
      }
    }
  }
}
