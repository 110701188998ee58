#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# reload.t -- 500 SIGHUPs during a 5,000-message load: no client refused
# (no 421, no connection error), nothing lost (per recipient, with a body
# hash), the daemon's RSS flat, and the pool not rebuilt: the sink sees no
# more connections than pool_size (plus one per idle close) however many
# reloads there were.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use StressCheck;

my $N = $ENV{STRESS_RELOAD_MESSAGES} // 5000;
my $HUPS = $ENV{STRESS_RELOADS} // 500;
my $POOL = 4;
my $rec = tempdir('rec') . '/record';
my $sink = start_sink(record => $rec);
my $d = start_daemon(
    config_text => {
	listener => 'max_connections_per_ip = 0; max_connections = 200;',
	relayers => sink_relayer($sink, extra => "pool_size = $POOL; "
	    . 'idle_timeout = "5m"; max_deliveries_per_connection = 100000;'),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
	level => 'info',
    });

# Warm up with a load of the same shape and no reload, then take the RSS
# to compare with: the heap's high-water mark follows the backlog of a
# load (about 1 KiB per queued message, kept by malloc once freed), so
# after a 200-message warm-up a slow run's backlog alone broke "RSS
# flat" with a single reload (4,948 kB to 10,868 kB).  What is left to
# see after this one is what the reloads cost.
my $warm = load_start(port => $d->port, sessions => $N / 10, per => 10,
    parallel => 10, tag => 'warm', retry => 0);
load_wait($warm, 300);
delivery_check($warm->{acked}, $rec, 120);
my $rss0 = rss_kb($d->pid);

my $t0 = time;
my $load = load_start(port => $d->port, sessions => $N / 10, per => 10,
    parallel => 10, tag => 'hup', retry => 0);
my $hups = 0;
# Spread the reloads over the load's expected time (about 200/s here).
my $gap = ($N / 200) / $HUPS;
while ($hups < $HUPS) {
	$d->signal('HUP');
	$hups++;
	sleep($gap);
}
my $st = load_wait($load, 300);
my $r = delivery_check($load->{acked}, $rec, 120);
# Let the last reloads settle before measuring.
sleep(1);
my $rss1 = rss_kb($d->pid);
my $reloaded = () = $d->log =~ /reloaded /g;

# Two SIGHUPs that arrive before the loop has handled the first are one
# signal for the kernel: a few may merge while the daemon is busy.
cmp_ok($reloaded, '>=', $HUPS * 0.95,
    "$hups SIGHUPs sent, $reloaded reloads done (signals merge)");
is($st->{refused} // -1, 0, 'no session refused or cut during reloads');
is($st->{failed} // -1, 0, 'every message acknowledged');
is($r->{acked}, $N, "$N messages acknowledged");
is($r->{lost}, 0, 'none lost (per recipient)');
is($r->{corrupt}, 0, 'every body delivered is the one sent');
cmp_ok($rss1, '<=', $rss0 * 1.25 + 2048,
    "RSS flat: $rss0 kB before, $rss1 kB after");
cmp_ok($sink->connections, '<=', 2 * $POOL,
    'the pool was not rebuilt: ' . $sink->connections
    . " connections at the sink for $reloaded reloads");
figures('reload', %$r, refused => $st->{refused} // -1,
    reloads => $reloaded, rss_before_kb => $rss0, rss_after_kb => $rss1,
    connections => $sink->connections, seconds => int(time - $t0));
ok($d->alive, 'daemon running');
$d->stop;
$sink->stop;
done_testing();
