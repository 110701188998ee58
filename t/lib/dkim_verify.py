#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""dkim_verify.py -- verify every DKIM-Signature of messages with dkimpy,
an independent verifier, the public keys coming from the records that
`smarthostctl dkim --json` printed (given as a file) instead of DNS.

usage: dkim_verify.py RECORDS.json MESSAGE...
Prints one JSON line per message: a list of {"d", "s", "a", "c", "h",
"b", "ok"} in the order of the fields.  Exit 77 when dkimpy is missing.
"""
import json
import re
import sys

try:
    import dkim
except ImportError:
    print("dkimpy (python3-dkim) is not installed", file=sys.stderr)
    sys.exit(77)


def main():
    with open(sys.argv[1]) as f:
        records = {(r["name"] + ".").lower(): r["txt"] for r in json.load(f)}

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name.lower(), "").encode()

    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            msg = f.read()
        d = dkim.DKIM(msg)
        out = []
        sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
        for i, sig in enumerate(sigs):
            tags = dict(re.findall(rb"([a-z]+)=([^;]*)",
                                   re.sub(rb"\s+", b"", sig)))
            try:
                ok = bool(d.verify(idx=i, dnsfunc=dnsfunc))
            except dkim.DKIMException as e:
                print("# %s: %s" % (path, e), file=sys.stderr)
                ok = False
            out.append({k: tags.get(k.encode(), b"").decode()
                        for k in ("d", "s", "a", "c", "h", "b")})
            out[-1]["ok"] = ok
        print(json.dumps(out))


main()
