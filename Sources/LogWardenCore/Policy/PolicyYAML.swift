import Yams

/// Collects located policy errors: `file:line:column: key.path: message`.
struct PolicyDiagnostics {
  let file: String
  private(set) var errors: [LogWardenError] = []

  init(file: String) { self.file = file }

  mutating func error(_ mark: Mark?, _ message: String) {
    errors.append(.config(file: file, line: mark?.line, column: mark?.column, message: message))
  }
}

/// A YAML mapping with string keys, remembering which keys were read so unknown keys can be reported.
struct YAMLMapping {
  struct Entry {
    var key: String
    var keyMark: Mark?
    var value: Node
  }
  /// The dotted path of this mapping in the policy (`sets.smtp.limits`), for messages.
  let path: String
  let mark: Mark?
  let entries: [Entry]

  /// Reads `node` as a mapping; reports and returns nil if it is something else or has non-scalar keys.
  init?(_ node: Node, path: String, diagnostics: inout PolicyDiagnostics) {
    guard case .mapping(let mapping) = node else {
      diagnostics.error(node.mark, "\(path.isEmpty ? "policy" : path): expected a mapping of keys to values, got \(node.kindDescription)")
      return nil
    }
    self.path = path
    self.mark = mapping.mark
    var entries: [Entry] = []
    for (key, value) in mapping {
      guard case .scalar(let scalar) = key else {
        diagnostics.error(key.mark, "\(path): keys must be plain names")
        continue
      }
      entries.append(Entry(key: scalar.string, keyMark: scalar.mark, value: value))
    }
    self.entries = entries
  }

  subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }

  func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// Reports every key not in `allowed` ("unknown keys are errors"), naming the keys that are expected.
  func rejectUnknownKeys(allowed: [String], diagnostics: inout PolicyDiagnostics) {
    for entry in entries where !allowed.contains(entry.key) {
      let hint = allowed.first { $0.lowercased() == entry.key.lowercased().replacingOccurrences(of: "_", with: "-") }
      let suggestion = hint.map { " (did you mean '\($0)'?)" } ?? ""
      diagnostics.error(
        entry.keyMark,
        "unknown key '\(PolicyText.clip(entry.key))' in \(path.isEmpty ? "the policy" : path)\(suggestion); expected one of: \(allowed.joined(separator: ", "))"
      )
    }
  }

  /// Reports a missing required key at the mapping's position.
  func require(_ key: String, expected: String, diagnostics: inout PolicyDiagnostics) -> Node? {
    if let node = self[key] { return node }
    diagnostics.error(mark, "\(path.isEmpty ? "policy" : path): missing required key '\(key)' (\(expected))")
    return nil
  }
}

extension Node {
  /// "a mapping", "a list", "'text'", for messages.
  var kindDescription: String {
    switch self {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .scalar(let s): return s.string.isEmpty ? "an empty value" : "'\(PolicyText.clip(s.string))'"
    case .alias: return "an alias"
    }
  }

  /// The scalar text, or nil for mappings and lists.
  var scalarText: String? {
    if case .scalar(let s) = self { return s.string }
    return nil
  }
}

enum PolicyText {
  /// Shortens a policy value for an error message.
  static func clip(_ text: String) -> String {
    let oneLine = text.replacingOccurrences(of: "\n", with: "\\n")
    return oneLine.count > 60 ? String(oneLine.prefix(57)) + "..." : oneLine
  }
}
