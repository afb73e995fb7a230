#!/usr/bin/env python3
"""Drives `boardpack auth ID -c CONFIG` for test_conn_config.sh: plays the
browser (reads the printed URL, answers the loopback redirect with a code
and the state it was given) and the vendor's token endpoint (HTTPS on
loopback: checks the authorization_code grant, its redirect_uri and that
the PKCE code_verifier hashes to the URL's code_challenge, then issues a
refresh token).  CONNECTORS.md describes no authorization-code endpoint,
so the vendor mock has none: this is the test's own.

    auth_flow.py CERT KEY PORTFILE [--secret S] [--redirect URI] [--stall]
                 -- BOARDPACK ARGS...

Starts the token endpoint, writes its port to PORTFILE, waits for the
config to be written (CONFIG.ready), runs boardpack, exits with its status
(1 when a check here failed).  --secret: the client secret the exchange
must carry (g-client-secret); --redirect: the exact redirect_uri the URL
must carry (else any http://127.0.0.1:PORT/); --stall: before the real
answer, play a browser that opens connections ahead of need and sends
nothing on them, asks for /favicon.ico, and comes back from an older tab
with another state; boardpack must answer those and go on waiting.
"""
import base64
import hashlib
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

CODE = "auth-code-4711"
seen = {}
opts = {"secret": "g-client-secret", "redirect": None, "stall": False}


class Token(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        seen["form"] = form
        ok = (form.get("grant_type") == "authorization_code"
              and form.get("code") == CODE
              and form.get("redirect_uri") == seen.get("redirect")
              and form.get("client_secret") == opts["secret"]
              and base64.urlsafe_b64encode(hashlib.sha256(
                  form.get("code_verifier", "").encode()).digest()
              ).rstrip(b"=").decode() == seen.get("challenge"))
        body = {"access_token": "ya29.from-code", "expires_in": 3599,
                "refresh_token": "1//new-refresh-token"} if ok else \
            {"error": "invalid_grant", "error_description": "bad exchange"}
        data = json.dumps(body).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def stall(redirect):
    """Idle connections, a favicon, a stale state: each answered or left
    alone without holding up the real answer."""
    u = urllib.parse.urlsplit(redirect)
    idle = [socket.create_connection(("127.0.0.1", u.port)) for _ in range(3)]
    base = "%s://127.0.0.1:%d" % (u.scheme, u.port)
    for path, want in (("/favicon.ico", 404),
                       ((u.path or "/") + "?code=x&state=old-tab", 400)):
        try:
            urllib.request.urlopen(base + path, timeout=10).read()
            print("auth_flow: %s was accepted" % path, file=sys.stderr)
            return None
        except urllib.error.HTTPError as e:
            if e.code != want:
                print("auth_flow: %s got %d" % (path, e.code), file=sys.stderr)
                return None
    return idle


def main():
    cert, key, portfile = sys.argv[1:4]
    args = sys.argv[4:]
    while args[0] != "--":
        if args[0] == "--stall":
            opts["stall"] = True
            args = args[1:]
        else:
            opts[args[0][2:]] = args[1]
            args = args[2:]
    cmd = args[1:]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Token)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    while not os.path.exists(portfile + ".ready"):
        time.sleep(0.05)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = None
    for line in p.stdout:
        sys.stdout.write(line)
        if line.strip().startswith("https://"):
            url = line.strip()
            break
    if not url:
        print("auth_flow: boardpack printed no URL", file=sys.stderr)
        p.kill()
        return 1
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    seen["redirect"] = q.get("redirect_uri")
    seen["challenge"] = q.get("code_challenge")
    if q.get("code_challenge_method") != "S256" or not q.get("state") or \
            not q.get("redirect_uri", "").startswith(
                opts["redirect"] or "http://127.0.0.1:") or \
            (opts["redirect"] and q["redirect_uri"] != opts["redirect"]):
        print("auth_flow: bad URL %s" % url, file=sys.stderr)
        p.kill()
        return 1
    idle = stall(q["redirect_uri"]) if opts["stall"] else []
    if idle is None:
        p.kill()
        return 1
    # The browser reaches a "localhost" redirect at 127.0.0.1 too.
    u = urllib.parse.urlsplit(q["redirect_uri"])
    answer = "http://127.0.0.1:%d%s?%s" % (u.port, u.path or "/",
                                           urllib.parse.urlencode(
                                               {"code": CODE,
                                                "state": q["state"]}))
    urllib.request.urlopen(answer, timeout=10).read()
    out, _ = p.communicate(timeout=30)
    sys.stdout.write(out)
    for c in idle:
        c.close()
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
