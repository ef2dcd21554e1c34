#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input to sanitize and where its output goes relative to an output directory.
public struct InputFile: Sendable, Equatable {
  /// The path to open, or `-` for stdin.
  public let path: String
  /// The path below the output directory (for a file argument: its name).
  public let relativePath: String
}

/// Expands command-line paths into input files: files as given, directories recursed (regular files only, sorted,
/// symlinks not followed), `-` for stdin.
public enum InputDiscovery {
  public static func expand(_ arguments: [String]) throws(LogWardenError) -> [InputFile] {
    var result: [InputFile] = []
    for argument in arguments {
      if argument == "-" {
        result.append(InputFile(path: "-", relativePath: "stdin"))
        continue
      }
      var st = stat()
      guard stat(argument, &st) == 0 else { throw .io(operation: "open", path: argument, errno: errno) }
      if (st.st_mode & S_IFMT) == S_IFDIR {
        var files: [String] = []
        try walk(argument, relative: "", into: &files)
        for relative in files.sorted() {
          let root = argument.hasSuffix("/") ? argument : argument + "/"
          result.append(InputFile(path: root + relative, relativePath: relative))
        }
      } else {
        let name = argument.split(separator: "/").last.map(String.init) ?? argument
        result.append(InputFile(path: argument, relativePath: name))
      }
    }
    return result
  }

  private static func walk(_ directory: String, relative: String, into files: inout [String]) throws(LogWardenError) {
    guard let dir = opendir(directory) else { throw .io(operation: "open directory", path: directory, errno: errno) }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      let full = directory.hasSuffix("/") ? directory + name : directory + "/" + name
      let rel = relative.isEmpty ? name : relative + "/" + name
      var st = stat()
      guard lstat(full, &st) == 0 else { continue }
      switch st.st_mode & S_IFMT {
      case S_IFDIR: try walk(full, relative: rel, into: &files)
      case S_IFREG: files.append(rel)
      default: continue  // symlinks, FIFOs, sockets, devices: never read
      }
    }
  }

  /// Opens an input for reading, decompressing gzip and zstd transparently (by magic bytes, whatever the name).
  public static func open(_ input: InputFile) throws(LogWardenError) -> ByteSource {
    input.path == "-" ? try InputOpener.openStandardInput(name: "stdin") : try InputOpener.openInput(path: input.path)
  }
}

