#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# diskfull.t -- a full spool on a small tmpfs in a private mount namespace
# (unshare -m; skipped with the reason where root cannot mount): a message
# bigger than the space left is refused at the end of data (451 on a write
# error, or 452 4.3.1 when the free-space reserve runs out first, as it
# usually does since the reserve is checked per chunk),
# mail keeps coming while the downstream is away until MAIL gets 452
# 4.3.1, and never is a 250 given for what is not durable: every message
# acknowledged is delivered once the downstream is back.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use StressCheck;
use Digest::SHA ();

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
# unshare without --fork execs in place: the harness's pid stays the daemon.
exec unshare -m sh -c '
	mount -t tmpfs -o size=96m tmpfs "\$0" || exit 1
	exec "\$@"' '$mnt' '$real' "\$@"
EOF_SH
chmod(0755, $wrapper) or die "chmod: $!";
$ENV{SMARTHOSTD} = $wrapper;

my $sink_port = free_port();
my $fake = bless { host => '127.0.0.1', port => $sink_port },
    'SmarthostTest::Sink';
my $d = start_daemon(
    spool => "$mnt/spool",
    config_text => {
	listener => 'max_message_size = "200M";',
	relayers => sink_relayer($fake),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
	level => 'info',
    });

sub one {
	my ($id, $size) = @_;
	my $s = smtp_session(port => $d->port, timeout => 30);
	$s->start_ehlo('client.test');
	my $r = $s->cmd('MAIL FROM:<a@src.test>');
	if (!$r || $r->{code} != 250) {
		$s->close;
		return $r;
	}
	$r = $s->cmd("RCPT TO:<r.$id\@dest.test>");
	$r = $s->cmd('DATA');
	my $line = ('z' x 1022) . "\r\n";
	$s->send("Message-ID: <$id\@disk.test>\r\nSubject: $id\r\n\r\n");
	$s->send($line x 1024) for 1 .. $size;	# MiB
	$r = $s->cmd('.', 30);
	$s->cmd('QUIT');
	$s->close;
	return $r;
}

# 1. 100 MiB into a 96 MiB spool: refused, never 250.  Since the free-space
# reserve is checked per DATA chunk (#19 item 10), the reserve usually
# runs out first (452 4.3.1); a write that fails first gives 451.  Either
# is a transient refusal of what is not durable.
my $r = one('big', 100);
ok($r && ($r->{code} == 451 ||
    ($r->{code} == 452 && ($r->{enh} // '') eq '4.3.1')),
    'a message larger than the space left: 451, or 452 4.3.1 at the reserve')
    or diag('got ' . ($r ? "$r->{code} $r->{text}" : 'no reply'));

# 2. 1 MiB messages until MAIL gets 452 4.3.1.
my $hash = Digest::SHA::sha256_hex((('z' x 1022) . "\r\n") x 1024);
my (@acked, $n451, $n452);
$n451 = $n452 = 0;
my $acked_file = tempdir('acked') . '/acked';
for my $i (1 .. 60) {
	my $x = one("m$i", 1);
	if ($x && $x->{code} == 250) {
		push @acked, "<m$i\@disk.test> $hash r.m$i\@dest.test";
	} elsif ($x && $x->{code} == 452) {
		$n452++;
		is($x->{enh}, '4.3.1', 'full: MAIL gets 452 4.3.1');
		last;
	} elsif ($x && $x->{code} == 451) {
		$n451++;
	} else {
		fail("m$i: unexpected reply " . ($x ? $x->{raw} : 'none'));
		last;
	}
}
cmp_ok(scalar @acked, '>', 10, scalar(@acked) . ' messages accepted first');
is($n452, 1, 'then 452 at MAIL');

# 3. The downstream is back: every acknowledged message is delivered.
write_file($acked_file, join('', map { "$_\n" } @acked));
my $rec = tempdir('rec') . '/record';
my $sink = start_sink(port => $sink_port, record => $rec);
my $c = delivery_check($acked_file, $rec, 60);
is($c->{lost}, 0, 'every acknowledged message delivered');
unlike(slurp($rec) // '', qr/<big\@disk\.test>/,
    'the message that got 451 was not delivered');
figures('diskfull', %$c, refused => $n452 + $n451);
ok($d->alive, 'daemon running');
$d->stop;
$sink->stop;
done_testing();
