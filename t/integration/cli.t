#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# cli.t -- every program answers --help and --version on stdout with exit
# 0 and nothing on stderr (issue 10 item 8); a wrong option still gets the
# usage on stderr and a failure status; smarthost-sendmail keeps -h as
# sendmail's hop count.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $top = $ENV{TOP_BUILDDIR} // srcdir();
my %prog = (
    smarthostd => smarthostd(),
    smarthostctl => smarthostctl_path(),
    'smarthost-sendmail' => $ENV{SMARTHOST_SENDMAIL}
	// "$top/src/smarthost-sendmail",
);
my ($version) = (slurp(srcdir() . '/configure.ac') // '')
    =~ /AC_INIT\(\[smarthostd\],\s*\[([^\]]+)\]/;
ok(defined $version, "version from configure.ac: " . ($version // '?'));

for my $name (sort keys %prog) {
	my $p = $prog{$name};
	my ($st, $out, $err) = run_bounded(10, $p, '--help');
	is($st, 0, "$name --help: exit 0");
	like($out, qr/^usage: \S*\Q$name\E /, "$name --help: usage on stdout");
	is($err, '', "$name --help: nothing on stderr");

	($st, $out, $err) = run_bounded(10, $p, '--version');
	is($st, 0, "$name --version: exit 0");
	# A build with optional features left out names them (features.t).
	my $without = $name eq 'smarthostd' && built_without()
	    ? ' (built without: ' . join(' ', built_without()) . ')' : '';
	is($out, "$name $version$without\n",
	    "$name --version: name and version on stdout");
	is($err, '', "$name --version: nothing on stderr");

	($st, $out, $err) = run_bounded(10, $p, '--no-such-option');
	ok($st > 0, "$name --no-such-option: failure status ($st)");
	like($err, qr/usage: /, "$name --no-such-option: usage on stderr");
	is($out, '', "$name --no-such-option: nothing on stdout");
}

# -h is help too, except for smarthost-sendmail.
my ($st, $out, $err);
for my $name ('smarthostd', 'smarthostctl') {
	($st, $out, $err) = run_bounded(10, $prog{$name}, '-h');
	is($st, 0, "$name -h: help as well (exit 0)");
	like($out, qr/^usage: /, "$name -h: usage on stdout");
}

# smarthost-sendmail -h N is sendmail's hop count, not help: the message
# is injected as without it.
my $dir = tempdir('cli');
write_file("$dir/smarthostd.conf", qq{hostname = "relay.test";\nspool = "$dir/spool";\ncontrol = "";\n});
mkdir("$dir/spool");
mkdir("$dir/spool/incoming");
chmod(01733, "$dir/spool/incoming");
write_file("$dir/msg", "Subject: hop\n\nhop\n");
($st, $out, $err) = run_bounded(10, 'sh', '-c', 'exec "$0" -C "$1" -h 5 '
    . 'you@example.net < "$2"', $prog{'smarthost-sendmail'},
    "$dir/smarthostd.conf", "$dir/msg");
is($st, 0, 'smarthost-sendmail -h 5 rcpt: accepted as a hop count') or diag($err);
opendir(my $dh, "$dir/spool/incoming") or die;
my @f = grep { !/^\./ } readdir($dh);
is(scalar @f, 1, 'and the message waits in incoming/');

done_testing();
