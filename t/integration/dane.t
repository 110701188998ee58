#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# dane.t -- DANE for the mx relayer (RFC 7672) against real peers: our own
# DNS server (t/lib/dns_server.py: MX, A and TLSA records, the AD bit set
# for secure names only) and TLS sinks on 127.0.0.x with certificates made
# here (TestCerts), TLSA data computed from them.  A matching DANE-EE or
# DANE-TA record delivers with dane=verified; a certificate that matches
# no record, a missing STARTTLS, a failed TLSA lookup, or (mandatory) no
# usable TLSA is deferred, and the sink never sees a MAIL FROM; records
# without AD, behind an unauthenticated MX, or from a resolver without
# trust_ad are as none.  Implicit MX, mx_list names (configuration, so
# secure) and literals (no name, no DANE), a reload that turns DANE to
# mandatory, the config checks and the resolver's secure flag through
# t/dns-lookup.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use TestDnsServer;

skip_unless_built_with('dane');

my $certs = TestCerts->new();
my $P = free_port();			# every sink's port: the relayers'

# A TLS sink on 127.0.0.$h:$P (STARTTLS offered unless $plain).
sub tls_sink {
	my ($h, $cert, $key, $plain) = @_;
	return start_sink(host => "127.0.0.$h", port => $P) if $plain;
	my $self = bless {}, 'SmarthostTest::Sink';
	$self->{dir} = tempdir('tlssink');
	$self->{port} = $P;
	$self->{host} = "127.0.0.$h";
	$self->{argv} = [ SmarthostTest::python3(),
	    srcdir() . '/t/lib/tls_sink.py', '--host', $self->{host},
	    '--port', $P, '--dir', $self->{dir}, '--starttls',
	    '--cert', $cert, '--key', $key ];
	$self->start;
	return $self;
}

my ($ta_cert, $ta_key, $ta_chain) = $certs->issue('mx.ta.test');
my ($on_cert, $on_key, $on_chain) = $certs->issue('other.test');
my %sink = (
	ee => tls_sink(2, $certs->{server_cert}, $certs->{server_key}),
	ta => tls_sink(4, $ta_chain, $ta_key),
	plain => tls_sink(5, undef, undef, 1),
	taname => tls_sink(6, $on_chain, $on_key),
);

my $ee311 = $certs->tlsa($certs->{server_cert}, 1, 1);
my $ee301 = $certs->tlsa($certs->{server_cert}, 0, 1);
my $ee312 = $certs->tlsa($certs->{server_cert}, 1, 2);
my $wrong = $certs->tlsa($certs->{wrong_cert}, 1, 1);
my $ca201 = $certs->tlsa($certs->{ca_cert}, 0, 1);

# An MX host named after its domain, at 127.0.0.$h, with TLSA lines.
sub dom {
	my ($d, $h, @tlsa) = @_;
	return ("$d MX 10 mx.$d", "mx.$d A 127.0.0.$h",
	    map { "_$P._tcp.mx.$d TLSA $_" } @tlsa);
}

my $dns = start_dns_server(records => [
	dom('ee.test', 2, "3 1 1 $ee311"),
	dom('full.test', 2, "3 0 1 $ee301"),
	dom('sha512.test', 2, "3 1 2 $ee312", "3 1 1 $wrong"),
	dom('bad.test', 2, "3 1 1 $wrong"),
	dom('bado.test', 2, "3 1 1 $wrong"),
	dom('notlsa.test', 2),
	dom('notlsao.test', 2),
	# the TLSA records are not authenticated: as none
	dom('noad.test', 2, "3 1 1 $wrong"), "!insecure _$P._tcp.mx.noad.test",
	# the MX answer is not authenticated: DANE does not apply
	dom('insmx.test', 2, "3 1 1 $wrong"), '!insecure insmx.test',
	'ta.test MX 10 mx.ta.test', 'mx.ta.test A 127.0.0.4',
	"_$P._tcp.mx.ta.test TLSA 2 0 1 $ca201",
	dom('taname.test', 6, "2 0 1 $ca201"),
	dom('nostarttls.test', 5, "3 1 1 $ee311"),
	dom('servfail.test', 2), "!servfail _$P._tcp.mx.servfail.test",
	dom('unusable.test', 5, "1 1 1 $ee311"),
	# the better MX does not match, the next one does
	'next.test MX 10 mx.bad.test', 'next.test MX 20 mx.ee.test',
	# no MX: the domain is its own host, its NODATA authenticated
	'implicit.test A 127.0.0.2', "_$P._tcp.implicit.test TLSA 3 1 1 $ee311",
	# no MX and an unauthenticated NODATA: DANE cannot apply
	'insimplicit.test A 127.0.0.2', '!insecure insimplicit.test',
	"_$P._tcp.insimplicit.test TLSA 3 1 1 $ee311",
]);
is($dns->errors, '', 'zone read without errors');

my $top_resolver = 'trust_ad = true;';
my $relayers = qq{
	{ name = "mx"; type = "mx"; port = $P; tls = "opportunistic";
	  dane = "opportunistic"; connect_timeout = "5s"; },
	{ name = "dm"; type = "mx"; port = $P; tls = "opportunistic";
	  dane = "mandatory"; connect_timeout = "5s"; }
};
my $routing = q{
	domains = (
	  { domain = "full.test"; relayer = "dm"; },
	  { domain = "sha512.test"; relayer = "dm"; },
	  { domain = "bad.test"; relayer = "dm"; },
	  { domain = "notlsa.test"; relayer = "dm"; },
	  { domain = "ta.test"; relayer = "dm"; },
	  { domain = "taname.test"; relayer = "dm"; },
	  { domain = "implicit.test"; relayer = "dm"; },
	  { domain = "insimplicit.test"; relayer = "dm"; },
	  { domain = "list.test"; relayer = "dm"; mx_list = ( "mx.ee.test" ); },
	  { domain = "listaddr.test"; relayer = "dm";
	    mx_list = ( { name = "mx.bad.test"; addr = "127.0.0.2"; } ); },
	  { domain = "lit.test"; relayer = "dm"; mx_list = ( "[127.0.0.2]" ); }
	);
};

# config_text has a resolver line of its own; ours replaces it.
sub conf {
	my (%o) = @_;
	my $t = config_text(relayers => $o{relayers},
	    routing => $o{routing} // '', queue => 'retry_interval = "1h";');
	$t =~ s/^resolver = \{ (.*) \};$/resolver = { $1 $o{resolver} };/m
	    or die "no resolver line\n";
	return $t;
}

my $d = start_daemon(dns_port => $dns->port,
    config => conf(relayers => $relayers, resolver => $top_resolver,
	routing => $routing));

my $n = 0;
sub send1 {
	my ($to) = @_;
	$n++;
	my $r = send_mail(port => $d->port, from => 's@sender.test', to => $to,
	    data => "Subject: dane test $n\n\nbody $n\n");
	ok($r->{ok}, "accepted for $to") or diag explain $r;
	return $r->{id} // 'NO-ID';
}

sub outcome {
	my ($id, $daemon) = @_;
	return ($daemon // $d)->wait_log(
	    qr/^.*\b(?:delivered|deferred|bounced)\b.*\bid=\Q$id\E\b.*$/m, 20)
	    // '';
}

# Did any sink get a MAIL FROM (or a message) for this recipient?
sub got {
	my ($sink, $rcpt) = @_;
	return scalar grep { grep { lc($_) eq lc($rcpt) }
	    @{$_->{json}{rcpt_tos}} } $sink->messages;
}
sub mails { scalar grep { /\bMAIL\b/ } $_[0]->commands }

# 1. DANE-EE 3 1 1 that matches: delivered, verified, under TLS.
my $id = send1('u1@ee.test');
my $l = outcome($id);
like($l, qr/^.*\bdelivered\b/, 'EE 3 1 1 match: delivered');
like($l, qr/\btls=TLSv1\.[23]\S* verified=yes dane=verified\b/,
    'EE 3 1 1 match: dane=verified, verified=yes');
ok(got($sink{ee}, 'u1@ee.test'), 'EE 3 1 1 match: the sink has it');

# 2. Full certificate (3 0 1) and SHA-512 (3 1 2, next to a wrong 3 1 1),
# under dane = mandatory.
$id = send1('u2@full.test');
like(outcome($id), qr/\bdelivered\b.*\bdane=verified\b/,
    'EE 3 0 1 (mandatory): delivered, verified');
$id = send1('u3@sha512.test');
like(outcome($id), qr/\bdelivered\b.*\bdane=verified\b/,
    'EE 3 1 2 among a wrong record (mandatory): delivered, verified');

# 3. The record does not match the certificate, dane = mandatory: the
# done-when of #20 item 3.  Deferred; nothing in clear, nothing sent.
my $mails_before = mails($sink{ee});
$id = send1('u4@bad.test');
$l = outcome($id);
like($l, qr/^.*\bdeferred\b/, 'mismatch (mandatory): deferred');
like($l, qr/\bdane=failed\b/, 'mismatch (mandatory): dane=failed');
like($l, qr/status="451 4\.7\.5 [^"]*TLS handshake[^"]*failed/,
    'mismatch (mandatory): 4.7.5, the handshake failed');
is(mails($sink{ee}), $mails_before, 'mismatch (mandatory): no MAIL FROM');
ok(!got($sink{ee}, 'u4@bad.test'), 'mismatch (mandatory): not delivered');

# 4. The same with dane = opportunistic: usable TLSA records bind too.
$id = send1('u5@bado.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b/,
    'mismatch (opportunistic, usable TLSA): deferred too');
is(mails($sink{ee}), $mails_before, 'mismatch (opportunistic): no MAIL FROM');

# 5. No TLSA: mandatory defers, opportunistic follows tls.
$id = send1('u6@notlsa.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b.*status="451 4\.7\.5 [^"]*no usable/,
    'no TLSA (mandatory): deferred, no usable record');
is(mails($sink{ee}), $mails_before, 'no TLSA (mandatory): no MAIL FROM');
$id = send1('u7@notlsao.test');
like(outcome($id), qr/\bdelivered\b.*\btls=\S+ verified=no dane=none\b/,
    'no TLSA (opportunistic): delivered by tls, dane=none');

# 6. TLSA without AD, and TLSA behind an MX without AD: as none (the
# records, which match nothing, were not used).
$id = send1('u8@noad.test');
like(outcome($id), qr/\bdelivered\b.*\bdane=none\b/,
    'TLSA without AD: as none, delivered');
$id = send1('u9@insmx.test');
like(outcome($id), qr/\bdelivered\b.*\bdane=none\b/,
    'MX without AD: DANE does not apply, delivered');

# 7. DANE-TA(2) with the test CA: the chain reaches it and the certificate
# names the MX host: verified.  A certificate for another name: deferred.
$id = send1('u10@ta.test');
like(outcome($id), qr/\bdelivered\b.*\bdane=verified\b/,
    'TA 2 0 1, the MX host\'s name: verified');
ok(got($sink{ta}, 'u10@ta.test'), 'TA: the sink has it');
$id = send1('u11@taname.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b/,
    'TA 2 0 1, another name in the certificate: deferred');
is(mails($sink{taname}), 0, 'TA, wrong name: no MAIL FROM');

# 8. Usable TLSA but no STARTTLS: deferred, never in clear.
$id = send1('u12@nostarttls.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b.*STARTTLS/,
    'no STARTTLS with usable TLSA: deferred');
is(mails($sink{plain}), 0, 'no STARTTLS: no MAIL FROM in clear');

# 9. A TLSA lookup that fails (SERVFAIL): the host is not used.
$id = send1('u13@servfail.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b.*TLSA lookup failed/,
    'TLSA SERVFAIL: deferred');

# 10. Only unusable records (PKIX-EE): TLS required, unauthenticated; the
# plain sink has no STARTTLS, so deferred, never in clear.
$id = send1('u14@unusable.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=none\b.*TLS required/,
    'unusable TLSA only: TLS required');
is(mails($sink{plain}), 0, 'unusable TLSA only: no MAIL FROM in clear');

# 11. The best MX fails DANE, the next one passes: delivered there.
$id = send1('u15@next.test');
like(outcome($id), qr/\bdelivered\b.*\bremote=mx\.ee\.test\[127\.0\.0\.2\]:$P\b.*\bdane=verified\b/,
    'next MX after a DANE failure: delivered, verified');

# 12. Implicit MX: the domain's own TLSA records when its NODATA for MX
# was authenticated; none otherwise (mandatory: deferred).
$id = send1('u17@implicit.test');
like(outcome($id), qr/\bdelivered\b.*\bremote=implicit\.test\[127\.0\.0\.2\]:$P\b.*\bdane=verified\b/,
    'implicit MX, authenticated NODATA: verified');
$id = send1('u18@insimplicit.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b.*MX records are not DNSSEC-authenticated/,
    'implicit MX, unauthenticated NODATA (mandatory): deferred');

# 13. mx_list names are configuration: DANE applies to them (a configured
# address too); a bare address has no name and gets none.
$id = send1('u19@list.test');
like(outcome($id), qr/\bdelivered\b.*\bdane=verified\b/,
    'mx_list host name (mandatory): verified');
$id = send1('u20@listaddr.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b/,
    'mx_list name with an address: its TLSA records apply, mismatch deferred');
$id = send1('u21@lit.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b.*an address, no host name/,
    'mx_list address literal (mandatory): deferred');

# 14. A reload that turns the mx relayer's dane to mandatory applies to the
# next delivery: no TLSA is now a deferral.
$d->rewrite(config => conf(resolver => $top_resolver, routing => $routing,
    relayers => $relayers =~ s/dane = "opportunistic"/dane = "mandatory"/r));
$d->signal('HUP');
ok($d->wait_log(qr/reloaded /, 10), 'reloaded');
$id = send1('u22@notlsao.test');
like(outcome($id), qr/\bdeferred\b.*\bdane=failed\b.*no usable/,
    'after the reload: mandatory, no TLSA: deferred');

# 15. The queries asked for DNSSEC (DO), and TLSA lookups were made for
# the MX hosts.
my @q = $dns->queries;
ok((grep { /^_$P\._tcp\.mx\.ee\.test TLSA .*do=1/ } @q),
    'TLSA query with DO') or diag join("\n", @q);
ok(!(grep { /do=0/ } @q), 'every query asks for DO under trust_ad');
ok(!(grep { /^_$P\._tcp\.mx\.insmx\.test TLSA/ } @q),
    'no TLSA lookup behind an unauthenticated MX');
is($d->stop, 0, 'daemon stops cleanly');

# 16. trust_ad off: dane opportunistic is a warning and never applies.
{
	my $d2 = start_daemon(dns_port => $dns->port,
	    config => conf(resolver => '', relayers => qq{
		{ name = "mx"; type = "mx"; port = $P; tls = "opportunistic";
		  dane = "opportunistic"; connect_timeout = "5s"; } }));
	like($d2->log, qr/dane = "opportunistic" without resolver trust_ad/,
	    'trust_ad off: warned at load');
	my $r = send_mail(port => $d2->port, from => 's@sender.test',
	    to => 'u16@bado.test', data => "Subject: x\n\nx\n");
	like(outcome($r->{id} // 'NO-ID', $d2),
	    qr/\bdelivered\b.*\bdane=none\b/,
	    'trust_ad off: TLSA not believed, delivered by tls');
	is($d2->stop, 0, 'second daemon stops cleanly');
}

# 17. Config checks: mandatory without trust_ad, dane on an smtp relayer,
# an unknown mode -- errors with file:line.
for my $case (
    [ qq{{ name = "mx"; type = "mx"; dane = "mandatory"; }}, '',
      qr/smarthostd\.conf:\d+: .*dane = "mandatory" needs resolver trust_ad = true/,
      'mandatory without trust_ad' ],
    [ qq{{ name = "s"; type = "smtp"; host = "127.0.0.1"; dane = "opportunistic"; }},
      'trust_ad = true;', qr/smarthostd\.conf:\d+: .*dane/,
      'dane on an smtp relayer' ],
    [ qq{{ name = "mx"; type = "mx"; dane = "yes"; }}, 'trust_ad = true;',
      qr/smarthostd\.conf:\d+: .*dane.*(off|opportunistic|mandatory)/,
      'an unknown dane mode' ]) {
	my ($rel, $res, $re, $what) = @$case;
	my $text = conf(relayers => $rel, resolver => $res);
	$text =~ s/\@(SPOOL|PORT|DNS_PORT)\@/$1 eq 'SPOOL' ? tempdir('spool') : free_port()/ge;
	my $file = write_config($text);
	my ($st, $err) = run_daemon_check($file);
	isnt($st, 0, "config check: $what: refused");
	like($err, $re, "config check: $what: says why, with file:line");
}

# 18. The resolver's secure flag, through t/dns-lookup.
SKIP: {
	my $lookup = ($ENV{TOP_BUILDDIR} // '.') . '/t/dns-lookup';
	skip "no $lookup", 4 unless -x $lookup;
	my @a = ('-A', '-s', '127.0.0.1', '-p', $dns->port, '-t', 5, '-a', 2);
	my (undef, $out) = run_bounded(30, $lookup, @a, 'tlsa',
	    "_$P._tcp.mx.ee.test");
	is($out, "secure yes\ntlsa records 1\ntlsa 3 1 1 $ee311\n",
	    'dns-lookup: TLSA, secure');
	(undef, $out) = run_bounded(30, $lookup, @a, 'tlsa',
	    "_$P._tcp.mx.noad.test");
	like($out, qr/^secure no\n/, 'dns-lookup: TLSA without AD: not secure');
	(undef, $out) = run_bounded(30, $lookup, @a, 'mx', 'insmx.test');
	like($out, qr/^secure no\nmx 10 mx\.insmx\.test\n/,
	    'dns-lookup: MX without AD: not secure');
	(undef, $out) = run_bounded(30, $lookup, @a[1 .. $#a], 'tlsa',
	    "_$P._tcp.mx.ee.test");
	is($out, "tlsa records 1\ntlsa 3 1 1 $ee311\n",
	    'dns-lookup without trust_ad: records, no secure line');
}

$_->stop for values %sink;
$dns->stop;
done_testing();
