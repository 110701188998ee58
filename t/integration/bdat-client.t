#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# bdat-client.t -- the SMTP client's CHUNKING (RFC 3030).  One message goes
# to three next hops at once: a sink that offers CHUNKING (BDAT), one that
# does not (DATA), and a STARTTLS sink that offers it (BDAT through the TLS
# filter).  All three must receive the same octets: lines starting with
# "." (never stuffed on BDAT), an empty body, an empty message, a body
# that came in without a final line end, 8-bit octets, 3 MB; and spool
# files edited to end without a line end (or in a bare CR), which both
# framings complete alike.  The BDAT size announced is the size received.
# No BDAT is sent when every RCPT was refused.  A hostile server that
# offers CHUNKING and answers 451 or 554 to BDAT, or drops the connection
# mid-chunk: deferred, bounced, deferred, and nothing is lost.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SmarthostTest;
use TestCerts;

my $certs = TestCerts->new();
my $CA = $certs->{ca_cert};
my $failf = tempdir('fail') . '/fail';	# both plain sinks 451 every RCPT
my $sb = start_sink(chunking => 1, fail_file => $failf);
my $sd = start_sink(fail_file => $failf);
my $sn = start_sink(chunking => 1, no_pipelining => 1);

my $st = bless { dir => tempdir('tlssink'), port => free_port(),
    host => '127.0.0.1' }, 'SmarthostTest::Sink';
$st->{argv} = [ SmarthostTest::python3(), srcdir() . '/t/lib/tls_sink.py',
    '--port', $st->{port}, '--dir', $st->{dir}, '--cert',
    $certs->{server_cert}, '--key', $certs->{server_key}, '--starttls',
    '--chunking' ];
$st->start;

my $hport = free_port();
my $hsink = bless { host => '127.0.0.1', port => $hport },
    'SmarthostTest::Sink';

my $d = start_daemon(
    config_text => {
	relayers => join(', ',
	    sink_relayer($sb, name => 'bdat', extra => 'pool_size = 1;'),
	    sink_relayer($sd, name => 'data', extra => 'pool_size = 1;'),
	    sink_relayer($sn, name => 'nopipe', extra => 'pool_size = 1;'),
	    sprintf('{ name = "tls"; type = "smtp"; host = "127.0.0.1"; '
		. 'port = %d; tls = "verify"; ca_file = "%s"; }',
		$st->port, $CA),
	    sink_relayer($hsink, name => 'hostile', extra =>
		'pool_size = 1; data_timeout = "5s";')),
	routing => q{
	    default_relayer = "data";
	    rules = (
	      { recipient_domain = "b.test"; relayer = "bdat"; },
	      { recipient_domain = "t.test"; relayer = "tls"; },
	      { recipient_domain = "h.test"; relayer = "hostile"; },
	      { recipient_domain = "n.test"; relayer = "nopipe"; }
	    );
	},
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
    });

# The stored copy of the message whose Subject is $subj, without the
# daemon's Received header.
sub copy_of {
	my ($sink, $subj) = @_;
	for my $m ($sink->messages) {
		my (undef, $rest) = split_received($m->{data});
		return ($rest, $m) if defined $rest
		    && $rest =~ /^Subject: \Q$subj\E\r\n/m;
	}
	return;
}

sub wait_copy {
	my ($sink, $subj) = @_;
	my @r;
	wait_for(sub { @r = copy_of($sink, $subj); scalar @r }, 60);
	return @r;
}

sub show {
	my ($s) = @_;
	$s = substr($s, 0, 60) . '...' if length $s > 60;
	$s =~ s/([^\x20-\x7e])/sprintf("\\x%02x", ord $1)/ge;
	return $s;
}

# Same octets at all three, and what we expect; DATA at $sd, BDAT else.
sub check_three {
	my ($subj, $want, $name) = @_;
	my ($b, $mb) = wait_copy($sb, $subj);
	my ($p, $mp) = wait_copy($sd, $subj);
	my ($t, $mt) = wait_copy($st, $subj);
	ok(defined $b && defined $p && defined $t, "$name: relayed to all three")
	    or return;
	ok($p eq $want, "$name: DATA delivers the message as sent")
	    or diag 'got ' . length($p) . ': ' . show($p);
	ok($b eq $p, "$name: BDAT delivers the same octets as DATA")
	    or diag 'BDAT ' . length($b) . ', DATA ' . length($p);
	ok($t eq $p, "$name: BDAT under TLS too")
	    or diag 'TLS ' . length($t) . ', DATA ' . length($p);
	is($mb->{json}{via}, 'BDAT', "$name: by BDAT where CHUNKING is offered");
	is($mt->{json}{via}, 'BDAT', "$name: by BDAT under TLS");
	is($mp->{json}{via}, 'DATA', "$name: by DATA where it is not");
	return ($mb, $mt);
}

sub send_raw {
	my (%o) = @_;
	my $s = smtp_session(port => $d->port, timeout => 60);
	$s->start_ehlo('client.test');
	my $r = $s->mail(from => 's@src.test', to => $o{to}, data => $o{data},
	    timeout => 60);
	$s->cmd('QUIT');
	$s->close;
	return $r;
}

my @three = ('u@b.test', 'u@d.test', 'u@t.test');
my %cases = (
    dots => "Subject: dots\r\n\r\n.leading dot\r\n.\r\n..two\r\n"
	. ". dot space\r\nlast\r\n.",
    'empty body' => "Subject: empty body\r\n\r\n",
    '8-bit' => "Subject: 8-bit\r\n\r\n\xc3\xa9t\xc3\xa9 \xff\xfe\x80\r\n"
	. "\x00 nul\r\n",
);
# 3 MB: lines of many lengths, a dot line every so often.
my $big = "Subject: big\r\n\r\n";
for my $i (1 .. 20000) {
	$big .= ($i % 7 == 0 ? '.' : '') . ('x' x ($i % 200)) . "\r\n";
}
$big .= ('y' x 900 . "\r\n") x int((3_000_000 - length $big) / 902);
$cases{big} = $big;

unlink $failf;
my $off = $d->log_size;
for my $c (sort keys %cases) {
	my $r = send_raw(to => \@three, data => $cases{$c});
	is($r && $r->{code}, 250, "$c: accepted");
}
# The empty message: DATA with nothing before the dot.
my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
$s->cmd('MAIL FROM:<s@src.test>');
$s->cmd("RCPT TO:<$_>") for @three;
$s->cmd('DATA');
is($s->cmd('.')->{code}, 250, 'empty message: accepted');
# A body without a final line end, by BDAT into the daemon.
my $nofinal = "Subject: no final\r\n\r\nno line end here";
$s->cmd('MAIL FROM:<s@src.test>');
$s->cmd("RCPT TO:<$_>") for @three;
$s->send('BDAT ' . length($nofinal) . " LAST\r\n$nofinal");
is($s->reply->{code}, 250, 'no final line end: accepted by BDAT');
$s->cmd('QUIT');
$s->close;

my (@bdat_sizes);
for my $c (sort keys %cases) {
	my $want = $cases{$c};
	$want .= "\r\n" unless $want =~ /\r\n\z/;
	push @bdat_sizes, check_three($c, $want, $c);
}
push @bdat_sizes, check_three('no final', "$nofinal\r\n", 'no final line end');
# The empty message is the Received header alone.
{
	my @m = grep { $_->{data} =~ /\A(?:Received:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)\z/ }
	    map { $_->messages } $sb, $sd, $st;
	wait_for(sub {
		@m = grep { $_->{data} =~ /\A(?:Received:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)\z/ }
		    map { $_->messages } $sb, $sd, $st;
		@m >= 3 }, 30);
	is(scalar @m, 3, 'empty message: the Received header alone, at all three');
	is(join(',', sort map { $_->{json}{via} } @m), 'BDAT,BDAT,DATA',
	    'empty message: BDAT twice, DATA once');
	push @bdat_sizes, grep { $_->{json}{via} eq 'BDAT' } @m;
}

# The size announced is the size received (the sink reads exactly that).
my $log = substr($d->log, $off);
my %announced;
$announced{$_}++ for $log =~ /smtp client \S+: >>> BDAT (\d+) LAST/g;
my @missing = grep { !$announced{$_->{json}{size}}-- } @bdat_sizes;
is(scalar @missing, 0, 'every BDAT chunk size is the size received')
    or diag explain [ map { $_->{json}{size} } @missing ];
ok(!grep({ / DATA$/ } $sb->commands), 'the CHUNKING sink never saw DATA');
ok(!grep({ / BDAT$/ } $sd->commands), 'the other sink never saw BDAT');
ok(grep({ / DATA$/ } $sd->commands), 'the other sink saw DATA');

# No BDAT after RCPTs that were all refused: the client says RSET.
write_file($failf, "1\n");
my @cmds_before = $sb->commands;
my $r = send_raw(to => [ 'refused@b.test' ], data => "Subject: refused\r\n\r\nx\r\n");
is($r && $r->{code}, 250, 'refused at the next hop: accepted here');
ok($d->wait_log(qr/deferred.*refused\@b\.test.*451 4\.3\.0/, 20,
    after => $off), 'every RCPT refused: deferred');
my @new = @{[ $sb->commands ]}[scalar(@cmds_before) .. scalar($sb->commands) - 1];
ok(grep({ / RCPT$/ } @new) && grep({ / RSET$/ } @new)
    && !grep({ / BDAT$/ } @new), 'no BDAT when no recipient was accepted')
    or diag explain \@new;

# Spool files ending without a line end, or in a bare CR (the spool keeps
# CRLF, but a file edited by hand or an older version need not): both
# framings complete the last line alike.  Queued while the sinks refuse,
# edited while the daemon is stopped.
for my $t ([ 'edit nl', "cut here\r\n" ], [ 'edit cr', "cut here\r\n" ]) {
	$r = send_raw(to => [ 'e@b.test', 'e@d.test' ],
	    data => "Subject: $t->[0]\r\n\r\n$t->[1]");
	is($r && $r->{code}, 250, "$t->[0]: accepted");
}
ok(wait_for(sub { my @l = substr($d->log, $off) =~ /deferred.*\be\@[bd]\.test/g;
    @l >= 4 }, 30), 'edited messages deferred while the sinks refuse');
$d->stop;
my $edited = 0;
# A queued message is queue/<id>.q: the message, its envelope, a trailer
# with both lengths (src/spool_qfile.h); a later envelope in <id>.env.
for my $q (glob("$d->{spool}/queue/*.q")) {
	(my $base = $q) =~ s/\.q$//;
	my $all = slurp($q);
	my ($size, $len) = substr($all, -58)
	    =~ /\Asmarthostd-queue-file 1 ([0-9A-F]{16}) ([0-9A-F]{16})\n\z/
	    or next;
	my $m = substr($all, 0, hex $size);
	my $e = -e "$base.env" ? slurp("$base.env")
	    : substr($all, hex $size, hex $len);
	next unless $m =~ /^Subject: edit (nl|cr)\r\n/m;
	my $kind = $1;
	$m =~ s/\r\n\z// or next;
	$m .= "\r" if $kind eq 'cr';
	$e =~ s/^size \d+$/'size ' . length($m)/me or next;
	write_file($q, $m . $e . sprintf("smarthostd-queue-file 1 %016X %016X\n",
	    length $m, length $e));
	unlink("$base.env");
	$edited++;
}
ok($edited >= 2, "$edited queued files edited");
unlink $failf;
$d->start;
for my $k ('nl', 'cr') {
	my ($b) = wait_copy($sb, "edit $k");
	my ($p) = wait_copy($sd, "edit $k");
	ok(defined $b && defined $p && $b eq $p
	    && $p eq "Subject: edit $k\r\n\r\ncut here\r\n",
	    "edit $k: completed with CRLF, BDAT the same as DATA")
	    or diag show($b // 'none') . ' / ' . show($p // 'none');
}

# CHUNKING without PIPELINING: one RCPT at a time, then BDAT for the one
# accepted; the refused recipient bounces as with DATA.
$off = $d->log_size;
$r = send_raw(to => [ 'reject1@n.test', 'ok@n.test' ],
    data => "Subject: no pipelining\r\n\r\n.dot\r\n");
is($r && $r->{code}, 250, 'no PIPELINING: accepted');
{
	my ($b, $m) = wait_copy($sn, 'no pipelining');
	ok(defined $b && $b eq "Subject: no pipelining\r\n\r\n.dot\r\n"
	    && $m->{json}{via} eq 'BDAT'
	    && "@{$m->{json}{rcpt_tos}}" eq 'ok@n.test',
	    'no PIPELINING: BDAT for the accepted recipient only');
	is(join(' ', map { (split / /)[1] } grep { !/ (EHLO|QUIT|RSET)$/ }
	    $sn->commands), 'MAIL RCPT RCPT BDAT',
	    'no PIPELINING: MAIL, RCPT, RCPT, BDAT');
	ok($d->wait_log(qr/bounced.*reject1\@n\.test.*550 5\.1\.1/, 20,
	    after => $off), 'no PIPELINING: the refused recipient bounced');
}

# Hostile next hops that offer CHUNKING.
my $h = start_hostile($hport, 'bdat-554');
$off = $d->log_size;
$r = send_raw(to => [ 'perm@h.test' ], data => "Subject: h554\r\n\r\nbody\r\n");
is($r && $r->{code}, 250, '554 to BDAT: accepted here');
ok($d->wait_log(qr/bounced.*perm\@h\.test.*554 5\.6\.0 chunk refused for good/,
    30, after => $off), '554 to BDAT: bounced with the reply');
ok(wait_for(sub { grep { $_->{data} =~ /554 5\.6\.0 chunk refused for good/
    && grep { $_ eq 's@src.test' } @{$_->{json}{rcpt_tos}} } $sd->messages },
    30), '554 to BDAT: the sender gets the bounce');
stop_child($h);

$h = start_hostile($hport, 'bdat-451');
$off = $d->log_size;
$r = send_raw(to => [ 'temp@h.test' ], data => "Subject: h451\r\n\r\nbody\r\n");
is($r && $r->{code}, 250, '451 to BDAT: accepted here');
ok($d->wait_log(qr/deferred.*temp\@h\.test.*451 4\.3\.0 chunk refused, try again later/,
    30, after => $off), '451 to BDAT: deferred with the reply');
stop_child($h);

$h = start_hostile($hport, 'bdat-drop');
$off = $d->log_size;
my $dropbody = "Subject: hdrop\r\n\r\n" . ("z" x 500 . "\r\n") x 2000;
$r = send_raw(to => [ 'drop@h.test' ], data => $dropbody);
is($r && $r->{code}, 250, 'dropped mid-chunk: accepted here');
ok($d->wait_log(qr/deferred.*drop\@h\.test.*(?:closed the connection|lost) during (?:message transfer|end of data)/,
    30, after => $off), 'dropped mid-chunk: deferred');
stop_child($h);
ok($d->log !~ /bounced.*(?:temp|drop)\@h\.test/, 'neither was bounced');

# A good CHUNKING server on that port now: both arrive, by BDAT.
my $good = start_sink(port => $hport, chunking => 1);
my ($g1, $m1) = wait_copy($good, 'h451');
my ($g2, $m2) = wait_copy($good, 'hdrop');
ok(defined $g1 && $g1 eq "Subject: h451\r\n\r\nbody\r\n"
    && $m1->{json}{via} eq 'BDAT', '451 to BDAT: delivered later, by BDAT');
ok(defined $g2 && $g2 eq $dropbody && $m2->{json}{via} eq 'BDAT',
    'dropped mid-chunk: delivered later, whole, by BDAT');
ok(wait_for(sub { !$d->queued }, 30), 'nothing left in the queue');
ok($d->alive, 'daemon running');
$d->stop;
done_testing();
