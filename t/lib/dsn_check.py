#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
dsn_check.py -- parse a delivery status notification (RFC 3464) with
Python's email package, independently of the daemon's own code, and print
what a test needs as JSON on stdout:

  {"content_type": "multipart/report", "report_type": "delivery-status",
   "subject": ..., "parts": ["text/plain", "message/delivery-status", ...],
   "per_message": {"Original-Envelope-Id": ..., "Reporting-MTA": ...},
   "per_recipient": [{"Final-Recipient": ..., "Action": ..., ...}, ...],
   "returned": {"content_type": ..., "headers": {...}, "body": ...}}

Usage: dsn_check.py FILE.  Exits 1 (with the reason on stderr) when the
message is not a well-formed multipart/report of type delivery-status
with exactly one message/delivery-status part.
"""

import email
import email.policy
import json
import sys


def fields(msg):
    # Header names as the report gives them; values unfolded.
    return {k: " ".join(str(v).split()) for k, v in msg.items()}


def main():
    with open(sys.argv[1], "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.compat32)
    out = {"content_type": msg.get_content_type(),
           "report_type": msg.get_param("report-type"),
           "subject": msg.get("Subject"),
           "parts": [], "per_message": None, "per_recipient": [],
           "returned": None}
    if out["content_type"] != "multipart/report" or \
            out["report_type"] != "delivery-status":
        sys.exit("not a multipart/report; report-type=delivery-status")
    for part in msg.get_payload():
        ct = part.get_content_type()
        out["parts"].append(ct)
        if ct == "message/delivery-status":
            if out["per_message"] is not None:
                sys.exit("two message/delivery-status parts")
            blocks = part.get_payload()
            if not blocks:
                sys.exit("empty message/delivery-status")
            out["per_message"] = fields(blocks[0])
            out["per_recipient"] = [fields(b) for b in blocks[1:]]
        elif ct == "text/rfc822-headers":
            text = part.get_payload(decode=True).decode("utf-8", "replace")
            hdrs = email.message_from_string(text)
            out["returned"] = {"content_type": ct, "headers": fields(hdrs),
                               "body": hdrs.get_payload() or "",
                               "raw": text}
        elif ct == "message/rfc822":
            inner = part.get_payload()[0]
            body = inner.get_payload(decode=True) or b""
            out["returned"] = {"content_type": ct, "headers": fields(inner),
                               "body": body.decode("utf-8", "replace"),
                               "raw": inner.as_string()}
    if out["per_message"] is None:
        sys.exit("no message/delivery-status part")
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
