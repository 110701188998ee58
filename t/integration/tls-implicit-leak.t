#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# tls-implicit-leak.t -- an implicit-TLS listener holds no session for a
# client that is gone (issue 17, item 2): clients that finish the
# handshake and vanish without reading the banner, with or without a
# close_notify, and clients that reject the certificate, twenty of them
# against max_connections = 3; then a normal client is served, the slots
# are all free, no 421 is ever sent in cleartext on the TLS port, and
# shutdown does not wait for anyone.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use Time::HiRes qw(time sleep);

BEGIN {
	eval { require IO::Socket::SSL; 1 }
	    or plan skip_all => 'IO::Socket::SSL missing '
	    . '(Debian: libio-socket-ssl-perl, libnet-ssleay-perl)';
}

my $certs = TestCerts->new();
my $p_tls = free_port();
# "in" (plain) is there for the start-up probe; "smtps" is under test.
my $d = start_daemon(
    config_text => {
	listeners => sprintf('{ name = "in"; address = "127.0.0.1"; '
	    . 'port = @PORT@; }, { name = "smtps"; address = "127.0.0.1"; '
	    . 'port = %d; tls = "implicit"; cert = "%s"; key = "%s"; '
	    . 'max_connections = 3; timeout = "5m"; }', $p_tls,
	    $certs->{server_cert}, $certs->{server_key}),
    });

# A TCP connection and a TLS handshake on it; undef when the handshake
# fails (expected for the rejecting client).
sub tls_connect {
	my (%o) = @_;
	my $sock = IO::Socket::IP->new(PeerHost => '127.0.0.1',
	    PeerPort => $p_tls, Proto => 'tcp', Timeout => 10)
	    or die "connect: $!\n";
	my $ok = IO::Socket::SSL->start_SSL($sock,
	    SSL_ca_file => $certs->{ca_cert},
	    SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
	    SSL_verifycn_name => $o{name} // 'localhost',
	    SSL_verifycn_scheme => 'smtp',
	    SSL_hostname => $o{name} // 'localhost',
	    Timeout => 10);
	return $ok ? $sock : ($o{raw} ? $sock : undef);
}

# Read one line inside TLS, bounded.
sub tls_line {
	my ($sock, $timeout) = @_;
	my $line = '';
	my $deadline = time + ($timeout // 10);
	while ($line !~ /\n/ && time < $deadline) {
		my $sel = IO::Select->new($sock);
		next unless $sock->pending || $sel->can_read(0.2);
		my $n = sysread($sock, my $buf, 512);
		last unless $n;
		$line .= $buf;
	}
	return $line;
}

my $t0 = time;
my ($done, $rejected) = (0, 0);
for my $i (1 .. 20) {
	if ($i % 4 == 0) {
		# Rejects the certificate: the name it wants is not in it.
		my $s = tls_connect(name => 'other.example', raw => 1);
		$rejected++ unless $s->isa('IO::Socket::SSL')
		    && $s->connected && $s->get_sslversion;
		close($s);
		next;
	}
	my $s = tls_connect();
	next unless $s;
	$done++;
	if ($i % 2) {
		# Gone at once, without a close_notify and without reading.
		CORE::close($s);
	} else {
		$s->close(SSL_fast_shutdown => 1);
	}
}
# Every client after the first three found a slot: were any held, a
# handshake would fail for the ones that met a closed door.
cmp_ok($done, '>=', 14, "handshakes completed and dropped ($done)");
is($rejected, 5, 'clients rejecting the certificate (5)');

# A normal client: served, banner inside TLS.
my $s;
my $banner = '';
my $deadline = time + 10;
while (time < $deadline) {
	$s = tls_connect();
	$banner = $s ? tls_line($s, 5) : '';
	last if $banner =~ /^220 /;
	sleep(0.2);
}
like($banner, qr/^220 /, 'after 20 aborting clients a normal client gets 220');
ok(time - $t0 < 15, 'and without waiting for the listener timeout');
if ($s) {
	print $s "QUIT\r\n";
	like(tls_line($s), qr/^221 /, 'QUIT: 221');
	$s->close;
}

# Every session ended: as many disconnects as connects.
ok(wait_for(sub {
	my $log = $d->log;
	my $c = () = $log =~ /: connect to listener /g;
	my $x = () = $log =~ /: disconnect$/mg;
	$c == $x;
}, 10), 'every session ended (connects = disconnects)') or diag $d->log;

# The clients above let the server write its banner before their FIN
# arrives, so they pass without the fix too.  These (t/lib/tls_ghost.py)
# put their Finished, a pipelined EHLO and their FIN in one segment: the
# banner and the EHLO reply are queued after the server has read the end,
# when libevent writes no more on a TLS connection.  Ten of them held the
# three slots for good (the tenth found the door shut, no handshake).
for my $send ('', 'EHLO ghost.test|', 'EHLO ghost.test|MAIL FROM:<g@x.test>|') {
	my $what = $send eq '' ? 'Finished and FIN together'
	    : "Finished, \"$send\" and FIN together";
	my ($st, $out, $err) = run_bounded(60, SmarthostTest::python3(),
	    srcdir() . '/t/lib/tls_ghost.py', '--port', $p_tls,
	    '--ca', $certs->{ca_cert}, '--count', 10, '--send', $send);
	chomp $out;
	is($out, 10, "$what: ten handshakes, none refused for want of a slot")
	    or diag $err;
	ok(wait_for(sub {
		my $log = $d->log;
		my $c = () = $log =~ /: connect to listener /g;
		my $x = () = $log =~ /: disconnect$/mg;
		$c == $x;
	}, 10), "$what: every session ended");
}
$s = tls_connect();
like($s ? tls_line($s, 5) : '', qr/^220 /,
    'after the ghosts a normal client gets 220');
close($s) if $s;

# At max_connections: three clients in session, the fourth gets no
# cleartext 421 (no TLS client could read it): TLS or silence.
my @held = map { tls_connect() } 1 .. 3;
is(scalar(grep { $_ && tls_line($_) =~ /^220 / } @held), 3,
    'three sessions held');
my $raw = smtp_session(port => $p_tls);
my $got = '';
my $sel = IO::Select->new($raw->sock);
my $end = time + 3;
while (time < $end && $sel->can_read($end - time)) {
	my $n = sysread($raw->sock, my $buf, 512);
	last unless $n;
	$got .= $buf;
}
unlike($got, qr/421/, 'at max_connections: no cleartext 421 on the TLS port');
$raw->close;
my $fourth = tls_connect();
my $l4 = $fourth ? tls_line($fourth, 5) : '';
ok(!$fourth || $l4 eq '' || $l4 =~ /^421 /,
    'the fourth TLS client gets 421 inside TLS or nothing') or diag $l4;
close($fourth) if $fourth;

# Shutdown with two ghosts (handshake, then gone) and a client stalled
# before its handshake: prompt, none of them is a session in progress.
close($_) for grep { $_ } @held;
ok(wait_for(sub {
	my $log = $d->log;
	my $c = () = $log =~ /: connect to listener /g;
	my $x = () = $log =~ /: disconnect$/mg;
	$c == $x;
}, 10), 'the held sessions ended');
for (1 .. 2) {
	my $g = tls_connect();
	CORE::close($g) if $g;
}
my $stalled = smtp_session(port => $p_tls);
my $t1 = time;
is($d->stop(20), 0, 'clean stop');
cmp_ok(time - $t1, '<', 5, 'shutdown did not wait for the grace period');
$stalled->close;
unlike($d->log, qr/AddressSanitizer|LeakSanitizer|runtime error/,
    'no sanitizer report');
done_testing();
