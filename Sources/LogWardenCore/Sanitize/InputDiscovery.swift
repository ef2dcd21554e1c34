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

  /// Opens an input for reading, decompressing gzip transparently (by magic bytes, whatever the name).
  public static func open(_ input: InputFile) throws(LogWardenError) -> ByteSource {
    let raw: ByteSource =
      input.path == "-" ? FileDescriptorSource(descriptor: 0, name: "stdin") : try FileDescriptorSource(path: input.path)
    let sniffer = SniffingSource(upstream: raw)
    let head = try sniffer.peek(2)
    if head.count == 2 && head[0] == 0x1F && head[1] == 0x8B {
      return try GzipDecompressingSource(upstream: sniffer, name: input.path)
    }
    return sniffer
  }
}

/// A source that can look at its first bytes without losing them.
final class SniffingSource: ByteSource {
  private let upstream: ByteSource
  private var buffered: [UInt8] = []

  init(upstream: ByteSource) { self.upstream = upstream }

  func peek(_ count: Int) throws(LogWardenError) -> [UInt8] {
    var chunk = [UInt8](repeating: 0, count: count)
    while buffered.count < count {
      var failure: LogWardenError?
      let n = chunk.withUnsafeMutableBytes { raw -> Int in
        do throws(LogWardenError) { return try upstream.read(into: raw) } catch {
          failure = error
          return 0
        }
      }
      if let failure { throw failure }
      if n == 0 { break }
      buffered.append(contentsOf: chunk[0..<n])
    }
    return Array(buffered.prefix(count))
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    if !buffered.isEmpty {
      let n = min(buffer.count, buffered.count)
      buffered.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
      buffered.removeFirst(n)
      return n
    }
    return try upstream.read(into: buffer)
  }
}
