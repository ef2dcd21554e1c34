import Foundation
import Testing

@testable import LogWardenCore

/// Every policy in `Policies/` loads with the policy loader, without advisories, and the per-system set is complete.
@Suite struct ShippedPoliciesTests {
  static let directory = repositoryRoot + "/Policies"

  static let shipped: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted()
  }()

  @Test func oneExamplePerSystemIsShipped() {
    let expected = [
      "demo.yaml", "dovecot.yaml", "exchange-2007-2010.yaml", "exchange-2013-popimap.yaml", "exchange-2013-smtp.yaml",
      "exchange-55.yaml", "hmailserver.yaml", "iis-smtpsvc.yaml", "postfix.yaml", "vendor-share.yaml",
    ]
    for name in expected { #expect(Self.shipped.contains(name), "Policies/\(name) is missing") }
  }

  @Test(arguments: shipped)
  func loads(_ name: String) throws {
    let result = PolicyLoader.compile(contentsOf: Self.directory + "/" + name)
    #expect(result.errors.map(\.description) == [])
    let policy = try #require(result.policy)
    #expect(!policy.sets.isEmpty)
    // Shipped examples mask credentials at rotation and bound their archives.
    #expect(policy.advisories() == [], "\(name)")
  }

  @Test(arguments: shipped)
  func everySetHasAUniqueArchiveDirectory(_ name: String) throws {
    let policy = try PolicyLoader.load(path: Self.directory + "/" + name)
    let directories = policy.sets.map(\.archive.directory)
    #expect(Set(directories).count == directories.count)
  }

  /// install.sh rewrites `/usr/local/share/logwarden` to the install prefix; every demo path must be below it.
  @Test func demoPolicyPointsAtTheInstalledDemoTree() throws {
    let policy = try PolicyLoader.load(path: Self.directory + "/demo.yaml")
    let root = "/usr/local/share/logwarden/demo/"
    #expect(policy.stateDirectory.hasPrefix(root))
    #expect(policy.keyFile == nil)
    for set in policy.sets {
      #expect(set.directory.hasPrefix(root + "logs/"))
      #expect(set.archive.directory.hasPrefix(root + "archive/"))
      // The live directory exists in the repository's demo tree.
      let relative = String(set.directory.dropFirst(root.count + "logs/".count))
      var isDirectory: ObjCBool = false
      #expect(
        FileManager.default.fileExists(atPath: Self.directory + "/demo-logs/" + relative, isDirectory: &isDirectory)
          && isDirectory.boolValue, "\(set.name): Policies/demo-logs/\(relative)")
    }
  }

  @Test func exchangePoliciesUseClosedModeAndTheExchangeReader() throws {
    for name in ["exchange-2013-smtp.yaml", "exchange-2013-popimap.yaml", "exchange-2007-2010.yaml"] {
      let policy = try PolicyLoader.load(path: Self.directory + "/" + name)
      for set in policy.sets {
        #expect(set.rotation.mode == .closed, "\(name): \(set.name)")
        #expect(set.format == "exchange-csv", "\(name): \(set.name)")
        #expect(set.profileAtRotation != nil, "\(name): \(set.name)")
      }
    }
  }

  @Test func renameSetsNotifyTheirWriter() throws {
    let dovecot = try #require(try PolicyLoader.load(path: Self.directory + "/dovecot.yaml").set(named: "dovecot"))
    #expect(dovecot.rotation.mode == .rename)
    #expect(dovecot.rotation.notify == .command("doveadm log reopen"))
    let postfix = try #require(try PolicyLoader.load(path: Self.directory + "/postfix.yaml").set(named: "mail-log"))
    #expect(postfix.rotation.mode == .rename)
    #expect(postfix.rotation.notify == .command("/usr/lib/rsyslog/rsyslog-rotate"))
  }

  @Test func vendorSharePseudonymizesAtRotation() throws {
    let policy = try PolicyLoader.load(path: Self.directory + "/vendor-share.yaml")
    #expect(policy.keyFile != nil)
    for set in policy.sets { #expect(set.profileAtRotation == .vendor) }
  }
}
