#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# headers.t -- add_message_id and add_date: a missing Message-ID: or Date:
# is added exactly where the header section ends (before the empty line, or
# before the first line that is not a header, then an empty line), never
# twice, and at the end of a message that is all headers.  Header sections
# that end past the session's 16 KiB input chunk are tried at several
# lengths, so that the end falls on either side of a chunk boundary.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $d = start_daemon(
    config_text => {
	listener => 'add_message_id = true; add_date = true;',
	relayers => q{ { name = "box"; type = "maildir"; path = "@TMP@/Maildir"; } },
	routing => 'default_relayer = "box";',
    });
my $md = $d->dir . '/Maildir';
my $n = 0;

# Send one message; return what was stored, LF line ends, without the
# lines the daemon itself puts on top (Return-Path, Delivered-To, Received).
sub stored {
	my ($data) = @_;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	my $r = $s->mail(from => 'a@x.test', to => 'b@y.test', data => $data);
	$s->cmd('QUIT');
	$s->close;
	return undef unless $r && $r->{code} == 250;
	$n++;
	my @f = maildir_wait($md, $n, 10);
	return undef unless @f >= $n;
	# Files are named by time: the newest is the last one in order of mtime.
	my ($f) = sort { (stat($b))[9] <=> (stat($a))[9] || $b cmp $a } @f;
	my $c = slurp($f);
	unlink($f);
	$n--;
	$c =~ s/\A(?:(?:Return-Path|Delivered-To):[^\n]*\n)*//;
	$c =~ s/\AReceived:[^\n]*\n(?:[ \t][^\n]*\n)*//;
	return $c;
}

my $mid = qr/Message-ID: <[0-9A-F]{16}\@relay\.test>\n/;
my $date = qr/Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\n/;

my $c = stored("Subject: plain\r\nFrom: <a\@x.test>\r\n\r\nbody\r\n");
like($c // '', qr/\ASubject: plain\nFrom: <a\@x\.test>\n$mid$date\nbody\n\z/,
    'both added before the empty line');

$c = stored("Subject: has\r\nMessage-Id: <keep\@x>\r\ndate: Tue, 1 Jan 2030 00:00:00 +0000\r\n\r\nbody\r\n");
is($c, "Subject: has\nMessage-Id: <keep\@x>\ndate: Tue, 1 Jan 2030 00:00:00 +0000\n\nbody\n",
    'present ones (any case) are kept and nothing is added');

$c = stored("Subject: odd\r\nthis line is no header\r\nmore\r\n");
like($c // '', qr/\ASubject: odd\n$mid$date\nthis line is no header\nmore\n\z/,
    'before the first non-header line, followed by an empty line');

$c = stored("Subject: only headers\r\nX-A: b\r\n");
like($c // '', qr/\ASubject: only headers\nX-A: b\n$mid$date\z/,
    'at the end of a message that is all headers');

$c = stored("Subject: folded\r\n\tcontinued: not a field\r\n\r\nb\r\n");
like($c // '', qr/\ASubject: folded\n\tcontinued: not a field\n$mid$date\nb\n\z/,
    'a continuation line stays with its field');

for my $len (16300, 16370, 16380, 16384, 16390, 16400, 32760, 32790) {
	my $long = 'X-Long: ' . ('a' x ($len - 10)) . "\r\n";
	for my $end ("\r\n", "no header here\r\n") {
		my $what = $end eq "\r\n" ? 'empty line' : 'non-header line';
		$c = stored("Subject: long\r\n$long${end}tail\r\n");
		(my $lf = $long) =~ s/\r\n/\n/;
		my $want = $end eq "\r\n" ? "\n" : "\nno header here\n";
		ok(defined $c && index($c, "Subject: long\n$lf") == 0
		    && substr($c, length("Subject: long\n$lf")) =~ /\A$mid$date\Q$want\Etail\n\z/,
		    "header section of ~$len octets ending at an $what")
		    or diag(defined $c ? substr($c, length("Subject: long\n$lf"), 200) : 'no message');
	}
}

# The decisive octet of the line that ends the section arrives in a later
# read than the line's start: the data is sent in two pieces with a pause,
# cut at every position of that line.
sub stored_split {
	my ($head, $tail) = @_;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	$s->cmd('MAIL FROM:<a@x.test>');
	$s->cmd('RCPT TO:<b@y.test>');
	my $r = $s->cmd('DATA');
	return undef unless $r && $r->{code} == 354;
	$s->send($head);
	select(undef, undef, undef, 0.15);
	$s->send($tail . ".\r\n");
	$r = $s->reply;
	$s->cmd('QUIT');
	$s->close;
	return undef unless $r && $r->{code} == 250;
	my @f = maildir_wait($md, 1, 10);
	return undef unless @f;
	my $c = slurp($f[0]);
	unlink($f[0]);
	$c =~ s/\A(?:(?:Return-Path|Delivered-To):[^\n]*\n)*//;
	$c =~ s/\AReceived:[^\n]*\n(?:[ \t][^\n]*\n)*//;
	return $c;
}

for my $line ("no header here\r\n", "\r\n", "Date-ish text\r\n") {
	my $msg = "Subject: split\r\n${line}body\r\n";
	my $start = length("Subject: split\r\n");
	my (@bad);
	for my $cut ($start - 1 .. $start + length($line)) {
		my $c = stored_split(substr($msg, 0, $cut), substr($msg, $cut));
		(my $lf = $line) =~ s/\r\n/\n/;
		my $rest = $lf eq "\n" ? "\n" : "\n$lf";
		push @bad, $cut unless defined $c
		    && $c =~ /\ASubject: split\n$mid$date\Q$rest\Ebody\n\z/;
	}
	my $what = $line;
	$what =~ s/\r\n/\\r\\n/;
	is("@bad", '', "section ended by \"$what\" split across reads at every position");
}

# The protocol in Received: (RFC 3848, RFC 6531 4.3): ESMTP, SMTP after
# HELO, UTF8SMTP when the transaction used SMTPUTF8.
for my $case ([ 'EHLO', '', 'ESMTP' ], [ 'HELO', '', 'SMTP' ],
    [ 'EHLO', 'SMTPUTF8', 'UTF8SMTP' ]) {
	my ($greet, $param, $with) = @$case;
	my $s = smtp_session(port => $d->port);
	$s->greeting;
	$s->cmd("$greet client.test");
	my $r = $s->mail(from => 'a@x.test', to => 'b@y.test',
	    mail_params => $param, data => "Subject: with $with\r\n\r\nx\r\n");
	$s->cmd('QUIT');
	$s->close;
	my ($f) = grep { slurp($_) =~ /^Subject: with \Q$with\E$/m }
	    maildir_wait($md, $n + 1, 10);
	$n++;
	like($f ? slurp($f) : '', qr/^\tby relay\.test with \Q$with\E id /m,
	    "$greet" . ($param ? " + $param" : '') . ": with $with");
}

done_testing();
