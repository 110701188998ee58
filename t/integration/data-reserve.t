#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# data-reserve.t -- #19 item 10: the spool's free-space reserve (64 MiB) is
# checked every 256 KiB of DATA, not only at MAIL.  The daemon runs in a
# mount namespace with its spool on a 110 MiB tmpfs: MAIL is accepted (more
# than 64 MiB free), and a 60 MiB message would eat into the reserve, so
# it gets 452 4.3.1 at the end of data and nothing is queued; a small
# message still goes through after.
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
my $real = smarthostd();
my $wrapper = tempdir('wrap') . '/smarthostd-on-tmpfs';
write_file($wrapper, <<"EOF_SH");
#!/bin/sh
exec unshare -m sh -c '
	mount -t tmpfs -o size=110m tmpfs "\$0" || exit 1
	exec "\$@"' '$mnt' '$real' "\$@"
EOF_SH
chmod(0755, $wrapper) or die "chmod: $!";
$ENV{SMARTHOSTD} = $wrapper;

my $sink = start_sink();
my $d = start_daemon(
    spool => "$mnt/spool",
    config_text => {
	listener => 'max_message_size = "100M";',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1h";',
    });

my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
my $line = ('y' x 98) . "\r\n";
my $r = $s->mail(from => 'a@x.test', to => 'b@y.test', timeout => 60,
    data => "Subject: big\r\n\r\n" . ($line x (60 * 1024 * 1024 / 100)));
is($r && $r->{code}, 452, '60 MiB into a spool with 110 MiB: 452 at the end')
    or diag explain $r;
is($r && $r->{enh}, '4.3.1', '... 4.3.1');
$r = $s->mail(from => 'a@x.test', to => 'b@y.test',
    data => "Subject: small\r\n\r\nsmall\r\n");
is($r && $r->{code}, 250, 'a small message after it is queued');
$s->cmd('QUIT');
$s->close;
ok($d->wait_log(qr/reason=spool_full/, 5), 'the refusal is logged');
ok($sink->wait_messages(1, 15) >= 1, 'the small one is delivered');
ok(!(grep { $_->{data} =~ /Subject: big/ } $sink->messages),
    'the big one was not');

is($d->stop, 0, 'daemon exits cleanly');
done_testing();
