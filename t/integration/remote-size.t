#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# remote-size.t -- a message larger than the SIZE the downstream offers is
# refused by us, not by it (issue 17, item 4): the bounce does not say the
# remote host "said" anything and names no Remote-MTA; the text is the
# decision in Postfix's words, and the server never saw a MAIL for it.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink = start_sink(size_limit => 2000);
my $d = start_daemon(
    config_text => {
	relayers => sink_relayer($sink),
	routing => 'default_relayer = "sink";',
	queue => 'retry_interval = "1s";',
    });

sub flat {
	my ($s) = @_;
	$s =~ s/\r\n/\n/g;
	$s =~ s/\n(?=[ \t])//g;
	return $s;
}

my $big = "Subject: too big for it\n\n" . ("x" x 70 . "\n") x 60;
my $res = send_mail(port => $d->port, from => 'orig@sender.test',
    to => [ 'far@y.test' ], data => $big);
ok($res->{ok}, 'accepted here (our limit is larger)') or diag explain $res;

ok(wait_for(sub { grep { $_->{json}{mail_from} eq '' } $sink->messages },
    15), 'a DSN arrived');
my ($dsn) = grep { $_->{json}{mail_from} eq '' } $sink->messages;
my $t = flat($dsn ? $dsn->{data} : '');
like($t, qr/^Status: 5\.3\.4$/m, 'Status: 5.3.4');
like($t, qr/^Diagnostic-Code: smtp; 552 5\.3\.4 message size \d+ exceeds size limit 2000 of server \S+$/m,
    'Diagnostic-Code: our decision, in Postfix\'s words') or diag $t;
unlike($t, qr/^Remote-MTA:/m, 'no Remote-MTA');
unlike($t, qr/\bsaid\b/, 'nothing is quoted as said by the remote host');
like($t, qr/<far\@y\.test>: 552 5\.3\.4 message size /,
    'the human-readable part states the decision');
ok(!grep({ ($_->{json}{mail_from} // '') eq 'orig@sender.test' }
    $sink->messages), 'the big message never reached the server');
ok($d->wait_log(qr/bounced id=\S+ .*to=<far\@y\.test> .*status="552 5\.3\.4 /,
    5) || $d->log =~ /status="552 5\.3\.4 /, 'the log gives the status');
done_testing();
