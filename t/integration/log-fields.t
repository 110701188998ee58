#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# log-fields.t -- the mail log speaks one vocabulary (issue 10 item 10,
# doc/logging.md "Fields"): delivered, deferred, bounced and expired lines
# carry the same fields in the same order (attempt=, never attempts=);
# expired names the relayer; deferred says when the next attempt is due
# (next=, UTC), and that time is the one the queue then keeps; every field
# of every event line is in the documented list.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use Time::Local qw(timegm);
use SmarthostTest;

# The documented vocabulary: the first column of the Fields table.
my $doc = slurp(srcdir() . '/doc/logging.md') // '';
my ($table) = $doc =~ /^## Fields\n(.*?)(?:\n## |\z)/ms;
my %documented = map { $_ => 1 } ($table // '') =~ /^\| `(\w+)` \|/mg;
ok(scalar(keys %documented) >= 15, 'doc/logging.md lists the fields ('
    . scalar(keys %documented) . ')');

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "1s"; '
	    . 'max_age = "4s"; bounces = false;',
    });

my $r = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'ok@y.test', 'tempfail@y.test', 'reject@y.test' ],
    data => "Subject: fields\n\nfields\n");
ok($r->{ok}, 'accepted') or diag explain $r;
my $id = $r->{id} // 'NO-ID';
ok($d->wait_log(qr/^.*\bexpired id=\Q$id\E\b.*$/m, 15), 'it expires');

# Split a line into (event, [ [key, value], ... ]) as doc/logging.md says.
sub parse {
	my ($line) = @_;
	my ($ts, $event, $rest) = $line =~ /^(\S+) smarthostd: (\w+) (.*)$/
	    or return;
	my @kv;
	while ($rest =~ /\G(\w+)=("(?:[^"\\]|\\.)*"|\S+)(?: |$)/gc) {
		push @kv, [ $1, $2 ];
	}
	return ($event, \@kv, $ts);
}

my %events = map { $_ => 1 } qw(accepted queued delivered deferred bounced
    expired removed rejected);
my (%lines, @undocumented);
for my $line (split /\n/, $d->log) {
	my ($event, $kv, $ts) = parse($line) or next;
	next unless $events{$event};
	push @undocumented, map { "$event $_->[0]" }
	    grep { !$documented{$_->[0]} } @$kv;
	my %f = map { $_->[0] => $_->[1] } @$kv;
	next unless ($f{id} // '') eq $id;
	push @{$lines{$event}}, { keys => join(' ', map { $_->[0] } @$kv),
	    f => \%f, ts => $ts };
}
is_deeply(\@undocumented, [], 'every field in the log is documented');

my $outcome = 'id queue from to relayer remote status delay attempt';
for my $event (qw(delivered bounced)) {
	my $l = $lines{$event}[0];
	ok($l, "$event logged") or next;
	is($l->{keys}, $outcome, "$event: the common fields, in order");
}
my @def = @{$lines{deferred} // []};
cmp_ok(scalar @def, '>=', 2, 'deferred, more than once');
is($def[0]{keys} // '', "$outcome next", 'deferred: the same fields, then next=');
is($def[0]{f}{attempt}, 1, 'first deferral: attempt=1');
is($def[1]{f}{attempt}, 2, 'second deferral: attempt=2') if @def > 1;
my $exp = $lines{expired}[0] // { keys => '', f => {} };
is($exp->{keys}, $outcome, 'expired: the common fields, in order '
    . '(attempt=, not attempts=)');
is($exp->{f}{relayer}, 'sink', 'expired names the relayer');
is($exp->{f}{to}, '<tempfail@y.test>', 'expired: the deferred recipient');
cmp_ok($exp->{f}{attempt} // 0, '>=', scalar @def,
    'expired: attempt= is the last attempt made');

# next= is a UTC time, after the line, and the one the queue keeps.
my ($next) = ($def[0]{f}{next} // '') =~ /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/;
ok($next, 'next= is YYYY-MM-DDThh:mm:ssZ') or diag($def[0]{f}{next});
if ($next && $def[0]{ts} =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/) {
	my $t = timegm($6, $5, $4, $3, $2 - 1, $1);
	my ($y, $mo, $dd, $h, $mi, $s) = $next =~ /(\d+)/g;
	my $n = timegm($s, $mi, $h, $dd, $mo - 1, $y);
	cmp_ok($n - $t, '>=', 0, 'next= is not before the deferral');
	cmp_ok($n - $t, '<=', 2, 'next= is within the retry interval (1s)');
}
if (@def > 1 && $next) {
	my ($y, $mo, $dd, $h, $mi, $s) = $next =~ /(\d+)/g;
	my $n = timegm($s, $mi, $h, $dd, $mo - 1, $y);
	my ($t2) = $def[1]{ts} =~ /T(\d+:\d+:\d+)/;
	my @p = split /:/, $t2;
	my ($y2, $mo2, $d2) = $def[1]{ts} =~ /^(\d+)-(\d+)-(\d+)/;
	my $t = timegm($p[2], $p[1], $p[0], $d2, $mo2 - 1, $y2);
	cmp_ok($t, '>=', $n, 'the second attempt came no earlier than next=');
}
done_testing();
