#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# commit-crash.t -- kill -9 in the middle of a group commit (issue #18
# item 2).  SMARTHOSTD_TEST_COMMIT_PAUSE=2 holds the second group after
# its files were fdatasync'd and renamed into queue/ but before the
# directory fsync (spool_commit.c); the daemon is killed in that window,
# with more messages written in tmp/ waiting for the next group and one
# cut in the middle of DATA.  After the restart: the message that had its
# 250 is delivered, intact; what never had a 250 is delivered whole or not
# at all, never cut; a message left in the spool's format before 0.2
# (.msg and .env) is delivered too (an upgrade loses no queued mail); and
# nothing is left in tmp/ (but files kept for reuse), queue/ or
# corrupt/.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $flag = tempdir('flag') . '/fail';
write_file($flag, '');
my $sink = start_sink(fail_file => $flag);	# holds mail back for now
$ENV{SMARTHOSTD_TEST_COMMIT_PAUSE} = 2;
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "1s";',
    });
delete $ENV{SMARTHOSTD_TEST_COMMIT_PAUSE};
ok($d->wait_log(qr/test hook SMARTHOSTD_TEST_COMMIT_PAUSE=2 set/, 5),
    'the test hook is on, and says so in the log');

sub body_of {
	my ($tag) = @_;
	return "Subject: $tag\r\nX-Tag: $tag\r\n\r\n"
	    . join('', map { "$tag line $_ " . ("q" x 70) . "\r\n" } 1 .. 150);
}

# Group 1: one message, acknowledged.
my %body = (a => body_of('a'));
my $s = smtp_session(port => $d->port);
$s->start_ehlo('commit.test');
my $r = $s->mail(from => 's@x.test', to => 'a@y.test', data => $body{a});
is($r && $r->{code}, 250, 'the first group is acknowledged');
$s->cmd('QUIT');
$s->close;

# Six messages end their DATA together: the second group takes the first
# of them and stops before its directory fsync; the others wait in tmp/.
my @open;
for my $n (1 .. 6) {
	my $tag = "b$n";
	$body{$tag} = body_of($tag);
	my $c = smtp_session(port => $d->port);
	$c->start_ehlo('commit.test');
	$c->cmd('MAIL FROM:<s@x.test>');
	$c->cmd("RCPT TO:<$tag\@y.test>");
	my $dr = $c->cmd('DATA');
	is($dr && $dr->{code}, 354, "$tag: DATA");
	push @open, [ $tag, $c ];
}
$_->[1]->send($body{$_->[0]} . ".\r\n") for @open;
# And one cut in the middle of DATA.
my $p = smtp_session(port => $d->port);
$p->start_ehlo('commit.test');
$p->cmd('MAIL FROM:<s@x.test>');
$p->cmd('RCPT TO:<partial@y.test>');
$p->cmd('DATA');
$p->send("Subject: partial\r\n\r\nhalf a mess");

ok($d->wait_log(qr/test hook: group 2 renamed into queue\/, its directory fsync waits/, 20),
    'the second group stopped between its renames and its directory fsync');
my $qdir = $d->spool . '/queue';
my %in_queue;
for my $f (glob("$qdir/*.q")) {
	my $t = slurp($f) // '';
	$in_queue{$1} = 1 if $t =~ /^X-Tag: (b\d)\r$/m;
}
ok(scalar(keys %in_queue) >= 1,
    'at the strike queue/ holds unacknowledged messages: '
    . join(' ', sort keys %in_queue));
my @acked;
for my $o (@open) {
	my $rr = $o->[1]->reply(0.5);
	push @acked, $o->[0] if $rr && $rr->{code} == 250;
}
is_deeply(\@acked, [], 'no 250 for the group before its directory fsync');

$d->kill9;
$_->[1]->close for @open;
$p->close;
ok(!$d->alive, 'killed with SIGKILL in the middle of the group commit');

# A message in the form before 0.2, as an older smarthostd left it.
my $oldid = '00000000000000AB';
$body{old} = body_of('old');
write_file("$qdir/$oldid.msg", $body{old});
write_file("$qdir/$oldid.env", join('', "smarthostd-envelope 1\n",
    "id $oldid\n", "created " . time . "\n", "sender s\@x.test\n",
    "listener default\n", "attempts 0\n", "next_attempt 0\n",
    "size " . length($body{old}) . "\n", "smtputf8 0\n", "body8bit 0\n",
    "rcpt pending\told\@y.test\t\t\n", "end\n"));

unlink($flag);
$d->start;
my $hooks = () = $d->log =~ /test hook SMARTHOSTD_TEST_COMMIT_PAUSE=\d+ set/g;
is($hooks, 1, 'the restarted daemon runs without the hook');
my @want = ('a@y.test', 'old@y.test', map { "$_\@y.test" } sort keys %in_queue);
ok(wait_for(sub {
	my %got = map { $_ => 1 } map { @{$_->{json}{rcpt_tos}} } $sink->messages;
	return !grep { !$got{$_} } @want;
}, 20), 'delivered after the restart: the acknowledged one, the old-format '
    . 'one and those in queue/ at the strike');

my %got;
for my $m ($sink->messages) {
	push @{$got{$_}}, $m for @{$m->{json}{rcpt_tos}};
}
for my $rc (sort keys %got) {
	my ($tag) = $rc =~ /^(\w+)\@/;
	if (!exists $body{$tag}) {
		fail("$rc: delivered but never sent whole");
		next;
	}
	my $intact = !grep {
		my (undef, $rest) = split_received($_->{data});
		$rest ne $body{$tag};
	} @{$got{$rc}};
	ok($intact, "$rc: delivered intact");
}
ok(!$got{'partial@y.test'}, 'the message cut in DATA was not delivered');
ok(wait_for(sub { !$d->queued }, 10), 'queue/ empty at the end')
    or diag join("\n", $d->spool_files);
# Delivered files the daemon keeps in tmp/ for new messages (r.<n>, at
# most 32: spool_unlink.c) are not leftovers; anything else is.
my @kept = grep { m{/tmp/r\.\d+$} } $d->spool_files;
cmp_ok(scalar @kept, '<=', 32, 'at most 32 files kept for reuse');
my @left = grep { m{/(?:tmp|corrupt)/} && !m{/tmp/r\.\d+$} } $d->spool_files;
is_deeply(\@left, [], 'nothing else in tmp/ or corrupt/');
is($d->stop, 0, 'SIGTERM: exit status 0');
done_testing();
