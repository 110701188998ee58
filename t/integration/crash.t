#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# crash.t -- nothing accepted is lost (behaviour.md promise 1): kill -9 the
# daemon right after the 250 that ends DATA, start it again, and every
# accepted message is delivered (at least once), intact.  A kill in the
# middle of DATA loses at most that message and the daemon restarts cleanly.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $flag = tempdir('flag') . '/fail';
write_file($flag, '');
my $sink = start_sink(fail_file => $flag);	# holds mail back for now
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "1s";',
    });

# Five messages on one connection; kill -9 the moment the last 250 is read.
my %body;
my $s = smtp_session(port => $d->port);
$s->start_ehlo('crash.test');
for my $n (1 .. 5) {
	my $b = "Subject: crash $n\r\nX-N: $n\r\n\r\n"
	    . join('', map { "message $n line $_ " . ("z" x 60) . "\r\n" } 1 .. 200)
	    . ".dot line $n\r\n";
	my $r = $s->mail(from => 's@x.test', to => "r$n\@y.test", data => $b);
	is($r->{code}, 250, "message $n accepted");
	$body{"r$n\@y.test"} = $b;
}
$d->kill9;
$s->close;
ok(!$d->alive, 'daemon killed with SIGKILL');

# A session killed in the middle of DATA: that message may be lost.
unlink($flag);
$d->start;
$s = smtp_session(port => $d->port);
$s->start_ehlo('crash.test');
$s->cmd('MAIL FROM:<s@x.test>');
$s->cmd('RCPT TO:<partial@y.test>');
$s->cmd('DATA');
$s->send("Subject: partial\r\n\r\nhalf a mess");
select(undef, undef, undef, 0.3);
$d->kill9;
$s->close;

$d->start;
wait_for(sub {
	my %r = map { $_ => 1 } map { @{$_->{json}{rcpt_tos}} } $sink->messages;
	return 5 == grep { $r{$_} } keys %body;
}, 10);
my @m = $sink->messages;
my %got;
for my $m (@m) {
	for my $rc (@{$m->{json}{rcpt_tos}}) {
		push @{$got{$rc}}, $m;
	}
}
for my $rc (sort keys %body) {
	ok($got{$rc} && @{$got{$rc}} >= 1, "$rc delivered after the crash");
	my $ok = $got{$rc} && !grep {
		my (undef, $rest) = split_received($_->{data});
		$rest ne $body{$rc};
	} @{$got{$rc}};
	ok($ok, "$rc: every copy intact");
	cmp_ok(scalar @{$got{$rc} // []}, '<=', 2, "$rc: not delivered over and over");
}
ok(!$got{'partial@y.test'}, 'the message cut in DATA was not delivered');

# And the restarted daemon works normally.
my $res = send_mail(port => $d->port, from => 's@x.test', to => 'after@y.test',
    data => "Subject: after\n\nafter the crash\n");
ok($res->{ok}, 'accepts mail after two crashes') or diag explain $res;
ok(wait_for(sub { grep { $_->{json}{rcpt_tos}[0] eq 'after@y.test' }
    $sink->messages }, 10), 'and delivers it');
ok(wait_for(sub { !$d->queued }, 5), 'spool empty at the end')
    or diag join("\n", $d->spool_files);
is($d->stop, 0, 'SIGTERM: exit status 0');
done_testing();
