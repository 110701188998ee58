#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# dsn.t -- DSN (RFC 3461-3464, issue #20 item 2) against the real daemon:
# EHLO offers DSN; RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT are accepted
# and stored with the message (each bad form is 501 5.5.4); and they are
# honoured in the notices, which t/lib/dsn_check.py parses with Python's
# email package as an RFC 3464 report.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use IO::Socket::INET;
use File::Temp ();
use SmarthostTest;

my $failfile = tempdir('fail') . '/failing';
my $sink = start_sink(fail_file => $failfile);	# the next hop, no DSN
my $catch = start_sink();			# the senders' mailboxes

# Postfix's smtp-sink as a next hop that offers DSN (it does unless -N),
# dumping each transaction with its MAIL and RCPT arguments
# (X-Mail-Args:, X-Rcpt-Args:).
my $hop_port = free_port();
# (smtp-sink drops root for nobody, who must be able to write the dumps:
# a directory of its own under /tmp, not inside the test's 0700 one.)
my $dump = File::Temp::tempdir('dsn-hop-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0777, $dump);
SmarthostTest::spawn(argv => [ '/usr/sbin/smtp-sink', '-u', 'nobody',
    '-h', 'hop.test', '-d', "$dump/%H%M%S.", "127.0.0.1:$hop_port", '10' ],
    stderr => tempdir('hoplog') . '/smtp-sink.log', what => 'smtp-sink');
ok(wait_for(sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $hop_port, Timeout => 1) }, 10), 'smtp-sink listens');
sub hop_dumps {
	my @d;
	opendir(my $dh, $dump) or return ();
	for my $f (sort grep { !/^\./ } readdir $dh) {
		my $t = slurp("$dump/$f") // '';
		push @d, $t if $t =~ /^Received:/m;
	}
	return @d;
}
my $d = start_daemon(config_text => {
	relayers => join(",\n", sink_relayer($sink, name => 'isp'),
	    sink_relayer($catch, name => 'catch'),
	    sprintf('{ name = "hop"; type = "smtp"; host = "127.0.0.1"; '
		. 'port = %d; tls = "none"; }', $hop_port),
	    '{ name = "box"; type = "maildir"; path = "@TMP@/Maildir"; }'),
	routing => 'default_relayer = "isp"; rules = ( '
	    . '{ recipient_domain = "sender.test"; relayer = "catch"; }, '
	    . '{ recipient_domain = "box.test"; relayer = "box"; }, '
	    . '{ recipient_domain = "dsnhop.test"; relayer = "hop"; } );',
	queue => 'retry_interval = "1s"; max_retry_interval = "1s"; '
	    . 'max_age = "1h"; delay_warning = "1s";',
    });

# The notices that reached the senders' mailboxes, parsed by dsn_check.py.
my $py = SmarthostTest::python3();
my $top = srcdir();
my %parsed;		# seq => the checker's answer (each file parsed once)
sub notices {
	my @n;
	for my $m ($catch->messages) {
		next unless $m->{json}{mail_from} eq '';
		$parsed{$m->{seq}} //= parse_notice($m);
		push @n, $parsed{$m->{seq}};
	}
	return @n;
}
sub parse_notice {
	my ($m) = @_;
	my $f = sprintf('%s/%04d.eml', $catch->dir, $m->{seq});
	my ($st, $out, $err) = run_bounded(60, $py, "$top/t/lib/dsn_check.py",
	    $f);
	if ($st != 0) {
		diag("dsn_check.py $f: $err");
		return { bad => $err, data => $m->{data} };
	}
	my $j = decode_json($out);
	$j->{data} = $m->{data};
	$j->{to} = $m->{json}{rcpt_tos};
	return $j;
}
# The notices that report on recipient $rcpt (Final-Recipient).
sub notices_for {
	my ($rcpt) = @_;
	return grep { my $n = $_; grep { ($_->{'Final-Recipient'} // '') eq
	    "rfc822; $rcpt" } @{$n->{per_recipient} // []} } notices();
}
sub rcpt_block {
	my ($n, $rcpt) = @_;
	my ($b) = grep { ($_->{'Final-Recipient'} // '') eq "rfc822; $rcpt" }
	    @{$n->{per_recipient} // []};
	return $b // {};
}

# DATA and the message on a session that has its recipients.
sub data {
	my ($s, $text) = @_;
	my $r = $s->cmd('DATA');
	return $r unless $r && $r->{code} == 354;
	$s->send("$text.\r\n") or return undef;
	return $s->reply;
}

# EHLO, and every bad form of every parameter.
my $s = smtp_session(port => $d->port);
my $e = $s->start_ehlo;
ok($e && exists ehlo_keywords($e)->{DSN}, 'EHLO offers DSN');
for my $bad ('RET=', 'RET=BODY', 'RET=FULL RET=HDRS', 'ENVID=',
    'ENVID=a=b', 'ENVID=a+2b', 'ENVID=a+ZZ', 'ENVID=x ENVID=y',
    'ENVID=' . ('e' x 101)) {
	my $r = $s->cmd("MAIL FROM:<a\@sender.test> $bad");
	is($r && "$r->{code} $r->{enh}", '501 5.5.4', "MAIL $bad: 501 5.5.4");
}
my $r = $s->cmd('MAIL FROM:<a@sender.test> RET=HDRS ENVID=QQ+2B314');
is($r && $r->{code}, 250, 'MAIL with RET and ENVID');
for my $bad ('NOTIFY=', 'NOTIFY=NEVER,SUCCESS', 'NOTIFY=SUCCESS,',
    'NOTIFY=ALWAYS', 'NOTIFY=DELAY NOTIFY=DELAY', 'ORCPT=a@b', 'ORCPT=;a@b',
    'ORCPT=rfc822;', 'ORCPT=rfc822;a=b', 'ORCPT=rfc822;a+4') {
	my $r = $s->cmd("RCPT TO:<b\@dest.test> $bad");
	is($r && "$r->{code} $r->{enh}", '501 5.5.4', "RCPT $bad: 501 5.5.4");
}
$r = $s->cmd('RCPT TO:<b@dest.test> RET=FULL');
is($r && $r->{code}, 555, 'RET on RCPT: 555');
$s->cmd('QUIT');
$s->close;

# Stored with the message: it waits (the next hop answers 451) and its
# envelope holds the parameters, in xtext, on their lines.
write_file($failfile, "451\n");
$s = smtp_session(port => $d->port);
$s->start_ehlo;
$r = $s->cmd('MAIL FROM:<a@sender.test> RET=HDRS ENVID=QQ+2B3+0D+0Aend');
$r = $s->cmd('RCPT TO:<b@dest.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;o+2Bb@dest.test');
is($r && $r->{code}, 250, 'RCPT with NOTIFY and ORCPT');
$r = $s->cmd('RCPT TO:<c@dest.test> NOTIFY=NEVER');
$r = $s->cmd('RCPT TO:<d@dest.test>');
$r = $s->cmd('RCPT TO:<e@dest.test> NOTIFY=FAILURE');
$r = data($s, "Subject: stored\r\n\r\nbody\r\n");
$s->cmd('QUIT');
is($r && $r->{code}, 250, 'accepted');
ok(wait_for(sub { $d->log =~ /deferred .*to=<d\@dest\.test>/ }, 20),
    'deferred while the next hop fails');
# The original's envelope (not a notice's, which may be queued too).
sub orig_env {
	for my $f ($d->queued) {
		my $t = slurp($f) // '';
		return $t if $t =~ /^envid /m;
	}
	return '';
}
my $env = orig_env();
like($env, qr/^ret HDRS$/m, 'envelope: ret');
like($env, qr/^envid QQ\+2B3\+0D\+0Aend$/m,
    'envelope: envid as xtext (the CR LF it encodes stay encoded)');
like($env, qr/^rcpt pending\tb\@dest\.test\t[^\t\n]*\t[^\t\n]*\tSUCCESS,DELAY\trfc822;o\+2Bb\@dest\.test\tdelivered$/m,
    'envelope: NOTIFY and ORCPT of b');
like($env, qr/^rcpt pending\tc\@dest\.test\t[^\t\n]*\t[^\t\n]*\tNEVER\t\tdelivered$/m,
    'envelope: NEVER of c');
like($env, qr/^rcpt pending\td\@dest\.test\t[^\t\n]*\t[^\t\n]*$/m,
    'envelope: d without DSN fields');

# A restart reads them back (recovery), and they survive the next update.
$d->stop;
$d->start;
ok(wait_for(sub { (() = $d->log =~ /deferred .*to=<d\@dest\.test>/g) >= 2 }, 20),
    'retried after a restart');
$env = orig_env();
like($env, qr/^envid QQ\+2B3\+0D\+0Aend$/m, 'envid kept across recovery');
like($env, qr/\tSUCCESS,DELAY\trfc822;o\+2Bb\@dest\.test\t/m,
    'NOTIFY and ORCPT kept across recovery');

# delay_warning: for b (DELAY) and d (no NOTIFY), not c (NEVER) nor e
# (FAILURE only).
ok(wait_for(sub { notices_for('d@dest.test') }, 20), 'a delay warning');
my ($w) = notices_for('d@dest.test');
$w //= {};
is_deeply([ sort map { $_->{'Final-Recipient'} } @{$w->{per_recipient}} ],
    [ 'rfc822; b@dest.test', 'rfc822; d@dest.test' ],
    'delay warning: only the recipients whose NOTIFY has DELAY, or none');
is(rcpt_block($w, 'b@dest.test')->{Action}, 'delayed', 'Action: delayed');
is($w->{per_message}{'Original-Envelope-Id'}, 'QQ+3 end',
    'Original-Envelope-Id decoded; its CR LF are no line break');
is(rcpt_block($w, 'b@dest.test')->{'Original-Recipient'},
    'rfc822;o+b@dest.test', 'Original-Recipient decoded');
ok(!exists rcpt_block($w, 'd@dest.test')->{'Original-Recipient'},
    'no Original-Recipient where none was given');

unlink($failfile);
ok(wait_for(sub { !$d->queued }, 20), 'delivered once the next hop is back');

# The success notice for b: relayed (the sink offers no DSN), nothing for
# c, d, e.
ok(wait_for(sub { grep { ($_->{subject} // '') =~ /Successful/ }
    notices_for('b@dest.test') }, 20), 'a success notice for b');
my ($ok) = grep { ($_->{subject} // '') =~ /Successful/ }
    notices_for('b@dest.test');
$ok //= {};
is(scalar @{$ok->{per_recipient} // []}, 1, 'success notice: b only');
my $b = rcpt_block($ok, 'b@dest.test');
is($b->{Action}, 'relayed', 'Action: relayed (next hop without DSN)');
like($b->{Status} // '', qr/^2\.\d+\.\d+$/, 'Status: 2.x.x');
is($b->{'Original-Recipient'}, 'rfc822;o+b@dest.test',
    'success notice: Original-Recipient');
is($ok->{per_message}{'Original-Envelope-Id'}, 'QQ+3 end',
    'success notice: Original-Envelope-Id');
like($ok->{per_message}{'Reporting-MTA'} // '', qr/^dns; relay\.test$/,
    'Reporting-MTA');
is_deeply($ok->{to}, [ 'a@sender.test' ], 'to the sender');
is($ok->{returned} && $ok->{returned}{content_type}, 'text/rfc822-headers',
    'headers returned');
unlike($ok->{returned} ? $ok->{returned}{raw} : 'body', qr/body/,
    'no body returned (RET=HDRS)');
my @sunk = grep { ($_->{data} // '') =~ /Subject: stored/ } $sink->messages;
is(scalar @sunk, 1, 'the message reached the next hop once');
# (aiosmtpd would refuse them with 555 anyway: the delivery shows it.)
ok($sunk[0] && !grep({ /^(?:RET|ENVID)=/i } @{$sunk[0]{json}{mail_options}})
    && !grep({ /^(?:NOTIFY|ORCPT)=/i } map { @$_ }
    @{$sunk[0]{json}{rcpt_options}}),
    'no DSN parameters to a next hop without DSN');

# A local relayer (maildir): Action: delivered.
$s = smtp_session(port => $d->port);
$s->start_ehlo;
$s->cmd('MAIL FROM:<a@sender.test> ENVID=box1');
$r = $s->cmd('RCPT TO:<m@box.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;m@box.test');
$r = data($s, "Subject: to the box\r\n\r\nboxed body\r\n");
$s->cmd('QUIT');
is($r && $r->{code}, 250, 'maildir message accepted');
ok(wait_for(sub { notices_for('m@box.test') }, 20),
    'a success notice for the maildir recipient');
($ok) = notices_for('m@box.test');
is(rcpt_block($ok // {}, 'm@box.test')->{Action}, 'delivered',
    'Action: delivered (maildir)');
is($ok && $ok->{per_message}{'Original-Envelope-Id'}, 'box1',
    'Original-Envelope-Id');
is($ok && $ok->{subject}, 'Successful Mail Delivery Report', 'subject');

# Failures: NEVER and SUCCESS-only get no bounce; the default and FAILURE
# do, with the header section (RET=HDRS or none) or the whole message
# (RET=FULL).
sub send_dsn {
	my ($mail, $rcpts, $subject) = @_;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo;
	my $r = $s->cmd("MAIL FROM:<a\@sender.test> $mail");
	$r = $s->cmd("RCPT TO:$_") for @$rcpts;
	$r = data($s, "Subject: $subject\r\n\r\nsecret body text\r\n");
	$s->cmd('QUIT');
	$s->close;
	my ($id) = ($r && $r->{last} // '') =~ /queued as (\S+)/;
	return $id;
}
my $id1 = send_dsn('', [ '<reject1@dest.test> NOTIFY=NEVER',
    '<reject2@dest.test> NOTIFY=SUCCESS,DELAY' ], 'never');
ok($id1, 'NEVER message accepted');
ok(wait_for(sub { $d->log =~ /id=\Q$id1\E: no bounce: NOTIFY/ }, 20),
    'no bounce: NOTIFY asked for none (logged)');
send_dsn('RET=HDRS ENVID=hdrs', [ '<reject3@dest.test> NOTIFY=FAILURE' ],
    'hdrs');
send_dsn('', [ '<reject4@dest.test>' ], 'default');
send_dsn('RET=FULL ENVID=full', [ '<reject5@dest.test> NOTIFY=FAILURE,DELAY',
    '<ok5@dest.test> NOTIFY=SUCCESS' ], 'full');
ok(wait_for(sub { notices_for('reject3@dest.test') &&
    notices_for('reject4@dest.test') && notices_for('reject5@dest.test') },
    20), 'bounces for the FAILURE and default recipients');
ok(!notices_for('reject1@dest.test') && !notices_for('reject2@dest.test'),
    'none for NEVER nor for SUCCESS,DELAY');

my ($n3) = notices_for('reject3@dest.test');
is(rcpt_block($n3, 'reject3@dest.test')->{Action}, 'failed',
    'Action: failed');
like(rcpt_block($n3, 'reject3@dest.test')->{Status} // '', qr/^5\.1\.1$/,
    'Status: the remote 5.1.1');
is($n3->{per_message}{'Original-Envelope-Id'}, 'hdrs', 'envelope id');
is($n3->{returned}{content_type}, 'text/rfc822-headers',
    'RET=HDRS: text/rfc822-headers');
like($n3->{returned}{raw}, qr/Subject: hdrs/, '  with the headers');
unlike($n3->{data}, qr/secret body text/, '  and no body');

my ($n4) = notices_for('reject4@dest.test');
is($n4->{returned}{content_type}, 'text/rfc822-headers',
    'no RET: headers only, as before');
unlike($n4->{data}, qr/secret body text/, '  no body');
ok(!exists $n4->{per_message}{'Original-Envelope-Id'},
    'no Original-Envelope-Id where none was given');

my ($n5) = notices_for('reject5@dest.test');
is($n5->{returned}{content_type}, 'message/rfc822',
    'RET=FULL: message/rfc822');
like($n5->{returned}{body}, qr/secret body text/, '  with the body');
is($n5->{returned}{headers}{Subject}, 'full', '  and the headers');
is(rcpt_block($n5, 'ok5@dest.test')->{Action}, 'relayed',
    'a success in the same notice: relayed');
is(rcpt_block($n5, 'reject5@dest.test')->{Action}, 'failed', '  and failed');

# A next hop that offers DSN gets the parameters (ORCPT and ENVID in
# xtext again) and reports itself: no success notice from us.
$s = smtp_session(port => $d->port);
$s->start_ehlo;
$s->cmd('MAIL FROM:<a@sender.test> RET=HDRS ENVID=hop+2B1+0D+0A');
$s->cmd('RCPT TO:<x@dsnhop.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@dsnhop.test');
$s->cmd('RCPT TO:<y@dsnhop.test> NOTIFY=NEVER');
$s->cmd('RCPT TO:<z@dsnhop.test>');
$r = data($s, "Subject: to the hop\r\n\r\nhop body\r\n");
$s->cmd('QUIT');
$s->close;
is($r && $r->{code}, 250, 'message for the DSN hop accepted');
my ($hid) = ($r && $r->{last} // '') =~ /queued as (\S+)/;
$hid //= 'NO-ID';
ok(wait_for(sub { $d->log =~ /id=\Q$hid\E: removed from spool/ }, 20),
    'delivered to the DSN hop and removed');
my ($hd) = grep { /to the hop/ } hop_dumps();
$hd //= '';
like($hd, qr/^X-Mail-Args: <a\@sender\.test> .*\bRET=HDRS ENVID=hop\+2B1\+0D\+0A\s*$/m,
    'MAIL: RET and ENVID passed on, ENVID in xtext');
like($hd, qr/^X-Rcpt-Args: <x\@dsnhop\.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig\+2Bx\@dsnhop\.test\s*$/m,
    'RCPT: NOTIFY and ORCPT passed on');
like($hd, qr/^X-Rcpt-Args: <y\@dsnhop\.test> NOTIFY=NEVER\s*$/m,
    'RCPT: NOTIFY=NEVER passed on');
like($hd, qr/^X-Rcpt-Args: <z\@dsnhop\.test>\s*$/m,
    'RCPT: nothing added where nothing was given');
unlike($d->log, qr/bounce_of=\Q$hid\E/,
    'no success notice of our own: the next hop reports');

# smarthost-sendmail -N/-R/-V: through incoming/ like the rest.
sub inject {
	my ($args, $text, %o) = @_;
	# Its own 20 s bound; the file's watchdog is put back after.
	local $SIG{ALRM} = sub { die "injector timed out\n" };
	my ($left, $t0) = (alarm(20), time);
	open(my $err, '>&', \*STDERR) or die;
	open(STDERR, '>', '/dev/null') if $o{quiet};
	open(my $p, '|-', $ENV{SMARTHOST_SENDMAIL} //
	    (($ENV{TOP_BUILDDIR} // '.') . '/src/smarthost-sendmail'), '-C',
	    $d->config_file, @$args) or die "smarthost-sendmail: $!";
	print $p $text;
	close($p);
	open(STDERR, '>&', $err);
	alarm(0);
	alarm($left - (time - $t0) > 0 ? $left - (time - $t0) : 1) if $left;
	return $? >> 8;
}
is(inject([ '-f', 'a@sender.test', '-N', 'success,failure', '-R', 'full',
    '-V', 'inj+2B1', 'inj@box.test' ], "Subject: injected\n\nhi\n"), 0,
    'smarthost-sendmail -N -R -V: taken');
ok(wait_for(sub { notices_for('inj@box.test') }, 20),
    'injected: a success notice');
my ($ni) = notices_for('inj@box.test');
is(rcpt_block($ni // {}, 'inj@box.test')->{Action}, 'delivered',
    'injected: Action: delivered');
is($ni && $ni->{per_message}{'Original-Envelope-Id'}, 'inj+1',
    'injected: Original-Envelope-Id');
is(inject([ '-f', 'a@sender.test', '-N', 'never', 'reject9@dest.test' ],
    "Subject: injected never\n\nhi\n"), 0, 'smarthost-sendmail -N never');
my $id9;
ok(wait_for(sub { ($id9) = $d->log =~ /bounced id=(\w+) .*to=<reject9\@dest\.test>/;
    $id9 && $d->log =~ /id=$id9: no bounce: NOTIFY asked for none/ }, 20),
    'injected -N never: no bounce');
for my $bad ([ '-N', 'never,success' ], [ '-R', 'body' ], [ '-V', 'a b' ],
    [ '-V', 'x' x 101 ]) {
	isnt(inject([ '-f', 'a@sender.test', @$bad, 'x@box.test' ], "x\n",
	    quiet => 1), 0, "smarthost-sendmail $bad->[0] $bad->[1]: refused");
}

# Notices go out with a null sender and no DSN parameters of their own.
my @dsn_tx = grep { $_->{json}{mail_from} eq '' } $catch->messages;
ok(@dsn_tx >= 5, 'the notices arrived');
is(scalar(grep { grep { /^(?:RET|ENVID)=/i } @{$_->{json}{mail_options}} }
    @dsn_tx), 0, 'no DSN parameters on the notices\' MAIL');

done_testing();
