#!/usr/bin/perl
# pool-cap.t -- pool_size is a hard cap (issue #10, item 3): at no moment
# does the relayer have more than pool_size connections open at the sink,
# counting connections being set up and connections being closed (QUIT
# sent, socket not yet closed).  1,000 messages over 200 client sessions;
# max_deliveries_per_connection = 7 and idle_timeout = 1s make the pool
# close and reopen connections all the time, which is where a QUIT'd
# connection used to leave its place before its socket was closed.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

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
done_testing();
