/// Writes the lines of transcript-shaped formats, where each line is a framing prefix (timestamp, arrow, session id)
/// followed by one protocol line: asks the engine about the protocol text, keeps unchanged lines as they are, masks,
/// drops body lines and writes the body marker with the prefix of the body's first line, so the marker has the
/// format's own shape (`01/26/1998 17:34:05.003 >>> (TID:141): [logwarden: body removed: …]`).
///
/// Under the vendor profile every line it writes gets the pseudonyms (formats using it set `rewritesIdentities`):
/// client protocol text by position (`USER`/`APOP`/`LOGIN` names, `HELO` hosts) and then as free text, everything
/// else (framing, server text, markers) as free text.
final class ProtocolLineWriter {
  let context: FormatContext
  let engine: ProtocolEngine
  /// `context.identities`, without reference counting on the per-line path (the context keeps it alive).
  private unowned(unsafe) let identities: IdentityRewriter?
  private var out: [UInt8] = []
  private var identityOut: [UInt8] = []
  /// The line ending used for lines the writer adds when the input line has none (a truncated last line).
  private(set) var usualTerminator: LineTerminator = .lf
  /// The output so far ends with a line that had no line break.
  private var outputEndsOpen = false

  /// What happened to one line, for formats that attach continuation lines to it.
  struct Outcome {
    /// The line was message content.
    var isBody = false
    /// The protocol text was masked up to its end: a continuation of the same record belongs to the secret.
    var maskedToEnd = false
  }

  init(context: FormatContext, engine: ProtocolEngine) {
    self.context = context
    self.engine = engine
    self.identities = context.identities
  }

  // MARK: Plain output

  /// Copies a line the format did not analyse (the server's own information, a summary) unless it holds binary
  /// bytes: then it is masked from `textStart` on. `user` is where the line names a user (vendor profile).
  func keepText(_ line: ByteLine, _ terminator: LineTerminator, textStart: Int = 0, user: Range<Int>? = nil) {
    if line.containsControlBytes(from: textStart, to: line.count) {
      maskUnparsable(line, terminator, keepPrefix: textStart)
    } else if let identities, let user {
      identityOut.removeAll(keepingCapacity: true)
      identities.rewriteText(line.base, user.lowerBound, into: &identityOut)
      identities.rewriteUser(line.base + user.lowerBound, user.count, into: &identityOut)
      identities.rewriteText(line.base + user.upperBound, line.count - user.upperBound, into: &identityOut)
      note(terminator)
      context.emit(identityOut, terminator: terminator)
    } else {
      keep(line, terminator)
    }
  }

  /// Copies the line unchanged (with pseudonyms under the vendor profile).
  @inline(__always) func keep(_ line: ByteLine, _ terminator: LineTerminator) {
    if identities != nil {
      writeIdentities(line.base, line.count, textStart: line.count, clientText: false, terminator)
      return
    }
    note(terminator)
    context.output.keep(line.base, line.count + terminator.length)
  }

  /// Writes bytes the format built, with `terminator`.
  func emit(_ bytes: [UInt8], _ terminator: LineTerminator) {
    if identities != nil {
      bytes.withUnsafeBufferPointer { b in
        if let base = b.baseAddress {
          writeIdentities(base, b.count, textStart: b.count, clientText: false, terminator)
        } else {
          note(terminator)
          context.emit(bytes, terminator: terminator)
        }
      }
      return
    }
    note(terminator)
    context.emit(bytes, terminator: terminator)
  }

  /// A line of a client's protocol text: framing `[0, textStart)` then the text.
  private func emitClientLine(_ p: UnsafePointer<UInt8>, _ n: Int, textStart: Int, _ terminator: LineTerminator) {
    if identities != nil {
      writeIdentities(p, n, textStart: textStart, clientText: true, terminator)
    } else {
      note(terminator)
      context.output.append(p, n)
      if terminator != .none { context.output.append(terminator.bytes) }
    }
  }

  /// From the verdict being written: a user name sent as an IMAP literal at the start of the client text.
  private var userNamePrefix = 0
  /// The session and direction of the protocol line being written (nil outside `apply`).
  private var lineSession: UInt64 = 0
  private var lineDirection: Direction? = nil

  /// Vendor profile: the framing and server text as free text, client text by position then as free text.
  private func writeIdentities(
    _ p: UnsafePointer<UInt8>, _ n: Int, textStart: Int, clientText: Bool, _ terminator: LineTerminator
  ) {
    guard let identities else { return }
    identityOut.removeAll(keepingCapacity: true)
    let framing = clientText ? min(textStart, n) : n
    if framing > 0 { identities.rewriteText(p, framing, into: &identityOut) }
    if clientText && framing < n {
      identities.rewriteCommand(
        p + framing, n - framing, userNamePrefix: userNamePrefix, session: lineDirection != nil ? lineSession : nil,
        into: &identityOut)
    } else if lineDirection == .server {
      // The line's first token (a timestamp, an address) is skipped; the server's text may echo the name.
      identities.replaceEchoedUser(ofSession: lineSession, in: &identityOut, from: 0)
    }
    note(terminator)
    context.emit(identityOut, terminator: terminator)
  }

  /// A line the format cannot parse: its first `keepPrefix` bytes (a timestamp, never content) and `****`.
  func maskUnparsable(_ line: ByteLine, _ terminator: LineTerminator, keepPrefix: Int) {
    context.report.unparsedLines += 1
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: keepPrefix))
    if keepPrefix > 0 && !line[keepPrefix - 1].isBlank { out.append(asciiSpace) }
    out.append(contentsOf: MaskText.stars.bytes)
    emit(out, terminator)
  }

  @inline(__always) private func note(_ terminator: LineTerminator) {
    if terminator == .none {
      outputEndsOpen = true
    } else {
      usualTerminator = terminator
      outputEndsOpen = false
    }
  }

  // MARK: Protocol lines

  /// Runs the protocol text of `line` (from `textStart`) through the engine and writes the result.
  /// `forceMask` masks the text whole whatever the engine says (a continuation of a masked secret), unless the
  /// engine says the line is message content.
  @discardableResult
  func write(
    _ line: ByteLine, _ terminator: LineTerminator, textStart: Int, session key: UInt64, isStart: Bool,
    direction: Direction, proto: MailProtocol?, forceMask: Bool = false
  ) -> Outcome {
    let verdict = engine.process(
      session: key, isStart: isStart, direction: direction, line: line.suffix(from: textStart), protocolHint: proto)
    return apply(verdict, line, terminator, textStart: textStart, session: key, direction: direction, forceMask: forceMask)
  }

  /// Writes `line` according to a verdict obtained earlier (or from `write`).
  @discardableResult
  func apply(
    _ verdict: LineVerdict, _ line: ByteLine, _ terminator: LineTerminator, textStart: Int, session key: UInt64,
    direction: Direction, forceMask: Bool = false
  ) -> Outcome {
    let drop = context.dropsBodies
    if drop && verdict.bodyStarted {
      engine.rememberMarkerContext(Array(UnsafeBufferPointer(start: line.base, count: textStart)), for: key)
    }
    if drop, let ended = verdict.bodyEnded {
      emitMarker(ended, prefix: engine.markerContext(for: key), terminator: terminator)
    }
    if verdict.isBody && drop { return Outcome(isBody: true, maskedToEnd: false) }
    let text = line.suffix(from: textStart)
    let textEnd = text.trimmedEnd()
    let hasText = text.skipBlanks(from: 0) < textEnd
    var maskWhole = hasText && (verdict.maskWhole || (forceMask && !verdict.isBody))
    if !maskWhole && !verdict.isBody && text.containsControlBytes(from: 0, to: text.count) {
      // Binary bytes in protocol text: not something this log writes, so nothing of it goes out.
      maskWhole = true
      context.report.unparsedLines += 1
    }
    let clientText = direction == .client && !verdict.isBody && identities != nil
    userNamePrefix = verdict.userNamePrefix
    lineSession = key
    lineDirection = direction
    defer {
      userNamePrefix = 0
      lineDirection = nil
    }
    if !maskWhole && verdict.edits.isEmpty && (verdict.bodyPrefix == 0 || !drop) {
      if clientText {
        emitClientLine(line.base, line.count, textStart: textStart, terminator)
      } else {
        keep(line, terminator)
      }
      return Outcome(isBody: verdict.isBody, maskedToEnd: false)
    }
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: textStart))
    if maskWhole {
      out.append(contentsOf: MaskText.stars.bytes)
    } else {
      verdict.render(text, dropBodies: drop, into: &out)
    }
    if clientText {
      var rendered: [UInt8] = []
      swap(&rendered, &out)
      rendered.withUnsafeBufferPointer { b in emitClientLine(b.baseAddress!, b.count, textStart: textStart, terminator) }
      swap(&rendered, &out)
    } else {
      emit(out, terminator)
    }
    let toEnd = maskWhole || (verdict.edits.last.map { $0.end >= textEnd } ?? false)
    return Outcome(isBody: verdict.isBody, maskedToEnd: toEnd)
  }

  // MARK: Sessions and markers

  /// Ends a session (disconnect): writes the marker of a body still open.
  func close(session key: UInt64, terminator: LineTerminator) {
    if let (open, prefix) = engine.close(session: key), context.dropsBodies {
      emitMarker(open, prefix: prefix, terminator: terminator)
    }
  }

  /// Starts a session afresh: closes what was open under the same key, then tells the engine the session begins.
  func start(session key: UInt64, terminator: LineTerminator, proto: MailProtocol?) {
    close(session: key, terminator: terminator)
    var zero: UInt8 = 0
    withUnsafePointer(to: &zero) { p in
      _ = engine.process(
        session: key, isStart: true, direction: .server, line: ByteLine(base: p, count: 0), protocolHint: proto)
    }
  }

  /// End of input: the markers of every body still open.
  func finish() {
    for open in engine.drainOpenBodies() where context.dropsBodies {
      emitMarker(open.body, prefix: open.context, terminator: usualTerminator)
    }
  }

  /// One marker line: `prefix` (the framing of the body's first line) and the marker text.
  func emitMarker(_ body: BodyCount, prefix: [UInt8], terminator: LineTerminator) {
    context.countDroppedBody(body)
    out.removeAll(keepingCapacity: true)
    if outputEndsOpen { out.append(contentsOf: usualTerminator.bytes) }
    out.append(contentsOf: prefix)
    out.append(contentsOf: BodyMarker.text(body))
    emit(out, terminator == .none ? usualTerminator : terminator)
  }
}
