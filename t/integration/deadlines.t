#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# deadlines.t -- a client cannot hold a session by dribbling (issue #16):
# a command line must be complete within `timeout` of the previous reply,
# the message within a deadline that grows only at min_data_rate, and one
# address gets at most max_connections_per_ip sessions of a listener
# (421 4.7.0 beyond).  A small slowloris: 10 dripping clients fill
# max_connections = 10 and a normal client still gets through within
# timeout + 1 s.  The big one (50 clients, 5 s) is t/stress/slowloris.t.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use SlowClients;

my $sink = start_sink();
my ($p_drip, $p_ip) = (free_port(), free_port());
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "in"; address = "127.0.0.1"; port = \@PORT\@;
	      timeout = "2s"; max_connections_per_ip = 0; },
	    { name = "drip"; address = "127.0.0.1"; port = $p_drip;
	      timeout = "2s"; max_connections = 10;
	      max_connections_per_ip = 0; },
	    { name = "perip"; address = "127.0.0.1"; port = $p_ip;
	      max_connections_per_ip = 3; }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

sub greeted {
	my (%o) = @_;
	my $s = smtp_session(port => $o{port} // $d->port, local => $o{local});
	my $r = $s->reply(5);
	return ($s, $r);
}

# Wait for a reply while dripping $byte every $step seconds.
sub drip_until_reply {
	my ($s, $byte, $step, $limit) = @_;
	my $t0 = time;
	while (time - $t0 < $limit) {
		my $r = $s->reply($step);
		return ($r, time - $t0) if $r;
		return (undef, time - $t0) if $s->{eof};
		$s->send($byte) or return (undef, time - $t0);
	}
	return (undef, time - $t0);
}

# 1. A command line dripped a byte every 0.3 s: 421 within 2 s + slack.
{
	my ($s, $g) = greeted();
	is($g->{code}, 220, 'line drip: greeted');
	my ($r, $t) = drip_until_reply($s, 'N', 0.3, 8);
	ok($r && $r->{code} == 421, 'line drip: 421') or diag explain $r;
	is($r && $r->{enh}, '4.4.2', 'line drip: 4.4.2');
	cmp_ok($t, '<=', 3.0, 'line drip: cut within timeout + 1 s');
	cmp_ok($t, '>=', 1.5, 'line drip: not before the timeout');
	ok($s->wait_eof(3), 'line drip: closed');
	close($s->sock);
}

# 2. Complete commands, each well within the timeout of the previous
#    reply, keep a session alive however long it lasts.
{
	my ($s) = greeted();
	my $all = 1;
	for (1 .. 3) {
		sleep(1.3);
		my $r = $s->cmd('NOOP', 3);
		$all = 0 unless $r && $r->{code} == 250;
	}
	ok($all, 'three NOOPs 1.3 s apart (3.9 s > timeout) all answered');
	$s->cmd('QUIT');
	close($s->sock);
}

# 3. A message body dripped a byte every 0.3 s: 421 within 2 s + slack of
#    the 354, nothing queued.
{
	my ($s) = greeted();
	$s->cmd('EHLO drip.test');
	$s->cmd('MAIL FROM:<a@drip.test>');
	$s->cmd('RCPT TO:<b@dest.test>');
	my $r = $s->cmd('DATA');
	is($r && $r->{code}, 354, 'data drip: 354');
	my $t;
	($r, $t) = drip_until_reply($s, 'x', 0.3, 8);
	ok($r && $r->{code} == 421, 'data drip: 421') or diag explain $r;
	cmp_ok($t, '<=', 3.0, 'data drip: cut within timeout + 1 s');
	ok($s->wait_eof(3), 'data drip: closed');
	close($s->sock);
	like($d->log, qr/reason=deadline state=DATA/, 'data drip: logged');
}

# 4. A message sent at 10 kB/s for 4 s (twice the timeout) is above
#    min_data_rate (500 octets/s): accepted.
{
	my ($s) = greeted();
	$s->cmd('EHLO fast.test');
	$s->cmd('MAIL FROM:<a@fast.test>');
	$s->cmd('RCPT TO:<b@dest.test>');
	my $r = $s->cmd('DATA');
	$s->send("Subject: steady\r\n\r\n");
	my $line = ('y' x 998) . "\r\n";
	for (1 .. 40) {
		$s->send($line);
		sleep(0.1);
	}
	$r = $s->cmd('.', 10);
	is($r && $r->{code}, 250, 'steady 10 kB/s for 4 s: accepted')
	    or diag explain $r;
	$s->cmd('QUIT');
	close($s->sock);
}

# 5. max_connections_per_ip = 3: the fourth from 127.0.0.1 gets 421 4.7.0,
#    another address still gets in, and a slot freed is a slot again.
{
	my @s;
	for (1 .. 3) {
		my ($s, $g) = greeted(port => $p_ip);
		is($g && $g->{code}, 220, "perip: connection $_ greeted");
		push @s, $s;
	}
	my ($s4, $g4) = greeted(port => $p_ip);
	is($g4 && $g4->{code}, 421, 'perip: fourth from 127.0.0.1 refused');
	is($g4 && $g4->{enh}, '4.7.0', 'perip: 4.7.0');
	ok($s4->wait_eof(3), 'perip: and closed');
	close($s4->sock);
	my ($o, $go) = greeted(port => $p_ip, local => '127.0.0.2');
	is($go && $go->{code}, 220, 'perip: 127.0.0.2 still gets in');
	close($o->sock);
	like($d->log, qr/client=127\.0\.0\.1 listener=perip reason=too_many_connections_from_ip/,
	    'perip: refusal logged with the address');
	$s[0]->cmd('QUIT');
	$s[0]->wait_eof(3);
	close($s[0]->sock);
	my $again;
	ok(wait_for(sub {
		my ($s, $g) = greeted(port => $p_ip);
		my $ok = $g && $g->{code} == 220;
		close($s->sock);
		return $ok;
	}, 5), 'perip: a freed slot serves 127.0.0.1 again');
	close($_->sock) for @s;
}

# 6. Slowloris in small: 10 clients dripping command lines fill
#    max_connections = 10 (timeout 2 s); a normal client gets a message
#    through within timeout + 1 s.  Then the same with bodies.
for my $mode ('line', 'data') {
	my $set = slow_clients(port => $p_drip, n => 10, mode => $mode);
	is($set->count, 10, "$mode slowloris: 10 clients hold every slot");
	my ($t, $refused) = normal_client_through(port => $p_drip,
	    drip => $set, step => 0.3, limit => 8);
	ok(defined $t, "$mode slowloris: a normal client got through");
	cmp_ok($t // 99, '<=', 3.0,
	    "$mode slowloris: within timeout + 1 s (refused $refused times)");
	ok(wait_for(sub { $set->drip; $set->live == 0 }, 5, 0.3),
	    "$mode slowloris: every dripping client was cut");
	$set->close_all;
}

ok($d->alive, 'daemon still running');
$d->stop;
$sink->stop;
done_testing();
