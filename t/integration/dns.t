#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# dns.t — src/resolver.c (A/AAAA, MX, TXT) against a real DNS server: dnsmasq on 127.0.0.1 and a
# free high port serves test records, t/dns-lookup asks for them.
# Needs /usr/sbin/dnsmasq (skipped without it); $TOP_BUILDDIR (default: the
# current directory) holds t/dns-lookup.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $dnsmasq = $ENV{DNSMASQ} // '/usr/sbin/dnsmasq';
my $top = $ENV{TOP_BUILDDIR} // '.';
my $lookup = "$top/t/dns-lookup";

plan skip_all => "no $dnsmasq" unless -x $dnsmasq;
plan skip_all => "no $lookup (make check builds it)" unless -x $lookup;

my $dir = tempdir('dns-t.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pid;

# A UDP port free right now; dnsmasq binds it a moment later.
sub free_port {
	my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
	    LocalPort => 0) or die "socket: $!";
	my $port = $s->sockport;
	close $s;
	return $port;
}

sub stop_dnsmasq {
	return unless $pid;
	kill 'TERM', $pid;
	for (1 .. 50) {
		last if waitpid($pid, WNOHANG) != 0;
		sleep 0.1;
	}
	if (waitpid($pid, WNOHANG) == 0) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
	undef $pid;
}
END { stop_dnsmasq(); }
$SIG{ALRM} = sub { stop_dnsmasq(); die "dns.t: timed out\n" };
alarm 120;

# --local=/test/ makes dnsmasq answer for all of .test itself, so that an
# unknown name gets NXDOMAIN rather than REFUSED (no upstream servers).
my @records = (
	'--local=/test/',
	'--mx-host=example.test,mx2.example.test,20',
	'--mx-host=example.test,mx1.example.test,10',
	'--mx-host=example.test,mx3.example.test,30',
	'--mx-host=equal.test,a.equal.test,10',
	'--mx-host=equal.test,b.equal.test,10',
	'--mx-host=equal.test,c.equal.test,5',
	'--mx-host=null.test,.,0',
	'--host-record=mx1.example.test,127.0.0.2,::2',
	'--host-record=v4.example.test,127.0.0.3',
	'--host-record=v6.example.test,::3',
	# one --host-record per address: a second IPv4 in one replaces the first
	'--host-record=multi.example.test,127.0.0.4',
	'--host-record=multi.example.test,127.0.0.5,::4',
	# TXT (MTA-STS's _mta-sts): two records, one of two strings
	'--txt-record=_mta-sts.example.test,v=STSv1; id=1',
	'--txt-record=two.example.test,v=STSv1; ,id=2;',
);

# Also serve on ::1 when this host has IPv6 loopback.
my $have6 = eval {
	require IO::Socket::IP;
	IO::Socket::IP->new(Proto => 'udp', LocalHost => '::1',
	    LocalPort => 0);
} ? 1 : 0;

my $port;
for my $try (1 .. 5) {
	$port = free_port();
	unlink "$dir/dnsmasq.log";
	$pid = fork // die "fork: $!";
	if ($pid == 0) {
		open STDOUT, '>', '/dev/null';
		open STDERR, '>', "$dir/dnsmasq.err";
		exec $dnsmasq, '--keep-in-foreground', '--no-resolv',
		    '--no-hosts',
		    "--port=$port", '--listen-address=127.0.0.1',
		    ($have6 ? ('--listen-address=::1') : ()),
		    '--bind-interfaces', "--pid-file=$dir/dnsmasq.pid",
		    # as root dnsmasq would switch to "dnsmasq"/"nobody"
		    ($> == 0 ? ('--user=root') : ()),
		    '--log-queries', "--log-facility=$dir/dnsmasq.log",
		    @records;
		exit 127;
	}
	# Ready once it answers a query.
	my $up = 0;
	for (1 .. 50) {
		last if waitpid($pid, WNOHANG) != 0;
		my $out = lookup('-t', 1, '-a', 1, 'addr', 'v4.example.test');
		if ($out eq "addr 127.0.0.3\n") {
			$up = 1;
			last;
		}
		sleep 0.1;
	}
	last if $up;
	stop_dnsmasq();
	undef $port;
}
BAIL_OUT("dnsmasq did not start: " . slurp("$dir/dnsmasq.err"))
    unless $port;

sub slurp {
	open my $fh, '<', $_[0] or return '';
	local $/;
	return <$fh>;
}

# Run t/dns-lookup against a server on 127.0.0.1; returns its output, and
# "exit N" when it failed.
sub lookup {
	return lookup_at($port, @_);
}

sub lookup_at {
	my ($p, @args) = @_;
	return run($lookup, '-s', '127.0.0.1', '-p', $p, @args);
}

sub run {
	my @cmd = @_;
	open my $fh, '-|', @cmd or die "$cmd[0]: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return $out . ($? ? "exit " . ($? >> 8) . "\n" : '');
}

is(lookup('mx', 'example.test'),
    "mx 10 mx1.example.test\nmx 20 mx2.example.test\nmx 30 mx3.example.test\n",
    'MX sorted by preference');

my $eq = lookup('mx', 'equal.test');
like($eq, qr/\Amx 5 c\.equal\.test\n/, 'equal preference: lower one first');
is(join(',', sort($eq =~ /^mx 10 (\S+)$/mg)), 'a.equal.test,b.equal.test',
    'equal preference: both present');

is(lookup('mx', 'null.test'), "mx 0 .\n", 'null MX reported as "0 ."');

is(lookup('addr', 'mx1.example.test'), "addr 127.0.0.2\naddr ::2\n",
    'A and AAAA, IPv4 first');
is(lookup('addr', 'v4.example.test'), "addr 127.0.0.3\n", 'A only');
is(lookup('addr', 'v6.example.test'), "addr ::3\n", 'AAAA only');
# A server may rotate addresses: only IPv4-before-IPv6 is ours to keep.
my $multi = lookup('addr', 'multi.example.test');
like($multi, qr/\A(addr 127\.0\.0\.[45]\n){2}addr ::4\n\z/,
    'several addresses, IPv4 first');
is(join(',', sort($multi =~ /^addr (\S+)$/mg)), '127.0.0.4,127.0.0.5,::4',
    'several addresses: all of them');

is(lookup('txt', '_mta-sts.example.test'), "txt v=STSv1; id=1\n", 'TXT');
is(lookup('txt', 'two.example.test'), "txt v=STSv1; id=2;\n",
    'TXT: the strings of one record joined');
is(lookup('txt', 'mx1.example.test'), "status NODATA\n", 'TXT: NODATA');
is(lookup('txt', 'nope.example.test'), "status NXDOMAIN\n", 'TXT: NXDOMAIN');
is(lookup('addr', 'nope.example.test'), "status NXDOMAIN\n",
    'addr: NXDOMAIN for an unknown name');
is(lookup('mx', 'nope.example.test'), "status NXDOMAIN\n",
    'mx: NXDOMAIN for an unknown name');
is(lookup('mx', 'mx1.example.test'), "status NODATA\n",
    'mx: NODATA for a name without MX');
is(lookup('addr', 'example.test'), "status NODATA\n",
    'addr: NODATA for a name with only MX');

is(lookup('addr', '192.0.2.7'), "addr 192.0.2.7\n", 'IPv4 literal');
is(lookup('addr', '2001:db8::7'), "addr 2001:db8::7\n", 'IPv6 literal');

# A name that is not a valid domain name (a label over 63 octets).
is(lookup('addr', ('x' x 70) . '.test'), "status NXDOMAIN\n",
    'a name that cannot exist is NXDOMAIN');

# dnsmasq has no upstream and REFUSEs other zones: a transient failure.
is(lookup('-t', 1, '-a', 1, 'mx', 'example.org'), "status TEMPFAIL\n",
    'REFUSED is TEMPFAIL');

is(lookup('-C', '-t', 1, 'mx', 'example.test'), "cancelled\n",
    'a cancelled query never calls back');

# A server that never replies: TEMPFAIL after timeout x attempts.
{
	my $hole = IO::Socket::INET->new(Proto => 'udp',
	    LocalAddr => '127.0.0.1', LocalPort => 0) or die "socket: $!";
	my $t0 = time;
	my $out = lookup_at($hole->sockport, '-t', 1, '-a', 2, 'addr',
	    'example.test');
	my $took = time - $t0;
	is($out, "status TEMPFAIL\n", 'silent server: TEMPFAIL');
	# udns waits 1s, then 2s for the second attempt.
	ok($took >= 2.5 && $took < 8, "silent server: gave up in ${took}s")
	    or diag("took $took s");
	my $got = 0;
	my $buf;
	$hole->blocking(0);
	$got++ while defined $hole->recv($buf, 4096);
	is($got, 4, 'silent server: 2 attempts of A and AAAA were sent');

	is(lookup_at($hole->sockport, '-C', '-t', 1, '-a', 1, 'mx',
	    'example.test'), "cancelled\n", 'cancel while the server is silent');
}

# Port is honoured for several servers: the first is silent, the second
# answers.
{
	# Both servers share the resolver port: nothing answers on 127.0.0.2.
	is(run($lookup, '-s', '127.0.0.2', '-s', '127.0.0.1', '-p', $port,
	    '-t', 2, '-a', 1, 'addr', 'v4.example.test'), "addr 127.0.0.3\n",
	    'second nameserver answers');
}

SKIP: {
	skip 'no IPv6 loopback', 1 unless $have6;
	is(run($lookup, '-s', '::1', '-p', $port, 'mx', 'example.test'),
	    "mx 10 mx1.example.test\nmx 20 mx2.example.test\n" .
	    "mx 30 mx3.example.test\n", 'IPv6 nameserver with a port');
}

stop_dnsmasq();
done_testing();
