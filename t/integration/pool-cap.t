#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# pool-cap.t -- pool_size is a hard cap (issue #10, item 3): at no moment
# does the relayer have more than pool_size connections open at the sink,
# counting connections being set up and connections being closed (QUIT
# sent, socket not yet closed).  1,000 messages over 200 client sessions;
# max_deliveries_per_connection = 7 and idle_timeout = 1s make the pool
# close and reopen connections all the time, which is where a QUIT'd
# connection used to leave its place before its socket was closed.
# Then the same cap while reloads change the relayer: the old pool's
# connections (finishing, then QUIT) count against the new pool's.  Then
# an mx relayer: the cap per destination address.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use SmarthostTest;
use StressCheck;

my $sink = start_sink();
my $POOL = 3;
my $d = start_daemon(
    config_text => {
	listener => 'max_connections_per_ip = 0;',
	relayers => sink_relayer($sink, extra => "pool_size = $POOL; "
	    . 'max_deliveries_per_connection = 7; idle_timeout = "1s";'),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
	level => 'info',
    });

my ($rc, $out, $err) = run_bounded(150, SmarthostTest::python3(),
    SmarthostTest::srcdir() . '/t/lib/load.py', '--port', $d->port,
    '--sessions', 200, '--per-session', 5, '--parallel', 20,
    '--tag', 'cap');
my ($json) = $out =~ /(\{.*\})/;
my $st = $json ? JSON::PP->new->decode($json) : {};
is($st->{acked}, 1000, '1,000 messages acknowledged over 200 sessions')
    or diag "$out\n$err";
my @m = $sink->wait_messages(1000, 120);
is(scalar @m, 1000, 'all 1,000 delivered');
my $max = SmarthostTest::slurp($sink->dir . '/max_concurrent') // 0;
chomp $max;
cmp_ok($max, '<=', $POOL, "at most pool_size = $POOL connections at once "
    . "at the sink (saw $max)");
cmp_ok($sink->connections, '>', 1000 / 7 - 1,
    'connections were closed and reopened (max_deliveries_per_connection)');
diag("sink: $max connections at most at once, " . $sink->connections
    . ' in all');
ok($d->alive, 'daemon still running');
$d->stop;
$sink->stop;

# Reloads that change the relayer during a load.
my $rec = tempdir('rec') . '/record';
my $sink2 = start_sink(record => $rec);
my %ct = (
    listener => 'max_connections_per_ip = 0;',
    routing => 'default_relayer = "sink";',
    queue => 'retry_interval = "1s";',
    level => 'info',
);
sub relayer_with {
	my ($t) = @_;
	return sink_relayer($sink2, extra => "pool_size = $POOL; "
	    . "idle_timeout = \"30s\"; command_timeout = \"${t}s\";");
}
my $d2 = start_daemon(config_text => { %ct, relayers => relayer_with(300) });
my $load = load_start(port => $d2->port, sessions => 100, per => 5,
    parallel => 20, tag => 'capreload', retry => 30);
for my $i (1 .. 8) {
	sleep(0.4);
	$d2->rewrite(config_text => { %ct,
	    relayers => relayer_with(200 + $i) });
	$d2->signal('HUP');
}
my $st2 = load_wait($load, 120);
is($st2->{acked}, 500, '500 messages acknowledged during 8 changing reloads');
my $c = delivery_check($load->{acked}, $rec, 60);
is($c->{lost}, 0, 'all delivered');
my $max2 = SmarthostTest::slurp($sink2->dir . '/max_concurrent') // 0;
chomp $max2;
my $reloads = () = $d2->log =~ /reloaded /g;
cmp_ok($max2, '<=', $POOL, "at most pool_size = $POOL connections at once "
    . "across $reloads reloads changing the relayer (saw $max2)");
cmp_ok($sink2->connections, '>', $POOL,
    'the changed relayer did open new connections');
$d2->stop;
$sink2->stop;

# mx: the cap is per destination address (issue #10 item 3), under the
# same churn.  The mx_list has two names at the sink's one address:
# whichever is used, their connections count against that address.
my $sink3 = start_sink();
my $MXPOOL = 2;
my $p3 = $sink3->port;
my $d3 = start_daemon(
    config_text => {
	listener => 'max_connections_per_ip = 0;',
	relayers => qq{{ name = "mx"; type = "mx"; tls = "none";
	    pool_size = $MXPOOL; max_deliveries_per_connection = 7;
	    idle_timeout = "1s"; }},
	routing => qq{default_relayer = "mx";
	    domains = ( { domain = "dest.test"; mx_list = (
		{ name = "mx1.test"; addr = "127.0.0.1"; port = $p3; },
		{ name = "mx2.test"; addr = "127.0.0.1"; port = $p3; } ); } );},
	queue => 'retry_interval = "1s";',
	level => 'info',
    });
($rc, $out, $err) = run_bounded(150, SmarthostTest::python3(),
    SmarthostTest::srcdir() . '/t/lib/load.py', '--port', $d3->port,
    '--sessions', 100, '--per-session', 5, '--parallel', 20,
    '--tag', 'capmx');
($json) = $out =~ /(\{.*\})/;
$st = $json ? JSON::PP->new->decode($json) : {};
is($st->{acked}, 500, 'mx: 500 messages acknowledged') or diag "$out\n$err";
@m = $sink3->wait_messages(500, 120);
is(scalar @m, 500, 'mx: all 500 delivered');
my $max3 = SmarthostTest::slurp($sink3->dir . '/max_concurrent') // 0;
chomp $max3;
cmp_ok($max3, '<=', $MXPOOL, "mx: at most pool_size = $MXPOOL connections "
    . "at once to the one address of two MX names (saw $max3)");
cmp_ok($sink3->connections, '>', 500 / 7 - 1,
    'mx: connections were closed and reopened');
$d3->stop;
$sink3->stop;
done_testing();
