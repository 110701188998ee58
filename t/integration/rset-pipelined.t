#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# rset-pipelined.t -- the RSET between messages on a reused connection
# (behaviour.md: "RSET between messages").  To a next hop that offers
# PIPELINING it leads the MAIL group instead of costing a round trip of
# its own (RFC 2920 3.1; issue #18, W3); to one that does not, it goes
# alone, as before.  t/lib/hostile.py's rset-* modes tell the two apart:
# after a RSET they wait up to 1 s for the next command before replying,
# which only a pipelined group delivers.  A RSET refused inside the group
# leaves the delivery untouched: it goes again on a new connection and
# arrives once.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my %hostile;
for my $mode (qw(rset-watch rset-watch-nopipe rset-refuse)) {
	my $port = free_port();
	my $log = tempdir($mode) . '/log';
	my $pid = start_hostile($port, $mode, $log);
	$hostile{$mode} = { port => $port, log => $log, pid => $pid };
}

sub relayer {
	my ($name, $mode) = @_;
	return sprintf('{ name = "%s"; type = "smtp"; host = "127.0.0.1"; '
	    . 'port = %d; tls = "none"; pool_size = 1; }', $name,
	    $hostile{$mode}{port});
}

my $d = start_daemon(
    config_text => {
	relayers => join(', ', relayer('pipe', 'rset-watch'),
	    relayer('nopipe', 'rset-watch-nopipe'),
	    relayer('refuse', 'rset-refuse')),
	routing => q{
	    default_relayer = "pipe";
	    rules = (
	      { recipient_domain = "n.test"; relayer = "nopipe"; },
	      { recipient_domain = "r.test"; relayer = "refuse"; }
	    );
	},
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
    });

# Three messages to each next hop in one session: each relayer has one
# connection, so messages two and three reuse it.
my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
for my $dom (qw(p.test n.test r.test)) {
	for my $i (1 .. 3) {
		my $r = $s->mail(from => 's@x.test', to => "m$i\@$dom",
		    data => "Subject: $i to $dom\r\n\r\nbody $i\r\n");
		is($r->{code}, 250, "m$i\@$dom accepted");
	}
}
$s->cmd('QUIT');
$s->close;

sub notes {
	my ($mode) = @_;
	my $t = -e $hostile{$mode}{log} ? slurp($hostile{$mode}{log}) : '';
	return split /\n/, $t;
}

sub delivered {
	my ($mode) = @_;
	return grep { /^delivered / } notes($mode);
}

for my $mode (sort keys %hostile) {
	ok(wait_for(sub { delivered($mode) >= 3 }, 30),
	    "$mode: three messages delivered")
	    or diag join("\n", notes($mode));
}
sleep(1);	# a duplicate would show by now

my @n = notes('rset-watch');
is(scalar(grep { /^RSET\+MAIL$/ } @n), 2,
    'PIPELINING: both RSETs came with their MAIL, in one group')
    or diag join("\n", @n);
is(scalar(grep { /^RSET alone$/ } @n), 0, '... none alone');

@n = notes('rset-watch-nopipe');
is(scalar(grep { /^RSET alone$/ } @n), 2,
    'no PIPELINING: each RSET alone, answered before MAIL')
    or diag join("\n", @n);
is(scalar(grep { /^RSET\+/ } @n), 0, '... none with a command after it');

@n = notes('rset-refuse');
ok(scalar(grep { /^RSET refused$/ } @n) >= 1,
    'refused RSETs were met') or diag join("\n", @n);
ok(!grep({ /^RSET alone$/ } @n), '... each in a group with its MAIL');
for my $mode (sort keys %hostile) {
	my @dl = delivered($mode);
	my %seen;
	$seen{$_}++ for @dl;
	is(scalar(@dl), 3, "$mode: each message once (no duplicate)")
	    or diag join("\n", @dl);
	is(scalar(keys %seen), 3, "$mode: three different messages");
}
ok(!$d->queued, 'nothing left queued');
ok($d->log !~ /\b(?:deferred|bounced)\b/,
    'no delivery deferred or bounced: a refused RSET touches none');
is($d->stop, 0, 'SIGTERM: exit status 0');
stop_child($_->{pid}) for values %hostile;
done_testing();
