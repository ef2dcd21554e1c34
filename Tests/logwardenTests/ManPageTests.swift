import Foundation
import Testing

@testable import LogWardenCore

/// The man pages lint clean and cover every command, flag, exit status and policy key the code has.
enum ManPages {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let commandPage = root.appendingPathComponent("Man/logwarden.1").path
  static let policyPage = root.appendingPathComponent("Man/logwarden-policy.5").path

  static func source(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

  static let mandoc: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/mandoc" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// Whether the mdoc source marks up `name` with `macro` (e.g. `Fl -output-dir`, `Ic max-age`), as a whole word.
  static func marksUp(_ source: String, _ macro: String, _ name: String) -> Bool {
    let needle = macro + " " + name
    var searchRange = source.startIndex..<source.endIndex
    while let found = source.range(of: needle, range: searchRange) {
      let before = found.lowerBound == source.startIndex ? " " : source[source.index(before: found.lowerBound)]
      let after = found.upperBound == source.endIndex ? " " : source[found.upperBound]
      if (before == " " || before == "." || before == "\n") && !(after.isLetter || after.isNumber || after == "-") {
        return true
      }
      searchRange = found.upperBound..<source.endIndex
    }
    return false
  }

  /// The subcommands `logwarden --help` lists.
  static func subcommands() throws -> [String] {
    let help = try CLI.run(["--help"], in: try CLI.temporaryDirectory())
    let text = String(decoding: help.stdout, as: UTF8.self)
    guard let start = text.range(of: "SUBCOMMANDS:") else { return [] }
    var names: [String] = []
    for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
      // "  name    Abstract…"; wrapped abstracts continue on lines indented further.
      guard line.hasPrefix("  "), !line.hasPrefix("   "), let first = line.split(separator: " ").first, first.first?.isLetter == true else {
        continue
      }
      names.append(String(first))
    }
    return names
  }

  /// The flags (`--name`, `-x`) in the OPTIONS section of `logwarden <command> --help`.
  static func flags(of command: [String]) throws -> Set<String> {
    let help = try CLI.run(command + ["--help"], in: try CLI.temporaryDirectory())
    let text = String(decoding: help.stdout, as: UTF8.self)
    guard let start = text.range(of: "OPTIONS:") else { return [] }
    var flags = Set<String>()
    for line in text[start.upperBound...].split(separator: "\n") {
      let trimmed = line.drop { $0 == " " }
      guard trimmed.hasPrefix("-") else { continue }
      // "-o, --output <output>   Write …": the flag names come before the first run of two spaces.
      let head = trimmed.components(separatedBy: "  ").first ?? ""
      for word in head.split(whereSeparator: { $0 == " " || $0 == "," }) where word.hasPrefix("-") {
        flags.insert(String(word))
      }
    }
    return flags
  }
}

@Suite struct ManPageTests {
  @Test(.enabled(if: ManPages.mandoc != nil, "mandoc is not installed; the lint is skipped (apt-get install mandoc)"))
  func mandocLintIsClean() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ManPages.mandoc!)
    process.arguments = ["-Tlint", "-W", "warning", ManPages.commandPage, ManPages.policyPage]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.isEmpty, "\(text)")
  }

  @Test func everyCommandAndFlagIsDocumented() throws {
    let page = ManPages.source(ManPages.commandPage)
    let commands = try ManPages.subcommands()
    #expect(commands.contains("sanitize"), "could not read the subcommands from --help")
    for command in commands where command != "help" {
      #expect(page.contains(".Ss logwarden \(command)\n"), "logwarden.1 has no section for '\(command)'")
      #expect(ManPages.marksUp(page, "Cm", command), "logwarden.1: '\(command)' missing from the SYNOPSIS")
      let flags = try ManPages.flags(of: [command])
      #expect(flags.contains("--help"), "could not read the flags of '\(command)'")
      for flag in flags {
        let name = flag.hasPrefix("--") ? "-" + flag.dropFirst(2) : String(flag.dropFirst())
        #expect(ManPages.marksUp(page, "Fl", name), "logwarden.1 does not document \(flag) of '\(command)'")
      }
    }
    for flag in try ManPages.flags(of: []) {
      let name = flag.hasPrefix("--") ? "-" + flag.dropFirst(2) : String(flag.dropFirst())
      #expect(ManPages.marksUp(page, "Fl", name), "logwarden.1 does not document \(flag)")
    }
  }

  @Test func everyExitStatusIsDocumented() {
    let page = ManPages.source(ManPages.commandPage)
    guard let section = page.range(of: ".Sh EXIT STATUS"), let end = page.range(of: ".Sh EXAMPLES") else {
      Issue.record("logwarden.1 has no EXIT STATUS section before EXAMPLES")
      return
    }
    let table = page[section.upperBound..<end.lowerBound]
    for status in [
      ExitStatus.ok, ExitStatus.partialFailure, ExitStatus.usage, ExitStatus.dataError, ExitStatus.noInput,
      ExitStatus.software, ExitStatus.ioError, ExitStatus.tempFail, ExitStatus.config,
    ] {
      #expect(table.contains(".It \(status)\n"), "exit status \(status) is not in logwarden.1")
    }
  }

  @Test func everyPolicyKeyAndValueIsDocumented() {
    let page = ManPages.source(ManPages.policyPage)
    let keys =
      PolicyCompiler.rootKeys + PolicyCompiler.setKeys + PolicyCompiler.rotationKeys + PolicyCompiler.archiveKeys
      + PolicyCompiler.limitKeys + PolicyCompiler.stageKeys + ["command", "pidfile", "signal"]
    for key in keys {
      #expect(ManPages.marksUp(page, "Ic", key), "logwarden-policy.5 does not document the key '\(key)'")
    }
    let values =
      RotationMode.allCases.map(\.rawValue) + RotationSchedule.allCases.map(\.rawValue)
      + SanitizeProfile.allCases.map(\.rawValue) + PolicyCompiler.signals.map(\.0) + ["gzip", "zstd", "none", "rotation"]
      + BuiltinFormats.all.map { $0.name }
    for value in values {
      #expect(ManPages.marksUp(page, "Cm", value), "logwarden-policy.5 does not document the value '\(value)'")
    }
  }

  /// The complete policies in the EXAMPLES section compile.
  @Test func policyExamplesAreValid() {
    let page = ManPages.source(ManPages.policyPage)
    var examples: [String] = []
    for block in page.components(separatedBy: ".Bd -literal -offset indent\n").dropFirst() {
      guard let end = block.range(of: "\n.Ed") else { continue }
      let text = String(block[..<end.lowerBound])
      if text.hasPrefix("version:") { examples.append(text.replacingOccurrences(of: "\\e", with: "\\") + "\n") }
    }
    #expect(examples.count >= 2)
    for (index, text) in examples.enumerated() {
      let result = PolicyLoader.compile(text: text, file: "logwarden-policy.5 example \(index + 1)")
      #expect(result.errors.map(\.description) == [])
    }
  }

  /// Every shipped policy and example file the man pages name exists.
  @Test func filesNamedInThePagesExist() {
    let page = ManPages.source(ManPages.policyPage)
    for match in page.components(separatedBy: ".Pa ").dropFirst() {
      let name = match.prefix { !$0.isWhitespace && $0 != "," }
      guard name.hasSuffix(".yaml") else { continue }
      #expect(
        FileManager.default.fileExists(atPath: ManPages.root.appendingPathComponent("Policies/\(name)").path),
        "logwarden-policy.5 names Policies/\(name), which does not exist")
    }
  }
}
