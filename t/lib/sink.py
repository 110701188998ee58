#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
sink.py -- the downstream SMTP server of the integration tests.

Listens on --host:--port (loopback only), accepts mail and stores each
accepted transaction in --dir as <seq>.eml (the DATA bytes exactly as
received, after dot-unstuffing and nothing else) and <seq>.json (the
envelope).  Both are written atomically (temp file + rename), the .json
last, so a test that sees a .json may read the whole .eml.

How it answers depends on the recipient's local part:
  tempfail*  -> 451 4.3.0 at RCPT
  reject*    -> 550 5.1.1 at RCPT
  datafail*  -> 451 4.3.0 at the end of data (the whole transaction)
  slowdot*   -> 250, but the reply to the end of data waits 3 s (a
                transaction still in flight when the test acts)
  anything else -> 250
and on the options:
  --fail-first N  the first N transactions that reach the end of data get
                  451 4.3.0 there; later ones succeed
  --fail-file F   while the file F exists, every RCPT gets 451 4.3.0
  --chunking      also offer CHUNKING (RFC 3030) and take BDAT: the chunks'
                  octets, joined, are the message as is (no unstuffing);
                  the .json says "via": "BDAT" (else "DATA")
  --record F      the stress tests' recording mode: store no message, but
                  append one line per accepted recipient to F:
                  "<message-id> <recipient> <sha256 of the body>" (the
                  body: what follows the header section)

Besides the messages it keeps, in --dir:
  connections.log   one line per accepted connection ("<n> <peer>")
  transactions.log  one line per end of data ("<code> <from> <rcpts>")
  commands.log      one line per command verb seen ("<conn> <VERB>")
  max_concurrent    the most connections it ever had open at once (a
                    connection counts until its socket is closed)

It advertises PIPELINING (aiosmtpd handles pipelined input, but 1.4.3
does not say so; --no-pipelining leaves it out), 8BITMIME, SMTPUTF8 and SIZE, and prints "ready" on
stdout once it listens.  Requires aiosmtpd (Debian python3-aiosmtpd).
"""

import argparse
import hashlib
import asyncio
import json
import time
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


def write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def append_line(path, line):
    with open(path, "a", encoding="utf-8", errors="surrogateescape") as f:
        f.write(line + "\n")


class State:
    def __init__(self, args):
        self.dir = args.dir
        self.fail_first = args.fail_first
        self.fail_file = args.fail_file
        self.record = getattr(args, "record", None)  # tls_sink.py has none
        self.chunking = getattr(args, "chunking", False)
        self.no_pipelining = getattr(args, "no_pipelining", False)
        self.seq = 0            # stored messages
        self.data_ends = 0      # transactions that reached end of data
        self.connections = 0
        self.open = 0           # connections open now
        self.max_open = 0


class Handler:
    def __init__(self, state):
        self.st = state

    def _record(self, envelope):
        data = envelope.original_content
        head, sep, body = data.partition(b"\r\n\r\n")
        msgid = "-"
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                msgid = line[11:].strip().decode("ascii", "replace")
                break
        h = hashlib.sha256(body).hexdigest()
        with open(self.st.record, "a") as f:
            for r in envelope.rcpt_tos:
                f.write("%s %s %s\n" % (msgid, r, h))
        return "250 2.0.0 Ok: recorded"

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        # responses ends with "250 HELP"; insert before it.
        out = list(responses[:-1])
        if not self.st.no_pipelining:
            out.append("250-PIPELINING")
        if self.st.chunking:
            out.append("250-CHUNKING")
        out.append(responses[-1])
        return out

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.rsplit("@", 1)[0].lower() if address else ""
        if self.st.fail_file and os.path.exists(self.st.fail_file):
            return "451 4.3.0 Temporary failure (fail file)"
        if local.startswith("tempfail"):
            return "451 4.3.0 Temporary failure for <%s>" % address
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        st = self.st
        st.data_ends += 1
        rcpts = " ".join(envelope.rcpt_tos)
        code = "250"
        if st.data_ends <= st.fail_first:
            code = "451"
            reply = "451 4.3.0 Temporary failure (fail-first)"
        elif any(r.rsplit("@", 1)[0].lower().startswith("datafail")
                 for r in envelope.rcpt_tos):
            code = "451"
            reply = "451 4.3.0 Temporary failure at end of data"
        if code == "250" and any(
                r.rsplit("@", 1)[0].lower().startswith("slowdot")
                for r in envelope.rcpt_tos):
            await asyncio.sleep(3)
        if code != "250":
            append_line(os.path.join(st.dir, "transactions.log"),
                        "%s <%s> %s" % (code, envelope.mail_from, rcpts))
            return reply

        if st.record:
            return self._record(envelope)
        st.seq += 1
        base = os.path.join(st.dir, "%04d" % st.seq)
        write_atomic(base + ".eml", envelope.original_content)
        # aiosmtpd keeps the null reverse-path as "<>"; store addresses
        # without brackets, so the null sender is "".
        mail_from = envelope.mail_from
        if mail_from == "<>":
            mail_from = ""
        meta = {
            "seq": st.seq,
            "mail_from": mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "rcpt_options": [list(o) for o in envelope.rcpt_options],
            "helo": session.host_name,
            "connection": getattr(server, "conn_no", None),
            "peer": list(session.peer) if session.peer else None,
            "size": len(envelope.original_content),
            "via": getattr(envelope, "via", "DATA"),
            "time": time.time(),
        }
        write_atomic(base + ".json",
                     json.dumps(meta, indent=1,
                                ensure_ascii=True).encode("ascii"))
        append_line(os.path.join(st.dir, "transactions.log"),
                    "250 <%s> %s" % (envelope.mail_from, rcpts))
        return "250 2.0.0 Ok: stored as %04d" % st.seq


class SinkSMTP(SMTP):
    # Keep long DATA lines (a relay may pass lines over 998 octets): the
    # sink must record what it was sent, not police it.
    line_length_limit = 1 << 20

    def __init__(self, state, *a, **kw):
        self.st = state
        self.conn_no = None
        super().__init__(*a, **kw)

    def connection_made(self, transport):
        if self.conn_no is None:
            self.st.connections += 1
            self.conn_no = self.st.connections
            peer = transport.get_extra_info("peername")
            append_line(os.path.join(self.st.dir, "connections.log"),
                        "%d %s" % (self.conn_no,
                                   peer[0] if peer else "?"))
            self.st.open += 1
            if self.st.open > self.st.max_open:
                self.st.max_open = self.st.open
                write_atomic(os.path.join(self.st.dir, "max_concurrent"),
                             b"%d\n" % self.st.max_open)
        super().connection_made(transport)

    def connection_lost(self, exc):
        if self.conn_no is not None and not getattr(self, "_lost", False):
            self._lost = True
            self.st.open -= 1
        super().connection_lost(exc)

    async def smtp_MAIL(self, arg):
        self._log_cmd("MAIL")
        return await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        self._log_cmd("RCPT")
        return await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        self._log_cmd("DATA")
        return await super().smtp_DATA(arg)

    async def smtp_RSET(self, arg):
        self._log_cmd("RSET")
        self._bdat = None
        return await super().smtp_RSET(arg)

    async def smtp_BDAT(self, arg):
        # RFC 3030: "BDAT size [LAST]", then exactly size octets, which
        # are data whatever the reply.  An unreadable size leaves no way
        # to find the next command: the connection is closed.
        self._log_cmd("BDAT")
        parts = (arg or "").split()
        if (not self.st.chunking or len(parts) not in (1, 2)
                or not parts[0].isdigit()
                or (len(parts) == 2 and parts[1].upper() != "LAST")):
            await self.push("501 5.5.4 Syntax: BDAT size [LAST]")
            self.transport.close()
            return
        size, last = int(parts[0]), len(parts) == 2
        try:
            chunk = await self._reader.readexactly(size)
        except asyncio.IncompleteReadError:
            self._bdat = None       # dropped mid-chunk: nothing is kept
            self.transport.close()
            return
        if not self.envelope.rcpt_tos:
            self._bdat = None
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if getattr(self, "_bdat", None) is None:
            self._bdat = bytearray()
        self._bdat += chunk
        if not last:
            await self.push("250 2.0.0 %d octets received" % size)
            return
        data, self._bdat = bytes(self._bdat), None
        self.envelope.content = self.envelope.original_content = data
        self.envelope.via = "BDAT"
        status = await self.event_handler.handle_DATA(
            self, self.session, self.envelope)
        self._set_post_data_state()
        await self.push(status)

    async def smtp_QUIT(self, arg):
        self._log_cmd("QUIT")
        return await super().smtp_QUIT(arg)

    async def smtp_EHLO(self, arg):
        self._log_cmd("EHLO")
        return await super().smtp_EHLO(arg)

    async def smtp_HELO(self, arg):
        self._log_cmd("HELO")
        return await super().smtp_HELO(arg)

    def _log_cmd(self, verb):
        if self.st.record:
            return
        append_line(os.path.join(self.st.dir, "commands.log"),
                    "%s %s" % (self.conn_no, verb))


def serve(loop, factory, args, ssl=None):
    """Listen on args.host:args.port, say "ready", run until SIGTERM/INT."""
    server = loop.run_until_complete(
        loop.create_server(factory, host=args.host, port=args.port,
                           reuse_address=True, ssl=ssl))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


def main():
    p = argparse.ArgumentParser(description="SMTP sink for tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-file", default=None)
    p.add_argument("--record", default=None)
    p.add_argument("--chunking", action="store_true")
    p.add_argument("--no-pipelining", action="store_true")
    p.add_argument("--size-limit", type=int, default=100 * 1024 * 1024,
                   help="the SIZE offered in EHLO (and enforced)")
    p.add_argument("--hostname", default="sink.test")
    args = p.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    state = State(args)
    handler = Handler(state)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return SinkSMTP(state, handler, data_size_limit=args.size_limit,
                        enable_SMTPUTF8=True, decode_data=False,
                        hostname=args.hostname, ident="sink.py",
                        timeout=60, loop=loop)

    return serve(loop, factory, args)


if __name__ == "__main__":
    sys.exit(main())
