#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# dsn.t -- DSN (RFC 3461-3464, issue #20 item 2) against the real daemon:
# EHLO offers DSN; RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT are accepted
# and stored with the message (each bad form is 501 5.5.4); and they are
# honoured in the notices, which t/lib/dsn_check.py parses with Python's
# email package as an RFC 3464 report.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $failfile = tempdir('fail') . '/failing';
my $sink = start_sink(fail_file => $failfile);	# the next hop, no DSN
my $catch = start_sink();			# the senders' mailboxes
my $d = start_daemon(config_text => {
	relayers => join(",\n", sink_relayer($sink, name => 'isp'),
	    sink_relayer($catch, name => 'catch')),
	routing => 'default_relayer = "isp"; rules = ( '
	    . '{ recipient_domain = "sender.test"; relayer = "catch"; } );',
	queue => 'retry_interval = "1s"; max_retry_interval = "1s"; '
	    . 'max_age = "1h";',
    });

# DATA and the message on a session that has its recipients.
sub data {
	my ($s, $text) = @_;
	my $r = $s->cmd('DATA');
	return $r unless $r && $r->{code} == 354;
	$s->send("$text.\r\n") or return undef;
	return $s->reply;
}

# EHLO, and every bad form of every parameter.
my $s = smtp_session(port => $d->port);
my $e = $s->start_ehlo;
ok($e && exists ehlo_keywords($e)->{DSN}, 'EHLO offers DSN');
for my $bad ('RET=', 'RET=BODY', 'RET=FULL RET=HDRS', 'ENVID=',
    'ENVID=a=b', 'ENVID=a+2b', 'ENVID=a+ZZ', 'ENVID=x ENVID=y',
    'ENVID=' . ('e' x 101)) {
	my $r = $s->cmd("MAIL FROM:<a\@sender.test> $bad");
	is($r && "$r->{code} $r->{enh}", '501 5.5.4', "MAIL $bad: 501 5.5.4");
}
my $r = $s->cmd('MAIL FROM:<a@sender.test> RET=HDRS ENVID=QQ+2B314');
is($r && $r->{code}, 250, 'MAIL with RET and ENVID');
for my $bad ('NOTIFY=', 'NOTIFY=NEVER,SUCCESS', 'NOTIFY=SUCCESS,',
    'NOTIFY=ALWAYS', 'NOTIFY=DELAY NOTIFY=DELAY', 'ORCPT=a@b', 'ORCPT=;a@b',
    'ORCPT=rfc822;', 'ORCPT=rfc822;a=b', 'ORCPT=rfc822;a+4') {
	my $r = $s->cmd("RCPT TO:<b\@dest.test> $bad");
	is($r && "$r->{code} $r->{enh}", '501 5.5.4', "RCPT $bad: 501 5.5.4");
}
$r = $s->cmd('RCPT TO:<b@dest.test> RET=FULL');
is($r && $r->{code}, 555, 'RET on RCPT: 555');
$s->cmd('QUIT');
$s->close;

# Stored with the message: it waits (the next hop answers 451) and its
# envelope holds the parameters, in xtext, on their lines.
write_file($failfile, "451\n");
$s = smtp_session(port => $d->port);
$s->start_ehlo;
$r = $s->cmd('MAIL FROM:<a@sender.test> RET=HDRS ENVID=QQ+2B3+0D+0Aend');
$r = $s->cmd('RCPT TO:<b@dest.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;o+2Bb@dest.test');
is($r && $r->{code}, 250, 'RCPT with NOTIFY and ORCPT');
$r = $s->cmd('RCPT TO:<c@dest.test> NOTIFY=NEVER');
$r = $s->cmd('RCPT TO:<d@dest.test>');
$r = data($s, "Subject: stored\r\n\r\nbody\r\n");
$s->cmd('QUIT');
is($r && $r->{code}, 250, 'accepted');
ok(wait_for(sub { $d->log =~ /deferred .*to=<d\@dest\.test>/ }, 20),
    'deferred while the next hop fails');
my ($envf) = $d->queued;
my $env = slurp($envf // '') // '';
like($env, qr/^ret HDRS$/m, 'envelope: ret');
like($env, qr/^envid QQ\+2B3\+0D\+0Aend$/m,
    'envelope: envid as xtext (the CR LF it encodes stay encoded)');
like($env, qr/^rcpt pending\tb\@dest\.test\t[^\t\n]*\t[^\t\n]*\tSUCCESS,DELAY\trfc822;o\+2Bb\@dest\.test\tdelivered$/m,
    'envelope: NOTIFY and ORCPT of b');
like($env, qr/^rcpt pending\tc\@dest\.test\t[^\t\n]*\t[^\t\n]*\tNEVER\t\tdelivered$/m,
    'envelope: NEVER of c');
like($env, qr/^rcpt pending\td\@dest\.test\t[^\t\n]*\t[^\t\n]*$/m,
    'envelope: d without DSN fields');

# A restart reads them back (recovery), and they survive the next update.
$d->stop;
$d->start;
ok(wait_for(sub { (() = $d->log =~ /deferred .*to=<d\@dest\.test>/g) >= 2 }, 20),
    'retried after a restart');
($envf) = $d->queued;
$env = slurp($envf // '') // '';
like($env, qr/^envid QQ\+2B3\+0D\+0Aend$/m, 'envid kept across recovery');
like($env, qr/\tSUCCESS,DELAY\trfc822;o\+2Bb\@dest\.test\t/m,
    'NOTIFY and ORCPT kept across recovery');
unlink($failfile);
ok(wait_for(sub { !$d->queued }, 20), 'delivered once the next hop is back');

done_testing();
