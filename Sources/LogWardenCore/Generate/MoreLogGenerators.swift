/// Deterministic generators for the other shipped formats: Exchange SMTP Send and POP3/IMAP4 (2013+ schema) CSV
/// logs, and Postfix `debug_peer_list` syslog lines. For the demo tree, tests and benchmarks. Every address is in a
/// documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), every domain ends in `.test`, and every
/// password is one of `ExchangeLogGenerator.plantedSecrets`.

private let users = ["alice", "bob", "carol", "dave", "erin", "frank"]

private func pick<T>(_ items: [T], _ rng: inout SplitMix64) -> T { items[Int(rng.next() % UInt64(items.count))] }

private func secret(_ rng: inout SplitMix64) -> String { pick(ExchangeLogGenerator.plantedSecrets, &rng) }

/// Exchange SMTP Send protocol logs (`SEND*.LOG`): the server's own outbound sessions to a smart host, with AUTH
/// LOGIN (user name as initial response, password on the next line), MAIL/RCPT and BDAT.
public struct ExchangeSendLogGenerator {
  public var seed: UInt64
  /// The first row's time, seconds since the epoch.
  public var start: Int64
  public var concurrentSessions: Int

  public init(seed: UInt64 = 0x5E_2D, start: Int64 = 1_795_219_200, concurrentSessions: Int = 4) {
    self.seed = seed
    self.start = start
    self.concurrentSessions = concurrentSessions
  }

  @discardableResult
  public func write(targetBytes: Int, to sink: ByteSink) throws(LogWardenError) -> Int {
    let header =
      "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n"
      + "#Date: \(GeneratedTime.iso8601(millis: start * 1000))\r\n"
      + "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
    let writer = InterleavedLogWriter(seed: seed, start: start, concurrentSessions: concurrentSessions)
    let base: UInt64 = 0x08D6_A8D4_1600_0000 &+ (seed & 0xFFFF) << 8
    return try writer.write(header: header, targetBytes: targetBytes, to: sink) { rng, index in
      let id = hex16(base &+ index)
      let user = pick(users, &rng)
      let local = "192.0.2.10:\(30000 + rng.next() % 30000)"
      let remote = "203.0.113.\(rng.next() % 20 + 5):587"
      var script: [(String, String, String, String)] = [  // local endpoint, event, data, context
        ("", "*", "SendRoutingHeaders", "Set Session Permissions"),
        ("", "*", "", "attempting to connect"),
        (local, "+", "", ""),
        (local, "<", "220 relay.fabrikam.test ESMTP ready", ""),
        (local, ">", "EHLO MX1.contoso.test", ""),
        (local, "<", "250-relay.fabrikam.test Hello [192.0.2.10]", ""),
        (local, "<", "250-SIZE 52428800", ""),
        (local, "<", "250-AUTH LOGIN PLAIN", ""),
        (local, "<", "250 CHUNKING", ""),
        (local, ">", "AUTH LOGIN " + Base64.encode(Array("relay-\(user)@contoso.test".utf8)), ""),
        (local, "<", "334 UGFzc3dvcmQ6", ""),
        (local, ">", Base64.encode(Array(secret(&rng).utf8)), ""),
        (local, "<", "235 2.7.0 Authentication successful", ""),
      ]
      for message in 0..<Int(1 + rng.next() % 3) {
        let size = 1024 + rng.next() % 60000
        script += [
          (local, ">", "MAIL FROM:<\(user)@contoso.test> SIZE=\(size)", ""),
          (local, "<", "250 2.1.0 Sender OK", ""),
          (local, ">", "RCPT TO:<partner\(rng.next() % 50)@fabrikam.test>", ""),
          (local, "<", "250 2.1.5 Recipient OK", ""),
          (local, ">", "BDAT \(size) LAST", ""),
          (local, "<", "250 2.6.0 <\(id)-\(message)@MX1.contoso.test> [InternalId=\(rng.next() % 100000)] Queued mail for delivery", ""),
        ]
      }
      script += [
        (local, ">", "QUIT", ""),
        (local, "<", "221 2.0.0 Service closing transmission channel", ""),
        (local, "-", "", "Local"),
      ]
      return script.map { row in
        { millis, position in
          "\(GeneratedTime.iso8601(millis: millis)),Outbound to relay.fabrikam.test,\(id),\(position),\(row.0),\(remote),"
            + "\(row.1),\(exchangeCSVField(row.2)),\(exchangeCSVField(row.3))\r\n"
        }
      }
    }
  }
}

/// Exchange 2013+ POP3 or IMAP4 protocol logs (`POP3*.LOG`, `IMAP4*.LOG`), in the
/// `dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context` schema. Exchange masks
/// the password of a well-formed `pass` or `login` itself; malformed commands are logged raw (the leak logwarden
/// exists for), and `authenticate` rows carry the SASL blob.
public struct ExchangePopImapLogGenerator {
  public enum Service: Sendable { case pop3, imap4 }

  public var service: Service
  public var seed: UInt64
  public var start: Int64
  public var concurrentSessions: Int

  public init(service: Service, seed: UInt64 = 0x1A4, start: Int64 = 1_795_219_200, concurrentSessions: Int = 4) {
    self.service = service
    self.seed = seed
    self.start = start
    self.concurrentSessions = concurrentSessions
  }

  @discardableResult
  public func write(targetBytes: Int, to sink: ByteSink) throws(LogWardenError) -> Int {
    let fields = "dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context"
    let header =
      "\(fields)\r\n#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n"
      + "#Log-type: \(service == .pop3 ? "POP3" : "IMAP4") Log\r\n#Date: \(GeneratedTime.iso8601(millis: start * 1000))\r\n"
      + "#Fields: \(fields)\r\n"
    let writer = InterleavedLogWriter(seed: seed, start: start, concurrentSessions: concurrentSessions, maximumStepMillis: 200)
    let service = self.service
    let port = service == .pop3 ? 995 : 993
    return try writer.write(header: header, targetBytes: targetBytes, to: sink) { rng, index in
      let id = hex16(index + 1 + (seed & 0xFF) << 32)
      let user = pick(users, &rng) + "@contoso.test"
      let client = "198.51.100.\(rng.next() % 250 + 1):\(50000 + rng.next() % 15000)"
      var rows: [(user: String, command: String, parameters: String, context: String)] = [
        ("", "OpenSession", "", "")
      ]
      let variant = rng.next() % 8
      if service == .pop3 {
        rows.append(("", "capa", "", "R=OK"))
        if variant == 0 {
          // A client that sent "PASS" in the wrong case or with junk: logged raw.
          rows.append(("", "", "PASS \(secret(&rng))", "ErrMsg=UnknownCommand"))
        }
        rows.append(("", "user", user, "R=OK"))
        rows.append((user, "pass", "*****", "R=OK"))
        rows.append((user, "stat", "", "R=OK"))
        rows.append((user, "uidl", "", "R=OK"))
        for message in 1...Int(1 + rng.next() % 4) {
          rows.append((user, "retr", "\(message)", "R=OK;Msg=\"RetrievedBytes: \(2000 + rng.next() % 90000)\""))
        }
        rows.append((user, "quit", "", "R=OK"))
      } else {
        rows.append(("", "capability", "", "R=OK"))
        switch variant {
        case 0:
          rows.append(("", "", "a1 LOGIN \(user) \(secret(&rng))", "ErrMsg=InvalidCommand"))
        case 1, 2:
          rows.append(("", "authenticate", "PLAIN " + Base64.encode(Array("\0\(user)\0\(secret(&rng))".utf8)), "R=OK"))
        default:
          rows.append(("", "login", "\(user) *****", "R=OK;Msg=\"Proxy:EXCH01.contoso.test:1993:SSL\""))
        }
        rows.append((user, "select", "INBOX", "R=OK"))
        rows.append((user, "fetch", "1:* (FLAGS UID RFC822.SIZE)", "R=OK"))
        for _ in 0..<Int(rng.next() % 4) {
          rows.append((user, "uid", "fetch \(rng.next() % 900 + 1) (BODY.PEEK[])", "R=OK"))
        }
        rows.append((user, "logout", "", "R=OK"))
      }
      return rows.map { row in
        { millis, position in
          "\(GeneratedTime.iso8601(millis: millis)),\(id),\(position),192.0.2.11:\(port),\(client),\(row.user),"
            + "\(position == 0 ? 3 : 1),\(row.command.count + row.parameters.count + 2),\(40 + position * 7),"
            + "\(row.command),\(exchangeCSVField(row.parameters)),\(exchangeCSVField(row.context))\r\n"
        }
      }
    }
  }
}

/// Postfix `smtpd` logs with `debug_peer_list` on: every command and reply after `< host[ip]:` / `> host[ip]:`, in
/// traditional syslog form (`/var/log/mail.log`). Clients authenticate with AUTH PLAIN and an initial response.
public struct PostfixLogGenerator {
  public var seed: UInt64
  public var start: Int64
  public var concurrentSessions: Int

  public init(seed: UInt64 = 0x9F1, start: Int64 = 1_795_219_200, concurrentSessions: Int = 6) {
    self.seed = seed
    self.start = start
    self.concurrentSessions = concurrentSessions
  }

  @discardableResult
  public func write(targetBytes: Int, to sink: ByteSink) throws(LogWardenError) -> Int {
    let writer = InterleavedLogWriter(seed: seed, start: start, concurrentSessions: concurrentSessions, maximumStepMillis: 300)
    return try writer.write(header: "", targetBytes: targetBytes, to: sink) { rng, index in
      let pid = 2000 + Int(index % 30000)
      let n = rng.next() % 100
      let peer = "client\(n).fabrikam.test[198.51.100.\(n + 1)]"
      let user = pick(users, &rng) + "@contoso.test"
      let queueID = String(0x4F2A1B + Int(index) * 7919 % 0xFFFFF, radix: 16, uppercase: true)
      var lines = [
        "connect from \(peer)",
        "> \(peer): 220 mx1.contoso.test ESMTP Postfix (Debian/GNU)",
        "< \(peer): EHLO client\(n).fabrikam.test",
        "> \(peer): 250-mx1.contoso.test",
        "> \(peer): 250-SIZE 10240000",
        "> \(peer): 250-AUTH PLAIN LOGIN",
        "> \(peer): 250 8BITMIME",
      ]
      let accepted = rng.next() % 6 != 0
      lines.append("< \(peer): AUTH PLAIN " + Base64.encode(Array("\0\(user)\0\(secret(&rng))".utf8)))
      if accepted {
        lines += [
          "> \(peer): 235 2.7.0 Authentication successful",
          "\(queueID): client=\(peer), sasl_method=PLAIN, sasl_username=\(user)",
          "< \(peer): MAIL FROM:<\(user)>",
          "> \(peer): 250 2.1.0 Ok",
          "< \(peer): RCPT TO:<partner\(rng.next() % 50)@fabrikam.test>",
          "> \(peer): 250 2.1.5 Ok",
          "< \(peer): DATA",
          "> \(peer): 354 End data with <CR><LF>.<CR><LF>",
          "> \(peer): 250 2.0.0 Ok: queued as \(queueID)",
        ]
      } else {
        lines += [
          "warning: \(peer): SASL PLAIN authentication failed: authentication failure",
          "> \(peer): 535 5.7.8 Error: authentication failed: authentication failure",
        ]
      }
      lines += [
        "< \(peer): QUIT",
        "> \(peer): 221 2.0.0 Bye",
        "disconnect from \(peer) ehlo=1 auth=\(accepted ? "1" : "0/1") \(accepted ? "mail=1 rcpt=1 data=1 " : "")quit=1",
      ]
      return lines.map { text in
        { millis, _ in "\(GeneratedTime.syslog(millis: millis)) mx1 postfix/smtpd[\(pid)]: \(text)\n" }
      }
    }
  }
}
