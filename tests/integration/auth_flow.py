#!/usr/bin/env python3
"""Drives `boardpack auth ID -c CONFIG` for test_conn_config.sh: plays the
browser (reads the printed URL, answers the loopback redirect with a code
and the state it was given) and the vendor's token endpoint (HTTPS on
loopback: checks the authorization_code grant, its redirect_uri and that
the PKCE code_verifier hashes to the URL's code_challenge, then issues a
refresh token).  CONNECTORS.md describes no authorization-code endpoint,
so the vendor mock has none: this is the test's own.

    auth_flow.py CERT KEY PORTFILE -- BOARDPACK ARGS...

Starts the token endpoint, writes its port to PORTFILE, waits for the
config to be written (CONFIG.ready), runs boardpack, exits with its status
(1 when a check here failed).
"""
import base64
import hashlib
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

CODE = "auth-code-4711"
seen = {}


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
              and form.get("client_secret") == "g-client-secret"
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


def main():
    cert, key, portfile = sys.argv[1:4]
    cmd = sys.argv[5:]
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
            not q.get("redirect_uri", "").startswith("http://127.0.0.1:"):
        print("auth_flow: bad URL %s" % url, file=sys.stderr)
        p.kill()
        return 1
    answer = q["redirect_uri"] + "?" + urllib.parse.urlencode(
        {"code": CODE, "state": q["state"]})
    urllib.request.urlopen(answer, timeout=10).read()
    out, _ = p.communicate(timeout=30)
    sys.stdout.write(out)
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
