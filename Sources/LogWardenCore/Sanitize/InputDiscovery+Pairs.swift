/// An input unit of a run: one file, or the two halves of one rawlog connection.
public enum InputUnit: Sendable, Equatable {
  case single(InputFile)
  /// `received` is the `.in` file (what the server read), `sent` the `.out` file.
  case pair(received: InputFile, sent: InputFile)
}

extension InputDiscovery {
  /// Groups inputs into units: a `.in` and a `.out` file with the same rawlog-shaped name
  /// (`YYYYmmdd-HHMMSS.<pid>.<n>` or `[<ip>-]YYYYmmdd-HHMMSS-<pid>`, optionally `.gz`) in the same directory become
  /// one pair, in the position of the first of them; everything else stays single.
  public static func units(_ inputs: [InputFile]) -> [InputUnit] {
    var firstByStem: [String: Int] = [:]
    var pairOf = [Int?](repeating: nil, count: inputs.count)
    for (index, input) in inputs.enumerated() where input.path != "-" {
      guard let (stem, half) = RawlogNames.split(input.path), RawlogNames.isRawlogStem(stem) else { continue }
      if let other = firstByStem[stem] {
        if pairOf[other] == nil && RawlogNames.split(inputs[other].path)?.1 != half {
          pairOf[other] = index
          pairOf[index] = other
        }
      } else {
        firstByStem[stem] = index
      }
    }
    var result: [InputUnit] = []
    for (index, input) in inputs.enumerated() {
      guard let other = pairOf[index] else {
        result.append(.single(input))
        continue
      }
      if other < index { continue }
      let partner = inputs[other]
      if RawlogNames.split(input.path)?.1 == .received {
        result.append(.pair(received: input, sent: partner))
      } else {
        result.append(.pair(received: partner, sent: input))
      }
    }
    return result
  }
}
