#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# queue-order.t -- after a restart the queue is oldest first, as before it
# (queue.h: queue_walk), whatever order the spool directory lists its
# files in; and a message is found by its id after recovery and after
# others came and went (smarthostctl show, flush, hold, remove by id go
# through the queue's id index, src/qindex.c); queues counts per domain.
use strict;
use warnings;
use Test::More;
use JSON::PP ();
use SmarthostTest;

my $ctlbin = smarthostctl_path();
plan skip_all => "smarthostctl not built at $ctlbin" unless -x $ctlbin;
my $json = JSON::PP->new;
my $n = 40;

my $fail = tempdir('fail') . '/fail';
write_file($fail, "1\n");
my $sink = start_sink(fail_file => $fail);
my $t = config_text(relayers => sink_relayer($sink),
    routing => 'default_relayer = "sink";',
    queue => 'retry_interval = "1h"; max_retry_interval = "1h";');
$t =~ s/^control = "";$/control = "\@TMP\@\/control.sock";/m or die;
my $d = start_daemon(config => $t);
my @c = ('-c', $d->config_file);
sub ctl { my ($st, $out, $err) = run_ctl(@c, @_); return ($st, $out, $err) }
sub ids {
	my ($st, $out) = ctl('--json', 'queue');
	return $st == 0 ? map { $_->{id} } @{ $json->decode($out) } : ();
}

my @sent;
for my $i (1 .. $n) {
	my $r = send_mail(port => $d->port, from => 's@x.test',
	    to => "r$i\@d" . ($i % 7) . ".test",
	    data => "Subject: $i\r\n\r\n$i\r\n");
	push @sent, $r->{id} if $r->{ok};
}
is(scalar @sent, $n, "$n messages queued");
ok(wait_for(sub { (() = $d->log =~ /deferred /g) >= $n }, 30),
    'all deferred once');
is_deeply([ ids() ], \@sent, 'queue: in the order they came');
is_deeply([ sort @sent ], \@sent, 'ids sort by arrival');

$d->stop;
my $mark = $d->log_size;
$d->start;
is($d->wait_log(qr/(\d+) queued messages? recovered/, 10, after => $mark),
    $n, "restart: $n recovered");
is_deeply([ ids() ], \@sent, 'after the restart: still oldest first');

# queues (qshape): one row per domain, each with its count.
{
	my ($st, $out) = ctl('--json', 'queues');
	my %want;
	$want{'d' . ($_ % 7) . '.test'}++ for 1 .. $n;
	my %got = map { $_->{queue} => $_->{messages} } @{ $json->decode($out) };
	is_deeply(\%got, \%want, 'queues: 7 domains, each with its count');
}

# By id, after recovery.
my ($st, $out, $err) = ctl('show', $sent[-1]);
is($st, 0, 'show the newest by id');
like($out, qr/\Q$sent[-1]\E/, '... it is that one');
($st, $out, $err) = ctl('show', 'FFFFFFFFFFFFFFF0');
isnt($st, 0, 'show an unknown id: refused');
($st, $out, $err) = ctl('flush', 'FFFFFFFFFFFFFFF0');
isnt($st, 0, 'flush an unknown id: refused');
($st, $out, $err) = ctl('hold', $sent[0]);
like($out, qr/^held $sent[0]$/m, 'hold the oldest by id');

# Remove every other one by id, then a new message comes: each of the
# others is still found by its id.
my @kept;
for my $i (0 .. $#sent) {
	if ($i % 2) {
		($st, $out) = ctl('remove', $sent[$i]);
		$st == 0 or diag("remove $sent[$i]: $out");
	} else {
		push @kept, $sent[$i];
	}
}
is_deeply([ ids() ], \@kept, 'every other one removed by id; order kept');
my $r = send_mail(port => $d->port, from => 's@x.test',
    to => 'new@d1.test', data => "Subject: new\r\n\r\nnew\r\n");
ok($r->{ok}, 'a new message queued');
my $found = 0;
for my $id (@kept, $r->{id}) {
	($st, $out) = ctl('show', $id);
	$found++ if $st == 0 && $out =~ /\Q$id\E/;
}
is($found, @kept + 1, 'each remaining one found by id');
($st, $out) = ctl('show', $sent[1]);
isnt($st, 0, 'a removed one is not found');

# The sink recovers; a flush by id sends that one only (the others wait
# an hour; the oldest is held).
unlink($fail);
($st, $out) = ctl('flush', $kept[1]);
is($st, 0, 'flush one by id');
ok(wait_for(sub { $sink->count >= 1 }, 10), 'it is delivered');
sleep(1);
is($sink->count, 1, 'and only it');
($st, $out) = ctl('remove', '--all');
like($out, qr/^-- \d+ messages removed/m, 'the rest removed');
is(scalar(ids()), 0, 'queue empty');
is($d->stop, 0, 'clean exit');
unlike($d->log, qr/runtime error|AddressSanitizer|LeakSanitizer|queued twice/,
    'no sanitizer report, no duplicate id');
done_testing();
