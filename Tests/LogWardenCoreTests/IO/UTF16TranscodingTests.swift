import Testing
@testable import LogWardenCore

/// UTF-16 inputs (PowerShell's default) are read as UTF-8, so the rules see their commands; CR line endings as LF.
struct UTF16TranscodingTests {
  static let sample = "#Log-type: SMTP Receive Protocol Log\r\nÄrger,€,😀 \u{10FFFF} end\r\n"

  func encode(_ text: String, _ order: UTF16TranscodingSource.ByteOrder, bom: Bool) -> [UInt8] {
    var bytes: [UInt8] = []
    for unit in ((bom ? "\u{FEFF}" : "") + text).utf16 {
      let pair = order == .littleEndian ? [UInt8(unit & 0xFF), UInt8(unit >> 8)] : [UInt8(unit >> 8), UInt8(unit & 0xFF)]
      bytes += pair
    }
    return bytes
  }

  func drain(_ source: ByteSource, readSize: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: readSize)
    while true {
      let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
      if n == 0 { return result }
      result += buffer[0..<n]
    }
  }

  @Test(arguments: [UTF16TranscodingSource.ByteOrder.littleEndian, .bigEndian])
  func transcodesEveryPlaneWhateverTheChunkBoundaries(order: UTF16TranscodingSource.ByteOrder) throws {
    let text = String(repeating: Self.sample, count: 50)
    for chunk in [1, 2, 3, 5, 4096] {
      let (source, notes) = try InputOpener.normalizingText(
        MemorySource(encode(text, order, bom: true), maxChunk: chunk))
      #expect(notes == ["input is \(order.rawValue); sanitized and written as UTF-8"])
      #expect(try drain(source, readSize: 7) == Array(("\u{FEFF}" + text).utf8))
    }
  }

  @Test func withoutBOMTheNULPatternTells() throws {
    let text = String(repeating: "2023-01-11T15:59:51.433Z,MX1,AUTH PLAIN x\r\n", count: 3)
    #expect(UTF16TranscodingSource.sniff(encode(text, .littleEndian, bom: false)) == .littleEndian)
    #expect(UTF16TranscodingSource.sniff(encode(text, .bigEndian, bom: false)) == .bigEndian)
    #expect(UTF16TranscodingSource.sniff(Array(text.utf8)) == nil)
    // Binary with NULs here and there is not UTF-16.
    #expect(UTF16TranscodingSource.sniff((0..<512).map { UInt8(truncatingIfNeeded: $0 * 7 % 5 == 0 ? 0 : $0) }) == nil)
  }

  @Test func brokenSurrogatesAndALoneLastByteBecomeReplacementCharacters() throws {
    // "a", lone high surrogate, "b", lone low surrogate, then half a code unit.
    let bytes: [UInt8] = [0xFF, 0xFE, 0x61, 0x00, 0x00, 0xD8, 0x62, 0x00, 0x00, 0xDC, 0x63]
    let (source, _) = try InputOpener.normalizingText(MemorySource(bytes, maxChunk: 3))
    #expect(try drain(source, readSize: 64) == Array("\u{FEFF}a\u{FFFD}b\u{FFFD}\u{FFFD}".utf8))
  }

  @Test func crLineEndingsAreReadAsLines() throws {
    let log = "May  1 10:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]\r"
      + "May  1 10:00:01 mx postfix/smtpd[1]: < a[192.0.2.1]: AUTH PLAIN AHVzZXIAV2ludGVyMjAyNCE=\r"
    let sink = MemorySink()
    let report = try Sanitizer(options: SanitizeOptions(profile: .credentials)).sanitize(
      source: MemorySource(Array(log.utf8), maxChunk: 7), sink: sink, name: "maillog")
    let text = String(decoding: sink.bytes, as: UTF8.self)
    #expect(!text.contains("AHVzZXIAV2ludGVyMjAyNCE="))
    #expect(text.components(separatedBy: "\n").count == 3)
    #expect(report.linesRead == 2 && report.totalCredentialsMasked == 1)
    #expect(report.warnings.contains("input has CR line endings; read and written with LF"))
    // CRLF and LF files are left alone.
    #expect(!CRLineEndingSource.sniff(Array("a\r\nb\r\n".utf8)) && !CRLineEndingSource.sniff(Array("a\nb".utf8)))
  }

  @Test func aUTF16ExchangeLogIsSanitizedLikeItsUTF8Form() throws {
    let log = """
      #Log-type: SMTP Receive Protocol Log\r
      #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r
      2023-01-11T15:59:51.433Z,MX1,123453EC62278461,0,192.0.2.1:25,198.51.100.2:5000,+,,\r
      2023-01-11T15:59:52.000Z,MX1,123453EC62278461,1,192.0.2.1:25,198.51.100.2:5000,<,AUTH PLAIN AHVzZXIAV2ludGVyMjAyNCE=,\r

      """
    func run(_ bytes: [UInt8]) throws -> ([UInt8], FileReport) {
      let sink = MemorySink()
      let report = try Sanitizer(options: SanitizeOptions(profile: .credentials)).sanitize(
        source: MemorySource(bytes, maxChunk: 1000), sink: sink, name: "RECV2023011115-1.LOG")
      return (sink.bytes, report)
    }
    let (plain, plainReport) = try run(Array(log.utf8))
    let (wide, wideReport) = try run(encode(log, .littleEndian, bom: true))
    #expect(wide == Array("\u{FEFF}".utf8) + plain)
    #expect(!String(decoding: wide, as: UTF8.self).contains("AHVzZXIAV2ludGVyMjAyNCE="))
    #expect(wideReport.totalCredentialsMasked == 1 && plainReport.totalCredentialsMasked == 1)
    #expect(wideReport.warnings == ["input is UTF-16LE; sanitized and written as UTF-8"])
  }
}
