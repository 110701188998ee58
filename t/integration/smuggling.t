#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# smuggling.t -- SMTP smuggling: the end of data is CRLF . CRLF and nothing
# else, so a body holding <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF>, <CR><LF>.<LF>
# ... followed by SMTP commands stays ONE message whose body holds those
# commands as text; nothing bare is ever relayed (bare CR/LF become CRLF);
# with bare_lf = "reject" such a message is refused with 550 5.5.2.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $p_strict = free_port();
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "in"; address = "127.0.0.1"; port = \@PORT\@; },
	    { name = "strict"; address = "127.0.0.1"; port = $p_strict;
	      bare_lf = "reject"; }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# Every bare CR or LF as CRLF: how a normalizing listener stores text.
sub norm { my ($s) = @_; $s =~ s/\r\n|\r|\n/\r\n/g; return $s }
sub show { my ($s) = @_; $s =~ s/\r/\\r/g; $s =~ s/\n/\\n/g; return $s }

# Send one body (raw, already ending in CRLF . CRLF) and QUIT in one
# write; collect every reply until 221 or the end (bounded).
sub send_raw {
	my ($port, $body) = @_;
	my $s = smtp_session(port => $port);
	$s->start_ehlo('smuggler.test');
	$s->cmd('MAIL FROM:<sender@x.test>');
	$s->cmd('RCPT TO:<rcpt@y.test>');
	my $r = $s->cmd('DATA');
	return ('no 354') unless $r && $r->{code} == 354;
	$s->send($body . "QUIT\r\n");
	my @codes;
	my @replies;
	while (my $x = $s->reply(5)) {
		push @codes, $x->{code};
		push @replies, $x;
		last if $x->{code} == 221 || @codes > 10;
	}
	$s->close;
	return (join(' ', @codes), @replies);
}

my $payload = "MAIL FROM:<evil\@x.test>\r\nRCPT TO:<victim\@y.test>\r\nDATA\r\n";
my @cases = (
    [ 'LF.LF',     "\n.\n" ],
    [ 'CRLF.LF',   "\r\n.\n" ],
    [ 'LF.CRLF',   "\n.\r\n" ],
    [ 'CR.CR',     "\r.\r" ],
    [ 'CR.CRLF',   "\r.\r\n" ],
    [ 'CRLF.CR',   "\r\n.\r" ],
    [ 'LF.CR',     "\n.\r" ],
    [ 'CR.LF',     "\r.\n" ],
);
my $n = 0;
my %expect;
for my $c (@cases) {
	my ($name, $seq) = @$c;
	$n++;
	my $text = "Subject: smuggle $n\r\n\r\nbefore$seq${payload}smuggled $n\r\n";
	my ($codes) = send_raw($d->port, "$text.\r\n");
	is($codes, '250 221', "$name: one message, then QUIT");
	# A dot right after a real CRLF is at a line start and may be taken
	# as dot-stuffing; after a bare line end it is data (smtp_data.h).
	my @ok = (norm($text));
	if ($seq =~ /^\r\n\./) {
		(my $t = $text) =~ s/\Q$seq\E/"\r\n" . substr($seq, 3)/e;
		push @ok, norm($t);
	}
	$expect{"smuggle $n"} = [ $name, @ok ];
}

# The control: a real CRLF . CRLF does end the message, and the commands
# after it make a second transaction -- proof that the test can see one.
my ($codes) = send_raw($d->port,
    "Subject: control\r\n\r\nbefore\r\n.\r\n${payload}smuggled control\r\n.\r\n");
is($codes, '250 250 250 354 250 221', 'control: CRLF.CRLF ends the message');

my $want = @cases + 2;
my @m = $sink->wait_messages($want, 10);
is(scalar @m, $want, "$want messages at the sink (one per case, two for the control)");
my %by = map { (($_->{data} =~ /^Subject: (smuggle \d+|control)\r$/m)[0]
    // 'smuggled control') => $_ } @m;
for my $k (sort keys %expect) {
	my ($name, @ok) = @{$expect{$k}};
	my $m = $by{$k};
	ok($m, "$name: delivered") or next;
	is_deeply($m->{json}{rcpt_tos}, [ 'rcpt@y.test' ], "$name: recipient");
	my (undef, $rest) = split_received($m->{data});
	ok((grep { $rest eq $_ } @ok), "$name: smuggled commands are body text")
	    or diag 'got:  ' . show($rest) . "\nwant: " . show($ok[0]);
	like($rest, qr/^MAIL FROM:<evil\@x\.test>\r$/m, "$name: MAIL line is data");
	ok(no_bare_line_ends($m->{data}), "$name: no bare CR or LF relayed");
}
my @victim = grep { grep { /victim/ } @{$_->{json}{rcpt_tos}} } @m;
is(scalar @victim, 1, 'only the control reached the victim');
ok(!grep({ $_->{json}{mail_from} eq 'evil@x.test' && $_->{data} !~ /smuggled control/ } @m),
    'no smuggled sender except in the control');

# bare_lf = "reject": 550 5.5.2 at the end of data, session goes on.
for my $c ([ 'bare LF', "Subject: strict 1\r\n\r\nline\nnext\r\n.\r\n" ],
    [ 'bare CR', "Subject: strict 2\r\n\r\nline\rnext\r\n.\r\n" ],
    [ 'LF.LF', "Subject: strict 3\r\n\r\nx\n.\n${payload}y\r\n.\r\n" ]) {
	my ($name, $body) = @$c;
	my ($codes, @r) = send_raw($p_strict, $body);
	is($codes, '550 221', "reject: $name refused, session goes on");
	is($r[0]{enh}, '5.5.2', "reject: $name 5.5.2") if @r;
}
($codes) = send_raw($p_strict, "Subject: strict ok\r\n\r\nclean\r\n.\r\n");
is($codes, '250 221', 'reject: a clean message is accepted');
ok(wait_for(sub { grep { $_->{data} =~ /Subject: strict ok/ } $sink->messages },
    10), 'reject: the clean message is delivered');
sleep 1;
ok(!grep({ $_->{data} =~ /Subject: strict \d/ } $sink->messages),
    'reject: nothing refused was delivered');
done_testing();
