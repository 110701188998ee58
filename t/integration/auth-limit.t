#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# auth-limit.t -- #19 item 5: AUTH brute force.
#   - Failed AUTH is limited per client address across sessions (window and
#     penalty, like Postfix's anvil): once over auth_max_failures, even the
#     right password gets 454 4.7.0 until the penalty ends.
#   - Parallel sessions from one address (many ports) get no more guesses
#     than auth_max_failures: attempts in progress count.
#   - Password checks run off the event loop: while other clients keep the
#     (deliberately slow) crypt(3) busy, NOOP in another session is still
#     answered at once.  A behaviour check with a generous bound, not a
#     benchmark: before, every NOOP waited for the check in progress.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use MIME::Base64 qw(encode_base64);
use SmarthostTest;
use TestCerts;

skip_unless_built_with('auth-server');

BEGIN {
	eval { require IO::Socket::SSL; 1 }
	    or plan skip_all => 'IO::Socket::SSL missing '
	    . '(Debian: libio-socket-ssl-perl, libnet-ssleay-perl)';
}

my $certs = TestCerts->new();

# A SHA-512 crypt made slow on purpose: about 0.3 s per check here.
my $rounds = 100000;
my $t0 = time;
my $unused = crypt('x', "\$6\$rounds=$rounds\$calibrate");
my $per = (time - $t0) || 0.001;
$rounds = int($rounds * 0.3 / $per);
$rounds = 1000 if $rounds < 1000;
$rounds = 999999999 if $rounds > 999999999;
my $hash = crypt('s3cret', "\$6\$rounds=$rounds\$saltsaltsalt");
$t0 = time;
$unused = crypt('s3cret', $hash);
my $check = time - $t0;
diag(sprintf('one password check: %.3f s (rounds=%d)', $check, $rounds));

my $users = tempdir('users') . '/users';
write_file($users, "alice:$hash\n");
my $tls = sprintf('tls = "starttls"; cert = "%s"; key = "%s"; users = "%s"; '
    . 'auth = "optional"; relay_from = [ ];', $certs->{server_cert},
    $certs->{server_key}, $users);
my $d = start_daemon(
    config_text => {
	level => 'info',
	listener => "$tls auth_max_failures = 3; auth_failure_window = \"10m\";"
	    . ' auth_penalty = "10m"; max_connections_per_ip = 0;',
    });

sub tls_session {
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	my $r = $s->cmd('STARTTLS');
	return undef unless $r && $r->{code} == 220 && $certs->tls_up($s);
	$s->cmd('EHLO client.test');
	return $s;
}
sub plain { encode_base64("\0$_[0]\0$_[1]", '') }

# 1. Off the loop: NOOP latency while two clients keep crypt busy.
my @kids;
my $stop = time + 4;
for my $k (1 .. 2) {
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		my $n = 0;
		while (time < $stop) {
			my $s = tls_session() or last;
			my $r = $s->cmd('AUTH PLAIN ' . plain('alice', 's3cret'), 20);
			$n++ if $r && $r->{code} == 235;
			$s->cmd('QUIT');
			$s->close;
		}
		POSIX::_exit($n > 0 ? 0 : 1);
	}
	push @kids, $pid;
}
my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
sleep(0.5);		# let the AUTH clients get going
my @lat;
while (time < $stop - 0.2) {
	my $a = time;
	my $r = $s->cmd('NOOP', 10);
	last unless $r && $r->{code} == 250;
	push @lat, time - $a;
	sleep(0.02);
}
$s->cmd('QUIT');
$s->close;
my $authed = 0;
for my $pid (@kids) {
	waitpid($pid, 0);
	$authed++ if $? == 0;
}
is($authed, 2, 'both AUTH clients authenticated meanwhile');
my @sorted = sort { $a <=> $b } @lat;
my $median = @sorted ? $sorted[int(@sorted / 2)] : 99;
my $p90 = @sorted ? $sorted[int(@sorted * 0.9)] : 99;
diag(sprintf('NOOP latency over %d: median %.4f s, 90%% %.4f s, max %.4f s',
    scalar @sorted, $median, $p90, @sorted ? $sorted[-1] : 0));
cmp_ok(scalar @sorted, '>=', 10, 'NOOPs were answered during the AUTH load');
cmp_ok($median, '<', $check / 4, 'median NOOP latency far below one check');
cmp_ok($p90, '<', $check / 2, '90% of NOOPs below half a check');

# 2. Per address: three failures, in separate sessions, then 454 for all.
for my $i (1 .. 3) {
	my $t = tls_session();
	my $r = $t->cmd('AUTH PLAIN ' . plain('alice', "guess$i"), 20);
	is($r && $r->{code}, 535, "failure $i: 535");
	$t->cmd('QUIT');
	$t->close;
}
my $t = tls_session();
my $r = $t->cmd('AUTH PLAIN ' . plain('alice', 's3cret'), 20);
is($r && $r->{code}, 454, 'over the limit: even the right password gets 454');
is($r && $r->{enh}, '4.7.0', '... 4.7.0');
$t->cmd('QUIT');
$t->close;
ok($d->wait_log(qr/rejected client=127\.0\.0\.1 listener=in reason=auth_limit/, 5),
    'the refusal is logged');

is($d->stop, 0, 'daemon exits cleanly');

# 3. Many ports of one address at once: twelve sessions send a wrong
# password together, while the (slow) checks are still running.  Attempts
# in progress count, so no more than auth_max_failures reach a check.
$d = start_daemon(
    config_text => {
	level => 'info',
	listener => "$tls auth_max_failures = 3; auth_failure_window = \"10m\";"
	    . ' auth_penalty = "10m"; max_connections_per_ip = 0;',
    });
my @burst;
my $go = time + 1.5;
for my $k (1 .. 12) {
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		my $t = tls_session() or POSIX::_exit(1);
		sleep($go - time) if $go > time;
		my $r = $t->cmd('AUTH PLAIN ' . plain('alice', "burst$k"), 30);
		$t->cmd('QUIT');
		$t->close;
		POSIX::_exit(!$r ? 1 : $r->{code} == 535 ? 35 : $r->{code} == 454 ? 54 : 2);
	}
	push @burst, $pid;
}
my %got;
for my $pid (@burst) {
	waitpid($pid, 0);
	$got{$? >> 8}++;
}
diag(sprintf('burst of 12: %d checked (535), %d refused (454), %d other',
    $got{35} // 0, $got{54} // 0, 12 - ($got{35} // 0) - ($got{54} // 0)));
is(($got{35} // 0) + ($got{54} // 0), 12, 'every session of the burst got 535 or 454');
cmp_ok($got{35} // 0, '<=', 3, 'at most auth_max_failures guesses were checked');
is($d->stop, 0, 'daemon exits cleanly');
done_testing();
