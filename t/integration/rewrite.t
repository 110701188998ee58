#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# rewrite.t -- issue #12 with real peers: address rewriting (`rewrite`),
# header privacy (listener strip_headers and received_header) and their
# place in reception.
#   - cron-like mail injected with smarthost-sendmail as root (no domain)
#     reaches the sink as the rewritten sender, From: rewritten with its
#     display name kept, To: rewritten, everything else byte for byte;
#   - a swaks message with three internal Received: headers (one folded)
#     and X-Originating-IP arrives without them, our own Received: on top,
#     the same names in the body untouched;
#   - hide_client names neither the client's address nor its HELO, and
#     received_header = "none" adds nothing;
#   - a rewritten recipient is routed and relay-checked by its new
#     domain (on a listener where nobody may relay, old.example rewritten
#     into an accepted domain is taken, an accepted domain rewritten out
#     is refused); rewriting is limited to the listeners named;
#   - a bounce goes to the rewritten sender;
#   - a reload that changes `rewrite` applies to the next message, while
#     mail already queued keeps the addresses it was accepted with;
#   - etc/router.conf.example (the router case of smarthostd.conf(5))
#     passes `smarthostd -n` beside a password file.
use strict;
use warnings;
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use SmarthostTest;

my $top = $ENV{TOP_BUILDDIR} // '.';
my $injector = $ENV{SMARTHOST_SENDMAIL} // "$top/src/smarthost-sendmail";
plan skip_all => "smarthost-sendmail not found at $injector" unless -x $injector;
plan skip_all => 'swaks not installed' unless grep { -x "$_/swaks" }
    split /:/, $ENV{PATH};

my $sink = start_sink();		# the ISP smarthost
my $new = start_sink();			# where new.example routes
my $catch = start_sink();		# bounces to example.com
my $dead = free_port();			# nothing listens here

my $port2 = free_port();
my $port3 = free_port();
my $port4 = free_port();
my $port5 = free_port();

sub conf {
	my ($sender_to, $sink_port) = @_;
	my $listeners = join(",\n",
	    '{ name = "lan"; address = "127.0.0.1"; port = @PORT@; '
	    . 'strip_headers = [ "Received", "x-originating-ip" ]; }',
	    "{ name = \"hide\"; address = \"127.0.0.1\"; port = $port2; "
	    . 'received_header = "hide_client"; }',
	    "{ name = \"none\"; address = \"127.0.0.1\"; port = $port3; "
	    . 'received_header = "none"; }',
	    "{ name = \"other\"; address = \"127.0.0.1\"; port = $port4; }",
	    "{ name = \"strict\"; address = \"127.0.0.1\"; port = $port5; "
	    . 'relay_from = [ ]; }');
	my $relayers = join(",\n",
	    sink_relayer($sink, name => 'isp'),
	    sink_relayer($new, name => 'new'),
	    sink_relayer($catch, name => 'catch'),
	    sprintf('{ name = "later"; type = "smtp"; host = "127.0.0.1"; '
		. 'port = %d; tls = "none"; }', $sink_port));
	return {
	    listeners => $listeners,
	    relayers => $relayers,
	    routing => 'default_relayer = "isp"; rules = ( '
		. '{ recipient_domain = "new.example"; relayer = "new"; }, '
		. '{ recipient_domain = "example.com"; relayer = "catch"; }, '
		. '{ recipient_domain = "later.test"; relayer = "later"; } ); '
		. 'domains = ( { domain = "new.example"; accept = true; }, '
		. '{ domain = "inbound.example"; accept = true; } );',
	    queue => 'retry_interval = "1s"; max_retry_interval = "1s";',
	    top => qq{rewrite = {
  sender = ( { from = "*"; to = "router-*\@example.com"; },
             { from = "*\@*.lan"; to = "alerts\@example.com"; },
             { from = "*\@reload.test"; to = "$sender_to"; } );
  recipient = ( { from = "root"; to = "admin\@example.com"; },
                { from = "*\@old.example"; to = "*\@new.example"; },
                { from = "*\@inbound.example"; to = "*\@outside.test"; } );
  listeners = [ "lan", "hide", "none", "strict", "sendmail" ];
};},
	};
}

my $d = start_daemon(config_text => conf('first@example.com', $dead));
my $conf = $d->config_file;

# Messages at a sink for which $pred(json, data) holds.
sub find_msg {
	my ($s, $pred, $timeout) = @_;
	my @m;
	wait_for(sub {
		@m = grep { $pred->($_->{json}, $_->{data}) } $s->messages;
		return scalar @m;
	}, $timeout // 15);
	return $m[0];
}

sub headers_of {
	my ($data) = @_;
	my ($h) = ($data // '') =~ /\A(.*?\r\n)\r\n/s;
	return $h // '';
}

# 1. cron as root through smarthost-sendmail.  The injector's sender is the
# invoking user at our hostname: root under cron (and when the suite runs
# as root), the test's own user otherwise.
{
	my $me = getpwuid($<) // 'root';
	my $dir = tempdir('inject');
	write_file("$dir/in", "From: \"Cron Daemon\" <root>\nTo: root\n"
	    . "Subject: Cron <root\@router> run-parts /etc/cron.daily\n"
	    . "X-Cron-Env: <SHELL=/bin/sh>\n\n"
	    . "run-parts: /etc/cron.daily/backup exited with return code 1\n");
	my ($st, undef, $err) = run_bounded(20, 'sh', '-c',
	    'exec "$0" -C "$1" root < "$2"', $injector, $conf, "$dir/in");
	is($st, 0, 'cron: smarthost-sendmail root accepted') or diag $err;
	my $m = find_msg($catch, sub { $_[0]{mail_from} eq "router-$me\@example.com" });
	ok($m, "cron: arrived as router-$me\@example.com ($me qualified at "
	    . 'the injector, matched as our host)');
	is_deeply($m->{json}{rcpt_tos}, [ 'admin@example.com' ],
	    'cron: recipient root rewritten to admin@example.com, routed by '
	    . 'its new domain');
	my $h = headers_of($m->{data});
	like($h, qr/^From: "Cron Daemon" <router-root\@example\.com>\r$/m,
	    'cron: From: rewritten, display name kept');
	like($h, qr/^To: admin\@example\.com\r$/m, 'cron: To: rewritten');
	like($h, qr/^Subject: Cron <root\@router> run-parts \/etc\/cron\.daily\r$/m,
	    'cron: Subject: untouched');
	like($h, qr/^X-Cron-Env: <SHELL=\/bin\/sh>\r$/m, 'cron: other fields untouched');
	# The whole message: ours on top, the two fields rewritten, every
	# other octet as sent (the injector adds Message-ID: and Date:).
	my $fields = quotemeta("From: \"Cron Daemon\" <router-root\@example.com>\r\n"
	    . "To: admin\@example.com\r\n"
	    . "Subject: Cron <root\@router> run-parts /etc/cron.daily\r\n"
	    . "X-Cron-Env: <SHELL=/bin/sh>\r\n");
	my $body = quotemeta("\r\nrun-parts: /etc/cron.daily/backup exited with "
	    . "return code 1\r\n");
	my $ours = qr/Received: [^\r]*\r\n(?:[ \t][^\r]*\r\n)*/;
	like($m->{data} // '',
	    qr/\A$ours${fields}Message-ID: <[^>\r]+>\r\nDate: [^\r]+\r\n$body\z/,
	    'cron: the message byte for byte') or diag($m->{data});
}

# 2. Internal hops stripped; only our Received: remains.
{
	my $data = "Received: from ws1.corp.lan (ws1.corp.lan [10.1.2.3])\r\n"
	    . "\tby mail.corp.lan with ESMTP id 1; Sun, 6 Dec 2026 10:00:00 +0000\r\n"
	    . "Received: from [10.1.2.4] by ws1.corp.lan; Sun, 6 Dec 2026 09:59:00 +0000\r\n"
	    . "X-Originating-IP: [10.1.2.99]\r\n"
	    . "received: from laptop.corp.lan\r\n (10.1.2.5)\r\n  by ws1; x\r\n"
	    . "From: Dev <dev\@ws1.corp.lan>\r\n"
	    . "Subject: privacy\r\n\r\n"
	    . "Received: this line is in the body\r\n";
	my ($st, $out) = run_swaks('--server', '127.0.0.1', '--port', $d->port,
	    '--from', 'dev@ws1.corp.lan', '--to', 'someone@elsewhere.test',
	    '--helo', 'ws1.corp.lan', '--data', $data);
	is($st, 0, 'strip: swaks accepted') or diag $out;
	my $m = find_msg($sink, sub { ($_[1] // '') =~ /Subject: privacy/ });
	ok($m, 'strip: arrived');
	my $h = headers_of($m->{data});
	my @rcv = $h =~ /^Received:/mig;
	is(scalar(@rcv), 1, 'strip: one Received: left, ours') or diag $h;
	like($h, qr/\AReceived: from ws1\.corp\.lan \(unknown \[127\.0\.0\.1\]\)/,
	    'strip: ours is on top, full form');
	unlike($m->{data}, qr/X-Originating-IP|10\.1\.2\.|laptop|\(10\./i,
	    'strip: no internal address or host anywhere, folded lines included');
	# Byte for byte below ours: a continuation line let through would
	# sit under our Received: (a line starting with a blank cannot
	# start a header section, so it would even end up below an empty
	# line, out of sight of the header checks above).
	my ($rest) = ($m->{data} // '') =~ /\AReceived: [^\r]*\r\n(?:[ \t][^\r]*\r\n)*(.*)\z/s;
	like($rest // '', qr/\AFrom: Dev <alerts\@example\.com>\r\nSubject: privacy\r\n\r\nReceived: this line is in the body\r\n(?:\r\n)?\z/,
	    'strip: below our Received:, the message without the stripped '
	    . 'fields and nothing else') or diag($m->{data});
	like($h, qr/^From: Dev <alerts\@example\.com>\r$/m,
	    'strip: From: rewritten by *@*.lan');
	is($m->{json}{mail_from}, 'alerts@example.com', 'strip: envelope sender rewritten');
	like($m->{data}, qr/\r\n\r\nReceived: this line is in the body\r\n/,
	    'strip: the body is untouched');
}

# 3. hide_client and none.
{
	my $r = send_mail(port => $port2, from => 'a@elsewhere.test',
	    to => 'hide@elsewhere.test', hello => 'secret-helo.corp.lan',
	    data => "Subject: hidden\n\nx\n");
	ok($r->{ok}, 'hide_client: accepted') or diag explain $r;
	my $m = find_msg($sink, sub { ($_[1] // '') =~ /Subject: hidden/ });
	my $h = headers_of($m ? $m->{data} : '');
	like($h, qr/\AReceived: from localhost\r\n\tby relay\.test with ESMTP id [0-9A-F]+\r\n\tfor <hide\@elsewhere\.test>; /,
	    'hide_client: from localhost form') or diag $h;
	unlike($h, qr/127\.0\.0\.1|secret-helo|unknown \[/,
	    'hide_client: neither the client IP nor its HELO');

	$r = send_mail(port => $port3, from => 'a@elsewhere.test',
	    to => 'none@elsewhere.test', data => "Subject: none\n\nx\n");
	ok($r->{ok}, 'none: accepted') or diag explain $r;
	$m = find_msg($sink, sub { ($_[1] // '') =~ /Subject: none/ });
	ok($m && $m->{data} =~ /\ASubject: none\r\n/,
	    'received_header none: no Received: added');

	# A transaction split by domain (BatchByDomain): each batch alike.
	for my $c ([ $port3, 'none' ], [ $port2, 'hide_client' ]) {
		my ($p, $mode) = @$c;
		$r = send_mail(port => $p, from => 'a@elsewhere.test',
		    to => [ "x\@one-$p.test", "y\@two-$p.test" ],
		    data => "Subject: split-$mode\n\nx\n");
		ok($r->{ok}, "$mode: split transaction accepted");
		my @m;
		wait_for(sub { @m = grep { ($_->{data} // '') =~ /Subject: split-\Q$mode\E/ }
		    $sink->messages; @m >= 2 }, 15);
		is(scalar(@m), 2, "$mode: one message per domain delivered");
		is(scalar(grep { $_->{data} =~ /unknown \[|127\.0\.0\.1/ } @m), 0,
		    "$mode: no client address in either");
	}
}

# 4. Recipient rewriting routes by the new domain; listener filter.
{
	my $r = send_mail(port => $d->port, from => 'u@elsewhere.test',
	    to => 'bob@old.example', data => "Subject: moved\nTo: Bob <bob\@old.example>\n\nx\n");
	ok($r->{ok}, 'recipient: accepted') or diag explain $r;
	my $m = find_msg($new, sub { ($_[1] // '') =~ /Subject: moved/ });
	ok($m, 'recipient: bob@old.example went to the new.example relayer');
	is_deeply($m ? $m->{json}{rcpt_tos} : [], [ 'bob@new.example' ],
	    'recipient: rewritten to bob@new.example');
	like(headers_of($m ? $m->{data} : ''), qr/^To: Bob <bob\@new\.example>\r$/m,
	    'recipient: To: rewritten, display name kept');

	$r = send_mail(port => $port4, from => 'x@host.lan',
	    to => 'bob@old.example', data => "Subject: unlisted\nFrom: x\@host.lan\n\nx\n");
	ok($r->{ok}, 'other listener: accepted');
	$m = find_msg($sink, sub { ($_[1] // '') =~ /Subject: unlisted/ });
	ok($m && $m->{json}{mail_from} eq 'x@host.lan' &&
	    $m->{json}{rcpt_tos}[0] eq 'bob@old.example' &&
	    $m->{data} =~ /^From: x\@host\.lan\r$/m,
	    'a listener not in rewrite.listeners: nothing rewritten');
}

# 4b. The relay check sees the rewritten recipient: on "strict" nobody may
# relay, so only recipients in an accepted domain (routing.domains accept)
# are taken, and that is decided after rewriting.
{
	my $s = smtp_session(port => $port5);
	$s->start_ehlo('client.test');
	my $code = sub { my $r = $s->cmd($_[0]); return $r ? $r->{code} : 0 };
	is($code->('MAIL FROM:<u@elsewhere.test>'), 250, 'strict: MAIL');
	is($code->('RCPT TO:<x@elsewhere.test>'), 554,
	    'strict: a foreign domain is refused (the relay check is on)');
	is($code->('RCPT TO:<carol@old.example>'), 250,
	    'strict: carol@old.example, rewritten into accepted new.example, '
	    . 'is taken');
	is($code->('RCPT TO:<dave@inbound.example>'), 554,
	    'strict: dave@inbound.example (accepted), rewritten to '
	    . 'outside.test, is refused');
	is($code->('DATA'), 354, 'strict: DATA');
	$s->send("Subject: strict relay\r\n\r\nx\r\n.\r\n");
	my $r = $s->reply;
	is($r ? $r->{code} : 0, 250, 'strict: accepted');
	$s->cmd('QUIT');
	$s->close;
	my $m = find_msg($new, sub { ($_[1] // '') =~ /Subject: strict relay/ });
	is_deeply($m ? $m->{json}{rcpt_tos} : [], [ 'carol@new.example' ],
	    'strict: delivered to carol@new.example only');
	ok($d->log =~ /rejected .*to=<dave\@outside\.test> reason=relay_denied/,
	    'strict: the refusal is logged with the rewritten address');
}

# 5. A bounce goes to the rewritten sender.
{
	my $r = send_mail(port => $d->port, from => 'job@nas.lan',
	    to => 'reject-me@elsewhere.test', data => "Subject: doomed\n\nx\n");
	ok($r->{ok}, 'bounce: accepted');
	my $m = find_msg($catch, sub { $_[0]{mail_from} eq '' &&
	    ($_[1] // '') =~ /doomed/ });
	ok($m, 'bounce: a DSN arrived');
	is_deeply($m ? $m->{json}{rcpt_tos} : [], [ 'alerts@example.com' ],
	    'bounce: to the rewritten sender');
}

# 6. Reload: the next message is rewritten the new way; queued mail keeps
# its addresses (and now goes out, its relayer corrected by the reload).
{
	my $r = send_mail(port => $d->port, from => 'u@reload.test',
	    to => 'q@later.test', data => "Subject: queued-before\n\nx\n");
	ok($r->{ok}, 'reload: first message accepted (queued, relayer down)');
	ok($d->wait_log(qr/deferred .*to=<q\@later\.test>/, 10),
	    'reload: first message deferred');
	$d->rewrite(config_text => conf('second@example.com', $sink->port));
	$d->signal('HUP');
	ok($d->wait_log(qr/reloaded/, 10), 'reload: done');
	$r = send_mail(port => $d->port, from => 'u@reload.test',
	    to => 'q2@elsewhere.test', data => "Subject: sent-after\n\nx\n");
	ok($r->{ok}, 'reload: second message accepted');
	my $m1 = find_msg($sink, sub { ($_[1] // '') =~ /queued-before/ });
	my $m2 = find_msg($sink, sub { ($_[1] // '') =~ /sent-after/ });
	is($m1 ? $m1->{json}{mail_from} : '', 'first@example.com',
	    'reload: queued mail keeps the sender it was accepted with');
	is($m2 ? $m2->{json}{mail_from} : '', 'second@example.com',
	    'reload: the next message uses the new rewrite');
}

# 7. The shipped router example is a valid configuration.
{
	my $dir = tempdir('router');
	my $ex = slurp(srcdir() . '/etc/router.conf.example');
	ok(defined $ex, 'etc/router.conf.example exists');
	write_file("$dir/router.conf", $ex // '');
	write_file("$dir/isp.pass", "secret\n");
	my ($st, $err) = run_daemon_check("$dir/router.conf");
	is($st, 0, 'etc/router.conf.example passes smarthostd -n') or diag $err;
}

done_testing();
