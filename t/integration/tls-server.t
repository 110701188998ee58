#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# tls-server.t -- TLS on the receiving side (issue 4, behaviour.md "SMTP
# server"): STARTTLS advertised before TLS only, the session forgotten and
# anything pipelined after STARTTLS thrown away (no command injection across
# the handshake), implicit TLS from the first byte, require_tls, the
# configured certificate as openssl s_client sees it, the protocol floor,
# failed handshakes, and the Received header under TLS.
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
my $sink = start_sink();
my $p_smtps = free_port();
my $p_req = free_port();
my $p_short = free_port();
my $p_short_tls = free_port();
my $tlsconf = sprintf('cert = "%s"; key = "%s";', $certs->{server_cert},
    $certs->{server_key});
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "sub"; address = "127.0.0.1"; port = \@PORT\@;
	      tls = "starttls"; $tlsconf },
	    { name = "smtps"; address = "127.0.0.1"; port = $p_smtps;
	      tls = "implicit"; $tlsconf },
	    { name = "req"; address = "127.0.0.1"; port = $p_req;
	      tls = "starttls"; require_tls = true; $tlsconf },
	    { name = "short"; address = "127.0.0.1"; port = $p_short;
	      tls = "starttls"; timeout = "2s"; $tlsconf },
	    { name = "shorttls"; address = "127.0.0.1"; port = $p_short_tls;
	      tls = "implicit"; timeout = "2s"; $tlsconf }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# STARTTLS: advertised before TLS, the 220, then a new EHLO.
my $s = smtp_session(port => $d->port);
my $e = $s->start_ehlo('client.test');
is($e->{code}, 250, 'EHLO before TLS');
my $kw = ehlo_keywords($e);
ok(exists $kw->{STARTTLS}, 'STARTTLS advertised before TLS');
ok(!exists $kw->{AUTH}, 'no AUTH on a listener without auth');
my $r = $s->cmd('STARTTLS now');
is($r->{code}, 501, 'STARTTLS with an argument: 501');
$r = $s->cmd('STARTTLS');
is($r->{code}, 220, 'STARTTLS: 220');
is($r->{last}, '2.0.0 Ready to start TLS', 'STARTTLS reply text');
ok($certs->tls_up($s), 'handshake with the test CA, name verified');
is($s->sock->get_sslversion_int() >= 0x0303 ? 1 : 0, 1, 'TLS 1.2 or later');
$r = $s->cmd('MAIL FROM:<s@x.test>');
is($r->{code}, 503, 'MAIL right after the handshake: 503 (HELO forgotten)');
$e = $s->cmd('EHLO client.test');
is($e->{code}, 250, 'EHLO under TLS');
$kw = ehlo_keywords($e);
ok(!exists $kw->{STARTTLS}, 'no STARTTLS under TLS');
$r = $s->cmd('STARTTLS');
is($r->{code}, 503, 'STARTTLS twice: 503');
is($r->{enh}, '5.5.1', 'STARTTLS twice: 5.5.1');

# A message under TLS: Received says ESMTPS and names version and cipher.
$r = $s->mail(from => 's@x.test', to => 'tls@y.test',
    data => "Subject: under tls\r\n\r\nhello\r\n");
is($r->{code}, 250, 'message accepted under TLS');
$r = $s->cmd('QUIT');
is($r->{code}, 221, 'QUIT under TLS: 221 arrives');
ok($s->wait_eof(5), 'closed after QUIT');
$s->close;
my @m = $sink->wait_messages(1, 15);
is(scalar @m, 1, 'relayed to the sink');
my ($rcvd) = split_received($m[0]{data} // '');
$rcvd //= '';
like($rcvd, qr/\bwith ESMTPS id\b/, 'Received: with ESMTPS');
like($rcvd, qr/\(using TLSv1\.[23] with cipher \S+ \(\d+\/\d+ bits\)\)/,
    'Received: TLS version and cipher in a comment') or diag $rcvd;
unlike($rcvd, qr/ESMTPSA/, 'not ESMTPSA without AUTH');

# SMTPUTF8 under TLS (RFC 6531 4.3): with UTF8SMTPS.
$s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
$s->cmd('STARTTLS');
$certs->tls_up($s);
$s->cmd('EHLO client.test');
$r = $s->mail(from => 's@x.test', to => 'tls@y.test', mail_params => 'SMTPUTF8',
    data => "Subject: utf8 under tls\r\n\r\nhello\r\n");
is($r && $r->{code}, 250, 'SMTPUTF8 message accepted under TLS');
$s->cmd('QUIT');
$s->close;
@m = $sink->wait_messages(2, 15);
($rcvd) = split_received((grep { ($_->{data} // '') =~ /^Subject: utf8 under tls\r$/m }
    @m)[0]{data} // '');
like($rcvd // '', qr/\bwith UTF8SMTPS id\b/, 'Received: with UTF8SMTPS')
    or diag $rcvd;

# Pipelined input after STARTTLS is thrown away, and the transaction that
# was open before is gone.
$s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
$r = $s->cmd('MAIL FROM:<before@x.test>');
is($r->{code}, 250, 'MAIL before STARTTLS');
my $off = $d->log_size;
$s->send("STARTTLS\r\nMAIL FROM:<evil\@x.test>\r\nRCPT TO:<evil\@y.test>\r\n");
$r = $s->reply;
is($r->{code}, 220, 'pipelined STARTTLS: 220');
is($s->{buf}, '', 'nothing answered after the 220 in cleartext');
ok($certs->tls_up($s), 'handshake after pipelined junk');
$r = $s->cmd('MAIL FROM:<a@x.test>');
is($r->{code}, 503, 'MAIL after TLS without EHLO: 503');
is($r->{enh}, '5.5.1', '... 5.5.1');
$r = $s->cmd('EHLO client.test');
is($r->{code}, 250, 'EHLO is the first reply under TLS');
$r = $s->cmd('RCPT TO:<x@y.test>');
is($r->{code}, 503, 'no transaction survived STARTTLS (RCPT: 503)');
$r = $s->cmd('MAIL FROM:<a@x.test>');
is($r->{code}, 250, 'a new MAIL under TLS');
$s->cmd('QUIT');
$s->close;
ok($d->wait_log(qr/octets sent after STARTTLS discarded/, 5,
    after => $off), 'the discarded octets are logged');

# Implicit TLS: the greeting comes under TLS.
$s = smtp_session(port => $p_smtps);
ok($certs->tls_up($s), 'implicit TLS handshake');
$r = $s->reply;
is($r->{code}, 220, 'greeting under implicit TLS');
$e = $s->cmd('EHLO client.test');
$kw = ehlo_keywords($e);
ok(!exists $kw->{STARTTLS}, 'no STARTTLS on an implicit-TLS listener');
$r = $s->cmd('STARTTLS');
is($r->{code}, 503, 'STARTTLS under implicit TLS: 503');
$r = $s->mail(from => 's@x.test', to => 'smtps@y.test',
    data => "Subject: implicit\r\n\r\nhello\r\n");
is($r->{code}, 250, 'message accepted under implicit TLS');
$r = $s->cmd('QUIT');
is($r->{code}, 221, 'QUIT under implicit TLS');
$s->close;

# Plaintext on the implicit-TLS port: the handshake fails, quietly.
$off = $d->log_size;
$s = smtp_session(port => $p_smtps);
$s->send("EHLO client.test\r\n");
ok($s->wait_eof(5), 'plaintext client on the TLS port is disconnected');
unlike($s->transcript, qr/^S: 250/m, 'no SMTP reply in cleartext');
$s->close;
ok($d->wait_log(qr/TLS handshake failed/, 5, after => $off),
    'failed handshake is logged');

# A failed handshake after STARTTLS (garbage instead of a ClientHello).
$s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
$r = $s->cmd('STARTTLS');
is($r->{code}, 220, 'STARTTLS before garbage');
$s->send("this is not a TLS ClientHello\r\n" x 4);
ok($s->wait_eof(5), 'garbage handshake: connection closed');
$s->close;
ok($d->alive, 'daemon alive after failed handshakes');

# require_tls.
$s = smtp_session(port => $p_req);
$s->start_ehlo('client.test');
$r = $s->cmd('MAIL FROM:<s@x.test>');
is($r->{code}, 530, 'require_tls: MAIL before STARTTLS: 530');
is($r->{last}, '5.7.0 Must issue a STARTTLS command first',
    'require_tls: reply text');
$r = $s->cmd('STARTTLS');
ok($r->{code} == 220 && $certs->tls_up($s), 'require_tls: STARTTLS');
$s->cmd('EHLO client.test');
$r = $s->cmd('MAIL FROM:<s@x.test>');
is($r->{code}, 250, 'require_tls: MAIL under TLS: 250');
$s->cmd('QUIT');
$s->close;

# openssl s_client sees the configured certificate.
sub s_client {
	my (@args) = @_;
	my $out = tempdir('sclient') . '/out';
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		exec('timeout', '10', 'openssl', 's_client', @args);
		POSIX::_exit(127);
	}
	waitpid($pid, 0);
	return ($? >> 8, slurp($out) // '');
}
my ($st, $out) = s_client('-starttls', 'smtp', '-connect',
    '127.0.0.1:' . $d->port, '-CAfile', $certs->{ca_cert},
    '-verify_hostname', 'localhost', '-verify_return_error');
like($out, qr/^subject=\s*CN\s*=\s*localhost$/m,
    's_client -starttls smtp: subject is the configured cert')
    or diag $out;
like($out, qr/^issuer=\s*CN\s*=\s*smarthostd test CA$/m,
    's_client: issuer is the test CA');
like($out, qr/Verify return code: 0 \(ok\)/, 's_client: chain verifies');
like($out, qr/^New, TLSv1\.[23], Cipher is /m, 's_client: TLS 1.2 or 1.3');

# #19 item 10: no TLS 1.3 session tickets (they could never be used).
{
	my $dir = tempdir('tickets');
	my $cmd = sprintf('(sleep 1; printf "EHLO x\\r\\nQUIT\\r\\n"; sleep 1) | '
	    . 'timeout 10 openssl s_client -starttls smtp -connect 127.0.0.1:%d '
	    . '-tls1_3 -CAfile %s -ign_eof -msg > %s/out 2>&1',
	    $d->port, $certs->{ca_cert}, $dir);
	system($cmd);
	my $o = slurp("$dir/out") // '';
	like($o, qr/^New, TLSv1\.3, Cipher is /m, 'tickets: a TLS 1.3 session')
	    or diag $o;
	like($o, qr/^221 /m, 'tickets: the session went on to QUIT');
	unlike($o, qr/NewSessionTicket|New Session Ticket/i,
	    'tickets: no NewSessionTicket sent');
}

# The protocol floor: TLS 1.1 is refused even when the client allows it.
($st, $out) = s_client('-starttls', 'smtp', '-connect',
    '127.0.0.1:' . $d->port, '-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0');
like($out, qr/Cipher is \(NONE\)/, "TLS 1.1 refused");
isnt($st, 0, 's_client -tls1_1 fails');

# TLS 1.2 with a cipher of ours.
($st, $out) = s_client('-starttls', 'smtp', '-connect',
    '127.0.0.1:' . $d->port, '-tls1_2');
like($out, qr/^New, TLSv1\.2, Cipher is /m, 'TLS 1.2 accepted');
like($out, qr/Cipher is ECDHE-\S+-(AES\d+-GCM|CHACHA20)/,
    'TLS 1.2: forward-secret AEAD cipher');
like($out, qr/Compression: NONE/, 'no compression');

# A client that never starts its handshake is dropped at the timeout.
for my $case ([ 'after STARTTLS', $p_short, 1 ],
    [ 'implicit TLS', $p_short_tls, 0 ]) {
	my ($what, $port, $starttls) = @$case;
	$off = $d->log_size;
	$s = smtp_session(port => $port);
	if ($starttls) {
		$s->start_ehlo('client.test');
		$r = $s->cmd('STARTTLS');
		is($r->{code}, 220, "$what: 220");
	}
	my $t0 = time;
	ok($s->wait_eof(8), "silent client $what: disconnected");
	cmp_ok(time - $t0, '<', 6, "silent client $what: at the timeout");
	$s->close;
	ok($d->wait_log(qr/TLS handshake failed: timeout/, 5, after => $off),
	    "silent client $what: logged");
}

# A reload builds the TLS context again: a new certificate is served.
$d->rewrite(config_text => {
	listeners => sprintf('{ name = "sub"; address = "127.0.0.1"; '
	    . 'port = @PORT@; tls = "starttls"; cert = "%s"; key = "%s"; }',
	    $certs->{wrong_cert}, $certs->{wrong_key}),
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
});
$off = $d->log_size;
$d->signal('HUP');
$d->wait_log(qr/listener \S+ on 127\.0\.0\.1 port $p_req closed/, 10,
    after => $off);
($st, $out) = s_client('-starttls', 'smtp', '-connect',
    '127.0.0.1:' . $d->port);
like($out, qr/^subject=\s*CN\s*=\s*wrong\.example$/m,
    'after reload: the new certificate is served') or diag $d->log;

ok($d->alive, 'daemon still running');
is($d->stop, 0, 'clean stop');
unlike($d->log, qr/AddressSanitizer|LeakSanitizer|runtime error/,
    'no sanitizer report');
done_testing();
