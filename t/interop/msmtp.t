#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# interop/msmtp.t -- Debian's msmtp (GnuTLS) against the daemon: STARTTLS
# + AUTH with TLS 1.3 on a submission listener, implicit TLS + AUTH on an
# smtps listener, and one message to three recipients in one transaction
# (and one relayed copy for them).  Certificates verified against the test
# CA.  Part of `make interop`.
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
my $h = `openssl passwd -6 'interop pass'`;
chomp $h;
my $udir = tempdir('users');
write_file("$udir/users", "carol:$h\n");
my $p_smtps = free_port();
my $tls = sprintf('cert = "%s"; key = "%s"; users = "%s"; relay_from = [ ];',
    $certs->{server_cert}, $certs->{server_key}, "$udir/users");
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "sub"; address = "127.0.0.1"; port = \@PORT\@;
	      tls = "starttls"; auth = "required"; $tls },
	    { name = "smtps"; address = "127.0.0.1"; port = $p_smtps;
	      tls = "implicit"; auth = "required"; $tls }
	},
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
    });

my $n = 0;
sub msmtp {
	my (%o) = @_;
	$n++;
	my $dir = tempdir('msmtp');
	my $starttls = $o{implicit} ? 'off' : 'on';
	my $text = <<"EOF2";
account test
host 127.0.0.1
port $o{port}
domain client.test
from carol\@client.test
timeout 15
tls on
tls_starttls $starttls
tls_trust_file $certs->{ca_cert}
tls_host_override localhost
auth on
user carol
password interop pass
EOF2
	$text .= "tls_priorities $o{prio}\n" if $o{prio};
	write_file("$dir/rc", $text);
	chmod(0600, "$dir/rc");
	write_file("$dir/msg", "From: carol\@client.test\nSubject: interop $n\n\n"
	    . "interop message $n\n");
	my $rcpts = join(' ', @{$o{to}});
	my ($st, $out, $err) = run_bounded(30, '/bin/sh', '-c',
	    "exec '$msmtp' -C '$dir/rc' -a test -v $rcpts < '$dir/msg'");
	return ($st, "$out$err");
}

sub relayed {
	my ($k) = @_;
	wait_for(sub { grep { ($_->{data} // '') =~ /^Subject: interop $k\r$/m }
	    $sink->messages }, 15);
	return (grep { ($_->{data} // '') =~ /^Subject: interop $k\r$/m }
	    $sink->messages);
}

my ($st, $out) = msmtp(port => $d->port, to => [ 'far@remote.test' ],
    prio => 'NORMAL:-VERS-ALL:+VERS-TLS1.3');
is($st, 0, 'STARTTLS + AUTH, TLS 1.3: sent') or diag $out;
my @m = relayed($n);
is(scalar @m, 1, 'STARTTLS + AUTH: relayed once');
like($m[0]{data} // '', qr/\(using TLSv1\.3 with cipher /, '... TLS 1.3 recorded');
like($m[0]{data} // '', qr/with ESMTPSA id /, '... ESMTPSA');

($st, $out) = msmtp(port => $p_smtps, implicit => 1,
    to => [ 'far2@remote.test' ]);
is($st, 0, 'implicit TLS + AUTH: sent') or diag $out;
@m = relayed($n);
is(scalar @m, 1, 'implicit TLS: relayed once');
like($m[0]{data} // '', qr/with ESMTPSA id /, '... ESMTPSA');

my @to = ('one@remote.test', 'two@remote.test', 'three@remote.test');
($st, $out) = msmtp(port => $d->port, to => \@to);
is($st, 0, 'three recipients: sent') or diag $out;
is(scalar(() = $out =~ /^--> RCPT TO:/mg), 3, '... three RCPT in one session');
@m = relayed($n);
is(scalar @m, 1, '... relayed as one transaction');
is_deeply([ sort @{$m[0]{json}{rcpt_tos} // []} ], [ sort @to ],
    '... to all three');

is($d->stop, 0, 'clean stop');
done_testing();
