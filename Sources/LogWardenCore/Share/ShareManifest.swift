import Foundation

/// `MANIFEST.json` of a share bundle: what is in it and what was done to it. Written for the vendor, so it holds no
/// original identity: selected users and IPs appear as their pseudonyms.
public struct ShareManifest: Codable, Sendable {
  public struct Key: Codable, Sendable, Equatable {
    /// See `KeyMaterial.fingerprint(epoch:)`: equal fingerprints mean comparable pseudonyms.
    public var fingerprint: String
    public var epoch: String?
  }

  /// A selected value, as the vendor sees it.
  public struct SelectedValue: Codable, Sendable, Equatable {
    public var kind: String
    public var pseudonym: String
  }

  public struct Selection: Codable, Sendable {
    public var sets: [String]
    public var since: String?
    public var until: String?
    public var users: [SelectedValue]
    public var ips: [SelectedValue]
    public var sessions: [String]
  }

  public struct File: Codable, Sendable {
    /// Path inside the bundle.
    public var path: String
    public var sha256: String
    public var bytes: Int64
    /// The log set it came from.
    public var set: String
    /// `live` or `archive`.
    public var source: String
    /// The file it came from (name only).
    public var sourceName: String
    public var format: String
    /// How lines were chosen: `sessions` (whole sessions of the selected values), `whole-file` (the format cannot
    /// tell sessions apart; the file mentions a selected value), `time` (every line in the time range), `all`.
    public var selection: String
    /// The time range of the lines kept (ISO 8601, UTC), from the lines' own timestamps where the format has them,
    /// else from the file (modification time or archive stamp; `timeFrom` says which).
    public var firstTime: String?
    public var lastTime: String?
    public var timeFrom: String
    public var linesRead: Int
    public var linesKept: Int
    public var sessionsKept: Int?
    /// What the sanitizer did to the lines kept.
    public var credentialsMasked: [String: Int]
    public var credentialsAlreadyMasked: Int
    public var bodyLinesDropped: Int
    public var bodyBytesDropped: Int
    public var unparsedLinesMasked: Int
    public var pseudonymized: [String: Int]
    public var notes: [String]
  }

  public struct Totals: Codable, Sendable {
    public var files: Int
    public var bytes: Int64
    public var linesRead: Int
    public var linesKept: Int
    public var credentialsMasked: [String: Int]
    public var credentialsAlreadyMasked: Int
    public var bodyLinesDropped: Int
    public var bodyBytesDropped: Int
    public var unparsedLinesMasked: Int
    public var pseudonymized: [String: Int]
  }

  public var tool = "logwarden"
  public var version = LogWardenVersion.current
  public var created: String
  public var profile: SanitizeProfile
  public var key: Key
  public var selection: Selection
  public var files: [File]
  public var totals: Totals

  /// Pretty JSON with sorted keys, ending in a newline.
  public func encoded() throws(LogWardenError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do { return Array(try encoder.encode(self)) + [0x0A] } catch { throw .usage("cannot encode the manifest") }
  }

  static func totals(of files: [File]) -> Totals {
    var t = Totals(
      files: files.count, bytes: 0, linesRead: 0, linesKept: 0, credentialsMasked: [:], credentialsAlreadyMasked: 0,
      bodyLinesDropped: 0, bodyBytesDropped: 0, unparsedLinesMasked: 0, pseudonymized: [:])
    for f in files {
      t.bytes += f.bytes
      t.linesRead += f.linesRead
      t.linesKept += f.linesKept
      for (k, v) in f.credentialsMasked { t.credentialsMasked[k, default: 0] += v }
      t.credentialsAlreadyMasked += f.credentialsAlreadyMasked
      t.bodyLinesDropped += f.bodyLinesDropped
      t.bodyBytesDropped += f.bodyBytesDropped
      t.unparsedLinesMasked += f.unparsedLinesMasked
      for (k, v) in f.pseudonymized { t.pseudonymized[k, default: 0] += v }
    }
    return t
  }
}

/// `README.txt` of a share bundle: how to read the pseudonyms and masks, for the vendor.
enum ShareReadme {
  static func text(manifest: ShareManifest) -> String {
    var selected: [String] = []
    for value in manifest.selection.users + manifest.selection.ips {
      selected.append("    \(value.pseudonym)  (\(value.kind))")
    }
    for session in manifest.selection.sessions { selected.append("    session \(session)") }
    let epoch = manifest.key.epoch.map { " (epoch \"\($0)\")" } ?? ""
    var text = """
      Mail-server protocol logs prepared with logwarden \(manifest.version)
      ==========================================================

      These logs were sanitized before they left the server (profile "\(manifest.profile.rawValue)"):

      - Credentials are masked. Every password, SASL/AUTH response, APOP digest, IMAP LOGIN password and bearer
        token is replaced by ****. The command itself stays (e.g. "AUTH PLAIN ****").
      - Message bodies are removed. Where a message was sent (SMTP DATA/BDAT, POP3 RETR/TOP, IMAP FETCH/APPEND
        literals) one marker line stands for it, in the log's own shape, e.g.
            [logwarden: body removed: 12 lines; 3456 bytes]
      - People and machines are pseudonymized with a keyed hash; the same value has the same pseudonym in every file
        of this bundle (and in other bundles with the same key fingerprint):
          user-<token>            a user name, or the local part of an address (a name and the address it is the
                            local part of share one token)
          dom-<token>             one label of a domain or host name; public suffixes stay (dom-<token>.dom-<token>.com)
          IP addresses            encrypted prefix-preserving (ipcrypt-pfx): still valid addresses of the same
                                  family; two addresses in the same subnet share the same encrypted prefix.
                                  Loopback and unspecified addresses are left as they are.
          S-1-5-21-*              Windows account SIDs
          session=<****>          Dovecot session ids (they encode the client's address)
      - A line that could not be parsed is masked whole (****), never copied.

      Key fingerprint: \(manifest.key.fingerprint)\(epoch)
      Bundles with the same fingerprint use the same pseudonyms. The key itself never leaves the server; only the
      administrator can map a pseudonym back to a person or address.

      MANIFEST.json lists every file with its SHA-256, size, log set, time range and format, and counts what was
      masked, dropped and pseudonymized.

      """
    if !selected.isEmpty {
      text += """

        The administrator selected the sessions involving:
        \(selected.joined(separator: "\n"))
        Whole sessions are included: every line of each such session, and no line of any other session.

        """
    }
    return text
  }
}
