#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# robustness.t -- bad input gets a clear error and nothing else (behaviour.md
# promise 4): random bytes, huge lines in commands and in DATA, clients
# vanishing mid-command and mid-DATA never crash or wedge the daemon, and it
# still accepts and delivers a normal message afterwards.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	listener => 'max_message_size = "4M"; timeout = "5s";',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

srand(12345);
sub junk { join('', map { chr(int(rand(256))) } 1 .. $_[0]) }

# Random bytes as commands: every reply well-formed, or a close.
my $s = smtp_session(port => $d->port);
$s->reply;
$s->send(junk(200_000) . "\r\nQUIT\r\n");
my ($n, $bad, $last) = (0, 0, 0);
while (my $r = $s->reply(5)) {
	$n++;
	$bad++ if $r->{bad};
	$last = $r->{code};
	last if $r->{code} == 221 || $r->{code} == 421;
}
ok($last == 221 || $last == 421 || $s->wait_eof(1),
    "random bytes: ends with QUIT or a close (last reply $last)");
is($bad, 0, "random bytes: $n replies, all well-formed");
$s->close;
ok($d->alive, 'alive after random bytes');

# A 1 MB command line without an end, then one with.
$s = smtp_session(port => $d->port);
$s->start_ehlo;
$s->send('MAIL FROM:<' . ('a' x 1_000_000));
$s->send(">\r\n");
my $r = $s->reply(5);
ok($r && $r->{code} == 500, '1 MB command line: 500') or diag explain $r;
is(($s->cmd('NOOP') // {})->{code}, 250, 'session goes on');
$s->cmd('QUIT');
$s->close;

# Very long lines in DATA: accepted (or refused cleanly), never bare CR/LF
# downstream.
$s = smtp_session(port => $d->port);
$s->start_ehlo;
my $long = "Subject: long lines\r\n\r\n" . ('x' x 5000) . "\r\n"
    . ('y' x 100_000) . "\r\nend\r\n";
$r = $s->mail(from => 's@x.test', to => 'long@y.test', data => $long);
ok($r && $r->{code} =~ /^(250|5\d\d)$/, 'long DATA lines: 250 or a clean 5xx')
    or diag explain $r;
my $long_ok = $r && $r->{code} == 250;
$s->cmd('QUIT');
$s->close;

# Clients that vanish: mid-command, mid-DATA, right after DATA.
for my $i (1 .. 10) {
	my $c = smtp_session(port => $d->port);
	$c->reply;
	if ($i % 3 == 0) {
		$c->send('EHLO half');
	} elsif ($i % 3 == 1) {
		$c->send("EHLO x\r\nMAIL FROM:<s\@x.test>\r\nRCPT TO:<v$i\@y.test>\r\nDATA\r\n");
		$c->replies(4, 5);
		$c->send("Subject: vanish\r\n\r\n" . ('v' x 50_000));
	} else {
		$c->send("EHLO x\r\nMAIL FROM:<s\@x.test>\r\nRCPT TO:<w$i\@y.test>\r\nDATA\r\n");
	}
	$c->close;
}
sleep 1;
ok($d->alive, 'alive after clients vanished');

# Still serving: a normal message goes through.
my $res = send_mail(port => $d->port, from => 's@x.test', to => 'fine@y.test',
    data => "Subject: still fine\n\nok\n");
ok($res->{ok}, 'normal message accepted afterwards') or diag explain $res;
ok(wait_for(sub { grep { $_->{json}{rcpt_tos}[0] eq 'fine@y.test' }
    $sink->messages }, 10), 'and delivered');
ok(!grep({ $_->{json}{rcpt_tos}[0] =~ /^[vw]\d/ } $sink->messages),
    'no message from a vanished client was delivered');
if ($long_ok) {
	ok(wait_for(sub { grep { $_->{json}{rcpt_tos}[0] eq 'long@y.test' }
	    $sink->messages }, 10), 'long-line message delivered');
	my ($m) = grep { $_->{json}{rcpt_tos}[0] eq 'long@y.test' } $sink->messages;
	ok($m && no_bare_line_ends($m->{data}), 'long-line message: no bare CR/LF');
}
is($d->stop, 0, 'SIGTERM: exit status 0');
done_testing();
