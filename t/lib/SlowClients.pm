# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package SlowClients;

# SlowClients -- hostile clients for the deadline tests: many connections
# held in one process that drip one byte at a time (in a command line or in
# a message body), or just sit idle, and a normal client that retries until
# it gets a message through.  Used by t/integration/deadlines.t and
# t/stress/slowloris.t.

use strict;
use warnings;

use Exporter qw(import);
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw(time sleep);

use SmarthostTest;

our @EXPORT = qw(slow_clients normal_client_through);

# slow_clients(port => N, n => count, mode => 'line' | 'data' | 'idle',
#     local => [ source addresses, used in turn ])
# Connects n clients; in 'data' mode each goes as far as DATA first.
# Returns the object; ->drip sends one byte on each live connection,
# ->live says how many the daemon has not closed yet.
sub slow_clients {
	my (%o) = @_;
	my $self = bless { socks => [], mode => $o{mode} // 'line' },
	    'SlowClients::Set';
	my @local = @{ $o{local} // [ '127.0.0.1' ] };
	for my $i (1 .. $o{n}) {
		my $s = smtp_session(port => $o{port}, quiet => 1, timeout => 5,
		    local => $local[$i % @local]);
		next unless $s;
		my $r = $s->reply(5);
		next unless $r && $r->{code} == 220;
		if ($self->{mode} eq 'data') {
			my $ok = 1;
			for my $c ('EHLO drip.test', 'MAIL FROM:<d@drip.test>',
			    'RCPT TO:<r@dest.test>') {
				my $x = $s->cmd($c, 5);
				$ok = 0 unless $x && $x->{code} == 250;
			}
			my $x = $s->cmd('DATA', 5);
			next unless $ok && $x && $x->{code} == 354;
		}
		push @{ $self->{socks} }, $s;
	}
	return $self;
}

package SlowClients::Set;

use Errno qw(EINTR EAGAIN);

sub count { scalar @{ $_[0]{socks} } }

# One byte on every connection still open; reads and drops what the
# daemon says (a 421), and notes those it closed.
sub drip {
	my ($self) = @_;
	return if $self->{mode} eq 'idle';
	my $byte = $self->{mode} eq 'data' ? 'x' : 'N';
	for my $s (@{ $self->{socks} }) {
		next if $s->{closed};
		my $sock = $s->sock;
		my $sel = IO::Select->new($sock);
		if ($sel->can_read(0)) {
			my $n = sysread($sock, my $buf, 4096);
			if (!$n) {
				$s->{closed} = 1;
				next;
			}
		}
		my $w = syswrite($sock, $byte);
		$s->{closed} = 1 if !defined $w && $! != EINTR && $! != EAGAIN;
	}
}

# How many the daemon has not closed (a read returns EOF for the others).
sub live {
	my ($self) = @_;
	my $n = 0;
	for my $s (@{ $self->{socks} }) {
		next if $s->{closed};
		my $sel = IO::Select->new($s->sock);
		if ($sel->can_read(0)) {
			my $r = sysread($s->sock, my $buf, 4096);
			if (!$r) {
				$s->{closed} = 1;
				next;
			}
		}
		$n++;
	}
	return $n;
}

sub close_all {
	my ($self) = @_;
	close($_->sock) for @{ $self->{socks} };
	$self->{socks} = [];
}

package SlowClients;

# Keep trying to send one message through port (dripping on $set between
# tries, every $step seconds) until it is accepted or $limit seconds pass.
# Returns the seconds it took, or undef, and the number of 421s met.
sub normal_client_through {
	my (%o) = @_;
	my $t0 = time;
	my $refused = 0;
	my $set = $o{drip};
	my $next_drip = 0;
	while (time - $t0 < $o{limit}) {
		if ($set && time >= $next_drip) {
			$set->drip;
			$next_drip = time + ($o{step} // 0.5);
		}
		my $s = smtp_session(port => $o{port}, quiet => 1, timeout => 2,
		    local => $o{local});
		if (!$s) {
			sleep(0.1);
			next;
		}
		my $r = $s->reply(2);
		if (!$r || $r->{code} != 220) {
			$refused++;
			close($s->sock);
			sleep(0.1);
			next;
		}
		my $ok = 1;
		for my $c ('EHLO normal.test', 'MAIL FROM:<n@normal.test>',
		    'RCPT TO:<r@dest.test>') {
			my $x = $s->cmd($c, 5);
			$ok = 0 unless $x && $x->{code} == 250;
		}
		my $x = $s->cmd('DATA', 5);
		$ok = 0 unless $x && $x->{code} == 354;
		$x = $ok ? $s->cmd("Subject: normal\r\n\r\nhello\r\n.", 10) : undef;
		close($s->sock);
		return (time - $t0, $refused) if $x && $x->{code} == 250;
		sleep(0.1);
	}
	return (undef, $refused);
}

1;
