# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package TestDnsmasq;

# TestDnsmasq -- a real DNS server for the integration tests: dnsmasq on
# 127.0.0.1 and a port of the test's own, authoritative for the zones it is
# given (--local) and serving only the records it is given (no upstream, no
# /etc/hosts).  Used with SmarthostTest (start_daemon(dns_port => ...)); its
# processes are reaped by SmarthostTest's END block like every child.
#
#   my $dns = start_dnsmasq(zones => [ 'test' ],
#       records => [ '--mx-host=a.test,mx.a.test,10',
#                    '--host-record=mx.a.test,127.0.0.2' ]);
#   $dns->port; $dns->stop; $dns->start;    # same port again

use strict;
use warnings;

use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

use SmarthostTest;

our @EXPORT = qw(start_dnsmasq dnsmasq_path free_udp_port);

sub dnsmasq_path { return $ENV{DNSMASQ} // '/usr/sbin/dnsmasq' }

# A port free for UDP and TCP on 127.0.0.1 (dnsmasq binds both), in the
# range SmarthostTest::free_port uses, and never one it gave out.
sub free_udp_port {
	for (1 .. 200) {
		my $p = free_port();
		my $u = IO::Socket::INET->new(Proto => 'udp',
		    LocalAddr => '127.0.0.1', LocalPort => $p) or next;
		close($u);
		return $p;
	}
	die "no free UDP port\n";
}

# A minimal DNS query (A, class IN) for $name; true when any reply with
# our id comes back within $timeout.
sub answers {
	my ($port, $name, $timeout) = @_;
	my $s = IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1',
	    PeerPort => $port) or return 0;
	my $id = int(rand(65536));
	my $q = pack('n6', $id, 0x0100, 1, 0, 0, 0)
	    . join('', map { chr(length $_) . $_ } split /\./, $name)
	    . "\0" . pack('n2', 1, 1);
	$s->send($q) or return 0;
	my $sel = IO::Select->new($s);
	return 0 unless $sel->can_read($timeout // 0.3);
	my $buf;
	$s->recv($buf, 4096) or return 0;
	return length($buf) >= 2 && unpack('n', $buf) == $id;
}

sub start_dnsmasq {
	my (%o) = @_;
	my $self = bless { %o }, 'TestDnsmasq::Server';
	$self->{dir} = tempdir('dnsmasq');
	$self->{port} //= free_udp_port();
	$self->start;
	return $self;
}

package TestDnsmasq::Server;

use Time::HiRes qw(time sleep);
use POSIX qw(WNOHANG);

sub port { $_[0]{port} }

sub start {
	my ($self) = @_;
	my $bin = TestDnsmasq::dnsmasq_path();
	my @argv = ($bin, '--keep-in-foreground', '--no-resolv', '--no-hosts',
	    "--port=$self->{port}",
	    '--listen-address=127.0.0.1', '--bind-interfaces',
	    "--pid-file=$self->{dir}/dnsmasq.pid",
	    # as root dnsmasq would switch to "dnsmasq"/"nobody"
	    ($> == 0 ? ('--user=root') : ()),
	    '--log-queries', "--log-facility=$self->{dir}/dnsmasq.log",
	    (map { "--local=/$_/" } @{$self->{zones} // [ 'test' ]}),
	    @{$self->{records} // []});
	($self->{pid}) = SmarthostTest::spawn(argv => \@argv,
	    stderr => "$self->{dir}/dnsmasq.err", what => 'dnsmasq');
	my $probe = $self->{probe} // 'probe.' . ($self->{zones} // [ 'test' ])->[0];
	my $deadline = time + 10;
	while (time < $deadline) {
		if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
			$self->{pid} = undef;
			die "dnsmasq exited during start-up:\n"
			    . (SmarthostTest::slurp("$self->{dir}/dnsmasq.err") // '');
		}
		return $self if TestDnsmasq::answers($self->{port}, $probe, 0.2);
		sleep(0.05);
	}
	$self->stop;
	die "dnsmasq did not answer on port $self->{port}\n";
}

sub stop {
	my ($self) = @_;
	my $pid = $self->{pid} or return;
	kill('TERM', $pid);
	if (!defined SmarthostTest::reap($pid, 5)) {
		SmarthostTest::kill_group($pid, 'KILL');
		SmarthostTest::reap($pid, 2);
	}
	$self->{pid} = undef;
}

sub log { SmarthostTest::slurp("$_[0]{dir}/dnsmasq.log") // '' }

1;
