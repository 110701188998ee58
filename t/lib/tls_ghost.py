#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
tls_ghost.py -- implicit-TLS clients that leave without reading a word
(t/integration/tls-implicit-leak.t, issue 17 item 2).

Each client does the TLS handshake through memory BIOs, so that it holds
its last handshake flight (the client's Finished) instead of sending it
at once; then it puts the Finished, the pipelined commands given (if any)
and its FIN in ONE TCP segment (TCP_CORK, then shutdown(SHUT_WR)), and
closes without reading.  The server thus learns in one read that the
handshake is done, that there are commands and that the client is gone:
the replies it queues can never be written.  A server that waits for
them to drain holds the session for ever.  A client that lets each step
reach the server on its own (IO::Socket::SSL, openssl s_client) gives it
time to write the banner first and hides the leak.

    tls_ghost.py --port P --ca FILE [--count N] [--send TEXT]

TEXT is sent as is, with "|" standing for CRLF ("EHLO x|").  Prints the
number of completed handshakes; exit 0 when every handshake completed.
"""
import argparse
import socket
import ssl
import sys


def ghost(port, ca, payload):
    ctx = ssl.create_default_context(cafile=ca)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                s.sendall(out.read())
                data = s.recv(65536)
                if not data:
                    return False
                inc.write(data)
        if payload:
            obj.write(payload)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        s.sendall(out.read())
        s.shutdown(socket.SHUT_WR)
        return True
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--send", default="")
    a = ap.parse_args()
    payload = a.send.replace("|", "\r\n").encode()
    done = 0
    for _ in range(a.count):
        try:
            if ghost(a.port, a.ca, payload):
                done += 1
        except OSError as e:
            print("client: %s" % e, file=sys.stderr)
    print(done)
    return 0 if done == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
