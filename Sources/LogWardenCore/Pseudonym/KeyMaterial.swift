import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 256-bit master key every pseudonym is derived from. Never printed, never part of an error message.
public struct KeyMaterial: Sendable {
  /// Length of a master key in bytes.
  public static let byteCount = 32

  let key: SymmetricKey

  /// Wraps raw key bytes; there must be exactly ``byteCount`` of them.
  public init(bytes: some Collection<UInt8>) throws(LogWardenError) {
    guard bytes.count == Self.byteCount else {
      throw LogWardenError.usage("a key is \(Self.byteCount) bytes; got \(bytes.count)")
    }
    key = SymmetricKey(data: Array(bytes))
  }

  /// A fresh key from the system's cryptographic random generator.
  public static func random() -> KeyMaterial {
    KeyMaterial(key: SymmetricKey(size: .bits256))
  }

  private init(key: SymmetricKey) { self.key = key }

  /// The key as the key file stores it: 64 lower-case hex digits.
  var hexDigits: [UInt8] {
    key.withUnsafeBytes { raw in
      var out = [UInt8]()
      out.reserveCapacity(raw.count * 2)
      for byte in raw {
        out.append(HexDigits.lower[Int(byte >> 4)])
        out.append(HexDigits.lower[Int(byte & 0x0f)])
      }
      return out
    }
  }

  /// Parses a key file's contents: 64 hex digits, optionally surrounded by blanks and line breaks.
  /// Returns nil for anything else; callers word the error so the content is never echoed.
  static func parse(fileContents: [UInt8]) -> KeyMaterial? {
    var start = 0
    var end = fileContents.count
    while start < end, isSpaceOrNewline(fileContents[start]) { start += 1 }
    while end > start, isSpaceOrNewline(fileContents[end - 1]) { end -= 1 }
    guard end - start == byteCount * 2 else { return nil }
    var bytes = [UInt8]()
    bytes.reserveCapacity(byteCount)
    var i = start
    while i < end {
      guard let high = HexDigits.value(fileContents[i]), let low = HexDigits.value(fileContents[i + 1]) else {
        return nil
      }
      bytes.append(high << 4 | low)
      i += 2
    }
    return try? KeyMaterial(bytes: bytes)
  }

  private static func isSpaceOrNewline(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
  }
}

/// Hex digit tables shared by key files and address formatting.
enum HexDigits {
  static let lower: [UInt8] = Array("0123456789abcdef".utf8)
  /// The same digits behind a raw pointer, for the hot path (no retain/release, no bounds check).
  nonisolated(unsafe) static let lowerTable: UnsafePointer<UInt8> = {  // written once, then read-only
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
    table.initialize(from: lower, count: 16)
    return UnsafePointer(table)
  }()

  /// Digit values per byte, 0xff for non-hex bytes.
  nonisolated(unsafe) static let valueTable: UnsafePointer<UInt8> = {  // written once, then read-only
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    table.initialize(repeating: 0xff, count: 256)
    for (index, byte) in "0123456789abcdef".utf8.enumerated() { table[Int(byte)] = UInt8(index) }
    for (index, byte) in "ABCDEF".utf8.enumerated() { table[Int(byte)] = UInt8(index + 10) }
    return UnsafePointer(table)
  }()

  @inline(__always) static func value(_ byte: UInt8) -> UInt8? {
    let value = valueTable[Int(byte)]
    return value == 0xff ? nil : value
  }
}

/// Reading and creating key files: one line of hex, mode 0600, never overwritten.
public enum KeyFile {
  /// Largest file accepted as a key file; a real one is 65 bytes.
  static let maximumSize = 4096

  /// Writes a new random key to `path` with mode 0600 and returns it.
  ///
  /// Refuses to replace an existing file (`O_EXCL`), so a key that pseudonyms depend on is never lost by accident.
  /// Missing parent directories are created with mode 0700. The file and its directory are fsynced.
  @discardableResult
  public static func generate(at path: String) throws(LogWardenError) -> KeyMaterial {
    let key = KeyMaterial.random()
    try createParentDirectories(of: path)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else {
      let code = errno
      if code == EEXIST {
        throw LogWardenError.usage("\(path) already exists; keygen never overwrites a key (pseudonyms depend on it)")
      }
      throw LogWardenError.io(operation: "create", path: path, errno: code)
    }
    var written = false
    defer {
      close(fd)
      if !written { unlink(path) }
    }
    // The umask may have removed bits but never adds any; fchmod makes the mode exact.
    guard fchmod(fd, 0o600) == 0 else { throw LogWardenError.io(operation: "chmod", path: path, errno: errno) }
    var line = key.hexDigits
    line.append(0x0a)
    try writeAll(fd: fd, bytes: line, path: path)
    guard fsync(fd) == 0 else { throw LogWardenError.io(operation: "fsync", path: path, errno: errno) }
    written = true
    syncDirectory(of: path)
    return key
  }

  /// Reads the key at `path`, refusing files that group or others may access.
  ///
  /// A missing file is `.io(operation: "open", …, ENOENT)` (exit 66); a file with loose permissions or the wrong
  /// content is `.config` (exit 78). Neither message contains the file's content.
  public static func load(from path: String) throws(LogWardenError) -> KeyMaterial {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let code = errno
      if code == ENOENT {
        throw LogWardenError.io(
          operation: "open", path: "\(path) (create a key with 'logwarden keygen' or pass --key FILE)", errno: code)
      }
      throw LogWardenError.io(operation: "open", path: path, errno: code)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw LogWardenError.io(operation: "stat", path: path, errno: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw LogWardenError.config(file: path, line: nil, column: nil, message: "key file is not a regular file")
    }
    let permissions = info.st_mode & 0o777
    guard permissions & 0o077 == 0 else {
      throw LogWardenError.config(
        file: path, line: nil, column: nil,
        message: "key file mode is \(octal(permissions)); group and others must have no access (chmod 600 \(path))")
    }
    guard Int(info.st_size) <= maximumSize else {
      throw LogWardenError.config(file: path, line: nil, column: nil, message: "not a logwarden key file (too large)")
    }
    var contents = [UInt8](repeating: 0, count: maximumSize + 1)
    var total = 0
    while total < contents.count {
      let n = contents.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
      if n < 0 {
        if errno == EINTR { continue }
        throw LogWardenError.io(operation: "read", path: path, errno: errno)
      }
      if n == 0 { break }
      total += n
    }
    contents.removeSubrange(total...)
    guard let key = KeyMaterial.parse(fileContents: contents) else {
      throw LogWardenError.config(
        file: path, line: 1, column: nil,
        message: "not a logwarden key: expected 64 hex digits on one line (create one with 'logwarden keygen')")
    }
    return key
  }

  private static func octal(_ mode: mode_t) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  private static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws(LogWardenError) {
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if n < 0 {
        if errno == EINTR { continue }
        throw LogWardenError.io(operation: "write", path: path, errno: errno)
      }
      offset += n
    }
  }

  private static func parentDirectory(of path: String) -> String? {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
    let parent = String(path[..<slash])
    return parent.isEmpty ? "/" : parent
  }

  private static func createParentDirectories(of path: String) throws(LogWardenError) {
    guard let parent = parentDirectory(of: path) else { return }
    var info = stat()
    if stat(parent, &info) == 0 { return }
    try createParentDirectories(of: parent)
    if mkdir(parent, 0o700) != 0 && errno != EEXIST {
      throw LogWardenError.io(operation: "mkdir", path: parent, errno: errno)
    }
  }

  /// Best effort: makes the new directory entry durable. Failure here does not lose the key already written.
  private static func syncDirectory(of path: String) {
    let directory = parentDirectory(of: path) ?? "."
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
  }
}

/// Where a key comes from, in lookup order: `--key`, `$LOGWARDEN_KEY`, the policy, then the per-user or system default.
public enum KeySource: String, Sendable, Equatable {
  case commandLine = "--key"
  case environment = "$LOGWARDEN_KEY"
  case policy = "policy"
  case defaultLocation = "default location"
}

/// Finds the key file to use. The process environment, home directory and user are injected so tests stay hermetic.
///
/// A path that was named explicitly (by `--key`, `$LOGWARDEN_KEY` or the policy) is authoritative: if it is missing
/// the lookup fails instead of silently falling back to another key, which would produce different pseudonyms.
public struct KeyLookup: Sendable {
  /// `--key FILE`, if given.
  public var commandLinePath: String?
  /// The key path from the policy (the retention engine passes it in).
  public var policyPath: String?
  /// The process environment (only `LOGWARDEN_KEY` and `HOME` are read).
  public var environment: [String: String]
  /// Whether the process runs as root; root uses `/etc/logwarden/key` as its default.
  public var isRoot: Bool

  /// The system-wide default key file, used by root.
  public static let systemDefaultPath = "/etc/logwarden/key"
  /// The per-user default, relative to the home directory.
  public static let userDefaultRelativePath = ".config/logwarden/key"

  public init(commandLinePath: String? = nil, policyPath: String? = nil, environment: [String: String], isRoot: Bool) {
    self.commandLinePath = commandLinePath
    self.policyPath = policyPath
    self.environment = environment
    self.isRoot = isRoot
  }

  /// A lookup for the running process.
  public static func forCurrentProcess(commandLinePath: String? = nil, policyPath: String? = nil) -> KeyLookup {
    var environment: [String: String] = [:]
    for name in ["LOGWARDEN_KEY", "HOME"] {
      if let value = getenv(name) { environment[name] = String(cString: value) }
    }
    if environment["HOME"] == nil, let entry = getpwuid(getuid()), let home = entry.pointee.pw_dir {
      environment["HOME"] = String(cString: home)
    }
    return KeyLookup(
      commandLinePath: commandLinePath, policyPath: policyPath, environment: environment, isRoot: geteuid() == 0)
  }

  /// The default key path for this user: where `keygen` writes without `--out` and the last place lookup tries.
  public var defaultPath: String? {
    if isRoot { return Self.systemDefaultPath }
    guard let home = environment["HOME"], !home.isEmpty else { return nil }
    return home.hasSuffix("/") ? home + Self.userDefaultRelativePath : home + "/" + Self.userDefaultRelativePath
  }

  /// The path lookup settles on and why, or nil when nothing is configured and there is no home directory.
  public func resolve() -> (path: String, source: KeySource)? {
    if let path = commandLinePath, !path.isEmpty { return (path, .commandLine) }
    if let path = environment["LOGWARDEN_KEY"], !path.isEmpty { return (path, .environment) }
    if let path = policyPath, !path.isEmpty { return (path, .policy) }
    if let path = defaultPath { return (path, .defaultLocation) }
    return nil
  }

  /// Loads the key the lookup settles on. Errors name the path and suggest `logwarden keygen`; never the content.
  public func load() throws(LogWardenError) -> KeyMaterial {
    guard let (path, _) = resolve() else {
      throw LogWardenError.io(
        operation: "open", path: "no key (pass --key FILE, set $LOGWARDEN_KEY, or run 'logwarden keygen')",
        errno: ENOENT)
    }
    return try KeyFile.load(from: path)
  }
}
