import Foundation

/// The demo log tree shipped in `Policies/demo-logs/` and installed with `Policies/demo.yaml`: a few hours of
/// Exchange 2013+ SMTP Receive/Send and POP3/IMAP4 logs, in the directory layout Exchange uses, and a Postfix
/// `mail.log` with `debug_peer_list` output. All generated (fake credentials and bodies, documentation addresses),
/// deterministic, about 2 MB.
///
/// Regenerate with `swift run logwarden-bench demo Policies/demo-logs`; `DemoTreeTests` checks that the committed
/// tree is exactly what this writes.
public enum DemoLogTree {
  /// 2026-11-21T00:00:00Z: the first hour of the demo's logs.
  public static let start: Int64 = 1_795_219_200

  /// One file of the tree: its path relative to the tree's root, and how to write it.
  public struct File: Sendable {
    public var relativePath: String
    public var targetBytes: Int
    let make: @Sendable (Int, ByteSink) throws(LogWardenError) -> Void
  }

  /// Every file, in a stable order.
  public static var files: [File] {
    var files: [File] = []
    let exchange = "exchange/TransportRoles/Logs"
    for hour in 0..<6 {
      let at = start + Int64(hour) * 3600
      files.append(
        File(relativePath: "\(exchange)/FrontEnd/ProtocolLog/SmtpReceive/RECV\(GeneratedTime.hourStamp(at))-1.LOG", targetBytes: 150_000) {
          bytes, sink throws(LogWardenError) in
          try ExchangeLogGenerator(seed: 0xDE30 + UInt64(hour), concurrentSessions: 6, start: at).write(targetBytes: bytes, to: sink)
        })
    }
    for hour in 0..<4 {
      let at = start + Int64(hour) * 3600
      files.append(
        File(relativePath: "\(exchange)/Hub/ProtocolLog/SmtpSend/SEND\(GeneratedTime.hourStamp(at))-1.LOG", targetBytes: 60_000) {
          bytes, sink throws(LogWardenError) in
          try ExchangeSendLogGenerator(seed: 0x5E30 + UInt64(hour), start: at).write(targetBytes: bytes, to: sink)
        })
    }
    for hour in 0..<3 {
      let at = start + Int64(hour) * 3600
      files.append(
        File(relativePath: "exchange/Logging/Imap4/IMAP4\(GeneratedTime.hourStamp(at))-1.LOG", targetBytes: 60_000) {
          bytes, sink throws(LogWardenError) in
          try ExchangePopImapLogGenerator(service: .imap4, seed: 0x1A30 + UInt64(hour), start: at).write(targetBytes: bytes, to: sink)
        })
      files.append(
        File(relativePath: "exchange/Logging/Pop3/POP3\(GeneratedTime.hourStamp(at))-1.LOG", targetBytes: 50_000) {
          bytes, sink throws(LogWardenError) in
          try ExchangePopImapLogGenerator(service: .pop3, seed: 0x9030 + UInt64(hour), start: at).write(targetBytes: bytes, to: sink)
        })
    }
    files.append(
      File(relativePath: "postfix/mail.log", targetBytes: 400_000) { bytes, sink throws(LogWardenError) in
        try PostfixLogGenerator(seed: 0xF030, start: start).write(targetBytes: bytes, to: sink)
      })
    return files
  }

  /// Writes the tree below `directory` (created if needed), replacing files of the same names. Returns the paths
  /// written.
  @discardableResult
  public static func write(to directory: String) throws(LogWardenError) -> [String] {
    var written: [String] = []
    for file in files {
      let path = directory + "/" + file.relativePath
      let parent = (path as NSString).deletingLastPathComponent
      do {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
      } catch {
        throw .io(operation: "create directory", path: parent, errno: EACCES)
      }
      let writer = try AtomicFileWriter(path: path, mode: 0o644)
      do {
        try file.make(file.targetBytes, writer.sink)
        try writer.commit()
      } catch {
        writer.abandon()
        throw error
      }
      written.append(path)
    }
    return written
  }
}
