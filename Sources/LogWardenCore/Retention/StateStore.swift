import Foundation
import GRDB

/// An archive the engine made, as recorded in its state database. Only recorded archives are ever deleted.
public struct ArchiveRecord: Sendable, Equatable, Codable {
  public var setName: String
  /// The archive directory (absolute).
  public var directory: String
  public var fileName: String
  /// The live or closed file the archive was made from.
  public var sourcePath: String
  /// The UTC stamp in the name: the end of the archived period (seconds since the epoch).
  public var stamp: Int64
  /// When the archive was made.
  public var createdAt: Int64
  /// The strongest sanitizing profile applied so far (0 = none; see `SanitizeProfile.strength`).
  public var profileStrength: Int
  /// Size on disk.
  public var bytes: Int64
  /// Uncompressed content length and CRC-32, as verified when the archive was written.
  public var contentBytes: Int64
  public var contentCRC: UInt32

  public var path: String { directory + "/" + fileName }
  public var profile: SanitizeProfile? { SanitizeProfile(strength: profileStrength) }
}

/// What the engine remembers about a live file (rename and copytruncate modes).
public struct SourceRecord: Sendable, Equatable {
  public var setName: String
  public var path: String
  /// When the file was first seen (an age trigger's start if it was never rotated).
  public var firstSeen: Int64
  public var lastRotated: Int64?
}

/// A step in progress, written before the step changes anything.
public struct JournalRecord: Sendable {
  public var id: Int64
  public var setName: String
  public var step: JournalStep
  public var startedAt: Int64
}

/// The state database in the state directory: archives made, live files seen, and the journal.
///
/// SQLite in rollback-journal mode with `synchronous=FULL`: every transaction is durable when it returns, and a
/// transaction cut off by a crash is rolled back on the next open. A database that cannot be read is moved aside
/// (`state.sqlite.corrupt-<stamp>`) and a fresh one is started — the run goes on, and archives it no longer knows about
/// are reported as unmanaged and never deleted.
public final class StateStore {
  public let path: String
  private let queue: DatabaseQueue
  /// Set when a corrupt database was moved aside while opening.
  public private(set) var recoveredFromCorruption: String?

  private init(path: String, queue: DatabaseQueue) {
    self.path = path
    self.queue = queue
  }

  /// Opens (creating if needed) the database for a run.
  public static func open(path: String, now: Int64) throws(LogWardenError) -> StateStore {
    do {
      let store = StateStore(path: path, queue: try makeQueue(path: path, readOnly: false))
      try store.migrate()
      try store.queue.read { db in _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM archive") }
      return store
    } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
      let aside = path + ".corrupt-" + UTCStamp.format(epochSeconds: now)
      guard Foundation.rename(path, aside) == 0 else { throw .io(operation: "rename", path: path, errno: errno) }
      for suffix in ["-journal", "-wal", "-shm"] { unlink(path + suffix) }
      do {
        let store = StateStore(path: path, queue: try makeQueue(path: path, readOnly: false))
        try store.migrate()
        store.recoveredFromCorruption = aside
        return store
      } catch {
        throw Self.failure(error, path: path)
      }
    } catch {
      throw Self.failure(error, path: path)
    }
  }

  /// Opens the database read-only (dry runs, status). A missing database reads as empty.
  public static func openForReading(path: String) throws(LogWardenError) -> StateStore {
    do {
      if access(path, F_OK) != 0 {
        let store = StateStore(path: path, queue: try DatabaseQueue())
        try store.migrate()
        return store
      }
      return StateStore(path: path, queue: try makeQueue(path: path, readOnly: true))
    } catch {
      throw Self.failure(error, path: path)
    }
  }

  private static func makeQueue(path: String, readOnly: Bool) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.readonly = readOnly
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      if !db.configuration.readonly {
        try db.execute(sql: "PRAGMA journal_mode = DELETE")
        try db.execute(sql: "PRAGMA synchronous = FULL")
      }
    }
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    if !readOnly { chmod(path, 0o600) }
    return queue
  }

  private static func failure(_ error: Error, path: String) -> LogWardenError {
    if let error = error as? DatabaseError {
      return .badInput(path: path, reason: "state database error (SQLite code \(error.resultCode.rawValue))")
    }
    return .badInput(path: path, reason: "state database error")
  }

  private func migrate() throws {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE archive (
            setName TEXT NOT NULL, directory TEXT NOT NULL, fileName TEXT NOT NULL, sourcePath TEXT NOT NULL,
            stamp INTEGER NOT NULL, createdAt INTEGER NOT NULL, profileStrength INTEGER NOT NULL,
            bytes INTEGER NOT NULL, contentBytes INTEGER NOT NULL, contentCRC INTEGER NOT NULL,
            PRIMARY KEY (directory, fileName));
          CREATE INDEX archive_set ON archive(setName, stamp);
          CREATE TABLE source (
            setName TEXT NOT NULL, path TEXT NOT NULL, firstSeen INTEGER NOT NULL, lastRotated INTEGER,
            PRIMARY KEY (setName, path));
          CREATE TABLE journal (
            id INTEGER PRIMARY KEY AUTOINCREMENT, setName TEXT NOT NULL, step TEXT NOT NULL, startedAt INTEGER NOT NULL);
          """)
    }
    try migrator.migrate(queue)
  }

  private func write<T>(_ body: (Database) throws -> T) throws(LogWardenError) -> T {
    do { return try queue.write(body) } catch { throw Self.failure(error, path: path) }
  }

  private func read<T>(_ body: (Database) throws -> T) throws(LogWardenError) -> T {
    do { return try queue.read(body) } catch { throw Self.failure(error, path: path) }
  }

  // MARK: Archives

  private static func archive(from row: Row) -> ArchiveRecord {
    ArchiveRecord(
      setName: row["setName"], directory: row["directory"], fileName: row["fileName"], sourcePath: row["sourcePath"],
      stamp: row["stamp"], createdAt: row["createdAt"], profileStrength: row["profileStrength"], bytes: row["bytes"],
      contentBytes: row["contentBytes"], contentCRC: UInt32(truncatingIfNeeded: row["contentCRC"] as Int64))
  }

  /// The set's archives, oldest first (stamp, then name).
  public func archives(setName: String) throws(LogWardenError) -> [ArchiveRecord] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM archive WHERE setName = ? ORDER BY stamp, fileName", arguments: [setName])
        .map(Self.archive(from:))
    }
  }

  public func archive(directory: String, fileName: String) throws(LogWardenError) -> ArchiveRecord? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM archive WHERE directory = ? AND fileName = ?", arguments: [directory, fileName])
        .map(Self.archive(from:))
    }
  }

  private static func insert(_ r: ArchiveRecord, _ db: Database) throws {
    try db.execute(
      sql: """
        INSERT OR REPLACE INTO archive (setName, directory, fileName, sourcePath, stamp, createdAt, profileStrength,
          bytes, contentBytes, contentCRC) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        r.setName, r.directory, r.fileName, r.sourcePath, r.stamp, r.createdAt, r.profileStrength, r.bytes,
        r.contentBytes, Int64(r.contentCRC),
      ])
  }

  /// Records a published archive and, in the same transaction, advances or clears its journal entry.
  public func recordArchive(_ record: ArchiveRecord, journal: (id: Int64, step: JournalStep?)?, lastRotated: (setName: String, path: String, at: Int64)? = nil) throws(LogWardenError) {
    try write { db in
      try Self.insert(record, db)
      if let journal { try Self.updateJournal(journal.id, journal.step, db) }
      if let lastRotated {
        try db.execute(
          sql: """
            INSERT INTO source (setName, path, firstSeen, lastRotated) VALUES (?, ?, ?, ?)
            ON CONFLICT(setName, path) DO UPDATE SET lastRotated = excluded.lastRotated
            """,
          arguments: [lastRotated.setName, lastRotated.path, lastRotated.at, lastRotated.at])
      }
    }
  }

  /// Replaces an archive's record (after a stage) and clears its journal entry.
  public func updateArchive(_ record: ArchiveRecord, clearingJournal id: Int64?) throws(LogWardenError) {
    try write { db in
      try Self.insert(record, db)
      if let id { try db.execute(sql: "DELETE FROM journal WHERE id = ?", arguments: [id]) }
    }
  }

  public func removeArchive(directory: String, fileName: String, clearingJournal id: Int64? = nil) throws(LogWardenError) {
    try write { db in
      try db.execute(sql: "DELETE FROM archive WHERE directory = ? AND fileName = ?", arguments: [directory, fileName])
      if let id { try db.execute(sql: "DELETE FROM journal WHERE id = ?", arguments: [id]) }
    }
  }

  // MARK: Sources

  public func source(setName: String, path: String) throws(LogWardenError) -> SourceRecord? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM source WHERE setName = ? AND path = ?", arguments: [setName, path]).map {
        SourceRecord(setName: $0["setName"], path: $0["path"], firstSeen: $0["firstSeen"], lastRotated: $0["lastRotated"])
      }
    }
  }

  public func sources(setName: String) throws(LogWardenError) -> [SourceRecord] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM source WHERE setName = ?", arguments: [setName]).map {
        SourceRecord(setName: $0["setName"], path: $0["path"], firstSeen: $0["firstSeen"], lastRotated: $0["lastRotated"])
      }
    }
  }

  /// Records the first sighting of a live file (no-op if known).
  public func noteSourceSeen(setName: String, path: String, at time: Int64) throws(LogWardenError) {
    try write { db in
      try db.execute(
        sql: "INSERT OR IGNORE INTO source (setName, path, firstSeen, lastRotated) VALUES (?, ?, ?, NULL)",
        arguments: [setName, path, time])
    }
  }

  public func setLastRotated(setName: String, path: String, at time: Int64) throws(LogWardenError) {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO source (setName, path, firstSeen, lastRotated) VALUES (?, ?, ?, ?)
          ON CONFLICT(setName, path) DO UPDATE SET lastRotated = excluded.lastRotated
          """,
        arguments: [setName, path, time, time])
    }
  }

  // MARK: Journal

  private static let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
  }()

  private static func updateJournal(_ id: Int64, _ step: JournalStep?, _ db: Database) throws {
    if let step {
      let json = String(decoding: try encoder.encode(step), as: UTF8.self)
      try db.execute(sql: "UPDATE journal SET step = ? WHERE id = ?", arguments: [json, id])
    } else {
      try db.execute(sql: "DELETE FROM journal WHERE id = ?", arguments: [id])
    }
  }

  /// Writes a journal entry before a step starts; returns its id.
  public func beginStep(setName: String, _ step: JournalStep, at time: Int64) throws(LogWardenError) -> Int64 {
    try write { db in
      let json = String(decoding: try Self.encoder.encode(step), as: UTF8.self)
      try db.execute(
        sql: "INSERT INTO journal (setName, step, startedAt) VALUES (?, ?, ?)", arguments: [setName, json, time])
      return db.lastInsertedRowID
    }
  }

  /// Advances a journal entry to `step`, or clears it when `step` is nil.
  public func updateStep(_ id: Int64, _ step: JournalStep?) throws(LogWardenError) {
    try write { db in try Self.updateJournal(id, step, db) }
  }

  /// Every unfinished step, oldest first. Entries that cannot be decoded are returned with a nil step.
  public func journal() throws(LogWardenError) -> [(id: Int64, setName: String, step: JournalStep?, startedAt: Int64)] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM journal ORDER BY id").map { row in
        let text: String = row["step"]
        let step = try? JSONDecoder().decode(JournalStep.self, from: Data(text.utf8))
        return (row["id"], row["setName"], step, row["startedAt"])
      }
    }
  }
}
