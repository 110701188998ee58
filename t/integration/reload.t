#!/usr/bin/perl
# reload.t -- SIGHUP and SIGTERM (behaviour.md "Operation", promise 3):
# a good reload changes where new deliveries go and opens/closes listeners
# while an unchanged listener keeps its socket and sessions in progress go
# on; a bad reload is logged and changes nothing; SIGTERM stops accepting,
# lets a session in progress finish, exits 0 and leaves queued mail on disk.
use strict;
use warnings;
use Test::More;
use SmarthostTest;

my $sink1 = start_sink();
my $sink2 = start_sink();
my $p2 = free_port();

sub conf {
	my (%o) = @_;
	my $extra = $o{second} ? qq{, { name = "b"; address = "127.0.0.1"; port = $p2; }} : '';
	return (config_text => {
	    listeners => qq{{ name = "a"; address = "127.0.0.1"; port = \@PORT\@; }$extra},
	    relayers => join(', ', sink_relayer($sink1, name => 's1'),
		sink_relayer($sink2, name => 's2')),
	    routing => qq{default_relayer = "$o{relayer}";},
	    queue => 'retry_interval = "1s";',
	});
}
sub accepts {
	my ($port) = @_;
	my $s = smtp_session(port => $port, quiet => 1, timeout => 2) or return 0;
	my $g = $s->reply(2);
	$s->close;
	return $g && $g->{code} == 220;
}
sub mail_to {
	my ($port, $tag) = @_;
	my $res = send_mail(port => $port, from => 's@x.test', to => 'r@y.test',
	    data => "Subject: $tag\n\n$tag\n");
	ok($res->{ok}, "$tag: accepted") or diag explain $res;
}
sub arrived {
	my ($sink, $tag) = @_;
	return wait_for(sub {
	    grep { $_->{data} =~ /^Subject: \Q$tag\E\r$/m } $sink->messages }, 10);
}

my $d = start_daemon(conf(relayer => 's1'));
mail_to($d->port, 'before');
ok(arrived($sink1, 'before'), 'before reload: delivered by s1');
ok(!accepts($p2), 'listener b not open yet');

# A session in progress across the reload.
my $s = smtp_session(port => $d->port);
$s->start_ehlo('reload.test');
is($s->cmd('MAIL FROM:<s@x.test>')->{code}, 250, 'session open before reload');

# Good reload: add listener b, send new deliveries to s2.
$d->rewrite(conf(relayer => 's2', second => 1));
my $mark = $d->log_size;
$d->signal('HUP');
ok(wait_for(sub { accepts($p2) }, 10), 'reload: listener b opened');
ok(accepts($d->port), 'reload: unchanged listener a still accepts');
is($s->cmd('RCPT TO:<r@y.test>')->{code}, 250, 'session in progress goes on');
is($s->cmd('DATA')->{code}, 354, 'DATA in the old session');
$s->send("Subject: during\r\n\r\nduring\r\n.\r\n");
is($s->reply->{code}, 250, 'message in the old session accepted');
$s->cmd('QUIT');
$s->close;
mail_to($d->port, 'after');
ok(arrived($sink2, 'after'), 'after reload: delivered by s2');
mail_to($p2, 'via-b');
ok(arrived($sink2, 'via-b'), 'mail through the new listener b');

# Bad reload: an error naming file:line, and nothing changes.
$d->rewrite(config => "spool = \"\@SPOOL\@\";\nlisteners = ( );\nbogus_setting = 1;\n");
$mark = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/smarthostd\.conf:3:/, 10, after => $mark),
    'bad reload: error logged with file:line');
sleep 1;
ok($d->alive, 'bad reload: still running');
ok(accepts($d->port) && accepts($p2), 'bad reload: both listeners still open');
mail_to($d->port, 'after-bad');
ok(arrived($sink2, 'after-bad'), 'bad reload: configuration unchanged (s2)');

# Reload removing listener b.
$d->rewrite(conf(relayer => 's1'));
$d->signal('HUP');
ok(wait_for(sub { !accepts($p2) }, 10), 'reload: listener b closed');
ok(accepts($d->port), 'listener a still open');
mail_to($d->port, 'back');
ok(arrived($sink1, 'back'), 'back to s1');

# SIGTERM: stop accepting, finish the session in progress, exit 0, keep
# queued mail.  With s1 down, a message waits in the queue.
$sink1->stop;			# s1 now refuses connections: mail waits
mail_to($d->port, 'queued');
ok($d->wait_log(qr/\bdeferred\b/, 10), 'a message waits in the queue');
$s = smtp_session(port => $d->port);
$s->start_ehlo('late.test');
$d->signal('TERM');
ok(wait_for(sub { !accepts($d->port) }, 10), 'SIGTERM: no new connections');
my $r = $s->mail(from => 's@x.test', to => 'r@y.test',
    data => "Subject: last\r\n\r\nlast\r\n");
is($r && $r->{code}, 250, 'SIGTERM: the session in progress may finish');
$s->cmd('QUIT');
$s->close;
my $st = SmarthostTest::reap($d->pid, 10);
is($st, 0, 'SIGTERM: exit status 0');
$d->{pid} = undef if defined $st;
cmp_ok(scalar($d->queued), '>=', 2, 'queued mail stays on disk');
done_testing();
