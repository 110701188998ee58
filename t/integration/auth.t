#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# auth.t -- SMTP AUTH on the receiving side (issue 4, config.md listener
# `auth` and `users`): PLAIN and LOGIN with swaks over STARTTLS and
# implicit TLS, never offered or accepted in cleartext, bad passwords
# answered 535 after a delay, cancel, AUTH twice, auth = required, relaying
# for authenticated clients only, ESMTPSA in Received, and the users file
# re-read on reload (a malformed one is an error naming file:line).
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time sleep);

skip_unless_built_with('auth-server');

BEGIN {
	eval { require IO::Socket::SSL; 1 }
	    or plan skip_all => 'IO::Socket::SSL missing '
	    . '(Debian: libio-socket-ssl-perl, libnet-ssleay-perl)';
}

my $certs = TestCerts->new();
my $sink = start_sink();
my $p_smtps = free_port();

sub crypt_hash {
	my ($pw) = @_;
	my $h = `openssl passwd -6 '$pw'`;
	chomp $h;
	die "openssl passwd failed\n" unless $h =~ /^\$6\$/;
	return $h;
}
my $users_dir = tempdir('users');
my $users = "$users_dir/users";
write_file($users, "# test users\n\nalice:" . crypt_hash('s3cret pass')
    . "\nbob:" . crypt_hash('hunter2') . "\n");

# Nobody may relay without AUTH (relay_from = [ ]).
my $tlsconf = sprintf('cert = "%s"; key = "%s"; users = "%s"; '
    . 'relay_from = [ ];', $certs->{server_cert}, $certs->{server_key},
    $users);
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "sub"; address = "127.0.0.1"; port = \@PORT\@;
	      tls = "starttls"; auth = "optional"; $tlsconf },
	    { name = "smtps"; address = "127.0.0.1"; port = $p_smtps;
	      tls = "implicit"; auth = "required"; $tlsconf }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# A session on "sub" after STARTTLS and a second EHLO.
sub tls_session {
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	my $r = $s->cmd('STARTTLS');
	return undef unless $r && $r->{code} == 220 && $certs->tls_up($s);
	$s->{ehlo} = $s->cmd('EHLO client.test');
	return $s;
}

sub plain { encode_base64("\0$_[0]\0$_[1]", '') }

# Before TLS: AUTH neither offered nor accepted.
my $s = smtp_session(port => $d->port);
my $e = $s->start_ehlo('client.test');
my $kw = ehlo_keywords($e);
ok(exists $kw->{STARTTLS}, 'STARTTLS offered');
ok(!exists $kw->{AUTH}, 'AUTH not offered before TLS');
my $r = $s->cmd('AUTH PLAIN ' . plain('alice', 's3cret pass'));
is($r->{code}, 538, 'AUTH before TLS: 538');
is($r->{enh}, '5.7.11', 'AUTH before TLS: 5.7.11');
$r = $s->cmd('MAIL FROM:<s@x.test>');
$r = $s->cmd('RCPT TO:<far@remote.test>');
is($r->{code}, 554, 'good password sent in cleartext did not authenticate');
$s->cmd('QUIT');
$s->close;

# Under TLS: offered; PLAIN with an initial response.
$s = tls_session();
ok($s, 'STARTTLS session');
is(ehlo_keywords($s->{ehlo})->{AUTH}, 'AUTH PLAIN LOGIN',
    'AUTH PLAIN LOGIN offered under TLS');
$r = $s->cmd('MAIL FROM:<s@x.test>');
is($r->{code}, 250, 'auth = optional: MAIL without AUTH');
$r = $s->cmd('RCPT TO:<far@remote.test>');
is($r->{code}, 554, 'unauthenticated, outside relay_from: 554');
is($r->{enh}, '5.7.1', '... 5.7.1');
$r = $s->cmd('AUTH PLAIN ' . plain('alice', 's3cret pass'));
is($r->{code}, 503, 'AUTH inside a transaction: 503');
$s->cmd('RSET');
my $off = $d->log_size;
$r = $s->cmd('AUTH PLAIN ' . plain('alice', 's3cret pass'));
is($r->{code}, 235, 'AUTH PLAIN: 235');
is($r->{last}, '2.7.0 Authentication successful', 'AUTH PLAIN: text');
ok($d->wait_log(qr/authenticated user=alice mechanism=PLAIN/, 5,
    after => $off), 'the authenticated user is logged');
$r = $s->cmd('AUTH PLAIN ' . plain('bob', 'hunter2'));
is($r->{code}, 503, 'AUTH twice: 503');
is($r->{enh}, '5.5.1', 'AUTH twice: 5.5.1');
$r = $s->mail(from => 's@x.test', to => 'far@remote.test',
    data => "Subject: authenticated\r\n\r\nhello\r\n");
is($r->{code}, 250, 'authenticated client may relay');
$s->cmd('QUIT');
$s->close;
my @m = $sink->wait_messages(1, 15);
is(scalar @m, 1, 'relayed');
my ($rcvd) = split_received($m[0]{data} // '');
$rcvd //= '';
like($rcvd, qr/\bwith ESMTPSA id\b/, 'Received: with ESMTPSA') or diag $rcvd;
like($rcvd, qr/\(using TLSv1\.[23] with cipher /, 'Received: TLS comment');
like($rcvd, qr/\(Authenticated sender: alice\)/, 'Received: the authenticated user');
is_deeply($m[0]{json}{rcpt_tos}, [ 'far@remote.test' ],
    'relayed to the remote recipient');

# SMTPUTF8 under TLS and AUTH (RFC 6531 4.3): with UTF8SMTPSA.
$s = tls_session();
$s->cmd('AUTH PLAIN ' . plain('alice', 's3cret pass'));
$r = $s->mail(from => 's@x.test', to => 'far@remote.test',
    mail_params => 'SMTPUTF8', data => "Subject: utf8sa\r\n\r\nhello\r\n");
is($r && $r->{code}, 250, 'SMTPUTF8 under TLS + AUTH: accepted');
$s->cmd('QUIT');
$s->close;
@m = $sink->wait_messages(2, 15);
($rcvd) = split_received((grep { $_->{data} =~ /^Subject: utf8sa\r$/m } @m)[0]{data}
    // '');
like($rcvd // '', qr/\bwith UTF8SMTPSA id\b/, 'Received: with UTF8SMTPSA')
    or diag $rcvd;

# PLAIN in two steps, LOGIN, cancel, bad base64, unknown mechanism.
$s = tls_session();
$r = $s->cmd('AUTH PLAIN');
is($r->{code}, 334, 'AUTH PLAIN without initial response: 334');
$r = $s->cmd('*');
is($r->{code}, 501, '"*" cancels: 501');
is($r->{enh}, '5.7.0', '"*" cancels: 5.7.0');
$r = $s->cmd('AUTH LOGIN');
is($r->{code}, 334, 'AUTH LOGIN: 334');
is($r->{last}, 'VXNlcm5hbWU6', 'LOGIN asks Username:');
$r = $s->cmd(encode_base64('bob', ''));
is($r->{code}, 334, 'LOGIN user: 334');
is($r->{last}, 'UGFzc3dvcmQ6', 'LOGIN asks Password:');
$r = $s->cmd('*');
is($r->{code}, 501, 'LOGIN cancelled at the password');
$r = $s->cmd('NOOP');
is($r->{code}, 250, 'commands again after a cancel');
$r = $s->cmd('AUTH PLAIN');
$r = $s->cmd('not base64!');
is($r->{code}, 501, 'undecodable response: 501');
$r = $s->cmd('AUTH CRAM-MD5');
is($r->{code}, 504, 'unknown mechanism: 504');
$r = $s->cmd('AUTH LOGIN');
$s->cmd(encode_base64('bob', ''));
$r = $s->cmd(encode_base64('hunter2', ''));
is($r->{code}, 235, 'AUTH LOGIN in steps: 235');
$s->cmd('QUIT');
$s->close;

# A bad password: 535 after a delay; a second try may succeed.
$s = tls_session();
$off = $d->log_size;
my $t0 = time;
$r = $s->cmd('AUTH PLAIN ' . plain('alice', 'wrong'));
my $dt = time - $t0;
is($r->{code}, 535, 'bad password: 535');
is($r->{last}, '5.7.8 Authentication credentials invalid', '535 text');
cmp_ok($dt, '>=', 0.5, sprintf('535 came after a delay (%.2f s)', $dt));
ok($d->wait_log(qr/reason=auth_failed/, 5, after => $off),
    'failure logged');
$t0 = time;
$r = $s->cmd('AUTH PLAIN ' . plain('mallory', 's3cret pass'));
is($r->{code}, 535, 'unknown user: 535');
cmp_ok(time - $t0, '>=', 0.5, 'unknown user: delayed too');
$r = $s->cmd('NOOP');
is($r->{code}, 250, 'session alive after failures');
$s->cmd('QUIT');
$s->close;

# #19 item 9: a password typed at the user name prompt never reaches the
# log; a failure is logged without any offered name.
$s = tls_session();
$off = $d->log_size;
$r = $s->cmd('AUTH LOGIN');
$r = $s->cmd(encode_base64('Tr0ub4dor&3-typed-as-user', ''));
is($r->{code}, 334, 'LOGIN: the "user name" is taken');
$r = $s->cmd(encode_base64('alice', ''));
is($r->{code}, 535, 'LOGIN with a password as user name: 535');
ok($d->wait_log(qr/reason=auth_failed/, 5, after => $off),
    'the failure is logged');
my $tail = substr($d->log, $off);
unlike($tail, qr/Tr0ub4dor/, 'the password typed as user name is not logged');
like($tail, qr/rejected client=127\.0\.0\.1 listener=sub mechanism=LOGIN reason=auth_failed/,
    'the failure line names client, listener and mechanism only');
unlike($tail, qr/auth_failed.*user=|user=.*auth_failed/, 'no user= on a failure');
$s->cmd('QUIT');
$s->close;

# Pipelined behind a failed AUTH: answered in order, after the 535.
$s = tls_session();
$s->send('AUTH PLAIN ' . plain('alice', 'nope') . "\r\nNOOP\r\n");
my @r = $s->replies(2, 10);
is(join(' ', map { $_ ? $_->{code} : 'none' } @r), '535 250',
    'pipelined NOOP answered after the delayed 535');
$s->cmd('QUIT');
$s->close;

# Three failures end the session.
$s = tls_session();
$r = $s->cmd('AUTH PLAIN ' . plain('', 's3cret pass'));
is($r->{code}, 535, 'empty user name: 535');
$r = $s->cmd('AUTH PLAIN ' . plain('alice', 'x2'));
is($r->{code}, 535, 'second failure: 535');
$r = $s->cmd('AUTH PLAIN ' . plain('alice', 'x3'));
is($r->{code}, 421, 'third failure: 421');
ok($s->wait_eof(5), 'and the session ends');
$s->close;

# Implicit TLS listener with auth = required.
$s = smtp_session(port => $p_smtps);
ok($certs->tls_up($s), 'implicit TLS');
$e = $s->start_ehlo('client.test');
is(ehlo_keywords($e)->{AUTH}, 'AUTH PLAIN LOGIN', 'AUTH offered on implicit TLS');
$r = $s->cmd('MAIL FROM:<s@x.test>');
is($r->{code}, 530, 'auth = required: MAIL before AUTH: 530');
is($r->{last}, '5.7.0 Authentication required', '530 text');
$s->cmd('QUIT');
$s->close;

# swaks: PLAIN and LOGIN, over STARTTLS (--tls) and implicit TLS (--tlsc).
my @common = ('--from', 's@x.test', '--ehlo', 'swaks.test',
    '--tls-verify', '--tls-ca-path', $certs->{ca_cert},
    '--tls-verify-host', 'localhost');
my $n = $sink->count;
for my $case ([ '--tls', $d->port, 'PLAIN' ], [ '--tls', $d->port, 'LOGIN' ],
    [ '--tlsc', $p_smtps, 'PLAIN' ], [ '--tlsc', $p_smtps, 'LOGIN' ]) {
	my ($mode, $port, $mech) = @$case;
	my ($st, $out) = run_swaks('--server', "127.0.0.1:$port", $mode,
	    '--auth', $mech, '--auth-user', 'alice', '--auth-password',
	    's3cret pass', '--to', lc("$mech$mode\@remote.test"), @common);
	if ($st != 0 && $out =~ /unrecognized option|Unknown option/i) {
		# Older swaks without --tls-verify: no verification then.
		($st, $out) = run_swaks('--server', "127.0.0.1:$port", $mode,
		    '--auth', $mech, '--auth-user', 'alice',
		    '--auth-password', 's3cret pass', '--to',
		    lc("$mech$mode\@remote.test"), '--from', 's@x.test');
	}
	is($st, 0, "swaks $mode --auth $mech") or diag $out;
	like($out, qr/^<~  235 /m, "swaks $mode --auth $mech: 235");
	like($out, qr/^<~  250 2\.0\.0 Ok: queued as /m,
	    "swaks $mode --auth $mech: queued");
	$n++;
}
@m = $sink->wait_messages($n, 20);
is(scalar @m, $n, 'every swaks message relayed');

# swaks with a bad password.
my ($st, $out) = run_swaks('--server', '127.0.0.1:' . $d->port, '--tls',
    '--auth', 'LOGIN', '--auth-user', 'alice', '--auth-password', 'bad',
    '--to', 'x@remote.test', '--from', 's@x.test');
isnt($st, 0, 'swaks with a bad password fails');
like($out, qr/^<~\* 535 5\.7\.8 /m, 'swaks sees 535 5.7.8');

# Reload: the users file is read again.
write_file($users, "carol:" . crypt_hash('new one') . "\n");
$off = $d->log_size;
$d->signal('HUP');
sleep(0.5);
SmarthostTest::wait_for(sub { $d->log_size > $off }, 5);
$s = tls_session();
$r = $s->cmd('AUTH PLAIN ' . plain('carol', 'new one'));
is($r->{code}, 235, 'after reload: the new user authenticates');
$s->cmd('QUIT');
$s->close;
$s = tls_session();
$r = $s->cmd('AUTH PLAIN ' . plain('alice', 's3cret pass'));
is($r->{code}, 535, 'after reload: the removed user is refused');
$s->cmd('QUIT');
$s->close;

# A malformed users file on reload: refused, naming file:line; the users
# in force stay.
write_file($users, "carol:" . crypt_hash('new one') . "\n# fine\nbroken line\n");
$off = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/reload failed.*\Q$users\E:3:/, 5, after => $off),
    'malformed users file on reload: error names file:3');
$s = tls_session();
$r = $s->cmd('AUTH PLAIN ' . plain('carol', 'new one'));
is($r->{code}, 235, 'the users in force stay after a failed reload');
$s->cmd('QUIT');
$s->close;

ok($d->alive, 'daemon alive');
is($d->stop, 0, 'clean stop');

# A malformed users file at start: exit 1 with file:line.
my $d2 = start_daemon(no_start => 1, config_text => {
    listener => sprintf('tls = "starttls"; auth = "required"; %s', $tlsconf),
});
my $ok = eval { $d2->start; 1 };
ok(!$ok, 'start with a malformed users file fails');
like($@ // '', qr/\Q$users\E:3:/, 'start error names file:3');

unlike($d->log, qr/AddressSanitizer|LeakSanitizer|runtime error/,
    'no sanitizer report');
done_testing();
