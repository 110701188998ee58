#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# interop/postfix.t -- Debian's Postfix as a private instance (its own
# config, queue and log under the test directory; the system's Postfix is
# never touched), both ways:
#  - downstream: smarthostd relays to Postfix's smtpd over STARTTLS with
#    tls = "verify" (the test CA, the name localhost from /etc/hosts);
#  - upstream: Postfix relays into smarthostd (relayhost) over STARTTLS
#    (smtp_tls_security_level = encrypt), with SMTPUTF8 and 8BITMIME.
# Postfix hands what it gets to the sink.  Postfix offers CHUNKING, so
# the downstream way is BDAT.  Part of `make interop`.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use TestPostfix;

my $why = TestPostfix::unavailable();
plan skip_all => $why if $why;

my $certs = TestCerts->new();
my $sink = start_sink();
my $sp = $sink->port;

# --- smarthostd -> Postfix (downstream), tls = "verify".
my $down = TestPostfix->start(relayhost => "[127.0.0.1]:$sp",
    tls_cert => $certs->{server_cert}, tls_key => $certs->{server_key},
    hostname => 'down.postfix.test');
my $d = start_daemon(
    config_text => {
	listener => sprintf('tls = "starttls"; cert = "%s"; key = "%s";',
	    $certs->{server_cert}, $certs->{server_key}),
	relayers => sprintf('{ name = "pf"; type = "smtp"; host = "localhost"; '
	    . 'port = %d; tls = "verify"; ca_file = "%s"; }', $down->port,
	    $certs->{ca_cert}),
	routing => 'default_relayer = "pf";',
	queue => 'retry_interval = "1s";',
    });

my $r = send_mail(port => $d->port, from => 'a@x.test', to => [ 'b@remote.test' ],
    data => "Subject: to postfix\n\nthrough a verified STARTTLS hop\n");
ok($r->{ok}, 'accepted by smarthostd');
my @m = $sink->wait_messages(1, 30);
is(scalar @m, 1, 'Postfix passed it to the sink') or diag $down->log;
my $data = $m[0]{data} // '';
like($data, qr/^Received: from relay\.test \(localhost \[127\.0\.0\.1\]\)\r\n\t\(using TLSv1\.[23] /m,
    'Postfix received it from us under TLS') or diag $data;
ok($d->wait_log(qr/delivered .*to=<b\@remote\.test> .*verified=yes/, 10),
    'smarthostd: delivered with the certificate verified');
like($data, qr/through a verified STARTTLS hop\r\n/, 'the body');
# Postfix's smtpd offers CHUNKING: we send BDAT, not dot-stuffed, and
# Postfix (which relays it on by DATA) must see the same lines.
ok($d->wait_log(qr/smtp client \S+: >>> BDAT \d+ LAST/, 10),
    'smarthostd: BDAT to Postfix, which offers CHUNKING');
my $dots = ".leading dot\r\n.\r\n..two dots\r\n" . ("x" x 70 . "\r\n") x 20000;
$r = send_mail(port => $d->port, from => 'a@x.test', to => [ 'd@remote.test' ],
    data => "Subject: dots by BDAT\r\n\r\n$dots");
ok($r->{ok}, 'a 1.4 MB message with dot lines accepted');
@m = grep { ($_->{data} // '') =~ /^Subject: dots by BDAT\r$/m }
    $sink->wait_messages(2, 30);
ok(@m == 1 && $m[0]{data} =~ /\r\n\r\n\Q$dots\E\z/,
    'it reached the sink through Postfix unchanged') or diag $down->log;

# --- Postfix -> smarthostd (upstream), STARTTLS required by Postfix.
my $up = TestPostfix->start(relayhost => '[127.0.0.1]:' . $d->port,
    smtp_tls => 'encrypt', hostname => 'up.postfix.test');
my $s = smtp_session(port => $up->port);
$s->greeting;
$s->cmd('EHLO client.test');
$r = $s->mail(from => "s\xc3\xa9nder\@x.test", to => 'c@y.test',
    mail_params => 'SMTPUTF8 BODY=8BITMIME',
    data => "Subject: via postfix\r\n\r\n8-bit body: \xc3\xa9\r\n");
$s->cmd('QUIT');
$s->close;
ok($r && $r->{code} == 250, 'Postfix accepted the message') or diag explain $r;
@m = grep { ($_->{data} // '') =~ /^Subject: via postfix\r$/m }
    $sink->wait_messages(3, 30);
is(scalar @m, 1, 'Postfix -> smarthostd -> Postfix -> sink') or diag $up->log . $d->log;
$data = $m[0]{data} // '';
like($data, qr/^Received: from up\.postfix\.test \(unknown \[127\.0\.0\.1\]\)\r\n\t\(using TLSv1\.[23] with cipher /m,
    'smarthostd received it from Postfix under TLS') or diag $data;
like($data, qr/8-bit body: \xc3\xa9\r\n/, '8-bit body intact');
like($data, qr/^\tby relay\.test with UTF8SMTPS id [0-9A-F]{16}/m,
    'our Received: says UTF8SMTPS (SMTPUTF8 under TLS)');
like($up->log, qr/status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]{16}\)/,
    'Postfix logged our 250 with our queue id');

$up->stop;
$down->stop;
is($d->stop, 0, 'clean stop');
done_testing();
