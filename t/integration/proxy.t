#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# proxy.t -- listener proxy_protocol behind a real HAProxy (send-proxy and
# send-proxy-v2, TCP mode): the address in the header is the client for
# relay_from, Received: and the log; a peer outside proxy_from, a client
# without a header, a bad header and a silent client are closed without a
# banner; a header split across reads and a v2 LOCAL health check work.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;

skip_unless_built_with('proxy');
my ($haproxy) = grep { -x } qw(/usr/sbin/haproxy /usr/bin/haproxy);
plan skip_all => 'haproxy is not installed (Debian package haproxy)'
    unless $haproxy;

my $sink = start_sink();
my $p_v2 = free_port();
my $p_strict = free_port();
my $p_plain = free_port();
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "lb"; address = "127.0.0.1"; port = \@PORT\@;
	      proxy_protocol = true; relay_from = [ "127.0.0.2/32" ];
	      timeout = "2s"; max_connections = 5; },
	    { name = "lb2"; address = "127.0.0.1"; port = $p_v2;
	      proxy_protocol = true; relay_from = [ "127.0.0.2/32" ]; },
	    { name = "strict"; address = "127.0.0.1"; port = $p_strict;
	      proxy_protocol = true; proxy_from = [ "10.0.0.0/8" ]; },
	    { name = "plain"; address = "127.0.0.1"; port = $p_plain; }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    },
    # A listener behind a proxy answers no probe without a header.
    probe => [ '127.0.0.1', $p_plain ]);

# HAProxy in the foreground: v1 and v2 frontends before the daemon.
my $f1 = free_port();
my $f2 = free_port();
my $hdir = tempdir('haproxy');
write_file("$hdir/haproxy.cfg", <<"CFG");
global
	maxconn 200
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend v1
	bind 127.0.0.1:$f1
	default_backend smarthost_v1
backend smarthost_v1
	server s1 127.0.0.1:@{[ $d->port ]} send-proxy
frontend v2
	bind 127.0.0.1:$f2
	default_backend smarthost_v2
backend smarthost_v2
	server s2 127.0.0.1:$p_v2 send-proxy-v2
CFG
my ($hpid) = SmarthostTest::spawn(argv => [ $haproxy, '-db', '-f',
    "$hdir/haproxy.cfg" ], stderr => "$hdir/haproxy.log", what => 'haproxy');
ok(wait_for(sub {
	my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $f2,
	    Timeout => 1);
	$s ? (close($s), 1) : 0
}, 10), 'haproxy listens') or diag(slurp("$hdir/haproxy.log") // '');

sub relay_try {
	my ($port, $src, $rcpt, $data) = @_;
	my $s = smtp_session(port => $port, local => $src);
	my $g = $s->greeting;
	my %r = (banner => $g->{code});
	$s->cmd('EHLO client.test');
	$s->cmd('MAIL FROM:<sender@client.test>');
	my $r = $s->cmd("RCPT TO:<$rcpt>");
	$r{rcpt} = $r->{code};
	$r{enh} = $r->{enh};
	if ($r->{code} == 250 && defined $data) {
		$s->cmd('DATA');
		$s->send("Subject: $data\r\n\r\nbody\r\n.\r\n");
		$r{data} = $s->reply->{code};
	}
	$s->cmd('QUIT');
	$s->close;
	return \%r;
}

for my $v ([ 'v1', $f1 ], [ 'v2', $f2 ]) {
	my ($name, $port) = @$v;
	my $r = relay_try($port, '127.0.0.2', "far\@elsewhere.test",
	    "via-$name");
	is($r->{banner}, 220, "$name: banner through haproxy");
	is($r->{rcpt}, 250, "$name: client 127.0.0.2 (in relay_from) may relay");
	is($r->{data}, 250, "$name: message accepted");
	$r = relay_try($port, '127.0.0.3', "far\@elsewhere.test");
	is($r->{rcpt}, 554, "$name: client 127.0.0.3 (outside) may not relay");
	is($r->{enh}, '5.7.1', "$name: 5.7.1");
}
my @m = $sink->wait_messages(2, 15);
is(scalar @m, 2, 'both messages delivered');
for my $m (@m) {
	my ($hdr) = split_received($m->{data});
	my ($subj) = $m->{data} =~ /^Subject: (\S+)/m;
	like($hdr // '', qr/\[127\.0\.0\.2\]/,
	    "Received: names the client behind the proxy (" . ($subj // '?') . ')');
	unlike($hdr // '', qr/\[127\.0\.0\.1\]/, 'and not the proxy');
}
like($d->log, qr/accepted .*client=127\.0\.0\.2\b/, 'the log names the client');
unlike($d->log, qr/accepted .*client=127\.0\.0\.1\b/,
    'the log does not name the proxy as the client');

# Straight to the listener, without a header: no banner, closed.
sub no_banner {
	my ($port, $send, $what, $max) = @_;
	my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port,
	    Timeout => 5) or die "connect: $@";
	binmode($s);
	syswrite($s, $send) if length $send;
	my $t0 = time;
	my $buf = '';
	my $sel = IO::Select->new($s);
	while (time - $t0 < $max) {
		last unless $sel->can_read($max - (time - $t0));
		my $n = sysread($s, my $chunk, 4096);
		last unless $n;
		$buf .= $chunk;
	}
	my $el = time - $t0;
	is($buf, '', "$what: not a byte in reply");
	ok($el < $max, "$what: closed (after " . sprintf('%.1f', $el) . ' s)');
	close($s);
	return $el;
}
no_banner($d->port, "EHLO direct.test\r\n", 'plain SMTP without a header', 5);
no_banner($d->port, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 'bad v1 header', 5);
no_banner($d->port, "\r\n\r\n\0\r\nQUIT\n\x31\x11\0\0", 'v2 header of version 3', 5);
my $el = no_banner($d->port, '', 'silent client', 8);
ok($el >= 1.5, 'silent client: waited for the listener timeout first');
no_banner($p_strict, "PROXY TCP4 127.0.0.2 127.0.0.1 5 25\r\n",
    'peer outside proxy_from', 5);
like($d->log, qr/rejected .*reason=not_in_proxy_from/, 'proxy_from logged');
like($d->log, qr/rejected .*reason=bad_proxy_header/, 'bad header logged');
like($d->log, qr/rejected .*reason=proxy_header_timeout/, 'timeout logged');

# A header cut in three reads, then SMTP as usual.
{
	my $s = smtp_session(port => $d->port);
	for my $part ("PROXY TCP4 127.0", ".0.2 127.0.0.1 4", "0000 25\r\n") {
		$s->send($part);
		sleep(0.2);
	}
	is($s->greeting->{code}, 220, 'split v1 header: banner');
	$s->cmd('EHLO split.test');
	$s->cmd('MAIL FROM:<a@split.test>');
	is($s->cmd('RCPT TO:<b@elsewhere.test>')->{code}, 250,
	    'split v1 header: the client in it may relay');
	$s->cmd('QUIT');
	$s->close;
}

# A v2 LOCAL header (HAProxy's health check): the proxy itself is the client.
{
	my $s = smtp_session(port => $d->port);
	$s->send("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00");
	is($s->greeting->{code}, 220, 'v2 LOCAL: banner');
	$s->cmd('EHLO local.test');
	$s->cmd('MAIL FROM:<a@local.test>');
	is($s->cmd('RCPT TO:<b@elsewhere.test>')->{code}, 554,
	    'v2 LOCAL: the proxy (127.0.0.1, outside relay_from) may not relay');
	$s->cmd('QUIT');
	$s->close;
}

# Connections waiting for a header count against max_connections (5).
{
	my @idle = map {
		IO::Socket::IP->new(PeerHost => '127.0.0.1',
		    PeerPort => $d->port) or die
	} 1 .. 5;
	sleep(0.3);
	my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
	    PeerPort => $d->port) or die;
	syswrite($s, "PROXY TCP4 127.0.0.2 127.0.0.1 1 25\r\n");
	my $sel = IO::Select->new($s);
	my $buf = '';
	sysread($s, $buf, 512) if $sel->can_read(5);
	like($buf, qr/^421 4\.3\.2/, 'the sixth connection gets 421 while five wait');
	close($_) for @idle, $s;
}

ok($d->alive, 'daemon still running');
kill('TERM', $hpid);
SmarthostTest::reap($hpid, 5);
$d->stop;
unlike($d->log, qr/runtime error|AddressSanitizer|LeakSanitizer/, 'no sanitizer report');
done_testing();
