# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package TestDnsServer;

# TestDnsServer -- t/lib/dns_server.py for the integration tests: a DNS
# server on a loopback address that serves MX, A, AAAA, CNAME, TXT and TLSA
# records from a zone file the test writes, and sets the AD bit like a
# validating resolver (for names not marked !insecure, when the query asks
# for it).  Use it where dnsmasq cannot help: TLSA (DANE), TXT
# (_mta-sts), DNSSEC status.  See dns_server.py for the zone syntax.
#
#   my $dns = start_dns_server(records => [
#       'a.test MX 10 mx.a.test', 'mx.a.test A 127.0.0.2',
#       '_25._tcp.mx.a.test TLSA 3 1 1 ' . $hex, '!insecure plain.test' ]);
#   start_daemon(dns_port => $dns->port, ...);
#   $dns->set_records([...]);     # new answers from the next query on
#   $dns->queries;                # lines "qname TYPE ad= do= cd= -> ..."
#   $dns->stop; $dns->start;      # same port again
#
# Its process is reaped by SmarthostTest's END block like every child.

use strict;
use warnings;

use Exporter qw(import);
use IO::Select;
use Time::HiRes qw(time);

use SmarthostTest;

our @EXPORT = qw(start_dns_server);

sub start_dns_server {
	my (%o) = @_;
	my $self = bless { host => '127.0.0.1', %o },
	    'TestDnsServer::Server';
	$self->{dir} = tempdir('dns');
	$self->{zone} = "$self->{dir}/zone";
	$self->set_records($o{records} // []);
	$self->start;
	return $self;
}

package TestDnsServer::Server;

use IO::Select;
use Time::HiRes qw(time);

sub port { $_[0]{port} }
sub host { $_[0]{host} }
sub dir { $_[0]{dir} }

# Replace the zone; the server reads it again at its next query.  Written
# to a new file and renamed, so the server never reads half of it.
sub set_records {
	my ($self, $records) = @_;
	my $tmp = "$self->{zone}.tmp";
	SmarthostTest::write_file($tmp, join('', map { "$_\n" } @$records));
	rename($tmp, $self->{zone}) or die "rename $tmp: $!\n";
}

sub start {
	my ($self) = @_;
	my @argv = (SmarthostTest::python3(),
	    SmarthostTest::srcdir() . '/t/lib/dns_server.py',
	    '--zone', $self->{zone}, '--host', $self->{host},
	    '--port', $self->{port} // 0, '--log', "$self->{dir}/queries.log");
	my ($pid, $rd) = SmarthostTest::spawn(argv => \@argv,
	    stdout_pipe => 1, stderr => "$self->{dir}/stderr",
	    what => 'dns_server.py');
	$self->{pid} = $pid;
	my $sel = IO::Select->new($rd);
	my $buf = '';
	my $deadline = time + 10;
	while ($buf !~ /^ready (\d+)\n/m) {
		my $left = $deadline - time;
		my $n = $left > 0 && $sel->can_read($left)
		    ? sysread($rd, $buf, 256, length $buf) : 0;
		if (!$n) {
			$self->stop;
			die "dns_server.py did not start:\n"
			    . (SmarthostTest::slurp("$self->{dir}/stderr") // '');
		}
	}
	$self->{port} = $1 if $buf =~ /^ready (\d+)\n/m;
	close($rd);
	return $self;
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

# The queries answered so far, one line each (see dns_server.py --log).
sub queries {
	my ($self) = @_;
	return split /\n/, SmarthostTest::slurp("$self->{dir}/queries.log") // '';
}

# Zone-file errors the server reported (empty when every line was taken).
sub errors { SmarthostTest::slurp("$_[0]{dir}/stderr") // '' }

1;
