#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# mta-sts.t -- the mx relayer's mta_sts (RFC 8461) against real peers: a
# DNS server (t/lib/dns_server.py) serving MX, A and _mta-sts TXT records,
# an HTTPS policy server (t/lib/https_server.py, a certificate of the test
# CA for every mta-sts.<domain>) on 127.0.0.1, reached through the test
# knob SMARTHOSTD_MTA_STS_PORT, and SMTP sinks on 127.0.0.x (one with
# STARTTLS and a certificate for the MX names, one without STARTTLS, one
# with a certificate for another name, one with a self-signed one).
# Cases: enforce with a matching MX (a wildcard) delivered with
# mta_sts=enforce and a verified certificate; an MX the policy does not
# name, a sink without STARTTLS, one with a certificate for another name
# and one with a self-signed certificate deferred with nothing delivered;
# testing mode delivered and logged; the policy cached (no second GET for
# the same id), kept when the policy server is gone and the id changes,
# fetched again for a new id; kept on disk across a restart; an invalid
# policy, a redirect, a wrong Content-Type and a body over 64 KiB treated
# as no policy; a fetch in flight at shutdown; DANE taking precedence for
# an MX host with a TLSA record that the policy does not name; mta_sts on
# a non-mx relayer is a load error naming file:line.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use TestDnsServer;
use IO::Select;
use IO::Socket::INET;

skip_unless_built_with('mta-sts');
# DANE's precedence over a policy is part of it: the relayer has dane on.
skip_unless_built_with('dane');
my $certs = TestCerts->new();
my $CA = $certs->{ca_cert};
my @domains = qw(enf nomatch plain untrusted testing cache bad redir ctype
    none big hang dane selfsigned);
my ($web_crt, $web_key) = $certs->issue_names('web',
    map { "DNS:mta-sts.$_.test" } @domains);
my ($mx_crt, $mx_key) = $certs->issue_names('mx',
    (map { "DNS:mx.$_.test" } @domains), 'DNS:mx.other.test');

# The SMTP sinks, all on the mx relayer's port.
my $P = free_port();
sub start_tls_sink {
	my ($host, @args) = @_;
	my $self = bless {}, 'SmarthostTest::Sink';
	$self->{dir} = tempdir('tlssink');
	$self->{port} = $P;
	$self->{host} = $host;
	$self->{argv} = [ SmarthostTest::python3(),
	    srcdir() . '/t/lib/tls_sink.py', '--host', $host,
	    '--port', $P, '--dir', $self->{dir}, @args ];
	$self->start;
	return $self;
}
my $good = start_tls_sink('127.0.0.2', '--starttls', '--cert', $mx_crt,
    '--key', $mx_key);
my $plain = start_tls_sink('127.0.0.3');
my $wrong = start_tls_sink('127.0.0.4', '--starttls', '--cert',
    $certs->{wrong_cert}, '--key', $certs->{wrong_key});
# The right name, but no CA we trust: self-signed.
my $ss_dir = tempdir('selfsigned');
TestCerts::run($ss_dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-days', '3650', '-subj', '/CN=mx.selfsigned.test', '-addext',
    'subjectAltName=DNS:mx.selfsigned.test', '-keyout', 'ss.key',
    '-out', 'ss.crt');
my $selfsigned = start_tls_sink('127.0.0.6', '--starttls', '--cert',
    "$ss_dir/ss.crt", '--key', "$ss_dir/ss.key");

# The policy server.
my $web_dir = tempdir('web');
my $web_port = free_port();
my $web = bless {}, 'SmarthostTest::Sink';
$web->{dir} = $web_dir;
$web->{port} = $web_port;
$web->{host} = '127.0.0.1';
$web->{argv} = [ SmarthostTest::python3(), srcdir() . '/t/lib/https_server.py',
    '--host', '127.0.0.1', '--port', $web_port, '--cert', $web_crt,
    '--key', $web_key, '--dir', $web_dir ];
# https_server.py says "ready <port>"; the sink's start wants "ready".
sub web_start {
	my ($pid, $rd) = SmarthostTest::spawn(argv => $web->{argv},
	    stdout_pipe => 1, stderr => "$web_dir/stderr",
	    what => 'https_server.py');
	$web->{pid} = $pid;
	my $buf = '';
	my $sel = IO::Select->new($rd);
	# The whole line: a part of the port must not stop the reading.
	while ($buf !~ /^ready \d+\n/m) {
		$sel->can_read(10) && sysread($rd, $buf, 256, length $buf)
		    or die "https_server.py did not start:\n"
		    . (slurp("$web_dir/stderr") // '');
	}
	close($rd);
}
web_start();

sub policy {
	my ($dom, $mode, @mx) = @_;
	write_file("$web_dir/mta-sts.$dom.test", join('', "version: STSv1\r\n",
	    "mode: $mode\r\n", (map { "mx: $_\r\n" } @mx),
	    "max_age: 86400\r\n"));
}
sub gets {
	my ($dom) = @_;
	return scalar(grep { /^GET mta-sts\.\Q$dom\E\.test / }
	    split /\n/, (slurp("$web_dir/requests.log") // ''));
}

policy('enf', 'enforce', '*.enf.test');
policy('nomatch', 'enforce', 'mx.nomatch.test');
policy('plain', 'enforce', 'mx.plain.test');
policy('untrusted', 'enforce', 'mx.untrusted.test');
policy('selfsigned', 'enforce', 'mx.selfsigned.test');
policy('testing', 'testing', 'mx.elsewhere.test');
policy('cache', 'enforce', 'mx.cache.test');
write_file("$web_dir/mta-sts.bad.test", "<html>Welcome to nginx!</html>\n");
policy('redir', 'enforce', 'mx.nothing.test');
write_file("$web_dir/mta-sts.redir.test.status", "302\n");
policy('ctype', 'enforce', 'mx.nothing.test');
write_file("$web_dir/mta-sts.ctype.test.type", "text/html\n");
policy('none', 'none');
# DANE applies to mx.dane.test, which the policy does not name.
policy('dane', 'enforce', 'mx.elsewhere.test');
# Over the 64 KiB cap, valid but for its size.
write_file("$web_dir/mta-sts.big.test", "version: STSv1\r\nmode: enforce\r\n"
    . "mx: mx.nothing.test\r\nmax_age: 86400\r\n"
    . ("x-padding: " . ('p' x 100) . "\r\n") x 700);
# mta-sts.hang.test is 127.0.0.5, where a listener never answers.
my $hang = IO::Socket::INET->new(LocalAddr => '127.0.0.5',
    LocalPort => $web_port, Listen => 5, ReuseAddr => 1)
    or die "listen 127.0.0.5:$web_port: $!\n";

my %txt_id = map { $_ => 1 } @domains;
sub records {
	my @r;
	my %mx = (enf => [ 'mx.enf.test', '127.0.0.2' ],
	    nomatch => [ 'mx.other.test', '127.0.0.2' ],
	    plain => [ 'mx.plain.test', '127.0.0.3' ],
	    untrusted => [ 'mx.untrusted.test', '127.0.0.4' ],
	    testing => [ 'mx.testing.test', '127.0.0.3' ],
	    cache => [ 'mx.cache.test', '127.0.0.2' ],
	    bad => [ 'mx.bad.test', '127.0.0.3' ],
	    redir => [ 'mx.redir.test', '127.0.0.3' ],
	    ctype => [ 'mx.ctype.test', '127.0.0.3' ],
	    none => [ 'mx.none.test', '127.0.0.3' ],
	    big => [ 'mx.big.test', '127.0.0.3' ],
	    hang => [ 'mx.hang.test', '127.0.0.3' ],
	    dane => [ 'mx.dane.test', '127.0.0.2' ],
	    selfsigned => [ 'mx.selfsigned.test', '127.0.0.6' ]);
	for my $d (@domains) {
		push @r, "$d.test MX 10 $mx{$d}[0]", "$mx{$d}[0] A $mx{$d}[1]",
		    "_mta-sts.$d.test TXT v=STSv1; id=$txt_id{$d};",
		    "mta-sts.$d.test A " . ($d eq 'hang' ? '127.0.0.5' :
		    '127.0.0.1');
	}
	push @r, 'src.test MX 10 mx.src.test', 'mx.src.test A 127.0.0.3',
	    "_$P._tcp.mx.dane.test TLSA 3 1 1 "
	    . $certs->tlsa($mx_crt, 1, 1);
	return \@r;
}
my $dns = start_dns_server(records => records());

$ENV{SMARTHOSTD_MTA_STS_PORT} = $web_port;
# DANE on too (every name of the zone is DNSSEC-authenticated, only
# mx.dane.test has TLSA records): it takes precedence where it applies.
my $conf = config_text(
    relayers => qq{ { name = "mx"; type = "mx"; port = $P;
	tls = "opportunistic"; mta_sts = true; ca_file = "$CA";
	dane = "opportunistic"; connect_timeout = "5s"; } },
    routing => 'default_relayer = "mx";',
    # Deferred mail stays put: each case is one attempt.
    queue => 'retry_interval = "1h"; max_retry_interval = "1h";');
$conf =~ s/^resolver = \{ (.*) \};$/resolver = { $1 trust_ad = true; };/m
    or die "no resolver line\n";
my $d = start_daemon(dns_port => $dns->port, config => $conf);

my $n = 0;
# Send one message to rcpt@$dom.test; returns its outcome line.
sub attempt {
	my ($dom, $what) = @_;
	$n++;
	my $r = send_mail(port => $d->port, from => 'sender@src.test',
	    to => "rcpt$n\@$dom.test", data => "Subject: $what\n\nnr $n\n");
	ok($r->{ok}, "$what: accepted") or diag explain $r;
	my $line = $d->wait_log(qr/^.*\b(?:delivered|deferred|bounced)\b.*\bto=<rcpt$n\@\Q$dom\E\.test>.*$/m, 30);
	ok($line, "$what: an outcome is logged") or diag $d->log;
	return $line // '';
}

# enforce, the MX matching *.enf.test, STARTTLS with a certificate of the
# CA for mx.enf.test: delivered, verified.
my $before = $good->count;
my $line = attempt('enf', 'enforce, matching MX');
like($line, qr/: delivered .* verified=yes dane=none mta_sts=enforce /,
    'enforce: delivered over verified TLS, mta_sts=enforce');
is($good->count, $before + 1, 'enforce: the sink has it');
is(gets('enf'), 1, 'enforce: the policy was fetched once');
like(slurp("$d->{spool}/sts/enf.test") // '', qr/\Aid: 1\nfetched: \d+\n.*^mode: enforce$/ms,
    'enforce: the policy is cached in the spool with its id');

# enforce, the MX (mx.other.test) not in the policy: deferred, though
# its TLS would verify.
$before = $good->count;
$line = attempt('nomatch', 'enforce, MX not in the policy');
like($line, qr/: deferred .*mta_sts=enforce status="451 4\.7\.5 mx\.other\.test is not an MX host the MTA-STS policy of nomatch\.test allows"/,
    'nomatch: deferred 4.7.5, naming the host');
is($good->count, $before, 'nomatch: nothing delivered');

# enforce, a sink without STARTTLS: deferred, nothing sent in plaintext.
$line = attempt('plain', 'enforce, no STARTTLS');
like($line, qr/: deferred .*mta_sts=enforce status="451 4\.7\.\d /,
    'plain: deferred 4.7.x');
is($plain->count, 0, 'plain: nothing delivered in plaintext');

# enforce, a certificate for another name: deferred.
$line = attempt('untrusted', 'enforce, wrong certificate');
like($line, qr/: deferred .*mta_sts=enforce status="451 4\.7\.5 .*(?:verify|hostname|mismatch)/i,
    'untrusted: deferred over the certificate');
is($wrong->count, 0, 'untrusted: nothing delivered');

# enforce, the right name in a certificate of no CA we trust: deferred.
$line = attempt('selfsigned', 'enforce, self-signed certificate');
like($line, qr/: deferred .*mta_sts=enforce status="451 4\.7\.5 .*self[- ]signed/i,
    'selfsigned: deferred over the certificate');
is($selfsigned->count, 0, 'selfsigned: nothing delivered');

# testing: the same faults (MX not in the policy, no STARTTLS) are only
# logged.
$before = $plain->count;
$line = attempt('testing', 'testing mode');
like($line, qr/: delivered .*mta_sts=testing /, 'testing: delivered');
is($plain->count, $before + 1, 'testing: the sink has it');
like($d->log, qr/mta-sts testing: testing\.test: MX host mx\.testing\.test matches no mx pattern of the policy; enforce would skip it/,
    'testing: the MX mismatch is logged');
like($d->log, qr/mta-sts testing: testing\.test: delivery to \S+ without TLS; enforce would have required STARTTLS and a verified certificate/,
    'testing: the missing TLS is logged');

# The cache: the same id again needs no fetch.
$line = attempt('cache', 'cache: first');
like($line, qr/: delivered .*mta_sts=enforce /, 'cache: delivered');
is(gets('cache'), 1, 'cache: fetched once');
$line = attempt('cache', 'cache: same id');
like($line, qr/: delivered .*mta_sts=enforce /, 'cache: delivered again');
is(gets('cache'), 1, 'cache: not fetched again for the same id');

# The policy server goes away and the id changes: the fetch fails, the
# cached policy still applies (RFC 8461 5.1).
$web->stop;
$txt_id{cache} = 2;
$dns->set_records(records());
$line = attempt('cache', 'cache: server gone, new id');
like($line, qr/: delivered .* verified=yes dane=none mta_sts=enforce /,
    'cache: the cached policy still applies when the fetch fails');
like($d->log, qr/mta-sts: cache\.test: policy fetch failed: .*; the cached policy \(id 1\) still applies/,
    'cache: the failed fetch is logged');

# Back, with a new id and a policy that no longer names the MX: fetched
# again and applied.
web_start();
policy('cache', 'enforce', 'mx.moved.test');
$txt_id{cache} = 3;
$dns->set_records(records());
$line = attempt('cache', 'cache: new id');
is(gets('cache'), 2, 'cache: a new id is fetched again');
like($line, qr/: deferred .*mta_sts=enforce status="451 4\.7\.5 mx\.cache\.test is not/,
    'cache: the new policy applies');
like(slurp("$d->{spool}/sts/cache.test") // '', qr/\Aid: 3\n.*^mx: mx\.moved\.test$/ms,
    'cache: the file holds the new policy');

# Policies that are none: an invalid body, a redirect, another type.
for my $c ([ 'bad', qr/invalid policy: policy line 1: not "name: value"/ ],
    [ 'redir', qr/policy fetch failed: \S+: HTTP status 302, not 200/ ],
    [ 'ctype', qr/policy fetch failed: \S+: Content-Type is not text\/plain/ ],
    [ 'big', qr/policy fetch failed: \S+: policy over 65536 octets/ ]) {
	my ($dom, $re) = @$c;
	$line = attempt($dom, "$dom: no usable policy");
	like($line, qr/: delivered .*mta_sts=none /,
	    "$dom: delivered as without a policy");
	like($d->log, qr/mta-sts: $dom\.test: $re; treated as no policy/,
	    "$dom: the reason is logged");
}
is(gets('redir'), 1, 'redir: the redirect was not followed');

# DANE takes precedence: the policy does not name mx.dane.test, but its
# TLSA record authenticates it.
$before = $good->count;
$line = attempt('dane', 'DANE over MTA-STS');
like($line, qr/: delivered .* verified=yes dane=verified mta_sts=enforce /,
    'dane: delivered through DANE though the policy does not name the MX');
is($good->count, $before + 1, 'dane: the sink has it');

# mode none: no policy to apply.
$line = attempt('none', 'mode none');
like($line, qr/: delivered .*mta_sts=none /, 'none: delivered, mta_sts=none');

# A fetch that never ends (the server accepts and says nothing) is in
# flight when the daemon stops: it stops all the same, the message kept.
$n++;
ok(send_mail(port => $d->port, from => 'sender@src.test',
    to => "rcpt$n\@hang.test", data => "Subject: hang\n\nnr $n\n")->{ok},
    'hang: accepted');
ok($d->wait_log(qr/fetching https:\/\/mta-sts\.hang\.test\//, 30),
    'hang: the fetch started');

# A restart with the policy server gone: enf.test's policy comes from the
# spool, and a fresh TXT lookup with the same id needs no fetch.
$web->stop;
# The fetch holds the stop for the shutdown grace (10 s): give stop() more
# than that, or under load it kills the daemon before its last lines.
$d->stop(40);
like($d->log, qr/smarthostd stopped; \d+ messages queued\n.* deferred .*to=<rcpt$n\@hang\.test> .*status="451 4\.3\.0 interrupted by shutdown"/,
    'hang: the daemon stopped with the fetch in flight, the message kept');
$d->start;
$line = attempt('enf', 'after restart');
like($line, qr/: delivered .* verified=yes dane=none mta_sts=enforce /,
    'restart: the cached policy applies');
is(gets('enf'), 1, 'restart: no fetch');

# mta_sts on a relayer that is not mx: a load error naming file:line.
my $cdir = tempdir('conf');
my $f = write_config(config_text(relayers => q{
    { name = "isp"; type = "smtp"; host = "127.0.0.1";
      mta_sts = true; } }), TMP => $cdir, SPOOL => "$cdir/spool",
    PORT => free_port(), DNS_PORT => free_port());
my ($st, $err) = run_daemon_check($f);
isnt($st, 0, 'mta_sts on an smtp relayer: refused');
like($err, qr/smarthostd\.conf:\d+: .*mta_sts/,
    'mta_sts on an smtp relayer: the error names file:line') or diag $err;

done_testing();
