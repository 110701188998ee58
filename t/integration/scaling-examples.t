#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# scaling-examples.t -- the example files doc/scaling.md points to are
# accepted by the tools that read them: haproxy -c and promtool check
# config (which also checks the rule file it names).
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $src = SmarthostTest::srcdir();
my ($haproxy) = grep { -x } qw(/usr/sbin/haproxy /usr/bin/haproxy);
my ($promtool) = grep { -x } qw(/usr/bin/promtool /usr/local/bin/promtool);

SKIP: {
	skip 'haproxy is not installed (Debian package haproxy)', 1
	    unless $haproxy;
	my ($st, $out, $err) = run_bounded(30, $haproxy, '-c', '-f',
	    "$src/contrib/haproxy/haproxy.cfg");
	is($st, 0, 'haproxy -c accepts contrib/haproxy/haproxy.cfg')
	    or diag("$out$err");
}
SKIP: {
	skip 'promtool is not installed (Debian package prometheus)', 2
	    unless $promtool;
	my ($st, $out, $err) = run_bounded(30, $promtool, 'check', 'config',
	    "$src/contrib/prometheus/prometheus.yml");
	is($st, 0, 'promtool accepts contrib/prometheus/prometheus.yml')
	    or diag("$out$err");
	like("$out$err", qr/SUCCESS: 4 rules found/,
	    'and its four alerting rules');
}
done_testing();
