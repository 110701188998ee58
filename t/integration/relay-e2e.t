#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# relay-e2e.t -- a message goes in by SMTP and out to a static smarthost
# (an smtp relayer pointing at the sink) unchanged but for one Received:
# header on top: dot-stuffing undone and redone, 8-bit bytes, the longest
# legal lines, envelope kept, "250 2.0.0 Ok: queued as <id>" with the same id
# in the log, SIZE= on MAIL, and one pooled connection for all deliveries.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink, extra => 'pool_size = 1;'),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# Check the relayed copy: a Received: header of the RFC 5321 4.4 form,
# then exactly $body.
sub check_copy {
	my ($m, $body, $id, $helo, $rcpt, $name) = @_;
	my ($rcv, $rest) = split_received($m->{data});
	ok(defined $rcv, "$name: starts with a Received: header")
	    or diag substr($m->{data}, 0, 300);
	$rcv //= '';
	(my $u = $rcv) =~ s/\r\n(?=[ \t])//g;
	like($u, qr/^Received: from \Q$helo\E \([^()]*\[127\.0\.0\.1\]\)\s+by relay\.test\s+with ESMTP\s+id\s+\Q$id\E\b/,
	    "$name: Received: from $helo ([127.0.0.1]) by relay.test with ESMTP id $id")
	    or diag $rcv;
	like($u, qr/\bfor <\Q$rcpt\E>/, "$name: Received: for <$rcpt>")
	    if defined $rcpt;
	like($u, qr/;\s*(?:\w{3},\s*)?\d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}/,
	    "$name: Received: ends with a date");
	ok($rcv =~ /\A[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*\z/
	    && length($rcv) < 1000, "$name: Received: is one well-folded header");
	ok($rest eq $body, "$name: body relayed byte for byte")
	    or diag_diff($rest, $body);
	ok(no_bare_line_ends($m->{data}), "$name: no bare CR or LF");
}

sub diag_diff {
	my ($got, $want) = @_;
	my $i = 0;
	$i++ while $i < length($got) && $i < length($want)
	    && substr($got, $i, 1) eq substr($want, $i, 1);
	diag(sprintf("first difference at octet %d (got %d, want %d octets)\n"
	    . "got:  %s\nwant: %s", $i, length $got, length $want,
	    _show(substr($got, $i, 40)), _show(substr($want, $i, 40))));
}
sub _show {
	my $s = shift;
	$s =~ s/([^\x20-\x7e])/sprintf("\\x%02x", ord $1)/ge;
	return $s;
}

sub queued_id {
	my ($r, $name) = @_;
	my ($id) = (($r && $r->{last}) // '') =~ /^2\.0\.0 Ok: queued as (\S+)$/;
	ok(defined $id, "$name: 250 2.0.0 Ok: queued as <id>")
	    or diag explain $r;
	return $id // 'NO-ID';
}

sub logged {
	my ($event, $id) = @_;
	return $d->wait_log(qr/^(?=.*\b\Q$event\E\b)(?=.*\bid=\Q$id\E\b).*$/m, 10);
}

# 1. Raw session: every delicate byte chosen by hand.
my $body = "From: <s\@x.test>\r\nTo: <r\@y.test>\r\nSubject: e2e raw\r\n\r\n"
    . "first line\r\n"
    . ".leading dot\r\n"
    . ".\r\n"
    . "..two dots\r\n"
    . ". dot space\r\n"
    . "8-bit: \xc3\xa9t\xc3\xa9 \xff\xfe\x80\r\n"
    . ("L" x 998) . "\r\n"
    . "\r\n"
    . "trailing spaces   \r\n"
    . "tab\there\r\n"
    . "\x01\x1b control octets\r\n"
    . "last line\r\n";
my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
my $r = $s->mail(from => 's@x.test', to => 'r@y.test', data => $body);
is($r->{code}, 250, 'raw: accepted');
my $id = queued_id($r, 'raw');
$s->cmd('QUIT');
$s->close;
my @m = $sink->wait_messages(1, 10);
is(scalar @m, 1, 'raw: delivered');
check_copy($m[0], $body, $id, 'client.test', 'r@y.test', 'raw') if @m;
is($m[0]{json}{mail_from}, 's@x.test', 'raw: envelope sender kept');
is_deeply($m[0]{json}{rcpt_tos}, [ 'r@y.test' ], 'raw: recipient kept');
my ($size) = map { /^SIZE=(\d+)$/i ? $1 : () } @{$m[0]{json}{mail_options}};
ok(defined $size && $size >= length($body),
    'raw: relayed with SIZE= covering the message')
    or diag explain $m[0]{json}{mail_options};
ok(logged('accepted', $id) || logged('queued', $id),
    'raw: accepted/queued logged with id=');
ok(logged('delivered', $id), 'raw: delivered logged with id=');

# 2. Net::SMTP, two recipients in one domain (one message, one Received:).
my $text = "Subject: via Net::SMTP\n\nhello\n.dot line\n..\nend\n";
my $res = send_mail(port => $d->port, hello => 'netsmtp.test',
    from => 'sender@x.test', to => [ 'a@y.test', 'b@y.test' ], data => $text);
ok($res->{ok}, 'Net::SMTP: accepted') or diag explain $res;
like($res->{message}, qr/^2\.0\.0 Ok: queued as \S+$/, 'Net::SMTP: queued as');
@m = $sink->wait_messages(2, 10);
is(scalar @m, 2, 'Net::SMTP: delivered');
if (@m == 2) {
	check_copy($m[1], crlf($text), $res->{id} // 'NO-ID', 'netsmtp.test',
	    undef, 'Net::SMTP');
	is($m[1]{json}{mail_from}, 'sender@x.test', 'Net::SMTP: sender kept');
	is_deeply([ sort @{$m[1]{json}{rcpt_tos}} ], [ 'a@y.test', 'b@y.test' ],
	    'Net::SMTP: both recipients in one transaction');
}
ok(logged('delivered', $res->{id} // 'NO-ID'), 'Net::SMTP: delivered logged');

# 3. swaks: what it sends straight to a reference sink must arrive at the
# relay's sink the same, under a Received: header.
my $ref = start_sink();
my $df = tempdir('swaks') . '/data';
write_file($df, "Subject: swaks e2e\nX-Test: yes\n\nbody line\n.dotted\n"
    . "8bit \xc3\xa4\xc3\xb6\n" . ("w" x 900) . "\nend\n");
my @args = ('--from', 'sw@x.test', '--to', 'dest@z.test', '--ehlo',
    'swaks.test', '--data', "\@$df");
my ($st, $out) = run_swaks('--server', '127.0.0.1:' . $ref->port, @args);
is($st, 0, 'swaks to the reference sink') or diag $out;
my @rm = $ref->wait_messages(1, 5);
$ref->stop;
($st, $out) = run_swaks('--server', '127.0.0.1:' . $d->port, @args);
is($st, 0, 'swaks to the relay') or diag $out;
my ($sid) = $out =~ /<-\s+250 2\.0\.0 Ok: queued as (\S+)/;
ok(defined $sid, 'swaks: queued as <id>') or diag $out;
@m = $sink->wait_messages(3, 10);
is(scalar @m, 3, 'swaks: delivered');
if (@m == 3 && @rm == 1) {
	check_copy($m[2], $rm[0]{data}, $sid // 'NO-ID', 'swaks.test',
	    'dest@z.test', 'swaks');
	is($m[2]{json}{mail_from}, 'sw@x.test', 'swaks: sender kept');
}

# 4. A large message streams through unchanged.
my $line = join('', map { chr(32 + $_ % 95) } 0 .. 199);
my $large = "Subject: large\r\n\r\n"
    . join('', map { sprintf("%07d ", $_) . $line . "\r\n" } 1 .. 8000);
$s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
$r = $s->mail(from => 's@x.test', to => 'big@y.test', data => $large,
    timeout => 10);
is($r->{code}, 250, 'large: accepted (' . length($large) . ' octets)');
my $lid = queued_id($r, 'large');
$s->cmd('QUIT');
$s->close;
@m = $sink->wait_messages(4, 15);
is(scalar @m, 4, 'large: delivered');
check_copy($m[3], $large, $lid, 'client.test', 'big@y.test', 'large') if @m == 4;

# 5. Pooling: pool_size = 1, deliveries one after the other, so one
# connection served all of them, with RSET between messages.
is($sink->connections, 1, 'one pooled connection for all deliveries');
my @cmds = $sink->commands;
my $mails = grep { / MAIL$/ } @cmds;
my $rsets = grep { / RSET$/ } @cmds;
is($mails, 4, 'four MAIL commands at the sink');
cmp_ok($rsets, '>=', $mails - 1, 'RSET between pooled messages') or diag join(',', @cmds);

is($d->stop, 0, 'SIGTERM: exit status 0');
done_testing();
