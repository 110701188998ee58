#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# reload.t -- SIGHUP and SIGTERM (behaviour.md "Operation", promise 3):
# a good reload changes where new deliveries go and opens/closes listeners
# while an unchanged listener keeps its socket and sessions in progress go
# on; a bad reload is logged and changes nothing; SIGTERM stops accepting,
# lets a session in progress finish, exits 0 and leaves queued mail on disk.
# Then (issue 5 item 6): 20 reloads while a client connects in a loop
# refuse nothing; a bad file leaves the old banner in force; a smarthost
# port changed by a reload applies to mail already queued; and the memory
# of the daemon stays flat across 1,000 reloads (measured, reported).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(_exit);
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $sink1 = start_sink();
my $sink2 = start_sink();
my $p2 = free_port();

sub conf {
	my (%o) = @_;
	my $extra = $o{second} ? qq{, { name = "b"; address = "127.0.0.1"; port = $p2; }} : '';
	return (config_text => {
	    listeners => qq{{ name = "a"; address = "127.0.0.1"; port = \@PORT\@; }$extra},
	    relayers => join(', ', sink_relayer($sink1, name => 's1'),
		sink_relayer($sink2, name => 's2')),
	    routing => qq{default_relayer = "$o{relayer}";},
	    queue => 'retry_interval = "1s";',
	});
}
sub accepts {
	my ($port) = @_;
	my $s = smtp_session(port => $port, quiet => 1, timeout => 2) or return 0;
	my $g = $s->reply(2);
	$s->close;
	return $g && $g->{code} == 220;
}
sub mail_to {
	my ($port, $tag) = @_;
	my $res = send_mail(port => $port, from => 's@x.test', to => 'r@y.test',
	    data => "Subject: $tag\n\n$tag\n");
	ok($res->{ok}, "$tag: accepted") or diag explain $res;
}
sub arrived {
	my ($sink, $tag) = @_;
	return wait_for(sub {
	    grep { $_->{data} =~ /^Subject: \Q$tag\E\r$/m } $sink->messages }, 10);
}

my $d = start_daemon(conf(relayer => 's1'));
mail_to($d->port, 'before');
ok(arrived($sink1, 'before'), 'before reload: delivered by s1');
ok(!accepts($p2), 'listener b not open yet');

# A session in progress across the reload.
my $s = smtp_session(port => $d->port);
$s->start_ehlo('reload.test');
is($s->cmd('MAIL FROM:<s@x.test>')->{code}, 250, 'session open before reload');

# Good reload: add listener b, send new deliveries to s2.
$d->rewrite(conf(relayer => 's2', second => 1));
my $mark = $d->log_size;
$d->signal('HUP');
ok(wait_for(sub { accepts($p2) }, 10), 'reload: listener b opened');
ok(accepts($d->port), 'reload: unchanged listener a still accepts');
is($s->cmd('RCPT TO:<r@y.test>')->{code}, 250, 'session in progress goes on');
is($s->cmd('DATA')->{code}, 354, 'DATA in the old session');
$s->send("Subject: during\r\n\r\nduring\r\n.\r\n");
is($s->reply->{code}, 250, 'message in the old session accepted');
$s->cmd('QUIT');
$s->close;
mail_to($d->port, 'after');
ok(arrived($sink2, 'after'), 'after reload: delivered by s2');
mail_to($p2, 'via-b');
ok(arrived($sink2, 'via-b'), 'mail through the new listener b');

# Bad reload: an error naming file:line, and nothing changes.
$d->rewrite(config => "spool = \"\@SPOOL\@\";\nlisteners = ( );\nbogus_setting = 1;\n");
$mark = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/smarthostd\.conf:3:/, 10, after => $mark),
    'bad reload: error logged with file:line');
sleep 1;
ok($d->alive, 'bad reload: still running');
ok(accepts($d->port) && accepts($p2), 'bad reload: both listeners still open');
mail_to($d->port, 'after-bad');
ok(arrived($sink2, 'after-bad'), 'bad reload: configuration unchanged (s2)');

# Reload removing listener b.
$d->rewrite(conf(relayer => 's1'));
$d->signal('HUP');
ok(wait_for(sub { !accepts($p2) }, 10), 'reload: listener b closed');
ok(accepts($d->port), 'listener a still open');
mail_to($d->port, 'back');
ok(arrived($sink1, 'back'), 'back to s1');

# SIGTERM: stop accepting, finish the session in progress, exit 0, keep
# queued mail.  With s1 down, a message waits in the queue.
$sink1->stop;			# s1 now refuses connections: mail waits
mail_to($d->port, 'queued');
ok($d->wait_log(qr/\bdeferred\b/, 10), 'a message waits in the queue');
$s = smtp_session(port => $d->port);
$s->start_ehlo('late.test');
$d->signal('TERM');
ok(wait_for(sub { !accepts($d->port) }, 10), 'SIGTERM: no new connections');
my $r = $s->mail(from => 's@x.test', to => 'r@y.test',
    data => "Subject: last\r\n\r\nlast\r\n");
is($r && $r->{code}, 250, 'SIGTERM: the session in progress may finish');
$s->cmd('QUIT');
$s->close;
my $st = SmarthostTest::reap($d->pid, 10);
is($st, 0, 'SIGTERM: exit status 0');
$d->{pid} = undef if defined $st;
cmp_ok(scalar($d->queued), '>=', 2, 'queued mail stays on disk');

#
# Issue 5 item 6: reloads under load, a bad file, a changed smarthost port,
# memory across 1,000 reloads.
#

# One request on the control socket, without a process per call.
sub ctl_raw {
	my ($sock, $req) = @_;
	my $c = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock)
	    or return "connect: $!";
	syswrite($c, "$req\n");
	my ($ans, $sel, $deadline) = ('', IO::Select->new($c), time + 10);
	while ($sel->can_read($deadline - time > 0 ? $deadline - time : 0)) {
		last unless sysread($c, $ans, 4096, length $ans);
	}
	close($c);
	return $ans;
}

# A configuration with a control socket and the given banner/relayer.
sub conf2 {
	my (%o) = @_;
	my $t = config_text(level => 'info',
	    listener => qq{banner = "$o{banner}";},
	    relayers => $o{relayers},
	    routing => qq{default_relayer = "$o{relayer}";},
	    queue => 'retry_interval = "1h"; max_retry_interval = "1h";');
	$t =~ s/^control = "";$/control = "\@TMP\@\/control.sock";/m
	    or die "no control line";
	return (config => $t);
}

sub banner_of {
	my ($port) = @_;
	my $ss = smtp_session(port => $port, quiet => 1, timeout => 3)
	    or return '';
	my $g = $ss->reply(3);
	$ss->close;
	return $g && $g->{code} == 220 ? $g->{text} : '';
}

my $portA = free_port();		# nothing listens here
my $sinkB = start_sink();
my $relA = qq{{ name = "up"; type = "smtp"; host = "127.0.0.1"; port = $portA; tls = "none"; }};
my $relB = sink_relayer($sinkB, name => 'up');
my $d2 = start_daemon(conf2(banner => 'one ready', relayers => $relA,
    relayer => 'up'));
my $sock = $d2->dir . '/control.sock';

# 20 reloads while a child process connects in a bounded loop.
{
	my $res = tempdir('loop') . '/result';
	my $stop = "$res.stop";
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		my ($n, $bad, @why) = (0, 0);
		my $deadline = time + 30;
		while (!-e $stop && time < $deadline) {
			$n++;
			my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $d2->port, Timeout => 3);
			if (!$c) {
				$bad++;
				push @why, "connect: $!";
				next;
			}
			my $sel = IO::Select->new($c);
			my $g = $sel->can_read(3) ? <$c> : undef;
			if (!defined $g || $g !~ /^220 /) {
				$bad++;
				push @why, 'greeting: ' . ($g // 'none');
			}
			print $c "QUIT\r\n";
			close($c);
			sleep(0.01);	# hundreds, not tens of thousands
		}
		write_file($res, "$n $bad\n" . join("\n", @why[0 .. ($#why < 4 ? $#why : 4)]));
		_exit(0);
	}
	my $mark = $d2->log_size;
	my $done = 0;
	for my $i (1 .. 20) {
		$d2->rewrite(conf2(banner => ($i % 2 ? 'two ready' : 'one ready'),
		    relayers => $relA, relayer => 'up'));
		$d2->signal('HUP');
		# One reload at a time: signals would merge otherwise.
		wait_for(sub {
			my @r = (substr($d2->log, $mark) =~ /\breloaded /g);
			return @r >= $i;
		}, 10);
		sleep(0.05);
	}
	my @r = (substr($d2->log, $mark) =~ /\breloaded /g);
	is(scalar @r, 20, '20 SIGHUP reloads done');
	sleep(0.3);
	write_file($stop, '');
	SmarthostTest::wait_for(sub { waitpid($pid, POSIX::WNOHANG()) == $pid
	    || !kill(0, $pid) }, 40);
	my ($n, $bad, @why) = split /[ \n]/, slurp($res) // '0 -1';
	cmp_ok($n, '>=', 20, "the client connected $n times during the reloads");
	is($bad, 0, 'no connection refused or left without a greeting')
	    or diag join("\n", @why);
	is(banner_of($d2->port), 'one ready',
	    'the last reload is in force (banner)');
}

# A bad file: the error with file:line, the old banner still in force.
{
	my $mark = $d2->log_size;
	$d2->rewrite(config => "spool = \"\@SPOOL\@\";\nlisteners = ( { name = \"in\"; port = \"x\"; } );\n");
	$d2->signal('HUP');
	ok($d2->wait_log(qr/reload failed.*smarthostd\.conf:2:/, 10, after => $mark),
	    'bad file: error logged with file:line');
	ok($d2->alive, 'bad file: still running');
	is(banner_of($d2->port), 'one ready', 'bad file: old banner in force');
	my ($st, undef, $err) = run_ctl('-s', $sock, 'reload');
	is($st, 1, 'bad file: smarthostctl reload fails');
	like($err, qr/smarthostd\.conf:2:/, 'bad file: smarthostctl shows file:line');
}

# A queued message follows a smarthost port changed by a reload.
{
	$d2->rewrite(conf2(banner => 'one ready', relayers => $relA,
	    relayer => 'up'));
	my ($st) = run_ctl('-s', $sock, 'reload');
	is($st, 0, 'good file back');
	my $res = send_mail(port => $d2->port, from => 's@x.test',
	    to => 'r@y.test', data => "Subject: portmove\n\nportmove\n");
	ok($res->{ok}, 'portmove: accepted') or diag explain $res;
	ok($d2->wait_log(qr/\bdeferred id=\Q$res->{id}\E.*:\Q$portA\E/, 10),
	    'portmove: deferred against port A (nothing listens)');
	is($sinkB->count, 0, 'portmove: nothing at B yet');
	$d2->rewrite(conf2(banner => 'one ready', relayers => $relB,
	    relayer => 'up'));
	($st, my $out, my $err) = run_ctl('-s', $sock, 'reload');
	is($st, 0, 'portmove: reload pointing the relayer at B') or diag $err;
	($st, $out, $err) = run_ctl('-s', $sock, 'flush', $res->{id});
	is($st, 0, 'portmove: flush') or diag $err;
	my @m = $sinkB->wait_messages(1, 10);
	ok(@m && $m[0]{data} =~ /^Subject: portmove\r$/m,
	    'portmove: delivered to B after the reload');
	ok(wait_for(sub { !$d2->queued }, 10), 'portmove: queue empty');
}

# Memory across 1,000 reloads, through the control socket (each request
# returns when its reload is done), alternating two files so that every
# reload changes something.
SKIP: {
	my $pid = $d2->pid;
	skip 'no /proc', 3 unless -r "/proc/$pid/status";
	my $rss = sub {
		my $st = slurp("/proc/$pid/status") // '';
		return $st =~ /^VmRSS:\s+(\d+) kB/m ? $1 : undef;
	};
	my @files = map {
		my $t = { conf2(banner => "banner $_", relayers => $relB,
		    relayer => 'up') }->{config};
		$t;
	} (1, 2);
	my $reload = sub {
		my ($i) = @_;
		$d2->rewrite(config => $files[$i % 2]);
		return ctl_raw($sock, 'reload') =~ /^ok\n/;
	};
	my $ok = 0;
	$ok += $reload->($_) for 1 .. 50;		# warm up: pools, caches
	my $before = $rss->();
	my $t0 = time;
	$ok += $reload->($_) for 51 .. 1050;
	my $after = $rss->();
	is($ok, 1050, '1,050 reloads through the control socket succeeded');
	diag(sprintf('VmRSS across 1,000 reloads: before %d kB, after %d kB, '
	    . 'growth %d kB (%.1f s)', $before, $after, $after - $before,
	    time - $t0));
	ok($d2->alive && banner_of($d2->port) =~ /^banner [12]$/,
	    'still serving after 1,000 reloads');
	# AddressSanitizer keeps freed memory in quarantine: no bound there.
	my $bin = slurp(smarthostd()) // '';
	if ($bin =~ /__asan_init/) {
		pass('RSS bound not checked under AddressSanitizer');
	} else {
		cmp_ok($after - $before, '<', 4096,
		    'RSS growth across 1,000 reloads under 4 MiB');
	}
}
is($d2->stop, 0, 'second daemon: clean stop');
done_testing();
