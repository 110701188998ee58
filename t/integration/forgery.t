#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# forgery.t -- #19 item 8: what a client or a local user writes cannot
# forge a mail log field, a log line or a Received: clause.  A quoted local
# part that imitates " to=<victim> status=sent" stays inside its from=
# value; a file name with a newline in incoming/ stays on one line; an
# EHLO name such as "x.test)(by.trusted.example" reaches the Received:
# header visibly but inert.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	level => 'info',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });

# key=value fields of one log line, values bare or in double quotes with
# \" \\ \xHH escapes (doc/logging.md); the event name first.
sub fields {
	my ($line) = @_;
	$line =~ s/^.*?smarthostd: //;
	my ($event, $rest) = $line =~ /^(\S+) (.*)$/ or return ();
	my @f = ([ event => $event ]);
	while ($rest =~ /\G([a-z_-]+)=("(?:[^"\\]|\\.)*"|[^ "]*)(?: |\z)/gc) {
		my ($k, $v) = ($1, $2);
		if ($v =~ s/^"(.*)"$/$1/) {
			$v =~ s/\\x([0-9a-f]{2})/chr(hex($1))/ge;
			$v =~ s/\\(["\\])/$1/g;
		}
		push @f, [ $k, $v ];
	}
	return () unless (pos($rest) // 0) == length($rest);
	return @f;
}

# 1. A quoted local part that imitates fields.
my $evil = '"x> to=<victim@a.b> status=sent"@b.test';
my $s = smtp_session(port => $d->port);
$s->start_ehlo('x.test)(by.trusted.example');
my $r = $s->mail(from => $evil, to => 'rcpt@dest.test',
    data => "Subject: forged\r\n\r\nbody\r\n");
is($r && $r->{code}, 250, 'the quoted sender is accepted (it is legal)')
    or diag explain $r;
$s->cmd('QUIT');
$s->close;

my $line = $d->wait_log(qr/^.*\bdelivered\b.*$/m, 15);
ok($line, 'delivered') or diag $d->log;
my @f = fields($line // '');
ok(@f, 'the delivered line parses as key=value fields') or diag $line;
my %n;
$n{$_->[0]}++ for @f;
is($n{to}, 1, 'exactly one to= field');
is($n{status}, 1, 'exactly one status= field');
my ($from) = map { $_->[1] } grep { $_->[0] eq 'from' } @f;
is($from, "<$evil>", 'from= holds the whole sender, unescaped back exactly');
my ($to) = map { $_->[1] } grep { $_->[0] eq 'to' } @f;
is($to, '<rcpt@dest.test>', 'to= is the real recipient');
unlike($d->log, qr/from=<"x> to=<victim/, 'the sender is not logged raw');

# 2. The HELO name in Received:.
$sink->wait_messages(1, 10);
my ($m) = $sink->messages;
my ($rcv) = ($m->{data} // '') =~ /^(Received: .*?\r\n)(?![ \t])/s;
ok($rcv, 'a Received: header') or diag $m->{data};
like($rcv // '', qr/^Received: from x\.test\?\?by\.trusted\.example \(unknown \[127\.0\.0\.1\]\)/,
    'the HELO name is kept, its parentheses shown as ?');
unlike($rcv // '', qr/\)\(by\.trusted/, 'it cannot close our comment');

# 3. A file name with a newline in incoming/: one log line, escaped.
my $inc = $d->spool . '/incoming';
SKIP: {
	skip 'no incoming/ directory', 2 unless -d $inc;
	my $name = "$inc/msg.forged\n2026-01-01T00:00:00.000Z smarthostd: delivered id=FAKE to=<ceo\@corp.test> status=sent";
	open(my $fh, '>', "$inc/t.forged") or die "$inc/t.forged: $!";
	print $fh "not an envelope\n";
	close($fh);
	rename("$inc/t.forged", $name) or die "rename: $!";
	ok($d->wait_log(qr/msg\.forged\\x0a2026-01-01T00:00:00\.000Z smarthostd: delivered/, 10),
	    'the file name is logged with its newline escaped') or diag $d->log;
	unlike($d->log, qr/^\S+ smarthostd: delivered id=FAKE/m,
	    'no forged delivered line');
}

# 4. Other line ends: a UTF-8 LINE SEPARATOR (U+2028) and a tab, which a
# log viewer may show as a new line or a field break.  In the HELO name
# (refused), an SMTPUTF8 sender, and (a tab) an incoming/ file name.
my $ls = "\xe2\x80\xa8";
$s = smtp_session(port => $d->port);
$r = $s->start_ehlo("ls.test${ls}delivered");
isnt($r && $r->{code}, 250, 'an EHLO name with U+2028 is refused');
$s->cmd('EHLO ls.test');
$r = $s->mail(from => "x${ls}y\@b.test", to => 'ls@dest.test',
    mail_params => 'SMTPUTF8', data => "Subject: ls\r\n\r\nbody\r\n");
is($r && $r->{code}, 250, 'a sender with U+2028 is accepted (SMTPUTF8)')
    or diag explain $r;
$s->cmd('QUIT');
$s->close;
$line = $d->wait_log(qr/^.*\bdelivered\b.*ls\@dest\.test.*$/m, 15);
ok($line, 'delivered') or diag $d->log;
like($line // '', qr/from="<x\\xe2\\x80\\xa8y\@b\.test>"/,
    'U+2028 in the sender is escaped, the value quoted');
@f = fields($line // '');
%n = ();
$n{$_->[0]}++ for @f;
is($n{to}, 1, 'still exactly one to= field');
SKIP: {
	skip 'no incoming/ directory', 1 unless -d $inc;
	open(my $fh, '>', "$inc/t.tab") or die "$inc/t.tab: $!";
	print $fh "not an envelope\n";
	close($fh);
	rename("$inc/t.tab", "$inc/msg.tab\tstatus=sent") or die "rename: $!";
	ok($d->wait_log(qr/msg\.tab\\x09status=sent/, 10),
	    'a tab in a file name is logged as \\x09') or diag $d->log;
}
unlike($d->log, qr/[\t]|\xe2\x80\xa8/, 'no raw tab or U+2028 anywhere in the log');

is($d->stop, 0, 'daemon exits cleanly');
done_testing();
