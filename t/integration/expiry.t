#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# expiry.t -- a message that keeps failing transiently expires after
# max_age and bounces with Status: 4.4.7 and Action: failed.  The sender's
# domain is routed to a second sink that accepts, so the DSN can arrive
# while the first sink still refuses everything.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use Time::HiRes qw(time);

my $flag = tempdir('flag') . '/fail';
write_file($flag, '');
my $sink = start_sink(fail_file => $flag);	# every RCPT gets 451
my $bsink = start_sink();			# the sender's domain
my $d = start_daemon(
    config_text => {
	relayers => join(', ', sink_relayer($sink),
	    sink_relayer($bsink, name => 'back')),
	routing => q{
	    default_relayer = "sink";
	    rules = ( { recipient_domain = "sender.test"; relayer = "back"; } );
	},
	queue => 'retry_interval = "1s"; max_retry_interval = "1s"; '
	    . 'max_age = "3s";',
    });

my $t0 = time;
my $res = send_mail(port => $d->port, from => 'orig@sender.test',
    to => 'r@y.test', data => "Subject: expire me\n\nnever delivered\n");
ok($res->{ok}, 'accepted') or diag explain $res;
my $id = $res->{id} // 'NO-ID';
ok($d->wait_log(qr/^(?=.*\bdeferred\b)(?=.*\bid=\Q$id\E\b).*$/m, 5),
    'deferred');
ok($d->wait_log(qr/^(?=.*\bexpired\b)(?=.*\bid=\Q$id\E\b).*$/m, 10),
    'expired logged with the id');
# Arrival times are whole seconds: a message accepted at :58.9 with
# max_age = 3s may expire at :01.0, 2.1 s later (doc/decisions.md).
cmp_ok(time - $t0, '>=', 2.0, 'not expired before max_age (whole seconds)');
my $deferrals = () = $d->log =~ /^(?=.*\bdeferred\b)(?=.*\bid=\Q$id\E\b).*$/mg;
cmp_ok($deferrals, '>=', 2, "retried meanwhile ($deferrals deferrals)");

my @b = $bsink->wait_messages(1, 10);
is(scalar @b, 1, 'one DSN');
SKIP: {
	skip 'no DSN', 8 unless @b;
	my $m = $b[0];
	is($m->{json}{mail_from}, '', 'DSN: null envelope sender');
	is_deeply($m->{json}{rcpt_tos}, [ 'orig@sender.test' ],
	    'DSN: to the sender');
	(my $t = $m->{data}) =~ s/\r\n/\n/g;
	$t =~ s/\n(?=[ \t])//g;
	like($t, qr{^Content-Type:\s*multipart/report\s*;.*\breport-type\s*=\s*"?delivery-status"?}mi,
	    'DSN: multipart/report; report-type=delivery-status');
	like($t, qr/^Final-Recipient:\s*rfc822;\s*r\@y\.test\s*$/mi,
	    'DSN: Final-Recipient');
	like($t, qr/^Action:\s*failed\s*$/mi, 'DSN: Action: failed');
	like($t, qr/^Status:\s*4\.4\.7\s*$/mi, 'DSN: Status: 4.4.7');
	like($t, qr/^Diagnostic-Code:\s*[\w-]+;.*\b451\b/mi,
	    'DSN: Diagnostic-Code gives the last 451');
	like($t, qr/^From:.*\bMAILER-DAEMON\@relay\.test\b/mi,
	    'DSN: From: MAILER-DAEMON@<hostname>');
}
is($sink->count, 0, 'the expired message was never delivered');
ok(wait_for(sub { !$d->queued }, 5), 'the expired message left the spool')
    or diag join("\n", $d->spool_files);

# Once expired it is not tried again.
unlink($flag);
sleep 2;
is($sink->count, 0, 'not delivered after the failure stops');
done_testing();
