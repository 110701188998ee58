#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# pipelining.t -- RFC 2920: commands sent in one write are all answered, in
# order; the body and the next transaction's commands may share a write.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# One transaction: MAIL RCPT RCPT DATA in one write, then body + QUIT.
my $s = smtp_session(port => $d->port);
my $e = $s->start_ehlo('pipe.test');
like($e->{text}, qr/^PIPELINING$/m, 'PIPELINING advertised');
ok($s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<a\@y.test>\r\n"
    . "RCPT TO:<b\@y.test>\r\nDATA\r\n"), 'one write: MAIL RCPT RCPT DATA');
my @r = $s->replies(4);
is(reply_codes(@r), '250 250 250 354', 'answered in order');
$s->send("Subject: pipelined 1\r\n\r\nbody one\r\n.\r\nQUIT\r\n");
@r = $s->replies(2);
is(reply_codes(@r), '250 221', 'body and QUIT in one write: 250 then 221');
like($r[0]{last} // '', qr/^2\.0\.0 Ok: queued as \S+$/, 'queued as <id>');
ok($s->wait_eof(5), 'closed after QUIT');
$s->close;

# Two transactions back to back: the end of one and the commands of the
# next in the same write.
$s = smtp_session(port => $d->port);
$s->start_ehlo('pipe.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<c\@y.test>\r\nDATA\r\n");
@r = $s->replies(3);
is(reply_codes(@r), '250 250 354', 'first transaction');
$s->send("Subject: pipelined 2\r\n\r\nbody two\r\n.\r\n"
    . "MAIL FROM:<t\@x.test>\r\nRCPT TO:<d\@z.test>\r\nRCPT TO:<e\@z.test>\r\n"
    . "DATA\r\n");
@r = $s->replies(5);
is(reply_codes(@r), '250 250 250 250 354',
    'end of data + MAIL RCPT RCPT DATA answered in order');
my $id2 = ($r[0]{last} // '') =~ /queued as (\S+)/ ? $1 : undef;
$s->send("Subject: pipelined 3\r\n\r\nbody three\r\n.\r\nRSET\r\nNOOP\r\n"
    . "QUIT\r\n");
@r = $s->replies(4);
is(reply_codes(@r), '250 250 250 221', 'end of data + RSET NOOP QUIT');
my $id3 = ($r[0]{last} // '') =~ /queued as (\S+)/ ? $1 : undef;
ok(defined $id2 && defined $id3 && $id2 ne $id3, 'two distinct queue ids');
$s->close;

# Errors inside a pipelined group are answered in place.
$s = smtp_session(port => $d->port);
$s->start_ehlo('pipe.test');
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<foo\@>\r\nRCPT TO:<f\@y.test>\r\n"
    . "BOGUS\r\nDATA\r\n");
@r = $s->replies(5);
is(reply_codes(@r), '250 501 250 500 354', 'a bad RCPT and an unknown verb in a group');
$s->send("Subject: pipelined 4\r\n\r\nbody four\r\n.\r\n");
is(reply_codes($s->reply), '250', 'message with the good recipient queued');

# No valid recipient: DATA fails, and the lines after it are commands.
$s->send("MAIL FROM:<s\@x.test>\r\nRCPT TO:<foo\@>\r\nDATA\r\nNOOP\r\n");
@r = $s->replies(4);
is(reply_codes(@r[0, 1]), '250 501', 'MAIL ok, RCPT bad');
ok($r[2] && $r[2]{code} =~ /^5[05]\d$/ && $r[2]{code} != 354,
    'DATA without a valid recipient fails') or diag explain $r[2];
is(reply_codes($r[3]), '250', 'the NOOP after it is a command, not data');
is(reply_codes($s->cmd('QUIT')), '221', 'QUIT');
$s->close;

# A burst of 50 NOOPs in one write gets 50 replies.
$s = smtp_session(port => $d->port);
$s->start_ehlo('pipe.test');
$s->send("NOOP\r\n" x 50);
@r = $s->replies(50);
is(scalar(grep { $_ && $_->{code} == 250 } @r), 50, '50 pipelined NOOPs');
$s->cmd('QUIT');
$s->close;

# What arrived.
my @m = $sink->wait_messages(4, 10);
is(scalar @m, 4, 'four messages delivered');
my %by = map { ($_->{data} =~ /Subject: (pipelined \d)/)[0] // '?' => $_ } @m;
is_deeply([ sort @{$by{'pipelined 1'}{json}{rcpt_tos} // []} ],
    [ 'a@y.test', 'b@y.test' ], 'message 1: both recipients');
is_deeply($by{'pipelined 2'}{json}{rcpt_tos}, [ 'c@y.test' ],
    'message 2: its recipient');
is_deeply([ sort @{$by{'pipelined 3'}{json}{rcpt_tos} // []} ],
    [ 'd@z.test', 'e@z.test' ], 'message 3: its recipients');
is($by{'pipelined 3'}{json}{mail_from}, 't@x.test', 'message 3: its sender');
is_deeply($by{'pipelined 4'}{json}{rcpt_tos}, [ 'f@y.test' ],
    'message 4: only the good recipient');
my ($rcv, $rest) = split_received($by{'pipelined 2'}{data} // '');
is($rest, "Subject: pipelined 2\r\n\r\nbody two\r\n",
    'message 2 body intact (the pipelined commands are not in it)');
done_testing();
