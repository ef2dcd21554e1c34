import Foundation
import LogWardenCore

/// Helpers shared by the IO tests. Everything file-based lives under a fresh temporary directory.
enum IOTestSupport {
  /// Reads `source` to its end using reads of at most `readSize` bytes.
  static func readAll(_ source: ByteSource, readSize: Int = 1 << 16) throws(LogWardenError) -> [UInt8] {
    var result: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let n = try source.read(into: buffer)
      if n == 0 { return result }
      result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
  }

  /// Deterministic pseudo-random bytes (SplitMix64), so failures reproduce.
  static func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var result = [UInt8]()
    result.reserveCapacity(count + 8)
    while result.count < count {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      z ^= z >> 31
      withUnsafeBytes(of: z) { result.append(contentsOf: $0) }
    }
    return Array(result.prefix(count))
  }

  /// Log-like text: compressible, with some variation, CRLF line ends.
  static func logText(lines: Int, seed: UInt64 = 1) -> [UInt8] {
    let noise = randomBytes(count: lines * 4, seed: seed)
    var text = ""
    for i in 0..<lines {
      let a = noise[i * 4], b = noise[i * 4 + 1], c = noise[i * 4 + 2]
      text += "2024-03-01T10:\(a % 60):\(b % 60).\(c)Z,EX01\\Default Frontend EX01,08DC3A\(i % 977),\(i % 40),"
      text += "10.0.0.5:25,203.0.\(a).\(b):\(50000 + Int(c)),<,RCPT TO:<user\(i % 313)@example.org>,\r\n"
    }
    return Array(text.utf8)
  }

  /// Creates a fresh temporary directory for one test.
  static func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("logwarden-io-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Runs a tool with stdin from `inputPath` (or /dev/null) and stdout to `outputPath`; returns the exit status.
  @discardableResult
  static func run(_ tool: String, _ arguments: [String], stdinPath: String? = nil, stdoutPath: String? = nil) throws
    -> Int32
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    if let stdinPath { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinPath)) }
    if let stdoutPath {
      _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
      process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
    } else {
      process.standardOutput = FileHandle.nullDevice
    }
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// Compresses `bytes` with `/bin/gzip -<level> -c` (the reference implementation).
  static func gzipWithSystemTool(_ bytes: [UInt8], level: Int = 6, in directory: URL) throws -> [UInt8] {
    let input = directory.appendingPathComponent("plain-\(UUID().uuidString)")
    let output = directory.appendingPathComponent("plain-\(UUID().uuidString).gz")
    try Data(bytes).write(to: input)
    let status = try run("/bin/gzip", ["-\(level)", "-c", "-n"], stdinPath: input.path, stdoutPath: output.path)
    precondition(status == 0, "gzip failed")
    return [UInt8](try Data(contentsOf: output))
  }

  /// Compresses `bytes` with our zlib sink.
  static func gzipWithSink(_ bytes: [UInt8], level: Int32 = 6) throws(LogWardenError) -> [UInt8] {
    let memory = MemorySink()
    let sink = try GzipCompressingSink(downstream: memory, level: level, name: "test")
    try sink.write(bytes)
    try sink.finish()
    return memory.bytes
  }

  /// Decompresses `bytes` with our gzip source, reading through `maxChunk`-sized upstream reads.
  static func gunzip(_ bytes: [UInt8], maxChunk: Int = .max, readSize: Int = 1 << 16) throws(LogWardenError)
    -> [UInt8]
  {
    let source = try GzipDecompressingSource(upstream: MemorySource(bytes, maxChunk: maxChunk), name: "test")
    return try readAll(source, readSize: readSize)
  }
}
