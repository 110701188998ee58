#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# incoming-local.t -- #19 items 2 and 4: a local user (nobody) against the
# pickup of incoming/ while the daemon runs as another user (mail).
#   2. A directory (or anything that is not a plain file) in incoming/ is
#      left alone and logged; it never stops the pickup of other mail, not
#      even after a restart.
#   4. Root's start-up handover of the spool never chowns a hard link to
#      somebody else's file, a file of root's moved into queue/, nor
#      anything in corrupt/.
# (Item 1, a file grown after it was opened, is incoming-grow.t.)
use strict;
use warnings;
use Test::More;
use POSIX qw(setgid setuid);
use Socket ();
use SmarthostTest;

plan skip_all => 'needs root to run the daemon and the attacker as other users'
    if $> != 0;
my @mail = getpwnam('mail');
my @nobody = getpwnam('nobody');
plan skip_all => 'needs the users mail and nobody' unless @mail && @nobody;
my ($muid, $mgid) = @mail[2, 3];
my ($nuid, $ngid) = @nobody[2, 3];

# Run code as nobody in a child; returns its exit status.
sub as_nobody {
	my ($code) = @_;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		$) = "$ngid $ngid";
		setgid($ngid) or POSIX::_exit(90);
		setuid($nuid) or POSIX::_exit(91);
		POSIX::_exit($code->() ? 0 : 1);
	}
	waitpid($pid, 0);
	return $? >> 8;
}

my $sink = start_sink();
my $d = start_daemon(no_start => 1,
    config_text => {
	top => 'user = "mail";',
	level => 'info',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });
# The spool must be reachable by mail and by the local user.
chmod(0755, $d->dir, $d->dir . '/..') or die "chmod: $!";
$d->start;
my $inc = $d->spool . '/incoming';
ok(-d $inc, 'incoming/ exists');

my $n = 0;
# A valid incoming file, written and renamed into place as nobody.
sub inject {
	my ($rcpt) = @_;
	$n++;
	my $name = sprintf('msg.%016x.%032x', time, $$ * 1000 + $n);
	is(as_nobody(sub {
		open(my $fh, '>', "$inc/.tmp.$name") or return 0;
		print $fh "smarthostd-incoming 1\nsender user\@local.test\n"
		    . "rcpt $rcpt\n\nSubject: $rcpt\n\nhello\n";
		close($fh) or return 0;
		return rename("$inc/.tmp.$name", "$inc/$name");
	}), 0, "nobody injected a message for $rcpt");
}

# 2. A directory first in name order, then a real message.
is(as_nobody(sub { mkdir("$inc/msg.0000000000000000.0") }), 0,
    'nobody made a directory in incoming/');
is(as_nobody(sub { mkfifo_ok("$inc/msg.0000000000000000.1") }), 0,
    'nobody made a FIFO in incoming/');
# Other entries a user can make: a symbolic link to root's secret, a
# UNIX socket, a file the daemon may not read.
is(as_nobody(sub { symlink('/etc/shadow', "$inc/msg.0000000000000000.2") }),
    0, 'nobody made a symbolic link to /etc/shadow in incoming/');
is(as_nobody(sub {
	socket(my $sk, Socket::PF_UNIX(), Socket::SOCK_STREAM(), 0) or return 0;
	return bind($sk, Socket::pack_sockaddr_un("$inc/msg.0000000000000000.3"));
}), 0, 'nobody bound a UNIX socket in incoming/');
is(as_nobody(sub {
	open(my $fh, '>', "$inc/.tmp.unreadable") or return 0;
	print $fh "smarthostd-incoming 1\nsender a\@b.test\nrcpt c\@d.test\n\nx\n";
	close($fh) or return 0;
	return chmod(0, "$inc/.tmp.unreadable") &&
	    rename("$inc/.tmp.unreadable", "$inc/msg.0000000000000000.4");
}), 0, 'nobody made a file the daemon may not read');
inject('first@dest.test');
ok($sink->wait_messages(1, 15) >= 1, 'mail after the directory is delivered')
    or diag $d->log;
ok($d->wait_log(qr/incoming\/msg\.0000000000000000\.0: not a regular file; left alone/, 5),
    'the directory is logged as left alone');
for my $i (1 .. 3) {
	ok($d->wait_log(qr/incoming\/msg\.0000000000000000\.$i: not a regular file; left alone/, 5),
	    "entry .$i (FIFO, link, socket) is logged as left alone");
}
ok($d->wait_log(qr/incoming\/msg\.0000000000000000\.4: Permission denied; left alone/, 5),
    'the unreadable file is logged as left alone');
ok(-l "$inc/msg.0000000000000000.2" && -S "$inc/msg.0000000000000000.3",
    'the link and the socket are where they were');
is((stat('/etc/shadow'))[4], 0, '/etc/shadow still belongs to root');
unlike($d->log, qr/pickup stopped/, 'pickup never stopped');

$d->stop;
$d->start;
inject('second@dest.test');
ok($sink->wait_messages(2, 15) >= 2, 'after a restart, pickup still works')
    or diag $d->log;
ok(-d "$inc/msg.0000000000000000.0", 'the directory is still where it was');

# 4. A hard link to root's file, in incoming/ and in corrupt/.
my $victim = tempdir('victim') . '/shadow-like';
write_file($victim, "root:secret\n");
chmod(0600, $victim);
chown(0, 0, $victim);
# As a user could where fs.protected_hardlinks is 0 (done as root here).
link($victim, "$inc/msg.0000000000000001.link") or die "link: $!";
link($victim, $d->spool . '/corrupt/planted') or die "link: $!";
link($victim, $d->spool . '/queue/planted') or die "link: $!";
# And a file of root's moved (not linked) into queue/, as the daemon's user
# could from any directory it may write: one link, but not the spool's.
my $moved = tempdir('moved') . '/root-secret';
write_file($moved, "root:other-secret\n");
chmod(0600, $moved);
chown(0, 0, $moved);
system('mv', $moved, $d->spool . '/queue/moved-in') == 0 or die "mv";
inject('third@dest.test');
ok($sink->wait_messages(3, 15) >= 3, 'mail after the hard link is delivered');
ok($d->wait_log(qr/incoming\/msg\.0000000000000001\.link: has other links; left alone/, 5),
    'the hard link is left alone in incoming/');
$d->stop;
$d->start;		# the handover runs again, as root
my @st = stat($victim);
is($st[4], 0, "root's file still belongs to root after a restart");
is($st[2] & 07777, 0600, "root's file kept its mode");
ok($d->wait_log(qr/queue\/planted is a file with other links; its owner is left/, 5),
    'the handover says it left the hard link alone');
my @mv = lstat($d->spool . '/queue/moved-in');
@mv = lstat($d->spool . '/corrupt/moved-in') unless @mv;
ok(@mv && $mv[4] == 0, "root's file moved into queue/ still belongs to root")
    or diag $d->log;
ok($d->wait_log(qr/queue\/moved-in belongs to uid 0, not to the directory's owner/, 5),
    'the handover says it left that file alone');
is((stat($d->spool . '/queue'))[4], $muid, 'queue/ itself was handed over');
is((stat($d->spool . '/corrupt'))[4], $muid, 'corrupt/ itself was handed over');
unlink($d->spool . '/queue/planted', $d->spool . '/corrupt/planted',
    $d->spool . '/queue/moved-in', $d->spool . '/corrupt/moved-in',
    "$inc/msg.0000000000000001.link");

is($d->stop, 0, 'daemon exits cleanly');
done_testing();

sub mkfifo_ok { return POSIX::mkfifo($_[0], 0600) }
