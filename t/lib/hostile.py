#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
hostile.py -- a misbehaving downstream SMTP server for t/stress/hostile.t.

  hostile.py --port P --mode MODE

Modes:
  no-banner     accepts and never says a word
  drop-data     a normal dialogue until DATA, then drops the connection
                after some of the body
  421           says "421 4.3.2 busy" at connect and closes
  452-rcpt      452 4.5.3 to every RCPT (and 554 to DATA)
  slow          every reply sent one byte per 100 ms, and 451 at the end
                of data (so no message is swallowed however the timing
                falls: the test counts what the good server records)
  slow-reply    the greeting at once, then every reply as in slow
  endless-ehlo  the greeting at once, then an EHLO reply that never ends:
                a complete "250-" line every 200 ms
  no-dot-reply  a normal dialogue, but no reply to the final dot
  slow-read     after the 354, reads the message one byte per 100 ms
  bdat-451      offers CHUNKING; reads each BDAT chunk whole, then answers
                "451 4.3.0 chunk refused, try again later"
  bdat-554      the same with "554 5.6.0 chunk refused for good"
  bdat-drop     offers CHUNKING; drops the connection after some of the
                first BDAT chunk
  rset-watch    a good server (250 at the end of data) that notes, in the
                --log file, "RSET+<VERB>" when the command after a RSET
                was already on its way (sent in the same group: it comes
                within 1 s, before the RSET's reply) or "RSET alone" when
                it was not, and "delivered <RCPT>" for each message
  rset-watch-nopipe  the same without offering PIPELINING
  rset-refuse   rset-watch, but every RSET gets "554 5.5.1 no RSET here"
                ("RSET refused" in the log)
The bdat-* modes answer DATA with 503, so a client that ignores CHUNKING
fails there (transiently) and is noticed.
Prints "ready" once it listens; runs until SIGTERM.  Loopback only.
"""

import argparse
import asyncio
import signal
import sys


async def send(w, text, slow):
    data = text.encode()
    if not slow:
        w.write(data)
        await w.drain()
        return
    for i in range(len(data)):
        w.write(data[i:i + 1])
        await w.drain()
        await asyncio.sleep(0.1)


async def bdat_chunk(r, w, mode, line):
    """One BDAT command: its chunk read (or dropped), then the mode's
    reply.  False when the connection is to end."""
    parts = line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return False
    size = int(parts[1])
    if mode == "bdat-drop":
        await r.readexactly(min(size, 100))
        w.transport.abort()
        return False
    await r.readexactly(size)
    if mode == "bdat-451":
        await send(w, "451 4.3.0 chunk refused, try again later\r\n", False)
    else:
        await send(w, "554 5.6.0 chunk refused for good\r\n", False)
    return True


def note(path, text):
    if path:
        with open(path, "a") as f:
            f.write(text + "\n")


async def session(r, w, mode, log=None):
    slow = mode in ("slow", "slow-reply")
    bdat = mode.startswith("bdat-")
    watch = mode.startswith("rset-")
    rcpt = b""
    ahead = None
    try:
        if mode == "no-banner":
            await r.read()          # until the client gives up
            return
        if mode == "421":
            await send(w, "421 4.3.2 hostile.test busy\r\n", False)
            return
        await send(w, "220 hostile.test ESMTP\r\n", mode == "slow")
        while True:
            if ahead is not None:
                line, ahead = ahead, None
            else:
                line = await r.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO" and mode == "endless-ehlo":
                while True:
                    await send(w, "250-hostile.test still talking\r\n",
                               False)
                    await asyncio.sleep(0.2)
            if verb in (b"EHLO", b"HELO"):
                await send(w, "250-hostile.test\r\n"
                           + ("" if mode == "rset-watch-nopipe"
                              else "250-PIPELINING\r\n")
                           + ("250-CHUNKING\r\n" if bdat else "")
                           + "250 8BITMIME\r\n", slow)
            elif verb == b"BDAT" and bdat:
                if not await bdat_chunk(r, w, mode, line):
                    return
            elif verb == b"MAIL":
                await send(w, "250 2.1.0 Ok\r\n", slow)
            elif verb == b"RSET" and watch:
                try:
                    ahead = await asyncio.wait_for(r.readline(), 1.0)
                except asyncio.TimeoutError:
                    ahead = None
                note(log, "RSET+" + ahead[:4].decode(errors="replace")
                     .upper() if ahead else "RSET alone")
                if mode == "rset-refuse":
                    note(log, "RSET refused")
                    await send(w, "554 5.5.1 no RSET here\r\n", False)
                else:
                    await send(w, "250 2.0.0 Ok\r\n", False)
            elif verb == b"RCPT":
                rcpt = line[8:].strip()
                if mode == "452-rcpt":
                    await send(w, "452 4.5.3 Too many recipients\r\n", slow)
                else:
                    await send(w, "250 2.1.5 Ok\r\n", slow)
            elif verb == b"DATA" and bdat:
                await send(w, "503 5.5.1 CHUNKING offered: use BDAT\r\n",
                           slow)
            elif verb == b"DATA":
                if mode == "452-rcpt":
                    await send(w, "554 5.5.1 No valid recipients\r\n", slow)
                    continue
                await send(w, "354 go ahead\r\n", slow)
                if mode == "slow-read":
                    while await r.read(1):
                        await asyncio.sleep(0.1)
                    return
                got = 0
                while True:
                    l = await r.readline()
                    if not l:
                        return
                    got += len(l)
                    if mode == "drop-data" and got > 100:
                        w.transport.abort()
                        return
                    if l == b".\r\n":
                        break
                if mode == "no-dot-reply":
                    await r.read()
                    return
                if watch:
                    note(log, "delivered " + rcpt.decode(errors="replace"))
                    await send(w, "250 2.0.0 Ok\r\n", False)
                    continue
                await send(w, "451 4.3.0 Try again later\r\n", slow)
            elif verb == b"RSET" or verb == b"NOOP":
                await send(w, "250 2.0.0 Ok\r\n", slow)
            elif verb == b"QUIT":
                await send(w, "221 2.0.0 Bye\r\n", slow)
                return
            else:
                await send(w, "502 5.5.2 Error\r\n", slow)
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            w.close()
        except Exception:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--mode", required=True,
                   choices=["no-banner", "drop-data", "421", "452-rcpt",
                            "slow", "slow-reply", "endless-ehlo",
                            "no-dot-reply", "slow-read",
                            "bdat-451", "bdat-554", "bdat-drop",
                            "rset-watch", "rset-watch-nopipe",
                            "rset-refuse"])
    p.add_argument("--log", default=None)
    a = p.parse_args()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(asyncio.start_server(
        lambda r, w: session(r, w, a.mode, a.log), a.host, a.port,
        reuse_address=True))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
