#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# client-cert.t -- relayer tls_cert/tls_key (issue #12): a sink built on
# Python's ssl that requires a client certificate from the test CA
# (CERT_REQUIRED) accepts mail from relayers that present one -- smtp with
# STARTTLS, smtp with implicit TLS, mx with STARTTLS and with implicit
# TLS -- and refuses the same relayer without it (the message stays
# queued, nothing reaches the sink).
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use TestCerts;

my $certs = TestCerts->new();
my $CA = $certs->{ca_cert};

sub start_tls_sink {
	my (@args) = @_;
	my $self = bless {}, 'SmarthostTest::Sink';
	$self->{dir} = tempdir('tlssink');
	$self->{port} = free_port();
	$self->{host} = '127.0.0.1';
	$self->{argv} = [ SmarthostTest::python3(), srcdir() . '/t/lib/tls_sink.py',
	    '--port', $self->{port}, '--dir', $self->{dir}, @args ];
	$self->start;
	return $self;
}

sub lines {
	my ($sink, $file) = @_;
	return split /\n/, (slurp("$sink->{dir}/$file") // '');
}

my @srv = ('--cert', $certs->{server_cert}, '--key', $certs->{server_key},
    '--client-ca', $CA);
my $st = start_tls_sink(@srv, '--starttls');
my $imp = start_tls_sink(@srv, '--implicit');
my $mxs = start_tls_sink(@srv, '--starttls');
my $mxi = start_tls_sink(@srv, '--implicit');
my $none = start_tls_sink(@srv, '--starttls');

my $cc = qq{tls_cert = "$certs->{client_cert}"; tls_key = "$certs->{client_key}";};
my $v = qq{tls = "verify"; ca_file = "$CA";};
my $relayers = join(",\n",
    sprintf('{ name = "st"; type = "smtp"; host = "127.0.0.1"; port = %d; %s %s }',
	$st->port, $v, $cc),
    sprintf('{ name = "imp"; type = "smtp"; host = "127.0.0.1"; port = %d; '
	. 'implicit_tls = true; %s %s }', $imp->port, $v, $cc),
    sprintf('{ name = "mxc"; type = "mx"; tls = "required"; %s }', $cc),
    sprintf('{ name = "mxi"; type = "mx"; implicit_tls = true; %s }', $cc),
    sprintf('{ name = "nocert"; type = "smtp"; host = "127.0.0.1"; port = %d; %s }',
	$none->port, $v));
my $routing = sprintf('rules = ( { recipient_domain = "st.test"; relayer = "st"; },'
    . ' { recipient_domain = "imp.test"; relayer = "imp"; },'
    . ' { recipient_domain = "nocert.test"; relayer = "nocert"; } );'
    . ' domains = ( { domain = "mx.test"; relayer = "mxc"; mx_list = ( '
    . '{ name = "mx.test"; addr = "127.0.0.1"; port = %d; } ); },'
    . ' { domain = "mximp.test"; relayer = "mxi"; mx_list = ( '
    . '{ name = "mximp.test"; addr = "127.0.0.1"; port = %d; } ); } );',
    $mxs->port, $mxi->port);

my $d = start_daemon(config_text => {
	relayers => $relayers,
	routing => $routing,
	queue => 'retry_interval = "1h"; max_retry_interval = "1h";',
    });

for my $n (qw(st imp mx mximp nocert)) {
	my $r = send_mail(port => $d->port, from => 'me@src.test',
	    to => "rcpt\@$n.test", data => "Subject: $n\n\nvia $n\n");
	ok($r->{ok}, "$n: accepted") or diag explain $r;
}

for my $c ([ 'st', $st, 'STARTTLS' ], [ 'imp', $imp, 'implicit TLS' ],
    [ 'mx', $mxs, 'mx relayer, STARTTLS' ],
    [ 'mximp', $mxi, 'mx relayer, implicit TLS' ]) {
	my ($n, $sink, $what) = @$c;
	my @m = $sink->wait_messages(1, 15);
	is(scalar(@m), 1, "$what: the sink requiring a client certificate "
	    . "took the message");
	ok((grep { /client=client\.test/ } lines($sink, 'tls.log')),
	    "$what: our certificate was presented") or
	    diag join("\n", lines($sink, 'tls.log'));
	like($d->wait_log(qr/^.*\bdelivered\b.*\bto=<rcpt\@\Q$n\E\.test>.*$/m, 5)
	    // '', qr/delivered/, "$what: logged delivered");
}

my $l = $d->wait_log(qr/^.*\bdeferred\b.*\bto=<rcpt\@nocert\.test>.*$/m, 15)
    // '';
like($l, qr/deferred/, 'without tls_cert: deferred') or diag $l;
is(scalar(grep { /^\d+ MAIL$/ } lines($none, 'commands.log')), 0,
    'without tls_cert: no MAIL reached the sink');
is($none->count, 0, 'without tls_cert: nothing delivered');

done_testing();
