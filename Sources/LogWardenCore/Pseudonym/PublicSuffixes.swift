/// Which trailing labels of a host name are public (kept as they are) rather than owned by someone.
///
/// Built from an embedded subset of the Public Suffix List (``topLevelDomainList``, ``secondLevelSuffixList``) plus
/// the special-use and private-use names that identify no one (`.local`, `.lan`, `.internal`, …).
enum PublicSuffixes {
  /// Special-use single labels kept as suffixes (RFC 6761, RFC 6762, common private-use names).
  static let specialSingleLabels: Set<[UInt8]> = Set(
    ["local", "lan", "internal", "test", "example", "invalid", "localdomain", "localhost", "arpa", "home"]
      .map { Array($0.utf8) })

  /// Special-use two-label suffixes.
  static let specialTwoLabels: Set<[UInt8]> = Set(["home.arpa", "in-addr.arpa", "ip6.arpa"].map { Array($0.utf8) })

  static let topLevelDomains: Set<[UInt8]> = Set(
    topLevelDomainList.split(whereSeparator: \.isWhitespace).map { Array($0.utf8) })

  static let secondLevelSuffixes: Set<[UInt8]> = Set(
    secondLevelSuffixList.split(whereSeparator: \.isWhitespace).map { Array($0.utf8) })

  /// How many trailing labels of the lower-cased `name` (labels split at dots) form its public suffix: 0, 1 or 2.
  static func suffixLabelCount(labels: [ArraySlice<UInt8>]) -> Int {
    guard let last = labels.last else { return 0 }
    if labels.count >= 2 {
      var twoLabels = Array(labels[labels.count - 2])
      twoLabels.append(0x2e)
      twoLabels.append(contentsOf: last)
      if secondLevelSuffixes.contains(twoLabels) || specialTwoLabels.contains(twoLabels) { return 2 }
    }
    let lastLabel = Array(last)
    if topLevelDomains.contains(lastLabel) || specialSingleLabels.contains(lastLabel) { return 1 }
    return 0
  }
}
