/// One half of a Dovecot rawlog pair: where it is read from, where its sanitized form goes, and its name (for
/// reports and messages only).
public struct PairHalf {
  public var source: ByteSource
  public var sink: ByteSink
  public var name: String

  public init(source: ByteSource, sink: ByteSink, name: String) {
    self.source = source
    self.sink = sink
    self.name = name
  }
}

extension Sanitizer {
  /// Sanitizes the two halves of one Dovecot rawlog connection together and reports on each.
  ///
  /// `received` is the `.in` file (what the server read: client lines), `sent` the `.out` file. When both carry
  /// `<sec>.<usec>` stamps they are interleaved by time and sanitized as one conversation. Otherwise the client side
  /// is read first (SASL ends inferred) and the server side second, with the POP3 replies its commands announced.
  /// If the `.in` file starts like a server (Dovecot was the client: proxy, submission relay) the roles swap.
  /// Both sinks are finished. Credential counts go to the report of the half that holds the client lines.
  public func sanitizePair(received: PairHalf, sent: PairHalf) throws(LogWardenError) -> (received: FileReport, sent: FileReport) {
    if let name = options.formatName, name != "auto", name != DovecotRawlogFormat.name {
      throw .usage("rawlog pairs are read with the \(DovecotRawlogFormat.name) format, not '\(name)'")
    }
    let readers = [PullLineReader(source: received.source), PullLineReader(source: sent.source)]
    let outputs = [OutputWriter(sink: received.sink), OutputWriter(sink: sent.sink)]
    for k in 0..<2 { readers[k].willMoveBuffer = { outputs[k].flushRun() } }
    // The vendor profile: one pseudonymizer for the connection, a rewriter (and its counts) per half.
    var identities: [IdentityRewriter?] = [nil, nil]
    if options.profile.pseudonymizes {
      guard let keys = options.pseudonymKeys else {
        throw .usage("the vendor profile needs a pseudonym key: create one with 'logwarden keygen' and pass --key FILE")
      }
      let pseudonymizer = Pseudonymizer(keys: keys, options: options.pseudonymOptions, ledger: options.ledger)
      identities = [IdentityRewriter(pseudonymizer: pseudonymizer), IdentityRewriter(pseudonymizer: pseudonymizer)]
      for k in 0..<2 { outputs[k].lineRewriter = identities[k] }
    }
    let halves = [received, sent]
    let contexts = (0..<2).map { k in
      FormatContext(
        profile: options.profile, output: outputs[k], report: FileReport(path: halves[k].name, format: DovecotRawlogFormat.name),
        fileName: halves[k].name.split(separator: "/").last.map(String.init) ?? halves[k].name, identities: identities[k])
    }

    // Which half holds the client, and whether both are stamped.
    var stamped = [true, true]
    var empty = [true, true]
    var serverShaped = [false, false]
    var commandShaped = [false, false]
    for k in 0..<2 {
      let head = try readers[k].head()
      guard let base = head.baseAddress?.assumingMemoryBound(to: UInt8.self), head.count > 0 else { continue }
      empty[k] = false
      var n = 0
      while n < head.count && base[n] != 0x0A { n += 1 }
      if n > 0 && base[n - 1] == 0x0D { n -= 1 }
      let first = ByteLine(base: base, count: n)
      let stamp = RawlogStamp.parse(first)
      stamped[k] = stamp != nil
      let text = ByteLine(base: base + (stamp?.end ?? 0), count: n - (stamp?.end ?? 0))
      serverShaped[k] = RawlogShapes.looksLikeServerFirstLine(text)
      commandShaped[k] = RawlogShapes.looksLikeClientCommand(text)
    }
    let swapped = serverShaped[0] || (empty[0] && commandShaped[1])
    let clientIndex = swapped ? 1 : 0
    let serverIndex = 1 - clientIndex
    let conversation: RawlogConversation

    func feed(_ item: PullLineReader.Item, _ d: Direction, _ k: Int) {
      switch item {
      case .line(let line, let terminator):
        contexts[k].lastTerminator = terminator
        conversation.line(d, line, protocolStart: RawlogStamp.parse(line)?.end ?? 0, terminator)
      case .overlong(_, _):
        conversation.overlong(d, terminator: contexts[k].lastTerminator)
      }
    }

    if (stamped[0] || empty[0]) && (stamped[1] || empty[1]) {
      conversation = RawlogConversation(client: contexts[clientIndex], server: contexts[serverIndex], inference: .both)
      var c = try readers[clientIndex].next()
      var s = try readers[serverIndex].next()
      var lastC: UInt64 = 0
      var lastS: UInt64 = 0
      while c != nil || s != nil {
        var takeClient = s == nil
        if let ci = c, let si = s {
          // Ties go to the client: the server reads a command before it answers.
          let tc = Self.stamp(of: ci) ?? lastC
          let ts = Self.stamp(of: si) ?? lastS
          takeClient = tc <= ts
        }
        if takeClient, let ci = c {
          lastC = Self.stamp(of: ci) ?? lastC
          feed(ci, .client, clientIndex)
          c = try readers[clientIndex].next()
        } else if let si = s {
          lastS = Self.stamp(of: si) ?? lastS
          feed(si, .server, serverIndex)
          s = try readers[serverIndex].next()
        }
      }
    } else {
      conversation = RawlogConversation(client: contexts[clientIndex], server: contexts[serverIndex], inference: .clientOnly)
      conversation.pop3Record = []
      while let item = try readers[clientIndex].next() { feed(item, .client, clientIndex) }
      conversation.startServerPass()
      while let item = try readers[serverIndex].next() { feed(item, .server, serverIndex) }
    }
    conversation.finish()

    var reports: [FileReport] = []
    for k in 0..<2 {
      outputs[k].finish()
      if let failure = outputs[k].failure { throw failure }
    }
    if let identities = identities[0] { try identities.pseudonymizer.flushLedger() }
    for k in 0..<2 {
      try halves[k].sink.finish()
      var report = contexts[k].report
      report.linesRead = readers[k].linesRead
      report.bytesRead = readers[k].bytesRead
      report.bytesWritten = outputs[k].bytesWritten
      if k == clientIndex { conversation.engine.counters.add(to: &report) }
      identities[k]?.add(to: &report)
      reports.append(report)
    }
    return (reports[0], reports[1])
  }

  private static func stamp(of item: PullLineReader.Item) -> UInt64? {
    if case .line(let line, _) = item { return RawlogStamp.parse(line)?.micros }
    return nil
  }
}
