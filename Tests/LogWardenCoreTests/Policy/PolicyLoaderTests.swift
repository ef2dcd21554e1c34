import Foundation
import Testing
@testable import LogWardenCore

/// The repository root, from this file's path (Tests/LogWardenCoreTests/Policy/…).
let repositoryRoot: String = {
  var parts = String(#filePath).split(separator: "/").map(String.init)
  parts.removeLast(4)
  return "/" + parts.joined(separator: "/")
}()

private func compile(_ yaml: String) -> (policy: CompiledPolicy?, errors: [String]) {
  let result = PolicyLoader.compile(text: yaml, file: "p.yaml")
  return (result.policy, result.errors.map(\.description))
}

private let minimal = """
  version: 1
  state-directory: /var/lib/logwarden
  sets:
    dovecot:
      directory: /var/log/dovecot
      glob: "*.log"
      rotation:
        mode: rename
        size: 100M
        notify: none

  """

@Suite struct PolicyLoaderTests {
  @Test func minimalPolicyCompilesWithDefaults() throws {
    let (policy, errors) = compile(minimal)
    #expect(errors.isEmpty)
    let set = try #require(policy?.sets.first)
    #expect(set.name == "dovecot")
    #expect(set.archive.directory == "/var/log/dovecot/archive")
    #expect(set.archive.compression == .gzip(level: Int(ParallelGzipSink.recommendedArchiveLevel)))
    #expect(set.rotation.maximumSize == 100 << 20)
    #expect(set.rotation.releaseTimeout == .init(seconds: 10))
    #expect(set.rotation.rotateEmpty == false)
    #expect(set.format == nil)
    #expect(policy?.timeZone == "UTC")
  }

  @Test(arguments: ["exchange-smtp.yaml", "demo.yaml"])
  func shippedExamplePoliciesAreValid(_ name: String) {
    let result = PolicyLoader.compile(contentsOf: repositoryRoot + "/Policies/" + name)
    #expect(result.errors.map(\.description) == [])
    #expect(result.policy != nil)
  }

  @Test func exchangeExampleHasItsStages() throws {
    let policy = try PolicyLoader.load(path: repositoryRoot + "/Policies/exchange-smtp.yaml")
    let set = try #require(policy.set(named: "smtp-receive"))
    #expect(set.profileAtRotation == .credentials)
    #expect(set.rewriteStages.map(\.profile) == [.level4, .vendor])
    #expect(set.effectiveMaximumAge == .days(180))
    #expect(set.limits.keepFree == .percent(10))
    #expect(set.rotation.mode == .closed)
  }

  @Test func unknownKeyIsLocatedAndListsExpectedKeys() {
    let (_, errors) = compile(minimal.replacingOccurrences(of: "    glob:", with: "    globb: x\n    glob:"))
    #expect(errors.count == 1)
    #expect(errors.first?.hasPrefix("p.yaml:6:5: unknown key 'globb' in sets.dovecot; expected one of: directory, glob,") == true)
  }

  @Test func snakeCaseKeyGetsASuggestion() {
    let (_, errors) = compile(minimal.replacingOccurrences(of: "state-directory", with: "state_directory"))
    #expect(errors.contains { $0.contains("unknown key 'state_directory'") && $0.contains("did you mean 'state-directory'?") })
    #expect(errors.contains { $0.contains("missing required key 'state-directory'") })
  }

  @Test func missingVersionAndWrongVersion() {
    let noVersion = minimal.replacingOccurrences(of: "version: 1\n", with: "")
    #expect(compile(noVersion).errors.contains { $0.contains("missing required key 'version'") })
    let v2 = minimal.replacingOccurrences(of: "version: 1", with: "version: 2")
    #expect(compile(v2).errors == ["p.yaml:1:10: version: unsupported policy version 2; this logwarden reads version 1"])
  }

  @Test(arguments: [
    ("size: 100M", "size: 100X", "p.yaml:9:13: sets.dovecot.rotation.size: expected a size such as 500M"),
    ("size: 100M", "size: 0", "sets.dovecot.rotation.size: must be at least 1 byte"),
    ("mode: rename", "mode: rotate", "p.yaml:8:13: sets.dovecot.rotation.mode: expected closed, rename or copytruncate, got 'rotate'"),
    ("size: 100M", "schedule: monthly", "sets.dovecot.rotation.schedule: expected hourly, daily or weekly, got 'monthly'"),
    ("size: 100M", "age: 3 days", "sets.dovecot.rotation.age: expected a duration such as 30s, 15m, 12h, 7d or 2w"),
    ("/var/log/dovecot\n", "var/log/dovecot\n", "sets.dovecot.directory: expected an absolute path"),
    ("glob: \"*.log\"", "glob: \"../*.log\"", "sets.dovecot.glob: expected a file-name pattern without '/'"),
    ("notify: none", "notify: maybe", "sets.dovecot.rotation.notify: expected 'none' or a mapping"),
    ("size: 100M", "size: 100M\n      quiet: 1h", "sets.dovecot.rotation.quiet: only applies to mode closed, not rename"),
    ("size: 100M\n", "size: 100M\n      time-zone: Mars/Olympus\n", "sets.dovecot.rotation.time-zone: expected an IANA time zone"),
  ])
  func badValuesAreLocatedAndExplained(_ edit: (String, String, String)) {
    let (policy, errors) = compile(minimal.replacingOccurrences(of: edit.0, with: edit.1))
    #expect(policy == nil)
    #expect(errors.contains { $0.contains(edit.2) }, "got \(errors)")
  }

  @Test func renameModeNeedsNotifyAndATrigger() {
    let yaml = minimal.replacingOccurrences(of: "      size: 100M\n      notify: none\n", with: "")
    let (_, errors) = compile(yaml)
    #expect(errors.contains { $0.contains("mode rename needs 'notify'") })
    #expect(errors.contains { $0.contains("needs a trigger: 'size', 'age' and/or 'schedule'") })
  }

  @Test func notifyPidfileAndSignal() throws {
    let yaml = minimal.replacingOccurrences(
      of: "notify: none", with: "notify:\n          pidfile: /run/dovecot/master.pid\n          signal: SIGUSR1")
    let policy = try #require(compile(yaml).policy)
    #expect(policy.sets[0].rotation.notify == .signal(pidFile: "/run/dovecot/master.pid", signal: SIGUSR1, signalName: "USR1"))
  }

  @Test func stagesMustIncreaseInAgeAndStrength() {
    let base = minimal + """
          stages:
            - at: rotation
              profile: level4
            - after: 7d
              profile: credentials
            - after: 3d
              profile: vendor

      """
    let errors = compile(base).errors
    #expect(errors.contains { $0.contains("stages[1]: each stage must strengthen the previous one") })
    #expect(errors.contains { $0.contains("stages[2]: stages must be in increasing age order; 3d is not after 7d") })
    #expect(errors.contains { $0.contains("the 'vendor' profile needs 'key-file'") })
  }

  @Test func deleteStageAndLimits() throws {
    let yaml = minimal + """
          stages:
            - at: rotation
              profile: credentials
            - after: 180d
              delete: true
          limits:
            max-size: 2G
            keep-free: 10%
            max-count: 10

      """
    let policy = try #require(compile(yaml).policy)
    let set = policy.sets[0]
    #expect(set.effectiveMaximumAge == .days(180))
    #expect(set.limits.maximumTotalBytes == 2 << 30)
    #expect(set.limits.keepFree == .percent(10))
    #expect(set.limits.maximumCount == 10)
    let conflicting = yaml.replacingOccurrences(of: "max-size: 2G", with: "max-age: 90d")
    #expect(compile(conflicting).errors.contains { $0.contains("both a 'delete' stage") })
  }

  @Test func compressionLevels() {
    let zstd = minimal + "    archive:\n      compression: zstd\n      level: 25\n"
    #expect(compile(zstd).errors.contains { $0.contains("zstd levels are 1 to 19, got 25") })
    let none = minimal + "    archive:\n      compression: none\n      level: 3\n"
    #expect(compile(none).errors.contains { $0.contains("compression none takes no level") })
    let relative = minimal + "    archive:\n      directory: old\n"
    #expect(compile(relative).policy?.sets[0].archive.directory == "/var/log/dovecot/old")
  }

  @Test func duplicateKeysAreErrors() {
    let yaml = minimal.replacingOccurrences(of: "      size: 100M\n", with: "      size: 100M\n      size: 200M\n")
    #expect(compile(yaml).errors.contains { $0.contains("duplicate key 'size'") })
  }

  /// logrotate tests 102/103: binary or random garbage is an error and nothing runs.
  @Test(arguments: ["\u{1}\u{2}garbage{{{", "sets: [", "- just\n- a list\n", "version: 1\nsets: {}\n", ""])
  func garbageIsRejected(_ text: String) {
    let result = PolicyLoader.compile(text: text, file: "g.yaml")
    #expect(result.policy == nil)
    #expect(!result.errors.isEmpty)
    #expect(result.errors.allSatisfy { $0.exitStatus == ExitStatus.config })
  }

  @Test func twoSetsSelectingTheSameFilesAreRejected() {
    let yaml = minimal + """
        dovecot2:
          directory: /var/log/dovecot/
          glob: "*.log"
          rotation:
            mode: copytruncate
            size: 1G

      """
    #expect(compile(yaml).errors.contains { $0.contains("select the same files") })
  }

  @Test func missingFileIsAConfigError() {
    let result = PolicyLoader.compile(contentsOf: "/nonexistent/policy.yaml")
    #expect(result.errors.first?.description == "/nonexistent/policy.yaml: cannot read policy: No such file or directory")
  }

  @Test func effectiveDescriptionSpellsOutDefaults() throws {
    let policy = try #require(compile(minimal).policy)
    let text = policy.effectiveDescription()
    #expect(text.contains("rotation:  rename when size >= 100M, never when empty"))
    #expect(text.contains("archives:  /var/log/dovecot/archive/<name>-<yyyyMMddTHHmmssZ><ext>.gz (gzip level \(ParallelGzipSink.recommendedArchiveLevel)); never overwritten"))
    #expect(text.contains("limits:    max age none; max size none; keep free none; max count none"))
    #expect(policy.advisories().contains { $0.contains("without masking credentials") })
  }
}

@Suite struct PolicyValueTests {
  @Test(arguments: [("30s", 30), ("15m", 900), ("12h", 43_200), ("7d", 604_800), ("2w", 1_209_600), ("1d12h", 129_600), ("0", 0)])
  func durations(_ c: (String, Int64)) {
    #expect(PolicyDuration(parsing: c.0)?.seconds == c.1)
  }

  @Test(arguments: ["", "7", "d", "7x", "-1d", "1.5h", "99999999999999999999d"])
  func badDurations(_ text: String) { #expect(PolicyDuration(parsing: text) == nil) }

  @Test func durationDescriptionRoundTrips() {
    for text in ["7d", "1d12h", "1m30s", "14d", "1h30m"] {
      #expect(PolicyDuration(parsing: text)?.description == text)
    }
  }

  @Test(arguments: [("1048576", 1_048_576), ("500K", 512_000), ("500M", 524_288_000), ("2G", 2_147_483_648), ("500MiB", 524_288_000), ("1T", 1 << 40)])
  func sizes(_ c: (String, Int64)) { #expect(ByteCount.parse(c.0) == c.1) }

  @Test(arguments: ["", "M", "1.5G", "12Q", "-5M"])
  func badSizes(_ text: String) { #expect(ByteCount.parse(text) == nil) }

  @Test func spaceFloors() {
    #expect(SpaceFloor.parse("10%") == .percent(10))
    #expect(SpaceFloor.parse("5G") == .bytes(5 << 30))
    #expect(SpaceFloor.parse("100%") == nil)
    #expect(SpaceFloor.parse("0%") == nil)
    #expect(SpaceFloor.percent(10).bytes(ofTotal: 1000) == 100)
  }

  @Test func utcStamps() {
    #expect(UTCStamp.format(epochSeconds: 0) == "19700101T000000Z")
    #expect(UTCStamp.format(epochSeconds: 1_735_689_599) == "20241231T235959Z")
    #expect(UTCStamp.parse("20241231T235959Z") == 1_735_689_599)
    #expect(UTCStamp.parse("20250231T000000Z") == nil)
    #expect(UTCStamp.parse("2024123IT235959Z") == nil)
    #expect(UTCStamp.parseISO8601("2025-01-01T01:00:00+01:00")?.epochSeconds == 1_735_689_600)
    #expect(UTCStamp.parseISO8601("2025-01-01")?.epochSeconds == 1_735_689_600)
    #expect(UTCStamp.iso8601(epochSeconds: 1_735_689_600) == "2025-01-01T00:00:00Z")
  }
}
