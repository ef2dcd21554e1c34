import Testing
@testable import LogWardenCore

/// Runs a `C:`/`S:` transcript through the engine and renders it the way every format does.
func runTranscript(_ proto: MailProtocol, _ input: [String], profile: SanitizeProfile = .level4, isStart: Bool = true)
  -> [String]
{
  let engine = ProtocolEngine(defaultProtocol: proto)
  var output: [String] = []
  let drop = profile.dropsBodies
  for text in input {
    let direction: Direction = text.hasPrefix("C: ") ? .client : .server
    let prefix = String(text.prefix(3))
    var bytes = Array(text.utf8.dropFirst(3))
    bytes.append(0)  // keep a valid base pointer for empty lines
    bytes.withUnsafeBufferPointer { buffer in
      let line = ByteLine(base: buffer.baseAddress!, count: buffer.count - 1)
      let verdict = engine.process(session: 1, isStart: isStart, direction: direction, line: line)
      if drop, let ended = verdict.bodyEnded {
        output.append(String(decoding: BodyMarker.text(ended), as: UTF8.self))
      }
      if drop && verdict.isBody { return }
      var out: [UInt8] = []
      verdict.render(line, dropBodies: drop, into: &out)
      output.append(prefix + String(decoding: out, as: UTF8.self))
    }
  }
  if drop {
    for open in engine.drainOpenBodies() {
      output.append(String(decoding: BodyMarker.text(open.body), as: UTF8.self))
    }
  }
  return output
}

struct RuleExampleTests {
  @Test(arguments: BuiltinRules.all.map { $0.identifier })
  func examplesHold(_ identifier: String) {
    let rule = BuiltinRules.all.first { $0.identifier == identifier }!
    #expect(!rule.examples.isEmpty, "\(rule.identifier) has no examples")
    for example in rule.examples {
      let actual = runTranscript(example.proto, example.input, profile: example.profile)
      #expect(actual == example.expected, "\(rule.identifier) example at line \(example.line)")
    }
  }

  @Test func identifiersAreUniqueKebabCase() {
    let ids = BuiltinRules.all.map { $0.identifier }
    #expect(Set(ids).count == ids.count)
    for id in ids {
      #expect(id.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(id)")
    }
  }
}
