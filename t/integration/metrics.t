#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# metrics.t -- the metrics HTTP listener: a known load (100 messages
# delivered, 10 deferred) shows in the counters and gauges; Prometheus's
# own promtool accepts the exposition; 403 outside allow_from, 404 for
# another path, 405 for another method; a reload keeps the counters; the
# queue gauge names the 100 largest queues and sums the rest as "other".
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use SmarthostTest;

skip_unless_built_with('metrics');
my $good = start_sink();
my $bad = start_sink(fail_first => 1000000);
my $mport = free_port();
my %conf = (
	listeners => q{ { name = "in"; address = "127.0.0.1"; port = @PORT@; } },
	relayers => sink_relayer($good, name => 'ok') . ",\n" . sink_relayer($bad, name => 'bad'),
	routing => q{
	    default_relayer = "ok";
	    rules = ( { recipient_domain = [ "fail.test", "*.fail.test" ];
			relayer = "bad"; } );
	},
	queue => 'retry_interval = "1h";',
	top => qq{metrics = { address = "127.0.0.1"; port = $mport;
	    allow_from = [ "127.0.0.1/32" ]; };},
);
# A control socket too, for smarthostctl stats.
my $ctext = config_text(%conf);
$ctext =~ s/^control = "";$/control = "\@TMP\@\/control.sock";/m or die;
my $d = start_daemon(config => $ctext);

sub get {
	my ($path, %o) = @_;
	my $http = HTTP::Tiny->new(timeout => 10,
	    ($o{from} ? (local_address => $o{from}) : ()));
	my $m = $o{method} // 'GET';
	return $http->request($m, "http://127.0.0.1:$mport$path");
}

sub value {
	my ($text, $series) = @_;
	for my $l (split /\n/, $text) {
		next if $l =~ /^#/;
		my ($k, $v) = $l =~ /^(\S+)\s+(\S+)$/ or next;
		return $v if $k eq $series;
	}
	return undef;
}

my $r = get('/metrics');
is($r->{status}, 200, 'GET /metrics: 200');
like($r->{headers}{'content-type'} // '', qr{^text/plain; version=0\.0\.4},
    'the exposition content type');
is(value($r->{content}, 'smarthostd_messages_received_total{listener="in"}'),
    0, 'received starts at 0 for a configured listener');
is(value($r->{content},
    'smarthostd_deliveries_total{relayer="ok",result="delivered"}'), 0,
    'delivered starts at 0 for a configured relayer');

for my $i (1 .. 100) {
	my $s = send_mail(port => $d->port, from => 'a@client.test',
	    to => "r$i\@ok.test", data => "Subject: $i\r\n\r\nbody $i\r\n");
	$s->{ok} or diag("message $i: $s->{message}");
}
for my $i (1 .. 10) {
	send_mail(port => $d->port, from => 'a@client.test',
	    to => "r$i\@fail.test", data => "Subject: f$i\r\n\r\nbody\r\n");
}
my @m = $good->wait_messages(100, 60);
is(scalar @m, 100, '100 messages delivered');
ok(wait_for(sub { (() = $d->log =~ /deferred .*relayer=bad/g) >= 10 }, 30),
    '10 deferred');

$r = get('/metrics');
my $t = $r->{content};
is(value($t, 'smarthostd_messages_received_total{listener="in"}'), 110,
    'received: 110 on listener in');
is(value($t, 'smarthostd_deliveries_total{relayer="ok",result="delivered"}'),
    100, 'deliveries: 100 delivered by ok');
is(value($t, 'smarthostd_deliveries_total{relayer="bad",result="deferred"}'),
    10, 'deliveries: 10 deferred by bad');
is(value($t, 'smarthostd_deliveries_total{relayer="bad",result="delivered"}'),
    0, 'deliveries: none delivered by bad');
is(value($t, q{smarthostd_queue_messages{queue="fail.test"}}), 10,
    'queue gauge: 10 waiting for fail.test');
is(value($t, 'smarthostd_queue_length'), 10, 'queue length 10');
ok((value($t, 'smarthostd_queue_oldest_seconds') // -1) >= 0,
    'oldest age present');
is(value($t, 'smarthostd_delivery_duration_seconds_count'), 110,
    'delivery duration: one observation per attempt');
is(value($t, 'smarthostd_delivery_duration_seconds_bucket{le="+Inf"}'), 110,
    'delivery duration: +Inf bucket equals the count');
is(value($t, 'smarthostd_spool_commit_duration_seconds_count'), 110,
    'commit duration: one per accepted message');
like($t, qr/^smarthostd_build_info\{version="[^"]+"\} 1$/m, 'build_info');
like($t, qr/^smarthostd_connections_current\{listener="in"\} \d+$/m,
    'connections_current per listener');

# smarthostctl stats shows the same numbers per listener and relayer.
{
	my ($st, $out) = run_ctl('-c', $d->config_file, '--json', 'stats');
	my $s = eval { JSON::PP->new->decode($out) } // {};
	is($s->{listeners}{in}{received}, 110, 'stats --json: listener in received');
	is($s->{relayers}{ok}{delivered}, 100, 'stats --json: relayer ok delivered');
	is($s->{relayers}{bad}{deferred}, 10, 'stats --json: relayer bad deferred');
	is($s->{relayers}{bad}{delivered}, 0, 'stats --json: zero for bad delivered');
	($st, $out) = run_ctl('-c', $d->config_file, 'stats');
	like($out, qr/^relayer\.ok\.delivered: 100$/m, 'stats (text): per relayer');
	like($out, qr/^listener\.in\.received: 110$/m, 'stats (text): per listener');
	like($out, qr/^received: 110$/m, 'stats (text): the totals as before');
}

SKIP: {
	my ($promtool) = grep { -x } qw(/usr/bin/promtool /usr/local/bin/promtool);
	skip 'promtool is not installed (Debian package prometheus)', 2
	    unless $promtool;
	my $f = tempdir('prom') . '/metrics.txt';
	write_file($f, $t);
	my $out = `$promtool check metrics < $f 2>&1`;
	is($?, 0, 'promtool check metrics accepts the exposition')
	    or diag($out);
	unlike($out, qr/error/i, 'promtool: no error') or diag($out);
}

is(get('/other')->{status}, 404, 'another path: 404');
is(get('/')->{status}, 404, '/: 404');
is(get('/metrics', method => 'POST')->{status}, 405, 'POST: 405');
is(get('/metrics', method => 'DELETE')->{status}, 405, 'DELETE: 405');
is(get('/metrics', from => '127.0.0.3')->{status}, 403,
    'a client outside allow_from: 403');

$d->signal('HUP');
ok($d->wait_log(qr/reloaded/, 10), 'reloaded');
$t = get('/metrics')->{content};
is(value($t, 'smarthostd_messages_received_total{listener="in"}'), 110,
    'a reload keeps the counters');
is(value($t, 'smarthostd_reloads_total'), 1, 'the reload is counted');

# Bounded label cardinality: 106 queues waiting, only the 100 largest are
# named (ties by name) and the rest summed as queue="other".  Queued by
# domain (BatchByDomain): two transactions to d001..d100.fail.test make
# 200 messages, one to e1..e5 five more; fail.test holds 10 already.
{
	for my $rcpts ([ map { sprintf('r@d%03d.fail.test', $_) } 1 .. 100 ],
	    [ map { sprintf('r@d%03d.fail.test', $_) } 1 .. 100 ],
	    [ map { "r\@e$_.fail.test" } 1 .. 5 ]) {
		my $s = smtp_session(port => $d->port);
		$s->start_ehlo;
		$s->cmd('MAIL FROM:<a@client.test>');
		$s->cmd("RCPT TO:<$_>") for @$rcpts;
		$s->cmd('DATA');
		$s->send("Subject: many\r\n\r\nmany queues\r\n.\r\n");
		my $r = $s->reply;
		ok($r && $r->{code} == 250, scalar(@$rcpts)
		    . ' recipients accepted in one transaction');
		$s->cmd('QUIT');
		$s->close;
	}
	ok(wait_for(sub {
		(value(get('/metrics')->{content}, 'smarthostd_queue_length')
		    // 0) == 215 }, 30), '215 messages queued');
	$t = get('/metrics')->{content};
	my %q;
	for my $l (split /\n/, $t) {
		$q{$1} = $2 if $l =~
		    /^smarthostd_queue_messages\{queue="([^"]*)"\} (\d+)$/;
	}
	is(scalar(grep { $_ ne 'other' } keys %q), 100,
	    '100 queues named, no more');
	is($q{'fail.test'}, 10, 'the largest queue is named');
	is($q{'d001.fail.test'}, 2, 'a queue of two is named');
	is($q{'d099.fail.test'}, 2, 'the 100th largest (ties by name) is named');
	ok(!exists $q{'d100.fail.test'} && !exists $q{'e1.fail.test'},
	    'the smaller ones are not');
	is($q{other}, 7, 'queue="other" sums the other six queues (2 + 5)');
	my $sum = 0;
	$sum += $_ for values %q;
	is($sum, 215, 'the gauges add up to the queue length');
	SKIP: {
		my ($promtool) = grep { -x } qw(/usr/bin/promtool
		    /usr/local/bin/promtool);
		skip 'promtool is not installed (Debian package prometheus)', 1
		    unless $promtool;
		my $f = tempdir('prom2') . '/metrics.txt';
		write_file($f, $t);
		my $out = `$promtool check metrics < $f 2>&1`;
		is($?, 0, 'promtool check metrics: the page with 101 queue series')
		    or diag($out);
	}
}

$d->stop;
unlike($d->log, qr/runtime error|AddressSanitizer|LeakSanitizer/,
    'no sanitizer report');
done_testing();
