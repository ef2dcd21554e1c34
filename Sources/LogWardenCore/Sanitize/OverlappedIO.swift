import Foundation

/// A second thread for a pass's input and output: the source is read ahead into a few large slots while the lines of
/// the previous slot are processed, and the output is written behind. Reading and writing cost as much CPU as the
/// sanitizing itself (kernel copies, decompression, compression), so they run on the other core.
///
/// Kept lines are not copied: what `OutputWriter` keeps points into a slot, and a slot goes back to the reader only
/// after everything pointing into it has been written. New bytes (masked rows, markers) are copied into arenas that
/// travel the same ordered queue. Output order is exactly the order of `write` calls. Memory is bounded:
/// `slotCount` slots of `maxLineLength + readSize` bytes and `arenaCount` arenas.
///
/// An input that fits in the first slot (most files of a directory run) is read and written on the calling thread:
/// no thread is started and only that slot is allocated.
///
/// The processing side is single-threaded: `run` and `write` are called from one thread only.
public final class OverlappedIO: ByteSink, @unchecked Sendable {
  private final class Slot {
    /// `carryCapacity` bytes for an unfinished line carried over from the previous slot, then the read area.
    let memory: UnsafeMutablePointer<UInt8>
    let carryCapacity: Int
    let total: Int
    var count = 0
    var atEnd = false
    var failure: LogWardenError? = nil

    init(carryCapacity: Int, readCapacity: Int) {
      self.carryCapacity = carryCapacity
      total = carryCapacity + readCapacity
      memory = UnsafeMutablePointer<UInt8>.allocate(capacity: total)
    }
    deinit { memory.deallocate() }
    var readArea: UnsafeMutablePointer<UInt8> { memory + carryCapacity }
  }

  private final class Arena {
    let memory: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0
    init(capacity: Int) {
      self.capacity = capacity
      memory = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }
    deinit { memory.deallocate() }
  }

  private enum Item {
    case bytes(UnsafeRawPointer, Int)
    case releaseSlot(Slot)
    case releaseArena(Arena)
    case end
  }

  public let maxLineLength: Int
  public let readSize: Int
  private static let slotCount = 4
  private static let arenaCount = 3
  private static let arenaBytes = 1 << 20

  private let source: ByteSource
  private let sink: ByteSink

  private let condition = NSCondition()
  // Guarded by `condition`:
  private var emptySlots: [Slot] = []
  private var filledSlots: [Slot] = []
  private var spareArenas: [Arena] = []
  private var queue: [Item] = []
  private var readingStopped = false
  private var writeFailure: LogWardenError? = nil
  private var skipWrites = false
  private var performing = false
  private var threadDone = false
  private var written = 0
  // Processing side only:
  private var pending: [Item] = []
  /// The bytes queued last, still growing while writes follow each other in memory.
  private var runBase: UnsafeRawPointer? = nil
  private var runCount = 0
  /// Where the slots' memory lies, to tell kept bytes (queued by reference) from new ones (copied).
  private var slotRanges: [(UnsafeRawPointer, UnsafeRawPointer)] = []
  private var arena = Arena(capacity: 0)
  private var started = false
  private var ended = false

  /// Reads `source` and writes to `sink` (which it does not finish) on a second thread once `run` starts.
  public init(source: ByteSource, sink: ByteSink, maxLineLength: Int = 4 << 20, readSize: Int = 1 << 20) {
    self.source = source
    self.sink = sink
    self.maxLineLength = max(maxLineLength, 1024)
    self.readSize = readSize
  }

  private func makeSlot() -> Slot { Slot(carryCapacity: maxLineLength, readCapacity: readSize) }

  // MARK: Reading (same framing as `LineReader`)

  /// Reads the source to its end and hands out its lines, as `LineReader.run` does. `chunkDone` runs before the
  /// bytes of a slot are given back (an `OutputWriter` flushes its kept run there).
  public func run(
    firstChunk: (UnsafeRawBufferPointer) throws(LogWardenError) -> Void,
    line: (ByteLine, LineTerminator) -> Void,
    overlong: (ByteLine, Int) -> Void,
    chunkDone: () -> Void
  ) throws(LogWardenError) {
    // The first slot is filled here; only an input that does not fit in it gets the thread.
    var slot = makeSlot()
    try fillFirst(slot)
    if !slot.atEnd { start(first: slot) }
    var start = slot.readArea
    var end = slot.readArea + slot.count
    var sawFirst = false
    var skipping = false
    while true {
      let atEOF = slot.atEnd
      // Detection wants a real head (64 KiB, or all of a shorter input), as `LineReader` gives it.
      if !sawFirst && (atEOF || end - start >= min(65536, maxLineLength)) {
        sawFirst = true
        try firstChunk(UnsafeRawBufferPointer(start: start, count: end - start))
      }
      if sawFirst {
        start = LineFraming.handOutLines(
          from: start, to: end, maxLineLength: maxLineLength, skipping: &skipping, line: line, overlong: overlong)
        if atEOF {
          LineFraming.handOutLastLine(
            from: start, to: end, maxLineLength: maxLineLength, skipping: skipping, line: line, overlong: overlong)
          chunkDone()
          release(slot)
          return
        }
        if LineFraming.dropsUnfinished(
          from: start, to: end, maxLineLength: maxLineLength, skipping: &skipping, overlong: overlong)
        {
          start = end
        }
      }
      // Carry the unfinished line to the front of the next slot's read area.
      let next = try nextFilledSlot()
      let carried = end - start
      let nextStart = next.readArea - carried
      if carried > 0 { nextStart.update(from: start, count: carried) }
      chunkDone()
      release(slot)
      slot = next
      start = nextStart
      end = next.readArea + next.count
    }
  }

  /// Reads until the slot is full or the input ends.
  private func fillFirst(_ slot: Slot) throws(LogWardenError) {
    while slot.count < readSize {
      let n = try source.read(
        into: UnsafeMutableRawBufferPointer(start: slot.readArea + slot.count, count: readSize - slot.count))
      if n == 0 {
        slot.atEnd = true
        return
      }
      slot.count += n
    }
  }

  private func nextFilledSlot() throws(LogWardenError) -> Slot {
    condition.lock()
    while filledSlots.isEmpty && writeFailure == nil { condition.wait() }
    if let failure = writeFailure {
      condition.unlock()
      throw failure
    }
    let slot = filledSlots.removeFirst()
    condition.unlock()
    if let failure = slot.failure { throw failure }
    return slot
  }

  /// Gives a slot back once everything written so far (which may point into it) is out.
  private func release(_ slot: Slot) {
    guard started else { return }
    closeRun()
    pending.append(.releaseSlot(slot))
    publish()
  }

  // MARK: Writing

  public func write(_ bytes: UnsafeRawBufferPointer) throws(LogWardenError) {
    guard bytes.count > 0, let base = bytes.baseAddress else { return }
    guard started else {
      try sink.write(bytes)
      written += bytes.count
      return
    }
    for (low, high) in slotRanges where base >= low && base < high {
      append(base, bytes.count)
      return
    }
    var offset = 0
    while offset < bytes.count {
      if arena.count == arena.capacity { try switchArena() }
      let n = min(bytes.count - offset, arena.capacity - arena.count)
      let destination = arena.memory + arena.count
      UnsafeMutableRawPointer(destination).copyMemory(from: base + offset, byteCount: n)
      arena.count += n
      append(UnsafeRawPointer(destination), n)
      offset += n
    }
  }

  /// Queues `count` bytes at `base`, merged with the open run when they follow it in memory.
  @inline(__always) private func append(_ base: UnsafeRawPointer, _ count: Int) {
    if let runBase, runBase + runCount == base {
      runCount += count
      return
    }
    closeRun()
    runBase = base
    runCount = count
  }

  @inline(__always) private func closeRun() {
    guard let base = runBase else { return }
    pending.append(.bytes(base, runCount))
    runBase = nil
    runCount = 0
  }

  private func switchArena() throws(LogWardenError) {
    closeRun()
    pending.append(.releaseArena(arena))
    publish()
    condition.lock()
    while spareArenas.isEmpty && writeFailure == nil { condition.wait() }
    if let failure = writeFailure {
      condition.unlock()
      throw failure
    }
    arena = spareArenas.removeLast()
    condition.unlock()
    arena.count = 0
  }

  /// Hands the queued items to the I/O thread.
  private func publish() {
    guard !pending.isEmpty else { return }
    condition.lock()
    queue.append(contentsOf: pending)
    condition.broadcast()
    condition.unlock()
    pending.removeAll(keepingCapacity: true)
  }

  /// Waits until everything written is out and the I/O thread has stopped; rethrows its first write error. Does not
  /// finish the sink.
  public func finish() throws(LogWardenError) {
    guard !ended else { return }
    ended = true
    // Without the thread everything was written directly.
    guard started else { return }
    closeRun()
    pending.append(.end)
    publish()
    waitForThread()
    condition.lock()
    let failure = writeFailure
    condition.unlock()
    if let failure { throw failure }
  }

  /// Stops the I/O thread's writing without writing what is still queued (error paths): on return the sink is no
  /// longer touched. A read in progress (a pipe that stays silent) is not waited for; the thread ends after it, and
  /// holds the source (so its descriptor stays open) until then. Does nothing after `finish`.
  public func abandon() {
    guard !ended else { return }
    ended = true
    guard started else { return }
    condition.lock()
    skipWrites = true
    queue.append(.end)
    condition.broadcast()
    while performing { condition.wait() }
    condition.unlock()
  }

  /// Bytes written to the sink. Complete after `finish`.
  public var bytesWritten: Int {
    condition.lock()
    defer { condition.unlock() }
    return written
  }

  private func waitForThread() {
    condition.lock()
    while !threadDone { condition.wait() }
    condition.unlock()
  }

  // MARK: The I/O thread

  /// Allocates the other slots and the arenas and starts the thread; `first` is being processed.
  private func start(first: Slot) {
    guard !started else { return }
    started = true
    emptySlots = (1..<Self.slotCount).map { _ in makeSlot() }
    slotRanges = ([first] + emptySlots).map { (UnsafeRawPointer($0.memory), UnsafeRawPointer($0.memory + $0.total)) }
    arena = Arena(capacity: Self.arenaBytes)
    spareArenas = (1..<Self.arenaCount).map { _ in Arena(capacity: Self.arenaBytes) }
    let thread = Thread { [self] in self.ioLoop() }
    thread.name = "logwarden-io"
    thread.start()
  }

  /// Writes what is queued (oldest first), and reads into an empty slot whenever there is one.
  private func ioLoop() {
    var work: [Item] = []
    condition.lock()
    while true {
      if !queue.isEmpty {
        swap(&work, &queue)
        performing = !skipWrites
        condition.unlock()
        let finished = perform(work)
        work.removeAll(keepingCapacity: true)
        condition.lock()
        performing = false
        condition.broadcast()
        if finished { break }
        continue
      }
      if !readingStopped, let slot = emptySlots.popLast() {
        condition.unlock()
        fill(slot)
        condition.lock()
        if slot.atEnd || slot.failure != nil { readingStopped = true }
        filledSlots.append(slot)
        condition.broadcast()
        continue
      }
      condition.wait()
    }
    threadDone = true
    condition.broadcast()
    condition.unlock()
  }

  private func fill(_ slot: Slot) {
    slot.count = 0
    slot.atEnd = false
    do throws(LogWardenError) {
      let n = try source.read(into: UnsafeMutableRawBufferPointer(start: slot.readArea, count: readSize))
      slot.count = n
      slot.atEnd = n == 0
    } catch {
      slot.failure = error
    }
  }

  /// Performs queued items in order; returns true at the end marker. Runs without the lock except to give slots and
  /// arenas back.
  private func perform(_ items: [Item]) -> Bool {
    condition.lock()
    var writing = !skipWrites && writeFailure == nil
    condition.unlock()
    var count = 0
    /// Under the lock: adds the bytes written since the last call to `written`, then runs `action`.
    func giveBack(_ action: () -> Void) {
      condition.lock()
      written += count
      count = 0
      action()
      condition.unlock()
    }
    for item in items {
      switch item {
      case .bytes(let p, let n):
        guard writing else { continue }
        do throws(LogWardenError) {
          try sink.write(UnsafeRawBufferPointer(start: p, count: n))
          count += n
        } catch {
          writing = false
          condition.lock()
          writeFailure = error
          condition.unlock()
        }
      case .releaseSlot(let slot):
        giveBack { emptySlots.append(slot) }
      case .releaseArena(let arena):
        giveBack { spareArenas.append(arena) }
      case .end:
        giveBack {}
        return true
      }
    }
    giveBack {}
    return false
  }
}
