#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# chunking.t -- CHUNKING (RFC 3030) on the server: BDAT with the same
# limits, streaming and durability as DATA; pipelined chunks; BDAT 0 LAST;
# a line "." inside a chunk is data; no mixing with DATA; a failed BDAT's
# chunk is still read as data (never as commands); an unreadable size
# closes the session; a client that announces more than it sends is timed
# out.  Raw sockets, so every byte is ours.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	listener => 'max_message_size = 1000; timeout = "3s";',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });

sub session {
	my $s = smtp_session(port => $d->port);
	$s->greeting;
	return $s;
}

my $s = session();
my $kw = ehlo_keywords($s->cmd('EHLO client.test'));
ok(exists $kw->{CHUNKING}, 'EHLO offers CHUNKING');

# Two chunks, a CRLF split between them, a lone "." line inside.
my $c1 = "Subject: chunked\r\n\r\nline one\r\n.\r\nline";
my $c2 = " two\r\n..dots stay\r\n";
is($s->cmd('MAIL FROM:<a@client.test>')->{code}, 250, 'MAIL');
is($s->cmd('RCPT TO:<b@far.test>')->{code}, 250, 'RCPT');
$s->send('BDAT ' . length($c1) . "\r\n$c1");
my $r = $s->reply;
is($r->{code}, 250, 'first chunk: 250');
like($r->{text}, qr/\b${\ length($c1)} octets/, 'first chunk: octets counted');
$s->send('BDAT ' . length($c2) . " LAST\r\n$c2");
$r = $s->reply;
is($r->{code}, 250, 'BDAT LAST: 250');
like($r->{text}, qr/queued as [0-9A-F]+/, 'BDAT LAST names the queue id');
my @m = $sink->wait_messages(1, 10);
my ($body) = ($m[0]{data} // '') =~ /\r\n\r\n(.*)\z/s;
is($body, "line one\r\n.\r\nline two\r\n..dots stay\r\n",
    'delivered byte for byte: the "." line and ".." are data');

# Pipelined: everything in one write, BDAT 0 LAST at the end.
sub bdat { my ($data, $last) = @_;
	return 'BDAT ' . length($data) . ($last ? ' LAST' : '') . "\r\n$data" }
$s->send("MAIL FROM:<a\@client.test>\r\nRCPT TO:<c\@far.test>\r\n"
    . bdat("Subject: p\r\n") . bdat("\r\nbody\r\n") . bdat('', 1));
my @codes = map { $s->reply->{code} } 1 .. 5;
is_deeply(\@codes, [ 250, 250, 250, 250, 250 ], 'pipelined: five replies in order');
@m = $sink->wait_messages(2, 10);
like($m[1]{data} // '', qr/Subject: p\r\n\r\nbody\r\n\z/, 'pipelined message intact');

# No final line end: one is added.
$s->send("MAIL FROM:<a\@client.test>\r\nRCPT TO:<e\@far.test>\r\n"
    . bdat("Subject: e\r\n\r\nend", 1));
@codes = map { $s->reply->{code} } 1 .. 3;
is($codes[2], 250, 'a message without a final line end: accepted');
@m = $sink->wait_messages(3, 10);
like($m[2]{data} // '', qr/\r\n\r\nend\r\n\z/, '... stored with one');

# DATA after BDAT in one transaction.
$s->cmd('MAIL FROM:<a@client.test>');
$s->cmd('RCPT TO:<d@far.test>');
$s->send(bdat("ab\r\n"));
is($s->reply->{code}, 250, 'a chunk');
$r = $s->cmd('DATA');
is($r->{code}, 503, 'DATA after BDAT: 503');
is($r->{enh}, '5.5.1', '... 5.5.1');
is($s->cmd('RSET')->{code}, 250, 'RSET');

# A BDAT that fails still has its chunk read as data, not as commands.
$s->send(bdat("QUIT\r\n"));
$r = $s->reply;
is($r->{code}, 503, 'BDAT without MAIL: 503');
is($s->cmd('NOOP')->{code}, 250,
    'the chunk "QUIT" was data: the session goes on');

# Over max_message_size (1000): read to the end, then 552.
$s->cmd('MAIL FROM:<a@client.test>');
$s->cmd('RCPT TO:<big@far.test>');
my $big = ("x" x 98 . "\r\n") x 15;
$s->send('BDAT ' . length($big) . " LAST\r\n$big");
$r = $s->reply;
is($r->{code}, 552, 'over max_message_size: 552');
is($r->{enh}, '5.3.4', '... 5.3.4');
is($s->cmd('NOOP')->{code}, 250, 'and the session goes on');
$s->cmd('QUIT');
$s->close;
sleep(1);
is($sink->count, 3, 'nothing refused was delivered');

# An unreadable size: 501, then the session is closed.
$s = session();
$s->cmd('EHLO client.test');
$r = $s->cmd('BDAT 12x');
is($r->{code}, 501, 'BDAT 12x: 501');
ok($s->wait_eof(5), 'and the connection is closed (the chunk has no end)');
$s->close;

# More announced than sent: the deadline closes it.
$s = session();
$s->cmd('EHLO client.test');
$s->cmd('MAIL FROM:<a@client.test>');
$s->cmd('RCPT TO:<slow@far.test>');
my $t0 = time;
$s->send("BDAT 100000\r\nonly a little");
ok($s->wait_eof(15), 'a chunk that never comes: closed');
my $el = time - $t0;
ok($el >= 2 && $el < 12, sprintf('after the timeout (%.1f s)', $el));
$s->close;
is($sink->count, 3, 'nothing half-sent was delivered');

$d->stop;
unlike($d->log, qr/runtime error|AddressSanitizer|LeakSanitizer/,
    'no sanitizer report');
done_testing();
