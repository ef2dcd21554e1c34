import Foundation
import Testing

/// install.sh into a temporary DESTDIR or PREFIX (with the test build's binary, LOGWARDEN_BINARY), then --uninstall.
enum Installer {
  static let script = ManPages.root.appendingPathComponent("install.sh").path

  struct Result {
    var status: Int32
    var output: String
  }

  static func run(_ arguments: [String] = [], prefix: String, destdir: String) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = [script] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PREFIX"] = prefix
    environment["DESTDIR"] = destdir
    environment["LOGWARDEN_BINARY"] = CLI.binary
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return Result(status: process.terminationStatus, output: text)
  }

  /// Every regular file below `root`, as paths relative to it.
  static func files(below root: URL) -> [String] {
    Leaks.files(below: root).map { String($0.resolvingSymlinksInPath().path.dropFirst(root.resolvingSymlinksInPath().path.count)) }
  }

  static func directories(below root: URL) -> [String] {
    let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
    var out: [String] = []
    while let url = enumerator?.nextObject() as? URL {
      if (try? url.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory == true { out.append(url.path) }
    }
    return out
  }

  static func repositoryFiles(_ directory: String, suffix: String = "") -> [String] {
    let base = ManPages.root.appendingPathComponent(directory)
    return Leaks.files(below: base).map { String($0.path.dropFirst(base.path.count + 1)) }.filter { $0.hasSuffix(suffix) }
  }

  static var commandsInThisBuild: [String] { (try? ManPages.subcommands()) ?? [] }
}

@Suite(.serialized) struct InstallTests {
  @Test func installsIntoDestdirAndUninstallsEverything() throws {
    let dir = try CLI.temporaryDirectory()
    let destdir = dir.appendingPathComponent("stage")
    let install = try Installer.run(prefix: "/usr/local", destdir: destdir.path)
    #expect(install.status == 0, "\(install.output)")

    var expected: Set<String> = [
      "/usr/local/bin/logwarden",
      "/usr/local/share/man/man1/logwarden.1",
      "/usr/local/share/man/man5/logwarden-policy.5",
      "/usr/local/share/logwarden/examples/logwarden.cron",
      "/usr/local/share/logwarden/examples/logwarden.service",
      "/usr/local/share/logwarden/examples/logwarden.timer",
      "/usr/local/share/bash-completion/completions/logwarden",
      "/usr/local/share/zsh/site-functions/_logwarden",
      "/usr/local/share/fish/vendor_completions.d/logwarden.fish",
      "/usr/local/share/logwarden/install-manifest",
    ]
    for policy in Installer.repositoryFiles("Policies", suffix: ".yaml") where !policy.contains("/") {
      expected.insert("/usr/local/share/logwarden/policies/" + policy)
    }
    for log in Installer.repositoryFiles("Policies/demo-logs") {
      expected.insert("/usr/local/share/logwarden/demo/logs/" + log)
    }
    #expect(expected.contains("/usr/local/share/logwarden/policies/demo.yaml"))
    #expect(expected.count > 25)
    let installed = Set(Installer.files(below: destdir))
    #expect(installed == expected, "missing: \(expected.subtracting(installed).sorted()); extra: \(installed.subtracting(expected).sorted())")

    // The manifest lists exactly the files installed.
    let manifest = try String(contentsOf: destdir.appendingPathComponent("usr/local/share/logwarden/install-manifest"), encoding: .utf8)
    let listed = Set(manifest.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("dir:") && !$0.hasPrefix("tree:") })
    #expect(listed == expected)

    // The binary runs, and the installed policies load.
    let binary = destdir.appendingPathComponent("usr/local/bin/logwarden").path
    #expect(FileManager.default.isExecutableFile(atPath: binary))

    // Installing again changes nothing.
    let again = try Installer.run(prefix: "/usr/local", destdir: destdir.path)
    #expect(again.status == 0, "\(again.output)")
    #expect(Set(Installer.files(below: destdir)) == expected)

    let uninstall = try Installer.run(["--uninstall"], prefix: "/usr/local", destdir: destdir.path)
    #expect(uninstall.status == 0, "\(uninstall.output)")
    #expect(Installer.files(below: destdir) == [], "left behind after --uninstall")
    #expect(Installer.directories(below: destdir) == [], "directories left behind after --uninstall")
  }

  @Test func rewritesPathsForAnotherPrefixAndRefusesBadArguments() throws {
    let dir = try CLI.temporaryDirectory()
    let prefix = dir.appendingPathComponent("prefix with space").path
    let install = try Installer.run(prefix: prefix, destdir: "")
    #expect(install.status == 0, "\(install.output)")
    let demo = try String(contentsOfFile: prefix + "/share/logwarden/policies/demo.yaml", encoding: .utf8)
    #expect(!demo.contains("/usr/local"))
    #expect(demo.contains("state-directory: \(prefix)/share/logwarden/demo/state"))
    let timer = try String(contentsOfFile: prefix + "/share/logwarden/examples/logwarden.service", encoding: .utf8)
    #expect(timer.contains("ExecStart=\(prefix)/bin/logwarden run"))
    #expect(try Installer.run(["--bogus"], prefix: prefix, destdir: "").status == 64)
    #expect(try Installer.run(prefix: "relative/path", destdir: "").status == 64)
    #expect(try Installer.run(["--uninstall"], prefix: prefix, destdir: "").status == 0)
    #expect(Installer.files(below: URL(fileURLWithPath: prefix)) == [])
  }

  /// The README's first command, against a temporary prefix: install, run the demo policy, uninstall.
  @Test(.enabled(if: Installer.commandsInThisBuild.contains("run"), "this build has no 'run' command yet"))
  func demoRunsFromTheInstalledTree() throws {
    let dir = try CLI.temporaryDirectory()
    let prefix = dir.appendingPathComponent("prefix").path
    let install = try Installer.run(prefix: prefix, destdir: "")
    #expect(install.status == 0, "\(install.output)")
    let policy = prefix + "/share/logwarden/policies/demo.yaml"
    let run = try CLI.run(["run", "--policy", policy], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    for set in ["smtp-receive", "smtp-send", "imap4", "pop3"] {
      #expect(run.stderr.contains("\(set): archived"), "\(run.stderr)")
    }
    #expect(run.stderr.contains("postfix: rotated 1 file"), "\(run.stderr)")

    // No planted secret and no body in any archive (decompressed in process: gzip and zstd).
    let archives = URL(fileURLWithPath: prefix + "/share/logwarden/demo/archive")
    let archiveFiles = Leaks.files(below: archives)
    #expect(archiveFiles.count >= 10)
    for archive in archiveFiles {
      let text = try Leaks.decompressedText(of: archive.path)
      #expect(!text.isEmpty, "\(archive.lastPathComponent)")
      #expect(Leaks.find(in: text) == [], "\(archive.lastPathComponent)")
      if archive.path.contains("smtp-receive") { #expect(!text.contains("Confidential body line")) }
    }

    // A second run has nothing to do and says nothing.
    let second = try CLI.run(["run", "--policy", policy], in: dir)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stderr.isEmpty, "\(second.stderr)")

    #expect(try Installer.run(["--uninstall"], prefix: prefix, destdir: "").status == 0)
    #expect(Installer.files(below: URL(fileURLWithPath: prefix)) == [])
  }
}
