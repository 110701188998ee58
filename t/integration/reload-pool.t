#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# reload-pool.t -- a reload keeps the connection pool of a relayer whose
# settings did not change (issue #16): 20 SIGHUPs between bursts of mail
# cost the sink no new connection.  A relayer whose settings changed
# drains: its connections finish (a transaction in flight too), say QUIT,
# and new ones serve the new settings.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use SmarthostTest;

my $sink = start_sink();
my %ct = (
    relayers => sink_relayer($sink, extra => 'pool_size = 2; '
	. 'idle_timeout = "60s";'),
    routing => 'default_relayer = "sink";',
    queue => 'retry_interval = "1s";',
    level => 'debug',
);
my $d = start_daemon(config_text => \%ct);

my $n = 0;
sub burst {
	my ($k) = @_;
	for (1 .. $k) {
		$n++;
		my $r = send_mail(port => $d->port, from => 'a@src.test',
		    to => "r$n\@dest.test",
		    data => "Subject: m$n\r\n\r\nbody $n\r\n");
		return 0 unless $r->{ok};
	}
	return scalar(() = $sink->wait_messages($n, 20)) >= $n;
}

ok(burst(4), 'first burst delivered');
my $before = $sink->connections;
cmp_ok($before, '<=', 2, "at most pool_size connections ($before)");

my $all = 1;
for my $i (1 .. 20) {
	my $off = $d->log_size;
	$d->signal('HUP');
	$all = 0 unless $d->wait_log(qr/reloaded /, 5, after => $off);
	$all = 0 unless burst(3);
}
ok($all, '20 reloads, each followed by 3 messages, all delivered');
is($sink->messages, $n, "all $n messages at the sink");
# The pool may grow to pool_size when two deliveries overlap (the first
# burst can open one connection or two), but a rebuilt pool would open a
# new connection at every reload: 21 or more, and QUITs at the sink.
my $mid = $sink->connections;
cmp_ok($mid, '<=', 2,
    'no new connection across 20 reloads of an unchanged relayer '
    . '(at most pool_size in all)')
    or diag "connections: $mid (after the first burst: $before)";
is(scalar(grep { / QUIT$/ } $sink->commands), 0,
    'no pooled connection was closed by a reload');
like($d->log, qr/relayer sink unchanged: connections kept/,
    'logged as kept');

# Change the relayer: its old connections drain (QUIT), new ones open.
$ct{relayers} = sink_relayer($sink, extra => 'pool_size = 2; '
    . 'idle_timeout = "60s"; command_timeout = "4m";');
$d->rewrite(config_text => \%ct);
my $off = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/reloaded /, 5, after => $off), 'changed relayer: reloaded');
ok(burst(3), 'changed relayer: mail still delivered');
cmp_ok($sink->connections, '>', $mid,
    'changed relayer: new connections opened');
my @quits = grep { / QUIT$/ } $sink->commands;
ok(wait_for(sub {
	@quits = grep { / QUIT$/ } $sink->commands;
	scalar @quits >= $mid;
}, 10), 'changed relayer: the old connections said QUIT')
    or diag join("\n", $sink->commands);

# A transaction in flight when its relayer changes is finished on its
# connection, not cut: the sink holds the reply to the final dot for 3 s
# (slowdot), the reload comes meanwhile; the message is delivered once,
# at its first attempt, and that connection then says QUIT.
{
	my $data0 = grep { / DATA$/ } $sink->commands;
	my $r = send_mail(port => $d->port, from => 'a@src.test',
	    to => 'slowdot@dest.test', data => "Subject: inflight\r\n\r\nx\r\n");
	ok($r->{ok}, 'in flight: accepted');
	ok(wait_for(sub { (grep { / DATA$/ } $sink->commands) > $data0 }, 10),
	    'in flight: the sink has the DATA');
	sleep(0.5);
	$ct{relayers} = sink_relayer($sink, extra => 'pool_size = 2; '
	    . 'idle_timeout = "60s"; command_timeout = "5m";');
	$d->rewrite(config_text => \%ct);
	my $off = $d->log_size;
	$d->signal('HUP');
	ok($d->wait_log(qr/reloaded /, 5, after => $off),
	    'in flight: reloaded with the relayer changed');
	my ($m) = grep { $_->{data} =~ /^Subject: inflight\r$/m }
	    $sink->wait_messages($n + 1, 15);
	ok($m, 'in flight: the message arrived');
	my $conn = $m ? $m->{json}{connection} : -1;
	like($d->log, qr/delivered id=\Q$r->{id}\E .*attempt=1\b/,
	    'in flight: delivered at its first attempt');
	unlike($d->log, qr/deferred id=\Q$r->{id}\E/, 'in flight: never deferred');
	is(scalar(grep { /slowdot/ } $sink->transactions), 1,
	    'in flight: delivered once');
	ok(wait_for(sub { grep { $_ eq "$conn QUIT" } $sink->commands }, 10),
	    "in flight: its connection ($conn) then said QUIT")
	    or diag join("\n", $sink->commands);
}

ok($d->alive, 'daemon still running');
$d->stop;
$sink->stop;
done_testing();
