/// Rewrites log content on its way into an archive (the sanitizer), behind a protocol so the engine can be tested
/// before and independently of the sanitizer.
public protocol ArchiveContentFilter {
  /// Reads `source` to its end and writes the sanitized form to `sink`, finishing it.
  func filter(
    source: ByteSource, sink: ByteSink, name: String, profile: SanitizeProfile, format: String?, keyFile: String?
  ) throws(LogWardenError) -> FileReport
}

/// The real sanitizer. The `vendor` profile's keys are derived from the policy's key file, loaded once.
public final class SanitizerContentFilter: ArchiveContentFilter {
  private var keys: (path: String, keys: PseudonymKeys)?

  public init() {}

  public func filter(
    source: ByteSource, sink: ByteSink, name: String, profile: SanitizeProfile, format: String?, keyFile: String?
  ) throws(LogWardenError) -> FileReport {
    var options = SanitizeOptions(profile: profile, formatName: format)
    if profile.pseudonymizes {
      guard let keyFile else { throw .usage("the vendor profile needs 'key-file' in the policy") }
      if keys?.path != keyFile { keys = (keyFile, PseudonymKeys(master: try KeyFile.load(from: keyFile))) }
      options.pseudonymKeys = keys!.keys
    }
    return try Sanitizer(options: options).sanitize(source: source, sink: sink, name: name)
  }
}

/// Named points between the durable steps of archiving, rotating, staging and deleting. Tests stop a run at each one
/// to prove that the next run finishes or rolls back what was cut off.
public enum CrashPoint: String, CaseIterable, Sendable {
  case archiveJournaled = "archive.journaled"
  case archiveWritten = "archive.written"
  case archivePublished = "archive.published"
  case archiveRecorded = "archive.recorded"
  case archiveSourceRemoved = "archive.source-removed"
  case renameRenamed = "rename.renamed"
  case renameNotified = "rename.notified"
  case copyTruncateWritten = "copytruncate.written"
  case copyTruncatePublished = "copytruncate.published"
  case copyTruncateRemoved = "copytruncate.prefix-removed"
  case stageWritten = "stage.written"
  case stageReplaced = "stage.replaced"
  case deleteRemoved = "delete.removed"
}

/// Hooks into the engine's progress.
public struct RetentionHooks {
  /// Called at each crash point. Throwing stops the run there without any cleanup (an in-process crash); the CLI can
  /// install a hook that sends itself SIGKILL (`LOGWARDEN_TEST_KILL_AT`, for the end-to-end crash tests).
  public var checkpoint: (CrashPoint) throws(LogWardenError) -> Void

  public init(checkpoint: @escaping (CrashPoint) throws(LogWardenError) -> Void = { _ in }) {
    self.checkpoint = checkpoint
  }
}

/// Everything the engine touches outside itself.
public struct RetentionEnvironment {
  public var fileSystem: FileSystem
  public var probe: OpenFileProbe
  public var filter: ArchiveContentFilter
  public var notifier: WriterNotifier
  public var hooks: RetentionHooks
  /// Pauses between polls (waiting for a writer to release a file, for the lock). Tests pass a no-op.
  public var sleep: (Double) -> Void
  public var monotonicNow: () -> Double

  public init(
    fileSystem: FileSystem = PosixFileSystem(), probe: OpenFileProbe = ProcOpenFileProbe(),
    filter: ArchiveContentFilter = SanitizerContentFilter(), notifier: WriterNotifier = ProcessWriterNotifier(),
    hooks: RetentionHooks = RetentionHooks(), sleep: @escaping (Double) -> Void = StateLock.realSleep,
    monotonicNow: @escaping () -> Double = StateLock.monotonicSeconds
  ) {
    self.fileSystem = fileSystem
    self.probe = probe
    self.filter = filter
    self.notifier = notifier
    self.hooks = hooks
    self.sleep = sleep
    self.monotonicNow = monotonicNow
  }
}
