/// Sanitizes one input stream into one output stream. (Skeleton: implementation lands with the sanitizer core.)
public struct Sanitizer: Sendable {
  public var options: SanitizeOptions
  public init(options: SanitizeOptions) { self.options = options }

  /// Reads `source` to its end, writes the sanitized form to `sink` (and finishes it), and reports what was done.
  /// `name` is the input's path or file name: used for format detection by name and in messages only.
  public func sanitize(source: ByteSource, sink: ByteSink, name: String) throws(LogWardenError) -> FileReport {
    throw LogWardenError.usage("sanitizer not implemented yet")
  }
}
