# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package TestPostfix;

# TestPostfix -- a private Postfix instance for the interop tests: its own
# config_directory, queue_directory, data_directory and log file under the
# test's directory, smtpd only on 127.0.0.1:PORT, nothing chrooted, and
# every outgoing message to one relayhost.  The system's Postfix (its
# /etc/postfix, its queue, port 25) is never touched; only the meta files
# of /etc/postfix are read.  Needs root (postfix start) and Debian's postfix.
#
#   my $pf = TestPostfix->start(relayhost => "[127.0.0.1]:$port",
#       tls_cert => ..., tls_key => ..., smtp_tls => 'may'|'none', ...);
#   $pf->port; $pf->log; $pf->stop;

use strict;
use warnings;
use IO::Socket::INET;
use SmarthostTest;
use Time::HiRes qw(sleep time);

my $POSTFIX = '/usr/sbin/postfix';
my $POSTCONF = '/usr/sbin/postconf';

# Why it cannot run here, or undef.
sub unavailable {
	return 'postfix missing (Debian: postfix)'
	    unless -x $POSTFIX && -x $POSTCONF;
	return 'a private Postfix needs root' unless $> == 0;
	return 'no postfix user' unless defined getpwnam('postfix');
	return undef;
}

my @running;

sub start {
	my ($class, %o) = @_;
	my $self = bless {}, $class;
	my $d = $self->{dir} = tempdir('postfix');
	$self->{port} = $o{port} // free_port();
	mkdir("$d/$_") for qw(etc queue data);
	# Postfix's own processes run as the postfix user: they must be
	# able to reach the queue and data directories.
	chmod(0711, SmarthostTest::test_dir(), $d);
	chown(scalar(getpwnam('postfix')), -1, "$d/data");
	my $meta = `$POSTCONF -dh meta_directory`;
	chomp $meta;
	my $tls_in = "smtpd_tls_security_level = none\n";
	$tls_in = "smtpd_tls_security_level = may\n"
	    . "smtpd_tls_cert_file = $o{tls_cert}\n"
	    . "smtpd_tls_key_file = $o{tls_key}\n"
	    . "smtpd_tls_received_header = yes\n" if $o{tls_cert};
	my $smtp_tls = $o{smtp_tls} // 'none';
	my $name = $o{hostname} // 'postfix.test';
	my $extra = $o{extra} // '';
	SmarthostTest::write_file("$d/etc/main.cf", join("\n",
	    'compatibility_level = 3.6',
	    "queue_directory = $d/queue",
	    "data_directory = $d/data",
	    "meta_directory = $meta",
	    'mail_owner = postfix',
	    'setgid_group = postdrop',
	    'syslog_name = postfix-interop',
	    "maillog_file = $d/maillog",
	    "maillog_file_prefixes = $d",
	    "myhostname = $name",
	    'mydomain = test',
	    'myorigin = $myhostname',
	    'mydestination =',
	    'local_recipient_maps =',
	    'alias_maps =',
	    'alias_database =',
	    'relay_domains = remote.test, y.test',
	    "relayhost = $o{relayhost}",
	    'mynetworks = 127.0.0.0/8',
	    'inet_interfaces = loopback-only',
	    'inet_protocols = ipv4',
	    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
	    "smtp_tls_security_level = $smtp_tls",
	    'smtputf8_enable = yes',
	    'biff = no',
	    '') . $tls_in . $extra);
	my @services = (
	    "127.0.0.1:$self->{port} inet n - n - - smtpd",
	    'pickup     unix  n - n 60   1 pickup',
	    'cleanup    unix  n - n -    0 cleanup',
	    'qmgr       unix  n - n 300  1 qmgr',
	    'tlsmgr     unix  - - n 1000? 1 tlsmgr',
	    'rewrite    unix  - - n -    - trivial-rewrite',
	    'bounce     unix  - - n -    0 bounce',
	    'defer      unix  - - n -    0 bounce',
	    'trace      unix  - - n -    0 bounce',
	    'verify     unix  - - n -    1 verify',
	    'flush      unix  n - n 1000? 0 flush',
	    'proxymap   unix  - - n -    - proxymap',
	    'proxywrite unix  - - n -    1 proxymap',
	    'smtp       unix  - - n -    - smtp',
	    'relay      unix  - - n -    - smtp',
	    'showq      unix  n - n -    - showq',
	    'error      unix  - - n -    - error',
	    'retry      unix  - - n -    - error',
	    'discard    unix  - - n -    - discard',
	    'local      unix  - n n -    - local',
	    'anvil      unix  - - n -    1 anvil',
	    'scache     unix  - - n -    1 scache',
	    'postlog    unix-dgram n - n - 1 postlogd');
	SmarthostTest::write_file("$d/etc/master.cf",
	    join("\n", @services) . "\n");
	my ($st, $out, $err) = run_bounded(60, $POSTFIX, '-c', "$d/etc",
	    'start');
	die "postfix start failed: $out$err\n" if $st != 0;
	push @running, $self;
	my $ok = wait_for(sub {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $self->{port}, Timeout => 1);
		$s ? (close($s), 1) : 0;
	}, 20);
	die "postfix smtpd did not listen:\n" . $self->log unless $ok;
	return $self;
}

sub port { $_[0]{port} }
sub dir { $_[0]{dir} }
sub log { SmarthostTest::slurp("$_[0]{dir}/maillog") // '' }

sub master_pid {
	my ($self) = @_;
	my $p = SmarthostTest::slurp("$self->{dir}/queue/pid/master.pid") // '';
	return $p =~ /(\d+)/ ? $1 : undef;
}

sub stop {
	my ($self) = @_;
	return if $self->{stopped}++;
	my $pid = $self->master_pid;
	run_bounded(30, $POSTFIX, '-c', "$self->{dir}/etc", 'stop');
	if ($pid) {
		my $deadline = time + 10;
		sleep(0.1) while kill(0, $pid) && time < $deadline;
		kill('KILL', $pid) if kill(0, $pid);
	}
	@running = grep { $_ != $self } @running;
}

END { $_->stop for @running }

1;
