# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package StressCheck;

# StressCheck -- what the torture battery (t/stress/) shares: a load run
# by t/lib/load.py in the background, the per-recipient check of what the
# recording sink (sink.py --record) got against what the daemon
# acknowledged, the daemon's RSS, and one "figures:" line per test.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP ();
use Test::More ();

use SmarthostTest;

our @EXPORT = qw(load_start load_acked load_wait delivery_check rss_kb figures);

# load_start(port => P, sessions => S, per => M, parallel => N, tag => T,
#     retry => seconds) -> { pid, out, acked }
sub load_start {
	my (%o) = @_;
	my $dir = SmarthostTest::tempdir('load');
	my $acked = "$dir/acked";
	my @argv = (SmarthostTest::python3(),
	    SmarthostTest::srcdir() . '/t/lib/load.py', '--port', $o{port},
	    '--sessions', $o{sessions}, '--per-session', $o{per} // 1,
	    '--parallel', $o{parallel} // 10, '--tag', $o{tag} // 'load',
	    '--retry-seconds', $o{retry} // 60, '--out', $acked);
	push @argv, '--local', $o{local} if defined $o{local};
	push @argv, '--progress', "$dir/progress";
	my ($pid) = SmarthostTest::spawn(argv => \@argv,
	    stdout => "$dir/out", stderr => "$dir/err", what => 'load.py');
	return { pid => $pid, out => "$dir/out", err => "$dir/err",
	    acked => $acked, progress => "$dir/progress" };
}

# How many messages the running load has had acknowledged so far.
sub load_acked {
	my ($l) = @_;
	my $n = SmarthostTest::slurp($l->{progress}) // '0';
	return $n =~ /^(\d+)/ ? $1 : 0;
}

# Wait for the load to end (bounded); its JSON figures, or {} if it hung.
sub load_wait {
	my ($l, $timeout) = @_;
	my $st = SmarthostTest::reap($l->{pid}, $timeout);
	if (!defined $st) {
		SmarthostTest::kill_group($l->{pid}, 'KILL');
		SmarthostTest::reap($l->{pid}, 2);
		Test::More::diag('load.py did not finish in time');
		return {};
	}
	my $out = SmarthostTest::slurp($l->{out}) // '';
	my ($json) = $out =~ /(\{.*\})/;
	return $json ? JSON::PP->new->decode($json) : {};
}

# Compare the acknowledged messages with the sink's record, per recipient:
# { acked, delivered, lost, duplicates, corrupt } (corrupt: delivered with
# a body that is not the one sent).  Waits up to $timeout for lost ones.
sub delivery_check {
	my ($acked_file, $record_file, $timeout) = @_;
	my (%want, $r);
	for my $line (split /\n/, SmarthostTest::slurp($acked_file) // '') {
		my ($id, $hash, $rcpts) = split / /, $line;
		$want{"$id $_"} = $hash for split /,/, $rcpts;
	}
	SmarthostTest::wait_for(sub {
		$r = _compare(\%want, $record_file);
		return $r->{lost} == 0;
	}, $timeout // 60, 0.5);
	return $r;
}

sub _compare {
	my ($want, $record_file) = @_;
	my (%got, $corrupt, $n);
	$corrupt = $n = 0;
	for my $line (split /\n/, SmarthostTest::slurp($record_file) // '') {
		my ($id, $rcpt, $hash) = split / /, $line;
		next unless defined $hash;
		my $k = "$id $rcpt";
		next unless exists $want->{$k};	# another run's mail
		$n++;
		$got{$k}++;
		$corrupt++ if exists $want->{$k} && $want->{$k} ne $hash;
	}
	my ($lost, $dup) = (0, 0);
	for my $k (keys %$want) {
		$lost++ unless $got{$k};
	}
	for my $k (keys %got) {
		$dup += $got{$k} - 1 if $got{$k} > 1;
	}
	# delivered: deliveries of this run's mail, duplicates included.
	return { acked => scalar(keys %$want), delivered => $n,
	    lost => $lost, duplicates => $dup, corrupt => $corrupt };
}

# The resident set size of a process, in kB (0 when it is gone).
sub rss_kb {
	my ($pid) = @_;
	my $s = SmarthostTest::slurp("/proc/$pid/status") // '';
	return $s =~ /^VmRSS:\s+(\d+)/m ? $1 : 0;
}

# One line a reader (and `make stress`) can find: "figures: name k=v ...".
sub figures {
	my ($name, %f) = @_;
	my @k = grep { exists $f{$_} } qw(acked delivered lost duplicates
	    corrupt refused rss_before_kb rss_after_kb connections reloads
	    kills seconds);
	Test::More::diag("figures: $name " . join(' ',
	    map { "$_=$f{$_}" } @k));
}

1;
