#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# client-deadlines.t -- the SMTP client's deadlines towards a downstream
# server that dribbles (issue #16 item 1): connect_timeout covers the
# whole greeting and command_timeout a whole reply, however many bytes or
# complete continuation lines trickle in meanwhile.  An idle timer that
# each byte restarts would wait for ever (a reply dripped a byte per
# 100 ms, an EHLO reply of endless "250-" lines).  The DATA write path's
# deadline (data_timeout against a server that reads a byte per 100 ms)
# is t/stress/hostile.t's slow-read mode: it needs an 8 MiB message.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $port = free_port();

my $fake = bless { host => '127.0.0.1', port => $port }, 'SmarthostTest::Sink';
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($fake, extra => 'pool_size = 1; '
	    . 'connect_timeout = "2s"; command_timeout = "2s"; '
	    . 'data_timeout = "3s";'),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1h";',
	level => 'info',
    });

# mode, what the deferral must say, and how long the dribble would last
# if each byte restarted the timer (the reply is complete only then).
for my $case (
    [ 'slow', qr/timeout after 2s waiting for the greeting/,
	'a greeting dripped a byte per 100 ms (2.4 s in all)' ],
    [ 'slow-reply', qr/timeout after 2s waiting for the reply to EHLO/,
	'an EHLO reply dripped a byte per 100 ms (4.8 s in all)' ],
    [ 'endless-ehlo', qr/timeout after 2s waiting for the reply to EHLO/,
	'an EHLO reply of a "250-" line every 200 ms, never ending' ]) {
	my ($mode, $want, $what) = @$case;
	my $h = start_hostile($port, $mode);
	my $off = $d->log_size;
	my $t0 = time;
	my $r = send_mail(port => $d->port, from => 'a@src.test',
	    to => "r-$mode\@dest.test", data => "Subject: $mode\r\n\r\nx\r\n");
	ok($r->{ok}, "$mode: accepted");
	my ($line) = $d->wait_log(qr/^(.*deferred .*r-\Q$mode\E\@dest\.test.*)$/m,
	    15, after => $off);
	my $el = time - $t0;
	like($line // '', $want, "$mode: $what: cut at the deadline");
	# Generous against a loaded machine, but short of the 4.8 s the
	# dripped EHLO reply needs and of any end for the endless one.
	cmp_ok($el, '<', 4.5, sprintf('%s: deferred after %.1f s (deadline '
	    . '2 s)', $mode, $el));
	stop_child($h);
}

ok($d->alive, 'daemon still running');
$d->stop;
unlike($d->log, qr/runtime error|AddressSanitizer|LeakSanitizer/,
    'no sanitizer report');
done_testing();
