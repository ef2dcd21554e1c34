import Testing

@testable import LogWardenCore

@Suite struct IPRewritingTests {
  let pseudonymizer = Pseudonymizer(keys: testKeys)

  @Test func replacesIPv4InText() {
    #expect(
      pseudonymizer.rewrite("connect from 192.0.2.1 port 25") == "connect from \(expectedIP("192.0.2.1")) port 25")
  }

  @Test func preservesPrefixes() throws {
    let a = try #require(IPAddress(pseudonymizer.ip("10.1.2.47")!))
    let b = try #require(IPAddress(pseudonymizer.ip("10.1.2.129")!))
    let c = try #require(IPAddress(pseudonymizer.ip("10.1.9.1")!))
    #expect(a.v4Value >> 8 == b.v4Value >> 8)  // same /24
    #expect(a.v4Value >> 16 == c.v4Value >> 16)  // same /16
    #expect(a.v4Value >> 8 != c.v4Value >> 8)
    #expect(a != b)
  }

  @Test(arguments: [
    ("[2001:db8::1]:25", "[\(expectedIP("2001:db8::1"))]:25"),
    ("2001:db8::1", expectedIP("2001:db8::1")),
    ("2001:0DB8:0000:0000:0000:0000:0000:0001", expectedIP("2001:db8::1")),
    ("192.0.2.1:587", "\(expectedIP("192.0.2.1")):587"),
    ("::ffff:192.0.2.1", "::ffff:\(expectedIP("192.0.2.1"))"),
    ("[::FFFF:192.0.2.1]:143", "[::ffff:\(expectedIP("192.0.2.1"))]:143"),
    ("fe80::1%eth0", "\(expectedIP("fe80::1"))%eth0"),
    ("1a00:c820:1180:c84c::ad3f:d991:ec2e:49255", "\(expectedIP("1a00:c820:1180:c84c::ad3f:d991:ec2e")):49255"),
    ("rip=192.0.2.1, lip=198.51.100.7,", "rip=\(expectedIP("192.0.2.1")), lip=\(expectedIP("198.51.100.7")),"),
    ("client=host[IPv6:2001:db8::5]", "client=host[IPv6:\(expectedIP("2001:db8::5"))]"),
    ("end of sentence 192.0.2.1.", "end of sentence \(expectedIP("192.0.2.1"))."),
  ])
  func rewritesAddressForms(input: String, expected: String) {
    #expect(pseudonymizer.rewrite(input) == expected)
  }

  @Test(arguments: [
    "Dovecot v2.3.21.1 starting", "oid 1.3.6.1.4.1", "12:34:56 timer", "mac 00:11:22:33:44:55",
    "256.1.1.1", "1.2.3", "std::vector", "loopback 127.0.0.1 and ::1", "abc1.2.3.4", "2001:db8::1x",
  ])
  func leavesNonAddressesAndKeptNetworksAlone(input: String) {
    #expect(pseudonymizer.rewrite(input) == input)
  }

  @Test func sameAddressSameLinesAndInstances() {
    let other = Pseudonymizer(keys: PseudonymKeys(master: testMasterKey))
    #expect(pseudonymizer.rewrite("a 192.0.2.9 b 192.0.2.9") == other.rewrite("a 192.0.2.9 b 192.0.2.9"))
  }

  @Test func truncateMode() {
    let truncating = Pseudonymizer(keys: testKeys, options: PseudonymOptions(ipMode: .truncate()))
    #expect(truncating.rewrite("192.0.2.77 [2001:db8:1:2:3:4:5:6]:25") == "192.0.2.0 [2001:db8:1:2::]:25")
    let coarse = Pseudonymizer(keys: testKeys, options: PseudonymOptions(ipMode: .truncate(v4PrefixLength: 16)))
    #expect(coarse.rewrite("10.1.12.123") == "10.1.0.0")
  }

  @Test func keepModeAndKeptNetworks() {
    let keeping = Pseudonymizer(keys: testKeys, options: PseudonymOptions(ipMode: .keep))
    #expect(keeping.rewrite("192.0.2.77") == "192.0.2.77")
    let keepingInternal = Pseudonymizer(
      keys: testKeys, options: PseudonymOptions(keptNetworks: [IPNetwork("10.0.0.0/8")!, IPNetwork("2001:db8::/32")!]))
    #expect(
      keepingInternal.rewrite("10.9.8.7 2001:db8::7 192.0.2.1") == "10.9.8.7 2001:db8::7 \(expectedIP("192.0.2.1"))")
  }

  @Test func countsReplacements() {
    var counts: [String: Int] = [:]
    _ = pseudonymizer.rewrite("192.0.2.1 192.0.2.2 127.0.0.1 a@b.example", counts: &counts)
    #expect(counts == ["ip": 2, "email": 1])
  }

  @Test func linesWithoutCandidatesAreCopied() {
    var counts: [String: Int] = [:]
    #expect(pseudonymizer.rewrite("EHLO client ready", counts: &counts) == "EHLO client ready")
    #expect(counts.isEmpty)
  }
}

@Suite struct EmailAndUserTests {
  let pseudonymizer = Pseudonymizer(keys: testKeys)

  @Test func caseInsensitive() {
    #expect(pseudonymizer.email("Alice@Example.COM") == pseudonymizer.email("alice@example.com"))
    #expect(pseudonymizer.rewrite("from=<Alice@X.example>") == pseudonymizer.rewrite("from=<alice@x.example>"))
  }

  @Test func producesValidAddress() throws {
    let result = pseudonymizer.email("alice@example.com")
    let parts = result.split(separator: "@")
    #expect(parts.count == 2)
    #expect(TokenMaker.isToken(Array(parts[0].utf8), prefix: TokenMaker.identityPrefix))
    #expect(parts[1].hasPrefix("dom-") && parts[1].hasSuffix(".com"))
    #expect(result.utf8.allSatisfy { $0 < 0x80 && $0 != 0x20 })
  }

  @Test func userSharesLocalPartToken() {
    let address = pseudonymizer.email("Bob@example.com")
    let localPart = String(address.split(separator: "@")[0])
    #expect(pseudonymizer.user("bob") == localPart)
    #expect(pseudonymizer.user("BOB") == localPart)
    let windows = pseudonymizer.user("CORP\\bob")
    #expect(windows.hasSuffix("\\" + localPart))
    #expect(windows.hasPrefix("dom-"))
    #expect(pseudonymizer.user("bob@example.com") == address)
  }

  @Test func findsAddressesInText() {
    let a = pseudonymizer.email("alice@example.com")
    let b = pseudonymizer.email("bob@example.org")
    #expect(pseudonymizer.rewrite("from=<alice@example.com> to=<bob@example.org>") == "from=<\(a)> to=<\(b)>")
    #expect(pseudonymizer.rewrite("sasl_username=alice@example.com,") == "sasl_username=\(a),")
    #expect(pseudonymizer.rewrite("imap(alice@example.com): Logged out") == "imap(\(a)): Logged out")
    #expect(pseudonymizer.rewrite("'alice@example.com'.") == "'\(a)'.")
  }

  @Test func srsInAngleBracketsIsOneAddress() {
    let srs = "SRS0=HHH=TT=example.com=alice@forwarder.example"
    #expect(pseudonymizer.rewrite("from=<\(srs)>") == "from=<\(pseudonymizer.email(srs))>")
    #expect(!pseudonymizer.rewrite("from=<\(srs)>").contains("alice"))
  }

  @Test func addressLiteralDomainIsEncrypted() {
    let local = pseudonymizer.user("postmaster")
    #expect(pseudonymizer.rewrite("<postmaster@[192.0.2.1]>") == "<\(local)@[\(expectedIP("192.0.2.1"))]>")
  }

  @Test func quotedLocalPart() {
    let result = pseudonymizer.rewrite("to=<\"john doe\"@example.com>")
    #expect(!result.contains("john"))
    #expect(result.hasPrefix("to=<user-"))
  }

  @Test func nullSenderAndBareAtAreUntouched() {
    #expect(pseudonymizer.rewrite("from=<> size=1") == "from=<> size=1")
    #expect(pseudonymizer.rewrite("cost @ 5 units") == "cost @ 5 units")
  }

  @Test func domainPolicies() {
    let keepAll = Pseudonymizer(keys: testKeys, options: PseudonymOptions(emailDomains: .keepAll))
    #expect(keepAll.email("alice@example.com").hasSuffix("@example.com"))
    let keepListed = Pseudonymizer(keys: testKeys, options: PseudonymOptions(emailDomains: .keep(["Example.com"])))
    #expect(keepListed.email("alice@mail.example.com").hasSuffix("@mail.example.com"))
    #expect(!keepListed.email("alice@example.org").hasSuffix("@example.org"))
    #expect(!keepListed.email("alice@notexample.com").contains("notexample"))
  }
}

@Suite struct HostTests {
  let pseudonymizer = Pseudonymizer(keys: testKeys)

  @Test func keepsPublicSuffixAndPreservesHierarchy() {
    let host = pseudonymizer.host("MX1.Example.co.uk")
    let domain = pseudonymizer.host("example.co.uk")
    #expect(host.hasSuffix(".co.uk"))
    #expect(domain.hasSuffix(".co.uk"))
    #expect(host.hasSuffix("." + domain))
    #expect(host.split(separator: ".").count == 4)
    #expect(pseudonymizer.email("alice@example.co.uk").hasSuffix("@" + domain))
  }

  @Test func sameLabelUnderDifferentParentsDiffers() {
    let a = pseudonymizer.host("mail.example.com").split(separator: ".")[0]
    let b = pseudonymizer.host("mail.example.org").split(separator: ".")[0]
    #expect(a != b)
  }

  @Test(arguments: [
    ("printer.local", "local"), ("nas.lan", "lan"), ("db.internal", "internal"), ("x.test", "test"),
    ("h.localdomain", "localdomain"), ("a.b.com.au", "com.au"), ("4.3.2.1.in-addr.arpa", "in-addr.arpa"),
  ])
  func specialAndMultiLabelSuffixesAreKept(name: String, suffix: String) {
    let result = pseudonymizer.host(name)
    #expect(result.hasSuffix("." + suffix))
    #expect(result.hasPrefix("dom-"))
    #expect(result.split(separator: ".").count == name.split(separator: ".").count)
  }

  @Test(arguments: ["localhost", "unknown", "com", "co.uk", "localhost.localdomain"])
  func namesThatIdentifyNoOneAreKept(name: String) {
    #expect(pseudonymizer.host(name) == name)
  }

  @Test func unknownTopLevelLabelIsPseudonymized() {
    let result = pseudonymizer.host("srv.corpnet-secret")
    #expect(!result.contains("corpnet"))
    #expect(result.split(separator: ".").count == 2)
  }

  @Test func addressLiteralsAndBareIPs() {
    #expect(pseudonymizer.host("[192.0.2.1]") == "[\(expectedIP("192.0.2.1"))]")
    #expect(pseudonymizer.host("192.0.2.1") == expectedIP("192.0.2.1"))
    #expect(pseudonymizer.host("[IPv6:2001:db8::1]") == "[IPv6:\(expectedIP("2001:db8::1"))]")
  }

  @Test func hostBeforeBracketedIPInText() {
    let host = pseudonymizer.host("mail.example.com")
    let ip = expectedIP("192.0.2.1")
    #expect(pseudonymizer.rewrite("connect from mail.example.com[192.0.2.1]") == "connect from \(host)[\(ip)]")
    #expect(pseudonymizer.rewrite("connect from unknown[192.0.2.1]") == "connect from unknown[\(ip)]")
    var counts: [String: Int] = [:]
    _ = pseudonymizer.rewrite("client=mail.example.com[192.0.2.1]:25", counts: &counts)
    #expect(counts == ["host": 1, "ip": 1])
    counts = [:]
    _ = pseudonymizer.rewrite("connect from unknown[192.0.2.1] helo=<localhost>", counts: &counts)
    #expect(counts == ["ip": 1])
  }

  @Test func heloArgumentInText() {
    let host = pseudonymizer.host("client.example.net")
    #expect(pseudonymizer.rewrite("proto=ESMTP helo=<client.example.net>") == "proto=ESMTP helo=<\(host)>")
    #expect(pseudonymizer.rewrite("helo=<[192.0.2.1]>") == "helo=<[\(expectedIP("192.0.2.1"))]>")
  }

  @Test func hostPolicyKeep() {
    let keeping = Pseudonymizer(keys: testKeys, options: PseudonymOptions(hostNames: .keep(["example.com"])))
    #expect(keeping.host("mx.example.com") == "mx.example.com")
    #expect(keeping.host("mx.example.net") != "mx.example.net")
  }
}

@Suite struct IdentifierMaskTests {
  let pseudonymizer = Pseudonymizer(
    keys: testKeys, options: PseudonymOptions(identifierMasks: [.windowsSIDs, .guids, .dovecotSessionIDs]))

  @Test func masksDomainSIDsKeepsWellKnown() {
    #expect(
      pseudonymizer.rewrite("user S-1-5-21-3623811015-3361044348-30300820-1013 ok") == "user S-1-5-21-* ok")
    #expect(pseudonymizer.rewrite("S-1-5-18 and S-1-5-32-544") == "S-1-5-18 and S-1-5-32-544")
  }

  @Test func masksGUIDsWhenEnabled() {
    let input = "mailbox {6F9619FF-8B86-D011-B42D-00C04FC964FF} 1"
    #expect(pseudonymizer.rewrite(input) == "mailbox {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} 1")
    #expect(Pseudonymizer(keys: testKeys).rewrite(input) == input)
  }

  @Test func masksDovecotSession() {
    var counts: [String: Int] = [:]
    let out = pseudonymizer.rewrite(
      "imap-login: Login: user=<bob>, method=PLAIN, rip=192.0.2.1, session=<Yq3dfQ0BAAB/AAAB>", counts: &counts)
    #expect(out.hasSuffix("session=<****>"))
    #expect(counts["session-id"] == 1)
    #expect(counts["ip"] == 1)
  }
}

@Suite struct EpochAndKeyTests {
  @Test func differentEpochsGiveDifferentPseudonyms() {
    let april = Pseudonymizer(keys: PseudonymKeys(master: testMasterKey, epoch: "2026-04"))
    let may = Pseudonymizer(keys: PseudonymKeys(master: testMasterKey, epoch: "2026-05"))
    #expect(april.email("alice@example.com") != may.email("alice@example.com"))
    #expect(april.ip("192.0.2.1") != may.ip("192.0.2.1"))
    #expect(april.host("mx.example.com") != may.host("mx.example.com"))
  }

  @Test func differentKeysGiveDifferentPseudonyms() throws {
    let other = Pseudonymizer(keys: PseudonymKeys(master: try KeyMaterial(bytes: [UInt8](repeating: 9, count: 32))))
    #expect(other.email("alice@example.com") != Pseudonymizer(keys: testKeys).email("alice@example.com"))
  }

  @Test func detectsKinds() {
    #expect(Pseudonymizer.detectKind("192.0.2.1") == .ip)
    #expect(Pseudonymizer.detectKind("[2001:db8::1]:25") == .ip)
    #expect(Pseudonymizer.detectKind("alice@example.com") == .email)
    #expect(Pseudonymizer.detectKind("mx.example.com") == .host)
    #expect(Pseudonymizer.detectKind("bob") == .user)
    #expect(Pseudonymizer.detectKind("CORP\\bob") == .user)
  }

  @Test func smallCacheStaysCorrect() {
    let tiny = Pseudonymizer(keys: testKeys, options: PseudonymOptions(cacheCapacity: 2))
    let reference = Pseudonymizer(keys: testKeys)
    for round in 0..<3 {
      for k in 0..<10 {
        let line = "u\(k)@example.com 192.0.2.\(k + round) host\(k).example.net[198.51.100.\(k)]"
        #expect(tiny.rewrite(line) == reference.rewrite(line))
      }
    }
  }
}

@Suite struct UserFieldTests {
  let pseudonymizer = Pseudonymizer(keys: testKeys)

  @Test func dovecotLoginUser() {
    var counts: [String: Int] = [:]
    let bob = pseudonymizer.user("bob")
    let line = "imap-login: Login: user=<bob>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2, session=<Yq3dfQ0BAAB/AAAB>"
    #expect(
      pseudonymizer.rewrite(line, counts: &counts)
        == "imap-login: Login: user=<\(bob)>, method=PLAIN, rip=\(expectedIP("192.0.2.1")), "
        + "lip=\(expectedIP("192.0.2.2")), session=<****>")
    #expect(counts == ["user": 1, "ip": 2, "session-id": 1])
  }

  @Test func dovecotServicePrefixes() {
    let bob = pseudonymizer.user("bob")
    #expect(pseudonymizer.rewrite("dovecot: imap(bob): Logged out in=1") == "dovecot: imap(\(bob)): Logged out in=1")
    #expect(
      pseudonymizer.rewrite("imap(bob)<4711><Yq3dfQ0BAAB/AAAB>: Disconnected")
        == "imap(\(bob))<4711><****>: Disconnected")
    #expect(
      pseudonymizer.rewrite("auth: passwd-file(bob,192.0.2.1,<Yq3dfQ0BAAB/AAAB>): unknown user")
        == "auth: passwd-file(\(bob),\(expectedIP("192.0.2.1")),<****>): unknown user")
    let address = pseudonymizer.email("bob@example.com")
    #expect(pseudonymizer.rewrite("lmtp(bob@example.com): saved") == "lmtp(\(address)): saved")
  }

  @Test func postfixSaslUsername() {
    let bob = pseudonymizer.user("bob")
    #expect(
      pseudonymizer.rewrite("client=a[192.0.2.1], sasl_method=PLAIN, sasl_username=bob")
        .hasSuffix("sasl_username=\(bob)"))
    #expect(pseudonymizer.rewrite("sasl_username=bob, x") == "sasl_username=\(bob), x")
    let address = pseudonymizer.email("bob@example.com")
    #expect(pseudonymizer.rewrite("sasl_username=bob@example.com") == "sasl_username=\(address)")
  }

  @Test func wordsThatOnlyLookLikeFieldsAreLeftAlone() {
    for line in ["imapd(x y", "userland=<", "mapping(bob) 1", "user=<>", "sessions=<abc>"] {
      #expect(pseudonymizer.rewrite(line + " 1") == line + " 1")
    }
  }
}

@Suite struct FieldAPITests {
  let pseudonymizer = Pseudonymizer(keys: testKeys)

  @Test func appendPseudonymReportsChanges() {
    var out = Array("x=".utf8)
    let changed = Array("Alice@Example.com".utf8).withUnsafeBytes {
      pseudonymizer.appendPseudonym(of: .email, $0, to: &out)
    }
    #expect(changed)
    #expect(String(decoding: out, as: UTF8.self) == "x=" + pseudonymizer.email("alice@example.com"))
    var kept = [UInt8]()
    #expect(!Array("127.0.0.1".utf8).withUnsafeBytes { pseudonymizer.appendPseudonym(of: .ip, $0, to: &kept) })
    #expect(kept == Array("127.0.0.1".utf8))
    var notAnIP = [UInt8]()
    #expect(!Array("n/a".utf8).withUnsafeBytes { pseudonymizer.appendPseudonym(of: .ip, $0, to: &notAnIP) })
    #expect(notAnIP == Array("n/a".utf8))
  }

  @Test func rewriteByteLine() {
    let text = Array("from 192.0.2.1".utf8)
    var out = [UInt8]()
    var counts: [String: Int] = [:]
    text.withUnsafeBufferPointer { buffer in
      pseudonymizer.rewriteLine(ByteLine(base: buffer.baseAddress!, count: buffer.count), into: &out, counts: &counts)
    }
    #expect(String(decoding: out, as: UTF8.self) == "from \(expectedIP("192.0.2.1"))")
  }
}
