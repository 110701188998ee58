#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# privread.t -- #19 item 10: a daemon that dropped root (user = "mail")
# reloads a changed root-only (0600 root) TLS key, users file and password
# file, read through the privileged-read helper; a users file that others
# may read is warned about at load (the users file only in a build with
# AUTH for clients).
use strict;
use warnings;
use Test::More;
use File::Copy qw(copy);
use SmarthostTest;
use TestCerts;

plan skip_all => 'needs root to run the daemon as another user' if $> != 0;
plan skip_all => 'needs the user mail' unless getpwnam('mail');

my $certs = TestCerts->new();
my $sec = tempdir('secrets');
chmod(0755, $sec);
sub put_secret {
	my ($from, $to, $mode) = @_;
	copy($from, "$sec/$to.new") or die "copy: $!";
	chown(0, 0, "$sec/$to.new");
	chmod($mode // 0600, "$sec/$to.new");
	rename("$sec/$to.new", "$sec/$to") or die "rename: $!";
}
put_secret($certs->{server_cert}, 'cert.pem', 0644);
put_secret($certs->{server_key}, 'key.pem');
my $hash = `openssl passwd -6 pw`;
chomp $hash;
write_file("$sec/users.src", "alice:$hash\n");
put_secret("$sec/users.src", 'users', 0644);	# readable by others: warned
write_file("$sec/pass.src", "smarthost-secret\n");
put_secret("$sec/pass.src", 'isp.pass');

my $auth = !grep { $_ eq 'auth-server' } built_without();
my $users = $auth ? qq{auth = "optional"; users = "$sec/users";} : '';
my $sink = start_sink();
my $d = start_daemon(no_start => 1,
    config_text => {
	top => 'user = "mail";',
	level => 'info',
	listener => qq{tls = "starttls"; cert = "$sec/cert.pem";
	    key = "$sec/key.pem"; $users},
	relayers => sink_relayer($sink) . qq{, { name = "isp"; type = "smtp";
	    host = "127.0.0.1"; port = 1; tls = "verify";
	    auth = { username = "u"; password_file = "$sec/isp.pass"; }; }},
	routing => 'default_relayer = "sink";',
    });
chmod(0755, $d->dir, $d->dir . '/..') or die "chmod: $!";
$d->start;
like($d->log, qr/running as user mail/, 'the daemon dropped to mail');
SKIP: {
	skip 'smarthostd was built without auth-server (./configure '
	    . '--enable-auth-server)', 1 unless $auth;
	like($d->log, qr/warning: \S+:\d+: listener "in": users "\Q$sec\E\/users" is readable by others/,
	    'a users file readable by others is warned about, with file:line');
}
unlike($d->log, qr/key\.pem" is readable/, 'the 0600 key is not');

sub subject {
	my $out = `echo QUIT | timeout 10 openssl s_client -starttls smtp -connect 127.0.0.1:@{[$d->port]} 2>&1`;
	return $out =~ /^subject=\s*CN\s*=\s*(\S+)/m ? $1 : '';
}
is(subject(), 'localhost', 'the first certificate is served');

# A new root-only key and certificate, then a reload as mail.
put_secret($certs->{wrong_cert}, 'cert.pem', 0644);
put_secret($certs->{wrong_key}, 'key.pem');
write_file("$sec/pass.src", "a-new-secret\n");
put_secret("$sec/pass.src", 'isp.pass');
my $off = $d->log_size;
$d->signal('HUP');
ok($d->wait_log(qr/reload(?:ed| failed)/, 10, after => $off), 'reload done');
my $tail = substr($d->log, $off);
unlike($tail, qr/reload failed|Permission denied/,
    'the reload read the root-only files') or diag $tail;
like($tail, qr/reloaded /, 'reloaded');
is(subject(), 'wrong.example', 'the new certificate is served after the reload');

is($d->stop, 0, 'daemon exits cleanly');
done_testing();
