#!/usr/bin/env python3
"""A local HTTPS server for boardpack's tests (Python 3 standard library only).

    https_server.py --root DIR --cert PEM --key PEM --port-file FILE --log FILE
                    [--plain]

Binds 127.0.0.1 on a port the kernel picks, writes that port to --port-file
(atomically, so a test polling for the file never reads half a number) and
serves files from --root.  --plain serves plain HTTP instead of HTTPS.

Every request is appended to --log as one line, tab-separated:
    METHOD  PATH  AUTHORIZATION-HEADER-or--
so a test can check what the server received.

Scripted behaviours, chosen by path prefix (FILE is a file under --root):
    /FILE                   the file, Content-Type text/csv
    /flaky/N/FILE           500 for the first N requests of this path, then the file
    /429/FILE               429 with "Retry-After: 1" once, then the file
    /429date/FILE           429 with an HTTP-date Retry-After 1 s ahead once, then the file
    /status/CODE/FILE       always CODE, with a short text body
    /html/FILE              200 text/html login page
    /htmlbody/FILE          200 text/csv whose body is an HTML page (BOM, blanks first)
    /empty/FILE             200 with an empty body
    /nolength/FILE          the file without Content-Length (connection closed at the end)
    /cutclose/FILE          the first half of the file without Content-Length, then
                            the connection closed cleanly (TLS close_notify): a cut
                            HTTP cannot tell from the end of the body
    /cutchunked/FILE        the first half of the file, chunked, then the connection
                            closed cleanly without the last (zero-size) chunk
    /slow/SECONDS/FILE      waits SECONDS before answering
    /redirect/FILE          302 to /FILE
    /redirect-http/PORT/FILE  302 to http://127.0.0.1:PORT/FILE (a downgrade)
    /htmltype/FILE          the file, but labelled Content-Type text/html
    /auth/FILE              needs "Authorization: Bearer $BP_TEST_TOKEN", else 401
    /basic/FILE             needs Basic auth $BP_TEST_USER:$BP_TEST_PASSWORD, else 401
The query string is ignored when choosing the behaviour.

Exits cleanly (status 0) on SIGTERM or SIGINT.
"""

import argparse
import base64
import email.utils
import http.server
import os
import ssl
import sys
import threading
import time
import urllib.parse

from serverlib import QuietServer, exit_on_signals, write_port

COUNTS = {}
COUNTS_LOCK = threading.Lock()
LOG_LOCK = threading.Lock()

LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
              b"<body><form method=post><input name=user>"
              b"<input name=password type=password></form></body></html>\n")
SNIFF_PAGE = b"\xef\xbb\xbf\n  \t<HTML><body>Please sign in</body></HTML>\n"


def hit(path):
    """Returns how many times `path` was requested before, counting this one."""
    with COUNTS_LOCK:
        COUNTS[path] = COUNTS.get(path, 0) + 1
        return COUNTS[path]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bp-test"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def record(self):
        auth = self.headers.get("Authorization", "-")
        with LOG_LOCK, open(self.server.log_path, "a", encoding="utf-8") as f:
            f.write("%s\t%s\t%s\n" % (self.command, self.path, auth))

    def send_body(self, code, body, ctype="text/plain", extra=None,
                  length=True):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_cut(self, rel, chunked):
        """The first half of file `rel`, then a clean close: TLS
        close_notify, so only the HTTP framing can tell the body was cut."""
        data = self.read_file(rel)
        if data is None:
            self.send_body(404, b"not found\n")
            return
        half = data[:len(data) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Connection", "close")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if chunked:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
        else:
            self.wfile.write(half)
        self.wfile.flush()
        self.close_connection = True
        if hasattr(self.connection, "unwrap"):
            try:
                self.connection.unwrap()
            except (OSError, ValueError):
                pass

    def read_file(self, rel):
        root = os.path.realpath(self.server.root)
        full = os.path.realpath(os.path.join(root, rel))
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def send_file(self, rel, length=True):
        data = self.read_file(rel)
        if data is None:
            self.send_body(404, b"not found\n")
        else:
            self.send_body(200, data, "text/csv; charset=utf-8",
                           length=length)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.record()
        path = urllib.parse.urlsplit(self.path).path
        parts = path.lstrip("/").split("/")
        kind = parts[0]
        try:
            self.dispatch(path, kind, parts)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def dispatch(self, path, kind, parts):
        rest = "/".join(parts[1:])
        if kind == "flaky" and len(parts) >= 3:
            if hit(path) <= int(parts[1]):
                self.send_body(500, b"internal error\n")
            else:
                self.send_file("/".join(parts[2:]))
        elif kind in ("429", "429date"):
            if hit(path) == 1:
                if kind == "429":
                    after = "1"
                else:
                    after = email.utils.formatdate(time.time() + 1,
                                                   usegmt=True)
                self.send_body(429, b"slow down\n",
                               extra={"Retry-After": after})
            else:
                self.send_file(rest)
        elif kind == "status" and len(parts) >= 3:
            self.send_body(int(parts[1]), b"scripted status\n")
        elif kind == "html":
            self.send_body(200, LOGIN_PAGE, "text/html; charset=utf-8")
        elif kind == "htmlbody":
            self.send_body(200, SNIFF_PAGE, "text/csv")
        elif kind == "empty":
            self.send_body(200, b"", "text/csv")
        elif kind == "nolength":
            self.send_file(rest, length=False)
        elif kind in ("cutclose", "cutchunked"):
            self.send_cut(rest, kind == "cutchunked")
        elif kind == "slow" and len(parts) >= 3:
            time.sleep(float(parts[1]))
            self.send_file("/".join(parts[2:]))
        elif kind == "redirect":
            self.send_body(302, b"", extra={"Location": "/" + rest})
        elif kind == "redirect-http" and len(parts) >= 3:
            self.send_body(302, b"", extra={
                "Location": "http://127.0.0.1:%d/%s" % (
                    int(parts[1]), "/".join(parts[2:]))})
        elif kind == "htmltype":
            data = self.read_file(rest)
            if data is None:
                self.send_body(404, b"not found\n")
            else:
                self.send_body(200, data, "text/html")
        elif kind == "auth":
            want = "Bearer " + os.environ.get("BP_TEST_TOKEN", "\0")
            if self.headers.get("Authorization") == want:
                self.send_file(rest)
            else:
                self.send_body(401, b"unauthorized\n", extra={
                    "WWW-Authenticate": "Bearer"})
        elif kind == "basic":
            cred = "%s:%s" % (os.environ.get("BP_TEST_USER", "\0"),
                              os.environ.get("BP_TEST_PASSWORD", "\0"))
            want = "Basic " + base64.b64encode(cred.encode()).decode()
            if self.headers.get("Authorization") == want:
                self.send_file(rest)
            else:
                self.send_body(401, b"unauthorized\n", extra={
                    "WWW-Authenticate": 'Basic realm="test"'})
        else:
            self.send_file(path.lstrip("/"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--plain", action="store_true")
    args = ap.parse_args()

    srv = QuietServer(("127.0.0.1", 0), Handler)
    srv.root = args.root
    srv.log_path = args.log
    if not args.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        # The handshake happens in the request's thread, on first read, so a
        # client that rejects the certificate never stalls the others.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)

    exit_on_signals()
    write_port(args.port_file, srv.server_address[1])
    try:
        srv.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
