#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# slowloris.t -- issue #16's slowloris: with max_connections = 50 and
# timeout = "5s", clients that drip one byte a second into a command line
# or a message body (or just sit idle) cannot hold the slots: a normal
# client gets a message through within timeout + 1 s, and every one of
# them is cut by its deadline (an idle timer cuts only the idle ones:
# with one, the dripping clients keep their slots).  The attackers come
# from many loopback addresses (127.0.2.x), so max_connections_per_ip is
# not what saves the day here; the deadlines are.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use SlowClients;

my $T = 5;
my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	listener => qq{max_connections = 50; timeout = "${T}s";},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	level => 'info',
    });
my @attackers = map { "127.0.2.$_" } 1 .. 100;

sub round {
	my ($name, @sets) = @_;
	my $held = 0;
	$held += $_->count for @sets;
	cmp_ok($held, '>=', 50, "$name: attackers hold every slot ($held)");
	# Drip on all sets between the normal client's tries.
	my $all = bless { socks => [ map { @{ $_->{socks} } }
	    grep { $_->{mode} ne 'idle' } @sets ], mode => 'line' },
	    'SlowClients::Set';
	my $t0 = time;
	my ($t, $refused) = normal_client_through(port => $d->port,
	    drip => $all, step => 1, limit => 3 * $T);
	ok(defined $t, "$name: a normal client got through");
	cmp_ok($t // 99, '<=', $T + 1,
	    "$name: within timeout + 1 s (took " . sprintf('%.1f', $t // 99)
	    . " s, refused $refused times)");
	(my $tag = $name) =~ s/[^a-z0-9]+/-/g;
	diag(sprintf("figures: slowloris-%s through_seconds=%.1f refused=%d",
	    $tag, $t // -1, $refused));
	# None keeps its slot past its deadline, however it behaves.
	for my $set (grep { $_->count } @sets) {
		ok(wait_for(sub { $all->drip; $set->live == 0 }, $T + 1, 0.3),
		    "$name: every $set->{mode} client that held a slot was cut");
	}
	$_->close_all for @sets;
	sleep(0.5);
}

round('50 line drippers',
    slow_clients(port => $d->port, n => 50, mode => 'line',
	local => \@attackers));
round('50 body drippers',
    slow_clients(port => $d->port, n => 50, mode => 'data',
	local => \@attackers));
# 200 idle and 200 dripping: the first 25 of each take the 50 slots (so
# both kinds hold some), the other 350 meet a full listener.
{
	my @sets = map {
		slow_clients(port => $d->port, n => 25, mode => $_,
		    local => \@attackers)
	} 'idle', 'line';
	my @extra = map {
		slow_clients(port => $d->port, n => 175, mode => $_,
		    local => \@attackers)
	} 'idle', 'line';
	ok($sets[0]->count > 0 && $sets[1]->count > 0, sprintf('200 idle + 200 '
	    . 'line drippers: both hold slots (%d idle, %d dripping; %d more '
	    . 'let in)', $sets[0]->count, $sets[1]->count,
	    $extra[0]->count + $extra[1]->count));
	round('200 idle + 200 line drippers', @sets, @extra);
}

my $s = smtp_session(port => $d->port);
is($s->reply(5)->{code}, 220, 'daemon answers after the attack');
$s->cmd('QUIT');
ok($d->alive, 'daemon still running');
ok($sink->wait_messages(3, 20) >= 3, 'the normal clients\' mail delivered');
$d->stop;
$sink->stop;
done_testing();
