#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# crash.t -- kill -9 twenty times during a 10,000-message load: every
# message the daemon acknowledged reaches the sink (0 lost, checked per
# recipient with a body hash); duplicates (a message queued but killed
# before its delivery was recorded) are counted and reported, and allowed.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use StressCheck;

my $N = $ENV{STRESS_CRASH_MESSAGES} // 10000;
my $KILLS = 20;
my $rec = tempdir('rec') . '/record';
my $sink = start_sink(record => $rec);
my $d = start_daemon(
    config_text => {
	listener => 'max_connections_per_ip = 0; max_connections = 200;',
	relayers => sink_relayer($sink, extra => 'pool_size = 8;'),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
	level => 'info',
    });

my $t0 = time;
my $load = load_start(port => $d->port, sessions => $N / 10, per => 10,
    parallel => 10, tag => 'crash', retry => 300);
# The kills are paced by the load's progress, not by the clock: one each
# time another 1/(KILLS+1) of the messages has been acknowledged, so all
# of them strike during the load however fast this machine is.
my $kills = 0;
my $restart_ok = 1;
my $deadline = time + 300;
while ($kills < $KILLS && !defined SmarthostTest::reap($load->{pid}, 0)
    && time < $deadline) {
	if (load_acked($load) < ($kills + 1) * $N / ($KILLS + 1)) {
		sleep(0.02);
		next;
	}
	$d->kill9;
	$kills++;
	eval { $d->start; 1 } or do { $restart_ok = 0; last };
}
ok($restart_ok, "restarted after each of $kills kill -9");
my $st = load_wait($load, 400);
cmp_ok($kills, '>=', $KILLS, "killed $kills times during the load");
is($st->{failed} // -1, 0, 'the load got every message acknowledged');
my $r = delivery_check($load->{acked}, $rec, 180);
is($r->{acked}, $N, "$N messages acknowledged");
is($r->{lost}, 0, 'none lost (per recipient)');
is($r->{corrupt}, 0, 'every body delivered is the one sent');
figures('crash', %$r, refused => $st->{refused} // -1, kills => $kills,
    seconds => int(time - $t0));
ok($d->alive, 'daemon running');
$d->stop;
$sink->stop;
done_testing();
