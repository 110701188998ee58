#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# install.t -- `make install` puts a production configuration in place
# (issue 10 item 6): into an empty DESTDIR it installs
# $(sysconfdir)/smarthostd.conf with the spool under
# $(localstatedir)/spool/smarthostd, syslog, the mx relayer, a commented
# smarthost; the installed smarthostd -n accepts it; a second install
# leaves an edited file untouched; never the quick-start example.
use strict;
use warnings;
use Test::More;
use File::Find;
use SmarthostTest;

my $build = $ENV{TOP_BUILDDIR};
plan skip_all => 'needs the build tree (TOP_BUILDDIR, set by make check)'
    unless defined $build && -f "$build/Makefile";
my $make = $ENV{MAKE} // 'make';

# The directories this tree was configured with.
my $mk = slurp("$build/Makefile") // '';
sub var {
	my ($name) = @_;
	my ($v) = $mk =~ /^\Q$name\E = (.*)$/m;
	$v //= '';
	$v =~ s/\$\{(\w+)\}|\$\((\w+)\)/var($1 \/\/ $2)/ge;
	return $v;
}
my ($sysconfdir, $localstatedir, $sbindir) =
    (var('sysconfdir'), var('localstatedir'), var('sbindir'));
ok($sysconfdir ne '' && $localstatedir ne '', "configured: sysconfdir "
    . "$sysconfdir, localstatedir $localstatedir");

my $dest = tempdir('destdir');
sub install {
	my ($st, $out, $err) = run_bounded(120, $make, '-s', '-C', $build,
	    'install', "DESTDIR=$dest");
	return ($st, "$out$err");
}
my ($st, $out) = install();
is($st, 0, 'make install DESTDIR=... into an empty directory') or diag($out);

my $conf = "$dest$sysconfdir/smarthostd.conf";
my $text = slurp($conf);
ok(defined $text, "installed $sysconfdir/smarthostd.conf");
$text //= '';
like($text, qr{^spool = "\Q$localstatedir\E/spool/smarthostd";$}m,
    "its spool is $localstatedir/spool/smarthostd");
like($text, qr/^\s*to = "syslog";/m, 'it logs to syslog');
like($text, qr/^\s*type = "mx";/m, 'it has the mx relayer');
like($text, qr/^routing = \{\s*default_relayer = "mx";/m,
    'which is the default');
like($text, qr/^\s*#\s*type = "smtp";/m, 'and a commented smarthost');
unlike($text, qr/\.\.\/var|Maildir|\@\w+\@/,
    'not the quick-start example, no placeholder left');
is((stat($conf))[2] & 07777, 0644, 'mode 0644');

my $daemon = "$dest$sbindir/smarthostd";
ok(-x $daemon, 'smarthostd installed');
my $err;
($st, $out, $err) = run_bounded(10, $daemon, '-n', '-c', $conf);
is($st, 0, 'the installed smarthostd -n accepts it') or diag($err);

# A second install keeps an edited file.
my $edited = $text . "# edited by the administrator\n";
write_file($conf, $edited);
chmod(0600, $conf);
($st, $out) = install();
is($st, 0, 'a second make install') or diag($out);
is(slurp($conf), $edited, 'leaves the edited configuration untouched');
is((stat($conf))[2] & 07777, 0600, 'and its mode');

# Uninstall removes the file only while it is the default.
($st, $out, $err) = run_bounded(120, $make, '-s', '-C', $build, 'uninstall',
    "DESTDIR=$dest");
is($st, 0, 'make uninstall') or diag($out, $err);
ok(-f $conf, 'an edited configuration survives uninstall');
unlink($conf);
install();
($st, $out, $err) = run_bounded(120, $make, '-s', '-C', $build, 'uninstall',
    "DESTDIR=$dest");
ok(!-e $conf, 'the unedited default is removed by uninstall');

done_testing();
