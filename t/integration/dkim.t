#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# dkim.t -- DKIM signing verified by an independent verifier: dkimpy
# (python3-dkim), the public keys taken from `smarthostctl dkim --json`.
# RSA and Ed25519 side by side, every canonicalization, bodies that are
# empty, without a final CRLF (through smarthost-sendmail), with dot lines,
# 8-bit, trailing blanks and empty lines, 20 MB (with the daemon's memory
# bounded); From: domains without a key; subdomains; one signature across
# a batch split and a retry; our Received: unsigned, below the signatures.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use POSIX ();
use SmarthostTest;

# Two 20 MB messages signed twice each and verified by dkimpy take more than
# the default two minutes under AddressSanitizer on a busy machine.
alarm($ENV{SMARTHOST_TEST_WATCHDOG} // 300);

skip_unless_built_with('dkim');
my $py = '/usr/bin/python3';
plan skip_all => 'python3-dkim (dkimpy) is not installed'
    unless system($py, '-c', 'import dkim, nacl') == 0;
plan skip_all => 'openssl is not installed'
    unless system('openssl version >/dev/null 2>&1') == 0;
my $top = srcdir();
my $injector = $ENV{SMARTHOST_SENDMAIL} // "$top/src/smarthost-sendmail";

# Keys, made as the manual page says.
my $kd = tempdir('keys');
for (["rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"],
    ["ed", "-algorithm ED25519"]) {
	my ($name, $args) = @$_;
	system("openssl genpkey $args -out $kd/$name.pem 2>/dev/null") == 0
	    or BAIL_OUT("openssl genpkey $name failed");
	chmod(0600, "$kd/$name.pem");
}

my $dkim = <<'END';
dkim = (
  { domain = "example.com"; selector = "rsa"; key = "@KEYS@/rsa.pem"; },
  { domain = "example.com"; selector = "ed"; key = "@KEYS@/ed.pem"; },
  { domain = "rs.example"; selector = "rsa"; key = "@KEYS@/rsa.pem";
    canonicalization = "relaxed/simple";
    headers = [ "Subject", "User-Agent", "X-Internal", "To" ]; },
  { domain = "ss.example"; selector = "rsa"; key = "@KEYS@/rsa.pem";
    canonicalization = "simple/simple"; },
  { domain = "ss.example"; selector = "ed"; key = "@KEYS@/ed.pem";
    canonicalization = "simple/simple"; },
  { domain = "sub.example"; selector = "ed"; key = "@KEYS@/ed.pem";
    subdomains = true; },
  { domain = "nosub.example"; selector = "ed"; key = "@KEYS@/ed.pem"; }
);
rewrite = { sender = ( { from = "*@box.lan"; to = "*@example.com"; } ); };
END
my $sink = start_sink();
my $d = start_daemon(
    vars => { KEYS => $kd },
    config_text => {
	top => $dkim,
	listener => 'strip_headers = [ "User-Agent", "X-Internal" ];',
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

# The records, as an operator would publish them.
my ($st, $json, $err) = run_ctl('-c', $d->config_file, 'dkim', '--json');
is($st, 0, 'smarthostctl dkim --json') or diag($err);
my $records = eval { decode_json($json) } // [];
is(scalar(@$records), 7, 'one record per key');
like($records->[0]{txt} // '', qr/\Av=DKIM1; k=rsa; p=MII[A-Za-z0-9+\/=]+\z/,
    'RSA record');
is($records->[1]{name}, 'ed._domainkey.example.com', 'the DNS name');
like($records->[1]{txt} // '', qr/\Av=DKIM1; k=ed25519; p=[A-Za-z0-9+\/]{43}=\z/,
    'Ed25519 record: the bare key');
my (undef, $text) = run_ctl('-c', $d->config_file, 'dkim');
like($text, qr/^rsa\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=rsa; p=[^"]{200,}" "[^"]+"$/m,
    'text: a zone file line, long values cut into strings');
my $recfile = tempdir('rec') . '/records.json';
write_file($recfile, $json);

# Verify messages with dkimpy: one list of signatures per message.
sub verify {
	my @files = @_;
	my ($s, $out, $e) = run_bounded(120, $py, "$top/t/lib/dkim_verify.py",
	    $recfile, @files);
	diag($e) if $e;
	return map { decode_json($_) } grep { /^\[/ } split /\n/, $out;
}

my $seen = 0;
# Send one message; returns (its data at the sink, dkimpy's verdicts), or
# for expect => N, references to the N messages and their verdicts.
sub relay {
	my (%o) = @_;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	my $r = $s->mail(from => $o{from} // 'a@example.com',
	    to => $o{to} // 'b@dest.test', data => $o{data},
	    mail_params => $o{params}, timeout => $o{timeout});
	$s->cmd('QUIT');
	$s->close;
	return () unless $r && $r->{code} == 250;
	my $n = $o{expect} // 1;
	my @m = $sink->wait_messages($seen + $n, $o{timeout} // 20);
	return () unless @m >= $seen + $n;
	my @new = @m[$seen .. $seen + $n - 1];
	$seen += $n;
	my @v = verify(map { $sink->dir . "/$_->{seq}.eml" } @new);
	return $n == 1 ? ($new[0]{data}, $v[0]) : (\@new, \@v);
}

sub all_ok {
	my ($v, $want, $name) = @_;
	my $good = ref $v eq 'ARRAY' && @$v == $want
	    && !grep { !$_->{ok} } @$v;
	ok($good, $name) or diag(explain($v));
}

# Bodies: each through every canonicalization.
my %bodies = (
    'plain' => "Hello.\r\n",
    'empty body' => '',
    'dot lines' => ".\r\n..\r\n.leading dot\r\n. \r\nend\r\n",
    '8-bit' => "Gr\xc3\xbc\xc3\x9fe, d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac\r\n\xff\xfe raw octets\r\n",
    'trailing blanks and empty lines' => "a  \r\n\t\r\nb \t \r\n  \r\n\r\n\r\n\r\n",
    'blank runs inside lines' => "a \t  b\r\n \t c\r\n",
);
my %from = ('example.com' => [2, 'relaxed/relaxed, RSA and Ed25519'],
    'rs.example' => [1, 'relaxed/simple'],
    'ss.example' => [2, 'simple/simple, RSA and Ed25519']);
for my $dom (sort keys %from) {
	my ($n, $what) = @{$from{$dom}};
	for my $b (sort keys %bodies) {
		my $hdr = "From: Someone <someone\@$dom>\r\nTo: b\@dest.test\r\n"
		    . "Subject: $b  \r\n  folded\r\n"
		    . "Date: Sun, 6 Dec 2026 12:00:00 +0000\r\n"
		    . "Message-ID: <" . join('.', split / /, $b) . ".$dom\@test>\r\n";
		my (undef, $v) = relay(data => "$hdr\r\n$bodies{$b}",
		    params => $b eq '8-bit' ? 'BODY=8BITMIME' : undef);
		all_ok($v, $n, "$what: $b");
	}
}

# What the sink got: signatures on top, then our Received:, unsigned.
my ($data, $v) = relay(data => "From: <x\@example.com>\r\nSubject: order\r\n\r\nx\r\n");
all_ok($v, 2, 'a minimal message');
like($data // '', qr/\ADKIM-Signature: v=1; a=rsa-sha256;.*?\r\nDKIM-Signature: v=1; a=ed25519-sha256;.*?\r\nReceived: from client\.test /s,
    'the signatures come first, in the order of the file, above Received:');
ok(!grep({ $_->{h} =~ /received/i } @{$v // []}), 'Received: is not signed');
is(join(',', map { $_->{h} } @{$v // []}), 'from:subject,from:subject',
    'h=: only the present fields of the list');
is($v->[0]{c} // '', 'relaxed/relaxed', 'c=relaxed/relaxed by default');
{
	# The verifier can say no: a changed body and a changed Subject fail.
	my $t = tempdir('tamper');
	(my $body = $data // '') =~ s/\r\nx\r\n\z/\r\ny\r\n/;
	(my $subj = $data // '') =~ s/Subject: order/Subject: 0rder/;
	write_file("$t/body.eml", $body);
	write_file("$t/subj.eml", $subj);
	my @tv = verify("$t/body.eml", "$t/subj.eml");
	ok(@tv == 2 && @{$tv[0]} == 2 && @{$tv[1]} == 2
	    && !grep({ $_->{ok} } map { @$_ } @tv),
	    'a changed body or Subject: fails verification (control)');
}

# From: domains without a key, subdomains.
($data, $v) = relay(data => "From: <x\@other.example>\r\n\r\nx\r\n");
is_deeply($v, [], 'a From: domain without a key: not signed');
unlike($data // 'DKIM', qr/DKIM-Signature/, '... no field at all');
($data, $v) = relay(data => "From: <x\@a.b.sub.example>\r\n\r\nx\r\n");
all_ok($v, 1, 'a subdomain with subdomains = true: signed');
is($v->[0]{d} // '', 'sub.example', '... with d= the configured domain');
($data, $v) = relay(data => "From: <x\@a.nosub.example>\r\n\r\nx\r\n");
is_deeply($v, [], 'a subdomain without subdomains: not signed');
($data, $v) = relay(data => "From: <x\@nosub.example>\r\n\r\nx\r\n");
all_ok($v, 1, 'the domain itself: signed');
($data, $v) = relay(from => 'a@example.com',
    data => "From: <x\@other.example>\r\nSender: <a\@example.com>\r\n\r\nx\r\n");
is_deeply($v, [], 'the envelope sender does not matter, From: does');

# Signed after header stripping and rewriting: what is signed is what is
# sent.
($data, $v) = relay(data => "From: <x\@rs.example>\r\nUser-Agent: secret 1.0\r\n"
    . "X-Internal: 10.0.0.1\r\nSubject: strip\r\n\r\nx\r\n");
all_ok($v, 1, 'stripped fields: the signature verifies');
is($v->[0]{h} // '', 'from:subject', '... and h= does not name them');
unlike($data // '', qr/User-Agent|X-Internal/, '... which are gone');
($data, $v) = relay(from => 'root@box.lan',
    data => "From: root\@box.lan\r\nSubject: rewritten\r\n\r\nx\r\n");
like($data // '', qr/^From: root\@example\.com\r$/m, 'From: rewritten');
all_ok($v, 2, '... and signed for the rewritten domain');

# One signature for every copy: a batch split and a retry.
my ($msgs, $vs) = relay(to => ['b@one.test', 'c@two.test'], expect => 2,
    data => "From: <x\@example.com>\r\nTo: b\@one.test, c\@two.test\r\n\r\nsplit\r\n");
ok(ref $vs eq 'ARRAY' && @$vs == 2, 'two batches delivered');
all_ok($vs->[$_], 2, "batch " . ($_ + 1) . " verifies") for 0, 1;
is($vs->[0][0]{b}, $vs->[1][0]{b}, 'both carry the same signature (signed once)');

{
	# The sink fails the next transaction once; the retry carries the
	# signature made at reception.
	my $port = $sink->port;
	$sink->stop;
	$sink = start_sink(port => $port, fail_first => 1);
	$seen = 0;
	($data, $v) = relay(data => "From: <x\@example.com>\r\nSubject: retry\r\n\r\nonce\r\n",
	    timeout => 30);
	all_ok($v, 2, 'delivered after a retry, and verifies');
	my $n = () = ($data // '') =~ /^DKIM-Signature:/mg;
	is($n, 2, '... with two signatures, not four');
}

{
	# Signed at acceptance, not at delivery: while the next hop answers
	# 451 the queued file already holds the signatures; the message
	# waits, and the copy delivered later carries those same octets (a
	# copy signed at delivery would have a later t=, so other octets:
	# both algorithms being deterministic, equal b= values alone would
	# not tell).
	my $port = $sink->port;
	my $fail = tempdir('fail') . '/failing';
	write_file($fail, "451\n");
	$sink->stop;
	$sink = start_sink(port => $port, fail_file => $fail);
	$seen = 0;
	my $at = $d->log_size;
	my $r = send_mail(port => $d->port, from => 'a@example.com',
	    to => 'b@dest.test',
	    data => "From: <x\@example.com>\r\nSubject: queued\r\n\r\nwaits\r\n");
	ok($r->{ok} && $r->{id}, 'queued: accepted') or diag explain $r;
	my $id = $r->{id} // 'none';
	ok($d->wait_log(qr/deferred .*\Q$id\E|\Q$id\E.*deferred/, 15,
	    after => $at), 'queued: deferred while the next hop answers 451');
	my $q = slurp($d->spool . "/queue/$id.q") // '';
	my ($stored) = $q =~ /\A((?:DKIM-Signature:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*)+)Received: /;
	my $n = () = ($stored // '') =~ /^DKIM-Signature:/mg;
	is($n, 2, 'queued: both signatures are in the queued file, above '
	    . 'our Received:');
	my ($t) = ($stored // '') =~ /\bt=(\d+);/;
	sleep(2);
	unlink($fail);
	my @m = $sink->wait_messages(1, 30);
	$seen = @m;
	my ($sent) = ($m[0]{data} // '') =~ /\A((?:DKIM-Signature:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*)+)Received: /;
	ok(defined $stored && defined $sent && $sent eq $stored,
	    'queued: delivered later with the stored signatures, octet for '
	    . 'octet') or diag("stored:\n" . ($stored // '') . "sent:\n"
	    . ($sent // ''));
	ok(defined $t && $t <= time() - 2, 'queued: t= is the time of '
	    . 'acceptance, not of delivery');
	my @vv = @m ? verify($sink->dir . "/$m[0]{seq}.eml") : ();
	all_ok($vv[0], 2, 'queued: and both verify');
}

# BDAT (CHUNKING): chunks cut inside a header field and inside a CRLF, a
# "." line and a last line without CRLF are signed as stored.
{
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('client.test');
	my @c = ("From: <x\@ss.example>\r\nSubj", "ect: chunks\r\n\r\none\r",
	    "\n.\r\n..two  \r\n\r\nno final newline");
	my $good = $s->cmd('MAIL FROM:<a@example.com>')->{code} == 250
	    && $s->cmd('RCPT TO:<b@dest.test>')->{code} == 250;
	for my $i (0 .. $#c) {
		last unless $good;
		$s->send('BDAT ' . length($c[$i]) . ($i == $#c ? ' LAST' : '')
		    . "\r\n$c[$i]");
		my $r = $s->reply;
		$good = $r && $r->{code} == 250;
	}
	$s->cmd('QUIT');
	$s->close;
	ok($good, 'BDAT: accepted');
	my @m = $sink->wait_messages($seen + 1, 20);
	$seen = @m;
	my @vv = @m ? verify($sink->dir . "/$m[-1]{seq}.eml") : ();
	all_ok($vv[0], 2, 'BDAT: both simple/simple signatures verify');
}

# No final CRLF, through smarthost-sendmail (SMTP always has one).
SKIP: {
	skip "smarthost-sendmail not built", 3 unless -x $injector;
	for my $case (["no final newline", "From: <x\@example.com>\nSubject: nl\n\nlast line"],
	    ["all headers, no newline", "From: <x\@ss.example>\nSubject: e"]) {
		my ($what, $in) = @$case;
		my $dir = tempdir('inject');
		write_file("$dir/in", $in);
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			open(STDIN, '<', "$dir/in") or POSIX::_exit(126);
			open(STDOUT, '>', '/dev/null');
			{ exec($injector, '-C', $d->config_file, '-f', 'a@example.com',
			    'b@dest.test') }
			POSIX::_exit(127);
		}
		waitpid($pid, 0);
		my @m = $sink->wait_messages($seen + 1, 20);
		$seen = @m;
		my @vv = @m ? verify($sink->dir . "/$m[-1]{seq}.eml") : ();
		all_ok($vv[0], 2, "sendmail: $what");
	}
	ok($d->wait_log(qr/DKIM-signed \(2 signatures\)/, 5), 'signing is logged');
}

# 20 MB: streamed, with the daemon's memory bounded.
{
	my $hwm = sub {
		my $s = slurp('/proc/' . $d->pid . '/status') // '';
		return $s =~ /^VmHWM:\s+(\d+) kB/m ? $1 : 0;
	};
	my $before = $hwm->();
	my $line = join('', map { chr(33 + $_ % 90) } 0 .. 75) . "  \r\n";
	my $big = $line x int(20 * 1024 * 1024 / length($line));
	$big .= ".dot at the start\r\n\r\n\r\n";
	for my $dom ('example.com', 'ss.example') {
		(undef, $v) = relay(data => "From: <x\@$dom>\r\nSubject: big\r\n\r\n$big",
		    timeout => 60);
		all_ok($v, 2, "20 MB, $dom, verifies");
	}
	my $after = $hwm->();
	diag(sprintf('daemon peak RSS %d kB before, %d kB after two 20 MB messages',
	    $before, $after));
	# AddressSanitizer keeps freed memory in quarantine: no bound there
	# (the plain build's run is the one that measures).
	if ((slurp(smarthostd()) // '') =~ /__asan_init/) {
		pass('peak memory bound not checked under AddressSanitizer');
	} else {
		cmp_ok($after - $before, '<', 16 * 1024,
		    'peak memory grew by less than 16 MiB for 20 MB messages');
	}
}

# A reload with a key gone is refused with file:line and changes nothing.
{
	rename("$kd/ed.pem", "$kd/ed.gone") or die "rename: $!";
	$d->signal('HUP');
	ok($d->wait_log(qr/smarthostd\.conf:\d+: dkim: entry 2: key: cannot read \S*ed\.pem/, 10),
	    'reload with a missing key: file:line error');
	rename("$kd/ed.gone", "$kd/ed.pem");
	($data, $v) = relay(data => "From: <x\@example.com>\r\n\r\nafter\r\n");
	all_ok($v, 2, 'the keys in force still sign');
	unlike($d->log, qr/BEGIN|PRIVATE KEY/, 'no key material in the log');

	# A new key under the same name is read by the next reload: mail is
	# signed with it, and the record smarthostctl prints matches it.
	system("openssl genpkey -algorithm ED25519 -out $kd/ed.new 2>/dev/null") == 0
	    or die "genpkey";
	chmod(0600, "$kd/ed.new");
	rename("$kd/ed.new", "$kd/ed.pem") or die "rename: $!";
	my $at = $d->log_size;
	$d->signal('HUP');
	ok($d->wait_log(qr/reloaded /, 10, after => $at),
	    'reload with a new Ed25519 key');
	my (undef, $j2) = run_ctl('-c', $d->config_file, 'dkim', '--json');
	my $old = $records->[1]{txt};
	my $recs2 = eval { decode_json($j2) } // [];
	my ($new) = map { $_->{txt} }
	    grep { $_->{name} eq 'ed._domainkey.example.com' } @$recs2;
	ok(defined $new && $new ne $old, 'smarthostctl dkim: the new public key');
	write_file($recfile, $j2);
	($data, $v) = relay(data => "From: <x\@example.com>\r\n\r\nnew key\r\n");
	all_ok($v, 2, 'signed with the new key after the reload');
	write_file($recfile, $json);

}

is($d->stop, 0, 'daemon: clean stop');
unlike($d->log, qr/AddressSanitizer|LeakSanitizer|runtime error/,
    'no sanitizer report, leaks at exit included');
$sink->stop;
done_testing();
