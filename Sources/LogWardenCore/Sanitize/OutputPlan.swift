#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where each input's sanitized output goes, decided and checked before anything is written: no output (and no
/// report) may land on an input, and no two outputs may land on the same file. Checking only while writing would let
/// an earlier output replace a later input (`x.log` and `x.log.gz` in one directory) before the clash is seen.
public struct OutputPlan: Sendable {
  /// The output path of each input, in input order (nil: the input goes to stdout).
  public let targets: [String?]

  /// Outputs below `directory` at each input's relative path; a `.gz`/`.zst` suffix is dropped unless `gzip`, which
  /// adds `.gz`.
  public static func below(_ directory: String, inputs: [InputFile], gzip: Bool) -> OutputPlan {
    OutputPlan(targets: inputs.map { target(for: $0, below: directory, gzip: gzip) })
  }

  /// Every input to `output`, or to stdout when it is nil or `-`.
  public static func single(_ output: String?, inputs: [InputFile]) -> OutputPlan {
    let target = output == "-" ? nil : output
    return OutputPlan(targets: inputs.map { _ in target })
  }

  public init(targets: [String?]) { self.targets = targets }

  /// The output of `input` below `directory`.
  public static func target(for input: InputFile, below directory: String, gzip: Bool) -> String {
    var relative = input.relativePath
    if relative.hasSuffix(".gz") && !gzip { relative.removeLast(3) }
    if relative.hasSuffix(".zst") { relative.removeLast(4) }
    if gzip && !relative.hasSuffix(".gz") { relative += ".gz" }
    return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
  }

  /// Throws a usage error naming the first clash: an output or the report on an input, two outputs on one file, or
  /// the report on an output. Paths are compared after resolving symlinks, and existing files also by identity.
  public func check(inputs: [InputFile], report: String?) throws(LogWardenError) {
    let inputIdentities = inputs.filter { $0.path != "-" }.map { ($0.path, FileIdentity(followingPath: $0.path)) }
    if let report {
      // The report is written last: a place it cannot go must stop the run before any output is written.
      var st = stat()
      if stat(report, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { throw .usage("\(report): report is a directory") }
      var parent = report.contains("/") ? String(report[..<report.lastIndex(of: "/")!]) : "."
      if parent.isEmpty { parent = "/" }
      let exists = stat(parent, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
      // A directory the run creates for its outputs (`--output-dir DIR --report DIR/report.json`) will be there.
      let canonicalParent = OutputPlan.canonicalPath(parent)
      let created = targets.contains { $0.map { OutputPlan.canonicalPath($0).hasPrefix(canonicalParent + "/") } ?? false }
      guard exists || created else { throw .io(operation: "open report directory", path: parent, errno: ENOENT) }
    }
    var seen: [String: (path: String, role: String)] = [:]
    var named = targets.compactMap { $0 }.map { ($0, "output") }
    if let report { named.append((report, "report")) }
    for (path, role) in named {
      if let identity = FileIdentity(followingPath: path),
        let input = inputIdentities.first(where: { $0.1 == identity })
      {
        throw .usage("\(path): \(role) would overwrite the input \(input.0)")
      }
      let canonical = OutputPlan.canonicalPath(path)
      if let other = seen[canonical] {
        throw .usage(
          other.role == role
            ? "\(path): two \(role)s would be written to the same file"
            : "\(path): the \(role) would overwrite the \(other.role)\(other.path == path ? "" : " " + other.path)")
      }
      seen[canonical] = (path, role)
    }
  }

  /// `path` made absolute with `.`/`..` and symlinks resolved as far as the path exists.
  static func canonicalPath(_ path: String) -> String {
    var absolute = path
    if !path.hasPrefix("/") {
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      if getcwd(&buffer, buffer.count) != nil {
        absolute = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
          + "/" + path
      }
    }
    // Resolve the longest existing prefix, then append the rest lexically.
    var components = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    var rest: [String] = []
    while true {
      let prefix = "/" + components.joined(separator: "/")
      if let resolved = realPath(prefix) {
        return normalize(resolved, appending: rest)
      }
      guard let last = components.popLast() else { return normalize("/", appending: rest) }
      rest.insert(last, at: 0)
    }
  }

  private static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  private static func normalize(_ base: String, appending rest: [String]) -> String {
    var parts = base.split(separator: "/").map(String.init)
    for part in rest {
      switch part {
      case ".": continue
      case "..": _ = parts.popLast()
      default: parts.append(part)
      }
    }
    return "/" + parts.joined(separator: "/")
  }
}

extension FileIdentity {
  /// The identity of the file `path` names (symlinks followed), or nil when there is none.
  init?(followingPath path: String) {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }
}
