#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# routing.t -- config.md's routing steps end to end, with dnsmasq as the
# resolver and sinks on 127.0.0.x standing for hosts: a routing_domain rule
# sends *.corp.example through the MX of the routing domain (queue
# "a.corp.example!gw.corp.example"); a relayer chosen by sender domain and
# by listener; a domains entry's relayer and force_mx reached through a
# routing domain; each batch_handling mode giving its transactions at the
# sink (two domains through one smarthost: one transaction with
# BatchByRoute, two with BatchByDomain); and the routing load errors of
# `smarthostd -n` naming file:line.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestDnsmasq;

plan skip_all => 'no ' . dnsmasq_path() unless -x dnsmasq_path();

my $P = free_port();
my %sink;
$sink{$_} = start_sink(host => "127.0.0.$_", port => $P) for 2 .. 6;

my $dns = start_dnsmasq(zones => [ 'test', 'example' ], records => [
    # The corp gateway, and a corp subdomain's own MX that must not be used.
    '--mx-host=gw.corp.example,mx.gw.corp.example,10',
    '--host-record=mx.gw.corp.example,127.0.0.2',
    '--mx-host=a.corp.example,mx.a.corp.example,10',
    '--host-record=mx.a.corp.example,127.0.0.6',
    '--mx-host=corp.example,mx.a.corp.example,10',
    # A plain domain: MX to 127.0.0.6.
    '--mx-host=plain.test,mx.plain.test,10',
    '--host-record=mx.plain.test,127.0.0.6',
    # The hub's smarthost (through force_mx).
    '--host-record=smarthost.hub.test,127.0.0.3',
]);

my ($p_lan, $p_bif, $p_route) = (free_port(), free_port(), free_port());
my $d = start_daemon(dns_port => $dns->port,
    config_text => {
	listeners => qq{
	    { name = "in"; address = "127.0.0.1"; port = \@PORT\@; },
	    { name = "lan"; address = "127.0.0.1"; port = $p_lan; },
	    { name = "bif"; address = "127.0.0.1"; port = $p_bif;
	      batch_handling = "BifurcateAlways"; },
	    { name = "route"; address = "127.0.0.1"; port = $p_route;
	      batch_handling = "BatchByRoute"; }
	},
	relayers => qq{
	    { name = "mx"; type = "mx"; port = $P; tls = "none"; },
	    { name = "alerts"; type = "smtp"; host = "127.0.0.4"; port = $P;
	      tls = "none"; },
	    { name = "lanrelay"; type = "smtp"; host = [ "127.0.0.9",
	      "127.0.0.5" ]; port = $P; tls = "none"; }
	},
	routing => q{
	    rules = (
	      { listener = "lan"; relayer = "lanrelay"; },
	      { sender_domain = "*.ALERTS.test"; relayer = "alerts"; },
	      { recipient_domain = "*.corp.example";
		routing_domain = "gw.corp.example"; },
	      { recipient_domain = [ "one.test", "two.test" ];
		routing_domain = "hub.test"; }
	    );
	    domains = (
	      { domain = "hub.test"; force_mx = "smarthost.hub.test"; }
	    );
	},
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
    });

sub send1 {
	my (%o) = @_;
	my $r = send_mail(port => $o{port} // $d->port, from => $o{from},
	    to => $o{to}, data => "Subject: routing\n\n$o{from}\n");
	ok($r->{ok}, "accepted: <$o{from}> to " . join(',', ref $o{to} ?
	    @{$o{to}} : $o{to})) or diag explain $r;
	return $r->{id} // 'NO-ID';
}

# Messages at a sink from one sender (waits for at least $n).
sub from_sender {
	my ($sink, $from, $n, $timeout) = @_;
	my @m;
	wait_for(sub {
		@m = grep { $_->{json}{mail_from} eq $from } $sink->messages;
		return @m >= $n;
	}, $timeout // 10);
	return @m;
}

# Sinks that got anything from $from.
sub where {
	my ($from) = @_;
	return join(',', map { "127.0.0.$_" } grep {
		my $h = $_;
		grep { $_->{json}{mail_from} eq $from } $sink{$h}->messages
	} sort keys %sink);
}

# 1. A routing_domain rule: *.corp.example via the MX of gw.corp.example.
my $id = send1(from => 'corp@x.test', to => 'u@a.corp.example');
ok(from_sender($sink{2}, 'corp@x.test', 1), 'routing_domain: the gateway\'s MX');
is(where('corp@x.test'), '127.0.0.2', 'routing_domain: not the domain\'s own MX');
like($d->wait_log(qr/^.*\bdelivered\b.*\bid=\Q$id\E\b.*$/m) // '',
    qr/\bqueue=a\.corp\.example!gw\.corp\.example\b.*\brelayer=mx\b.*\bremote=mx\.gw\.corp\.example\[127\.0\.0\.2\]:$P\b/,
    'routing_domain: log shows queue domain!routing_domain, relayer and host');
# corp.example itself does not match *.corp.example: its own MX.
$id = send1(from => 'corp2@x.test', to => 'u@corp.example');
ok(from_sender($sink{6}, 'corp2@x.test', 1),
    '*.corp.example does not match corp.example');
like($d->wait_log(qr/^.*\bdelivered\b.*\bid=\Q$id\E\b.*$/m) // '',
    qr/\bqueue=corp\.example from=.*\brelayer=mx\b/,
    'corp.example: its own queue');

# 2. The relayer chosen by sender domain (pattern, any case).
send1(from => 'ops@Mon.Alerts.test', to => 'u@plain.test');
ok(from_sender($sink{4}, 'ops@Mon.Alerts.test', 1),
    'sender_domain rule: its relayer');
is(where('ops@Mon.Alerts.test'), '127.0.0.4', 'sender_domain rule: only there');
send1(from => 'ops@alerts.test', to => 'u@plain.test');
ok(from_sender($sink{6}, 'ops@alerts.test', 1),
    'sender_domain "*.alerts.test" does not match alerts.test: MX');

# 3. The relayer chosen by listener (the rule comes first, so it wins over
# the sender rule too); the smtp relayer falls over to its second host.
$id = send1(port => $p_lan, from => 'lan@mon.alerts.test', to => 'u@plain.test');
ok(from_sender($sink{5}, 'lan@mon.alerts.test', 1), 'listener rule: its relayer');
is(where('lan@mon.alerts.test'), '127.0.0.5', 'listener rule: only there');
like($d->wait_log(qr/^.*\bdelivered\b.*\bid=\Q$id\E\b.*$/m) // '',
    qr/\brelayer=lanrelay remote=\[127\.0\.0\.5\]:$P\b/,
    'listener rule: logged with the relayer and the second host');
send1(from => 'in@x.test', to => 'u@plain.test');
ok(from_sender($sink{6}, 'in@x.test', 1), 'other listener: the MX');

# 4. batch_handling: a@one.test, b@one.test, c@two.test, all routed through
# hub.test (force_mx smarthost.hub.test = 127.0.0.3).
my @rcpts = ('a@one.test', 'b@one.test', 'c@two.test');
my %mode = (bif => $p_bif, dom => $d->port, route => $p_route);
for my $m (sort keys %mode) {
	send1(port => $mode{$m}, from => "$m\@x.test", to => \@rcpts);
}
my %want = (bif => 3, dom => 2, route => 1);
for my $m (sort keys %mode) {
	my @got = from_sender($sink{3}, "$m\@x.test", $want{$m});
	# Let any extra transaction arrive before counting.
	select(undef, undef, undef, 0.3);
	@got = from_sender($sink{3}, "$m\@x.test", $want{$m}, 1);
	is(scalar @got, $want{$m}, "$m: $want{$m} transaction(s)");
	my @sets = sort map { join(' ', sort @{$_->{json}{rcpt_tos}}) } @got;
	my %exp = (
	    bif => [ 'a@one.test', 'b@one.test', 'c@two.test' ],
	    dom => [ 'a@one.test b@one.test', 'c@two.test' ],
	    route => [ 'a@one.test b@one.test c@two.test' ],
	);
	is_deeply(\@sets, $exp{$m}, "$m: recipients grouped right");
}
is(where('route@x.test'), '127.0.0.3', 'batch: through the hub\'s force_mx');
like($d->log, qr/\bqueue=one\.test!hub\.test\b.*\bremote=smarthost\.hub\.test\[127\.0\.0\.3\]:$P\b/,
    'batch: queue one.test!hub.test via smarthost.hub.test');

is($d->stop, 0, 'daemon stops cleanly');
$dns->stop;

# 5. Load errors name file:line (smarthostd -n).
my $dir = tempdir('errors');
my $n = 0;
sub check_error {
	my ($name, $text, $line, $re) = @_;
	$n++;
	$line++;		# the spool line comes first
	my $f = "$dir/e$n.conf";
	write_file($f, qq{spool = "$dir/spool";\n} . $text);
	my ($st, $err) = run_daemon_check($f);
	is($st, 1, "$name: -n exits 1");
	like($err, qr/\Q$f\E:$line: .*$re/, "$name: error names the file and line")
	    or diag $err;
}
check_error('unknown rule relayer', <<'EOF', 4, qr/relayer.*"nope"/);
routing = {
  rules = (
    { recipient_domain = "a.test";
      relayer = "nope"; }
  );
};
EOF
check_error('unknown domain relayer', <<'EOF', 4, qr/relayer.*"nope"/);
routing = {
  domains = (
    { domain = "a.test";
      relayer = "nope"; }
  );
};
EOF
check_error('unknown default_relayer', <<'EOF', 3, qr/"nope"/);
routing = {

  default_relayer = "nope";
};
EOF
check_error('mx_list on an smtp relayer', <<'EOF', 6, qr/mx_list.*type mx/);
relayers = ( { name = "isp"; type = "smtp"; host = "127.0.0.1"; } );
routing = {
  domains = (
    { domain = "a.test";
      mx_list = ( "m1.a.test", "m2.a.test" );
      relayer = "isp"; }
  );
};
EOF
check_error('mx_list when the "mx" relayer is not of type mx', <<'EOF', 5, qr/mx_list.*type mx/);
relayers = ( { name = "mx"; type = "smtp"; host = "127.0.0.1"; } );
routing = {
  domains = (
    { domain = "a.test";
      mx_list = ( "m1.a.test" ); }
  );
};
EOF
check_error('malformed IPv4 literal', <<'EOF', 4, qr/malformed domain literal "\[300\.1\.2\.3\]"/);
routing = {
  domains = (
    { domain = "a.test";
      force_mx = "[300.1.2.3]"; }
  );
};
EOF
check_error('malformed IPv6 literal', <<'EOF', 5, qr/malformed domain literal/);
routing = {
  domains = (
    { domain = "a.test";
      mx_list = ( "m1.a.test",
        "[IPv6:2001:db8::zz]" ); }
  );
};
EOF
check_error('unterminated literal', <<'EOF', 4, qr/malformed domain literal/);
routing = {
  domains = (
    { domain = "a.test";
      force_mx = "[192.0.2.1"; }
  );
};
EOF

done_testing();
