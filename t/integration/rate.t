#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# rate.t -- relayer and domain `rate`: 30 messages at "60/m" reach the
# sink spread over about 30 s, in order, with no attempt counted for the
# wait, and no CPU spent on it; an mx relayer's rate is per next-hop
# domain; a domain entry's rate overrides its relayer's; a reload that
# lifts a rate releases the mail parked under it.  A behaviour test: the
# spacing is checked loosely, from the sink's own timestamps.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use SmarthostTest;

# The daemon's user + system CPU time so far, in seconds.
sub cpu_seconds {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return 0;
	$st =~ s/^.*\) //s;		# the name may hold spaces
	my @f = split / /, $st;
	return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	listener => 'batch_handling = "BifurcateAlways";',
	relayers => sink_relayer($sink, extra => 'rate = "60/m";')
	    . ', { name = "mx"; type = "mx"; tls = "none"; rate = "60/m"; }',
	routing => qq{
	    default_relayer = "sink";
	    domains = ( { domain = "slow.test"; rate = "1/h"; },
		{ domain = "m1.test"; mx_list = ( { name = "sink";
		    addr = "127.0.0.1"; port = @{[ $sink->port ]}; } ); },
		{ domain = "m2.test"; mx_list = ( { name = "sink";
		    addr = "127.0.0.1"; port = @{[ $sink->port ]}; } ); } );
	},
	queue => 'retry_interval = "1h";',
    });

# 30 messages in one go (each its own transaction).
my $t0 = time;
for my $i (1 .. 30) {
	my $r = send_mail(port => $d->port, from => 'cron@client.test',
	    to => "r$i\@fast.test", data => "Subject: n$i\r\n\r\nbody $i\r\n");
	$r->{ok} or diag("message $i: $r->{message}");
}
my $accepted = time - $t0;
ok($accepted < 10, sprintf('all 30 accepted at once (%.1f s)', $accepted));
# Waiting costs no CPU: no busy loop while 30 messages go out over 30 s.
my $cpu0 = cpu_seconds($d->pid);
my @m = $sink->wait_messages(30, 90);
my $cpu = cpu_seconds($d->pid) - $cpu0;
is(scalar @m, 30, 'all 30 delivered');
my @t = sort { $a <=> $b } map { $_->{json}{time} } @m;
my $span = $t[-1] - $t[0];
ok($span >= 25 && $span <= 45,
    sprintf('spread over about 30 s (%.1f s between first and last)', $span));
my @gaps = map { $t[$_] - $t[$_ - 1] } 1 .. $#t;
my @sorted = sort { $a <=> $b } @gaps;
my $median = $sorted[int(@sorted / 2)];
ok($median > 0.7 && $median < 1.5,
    sprintf('a message about every second (median gap %.2f s)', $median));
my $burst = grep { $_ < 0.5 } @gaps;
ok($burst <= 2, "no burst: $burst gaps under half a second");
my @order = map { $_->{data} =~ /Subject: n(\d+)/ ? $1 : 0 }
    sort { $a->{json}{time} <=> $b->{json}{time} } @m;
is_deeply(\@order, [ 1 .. 30 ], 'in the order they were accepted');
my $log = $d->log;
is(scalar(() = $log =~ /^.*delivered .*attempt=1\b/mg), 30,
    'every message delivered at its first attempt: waiting is not one');
unlike($log, qr/deferred /, 'nothing deferred');
ok($cpu < 3, sprintf('the daemon used %.2f s of CPU while the 30 waited '
    . 'their turn (a busy loop would use about 30)', $cpu));

# An mx relayer's rate is per next-hop domain: 8 messages each to m1.test
# and m2.test at "60/m" go as two schedules side by side (about 7 s),
# not as one (about 15 s), each still a second apart.
{
	my $n0 = $sink->count;
	for my $i (1 .. 8) {
		for my $dom ('m1.test', 'm2.test') {
			my $r = send_mail(port => $d->port,
			    from => 'cron@client.test', to => "x$i\@$dom",
			    data => "Subject: $dom $i\r\n\r\nmx $i\r\n");
			$r->{ok} or diag("$dom $i: $r->{message}");
		}
	}
	my @all = $sink->wait_messages($n0 + 16, 60);
	my %t;
	for my $m (@all) {
		my ($dom) = ($m->{json}{rcpt_tos}[0] // '') =~ /\@(m[12]\.test)$/
		    or next;
		push @{ $t{$dom} }, $m->{json}{time};
	}
	is(scalar(@{ $t{'m1.test'} // [] }) + scalar(@{ $t{'m2.test'} // [] }),
	    16, 'mx: all 16 delivered');
	for my $dom ('m1.test', 'm2.test') {
		my @x = sort { $a <=> $b } @{ $t{$dom} // [ 0 ] };
		my @g = sort { $a <=> $b } map { $x[$_] - $x[$_ - 1] } 1 .. $#x;
		my $med = @g ? $g[int(@g / 2)] : 0;
		ok($med > 0.7 && $med < 1.5, sprintf('mx: %s a message about '
		    . 'every second (median gap %.2f s)', $dom, $med));
	}
	my @x = sort { $a <=> $b } map { @$_ } values %t;
	my $span = $x[-1] - $x[0];
	ok($span >= 5 && $span <= 11, sprintf('mx: the two domains side by '
	    . 'side, %.1f s for 16 (one schedule would take 15)', $span));
	like($d->log, qr/delivered .*x8\@m2\.test.*relayer=mx/,
	    'mx: delivered by the mx relayer');
}

# slow.test: its own "1/h" overrides the relayer's "60/m".
my $before = $sink->count;
for my $i (1 .. 2) {
	send_mail(port => $d->port, from => 'cron@client.test',
	    to => "s$i\@slow.test", data => "Subject: s$i\r\n\r\nslow\r\n");
}
ok(wait_for(sub { $sink->count >= $before + 1 }, 10),
    'slow.test: the first goes at once');
sleep(3);
is($sink->count, $before + 1, 'slow.test: the second waits (1/h)');
unlike($d->log, qr/deferred /, 'slow.test: waiting is not a deferral');

# A reload that lifts the domain's rate lets the parked one go.
my $cfg = slurp($d->config_file);
$cfg =~ s/rate = "1\/h";//;
write_file($d->config_file, $cfg);
$d->signal('HUP');
ok($d->wait_log(qr/reloaded/, 10), 'reloaded without the domain rate');
ok(wait_for(sub { $sink->count >= $before + 2 }, 10),
    'the parked message goes after the reload');

# A rate on a relayer type without connections is a load error.
{
	my $dir = tempdir('ratecheck');
	write_file("$dir/bad.conf", qq{spool = "$dir/s";\nrelayers = (\n  { name = "box"; type = "maildir"; path = "$dir/md";\n    rate = "1/s"; }\n);\n});
	my ($st, $err) = run_daemon_check("$dir/bad.conf");
	isnt($st, 0, 'rate on a maildir relayer: refused');
	like($err // '', qr/bad\.conf:4: .*rate/, 'with file:line naming rate');
	write_file("$dir/bad2.conf", qq{spool = "$dir/s";\nrelayers = (\n  { name = "isp"; type = "smtp"; host = "127.0.0.1";\n    tls = "none"; rate = "60/min"; }\n);\n});
	($st, $err) = run_daemon_check("$dir/bad2.conf");
	isnt($st, 0, 'rate "60/min": refused');
	like($err // '', qr/bad2\.conf:4: .*rate: invalid rate "60\/min"/,
	    'with file:line and the bad value');
}

$d->stop;
unlike($d->log, qr/runtime error|AddressSanitizer|LeakSanitizer/,
    'no sanitizer report');
done_testing();
