/// The grammar of archive file names: `<base>-<yyyyMMddTHHmmssZ>[-<n>]<ext><compression>`.
///
/// `base` and `ext` come from the source file (`RECV20250101-1` and `.LOG` for `RECV20250101-1.LOG`), the stamp is the
/// UTC end of the archived period, `-<n>` (n ≥ 1) makes a name unique when a stamp repeats, and the compression
/// extension is `.gz`, `.zst` or empty. Retention only deletes files whose names parse with this grammar *and* that are
/// recorded in its state.
public struct ArchiveName: Sendable, Equatable, Hashable {
  public var base: String
  /// Seconds since the epoch (UTC).
  public var stamp: Int64
  /// 0 when the name carries no `-<n>` suffix.
  public var sequence: Int
  /// The source's extension, with its dot (`.log`), or empty.
  public var logExtension: String
  /// `.gz`, `.zst`, or empty.
  public var compressionExtension: String

  public init(base: String, stamp: Int64, sequence: Int = 0, logExtension: String, compressionExtension: String) {
    self.base = base
    self.stamp = stamp
    self.sequence = sequence
    self.logExtension = logExtension
    self.compressionExtension = compressionExtension
  }

  /// The file name.
  public var fileName: String {
    base + "-" + UTCStamp.format(epochSeconds: stamp) + (sequence > 0 ? "-\(sequence)" : "") + logExtension
      + compressionExtension
  }

  /// The archive name for a source file name.
  public init(sourceFileName: String, stamp: Int64, compression: ArchiveCompression, sequence: Int = 0) {
    let (base, ext) = Self.split(sourceFileName)
    self.init(base: base, stamp: stamp, sequence: sequence, logExtension: ext, compressionExtension: compression.fileExtension)
  }

  /// Splits `name.ext` into `name` and `.ext` when the extension is 1–5 letters or digits; otherwise no extension.
  static func split(_ fileName: String) -> (base: String, ext: String) {
    guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return (fileName, "") }
    let ext = fileName[fileName.index(after: dot)...]
    guard (1...5).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
      return (fileName, "")
    }
    return (String(fileName[..<dot]), String(fileName[dot...]))
  }

  /// Parses a file name; nil unless it follows the grammar exactly.
  public static func parse(_ fileName: String) -> ArchiveName? {
    var rest = Substring(fileName)
    var compression = ""
    for candidate in [".gz", ".zst"] where rest.hasSuffix(candidate) {
      compression = candidate
      rest = rest.dropLast(candidate.count)
    }
    // Find the last "-<16-char stamp>" occurrence.
    let chars = Array(rest)
    var index = chars.count - 16
    while index >= 2 {
      if chars[index - 1] == "-", chars[index + 15] == "Z", chars[index + 8] == "T",
        let stamp = UTCStamp.parse(Substring(String(chars[index..<(index + 16)])))
      {
        let base = String(chars[0..<(index - 1)])
        var tail = Substring(String(chars[(index + 16)...]))
        var sequence = 0
        if tail.first == "-" {
          let digits = tail.dropFirst().prefix { $0.isASCII && $0.isNumber }
          guard !digits.isEmpty, digits.first != "0", let n = Int(digits), n > 0 else { return nil }
          sequence = n
          tail = tail.dropFirst(1 + digits.count)
        }
        let ext = String(tail)
        if !ext.isEmpty {
          guard ext.first == ".", (2...6).contains(ext.count),
            ext.dropFirst().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
          else { return nil }
        }
        guard !base.isEmpty else { return nil }
        let name = ArchiveName(base: base, stamp: stamp, sequence: sequence, logExtension: ext, compressionExtension: compression)
        return name.fileName == fileName ? name : nil
      }
      index -= 1
    }
    return nil
  }
}

/// Names of the engine's own transient files, so that they are never mistaken for logs or archives.
enum TransientName {
  static let temporaryMarker = ".logwarden-tmp-"
  static let stagingMarker = ".logwarden-rotated-"

  /// `.<final>.logwarden-tmp-<token>`, next to the final archive.
  static func temporary(forFinal finalName: String, token: String) -> String { "." + finalName + temporaryMarker + token }

  /// `.<live>.logwarden-rotated-<stamp>`, next to the live file (same filesystem, so `rename` is atomic).
  static func staged(liveName: String, stamp: Int64) -> String {
    "." + liveName + stagingMarker + UTCStamp.format(epochSeconds: stamp)
  }

  /// The live file name and stamp of a staged (renamed) file.
  static func parseStaged(_ name: String) -> (liveName: String, stamp: Int64)? {
    guard name.hasPrefix("."), let marker = name.range(of: stagingMarker) else { return nil }
    let live = String(name[name.index(after: name.startIndex)..<marker.lowerBound])
    let rest = name[marker.upperBound...]
    guard !live.isEmpty, let stamp = UTCStamp.parse(rest.prefix(16)) else { return nil }
    return (live, stamp)
  }

  static func isStaged(_ name: String) -> Bool { parseStaged(name) != nil }

  static func isTransient(_ name: String) -> Bool {
    name.contains(temporaryMarker) || name.contains(stagingMarker)
  }

  static func isTemporary(_ name: String) -> Bool { name.hasPrefix(".") && name.contains(temporaryMarker) }
}
