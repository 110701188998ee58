#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# shutdown-quit.t -- the daemon stops while pooled connections are still
# at work: one idle, told to QUIT by a server that never answers it, one
# waiting for the reply to its end of data (data_timeout past the
# shutdown grace), so the loop ends with both open.  The daemon must
# still exit 0, keep the unfinished message queued and free what it holds
# (under AddressSanitizer, LeakSanitizer reports the connections, their
# pools, the delivery and the configuration they reference otherwise).
use strict;
use warnings;
use IO::Socket::INET;
use POSIX qw(_exit);
use Test::More;
use SmarthostTest;

my $dir = tempdir('mute');

# A server: a plain SMTP dialogue, but in mode "quit" QUIT gets no reply,
# in mode "dot" the end of data gets none; the socket stays open until the
# server is killed.  Bounded by alarm.
my @servers;
END { local $?; for (@servers) { kill('KILL', $_); waitpid($_, 0); } }
sub mute_server {
	my ($mode) = @_;
	my $port = free_port();
	my $lsn = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port, Listen => 5, ReuseAddr => 1)
	    or die "listen: $!";
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		alarm(60);
		my @held;
		while (my $c = $lsn->accept) {
			$c->autoflush(1);
			print $c "220 mute.test ESMTP\r\n";
			while (defined(my $l = <$c>)) {
				my $v = uc(substr($l, 0, 4));
				if ($v eq 'EHLO' || $v eq 'HELO') {
					print $c "250 mute.test\r\n";
				} elsif ($v eq 'DATA') {
					print $c "354 go ahead\r\n";
					while (defined(my $b = <$c>)) {
						last if $b eq ".\r\n";
					}
					if ($mode eq 'dot') {
						write_file("$dir/dot", "dot\n");
						push @held, $c;
						last;
					}
					print $c "250 2.0.0 Ok: queued\r\n";
				} elsif ($v eq 'QUIT') {
					write_file("$dir/quit", "QUIT\n");
					push @held, $c;
					last;
				} else {
					print $c "250 2.0.0 Ok\r\n";
				}
			}
		}
		_exit(0);
	}
	close($lsn);
	push @servers, $pid;
	return $port;
}
my $qport = mute_server('quit');
my $dport = mute_server('dot');

my $d = start_daemon(
    config_text => {
	relayers => qq{
	    { name = "mute"; type = "smtp"; host = "127.0.0.1";
	      port = $qport; tls = "none"; idle_timeout = "60s";
	      command_timeout = "60s"; },
	    { name = "nodot"; type = "smtp"; host = "127.0.0.1";
	      port = $dport; tls = "none"; data_timeout = "60s"; }
	},
	routing => q{
	    default_relayer = "mute";
	    rules = ( { recipient_domain = "nodot.test"; relayer = "nodot"; } );
	},
    },
);
my $res = send_mail(port => $d->port, from => 's@x.test',
    to => 'r@y.test', data => "Subject: one\n\nbody\n");
ok($res->{ok}, 'message accepted') or diag explain $res;
ok(wait_for(sub { $d->log =~ /delivered id=\S+ .*relayer=mute/ }, 15),
    'delivered; the connection stays in the pool');
$res = send_mail(port => $d->port, from => 's@x.test',
    to => 'r@nodot.test', data => "Subject: two\n\nbody\n");
ok($res->{ok}, 'second message accepted') or diag explain $res;
ok(wait_for(sub { -e "$dir/dot" }, 15),
    'second message sent, its end of data unanswered');

my $t0 = time;
my $st = $d->stop(30);
my $log = $d->log;
ok(-e "$dir/quit", 'the idle pooled connection said QUIT at shutdown');
like($log, qr/shutdown: .*cut short/,
    'the loop ended with a delivery in flight (after the grace)');
cmp_ok(time - $t0, '<', 25, 'shutdown bounded by the grace');
is($st, 0, 'daemon exited 0 with connections still busy and saying QUIT');
unlike($log, qr/Sanitizer|runtime error/, 'no sanitizer report')
    or diag $log;
is(scalar($d->queued), 1, 'the message in flight is still queued');
done_testing();
