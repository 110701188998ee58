#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# backscatter.t -- #19 item 7: an unauthenticated sender outside relay_from
# writes to an accept = true domain whose next hop refuses the recipient, so
# the bounce goes to whatever MAIL FROM said.  That bounce returns the
# header section only (RFC 3461 RET=HDRS): never the body, not even from a
# message without an empty line after its header.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink();
my $d = start_daemon(
    config_text => {
	listener => 'relay_from = [ ];',
	relayers => sink_relayer($sink),
	routing => q{ default_relayer = "sink";
	    domains = ( { domain = "accept.test"; accept = true; } ); },
	queue => 'retry_interval = "1s";',
    });

sub dsn_for {
	my ($subject) = @_;
	my $got;
	wait_for(sub {
		($got) = grep { $_->{json}{mail_from} eq ''
		    && $_->{data} =~ /\Q$subject\E/ } $sink->messages;
		return $got;
	}, 15);
	return $got;
}

my @cases = (
    [ 'with an empty line', "Subject: bs-one\r\nFrom: <spammer\@evil.test>\r\n\r\n"
	. "SPAM-BODY cheap pills\r\n" . ("SPAM-BODY filler\r\n" x 200) ],
    [ 'without an empty line', "Subject: bs-two\r\nFrom: <spammer\@evil.test>\r\n"
	. "SPAM-BODY cheap pills: no blank line before me\r\n"
	. ("SPAM-BODY filler\r\n" x 200) ],
);
my $i = 0;
for my $c (@cases) {
	my ($what, $data) = @$c;
	$i++;
	my $s = smtp_session(port => $d->port);
	$s->start_ehlo('evil.test');
	my $r = $s->mail(from => 'victim@innocent.test',
	    to => 'reject-nobody@accept.test', data => $data);
	is($r && $r->{code}, 250, "$what: accepted for the accept = true domain")
	    or diag explain $s->transcript;
	$s->cmd('QUIT');
	$s->close;
	my $dsn = dsn_for($i == 1 ? 'bs-one' : 'bs-two');
	ok($dsn, "$what: a bounce to the forged sender") or next;
	is_deeply($dsn->{json}{rcpt_tos}, [ 'victim@innocent.test' ],
	    "$what: addressed to MAIL FROM");
	like($dsn->{data}, qr{Content-Type: text/rfc822-headers}i,
	    "$what: the original is returned as headers");
	unlike($dsn->{data}, qr/SPAM-BODY/, "$what: no body line in the bounce");
}

# The attacker's next move: ask for the body with DSN RET=FULL.  From a
# client that may not relay, RET=FULL counts as RET=HDRS (also in what we
# ask of a next hop that offers DSN).
my $s = smtp_session(port => $d->port);
$s->start_ehlo('evil.test');
my $r = $s->mail(from => 'victim@innocent.test', mail_params => 'RET=FULL',
    to => 'reject-nobody@accept.test',
    data => "Subject: bs-full\r\nFrom: <spammer\@evil.test>\r\n\r\n"
	. "SPAM-BODY asked in full\r\n");
is($r && $r->{code}, 250, 'RET=FULL: accepted') or diag explain $s->transcript;
$s->cmd('QUIT');
$s->close;
my $dsn = dsn_for('bs-full');
ok($dsn, 'RET=FULL: a bounce to the forged sender');
like($dsn ? $dsn->{data} : '', qr{Content-Type: text/rfc822-headers}i,
    'RET=FULL from an untrusted client: headers only');
unlike($dsn ? $dsn->{data} : '', qr/SPAM-BODY/, 'RET=FULL: no body line');

is($d->stop, 0, 'daemon exits cleanly');
done_testing();
