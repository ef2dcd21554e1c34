/// Collects a format's output. Lines that go out unchanged are not copied one by one: adjacent kept lines are
/// merged into one run that is written straight from the input buffer.
public final class OutputWriter {
  private var sink: ByteSink
  private var runStart: UnsafePointer<UInt8>? = nil
  private var runCount = 0
  public private(set) var bytesWritten = 0
  /// The first write error; later writes are skipped and the driver rethrows it.
  public private(set) var failure: LogWardenError? = nil

  /// When set, every written line is rewritten as free text (the vendor profile for formats that do not apply
  /// pseudonyms column by column). Lines are reassembled from the pieces formats write.
  public var lineRewriter: IdentityRewriter? = nil
  private var pendingLine: [UInt8] = []
  private var rewritten: [UInt8] = []

  public init(sink: ByteSink) { self.sink = sink }

  /// Sends everything from now on to `sink` instead (the driver puts a render pipeline in front of the output before
  /// the first write).
  public func redirect(to sink: ByteSink) {
    flushRun()
    self.sink = sink
  }

  /// Keeps `count` input bytes at `base` (a line and its terminator) exactly as they are.
  public func keep(_ base: UnsafePointer<UInt8>, _ count: Int) {
    if lineRewriter != nil {
      feed(base, count)
      return
    }
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
    if lineRewriter != nil {
      bytes.withUnsafeBufferPointer { if let b = $0.baseAddress { feed(b, $0.count) } }
      return
    }
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
    if lineRewriter != nil {
      feed(base, count)
      return
    }
    flushRun()
    guard failure == nil, count > 0 else { return }
    do {
      try sink.write(UnsafeRawBufferPointer(start: base, count: count))
      bytesWritten += count
    } catch {
      failure = error
    }
  }

  /// Collects bytes into lines and writes each complete line rewritten.
  private func feed(_ base: UnsafePointer<UInt8>, _ count: Int) {
    var start = 0
    var i = 0
    while i < count {
      if base[i] == 0x0A {
        pendingLine.append(contentsOf: UnsafeBufferPointer(start: base + start, count: i + 1 - start))
        writeRewrittenLine()
        start = i + 1
      }
      i += 1
    }
    if start < count { pendingLine.append(contentsOf: UnsafeBufferPointer(start: base + start, count: count - start)) }
  }

  private func writeRewrittenLine() {
    guard let rewriter = lineRewriter else { return }
    var contentEnd = pendingLine.count
    if contentEnd > 0 && pendingLine[contentEnd - 1] == 0x0A { contentEnd -= 1 }
    if contentEnd > 0 && pendingLine[contentEnd - 1] == 0x0D { contentEnd -= 1 }
    rewritten.removeAll(keepingCapacity: true)
    pendingLine.withUnsafeBufferPointer { b in
      if let base = b.baseAddress { rewriter.rewriteText(base, contentEnd, into: &rewritten) }
    }
    rewritten.append(contentsOf: pendingLine[contentEnd...])
    pendingLine.removeAll(keepingCapacity: true)
    guard failure == nil else { return }
    do {
      try sink.write(rewritten)
      bytesWritten += rewritten.count
    } catch {
      failure = error
    }
  }

  /// Writes what is still pending at the end of input (a last line without a line break).
  public func finish() {
    flushRun()
    if lineRewriter != nil && !pendingLine.isEmpty { writeRewrittenLine() }
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
