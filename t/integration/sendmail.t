#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# sendmail.t -- smarthost-sendmail and the daemon's pickup of incoming/:
# -t with the daemon stopped (the message waits in incoming/ and goes out
# once the daemon starts), prompt pickup while it runs, recipients as
# arguments, -f and -fsender, -F, -i and the lone dot, Message-ID and Date
# added only when missing, Bcc removed, LF input stored CRLF, one queued
# message per recipient domain, bad addresses refused with nothing queued,
# unknown options refused, -bp, a malformed incoming file moved aside, and
# (as root) injection by an unprivileged user.
use strict;
use warnings;
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $top = $ENV{TOP_BUILDDIR} // '.';
my $injector = $ENV{SMARTHOST_SENDMAIL} // "$top/src/smarthost-sendmail";
plan skip_all => "smarthost-sendmail not found at $injector" unless -x $injector;

my $sink = start_sink();
my $d = start_daemon(
    no_start => 1,
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });
my $conf = $d->config_file;
my $incoming = $d->spool . '/incoming';

# Run the injector: (exit status, stderr, stdout).  `as` => [setpriv
# arguments] runs it as another user.
my $runs = 0;
sub inject {
	my (%o) = @_;
	my $dir = tempdir('inject');
	my $in = "$dir/stdin";
	write_file($in, $o{input} // '');
	chmod(0644, $in);
	my @argv = ($injector, '-C', $o{conf} // $conf, @{$o{args} // []});
	unshift @argv, 'setpriv', @{$o{as}}, '--' if $o{as};
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(STDIN, '<', $in) or POSIX::_exit(126);
		open(STDOUT, '>', "$dir/stdout") or POSIX::_exit(126);
		open(STDERR, '>', "$dir/stderr") or POSIX::_exit(126);
		{ exec { $argv[0] } @argv }
		POSIX::_exit(127);
	}
	my $deadline = time + 20;
	my $st;
	while (1) {
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid) { $st = $?; last }
		if (time > $deadline) {
			kill('KILL', $pid);
			waitpid($pid, 0);
			$st = -1;
			last;
		}
		sleep(0.02);
	}
	$runs++;
	return (($st == -1 ? -1 : ($st & 127) ? 128 + ($st & 127) : $st >> 8),
	    slurp("$dir/stderr") // '', slurp("$dir/stdout") // '');
}

sub incoming_files {
	opendir(my $dh, $incoming) or return ();
	my @f = grep { /^msg\./ } readdir($dh);
	closedir($dh);
	return @f;
}

sub headers_of {
	my ($data) = @_;
	my ($h) = $data =~ /\A(.*?\r\n)\r\n/s;
	return $h // '';
}

# Messages in the sink whose data match $re, waiting up to $timeout.
sub wait_sink {
	my ($re, $timeout, $n) = @_;
	$n //= 1;
	my @m;
	wait_for(sub {
		@m = grep { $_->{data} =~ $re } $sink->messages;
		@m >= $n;
	}, $timeout // 10);
	return @m;
}

#
# 1. The daemon is down (it has never run: the injector, as root here,
#    creates the spool): the message waits in incoming/.
#
my $msg1 = "To: Alice <alice\@dest.test>\n"
    . "Bcc: hidden\@dest.test\n"
    . "Subject: while down\n"
    . "\n"
    . "first line\n"
    . "second line\n";
my ($st, $err) = inject(args => [ '-t' ], input => $msg1);
is($st, 0, '-t with the daemon stopped: exit 0') or diag $err;
my @waiting = incoming_files();
is(scalar @waiting, 1, 'the message waits in incoming/');
my $mode = (stat($incoming))[2] // 0;
is(sprintf('%04o', $mode & 07777), '1733', 'incoming/ is 01733');
my $fmode = @waiting ? (stat("$incoming/$waiting[0]"))[2] & 07777 : 0;
is(sprintf('%04o', $fmode), '0644', 'the incoming file is 0644');
my $raw = @waiting ? slurp("$incoming/$waiting[0]") : '';
like($raw, qr/\Asmarthostd-incoming 1\nsender \S+\nrcpt alice\@dest\.test\nrcpt hidden\@dest\.test\n\n/,
    'the file starts with the envelope header');
is($sink->count, 0, 'nothing delivered yet');

# Lines longer than the injector reads at once, any line end: stored
# whole, with CRLF.  (Removed before the daemon starts: the sink would
# refuse such lines.)
my $long = 'x' x 20000;
($st, $err) = inject(args => [ 'long@dest.test' ],
    input => "Subject: long\r\n\r\n$long\nbare\rcr\r\n.x\n$long");
is($st, 0, 'long lines: exit 0') or diag $err;
my ($lf) = grep { $_ ne ($waiting[0] // '') } incoming_files();
my $lraw = defined $lf ? slurp("$incoming/$lf") : '';
like($lraw, qr/\r\n\r\n\Q$long\E\r\nbare\r\ncr\r\n\.x\r\n\Q$long\E\r\n\z/,
    'long lines kept whole, every line end stored as CRLF');
unlink("$incoming/$lf") if defined $lf;

$d->start;
my @m = wait_sink(qr/Subject: while down/, 10);
is(scalar @m, 1, 'daemon started: the waiting message is delivered');
my $m1 = $m[0] // { data => '', json => {} };
ok(wait_for(sub { !incoming_files() }, 5), 'incoming/ is empty afterwards');
is_deeply([ sort @{$m1->{json}{rcpt_tos} // []} ],
    [ 'alice@dest.test', 'hidden@dest.test' ],
    'recipients from To: and Bcc:, in one message (same domain)');
my $user = getpwuid($<) // 'root';
is($m1->{json}{mail_from}, "$user\@relay.test",
    'without -f the sender is the invoking user at hostname');
my ($rcv, $rest) = split_received($m1->{data});
ok(defined $rcv, 'a Received: header on top') or diag substr($m1->{data}, 0, 300);
(my $ur = $rcv // '') =~ s/\r\n(?=[ \t])//g;
like($ur, qr/^Received: by relay\.test \(smarthostd, from userid $<\)\s+id [0-9A-F]{16};/,
    'Received: by <hostname> (smarthostd, from userid N) id <id>');
my $h1 = headers_of($rest // '');
unlike($h1, qr/^Bcc:/mi, 'Bcc: removed');
like($h1, qr/^To: Alice <alice\@dest\.test>\r$/m, 'To: kept as written');
like($h1, qr/^Message-ID: <[^<>\s]+\@relay\.test>\r$/m, 'Message-ID added');
like($h1, qr/^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r$/m,
    'Date added');
like($h1, qr/^From: .*<?\Q$user\E\@relay\.test>?\r$/m, 'From: added');
like($rest // '', qr/\r\n\r\nfirst line\r\nsecond line\r\n\z/,
    'body intact, LF input stored as CRLF');
ok(no_bare_line_ends($m1->{data}), 'no bare CR or LF');
ok($d->wait_log(qr/^.*\baccepted\b.*\blistener=sendmail\b.*$/m, 5),
    'accepted logged with listener=sendmail');

#
# 2. The daemon runs: picked up promptly (inotify; the rescan is 5 s).
#
my $t0 = time;
($st, $err) = inject(args => [ '-f', 'sender@src.test', '-F', 'Jane Q. Doe',
    'bob@dest.test' ], input => "Subject: prompt\n\nhello\n");
is($st, 0, 'recipient as argument, -f, -F: exit 0') or diag $err;
@m = wait_sink(qr/Subject: prompt/, 4);
is(scalar @m, 1, 'delivered promptly while the daemon runs');
diag(sprintf('picked up and delivered in %.2f s', time - $t0)) if @m;
my $m2 = $m[0] // { data => '', json => {} };
is($m2->{json}{mail_from}, 'sender@src.test', '-f sets the envelope sender');
is_deeply($m2->{json}{rcpt_tos}, [ 'bob@dest.test' ], 'recipient from the argument');
like(headers_of($m2->{data}), qr/^From: "Jane Q\. Doe" <sender\@src\.test>\r$/m,
    '-F gives the From: full name (quoted as needed)');

# -fsender attached, a bare local recipient gets @hostname.
($st, $err) = inject(args => [ '-fother@src.test', 'carol' ],
    input => "Subject: attached\nFrom: Someone <someone\@src.test>\n\nx\n");
is($st, 0, '-fsender and a bare local recipient: exit 0') or diag $err;
@m = wait_sink(qr/Subject: attached/, 5);
my $m3 = $m[0] // { data => '', json => {} };
is($m3->{json}{mail_from}, 'other@src.test', '-fsender (attached) sets the sender');
is_deeply($m3->{json}{rcpt_tos}, [ 'carol@relay.test' ],
    'a bare local recipient gets @hostname');
my $h3 = headers_of($m3->{data});
my @from = $h3 =~ /^From:/mg;
is(scalar @from, 1, 'a From: present is kept, none added');

# -f '<>': the null sender (no From: is made up for it).
($st, $err) = inject(args => [ '-f', '<>', 'bounce-ok@dest.test' ],
    input => "Subject: null sender\n\nx\n");
is($st, 0, "-f '<>': exit 0") or diag $err;
@m = wait_sink(qr/Subject: null sender/, 5);
is($m[0]{json}{mail_from} // 'none', '', "-f '<>' gives the null sender");

#
# 3. -i and the lone dot.
#
my $dotted = "Subject: dots %s\n\nline one\n.\nline three\n..two dots\n";
($st, $err) = inject(args => [ '-i', 'dan@dest.test' ],
    input => sprintf($dotted, 'with -i'));
is($st, 0, '-i: exit 0') or diag $err;
@m = wait_sink(qr/Subject: dots with -i/, 5);
like($m[0]{data} // '', qr/\r\nline one\r\n\.\r\nline three\r\n\.\.two dots\r\n\z/,
    '-i: a lone dot line is data, the rest kept');
($st, $err) = inject(args => [ '-oi', 'dan@dest.test' ],
    input => sprintf($dotted, 'with -oi'));
@m = wait_sink(qr/Subject: dots with -oi/, 5);
like($m[0]{data} // '', qr/\r\nline three\r\n/, '-oi works as -i');
($st, $err) = inject(args => [ 'dan@dest.test' ],
    input => sprintf($dotted, 'without -i'));
is($st, 0, 'without -i: exit 0') or diag $err;
@m = wait_sink(qr/Subject: dots without -i/, 5);
like($m[0]{data} // '', qr/\r\nline one\r\n\z/,
    'without -i a lone dot ends the message');

#
# 4. Message-ID and Date: kept when present, never doubled.
#
($st, $err) = inject(args => [ 'erin@dest.test' ],
    input => "Message-ID: <given.1\@src.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
    . "Subject: has both\n\nbody\n");
@m = wait_sink(qr/Subject: has both/, 5);
my $h4 = headers_of($m[0]{data} // '');
is(scalar(my @x = $h4 =~ /^Message-ID:/mig), 1, 'one Message-ID');
like($h4, qr/^Message-ID: <given\.1\@src\.test>\r$/m, 'the given Message-ID kept');
is(scalar(my @y = $h4 =~ /^Date:/mig), 1, 'one Date');
like($h4, qr/^Date: Mon, 1 Jan 2024 00:00:00 \+0000\r$/m, 'the given Date kept');

# No header at all: headers added, then the empty line, then the body.
($st, $err) = inject(args => [ 'erin@dest.test' ], input => "just a body\n");
@m = wait_sink(qr/\r\n\r\njust a body\r\n\z/, 5);
ok(@m == 1, 'a message without a header section gets one, before its body');
like(headers_of($m[0]{data} // ''), qr/^Message-ID:.*^Date:/ms,
    'with Message-ID and Date');

#
# 5. One queued message per recipient domain.
#
my $before = $d->log_size;
($st, $err) = inject(args => [ '-t' ], input => "To: f\@one.test, g\@two.test\n"
    . "Cc: h\@one.test\nSubject: two domains\n\nx\n");
is($st, 0, 'two domains: exit 0') or diag $err;
@m = wait_sink(qr/Subject: two domains/, 5, 2);
is(scalar @m, 2, 'two copies, one per domain');
is_deeply([ sort map { join(',', sort @{$_->{json}{rcpt_tos}}) } @m ],
    [ 'f@one.test,h@one.test', 'g@two.test' ], 'grouped by domain');
my $logtail = substr($d->log, $before);
my @queued = $logtail =~ /^.*\bqueued\b.*\bid=[0-9A-F]+.*$/mg;
is(scalar @queued, 2, 'two "queued" log lines');

#
# 6. Refusals: nothing queued.
#
my $count = $sink->count;
$before = $d->log_size;
($st, $err) = inject(args => [ 'bad address@@x' ], input => "Subject: bad\n\nx\n");
is($st, 65, 'a bad recipient: exit 65 (EX_DATAERR)');
like($err, qr/bad recipient/i, 'with a message on stderr');
($st, $err) = inject(args => [ '-t' ], input => "To: ok\@dest.test, <bad\@\@x>\nSubject: bad\n\nx\n");
is($st, 65, 'a bad To: address with -t: exit 65');
($st, $err) = inject(args => [ '-f', 'not an address', 'ok@dest.test' ],
    input => "Subject: bad\n\nx\n");
is($st, 65, 'a bad -f sender: exit 65');
($st, $err) = inject(args => [], input => "Subject: none\n\nx\n");
is($st, 64, 'no recipient at all: exit 64 (EX_USAGE)');
($st, $err) = inject(args => [ '-t' ], input => "Subject: none\n\nx\n");
isnt($st, 0, '-t without any recipient header: non-zero');
($st, $err) = inject(args => [ '-X', '/tmp/log', 'ok@dest.test' ], input => "x\n");
is($st, 64, 'an unknown option: exit 64');
($st, $err) = inject(args => [ '-bs' ], input => "x\n");
is($st, 64, 'an unsupported mode (-bs): exit 64');
like($err, qr/-bs/, 'named on stderr');
($st, $err) = inject(args => [ '-odi', '-oem', '-v', '-B', '8BITMIME', '-bm',
    'ok@dest.test' ], input => "Subject: harmless options\n\nx\n");
is($st, 0, 'harmless options (-odi -oem -v -B 8BITMIME -bm) accepted')
    or diag $err;
is(scalar(incoming_files()) <= 1, 1, 'no stray files');
@m = wait_sink(qr/Subject: harmless options/, 5);
is(scalar @m, 1, 'and that message delivered');
sleep(0.5);
is($sink->count, $count + 1, 'nothing else delivered');
unlike(substr($d->log, $before), qr/Subject: bad|\bbad\@\@x/, 'nothing of the refused ones queued');
ok(!grep({ /^\.tmp\./ } do { opendir(my $h, $incoming); readdir($h) }),
    'no temporary files left in incoming/');

#
# 7. A malformed file is moved aside; the pickup goes on.
#
# Written elsewhere and renamed in, as the injector does.
sub drop_file {
	my ($name, $data) = @_;
	my $tmp = write_file($d->dir . "/$name", $data);
	rename($tmp, "$incoming/$name") or die "rename: $!";
}
drop_file('msg.0000000000000000.garbage', "not an incoming file\n\nhello\n");
drop_file('msg.0000000000000001.badrcpt',
    "smarthostd-incoming 1\nsender a\@b.test\nrcpt <evil>\n\nx\r\n");
($st, $err) = inject(args => [ 'ok@dest.test' ], input => "Subject: after garbage\n\nx\n");
@m = wait_sink(qr/Subject: after garbage/, 8);
is(scalar @m, 1, 'a good message after malformed ones is delivered');
ok(wait_for(sub { -e $d->spool . '/corrupt/msg.0000000000000000.garbage'
    && -e $d->spool . '/corrupt/msg.0000000000000001.badrcpt' }, 5),
    'malformed files moved to corrupt/');
ok($d->wait_log(qr/incoming\/msg\.0000000000000001\.badrcpt: bad recipient/, 2),
    'and logged with the reason');
ok($d->alive, 'the daemon is still running');

# A file written by hand: bare LF and bare CR are stored as CRLF.
drop_file('msg.0000000000000002.handmade',
    "smarthostd-incoming 1\nsender\nrcpt kim\@dest.test\n\n"
    . "Subject: handmade\n\na\nb\rc\r\nd");
@m = wait_sink(qr/Subject: handmade/, 8);
like($m[0]{data} // '', qr/\r\nSubject: handmade\r\n\r\na\r\nb\r\nc\r\nd\r\n\z/,
    'a hand-made file: line ends normalised, last line ended');
is($m[0]{json}{mail_from} // 'none', '', '"sender" alone is the null sender');

# 8-bit content goes out with BODY=8BITMIME.
($st, $err) = inject(args => [ 'lee@dest.test' ],
    input => "Subject: eight bit\n\ncaf\xc3\xa9\n");
@m = wait_sink(qr/Subject: eight bit/, 5);
like(join(' ', @{$m[0]{json}{mail_options} // []}), qr/BODY=8BITMIME/i,
    '8-bit content relayed with BODY=8BITMIME');

# A large message crosses several turns of the pickup (1 MiB each).
my $line = ('y' x 990) . "\n";
my $big = "Subject: big\n\n" . ($line x 3000);
($st, $err) = inject(args => [ 'big@dest.test' ], input => $big);
is($st, 0, 'a 3 MB message: exit 0') or diag $err;
@m = wait_sink(qr/Subject: big\r\n/, 15);
(my $bigcrlf = $line x 3000) =~ s/\n/\r\n/g;
ok(@m == 1 && substr($m[0]{data}, -length($bigcrlf)) eq $bigcrlf,
    'delivered whole');

# A burst: everything arrives, bounded work per turn notwithstanding.
my $burst = 60;
my $bad = 0;
for my $i (1 .. $burst) {
	($st) = inject(args => [ 'burst@dest.test' ],
	    input => "Subject: burst $i\n\nx\n");
	$bad++ if $st != 0;
}
is($bad, 0, "$burst injections in a row: all exit 0");
@m = wait_sink(qr/Subject: burst \d+\r\n/, 20, $burst);
is(scalar @m, $burst, "all $burst delivered");
ok(wait_for(sub { !incoming_files() }, 5), 'incoming/ empty after the burst');

# Size: the injector refuses more than the largest max_message_size
# (1K here, read from a configuration of its own for the same spool) ...
my $small = write_config(config_text(listener => 'max_message_size = "1K";'),
    SPOOL => $d->spool, PORT => free_port(), DNS_PORT => free_port());
($st, $err) = inject(conf => $small, args => [ 'size@dest.test' ],
    input => "Subject: too big\n\n" . ("z" x 70 . "\n") x 30);
is($st, 65, 'larger than max_message_size: exit 65') or diag $err;
like($err, qr/larger than 1024 octets/, 'says so');
($st, $err) = inject(conf => $small, args => [ 'size@dest.test' ],
    input => "Subject: small enough\n\nz\n");
is($st, 0, 'a smaller one with that configuration: exit 0') or diag $err;
@m = wait_sink(qr/Subject: small enough/, 5);
is(scalar @m, 1, 'and delivered');
# ... and the daemon moves aside a larger file made by other means.
drop_file('msg.0000000000000003.huge',
    "smarthostd-incoming 1\nsender\nrcpt huge\@dest.test\n\n"
    . ("h" x 1000 . "\r\n") x (27 * 1024));	# 27.7 MB > 25 MiB
ok(wait_for(sub { -e $d->spool . '/corrupt/msg.0000000000000003.huge' }, 8),
    'a file over the largest max_message_size is moved to corrupt/');
unlink($d->spool . '/corrupt/msg.0000000000000003.huge');
ok($d->wait_log(qr/huge: larger than any listener's max_message_size/, 2),
    'and logged');

#
# 8. -bp (as mailq): no control socket here, so the spool is read.
#
my $out;
($st, $err, $out) = inject(args => [ '-bp' ]);
is($st, 0, '-bp: exit 0') or diag $err;
like($out, qr/queue is empty|messages?\b/i, '-bp prints the queue');

# With a control socket, -bp asks the daemon (smarthostctl's "queue").
my $ctl_text = config_text(relayers => sink_relayer($sink),
    routing => 'default_relayer = "sink";');
$ctl_text =~ s/^control = "";$/control = "\@TMP\@\/ctl.sock";/m;
my $d2 = start_daemon(config => $ctl_text);
ok(wait_for(sub { -S $d2->dir . '/ctl.sock' }, 5), 'a daemon with a control socket');
($st, $err, $out) = inject(conf => $d2->config_file, args => [ '-bp' ]);
is($st, 0, '-bp through the control socket: exit 0') or diag $err;
unlike($out, qr/not running/, 'the daemon answered, not the spool');
$d2->stop;
($st, $err, $out) = inject(conf => $d2->config_file, args => [ '-bp' ]);
is($st, 0, '-bp with that daemon stopped: exit 0') or diag $err;
like($out, qr/not running/, 'says the daemon is not running, reads the spool');

#
# 9. As an unprivileged user (root only).
#
SKIP: {
	skip 'not root: cannot run the injector as another user', 11 if $> != 0;
	my $nobody = getpwnam('nobody');
	skip 'no user nobody', 11 unless defined $nobody;
	my $group = getgrnam('nogroup') // getgrnam('nobody');
	skip 'no group for nobody', 11 unless defined $group;
	# Let nobody reach the configuration and the spool, as on a system.
	for (my $p = $d->dir; $p ne '/' && $p ne ''; $p =~ s{/[^/]*$}{}) {
		my $mo = (stat($p))[2] & 07777;
		chmod($mo | 0111, $p);
	}
	chmod(0644, $conf);
	my @as = ('--reuid=nobody', "--regid=$group", '--clear-groups');
	($st, $err) = inject(as => \@as, args => [ 'ivan@dest.test' ],
	    input => "Subject: from nobody\n\nunprivileged\n");
	is($st, 0, 'nobody may inject') or diag $err;
	@m = wait_sink(qr/Subject: from nobody/, 5);
	is(scalar @m, 1, 'and the message is delivered');
	is($m[0]{json}{mail_from} // '', 'nobody@relay.test', 'sender nobody@hostname');
	like($m[0]{data} // '', qr/\AReceived: by relay\.test \(smarthostd, from userid $nobody\)/,
	    'Received: names the real user id');
	# What nobody must not do.
	open(my $saved, '>&', \*STDERR) or die "dup: $!";
	open(STDERR, '>', '/dev/null') or die "/dev/null: $!";
	my $list = system('setpriv', @as, '--', 'ls', $incoming) >> 8;
	my $q = system('setpriv', @as, '--', 'ls', $d->spool . '/queue') >> 8;
	open(STDERR, '>&', $saved) or die "dup: $!";
	isnt($list, 0, 'nobody cannot list incoming/');
	isnt($q, 0, 'nobody cannot list queue/');
	my ($rst, $rerr, $rout) = inject(as => \@as, args => [ '-bp' ]);
	isnt($rst, 0, 'nobody cannot read the queue with -bp');
	like($rerr, qr/permission denied/i, '-bp says why');
	# A configuration naming a secret nobody may read (as a real one
	# with a relayer password does): the injector still works.
	my $pw = write_file($d->dir . '/secret.pass', "hunter2\n");
	chmod(0600, $pw);
	my $ctext = slurp($conf);
	$ctext =~ s/^relayers = \( /relayers = ( { name = "secret"; type = "smtp"; host = "127.0.0.1"; port = 1; tls = "required"; auth = { username = "u"; password_file = "$pw"; }; }, /m
	    or die "no relayers in $conf";
	my $sconf = write_file($d->dir . '/secret.conf', $ctext);
	chmod(0644, $sconf);
	($st, $err) = inject(conf => $sconf, as => \@as, args => [ 'kate@dest.test' ],
	    input => "Subject: secret config\n\nx\n");
	is($st, 0, 'nobody, with a configuration naming an unreadable secret')
	    or diag $err;
	@m = wait_sink(qr/Subject: secret config/, 5);
	is(scalar @m, 1, 'delivered');

	# With the daemon down, nobody's message waits and goes out later.
	$d->stop;
	($st, $err) = inject(as => \@as, args => [ 'judy@dest.test' ],
	    input => "Subject: nobody while down\n\nx\n");
	$d->start;
	@m = wait_sink(qr/Subject: nobody while down/, 10);
	ok($st == 0 && @m == 1, 'nobody, daemon stopped then started: delivered')
	    or diag $err;
}

is($d->stop, 0, 'daemon stops cleanly');
unlike($d->log, qr/AddressSanitizer|runtime error/, 'no sanitizer report');
done_testing();
