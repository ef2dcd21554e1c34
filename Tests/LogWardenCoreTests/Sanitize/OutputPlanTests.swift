import Foundation
import Testing
@testable import LogWardenCore

/// Outputs and the report are checked against the inputs and each other before anything is written.
struct OutputPlanTests {
  /// A directory holding `names` (each a small file), and its inputs as `--output-dir` would see them.
  func tree(_ names: [String]) throws -> (URL, [InputFile]) {
    let dir = try IOTestSupport.makeTemporaryDirectory()
    for name in names {
      let url = dir.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data("x\n".utf8).write(to: url)
    }
    return (dir, try InputDiscovery.expand([dir.path]))
  }

  /// The usage error `body` throws, as the user sees it, or nil when it passes.
  func message(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      #expect((error as? LogWardenError)?.exitStatus == 64)
      return "\(error)"
    }
  }

  @Test func plainAndGzipInputOfOneNameClashInTheirOwnDirectory() throws {
    let (dir, inputs) = try tree(["x.log", "x.log.gz"])
    let plan = OutputPlan.below(dir.path, inputs: inputs, gzip: false)
    #expect(plan.targets == [dir.path + "/x.log", dir.path + "/x.log"])
    let text = try #require(message { try plan.check(inputs: inputs, report: nil) })
    #expect(text.contains("would overwrite the input"))
  }

  @Test func gzipOutputOntoAGzipInputIsRefused() throws {
    let (dir, inputs) = try tree(["y.log.gz"])
    let text = try #require(message {
      try OutputPlan.below(dir.path, inputs: inputs, gzip: true).check(inputs: inputs, report: nil)
    })
    #expect(text.contains("y.log.gz"))
  }

  @Test func twoInputsMappedToOneOutputAreRefused() throws {
    let (a, inputsA) = try tree(["s/x.log"])
    let (b, inputsB) = try tree(["s/x.log.gz"])
    _ = b
    let out = a.appendingPathComponent("out").path
    let inputs = inputsA + inputsB
    let plan = OutputPlan(targets: inputs.map { OutputPlan.target(for: $0, below: out, gzip: false) })
    let text = try #require(message { try plan.check(inputs: inputs, report: nil) })
    #expect(text.contains("two outputs"))
  }

  @Test func reportOnAnInputOrOnTheOutputIsRefused() throws {
    let (dir, inputs) = try tree(["in.log"])
    let input = dir.path + "/in.log"
    #expect(message { try OutputPlan.single(nil, inputs: inputs).check(inputs: inputs, report: input) }?.contains("report") == true)
    let out = dir.path + "/out.log"
    let onOutput = message { try OutputPlan.single(out, inputs: inputs).check(inputs: inputs, report: out) }
    #expect(onOutput?.contains("report") == true)
  }

  @Test func aReportThatCannotBeWrittenStopsTheRunFirst() throws {
    let (dir, inputs) = try tree(["in.log"])
    let plan = OutputPlan.single(nil, inputs: inputs)
    let onDirectory = message { try plan.check(inputs: inputs, report: dir.path) }
    #expect(onDirectory?.contains("report is a directory") == true)
    do {
      try plan.check(inputs: inputs, report: dir.path + "/missing/report.json")
      Issue.record("a report in a missing directory was accepted")
    } catch {
      #expect((error as? LogWardenError)?.exitStatus == 74)
    }
  }

  @Test func clashThroughASymlinkedOrDottedDirectoryIsSeen() throws {
    let (dir, inputs) = try tree(["in.log"])
    let real = dir.appendingPathComponent("real").path
    try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: real)
    let plan = OutputPlan.single(dir.path + "/link/new/out.log", inputs: inputs)
    #expect(message { try plan.check(inputs: inputs, report: real + "/./new/../new/out.log") } != nil)
  }

  @Test func distinctOutputsAndStdoutPass() throws {
    let (dir, inputs) = try tree(["a.log", "b/a.log", "c.log.gz"])
    let out = dir.appendingPathComponent("out").path
    let plan = OutputPlan.below(out, inputs: inputs, gzip: false)
    #expect(message { try plan.check(inputs: inputs, report: out + "/report.json") } == nil)
    #expect(message { try OutputPlan.single("-", inputs: [inputs[0]]).check(inputs: [inputs[0]], report: nil) } == nil)
    // An output that replaces an earlier output of the same run (not an input) is still fine when names differ.
    #expect(plan.targets == [out + "/a.log", out + "/b/a.log", out + "/c.log"])
  }
}
