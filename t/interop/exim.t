#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# interop/exim.t -- Exim 4 (GnuTLS) as a downstream server: smarthostd
# relays to it over STARTTLS with tls = "verify", Exim passes the message
# to the sink.  Exim conflicts with Postfix in Debian, so it is not
# installed: its package is unpacked (make interop-exim-fetch, see
# t/interop/README) and run with a private configuration written here.
# Part of `make interop`.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;
use IO::Socket::INET;

my $exim = $ENV{SMARTHOST_EXIM} // srcdir() . '/t/interop/.exim/usr/sbin/exim4';
plan skip_all => "no unpacked Exim at $exim (make interop-exim-fetch)"
    unless -x $exim;
plan skip_all => 'no Debian-exim user (make interop-exim-fetch adds it)'
    unless defined getpwnam('Debian-exim');
plan skip_all => 'the private Exim needs root' unless $> == 0;

my $certs = TestCerts->new();
my $sink = start_sink();
my $port = free_port();
my $dir = tempdir('exim');
# Exim reads its files as nobody once -C has cost it root.
chmod(0711, SmarthostTest::test_dir(), $dir, $certs->{dir});
mkdir("$dir/$_") for qw(spool log);
my ($nuid, $ngid) = (getpwnam('nobody'))[2, 3];
chown($nuid, $ngid, "$dir/spool", "$dir/log");
my $sp = $sink->port;
write_file("$dir/exim.conf", <<"EOF");
exim_path = $exim
primary_hostname = exim.test
exim_user = nobody
exim_group = nogroup
never_users =
keep_environment =
spool_directory = $dir/spool
log_file_path = $dir/log/%slog
pid_file_path = $dir/exim.pid
notifier_socket = $dir/notifier
daemon_smtp_ports = $port
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = $certs->{server_cert}
tls_privatekey = $certs->{server_key}
smtputf8_advertise_hosts = *
acl_smtp_rcpt = acl_rcpt
begin acl
acl_rcpt:
  accept
begin routers
sink:
  driver = manualroute
  route_list = * 127.0.0.1 byname
  transport = to_sink
  self = send
begin transports
to_sink:
  driver = smtp
  port = $sp
  hosts_avoid_tls = *
begin retry
* * F,1m,2s
EOF
my ($pid) = SmarthostTest::spawn(argv => [ $exim, '-C', "$dir/exim.conf",
    '-bdf', '-q2s' ], stderr => "$dir/stderr", what => 'exim');
ok(wait_for(sub {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Timeout => 1);
	$s ? (close($s), 1) : 0;
}, 20), 'Exim listens') or diag slurp("$dir/stderr") // '';

my $d = start_daemon(
    config_text => {
	relayers => sprintf('{ name = "exim"; type = "smtp"; host = "localhost"; '
	    . 'port = %d; tls = "verify"; ca_file = "%s"; }', $port,
	    $certs->{ca_cert}),
	routing => 'default_relayer = "exim";',
	queue => 'retry_interval = "1s";',
    });
my $r = send_mail(port => $d->port, from => 'a@x.test',
    to => [ 'b@remote.test', 'c@remote.test' ],
    data => "Subject: to exim\n\n.leading dot\nthrough Exim\n");
ok($r->{ok}, 'accepted by smarthostd');
my @m = $sink->wait_messages(1, 30);
is(scalar @m, 1, 'Exim passed it on') or diag((slurp("$dir/log/mainlog") // '')
    . $d->log);
my $data = $m[0]{data} // '';
like($data, qr/^Received: from \[127\.0\.0\.1\] \(helo=relay\.test\)\r\n\tby exim\.test with esmtps\s+\(TLS1\.[23]\)/m,
    'Exim received it from us with esmtps') or diag $data;
is_deeply([ sort @{$m[0]{json}{rcpt_tos} // []} ],
    [ 'b@remote.test', 'c@remote.test' ], 'both recipients');
like($data, qr/\r\n\.leading dot\r\nthrough Exim\r\n/,
    'dot-stuffing undone end to end');
ok($d->wait_log(qr/delivered .*to=<b\@remote\.test> .*verified=yes/, 10),
    'smarthostd: delivered with the certificate verified');
like(slurp("$dir/log/mainlog") // '', qr/<= a\@x\.test .*P=esmtps X=TLS1\.[23]/,
    'Exim logged a TLS reception');
is($d->stop, 0, 'clean stop');
kill('TERM', $pid);
SmarthostTest::reap($pid, 10);
done_testing();
