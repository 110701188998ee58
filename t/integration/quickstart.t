#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# quickstart.t -- the README's quick start as a newcomer runs it (issue 10
# item 4): `./src/smarthostd -c etc/smarthostd.conf` from the top of a
# checkout, without -f, so the daemon detaches and changes directory.  A
# SIGHUP (`kill -HUP $(cat var/smarthostd.pid)`) and `smarthostctl -c
# etc/smarthostd.conf reload` must then re-read the same file, and
# `kill $(cat var/smarthostd.pid)` stops it and removes the pid file.
#
# The tree is a copy of the shipped example in a private directory, with
# only the port changed so that tests can run side by side.
use strict;
use warnings;
use Test::More;
use Cwd qw(getcwd);
use File::Path qw(make_path);
use Time::HiRes qw(sleep);
use SmarthostTest;

my $top = tempdir('checkout');
my $port = free_port();
my $example = slurp(srcdir() . '/etc/smarthostd.conf')
    // die "cannot read the shipped etc/smarthostd.conf\n";
my $n = ($example =~ s/^(\s*)port = 2525;/$1port = $port;/mg);
is($n, 1, 'the example listens on port 2525 (as the README says)');
make_path("$top/etc");
write_file("$top/etc/smarthostd.conf", $example);

my $log = "$top/daemon.log";
my $pidfile = "$top/var/smarthostd.pid";
my $daemon_pid;
END { kill('TERM', $daemon_pid) if $daemon_pid && kill(0, $daemon_pid) }

# Exactly the README's command line, run from the top of the tree.
my $cwd = getcwd();
chdir($top) or die "chdir $top: $!";
my ($parent) = SmarthostTest::spawn(argv => [ smarthostd(), '-c',
    'etc/smarthostd.conf' ], stdout => $log, stderr => $log,
    what => 'smarthostd');
my $st = SmarthostTest::reap($parent, 20);
is($st, 0, 'smarthostd -c etc/smarthostd.conf: the parent exits 0')
    or diag(slurp($log));
ok(wait_for(sub { -s $pidfile }, 10), 'var/smarthostd.pid written')
    or do { diag(slurp($log) // ''); done_testing(); exit 1 };
($daemon_pid) = (slurp($pidfile) // '') =~ /^(\d+)$/m;
ok($daemon_pid && kill(0, $daemon_pid), 'the pid file names a live process');
ok(wait_for(sub { my $s = smtp_session(port => $port, quiet => 1,
    timeout => 2); $s && $s->close; $s }, 10), 'it listens on the port');
is(readlink("/proc/$daemon_pid/cwd"), '/', 'it changed directory to /');

my $r = send_mail(port => $port, from => 'me@example.com',
    to => 'you@example.net', data => "Subject: first\n\nhello\n");
ok($r->{ok}, 'first message accepted') or diag explain $r;
my @f = maildir_wait("$top/var/Maildir", 1, 10);
is(scalar @f, 1, 'delivered into var/Maildir');

# kill -HUP $(cat var/smarthostd.pid)
my $abs = "$top/etc/smarthostd.conf";
my $mark = length(slurp($log) // '');
kill('HUP', $daemon_pid);
my $ok = wait_for(sub { substr(slurp($log) // '', $mark) =~
    /reload(?:ed| failed)/ }, 10);
my $after = substr(slurp($log) // '', $mark);
like($after, qr/reloaded \Q$abs\E\b/, 'SIGHUP: reloaded the same file, '
    . 'by its absolute path');
unlike($after, qr/reload failed/, 'SIGHUP: no failure');

# smarthostctl -c etc/smarthostd.conf reload
$mark = length(slurp($log) // '');
my ($out, $err);
($st, $out, $err) = run_ctl('-c', 'etc/smarthostd.conf', 'reload');
is($st, 0, 'smarthostctl reload: exit 0') or diag($out, $err);
ok(wait_for(sub { substr(slurp($log) // '', $mark) =~
    /reloaded \Q$abs\E\b/ }, 10), 'smarthostctl reload: reloaded the same file');

# The reloaded configuration still delivers.
$r = send_mail(port => $port, from => 'me@example.com',
    to => 'you@example.net', data => "Subject: second\n\nhello\n");
ok($r->{ok}, 'accepted after the reloads');
@f = maildir_wait("$top/var/Maildir", 2, 10);
is(scalar @f, 2, 'delivered after the reloads');

# kill $(cat var/smarthostd.pid)
kill('TERM', $daemon_pid);
ok(wait_for(sub { !kill(0, $daemon_pid) }, 15), 'SIGTERM: it exits');
$daemon_pid = undef;
ok(!-e $pidfile, 'the pid file is removed at a clean exit');
chdir($cwd);

done_testing();
