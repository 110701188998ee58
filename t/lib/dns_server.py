#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
dns_server.py -- a small authoritative-looking DNS server for the
integration tests, over UDP on a loopback address, answering from a zone
file of the test's own with hand-built packets (no DNS library needed).
Unlike dnsmasq it serves TLSA and TXT records and can say whether an
answer is DNSSEC-authenticated: it sets the AD bit the way a validating
resolver does, so the daemon's DANE and MTA-STS lookups can be tested.

  dns_server.py --zone FILE [--host 127.0.0.1] [--port N] [--log FILE]

The zone file, one record or directive per line (a line starting with
'#' is a comment);
it is read again whenever it changes (mtime or size), so a test can change
the answers while the daemon runs:

  a.test              MX    10 mx.a.test
  mx.a.test           A     127.0.0.2
  mx.a.test           AAAA  ::1
  _25._tcp.mx.a.test  TLSA  3 1 1 0123abcd...      (usage selector mtype hex)
  _mta-sts.a.test     TXT   v=STSv1; id=20260101  (rest of the line: one
                                                   string, split in 255-octet
                                                   chunks)
  alias.test          CNAME mx.a.test
  !insecure NAME      answers for NAME never carry AD (an unsigned zone)
  !servfail NAME      every query for NAME gets SERVFAIL
  !insecure *         the default for every name (also !secure NAME, to
                      mark a name secure again after !insecure *)

Names are case-insensitive, without the trailing dot.  A name with no
records of any type is NXDOMAIN; a name with records but none of the
queried type is NODATA (NOERROR, empty answer).  A CNAME is followed
within the zone.

AD is set in an answer (NOERROR or NXDOMAIN) when every name in its
answer chain is secure and the query asked for it, with the AD bit or the
EDNS0 DO bit (RFC 6840 5.7); so a client that never asks never sees AD.
Queries with EDNS0 get an OPT record back (DO echoed).  An answer too
big for the client's UDP size is truncated (TC set, answer dropped).

--log FILE gets one line per query: "<qname> <TYPE> ad=<0|1> do=<0|1>
cd=<0|1> -> <RCODE> <n answers> AD=<0|1>".

Prints "ready <port>" on stdout once it listens (the port it got, when
--port is 0 or absent).
"""

import argparse
import os
import signal
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "SRV": 33, "OPT": 41, "TLSA": 52, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP = 0, 1, 2, 3, 4
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
               4: "NOTIMP"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label == "":
            continue
        raw = label.encode("ascii")
        if len(raw) > 63:
            raise ValueError("label too long: %r" % label)
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def decode_name(pkt, off):
    """The name at off (compression followed); (name, offset after it)."""
    labels = []
    end = None
    hops = 0
    while True:
        if off >= len(pkt):
            raise ValueError("name past the end")
        n = pkt[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(pkt):
                raise ValueError("pointer past the end")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | pkt[off + 1]
            hops += 1
            if hops > 32:
                raise ValueError("pointer loop")
            continue
        if n & 0xC0:
            raise ValueError("bad label type")
        off += 1
        if n == 0:
            break
        labels.append(pkt[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), (end if end is not None else off)


def rdata(rtype, fields):
    """Wire rdata of one record from its zone-file fields."""
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, fields[0])
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, fields[0])
    if rtype == "MX":
        return struct.pack("!H", int(fields[0])) + encode_name(fields[1])
    if rtype in ("CNAME", "NS", "PTR"):
        return encode_name(fields[0])
    if rtype == "TXT":
        text = " ".join(fields).encode("utf-8")
        chunks = [text[i:i + 255] for i in range(0, len(text), 255)] or [b""]
        return b"".join(bytes([len(c)]) + c for c in chunks)
    if rtype == "TLSA":
        usage, selector, mtype = (int(x) for x in fields[:3])
        data = bytes.fromhex("".join(fields[3:]))
        return bytes([usage, selector, mtype]) + data
    raise ValueError("unknown type %s" % rtype)


class Zone:
    def __init__(self, path):
        self.path = path
        self.stamp = None
        self.records = {}       # name -> [(type code, rdata bytes, cname)]
        self.insecure = set()
        self.secure = set()
        self.servfail = set()
        self.default_secure = True

    def refresh(self):
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp == self.stamp:
            return
        self.stamp = stamp
        records, insecure, secure, servfail = {}, set(), set(), set()
        default_secure = True
        text = ""
        if stamp is not None:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            try:
                if parts[0].startswith("!"):
                    what, name = parts[0][1:], parts[1].lower().rstrip(".")
                    if what == "insecure" and name == "*":
                        default_secure = False
                    elif what == "insecure":
                        insecure.add(name)
                    elif what == "secure":
                        secure.add(name)
                    elif what == "servfail":
                        servfail.add(name)
                    else:
                        raise ValueError("unknown directive " + parts[0])
                    continue
                name, rtype, fields = parts[0].lower().rstrip("."), \
                    parts[1].upper(), parts[2:]
                if rtype == "TXT":
                    # the rest of the line as it is, spaces kept
                    rest = line.split(None, 2)[2] if len(parts) > 2 else ""
                    fields = [rest]
                target = fields[0].lower().rstrip(".") \
                    if rtype == "CNAME" else None
                records.setdefault(name, []).append(
                    (TYPES[rtype], rdata(rtype, fields), target))
            except (IndexError, KeyError, ValueError) as e:
                sys.stderr.write("%s:%d: %s\n" % (self.path, lineno, e))
        self.records, self.insecure, self.secure, self.servfail = \
            records, insecure, secure, servfail
        self.default_secure = default_secure

    def is_secure(self, name):
        if name in self.insecure:
            return False
        if name in self.secure:
            return True
        return self.default_secure


def parse_query(pkt):
    """(id, flags, qname, qtype, qclass, edns) or raises ValueError;
    edns is None or (udp size, do bit)."""
    if len(pkt) < 12:
        raise ValueError("short")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", pkt[:12])
    if qd != 1:
        raise ValueError("qdcount %d" % qd)
    qname, off = decode_name(pkt, 12)
    if off + 4 > len(pkt):
        raise ValueError("short question")
    qtype, qclass = struct.unpack("!HH", pkt[off:off + 4])
    off += 4
    edns = None
    # skip answer and authority, look for OPT in additional
    for i in range(an + ns + ar):
        _, off = decode_name(pkt, off)
        if off + 10 > len(pkt):
            raise ValueError("short rr")
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", pkt[off:off + 10])
        if rtype == TYPES["OPT"] and i >= an + ns:
            edns = (max(rclass, 512), bool(ttl & 0x8000))
        off += 10 + rdlen
    return qid, flags, qname.lower(), qtype, qclass, edns


def answer(zone, pkt):
    """The reply to one query packet, and a log line."""
    try:
        qid, flags, qname, qtype, qclass, edns = parse_query(pkt)
    except ValueError as e:
        if len(pkt) >= 12:
            qid = struct.unpack("!H", pkt[:2])[0]
            return struct.pack("!6H", qid, 0x8000 | FORMERR, 0, 0, 0, 0), \
                "malformed query (%s) -> FORMERR" % e
        return None, "runt packet ignored"
    rd = flags & 0x0100
    want_ad = bool(flags & 0x0020)
    do = bool(edns and edns[1])
    cd = bool(flags & 0x0010)
    question = encode_name(qname) + struct.pack("!HH", qtype, qclass)

    rcode = NOERROR
    answers = []
    secure = True
    name = qname
    seen = set()
    while True:
        secure = secure and zone.is_secure(name)
        if name in zone.servfail:
            rcode = SERVFAIL
            answers = []
            break
        recs = zone.records.get(name)
        if recs is None:
            rcode = NXDOMAIN if not answers else NOERROR
            break
        match = [r for r in recs if r[0] == qtype or qtype == 255]
        if match:
            answers += [(name, r[0], r[1]) for r in match]
            break
        cnames = [r for r in recs if r[0] == TYPES["CNAME"]]
        if cnames and name not in seen:
            seen.add(name)
            answers.append((name, cnames[0][0], cnames[0][1]))
            name = cnames[0][2]
            continue
        break           # NODATA
    ad = secure and rcode != SERVFAIL and (want_ad or do)

    hflags = 0x8000 | 0x0400 | rd | 0x0080 | rcode    # QR AA RD RA
    if ad:
        hflags |= 0x0020
    if cd:
        hflags |= 0x0010
    body = b""
    for (n, t, rdat) in answers:
        body += encode_name(n) + struct.pack("!HHIH", t, 1, 300, len(rdat)) \
            + rdat
    opt = b""
    if edns:
        opt = b"\0" + struct.pack("!HHIH", TYPES["OPT"], 4096,
                                  0x8000 if do else 0, 0)
    limit = edns[0] if edns else 512
    nans = len(answers)
    if 12 + len(question) + len(body) + len(opt) > limit:
        hflags |= 0x0200        # TC
        body = b""
        nans = 0
    reply = struct.pack("!6H", qid, hflags, 1, nans, 0, 1 if opt else 0) \
        + question + body + opt
    line = "%s %s ad=%d do=%d cd=%d -> %s %d AD=%d" % (
        qname, TYPE_NAMES.get(qtype, str(qtype)), want_ad, do, cd,
        RCODE_NAMES.get(rcode, str(rcode)), nans, 1 if ad else 0)
    return reply, line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zone", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log")
    a = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((a.host, a.port))
    zone = Zone(a.zone)
    zone.refresh()
    log = open(a.log, "a", buffering=1) if a.log else None
    sys.stdout.write("ready %d\n" % s.getsockname()[1])
    sys.stdout.flush()
    while True:
        pkt, peer = s.recvfrom(65535)
        zone.refresh()
        reply, line = answer(zone, pkt)
        if log:
            log.write(line + "\n")
        if reply is not None:
            s.sendto(reply, peer)


if __name__ == "__main__":
    main()
