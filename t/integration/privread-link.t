#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# privread-link.t -- #19 item 10, an attack on its fix: the root helper
# must not hand the daemon a root-only file that the daemon's own user
# (mail) linked in place of a file the configuration names.  Here the
# users file lives in a directory that mail owns; mail swaps it for a
# symbolic link to a root-only file of name:hash lines (another
# service's password file, say) and asks for a reload.  The helper refuses the path (a directory
# others than root may change), the daemon reads it as mail, cannot, and
# keeps the old users; before, root's file became the users file.  The
# same through an @include file that mail may change.
use strict;
use warnings;
use Test::More;
use POSIX qw(setgid setuid);
use MIME::Base64 qw(encode_base64);
use SmarthostTest;
use TestCerts;

skip_unless_built_with('auth-server');

plan skip_all => 'needs root to run the daemon as another user' if $> != 0;
my @mail = getpwnam('mail');
plan skip_all => 'needs the user mail' unless @mail;
BEGIN {
	eval { require IO::Socket::SSL; 1 }
	    or plan skip_all => 'IO::Socket::SSL missing '
	    . '(Debian: libio-socket-ssl-perl, libnet-ssleay-perl)';
}
my ($muid, $mgid) = @mail[2, 3];

my $certs = TestCerts->new();
my $top = tempdir('keys');
chmod(0755, $top);
my $mdir = "$top/mail-owned";
mkdir($mdir, 0755) or die "mkdir: $!";
chown($muid, $mgid, $mdir);
sub hash { my $h = `openssl passwd -6 '$_[0]'`; chomp $h; return $h }
write_file("$mdir/users", 'bob:' . hash('bobpw') . "\n");
chown($muid, $mgid, "$mdir/users");
chmod(0640, "$mdir/users");
# Root's secret, 0600: if the daemon ever reads it, alice may log in.
my $victim = "$top/shadow-like";
write_file($victim, 'alice:' . hash('alicepw') . "\n");
chmod(0600, $victim);

my $d = start_daemon(no_start => 1,
    config_text => {
	top => 'user = "mail";',
	level => 'info',
	listener => sprintf('tls = "starttls"; cert = "%s"; key = "%s"; '
	    . 'auth = "optional"; users = "%s/users"; relay_from = [ ];',
	    $certs->{server_cert}, $certs->{server_key}, $mdir),
    });
chmod(0755, $d->dir, $d->dir . '/..') or die "chmod: $!";
$d->start;
like($d->log, qr/running as user mail/, 'the daemon dropped to mail');

sub auth_code {
	my ($user, $pass) = @_;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	my $r = $s->cmd('STARTTLS');
	return 0 unless $r && $r->{code} == 220 && $certs->tls_up($s);
	$s->cmd('EHLO client.test');
	$r = $s->cmd('AUTH PLAIN ' . encode_base64("\0$user\0$pass", ''), 20);
	$s->cmd('QUIT');
	$s->close;
	return $r ? $r->{code} : 0;
}
is(auth_code('bob', 'bobpw'), 235, 'bob, in the users file, logs in');

# As mail (the daemon's user, say compromised): the swap, then a reload.
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	$) = "$mgid $mgid";
	setgid($mgid) or POSIX::_exit(90);
	setuid($muid) or POSIX::_exit(91);
	unlink("$mdir/users") or POSIX::_exit(92);
	symlink($victim, "$mdir/users") or POSIX::_exit(93);
	POSIX::_exit(0);
}
waitpid($pid, 0);
is($? >> 8, 0, 'mail replaced the users file by a link to root\'s file');
my $off = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/reload(?:ed| failed)/, 10, after => $off), 'reload done');
my $tail = substr($d->log, $off);
like($tail, qr/privileged read of "\Q$mdir\E\/users" refused: \Q$mdir\E may be changed by others than root/,
    'the helper refused a path that mail may change') or diag $tail;
unlike($tail, qr/alice/, 'nothing of root\'s file in the log');
isnt(auth_code('alice', 'alicepw'), 235,
    'the root-only file did not become the users file');
is(auth_code('bob', 'bobpw'), 235, 'the old users are kept');

is($d->stop, 0, 'daemon exits cleanly');

# 2. The same through the configuration: an @include that mail may change
# names root's file.  The helper loads the configuration as root to learn
# which files it may serve, so a file of it that others may change must
# not count: the include is refused, nothing new is served.
write_file("$top/users-ok", 'bob:' . hash('bobpw') . "\n");
chmod(0600, "$top/users-ok");
write_file("$mdir/lu.conf", qq{users = "$top/users-ok";\n});
chown($muid, $mgid, "$mdir/lu.conf");
$d = start_daemon(no_start => 1,
    config_text => {
	top => 'user = "mail";',
	level => 'info',
	listener => sprintf('tls = "starttls"; cert = "%s"; key = "%s"; '
	    . "auth = \"optional\"; relay_from = [ ];\n\@include \"%s/lu.conf\"\n",
	    $certs->{server_cert}, $certs->{server_key}, $mdir),
    });
chmod(0755, $d->dir, $d->dir . '/..') or die "chmod: $!";
$d->start;
is(auth_code('bob', 'bobpw'), 235, 'include: bob logs in');
$pid = fork() // die "fork: $!";
if ($pid == 0) {
	$) = "$mgid $mgid";
	setgid($mgid) or POSIX::_exit(90);
	setuid($muid) or POSIX::_exit(91);
	open(my $fh, '>', "$mdir/lu.conf") or POSIX::_exit(92);
	print $fh qq{users = "$victim";\n};
	close($fh) or POSIX::_exit(93);
	POSIX::_exit(0);
}
waitpid($pid, 0);
is($? >> 8, 0, 'mail pointed its included file at root\'s file');
$off = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/reload(?:ed| failed)/, 10, after => $off), 'include: reload done');
$tail = substr($d->log, $off);
like($tail, qr/lu\.conf: not read by the root helper: \Q$mdir\E may be changed by others than root/,
    'the helper did not read the included file mail may change') or diag $tail;
isnt(auth_code('alice', 'alicepw'), 235,
    'include: the root-only file did not become the users file');
is(auth_code('bob', 'bobpw'), 235, 'include: the old users are kept');
is($d->stop, 0, 'daemon exits cleanly');
done_testing();
