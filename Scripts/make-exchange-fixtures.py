#!/usr/bin/env python3
"""Writes the exchange-csv fixture inputs (Tests/LogWardenCoreTests/Fixtures/formats/exchange-csv/*.log).

Inputs are generated so their exact bytes (BOM, CRLF, NUL, invalid UTF-8) are reviewable here; the expected outputs
are recorded by `RECORD_GOLDENS=1 swift test --filter FormatGoldenTests` and reviewed in the diff.
All addresses are documentation ranges and .test domains; all passwords are fake.
"""
import base64, os, sys

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "LogWardenCoreTests", "Fixtures", "formats", "exchange-csv")
NUL = chr(0)
CRLF = "\r\n"
HDR9 = "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"


def b64(s):
    return base64.b64encode(s.encode()).decode()


def write(name, lines):
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
        f.write(CRLF.join(lines) + CRLF)


PLAIN_DAVE = b64(NUL + "dave@contoso.test" + NUL + "Winter2024!")
QUOTED_PW = b64('p,a"ss word')
C = "MX1\\Default Frontend MX1"
R = "Внутренний соединитель"
S1 = "123453EC62278461"
E1 = "10.0.0.6:25,198.51.100.33:56026"
E2 = "10.0.0.6:587,198.51.100.34:50001"
S2 = "123453EC62278462"


def r1(t, seq, ev, data, ctx=""):
    return f"2023-01-11T{t}Z,{C},{S1},{seq},{E1},{ev},{data},{ctx}"


def r2(t, seq, ev, data, ctx=""):
    return f"2023-01-11T{t}Z,{R},{S2},{seq},{E2},{ev},{data},{ctx}"


recv = ["\ufeff#Software: Microsoft Exchange Server", "#Version: 15.0.0.0", "#Log-type: SMTP Receive Protocol Log",
        "#Date: 2023-01-11T16:00:04.113Z", HDR9,
        f"2023-01-11T15:59:50.000Z,{C},08D675E58CA1DA37,14,10.0.0.6:25,198.51.100.9:61000,<,{b64('secret-from-earlier-file')},",
        f"2023-01-11T15:59:50.100Z,{C},08D675E58CA1DA37,15,10.0.0.6:25,198.51.100.9:61000,>,235 2.7.0 Authentication successful,",
        f"2023-01-11T15:59:50.200Z,{C},08D675E58CA1DA37,16,10.0.0.6:25,198.51.100.9:61000,<,MAIL FROM:<carol@fabrikam.test>,",
        r1("15:59:51.433", 0, "+", ""),
        r1("15:59:51.433", 1, ">", '"220 MX1.contoso.test Microsoft ESMTP MAIL Service ready at Wed, 11 Jan 2023 16:59:51 +0100"'),
        r2("15:59:51.500", 0, "+", ""),
        r1("15:59:53.909", 2, "<", "EHLO [198.51.100.33]"),
        r2("15:59:53.950", 1, "<", "EHLO laptop.fabrikam.test"),
        r1("15:59:53.910", 3, ">", "250  MX1.contoso.test Hello [198.51.100.33] SIZE 37748736 PIPELINING AUTH NTLM LOGIN"),
        r1("16:00:03.115", 4, "<", "AUTH LOGIN"),
        r2("16:00:03.120", 2, "<", "AUTH PLAIN " + PLAIN_DAVE),
        r1("16:00:06.195", 5, ">", "334 <authentication response>"),
        r1("16:00:06.196", 6, "<", b64("alice@contoso.test")),
        r1("16:00:06.197", 7, ">", "334 <authentication response>"),
        r1("16:00:06.198", 8, "<", QUOTED_PW),
        r2("16:00:06.200", 3, ">", "535 5.7.3 Authentication unsuccessful"),
        r2("16:00:06.201", 4, "<", "PASS Winter2024!"),
        r1("16:00:10.644", 9, "*", "", "User Name: alice@contoso.test"),
        r1("16:00:10.644", 9, "*", "", '"Proxy credentials: user=alice@contoso.test; password=Winter2024!, realm=contoso"'),
        r1("16:00:10.645", 10, ">", "235 2.7.0 Authentication successful"),
        r1("16:00:10.700", 11, "<", "MAIL FROM:<alice@contoso.test> SIZE=2048"),
        r1("16:00:10.701", 12, ">", "250 2.1.0 Sender OK"),
        r1("16:00:10.702", 13, "<", "RCPT TO:<bob@fabrikam.test>"),
        r1("16:00:10.703", 14, ">", "250 2.1.5 Recipient OK"),
        r1("16:00:10.704", 15, "<", "DATA"),
        r1("16:00:10.705", 16, ">", "354 Start mail input; end with <CRLF>.<CRLF>"),
        r1("16:00:10.706", 17, "<", '"Subject: merger, confidential"'),
        r1("16:00:10.707", 18, "<", ""),
        r2("16:00:10.708", 5, ">", "500 5.3.3 Unrecognized command"),
        r1("16:00:10.709", 19, "<", '"He said ""the deal closes Friday"""'),
        r1("16:00:10.710", 20, "<", "..a dot-stuffed body line"),
        r1("16:00:10.711", 21, "<", "."),
        r1("16:00:10.900", 22, ">", "250 2.6.0 <abc@MX1.contoso.test> [InternalId=110] Queued mail for delivery"),
        r2("16:00:11.000", 6, "<", "QUIT"),
        r2("16:00:11.001", 7, "-", "", "Local"),
        r1("16:00:11.100", 23, "<", "BDAT 30 LAST"),
        r1("16:00:11.101", 24, "<", "Subject: second message"),
        r1("16:00:11.102", 25, "<", "body"),
        r1("16:00:11.200", 26, ">", "250 2.6.0 Queued"),
        r1("16:00:11.300", 27, "<", "DATA"),
        r1("16:00:11.301", 28, ">", "354 Start mail input"),
        r1("16:00:11.302", 29, "<", "connection dropped mid-body"),
        r1("16:00:11.400", 30, "-", "", "Remote(SocketError)"),
        ]

SC = "Outbound to Office 365"
A = "192.0.2.100:44276,203.0.113.5:25"
B = "192.0.2.100:44277,192.0.2.11:25"


def s(t, sid, seq, ends, ev, data, ctx=""):
    return f"2019-03-21T13:00:{t}Z,{SC},{sid},{seq},{ends},{ev},{data},{ctx}"


send = ["#Software: Microsoft Exchange Server", "#Version: 15.0.0.0", "#Log-type: SMTP Send Protocol Log",
        "#Date: 2019-03-21T13:01:06.525Z", HDR9,
        s("45.039", "08D6A8D416004F77", 0, ",203.0.113.5:25", "*", "SendRoutingHeaders", "Set Session Permissions"),
        s("45.039", "08D6A8D416004F77", 1, ",203.0.113.5:25", "*", "", "attempting to connect"),
        s("45.040", "08D6A8D416004F77", 2, A, "+", ""),
        s("45.157", "08D6A8D416004F77", 3, A, "<", '"220 relay.example.test ESMTP ready at Thu, 21 Mar 2019 13:00:44 +0000"'),
        s("45.157", "08D6A8D416004F77", 4, A, ">", "EHLO mail.contoso.test"),
        s("45.200", "08D6A8D416004F77", 5, A, "<", "250-relay.example.test"),
        s("45.201", "08D6A8D416004F77", 6, A, "<", "250-AUTH LOGIN PLAIN"),
        s("45.202", "08D6A8D416004F77", 7, A, "<", "250 HELP"),
        s("45.300", "08D6A8D416004F77", 8, A, ">", "AUTH LOGIN " + b64("relayuser")),
        s("45.301", "08D6A8D416004F77", 9, A, "<", "334 UGFzc3dvcmQ6"),
        s("45.302", "08D6A8D416004F77", 10, A, ">", b64("hunter2 with spaces")),
        s("45.303", "08D6A8D416004F77", 11, A, "<", "235 2.7.0 Authentication successful"),
        s("45.400", "08D6A8D416004F78", 2, B, "+", ""),
        s("45.401", "08D6A8D416004F78", 3, B, ">", "X-EXPS GSSAPI YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEFoQMCAQ6iBwMFACAAAACjggR"),
        s("45.402", "08D6A8D416004F78", 4, B, "<", "235 <authentication response>"),
        s("45.403", "08D6A8D416004F78", 5, B, ">", "BDAT 2048 LAST"),
        s("45.404", "08D6A8D416004F78", 6, B, "<",
          '"250 2.6.0 <msg-001@contoso.test> [InternalId=2002, Hostname=EXCH02.contoso.test] Queued mail for delivery"'),
        s("45.500", "08D6A8D416004F77", 12, A, ">", "QUIT"),
        s("45.501", "08D6A8D416004F77", 13, A, "-", "", "Local"),
        ]


def p(t, n, seq, ev, data):
    peer = "192.0.2.20:110,198.51.100.40:50123" if n == 1 else "192.0.2.20:110,198.51.100.41:50124"
    return f"2012-05-01T08:00:01.{t}Z,,a1b2c3d4-0000-0000-0000-00000000000{n},{seq},{peer},{ev},{data},"


pop3 = ["#Software: Microsoft Exchange Server", "#Version: 14.0.0.0", "#Date: 2012-05-01T08:00:00.000Z", HDR9,
        p("000", 1, 0, "+", ""),
        p("001", 1, 1, ">", "+OK The Microsoft Exchange POP3 service is ready. <1896.697170952@mx.contoso.test>"),
        p("100", 2, 0, "+", ""),
        p("101", 1, 2, "<", "USER erin"),
        p("102", 2, 1, "<", "APOP mrose c4c9334bac560ecc979e58001b3e22fb"),
        p("103", 1, 3, ">", "+OK"),
        p("104", 1, 4, "<", "PASS Winter2024!"),
        p("105", 2, 2, ">", "+OK maildrop locked"),
        p("106", 1, 5, ">", "-ERR Logon failure"),
        p("107", 1, 6, "<", "AUTH PLAIN"),
        p("108", 1, 7, ">", "+ "),
        p("109", 1, 8, "<", b64(NUL + "erin" + NUL + "Winter2024!")),
        p("110", 1, 9, ">", "+OK"),
        p("111", 2, 3, "<", "RETR 1"),
        p("112", 2, 4, ">", "+OK 120 octets"),
        p("113", 2, 5, ">", "From: boss@contoso.test"),
        p("114", 1, 10, "<", "STAT"),
        p("115", 2, 6, ">", "Your bonus is confidential"),
        p("116", 2, 7, ">", "."),
        p("117", 1, 11, ">", "+OK 1 120"),
        p("118", 2, 8, "<", "QUIT"),
        p("119", 2, 9, "-", ""),
        ]


def i(seq, ev, data):
    return f"2012-05-01T09:00:01.{seq:03d}Z,,0000000000000101,{seq},192.0.2.20:143,198.51.100.50:50200,{ev},{data},"


imap = ["#Software: Microsoft Exchange Server", "#Version: 14.0.0.0", "#Date: 2012-05-01T09:00:00.000Z", HDR9,
        i(0, "+", ""),
        i(1, ">", "* OK The Microsoft Exchange IMAP4 service is ready."),
        i(2, "<", '"a1 LOGIN ""frank"" ""p\\""a\\\\ss word"""'),
        i(3, ">", "a1 NO LOGIN failed."),
        i(4, "<", "a2 LOGIN {5}"),
        i(5, ">", "+ Ready for additional command text"),
        i(6, "<", "frank {11}"),
        i(7, ">", "+ Ready for additional command text"),
        i(8, "<", "Winter2024!"),
        i(9, ">", "a2 OK LOGIN completed."),
        i(10, "<", "a3 FETCH 1 (BODY[])"),
        i(11, ">", "* 1 FETCH (BODY[] {46}"),
        i(12, ">", "Subject: salaries"),
        i(13, ">", "a9 OK everyone gets a raise)"),
        i(14, ">", "a3 OK FETCH completed."),
        i(15, "<", "a4 APPEND Sent (\\Seen) {23+}"),
        i(16, "<", "Subject: draft"),
        i(17, "<", "private"),
        i(18, ">", "a4 OK APPEND completed."),
        i(19, "<", "a5 AUTHENTICATE PLAIN " + b64(NUL + "frank" + NUL + "Winter2024!")),
        i(20, ">", "a5 OK AUTHENTICATE completed."),
        i(21, "<", "a6 LOGOUT"),
        i(22, "-", ""),
        ]

F = "dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context"
HEAD13 = ["#Software: Microsoft Exchange Server", "#Version: 15.01.2375.007"]
imap13 = [F] + HEAD13 + ["#Log-type: IMAP4 Log", "#Date: 2026-10-01T08:00:00.000Z", "#Fields: " + F,
          "2026-10-01T08:00:01.000Z,0000000000000001,0,192.0.2.1:993,198.51.100.70:50001,,3,0,53,OpenSession,,",
          "2026-10-01T08:00:01.100Z,0000000000000001,1,192.0.2.1:993,198.51.100.70:50001,,1,13,158,capability,,R=OK",
          '2026-10-01T08:00:01.200Z,0000000000000001,2,192.0.2.1:993,198.51.100.70:50001,,1,17,21,login, *****,"R=""a2 NO LOGIN failed."""',
          '2026-10-01T08:00:01.300Z,0000000000000002,2,192.0.2.1:993,198.51.100.71:50002,frank,205,48,24,login,frank@contoso.test *****,"R=OK;Msg=""Proxy:EXCH01.contoso.test:1993:SSL"""',
          "2026-10-01T08:00:01.400Z,0000000000000003,1,192.0.2.1:993,198.51.100.72:50003,,0,30,40,,a1 LOGIN grace Winter2024!,ErrMsg=InvalidCommand",
          "2026-10-01T08:00:01.500Z,0000000000000004,1,192.0.2.1:993,198.51.100.73:50004,,0,60,40,authenticate,PLAIN "
          + b64(NUL + "heidi" + NUL + "Winter2024!") + ",R=OK",
          "2026-10-01T08:00:01.600Z,0000000000000004,2,192.0.2.1:993,198.51.100.73:50004,heidi@contoso.test,2,20,400,select,INBOX,R=OK",
          '2026-10-01T08:00:01.700Z,0000000000000005,1,192.0.2.1:993,198.51.100.74:50005,,0,10,20,login,"ivan ""pa,ss""",R=NO',
          ]
pop13 = [F] + HEAD13 + ["#Log-type: POP3 Log", "#Date: 2026-10-01T08:00:00.000Z", "#Fields: " + F,
         "2026-10-01T08:00:02.000Z,0000000000000011,0,192.0.2.1:995,198.51.100.80:50011,,3,0,53,OpenSession,,",
         "2026-10-01T08:00:02.100Z,0000000000000011,1,192.0.2.1:995,198.51.100.80:50011,,1,11,5,user,judy@contoso.test,R=OK",
         "2026-10-01T08:00:02.200Z,0000000000000011,2,192.0.2.1:995,198.51.100.80:50011,judy@contoso.test,150,15,30,pass,*****,R=OK",
         "2026-10-01T08:00:02.300Z,0000000000000012,1,192.0.2.1:995,198.51.100.81:50012,,0,20,30,,PASS Winter2024!,ErrMsg=UnknownCommand",
         "2026-10-01T08:00:02.400Z,0000000000000012,2,192.0.2.1:995,198.51.100.81:50012,,0,20,30,pass,Winter2024!,R=-ERR",
         "2026-10-01T08:00:02.500Z,0000000000000011,3,192.0.2.1:995,198.51.100.80:50011,judy@contoso.test,1,6,600,retr,1,R=OK",
         ]

# Commands in the shapes clients and broken tools produce: no mechanism, a password where the mechanism goes,
# PLAIN:<blob>, odd white space, several lines in one field (Exchange writes CR/LF as \r \n), a DATA refused by a
# reply matched to an unanswered NOOP, and header lines carrying what Exchange never writes there.
H = "08D6A8D4160050A1"
HE = "10.0.0.6:587,198.51.100.40:50100"


def h(t, seq, ev, data, ctx=""):
    return f"2023-03-01T10:00:{t}Z,{C},{H},{seq},{HE},{ev},{data},{ctx}"


hostile = ["#Software: Microsoft Exchange Server", "#Version: 15.0.0.0", "#Log-type: SMTP Receive Protocol Log",
           "#Date: 2023-03-01T10:00:00.000Z", HDR9,
           h("00.000", 0, "+", ""),
           h("00.001", 1, ">", "220 MX1.contoso.test ready"),
           h("00.002", 2, "<", "AUTH " + PLAIN_DAVE),
           h("00.003", 3, ">", "504 5.7.4 Unrecognized authentication type"),
           h("00.004", 4, "<", "AUTH Winter2024!"),
           h("00.005", 5, ">", "504 5.7.4 Unrecognized authentication type"),
           h("00.006", 6, "<", "AUTH PLAIN:" + PLAIN_DAVE),
           h("00.007", 7, ">", "501 5.5.4 Syntax error"),
           h("00.008", 8, "<", "auth plain\x0b" + PLAIN_DAVE),
           h("00.009", 9, ">", "235 2.7.0 Authentication successful"),
           h("00.010", 10, "<", "EHLO laptop\\r\\nAUTH PLAIN " + PLAIN_DAVE),
           h("00.011", 11, ">", "250 OK"),
           h("00.012", 12, "<", "AUTH LOGIN\\r\\n" + b64("dave@contoso.test") + "\\r\\n" + b64("Winter2024!")),
           h("00.013", 13, ">", "235 2.7.0 Authentication successful"),
           h("00.014", 14, "<", "NOOP"),
           h("00.015", 15, "<", "DATA"),
           h("00.016", 16, ">", "503 5.5.2 Need mail command"),
           h("00.017", 17, "<", "AUTH PLAIN " + PLAIN_DAVE),
           h("00.018", 18, ">", "235 2.7.0 Authentication successful"),
           "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context AUTH PLAIN " + PLAIN_DAVE,
           "#Software: Microsoft Exchange Server " + b64("Winter2024!"),
           "#Date: 2023-03-01 password=Winter2024!",
           h("00.019", 19, ">", "AUTH PLAIN " + PLAIN_DAVE),
           h("00.020", 20, "<", "QUIT"),
           h("00.021", 21, "-", "", "Local"),
           ]

# A Send log pasted without its header lines: the first SMTP reply shows which side Exchange is.
fragment = [s("45.040", "08D6A8D416004F79", 2, A, "+", ""),
            s("45.157", "08D6A8D416004F79", 3, A, "<", "220 relay.example.test ESMTP"),
            s("45.158", "08D6A8D416004F79", 4, A, ">", "EHLO mail.contoso.test"),
            s("45.200", "08D6A8D416004F79", 5, A, "<", "250 AUTH LOGIN PLAIN"),
            s("45.300", "08D6A8D416004F79", 6, A, ">", "AUTH LOGIN"),
            s("45.301", "08D6A8D416004F79", 7, A, "<", "334 VXNlcm5hbWU6"),
            s("45.302", "08D6A8D416004F79", 8, A, ">", b64("relayuser")),
            s("45.303", "08D6A8D416004F79", 9, A, "<", "334 UGFzc3dvcmQ6"),
            s("45.304", "08D6A8D416004F79", 10, A, ">", b64("hunter2 with spaces")),
            s("45.305", "08D6A8D416004F79", 11, A, "<", "235 2.7.0 Authentication successful"),
            s("45.400", "08D6A8D416004F79", 12, A, ">", "QUIT"),
            ]

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("receive-interleaved.log", recv)
    write("send-auth.log", send)
    write("pop3-2010.log", pop3)
    write("imap-2010.log", imap)
    write("imap4-2013.log", imap13)
    write("pop3-2013.log", pop13)
    write("hostile-commands.log", hostile)
    with open(os.path.join(OUT, "send-fragment.log"), "w", encoding="utf-8", newline="") as f:
        f.write("\ufeff" + CRLF + CRLF.join(fragment) + CRLF)
    m = ("#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Receive Protocol Log\r\n" + HDR9 + "\r\n").encode()
    m += f"2023-02-01T00:00:00.000Z,{C},00000000000000AA,0,10.0.0.6:25,198.51.100.90:1,+,,\r\n".encode()
    m += f'2023-02-01T00:00:00.001Z,{C},00000000000000AA,1,10.0.0.6:25,198.51.100.90:1,<,"AUTH PLAIN {b64("x" + NUL + "Winter2024!")} never closed,\r\n'.encode()
    m += f"2023-02-01T00:00:00.002Z,{C},00000000000000AA,2,10.0.0.6:25,198.51.100.90:1,<,PASS Winter2024!\r\n".encode()
    m += b"2023-02-01T00:00:00.003Z,MX1,00000000000000AA,3,10.0.0.6:25,198.51.100.90:1,<,EHLO \xff\xfe\x00bad\x00,\r\n"
    m += b"\x00\x01\x02binary garbage with Winter2024! inside\x89PNG\r\n"
    m += b"#Secret-Header: Winter2024!\r\n"
    m += f"2023-02-01T00:00:00.004Z,{C},00000000000000AA,4,10.0.0.6:25,198.51.100.90:1,<,AUTH LOGIN,\r\n".encode()
    m += f"2023-02-01T00:00:00.005Z,{C},00000000000000AA,5,10.0.0.6:25,198.51.100.90:1,<,{b64('Winter2024!')}".encode()
    with open(os.path.join(OUT, "malformed.log"), "wb") as f:
        f.write(m)
    print("wrote fixtures to", os.path.normpath(OUT))
