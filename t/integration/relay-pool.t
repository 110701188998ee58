#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# relay-pool.t -- the shared connection pool (relay_pool.c) under the smtp
# relayer: at most pool_size connections, reused with RSET in between and
# replaced after max_deliveries_per_connection; failover to the next host;
# deliveries waiting for a dead host fail together at once rather than each
# trying it in turn; a 421 answer to the RSET on a reused connection makes
# a new connection and the delivery still goes out on its first attempt.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $P = free_port();
my $sink = start_sink(host => '127.0.0.2', port => $P);
my $p_dead = free_port();
my $p_421 = free_port();

# A tiny server that accepts one message per connection and answers the
# RSET of a reused connection with 421 (then closes), as servers do at a
# limit.  Logs "conn N" and "msg N" lines to $log.
my $fdir = tempdir('fake421');
my $log = "$fdir/log";
write_file("$fdir/fake421.pl", <<'EOF');
use strict;
use warnings;
use IO::Socket::INET;
my ($port, $log) = @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 5, ReuseAddr => 1) or die "listen: $!";
alarm 60;
$| = 1;
print "ready\n";
my $n = 0;
while (my $c = $l->accept) {
	$n++;
	open(my $lf, '>>', $log) or die "$log: $!";
	$lf->autoflush(1);
	print $lf "conn $n\n";
	$c->autoflush(1);
	print $c "220 fake421 ESMTP\r\n";
	my $in_data = 0;
	while (defined(my $line = <$c>)) {
		if ($in_data) {
			next unless $line eq ".\r\n";
			$in_data = 0;
			print $lf "msg $n\n";
			print $c "250 2.0.0 stored\r\n";
		} elsif ($line =~ /^EHLO/i) {
			print $c "250-fake421\r\n250 PIPELINING\r\n";
		} elsif ($line =~ /^RSET/i) {
			print $c "421 4.7.0 too many messages\r\n";
			last;
		} elsif ($line =~ /^DATA/i) {
			$in_data = 1;
			print $c "354 go\r\n";
		} elsif ($line =~ /^QUIT/i) {
			print $c "221 bye\r\n";
			last;
		} else {
			print $c "250 ok\r\n";
		}
	}
	close($c);
	close($lf);
}
EOF
SmarthostTest::spawn(argv => [ $^X, "$fdir/fake421.pl", $p_421, $log ],
    stderr => "$fdir/stderr", stdout => "$fdir/stdout", what => 'fake421');
wait_for(sub { (slurp("$fdir/stdout") // '') =~ /ready/ }, 10)
    or BAIL_OUT('fake421 did not start: ' . (slurp("$fdir/stderr") // ''));

my $p_bif = free_port();
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "in"; address = "127.0.0.1"; port = \@PORT\@; },
	    { name = "bif"; address = "127.0.0.1"; port = $p_bif;
	      batch_handling = "BifurcateAlways"; }
	},
	relayers => qq{
	    { name = "pooled"; type = "smtp"; host = [ "127.0.0.9", "127.0.0.2" ];
	      port = $P; tls = "none"; pool_size = 2;
	      max_deliveries_per_connection = 4; },
	    { name = "dead"; type = "smtp"; host = "127.0.0.1"; port = $p_dead;
	      tls = "none"; pool_size = 1; },
	    { name = "limited"; type = "smtp"; host = "127.0.0.1"; port = $p_421;
	      tls = "none"; pool_size = 1; idle_timeout = "30s"; }
	},
	routing => q{
	    default_relayer = "pooled";
	    rules = (
	      { recipient_domain = "dead.test"; relayer = "dead"; },
	      { recipient_domain = "limited.test"; relayer = "limited"; }
	    );
	},
	queue => 'retry_interval = "30s";',
    });

# 1. Twelve messages at once, each its own delivery: at most two
# connections at a time, reused, each for at most four deliveries.
my @to = map { "r$_\@p$_.test" } 1 .. 12;
my $r = send_mail(port => $p_bif, from => 's@x.test', to => \@to,
    data => "Subject: pool\n\npool\n");
ok($r->{ok}, 'twelve recipients accepted') or diag explain $r;
my @m = $sink->wait_messages(12, 15);
is(scalar @m, 12, 'twelve messages delivered');
my %per_conn;
$per_conn{$_->{json}{connection}}++ for @m;
my $conns = $sink->connections;
ok($conns >= 3 && $conns <= 6, "connections reused: $conns for 12 messages")
    or diag explain \%per_conn;
ok(!grep({ $_ > 4 } values %per_conn),
    'no connection carried more than max_deliveries_per_connection')
    or diag explain \%per_conn;
ok(grep({ / RSET$/ } $sink->commands), 'RSET between messages');
# Never more than pool_size at once, by the daemon's own account (its log
# is in the order it acted): a connection opens at "connecting" and is
# done at its QUIT.
my ($open, $max_open) = (0, 0);
for my $line (split /\n/, $d->log) {
	next unless $line =~ /smtp client \[127\.0\.0\.2\]:$P: (connecting|ready -> QUIT)$/;
	$open += $1 eq 'connecting' ? 1 : -1;
	$max_open = $open if $open > $max_open;
}
ok($max_open >= 1 && $max_open <= 2, "at most pool_size connections open ($max_open)");
like($d->log, qr/\[127\.0\.0\.9\]:$P.*refused/i,
    'failover: the first host was tried');
like($d->log, qr/\bdelivered\b.*\brelayer=pooled remote=\[127\.0\.0\.2\]:$P\b/,
    'failover: delivered through the second host');

# 2. Five deliveries wait for one dead host: one connection attempt, and
# all five are deferred at once.
my $before = $d->log_size;
my @dead = map { "d$_\@dead.test" } 1 .. 5;
$r = send_mail(port => $p_bif, from => 's@x.test', to => \@dead,
    data => "Subject: dead\n\ndead\n");
ok($r->{ok}, 'five recipients for the dead host accepted');
ok(wait_for(sub {
	my @d = substr($d->log, $before) =~ /\bdeferred\b.*\brelayer=dead\b/g;
	return @d == 5;
}, 10), 'all five deferred');
my @tries = substr($d->log, $before) =~
    /relayer dead: 451 4\.4\.1 connection to \[127\.0\.0\.1\]:$p_dead failed/g;
is(scalar @tries, 1, 'the waiting deliveries did not each try the dead host');

# 3. 421 to the RSET on a reused connection: a new connection, delivered on
# the first attempt.
for my $i (1, 2) {
	$r = send_mail(port => $d->port, from => 's@x.test',
	    to => "l$i\@limited.test", data => "Subject: 421 $i\n\n$i\n");
	ok($r->{ok}, "limited $i accepted");
	ok($d->wait_log(qr/^.*\bdelivered\b.*\bto=<l$i\@limited\.test>.*\battempt=1\b/m, 10),
	    "limited $i delivered on the first attempt");
}
my $fl = slurp($log) // '';
is(join(',', $fl =~ /^(conn \d+|msg \d+)$/mg), 'conn 1,msg 1,conn 2,msg 2',
    'the 421 connection was replaced by a new one');

is($d->stop, 0, 'daemon stops cleanly');
done_testing();
