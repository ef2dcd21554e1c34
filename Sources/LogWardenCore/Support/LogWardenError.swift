#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors that abort an operation. Messages name files and operations, never log content.
public enum LogWardenError: Error, Equatable, CustomStringConvertible, Sendable {
  /// A system call failed on `path`.
  case io(operation: String, path: String, errno: Int32)
  /// Input could not be decoded at all (e.g. a corrupt gzip stream).
  case badInput(path: String, reason: String)
  /// A requested format name is not registered.
  case unknownFormat(String)
  /// A usage problem detected by the library (the CLI maps it to exit 64).
  case usage(String)
  /// A policy or configuration problem, located as `file:line:column` where known.
  case config(file: String, line: Int?, column: Int?, message: String)

  public var description: String {
    switch self {
    case .io(let operation, let path, let code):
      return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
    case .badInput(let path, let reason):
      return "\(path): \(reason)"
    case .unknownFormat(let name):
      return "unknown format '\(name)' (see 'logwarden formats')"
    case .usage(let message):
      return message
    case .config(let file, let line, let column, let message):
      var location = file
      if let line { location += ":\(line)" }
      if let column { location += ":\(column)" }
      return "\(location): \(message)"
    }
  }

  /// The sysexits(3) status this error maps to.
  public var exitStatus: Int32 {
    switch self {
    case .io(let op, _, let code):
      if op == "open" && (code == ENOENT || code == ENOTDIR) { return ExitStatus.noInput }
      return ExitStatus.ioError
    case .badInput: return ExitStatus.dataError
    case .unknownFormat, .usage: return ExitStatus.usage
    case .config: return ExitStatus.config
    }
  }
}

/// Exit statuses, sysexits(3) style. One table for every command.
public enum ExitStatus {
  public static let ok: Int32 = 0
  /// The run completed but some work failed (some files or sets).
  public static let partialFailure: Int32 = 1
  public static let usage: Int32 = 64
  public static let dataError: Int32 = 65
  public static let noInput: Int32 = 66
  public static let software: Int32 = 70
  public static let ioError: Int32 = 74
  public static let tempFail: Int32 = 75
  public static let config: Int32 = 78
}
