#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# hosts.t -- host names from the hosts file (issue 17, item 3): a relayer
# with host = "localhost" delivers with no DNS server at all; names from a
# private hosts_file serve relayer hosts and mx_list names; the file is
# read again when it changes (a deferred message goes once its name
# appears) and on reload (hosts_file pointed elsewhere); MX lookups never
# use it.  The resolver's DNS port is one nobody listens on.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $hdir = tempdir('hosts');
my $hosts = "$hdir/hosts";
write_file($hosts, "# test hosts\n127.0.0.1 smarthost.lan relay-alias\n"
    . "127.0.0.1\tmxhost.lan\n");
my $port = $sink->port;

sub config {
	my ($file) = @_;
	return {
	    top => '',
	    relayers => qq{
		{ name = "local"; type = "smtp"; host = "localhost";
		  port = $port; tls = "none"; },
		{ name = "lan"; type = "smtp"; host = "smarthost.lan";
		  port = $port; tls = "none"; },
		{ name = "moving"; type = "smtp"; host = "moving.lan";
		  port = $port; tls = "none"; },
		{ name = "mx"; type = "mx"; port = $port; tls = "none"; }
	    },
	    routing => q{
		default_relayer = "local";
		rules = (
		    { recipient_domain = "lan.test"; relayer = "lan"; },
		    { recipient_domain = "moving.test"; relayer = "moving"; },
		    { recipient_domain = [ "mxl.test", "mxhost.lan" ];
		      relayer = "mx"; } );
		domains = ( { domain = "mxl.test"; relayer = "mx";
		    mx_list = ( "mxhost.lan" ); } );
	    },
	    queue => 'retry_interval = "1s"; max_retry_interval = "1s";',
	    resolver_extra => $file,
	};
}

# config_text has no hook for resolver settings: add hosts_file by hand.
sub text_of {
	my ($c) = @_;
	my $t = SmarthostTest::config_text(%$c);
	$t =~ s/(resolver = \{)/$1 hosts_file = "$c->{resolver_extra}";/;
	return $t;
}

# The system's /etc/hosts (no hosts_file): localhost, as every box has.
SKIP: {
	skip '/etc/hosts has no localhost', 2
	    unless (slurp('/etc/hosts') // '') =~ /^\s*127\.0\.0\.1\s.*\blocalhost\b/m;
	my $d0 = start_daemon(config_text => {
	    relayers => qq{ { name = "local"; type = "smtp"; host = "localhost";
		port = $port; tls = "none"; } },
	    routing => 'default_relayer = "local";',
	});
	my $r0 = send_mail(port => $d0->port, from => 's@x.test',
	    to => [ 'zero@y.test' ], data => "Subject: localhost\n\nx\n");
	ok($r0->{ok}, 'accepted for the localhost relayer');
	ok(wait_for(sub { grep { grep { $_ eq 'zero@y.test' }
	    @{$_->{json}{rcpt_tos}} } $sink->messages }, 10),
	    'host = "localhost" delivers from /etc/hosts, with no DNS')
	    or diag $d0->log;
	$d0->stop;
}

my $d = start_daemon(config => text_of(config($hosts)));

sub delivered {
	my ($rcpt, $timeout) = @_;
	return wait_for(sub {
		grep { grep { $_ eq $rcpt } @{$_->{json}{rcpt_tos}} }
		    $sink->messages;
	}, $timeout // 10);
}

my $r = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'b@lan.test' ], data => "Subject: lan\n\nx\n");
ok(delivered('b@lan.test'), 'a name from hosts_file delivers');

$r = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'c@mxl.test' ], data => "Subject: mx_list\n\nx\n");
ok(delivered('c@mxl.test'), 'an mx_list name from hosts_file delivers');

# MX stays DNS-only: mxhost.lan has an address in the file but no MX, and
# DNS does not answer, so mail for the domain mxhost.lan waits.
$r = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'd@mxhost.lan' ], data => "Subject: mx lookup\n\nx\n");
ok($d->wait_log(qr/deferred .*to=<d\@mxhost\.lan>/, 15),
    'MX lookups do not use the hosts file (deferred)');
ok(!delivered('d@mxhost.lan', 1), '... and nothing delivered');

# A name that appears later: deferred, then delivered once the file has it.
$r = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'e@moving.test' ], data => "Subject: moving\n\nx\n");
ok($d->wait_log(qr/deferred .*to=<e\@moving\.test>/, 15),
    'a name not in the file is deferred');
sleep 1;	# a different modification time, whatever the file system
write_file($hosts, slurp($hosts) . "127.0.0.1 moving.lan\n");
ok(delivered('e@moving.test', 15), 'the changed file is read again');

# Reload pointing at another file: smarthost.lan is gone from it.
my $other = "$hdir/hosts2";
write_file($other, "127.0.0.1 nothing.lan\n");
my $off = $d->log_size;
$d->rewrite(config => text_of(config($other)));
$d->signal('HUP');
ok($d->wait_log(qr/reloaded/, 10, after => $off), 'reloaded');
$r = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'f@lan.test' ], data => "Subject: after reload\n\nx\n");
ok($d->wait_log(qr/deferred .*to=<f\@lan\.test>/, 15, after => $off),
    'after reload the new hosts_file is used');
ok(!delivered('f@lan.test', 1), '... the old names are gone');

is($d->stop, 0, 'clean stop');
unlike($d->log, qr/AddressSanitizer|LeakSanitizer|runtime error/,
    'no sanitizer report');
done_testing();
