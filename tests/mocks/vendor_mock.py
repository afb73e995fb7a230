#!/usr/bin/env python3
"""boardpack's local vendor mock: HubSpot, Google Ads, Meta, LinkedIn and
GA4 (and Google's and each vendor's OAuth token endpoints) on one HTTPS
port, by path, behaving as /work/shared/CONNECTORS.md describes the real
APIs.  Python 3 standard library, plus python3-cryptography for RS256.

    vendor_mock.py --cert PEM --key PEM --port-file FILE [--log FILE]
                   [--credentials FILE] [--data DIR]
                   [--hubspot-synthetic N] [--timezone TZ] [--currency CUR]
                   [--scenario FILE]... [--set NAME=VALUE]...
                   [--token-ttl S] [--export-url-ttl S]
                   [--export-zip auto|always] [--pacing on|off]
                   [--download-port-file FILE] [--list-settings]

Binds 127.0.0.1 on two ports the kernel picks: the API port (written to
--port-file) and a second one for HubSpot export downloads (written to
--download-port-file, and named in each export's result URL).  Port files
are written atomically.  See tests/mocks/README.md for the options, the
scenario and credential file formats and what each vendor emulates.

Exits cleanly (status 0) on SIGTERM or SIGINT.
"""

import argparse
import datetime
import http.server
import json
import os
import shutil
import ssl
import sys
import tempfile
import threading
import traceback

# The port file and the quiet server are shared with the servers in
# tests/integration.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, "integration"))

import exports  # noqa: E402 (the imports below need the path above)
import ga4
import google_ads
import google_oauth
import hubspot
import hubspot_export
import hubspot_portal as hp
import linkedin
import meta
from mockcore import Mock, Request, RequestLog, Settings, json_reply
from serverlib import QuietServer, exit_on_signals, write_port

VENDORS = [hubspot, hubspot_export, google_oauth, google_ads, ga4, meta,
           linkedin]
CHUNK = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bp-vendor-mock"
    sys_version = ""
    # Headers and body go out in separate writes; with Nagle's algorithm
    # each keep-alive reply would wait for the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def serve(self):
        mock = self.server.mock
        req = Request(self.command, self.path, self.headers, self.read_body(),
                      self.server.port_name)
        try:
            reply = mock.handle(req)
        except Exception:  # a bug in the mock: say so, keep serving
            traceback.print_exc()
            reply = json_reply(500, {"error": "vendor mock failed: %s" %
                                     traceback.format_exc(limit=1)})
        if mock.log:
            mock.log.write(req, reply)
        if reply.close:
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        for k, v in reply.headers:
            self.send_header(k, v)
        if reply.path:
            self.send_header("Content-Length", str(os.path.getsize(reply.path)))
            self.end_headers()
            with open(reply.path, "rb") as f:
                shutil.copyfileobj(f, self.wfile, CHUNK)
            return
        body = reply.payload()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_one(self):
        try:
            self.serve()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one


def parse_args(argv):
    ap = argparse.ArgumentParser(description="boardpack vendor mock")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true",
                    help="plain HTTP (for debugging only)")
    ap.add_argument("--port-file")
    ap.add_argument("--download-port-file")
    ap.add_argument("--log", help="request log, one JSON line per request")
    ap.add_argument("--credentials", help="JSON file of accepted credentials")
    ap.add_argument("--data", help="folder of bp-gen exports to serve")
    ap.add_argument("--hubspot-synthetic", type=int, metavar="N",
                    help="serve N computed contacts instead of contacts.csv")
    ap.add_argument("--timezone", default="Asia/Seoul",
                    help="portal and ad account time zone")
    ap.add_argument("--currency", default="KRW")
    ap.add_argument("--scenario", action="append", default=[],
                    help="scenario file (repeatable)")
    ap.add_argument("--set", action="append", default=[],
                    metavar="NAME=VALUE", help="a setting (repeatable)")
    ap.add_argument("--token-ttl", type=float,
                    help="lifetime of every issued access token, s")
    ap.add_argument("--export-url-ttl", type=float,
                    help="HubSpot export result URL lifetime, s")
    ap.add_argument("--export-zip", choices=["auto", "always"])
    ap.add_argument("--pacing", choices=["on", "off"],
                    help="vendor rate limits enforced (default on)")
    ap.add_argument("--list-settings", action="store_true")
    return ap.parse_args(argv)


def load_hubspot(ex, args):
    clock = hp.Clock(args.timezone)
    if args.hubspot_synthetic:
        end = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
        contacts = hp.SyntheticContacts(args.hubspot_synthetic,
                                        int(end.timestamp() * 1000))
        return {"contacts": contacts,
                "deals": hp.SyntheticDeals(contacts, args.currency),
                "owners": {}, "clock": clock}
    contacts = hp.contacts_from_export(ex.contacts or [], clock)
    deals, owners = hp.deals_from_export(ex.deals or [], clock, args.currency)
    return {"contacts": contacts, "deals": deals, "owners": owners,
            "clock": clock}


class Data:
    def __init__(self, args):
        self.exports = exports.Exports(args.data)
        self.hubspot = load_hubspot(self.exports, args)
        self.timezone = args.timezone
        self.currency = args.currency


def load_credentials(mock, path):
    """Registers the credentials file's static tokens; see README.md."""
    creds = {}
    if path:
        with open(path, encoding="utf-8") as f:
            creds = json.load(f)
    mock.creds = creds
    for vendor in ("hubspot", "google", "meta", "linkedin"):
        c = creds.get(vendor, {})
        scopes = " ".join(c.get("scopes", [])) if isinstance(
            c.get("scopes"), list) else c.get("scopes", "")
        for t in c.get("access_tokens", []) + c.get("private_app_tokens", []):
            mock.tokens.add_static(vendor, t, scopes)
        for t in c.get("expired_tokens", []):
            mock.tokens.add_static(vendor, t, scopes, expired=True)


def apply_options(settings, args):
    settings.define("token_ttl", 0.0,
                    "every issued access token's lifetime, s (0: vendor's)")
    if args.token_ttl is not None:
        settings.set("token_ttl", args.token_ttl)
    if args.export_url_ttl is not None:
        settings.set("hubspot.export_url_ttl", args.export_url_ttl)
    if args.export_zip:
        settings.set("hubspot.export_zip", args.export_zip)
    if args.pacing:
        for name in settings.help:
            if name.endswith(".pacing"):
                settings.set(name, args.pacing == "on")
    for item in args.set:
        name, _, value = item.partition("=")
        settings.set(name, value)


def serve(port_name, mock, ctx):
    srv = QuietServer(("127.0.0.1", 0), Handler)
    srv.mock = mock
    srv.port_name = port_name
    if ctx:
        # The handshake happens in the request's thread, on first read, so a
        # client that rejects the certificate never stalls the others.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    mock.ports[port_name] = srv.server_address[1]
    return srv


def main(argv):
    args = parse_args(argv)
    settings = Settings()
    mock = Mock(settings, {}, None)
    for v in VENDORS:
        v.register(mock)
    try:
        apply_options(settings, args)
        for path in args.scenario:
            mock.scenarios.load(path, settings)
    except (KeyError, ValueError, OSError) as e:
        print("vendor_mock: %s" % e, file=sys.stderr)
        return 64
    if args.list_settings:
        print(settings.describe())
        return 0
    if not args.port_file or (not args.plain and not
                              (args.cert and args.key)):
        print("vendor_mock: --port-file and --cert/--key are needed",
              file=sys.stderr)
        return 64
    load_credentials(mock, args.credentials)
    mock.data = Data(args)
    mock.workdir = tempfile.mkdtemp(prefix="bp-mock-")
    ctx = None
    if not args.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    mock.log = RequestLog(args.log)
    api = serve("api", mock, ctx)
    dl = serve("download", mock, ctx)
    threading.Thread(target=dl.serve_forever, args=(0.2,), daemon=True).start()

    exit_on_signals()
    if args.download_port_file:
        write_port(args.download_port_file, mock.ports["download"])
    write_port(args.port_file, mock.ports["api"])
    try:
        api.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        api.server_close()
        dl.server_close()
        shutil.rmtree(mock.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
