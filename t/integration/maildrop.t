#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# maildrop.t -- the maildrop relayer runs a real command (t/lib/
# fake-maildrop.sh, which records its argv, stdin and environment) once per
# recipient: the message arrives on stdin with LF line endings, body
# intact; exit 0 is delivered, 75 deferred and retried, 1 bounced with the
# command's stderr in the log and the DSN; a command that outlives the
# timeout is killed with whatever it started, and the recipient deferred.
# Hostile addresses never reach a shell and never become options.
use strict;
use warnings;
use Cwd qw(abs_path);
use Test::More;
use SmarthostTest;

skip_unless_built_with('maildrop');

my $script = abs_path(srcdir() . '/t/lib/fake-maildrop.sh');
ok(defined $script && -f $script, 'test peer fake-maildrop.sh exists')
    or BAIL_OUT('no t/lib/fake-maildrop.sh');
my $out = tempdir('runs');
my $pwned = test_dir() . '/pwned';
my $oq = test_dir() . '/oq';

my $d = start_daemon(
    config_text => {
	relayers => q{
	    { name = "local"; type = "maildrop"; timeout = "2s";
	      command = [ "/bin/sh", "@SCRIPT@", "@OUT@", "-f%{sender}",
		"%{recipient}", "%{local}", "%{domain}" ]; },
	    { name = "slow"; type = "maildrop"; timeout = "60s";
	      command = [ "/bin/sh", "@SCRIPT@", "@OUT@" ]; }
	},
	routing => q{
	    default_relayer = "local";
	    rules = ( { recipient_domain = "slow.test"; relayer = "slow"; } );
	},
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
    },
    vars => { SCRIPT => $script, OUT => $out });

# Every complete run of the command: { n, argv => [..], env => {..},
# stdin => bytes }.
sub runs {
	my @r;
	opendir(my $h, $out) or return ();
	for my $f (sort { $a <=> $b } map { /^(\d+)\.argv$/ ? $1 : () }
	    readdir($h)) {
		my $a = slurp("$out/$f.argv") // next;
		my $e = slurp("$out/$f.env") // '';
		my %env = map { /^([^=]+)=(.*)\z/s ? ($1, $2) : () }
		    split /\n/, $e;
		my @argv = split /\n/, $a, -1;
		pop @argv;		# after the last "\n"
		push @r, { n => $f, argv => \@argv, env => \%env,
		    stdin => slurp("$out/$f.stdin") // '' };
	}
	return @r;
}
sub runs_for { my ($rcpt) = @_; grep { ($_->{env}{RECIPIENT} // '') eq $rcpt } runs() }
sub wait_runs {
	my ($rcpt, $n, $t) = @_;
	wait_for(sub { scalar(my @x = runs_for($rcpt)) >= $n }, $t // 10);
	return runs_for($rcpt);
}
sub ev {
	my ($event, $rcpt) = @_;
	my $to = log_addr($rcpt);
	return qr/^[^\n]*\b\Q$event\E\b(?=[^\n]*to=\Q$to\E)[^\n]*$/m;
}

#
# Delivered: LF line endings, body intact, argv and environment.
#
my $body = "Subject: to the command\r\nFrom: <s\@x.test>\r\n\r\n"
    . "line one\r\n.\r\n.leading dot\r\n8-bit \xc3\xa9\r\n"
    . ("m" x 998) . "\r\n\r\nlast\r\n";
(my $lf = $body) =~ s/\r\n/\n/g;
my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
my $r = $s->mail(from => 's@x.test', to => 'exit0@Local.TEST', data => $body);
is($r->{code}, 250, 'accepted');
my ($id) = ($r->{last} // '') =~ /queued as (\S+)/;
$s->cmd('QUIT');
$s->close;

my ($run) = wait_runs('exit0@Local.TEST', 1);
ok($run, 'the command ran for exit0@Local.TEST') or diag $d->log;
$run //= { argv => [], env => {}, stdin => '' };
is_deeply($run->{argv}, [ '-fs@x.test', 'exit0@Local.TEST', 'exit0',
    'local.test' ], 'argv: %{sender} after a fixed prefix, %{recipient}, '
    . '%{local}, %{domain} (lower case)');
is($run->{env}{SENDER}, 's@x.test', 'SENDER in the environment');
is($run->{env}{PATH}, '/usr/bin:/bin', 'a fixed PATH');
ok(!exists $run->{env}{SMARTHOSTD} && !exists $run->{env}{HOME},
    'nothing else from the daemon\'s environment')
    or diag explain $run->{env};
unlike($run->{stdin}, qr/\r/, 'stdin: LF line endings (no CR at all)');
my ($rcv) = $run->{stdin} =~ /\A(Received:[^\n]*\n(?:[ \t][^\n]*\n)*)/;
ok(defined $rcv, 'stdin starts with a Received: header');
is(substr($run->{stdin}, length($rcv // '')), $lf, 'body intact, with LF endings');
ok($d->wait_log(qr/^(?=.*\bdelivered\b)(?=.*to=<exit0\@Local\.TEST>).*$/m, 5),
    'delivered logged');

#
# Hostile recipients: one argument each, no shell, no option.
#
my @hostile = ("\"a b\"\@local.test", "\"\$(touch $pwned)\"\@local.test",
    "-oQ$oq\@local.test");
$s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
$r = $s->mail(from => 's@x.test', to => \@hostile,
    data => "Subject: hostile\r\n\r\nhi\r\n");
is($r->{code}, 250, 'message to hostile recipients accepted')
    or diag explain $s->transcript;
$s->cmd('QUIT');
$s->close;

for my $h (@hostile[0, 1]) {
	my ($hr) = wait_runs($h, 1);
	ok($hr, "ran for $h");
	is(($hr // { argv => [] })->{argv}[1], $h,
	    "$h: passed literally as one argument");
	(my $local = $h) =~ s/\@local\.test\z//;
	is(($hr // { argv => [] })->{argv}[2], $local,
	    "$h: %{local} literally, quotes and all");
}
ok($d->wait_log(ev('bounced', $hostile[2]), 10),
    '-oQ... refused (bounced)');
like(scalar($d->wait_log(ev('bounced', $hostile[2]), 1)) // '',
    qr/550 5\.1\.3 maildrop: unsafe address for a command argument/,
    '-oQ...: 550 5.1.3 unsafe address');
ok(!grep({ my $x = $_; grep { /-oQ/ } @{$x->{argv}} } runs()),
    'no run ever saw -oQ as an argument');
ok(!-e $pwned, 'no shell ran $(touch ...)');
ok(!-e $oq, 'nothing created by a -oQ option');
ok($d->wait_log(ev('delivered', $hostile[1]), 5),
    '$(...) recipient delivered');

#
# exit 1: bounced, the command's stderr in the log and the DSN.
#
my $res = send_mail(port => $d->port, from => 'bounce-me@x.test',
    to => 'exit1@local.test', data => "Subject: exit1\n\nbody\n");
ok($res->{ok}, 'message to exit1 accepted') or diag explain $res;
ok($d->wait_log(ev('bounced', 'exit1@local.test'), 10), 'exit 1: bounced');
like(scalar($d->wait_log(ev('bounced', 'exit1@local.test'), 1)) // '',
    qr/550 5\.3\.0 maildrop: exit 1: fake-maildrop: no such mailbox second line/,
    'exit 1: the command\'s stderr in the log');
my ($dsn) = wait_runs('bounce-me@x.test', 1);
ok($dsn, 'the DSN was delivered (through the same relayer)');
is(($dsn // { argv => [] })->{argv}[0], '-f',
    'DSN: the null sender expands to an empty string');
(my $dsn_text = ($dsn // { stdin => '' })->{stdin}) =~ s/\n[ \t]+/ /g;
like($dsn_text, qr/fake-maildrop: no such mailbox/,
    'DSN: carries the command\'s stderr');
is(scalar(my @x = runs_for('exit1@local.test')), 1,
    'exit 1: not retried');

#
# exit 75: deferred, then retried (and delivered on the second run).
#
$res = send_mail(port => $d->port, from => 's@x.test',
    to => 'exit75once@local.test', data => "Subject: exit75\n\nbody\n");
ok($res->{ok}, 'message to exit75once accepted') or diag explain $res;
ok($d->wait_log(ev('deferred', 'exit75once@local.test'), 10),
    'exit 75: deferred');
like(scalar($d->wait_log(ev('deferred', 'exit75once@local.test'), 1)) // '',
    qr/451 4\.3\.0 maildrop: exit 75: mailbox locked, try later/,
    'exit 75: status with the command\'s stderr');
ok($d->wait_log(ev('delivered', 'exit75once@local.test'), 15),
    'exit 75: retried and delivered');
is(scalar(my @y = runs_for('exit75once@local.test')), 2, 'exit 75: two runs');

#
# Timeout: the command and what it started are killed; deferred.
#
my $t0 = time;
$res = send_mail(port => $d->port, from => 's@x.test',
    to => 'sleep@local.test', data => "Subject: sleep\n\nbody\n");
ok($res->{ok}, 'message to sleep accepted') or diag explain $res;
ok($d->wait_log(ev('deferred', 'sleep@local.test'), 10),
    'timeout: deferred');
like(scalar($d->wait_log(ev('deferred', 'sleep@local.test'), 1)) // '',
    qr/451 4\.4\.2 maildrop: timed out after 2s/, 'timeout: 451 4.4.2');
sub gone {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return 1;
	return $st =~ /\)\s+Z/;		# a zombie waiting for init is gone
}
# The pid of what run $n left sleeping.
sub sleeper {
	my ($n) = @_;
	my $p;
	wait_for(sub { ($p = slurp("$out/$n.sleep.pid") // '') =~ /^\d+\n\z/ }, 5);
	chomp $p;
	return $p;
}
my ($sr) = runs_for('sleep@local.test');
my $sleeper = sleeper(($sr // { n => 0 })->{n});
ok($sleeper =~ /^\d+$/ && wait_for(sub { gone($sleeper) }, 5),
    'timeout: the process the command started was killed too');
cmp_ok(time - $t0, '<', 8, 'timeout: within the configured 2s (and the grace)');

#
# Shutdown with a command running (timeout 60s, past the daemon's shutdown
# grace): it is stopped, the message stays queued for the next start.
#
$res = send_mail(port => $d->port, from => 's@x.test',
    to => 'sleep@slow.test', data => "Subject: slow\n\nbody\n");
ok($res->{ok}, 'message to sleep@slow.test accepted') or diag explain $res;
my ($slow) = wait_runs('sleep@slow.test', 1);
my $sleeper2 = sleeper(($slow // { n => 0 })->{n});
like($sleeper2, qr/^\d+$/, 'the slow command is running');
$t0 = time;
my $st = $d->stop(30);
my $log = $d->log;
is($st, 0, 'daemon stopped cleanly with a command in flight');
cmp_ok(time - $t0, '<', 25, 'shutdown did not wait for the command\'s timeout');
ok($sleeper2 =~ /^\d+$/ && wait_for(sub { gone($sleeper2) }, 5),
    'shutdown: the running command and its children were stopped');
like($log, qr/relayer slow: (?:shutdown|exit): stopping pid \d+/,
    'shutdown: logged');
ok(scalar($d->queued) >= 1, 'the message is still queued');
unlike($log, qr/Sanitizer|runtime error/, 'no sanitizer report');
done_testing();
