#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# control.t -- the control socket and smarthostctl (behaviour.md
# "Operation"): every command, text and --json, with messages held in the
# queue by a sink that answers 451 while a fail file exists; flush once it
# accepts, remove without a bounce, reload good and bad, stats counting,
# and every error (unknown command, unknown or invalid id, missing or extra
# argument, daemon down, no configuration), plus the socket itself: mode
# 0600, a stale socket replaced, a live one refused, bounded requests,
# bounded clients.
use strict;
use warnings;
use Test::More;
use JSON::PP ();
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $ctlbin = smarthostctl_path();
plan skip_all => "smarthostctl not built at $ctlbin" unless -x $ctlbin;

my $json = JSON::PP->new;
sub decode {
	my ($text) = @_;
	my $v = eval { $json->decode($text) };
	diag("not JSON: $@\n$text") unless defined $v;
	return $v;
}

my $fail = tempdir('fail') . '/fail';
write_file($fail, "1\n");
my $sink = start_sink(fail_file => $fail);

# config_text() disables the control socket; give it one in the daemon's
# directory.
sub conf {
	my (%o) = @_;
	# y.test and z.test share a next hop, so that one message of
	# BatchByRoute waits in two queues.
	my $t = config_text(
	    listener => 'batch_handling = "BatchByRoute";',
	    relayers => sink_relayer($sink),
	    routing => 'default_relayer = "sink"; rules = ( { recipient_domain '
		. '= [ "y.test", "z.test" ]; routing_domain = "hub.test"; } );',
	    queue => 'retry_interval = "1h"; max_retry_interval = "1h";',
	    %o);
	$t =~ s/^control = "";$/control = "\@TMP\@\/control.sock";/m
	    or die "no control line in the configuration text";
	return (config => $t);
}

my $d = start_daemon(conf());
my $sock = $d->dir . '/control.sock';
my @c = ('-c', $d->config_file);

ok(-S $sock, 'control socket created');
is((stat $sock)[2] & 07777, 0600, 'control socket mode 0600');

# A client that says nothing must not hold anything up (checked at the end).
my $idle = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock);
ok($idle, 'an idle control client connects');

# Empty queue first.
my ($st, $out, $err) = run_ctl(@c, 'queue');
is($st, 0, 'queue (empty): exit 0');
like($out, qr/^queue is empty$/m, 'queue (empty): says so');
($st, $out) = run_ctl(@c, 'queue', '--json');
is_deeply(decode($out), [], 'queue --json (empty): []');

# Three messages held by the 451s: A (two recipients, two domains), B (to
# be removed, with a sender that needs JSON escaping), C.
sub mail {
	my (%o) = @_;
	my $res = send_mail(port => $d->port, %o);
	ok($res->{ok} && $res->{id}, "$o{tag}: accepted") or diag explain $res;
	return $res->{id};
}
my $idA = mail(tag => 'A', from => 'a@x.test',
    to => [ 'r1@y.test', 'r2@z.test' ], data => "Subject: A\n\nA\n");
my $idB = mail(tag => 'B', from => '"b\\"q\\\\"@x.test', to => 'r3@y.test',
    data => "Subject: B\n\nB\n");
my $idC = mail(tag => 'C', from => 'c@x.test', to => 'r4@w.test',
    data => "Subject: C\n\nC\n");

# Wait until each has had its first attempt (and is not in flight).
ok(wait_for(sub {
	my ($s, $o) = run_ctl(@c, 'queue', '--json');
	my $q = $s == 0 ? eval { $json->decode($o) } : undef;
	return $q && @$q == 3 && !grep { $_->{in_progress} || !$_->{attempts} }
	    @$q;
}, 20), 'three messages deferred and waiting');

($st, $out, $err) = run_ctl(@c, 'queue');
is($st, 0, 'queue: exit 0');
is($err, '', 'queue: nothing on stderr');
my @lines = split /\n/, $out;
is(scalar @lines, 4, 'queue: one line per message, then the totals');
like(pop @lines, qr/^-- 3 messages, 4 recipients, \d+ bytes$/,
    'queue: the totals line (behaviour.md)');
my ($lA) = grep { /^\Q$idA\E / } @lines;
ok($lA, 'queue: A listed by id');
like($lA // '', qr/ age=\d+s size=\d+ from=<a\@x\.test> to=<r1\@y\.test>,<r2\@z\.test> queue=y\.test!hub\.test,z\.test!hub\.test next=\+\S+ attempts=1 last_error="451 /,
    'queue: A line has age, size, sender, recipients, queues, next, error');

($st, $out, $err) = run_ctl(@c, '--json', 'queue');
is($st, 0, 'queue --json: exit 0');
my $q = decode($out);
is(ref $q, 'ARRAY', 'queue --json: an array');
is(scalar @{$q // []}, 3, 'queue --json: three objects');
my %byid = map { $_->{id} => $_ } @{$q // []};
my $jA = $byid{$idA} // {};
is($jA->{queue}, 'y.test!hub.test,z.test!hub.test', 'json A: queue names');
is($jA->{sender}, 'a@x.test', 'json A: sender');
is_deeply($jA->{recipients}, [ 'r1@y.test', 'r2@z.test' ],
    'json A: recipients array');
cmp_ok($jA->{size} // 0, '>', 20, 'json A: size');
ok(defined $jA->{age} && $jA->{age} =~ /^\d+$/ && $jA->{age} < 60,
    'json A: age in seconds');
cmp_ok($jA->{next_attempt} // 0, '>', time + 60, 'json A: next attempt later');
like($jA->{last_error} // '', qr/^451 4\.3\.0 /, 'json A: last error');
is($byid{$idB}{sender}, '"b\\"q\\\\"@x.test',
    'json B: sender with quote and backslash survives escaping');
is($byid{$idC}{queue}, 'w.test', 'json C: queue');

# show, text and JSON.
($st, $out) = run_ctl(@c, 'show', $idA);
is($st, 0, 'show: exit 0');
like($out, qr/^id: \Q$idA\E$/m, 'show: id');
like($out, qr/^sender: <a\@x\.test>$/m, 'show: sender');
like($out, qr/^recipient: <r1\@y\.test> pending queue=y\.test!hub\.test relayer=sink .*status="451 /m,
    'show: recipient state, queue, relayer, status');
($st, $out) = run_ctl(@c, 'show', lc $idA, '--json');
is($st, 0, 'show --json (lower-case id): exit 0');
my $s = decode($out) // {};
is($s->{id}, $idA, 'show --json: id');
is($s->{attempts}, 1, 'show --json: attempts');
is($s->{listener}, 'in', 'show --json: listener');
is(scalar @{$s->{recipients} // []}, 2, 'show --json: two recipients');
is($s->{recipients}[1]{address}, 'r2@z.test', 'show --json: address');
is($s->{recipients}[1]{state}, 'pending', 'show --json: state');
is($s->{recipients}[1]{queue}, 'z.test!hub.test', 'show --json: queue');
like($s->{recipients}[1]{status} // '', qr/^451 /, 'show --json: status');
like($s->{recipients}[1]{remote} // '', qr/127\.0\.0\.1/,
    'show --json: remote');

# Errors: a message on stderr, exit 1, nothing on stdout.
my @errors = (
    [ [ 'frobnicate' ], qr/unknown command "frobnicate"/, 'unknown command' ],
    [ [ 'show' ], qr/usage: show ID/, 'show without an id' ],
    [ [ 'remove' ], qr/usage: remove ID/, 'remove without an id' ],
    [ [ 'show', $idA, 'extra' ], qr/usage: show ID/, 'show with two ids' ],
    [ [ 'stats', 'x' ], qr/usage: stats/, 'stats with an argument' ],
    [ [ 'show', 'ABCDEF0123456789' ], qr/no such message: ABCDEF0123456789/,
      'show: unknown id' ],
    [ [ 'remove', 'ABCDEF0123456789' ], qr/no such message/,
      'remove: unknown id' ],
    [ [ 'flush', 'ABCDEF0123456789' ], qr/no such message/,
      'flush: unknown id' ],
    [ [ 'show', '../queue/x' ], qr/invalid queue id/, 'show: invalid id' ],
    [ [ 'remove', 'GHIJ' ], qr/invalid queue id/, 'remove: invalid id' ],
    [ [ 'show', "A B" ], qr/invalid argument/, 'an argument with a blank' ],
);
for my $e (@errors) {
	my ($args, $re, $name) = @$e;
	($st, $out, $err) = run_ctl(@c, @$args);
	is($st, 1, "$name: exit 1");
	like($err, qr/^smarthostctl: .*$re/, "$name: message on stderr");
	is($out, '', "$name: nothing on stdout");
}
($st, $out, $err) = run_ctl(@c);
is($st, 1, 'no command: exit 1');
like($err, qr/usage:/, 'no command: usage');
($st, $out, $err) = run_ctl('-c', $d->dir . '/nonexistent.conf', 'queue');
is($st, 1, 'missing configuration file: exit 1');
like($err, qr/nonexistent\.conf/, 'missing configuration file: named');
($st, $out, $err) = run_ctl('-s', $sock, 'stats');
is($st, 0, '-s SOCKET works without the file');

# A file config_load() refuses for want of a key an ordinary user could
# not read: smarthostctl still finds the socket (config_load_local()).
{
	my $f = $d->dir . '/nokeys.conf';
	open(my $fh, '>', $f) or die "$f: $!";
	print $fh "control = \"$sock\";\nlisteners = ( { name = \"x\"; "
	    . "tls = \"starttls\"; cert = \"/nonexistent/c.pem\"; "
	    . "key = \"/nonexistent/k.pem\"; } );\n";
	close($fh);
	($st, $out, $err) = run_ctl('-c', $f, 'stats');
	is($st, 0, 'unreadable key in the file: control still works')
	    or diag($err);
}

# stats counting so far.
($st, $out) = run_ctl(@c, 'stats', '--json');
is($st, 0, 'stats --json: exit 0');
my $stats = decode($out) // {};
is($stats->{received}, 3, 'stats: 3 received');
is($stats->{queue_length}, 3, 'stats: queue length 3');
cmp_ok($stats->{deferred} // 0, '>=', 4, 'stats: 4 recipients deferred');
is($stats->{delivered}, 0, 'stats: nothing delivered yet');
cmp_ok($stats->{connections_total} // 0, '>=', 3, 'stats: connections');
ok(defined $stats->{connections_current}, 'stats: current connections');
ok(defined $stats->{uptime}, 'stats: uptime');
($st, $out) = run_ctl(@c, 'stats');
like($out, qr/^received: 3$/m, 'stats (text): received');
like($out, qr/^queue_length: 3$/m, 'stats (text): queue length');

# remove B: gone from the queue and the spool, logged, no bounce.
my $mark = $d->log_size;
($st, $out, $err) = run_ctl(@c, 'remove', $idB);
is($st, 0, 'remove: exit 0') or diag $err;
like($out, qr/removed \Q$idB\E/, 'remove: says so');
ok($d->wait_log(qr/\bremoved id=\Q$idB\E\b/, 5, after => $mark),
    'remove: logged as removed');
ok(!grep({ /\Q$idB\E\.(?:env|q)$/ } $d->queued),
    'remove: message gone from spool');
($st, $out, $err) = run_ctl(@c, 'show', $idB);
is($st, 1, 'show after remove: no such message');
($st, $out, $err) = run_ctl(@c, 'remove', $idB);
like($err, qr/no such message/, 'remove twice: no such message');

# reload, good then bad.
$mark = $d->log_size;
($st, $out, $err) = run_ctl(@c, 'reload');
is($st, 0, 'reload: exit 0') or diag $err;
like($out, qr/reloaded/, 'reload: says so');
ok($d->wait_log(qr/reloaded /, 5, after => $mark), 'reload: logged');
my $good = slurp($d->config_file);
write_file($d->config_file, $good . "\nlisteners = 12;\n");
($st, $out, $err) = run_ctl('-s', $sock, 'reload');
is($st, 1, 'bad reload: exit 1');
like($err, qr/smarthostd\.conf:\d+:/, 'bad reload: file:line on stderr');
ok($d->alive, 'bad reload: daemon still running');
write_file($d->config_file, $good);
($st, $out) = run_ctl(@c, 'queue', '--json');
is(scalar @{decode($out) // []}, 2, 'after reloads: A and C still queued');

# flush one: the sink accepts now.
unlink($fail);
($st, $out, $err) = run_ctl(@c, 'flush', $idA);
is($st, 0, 'flush ID: exit 0') or diag $err;
like($out, qr/flushing \Q$idA\E/, 'flush ID: says so');
my @m = $sink->wait_messages(1, 10);
is(scalar @m, 1, 'flush ID: A delivered');
like($m[0]{data} // '', qr/^Subject: A\r$/m, 'flush ID: it is A');
ok(wait_for(sub {
	my ($s2, $o) = run_ctl(@c, 'queue', '--json');
	my $qq = eval { $json->decode($o) };
	return $qq && @$qq == 1 && $qq->[0]{id} eq $idC;
}, 10), 'flush ID: only C left');

# flush all.
($st, $out) = run_ctl(@c, 'flush');
is($st, 0, 'flush: exit 0');
like($out, qr/flushing 1 message/, 'flush: counts');
@m = $sink->wait_messages(2, 10);
is(scalar @m, 2, 'flush: C delivered');
ok(!grep({ $_->{data} =~ /^Subject: B\r$/m } @m), 'removed B never sent');
ok(!grep({ ($_->{json}{mail_from} // '') eq '' } @m), 'no bounce sent');
ok(wait_for(sub { (run_ctl(@c, 'queue'))[1] =~ /queue is empty/ }, 10),
    'queue empty at last');
($st, $out) = run_ctl(@c, 'stats', '--json');
$stats = decode($out) // {};
is($stats->{delivered}, 3, 'stats: 3 recipients delivered');
is($stats->{removed}, 1, 'stats: 1 removed');
is($stats->{bounced}, 0, 'stats: nothing bounced');
is($stats->{reloads}, 1, 'stats: 1 successful reload');
is($stats->{queue_length}, 0, 'stats: queue empty');

# The raw protocol: oversized and garbage requests get an error line.
sub raw {
	my ($bytes) = @_;
	my $c = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock)
	    or return "connect: $!";
	syswrite($c, $bytes);
	my $ans = '';
	my $sel = IO::Select->new($c);
	my $deadline = time + 5;
	while ($sel->can_read($deadline - time > 0 ? $deadline - time : 0)) {
		my $n = sysread($c, $ans, 4096, length $ans);
		last unless $n;
	}
	close($c);
	return $ans;
}
like(raw('x' x 5000), qr/^error request too long\n\z/, 'raw: long request');
like(raw("stats\0\n"), qr/^error invalid character/, 'raw: NUL refused');
like(raw("\n"), qr/^error empty request\n\z/, 'raw: empty line');
like(raw("stats\r\n"), qr/^ok\nreceived: 3\n/, 'raw: CRLF accepted');

# Bounded clients: the 17th at once is refused, the daemon goes on.
my @hold = grep { defined } map {
	IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock) } 1 .. 20;
my $refused = 0;
for my $h (@hold) {
	my $sel = IO::Select->new($h);
	next unless $sel->can_read(0.5);
	my $l = <$h> // '';
	$refused++ if $l =~ /too many control clients/;
}
cmp_ok($refused, '>=', 4, "too many clients: $refused refused");
close($_) for @hold;
ok(wait_for(sub { (run_ctl(@c, 'stats'))[0] == 0 }, 5),
    'after the crowd leaves, commands work');
ok(accepts($d->port), 'SMTP unaffected');

# The idle client is dropped by the timeout.
ok(wait_for(sub {
	my $sel = IO::Select->new($idle);
	return 0 unless $sel->can_read(0);
	my $n = sysread($idle, my $buf, 10);
	return defined $n && $n == 0;
}, 15), 'an idle control client is closed by the timeout');

# A stale socket (daemon killed) is replaced; a live one is refused.
$d->kill9;
ok(-S $sock, 'killed daemon leaves its socket');
($st, $out, $err) = run_ctl(@c, 'stats');
is($st, 1, 'daemon down: exit 1');
like($err, qr/cannot connect to \Q$sock\E: .*is smarthostd running\?/,
    'daemon down: clear message');
$d->start;
($st) = run_ctl(@c, 'stats');
is($st, 0, 'restart over a stale socket: control works');
my $d2 = eval { start_daemon(conf(), vars => { TMP => $d->dir }) };
ok(!$d2, 'a second daemon on a live socket does not start');
like($@, qr/another smarthostd is running/, 'second daemon: reason given');
ok(-S $sock && (run_ctl(@c, 'stats'))[0] == 0,
    'the first daemon keeps its socket');
is($d->stop, 0, 'clean stop');
ok(!-e $sock, 'socket removed at exit');

sub accepts {
	my ($port) = @_;
	my $ss = smtp_session(port => $port, quiet => 1, timeout => 2)
	    or return 0;
	my $g = $ss->reply(2);
	$ss->close;
	return $g && $g->{code} == 220;
}

done_testing();
