#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
load.py -- send many messages to smarthostd over many SMTP sessions, in
parallel, and say what happened.

  load.py --port P --sessions S --per-session M [--parallel N]
          [--tag T] [--rcpts R] [--local 127.0.3.] [--out FILE]
          [--retry-seconds 30]

Each message has a unique Message-ID <T.s.m@load.test> and recipients
r<k>@dest.test; its body names them too.  With --out, every message the
daemon acknowledged with 250 is listed, one line each: "<msgid>
<sha256 of the body sent (after the header section)>
<rcpt>,<rcpt>...".  A session refused (421 at
connect, a connection error) is retried until --retry-seconds have passed.
Prints one JSON line: {"acked": n, "refused": n, "failed": n,
"sessions": n}.  Uses smtplib only.
"""

import argparse
import hashlib
import json
import os
import smtplib
import sys
import threading
import time


def body_of(tag, s, m, rcpts):
    text = ("From: <load@load.test>\r\n"
            "To: %s\r\n"
            "Subject: load %s %d %d\r\n"
            "Message-ID: <%s.%d.%d@load.test>\r\n"
            "\r\n"
            "message %d of session %d of run %s\r\n" %
            (", ".join("<%s>" % r for r in rcpts), tag, s, m, tag, s, m,
             m, s, tag))
    text += "".join("line %d of the body, for some weight\r\n" % i
                    for i in range(20))
    return text.encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--per-session", type=int, default=1)
    p.add_argument("--parallel", type=int, default=10)
    p.add_argument("--rcpts", type=int, default=1)
    p.add_argument("--tag", default="run")
    p.add_argument("--local", default=None,
                   help="source address prefix, e.g. 127.0.3. (1..250)")
    p.add_argument("--out", default=None)
    p.add_argument("--progress", default=None,
                   help="file rewritten every 50 ms with the acked count")
    p.add_argument("--retry-seconds", type=float, default=30)
    a = p.parse_args()

    lock = threading.Lock()
    stats = {"acked": 0, "refused": 0, "failed": 0, "sessions": 0}
    acked = []
    next_session = [0]

    def one_session(s):
        rcpts_all = []
        deadline = time.time() + a.retry_seconds
        m = 0
        while m < a.per_session:
            src = None
            if a.local:
                src = ("%s%d" % (a.local, 1 + s % 250), 0)
            try:
                c = smtplib.SMTP(a.host, a.port, timeout=30,
                                 source_address=src)
            except (OSError, smtplib.SMTPException):
                with lock:
                    stats["refused"] += 1
                if time.time() > deadline:
                    with lock:
                        stats["failed"] += a.per_session - m
                    return
                time.sleep(0.05)
                continue
            try:
                c.ehlo("load.test")
                while m < a.per_session:
                    rcpts = ["r%d.%s.%d.%d@dest.test" % (k, a.tag, s, m)
                             for k in range(a.rcpts)]
                    body = body_of(a.tag, s, m, rcpts)
                    c.sendmail("load@load.test", rcpts, body)
                    h = hashlib.sha256(
                        body.partition(b"\r\n\r\n")[2]).hexdigest()
                    with lock:
                        stats["acked"] += 1
                        acked.append("<%s.%d.%d@load.test> %s %s" %
                                     (a.tag, s, m, h, ",".join(rcpts)))
                    m += 1
                c.quit()
            except (OSError, smtplib.SMTPException):
                with lock:
                    stats["refused"] += 1
                try:
                    c.close()
                except OSError:
                    pass
                if time.time() > deadline:
                    with lock:
                        stats["failed"] += a.per_session - m
                    return
                time.sleep(0.05)
        with lock:
            stats["sessions"] += 1

    def worker():
        while True:
            with lock:
                s = next_session[0]
                if s >= a.sessions:
                    return
                next_session[0] += 1
            one_session(s)

    done = threading.Event()

    def progress():
        # The count so far, replaced atomically, so a test can pace
        # itself by the load instead of by the clock.
        while True:
            with lock:
                n = stats["acked"]
            with open(a.progress + ".tmp", "w") as f:
                f.write("%d\n" % n)
            os.replace(a.progress + ".tmp", a.progress)
            if done.wait(0.05):
                return

    threads = [threading.Thread(target=worker) for _ in range(a.parallel)]
    if a.progress:
        pt = threading.Thread(target=progress)
        pt.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    if a.progress:
        pt.join()
    if a.out:
        with open(a.out, "w") as f:
            f.write("".join(l + "\n" for l in acked))
    print(json.dumps(stats))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
