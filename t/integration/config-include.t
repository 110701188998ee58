#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# config-include.t -- `@include` as a user writes it (issue 10 item 2): a
# relative name is taken relative to the directory of the file that holds
# the directive (also in a nested include), whatever the working directory;
# an error inside an included file names that file and its line at start,
# with -n and on reload.
use strict;
use warnings;
use Test::More;
use Cwd qw(getcwd);
use File::Path qw(make_path);
use SmarthostTest;

my $dir = tempdir('inc');
make_path("$dir/etc/conf.d");
my $port = free_port();
my $main = "$dir/etc/smarthostd.conf";

write_file($main, <<"EOF");
hostname = "relay.test";
spool = "$dir/spool";
control = "";
log = { to = "stderr"; level = "info"; };
listeners = ( { name = "in"; address = "127.0.0.1"; port = $port; } );
\@include "conf.d/relayers.inc"
routing = { default_relayer = "box"; };
EOF
my $good_relayers = <<'EOF';
# relayers, included from ../smarthostd.conf
relayers = (
  {
    name = "box";
    type = "maildir";
    @include "box-path.inc"
  }
);
EOF
write_file("$dir/etc/conf.d/relayers.inc", $good_relayers);
write_file("$dir/etc/conf.d/box-path.inc", qq{path = "$dir/Maildir";\n});

# -n from another working directory, with the file named relative to it.
my $cwd = getcwd();
chdir("$dir/etc/conf.d") or die "chdir: $!";
my ($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c',
    '../smarthostd.conf');
is($st, 0, '-n: nested includes found next to the files that include them')
    or diag($err);
chdir('/') or die;
($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c', $main);
is($st, 0, '-n from /: the same') or diag($err);
chdir($cwd);

# An error in the included file names it and its line.
(my $bad = $good_relayers) =~ s/type = "maildir";/type = "maildir";\n    colour = "blue";/;
write_file("$dir/etc/conf.d/relayers.inc", $bad);
($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c', $main);
is($st, 1, '-n: an error in an included file: exit 1');
like($err, qr{\Q$dir\E/etc/conf\.d/relayers\.inc:6: relayer "box": unknown setting "colour"},
    '-n: names the included file and line');

# In the nested include.
write_file("$dir/etc/conf.d/relayers.inc", $good_relayers);
write_file("$dir/etc/conf.d/box-path.inc",
    qq{# the Maildir\npath = "$dir/Maildir";\npool_size = 2;\n});
($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c', $main);
is($st, 1, '-n: an error in a nested include: exit 1');
like($err, qr{conf\.d/box-path\.inc:3: relayer "box": setting "pool_size"},
    '-n: names the nested file and line') or diag($err);

# A syntax error is mapped too.
write_file("$dir/etc/conf.d/box-path.inc", qq{path = = "$dir/Maildir";\n});
($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c', $main);
like($err, qr{conf\.d/box-path\.inc:1: syntax error}, '-n: a syntax error '
    . 'in an included file names it') or diag($err);

# A missing include names the directive's file and line, and the name.
write_file("$dir/etc/conf.d/box-path.inc", qq{path = "$dir/Maildir";\n});
(my $missing = $good_relayers) =~ s/box-path\.inc/nope.inc/;
write_file("$dir/etc/conf.d/relayers.inc", $missing);
($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c', $main);
like($err, qr{conf\.d/relayers\.inc:6: \@include "nope\.inc": No such file or directory},
    '-n: a missing include names where it is included from');

# An error after the directive in the main file keeps the main file's line.
write_file("$dir/etc/conf.d/relayers.inc", $good_relayers);
my $text = slurp($main);
write_file($main, $text . "colour = \"red\";\n");
($st, $out, $err) = run_bounded(10, smarthostd(), '-n', '-c', $main);
like($err, qr{\Q$main\E:8: unknown setting "colour"},
    '-n: lines of the main file after an include are its own');
write_file($main, $text);

# At start: the same message, exit 1.
write_file("$dir/etc/conf.d/relayers.inc", $bad);
($st, $out, $err) = run_bounded(10, smarthostd(), '-f', '-c', $main);
is($st, 1, 'start: refused');
like($err, qr{conf\.d/relayers\.inc:6: relayer "box": unknown setting "colour"},
    'start: names the included file and line');

# On reload: the daemon runs from the good files; the bad one is refused
# with file:line, a good one is taken.
write_file("$dir/etc/conf.d/relayers.inc", $good_relayers);
my $d = start_daemon(no_start => 1, port => $port);
$d->{config} = $main;		# ours, not a copy: its includes are beside it
$d->start;
my $r = send_mail(port => $port, from => 'a@x.test', to => 'b@y.test',
    data => "Subject: one\n\none\n");
ok($r->{ok}, 'running with included relayers: accepted');
my @m = maildir_wait("$dir/Maildir", 1, 10);
is(scalar @m, 1, 'delivered by the included relayer');
write_file("$dir/etc/conf.d/relayers.inc", $bad);
my $mark = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr{reload failed.*conf\.d/relayers\.inc:6: relayer "box": unknown setting "colour"},
    10, after => $mark), 'reload: names the included file and line');
write_file("$dir/etc/conf.d/relayers.inc", $good_relayers);
$mark = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr{reloaded \Q$main\E}, 10, after => $mark),
    'reload: a good include again is taken');
is($d->stop, 0, 'clean stop');

done_testing();
