#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# queue-control.t -- smarthostctl hold, release and remove with an ID or
# the selectors --queue, --sender, --recipient (and --all for remove and
# release), queues (the qshape view), and the totals line of queue, text
# and --json (behaviour.md "Queue control"): held mail is neither
# attempted nor expired until released, and a hold survives kill -9.
use strict;
use warnings;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $ctlbin = smarthostctl_path();
plan skip_all => "smarthostctl not built at $ctlbin" unless -x $ctlbin;
my $json = JSON::PP->new;

my $fail = tempdir('fail') . '/fail';
write_file($fail, "1\n");
my $sink = start_sink(fail_file => $fail);

sub conf {
	my (%o) = @_;
	my $t = config_text(relayers => sink_relayer($sink),
	    routing => 'default_relayer = "sink";', %o);
	$t =~ s/^control = "";$/control = "\@TMP\@\/control.sock";/m or die;
	return (config => $t);
}

my $d = start_daemon(conf(
    queue => 'retry_interval = "1s"; max_retry_interval = "1s";'));
my @c = ('-c', $d->config_file);
sub ctl { my ($st, $out, $err) = run_ctl(@c, @_); return ($st, $out, $err) }

my %id;
for my $m ([ 'A', 'alice@x.test', 'a@hold.test' ],
    [ 'B', 'bob@y.test', 'b@other.test' ],
    [ 'C', '', 'c@hold.test' ]) {
	my ($name, $from, $to) = @$m;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo;
	$s->cmd("MAIL FROM:<$from>");
	$s->cmd("RCPT TO:<$to>");
	$s->cmd('DATA');
	$s->send("Subject: $name\r\n\r\nmessage $name\r\n.\r\n");
	my $r = $s->reply;
	($id{$name}) = $r->{text} =~ /queued as (\S+)/;
	$s->cmd('QUIT');
	$s->close;
	ok($id{$name}, "message $name queued");
}
ok(wait_for(sub { (() = $d->log =~ /deferred /g) >= 3 }, 10),
    'all three deferred once');

# Errors first.
my ($st, $out, $err) = ctl('hold');
isnt($st, 0, 'hold without an argument: refused');
($st, $out, $err) = ctl('hold', '--bogus', 'x');
isnt($st, 0, 'hold --bogus: refused');
like($err, qr/unknown selector/, 'hold --bogus: says why');
($st, $out, $err) = ctl('hold', '--all');
isnt($st, 0, 'hold --all: refused (hold needs a choice)');
($st, $out, $err) = ctl('remove', '--queue');
isnt($st, 0, 'remove --queue without a value: refused');
($st, $out, $err) = ctl('hold', 'FFFFFFFFFFFFFFF0');
like($err, qr/no such message/, 'hold of an unknown id: no such message');

# Hold hold.test: A and C.
($st, $out, $err) = ctl('hold', '--queue', 'hold.test');
is($st, 0, 'hold --queue hold.test: exit 0');
like($out, qr/^-- 2 messages held$/m, 'two held');
like($out, qr/^held $id{A}$/m, 'A held');
like($out, qr/^held $id{C}$/m, 'C held');
($st, $out) = ctl('queue');
like($out, qr/^$id{A} .* next=held attempts=\d+ held\b/m, 'queue marks A held');
unlike($out, qr/^$id{B} .* held$/m, 'B is not held');
like($out, qr/^-- 3 messages, 3 recipients, \d+ bytes$/m, 'queue: totals line');
($st, $out) = ctl('--json', 'queue');
my %q = map { $_->{id} => $_ } @{ $json->decode($out) };
ok($q{$id{A}}{held} && $q{$id{C}}{held} && !$q{$id{B}}{held},
    'queue --json: held flags');

($st, $out) = ctl('queues');
like($out, qr/^hold\.test\s+2\s+2\s+2\s+\S+\s+held$/m,
    'queues: hold.test has 2 messages, 2 recipients, 2 held');
like($out, qr/^other\.test\s+1\s+1\s+0\s/m, 'queues: other.test has 1, none held');
($st, $out) = ctl('--json', 'queues');
my %qs = map { $_->{queue} => $_ } @{ $json->decode($out) };
is($qs{'hold.test'}{held}, 2, 'queues --json: held count');
is($qs{'other.test'}{messages}, 1, 'queues --json: messages');

# The sink recovers: B goes, the held ones do not.
unlink($fail);
ok(wait_for(sub { $sink->count >= 1 }, 10), 'B delivered once the sink accepts');
sleep(3);
is($sink->count, 1, 'held mail is not attempted');

# A hold survives kill -9.
$d->kill9;
$d->start;
($st, $out) = ctl('--json', 'queue');
%q = map { $_->{id} => $_ } @{ $json->decode($out) };
ok($q{$id{A}}{held} && $q{$id{C}}{held}, 'still held after kill -9 and restart');
sleep(2);
is($sink->count, 1, 'and still not attempted');

# Release by sender pattern, then the null sender.
($st, $out) = ctl('release', '--sender', '*@x.test');
like($out, qr/^released $id{A}$/m, 'release --sender *@x.test: A');
unlike($out, qr/$id{C}/, '... not C');
ok(wait_for(sub { $sink->count >= 2 }, 10), 'A delivered after release');
($st, $out) = ctl('release', '--sender', '<>');
like($out, qr/^released $id{C}$/m, 'release --sender <>: the null sender');
ok(wait_for(sub { $sink->count >= 3 }, 10), 'C delivered after release');
($st, $out) = ctl('queue');
like($out, qr/^queue is empty$/m, 'queue empty');

# remove with selectors.
write_file($fail, "1\n");
for my $to ('x1@gone.test', 'x2@gone.test', 'k@keep.test') {
	send_mail(port => $d->port, from => 'z@z.test', to => $to,
	    data => "Subject: rm\r\n\r\nrm\r\n");
}
ok(wait_for(sub { (() = $d->log =~ /deferred .*gone\.test/g) >= 2 }, 10),
    'two for gone.test deferred');
($st, $out, $err) = ctl('remove', '--recipient', '*@gone.test');
is($st, 0, 'remove --recipient *@gone.test: exit 0');
like($out, qr/^-- 2 messages removed/m, 'two removed');
($st, $out) = ctl('--json', 'remove', '--all');
my $rm = $json->decode($out);
is($rm->{count}, 1, 'remove --all --json: the last one');
is(scalar @{ $rm->{removed} }, 1, 'remove --all --json: its id');
($st, $out) = ctl('remove', '--all');
like($out, qr/^-- 0 messages removed$/m, 'remove --all on an empty queue');
is($sink->count, 3, 'nothing removed was delivered');
$d->stop;

# Held mail does not expire; released past max_age, it does.
my $e = start_daemon(conf(queue => 'retry_interval = "1s"; '
    . 'max_retry_interval = "1s"; max_age = "3s"; bounces = false;'));
@c = ('-c', $e->config_file);
my $r = send_mail(port => $e->port, from => 'old@x.test',
    to => 'o@late.test', data => "Subject: old\r\n\r\nold\r\n");
ok($e->wait_log(qr/deferred .*late\.test/, 10), 'deferred once');
($st, $out) = ctl('--json', 'hold', $r->{id});
my $h = eval { $json->decode($out) } // {};
is_deeply([ $h->{held} // [], $h->{count} ], [ [ $r->{id} ], 1 ],
    'held by id (hold --json: its id and the count)') or diag($out);
sleep(5);
unlike($e->log, qr/expired /, 'held past max_age: not expired');
($st, $out) = ctl('release', $r->{id});
like($out, qr/^released $r->{id}$/m, 'released by id');
ok($e->wait_log(qr/expired id=$r->{id}/, 10),
    'released past max_age: expired at its next attempt');
$e->stop;
unlike($d->log . $e->log, qr/runtime error|AddressSanitizer|LeakSanitizer/,
    'no sanitizer report');
done_testing();
