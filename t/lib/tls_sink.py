#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
"""
tls_sink.py -- a TLS-capable downstream SMTP server for the integration
tests of the daemon's SMTP client (t/integration/tls-client.t).

It is sink.py (same options, same storage: <seq>.eml + <seq>.json,
connections.log, transactions.log, commands.log in --dir) with TLS and
AUTH on top:

  --cert F --key F    the server certificate and key (PEM)
  --starttls          offer STARTTLS (RFC 3207)
  --implicit          TLS from the first byte (port 465 style); no STARTTLS
  --broken-starttls   offer STARTTLS, answer 220, wait for the client's
                      first handshake bytes, then answer with bytes that
                      are not TLS and close: every handshake fails
  --starttls-inject   offer STARTTLS and send "250 injected" in the same
                      write as the 220 (the CVE-2011-0411 pattern, seen
                      from the client side), then behave as --broken-starttls
  --auth-user U --auth-pass P
                      AUTH PLAIN and LOGIN, offered under TLS only; these
                      credentials get 235, anything else 535 5.7.8
  --auth-mechs M      offer only these mechanisms (comma-separated)
  --auth-tempfail     answer every AUTH with 454 4.7.0
  --auth-cleartext    offer AUTH without TLS too (to prove that a client
                      never uses it there)
  --client-ca F       require a client certificate signed by the CA in F
                      (CERT_REQUIRED): a client without one fails the
                      handshake
  --chunking          offer CHUNKING and take BDAT (sink.py's --chunking)

Besides sink.py's logs, in --dir:
  commands.log  also gets STARTTLS and AUTH verbs
  auth.log      one line per AUTH exchange:
                "<conn> <MECH> <tls|plain> <user> <password> <ok|fail>"
  tls.log       one line per end of data: "<conn> <version>/<cipher>" or
                "<conn> plain", then " auth=<user>" when authenticated,
                then " client=<CN>" when the client sent a certificate
  sni.log       one line per handshake: the SNI name sent, or "-"

Prints "ready" on stdout once it listens.
"""

import argparse
import asyncio
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sink  # noqa: E402  (t/lib/sink.py: storage and answers)

from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402


def _str(b):
    if isinstance(b, bytes):
        return b.decode("utf-8", "backslashreplace")
    return str(b)


class TLSHandler(sink.Handler):
    def __init__(self, state, args):
        super().__init__(state)
        self.args = args

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        out = await super().handle_EHLO(server, session, envelope, hostname,
                                        responses)
        if self.args.broken_starttls or self.args.starttls_inject:
            out.insert(len(out) - 1, "250-STARTTLS")
        return out

    async def handle_DATA(self, server, session, envelope):
        sslobj = server.transport.get_extra_info("ssl_object")
        if sslobj is not None:
            line = "%s %s/%s" % (server.conn_no, sslobj.version(),
                                 sslobj.cipher()[0])
        else:
            line = "%s plain" % server.conn_no
        if session.authenticated and session.auth_data is not None:
            line += " auth=%s" % _str(session.auth_data.login)
        peer = sslobj.getpeercert() if sslobj is not None else None
        if peer:
            cn = [v for rdn in peer.get("subject", ()) for (k, v) in rdn
                  if k == "commonName"]
            line += " client=%s" % (cn[0] if cn else "?")
        sink.append_line(os.path.join(self.st.dir, "tls.log"), line)
        return await super().handle_DATA(server, session, envelope)


class TLSSinkSMTP(sink.SinkSMTP):
    def __init__(self, state, args, *a, **kw):
        self.args = args
        super().__init__(state, *a, **kw)

    async def smtp_STARTTLS(self, arg):
        self._log_cmd("STARTTLS")
        if not (self.args.broken_starttls or self.args.starttls_inject):
            return await super().smtp_STARTTLS(arg)
        if self.args.starttls_inject:
            self.transport.write(b"220 Ready to start TLS\r\n"
                                 b"250 injected\r\n")
        else:
            await self.push("220 Ready to start TLS")
        # Let the ClientHello come, so that the client is inside its
        # handshake; then answer with something that is not a TLS record.
        try:
            await asyncio.wait_for(self._reader.read(4096), 5)
        except asyncio.TimeoutError:
            pass
        self.transport.write(b"this is not TLS at all\r\n" * 4)
        self.transport.close()

    async def smtp_AUTH(self, arg):
        self._log_cmd("AUTH")
        if self.args.auth_tempfail:
            return await self.push("454 4.7.0 Temporary authentication "
                                   "failure")
        return await super().smtp_AUTH(arg)


def make_authenticator(state, args):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = False
        login = password = ""
        if isinstance(auth_data, LoginPassword):
            login = _str(auth_data.login)
            password = _str(auth_data.password)
            ok = (args.auth_user is not None
                  and login == args.auth_user
                  and password == args.auth_pass)
        tls = "tls" if server.transport.get_extra_info("ssl_object") \
            else "plain"
        sink.append_line(os.path.join(state.dir, "auth.log"),
                         "%s %s %s %s %s %s" % (server.conn_no, mechanism,
                                                tls, login, password,
                                                "ok" if ok else "fail"))
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
    return authenticator


def server_context(args, state):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=args.client_ca)

    def sni(sslobj, name, c):
        sink.append_line(os.path.join(state.dir, "sni.log"), name or "-")
    ctx.sni_callback = sni
    return ctx


def main():
    p = argparse.ArgumentParser(description="TLS SMTP sink for tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-file", default=None)
    p.add_argument("--hostname", default="sink.test")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit", action="store_true")
    p.add_argument("--broken-starttls", action="store_true")
    p.add_argument("--starttls-inject", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-pass")
    p.add_argument("--auth-mechs")
    p.add_argument("--auth-tempfail", action="store_true")
    p.add_argument("--auth-cleartext", action="store_true")
    p.add_argument("--client-ca")
    p.add_argument("--chunking", action="store_true")
    args = p.parse_args()
    if (args.starttls or args.implicit) and not (args.cert and args.key):
        p.error("--starttls and --implicit need --cert and --key")

    os.makedirs(args.dir, exist_ok=True)
    state = sink.State(args)
    handler = TLSHandler(state, args)
    ctx = server_context(args, state) if args.cert and args.key else None
    exclude = []
    if args.auth_mechs:
        want = {m.strip().upper() for m in args.auth_mechs.split(",")}
        exclude = [m for m in ("PLAIN", "LOGIN") if m not in want]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return TLSSinkSMTP(
            state, args, handler, data_size_limit=100 * 1024 * 1024,
            enable_SMTPUTF8=True, decode_data=False,
            hostname=args.hostname, ident="tls_sink.py", timeout=60,
            tls_context=ctx if args.starttls else None,
            # Under implicit TLS aiosmtpd does not know it is encrypted.
            auth_require_tls=not (args.implicit or args.auth_cleartext),
            auth_exclude_mechanism=exclude,
            authenticator=make_authenticator(state, args),
            loop=loop)

    return sink.serve(loop, factory, args,
                      ssl=ctx if args.implicit else None)


if __name__ == "__main__":
    sys.exit(main())
