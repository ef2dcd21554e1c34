import Foundation

/// Sanitizes one input stream into one output stream: detects the format, streams the lines through it, reports.
/// The UTF-8 byte-order mark.
enum ByteOrderMark {
  static let utf8: [UInt8] = [0xEF, 0xBB, 0xBF]
}

public struct Sanitizer: Sendable {
  public var options: SanitizeOptions
  public init(options: SanitizeOptions) { self.options = options }

  /// Reads `source` to its end, writes the sanitized form to `sink` (and finishes it), and reports what was done.
  /// `name` is the input's path or file name: used for format detection by name and in messages only.
  public func sanitize(source rawSource: ByteSource, sink: ByteSink, name: String) throws(LogWardenError) -> FileReport {
    let fileName = name.split(separator: "/").last.map(String.init) ?? name
    // UTF-16 (as Windows tools save logs) is read as UTF-8, CR line endings as LF: otherwise no rule would see a
    // command in it, or the whole file would be one line.
    let (source, notes) = try InputOpener.normalizingText(rawSource)
    // Reading and writing go to the other core, except under the vendor profile, whose render thread has it.
    let overlapped: OverlappedIO? =
      options.overlapsIO && !options.profile.pseudonymizes && ProcessInfo.processInfo.activeProcessorCount > 1
      ? OverlappedIO(source: source, sink: sink, readSize: options.overlapReadSize) : nil
    // On an error the I/O thread stops writing before the sink goes away; after `finish` this does nothing.
    defer { overlapped?.abandon() }
    let output = OutputWriter(sink: overlapped ?? sink)
    var format: (any LogFormat)? = nil
    var context: FormatContext? = nil
    let requested: (any LogFormat.Type)?
    if let formatName = options.formatName, formatName != "auto" {
      guard let type = BuiltinFormats.named(formatName) else { throw .unknownFormat(formatName) }
      requested = type
    } else {
      requested = nil
    }
    let profile = options.profile
    var identities: IdentityRewriter? = nil
    if profile.pseudonymizes {
      guard let keys = options.pseudonymKeys else {
        throw .usage("the vendor profile needs a pseudonym key: create one with 'logwarden keygen' and pass --key FILE")
      }
      identities = IdentityRewriter(
        pseudonymizer: Pseudonymizer(keys: keys, options: options.pseudonymOptions, ledger: options.ledger))
    }

    var pipeline: DeferredRowPipeline? = nil
    // On an error the render thread is stopped before the sink goes away; after `finish` this does nothing.
    defer { pipeline?.abandon() }

    func start(_ rawHead: UnsafeRawBufferPointer) throws(LogWardenError) {
      var warnings = notes
      // Formats never see a byte-order mark (see `line`): nor does their detection.
      let head = rawHead.starts(with: ByteOrderMark.utf8) ? UnsafeRawBufferPointer(rebasing: rawHead[3...]) : rawHead
      var type = requested ?? BuiltinFormats.detect(head: head, fileName: fileName)
      if type == nil {
        type = BuiltinFormats.fallback
        if head.count > 0 {
          warnings.append(
            profile.dropsBodies
              ? "format not recognised; credentials masked line by line with the generic fallback, message bodies not recognised and kept"
              : "format not recognised; sanitized with the generic fallback")
        }
      }
      var report = FileReport(path: name, format: type!.name)
      report.warnings = warnings
      let ctx = FormatContext(profile: profile, output: output, report: report, fileName: fileName, identities: identities)
      if identities != nil && !type!.rewritesIdentities { output.lineRewriter = identities }
      if identities != nil && type!.rewritesIdentities && options.rendersOnSecondCore
        && ProcessInfo.processInfo.activeProcessorCount > 1
      {
        let renderPipeline = DeferredRowPipeline(sink: sink)
        output.redirect(to: renderPipeline)
        ctx.renderPipeline = renderPipeline
        pipeline = renderPipeline
      }
      context = ctx
      format = type!.init(context: ctx)
    }

    var linesRead = 0
    var bytesRead = 0
    var atFirstLine = true
    let line = { (line: ByteLine, terminator: LineTerminator) in
      linesRead += 1
      bytesRead += line.count + terminator.length
      context!.lastTerminator = terminator
      if atFirstLine {
        atFirstLine = false
        if line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
          // The byte-order mark goes out as it came, ahead of anything the format writes; the format reads its
          // first line without it, like every other line.
          output.keep(line.base, 3)
          output.flushRun()
          format!.process(ByteLine(base: line.base + 3, count: line.count - 3), terminator)
          return
        }
      }
      format!.process(line, terminator)
    }
    let overlong = { (prefix: ByteLine, length: Int) in
      linesRead += 1
      bytesRead += length
      format!.overlong(prefix: prefix, length: length)
    }
    if let overlapped {
      try overlapped.run(firstChunk: start, line: line, overlong: overlong, chunkDone: { output.flushRun() })
    } else {
      try LineReader().run(
        source: source, firstChunk: start, line: line, overlong: overlong, chunkDone: { output.flushRun() })
    }
    guard let format, let context else { throw .badInput(path: name, reason: "no input") }
    format.finish()
    output.finish()
    if let failure = output.failure { throw failure }
    try overlapped?.finish()
    // Wait for the render thread: it owns the pseudonymizer (and its ledger) until then.
    try pipeline?.finish()
    if let identities { try identities.pseudonymizer.flushLedger() }
    try sink.finish()
    var report = context.report
    report.linesRead = linesRead
    report.bytesRead = bytesRead
    report.bytesWritten = pipeline?.bytesWritten ?? overlapped?.bytesWritten ?? output.bytesWritten
    format.counters.add(to: &report)
    identities?.add(to: &report)
    return report
  }
}
