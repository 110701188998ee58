#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# interop/s-nail.t -- Debian's s-nail (mail(1)) sending through
# smarthost-sendmail as its MTA, as a cron job's or a script's mail does:
# the message, its To/Cc recipients and a non-ASCII subject arrive at the
# sink through the daemon.  Part of `make interop`.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $snail = (grep { -x } '/usr/bin/s-nail', '/usr/bin/mail.s-nail')[0];
plan skip_all => 's-nail missing (Debian: s-nail)' unless $snail;
my $top = abs_path(dirname(__FILE__) . '/../..');
my $injector = $ENV{SMARTHOST_SENDMAIL} // "$top/src/smarthost-sendmail";
plan skip_all => "smarthost-sendmail not found at $injector" unless -x $injector;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });
my $conf = $d->config_file;

# s-nail runs mta with its own options; a wrapper adds -C for this daemon.
my $dir = tempdir('snail');
write_file("$dir/mta", "#!/bin/sh\nexec '$injector' -C '$conf' \"\$\@\"\n");
chmod(0755, "$dir/mta");

my ($st, $out, $err) = run_bounded(30, '/bin/sh', '-c',
    "printf 'Hello from s-nail.\\nSecond line.\\n' | "
    . "HOME='$dir' LC_ALL=C.UTF-8 MAILRC=/dev/null '$snail' -:/ "
    . "-S mta='$dir/mta' -S sendwait -S ttycharset=utf-8 "
    . "-r 'cron\@box.test' -s 'Nightly report \xc3\xa9t\xc3\xa9' "
    . "-c 'cc\@remote.test' 'to\@remote.test'");
is($st, 0, 's-nail exits 0') or diag "$out$err";
my @m = $sink->wait_messages(1, 20);
is(scalar @m, 1, 'one message relayed') or diag $d->log;
my $m = $m[0] // {};
is_deeply([ sort @{$m->{json}{rcpt_tos} // []} ],
    [ 'cc@remote.test', 'to@remote.test' ], 'To and Cc recipients');
is($m->{json}{mail_from}, 'cron@box.test', 'envelope sender from -r');
like($m->{data} // '', qr/^Subject: Nightly report =\?utf-8\?/mi,
    'the non-ASCII subject is MIME-encoded by s-nail, intact');
like($m->{data} // '', qr/Hello from s-nail\.\r\nSecond line\.\r\n/,
    'the body, with CRLF line ends on the wire');
like($m->{data} // '', qr/^Received: by relay\.test \(smarthostd, from userid \d+\)/m,
    'Received: names the local pickup');
is($d->stop, 0, 'clean stop');
done_testing();
