"""What boardpack's local test servers share: https_server.py and
smtp_server.py here, and tests/mocks/vendor_mock.py.

A test starts a server on a port the kernel picks and polls for the file
the server writes that port to (lib.sh's start_server, testlib's
tl_server_start), so the file must never be seen half-written.
"""

import http.server
import os
import signal


class QuietServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that does not print a traceback for each
    failed handshake or dropped connection: tests provoke them."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def write_port(path, port):
    """Writes `port` and a newline to `path`, atomically."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def exit_on_signals():
    """Makes SIGTERM (what the tests stop a server with) and SIGINT end
    the server cleanly: SystemExit(0) out of serve_forever."""
    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
