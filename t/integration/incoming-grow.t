#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# incoming-grow.t -- #19 item 1: a local user (nobody) cannot fill the spool
# past its reserve, nor past max_message_size, by growing a file in
# incoming/ after the daemon opened it.  The daemon runs as mail in a mount
# namespace of its own with the spool on a 160 MiB tmpfs (as in the
# report); the test catches the moment the daemon has the file open
# (/proc/PID/fd), stops it, lets nobody make the file 1 GiB (sparse), and
# lets it go on.  Only the size seen at open may be queued.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;

plan skip_all => 'needs root for a tmpfs and other users' if $> != 0;
my @nobody = getpwnam('nobody');
plan skip_all => 'needs the users mail and nobody'
    unless @nobody && getpwnam('mail');
my $probe = tempdir('probe');
plan skip_all => 'cannot make a mount namespace with a tmpfs here'
    if system('unshare', '-m', 'sh', '-c',
	"mount -t tmpfs -o size=1m tmpfs '$probe' && umount '$probe'") != 0;
for my $tool (qw(nsenter setpriv truncate)) {
	plan skip_all => "needs $tool (util-linux, coreutils)"
	    if system("command -v $tool >/dev/null 2>&1") != 0;
}

my $mnt = tempdir('mnt');
my $real = smarthostd();
my $wrapper = tempdir('wrap') . '/smarthostd-on-tmpfs';
write_file($wrapper, <<"EOF_SH");
#!/bin/sh
exec unshare -m sh -c '
	mount -t tmpfs -o size=160m,mode=0755 tmpfs "\$0" || exit 1
	exec "\$@"' '$mnt' '$real' "\$@"
EOF_SH
chmod(0755, $wrapper) or die "chmod: $!";
$ENV{SMARTHOSTD} = $wrapper;

my $sink = start_sink();
my $d = start_daemon(no_start => 1,
    spool => "$mnt/spool",
    config_text => {
	top => 'user = "mail";',
	level => 'info',
	listener => 'max_message_size = "30M";',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1h";',
    });
chmod(0755, $d->dir, $d->dir . '/..', $mnt) or die "chmod: $!";
$d->start;
my $pid = $d->pid;
my $inc = $d->spool . '/incoming';

# Run argv in the daemon's mount namespace, as nobody.
sub in_ns_as_nobody {
	return system('nsenter', '-t', $pid, '-m', '--', 'setpriv',
	    "--reuid=$nobody[2]", "--regid=$nobody[3]", '--clear-groups', @_);
}

# 20 MiB of ordinary lines, written by nobody under a temporary name.
my $name = sprintf('msg.%016x.%032x', time, $$);
my $tmp = tempdir('gen') . '/body';
open(my $fh, '>', $tmp) or die "$tmp: $!";
print $fh "smarthostd-incoming 1\nsender user\@local.test\nrcpt big\@dest.test\n\n"
    . "Subject: grows\n\n";
my $line = ('x' x 76) . "\n";
print $fh $line x (20 * 1024 * 1024 / 77);
close($fh);
chmod(0644, $tmp);
chmod(0755, dirname_of($tmp));
my $size = -s $tmp;
is(in_ns_as_nobody('cp', $tmp, "$inc/.tmp.$name"), 0,
    'nobody wrote a 20 MiB message into incoming/');

# Rename it into place, and stop the daemon as soon as it has it open.
is(in_ns_as_nobody('mv', "$inc/.tmp.$name", "$inc/$name"), 0,
    'and renamed it into place');
my $caught = 0;
my $deadline = time + 10;
while (time < $deadline) {
	if (opendir(my $dh, "/proc/$pid/fd")) {
		for my $fd (readdir($dh)) {
			my $l = readlink("/proc/$pid/fd/$fd") // next;
			if (index($l, $name) >= 0) {
				kill('STOP', $pid);
				$caught = 1;
				last;
			}
		}
		closedir($dh);
	}
	last if $caught;
	sleep(0.0005);
}
SKIP: {
	skip 'the daemon copied the file before it could be caught', 5
	    unless $caught;
	is(in_ns_as_nobody('truncate', '-s', '1G', "$inc/$name"), 0,
	    'nobody grew the open file to 1 GiB (sparse)');
	kill('CONT', $pid);
	my $l = $d->wait_log(qr/^.*\baccepted\b.*uid=$nobody[2].*$/m, 60) // '';
	my ($got) = $l =~ /\bsize=(\d+)/;
	ok(defined $got, 'the message was queued') or diag $d->log;
	# CRLF line ends and our Received: are added to what was read.
	ok(defined $got && $got <= $size + int($size / 77) + 4096,
	    'only the size seen at open was queued')
	    or diag('queued ' . ($got // 'nothing') . " of $size");
	# The fill itself, however briefly it lasted before a failed copy
	# was thrown away: the spool must never have run out.
	unlike($d->log, qr/No space left on device/,
	    'the spool never ran out of space');
	my $df = `nsenter -t $pid -m -- df -k --output=avail $mnt 2>/dev/null`;
	my ($avail) = $df =~ /(\d+)\s*\z/;
	cmp_ok(($avail // 0) * 1024, '>', 64 * 1024 * 1024,
	    'the spool kept its 64 MiB reserve');
}
kill('CONT', $pid);
is($d->stop, 0, 'daemon exits cleanly');
done_testing();

sub dirname_of { (my $x = $_[0]) =~ s{/[^/]*$}{}; return $x }
