#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# msmtp.t -- STARTTLS + AUTH driven by Debian's msmtp (GnuTLS), the client
# most routers send mail with (issue 17, item 1).  msmtp pipelines its
# second EHLO behind the end of the TLS 1.3 handshake: the daemon must
# answer it only once the session is in its TLS state, offering AUTH and
# no STARTTLS.  PLAIN, LOGIN and msmtp's own choice, with TLS 1.3 and 1.2,
# each verified against the test CA.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;

skip_unless_built_with('auth-server');

my $msmtp = (grep { -x } '/usr/bin/msmtp', '/usr/local/bin/msmtp')[0];
plan skip_all => 'msmtp missing (Debian: msmtp)' unless $msmtp;

my $certs = TestCerts->new();
my $sink = start_sink();

my $h = `openssl passwd -6 'm5mtp pass'`;
chomp $h;
die "openssl passwd failed\n" unless $h =~ /^\$6\$/;
my $udir = tempdir('users');
write_file("$udir/users", "alice:$h\n");

my $d = start_daemon(
    config_text => {
	listener => sprintf('tls = "starttls"; auth = "optional"; '
	    . 'cert = "%s"; key = "%s"; users = "%s"; relay_from = [ ];',
	    $certs->{server_cert}, $certs->{server_key}, "$udir/users"),
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

my $n = 0;
# One message through msmtp; returns (exit status, stdout+stderr).
sub send_msmtp {
	my (%o) = @_;
	$n++;
	my $dir = tempdir('msmtp');
	my $conf = "$dir/msmtprc";
	my $text = <<"EOF";
defaults
timeout 15
logfile $dir/msmtp.log

account test
host 127.0.0.1
port @{[ $d->port ]}
domain client.test
from sender\@client.test
tls on
tls_starttls on
tls_trust_file $certs->{ca_cert}
tls_host_override localhost
auth $o{auth}
user alice
password $o{password}
EOF
	$text .= "tls_priorities $o{prio}\n" if $o{prio};
	write_file($conf, $text);
	chmod(0600, $conf);
	write_file("$dir/msg", "From: sender\@client.test\nTo: far\@remote.test\n"
	    . "Subject: msmtp $n\n\nmessage $n via msmtp\n");
	my ($st, $out, $err) = run_bounded(30, '/bin/sh', '-c',
	    "exec '$msmtp' -C '$conf' -a test -v far\@remote.test < '$dir/msg'");
	return ($st, "$out$err");
}

my @cases = (
    [ 'PLAIN, TLS 1.3', 'plain', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', 'TLSv1.3' ],
    [ 'LOGIN, TLS 1.3', 'login', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', 'TLSv1.3' ],
    [ 'automatic, TLS 1.3', 'on', undef, 'TLSv1.3' ],
    [ 'PLAIN, TLS 1.2', 'plain', 'NORMAL:-VERS-ALL:+VERS-TLS1.2', 'TLSv1.2' ],
    [ 'LOGIN, TLS 1.2', 'login', 'NORMAL:-VERS-ALL:+VERS-TLS1.2', 'TLSv1.2' ],
    [ 'automatic, TLS 1.2', 'on', 'NORMAL:-VERS-ALL:+VERS-TLS1.2', 'TLSv1.2' ],
);
my $sent = 0;
for my $c (@cases) {
	my ($what, $auth, $prio, $ver) = @$c;
	my ($st, $out) = send_msmtp(auth => $auth, prio => $prio,
	    password => 'm5mtp pass');
	is($st, 0, "msmtp $what: sent") or diag $out;
	$sent++ if $st == 0;
	# What the server said after its 220 to STARTTLS.
	my (undef, $after) = split /^<-- 220 2\.0\.0 Ready to start TLS.*$/m,
	    $out, 2;
	$after //= '';
	unlike($after, qr/^<-- 250[- ]STARTTLS/m,
	    "msmtp $what: no STARTTLS offered after STARTTLS");
	like($after, qr/^<-- 250[- ]AUTH /m,
	    "msmtp $what: AUTH offered under TLS");
	my @m = $sink->wait_messages($sent, 15);
	is(scalar @m, $sent, "msmtp $what: relayed");
	my $last = $m[-1] // {};
	my ($rcvd) = split_received($last->{data} // "");
	$rcvd //= '';
	like($rcvd, qr/\(using \Q$ver\E with cipher /, "msmtp $what: $ver")
	    or diag $rcvd;
	like($rcvd, qr/with ESMTPSA id /, "msmtp $what: ESMTPSA");
	like($last->{data} // "", qr/message $n via msmtp/,
	    "msmtp $what: the body arrived");
}

# A wrong password is refused, and msmtp says so.
my ($st, $out) = send_msmtp(auth => 'plain', password => 'wrong');
isnt($st, 0, 'wrong password: msmtp fails');
like($out, qr/^--> AUTH PLAIN/m, 'wrong password: AUTH was tried');
like($out, qr/^<-- 535 /m, 'wrong password: 535');

done_testing();
