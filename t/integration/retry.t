#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# retry.t -- a transient failure (451 at the end of data, 451 at RCPT,
# connection refused) is deferred and retried after retry_interval; the
# message is then delivered once, intact, and leaves the spool.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use Time::HiRes qw(time);

my $sink = start_sink(fail_first => 1);
my $flag = tempdir('flag') . '/fail';
my $sink2 = start_sink(fail_file => $flag);
my $dead = free_port();			# nothing listens here
my $d = start_daemon(
    config_text => {
	relayers => join(', ', sink_relayer($sink),
	    sink_relayer($sink2, name => 'flaky'),
	    qq{{ name = "dead"; type = "smtp"; host = "127.0.0.1"; port = $dead;
	      tls = "none"; connect_timeout = "2s"; }}),
	routing => q{
	    default_relayer = "sink";
	    rules = (
		{ recipient_domain = "flaky.test"; relayer = "flaky"; },
		{ recipient_domain = "dead.test"; relayer = "dead"; }
	    );
	},
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
    });

sub id_of {
	my ($res) = @_;
	ok($res->{ok}, 'accepted') or diag explain $res;
	return $res->{id} // 'NO-ID';
}
sub event_re {
	my ($event, $id) = @_;
	return qr/^(?=.*\b\Q$event\E\b)(?=.*\bid=\Q$id\E\b).*$/m;
}

# 451 at the end of data on the first attempt.
my $body = "Subject: retry\n\nplease retry me\n";
my $t0 = time;
my $id = id_of(send_mail(port => $d->port, from => 's@x.test',
    to => 'r@y.test', data => $body));
ok($d->wait_log(event_re('deferred', $id), 10), 'first attempt deferred');
like($d->log, qr/^(?=.*\bdeferred\b)(?=.*\bid=\Q$id\E\b)(?=.*\b451\b).*$/m,
    'deferral logs the 451');
ok($d->wait_log(event_re('delivered', $id), 10), 'delivered on retry');
cmp_ok(time - $t0, '>=', 0.5, 'not retried before retry_interval');
my @m = $sink->wait_messages(1, 5);
is(scalar @m, 1, 'sink has exactly one copy');
my ($rcv, $rest) = split_received($m[0]{data} // '');
is($rest, crlf($body), 'body intact after the retry');
my @tx = $sink->transactions;
is(scalar(grep { /^451 / } @tx), 1, 'one failed transaction at the sink');

# 451 at RCPT while a flag file exists; delivered once it is gone.
write_file($flag, '');
my $id2 = id_of(send_mail(port => $d->port, from => 's@x.test',
    to => 'r@flaky.test', data => "Subject: flaky\n\nflaky\n"));
ok($d->wait_log(event_re('deferred', $id2), 10), 'RCPT 451: deferred');
# Let it fail once more, then heal.
my $dre = event_re('deferred', $id2);
ok(wait_for(sub { my @c = $d->log =~ /$dre/g; @c >= 2 }, 6),
    'RCPT 451: retried and deferred again');
unlink($flag);
ok($d->wait_log(event_re('delivered', $id2), 10), 'RCPT 451: delivered later');
is(scalar(my @x = $sink2->wait_messages(1, 5)), 1, 'flaky sink: one copy');

# Connection refused is transient too.
my $id3 = id_of(send_mail(port => $d->port, from => 's@x.test',
    to => 'r@dead.test', data => "Subject: dead\n\nnobody home\n"));
ok($d->wait_log(event_re('deferred', $id3), 10),
    'connection refused: deferred');
unlike($d->log, event_re('bounced', $id3), 'connection refused: no bounce');

# Once everything that could be delivered is, only the dead one is queued:
# on restart it is still there (deferred again), the others are not resent.
ok(wait_for(sub { $sink->count == 1 && $sink2->count == 1 }, 2),
    'no duplicate deliveries');
is($d->stop, 0, 'SIGTERM: exit status 0');
my $before = length $d->log;
$d->start;
ok($d->wait_log(event_re('deferred', $id3), 10, after => $before),
    'after restart the undelivered message is still queued and retried');
ok(!$d->wait_log(event_re('delivered', $id), 2, after => $before),
    'after restart a delivered message is not delivered again');
is($sink->count, 1, 'sink still has one copy');
done_testing();
