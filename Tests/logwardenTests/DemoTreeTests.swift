import Foundation
import LogWardenCore
import Testing

/// Leak checks for generated logs: no planted secret survives, in plain text or inside any base64 token.
enum Leaks {
  static func find(in text: String) -> [String] {
    var found: [String] = []
    for secret in ExchangeLogGenerator.plantedSecrets where text.contains(secret) { found.append(secret) }
    var token = ""
    func check() {
      defer { token = "" }
      guard token.count >= 8 else { return }
      var padded = token
      while padded.count % 4 != 0 { padded += "=" }
      guard let data = Data(base64Encoded: padded) else { return }
      let decoded = String(decoding: data, as: UTF8.self)
      for secret in ExchangeLogGenerator.plantedSecrets where decoded.contains(secret) {
        found.append("base64 \(token) (\(secret))")
      }
    }
    for ch in text {
      if ch.isASCII && (ch.isLetter || ch.isNumber || ch == "+" || ch == "/" || ch == "=") {
        token.append(ch)
      } else {
        check()
      }
    }
    check()
    return found
  }

  /// A file's content as text, gzip and zstd decompressed.
  static func decompressedText(of path: String) throws -> String {
    let source = try InputOpener.openInput(path: path)
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
      if n == 0 { break }
      bytes.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Every regular file below `directory`, sorted.
  static func files(below directory: URL) -> [URL] {
    let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
    var out: [URL] = []
    while let url = enumerator?.nextObject() as? URL {
      if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { out.append(url) }
    }
    return out.sorted { $0.path < $1.path }
  }
}

@Suite struct DemoTreeTests {
  static let committed = ManPages.root.appendingPathComponent("Policies/demo-logs")

  /// `Policies/demo-logs` is exactly what `logwarden-bench demo` writes (regenerate it after changing a generator).
  @Test func committedTreeIsTheGeneratorsOutput() throws {
    let dir = try CLI.temporaryDirectory()
    let written = try DemoLogTree.write(to: dir.path)
    #expect(written.count == DemoLogTree.files.count)
    let committedFiles = Leaks.files(below: Self.committed).map { String($0.path.dropFirst(Self.committed.path.count + 1)) }
    #expect(committedFiles == DemoLogTree.files.map(\.relativePath).sorted())
    var total = 0
    for file in DemoLogTree.files {
      let fresh = try Data(contentsOf: dir.appendingPathComponent(file.relativePath))
      let shipped = try? Data(contentsOf: Self.committed.appendingPathComponent(file.relativePath))
      #expect(
        fresh == shipped,
        "Policies/demo-logs/\(file.relativePath) differs from the generator; run: swift run logwarden-bench demo Policies/demo-logs")
      total += fresh.count
    }
    #expect(total <= 3_000_000, "the demo tree is \(total) bytes; keep it at or below 3 MB")
    #expect(total >= 1_000_000)
  }

  /// The demo is worth running: its logs hold credentials and bodies, and sanitizing them leaves none.
  @Test func demoLogsHoldSecretsThatSanitizeRemoves() throws {
    var raw = ""
    for url in Leaks.files(below: Self.committed) { raw += (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
    #expect(!Leaks.find(in: raw).isEmpty)
    #expect(raw.contains("Confidential body line"))

    let dir = try CLI.temporaryDirectory()
    let result = try CLI.run(
      ["sanitize", "--profile", "level4", "--output-dir", dir.appendingPathComponent("out").path, Self.committed.path],
      in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    var clean = ""
    for url in Leaks.files(below: dir.appendingPathComponent("out")) {
      clean += (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }
    #expect(Leaks.find(in: clean) == [])
    #expect(!clean.contains("Confidential body line"))
    #expect(clean.contains("AUTH PLAIN ****"))
  }
}
