#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# ipv6.t -- a listener on ::1 accepts mail from ::1 (in the default
# relay_from, "::1/128"), relays it, and names the client in Received:;
# an IPv6 client outside relay_from is refused.  Skipped without ::1.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

plan skip_all => 'no IPv6 loopback (::1) here' unless have_ipv6();

my $sink = start_sink();
my $port = free_port();
my $p_v4only = free_port();
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "v6"; address = "::1"; port = $port; },
	    { name = "v6closed"; address = "::1"; port = $p_v4only;
	      relay_from = [ "127.0.0.0/8" ]; }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    },
    port => $port, probe => [ '::1', $port ]);

my $s = smtp_session(host => '::1', port => $port);
my $e = $s->start_ehlo('v6client.test');
is($e->{code}, 250, 'EHLO over ::1');
my $r = $s->mail(from => 's@x.test', to => 'r@y.test',
    data => "Subject: over IPv6\r\n\r\nhello v6\r\n");
is($r->{code}, 250, 'message accepted over ::1');
like($r->{last} // '', qr/^2\.0\.0 Ok: queued as \S+$/, 'queued as <id>');
$s->cmd('QUIT');
$s->close;

my $res = send_mail(host => '::1', port => $port, from => 's@x.test',
    to => 'r2@y.test', data => "Subject: Net::SMTP v6\n\nhello\n");
ok($res->{ok}, 'Net::SMTP over ::1') or diag explain $res;

my @m = $sink->wait_messages(2, 10);
is(scalar @m, 2, 'both delivered');
my ($rcv, $rest) = split_received($m[0]{data} // '');
(my $u = $rcv // '') =~ s/\r\n(?=[ \t])//g;
like($u, qr/^Received: from v6client\.test \([^()]*\[(?:IPv6:)?::1\]\)/i,
    'Received: names the IPv6 client') or diag $rcv;
is($rest, "Subject: over IPv6\r\n\r\nhello v6\r\n", 'body intact');

# ::1 is not in [ "127.0.0.0/8" ].
$s = smtp_session(host => '::1', port => $p_v4only);
$s->start_ehlo('v6client.test');
$s->cmd('MAIL FROM:<s@x.test>');
$r = $s->cmd('RCPT TO:<r@y.test>');
is($r->{code}, 554, '::1 outside an IPv4-only relay_from: refused');
is($r->{enh}, '5.7.1', '5.7.1');
$s->cmd('QUIT');
$s->close;
done_testing();
