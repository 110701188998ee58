#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# features.t -- the optional features of configure.ac (--disable-dkim,
# --disable-metrics, --disable-mta-sts, --disable-proxy, --disable-maildrop,
# --disable-auth-server, --disable-dane; --enable-small
# leaves them out unless named): the
# --version line names what the build left out, as the Makefile's own
# conditionals say; a configuration that uses a feature left out is refused
# with "file:line: ... smarthostd was built without ..." (smarthostd -n and
# smarthostctl alike), and one that uses a feature built in is not refused
# for that reason.  Runs in every build: in a full one it checks that
# nothing is reported missing.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $top = $ENV{TOP_BUILDDIR} // srcdir();
my $cs = slurp("$top/config.status") // die "no config.status in $top\n";
my %cond = (dkim => 'WITH_DKIM', metrics => 'WITH_METRICS',
    'mta-sts' => 'WITH_MTA_STS', proxy => 'WITH_PROXY',
    maildrop => 'WITH_MAILDROP', 'auth-server' => 'WITH_AUTH_SERVER',
    dane => 'WITH_DANE');
my %what = (dkim => 'DKIM', metrics => 'metrics', 'mta-sts' => 'MTA-STS',
    proxy => 'the PROXY protocol', maildrop => 'the maildrop relayer',
    'auth-server' => 'AUTH for clients', dane => 'DANE');
# configure's own record of each automake condition: "#" when false.
my %false;
for my $f (sort keys %cond) {
	my ($v) = $cs =~ /^S\["\Q$cond{$f}\E_TRUE"\]="(#?)"$/m;
	ok(defined $v, "config.status has $cond{$f}");
	$false{$f} = ($v // '') eq '#';
}
my @out = grep { $false{$_} } sort keys %cond;
is_deeply([sort(built_without())], \@out, 'smarthostd --version names '
    . 'the features left out: ' . (@out ? "@out" : 'none'));

my $dir = tempdir('conf');
my %use = (
	dkim => "dkim = ( { domain = \"example.com\"; selector = \"s\";\n"
	    . "  key = \"$dir/no-such-key.pem\"; } );",
	metrics => 'metrics = { address = "127.0.0.1"; port = '
	    . free_port() . '; };',
	'mta-sts' => "relayers = ( { name = \"mx\"; type = \"mx\";\n"
	    . "  mta_sts = true; } );",
	dane => "relayers = ( { name = \"mx\"; type = \"mx\";\n"
	    . "  dane = \"opportunistic\"; } );",
	maildrop => "relayers = ( { name = \"local\";\n"
	    . "  type = \"maildrop\"; command = [ \"/bin/true\" ]; } );",
);
# Those set inside the test listener rather than at the top.
my $hash = `openssl passwd -6 pw`;
chomp $hash;
write_file("$dir/users", "alice:$hash\n");
chmod(0600, "$dir/users");
my %listener = (proxy => "\n  proxy_protocol = true;",
    'auth-server' => "\n  auth = \"optional\"; users = \"$dir/users\";");
# The setting that names each feature, where the error points.
my %setting = (dkim => 'dkim', metrics => 'metrics', 'mta-sts' => 'mta_sts',
    proxy => 'proxy_protocol', maildrop => 'type', 'auth-server' => 'auth',
    dane => 'dane');
my %ctx = ('mta-sts' => 'relayer "mx": ', proxy => 'listener "in": ',
    dane => 'relayer "mx": ',
    'auth-server' => 'listener "in": ',
    maildrop => 'relayer "local": ');
for my $f (sort(keys %use, keys %listener)) {
	my $text = defined $use{$f} ? config_text(top => $use{$f})
	    : config_text(listener => $listener{$f});
	my $file = write_config($text, SPOOL => "$dir/spool", PORT => free_port(),
	    DNS_PORT => 53, FILE => "$dir/$f.conf");
	# The line the feature's setting starts on.
	my ($before) = $text =~ /\A(.*?)^\s*\Q$setting{$f}\E = /ms;
	my $line = 1 + ($before =~ tr/\n//);
	my ($st, $err) = run_daemon_check($file);
	my $pre = $ctx{$f} // '';
	if (grep { $_ eq $f } @out) {
		is($st, 1, "$f left out: smarthostd -n refuses the file");
		like($err, qr/^smarthostd: \Q$file\E:$line: \Q$pre$setting{$f}\E: smarthostd was built without \Q$what{$f}\E \(\.\/configure --enable-\Q$f\E\)$/m,
		    "$f left out: the error names file:line and the switch")
		    or diag($err);
	} else {
		unlike($err, qr/built without/, "$f built in: not refused for that");
		if ($f ne 'dkim') {
			is($st, 0, "$f built in: the file is valid") or diag($err);
		} else {
			# The key does not exist: refused, but for the key.
			like($err, qr/no-such-key\.pem/, "$f built in: the key is read")
			    or diag($err);
		}
	}
}

# smarthostctl dkim reads the configuration itself.
my $plain = write_config(config_text(), SPOOL => "$dir/spool",
    PORT => free_port(), DNS_PORT => 53, FILE => "$dir/plain.conf");
my ($st, $out, $err) = run_ctl('-c', $plain, 'dkim');
if (grep { $_ eq 'dkim' } @out) {
	is($st, 1, 'dkim left out: smarthostctl dkim fails');
	like($err, qr/smarthostd was built without DKIM/,
	    'dkim left out: smarthostctl dkim says why');
} else {
	is($st, 0, 'dkim built in: smarthostctl dkim with no keys succeeds')
	    or diag($err);
	is($out, '', 'dkim built in: no keys, no records');
}

done_testing();
