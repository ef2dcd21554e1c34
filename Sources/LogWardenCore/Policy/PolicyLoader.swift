import Foundation
import Yams

/// Loads a YAML policy file into a `CompiledPolicy`, validating everything once.
///
/// Errors name `file:line:column`, the key path and what was expected. Unknown keys are errors; a policy must say
/// `version: 1`. Every problem in the file is reported, not just the first.
public enum PolicyLoader {
  /// The highest policy version this build understands.
  public static let currentVersion = 1

  /// Reads and compiles a policy file; throws the first error (see `compile` for all of them).
  public static func load(path: String) throws(LogWardenError) -> CompiledPolicy {
    let result = compile(contentsOf: path)
    if let policy = result.policy { return policy }
    throw result.errors.first ?? .config(file: path, line: nil, column: nil, message: "invalid policy")
  }

  /// Reads and compiles a policy file, returning every error found.
  public static func compile(contentsOf path: String) -> (policy: CompiledPolicy?, errors: [LogWardenError]) {
    guard let data = FileManager.default.contents(atPath: path) else {
      let code = access(path, F_OK) == 0 ? EACCES : ENOENT
      return (nil, [.config(file: path, line: nil, column: nil, message: "cannot read policy: \(String(cString: strerror(code)))")])
    }
    guard let text = String(data: data, encoding: .utf8), !data.contains(0) else {
      return (nil, [.config(file: path, line: nil, column: nil, message: "policy is not UTF-8 text")])
    }
    return compile(text: text, file: path)
  }

  /// Compiles policy text. `file` is used in messages and to resolve nothing else.
  public static func compile(text: String, file: String) -> (policy: CompiledPolicy?, errors: [LogWardenError]) {
    var diagnostics = PolicyDiagnostics(file: file)
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      diagnostics.yamlError(error)
      return (nil, diagnostics.errors)
    } catch {
      diagnostics.error(nil, "not valid YAML")
      return (nil, diagnostics.errors)
    }
    guard let root else {
      diagnostics.error(nil, "policy is empty; expected a mapping with 'version', 'state-directory' and 'sets'")
      return (nil, diagnostics.errors)
    }
    var compiler = PolicyCompiler(file: file, diagnostics: diagnostics)
    let policy = compiler.compileRoot(root)
    return compiler.diagnostics.errors.isEmpty ? (policy, []) : (nil, compiler.diagnostics.errors)
  }
}

extension PolicyDiagnostics {
  mutating func yamlError(_ error: YamlError) {
    switch error {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      let where_ = context.map { " (\($0.text))" } ?? ""
      self.error(mark, "not valid YAML: \(problem)\(where_)")
    case .duplicatedKeysInMapping(let duplicates, let context):
      self.error(context.mark, "duplicate key '\(PolicyText.clip(duplicates.first ?? ""))'; each key may appear once")
    case .reader(let problem, _, _, _):
      self.error(nil, "not valid YAML: \(problem)")
    default:
      self.error(nil, "not valid YAML")
    }
  }
}

/// Turns the YAML node tree into typed values. One method per policy section.
struct PolicyCompiler {
  let file: String
  var diagnostics: PolicyDiagnostics

  init(file: String, diagnostics: PolicyDiagnostics) {
    self.file = file
    self.diagnostics = diagnostics
  }

  static let rootKeys = ["version", "state-directory", "key-file", "lock-wait", "time-zone", "sets"]
  static let setKeys = ["directory", "glob", "format", "rotation", "archive", "stages", "limits"]
  static let rotationKeys = [
    "mode", "quiet", "size", "age", "schedule", "time-zone", "notify", "notify-timeout", "release-timeout", "create",
    "if-empty", "collapse",
  ]
  static let archiveKeys = ["directory", "compression", "level"]
  static let limitKeys = ["max-age", "max-size", "keep-free", "max-count"]
  static let stageKeys = ["at", "after", "profile", "delete"]
  static let signals: [(String, Int32)] = [
    ("HUP", SIGHUP), ("USR1", SIGUSR1), ("USR2", SIGUSR2), ("INT", SIGINT), ("TERM", SIGTERM), ("ALRM", SIGALRM),
    ("WINCH", SIGWINCH), ("QUIT", SIGQUIT),
  ]

  // MARK: Root

  mutating func compileRoot(_ root: Node) -> CompiledPolicy? {
    guard let map = YAMLMapping(root, path: "", diagnostics: &diagnostics) else { return nil }
    map.rejectUnknownKeys(allowed: Self.rootKeys, diagnostics: &diagnostics)

    var version = 0
    if let node = map.require("version", expected: "version: 1", diagnostics: &diagnostics) {
      if let text = node.scalarText, let v = Int(text) {
        if v == PolicyLoader.currentVersion {
          version = v
        } else {
          diagnostics.error(node.mark, "version: unsupported policy version \(v); this logwarden reads version \(PolicyLoader.currentVersion)")
        }
      } else {
        diagnostics.error(node.mark, "version: expected an integer (1), got \(node.kindDescription)")
      }
    }
    let stateDirectory = map.require("state-directory", expected: "an absolute directory path", diagnostics: &diagnostics)
      .flatMap { absolutePath($0, key: "state-directory") } ?? ""
    let keyFile = map["key-file"].flatMap { absolutePath($0, key: "key-file") }
    let lockWait = map["lock-wait"].flatMap { duration($0, key: "lock-wait") } ?? .zero
    let timeZone = map["time-zone"].flatMap { timeZoneName($0, key: "time-zone") } ?? "UTC"

    var sets: [LogSetPolicy] = []
    if let setsNode = map.require("sets", expected: "a mapping of set names to log sets", diagnostics: &diagnostics),
      let setsMap = YAMLMapping(setsNode, path: "sets", diagnostics: &diagnostics)
    {
      if setsMap.entries.isEmpty { diagnostics.error(setsMap.mark, "sets: expected at least one log set") }
      for entry in setsMap.entries {
        if !Self.isValidSetName(entry.key) {
          diagnostics.error(entry.keyMark, "sets: set name '\(PolicyText.clip(entry.key))' must be letters, digits, '.', '_' or '-'")
        }
        if let set = compileSet(entry.value, name: entry.key, defaultTimeZone: timeZone) { sets.append(set) }
      }
    }
    checkAcrossSets(sets, map: map, keyFile: keyFile)
    return CompiledPolicy(
      file: file, version: version, stateDirectory: stateDirectory, keyFile: keyFile, lockWait: lockWait,
      timeZone: timeZone, sets: sets)
  }

  static func isValidSetName(_ name: String) -> Bool {
    !name.isEmpty && name.count <= 100
      && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
      && !name.hasPrefix(".")
  }

  private mutating func checkAcrossSets(_ sets: [LogSetPolicy], map: YAMLMapping, keyFile: String?) {
    let setsMark = map["sets"]?.mark
    var seen: [String: String] = [:]
    for set in sets {
      let key = set.directory + "/" + set.glob
      if let other = seen[key] {
        diagnostics.error(setsMark, "sets: '\(set.name)' and '\(other)' select the same files (\(key)); a file may belong to one set only")
      }
      seen[key] = set.name
      if keyFile == nil, set.stages.contains(where: { $0.action == .sanitize(.vendor) }) {
        diagnostics.error(map.mark, "sets.\(set.name).stages: the 'vendor' profile needs 'key-file' (the pseudonym key) in the global settings")
      }
    }
  }

  // MARK: Set

  mutating func compileSet(_ node: Node, name: String, defaultTimeZone: String) -> LogSetPolicy? {
    let path = "sets.\(name)"
    guard let map = YAMLMapping(node, path: path, diagnostics: &diagnostics) else { return nil }
    map.rejectUnknownKeys(allowed: Self.setKeys, diagnostics: &diagnostics)
    let directory = map.require("directory", expected: "the absolute directory holding the live logs", diagnostics: &diagnostics)
      .flatMap { absolutePath($0, key: "\(path).directory") }
    var glob: String? = nil
    if let node = map.require("glob", expected: "a file-name pattern such as 'RECV*.LOG'", diagnostics: &diagnostics) {
      if let text = node.scalarText, !text.isEmpty, !text.contains("/"), text != ".", text != ".." {
        glob = text
      } else {
        diagnostics.error(node.mark, "\(path).glob: expected a file-name pattern without '/' (files outside the set's directory are never selected), got \(node.kindDescription)")
      }
    }
    var format: String? = nil
    if let node = map["format"] {
      if let text = node.scalarText, text == "auto" || BuiltinFormats.named(text) != nil {
        format = text == "auto" ? nil : text
      } else {
        let known = BuiltinFormats.all.map { $0.name }.joined(separator: ", ")
        diagnostics.error(node.mark, "\(path).format: expected auto or a format name (\(known)), got \(node.kindDescription)")
      }
    }
    let rotation = map.require("rotation", expected: "a mapping with at least 'mode'", diagnostics: &diagnostics)
      .flatMap { compileRotation($0, path: "\(path).rotation", defaultTimeZone: defaultTimeZone) }
    let archive = compileArchive(map["archive"], path: "\(path).archive", setDirectory: directory, mark: map.mark)
    let stages = map["stages"].map { compileStages($0, path: "\(path).stages") } ?? []
    let limits = map["limits"].flatMap { compileLimits($0, path: "\(path).limits") } ?? LimitsPolicy()

    if let stageDelete = stages.first(where: { $0.action == .delete }), let maxAge = limits.maximumAge, stageDelete.after != maxAge {
      diagnostics.error(map["limits"]?.mark, "\(path): both a 'delete' stage (after \(stageDelete.after)) and limits.max-age (\(maxAge)) are set; keep one")
    }
    guard let directory, let glob, let rotation, let archive else { return nil }
    return LogSetPolicy(
      name: name, directory: directory, glob: glob, format: format, rotation: rotation, archive: archive,
      stages: stages, limits: limits)
  }

  // MARK: Rotation

  mutating func compileRotation(_ node: Node, path: String, defaultTimeZone: String) -> RotationPolicy? {
    guard let map = YAMLMapping(node, path: path, diagnostics: &diagnostics) else { return nil }
    map.rejectUnknownKeys(allowed: Self.rotationKeys, diagnostics: &diagnostics)
    var mode: RotationMode? = nil
    if let node = map.require("mode", expected: "closed, rename or copytruncate", diagnostics: &diagnostics) {
      mode = node.scalarText.flatMap(RotationMode.init(rawValue:))
      if mode == nil {
        diagnostics.error(node.mark, "\(path).mode: expected closed, rename or copytruncate, got \(node.kindDescription)")
      }
    }
    guard let mode else { return nil }
    func only(_ key: String, _ modes: [RotationMode]) -> Node? {
      guard let node = map[key] else { return nil }
      if !modes.contains(mode) {
        diagnostics.error(
          map.entries.first { $0.key == key }?.keyMark,
          "\(path).\(key): only applies to mode \(modes.map(\.rawValue).joined(separator: " or ")), not \(mode.rawValue)")
        return nil
      }
      return node
    }
    let quiet = only("quiet", [.closed]).flatMap { duration($0, key: "\(path).quiet") } ?? .hours(1)
    let size = only("size", [.rename, .copytruncate]).flatMap { byteCount($0, key: "\(path).size", minimum: 1) }
    let age = only("age", [.rename, .copytruncate]).flatMap { duration($0, key: "\(path).age", minimum: 60) }
    var schedule: RotationSchedule? = nil
    if let node = only("schedule", [.rename, .copytruncate]) {
      schedule = node.scalarText.flatMap(RotationSchedule.init(rawValue:))
      if schedule == nil {
        diagnostics.error(node.mark, "\(path).schedule: expected hourly, daily or weekly, got \(node.kindDescription)")
      }
    }
    let timeZone = map["time-zone"].flatMap { timeZoneName($0, key: "\(path).time-zone") } ?? defaultTimeZone
    var notify = WriterNotification.none
    if let node = only("notify", [.rename]) {
      notify = compileNotify(node, path: "\(path).notify") ?? .none
    } else if mode == .rename && map["notify"] == nil {
      diagnostics.error(map.mark, "\(path): mode rename needs 'notify' (a command, a pidfile and signal, or 'none' if the writer reopens the file by itself)")
    }
    let notifyTimeout = only("notify-timeout", [.rename]).flatMap { duration($0, key: "\(path).notify-timeout", minimum: 1) } ?? .init(seconds: 60)
    let releaseTimeout = only("release-timeout", [.rename]).flatMap { duration($0, key: "\(path).release-timeout") } ?? .init(seconds: 10)
    let create = only("create", [.rename]).flatMap { boolean($0, key: "\(path).create") } ?? false
    let ifEmpty = map["if-empty"].flatMap { boolean($0, key: "\(path).if-empty") } ?? false
    let collapse = only("collapse", [.copytruncate]).flatMap { boolean($0, key: "\(path).collapse") } ?? true
    if mode != .closed && size == nil && age == nil && schedule == nil {
      diagnostics.error(map.mark, "\(path): mode \(mode.rawValue) needs a trigger: 'size', 'age' and/or 'schedule'")
    }
    return RotationPolicy(
      mode: mode, quietPeriod: quiet, maximumSize: size, maximumAge: age, schedule: schedule, timeZone: timeZone,
      notify: notify, notifyTimeout: notifyTimeout, releaseTimeout: releaseTimeout, createNewFile: create,
      rotateEmpty: ifEmpty, useCollapseRange: collapse)
  }

  mutating func compileNotify(_ node: Node, path: String) -> WriterNotification? {
    if let text = node.scalarText {
      if text == "none" { return WriterNotification.none }
      diagnostics.error(node.mark, "\(path): expected 'none' or a mapping with 'command', or with 'pidfile' and 'signal', got \(node.kindDescription)")
      return nil
    }
    guard let map = YAMLMapping(node, path: path, diagnostics: &diagnostics) else { return nil }
    map.rejectUnknownKeys(allowed: ["command", "pidfile", "signal"], diagnostics: &diagnostics)
    if let command = map["command"] {
      if map["pidfile"] != nil || map["signal"] != nil {
        diagnostics.error(map.mark, "\(path): give either 'command' or 'pidfile' with 'signal', not both")
        return nil
      }
      guard let text = command.scalarText, !text.trimmingASCIIWhitespace().isEmpty else {
        diagnostics.error(command.mark, "\(path).command: expected a shell command, got \(command.kindDescription)")
        return nil
      }
      return .command(text)
    }
    guard let pidNode = map.require("pidfile", expected: "the writer's pid file, with 'signal'", diagnostics: &diagnostics),
      let pidFile = absolutePath(pidNode, key: "\(path).pidfile")
    else { return nil }
    var signalName = "HUP"
    var signal = SIGHUP
    if let node = map["signal"] {
      let raw = (node.scalarText ?? "").uppercased()
      let name = raw.hasPrefix("SIG") ? String(raw.dropFirst(3)) : raw
      if let found = Self.signals.first(where: { $0.0 == name }) {
        signalName = found.0
        signal = found.1
      } else {
        diagnostics.error(node.mark, "\(path).signal: expected one of \(Self.signals.map(\.0).joined(separator: ", ")), got \(node.kindDescription)")
        return nil
      }
    }
    return .signal(pidFile: pidFile, signal: signal, signalName: signalName)
  }

  // MARK: Archive

  mutating func compileArchive(_ node: Node?, path: String, setDirectory: String?, mark: Mark?) -> ArchivePolicy? {
    var directory = setDirectory.map { $0 + "/archive" }
    var compressionName = "gzip"
    var level: Int? = nil
    var levelMark: Mark? = nil
    if let node {
      guard let map = YAMLMapping(node, path: path, diagnostics: &diagnostics) else { return nil }
      map.rejectUnknownKeys(allowed: Self.archiveKeys, diagnostics: &diagnostics)
      if let dirNode = map["directory"] {
        if let text = dirNode.scalarText, !text.isEmpty {
          if text.hasPrefix("/") {
            directory = Self.normalize(text)
          } else if let setDirectory {
            directory = Self.normalize(setDirectory + "/" + text)
          }
          if text.split(separator: "/").contains("..") {
            diagnostics.error(dirNode.mark, "\(path).directory: '..' is not allowed in archive directories")
          }
        } else {
          diagnostics.error(dirNode.mark, "\(path).directory: expected a directory path, got \(dirNode.kindDescription)")
        }
      }
      if let c = map["compression"] {
        if let text = c.scalarText, ["gzip", "zstd", "none"].contains(text) {
          compressionName = text
        } else {
          diagnostics.error(c.mark, "\(path).compression: expected gzip, zstd or none, got \(c.kindDescription)")
        }
      }
      if let l = map["level"] {
        levelMark = l.mark
        if let text = l.scalarText, let v = Int(text) { level = v } else {
          diagnostics.error(l.mark, "\(path).level: expected an integer, got \(l.kindDescription)")
        }
      }
    }
    let compression: ArchiveCompression
    switch compressionName {
    case "zstd":
      let v = level ?? 3
      if !(1...19).contains(v) { diagnostics.error(levelMark, "\(path).level: zstd levels are 1 to 19, got \(v)") }
      compression = .zstd(level: v)
    case "none":
      if level != nil { diagnostics.error(levelMark, "\(path).level: compression none takes no level") }
      compression = .none
    default:
      let v = level ?? Int(ParallelGzipSink.recommendedArchiveLevel)
      if !(1...12).contains(v) { diagnostics.error(levelMark, "\(path).level: gzip levels are 1 to 12 (libdeflate), got \(v)") }
      compression = .gzip(level: v)
    }
    guard let directory else { return nil }
    return ArchivePolicy(directory: directory, compression: compression)
  }

  // MARK: Stages

  mutating func compileStages(_ node: Node, path: String) -> [StagePolicy] {
    guard case .sequence(let sequence) = node else {
      diagnostics.error(node.mark, "\(path): expected a list of stages (e.g. '- at: rotation' / '  profile: credentials'), got \(node.kindDescription)")
      return []
    }
    var stages: [StagePolicy] = []
    var previous: (after: PolicyDuration, strength: Int, mark: Mark?)? = nil
    for (index, item) in sequence.enumerated() {
      let itemPath = "\(path)[\(index)]"
      guard let map = YAMLMapping(item, path: itemPath, diagnostics: &diagnostics) else { continue }
      map.rejectUnknownKeys(allowed: Self.stageKeys, diagnostics: &diagnostics)
      var after: PolicyDuration? = nil
      switch (map["at"], map["after"]) {
      case (let at?, nil):
        if at.scalarText == "rotation" { after = .zero } else {
          diagnostics.error(at.mark, "\(itemPath).at: expected 'rotation', got \(at.kindDescription)")
        }
      case (nil, let a?):
        after = duration(a, key: "\(itemPath).after")
      case (.some, .some):
        diagnostics.error(map.mark, "\(itemPath): give either 'at: rotation' or 'after: <age>', not both")
      case (nil, nil):
        diagnostics.error(map.mark, "\(itemPath): missing 'at: rotation' or 'after: <age>' (e.g. after: 7d)")
      }
      var action: StagePolicy.Action? = nil
      switch (map["profile"], map["delete"]) {
      case (let p?, nil):
        if let text = p.scalarText, let profile = SanitizeProfile(rawValue: text) { action = .sanitize(profile) } else {
          diagnostics.error(p.mark, "\(itemPath).profile: expected credentials, level4 or vendor, got \(p.kindDescription)")
        }
      case (nil, let d?):
        if boolean(d, key: "\(itemPath).delete") == true { action = .delete } else if d.scalarText == "false" {
          diagnostics.error(d.mark, "\(itemPath).delete: a stage with 'delete' must say 'delete: true'")
        }
      case (.some, .some):
        diagnostics.error(map.mark, "\(itemPath): give either 'profile' or 'delete: true', not both")
      case (nil, nil):
        diagnostics.error(map.mark, "\(itemPath): missing 'profile' (credentials, level4, vendor) or 'delete: true'")
      }
      guard let after, let action else { continue }
      if action == .delete && after == .zero {
        diagnostics.error(map.mark, "\(itemPath): a delete stage needs an age greater than zero")
        continue
      }
      let strength: Int
      switch action {
      case .sanitize(let p): strength = p.strength
      case .delete: strength = 99
      }
      if let previous {
        if after <= previous.after {
          diagnostics.error(map.mark, "\(itemPath): stages must be in increasing age order; \(after) is not after \(previous.after)")
        } else if strength <= previous.strength {
          diagnostics.error(map.mark, "\(itemPath): each stage must strengthen the previous one (credentials < level4 < vendor < delete)")
        }
      }
      if stages.last?.action == .delete {
        diagnostics.error(map.mark, "\(itemPath): no stage can follow a delete stage")
      }
      previous = (after, strength, map.mark)
      stages.append(StagePolicy(after: after, action: action))
    }
    return stages
  }

  // MARK: Limits

  mutating func compileLimits(_ node: Node, path: String) -> LimitsPolicy? {
    guard let map = YAMLMapping(node, path: path, diagnostics: &diagnostics) else { return nil }
    map.rejectUnknownKeys(allowed: Self.limitKeys, diagnostics: &diagnostics)
    var limits = LimitsPolicy()
    limits.maximumAge = map["max-age"].flatMap { duration($0, key: "\(path).max-age", minimum: 1) }
    limits.maximumTotalBytes = map["max-size"].flatMap { byteCount($0, key: "\(path).max-size", minimum: 1) }
    if let node = map["keep-free"] {
      if let text = node.scalarText, let floor = SpaceFloor.parse(text) { limits.keepFree = floor } else {
        diagnostics.error(node.mark, "\(path).keep-free: expected a size (e.g. 5G) or a percentage below 100 (e.g. 10%), got \(node.kindDescription)")
      }
    }
    if let node = map["max-count"] {
      if let text = node.scalarText, let n = Int(text), n >= 1 { limits.maximumCount = n } else {
        diagnostics.error(node.mark, "\(path).max-count: expected a whole number of archives, at least 1, got \(node.kindDescription)")
      }
    }
    return limits
  }

  // MARK: Scalars

  mutating func absolutePath(_ node: Node, key: String) -> String? {
    guard let text = node.scalarText, text.hasPrefix("/"), !text.contains("\0") else {
      diagnostics.error(node.mark, "\(key): expected an absolute path (starting with '/'), got \(node.kindDescription)")
      return nil
    }
    if text.split(separator: "/").contains("..") {
      diagnostics.error(node.mark, "\(key): '..' is not allowed in paths")
      return nil
    }
    return Self.normalize(text)
  }

  /// Collapses `//` and `/./` and drops a trailing `/`.
  static func normalize(_ path: String) -> String {
    let parts = path.split(separator: "/").filter { $0 != "." }
    return "/" + parts.joined(separator: "/")
  }

  mutating func duration(_ node: Node, key: String, minimum: Int64 = 0) -> PolicyDuration? {
    guard let text = node.scalarText, let d = PolicyDuration(parsing: text) else {
      diagnostics.error(node.mark, "\(key): expected a duration such as 30s, 15m, 12h, 7d or 2w, got \(node.kindDescription)")
      return nil
    }
    if d.seconds < minimum {
      diagnostics.error(node.mark, "\(key): must be at least \(PolicyDuration(seconds: minimum))")
      return nil
    }
    return d
  }

  mutating func byteCount(_ node: Node, key: String, minimum: Int64) -> Int64? {
    guard let text = node.scalarText, let n = ByteCount.parse(text) else {
      diagnostics.error(node.mark, "\(key): expected a size such as 500M, 2G or 1048576 (K/M/G/T are powers of 1024), got \(node.kindDescription)")
      return nil
    }
    if n < minimum {
      diagnostics.error(node.mark, "\(key): must be at least \(minimum) byte\(minimum == 1 ? "" : "s")")
      return nil
    }
    return n
  }

  mutating func boolean(_ node: Node, key: String) -> Bool? {
    switch node.scalarText {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default:
      diagnostics.error(node.mark, "\(key): expected true or false, got \(node.kindDescription)")
      return nil
    }
  }

  mutating func timeZoneName(_ node: Node, key: String) -> String? {
    guard let text = node.scalarText, TimeZone(identifier: text) != nil else {
      diagnostics.error(node.mark, "\(key): expected an IANA time zone such as UTC or Europe/Berlin, got \(node.kindDescription)")
      return nil
    }
    return text
  }
}
