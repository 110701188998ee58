#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
https_server.py -- the MTA-STS policy server of the integration tests
(t/integration/mta-sts.t): HTTPS on a loopback address with a certificate
of the test CA, serving /.well-known/mta-sts.txt for whichever host the
request names, from files the test writes:

  https_server.py --cert F --key F --dir D [--host 127.0.0.1] [--port N]

  D/<host>            the body for Host: <host> (404 when missing)
  D/<host>.type       its Content-Type (default text/plain)
  D/<host>.status     its status code (default 200), e.g. 302
  D/requests.log      one line per request: "<method> <host> <path>"

Files are read at each request, so a test changes answers on the fly.
Prints "ready <port>" on stdout once it listens.
"""

import argparse
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        d = self.server.dir
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        with open(os.path.join(d, "requests.log"), "a") as f:
            f.write("GET %s %s\n" % (host or "-", self.path))
        path = os.path.join(d, os.path.basename(host)) if host else None
        if (path is None or self.path != "/.well-known/mta-sts.txt"
                or not os.path.isfile(path)):
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "10")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"not found\n")
            return
        with open(path, "rb") as f:
            body = f.read()
        status, ctype = 200, "text/plain"
        if os.path.isfile(path + ".status"):
            with open(path + ".status") as f:
                status = int(f.read().strip())
        if os.path.isfile(path + ".type"):
            with open(path + ".type") as f:
                ctype = f.read().strip()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if status in (301, 302, 307, 308):
            self.send_header("Location", "https://%s/other" % host)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def main():
    p = argparse.ArgumentParser(description="MTA-STS policy server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()
    srv = http.server.HTTPServer((a.host, a.port), Handler)
    srv.dir = a.dir
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
