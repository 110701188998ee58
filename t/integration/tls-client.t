#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# tls-client.t -- the daemon's SMTP client against TLS-capable sinks
# (t/lib/tls_sink.py) with certificates made on the spot (TestCerts): each
# relayer `tls` policy (none, opportunistic, required, verify), implicit
# TLS, AUTH PLAIN and LOGIN under TLS only, and a 535 that bounces the
# message instead of retrying.  One daemon; a routing rule per recipient
# domain picks the relayer, and each relayer points at the sink its case
# needs.  "localhost" is resolved by dnsmasq when there is one.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use TestDnsmasq;

my $certs = TestCerts->new();
my $CA = $certs->{ca_cert};

# A tls_sink.py on a port of its own; the object is SmarthostTest's sink.
sub start_tls_sink {
	my (@args) = @_;
	my $self = bless {}, 'SmarthostTest::Sink';
	$self->{dir} = tempdir('tlssink');
	$self->{port} = free_port();
	$self->{host} = '127.0.0.1';
	$self->{argv} = [ SmarthostTest::python3(), srcdir() . '/t/lib/tls_sink.py',
	    '--port', $self->{port}, '--dir', $self->{dir}, @args ];
	$self->start;
	return $self;
}

sub lines {
	my ($sink, $file) = @_;
	return split /\n/, (slurp("$sink->{dir}/$file") // '');
}

my @good = ('--cert', $certs->{server_cert}, '--key', $certs->{server_key});
my @auth = ('--auth-user', 'bob', '--auth-pass', 's3cret pass');
my %sink = (
	good => start_tls_sink(@good, '--starttls', @auth),
	wrong => start_tls_sink('--cert', $certs->{wrong_cert}, '--key',
	    $certs->{wrong_key}, '--starttls'),
	expired => start_tls_sink('--cert', $certs->{expired_cert}, '--key',
	    $certs->{expired_key}, '--starttls'),
	plain => start_tls_sink('--auth-cleartext', @auth),
	broken => start_tls_sink('--broken-starttls', '--auth-cleartext',
	    @auth),
	inject => start_tls_sink('--starttls-inject'),
	implicit => start_tls_sink(@good, '--implicit', @auth),
	login => start_tls_sink(@good, '--starttls', @auth,
	    '--auth-mechs', 'LOGIN'),
	temp => start_tls_sink(@good, '--starttls', @auth, '--auth-tempfail'),
	# A self-signed impostor that offers STARTTLS and AUTH (#19 item 3).
	impostor => start_tls_sink('--cert', $certs->{wrong_cert}, '--key',
	    $certs->{wrong_key}, '--starttls', @auth),
);
my $catch = start_sink();		# bounces land here

my $dns;
if (-x dnsmasq_path()) {
	$dns = start_dnsmasq(zones => [ 'localhost' ], probe => 'localhost',
	    records => [ '--host-record=localhost,127.0.0.1' ]);
}

# name => [ sink, host, settings ]
my %relayer = (
	vip => [ 'good', '127.0.0.1', qq{tls = "verify"; ca_file = "$CA";} ],
	vname => [ 'good', 'localhost', qq{tls = "verify"; ca_file = "$CA";} ],
	vsystem => [ 'good', '127.0.0.1', 'tls = "verify";' ],
	vwrong => [ 'wrong', '127.0.0.1', qq{tls = "verify"; ca_file = "$CA";} ],
	vwrongname => [ 'wrong', 'localhost',
	    qq{tls = "verify"; ca_file = "$CA";} ],
	vexpired => [ 'expired', 'localhost',
	    qq{tls = "verify"; ca_file = "$CA";} ],
	reqplain => [ 'plain', '127.0.0.1', 'tls = "required";' ],
	reqbroken => [ 'broken', '127.0.0.1', 'tls = "required";' ],
	reqinject => [ 'inject', '127.0.0.1', 'tls = "required";' ],
	reqwrong => [ 'wrong', '127.0.0.1', 'tls = "required";' ],
	oppbroken => [ 'broken', '127.0.0.1', 'tls = "opportunistic";' ],
	oppgood => [ 'good', '127.0.0.1', 'tls = "opportunistic";' ],
	oppplain => [ 'plain', '127.0.0.1', 'tls = "opportunistic";' ],
	nonegood => [ 'good', '127.0.0.1', 'tls = "none";' ],
	implicit => [ 'implicit', '127.0.0.1',
	    qq{implicit_tls = true; tls = "verify"; ca_file = "$CA";} ],
	implicitplain => [ 'plain', '127.0.0.1', 'implicit_tls = true;' ],
	authok => [ 'good', '127.0.0.1', 'tls = "required"; '
	    . 'auth = { username = "bob"; password = "s3cret pass"; };' ],
	authlogin => [ 'login', 'localhost', qq{tls = "verify"; ca_file = "$CA"; }
	    . 'auth = { username = "bob"; password = "s3cret pass"; };' ],
	authimplicit => [ 'implicit', '127.0.0.1', qq{implicit_tls = true; ca_file = "$CA"; }
	    . 'auth = { username = "bob"; password = "s3cret pass"; };' ],
	authclear => [ 'plain', '127.0.0.1', 'tls = "required"; '
	    . 'auth = { username = "bob"; password = "s3cret pass"; };' ],
	authbroken => [ 'broken', '127.0.0.1', 'tls = "required"; '
	    . 'auth = { username = "bob"; password = "s3cret pass"; };' ],
	# No tls setting: with auth it must default to verify.
	authdefault => [ 'impostor', '127.0.0.1',
	    'auth = { username = "bob"; password = "s3cret pass"; };' ],
	authbad => [ 'good', '127.0.0.1', 'tls = "required"; '
	    . 'auth = { username = "bob"; password = "wrong"; };' ],
	authtemp => [ 'temp', '127.0.0.1', 'tls = "required"; '
	    . 'auth = { username = "bob"; password = "s3cret pass"; };' ],
);
my @names = sort keys %relayer;
@names = grep { $relayer{$_}[1] ne 'localhost' } @names unless $dns;

my $relayers = join(",\n", sprintf('{ name = "catch"; type = "smtp"; '
    . 'host = "127.0.0.1"; port = %d; tls = "none"; }', $catch->port),
    map {
	my ($s, $host, $extra) = @{$relayer{$_}};
	sprintf('{ name = "%s"; type = "smtp"; host = "%s"; port = %d; %s }',
	    $_, $host, $sink{$s}->port, $extra);
    } @names);
my $rules = join(",\n", map {
	sprintf('{ recipient_domain = "%s.test"; relayer = "%s"; }', $_, $_)
    } @names);

my $d = start_daemon(
    dns_port => $dns ? $dns->port : undef,
    config_text => {
	relayers => $relayers,
	routing => qq{default_relayer = "catch"; rules = ( $rules );},
	# Deferred mail stays put: each case is one attempt.
	queue => 'retry_interval = "1h"; max_retry_interval = "1h";',
    });

my %id;
for my $n (@names) {
	my $r = send_mail(port => $d->port, from => "sender\@src.test",
	    to => "rcpt\@$n.test", data => "Subject: $n\n\nvia relayer $n\n");
	ok($r->{ok}, "$n: accepted") or diag explain $r;
	$id{$n} = $r->{id} // 'NO-ID';
}

# The log line of a delivery attempt's outcome for relayer $n.
sub outcome {
	my ($n, $timeout) = @_;
	my $line = $d->wait_log(qr/^.*\b(?:delivered|deferred|bounced)\b.*\bto=<rcpt\@\Q$n\E\.test>.*$/m,
	    $timeout // 15);
	return $line // '';
}

sub case_ok {
	my ($n, $event, $re, $name) = @_;
	SKIP: {
		skip "no dnsmasq: $n needs \"localhost\" resolved", 2
		    unless exists $id{$n};
		my $l = outcome($n);
		like($l, qr/\b\Q$event\E id=/, "$n: $name: $event")
		    or diag $l;
		like($l, $re, "$n: $name: log line") if defined $re;
	}
}

my $TLS = qr/tls=TLSv1\.[23]\/[A-Z0-9_-]+ verified=/;

# verify
case_ok('vip', 'delivered', qr/${TLS}yes/, 'verify, right CA, address');
case_ok('vname', 'delivered', qr/${TLS}yes/, 'verify, right CA, host name');
SKIP: {
	skip 'no dnsmasq', 1 unless exists $id{vname};
	ok((grep { $_ eq 'localhost' } lines($sink{good}, 'sni.log')),
	    'vname: SNI "localhost" sent');
}
ok(!(grep { $_ eq '127.0.0.1' } lines($sink{good}, 'sni.log')),
    'no SNI for an address literal');
case_ok('vsystem', 'deferred', qr/status="451 4\.7\.5 .*certificate verification failed: unable to get local issuer certificate/,
    'verify against the system store: our test CA is not in it');
case_ok('vwrong', 'deferred', qr/status="451 4\.7\.5 .*certificate verification failed: IP address mismatch/,
    'verify, wrong name (address)');
case_ok('vwrongname', 'deferred', qr/status="451 4\.7\.5 .*certificate verification failed: [Hh]ostname mismatch/,
    'verify, wrong name (host name)');
case_ok('vexpired', 'deferred', qr/status="451 4\.7\.5 .*certificate verification failed: certificate has expired/,
    'verify, expired certificate');
# (reqwrong below delivers one message to the same sink, unverified.)
is(scalar(grep { /^\d+ MAIL$/ } lines($sink{wrong}, 'commands.log')), 1,
    'only the unverified relayer sent MAIL to the wrong-name sink');
is(scalar(grep { /^\d+ MAIL$/ } lines($sink{expired}, 'commands.log')), 0,
    'no MAIL to the expired sink');

# required
case_ok('reqplain', 'deferred', qr/status="451 4\.7\.0 TLS required but \S+ does not offer STARTTLS"/,
    'required, no STARTTLS');
case_ok('reqbroken', 'deferred', qr/status="451 4\.7\.5 TLS handshake with \S+ failed/,
    'required, handshake fails');
case_ok('reqinject', 'deferred', qr/status="451 4\.7\.5 TLS handshake with \S+ failed: data pipelined after the reply to STARTTLS"/,
    'required, plaintext injected behind the 220 to STARTTLS');
is(scalar(grep { /^\d+ MAIL$/ } lines($sink{inject}, 'commands.log')), 0,
    'reqinject: no MAIL after the injection');
case_ok('reqwrong', 'delivered', qr/${TLS}no/,
    'required does not verify the certificate');

# opportunistic
case_ok('oppbroken', 'delivered', qr/^(?!.*\btls=)/,
    'opportunistic, failed handshake: retried in plaintext');
ok($d->wait_log(qr/TLS handshake failed \(error:\S+:SSL routines::.*\), retrying without TLS/, 5),
    'oppbroken: the fallback is logged');
ok((grep { /^\d+ plain$/ } lines($sink{broken}, 'tls.log')),
    'oppbroken: the sink got it in plaintext');
case_ok('oppgood', 'delivered', qr/${TLS}no/, 'opportunistic, STARTTLS');
case_ok('oppplain', 'delivered', qr/^(?!.*\btls=)/,
    'opportunistic, no STARTTLS offered: plaintext');
case_ok('nonegood', 'delivered', qr/^(?!.*\btls=)/, 'none: plaintext');
ok((grep { /^\d+ plain$/ } lines($sink{good}, 'tls.log')),
    'nonegood: the sink got it in plaintext though it offers STARTTLS');

# implicit
case_ok('implicit', 'delivered', qr/${TLS}yes/, 'implicit TLS, verified');
case_ok('implicitplain', 'deferred', qr/status="451 4\.7\.5 TLS handshake with \S+ failed/,
    'implicit TLS against a plaintext server');

# AUTH
case_ok('authok', 'delivered', qr/${TLS}no/, 'AUTH PLAIN under STARTTLS');
ok((grep { /^\d+ PLAIN tls bob s3cret pass ok$/ } lines($sink{good}, 'auth.log')),
    'authok: the sink saw the right credentials over TLS with PLAIN');
ok((grep { /^\d+ TLSv1\.[23]\/\S+ auth=bob$/ } lines($sink{good}, 'tls.log')),
    'authok: the message came in an authenticated TLS session');
case_ok('authlogin', 'delivered', qr/${TLS}yes/, 'AUTH LOGIN where only LOGIN is offered');
SKIP: {
	skip 'no dnsmasq', 1 unless exists $id{authlogin};
	is_deeply([ lines($sink{login}, 'auth.log') ] , [ '1 LOGIN tls bob s3cret pass ok' ],
	    'authlogin: LOGIN with the right credentials');
}
case_ok('authimplicit', 'delivered', qr/${TLS}yes/, 'AUTH under implicit TLS, verified by default');
ok((grep { /^\d+ PLAIN tls bob s3cret pass ok$/ } lines($sink{implicit}, 'auth.log')),
    'authimplicit: the sink saw the credentials');
case_ok('authclear', 'deferred', qr/status="451 4\.7\.0 TLS required but \S+ does not offer STARTTLS"/,
    'AUTH configured, no STARTTLS');
is(scalar(grep { /AUTH/ } lines($sink{plain}, 'commands.log')), 0,
    'authclear: no AUTH sent in cleartext, though it was offered');
is(scalar(lines($sink{plain}, 'auth.log')), 0, 'authclear: no credentials seen');
case_ok('authbroken', 'deferred', qr/status="451 4\.7\.5 TLS handshake with \S+ failed/,
    'AUTH configured, handshake fails: no plaintext fallback for credentials');
is(scalar(grep { /AUTH/ } lines($sink{broken}, 'commands.log')), 0,
    'authbroken: no AUTH sent in cleartext');
case_ok('authdefault', 'deferred', qr/status="451 4\.7\.5 .*certificate verification failed/,
    'auth without a tls setting: verify is the default');
is(scalar(lines($sink{impostor}, 'auth.log')), 0,
    'authdefault: the self-signed impostor got no credentials');
is(scalar(grep { /AUTH/ } lines($sink{impostor}, 'commands.log')), 0,
    'authdefault: no AUTH sent to the impostor');
case_ok('authtemp', 'deferred', qr/status="451 4\.7\.0 .*refused AUTH: 454 4\.7\.0/,
    '454 to AUTH is transient');
case_ok('authbad', 'bounced', qr/status="535 5\.7\.8 /, '535 to AUTH bounces');
ok($d->wait_log(qr/authentication as "bob" refused: 535/, 5),
    'authbad: a clear log line');
ok($catch->wait_messages(1, 10) >= 1 && (grep {
	$_->{data} =~ /rcpt\@authbad\.test/ } $catch->messages),
    'authbad: a bounce went to the sender');
sleep(2);
is(scalar(grep { / bob wrong fail$/ } lines($sink{good}, 'auth.log')), 1,
    'authbad: one AUTH attempt, no retry loop');
my $bad = $id{authbad};
ok(!(grep { /\Q$bad\E/ } $d->queued), 'authbad: nothing left in the queue');

# Every deferred case is still queued, nothing else is.
my @deferred = grep { exists $id{$_} } qw(vsystem vwrong vwrongname vexpired
    reqplain reqbroken reqinject implicitplain authclear authbroken authdefault
    authtemp);
my @q = $d->queued;
for my $n (@deferred) {
	ok((grep { /\Q$id{$n}\E/ } @q), "$n: still queued");
}

# A big message under TLS: the filter's output stays bounded and the
# bytes arrive intact.
{
	my $body = join('', map { sprintf("line %06d %s\r\n", $_, 'x' x 60) }
	    1 .. 40000);
	my $r = send_mail(port => $d->port, from => 'sender@src.test',
	    to => 'big@vip.test', data => "Subject: big\r\n\r\n$body");
	ok($r->{ok}, 'big: accepted');
	my $l = $d->wait_log(qr/^.*\bdelivered\b.*\bto=<big\@vip\.test>.*$/m, 30);
	like($l // '', qr/${TLS}yes/, 'big: delivered under verified TLS');
	my ($m) = grep { $_->{data} =~ /Subject: big/ } $sink{good}->messages;
	ok($m && index($m->{data}, $body) >= 0, 'big: body intact');
}

is($d->stop, 0, 'daemon exits cleanly');
done_testing();
