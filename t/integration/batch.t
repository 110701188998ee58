#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# batch.t -- batch_handling splits one accepted transaction into queued
# messages: BifurcateAlways one per recipient, BatchByDomain one per
# lower-cased recipient domain, BatchByRoute one per route: for an smtp
# relayer every recipient routed to it, whatever the domain (issue 10
# item 1), for mx one per next-hop domain.  The client sees one reply for
# the whole transaction either way.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use Time::HiRes qw(sleep);

my $sink = start_sink();
my $sink2 = start_sink();
my $p_dom = free_port();
my $p_route = free_port();
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "bif"; address = "127.0.0.1"; port = \@PORT\@;
	      batch_handling = "BifurcateAlways"; },
	    { name = "dom"; address = "127.0.0.1"; port = $p_dom;
	      batch_handling = "BatchByDomain"; },
	    { name = "route"; address = "127.0.0.1"; port = $p_route;
	      batch_handling = "BatchByRoute"; }
	},
	relayers => join(', ', sink_relayer($sink),
	    sink_relayer($sink2, name => 'other'),
	    qq{{ name = "mx"; type = "mx"; tls = "none"; }}),
	routing => qq{
	    default_relayer = "sink";
	    rules = ( { recipient_domain = [ "one.test", "two.test" ];
			routing_domain = "hub.test"; },
		      { recipient_domain = "other.test"; relayer = "other"; },
		      { recipient_domain = [ "m1.test", "m2.test" ];
			relayer = "mx"; } );
	    domains = (
		{ domain = "m1.test"; mx_list = ( { name = "sink"; addr = "127.0.0.1"; port = @{[$sink->port]}; } ); },
		{ domain = "m2.test"; mx_list = ( { name = "sink"; addr = "127.0.0.1"; port = @{[$sink->port]}; } ); }
	    );
	},
	queue => 'retry_interval = "1s";',
    });

# One transaction, raw, so that the client's replies can be counted.
sub one_transaction {
	my ($port, $tag, @rcpts) = @_;
	my $s = smtp_session(port => $port);
	$s->start_ehlo('batch.test');
	$s->cmd('MAIL FROM:<s@x.test>');
	$s->cmd("RCPT TO:<$_>") for @rcpts;
	$s->cmd('DATA');
	my $body = "Subject: $tag\r\n\r\nbatch body $tag\r\n";
	$s->send("$body.\r\nQUIT\r\n");
	my @r;
	while (my $x = $s->reply(10)) {
		push @r, $x;
		last if $x->{code} == 221 || @r > 5;
	}
	$s->close;
	is(join(' ', map { $_->{code} } @r), '250 221',
	    "$tag: one reply for the transaction");
	my ($id) = ($r[0]{last} // '') =~ /^2\.0\.0 Ok: queued as (\S+)$/;
	ok(defined $id, "$tag: queued as <id>");
	return ($body, $id);
}

# The sinks' transactions for one tag, as sorted recipient lists.
sub groups {
	my ($tag, $n) = @_;
	my $re = qr/^Subject: \Q$tag\E\r$/m;
	my $all = sub { grep { $_->{data} =~ $re } $sink->messages,
	    $sink2->messages };
	wait_for(sub { $n <= $all->() }, 10);
	sleep 0.5;	# any extra copy would show up now
	my @m = $all->();
	return (join(' | ', sort map { join(',', sort @{$_->{json}{rcpt_tos}}) } @m),
	    @m);
}

sub check_bodies {
	my ($tag, $body, @m) = @_;
	my $ok = @m && !grep {
		my ($rcv, $rest) = split_received($_->{data});
		!defined $rcv || $rest ne $body;
	} @m;
	ok($ok, "$tag: every copy has a Received: header and the same body");
}

# Issue 17 item 5: each copy's Received: carries its own queue id, the one
# the log gives it; the first is the id in the 250 reply.
sub check_ids {
	my ($tag, $id, @m) = @_;
	my @ids = map {
		my ($rcv) = split_received($_->{data});
		($rcv // '') =~ /\bid ([0-9A-F]+)\b/ ? $1 : '';
	} @m;
	my %seen = map { $_ => 1 } grep { length } @ids;
	is(scalar(keys %seen), scalar(@m), "$tag: a distinct id in each copy")
	    or diag "ids: @ids";
	ok($seen{$id // ''}, "$tag: the reply's id is one of them");
	# The copy's own id: the log delivers exactly its recipients under it
	# (a copy carrying a sibling's id would name the sibling's).
	my $mine = 0;
	for my $i (0 .. $#m) {
		my $want = join(',', sort @{$m[$i]{json}{rcpt_tos}});
		wait_for(sub { $d->log =~ /\bdelivered id=\Q$ids[$i]\E /
		    && $ids[$i] ne '' }, 10);
		my @to = sort $d->log =~
		    /\bdelivered id=\Q$ids[$i]\E \S+ from=\S+ to=<([^>]*)>/g;
		$mine++ if $ids[$i] ne '' && join(',', @to) eq $want;
	}
	is($mine, scalar(@m), "$tag: each is the id the log gives that copy")
	    or diag $d->log;
}

my ($body, $id) = one_transaction($d->port, 'bifurcate',
    'a@one.test', 'b@one.test', 'c@two.test');
my ($g, @m) = groups('bifurcate', 3);
is($g, 'a@one.test | b@one.test | c@two.test',
    'BifurcateAlways: one transaction per recipient');
check_bodies('bifurcate', $body, @m);
check_ids('bifurcate', $id, @m);

($body, $id) = one_transaction($p_dom, 'bydomain',
    'a@One.test', 'b@one.TEST', 'c@two.test');
($g, @m) = groups('bydomain', 2);
is($g, 'a@One.test,b@one.TEST | c@two.test',
    'BatchByDomain: one transaction per domain, case-insensitive');
check_bodies('bydomain', $body, @m);
check_ids('bydomain', $id, @m);
is(scalar(grep { $_->{json}{mail_from} eq 's@x.test' } @m), 2,
    'BatchByDomain: sender kept on every part');

# The issue's case: three domains, two routed to one smarthost and one to
# another relayer: exactly two transactions downstream.
($body, $id) = one_transaction($p_route, 'byroute',
    'a@one.test', 'd@three.test', 'x@other.test', 'e@three.test');
($g, @m) = groups('byroute', 2);
is($g, 'a@one.test,d@three.test,e@three.test | x@other.test',
    'BatchByRoute: one transaction per smarthost, whatever the domains');
is(scalar @m, 2, 'BatchByRoute: exactly two transactions downstream');
check_bodies('byroute', $body, @m);
check_ids('byroute', $id, @m);

# mx: one transaction per next-hop domain, even to the same host.
($body, $id) = one_transaction($p_route, 'bymx',
    'a@m1.test', 'b@m2.test', 'c@m1.test');
($g, @m) = groups('bymx', 2);
is($g, 'a@m1.test,c@m1.test | b@m2.test',
    'BatchByRoute, mx: one transaction per next-hop domain');
done_testing();
