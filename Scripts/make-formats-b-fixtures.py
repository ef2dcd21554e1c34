#!/usr/bin/env python3
"""Writes the fixture inputs of the mail-syslog, dovecot-rawlog, hmailserver and mailenable formats
(Tests/LogWardenCoreTests/Fixtures/formats/<format>/...).

Inputs are generated so their exact bytes (CRLF, tabs, rsyslog's #011, binary garbage, TLS records, truncated last
lines) are reviewable here; expected outputs are recorded with `RECORD_GOLDENS=1 swift test --filter FormatGolden`
and reviewed in the diff. Shapes follow the real output of Dovecot 2.3.19 and Postfix 3.7 captured by
Tests/RealServers/run.sh, and the samples in the research notes. Addresses are documentation ranges and .test
domains; every password, token and message text is fake and listed in FormatsBLeakTests.swift.
"""
import base64
import os
import random

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "LogWardenCoreTests", "Fixtures", "formats")
NUL = "\0"
CRLF = "\r\n"
TAB = "\t"

# Planted secrets (also in Tests/LogWardenCoreTests/Formats/FormatsBLeakTests.swift).
PW_SPACE = "Tr0ub4dor&3 horse"
PW_QUOTE = 'qu"ote\\back slash'
PW_UTF8 = "pässwörd€42"
PW_LOGIN = "hunter2-secret"
PW_WRONG = "wr0ng guess)x'"
PW_STORED = "$6$saltsalt$storedhashvalue0123"
TOKEN = "ya29.A0ARrdaM-fake-oauth-token"
AUTH_TOKEN = "4397c139d62468f0a33667937ca6e97aa65eacc7"
COOKIE = "8ec077def707d11313ced0e16cabd6d6"
# Message text that must not survive under level4.
BODY = ["BODYTEXT-alpha", "BODYTEXT-beta", "SUBJECTLINE-gamma", "HEADERCHECK-delta", "APPENDED-epsilon"]


def b64(s):
    return base64.b64encode(s.encode("utf-8") if isinstance(s, str) else s).decode()


def plain(user, pw, authz=""):
    return b64(authz + NUL + user + NUL + pw)


def write(fmt, name, text, binary=False):
    d = os.path.join(ROOT, fmt)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    data = text if binary else text.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


def garbage(seed, n):
    r = random.Random(seed)
    return bytes(r.randrange(256) for _ in range(n)).replace(b"\n", b"\x01")


# MARK: - mail-syslog

def postfix_debug():
    h = "mx"
    s = f"Nov  6 20:02:02 {h} postfix/smtpd[8834]: "
    c = "unknown[192.0.2.77]"
    lines = [
        f"Nov  6 20:02:01 {h} postfix/smtpd[8834]: connect from {c}",
        s + f"> {c}: 220 mx.example.test ESMTP Postfix",
        s + "xsasl_dovecot_server_connect: auth reply: VERSION?1?2",
        s + "xsasl_dovecot_server_connect: auth reply: MECH?PLAIN?plaintext",
        s + f"xsasl_dovecot_server_connect: auth reply: COOKIE?{COOKIE}",
        s + "xsasl_dovecot_server_connect: auth reply: DONE",
        s + f"< {c}: EHLO [192.0.2.77]",
        s + f"> {c}: 250-mx.example.test",
        s + f"> {c}: 250-AUTH LOGIN PLAIN CRAM-MD5",
        s + f"> {c}: 250 8BITMIME",
        # AUTH PLAIN with an initial response: logged twice (the < line and init_response).
        s + f"< {c}: AUTH PLAIN {plain('fred@example.test', PW_SPACE)}",
        s + f"xsasl_dovecot_server_first: sasl_method PLAIN, init_response {plain('fred@example.test', PW_SPACE)}",
        s + "xsasl_dovecot_handle_reply: auth reply: FAIL?1?user=fred@example.test?reason=bad pass=" + PW_WRONG.split()[0],
        s + f"warning: {c}: SASL PLAIN authentication failed: ",
        s + f"> {c}: 535 5.7.8 Error: authentication failed: ",
        # AUTH LOGIN with both answers on their own lines.
        s + f"< {c}: AUTH LOGIN",
        s + "xsasl_dovecot_server_first: sasl_method LOGIN",
        s + "xsasl_dovecot_handle_reply: auth reply: CONT?2?VXNlcm5hbWU6",
        s + f"> {c}: 334 VXNlcm5hbWU6",
        s + f"< {c}: {b64('fred@example.test')}",
        s + f"> {c}: 334 UGFzc3dvcmQ6",
        s + f"< {c}: {b64(PW_LOGIN)}",
        s + f"xsasl_dovecot_handle_reply: auth reply: OK?2?user=fred@example.test?token={AUTH_TOKEN}",
        s + f"> {c}: 235 2.7.0 Authentication successful",
        # Cyrus SASL debug prints the decoded response.
        s + f"smtpd_sasl_authenticate: decoded initial response {NUL.join(['', 'fred', PW_QUOTE]).replace(NUL, '?')}",
        s + f"< {c}: MAIL FROM:<fred@example.test> SIZE=1024",
        s + f"> {c}: 250 2.1.0 Ok",
        s + f"< {c}: RCPT TO:<bob@example.test>",
        s + f"> {c}: 250 2.1.5 Ok",
        s + f"< {c}: DATA",
        s + f"> {c}: 354 End data with <CR><LF>.<CR><LF>",
        f"Nov  6 20:02:02 {h} postfix/cleanup[8840]: 4F1C3A1: warning: header Subject: {BODY[2]} from {c}; from=<fred@example.test> to=<bob@example.test> proto=ESMTP helo=<[192.0.2.77]>",
        f"Nov  6 20:02:02 {h} postfix/cleanup[8840]: 4F1C3A1: warning: body {BODY[3]} from a; from=<x> fake from {c}; from=<fred@example.test> to=<bob@example.test> proto=ESMTP helo=<[192.0.2.77]>: matched rule",
        f"Nov  6 20:02:02 {h} postfix/cleanup[8840]: 4F1C3A1: reject: header X-Spam: {BODY[4]} from {c}; from=<fred@example.test> to=<bob@example.test> proto=ESMTP helo=<[192.0.2.77]>: 5.7.1 no",
        s + f"> {c}: 250 2.0.0 Ok: queued as 4F1C3A1",
        s + f"< {c}: QUIT",
        s + f"> {c}: 221 2.0.0 Bye",
        f"Nov  6 20:02:03 {h} postfix/smtpd[8834]: 4F1C3A1: client={c}, sasl_method=LOGIN, sasl_username=fred@example.test",
        s + f"disconnect from {c} ehlo=1 auth=1/2 mail=1 rcpt=1 data=1 quit=1 commands=6/7",
        # Postfix as a client relaying with SASL (debug_peer_list / smtp -v): `>` lines are its commands.
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: smtp_sasl_passwd_lookup: host `relay.example.test' user `relay-account' pass `{PW_UTF8}'",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: maps_find: smtp_sasl_password_maps: hash:/etc/postfix/sasl_passwd(0,lock|fold_fix|utf8_request): [relay.example.test]:587 = relay-account:{PW_UTF8}",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: < relay.example.test[198.51.100.25]:587: 220 relay.example.test ESMTP",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: > relay.example.test[198.51.100.25]:587: EHLO mx.example.test",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: < relay.example.test[198.51.100.25]:587: 250 AUTH PLAIN LOGIN",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: xsasl_cyrus_client_first: uncoded initial reply: ?relay-account?{PW_UTF8}",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: > relay.example.test[198.51.100.25]:587: AUTH PLAIN {plain('relay-account', PW_UTF8)}",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: < relay.example.test[198.51.100.25]:587: 235 2.7.0 ok",
        # A map lookup answered through proxymap: the value line follows `input attribute name: value`.
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: input attribute name: value",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: input attribute value: relay-account:{PW_UTF8}",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: input attribute name: status",
        f"Nov  6 20:03:00 {h} postfix/smtp[9001]: input attribute value: 0",
        # LMTP client with PIPELINING: replies to MAIL/RCPT come after DATA was sent.
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: < mx.example.test[private/dovecot-lmtp]: 220 mx Dovecot ready.",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: > mx.example.test[private/dovecot-lmtp]: LHLO mx.example.test",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: < mx.example.test[private/dovecot-lmtp]: 250 PIPELINING",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: > mx.example.test[private/dovecot-lmtp]: MAIL FROM:<fred@example.test>",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: > mx.example.test[private/dovecot-lmtp]: RCPT TO:<bob@example.test>",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: > mx.example.test[private/dovecot-lmtp]: DATA",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: < mx.example.test[private/dovecot-lmtp]: 250 2.1.0 OK",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: < mx.example.test[private/dovecot-lmtp]: 250 2.1.5 OK",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: < mx.example.test[private/dovecot-lmtp]: 354 OK",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: > mx.example.test[private/dovecot-lmtp]: .",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: < mx.example.test[private/dovecot-lmtp]: 250 2.0.0 <bob@example.test> Saved",
        f"Nov  6 20:03:01 {h} postfix/lmtp[9002]: > mx.example.test[private/dovecot-lmtp]: QUIT",
        # Unrelated noise stays as it is.
        f"Nov  6 20:03:02 {h} postfix/qmgr[700]: 4F1C3A1: removed",
        f"Nov  6 20:03:02 {h} CRON[123]: (root) CMD (run-parts /etc/cron.hourly)",
    ]
    write("mail-syslog", "postfix-debug-peer.log", "\n".join(lines) + "\n")


def postfix_rfc3339():
    # Two interleaved sessions; process 4382 serves two connections in a row (the session resets at connect).
    def s(t, pid, msg):
        return f"2024-05-01T10:00:{t}.123456+02:00 mail postfix/submission/smtpd[{pid}]: {msg}"
    a = "client.example.test[2001:db8::25]"
    b = "unknown[198.51.100.7]"
    lines = [
        s("00", 4382, f"connect from {a}"),
        s("00", 4382, f"> {a}: 220 mail.example.test ESMTP"),
        s("01", 5511, f"connect from {b}"),
        s("01", 4382, f"< {a}: EHLO client"),
        s("01", 5511, f"> {b}: 220 mail.example.test ESMTP"),
        s("02", 4382, f"> {a}: 250 AUTH PLAIN LOGIN"),
        s("02", 5511, f"< {b}: EHLO [198.51.100.7]"),
        s("02", 4382, f"< {a}: AUTH PLAIN"),
        s("02", 5511, f"> {b}: 250 AUTH PLAIN LOGIN"),
        s("03", 4382, f"> {a}: 334 "),
        s("03", 5511, f"< {b}: AUTH LOGIN {b64('bob@example.test')}"),
        s("03", 4382, f"< {a}: {plain('alice@example.test', PW_QUOTE)}"),
        s("03", 5511, f"> {b}: 334 UGFzc3dvcmQ6"),
        s("04", 4382, f"> {a}: 235 2.7.0 Authentication successful"),
        s("04", 5511, f"< {b}: {b64(PW_LOGIN)}"),
        s("04", 5511, f"> {b}: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"),
        s("05", 5511, f"< {b}: *"),
        s("05", 4382, f"< {a}: QUIT"),
        s("05", 4382, f"disconnect from {a} ehlo=1 auth=1 quit=1 commands=3"),
        # The same process, a new connection: the log starts this session at `connect from`.
        s("06", 4382, f"connect from {a}"),
        s("06", 4382, f"> {a}: 220 mail.example.test ESMTP"),
        s("06", 4382, f"< {a}: AUTH XOAUTH2 {b64('user=alice@example.test' + chr(1) + 'auth=Bearer ' + TOKEN + chr(1) + chr(1))}"),
        s("07", 4382, f"> {a}: 235 2.7.0 Authentication successful"),
        s("07", 4382, f"< {a}: BDAT 32 LAST"),
        s("07", 4382, f"> {a}: 250 2.0.0 Ok: queued as 9A8B7C"),
        # A session that joined before this file began: its first client line is a SASL answer.
        s("08", 6001, f"< {b}: {b64(PW_SPACE)}"),
        s("08", 6001, f"> {b}: 235 2.7.0 Authentication successful"),
        s("08", 6001, f"< {b}: MAIL FROM:<bob@example.test>"),
        # journald-style offset without a colon.
        "2024-05-01T10:00:09+0200 mail postfix/smtpd[6001]: disconnect from unknown[198.51.100.7] commands=2",
    ]
    write("mail-syslog", "postfix-rfc3339.log", "\n".join(lines) + "\n")


def dovecot_log_path():
    T = "\t"
    a = "Nov 22 13:29:23 auth: "
    lines = [
        "Nov 22 13:29:20 master: Info: Dovecot v2.3.19.1 (9b53102964) starting up for imap, pop3, lmtp",
        a + "Debug: auth client connected (pid=19659)",
        a + f"Debug: client in: AUTH{T}1{T}PLAIN{T}service=imap{T}secured{T}session=NtNDd91gnod/AAAB{T}lip=192.0.2.9{T}rip=192.0.2.77{T}lport=143{T}rport=34718{T}resp={plain('fred@example.test', PW_SPACE)} (previous base64 data may contain sensitive data)",
        a + f"Debug: client in: AUTH{T}2{T}LOGIN{T}service=smtp{T}nologin{T}lip=192.0.2.9{T}rip=192.0.2.77",
        a + f"Debug: client passdb out: CONT{T}2{T}VXNlcm5hbWU6",
        a + f"Debug: client in: CONT{T}2{T}{b64('fred@example.test')} (previous base64 data may contain sensitive data)",
        a + f"Debug: client passdb out: CONT{T}2{T}UGFzc3dvcmQ6",
        a + f"Debug: client in: CONT{T}2{T}{b64(PW_LOGIN)} (previous base64 data may contain sensitive data)",
        a + f"Debug: client in: AUTH{T}3{T}PLAIN{T}service=imap{T}resp=<hidden>",
        a + f"Info: passwd-file(fred@example.test,192.0.2.77,<NtNDd91gnod/AAAB>): Password mismatch (given password: {PW_WRONG})",
        a + f"Debug: passwd-file(fred@example.test,192.0.2.77,<NtNDd91gnod/AAAB>): PLAIN({PW_WRONG}) != '{PW_SPACE}'",
        a + f"Debug: sql(fred@example.test,192.0.2.77): SHA512-CRYPT({PW_QUOTE}) != '{PW_STORED}'",
        a + f"Debug: passwd-file(dave@example.test,192.0.2.77): Generating CRAM-MD5 from user 'dave@example.test', password '{PW_UTF8}'",
        a + "Debug: passwd-file(dave@example.test): Credentials: " + PW_UTF8.encode().hex(),
        a + f"Debug: master in: REQUEST{T}1787428865{T}20122{T}1{T}7fdd1bc30dd764f18321c9f0b2cd948d{T}session_pid=20381{T}request_auth_token",
        a + f"Debug: master userdb out: USER{T}1787428865{T}fred@example.test{T}uid=65534{T}home=/var/mail/fred{T}auth_mech=PLAIN{T}auth_token={AUTH_TOKEN}",
        a + f"Debug: client passdb out: OK{T}4{T}user=fred@example.test{T}proxy{T}host=192.0.2.33{T}pass={PW_UTF8}",
        a + f"Info: Username character disallowed by auth_username_chars: 0x22 (username: \"{PW_QUOTE}\")",
        "Nov 22 13:29:24 auth-worker(4567): " + f"Info: pam(fred,192.0.2.77): pam_authenticate() failed: Authentication failure (password mismatch?) (given password: {PW_WRONG})",
        "Nov 22 13:29:24 auth-worker(4567): " + f"Debug: oauth2(fred,192.0.2.77): Introspection with token={TOKEN} failed, Authorization: Bearer {TOKEN}",
        "Nov 22 13:29:25 imap-login: Info: Login: user=<fred@example.test>, method=PLAIN, rip=192.0.2.77, lip=192.0.2.9, mpid=20381, secured, session=<NtNDd91gnod/AAAB>",
        "Nov 22 13:29:25 imap(fred@example.test)<20381><NtNDd91gnod/AAAB>: Info: Disconnected: Logged out in=12 out=477",
        "Nov 22 13:29:26 pop3-login: Info: Disconnected (auth failed, 1 attempts in 2 secs): user=<fred@example.test>, method=PLAIN, rip=192.0.2.77, session=<c6MCd91gPJ5/AAAB>",
        # A custom log_timestamp (ISO with a space).
        f"2024-05-01 10:00:00 auth: Debug: client in: CONT{T}5{T}{plain('bob@example.test', PW_UTF8)}",
    ]
    write("mail-syslog", "dovecot-auth-debug.log", "\n".join(lines) + "\n")


def dovecot_syslog():
    # Dovecot through rsyslog: TABs escaped as #011; mixed with other programs; CRLF endings; an unparsable line,
    # binary garbage and a truncated last line.
    E = "#011"
    lines = [
        f"May  1 10:00:00 mx dovecot: auth: Debug: client in: AUTH{E}1{E}PLAIN{E}service=pop3{E}secured{E}resp={plain('fred@example.test', PW_QUOTE)} (previous base64 data may contain sensitive data)",
        f"May  1 10:00:00 mx dovecot[812]: auth-worker(4567): Info: passwd-file(fred,192.0.2.77): unknown user (given password: {PW_SPACE})",
        f"May  1 10:00:00 mx dovecot: auth: Debug: client in: CONT{E}1{E}{b64(PW_LOGIN)}",
        "May  1 10:00:01 mx kernel: [12345.678] eth0: link up",
        "May  1 10:00:01 mx dovecot: pop3-login: Login: user=<fred@example.test>, method=PLAIN, rip=192.0.2.77, lip=192.0.2.9, mpid=4800, TLS, session=<VcbljZMcnQC7rFOw>",
        "this line has no syslog prefix and password=" + PW_UTF8,
        "May  1 10:00:02 mx saslauthd[311]: do_auth: auth failure: [user=fred] [service=smtp] [realm=] [mech=pam] [password=" + PW_LOGIN + "]",
        # A program this format does not know: the generic line-wise scan applies to its message.
        f"May  1 10:00:02 mx imapd[900]: debug: C: a1 LOGIN fred {PW_UTF8}",
        "May  1 10:00:02 mx imapd[900]: debug: S: a1 OK LOGIN completed",
    ]
    text = (CRLF.join(lines) + CRLF).encode("utf-8")
    text += garbage(7, 60) + b"\r\n"
    text += f"May  1 10:00:03 mx dovecot: auth: Debug: client in: CONT{E}2{E}{b64(PW_UTF8)}".encode()
    write("mail-syslog", "dovecot-syslog-crlf.log", text, binary=True)


# MARK: - dovecot-rawlog

class Clock:
    def __init__(self, start):
        self.t = start

    def stamp(self, step=0.000137):
        self.t += step
        s = int(self.t)
        return f"{s}.{int(round((self.t - s) * 1e6)) % 1000000:06d} "


def imap_pair(stamped, clock):
    """The client and server lines of one IMAP connection, in order: (direction, text)."""
    appended = (f"From: fred <fred@example.test>\r\nSubject: {BODY[4]}\r\n\r\nfirst line\r\n"
                f"{BODY[0]} appended\r\na9 LOGIN looks like a command\r\n")
    fetched = (f"Return-Path: <bob@example.test>\r\nSubject: {BODY[2]}\r\n\r\n{BODY[1]} fetched\r\n"
               f"a10 LOGOUT inside the body\r\n")
    q = PW_QUOTE.replace("\\", "\\\\").replace('"', '\\"')
    conv = [
        ("S", "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot ready."),
        ("C", "a1 CAPABILITY"),
        ("S", "* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN"),
        ("S", "a1 OK Pre-login capabilities listed."),
        ("C", f'a2 LOGIN "fred@example.test" "{q}"'),
        ("S", "a2 NO [AUTHENTICATIONFAILED] Authentication failed."),
        ("C", f'a3 LOGIN "fred@example.test" {{{len(PW_UTF8.encode())}}}'),
        ("S", "+ OK"),
        ("C", PW_UTF8),
        ("S", "a3 NO [AUTHENTICATIONFAILED] Authentication failed."),
        ("C", "a4 AUTHENTICATE LOGIN"),
        ("S", "+ VXNlcm5hbWU6"),
        ("C", b64("fred@example.test")),
        ("S", "+ UGFzc3dvcmQ6"),
        ("C", b64(PW_LOGIN)),
        ("S", "a4 NO [AUTHENTICATIONFAILED] Authentication failed."),
        ("C", "a5 AUTHENTICATE PLAIN"),
        ("S", "+ "),
        ("C", plain("fred@example.test", PW_SPACE)),
        ("S", "a5 OK [CAPABILITY IMAP4rev1] Logged in"),
        ("C", f"a6 APPEND INBOX (\\Seen) {{{len(appended.encode())}}}"),
        ("S", "+ OK"),
    ]
    conv += [("C", l) for l in appended.split("\r\n")[:-1]] + [("C", "")]
    conv += [
        ("S", "a6 OK [APPENDUID 1 2] Append completed."),
        ("C", "a7 SELECT INBOX"),
        ("S", "* 2 EXISTS"),
        ("S", "a7 OK [READ-WRITE] Select completed."),
        ("C", "a8 FETCH 1 (BODY[])"),
        ("S", f"* 1 FETCH (BODY[] {{{len(fetched.encode())}}}"),
    ]
    conv += [("S", l) for l in fetched.split("\r\n")[:-1]] + [("S", ")")]
    conv += [
        ("S", "a8 OK Fetch completed."),
        ("C", "a9 LOGOUT"),
        ("S", "* BYE Logging out"),
        ("S", "a9 OK Logout completed."),
    ]
    cin, cout = [], []
    for d, text in conv:
        prefix = clock.stamp() if stamped else ""
        (cin if d == "C" else cout).append(prefix + text)
    return cin, cout


def rawlogs():
    # Single halves of one IMAP connection (each read alone: the other side is inferred).
    cin, cout = imap_pair(True, Clock(1714550400.0))
    write("dovecot-rawlog", "20240501-100000.1234.1.in", CRLF.join(cin) + CRLF)
    write("dovecot-rawlog", "20240501-100000.1234.1.out", CRLF.join(cout) + CRLF)
    # The same as a pair, stamped (interleaved by time).
    cin, cout = imap_pair(True, Clock(1714550400.0))
    write("dovecot-rawlog/pairs", "20240501-100000.1234.1.in", CRLF.join(cin) + CRLF)
    write("dovecot-rawlog/pairs", "20240501-100000.1234.1.out", CRLF.join(cout) + CRLF)

    # POP3, legacy rawlog name, no timestamps: read side by side from recorded commands. Also alone (.out).
    message = [f"Subject: {BODY[2]}", "", f"{BODY[1]} in a POP3 message", "+OK inside the body", "..dot-stuffed"]
    pc = ["CAPA", "USER fred@example.test", f"PASS {PW_SPACE}", "AUTH PLAIN", plain("fred@example.test", PW_UTF8),
          "STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "QUIT"]
    ps = ["+OK Dovecot ready.", "+OK", "CAPA", "TOP", "UIDL", "SASL PLAIN LOGIN", ".", "+OK",
          "-ERR [AUTH] Authentication failed.", "+ ", "+OK Logged in.", "+OK 1 120", "+OK 1 messages:", "1 120", ".",
          "+OK", "1 000000017c5a3b21", ".", "+OK 120 octets"] + message + [".", "+OK"] + message[:2] + [".",
          "+OK Logging out."]
    write("dovecot-rawlog/pairs", "192.0.2.77-20240501-100100-2222.in", CRLF.join(pc) + CRLF)
    write("dovecot-rawlog/pairs", "192.0.2.77-20240501-100100-2222.out", CRLF.join(ps) + CRLF)
    write("dovecot-rawlog", "20240501-100100.2222.1.out", CRLF.join(ps) + CRLF)

    # SMTP (submission) client half alone: AUTH LOGIN, a message, AUTH PLAIN; truncated last line.
    clock = Clock(1714550520.0)
    sc = ["EHLO client.example.test", "AUTH LOGIN", b64("fred@example.test"), b64(PW_LOGIN), "MAIL FROM:<fred@example.test>",
          "RCPT TO:<bob@example.test>", "DATA", f"Subject: {BODY[2]}", "", f"{BODY[0]} in an SMTP message",
          "QUIT is not a command here", "..leading dot", ".", "RSET", f"AUTH PLAIN {plain('', PW_QUOTE, 'x')}",
          "NOOP", "QUIT"]
    text = CRLF.join(clock.stamp() + l for l in sc)  # no final line break: truncated
    write("dovecot-rawlog", "20240501-100200.3333.7.in", text)

    # SMTP pair with STARTTLS: the encrypted rest (with stray LF bytes) is never copied.
    clock = Clock(1714550600.0)
    tls_client = b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + garbage(1, 120) + b"\n" + garbage(2, 40)
    tls_server = b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03" + garbage(3, 90) + b"\n" + garbage(4, 200)
    conv = [("S", "220 mx.example.test ESMTP"), ("C", "EHLO client.example.test"), ("S", "250-mx.example.test"),
            ("S", "250 STARTTLS"), ("C", "STARTTLS"), ("S", "220 2.0.0 Ready to start TLS")]
    stamped = [(d, clock.stamp() + t) for d, t in conv]
    cin = [t for d, t in stamped if d == "C"]
    cout = [t for d, t in stamped if d == "S"]
    stamp_c, stamp_s = clock.stamp(), clock.stamp()
    cdata = (CRLF.join(cin) + CRLF).encode() + stamp_c.encode() + tls_client.replace(b"\n", b"\n" + stamp_c.encode())
    sdata = (CRLF.join(cout) + CRLF).encode() + stamp_s.encode() + tls_server.replace(b"\n", b"\n" + stamp_s.encode())
    write("dovecot-rawlog/pairs", "20240501-100300.4444.2.in", cdata, binary=True)
    write("dovecot-rawlog/pairs", "20240501-100300.4444.2.out", sdata, binary=True)

    # Dovecot as the client (lmtp_proxy_rawlog_dir): .in holds the server's replies, .out its commands.
    clock = Clock(1714550700.0)
    conv = [("S", "220 backend ready"), ("C", "LHLO proxy"), ("S", "250 PIPELINING"),
            ("C", "MAIL FROM:<fred@example.test>"), ("C", "RCPT TO:<bob@example.test>"), ("C", "DATA"),
            ("S", "250 2.1.0 OK"), ("S", "250 2.1.5 OK"), ("S", "354 OK"), ("C", f"Subject: {BODY[2]}"), ("C", ""),
            ("C", f"{BODY[1]} relayed"), ("C", "."), ("S", "250 2.0.0 <bob@example.test> Saved"), ("C", "QUIT"),
            ("S", "221 Bye")]
    stamped = [(d, clock.stamp() + t) for d, t in conv]
    write("dovecot-rawlog/pairs", "20240501-100500.5555.1.in", CRLF.join(t for d, t in stamped if d == "S") + CRLF)
    write("dovecot-rawlog/pairs", "20240501-100500.5555.1.out", CRLF.join(t for d, t in stamped if d == "C") + CRLF)

    # Single stream (rawlog to one path): I:/O: records, a line split into I> pieces, binary garbage.
    clock = Clock(1714550800.0)
    token = b64("user=fred@example.test\x01auth=Bearer " + TOKEN + "A" * 9000 + "\x01\x01")
    first, rest = token[:8200], token[8200:]
    recs = [
        clock.stamp() + "O: * OK Dovecot ready.\r\n",
        clock.stamp() + "I> t1 AUTHENTICATE XOAUTH2 " + first,  # a piece of a long line: no line break
        clock.stamp() + "I: " + rest + "\r\n",
        clock.stamp() + "O: t1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
        clock.stamp() + 'I: t2 LOGIN fred "' + PW_QUOTE.replace("\\", "\\\\").replace('"', '\\"') + '"\r\n',
        clock.stamp() + "O: t2 OK Logged in\r\n",
    ]
    data = "".join(recs).encode() + (clock.stamp() + "I: ").encode() + garbage(9, 30) + b"\r\n"
    data += (clock.stamp() + "I: t3 LOGOUT\r\n" + clock.stamp() + "O: * BYE\r\n").encode()
    write("dovecot-rawlog", "single-stream.log", data, binary=True)

    # Implicit TLS from the first byte (a pre-login rawlog of port 993).
    clock = Clock(1714550900.0)
    s = clock.stamp().encode()
    write("dovecot-rawlog", "20240501-100900.6666.1.in", s + b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + garbage(5, 300).replace(b"\n", b"\n" + s) + b"\n", binary=True)


# MARK: - hMailServer

def hmailserver():
    def sess(kind, thread, session, t, ip, msg):
        return f'"{kind}"\t{thread}\t{session}\t"2020-02-28 15:06:{t}"\t"{ip}"\t"{msg}"'

    def other(kind, thread, t, msg):
        return f'"{kind}"\t{thread}\t"2020-02-28 15:06:{t}"\t"{msg}"'

    ip = "192.0.2.55"
    lines = [
        other("TCPIP", 5104, "25.100", "TCP - 192.0.2.55 connected to 192.0.2.9:25."),
        other("DEBUG", 5104, "25.100", "TCP connection started for session 4"),
        sess("SMTPD", 5444, 4, "25.101", ip, "SENT: 220 mail.example.test ESMTP"),
        sess("SMTPD", 5444, 4, "25.102", ip, "RECEIVED: EHLO client"),
        sess("SMTPD", 5444, 4, "25.103", ip, "SENT: 250-mail.example.test[nl]250-SIZE 20480000[nl]250-AUTH LOGIN PLAIN[nl]250 HELP"),
        sess("SMTPD", 5444, 4, "25.104", ip, "RECEIVED: AUTH LOGIN"),
        sess("SMTPD", 5444, 4, "25.105", ip, "SENT: 334 VXNlcm5hbWU6"),
        # hMailServer keeps the AUTH LOGIN user name (base64) and masks the password itself.
        sess("SMTPD", 5444, 4, "25.106", ip, f"RECEIVED: {b64('fred@example.test')}"),
        sess("SMTPD", 5444, 4, "25.107", ip, "SENT: 334 UGFzc3dvcmQ6"),
        sess("SMTPD", 5444, 4, "25.108", ip, "RECEIVED: ***"),
        sess("SMTPD", 5444, 4, "25.109", ip, "SENT: 535 Authentication failed. Restarting authentication process."),
        # AUTH PLAIN as hMailServer writes it: base64 of the user name, then ***.
        sess("SMTPD", 5444, 4, "25.110", ip, f"RECEIVED: AUTH PLAIN {b64('fred@example.test')} ***"),
        sess("SMTPD", 5444, 4, "25.111", ip, "SENT: 235 authenticated."),
        sess("SMTPD", 5444, 4, "25.112", ip, "RECEIVED: MAIL FROM:<fred@example.test>"),
        sess("SMTPD", 5444, 4, "25.113", ip, "SENT: 250 OK"),
        sess("SMTPD", 5444, 4, "25.114", ip, "RECEIVED: DATA"),
        sess("SMTPD", 5444, 4, "25.115", ip, "SENT: 354 OK, send."),
        sess("SMTPD", 5444, 4, "25.116", ip, "SENT: 250 Queued (1.234 seconds)"),
        other("DEBUG", 5104, "25.200", "TCP connection started for session 7"),
        sess("POP3D", 5104, 7, "25.201", ip, "SENT: +OK POP3 <4415.1590761234@mail.example.test>"),
        sess("POP3D", 5104, 7, "25.202", ip, "RECEIVED: USER fred@example.test"),
        sess("POP3D", 5104, 7, "25.203", ip, "SENT: +OK Send your password"),
        sess("POP3D", 5104, 7, "25.204", ip, "RECEIVED: PASS ***"),
        sess("POP3D", 5104, 7, "25.205", ip, "SENT: -ERR Invalid user name or password."),
        # APOP digests are not masked by hMailServer.
        sess("POP3D", 5104, 7, "25.206", ip, "RECEIVED: APOP fred@example.test c4c9334bac560ecc979e58001b3e22fb"),
        sess("POP3D", 5104, 7, "25.207", ip, "SENT: +OK Mailbox locked and ready"),
        sess("POP3D", 5104, 7, "25.208", ip, "RECEIVED: LIST"),
        sess("POP3D", 5104, 7, "25.209", ip, "SENT: +OK 2 messages (320 octets)[nl]1 120[nl]2 200[nl]."),
        sess("POP3D", 5104, 7, "25.210", ip, "RECEIVED: RETR 1"),
        sess("POP3D", 5104, 7, "25.211", ip, f"SENT: +OK 120 octets[nl]Subject: {BODY[2]}[nl][nl]{BODY[1]}[nl]."),
        sess("POP3D", 5104, 7, "25.212", ip, "RECEIVED: QUIT"),
        sess("IMAPD", 5436, 2, "25.909", ip, "SENT: * OK IMAPrev1"),
        sess("IMAPD", 5436, 2, "25.910", ip, 'RECEIVED: 3 login "fred@example.test" ***'),
        sess("IMAPD", 5436, 2, "26.123", ip, "SENT: 3 OK LOGIN completed"),
        # AUTHENTICATE continuations are logged as they are.
        sess("IMAPD", 5436, 2, "26.200", ip, "RECEIVED: 4 AUTHENTICATE PLAIN"),
        sess("IMAPD", 5436, 2, "26.201", ip, "SENT: + "),
        sess("IMAPD", 5436, 2, "26.202", ip, f"RECEIVED: {plain('fred@example.test', PW_SPACE)}"),
        sess("IMAPD", 5436, 2, "26.203", ip, "SENT: 4 OK AUTHENTICATE completed"),
        # An old build that logged LOGIN in clear (quotes inside the message are not escaped).
        sess("IMAPD", 5436, 9, "26.300", ip, "SENT: * OK IMAPrev1"),
        sess("IMAPD", 5436, 9, "26.301", ip, f'RECEIVED: 5 LOGIN "fred@example.test" "{PW_QUOTE.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'),
        # hMailServer as a client: SENT lines are its commands.
        sess("SMTPC", 4248, 113, "27.000", "198.51.100.25", "RECEIVED: 220 relay.example.test ESMTP"),
        sess("SMTPC", 4248, 113, "27.001", "198.51.100.25", "SENT: AUTH LOGIN"),
        sess("SMTPC", 4248, 113, "27.002", "198.51.100.25", "RECEIVED: 334 VXNlcm5hbWU6"),
        sess("SMTPC", 4248, 113, "27.003", "198.51.100.25", f"SENT: {b64('relay-account')}"),
        sess("SMTPC", 4248, 113, "27.004", "198.51.100.25", "RECEIVED: 334 UGFzc3dvcmQ6"),
        sess("SMTPC", 4248, 113, "27.005", "198.51.100.25", "SENT: ***"),
        sess("POP3C", 4300, 114, "27.100", "198.51.100.26", "RECEIVED: +OK ready"),
        sess("POP3C", 4300, 114, "27.101", "198.51.100.26", "SENT: USER external"),
        sess("POP3C", 4300, 114, "27.102", "198.51.100.26", "RECEIVED: +OK"),
        sess("POP3C", 4300, 114, "27.103", "198.51.100.26", f"SENT: PASS {PW_UTF8}"),
        other("APPLICATION", 5104, "28.000", "SMTPDeliverer - Message 12: Delivering message..."),
        other("ERROR", 5104, "28.001", f"Severity: 2 (High), Code: HM5144, Source: x, Description: auth failed, password={PW_LOGIN}"),
        '"SMTPD"\tbroken line without fields',
    ]
    data = (CRLF.join(lines) + CRLF).encode("utf-8") + garbage(11, 50) + b"\r\n"
    # Truncated last line (no closing quote, no line break).
    data += sess("SMTPD", 5444, 4, "29.000", ip, f"RECEIVED: AUTH PLAIN {plain('fred@example.test', PW_LOGIN)}").encode()[:-1]
    write("hmailserver", "hmailserver_2020-02-28.log", data, binary=True)


# MARK: - MailEnable

def mailenable():
    def row(t, kind, conn, ip, verb, client, reply, out_b, in_b, user="", subject=None, split_date=False):
        date = "04/22/11" + ("\t" if split_date else " ") + t
        cols = [date, kind, "DB5317C3680B4A4F8FB7660F65307C96.MAI", str(conn), ip, verb, client, reply, str(out_b), str(in_b), user]
        if subject is not None:
            cols.append(subject)
        return "\t".join(cols)

    ip = "192.0.2.66"
    lines = [
        "[04/22/11 13:15:00]****************** LOG FILE STARTED *******************",
        row("13:15:49", "SMTP-IN", 208, ip, "EHLO", "EHLO Java3", "250-mail.example.test [192.0.2.66], this server offers 4 extensions", 122, 12),
        row("13:15:49", "SMTP-IN", 208, ip, "AUTH", "AUTH LOGIN", "334 VXNlcm5hbWU6", 18, 12),
        row("13:15:49", "SMTP-IN", 209, "192.0.2.88", "EHLO", "EHLO other", "250-mail.example.test", 40, 12),
        row("13:15:49", "SMTP-IN", 208, ip, "AUTH", b64("fred@example.test"), "334 UGFzc3dvcmQ6", 18, 26, "fred@example.test"),
        row("13:15:49", "SMTP-IN", 209, "192.0.2.88", "AUTH", f"AUTH PLAIN {plain('bob@example.test', PW_SPACE)}", "235 Authenticated", 19, 40, "bob@example.test"),
        row("13:15:49", "SMTP-IN", 208, ip, "AUTH", b64(PW_LOGIN), "235 Authenticated", 19, 14, "fred@example.test"),
        row("13:15:50", "SMTP-IN", 208, ip, "MAIL", "MAIL FROM:<fred@example.test>", "250 Requested mail action okay, completed", 43, 32, "fred@example.test"),
        row("13:15:50", "SMTP-IN", 208, ip, "DATA", "DATA", "354 Start mail input; end with <CRLF>.<CRLF>", 46, 6, "fred@example.test"),
        row("13:15:50", "SMTP-IN", 208, ip, "DATA", ".", "250 Requested mail action okay, completed", 46, 900, "fred@example.test", subject=f"{BODY[2]} and more"),
        row("13:15:51", "SMTP-IN", 208, ip, "QUIT", "QUIT", "221 Service closing transmission channel", 40, 6, "fred@example.test"),
        # v8 writes {blank} for the AUTH LOGIN answers.
        row("16:04:36", "SMTP-IN", 880, "198.51.100.42", "AUTH", "AUTH LOGIN", "334 VXNlcm5hbWU6", 18, 12),
        row("16:04:36", "SMTP-IN", 880, "198.51.100.42", "AUTH", "{blank}", "334 UGFzc3dvcmQ6", 18, 30, "fred@example.test"),
        row("16:04:36", "SMTP-IN", 880, "198.51.100.42", "AUTH", "{blank}", "235 Authenticated", 19, 42, "fred@example.test"),
        # A session already in its AUTH exchange when the file began.
        row("16:05:00", "SMTP-IN", 881, "198.51.100.43", "AUTH", b64(PW_UTF8), "235 Authenticated", 19, 42, "bob@example.test"),
        # Outbound, date and time in two columns.
        row("16:06:00", "SMTP-OU", 12, "198.51.100.25", "EHLO", "EHLO mail.example.test", "250 relay.example.test", 20, 30, split_date=True),
        row("16:06:00", "SMTP-OU", 12, "198.51.100.25", "AUTH", f"AUTH PLAIN {plain('relay-account', PW_QUOTE)}", "235 2.7.0 ok", 20, 30, split_date=True),
        "not a MailEnable row at all",
    ]
    data = (CRLF.join(lines) + CRLF).encode("utf-8") + garbage(13, 40) + b"\r\n"
    data += row("16:07:00", "SMTP-IN", 882, ip, "AUTH", b64(PW_SPACE), "235 Authenticated", 19, 14).encode()  # truncated: no CRLF
    write("mailenable", "SMTP-Activity-110422.log", data, binary=True)


if __name__ == "__main__":
    postfix_debug()
    postfix_rfc3339()
    dovecot_log_path()
    dovecot_syslog()
    rawlogs()
    hmailserver()
    mailenable()
