#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The temporary files being written right now, so that an interrupted run (Ctrl-C, `kill`, a hang-up) removes them
/// instead of leaving hidden `.name.logwarden-XXXXXX` files behind. The executable calls `removeAll` from its signal
/// handler; `AtomicFileWriter` registers and unregisters its temporary file.
public enum InterruptCleanup {
  private static let capacity = 256
  private static let lock = NSLock()
  /// C strings, written under `lock`, read without it by the signal handler (only `unlink` runs there).
  nonisolated(unsafe) private static let paths: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    slots.initialize(repeating: nil, count: capacity)
    return slots
  }()

  /// Remembers `path`; returns its slot for `unregister`, or nil when all slots are taken (the file is then only
  /// removed by the writer itself).
  static func register(_ path: String) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    for slot in 0..<capacity where paths[slot] == nil {
      paths[slot] = strdup(path)
      return slot
    }
    return nil
  }

  /// Forgets the path in `slot` (the file was renamed into place or removed).
  static func unregister(_ slot: Int) {
    lock.lock()
    defer { lock.unlock() }
    let path = paths[slot]
    paths[slot] = nil
    free(path)
  }

  /// Removes every registered file. Async-signal-safe: no locks, no allocation, only `unlink`.
  public static func removeAll() {
    for slot in 0..<capacity {
      if let path = paths[slot] { unlink(path) }
    }
  }
}
