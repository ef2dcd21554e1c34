import Foundation
import Testing
import ZIPFoundation

@testable import LogWardenCore

/// An Exchange SMTP Receive log from rows `[session, seq, event, data, context]`, CRLF line ends.
func exchangeLog(_ rows: [(String, Int, String, String, String)], minute: Int = 0) -> String {
  var text = "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Receive Protocol Log\r\n"
  text +=
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
  for (i, row) in rows.enumerated() {
    let (session, seq, event, data, context) = row
    let ip = session.hasPrefix("AAAA") ? "198.51.100.7" : session.hasPrefix("BBBB") ? "203.0.113.9" : "192.0.2.44"
    let second = String(format: "%02d", i % 60)
    text +=
      "2025-01-14T10:\(String(format: "%02d", minute)):\(second).000Z,MX1\\Default Frontend MX1,\(session),\(seq),"
    text += "10.0.0.6:25,\(ip):5\(session.suffix(4)),\(event),\(data),\(context)\r\n"
  }
  return text
}

/// A policy with one closed-mode Exchange set, a key, and the retention harness to make real archives.
final class ShareHarness {
  let h: Harness
  let keyPath: String
  let key: KeyMaterial

  init(format: String? = "exchange-csv", glob: String = "*.LOG") throws {
    let root = RetentionTemporaryDirectory()
    keyPath = root.path + "/key"
    key = try KeyFile.generate(at: keyPath)
    let formatLine = format.map { "    format: \($0)\n" } ?? ""
    h = try Harness(
      sets: """
          exch:
            directory: $LOGS
            glob: "\(glob)"
        \(formatLine)    rotation:
              mode: closed
              quiet: 1h
        """, extra: "key-file: \(keyPath)")
    keepAlive = root
  }
  private let keepAlive: RetentionTemporaryDirectory

  var logs: String { h.logs }
  var root: String { h.root.path }

  func options(_ selection: ShareSelection, out: String, epoch: String? = nil) -> ShareOptions {
    ShareOptions(
      selection: selection, output: out, keys: PseudonymKeys(master: key, epoch: epoch),
      keyFingerprint: key.fingerprint(epoch: epoch), keyPath: keyPath, now: T0)
  }

  func share(_ selection: ShareSelection, out: String, epoch: String? = nil) throws -> ShareResult {
    try ShareBuilder(policy: h.policy, options: options(selection, out: out, epoch: epoch)).build()
  }

  /// What the vendor profile makes of `text` on its own (the expected content of a bundle file).
  func vendor(_ text: String, name: String) throws -> String {
    let sink = MemorySink()
    let options = SanitizeOptions(
      profile: .vendor, formatName: "exchange-csv", pseudonymKeys: PseudonymKeys(master: key))
    _ = try Sanitizer(options: options).sanitize(source: MemorySource(Array(text.utf8)), sink: sink, name: name)
    return String(decoding: sink.bytes, as: UTF8.self)
  }
}

/// The files of a bundle, by path, read with an independent reader (ustar parsed here; ZIP through ZIPFoundation).
enum BundleReader {
  static func read(_ path: String) throws -> [String: [UInt8]] {
    if path.hasSuffix(".zip") { return try readZip(path) }
    return try readTarGzip(path)
  }

  static func readTarGzip(_ path: String) throws -> [String: [UInt8]] {
    let source = try GzipDecompressingSource(upstream: try FileDescriptorSource(path: path), name: path)
    let sink = MemorySink()
    try StreamCopy.copy(from: source, to: sink)
    let tar = sink.bytes
    var files: [String: [UInt8]] = [:]
    var offset = 0
    while offset + 512 <= tar.count {
      let header = Array(tar[offset..<(offset + 512)])
      if header.allSatisfy({ $0 == 0 }) { break }
      // The checksum: the header's bytes with the checksum field as spaces.
      var sum = 0
      for (k, b) in header.enumerated() { sum += (148..<156).contains(k) ? 0x20 : Int(b) }
      let stored = Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8)
      #expect(stored == sum, "tar header checksum")
      #expect(Array(header[257..<263]) == Array("ustar\0".utf8))
      func text(_ r: Range<Int>) -> String { String(decoding: header[r].prefix { $0 != 0 }, as: UTF8.self) }
      let prefix = text(345..<500)
      let name = (prefix.isEmpty ? "" : prefix + "/") + text(0..<100)
      let size = Int(text(124..<136).trimmingCharacters(in: .whitespaces), radix: 8) ?? -1
      offset += 512
      if header[156] == 0x30 {
        files[name] = Array(tar[offset..<(offset + size)])
      }
      offset += (size + 511) / 512 * 512
    }
    return files
  }

  static func readZip(_ path: String) throws -> [String: [UInt8]] {
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil)
    var files: [String: [UInt8]] = [:]
    for entry in archive where entry.type == .file {
      var data = Data()
      _ = try archive.extract(entry) { data.append($0) }
      files[entry.path] = Array(data)
    }
    return files
  }
}

extension String {
  /// The lines, each with its terminator (split on bytes: Swift's "\r\n" is one Character).
  var linesKeepingEnds: [String] {
    var lines: [String] = []
    var current: [UInt8] = []
    for byte in utf8 {
      current.append(byte)
      if byte == 0x0A {
        lines.append(String(decoding: current, as: UTF8.self))
        current.removeAll()
      }
    }
    if !current.isEmpty { lines.append(String(decoding: current, as: UTF8.self)) }
    return lines
  }

  /// The session-id column (the third) of an Exchange row.
  var sessionColumn: String? {
    let fields = utf8.split(separator: 0x2C, omittingEmptySubsequences: false)
    return fields.count > 2 ? String(decoding: fields[2], as: UTF8.self) : nil
  }

  /// The CSV rows of an Exchange log whose session-id column is `session`.
  func rows(ofSession session: String) -> [String] {
    linesKeepingEnds.filter { !$0.hasPrefix("#") && $0.sessionColumn == session }
  }
}
