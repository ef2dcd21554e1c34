/// The columns of an Exchange CSV layout that the vendor profile rewrites, read from `#Fields:`.
struct ExchangeColumnLayout {
  var schema: ExchangeCSVFormat.Schema = .transport
  var sessionIndex = 2
  var localEndpointIndex = 4
  var remoteEndpointIndex = 5
  var contextIndex = 8
  var userIndex = -1
  var dataIndex = 7
  var commandIndex = -1
  var parametersIndex = -1

  /// The lowest index of a column that can hold an identity: columns before it are copied in one piece.
  var firstIdentityColumn: Int {
    [localEndpointIndex, remoteEndpointIndex, dataIndex, contextIndex, userIndex, parametersIndex, commandIndex]
      .filter { $0 >= 0 }.min() ?? Int.max
  }
}

/// What the data column of an Exchange row holds, for identity rewriting.
enum ExchangeDataRole: UInt8 {
  /// A client command: identities by position (EHLO host, USER/LOGIN name), then free text.
  case command
  /// A server reply: free text, with the message-id of a "queued" reply treated as such.
  case reply
  /// Anything else: free text.
  case text
  /// An information row: `DOMAIN\user` with context `authenticated` is a user name.
  case information
  /// A body marker row written by logwarden: the data column is copied as it is.
  case marker
}

/// Renders one Exchange CSV row under the vendor profile: every column that can hold an identity gets the
/// rewriting it needs (endpoints, user names, commands, replies, free text), the rest is copied.
///
/// One renderer per column layout (a new `#Fields:` line makes a new one). It re-splits the row itself, so it can run
/// on the `DeferredRowPipeline`'s worker thread while the format goes on with the next rows; that thread then owns
/// the `IdentityRewriter`.
final class ExchangeVendorRowRenderer: DeferredRowRenderer {
  let layout: ExchangeColumnLayout
  private let firstIdentityColumn: Int
  private let identities: IdentityRewriter
  private let splitter = CSVRowSplitter()
  private var fieldOut: [UInt8] = []
  private var fieldScratch: [UInt8] = []

  init(layout: ExchangeColumnLayout, identities: IdentityRewriter) {
    self.layout = layout
    self.firstIdentityColumn = layout.firstIdentityColumn
    self.identities = identities
  }

  /// Deferred rows carry the line as piece 0, new data 1, new command 2, the masked context column 3; `tag` is the
  /// role, `number` the user-name prefix times four plus the length of the line's BOM.
  func render(_ row: DeferredRow, _ pieces: DeferredRowPieces, into out: inout [UInt8]) {
    guard let line = pieces[0], let base = line.baseAddress else { return }
    renderRow(
      ByteLine(base: base, count: line.count), prefixLength: row.number & 3,
      newData: pieces[1], newCommand: pieces[2], maskedContext: pieces[3],
      role: ExchangeDataRole(rawValue: row.tag) ?? .text, userNamePrefix: row.number >> 2, into: &out)
  }

  /// Appends the rewritten row (no line ending). `line` starts with `prefixLength` bytes (a BOM) kept as they are.
  func renderRow(
    _ line: ByteLine, prefixLength: Int, newData: UnsafeBufferPointer<UInt8>?, newCommand: UnsafeBufferPointer<UInt8>?,
    maskedContext: UnsafeBufferPointer<UInt8>?, role: ExchangeDataRole, userNamePrefix: Int, into out: inout [UInt8]
  ) {
    let body = ByteLine(base: line.base + prefixLength, count: line.count - prefixLength)
    guard splitter.split(body) else {
      // The format split this row before handing it over; never copy a row that does not split.
      out.append(contentsOf: MaskText.stars.bytes)
      return
    }
    // Columns before the first one that can hold an identity go out in one copy.
    let firstRewritten = min(firstIdentityColumn, splitter.count)
    let prefixEnd = firstRewritten < splitter.count ? splitter[firstRewritten].start : body.count
    out.append(contentsOf: UnsafeBufferPointer(start: line.base, count: prefixLength + prefixEnd))
    for i in firstRewritten..<splitter.count {
      if i > firstRewritten { out.append(0x2C) }
      if i == layout.commandIndex, let newCommand {
        CSVRowSplitter.appendField(newCommand, to: &out)
      } else {
        appendField(
          i, body, newData: newData, maskedContext: maskedContext, role: role, userNamePrefix: userNamePrefix,
          into: &out)
      }
    }
  }

  /// Appends column `index` of the row, with the identities it can hold replaced.
  private func appendField(
    _ index: Int, _ body: ByteLine, newData: UnsafeBufferPointer<UInt8>?, maskedContext: UnsafeBufferPointer<UInt8>?,
    role: ExchangeDataRole, userNamePrefix: Int, into out: inout [UInt8]
  ) {
    let field = splitter[index]
    let isData = index == layout.dataIndex || index == layout.parametersIndex
    let isEndpoint = index == layout.localEndpointIndex || index == layout.remoteEndpointIndex
    guard isData || isEndpoint || index == layout.contextIndex || index == layout.userIndex else {
      out.append(contentsOf: UnsafeBufferPointer(start: body.base + field.start, count: field.end - field.start))
      return
    }
    if isData && role == .marker {
      out.append(contentsOf: UnsafeBufferPointer(start: body.base + field.start, count: field.end - field.start))
      return
    }
    if field.end == field.start && !(isData && newData != nil) { return }  // empty column
    fieldOut.removeAll(keepingCapacity: true)
    if index == layout.contextIndex, let maskedContext {
      if let base = maskedContext.baseAddress {
        rewrite(index, body, base, maskedContext.count, role: role, isData: false, userNamePrefix: userNamePrefix)
      }
      fieldOut.withUnsafeBufferPointer { CSVRowSplitter.appendField($0, to: &out) }
      return
    }
    if isData && layout.schema == .popImap && role == .command, let newData {
      // The parameters of a 2013+ row: rewrite "command parameters", then drop the command again.
      let commandField = splitter[layout.commandIndex]
      var commandLine = Array(
        UnsafeBufferPointer(start: body.base + commandField.start, count: commandField.end - commandField.start))
      commandLine.removeAll { $0 == 0x22 }
      let skip = commandLine.count + 1
      commandLine.append(0x20)
      commandLine.append(contentsOf: newData)
      commandLine.withUnsafeBufferPointer { b in identities.rewriteCommand(b.baseAddress!, b.count, into: &fieldOut) }
      fieldOut.removeFirst(min(skip, fieldOut.count))
      fieldOut.withUnsafeBufferPointer { CSVRowSplitter.appendField($0, to: &out) }
      return
    }
    if isData, let newData {
      if let base = newData.baseAddress {
        rewrite(index, body, base, newData.count, role: role, isData: true, userNamePrefix: userNamePrefix)
      }
    } else {
      let (p, n, usesScratch) = CSVRowSplitter.content(of: field, in: body, scratch: &fieldScratch)
      if usesScratch {
        fieldScratch.withUnsafeBufferPointer { b in
          if let base = b.baseAddress {
            rewrite(index, body, base, b.count, role: role, isData: isData, userNamePrefix: userNamePrefix)
          }
        }
      } else if n > 0 {
        rewrite(index, body, p, n, role: role, isData: isData, userNamePrefix: userNamePrefix)
      }
    }
    fieldOut.withUnsafeBufferPointer { CSVRowSplitter.appendField($0, to: &out) }
  }

  /// Rewrites one column's content into `fieldOut` according to what the column holds.
  private func rewrite(
    _ index: Int, _ body: ByteLine, _ pointer: UnsafePointer<UInt8>, _ length: Int, role: ExchangeDataRole,
    isData: Bool, userNamePrefix: Int
  ) {
    if index == layout.localEndpointIndex || index == layout.remoteEndpointIndex {
      identities.rewriteEndpoint(pointer, length, into: &fieldOut)
    } else if index == layout.userIndex {
      identities.rewriteUser(pointer, length, into: &fieldOut)
    } else if isData && role == .command {
      identities.rewriteCommand(
        pointer, length, userNamePrefix: userNamePrefix, session: sessionHash(body), into: &fieldOut)
    } else if isData && role == .reply {
      identities.rewriteReply(pointer, length, into: &fieldOut)
      identities.replaceEchoedUser(ofSession: sessionHash(body), in: &fieldOut, from: 0)
    } else if isData && role == .information && layout.contextIndex >= 0 && isAuthenticatedRow(body) {
      identities.rewriteUser(pointer, length, into: &fieldOut)
    } else if index == layout.contextIndex
      && ByteLine(base: pointer, count: length).hasUppercasePrefix(0, length, "USER NAME: ")
    {
      fieldOut.append(contentsOf: UnsafeBufferPointer(start: pointer, count: 11))
      identities.rewriteUser(pointer + 11, length - 11, into: &fieldOut)
    } else {
      identities.rewriteText(pointer, length, into: &fieldOut)
    }
  }

  /// A hash of the row's session-id column (nil when the layout has none).
  private func sessionHash(_ body: ByteLine) -> UInt64? {
    guard layout.sessionIndex >= 0 && layout.sessionIndex < splitter.count else { return nil }
    let f = splitter[layout.sessionIndex]
    return fnv1a(body.base + f.start, f.end - f.start)
  }

  private func isAuthenticatedRow(_ body: ByteLine) -> Bool {
    guard layout.contextIndex < splitter.count else { return false }
    let f = splitter[layout.contextIndex]
    return body.equalsUppercase(f.start, f.end, "AUTHENTICATED")
  }
}
