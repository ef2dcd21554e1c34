#!/usr/bin/env python3
"""Real-server leak test for logwarden (see run.sh). Python 3 standard library only.

Private Dovecot and Postfix instances listen on 127.0.0.1 only, on high ports, with every file under one temporary
directory. Both log at their most verbose (auth_debug_passwords, auth_verbose_passwords=plain, login and post-login
rawlogs, LMTP rawlogs, Postfix debug_peer_list). The driver logs in through every mechanism with passwords that
contain spaces, quotes, backslashes and non-ASCII letters, moves message text through SMTP, LMTP, IMAP APPEND,
IMAP FETCH and POP3 RETR, then runs `logwarden sanitize` over everything the servers wrote and searches the output
for each password, each base64 form of it and each piece of message text.

Exit status: 0 no leak, 1 leak, 2 the test itself failed, 77 skipped (servers could not be started).
"""

import base64
import hashlib
import hmac
import imaplib
import json
import os
import poplib
import pwd
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SKIP = 77
HARNESS = 2

IMAP_PORT = 41143
POP3_PORT = 41110
SMTP_PORT = 41025
DOMAIN = "example.test"

# Passwords with spaces, double quotes, backslashes and non-ASCII letters. Each piece between spaces is unique enough
# to be searched for on its own, so a partial mask (first word only) is caught too.
USERS = {
    # IMAP LOGIN with quoted strings (imaplib quotes and escapes); POP3 AUTH PLAIN without initial response.
    "carol": 'Qv7Lm3 x"Kd\\8Tz Pw4Hj5',
    # IMAP LOGIN with the password as a literal (non-ASCII); POP3 USER/PASS; SMTP AUTH PLAIN.
    "alice": "Kx9mQ2 wq\"Rt\\vP \u00dc\u00f1\u0115\u01418z",
    # IMAP AUTHENTICATE PLAIN; POP3 AUTH PLAIN with initial response; SMTP AUTH LOGIN.
    "bob": "Bn5Tr8 \\\\Yu\"\"Io7 \u00e9\u00e8\u00ea\u20ac9w",
    # POP3 APOP, SMTP and IMAP CRAM-MD5 (the password never crosses the wire).
    "dave": 'Dv3Rw6 "Hg\\2Jk" Mn5Bv1',
}
WRONG = 'Wr0ngG7 "Zx\\9Qp" \u00f8\u00e6\u00e5W1'

BODY_MARKERS = [
    "LWSUBJECTsmtp4e1f",  # Subject of the message sent through Postfix (quoted by header_checks)
    "LWBODYsmtp7c2a9d",  # its body (LMTP DATA rawlog, IMAP FETCH, POP3 RETR)
    "LWBODYCHECKb81e",  # a body line that body_checks warns about
    "LWAPPENDsubj5a3",  # Subject of the message uploaded with IMAP APPEND
    "LWAPPENDbody9f0e6",  # its body
]


def log(message):
    print(message, file=sys.stderr, flush=True)


class Skip(Exception):
    pass


class HarnessFailure(Exception):
    pass


def address(user):
    return f"{user}@{DOMAIN}"


def secrets():
    """Every form in which a secret could appear in a log, labelled (labels only are ever printed)."""
    forms = []

    def add(label, text):
        data = text.encode("utf-8") if isinstance(text, str) else text
        if len(data) >= 5:
            forms.append((label, data))

    for user, password in list(USERS.items()) + [("wrong", WRONG)]:
        add(f"{user}: password", password)
        for k, piece in enumerate(password.split(" ")):
            add(f"{user}: password piece {k}", piece)
            add(f"{user}: password piece {k} (IMAP-quoted)", piece.replace("\\", "\\\\").replace('"', '\\"'))
        add(f"{user}: password (IMAP-quoted)", password.replace("\\", "\\\\").replace('"', '\\"'))
        raw = password.encode("utf-8")
        add(f"{user}: base64(password)", base64.b64encode(raw))
        for name in (user, address(user)):
            for authz in ("", name):
                blob = authz.encode() + b"\0" + name.encode() + b"\0" + raw
                add(f"{user}: base64(PLAIN {authz!r}/{name})", base64.b64encode(blob))
    return forms


# MARK: - Setup


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def start_daemon(cmd, work, name):
    """Runs a command that daemonizes: its output goes to a file, since the daemon keeps inherited pipes open."""
    path = os.path.join(work, name + ".start.txt")
    with open(path, "wb") as out:
        code = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT).returncode
    with open(path, "rb") as f:
        return code, f.read().decode("utf-8", "replace").strip()


def make_certificate(work):
    if not shutil.which("openssl"):
        return None
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    result = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                  "-days", "2", "-subj", "/CN=localhost"], check=False)
    return (cert, key) if result.returncode == 0 else None


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def setup_dovecot(work, certificate):
    nobody = pwd.getpwnam("nobody")
    for d in ("run", "state", "log", "mail", "rawlog", "rawlog-lmtp"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    for d in ("mail", "rawlog", "rawlog-lmtp"):
        os.chown(os.path.join(work, d), nobody.pw_uid, nobody.pw_gid)
        os.chmod(os.path.join(work, d), 0o777)
    lines = [f"{address(u)}:{{PLAIN}}{p}::::::\n" for u, p in USERS.items()]
    write(os.path.join(work, "passwd"), "".join(lines), 0o644)
    if certificate:
        dh = "ssl_dh = </usr/share/dovecot/dh.pem\n" if os.path.exists("/usr/share/dovecot/dh.pem") else ""
        tls = f"ssl = yes\nssl_cert = <{certificate[0]}\nssl_key = <{certificate[1]}\n{dh}"
    else:
        tls = "ssl = no\n"
    conf = f"""# logwarden real-server test (generated)
protocols = imap pop3 lmtp
listen = 127.0.0.1
base_dir = {work}/run
state_dir = {work}/state
log_path = {work}/log/dovecot.log
info_log_path = {work}/log/dovecot.log
debug_log_path = {work}/log/dovecot.log
auth_debug = yes
auth_debug_passwords = yes
auth_verbose = yes
auth_verbose_passwords = plain
mail_debug = yes
verbose_ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 apop
{tls}
mail_location = maildir:{work}/mail/%u
mail_uid = {nobody.pw_uid}
mail_gid = {nobody.pw_gid}
first_valid_uid = 1
first_valid_gid = 1
rawlog_dir = {work}/rawlog
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {work}/passwd
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={work}/mail/%u
}}
service imap-login {{
  executable = imap-login -R rawlogs
  inet_listener imap {{
    address = 127.0.0.1
    port = {IMAP_PORT}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  executable = pop3-login -R rawlogs
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {POP3_PORT}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener {work}/run/lmtp-postfix {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener {work}/run/auth-postfix {{
    mode = 0666
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol lmtp {{
  lmtp_rawlog_dir = {work}/rawlog-lmtp
}}
"""
    path = os.path.join(work, "dovecot.conf")
    write(path, conf)
    return path


def setup_postfix(work):
    conf_dir = os.path.join(work, "postfix")
    os.makedirs(conf_dir, exist_ok=True)
    for d in ("pfq", "pfdata"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    os.chown(os.path.join(work, "pfdata"), pwd.getpwnam("postfix").pw_uid, -1)
    write(os.path.join(conf_dir, "header_checks"), "/^Subject: .*LWSUBJECT/ WARN\n")
    write(os.path.join(conf_dir, "body_checks"), "/LWBODYCHECK/ WARN\n")
    main = f"""# logwarden real-server test (generated)
compatibility_level = 3.6
queue_directory = {work}/pfq
data_directory = {work}/pfdata
mail_owner = postfix
setgid_group = postdrop
myhostname = logwarden-test.localdomain
mydomain = localdomain
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = {DOMAIN}
virtual_transport = lmtp:unix:{work}/run/lmtp-postfix
relayhost =
smtpd_banner = $myhostname ESMTP logwarden-test
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {work}/run/auth-postfix
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
debug_peer_list = 127.0.0.1
debug_peer_level = 2
header_checks = regexp:{conf_dir}/header_checks
body_checks = regexp:{conf_dir}/body_checks
maillog_file = {work}/log/postfix.log
maillog_file_prefixes = {work}/log
smtputf8_enable = no
"""
    write(os.path.join(conf_dir, "main.cf"), main)
    master = f"""# logwarden real-server test (generated)
127.0.0.1:{SMTP_PORT} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp -v
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
    write(os.path.join(conf_dir, "master.cf"), master)
    return conf_dir


def wait_for_port(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
    except OSError:
        return "(no log)"


# MARK: - Driving the servers


def insecure_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def imap_sessions(work, tls_available):
    # 1. LOGIN with quoted strings (imaplib quotes and escapes " and \).
    m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    m.login(address("carol"), USERS["carol"])
    m.select("INBOX")
    m.logout()
    # 2. LOGIN with the password as a synchronizing literal (non-ASCII): `a LOGIN "user" {n}` + bytes.
    m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    m.literal = USERS["alice"].encode("utf-8")
    typ, _ = m._simple_command("LOGIN", m._quote(address("alice")))
    if typ != "OK":
        raise HarnessFailure("IMAP LOGIN with a literal password failed")
    m.state = "AUTH"
    # APPEND a message with known text; then FETCH every message (the SMTP one arrives through LMTP).
    message = (f"From: alice <{address('alice')}>\r\nTo: {address('alice')}\r\nSubject: {BODY_MARKERS[3]}\r\n\r\n"
               f"first line\r\n{BODY_MARKERS[4]} appended body text\r\nA1 LOGIN looks like a command\r\n")
    m.append("INBOX", None, None, message.encode())
    m.select("INBOX")
    typ, data = m.fetch("1:*", "(BODY[])")
    m.logout()
    # 3. AUTHENTICATE PLAIN (continuation, no initial response).
    m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    blob = b"\0" + address("bob").encode() + b"\0" + USERS["bob"].encode("utf-8")
    m.authenticate("PLAIN", lambda _: blob)
    m.select("INBOX")
    m.noop()
    m.logout()
    # 4. CRAM-MD5.
    m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    m.login_cram_md5(address("dave"), USERS["dave"])
    m.logout()
    # 5. Wrong passwords: quoted LOGIN and AUTHENTICATE PLAIN.
    for attempt in range(2):
        m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
        try:
            if attempt == 0:
                m.login(address("carol"), WRONG.encode().decode("ascii", "ignore"))
            else:
                m.authenticate("PLAIN", lambda _: b"\0" + address("carol").encode() + b"\0" + WRONG.encode())
        except imaplib.IMAP4.error:
            pass
        m.shutdown()
    # 6. STARTTLS, then LOGIN inside TLS: the pre-login rawlog holds TLS ciphertext.
    if tls_available:
        m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
        m.starttls(ssl_context=insecure_context())
        m.login(address("carol"), USERS["carol"])
        m.logout()


def pop3_sessions():
    # USER/PASS with a non-ASCII password, then RETR.
    p = poplib.POP3("127.0.0.1", POP3_PORT)
    p.user(address("alice"))
    p.pass_(USERS["alice"])
    count, _ = p.stat()
    for k in range(1, count + 1):
        p.retr(k)
    p.quit()
    # AUTH PLAIN with an initial response, then TOP.
    p = poplib.POP3("127.0.0.1", POP3_PORT)
    blob = base64.b64encode(b"\0" + address("bob").encode() + b"\0" + USERS["bob"].encode("utf-8")).decode()
    p._shortcmd("AUTH PLAIN " + blob)
    p.list()
    p.uidl()
    p.quit()
    # AUTH PLAIN without initial response (`+ ` continuation).
    p = poplib.POP3("127.0.0.1", POP3_PORT)
    p._putcmd("AUTH PLAIN")
    line, _ = p._getline()
    if not line.startswith(b"+"):
        raise HarnessFailure("POP3 AUTH PLAIN continuation missing")
    blob = base64.b64encode(b"\0" + address("carol").encode() + b"\0" + USERS["carol"].encode("utf-8")).decode()
    p._shortcmd(blob)
    p.capa()
    p.quit()
    # APOP.
    p = poplib.POP3("127.0.0.1", POP3_PORT)
    try:
        p.apop(address("dave"), USERS["dave"])
    except poplib.error_proto:
        pass  # APOP is optional in Dovecot builds
    p.quit()
    # Wrong password.
    p = poplib.POP3("127.0.0.1", POP3_PORT)
    p.user(address("alice"))
    try:
        p.pass_(WRONG)
    except poplib.error_proto:
        pass
    p.quit()


def b64(data):
    return base64.b64encode(data.encode("utf-8") if isinstance(data, str) else data).decode("ascii")


def smtp_expect(reply, codes, what):
    if reply[0] not in codes:
        raise HarnessFailure(f"SMTP {what}: unexpected reply {reply[0]}")


def smtp_auth_plain(s, user, password, initial_response, codes=(235,)):
    """AUTH PLAIN through smtplib's docmd: smtplib.auth() cannot encode non-ASCII passwords."""
    blob = b64("\0" + address(user) + "\0" + password)
    if initial_response:
        smtp_expect(s.docmd("AUTH", "PLAIN " + blob), codes, "AUTH PLAIN")
    else:
        smtp_expect(s.docmd("AUTH", "PLAIN"), (334,), "AUTH PLAIN")
        smtp_expect(s.docmd(blob), codes, "AUTH PLAIN response")


def smtp_auth_login(s, user, password, initial_response):
    if initial_response:
        smtp_expect(s.docmd("AUTH", "LOGIN " + b64(address(user))), (334,), "AUTH LOGIN")
    else:
        smtp_expect(s.docmd("AUTH", "LOGIN"), (334,), "AUTH LOGIN")
        smtp_expect(s.docmd(b64(address(user))), (334,), "AUTH LOGIN user")
    smtp_expect(s.docmd(b64(password)), (235,), "AUTH LOGIN password")


def smtp_sessions():
    message = (f"From: {address('alice')}\r\nTo: {address('alice')}\r\nSubject: hello {BODY_MARKERS[0]}\r\n\r\n"
               f"Body text {BODY_MARKERS[1]} here.\r\nAUTH PLAIN looks like a command\r\n"
               f"{BODY_MARKERS[2]} trips body_checks\r\n.leading dot\r\n")
    # AUTH PLAIN with an initial response, then a message.
    s = smtplib.SMTP("127.0.0.1", SMTP_PORT)
    s.ehlo("client.example.test")
    smtp_auth_plain(s, "alice", USERS["alice"], True)
    s.sendmail(address("alice"), [address("alice")], message.encode("utf-8"))
    s.quit()
    # AUTH LOGIN, both answers as continuations; AUTH LOGIN with the user name as initial response.
    for user, initial in (("bob", False), ("carol", True)):
        s = smtplib.SMTP("127.0.0.1", SMTP_PORT)
        s.ehlo("client.example.test")
        smtp_auth_login(s, user, USERS[user], initial)
        s.quit()
    # AUTH PLAIN without initial response.
    s = smtplib.SMTP("127.0.0.1", SMTP_PORT)
    s.ehlo("client.example.test")
    smtp_auth_plain(s, "bob", USERS["bob"], False)
    s.quit()
    # CRAM-MD5 (smtplib's own implementation; ASCII password).
    s = smtplib.SMTP("127.0.0.1", SMTP_PORT)
    s.ehlo("client.example.test")
    s.user, s.password = address("dave"), USERS["dave"]
    s.auth("CRAM-MD5", s.auth_cram_md5)
    s.quit()
    # A wrong password.
    s = smtplib.SMTP("127.0.0.1", SMTP_PORT)
    s.ehlo("client.example.test")
    smtp_auth_plain(s, "alice", WRONG, True, codes=(535,))
    s.quit()


def wait_for_delivery(seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        m = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
        m.literal = USERS["alice"].encode("utf-8")
        m._simple_command("LOGIN", m._quote(address("alice")))
        m.state = "AUTH"
        typ, data = m.select("INBOX")
        m.logout()
        if typ == "OK" and int(data[0]) >= 1:
            return True
        time.sleep(0.5)
    return False


# MARK: - Checking


def collect_inputs(work, target):
    """Copies every log the servers wrote into one tree (rawlogs keep their names so pairs are found)."""
    os.makedirs(target)
    sources = {
        "dovecot.log": os.path.join(work, "log", "dovecot.log"),
        "postfix.log": os.path.join(work, "log", "postfix.log"),
    }
    for name, path in sources.items():
        if os.path.exists(path):
            shutil.copy(path, os.path.join(target, name))
    for sub, directory in (("rawlog-login", os.path.join(work, "run", "login", "rawlogs")),
                           ("rawlog-mail", os.path.join(work, "rawlog")),
                           ("rawlog-lmtp", os.path.join(work, "rawlog-lmtp"))):
        if not os.path.isdir(directory):
            continue
        for dirpath, _, files in os.walk(directory):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), directory)
                dest = os.path.join(target, sub, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy(os.path.join(dirpath, f), dest)
    files = []
    for dirpath, _, names in os.walk(target):
        files += [os.path.join(dirpath, n) for n in names]
    return sorted(files)


def read_all(paths):
    return {p: open(p, "rb").read() for p in paths}


def check(work, logwarden):
    inputs_dir = os.path.join(work, "input")
    output_dir = os.path.join(work, "output")
    report_path = os.path.join(work, "report.json")
    inputs = collect_inputs(work, inputs_dir)
    rawlogs = [p for p in inputs if p.endswith((".in", ".out"))]
    log(f"collected {len(inputs)} log files ({len(rawlogs)} rawlog halves)")
    if not any(p.endswith("dovecot.log") for p in inputs) or not any(p.endswith("postfix.log") for p in inputs):
        raise HarnessFailure("the servers wrote no logs")
    if not rawlogs:
        raise HarnessFailure("Dovecot wrote no rawlogs")
    result = subprocess.run([logwarden, "sanitize", "--profile", "level4", "--output-dir", output_dir,
                             "--report", report_path, inputs_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    summary = result.stderr.decode("utf-8", "replace").rstrip().splitlines()
    log("\n".join(line for line in summary if not line.startswith("/")))  # the per-file lines are long; totals only
    if result.returncode != 0:
        raise HarnessFailure(f"logwarden sanitize exited with {result.returncode}")
    # The credentials profile keeps message text but must mask every credential too.
    credentials_dir = os.path.join(work, "output-credentials")
    result = subprocess.run([logwarden, "sanitize", "--profile", "credentials", "--output-dir", credentials_dir,
                             inputs_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise HarnessFailure(f"logwarden sanitize --profile credentials exited with {result.returncode}")

    original = read_all(inputs)
    outputs = []
    for dirpath, _, names in os.walk(output_dir):
        outputs += [os.path.join(dirpath, n) for n in names]
    sanitized = read_all(sorted(outputs))
    missing = [os.path.relpath(p, inputs_dir) for p in inputs
               if os.path.join(output_dir, os.path.relpath(p, inputs_dir)) not in sanitized]
    if missing:
        raise HarnessFailure(f"no output for {len(missing)} input(s): {', '.join(missing[:5])}")

    forms = secrets() + [(f"message text {k}", m.encode()) for k, m in enumerate(BODY_MARKERS)]
    # The test only means something if the raw logs really hold the secrets: every password (in clear or in one of
    # its base64 forms) and every piece of message text must occur in them.
    def occurs(data):
        return any(data in content for content in original.values())

    absent = []
    for user in list(USERS) + ["wrong"]:
        if user == "dave":
            continue  # APOP and CRAM-MD5 never send the password; Dovecot's debug output may still show it
        if not any(occurs(data) for label, data in forms if label.startswith(user + ":") and "piece" not in label):
            absent.append(f"{user}: any form of the password")
    absent += [label for label, data in forms if label.startswith("message text") and not occurs(data)]
    present = sum(1 for _, data in forms if any(data in content for content in original.values()))
    log(f"{present} of {len(forms)} secret and message-text forms occur in the raw logs")
    if absent:
        raise HarnessFailure("the raw logs do not contain: " + "; ".join(absent))

    leaks = []
    for path, content in sanitized.items():
        for label, data in forms:
            at = content.find(data)
            if at >= 0:
                line = content.count(b"\n", 0, at) + 1
                leaks.append(f"{os.path.relpath(path, output_dir)}:{line}: {label}")
        # Binary data (TLS records after STARTTLS) is never copied through.
        for at, byte in enumerate(content):
            if byte < 0x20 and byte not in (0x09, 0x0A, 0x0D) or byte == 0x7F:
                line = content.count(b"\n", 0, at) + 1
                leaks.append(f"{os.path.relpath(path, output_dir)}:{line}: binary byte 0x{byte:02x}")
                break
    credential_forms = [(label, data) for label, data in forms if not label.startswith("message text")]
    for dirpath, _, names in os.walk(credentials_dir):
        for name in names:
            path = os.path.join(dirpath, name)
            content = open(path, "rb").read()
            for label, data in credential_forms:
                if data in content:
                    leaks.append(f"(credentials profile) {os.path.relpath(path, credentials_dir)}: {label}")
    with open(report_path) as f:
        report = json.load(f)
    totals = report["totals"]
    log(f"logwarden: {totals['totalCredentialsMasked'] if 'totalCredentialsMasked' in totals else sum(totals['credentialsMasked'].values())}"
        f" credentials masked, {totals['bodyLinesDropped']} body lines dropped, "
        f"{totals['unparsedLines']} unparsable lines masked")
    formats = sorted({f["format"] for f in report["files"]})
    log("formats used: " + ", ".join(formats))
    return leaks


def main():
    if len(sys.argv) != 2:
        print("usage: realservers.py /path/to/logwarden", file=sys.stderr)
        return HARNESS
    logwarden = os.path.abspath(sys.argv[1])
    for port in (IMAP_PORT, POP3_PORT, SMTP_PORT):
        if not port_free(port):
            log(f"real-server test skipped: port {port} on 127.0.0.1 is in use")
            return SKIP
    work = tempfile.mkdtemp(prefix="logwarden-realservers.")
    os.chmod(work, 0o755)
    dovecot_conf = None
    postfix_dir = None
    status = HARNESS
    try:
        certificate = make_certificate(work)
        dovecot_conf = setup_dovecot(work, certificate)
        code, output = start_daemon(["dovecot", "-c", dovecot_conf], work, "dovecot")
        if code != 0 or not wait_for_port(IMAP_PORT) or not wait_for_port(POP3_PORT):
            dovecot_conf = dovecot_conf if code == 0 else None
            raise Skip("Dovecot did not start: " + output[-400:] + "\n" + tail(os.path.join(work, "log", "dovecot.log")))
        # The login processes write their rawlogs below their chroot ($base_dir/login).
        login_rawlogs = os.path.join(work, "run", "login", "rawlogs")
        os.makedirs(login_rawlogs, exist_ok=True)
        os.chmod(login_rawlogs, 0o777)
        postfix_dir = setup_postfix(work)
        start_daemon(["postfix", "-c", postfix_dir, "set-permissions"], work, "postfix-permissions")
        code, output = start_daemon(["postfix", "-c", postfix_dir, "start"], work, "postfix")
        if code != 0 or not wait_for_port(SMTP_PORT):
            if code != 0:
                postfix_dir = None
            raise Skip("Postfix did not start: " + output[-600:])
        log(f"servers up in {work} (IMAP {IMAP_PORT}, POP3 {POP3_PORT}, SMTP {SMTP_PORT}, "
            f"TLS {'on' if certificate else 'off'})")

        smtp_sessions()
        if not wait_for_delivery():
            raise HarnessFailure("the message sent through Postfix was not delivered over LMTP: "
                                 + tail(os.path.join(work, "log", "postfix.log")))
        imap_sessions(work, certificate is not None)
        pop3_sessions()
        time.sleep(1)  # let the servers flush their logs
    except Skip as e:
        log(f"real-server test skipped: {e}")
        status = SKIP
    except HarnessFailure as e:
        log(f"real-server test failed to run: {e}")
        status = HARNESS
    except Exception as e:  # noqa: BLE001 - any failure of the driver is a harness failure, not a leak
        log(f"real-server test failed to run: {type(e).__name__}: {e}")
        log(tail(os.path.join(work, "log", "dovecot.log")))
        status = HARNESS
    else:
        status = None
    finally:
        if postfix_dir:
            start_daemon(["postfix", "-c", postfix_dir, "stop"], work, "postfix-stop")
        if dovecot_conf:
            start_daemon(["doveadm", "-c", dovecot_conf, "stop"], work, "dovecot-stop")
            time.sleep(1)
    try:
        if status is None:
            try:
                leaks = check(work, logwarden)
            except HarnessFailure as e:
                log(f"real-server test failed to run: {e}")
                return HARNESS
            if leaks:
                log(f"LEAK: {len(leaks)} secret or message-text occurrence(s) survived sanitizing:")
                for leak in leaks:
                    log("  " + leak)
                return 1
            log("real-server test passed: no password, base64 credential or message text in the sanitized logs")
            return 0
        return status
    finally:
        if os.environ.get("KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
