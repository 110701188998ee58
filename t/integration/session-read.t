#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# session-read.t -- the server session's own read path on a plain
# connection (smtp_session_rx.c, #18 item 3): one read(2) per readiness
# into the input, with what the bufferevent did kept.  A client that
# pipelines far more than the 64 KiB input limit while reading none of
# its replies is paused and resumed without losing a command; a 1 MB message sent in one write arrives whole; a client that
# shuts down its sending side after QUIT still gets every reply (end of
# file after the input).  Reading stays on while a commit is in flight:
# what the client pipelines after the end of data is answered only after
# the message's 250, and a commit longer than the timeout is not a
# client's timeout.
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
is(reply_codes($s->cmd('QUIT')), '221', 'the session goes on: QUIT');
$s->close;

# 2. A 1 MB message in one write.
my $line = ('x' x 78) . "\r\n";
my $body = "Subject: big\r\n\r\n" . ($line x 13_000);
$s = smtp_session(port => $d->port, timeout => 30);
$s->start_ehlo('read.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<big\@y.test>\r\nDATA\r\n");
is(reply_codes($s->replies(3)), '250 250 354', 'MAIL RCPT DATA');
ok($s->send("$body.\r\nQUIT\r\n"), '1 MB of body, the dot and QUIT in one write');
is(reply_codes($s->replies(2)), '250 221', '250 then 221');
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
is(reply_codes($s->replies(5)), '250 250 354 250 221',
    'half-closed after QUIT: every reply');
ok($s->wait_eof(5), 'then the daemon closes');
$s->close;
ok($sink->wait_messages(2, 20) >= 2, 'the half-closed client\'s message delivered');

# 4. The end of data and 20,000 NOOPs (120 KB, more than the input
# limit) in one write: reading goes on while the commit is in flight,
# stops at the limit, and no NOOP is answered before the 250 of the
# message.
$n = 20_000;
$s = smtp_session(port => $d->port, timeout => 30);
$s->start_ehlo('read.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<commit\@y.test>\r\nDATA\r\n");
is(reply_codes($s->replies(3)), '250 250 354', 'MAIL RCPT DATA');
ok($s->send("Subject: commit\r\n\r\nbody\r\n.\r\n" . ("NOOP\r\n" x $n)
    . "QUIT\r\n"), 'the end of data, NOOPs and QUIT in one write');
my $first = $s->reply(30);
like($first ? $first->{raw} : '', qr/^250 2\.0\.0 Ok: queued as \S+\r\n\z/,
    'the first reply is the message\'s 250');
($ok, $bad) = (0, 0);
for (1 .. $n) {
	my $r = $s->reply(30);
	last unless $r;
	$r->{code} == 250 && $r->{last} !~ /queued/ ? $ok++ : $bad++;
}
is($ok, $n, "then $n replies to the NOOPs");
is($bad, 0, 'and nothing else');
is(reply_codes($s->reply), '221', 'then the 221 to QUIT');
$s->close;

ok($d->alive, 'daemon alive');
$d->stop;

# 5. A commit that takes longer than the listener's timeout (the test
# hook holds the first group's directory fsync): the client's next
# command, sent meanwhile, is read but not answered, and the read
# timeout does not end the session, which is waiting on the spool, not
# on the client.
$ENV{SMARTHOSTD_TEST_COMMIT_PAUSE} = 1;
my $p = start_daemon(
    config_text => {
	listener => 'timeout = "2s";',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });
delete $ENV{SMARTHOSTD_TEST_COMMIT_PAUSE};
ok($p->wait_log(qr/test hook SMARTHOSTD_TEST_COMMIT_PAUSE=1 set/, 5),
    'the commit hook is on');
$s = smtp_session(port => $p->port);
$s->start_ehlo('read.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<slow\@y.test>\r\nDATA\r\n");
is(reply_codes($s->replies(3)), '250 250 354', 'MAIL RCPT DATA');
$off = $p->log_size;
$s->send("Subject: slow\r\n\r\nbody\r\n.\r\n");
ok($p->wait_log(qr/test hook: group 1 .*waits/, 10, after => $off),
    'the commit is held');
ok($s->send("NOOP\r\n"), 'a NOOP while the commit is held');
my $r = $s->reply(4);
ok(!defined $r, 'no reply for twice the timeout: neither the NOOP\'s nor a 421')
    or diag($r->{raw});
ok(!$s->{eof}, 'and the connection is open');
unlike(substr($p->log, $off), qr/timeout/, 'no timeout logged');
$s->close;
$p->kill9;

done_testing();
