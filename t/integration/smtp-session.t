#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# smtp-session.t -- the SMTP server's dialogue (behaviour.md, "SMTP
# server"): greeting, EHLO keywords, every command, errors for wrong order
# and bad syntax, limits (line length, SIZE, recipients, connections, idle
# timeout), and enhanced status codes on every reply that must have one.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use Time::HiRes qw(time);

my $sink = start_sink();
my $port2 = free_port();
my $max = 10000;
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "in"; address = "127.0.0.1"; port = \@PORT\@;
	      max_message_size = $max; max_recipients = 3; },
	    { name = "lim"; address = "127.0.0.1"; port = $port2;
	      max_connections = 2; timeout = "2s"; }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# Every reply but the greeting, the EHLO/HELO reply and 354 carries an
# enhanced status code whose class matches the reply code.
my @no_enh;
sub reply_is {
	my ($r, $code, $enh, $name) = @_;
	if (!$r) {
		fail("$name: no reply");
		return;
	}
	is($r->{code}, $code, "$name: $code") or diag $r->{raw};
	if (defined $enh) {
		is($r->{enh}, $enh, "$name: $enh");
	}
	return $r;
}
sub check_enh {
	my ($r, $what) = @_;
	return unless $r && $r->{code};
	return if $r->{code} == 354;
	my $class = substr($r->{code}, 0, 1);
	push @no_enh, "$what: $r->{raw}"
	    unless defined $r->{enh} && substr($r->{enh}, 0, 1) eq $class;
}
sub cmd {
	my ($s, $line, $code, $enh, $name) = @_;
	my $r = $s->cmd($line);
	check_enh($r, $line);
	return reply_is($r, $code, $enh, $name // $line);
}

# Greeting and EHLO.
my $s = smtp_session(port => $d->port);
my $g = $s->reply;
reply_is($g, 220, undef, 'greeting');
like($g->{last}, qr/^relay\.test\b/, 'greeting names the hostname');
my $e = $s->cmd('EHLO client.test');
reply_is($e, 250, undef, 'EHLO');
my @kw = @{$e->{lines}};
like($kw[0], qr/^relay\.test\b/, 'EHLO reply starts with the hostname');
my %kw = map { (split / /, uc $_, 2)[0] => $_ } @kw[1 .. $#kw];
is($kw{SIZE}, "SIZE $max", 'SIZE <max_message_size>');
ok(exists $kw{$_}, "EHLO advertises $_")
    for qw(PIPELINING 8BITMIME SMTPUTF8 ENHANCEDSTATUSCODES);
ok(!exists $kw{STARTTLS}, 'no STARTTLS on a plain listener');
ok(!exists $kw{AUTH}, 'no AUTH without TLS');

cmd($s, 'NOOP', 250, '2.0.0');
cmd($s, 'noop', 250, undef, 'verbs are case-insensitive');
cmd($s, 'RSET', 250, '2.0.0');
my $h = $s->cmd('HELP');
check_enh($h, 'HELP');
ok($h && $h->{code} =~ /^2(14|11|50)$/, 'HELP answers 2xx') or diag explain $h;
my $v = cmd($s, 'VRFY postmaster', 252);
like($v->{enh} // '', qr/^2\./, 'VRFY 252 has an enhanced code');
cmd($s, 'VRFY someone@relay.test', 252, undef, 'VRFY user: 252');

# Unknown command and wrong order.
cmd($s, 'FOO bar', 500, '5.5.1', 'unknown command');
cmd($s, 'RCPT TO:<a@x.test>', 503, '5.5.1', 'RCPT before MAIL');
cmd($s, 'DATA', 503, '5.5.1', 'DATA before MAIL');
cmd($s, 'MAIL FROM:<s@x.test>', 250, undef, 'MAIL');
cmd($s, 'DATA', 503, '5.5.1', 'DATA before RCPT');
cmd($s, 'MAIL FROM:<s@x.test>', 503, '5.5.1', 'MAIL twice');
cmd($s, 'RSET', 250, '2.0.0', 'RSET ends the transaction');
cmd($s, 'RCPT TO:<a@x.test>', 503, '5.5.1', 'RCPT after RSET');

# Bad syntax.
cmd($s, 'MAIL TO:<s@x.test>', 501, '5.5.4', 'MAIL without FROM:');
cmd($s, 'MAIL FROM:<foo@>', 501, '5.1.7', 'bad sender address');
cmd($s, 'MAIL FROM:<s@x.test>', 250, undef, 'MAIL after errors');
cmd($s, 'RCPT TO:<foo@>', 501, '5.1.3', 'bad recipient address');
cmd($s, 'RCPT TO:a@x.test', 501, undef, 'RCPT without brackets');
cmd($s, 'DATA now', 501, '5.5.4', 'DATA with an argument');
cmd($s, 'RSET', 250, '2.0.0');
cmd($s, "NOOP\0hidden", 501, '5.5.4', 'NUL byte in a command');
cmd($s, 'NOOP', 250, '2.0.0', 'session goes on after NUL');
cmd($s, 'MAIL FROM:<>', 250, undef, 'null reverse-path');
cmd($s, 'RCPT TO:<postmaster>', 250, undef, '<postmaster> without domain');
cmd($s, 'RSET', 250, '2.0.0');

# Command line length: 512 octets with CRLF is the most allowed.
my $r = $s->cmd('NOOP ' . ('x' x (512 - 7)));
check_enh($r, 'NOOP 512');
ok($r && !($r->{code} == 500 && ($r->{enh} // '') eq '5.5.2'),
    '512-octet line is not too long') or diag explain $r;
cmd($s, 'NOOP ' . ('x' x (513 - 7)), 500, '5.5.2', '513-octet line');
cmd($s, 'NOOP ' . ('y' x 595), 500, '5.5.2', '600-octet line');
cmd($s, 'NOOP', 250, '2.0.0', 'session goes on after a long line');
cmd($s, 'MAIL FROM:<s@x.test> ' . ('z' x 5000), 500, '5.5.2',
    '5000-octet MAIL line');
cmd($s, 'RCPT TO:<a@x.test>', 503, '5.5.1', 'the long MAIL did nothing');

# SIZE.
cmd($s, 'MAIL FROM:<s@x.test> SIZE=' . ($max + 1), 552, '5.3.4',
    'MAIL SIZE= over the maximum');
cmd($s, 'MAIL FROM:<s@x.test> SIZE=' . $max, 250, undef,
    'MAIL SIZE= at the maximum');
cmd($s, 'RSET', 250, '2.0.0');

# A body over the maximum: refused at the end of data, session goes on.
cmd($s, 'MAIL FROM:<s@x.test>', 250);
cmd($s, 'RCPT TO:<big@y.test>', 250);
cmd($s, 'DATA', 354);
my $big = "Subject: big\r\n\r\n" . (("b" x 70 . "\r\n") x 400);
$s->send($big . ".\r\n");
$r = $s->reply;
check_enh($r, 'end of big data');
reply_is($r, 552, '5.3.4', 'body over max_message_size');
cmd($s, 'NOOP', 250, '2.0.0', 'session goes on after 552');

# max_recipients = 3.
cmd($s, 'MAIL FROM:<s@x.test>', 250);
cmd($s, "RCPT TO:<r$_\@y.test>", 250, undef, "recipient $_") for 1 .. 3;
cmd($s, 'RCPT TO:<r4@y.test>', 452, '4.5.3', 'recipient over max_recipients');
cmd($s, 'RSET', 250, '2.0.0');

# HELO on a fresh session; QUIT.
cmd($s, 'QUIT', 221, '2.0.0');
ok($s->wait_eof(5), 'closed after QUIT');
$s = smtp_session(port => $d->port);
$s->reply;
$r = $s->cmd('HELO client.test');
reply_is($r, 250, undef, 'HELO');
like($r->{last} // '', qr/^relay\.test\b/, 'HELO reply names the hostname');
cmd($s, 'MAIL FROM:<s@x.test>', 250, undef, 'MAIL after HELO');
cmd($s, 'QUIT', 221, '2.0.0');
$s->close;

# A second EHLO resets the transaction.
$s = smtp_session(port => $d->port);
$s->start_ehlo;
cmd($s, 'MAIL FROM:<s@x.test>', 250);
$s->cmd('EHLO again.test');
cmd($s, 'RCPT TO:<a@x.test>', 503, '5.5.1', 'EHLO resets the transaction');
cmd($s, 'QUIT', 221, '2.0.0');
$s->close;

# max_connections = 2 on "lim": the third gets 421 4.3.2 and is closed.
my $c1 = smtp_session(port => $port2);
my $c2 = smtp_session(port => $port2);
reply_is($c1->reply, 220, undef, 'lim: first connection');
reply_is($c2->reply, 220, undef, 'lim: second connection');
my $c3 = smtp_session(port => $port2);
$r = $c3->reply(5);
check_enh($r, '421 over max_connections');
reply_is($r, 421, '4.3.2', 'lim: third connection refused');
ok($c3->wait_eof(5), 'lim: third connection closed');
$c3->close;
$c1->cmd('QUIT');
$c1->wait_eof(5);
$c1->close;
my $c4;
ok(wait_for(sub {
	$c4 = smtp_session(port => $port2, quiet => 1) or return 0;
	my $g4 = $c4->reply(3);
	return 1 if $g4 && $g4->{code} == 220;
	$c4->close;
	return 0;
}, 5), 'lim: a connection is accepted again once one closed');

# Idle timeout on "lim" (2 s): 421 4.4.2 and closed.
my $t0 = time;
$r = $c4->reply(8);
check_enh($r, 'idle timeout');
reply_is($r, 421, '4.4.2', 'idle timeout');
ok($c4->wait_eof(3), 'closed after the idle timeout');
cmp_ok(time - $t0, '>=', 1, 'not before the timeout');
$c2->close;

# A timeout in the middle of DATA is a timeout too.
my $c5 = smtp_session(port => $port2);
$c5->start_ehlo;
$c5->cmd('MAIL FROM:<s@x.test>');
$c5->cmd('RCPT TO:<a@y.test>');
is($c5->cmd('DATA')->{code}, 354, 'lim: DATA');
$c5->send("Subject: stalled\r\n\r\npartial line");
$r = $c5->reply(8);
reply_is($r, 421, '4.4.2', 'idle timeout during DATA');
ok($c5->wait_eof(3), 'closed after the DATA timeout');
$c5->close;

ok($d->alive, 'daemon still running');
is(scalar(@no_enh), 0, 'every reply has a matching enhanced status code')
    or diag join("\n", @no_enh);
is($sink->count, 0, 'nothing was delivered by these sessions');

is($d->stop, 0, 'SIGTERM: exit status 0');
done_testing();
