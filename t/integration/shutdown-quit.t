#!/usr/bin/perl
# shutdown-quit.t -- the daemon stops while a pooled connection is still
# saying QUIT: a downstream server that never answers QUIT keeps the
# connection closing past the shutdown grace, so the loop ends with it
# open.  The daemon must still exit 0 and free what it holds (under
# AddressSanitizer, LeakSanitizer reports the connection, its pool and
# the configuration they reference otherwise).
use strict;
use warnings;
use IO::Socket::INET;
use POSIX qw(_exit);
use Test::More;
use SmarthostTest;

my $dir = tempdir('mute');
my $port = free_port();
my $lsn = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 5, ReuseAddr => 1) or die "listen: $!";

# The server: a plain SMTP dialogue, but QUIT gets no reply; the socket
# stays open until the server is killed.  Bounded by alarm.
my $srv = fork();
die "fork: $!" unless defined $srv;
if ($srv == 0) {
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
				print $c "250 2.0.0 Ok: queued\r\n";
			} elsif ($v eq 'QUIT') {
				write_file("$dir/quit", "QUIT\n");
				push @held, $c;		# no reply, never closed
				last;
			} else {
				print $c "250 2.0.0 Ok\r\n";
			}
		}
	}
	_exit(0);
}
close($lsn);
END { local $?; if ($srv) { kill('KILL', $srv); waitpid($srv, 0); } }

my $d = start_daemon(
    config_text => {
	relayers => qq{
	    { name = "mute"; type = "smtp"; host = "127.0.0.1";
	      port = $port; tls = "none"; idle_timeout = "60s";
	      command_timeout = "60s"; }
	},
	routing => 'default_relayer = "mute";',
    },
);
my $res = send_mail(port => $d->port, from => 's@x.test',
    to => 'r@y.test', data => "Subject: one\n\nbody\n");
ok($res->{ok}, 'message accepted') or diag explain $res;
ok(wait_for(sub { $d->log =~ /delivered id=\S+ .*relayer=mute/ }, 15),
    'delivered; the connection stays in the pool');

my $t0 = time;
my $st = $d->stop(30);
my $log = $d->log;
ok(-e "$dir/quit", 'the pooled connection said QUIT at shutdown');
like($log, qr/shutdown: .*cut short/,
    'the loop ended with the QUIT unanswered (after the grace)');
cmp_ok(time - $t0, '<', 25, 'shutdown bounded by the grace');
is($st, 0, 'daemon exited 0 with a connection still saying QUIT');
unlike($log, qr/Sanitizer|runtime error/, 'no sanitizer report')
    or diag $log;
done_testing();
