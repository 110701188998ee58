#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# relay-refused.t -- no open relay (behaviour.md promise 2): a client outside
# the listener's relay_from gets 554 5.7.1 at RCPT, unless a routing.domains
# entry says accept = true for the recipient's domain; inside relay_from
# (the default is loopback) it may relay.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $p_open = free_port();
my $p_none = free_port();
my $d = start_daemon(
    config_text => {
	listeners => qq{
	    { name = "closed"; address = "127.0.0.1"; port = \@PORT\@;
	      relay_from = [ "10.0.0.0/8" ]; },
	    { name = "open"; address = "127.0.0.1"; port = $p_open; },
	    { name = "none"; address = "127.0.0.1"; port = $p_none;
	      relay_from = [ ]; }
	},
	relayers => sink_relayer($sink),
	routing => q{
	    default_relayer = "sink";
	    domains = ( { domain = "accept.test"; accept = true; } );
	},
	queue => 'retry_interval = "1s";',
    });

sub rcpt_code {
	my ($port, $rcpt) = @_;
	my $s = smtp_session(port => $port);
	$s->start_ehlo;
	$s->cmd('MAIL FROM:<sender@outside.test>');
	my $r = $s->cmd("RCPT TO:<$rcpt>");
	$s->cmd('QUIT');
	$s->close;
	return $r;
}

# Outside relay_from.
my $r = rcpt_code($d->port, 'victim@elsewhere.test');
is($r->{code}, 554, 'closed: relaying refused');
is($r->{enh}, '5.7.1', 'closed: 5.7.1');
$r = rcpt_code($d->port, 'someone@accept.test');
is($r->{code}, 250, 'closed: accept = true domain accepted');
$r = rcpt_code($d->port, 'Someone@ACCEPT.Test');
is($r->{code}, 250, 'closed: accepted domain matched case-insensitively');
$r = rcpt_code($d->port, 'x@sub.accept.test');
is($r->{code}, 554, 'closed: a subdomain of an accepted domain is refused');
$r = rcpt_code($d->port, 'x@accept.test.evil.test');
is($r->{code}, 554, 'closed: a suffix trick is refused');
$r = rcpt_code($d->port, 'x%accept.test@evil.test');
is($r->{code}, 554, 'closed: percent hack is refused');
# #19 item 6: routing hidden in the local part of an accepted domain
# (allow_untrusted_routing = no, as Postfix).
for my $rcpt ('user%evil.com@accept.test', 'user!evil.com@accept.test',
    '"user@evil.com"@accept.test') {
	$r = rcpt_code($d->port, $rcpt);
	is($r->{code}, 554, "untrusted client: $rcpt refused");
	is($r->{enh}, '5.7.1', "untrusted client: $rcpt: 5.7.1");
}
ok($d->wait_log(qr/reason=untrusted_routing/, 5),
    'untrusted routing: logged with its reason');
$r = rcpt_code($p_open, 'user%other.test@accept.test');
is($r->{code}, 250, 'a client in relay_from may use % (it may relay anyway)');
$r = rcpt_code($p_none, 'victim@elsewhere.test');
is($r->{code}, 554, 'relay_from = [ ]: refused');
is($r->{enh}, '5.7.1', 'relay_from = [ ]: 5.7.1');

# One refused recipient does not spoil the transaction: the accepted one
# is queued and delivered, the refused one never reaches the sink.
my $s = smtp_session(port => $d->port);
$s->start_ehlo;
is($s->cmd('MAIL FROM:<sender@outside.test>')->{code}, 250, 'MAIL');
is($s->cmd('RCPT TO:<victim@elsewhere.test>')->{code}, 554, 'RCPT refused');
is($s->cmd('RCPT TO:<local@accept.test>')->{code}, 250, 'RCPT accepted');
is($s->cmd('DATA')->{code}, 354, 'DATA');
$s->send("Subject: inbound\r\n\r\nfor accept.test\r\n.\r\n");
$r = $s->reply;
is($r->{code}, 250, 'message for the accepted domain queued');
$s->cmd('QUIT');
$s->close;
my @m = $sink->wait_messages(1, 10);
is(scalar @m, 1, 'delivered once');
is_deeply($m[0]{json}{rcpt_tos}, [ 'local@accept.test' ],
    'only the accepted recipient');

# Inside relay_from (the default: loopback).
$r = rcpt_code($p_open, 'victim@elsewhere.test');
is($r->{code}, 250, 'open: loopback may relay by default');
my $res = send_mail(port => $p_open, from => 'me@inside.test',
    to => 'friend@elsewhere.test', data => "Subject: out\n\nrelayed\n");
ok($res->{ok}, 'open: message relayed') or diag explain $res;
@m = $sink->wait_messages(2, 10);
is(scalar @m, 2, 'relayed message delivered');
is_deeply($m[1]{json}{rcpt_tos}, [ 'friend@elsewhere.test' ], 'recipient');

ok(!grep({ grep { /victim/ } @{$_->{json}{rcpt_tos}} } $sink->messages),
    'no refused recipient ever reached the sink');
like($d->log, qr/\brejected\b/, 'refusals logged as "rejected"');
done_testing();
