/// Collects a format's output. Lines that go out unchanged are not copied one by one: adjacent kept lines are
/// merged into one run that is written straight from the input buffer.
public final class OutputWriter {
  private let sink: ByteSink
  private var runStart: UnsafePointer<UInt8>? = nil
  private var runCount = 0
  public private(set) var bytesWritten = 0
  /// The first write error; later writes are skipped and the driver rethrows it.
  public private(set) var failure: LogWardenError? = nil

  public init(sink: ByteSink) { self.sink = sink }

  /// Keeps `count` input bytes at `base` (a line and its terminator) exactly as they are.
  public func keep(_ base: UnsafePointer<UInt8>, _ count: Int) {
    if let start = runStart, start + runCount == base {
      runCount += count
      return
    }
    flushRun()
    runStart = base
    runCount = count
  }

  /// Appends new bytes after whatever was kept so far.
  public func append(_ bytes: [UInt8]) {
    flushRun()
    guard failure == nil, !bytes.isEmpty else { return }
    do {
      try sink.write(bytes)
      bytesWritten += bytes.count
    } catch {
      failure = error
    }
  }

  /// Appends bytes from a buffer.
  public func append(_ base: UnsafePointer<UInt8>, _ count: Int) {
    flushRun()
    guard failure == nil, count > 0 else { return }
    do {
      try sink.write(UnsafeRawBufferPointer(start: base, count: count))
      bytesWritten += count
    } catch {
      failure = error
    }
  }

  /// Writes the pending run. Must be called before the input buffer it points into is reused.
  public func flushRun() {
    guard let start = runStart else { return }
    runStart = nil
    let count = runCount
    runCount = 0
    guard failure == nil, count > 0 else { return }
    do {
      try sink.write(UnsafeRawBufferPointer(start: start, count: count))
      bytesWritten += count
    } catch {
      failure = error
    }
  }
}
