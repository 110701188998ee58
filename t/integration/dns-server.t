#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# dns-server.t -- the test DNS server (t/lib/dns_server.py through
# TestDnsServer.pm) answers as the DANE and MTA-STS tests rely on: TXT and
# TLSA rdata as written, NXDOMAIN/NODATA/SERVFAIL, CNAME followed, the AD
# bit only when asked for (AD or DO) and only for secure names, a changed
# zone served at once; and the daemon's own resolver (t/dns-lookup) reads
# its MX and A answers.
use strict;
use warnings;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use SmarthostTest;
use TestDnsServer;

my $top = $ENV{TOP_BUILDDIR} // '.';
my $lookup = "$top/t/dns-lookup";

my $dns = start_dns_server(records => [
    'a.test MX 10 mx.a.test',
    'mx.a.test A 127.0.0.2',
    '_25._tcp.mx.a.test TLSA 3 1 1 0123abcd',
    '_mta-sts.a.test TXT v=STSv1; id=2026',
    'alias.a.test CNAME mx.a.test',
    '!insecure plain.test',
    'plain.test MX 10 mx.a.test',
    '!servfail broken.test',
]);
is($dns->errors, '', 'zone read without errors');

# One query; returns { rcode, ad, tc, answers => [ [type, rdata] ] }.
sub query {
	my ($name, $type, %o) = @_;
	my $s = IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1',
	    PeerPort => $dns->port) or die "socket: $!";
	my $id = int(rand(65536));
	my $flags = 0x0100 | ($o{ad} ? 0x0020 : 0);
	my $q = pack('n6', $id, $flags, 1, 0, 0, $o{do} ? 1 : 0)
	    . join('', map { chr(length $_) . $_ } split /\./, $name)
	    . "\0" . pack('n2', $type, 1);
	$q .= "\0" . pack('nnNn', 41, 1232, 0x8000, 0) if $o{do};
	$s->send($q) or die "send: $!";
	IO::Select->new($s)->can_read(10) or return undef;
	my $buf;
	$s->recv($buf, 65535);
	my ($rid, $rf, $qd, $an) = unpack('n4', $buf);
	return undef unless $rid == $id;
	my $off = 12;
	my $skip = sub {		# a name: labels or a pointer
		while (1) {
			my $l = ord(substr($buf, $off, 1));
			if (($l & 0xC0) == 0xC0) { $off += 2; return }
			$off += 1 + $l;
			return if $l == 0;
		}
	};
	$skip->(), $off += 4 for 1 .. $qd;
	my @ans;
	for (1 .. $an) {
		$skip->();
		my ($t, $c, $ttl, $len) = unpack('nnNn', substr($buf, $off, 10));
		push @ans, [ $t, substr($buf, $off + 10, $len) ];
		$off += 10 + $len;
	}
	return { rcode => $rf & 0xF, ad => ($rf & 0x20) ? 1 : 0,
	    tc => ($rf & 0x200) ? 1 : 0, answers => \@ans };
}

my $r = query('_mta-sts.a.test', 16, ad => 1);
is($r->{rcode}, 0, 'TXT: NOERROR');
is(scalar @{$r->{answers}}, 1, 'TXT: one record');
is($r->{answers}[0][1], "\x10v=STSv1; id=2026", 'TXT: the string, spaces kept');
is($r->{ad}, 1, 'TXT: AD when asked with AD');

$r = query('_25._tcp.mx.a.test', 52, do => 1);
is($r->{answers}[0][0], 52, 'TLSA: type 52');
is(unpack('H*', $r->{answers}[0][1]), '0301010123abcd', 'TLSA: usage, selector, mtype, data');
is($r->{ad}, 1, 'TLSA: AD when asked with DO');

$r = query('_25._tcp.mx.a.test', 52);
is($r->{ad}, 0, 'no AD when the query asks for neither AD nor DO');

$r = query('plain.test', 15, ad => 1, do => 1);
is(scalar @{$r->{answers}}, 1, 'insecure name: answered');
is($r->{ad}, 0, 'insecure name: no AD');

$r = query('nope.a.test', 1, ad => 1);
is($r->{rcode}, 3, 'unknown name: NXDOMAIN');
$r = query('mx.a.test', 52, ad => 1);
is_deeply([ $r->{rcode}, scalar @{$r->{answers}} ], [ 0, 0 ],
    'name without the type: NODATA');
$r = query('broken.test', 1, ad => 1);
is($r->{rcode}, 2, '!servfail: SERVFAIL');
is($r->{ad}, 0, 'SERVFAIL: no AD');

$r = query('alias.a.test', 1, ad => 1);
is_deeply([ map { $_->[0] } @{$r->{answers}} ], [ 5, 1 ],
    'CNAME followed: the CNAME, then the A');
is(join('.', unpack('C4', $r->{answers}[1][1])), '127.0.0.2', 'CNAME: the target\'s address');

$dns->set_records([ 'a.test MX 20 other.a.test', 'other.a.test A 127.0.0.3' ]);
$r = query('mx.a.test', 1);
is($r->{rcode}, 3, 'changed zone: an old name is gone');

SKIP: {
	skip "no $lookup (make check builds it)", 3 unless -x $lookup;
	my @a = ('-s', '127.0.0.1', '-p', $dns->port, '-t', 5, '-a', 2);
	my (undef, $out) = run_bounded(30, $lookup, @a, 'mx', 'a.test');
	is($out, "mx 20 other.a.test\n", 'udns reads the MX answer');
	(undef, $out) = run_bounded(30, $lookup, @a, 'addr', 'other.a.test');
	is($out, "addr 127.0.0.3\n", 'udns reads the A answer');
	(undef, $out) = run_bounded(30, $lookup, @a, 'mx', 'nope.test');
	is($out, "status NXDOMAIN\n", 'udns reads NXDOMAIN');
}

like(join("\n", $dns->queries), qr/^_25\._tcp\.mx\.a\.test TLSA ad=0 do=1 cd=0 -> NOERROR 1 AD=1$/m,
    'the query log says what was asked and answered');
$dns->stop;
done_testing();
