#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# diskfull.t -- 452 4.3.1 when the spool's file system is nearly full: the
# daemon stops accepting before it cannot write (spool_has_space: less than
# 64 MiB or 1% available), and accepts again once space is back.  The daemon
# runs in a mount namespace of its own with the spool on a 100 MiB tmpfs, of
# which a filler file takes 40 MiB until the test asks for it to go.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

plan skip_all => 'needs root to mount a tmpfs' if $> != 0;
my $probe = tempdir('probe');
plan skip_all => 'cannot make a mount namespace with a tmpfs here'
    if system('unshare', '-m', 'sh', '-c',
	"mount -t tmpfs -o size=1m tmpfs '$probe' && umount '$probe'") != 0;

my $mnt = tempdir('mnt');
my $release = "$mnt.release";
my $real = smarthostd();
my $wrapper = tempdir('wrap') . '/smarthostd-on-tmpfs';
write_file($wrapper, <<"EOF_SH");
#!/bin/sh
# unshare without --fork execs in place: the harness's pid stays the daemon.
exec unshare -m sh -c '
	mount -t tmpfs -o size=100m tmpfs "\$0" || exit 1
	dd if=/dev/zero of="\$0/filler" bs=1M count=40 2>/dev/null || exit 1
	( while [ ! -e "\$1" ]; do sleep 0.1; done; rm -f "\$0/filler" ) &
	shift; exec "\$@"' '$mnt' '$release' '$real' "\$@"
EOF_SH
chmod(0755, $wrapper) or die "chmod: $!";
$ENV{SMARTHOSTD} = $wrapper;

my $sink = start_sink();
my $d = start_daemon(
    spool => "$mnt/spool",
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });

my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
my $r = $s->cmd('MAIL FROM:<a@x.test>');
is($r->{code}, 452, 'nearly full spool: MAIL gets 452');
is($r->{enh}, '4.3.1', '... with 4.3.1');
$s->cmd('QUIT');
$s->close;
is($sink->count, 0, 'nothing was relayed');

write_file($release, "");
ok(wait_for(sub {
	my $t = smtp_session(port => $d->port);
	$t->start_ehlo('client.test');
	my $m = $t->cmd('MAIL FROM:<a@x.test>');
	$t->cmd('QUIT');
	$t->close;
	return $m && $m->{code} == 250;
}, 10), 'space back: MAIL is accepted again');

my $sent = send_mail(port => $d->port, from => 'a@x.test', to => ['b@y.test'],
    data => "Subject: room again\r\n\r\nhello\r\n");
ok($sent->{ok}, 'a message is accepted') or diag($sent->{message});
is(scalar($sink->wait_messages(1, 10)), 1, 'and relayed');
$d->stop;
done_testing();
