#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# harness.t -- the test harness itself, without the daemon: the sink stores
# what it is sent byte for byte and answers as the other tests expect, and
# the raw SMTP session, Net::SMTP and swaks helpers work.  When this fails,
# the other integration tests cannot be trusted.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
ok($sink->pid, 'sink started');

# Raw session: EHLO keywords, then one message with a dot-stuffed line.
my $s = smtp_session(port => $sink->port);
my $e = $s->start_ehlo('harness.test');
is($e->{code}, 250, 'sink EHLO');
like($e->{text}, qr/^PIPELINING$/m, 'sink advertises PIPELINING');
like($e->{text}, qr/^8BITMIME$/m, 'sink advertises 8BITMIME');
my $body = "Subject: raw\r\n\r\n.leading dot\r\n..two dots\r\n.\r\n"
    . "8bit \xe9\xff\r\n" . ("x" x 2000) . "\r\nlast";
my $r = $s->mail(from => 'a@x.test', to => [ 'b@y.test', 'c@y.test' ],
    data => $body);
is($r->{code}, 250, 'raw message accepted');
is($s->cmd('QUIT')->{code}, 221, 'QUIT');
ok($s->wait_eof(5), 'closed after QUIT');

my @m = $sink->wait_messages(1, 5);
is(scalar @m, 1, 'one message stored');
is($m[0]{data}, "$body\r\n", 'stored bytes equal the body sent, unstuffed');
is($m[0]{json}{mail_from}, 'a@x.test', 'envelope sender');
is_deeply($m[0]{json}{rcpt_tos}, [ 'b@y.test', 'c@y.test' ], 'recipients');
is($m[0]{json}{helo}, 'harness.test', 'helo recorded');

# Per-recipient answers.
$s = smtp_session(port => $sink->port);
$s->start_ehlo;
is($s->cmd('MAIL FROM:<a@x.test>')->{code}, 250, 'MAIL');
is($s->cmd('RCPT TO:<tempfail@y.test>')->{code}, 451, 'tempfail* -> 451');
my $rr = $s->cmd('RCPT TO:<reject1@y.test>');
is($rr->{code}, 550, 'reject* -> 550');
is($rr->{enh}, '5.1.1', 'reject* -> 5.1.1');
is($s->cmd('RCPT TO:<datafail@y.test>')->{code}, 250, 'datafail* -> 250 at RCPT');
is($s->cmd('DATA')->{code}, 354, 'DATA');
$s->send("Subject: x\r\n\r\nbody\r\n.\r\n");
is($s->reply->{code}, 451, 'datafail* -> 451 at end of data');
$s->cmd('QUIT');
$s->close;
is($sink->count, 1, 'nothing stored for the failed transaction');

# The null reverse-path is stored as "".
my $res;
$s = smtp_session(port => $sink->port);
$s->start_ehlo;
$r = $s->mail(from => '', to => 'n@y.test', data => "Subject: null\r\n\r\nx\r\n");
is($r->{code}, 250, 'null sender accepted');
$s->close;
@m = $sink->wait_messages(2, 5);
is($m[1]{json}{mail_from}, '', 'null sender stored as ""');

# Net::SMTP and swaks.
$res = send_mail(port => $sink->port, from => 'n@x.test', to => 'm@y.test',
    data => "Subject: net smtp\n\nhello\n.dot\n");
ok($res->{ok}, 'Net::SMTP send') or diag explain $res;
my ($st, $out) = run_swaks('--server', '127.0.0.1:' . $sink->port,
    '--from', 's@x.test', '--to', 't@y.test', '--ehlo', 'swaks.test',
    '--body', 'hello from swaks');
is($st, 0, 'swaks exit 0') or diag $out;
@m = $sink->wait_messages(4, 5);
is(scalar @m, 4, 'four messages stored');
is($m[2]{data}, "Subject: net smtp\r\n\r\nhello\r\n.dot\r\n",
    'Net::SMTP message stored with CRLF, unstuffed');
like($m[3]{data}, qr/\r\n\r\nhello from swaks\r\n/, 'swaks body stored');
ok(no_bare_line_ends($m[$_]{data}), "message $_ has no bare CR/LF") for 0 .. 3;
cmp_ok($sink->connections, '>=', 5, 'connections counted');
$sink->stop;

# --fail-first and --fail-file.
my $ff = start_sink(fail_first => 1);
$res = send_mail(port => $ff->port, from => 'a@x.test', to => 'b@y.test',
    data => "Subject: 1\n\none\n");
ok(!$res->{ok} && $res->{code} == 451, '--fail-first 1: first gets 451');
$res = send_mail(port => $ff->port, from => 'a@x.test', to => 'b@y.test',
    data => "Subject: 2\n\ntwo\n");
ok($res->{ok}, '--fail-first 1: second succeeds');
is($ff->count, 1, 'one stored');
$ff->stop;

my $flag = tempdir('flag') . '/fail';
write_file($flag, '');
my $fs = start_sink(fail_file => $flag);
$res = send_mail(port => $fs->port, from => 'a@x.test', to => 'b@y.test',
    data => "Subject: 1\n\none\n");
ok(!$res->{ok} && $res->{code} == 451, '--fail-file present: RCPT 451');
unlink($flag);
$res = send_mail(port => $fs->port, from => 'a@x.test', to => 'b@y.test',
    data => "Subject: 2\n\ntwo\n");
ok($res->{ok}, '--fail-file removed: accepted');
$fs->stop;

# IPv6 sink, when there is ::1.
SKIP: {
	skip 'no ::1', 1 unless have_ipv6();
	my $s6 = start_sink(host => '::1');
	$res = send_mail(host => '::1', port => $s6->port, from => 'a@x.test',
	    to => 'b@y.test', data => "Subject: v6\n\nv6\n");
	ok($res->{ok}, 'sink on ::1 accepts');
	$s6->stop;
}

done_testing();
