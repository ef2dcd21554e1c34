import Foundation
import Testing
@testable import LogWardenCore

func copytruncateSet(collapse: Bool = true) -> String {
  """
    postfix:
      directory: $LOGS
      glob: "mail.log"
      rotation:
        mode: copytruncate
        size: 1
        collapse: \(collapse)
  """
}

/// `count` numbered lines of exactly 16 bytes (`line 0000000001\n`): 256 per 4 KiB block.
func numberedLines(_ range: Range<Int>) -> String {
  range.map { i -> String in
    let n = String(i)
    return "line " + String(repeating: "0", count: 10 - n.count) + n + "\n"
  }.joined()
}

@Suite struct CopyTruncateTests {
  @Test func collapseArchivesABlockAlignedPrefixAndKeepsTheRest() throws {
    let h = try Harness(sets: copytruncateSet())
    let text = numberedLines(0..<1000)  // 16000 bytes: 3 whole blocks + 3712 bytes
    Files.write(h.logs + "/mail.log", text)
    let report = try h.run(at: T0)
    let action = try #require(report.sets[0].actions.first)
    #expect(action.outcome == .done, "\(action)")
    #expect(action.method == "collapse")
    try #require(h.archiveNames().count == 1)
    let archived = try Files.decompress(h.archives + "/" + h.archiveNames()[0])
    #expect(archived == numberedLines(0..<768))  // 12288 bytes = 3 blocks
    #expect(Files.read(h.logs + "/mail.log") == numberedLines(768..<1000))
    #expect(try h.allLines(live: [h.logs + "/mail.log"]) == numberedLines(0..<1000).split(separator: "\n").map(String.init))
  }

  @Test func noBlockAlignedLineEndMeansNothingIsRotated() throws {
    let h = try Harness(sets: copytruncateSet())
    let line = String(repeating: "x", count: 5000) + "\n"
    Files.write(h.logs + "/mail.log", line)
    let report = try h.run(at: T0)
    #expect(report.sets[0].actions.first?.outcome == .skipped)
    #expect(Files.read(h.logs + "/mail.log") == line)
    #expect(h.archiveNames().isEmpty)
  }

  @Test func truncateMethodCopiesEverythingThenTruncates() throws {
    let h = try Harness(sets: copytruncateSet(collapse: false))
    Files.write(h.logs + "/mail.log", numberedLines(0..<100))
    let report = try h.run(at: T0)
    let action = try #require(report.sets[0].actions.first)
    #expect(action.outcome == .done)
    #expect(action.method == "truncate")
    #expect(action.bytesAtRisk == 0)
    #expect(try Files.decompress(h.archives + "/" + h.archiveNames()[0]) == numberedLines(0..<100))
    #expect(Files.read(h.logs + "/mail.log") == "")
  }

  @Test func collapseFallsBackToTruncateWhereUnsupported() throws {
    let h = try Harness(sets: copytruncateSet())
    h.fileSystem.collapseDisabled = true
    Files.write(h.logs + "/mail.log", numberedLines(0..<10))
    let report = try h.run(at: T0)
    #expect(report.sets[0].actions.first?.method == "truncate")
    #expect(try Files.decompress(h.archives + "/" + h.archiveNames()[0]) == numberedLines(0..<10))
  }

  /// logrotate #363/#286: a writer without O_APPEND leaves a NUL hole at the start of a truncated file.
  @Test(arguments: [true, false])
  func theNulHoleOfAWriterWithoutAppendIsSkipped(collapse: Bool) throws {
    let h = try Harness(sets: copytruncateSet(collapse: collapse))
    let path = h.logs + "/mail.log"
    let fd = open(path, O_WRONLY | O_CREAT, 0o640)
    let lines = numberedLines(0..<512)  // 8192 bytes after an 8192-byte hole
    _ = lines.utf8CString.withUnsafeBufferPointer { pwrite(fd, $0.baseAddress, 8192, 8192) }
    close(fd)
    let report = try h.run(at: T0)
    let action = try #require(report.sets[0].actions.first)
    #expect(action.outcome == .done, "\(action.error ?? "")")
    #expect(action.nulBytesDropped == 8192)
    try #require(h.archiveNames().count == 1)
    let archived = try Files.decompress(h.archives + "/" + h.archiveNames()[0])
    #expect(!archived.contains("\0"))
    // collapse keeps the last partial block in the live file; truncate archives everything.
    #expect(archived + (Files.read(path) ?? "") == lines)
    #expect(archived == (collapse ? numberedLines(0..<256) : lines))
  }
}
