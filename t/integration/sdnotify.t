#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# sdnotify.t -- the daemon speaks systemd's notification protocol
# (contrib/systemd/smarthostd.service is Type=notify) to a real unix
# datagram socket named by NOTIFY_SOCKET: READY=1 once it accepts mail,
# RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a SIGHUP, good or
# bad, STOPPING=1 on SIGTERM.  Both a path and an abstract ("@") name are
# tried, and the maildrop relayer's command must not inherit the variable
# (skipped in a build without the maildrop relayer).
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use SmarthostTest;

my $script = abs_path(srcdir() . '/t/lib/fake-maildrop.sh');
my $maildrop = !grep { $_ eq 'maildrop' } built_without();
my $out = tempdir('runs');

# Datagrams received within $timeout seconds, until one matches $re.
sub recv_until {
	my ($sock, $re, $timeout) = @_;
	my $sel = IO::Select->new($sock);
	my $deadline = time + $timeout;
	my @got;
	while ((my $left = $deadline - time) > 0) {
		last unless $sel->can_read($left);
		my $buf;
		defined($sock->recv($buf, 4096)) or last;
		push @got, $buf;
		return @got if $buf =~ $re;
	}
	return @got;
}

sub listener {
	my ($name) = @_;
	my $s;
	if ($name =~ /^@(.*)/) {
		# Perl's sockaddr_un takes a leading NUL for the abstract
		# namespace.
		$s = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
		    Local => "\0$1");
	} else {
		$s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $name);
	}
	return $s;
}

for my $kind ('path', 'abstract') {
	my $name = $kind eq 'path' ? test_dir() . "/notify.sock"
	    : "\@smarthostd-test-$$-" . int(rand(1e9));
	my $sock = listener($name);
	ok($sock, "$kind: listening on a datagram socket")
	    or BAIL_OUT("cannot create the notify socket: $!");
	local $ENV{NOTIFY_SOCKET} = $name;
	my %conf = !$maildrop ? () : (config_text => {
	    relayers => q{ { name = "local"; type = "maildrop";
		command = [ "/bin/sh", "@SCRIPT@", "@OUT@", "%{recipient}" ]; } },
	    routing => 'default_relayer = "local";',
	});
	my $d = start_daemon(%conf, vars => { SCRIPT => $script, OUT => $out });

	# start_daemon returns once the listener answers; READY must have
	# been sent by then or very soon after.
	my @m = recv_until($sock, qr/^READY=1$/m, 10);
	ok((grep { /^READY=1$/m } @m), "$kind: READY=1 after start")
	    or diag explain \@m;
	ok(!(grep { /^(STOPPING|RELOADING)=/m } @m),
	    "$kind: nothing else before READY");

	$d->signal('HUP');
	@m = recv_until($sock, qr/^READY=1$/m, 10);
	ok(@m >= 2 && $m[0] =~ /^RELOADING=1\nMONOTONIC_USEC=\d+$/,
	    "$kind: SIGHUP sends RELOADING=1 with MONOTONIC_USEC") or diag explain \@m;
	ok(@m && $m[-1] =~ /^READY=1\nSTATUS=running$/,
	    "$kind: then READY=1 when the reload succeeded") or diag explain \@m;

	# A bad file: the service manager must still see READY again.
	my $good = slurp($d->config_file);
	write_file($d->config_file, "$good\nno_such_setting = 1;\n");
	$d->signal('HUP');
	@m = recv_until($sock, qr/^READY=1$/m, 10);
	ok(@m >= 2 && $m[0] =~ /^RELOADING=1/ &&
	    $m[-1] =~ /^READY=1\nSTATUS=reload failed/,
	    "$kind: a failed reload sends RELOADING=1, then READY=1 with its status")
	    or diag explain \@m;
	write_file($d->config_file, $good);

	SKIP: {
		last SKIP if $kind ne 'path';
		skip 'smarthostd was built without maildrop (./configure '
		    . '--enable-maildrop)', 3 unless $maildrop;
		my $res = send_mail(port => $d->port, from => 's@x.test',
		    to => 'exit0@y.test', data => "Subject: n\n\nn\n");
		ok($res->{ok}, 'message accepted for the maildrop relayer');
		ok(wait_for(sub { -f "$out/1.env" }, 10), 'maildrop command ran');
		my $env = slurp("$out/1.env") // '';
		unlike($env, qr/^NOTIFY_SOCKET=/m,
		    'the maildrop command does not inherit NOTIFY_SOCKET');
	}

	$d->signal('TERM');
	@m = recv_until($sock, qr/^STOPPING=1$/m, 10);
	ok((grep { /^STOPPING=1$/m } @m), "$kind: SIGTERM sends STOPPING=1")
	    or diag explain \@m;
	is($d->stop(10) >> 8, 0, "$kind: exit 0");
}

# A NOTIFY_SOCKET that is not a socket path is ignored with a warning: the
# daemon still starts.
{
	local $ENV{NOTIFY_SOCKET} = 'relative/name';
	my $d = start_daemon();
	ok($d->wait_log(qr/NOTIFY_SOCKET: not a unix socket path/, 5),
	    'a bad NOTIFY_SOCKET is logged');
	ok($d->alive, 'and the daemon runs anyway');
	is($d->stop(10) >> 8, 0, 'exit 0');
}

done_testing();
