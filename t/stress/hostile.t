#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# hostile.t -- nine kinds of misbehaving downstream server (no banner,
# drop during DATA, 421 at connect, 452 to every RCPT, one byte per 100 ms,
# no reply to the final dot, one that reads the message a byte per
# 100 ms, and two that offer CHUNKING: 451 to every BDAT, and a drop in
# the middle of the chunk).  Against each: the daemon stays responsive (EHLO answered within
# a second), nothing is bounced or lost, and when a good server comes back
# on the same port everything is delivered.  Against the slow reader an
# 8 MiB message (more than the socket buffers hold) checks that the SMTP
# client's DATA write path has a deadline (data_timeout) too.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use StressCheck;
use Digest::SHA ();

my $M = $ENV{STRESS_HOSTILE_MESSAGES} // 20;
my $port = free_port();
my $rec = tempdir('rec') . '/record';

# The daemon relays to $port: whoever listens there.
my $fake = bless { host => '127.0.0.1', port => $port }, 'SmarthostTest::Sink';
my $d = start_daemon(
    config_text => {
	listener => 'max_connections_per_ip = 0;',
	relayers => sink_relayer($fake, extra => 'pool_size = 4; '
	    . 'connect_timeout = "2s"; command_timeout = "2s"; '
	    . 'data_timeout = "3s";'),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
	level => 'info',
    });

sub responsive {
	my $worst = 0;
	for (1 .. 5) {
		my $t = time;
		my $s = smtp_session(port => $d->port, timeout => 3);
		my $g = $s->reply(3);
		my $r = $s->cmd('EHLO probe.test', 3);
		$s->cmd('QUIT', 3);
		close($s->sock);
		return 99 unless $g && $g->{code} == 220 && $r &&
		    $r->{code} == 250;
		my $e = time - $t;
		$worst = $e if $e > $worst;
		sleep(0.5);
	}
	return $worst;
}

my $total = 0;
# One big message, acknowledged; its line for the acked list.
sub big_message {
	my $line = ('b' x 998) . "\r\n";
	my $body = $line x (8 * 1024 * 1024 / 1000);
	my $s = smtp_session(port => $d->port, timeout => 60);
	$s->start_ehlo('big.test');
	$s->cmd('MAIL FROM:<big@src.test>');
	$s->cmd('RCPT TO:<big@dest.test>');
	$s->cmd('DATA');
	$s->send("Message-ID: <big\@hostile.test>\r\n\r\n");
	$s->send($body);
	my $r = $s->cmd('.', 60);
	$s->cmd('QUIT');
	$s->close;
	return undef unless $r && $r->{code} == 250;
	return '<big@hostile.test> ' . Digest::SHA::sha256_hex($body)
	    . ' big@dest.test';
}

for my $mode ('no-banner', 'drop-data', '421', '452-rcpt', 'slow',
    'no-dot-reply', 'slow-read', 'bdat-451', 'bdat-drop') {
	my $h = start_hostile($port, $mode);
	my $off = $d->log_size;
	my $load = load_start(port => $d->port, sessions => $M / 5, per => 5,
	    parallel => 4, tag => "h-$mode", retry => 0);
	my $st = load_wait($load, 60);
	is($st->{acked} // 0, $M, "$mode: $M messages acknowledged");
	if ($mode eq 'slow-read') {
		my $big = big_message();
		ok($big, 'slow-read: an 8 MiB message acknowledged');
		open(my $fh, '>>', $load->{acked}) or die;
		print $fh "$big\n" if $big;
		close($fh);
		my $gave_up = qr/from=<big\@src\.test>.*
		    timeout\ after\ 3s\ during\ message\ transfer/x;
		ok($d->wait_log($gave_up, 60, after => $off),
		    'slow-read: the body write gave up at data_timeout');
	}
	# Let the hostile server have its way for a while.
	my $worst = responsive();
	cmp_ok($worst, '<', 1, "$mode: daemon responsive (worst EHLO "
	    . sprintf('%.2f', $worst) . ' s)');
	sleep(3);
	stop_child($h);
	my $sink = start_sink(port => $port, record => "$rec.$mode");
	my $r = delivery_check($load->{acked}, "$rec.$mode", 60);
	is($r->{lost}, 0, "$mode: everything delivered once a good server "
	    . 'is back');
	figures("hostile-$mode", %$r, refused => $st->{refused} // -1);
	$sink->stop;
	$total += $M;
}
my $rec_text = join('', map { slurp($_) // '' } glob("$rec.*"));
unlike($rec_text, qr/ load\@load\.test /, 'no bounce reached the sender');
unlike($d->log, qr/\b(bounced|expired)\b/, 'nothing bounced or expired');
ok($d->alive, 'daemon running');
$d->stop;
done_testing();
