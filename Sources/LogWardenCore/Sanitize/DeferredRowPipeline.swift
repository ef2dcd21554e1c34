import Foundation

/// Turns a deferred row into output bytes. Runs on the pipeline's worker thread, which owns the renderer (and the
/// pseudonymizer behind it) while the pipeline runs.
public protocol DeferredRowRenderer: AnyObject {
  /// Appends the row's output (without its line ending) to `out`.
  func render(_ row: DeferredRow, _ pieces: DeferredRowPieces, into out: inout [UInt8])
}

/// A row a format hands on instead of writing it: its input bytes and what the format decided about them.
/// The byte pieces live in the batch's arena; `tag` and `number` mean what the renderer says they mean.
public struct DeferredRow {
  public var terminator: LineTerminator
  public var tag: UInt8
  public var number: Int
  var rendererIndex: Int
  /// (offset in the arena, length) of up to four pieces; length -1: absent.
  var offsets: (Int, Int, Int, Int) = (0, 0, 0, 0)
  var lengths: (Int, Int, Int, Int) = (-1, -1, -1, -1)

  public init(terminator: LineTerminator, tag: UInt8, number: Int) {
    self.terminator = terminator
    self.tag = tag
    self.number = number
    self.rendererIndex = 0
  }
}

/// The byte pieces of a deferred row, as buffers valid during `render`.
public struct DeferredRowPieces {
  let base: UnsafePointer<UInt8>
  let row: DeferredRow

  /// Piece `index` (0–3), or nil when the format did not supply it.
  public subscript(index: Int) -> UnsafeBufferPointer<UInt8>? {
    let (offset, length): (Int, Int)
    switch index {
    case 0: (offset, length) = (row.offsets.0, row.lengths.0)
    case 1: (offset, length) = (row.offsets.1, row.lengths.1)
    case 2: (offset, length) = (row.offsets.2, row.lengths.2)
    default: (offset, length) = (row.offsets.3, row.lengths.3)
    }
    return length < 0 ? nil : UnsafeBufferPointer(start: base + offset, count: length)
  }
}

/// A second thread behind a format's output: the format keeps parsing and running the protocol state machines
/// while rows that need costly rendering (the vendor profile's pseudonyms) are rendered and written on the other
/// core. Output order is exactly the order of submission: raw bytes (this type is the `OutputWriter`'s sink) and
/// deferred rows travel in the same batches. Memory is bounded: at most `maxQueued` batches of ~1 MiB wait.
public final class DeferredRowPipeline: ByteSink, @unchecked Sendable {
  private enum Item {
    case raw(offset: Int, count: Int)
    case row(DeferredRow)
  }

  private final class Batch {
    /// Raw bytes and row pieces, back to back; grows for long rows.
    private(set) var arena: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    var items: [Item] = []
    var renderers: [DeferredRowRenderer] = []
    var isFinal = false

    init(capacity: Int) {
      self.capacity = capacity
      arena = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    deinit { arena.deallocate() }

    /// Copies `n` bytes from `p` to the end of the arena; returns their offset.
    @inline(__always) func store(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
      if count + n > capacity {
        let newCapacity = max(capacity * 2, count + n)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: arena, count: count)
        arena.deallocate()
        arena = grown
        capacity = newCapacity
      }
      let offset = count
      (arena + offset).update(from: p, count: n)
      count += n
      return offset
    }

    func reset() {
      count = 0
      items.removeAll(keepingCapacity: true)
      renderers.removeAll(keepingCapacity: true)
      isFinal = false
    }
  }

  private static let batchBytes = 1 << 20
  private static let batchItems = 16_384
  private static let maxQueued = 3

  private let sink: ByteSink
  private let condition = NSCondition()
  // Guarded by `condition`:
  private var queued: [Batch] = []
  private var spare: [Batch] = []
  private var workerFailure: LogWardenError? = nil
  private var workerDone = false
  private var written = 0
  // Producer-only:
  private var current = Batch(capacity: DeferredRowPipeline.batchBytes + (64 << 10))
  private var started = false
  private var finished = false

  /// Everything submitted ends up in `sink`, written by the worker thread.
  public init(sink: ByteSink) {
    self.sink = sink
  }

  private func startIfNeeded() {
    guard !started else { return }
    started = true
    let thread = Thread { [self] in self.run() }
    thread.name = "logwarden-render"
    thread.start()
  }

  /// Raw bytes, written as they are, in order with the rows around them.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    if let failure = currentFailure() { throw failure }
    guard bytes.count > 0, let base = bytes.bindMemory(to: UInt8.self).baseAddress else { return }
    let batch = current
    let offset = batch.store(base, bytes.count)
    batch.items.append(.raw(offset: offset, count: bytes.count))
    handOffIfFull(batch)
  }

  /// A row to render on the worker with `renderer`, from up to four byte pieces (nil: absent).
  public func submit(
    _ row: DeferredRow, renderer: DeferredRowRenderer,
    _ p0: UnsafeBufferPointer<UInt8>?, _ p1: UnsafeBufferPointer<UInt8>? = nil,
    _ p2: UnsafeBufferPointer<UInt8>? = nil, _ p3: UnsafeBufferPointer<UInt8>? = nil
  ) {
    let batch = current
    var row = row
    if batch.renderers.last !== renderer { batch.renderers.append(renderer) }
    row.rendererIndex = batch.renderers.count - 1
    @inline(__always) func store(_ piece: UnsafeBufferPointer<UInt8>?) -> (Int, Int) {
      guard let piece else { return (0, -1) }
      guard let base = piece.baseAddress, piece.count > 0 else { return (0, 0) }
      return (batch.store(base, piece.count), piece.count)
    }
    let s0 = store(p0)
    let s1 = store(p1)
    let s2 = store(p2)
    let s3 = store(p3)
    row.offsets = (s0.0, s1.0, s2.0, s3.0)
    row.lengths = (s0.1, s1.1, s2.1, s3.1)
    batch.items.append(.row(row))
    handOffIfFull(batch)
  }

  /// Hands the last batch over, waits for the worker to write everything, and rethrows its first write error.
  /// Does not finish the sink itself.
  public func finish() throws(LogWardenError) {
    guard !finished else { return }
    finished = true
    if started || !current.items.isEmpty { handOverFinalBatch() }
    if let failure = currentFailure() { throw failure }
  }

  /// Stops the worker without waiting for queued output to matter (error paths). Safe to call after `finish`.
  public func abandon() {
    guard !finished else { return }
    finished = true
    guard started else { return }
    condition.lock()
    queued.removeAll()
    condition.unlock()
    current.reset()
    handOverFinalBatch()
  }

  /// Sends `current` as the last batch and waits until the worker has written it and exited.
  private func handOverFinalBatch() {
    startIfNeeded()
    current.isFinal = true
    enqueue(current)
    condition.lock()
    while !workerDone { condition.wait() }
    condition.unlock()
  }

  /// Bytes the worker wrote to the sink (raw and rendered). Complete after `finish`.
  public var bytesWritten: Int {
    condition.lock()
    defer { condition.unlock() }
    return written
  }

  private func currentFailure() -> LogWardenError? {
    guard started else { return nil }
    condition.lock()
    defer { condition.unlock() }
    return workerFailure
  }

  @inline(__always) private func handOffIfFull(_ batch: Batch) {
    guard batch.count >= Self.batchBytes || batch.items.count >= Self.batchItems else { return }
    handOff()
  }

  private func handOff() {
    startIfNeeded()
    enqueue(current)
    condition.lock()
    current = spare.popLast() ?? Batch(capacity: Self.batchBytes + (64 << 10))
    condition.unlock()
  }

  private func enqueue(_ batch: Batch) {
    condition.lock()
    while queued.count >= Self.maxQueued { condition.wait() }
    queued.append(batch)
    condition.broadcast()
    condition.unlock()
  }

  private func run() {
    var out: [UInt8] = []
    var failed = false
    while true {
      condition.lock()
      while queued.isEmpty { condition.wait() }
      let batch = queued.removeFirst()
      condition.broadcast()
      condition.unlock()
      if !failed {
        do throws(LogWardenError) {
          let count = try write(batch, scratch: &out)
          condition.lock()
          written += count
          condition.unlock()
        } catch {
          failed = true
          condition.lock()
          workerFailure = error
          condition.unlock()
        }
      }
      let isFinal = batch.isFinal
      batch.reset()
      condition.lock()
      if spare.count < Self.maxQueued { spare.append(batch) }
      if isFinal { workerDone = true }
      condition.broadcast()
      condition.unlock()
      if isFinal { return }
    }
  }

  /// Writes one batch in order; returns the number of bytes written.
  private func write(_ batch: Batch, scratch out: inout [UInt8]) throws(LogWardenError) -> Int {
    let base = UnsafePointer(batch.arena)
    var total = 0
    // Rows of one layout share a renderer: fetch it when the index changes, not per row.
    var rendererIndex = -1
    var renderer: DeferredRowRenderer? = nil
    for item in batch.items {
        switch item {
        case .raw(let offset, let count):
          try sink.write(UnsafeRawBufferPointer(start: base + offset, count: count))
          total += count
        case .row(let row):
          out.removeAll(keepingCapacity: true)
          if row.rendererIndex != rendererIndex {
            rendererIndex = row.rendererIndex
            renderer = batch.renderers[rendererIndex]
          }
          renderer!.render(row, DeferredRowPieces(base: base, row: row), into: &out)
          switch row.terminator {
          case .none: break
          case .lf: out.append(0x0A)
          case .crlf:
            out.append(0x0D)
            out.append(0x0A)
          }
          try sink.write(out)
          total += out.count
        }
    }
    return total
  }
}
