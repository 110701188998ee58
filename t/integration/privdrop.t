#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# privdrop.t -- `user`: the daemon binds its listener as root, then becomes
# that user for good; the spool is handed over so queueing still works, and
# deliveries run as that user.  A user that does not exist is an error
# with file:line, at -n as at start.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

plan skip_all => 'privilege drop needs root' if $> != 0;
my @pw = getpwnam('nobody');
plan skip_all => 'no user nobody' unless @pw;
my ($uid, $gid) = @pw[2, 3];

my $d = start_daemon(
    config_text => {
	top => 'user = "nobody";',
	relayers => q{ { name = "box"; type = "maildir"; path = "@TMP@/mail/Maildir"; } },
	routing => 'default_relayer = "box";',
    });
# The Maildir's parent must be writable by the unprivileged user.
mkdir($d->dir . '/mail') or die "mkdir: $!";
chown($uid, $gid, $d->dir . '/mail') or die "chown: $!";
# ...and every directory above it searchable.
chmod(0755, $d->dir, $d->dir . '/..') or die "chmod: $!";

my $status = slurp('/proc/' . $d->pid . '/status') // '';
my ($ruid, $euid, $suid) = $status =~ /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m;
is($ruid, $uid, 'real uid is nobody');
is($euid, $uid, 'effective uid is nobody');
is($suid, $uid, 'saved uid is nobody (root cannot be regained)');
like($d->log, qr/running as user nobody/, 'the drop is logged');
is((stat($d->spool))[4], $uid, 'the spool belongs to nobody');

my $r = send_mail(port => $d->port, from => 'a@x.test', to => ['b@y.test'],
    data => "Subject: dropped\r\n\r\nhello\r\n");
ok($r->{ok} && $r->{code} == 250, 'accepted after the drop') or diag($r->{message});
my @f = maildir_wait($d->dir . '/mail/Maildir', 1, 10);
is(scalar @f, 1, 'delivered into the Maildir');
is((stat($f[0] // '/nonexistent'))[4], $uid, 'the mail file belongs to nobody');
$d->stop;

my $bad = start_daemon(no_start => 1,
    config_text => { top => 'user = "no-such-user-here";' });
my ($rc, $err) = run_daemon_check($bad->config_file);
is($rc, 1, 'an unknown user is an error at -n (issue 10 item 7)');
like($err, qr/smarthostd\.conf:\d+: user "no-such-user-here": no such user/,
    '-n says file:line and why');
my $out = `$ENV{SMARTHOSTD} -f -c @{[$bad->config_file]} 2>&1`;
isnt($? >> 8, 0, 'the daemon refuses to start');
like($out, qr/user "no-such-user-here": no such user/, 'and says why');

# Issue 10 item 5: a pid file where only root may write (as /run is) is
# written before the drop, and at a clean exit it is removed where the
# daemon still may, else emptied so that it names no process.
for my $case ([ 'root-owned /run', 0755 ], [ 'writable directory', 0777 ]) {
	my ($what, $mode) = @$case;
	my $pd = start_daemon(no_start => 1, config_text => {
	    top => 'user = "nobody"; pid_file = "@TMP@/run/smarthostd.pid";' });
	my $run = $pd->dir . '/run';
	mkdir($run) or die "mkdir $run: $!";
	chmod($mode, $run) or die;
	chmod(0755, $pd->dir) or die;
	my $pidfile = "$run/smarthostd.pid";
	$pd->start;
	my $pid = (slurp($pidfile) // '') =~ /^(\d+)\n\z/ ? $1 : undef;
	is($pid, $pd->pid, "$what: the pid file names the daemon");
	is((stat($pidfile))[4], 0, "$what: written by root, before the drop");
	is((stat($pidfile))[2] & 07777, 0644, "$what: mode 0644");
	like($pd->log, qr/running as user nobody/, "$what: and it dropped");
	is($pd->stop, 0, "$what: clean stop");
	if ($mode == 0777) {
		ok(!-e $pidfile, "$what: removed at exit");
	} else {
		ok(-e $pidfile && -z $pidfile, "$what: cannot be removed by "
		    . 'nobody, so it is emptied at exit');
	}
}

done_testing();
