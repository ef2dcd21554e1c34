/// What happened to one action in a run.
public struct ActionReport: Codable, Sendable, Equatable {
  public enum Outcome: String, Codable, Sendable {
    case planned, done, failed, skipped
  }
  /// `archive`, `rotate`, `stage`, `delete`, `notify`, `recover`, `forget`, `cleanup`.
  public var kind: String
  public var path: String
  public var archivePath: String?
  public var reason: String
  public var outcome: Outcome
  public var bytesIn: Int64?
  public var bytesOut: Int64?
  public var profile: String?
  /// copytruncate: `collapse` or `truncate`.
  public var method: String?
  /// copytruncate with `truncate`: bytes the writer appended while the file was copied (all captured).
  public var bytesAppendedDuringCopy: Int64?
  /// copytruncate with `truncate`: an estimate of bytes written between the last copy and the truncation (lost).
  public var bytesAtRisk: Int64?
  /// copytruncate: NUL bytes (holes left by a writer without O_APPEND) left out of the archive.
  public var nulBytesDropped: Int64?
  /// Counts from the sanitizer (never content).
  public var sanitize: FileReport?
  public var error: String?

  public init(kind: String, path: String, archivePath: String? = nil, reason: String, outcome: Outcome) {
    self.kind = kind
    self.path = path
    self.archivePath = archivePath
    self.reason = reason
    self.outcome = outcome
  }
}

/// One set's part of a run.
public struct SetReport: Codable, Sendable {
  public var name: String
  public var actions: [ActionReport] = []
  /// Things an administrator should know that did not fail (refused files, files still open).
  public var warnings: [String] = []
  /// Failures: the set's run is partial.
  public var errors: [String] = []
  public var limitsFirst = false

  public init(name: String) { self.name = name }

  public var failed: Bool { !errors.isEmpty || actions.contains { $0.outcome == .failed } }
}

/// The result of `logwarden run` (printed with `--json`).
public struct RunReport: Codable, Sendable {
  public var logwardenVersion = LogWardenVersion.current
  public var policy: String
  /// The run's clock (UTC, ISO 8601).
  public var now: String
  public var dryRun: Bool
  public var sets: [SetReport] = []
  /// Problems outside any set (recovery of a set no longer in the policy, a corrupt state database).
  public var warnings: [String] = []
  public var errors: [String] = []
  public var exitStatus: Int32 = ExitStatus.ok

  public init(policy: String, now: Int64, dryRun: Bool) {
    self.policy = policy
    self.now = UTCStamp.iso8601(epochSeconds: now)
    self.dryRun = dryRun
  }

  /// 0 when everything that was due succeeded, 1 when some work failed.
  public mutating func settleExitStatus() {
    exitStatus = (!errors.isEmpty || sets.contains { $0.failed }) ? ExitStatus.partialFailure : ExitStatus.ok
  }

  /// Whether there is anything to tell a human (cron mails only what matters).
  public var isNoteworthy: Bool {
    !errors.isEmpty || !warnings.isEmpty || sets.contains { !$0.actions.isEmpty || !$0.warnings.isEmpty || !$0.errors.isEmpty }
  }

  /// The stderr summary: one line per set that did something, then each failure and warning.
  public func humanSummary() -> String {
    var lines: [String] = []
    for warning in warnings { lines.append("warning: \(warning)") }
    for error in errors { lines.append("error: \(error)") }
    for set in sets {
      let done = set.actions.filter { $0.outcome == .done }
      var parts: [String] = []
      func summarize(_ kind: String, _ verb: String, _ noun: String) {
        let items = done.filter { $0.kind == kind }
        guard !items.isEmpty else { return }
        let bytesIn = items.compactMap(\.bytesIn).reduce(0, +)
        let bytesOut = items.compactMap(\.bytesOut).reduce(0, +)
        var text = "\(verb) \(items.count) \(noun)\(items.count == 1 ? "" : "s")"
        if kind == "delete" {
          text += " (\(ByteCount.describe(bytesIn)) freed)"
        } else if bytesIn > 0 || bytesOut > 0 {
          text += " (\(ByteCount.describe(bytesIn)) -> \(ByteCount.describe(bytesOut)))"
        }
        parts.append(text)
      }
      summarize("recover", "recovered", "interrupted step")
      summarize("archive", "archived", "file")
      summarize("rotate", "rotated", "file")
      summarize("stage", "minimised", "archive")
      summarize("delete", "deleted", "archive")
      summarize("cleanup", "removed", "leftover temporary file")
      if !parts.isEmpty { lines.append("\(set.name): " + parts.joined(separator: ", ")) }
      for action in set.actions where action.outcome == .failed {
        lines.append("\(set.name): FAILED \(action.kind) \(action.path): \(action.error ?? "unknown error")")
      }
      for action in set.actions where action.outcome == .skipped {
        lines.append("\(set.name): skipped \(action.kind) \(action.path): \(action.reason)")
      }
      for action in set.actions where action.outcome == .done && (action.bytesAtRisk ?? 0) > 0 {
        lines.append("\(set.name): \(action.path): copytruncate may have lost about \(ByteCount.describe(action.bytesAtRisk!)) written during truncation")
      }
      for error in set.errors { lines.append("\(set.name): error: \(error)") }
      for warning in set.warnings { lines.append("\(set.name): warning: \(warning)") }
    }
    return lines.isEmpty ? "" : lines.map { "logwarden: " + $0 }.joined(separator: "\n") + "\n"
  }
}
