/// Series of files that a writer rolls itself (`closed` mode): names that are equal once every run of digits is
/// replaced by `#` — `RECV20250101-1.LOG` and `RECV20250102-3.LOG` are one series (`RECV#-#.LOG`), `L0000001.log` and
/// `L0000002.log` another. Within a series files are ordered by their numbers (compared numerically, left to right),
/// then by modification time; the last one is the file being written and is never archived.
enum FileSeries {
  struct Key: Hashable { var pattern: String }

  static func key(of name: String) -> Key {
    var out = ""
    var inDigits = false
    for ch in name {
      if ch.isASCII && ch.isNumber {
        if !inDigits { out.append("#") }
        inDigits = true
      } else {
        out.append(ch)
        inDigits = false
      }
    }
    return Key(pattern: out)
  }

  static func numbers(in name: String) -> [UInt64] {
    var result: [UInt64] = []
    var current: UInt64? = nil
    for ch in name {
      if ch.isASCII, let d = ch.wholeNumberValue {
        let (m, o1) = (current ?? 0).multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(d))
        current = (o1 || o2) ? UInt64.max : a
      } else if let c = current {
        result.append(c)
        current = nil
      }
    }
    if let c = current { result.append(c) }
    return result
  }

  /// Whether `a` comes before `b` in their series.
  static func precedes(_ a: LiveFile, _ b: LiveFile) -> Bool {
    let na = numbers(in: a.name)
    let nb = numbers(in: b.name)
    if na != nb { return na.lexicographicallyPrecedes(nb) }
    if a.status.modified != b.status.modified { return a.status.modified < b.status.modified }
    return a.name < b.name
  }

  /// Groups files into series, each sorted oldest first.
  static func group(_ files: [LiveFile]) -> [[LiveFile]] {
    var groups: [Key: [LiveFile]] = [:]
    var order: [Key] = []
    for file in files {
      let key = key(of: file.name)
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(file)
    }
    return order.map { groups[$0]!.sorted(by: precedes) }
  }
}
