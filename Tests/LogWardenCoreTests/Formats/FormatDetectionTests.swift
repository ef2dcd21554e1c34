import Foundation
import Testing
@testable import LogWardenCore

/// `BuiltinFormats.detect` must pick each fixture's own format from its head, and automatic detection must give the
/// same output as naming the format.
struct FormatDetectionTests {
  @Test(arguments: FormatFixture.all)
  func detectsTheFixtureFormat(_ fixture: FormatFixture) throws {
    let head = Array(fixture.input.prefix(65536))
    let detected = head.withUnsafeBytes { BuiltinFormats.detect(head: $0, fileName: fixture.fileName) }
    #expect(detected?.name == fixture.format)
    let auto = try FormatRunner.sanitize(fixture.input, format: nil, fileName: fixture.fileName)
    #expect(auto.report.format == fixture.format)
    let sameOutput = auto.output == fixture.expected(.level4)
    #expect(sameOutput, "automatic detection gives a different output")
  }

  static func detect(_ text: String, fileName: String = "x.log") -> String? {
    Array(text.utf8).withUnsafeBytes { BuiltinFormats.detect(head: $0, fileName: fileName)?.name }
  }

  @Test func exchangeCSVStaysExchangeCSV() {
    let csv = """
      #Software: Microsoft Exchange Server\r
      #Version: 15.0.0.0\r
      #Log-type: SMTP Receive Protocol Log\r
      #Date: 2023-01-11T16:00:04.113Z\r
      #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r
      2023-01-11T16:00:03.115Z,EX\\Default Frontend EX,123453EC62278461,12,10.0.0.1:25,192.0.2.7:56026,<,AUTH LOGIN,\r

      """
    #expect(Self.detect(csv, fileName: "RECV2023011116-1.LOG") == "exchange-csv")
  }

  @Test func plainTextIsNotClaimed() {
    #expect(Self.detect("hello world\nthis is not a mail log\n") == nil)
    #expect(Self.detect("") == nil)
  }

  @Test func httpW3CLogIsOnlyWeaklyClaimed() {
    let w3svc = """
      #Software: Microsoft Internet Information Services 10.0
      #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status
      2024-01-01 00:00:00 10.0.0.1 GET /index.html q=1 443 - 192.0.2.1 Mozilla/5.0 200

      """
    let score = Array(w3svc.utf8).withUnsafeBytes { IISW3CFormat.detect(head: $0, fileName: "u_ex240101.log") }
    #expect(score > 0 && score < 50)
  }

  @Test func exchange55FileNameHelps() {
    let line = "01/26/1998 17:34:05.003 <<< (TID:141): 1 NOOP\r\n"
    let named = Array(line.utf8).withUnsafeBytes { Exchange55PopImapFormat.detect(head: $0, fileName: "L0000001.log") }
    let other = Array(line.utf8).withUnsafeBytes { Exchange55PopImapFormat.detect(head: $0, fileName: "x.txt") }
    #expect(named > other)
  }
}
