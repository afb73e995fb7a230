#!/usr/bin/env python3
"""Loads a page in headless Chromium and reports what a person would see.

    browser_check.py PAGE.html SHOT.png [--expect-color RRGGBB]

Starts a logging proxy on 127.0.0.1 that every request of the browser must
go through (and that answers none), opens PAGE.html from disk at 1280 px
width, saves a screenshot, and checks: no request left the page (the proxy
saw nothing), the browser logged no console message or page error, and,
with --expect-color, the screenshot holds a visible area of that colour
(charts are drawn).  Prints what it found; exits 1 on any problem, 77 when
Chromium is not installed.  Standard library only (PNG decoded with zlib).
"""
import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

REQUESTS = []
# Chromium's own service endpoints (updates, sign-in, network time), which
# it contacts at start-up whatever the page; flags turn most of them off,
# not all.  Any other host is a request the page made.
BROWSER_HOSTS = ("update.googleapis.com", "accounts.google.com",
                 "clients2.google.com", "clientservices.googleapis.com",
                 "edgedl.me.gvt1.com", "redirector.gvt1.com")


def from_page(line):
    parts = line.split()
    target = parts[1] if len(parts) > 1 else ""
    host = target.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host not in BROWSER_HOSTS


def proxy(sock):
    """Records the first line of every request and closes the connection."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if data:
                REQUESTS.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
            try:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "unsupported PNG"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows, i = [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("shot")
    ap.add_argument("--expect-color")
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed (apt-get install chromium)")
        sys.exit(77)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    threading.Thread(target=proxy, args=(sock,), daemon=True).start()
    profile = tempfile.mkdtemp(prefix="bp-chromium-")
    try:
        p = subprocess.run([
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            "--disable-extensions", "--disable-default-apps",
            "--disable-domain-reliability", "--disable-breakpad",
            "--disable-client-side-phishing-detection", "--no-default-browser-check",
            "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,"
            "MediaRouter,Translate,AutofillServerCommunication,"
            "CertificateTransparencyComponentUpdater,DialMediaRouteProvider,"
            "InterestFeedContentSuggestions,SafeBrowsing",
            "--safebrowsing-disable-auto-update", "--metrics-recording-only",
            f"--user-data-dir={profile}", f"--proxy-server=http://127.0.0.1:{port}",
            "--proxy-bypass-list=<-loopback>", "--enable-logging=stderr", "--v=0",
            "--window-size=1280,2000", f"--screenshot={os.path.abspath(a.shot)}",
            "file://" + os.path.abspath(a.page)],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        sock.close()
    problems = []
    console = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    if console:
        problems.append("console messages: " + " | ".join(console[:5]))
    page_requests = [r for r in REQUESTS if from_page(r)]
    if page_requests:
        problems.append("requests left the page: " + ", ".join(page_requests[:5]))
    if not os.path.exists(a.shot):
        problems.append(f"no screenshot (chromium exit {p.returncode}): {p.stderr[-500:]}")
    elif a.expect_color:
        want = bytes.fromhex(a.expect_color)
        w, h, bpp, rows = png_pixels(a.shot)
        hits = sum(1 for r in rows for x in range(0, w * bpp, bpp)
                   if abs(r[x] - want[0]) < 8 and abs(r[x + 1] - want[1]) < 8
                   and abs(r[x + 2] - want[2]) < 8)
        print(f"screenshot {w}x{h}: {hits} pixels of #{a.expect_color}")
        if hits < 2000:
            problems.append(f"the screenshot shows almost no #{a.expect_color} (charts missing?)")
    for msg in problems:
        print("problem:", msg)
    print(f"{len(page_requests)} outside requests from the page "
          f"({len(REQUESTS) - len(page_requests)} of Chromium's own), "
          f"{len(console)} console messages")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
