import Crypto
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A SQLite file (mode 0600) mapping address, user and host tokens back to what they replaced, for `reveal`.
///
/// Tokens are one-way (HMAC), so this is the only way back for them; IP pseudonyms need no ledger (they decrypt).
/// Each original is sealed with AES-GCM under a sub-key of the master key, with the token as associated data: the
/// file alone re-identifies no one, and a row cannot be moved to another token. The first sighting wins.
///
/// Safe to share between threads (GRDB serializes access).
public final class PseudonymLedger: Sendable {
  /// One token to record.
  public struct Entry: Sendable, Equatable {
    public let token: [UInt8]
    public let kind: PseudonymKind
    public let original: [UInt8]
  }

  /// What the ledger knows about a token.
  public struct Record: Sendable, Equatable {
    public let kind: PseudonymKind
    public let original: String
    /// When the token was first recorded.
    public let firstSeen: Date
  }

  public let path: String
  private let database: DatabaseQueue
  private let sealingKey: SymmetricKey

  /// Opens (creating it if `create` and missing) the ledger at `path`. An existing file that group or others may
  /// access is refused, like a key file.
  public init(path: String, keys: PseudonymKeys, create: Bool) throws(LogWardenError) {
    self.path = path
    sealingKey = keys.ledger
    try Self.prepareFile(at: path, create: create)
    var configuration = Configuration()
    configuration.readonly = !create
    configuration.busyMode = .timeout(10)
    do {
      database = try DatabaseQueue(path: path, configuration: configuration)
      if create {
        try database.write { db in
          try db.execute(
            sql: """
              CREATE TABLE IF NOT EXISTS pseudonym (
                token TEXT PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                sealed_original BLOB NOT NULL,
                first_seen INTEGER NOT NULL
              ) WITHOUT ROWID
              """)
        }
      }
      _ = try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM pseudonym") }
    } catch {
      throw LogWardenError.badInput(path: path, reason: "not a logwarden ledger (or it cannot be opened)")
    }
  }

  /// Creates the file with mode 0600 before SQLite does (SQLite would honour the umask, and its journal files copy
  /// the database's mode), or checks the mode of an existing one.
  private static func prepareFile(at path: String, create: Bool) throws(LogWardenError) {
    let flags = create ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC)
    let fd = open(path, flags, 0o600)
    guard fd >= 0 else { throw LogWardenError.io(operation: "open", path: path, errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw LogWardenError.io(operation: "stat", path: path, errno: errno) }
    if create && info.st_size == 0 {
      guard fchmod(fd, 0o600) == 0 else { throw LogWardenError.io(operation: "chmod", path: path, errno: errno) }
      return
    }
    guard info.st_mode & 0o077 == 0 else {
      throw LogWardenError.config(
        file: path, line: nil, column: nil,
        message: "ledger mode allows group or others access; it re-identifies people (chmod 600 \(path))")
    }
  }

  /// Records entries whose tokens are not yet known, in one transaction.
  public func record(_ entries: [Entry]) throws(LogWardenError) {
    guard !entries.isEmpty else { return }
    let now = Int(Date().timeIntervalSince1970)
    do {
      let rows: [(String, String, Data)] = try entries.map { entry in
        let token = String(decoding: entry.token, as: UTF8.self)
        let sealed = try AES.GCM.seal(entry.original, using: sealingKey, authenticating: entry.token)
        return (token, entry.kind.rawValue, sealed.combined!)
      }
      try database.write { db in
        let statement = try db.cachedStatement(
          sql: "INSERT OR IGNORE INTO pseudonym (token, kind, sealed_original, first_seen) VALUES (?, ?, ?, ?)")
        for (token, kind, sealed) in rows {
          try statement.execute(arguments: [token, kind, sealed, now])
        }
      }
    } catch {
      throw LogWardenError.io(operation: "write ledger", path: path, errno: EIO)
    }
  }

  /// The original behind `token`, or nil if the ledger has no such token (or it was sealed under another key).
  public func lookup(token: String) throws(LogWardenError) -> Record? {
    let row: Row?
    do {
      row = try database.read { db in
        try Row.fetchOne(
          db, sql: "SELECT kind, sealed_original, first_seen FROM pseudonym WHERE token = ?", arguments: [token])
      }
    } catch {
      throw LogWardenError.io(operation: "read ledger", path: path, errno: EIO)
    }
    guard let row else { return nil }
    let kindName: String = row["kind"]
    let sealed: Data = row["sealed_original"]
    let firstSeen: Int64 = row["first_seen"]
    guard let kind = PseudonymKind(rawValue: kindName),
      let box = try? AES.GCM.SealedBox(combined: sealed),
      let original = try? AES.GCM.open(box, using: sealingKey, authenticating: Array(token.utf8))
    else { return nil }
    return Record(
      kind: kind, original: String(decoding: original, as: UTF8.self),
      firstSeen: Date(timeIntervalSince1970: TimeInterval(firstSeen)))
  }
}
