#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# delay-warning.t -- queue delay_warning (issue #12): while the next hop
# answers 451, the sender gets one RFC 3464 notice with Action: delayed and
# a 4.x.x status; the envelope records it (warned 1), so neither further
# retries nor a restart send another; a null sender gets none; and the
# message is delivered once the next hop recovers, with no bounce.  A
# later outcome is reported as usual: a recipient warned about, then
# refused for good, bounces (Action: failed).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $failfile = tempdir('fail') . '/failing';
write_file($failfile, "451 while this file exists\n");
my $sink = start_sink(fail_file => $failfile);	# the smarthost, down
my $catch = start_sink();			# the senders' mailboxes

my $conf = {
	relayers => join(",\n", sink_relayer($sink, name => 'isp'),
	    sink_relayer($catch, name => 'catch')),
	routing => 'default_relayer = "isp"; rules = ( '
	    . '{ recipient_domain = "sender.test"; relayer = "catch"; } );',
	queue => 'retry_interval = "1s"; max_retry_interval = "1s"; '
	    . 'delay_warning = "2s"; max_age = "1h";',
};
my $d = start_daemon(config_text => $conf);

my $r = send_mail(port => $d->port, from => 'alice@sender.test',
    to => 'bob@dest.test', data => "Subject: stuck\nFrom: alice\@sender.test\n\nwaiting\n");
ok($r->{ok}, 'accepted') or diag explain $r;
my $id = $r->{id};
$r = send_mail(port => $d->port, from => '',
    to => 'carol@dest.test', data => "Subject: null sender\n\nx\n");
ok($r->{ok}, 'null-sender message accepted');
$r = send_mail(port => $d->port, from => 'dave@sender.test',
    to => 'reject-later@dest.test', data => "Subject: doomed later\n\nx\n");
ok($r->{ok}, 'a message the next hop will refuse accepted');

# The delay warnings (or, with $what, the notices whose Subject starts so)
# that reached $to (alice by default).
sub warnings_at_catch {
	my ($to, $what) = @_;
	$to //= 'alice@sender.test';
	$what //= 'Delayed Mail';
	return grep { $_->{json}{mail_from} eq ''
	    && ($_->{json}{rcpt_tos}[0] // '') eq $to
	    && ($_->{data} // '') =~ /^Subject: \Q$what\E/m } $catch->messages;
}

ok(wait_for(sub { scalar(warnings_at_catch()) >= 1 }, 20),
    'a delay warning arrived while the next hop answers 451');
my ($w) = warnings_at_catch();
$w //= { json => { rcpt_tos => [] }, data => '' };
is_deeply($w->{json}{rcpt_tos}, [ 'alice@sender.test' ], 'to the sender');
my $t = $w->{data};
like($t, qr{^Content-Type: multipart/report;\s+report-type=delivery-status}m,
    'multipart/report, delivery-status');
like($t, qr/^Final-Recipient: rfc822; bob\@dest\.test\r$/m, 'Final-Recipient');
like($t, qr/^Action: delayed\r$/m, 'Action: delayed');
like($t, qr/^Status: 4\.\d+\.\d+\r$/m, 'Status: 4.x.x');
like($t, qr/^Diagnostic-Code: smtp; 451 /m, 'the 451 as diagnostic');
like($t, qr/^Will-Retry-Until: /m, 'Will-Retry-Until');
like($t, qr/^Subject: stuck\r$/m, 'the original headers returned');
unlike($t, qr/carol/, 'only the message of the non-null sender is named');

my $env = slurp($d->spool . "/queue/$id.env") // '';
like($env, qr/^warned 1$/m, 'the envelope records the warning durably');

# More retries, then a restart, while the next hop still fails.
sleep(3);
$d->stop;
$d->start;
sleep(4);
is(scalar(warnings_at_catch()), 1,
    'one warning only: not again on later retries nor after a restart');
ok($d->log =~ /deferred .*to=<bob\@dest\.test>.*attempt=(\d+)/s,
    'still retrying');

# Recovery.
unlink($failfile);
my @m = $sink->wait_messages(2, 20);
ok((grep { ($_->{data} // '') =~ /Subject: stuck/ } @m),
    'delivered once the next hop recovers');
ok((grep { ($_->{data} // '') =~ /Subject: null sender/ } @m),
    'the null-sender message too');
sleep(1);
is(scalar(warnings_at_catch()), 1, 'still one warning');
is(scalar(warnings_at_catch(undef, 'Undelivered Mail')), 0,
    'no bounce for the delivered message');

# The refused recipient: warned once, then bounced.
ok(wait_for(sub { scalar(warnings_at_catch('dave@sender.test',
    'Undelivered Mail')) }, 20), 'warned, then refused for good: a bounce');
my ($b) = warnings_at_catch('dave@sender.test', 'Undelivered Mail');
my $bt = $b ? $b->{data} : '';
like($bt, qr/^Action: failed\r$/m, 'the bounce: Action: failed');
like($bt, qr/^Status: 5\.1\.1\r$/m, 'the bounce: Status: 5.1.1');
like($bt, qr/^Diagnostic-Code: smtp; 550 /m, 'the bounce: the 550');
is(scalar(warnings_at_catch('dave@sender.test')), 1,
    'the refused message was warned about once');
is(scalar(grep { $_->{json}{rcpt_tos}[0] !~ /^(?:alice|dave)\@sender\.test\z/ }
    $catch->messages), 0, 'nothing for the null sender');

done_testing();
