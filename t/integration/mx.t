#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# mx.t -- the mx relayer against a real DNS server (dnsmasq on a loopback
# port): MX preference order with the best host down, every address of a
# host before the next host, equal preferences shuffled, implicit MX, null
# MX and NXDOMAIN bounced, DNS down deferred and then delivered, domain
# literals, mx_list (order, fall-through, host names resolved with A/AAAA
# and never MX, a port of its own) and force_mx.  Sinks on 127.0.0.x stand
# for different hosts; 127.0.0.9 has none (connection refused).
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestDnsmasq;

plan skip_all => 'no ' . dnsmasq_path() unless -x dnsmasq_path();

my $P = free_port();			# every sink's port: the mx relayer's
my %sink;
$sink{$_} = start_sink(host => "127.0.0.$_", port => $P) for 2 .. 5;
my $other = start_sink();		# 127.0.0.1, a port of its own
my $s6 = have_ipv6() ? start_sink(host => '::1', port => $P) : undef;

my $dns = start_dnsmasq(zones => [ 'test' ], records => [
    # pref.test: the best host has no server, the next one has.
    '--mx-host=pref.test,down.pref.test,10',
    '--mx-host=pref.test,up.pref.test,20',
    '--host-record=down.pref.test,127.0.0.9',
    '--host-record=up.pref.test,127.0.0.2',
    # multi.test: its first host has a dead and a live address (A first,
    # then AAAA where there is IPv6); both come before the next host.
    '--mx-host=multi.test,two.multi.test,10',
    '--mx-host=multi.test,up.pref.test,20',
    ($s6 ? ('--host-record=two.multi.test,127.0.0.9,::1')
	: ('--host-record=two.multi.test,127.0.0.9',
	   '--host-record=two.multi.test,127.0.0.3')),
    # equal.test: two hosts of equal preference, one per sink.
    '--mx-host=equal.test,e2.equal.test,10',
    '--mx-host=equal.test,e3.equal.test,10',
    '--host-record=e2.equal.test,127.0.0.2',
    '--host-record=e3.equal.test,127.0.0.3',
    # implicit.test: no MX, an address.
    '--host-record=implicit.test,127.0.0.4',
    # null.test: RFC 7505.
    '--mx-host=null.test,.,0',
    # sender.test: where bounces go.
    '--mx-host=sender.test,mx.sender.test,10',
    '--host-record=mx.sender.test,127.0.0.5',
    # both.test: an MX to 127.0.0.2 and an address 127.0.0.3; mx_list
    # naming it must use the address.
    '--mx-host=both.test,up.pref.test,10',
    '--host-record=both.test,127.0.0.3',
    # forced.test: its own MX is 127.0.0.4; force_mx sends it elsewhere.
    '--mx-host=forced.test,implicit.test,10',
    '--host-record=mxl.test,127.0.0.3',
]);

my $d = start_daemon(dns_port => $dns->port,
    config_text => {
	relayers => qq{ { name = "mx"; type = "mx"; port = $P; tls = "none";
	    connect_timeout = "5s"; } },
	routing => sprintf(q{
	    domains = (
	      { domain = "list.test"; mx_list = ( "down.pref.test", "[127.0.0.9]",
		  { name = "mxl.test"; addr = "127.0.0.3"; }, "up.pref.test" ); },
	      { domain = "byname.test"; mx_list = ( "both.test" ); },
	      { domain = "port.test"; mx_list = (
		  { name = "p.test"; addr = "127.0.0.1"; port = %d; } ); },
	      { domain = "forced.test"; force_mx = "up.pref.test"; },
	      { domain = "forcedlit.test"; force_mx = "[127.0.0.4]"; }
	    );
	}, $other->port),
	queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
    });

my $n = 0;
sub send1 {
	my ($to, %o) = @_;
	$n++;
	my $r = send_mail(port => $o{port} // $d->port,
	    from => $o{from} // 's@sender.test', to => $to,
	    data => "Subject: mx test $n\n\nbody $n\n");
	ok($r->{ok}, "accepted for $to") or diag explain $r;
	return $r->{id} // 'NO-ID';
}

# The sink message whose recipients include $rcpt (waits for it).
sub find_msg {
	my ($sink, $rcpt, $timeout) = @_;
	my $found;
	wait_for(sub {
		($found) = grep { grep { lc($_) eq lc($rcpt) }
		    @{$_->{json}{rcpt_tos}} } $sink->messages;
		return $found;
	}, $timeout // 10);
	return $found;
}

# Which sinks got a message for $rcpt.
sub where {
	my ($rcpt) = @_;
	my @w;
	for my $h (sort keys %sink) {
		push @w, "127.0.0.$h" if grep { grep { lc($_) eq lc($rcpt) }
		    @{$_->{json}{rcpt_tos}} } $sink{$h}->messages;
	}
	push @w, '::1' if $s6 && grep { grep { lc($_) eq lc($rcpt) }
	    @{$_->{json}{rcpt_tos}} } $s6->messages;
	push @w, 'other' if grep { grep { lc($_) eq lc($rcpt) }
	    @{$_->{json}{rcpt_tos}} } $other->messages;
	return join(',', @w);
}

sub event_line {
	my ($event, $id, $timeout) = @_;
	return $d->wait_log(qr/^.*\b\Q$event\E\b.*\bid=\Q$id\E\b.*$/m,
	    $timeout // 10);
}

# 1. Preference order, the best host down.
my $id = send1('u1@pref.test');
ok(find_msg($sink{2}, 'u1@pref.test'), 'pref: delivered to the next MX');
my $l = event_line('delivered', $id);
like($l // '', qr/\bqueue=pref\.test\b.*\brelayer=mx\b.*\bremote=up\.pref\.test\[127\.0\.0\.2\]:$P\b/,
    'pref: log names queue, relayer, host and address');
like($d->log, qr/down\.pref\.test\[127\.0\.0\.9\]:$P/,
    'pref: the best host was tried first');

# 2. Every address of a host before the next host.
$id = send1('u2@multi.test');
ok(find_msg($s6 // $sink{3}, 'u2@multi.test'),
    'multi: second address of the first host');
is(where('u2@multi.test'), $s6 ? '::1' : '127.0.0.3',
    'multi: not the next host');
like($d->log, qr/two\.multi\.test\[127\.0\.0\.9\]:$P/,
    'multi: the dead address was tried') if $s6;

# 3. Equal preferences are shuffled: both hosts get mail.
my @eq = map { "eq$_\@equal.test" } 1 .. 12;
send1($_) for @eq;
wait_for(sub { (grep { where($_) ne '' } @eq) == @eq }, 15);
my %hosts = map { where($_) => 1 } @eq;
is(join(' ', sort keys %hosts), '127.0.0.2 127.0.0.3',
    'equal preference: both hosts used');

# 4. Implicit MX.
$id = send1('u4@implicit.test');
ok(find_msg($sink{4}, 'u4@implicit.test'), 'implicit MX: the domain\'s own address');
like(event_line('delivered', $id) // '',
    qr/\bremote=implicit\.test\[127\.0\.0\.4\]:$P\b/, 'implicit MX: logged');

# 5. Null MX: bounced with 5.1.10, the bounce to the sender's MX.
$id = send1('u5@null.test');
like(event_line('bounced', $id) // event_line('failed', $id) // $d->log,
    qr/556 5\.1\.10/, 'null MX: permanent 556 5.1.10');
my $b = find_msg($sink{5}, 's@sender.test');
ok($b, 'null MX: bounce delivered to the sender\'s MX');
like($b->{data} // '', qr/Status: 5\.1\.10/, 'null MX: bounce says 5.1.10');
like($b->{data} // '', qr/u5\@null\.test/, 'null MX: bounce names the recipient');
is($b->{json}{mail_from} // 'x', '', 'null MX: bounce has a null sender');

# 6. NXDOMAIN: bounced with 5.1.2.
$id = send1('u6@nope.test');
ok(wait_for(sub { grep { $_->{data} =~ /u6\@nope\.test/ && $_->{data} =~ /Status: 5\.1\.2/ }
    $sink{5}->messages }, 10), 'NXDOMAIN: bounce with 5.1.2');
like($d->log, qr/id=\Q$id\E.*550 5\.1\.2 nope\.test: domain not found/,
    'NXDOMAIN: logged as domain not found');

# 7. Domain literals: no lookup.
$id = send1('u7@[127.0.0.3]');
ok(find_msg($sink{3}, 'u7@[127.0.0.3]'), 'literal: delivered to the address');
like(event_line('delivered', $id) // '', qr/\bremote=\[127\.0\.0\.3\]:$P\b/,
    'literal: logged with the address');
SKIP: {
	skip 'no IPv6 loopback', 2 unless $s6;
	$id = send1('u7b@[IPv6:::1]');
	ok(find_msg($s6, 'u7b@[IPv6:::1]'), 'IPv6 literal: delivered to ::1');
	like(event_line('delivered', $id) // '', qr/\bremote=\[::1\]:$P\b/,
	    'IPv6 literal: logged');
}

# 8. mx_list: in order, falling through the dead entries.
$id = send1('u8@list.test');
ok(find_msg($sink{3}, 'u8@list.test'), 'mx_list: third entry reached');
is(where('u8@list.test'), '127.0.0.3', 'mx_list: not the fourth');
like(event_line('delivered', $id) // '', qr/\bremote=mxl\.test\[127\.0\.0\.3\]:$P\b/,
    'mx_list: logged with the entry\'s name and address');
like($d->log, qr/\[127\.0\.0\.9\]:$P.*refused|refused.*\[127\.0\.0\.9\]:$P/i,
    'mx_list: dead entries were tried');

# 9. An mx_list host name is resolved with A/AAAA, never MX.
send1('u9@byname.test');
ok(find_msg($sink{3}, 'u9@byname.test'), 'mx_list name: its address, not its MX');
is(where('u9@byname.test'), '127.0.0.3', 'mx_list name: only there');

# 10. An mx_list entry with a port of its own.
send1('u10@port.test');
ok(find_msg($other, 'u10@port.test'), 'mx_list port: delivered there');

# 11. force_mx overrides the domain's own MX.
$id = send1('u11@forced.test');
ok(find_msg($sink{2}, 'u11@forced.test'), 'force_mx: the forced host');
is(where('u11@forced.test'), '127.0.0.2', 'force_mx: not the domain\'s MX');
send1('u12@forcedlit.test');
ok(find_msg($sink{4}, 'u12@forcedlit.test'), 'force_mx literal: delivered');

# 12. DNS down: deferred, then delivered once it answers.
{
	my $late_port = free_udp_port();
	my $d2 = start_daemon(dns_port => $late_port,
	    config_text => {
		relayers => qq{ { name = "mx"; type = "mx"; port = $P;
		    tls = "none"; } },
		queue => 'retry_interval = "1s"; max_retry_interval = "2s";',
	    });
	my $r = send_mail(port => $d2->port, from => 's@sender.test',
	    to => 'u13@late.test', data => "Subject: late\n\nlate\n");
	ok($r->{ok}, 'DNS down: accepted');
	my $lid = $r->{id} // 'NO-ID';
	like($d2->wait_log(qr/^.*\bdeferred\b.*\bid=\Q$lid\E\b.*$/m, 15) // '',
	    qr/451 4\.4\.3 late\.test: temporary DNS failure/,
	    'DNS down: deferred with 4.4.3');
	is(where('u13@late.test'), '', 'DNS down: nothing delivered');
	my $late = start_dnsmasq(port => $late_port, zones => [ 'test' ],
	    records => [ '--mx-host=late.test,mx.late.test,10',
		'--host-record=mx.late.test,127.0.0.4' ]);
	ok(find_msg($sink{4}, 'u13@late.test', 15),
	    'DNS back: delivered on a retry');
	ok($d2->wait_log(qr/^.*\bdelivered\b.*\bid=\Q$lid\E\b.*$/m, 5),
	    'DNS back: delivered logged');
	is($d2->stop, 0, 'second daemon stops cleanly');
	$late->stop;
}

# Nothing left in the spool of the first daemon but what must wait.
ok(wait_for(sub { scalar($d->queued) == 0 }, 10),
    'every message delivered or bounced') or diag join("\n", $d->queued);
is($d->stop, 0, 'daemon stops cleanly');
$dns->stop;
done_testing();
