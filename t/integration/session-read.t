#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# session-read.t -- the server session's own read path on a plain
# connection (smtp_session_rx.c, #18 item 3): one read(2) per readiness
# into the input, with what the bufferevent did kept.  A client that
# pipelines far more than the 64 KiB input limit while reading none of
# its replies is paused and resumed without losing a command; a 1 MB message sent in one write arrives whole; a client that
# shuts down its sending side after QUIT still gets every reply (end of
# file after the input).
use strict;
use warnings;
use IO::Select;
use POSIX ();
use Socket qw(SHUT_WR);
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

sub codes { join(' ', map { $_ ? $_->{code} : 'none' } @_) }

# 1. 60,000 EHLOs (660 KB) written by a child while this side reads
# nothing for a second: about 10 MB of replies, more than the kernel's
# socket buffers hold, so the output passes its limit, reading stops
# and must start again.
my $n = 60_000;
my $s = smtp_session(port => $d->port, timeout => 60);
$s->start_ehlo('read.test');
my $off = $d->log_size;
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	# _exit: the parent's END blocks (stopping the daemon) are not ours.
	POSIX::_exit($s->send("EHLO read.test\r\n" x $n) ? 0 : 1);
}
sleep 1;
# The replies in bulk (reply() one at a time is too slow for so many).
my ($ok, $bad, $buf, $lines) = (0, 0, '', 0);
my $sel = IO::Select->new($s->sock);
while ($lines < $n && $sel->can_read(60)) {
	my $got = sysread($s->sock, $buf, 1 << 20, length $buf);
	last unless $got;
	my $end = rindex($buf, "\n") + 1;
	for my $l (split /\n/, substr($buf, 0, $end)) {
		next if $l =~ /\A250-/;
		$lines++;
		$l =~ /\A250 / ? $ok++ : $bad++;
	}
	$buf = substr($buf, $end);
}
waitpid($pid, 0);
is($? >> 8, 0, 'the writer got all its EHLOs through');
is($ok, $n, "$n pipelined EHLOs: $n replies of 250");
is($bad, 0, 'no other reply among them');
ok($d->wait_log(qr/client not reading replies, input paused/, 5,
    after => $off), 'reading was paused while the replies waited');
is(codes($s->cmd('QUIT')), '221', 'the session goes on: QUIT');
$s->close;

# 2. A 1 MB message in one write.
my $line = ('x' x 78) . "\r\n";
my $body = "Subject: big\r\n\r\n" . ($line x 13_000);
$s = smtp_session(port => $d->port, timeout => 30);
$s->start_ehlo('read.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<big\@y.test>\r\nDATA\r\n");
is(codes($s->replies(3)), '250 250 354', 'MAIL RCPT DATA');
ok($s->send("$body.\r\nQUIT\r\n"), '1 MB of body, the dot and QUIT in one write');
is(codes($s->replies(2)), '250 221', '250 then 221');
$s->close;
my @m = $sink->wait_messages(1, 20);
my ($big) = grep { ($_->{data} // '') =~ /^Subject: big\r$/m } @m;
my (undef, $got) = split_received($big ? $big->{data} : '');
is(length($got // ''), length($body), 'delivered: every octet');
ok(defined $got && $got eq $body, 'delivered: the same octets');

# 3. Everything, then the client shuts its sending side: every reply
# still comes (the end of file is read after the input, as before).
$s = smtp_session(port => $d->port);
$s->start_ehlo('read.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<half\@y.test>\r\nDATA\r\n"
    . "Subject: half\r\n\r\nhalf-closed\r\n.\r\nQUIT\r\n");
shutdown($s->sock, SHUT_WR);
is(codes($s->replies(5)), '250 250 354 250 221',
    'half-closed after QUIT: every reply');
ok($s->wait_eof(5), 'then the daemon closes');
$s->close;
ok($sink->wait_messages(2, 20) >= 2, 'the half-closed client\'s message delivered');

ok($d->alive, 'daemon alive');
done_testing();
