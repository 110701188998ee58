#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# bounce.t -- a permanent failure (550 5.1.1 at RCPT downstream) makes an
# RFC 3464 delivery status notification to the envelope sender, from
# MAILER-DAEMON@<hostname> with a null envelope sender; the other recipients
# of the same message are delivered; a null-sender message never bounces.
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

# Unfold headers and return the text with CRLF -> LF, for matching.
sub flat {
	my ($s) = @_;
	$s =~ s/\r\n/\n/g;
	$s =~ s/\n(?=[ \t])//g;
	return $s;
}
sub dsns { grep { $_->{json}{mail_from} eq '' } $sink->messages }

my $res = send_mail(port => $d->port, from => 'orig@sender.test',
    to => [ 'ok@y.test', 'reject@y.test' ],
    data => "Subject: bounce me\nMessage-ID: <bm1\@sender.test>\n\nhello\n");
ok($res->{ok}, 'message accepted') or diag explain $res;
my $id = $res->{id} // 'NO-ID';

ok(wait_for(sub { scalar(my @x = dsns()) >= 1 }, 10), 'a DSN arrived');
my @m = $sink->messages;
my ($dsn) = dsns();
my ($ok) = grep { $_->{json}{mail_from} eq 'orig@sender.test' } @m;
ok($ok, 'the good recipient got the message');
is_deeply($ok->{json}{rcpt_tos}, [ 'ok@y.test' ], 'only the good recipient')
    if $ok;
SKIP: {
	skip 'no DSN', 16 unless $dsn;
	is($dsn->{json}{mail_from}, '', 'DSN: null envelope sender');
	is_deeply($dsn->{json}{rcpt_tos}, [ 'orig@sender.test' ],
	    'DSN: to the original sender');
	my $t = flat($dsn->{data});
	my ($hdr) = split /\n\n/, $t, 2;
	like($hdr, qr/^From:.*\bMAILER-DAEMON\@relay\.test\b/mi,
	    'DSN: From: MAILER-DAEMON@<hostname>');
	like($hdr, qr/^To:.*\borig\@sender\.test\b/mi, 'DSN: To: the sender');
	like($hdr, qr/^Subject:\s*\S/mi, 'DSN: has a Subject');
	like($hdr, qr/^Date:\s*\S/mi, 'DSN: has a Date');
	like($hdr, qr/^Message-ID:\s*<[^>]+>/mi, 'DSN: has a Message-ID');
	like($hdr, qr{^Content-Type:\s*multipart/report\s*;.*\breport-type\s*=\s*"?delivery-status"?}mi,
	    'DSN: multipart/report; report-type=delivery-status');
	like($t, qr{^Content-Type:\s*message/delivery-status}mi,
	    'DSN: has a message/delivery-status part');
	like($t, qr/^Reporting-MTA:\s*dns;\s*relay\.test\s*$/mi,
	    'DSN: Reporting-MTA: dns; relay.test');
	like($t, qr/^Final-Recipient:\s*rfc822;\s*reject\@y\.test\s*$/mi,
	    'DSN: Final-Recipient');
	like($t, qr/^Action:\s*failed\s*$/mi, 'DSN: Action: failed');
	like($t, qr/^Status:\s*5\.1\.1\s*$/mi, 'DSN: Status: 5.1.1');
	like($t, qr/^Diagnostic-Code:\s*smtp;.*\b550\b/mi,
	    'DSN: Diagnostic-Code with the 550');
	like($t, qr/^Remote-MTA:\s*\S/mi, 'DSN: Remote-MTA');
	unlike($t, qr/^Final-Recipient:.*ok\@y\.test/mi,
	    'DSN: does not name the delivered recipient');
	like($t, qr/^Subject: bounce me$/m, 'DSN: returns the original headers');
	ok(no_bare_line_ends($dsn->{data}), 'DSN: no bare CR or LF');
}
ok($d->wait_log(qr/^(?=.*\bbounced\b)(?=.*\bid=\Q$id\E\b).*$/m, 5),
    'bounced logged with the id');

# A null-sender message to a rejecting recipient: no DSN, ever.
my $before = $sink->count;
$res = send_mail(port => $d->port, from => '',
    to => 'reject2@y.test', data => "Subject: from the void\n\nno bounce\n");
ok($res->{ok}, 'null-sender message accepted') or diag explain $res;
my $nid = $res->{id} // 'NO-ID';
ok($d->wait_log(qr/^(?=.*\bid=\Q$nid\E\b)(?=.*\b550\b).*$/m, 10),
    'null-sender message: permanent failure logged');
sleep 3;
is($sink->count, $before, 'null-sender message: no bounce sent');
ok(!grep({ grep { /reject2|^$/ } @{$_->{json}{rcpt_tos}} } $sink->messages),
    'nothing addressed to the null sender');

# Every recipient has a final outcome: the spool holds no message now.
ok(wait_for(sub { !$d->queued }, 5),
    'no message left in the spool once every recipient is final')
    or diag join("\n", $d->spool_files);
done_testing();
