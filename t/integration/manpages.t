#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# manpages.t -- the manual pages say what the code does (issue 10 item 9):
# every setting in config.c's option tables is described in
# smarthostd.conf(5) (an item with text under it, not a bare heading); the
# reserved listener names are the code's (sendmail, bounce), not "local";
# smarthostd(8) has EXIT STATUS, FILES with incoming/ and control.sock, and
# every page's SEE ALSO names every other page; groff renders them all
# without a warning.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $src = srcdir();
my %page = map { $_ => slurp("$src/doc/$_") // '' }
    qw(smarthostd.8 smarthostd.conf.5 smarthostctl.8 smarthost-sendmail.8);
my $conf5 = $page{'smarthostd.conf.5'};

# Every option name of the configuration tables.
my %names;
for my $c (glob("$src/src/config*.c")) {
	my $t = slurp($c) // '';
	$names{$1} = 1 while $t =~ /\.name = "(\w+)"/g;
}
cmp_ok(scalar(keys %names), '>', 50, 'option names found in src/config*.c ('
    . scalar(keys %names) . ')');

# The items of the page: ".TP\n.B[R] name[, name2 ...] (...)" and the
# line after them.
# Stacked headings (".TP" right after a heading) share the text that
# follows the last of them, as in groff.
my (%item, @bare, @run);
while ($conf5 =~ /^\.TP\n(\.BR? [^\n]*)\n([^\n]*)/mg) {
	my ($head, $next) = ($1, $2);
	my @n = $head =~ /(?:^\.BR? |"\s*,\s*"\s*|,\s+)([a-z_][a-z0-9_]*)\b/g;
	$item{$_} = 1 for @n;
	push @run, $n[0] // $head;
	pos($conf5) -= length($next) + 1;	# the next .TP starts there
	next if $next =~ /^\.TP\b/;
	push @bare, @run if $next =~ /^\.(?:SS|SH|RE)\b/;
	@run = ();
}
# A setting may also be described inline (the mx_list group's name, addr
# and port; headers named in running text).
my @missing = grep { !$item{$_} && $conf5 !~ /^\.BR? \Q$_\E\b/m } sort keys %names;
is_deeply(\@missing, [], 'every setting has an entry in smarthostd.conf(5)');
is_deeply(\@bare, [], 'every entry says what the setting does');
for my $n (qw(max_deliveries_per_connection connect_timeout)) {
	ok($item{$n}, "$n documented");
}

# Reserved listener names: the code's.
my $h = slurp("$src/src/config.h") // '';
my @reserved = $h =~ /#define LISTENER_\w+\s+"(\w+)"/g;
is_deeply([ sort @reserved ], [ 'bounce', 'sendmail' ],
    'config.h reserves sendmail and bounce');
my ($names_section) = $conf5 =~ /^\.SS Names\n(.*?)^\.S[HS] /ms;
for my $r (@reserved) {
	like($names_section // '', qr/^\.B \Q$r\E$/m,
	    "Names: the reserved listener name $r is documented");
}
unlike($conf5, qr/\\\(dqlocal\\\(dq\s*\nalso names/,
    'no listener "local" for the injector');
like($page{'smarthost-sendmail.8'}, qr/listener named\s*\n\.BR sendmail/,
    'smarthost-sendmail(8) says sendmail too');

# smarthostd(8).
my $d8 = $page{'smarthostd.8'};
like($d8, qr/^\.SH EXIT STATUS$/m, 'smarthostd(8): EXIT STATUS');
my ($files) = $d8 =~ /^\.SH FILES\n(.*?)^\.SH /ms;
like($files // '', qr/incoming\//, 'smarthostd(8) FILES: incoming/');
like($files // '', qr/control\.sock/, 'smarthostd(8) FILES: control.sock');

# SEE ALSO: every page names every other.
my %ref = ('smarthostd.8' => 'smarthostd (8)', 'smarthostd.conf.5' =>
    'smarthostd.conf (5)', 'smarthostctl.8' => 'smarthostctl (8)',
    'smarthost-sendmail.8' => 'smarthost\\-sendmail (8)');
for my $p (sort keys %page) {
	my ($see) = $page{$p} =~ /^\.SH SEE ALSO\n(.*)\z/ms;
	for my $o (sort keys %ref) {
		next if $o eq $p;
		like($see // '', qr/^\.BR \Q$ref{$o}\E/m, "$p: SEE ALSO $o");
	}
}

# groff renders each page without a warning.
SKIP: {
	skip 'groff not installed', scalar(keys %page)
	    unless system('sh', '-c', 'command -v groff >/dev/null') == 0;
	for my $p (sort keys %page) {
		my ($st, $out, $err) = run_bounded(30, 'groff', '-man', '-ww',
		    '-z', "$src/doc/$p");
		is("$st $err", '0 ', "groff -man -ww: $p renders cleanly");
	}
}

done_testing();
