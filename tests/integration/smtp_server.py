#!/usr/bin/env python3
"""A local SMTP server for boardpack's tests (Debian's python3-aiosmtpd).

    smtp_server.py --out DIR --port-file FILE --log FILE
                   [--cert PEM --key PEM] [--tls starttls|smtps|none]
                   [--auth] [--busy N] [--tempfail-data N] [--echo-auth]
                   [--rcpt-limit N] [--fail-transaction N[:CODE],...]
                   [--greylist N]

Binds 127.0.0.1 on a port the kernel picks and writes that port to
--port-file (atomically, so a test polling for the file never reads half a
number).

--tls starttls (the default) offers STARTTLS and refuses every mail command
before it (530); smtps speaks TLS from the first byte (implicit TLS); none
is plain SMTP without STARTTLS.  starttls and smtps need --cert and --key
(tests/integration/make_ca.sh makes them).

--auth requires AUTH (LOGIN or PLAIN) as $BP_TEST_SMTP_USER with password
$BP_TEST_SMTP_PASSWORD before MAIL; without it any client may send.

--busy N answers "421" to the first N connections and closes them (a
transient failure), then behaves normally.  --tempfail-data N answers
"451" at the end of the first N messages (nothing saved), then accepts.

--echo-auth makes the server careless with secrets, as some are: the
reply to AUTH repeats the login, the password and the AUTH line's base64,
and so does every later reply of that session (a rejected RCPT, a failed
DATA), for tests that prove none of it is kept.

--greylist N answers "451 4.7.1" to every RCPT of the first N
transactions, as a greylisting server does to a sender it has not seen.

--rcpt-limit N answers "452 4.5.3 Too many recipients" to every RCPT after
the first N of a transaction.  --fail-transaction lists transactions (the
first MAIL command of the server's life starts transaction 1) whose DATA is
answered CODE (default 451) instead of being accepted; "2,3:554" fails the
second with 451 and the third with 554.

Recipients whose address starts with "reject" get "550"; the others are
accepted.  Each message received is saved, as the raw bytes of DATA, to
DIR/1.eml, DIR/2.eml, ... (written to a temporary name, then renamed), and
its accepted envelope recipients to DIR/1.rcpt, ..., one per line.

Events are appended to --log, one line each, tab-separated:
    CONNECT  N  busy|ok
    AUTH     LOGIN-NAME  ok|failed        (never the password)
    MAIL     ADDRESS
    RCPT     ADDRESS  accepted|rejected|too-many|greylisted
    DATA     FILE-NAME        (or "-  tempfail", or "-  failed CODE")
    TXN      N  RCPTS  ACCEPTED  delivered|failed
             (at the end of DATA: transaction N, the RCPT commands it
             had and how many of them were accepted)
so a test can check the envelope (Bcc recipients appear only here).

Exits cleanly (status 0) on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import base64
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from serverlib import write_port


class State:
    def __init__(self, args):
        self.args = args
        self.connections = 0
        self.messages = 0
        self.data_seen = 0
        self.transactions = 0
        self.fail = {}
        for item in filter(None, (args.fail_transaction or "").split(",")):
            n, _, code = item.partition(":")
            self.fail[int(n)] = int(code or 451)

    def log(self, *fields):
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write("\t".join(str(x) for x in fields) + "\n")


def echo(session, reply):
    """`reply`, with the AUTH exchange repeated when --echo-auth."""
    said = getattr(session, "bp_echo", None)
    return reply if not said else "%s (%s)" % (reply, said)


def save(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


class Handler:
    def __init__(self, state):
        self.state = state

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        if self.state.args.auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        self.state.log("MAIL", address)
        self.state.transactions += 1
        session.bp_txn = self.state.transactions
        session.bp_rcpts = 0
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        session.bp_rcpts = getattr(session, "bp_rcpts", 0) + 1
        limit = self.state.args.rcpt_limit
        if getattr(session, "bp_txn", 0) <= self.state.args.greylist:
            self.state.log("RCPT", address, "greylisted")
            return echo(session, "451 4.7.1 Greylisted, try again later")
        if limit and session.bp_rcpts > limit:
            self.state.log("RCPT", address, "too-many")
            return echo(session, "452 4.5.3 Too many recipients")
        if address.lower().startswith("reject"):
            self.state.log("RCPT", address, "rejected")
            return echo(session, "550 5.1.1 No such user here")
        self.state.log("RCPT", address, "accepted")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        st = self.state
        st.data_seen += 1
        txn = getattr(session, "bp_txn", 0)
        counts = (txn, session.bp_rcpts, len(envelope.rcpt_tos))
        if st.data_seen <= st.args.tempfail_data:
            st.log("DATA", "-", "tempfail")
            st.log("TXN", *counts, "failed")
            return echo(session, "451 4.3.0 Queue full, try again later")
        if txn in st.fail:
            code = st.fail[txn]
            st.log("DATA", "-", "failed %d" % code)
            st.log("TXN", *counts, "failed")
            return echo(session, "%d %d.3.0 Transaction %d failed"
                        % (code, code // 100, txn))
        st.messages += 1
        name = "%d.eml" % st.messages
        save(os.path.join(st.args.out, "%d.rcpt" % st.messages),
             "".join(a + "\n" for a in envelope.rcpt_tos).encode())
        save(os.path.join(st.args.out, name), envelope.original_content)
        st.log("DATA", name)
        st.log("TXN", *counts, "delivered")
        return "250 OK: queued"


class Busy(asyncio.Protocol):
    """Greets with 421 and hangs up, as a server under load does."""

    def connection_made(self, transport):
        transport.write(b"421 4.3.2 Too busy, try again later\r\n")
        transport.close()


def authenticator(state):
    want_user = os.environ.get("BP_TEST_SMTP_USER", "\0").encode()
    want_pass = os.environ.get("BP_TEST_SMTP_PASSWORD", "\0").encode()

    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == want_user and auth_data.password == want_pass
        state.log("AUTH", auth_data.login.decode("utf-8", "replace"),
                  "ok" if ok else "failed")
        if not state.args.echo_auth:
            return AuthResult(success=ok, handled=False)
        blob = base64.b64encode(b"\0" + auth_data.login + b"\0" +
                                auth_data.password).decode()
        session.bp_echo = "you said AUTH PLAIN %s, user %s password %s" % (
            blob, auth_data.login.decode("utf-8", "replace"),
            auth_data.password.decode("utf-8", "replace"))
        reply = ("235 2.7.0 Welcome" if ok else
                 "535 5.7.8 Authentication failed")
        return AuthResult(success=ok, handled=False,
                          message=echo(session, reply))

    return check


def factory(state, tls_ctx):
    args = state.args
    handler = Handler(state)

    def make():
        state.connections += 1
        if state.connections <= args.busy:
            state.log("CONNECT", state.connections, "busy")
            return Busy()
        state.log("CONNECT", state.connections, "ok")
        kw = {}
        if args.tls == "starttls":
            kw = {"tls_context": tls_ctx, "require_starttls": True}
        return SMTP(handler, hostname="bp-test.localhost",
                    authenticator=authenticator(state),
                    auth_required=args.auth,
                    # Implicit TLS is TLS too, though aiosmtpd only counts
                    # STARTTLS.
                    auth_require_tls=args.tls == "starttls",
                    **kw)

    return make


async def serve(state):
    args = state.args
    loop = asyncio.get_running_loop()
    tls_ctx = None
    if args.tls != "none":
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(args.cert, args.key)
    srv = await loop.create_server(
        factory(state, tls_ctx), "127.0.0.1", 0,
        ssl=tls_ctx if args.tls == "smtps" else None)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_port(args.port_file, srv.sockets[0].getsockname()[1])
    await stop.wait()
    srv.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--tls", choices=("starttls", "smtps", "none"),
                    default="starttls")
    ap.add_argument("--auth", action="store_true")
    ap.add_argument("--busy", type=int, default=0)
    ap.add_argument("--tempfail-data", type=int, default=0)
    ap.add_argument("--echo-auth", action="store_true")
    ap.add_argument("--rcpt-limit", type=int, default=0)
    ap.add_argument("--greylist", type=int, default=0)
    ap.add_argument("--fail-transaction")
    args = ap.parse_args()
    # aiosmtpd warns about its own deprecated attribute on every AUTH.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    # With implicit TLS the whole session is encrypted, which aiosmtpd's
    # AUTH-without-TLS warning does not know.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not")
    if args.tls != "none" and not (args.cert and args.key):
        ap.error("--tls %s needs --cert and --key" % args.tls)
    os.makedirs(args.out, exist_ok=True)
    asyncio.run(serve(State(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
