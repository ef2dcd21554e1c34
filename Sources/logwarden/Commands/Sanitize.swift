import ArgumentParser
import Foundation
import LogWardenCore

struct Sanitize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Mask credentials and drop message bodies in protocol logs.",
    discussion: """
      Inputs are never modified. Gzip inputs are read transparently. A summary goes to stderr.
      Exit status: 0 ok, 64 usage, 65 bad input data, 66 no input or no key file, 74 I/O error, 78 key problem.
      """)

  @Option(
    help: """
      credentials: mask secrets; level4: also drop message bodies; vendor: also replace addresses, user names, \
      host names and IPs with keyed pseudonyms (needs a key, see 'logwarden keygen').
      """)
  var profile: SanitizeProfile = .vendor

  @OptionGroup var keyOptions: KeyOptions

  @Option(help: ArgumentHelp("Record new pseudonyms and their originals in this ledger (vendor profile).", valueName: "FILE"))
  var ledger: String?

  @Option(name: .customLong("ip-mode"), help: "IP addresses under the vendor profile: encrypt (ipcrypt-pfx), truncate or keep.")
  var ipMode: Pseudonym.IPModeChoice = .encrypt

  @Option(
    name: .customLong("keep-domain"),
    help: ArgumentHelp("Leave DOMAIN and its subdomains unpseudonymized (repeatable).", valueName: "DOMAIN"))
  var keptDomains: [String] = []

  @Option(help: "Input format name (see 'logwarden formats'), or auto to detect each file.")
  var format: String = "auto"

  @Option(name: .shortAndLong, help: "Write the output to FILE (one input only). Default: stdout.")
  var output: String?

  @Option(name: .customLong("output-dir"), help: "Write each output below DIR, at the input's relative path.")
  var outputDirectory: String?

  @Flag(help: "Compress the output with gzip.")
  var gzip = false

  @Option(help: "Also write the summary as JSON to FILE.")
  var report: String?

  @Argument(help: "Files, directories (recursed) or - for stdin.")
  var paths: [String] = []

  func validate() throws {
    if paths.isEmpty { throw ValidationError("no input: give one or more files, directories or -") }
    if output != nil && outputDirectory != nil { throw ValidationError("-o and --output-dir cannot be combined") }
    if profile != .vendor && ledger != nil { throw ValidationError("--ledger needs the vendor profile") }
    if format != "auto" && BuiltinFormats.named(format) == nil {
      throw ValidationError("unknown format '\(format)' (see 'logwarden formats')")
    }
  }

  func run() throws {
    let inputs: [InputFile]
    do { inputs = try InputDiscovery.expand(paths) } catch { throw fail(error) }
    if inputs.isEmpty { throw fail(.io(operation: "open", path: paths.joined(separator: " "), errno: ENOENT)) }
    if outputDirectory == nil && inputs.count > 1 {
      throw ValidationError("\(inputs.count) inputs need --output-dir (or give one file)")
    }
    // Every output and the report are placed and checked before anything is written.
    let plan =
      outputDirectory.map { OutputPlan.below($0, inputs: inputs, gzip: gzip) } ?? OutputPlan.single(output, inputs: inputs)
    do { try plan.check(inputs: inputs, report: report) } catch { throw fail(error) }
    var options = SanitizeOptions(profile: profile, formatName: format == "auto" ? nil : format)
    if profile == .vendor {
      options.pseudonymKeys = try keyOptions.loadKeys()
      switch ipMode {
      case .encrypt: options.pseudonymOptions.ipMode = .encrypt
      case .truncate: options.pseudonymOptions.ipMode = .truncate()
      case .keep: options.pseudonymOptions.ipMode = .keep
      }
      if !keptDomains.isEmpty {
        options.pseudonymOptions.emailDomains = .keep(keptDomains)
        options.pseudonymOptions.hostNames = .keep(keptDomains)
      }
      if let ledger {
        do { options.ledger = try PseudonymLedger(path: ledger, keys: options.pseudonymKeys!, create: true) } catch {
          throw fail(error)
        }
      }
    }
    let sanitizer = Sanitizer(options: options)
    // The .in and .out halves of a Dovecot rawlog connection are sanitized together.
    let pairsAllowed = format == "auto" || format == DovecotRawlogFormat.name
    let units = pairsAllowed ? InputDiscovery.units(inputs) : inputs.map { InputUnit.single($0) }
    var reports: [FileReport] = []
    var failed: [FailedInput] = []
    var worst: Int32 = ExitStatus.ok
    for unit in units {
      do {
        switch unit {
        case .single(let input): reports.append(try sanitizeOne(input, sanitizer))
        case .pair(let received, let sent): reports.append(contentsOf: try sanitizePair(received, sent, sanitizer))
        }
      } catch {
        printError("logwarden: \(error)")
        worst = max(worst, error.exitStatus)
        let path: String
        switch unit {
        case .single(let input): path = input.path
        case .pair(let received, let sent): path = received.path + " + " + sent.path
        }
        failed.append(FailedInput(path: path, error: "\(error)", exitStatus: error.exitStatus))
      }
    }
    let summary = RunSummary(profile: profile, files: reports, failed: failed)
    printError(summary.humanReadable())
    if let report {
      do { try summary.writeJSON(to: report) } catch {
        printError("logwarden: \(error)")
        worst = max(worst, error.exitStatus)
      }
    }
    if worst != ExitStatus.ok { throw ExitCode(worst) }
  }

  /// Where the output of `input` goes below `--output-dir`.
  private func target(for input: InputFile, in outputDirectory: String) -> String {
    OutputPlan.target(for: input, below: outputDirectory, gzip: gzip)
  }

  private func sanitizeOne(_ input: InputFile, _ sanitizer: Sanitizer) throws(LogWardenError) -> FileReport {
    let source = try InputDiscovery.open(input)
    if let outputDirectory {
      let target = target(for: input, in: outputDirectory)
      try makeDirectories(for: target)
      return try write(source: source, to: target, input: input, sanitizer: sanitizer)
    }
    if let output, output != "-" {
      return try write(source: source, to: output, input: input, sanitizer: sanitizer)
    }
    let stdout = FileDescriptorSink(descriptor: 1, name: "stdout")
    let sink: ByteSink = gzip ? try GzipCompressingSink(downstream: stdout, name: "stdout") : stdout
    return try sanitizer.sanitize(source: source, sink: sink, name: input.path)
  }

  private func write(source: ByteSource, to target: String, input: InputFile, sanitizer: Sanitizer) throws(LogWardenError)
    -> FileReport
  {
    // A device or FIFO (/dev/null, a named pipe) is written in place: renaming a temporary file over it would
    // replace the device with a regular file.
    var st = stat()
    if stat(target, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
      guard (st.st_mode & S_IFMT) != S_IFDIR else { throw .usage("\(target): is a directory (use --output-dir)") }
      let fd = open(target, O_WRONLY | O_CLOEXEC)
      guard fd >= 0 else { throw .io(operation: "open", path: target, errno: errno) }
      defer { close(fd) }
      let device = FileDescriptorSink(descriptor: fd, name: target)
      let sink: ByteSink = gzip ? try GzipCompressingSink(downstream: device, name: target) : device
      return try sanitizer.sanitize(source: source, sink: sink, name: input.path)
    }
    let file = try AtomicFileWriter(path: target, mode: 0o600)
    let sink: ByteSink = gzip ? try GzipCompressingSink(downstream: file.sink, name: target) : file.sink
    do {
      let report = try sanitizer.sanitize(source: source, sink: sink, name: input.path)
      try file.commit()
      return report
    } catch {
      file.abandon()
      throw error
    }
  }

  /// Both halves of a rawlog pair, each written atomically below `--output-dir`; neither is kept if either fails.
  private func sanitizePair(_ received: InputFile, _ sent: InputFile, _ sanitizer: Sanitizer) throws(LogWardenError)
    -> [FileReport]
  {
    guard let outputDirectory else { throw .usage("rawlog pairs need --output-dir") }
    let inputs = [received, sent]
    var halves: [PairHalf] = []
    var files: [AtomicFileWriter] = []
    do throws(LogWardenError) {
      for input in inputs {
        let target = target(for: input, in: outputDirectory)
        let source = try InputDiscovery.open(input)
        try makeDirectories(for: target)
        let file = try AtomicFileWriter(path: target, mode: 0o600)
        files.append(file)
        let sink: ByteSink = gzip ? try GzipCompressingSink(downstream: file.sink, name: target) : file.sink
        halves.append(PairHalf(source: source, sink: sink, name: input.path))
      }
      let (a, b) = try sanitizer.sanitizePair(received: halves[0], sent: halves[1])
      for file in files { try file.commit() }
      return [a, b]
    } catch {
      for file in files { file.abandon() }
      throw error
    }
  }

  private func makeDirectories(for file: String) throws(LogWardenError) {
    guard let slash = file.lastIndex(of: "/") else { return }
    let directory = String(file[..<slash])
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw .io(operation: "create directory", path: directory, errno: EACCES)
    }
  }

  private func fail(_ error: LogWardenError) -> ExitCode {
    printError("logwarden: \(error)")
    return ExitCode(error.exitStatus)
  }
}

extension SanitizeProfile: ExpressibleByArgument {}

/// Prints to stderr (summaries and errors; stdout is for data).
func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}
