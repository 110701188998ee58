# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package SmarthostTest;

# SmarthostTest -- the harness of the integration tests: it starts the real
# daemon and the SMTP sink (t/lib/sink.py) on loopback ports of their own,
# talks SMTP to them byte by byte, and cleans every process up however the
# test ends.  Every wait has a deadline, so a broken daemon makes a test
# fail, never hang.
#
# Tests run in parallel (Automake's TAP driver, prove -j): every port and
# directory here is private to one test process.

use strict;
use warnings;

use Cwd qw(abs_path);
use Errno qw(EINTR EAGAIN ECHILD);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use IO::Handle;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use JSON::PP ();
use POSIX qw(:sys_wait_h setpgid _exit);
use Socket qw(SOCK_STREAM);
use Test::More ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(
    free_port tempdir test_dir write_file slurp write_config config_text
    start_daemon start_sink smtp_session send_mail run_swaks run_daemon_check
    wait_for maildir_files maildir_wait have_ipv6 smarthostd srcdir
    crlf no_bare_line_ends split_received sink_relayer ehlo_keywords
    run_bounded smarthostctl_path run_ctl log_addr built_without
    skip_unless_built_with start_hostile stop_child reply_codes
);

our $HOSTNAME = 'relay.test';		# hostname = in configs made here

my $top = abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my %children;				# pid => description, for END
my @daemons;				# objects, for diagnostics on failure
my %ports_given;

# A safety net: no test file may run for more than this, whatever it does.
$SIG{ALRM} = sub { die "test timed out (watchdog)\n" };
alarm($ENV{SMARTHOST_TEST_WATCHDOG} // 120);
# Let END blocks run on ^C or a TERM from the test driver.
$SIG{INT} = $SIG{TERM} = sub { die "killed by signal\n" };
$SIG{PIPE} = 'IGNORE';

sub smarthostd {
	my $p = $ENV{SMARTHOSTD} // "$top/src/smarthostd";
	die "smarthostd not found or not executable at $p\n" unless -x $p;
	return $p;
}

sub srcdir { return $ENV{SRCDIR} // $top }

# The python that has aiosmtpd: $PYTHON3 from configure if it can, else the
# system one (a pyenv python3 first in PATH usually lacks aiosmtpd).
my $python;
sub python3 {
	return $python if defined $python;
	for my $p (grep { defined && length } $ENV{PYTHON3}, '/usr/bin/python3',
	    'python3') {
		if (system($p, '-c', 'import aiosmtpd') == 0) {
			return $python = $p;
		}
	}
	die "no python3 with aiosmtpd found (set PYTHON3)\n";
}

#
# Files and directories.
#

my $tdir;
sub test_dir {
	return $tdir if defined $tdir;
	my $keep = $ENV{SMARTHOST_TEST_KEEP} ? 1 : 0;
	my $base = (grep { defined && -d && -w } $ENV{TMPDIR}, '/tmp')[0];
	$tdir = File::Temp::tempdir('smarthost-t-XXXXXX', DIR => $base,
	    CLEANUP => !$keep);
	Test::More::diag("test directory kept: $tdir") if $keep;
	return $tdir;
}

# A fresh directory under the test's private directory.
my $tcount = 0;
sub tempdir {
	my ($name) = @_;
	$name //= 'd';
	$tcount++;
	my $d = File::Spec->catdir(test_dir(), "$name.$tcount");
	make_path($d);
	return $d;
}

sub write_file {
	my ($path, $data) = @_;
	open(my $fh, '>:raw', "$path.tmp") or die "$path.tmp: $!";
	print $fh $data;
	close($fh) or die "$path.tmp: $!";
	rename("$path.tmp", $path) or die "$path: $!";
	return $path;
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return undef;
	local $/;
	my $s = <$fh>;
	return $s // '';
}

# An address as a mail log line shows it (doc/logging.md): <a@b> when
# plain, else "<...>" with \" \\ and \xHH escapes.
sub log_addr {
	my ($a) = @_;
	return "<$a>" unless $a =~ /[\x00-\x20\x7f-\xff"\\=<>]/;
	(my $e = "<$a>") =~ s/(["\\])/\\$1/g;
	$e =~ s/([\x00-\x1f\x7f-\xff])/sprintf('\\x%02x', ord($1))/ge;
	return qq{"$e"};
}

# The codes of replies read from a session, space-separated ('none' for
# a reply that did not come), for is() on pipelined answers.
sub reply_codes { join(' ', map { $_ ? $_->{code} : 'none' } @_) }

sub crlf { my ($s) = @_; $s =~ s/\r?\n/\r\n/g; return $s }

# True when every CR is followed by LF and every LF preceded by CR.
sub no_bare_line_ends {
	my ($s) = @_;
	return $s !~ /\r(?!\n)/ && $s !~ /(?<!\r)\n/;
}

# Split a relayed message into (Received header, rest), the header with
# its folding intact; (undef, $data) when it does not start with one.
# The keywords an EHLO reply offers: { KEYWORD => "the whole line" }.
sub ehlo_keywords {
	my ($r) = @_;
	return {} unless $r && $r->{lines};
	my @l = @{$r->{lines}};
	return { map { (split / /, uc $_, 2)[0] => $_ } @l[1 .. $#l] };
}

sub split_received {
	my ($data) = @_;
	if ($data =~ /\A(Received:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)/) {
		my $h = $1;
		return ($h, substr($data, length $h));
	}
	return (undef, $data);
}

#
# Ports.
#

# A port free on 127.0.0.1 (and ::1 when there is one), picked below the
# ephemeral range so that outgoing connections never take it meanwhile.
sub free_port {
	for (1 .. 500) {
		my $p = 20000 + int(rand(12000));
		next if $ports_given{$p};
		my $s4 = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $p, Proto => 'tcp', Listen => 1, ReuseAddr => 1)
		    or next;
		if (have_ipv6()) {
			my $s6 = IO::Socket::IP->new(LocalHost => '::1',
			    LocalPort => $p, Proto => 'tcp', Listen => 1,
			    ReuseAddr => 1) or next;
			close($s6);
		}
		close($s4);
		$ports_given{$p} = 1;
		return $p;
	}
	die "no free port found\n";
}

my $ipv6;
sub have_ipv6 {
	return $ipv6 if defined $ipv6;
	my $s = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1);
	$ipv6 = $s ? 1 : 0;
	close($s) if $s;
	return $ipv6;
}

# Generic bounded wait: calls $cond every $step seconds until it returns
# true or $timeout passes; returns its last value.
sub wait_for {
	my ($cond, $timeout, $step) = @_;
	$timeout //= 10;
	$step //= 0.1;
	my $deadline = time + $timeout;
	while (1) {
		my $r = $cond->();
		return $r if $r;
		return $r if time >= $deadline;
		sleep($step);
	}
}

#
# Configuration.
#

# Replace @NAME@ placeholders from %vars (names are upper case; the
# %{sender}-style templates of the daemon itself are left alone).
sub expand {
	my ($text, $vars) = @_;
	$text =~ s/\@([A-Z][A-Z0-9_]*)\@/
	    exists $vars->{$1} ? $vars->{$1} : die "unknown placeholder \@$1\@\n"/ge;
	return $text;
}

sub write_config {
	my ($text, %vars) = @_;
	my $dir = $vars{TMP} // tempdir('conf');
	$vars{TMP} //= $dir;
	my $path = $vars{FILE} // File::Spec->catfile($dir, 'smarthostd.conf');
	write_file($path, expand($text, \%vars));
	return $path;
}

# A whole configuration with one listener "in" on 127.0.0.1:@PORT@, the
# spool in @SPOOL@ and the log on stderr.  Options (all strings of
# libconfig text, placeholders allowed):
#   listener  => extra settings inside the listener group
#   listeners => replaces the whole listeners list body
#   relayers  => the body of relayers = ( ... );
#   routing   => the body of routing = { ... };
#   queue     => the body of queue = { ... };
#   top       => extra top-level settings
#   level     => log level (default debug)
sub config_text {
	my (%o) = @_;
	my $level = $o{level} // 'debug';
	my $t = <<"EOF";
hostname = "$HOSTNAME";
spool = "\@SPOOL\@";
control = "";
log = { to = "stderr"; level = "$level"; };
EOF
	$t .= "$o{top}\n" if defined $o{top};
	$t .= "resolver = { nameservers = [ \"127.0.0.1\" ]; port = \@DNS_PORT\@; timeout = \"1s\"; attempts = 1; };\n";
	if (defined $o{listeners}) {
		$t .= "listeners = ( $o{listeners} );\n";
	} else {
		my $extra = $o{listener} // '';
		$t .= "listeners = ( { name = \"in\"; address = \"127.0.0.1\"; port = \@PORT\@; $extra } );\n";
	}
	$t .= "relayers = ( $o{relayers} );\n" if defined $o{relayers};
	$t .= "routing = { $o{routing} };\n" if defined $o{routing};
	$t .= "queue = { $o{queue} };\n" if defined $o{queue};
	return $t;
}

# The libconfig text of an smtp relayer that delivers to a sink.
sub sink_relayer {
	my ($sink, %o) = @_;
	my $name = $o{name} // 'sink';
	my $extra = $o{extra} // '';
	return sprintf('{ name = "%s"; type = "smtp"; host = "%s"; port = %d; '
	    . 'tls = "none"; %s }', $name, $sink->host, $sink->port, $extra);
}

#
# Processes.
#

# fork + exec with a process group of its own; stdout/stderr to files.
sub spawn {
	my (%o) = @_;
	my ($rd, $wr);
	if ($o{stdout_pipe}) {
		pipe($rd, $wr) or die "pipe: $!";
	}
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		eval {
			setpgid(0, 0);
			$SIG{ALRM} = $SIG{INT} = $SIG{TERM} = 'DEFAULT';
			$SIG{PIPE} = 'DEFAULT';
			alarm(0);
			open(STDIN, '<', '/dev/null');
			if ($wr) {
				close($rd);
				open(STDOUT, '>&', $wr) or die;
			} else {
				open(STDOUT, '>>', $o{stdout} // '/dev/null')
				    or die;
			}
			open(STDERR, '>>', $o{stderr}) or die;
			exec { $o{argv}[0] } @{$o{argv}};
		};
		print STDERR "exec $o{argv}[0]: $!\n";
		_exit(127);
	}
	setpgid($pid, $pid);		# either side may win the race
	$children{$pid} = $o{what} // $o{argv}[0];
	if ($wr) {
		close($wr);
		return ($pid, $rd);
	}
	return ($pid);
}

# Wait up to $timeout for $pid to exit; returns its status or undef.
sub reap {
	my ($pid, $timeout) = @_;
	my $deadline = time + ($timeout // 10);
	while (1) {
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid || ($r == -1)) {
			delete $children{$pid};
			return $r == $pid ? $? : -1;
		}
		return undef if time >= $deadline;
		sleep(0.05);
	}
}

sub kill_group {
	my ($pid, $sig) = @_;
	kill($sig, -$pid) or kill($sig, $pid);
}

# t/lib/hostile.py in $mode on $port (a misbehaving downstream server),
# noting what it saw in $log if given; returns its pid once it says
# "ready", or dies.
sub start_hostile {
	my ($port, $mode, $log) = @_;
	my $dir = tempdir('hostile');
	my ($pid, $rd) = spawn(argv => [ python3(),
	    srcdir() . '/t/lib/hostile.py', '--port', $port, '--mode', $mode,
	    (defined $log ? ('--log', $log) : ()) ],
	    stdout_pipe => 1, stderr => "$dir/err", what => "hostile.py $mode");
	my $sel = IO::Select->new($rd);
	my $buf = '';
	my $deadline = time + 10;
	while ($buf !~ /^ready$/m && time < $deadline) {
		last unless $sel->can_read($deadline - time);
		sysread($rd, $buf, 256, length $buf) or last;
	}
	close($rd);
	die "hostile.py $mode did not start\n" unless $buf =~ /^ready$/m;
	return $pid;
}

# TERM to a spawned child's group, KILL if it has not gone in 5 s.
sub stop_child {
	my ($pid) = @_;
	kill_group($pid, 'TERM');
	if (!defined reap($pid, 5)) {
		kill_group($pid, 'KILL');
		reap($pid, 2);
	}
}

END {
	local $?;			# keep the test's exit status
	my $tb = Test::More->builder;
	if (!$tb->is_passing || $ENV{SMARTHOST_TEST_VERBOSE}) {
		for my $d (@daemons) {
			my $log = $d->log // '';
			my @l = split /\n/, $log;
			@l = @l[-80 .. -1] if @l > 80;
			Test::More::diag("--- daemon log $d->{logfile} (tail):");
			Test::More::diag($_) for @l;
		}
	}
	for my $pid (keys %children) {
		kill_group($pid, 'TERM');
	}
	for my $pid (keys %children) {
		next if defined reap($pid, 3);
		kill_group($pid, 'KILL');
		reap($pid, 2);
	}
}

#
# The daemon.
#

# start_daemon(config => TEXT | config_text => {opts}, vars => {..},
#     port => N, probe => [host, port], expect_fail => 0)
# Placeholders always available: @PORT@ (the listener port, picked here
# unless given), @SPOOL@, @TMP@, @DNS_PORT@ (an unused port), @HOSTNAME@.
sub start_daemon {
	my (%o) = @_;
	my $self = bless {}, 'SmarthostTest::Daemon';
	$self->{dir} = tempdir('daemon');
	$self->{port} = $o{port} // free_port();
	$self->{spool} = $o{spool} // "$self->{dir}/spool";
	my %vars = (
	    PORT => $self->{port},
	    SPOOL => $self->{spool},
	    TMP => $self->{dir},
	    DNS_PORT => $o{dns_port} // free_port(),
	    HOSTNAME => $HOSTNAME,
	    %{$o{vars} // {}},
	);
	$self->{vars} = \%vars;
	$self->{config} = "$self->{dir}/smarthostd.conf";
	$self->rewrite(%o);
	$self->{logfile} = "$self->{dir}/daemon.log";
	$self->{probe} = $o{probe} // [ '127.0.0.1', $self->{port} ];
	push @daemons, $self;
	$self->start unless $o{no_start};
	return $self;
}

# Run `smarthostd -n -c FILE`; returns (exit status, stderr).
# Run a program, killed after $timeout seconds: (exit status, or -1 when
# it was killed or died by a signal; stdout; stderr).
sub run_bounded {
	my ($timeout, @argv) = @_;
	my $dir = tempdir('run');
	my ($pid) = spawn(argv => \@argv, stdout => "$dir/out",
	    stderr => "$dir/err", what => $argv[0]);
	my $st = reap($pid, $timeout);
	if (!defined $st) {
		kill_group($pid, 'KILL');
		reap($pid, 2);
		$st = -1;
	}
	return (($st == -1 ? -1 : $st >> 8), slurp("$dir/out") // '',
	    slurp("$dir/err") // '');
}

# Run `smarthostd -n -c FILE`; returns (exit status, stderr).
sub run_daemon_check {
	my ($file) = @_;
	my ($st, undef, $err) = run_bounded(10, smarthostd(), '-n', '-c', $file);
	return ($st, $st == -1 ? "timed out\n$err" : $err);
}

# The optional features (configure.ac) this smarthostd was built without,
# from its --version line: ("dkim", "metrics"), or () for a full build.
sub built_without {
	my ($st, $out) = run_bounded(10, smarthostd(), '--version');
	die "smarthostd --version failed\n" if $st != 0;
	my ($list) = $out =~ /\(built without: ([a-z -]+)\)$/m;
	return split ' ', $list // '';
}

# Skip the whole file, saying why, when $feature was left out of the build.
sub skip_unless_built_with {
	my ($feature) = @_;
	Test::More::plan(skip_all => "smarthostd was built without $feature "
	    . "(./configure --enable-$feature)")
	    if grep { $_ eq $feature } built_without();
}

sub smarthostctl_path {
	return $ENV{SMARTHOSTCTL}
	    // (defined $ENV{TOP_BUILDDIR} ? "$ENV{TOP_BUILDDIR}/src/smarthostctl"
		: srcdir() . '/src/smarthostctl');
}

# Run smarthostctl (bounded); returns (exit status, stdout, stderr).
sub run_ctl { return run_bounded(30, smarthostctl_path(), @_) }

package SmarthostTest::Daemon;

use Time::HiRes qw(time sleep);
use POSIX qw(:sys_wait_h);

sub port { $_[0]{port} }
sub dir { $_[0]{dir} }
sub spool { $_[0]{spool} }
sub config_file { $_[0]{config} }
sub pid { $_[0]{pid} }
sub log { SmarthostTest::slurp($_[0]{logfile}) // '' }

# Replace the configuration file (same placeholders as at start), e.g.
# before a SIGHUP: rewrite(config => TEXT) or rewrite(config_text => {..}).
sub rewrite {
	my ($self, %o) = @_;
	my $text = $o{config} // SmarthostTest::config_text(
	    %{$o{config_text} // {}});
	SmarthostTest::write_config($text, %{$self->{vars}},
	    FILE => $self->{config});
	return $self;
}

# (Re)start with the same configuration and spool; the log is appended to.
sub start {
	my ($self) = @_;
	die "daemon already running\n" if $self->{pid};
	if (open(my $fh, '>>', $self->{logfile})) {
		print $fh "=== start " . scalar(localtime) . "\n";
		close($fh);
	}
	($self->{pid}) = SmarthostTest::spawn(
	    argv => [ SmarthostTest::smarthostd(), '-f', '-c', $self->{config} ],
	    stderr => $self->{logfile}, stdout => $self->{logfile},
	    what => 'smarthostd');
	my ($host, $port) = @{$self->{probe}};
	my $deadline = time + 10;
	while (1) {
		my $st = waitpid($self->{pid}, WNOHANG);
		if ($st == $self->{pid}) {
			my $code = $? >> 8;
			delete $children{$self->{pid}};
			$self->{pid} = undef;
			die "smarthostd exited (status $code) during start-up:\n"
			    . $self->log;
		}
		last if probe($host, $port);
		if (time >= $deadline) {
			$self->kill9;
			die "smarthostd did not accept on $host:$port within 10 s:\n"
			    . $self->log;
		}
		sleep(0.1);
	}
	return $self;
}

# A connection that reads the greeting, says QUIT and waits for the close:
# the daemon has fully finished with it when this returns true.
sub probe {
	my ($host, $port) = @_;
	my $s = SmarthostTest::smtp_session(host => $host, port => $port,
	    timeout => 2, quiet => 1) or return 0;
	my $r = $s->reply(2);
	return 0 unless $r && $r->{code} == 220;
	$s->send("QUIT\r\n");
	$s->reply(2);
	$s->wait_eof(2);
	$s->close;
	return 1;
}

# SIGTERM, then up to $timeout for a clean exit, then SIGKILL to the group.
# Returns the exit status (undef if it had to be killed).
sub stop {
	my ($self, $timeout) = @_;
	my $pid = $self->{pid} or return undef;
	kill('TERM', $pid);
	my $st = SmarthostTest::reap($pid, $timeout // 10);
	if (!defined $st) {
		SmarthostTest::kill_group($pid, 'KILL');
		SmarthostTest::reap($pid, 5);
	} else {
		SmarthostTest::kill_group($pid, 'KILL');	# children, if any
	}
	$self->{pid} = undef;
	return $st;
}

sub kill9 {
	my ($self) = @_;
	my $pid = $self->{pid} or return;
	SmarthostTest::kill_group($pid, 'KILL');
	SmarthostTest::reap($pid, 5);
	$self->{pid} = undef;
}

sub signal {
	my ($self, $sig) = @_;
	kill($sig, $self->{pid}) if $self->{pid};
}

sub alive {
	my ($self) = @_;
	return 0 unless $self->{pid};
	return waitpid($self->{pid}, WNOHANG) == 0;
}

# Wait (bounded) until the log matches; returns the match ($& or the
# captures in list context), or false.  `after` => offset to start at.
sub wait_log {
	my ($self, $re, $timeout, %o) = @_;
	my @m;
	SmarthostTest::wait_for(sub {
		my $log = $self->log;
		$log = substr($log, $o{after}) if $o{after};
		@m = ();
		if ($log =~ $re) {
			@m = defined $1 ? grep { defined } ($1, $2, $3, $4)
			    : ($&);
		}
		return scalar @m;
	}, $timeout // 10);
	return wantarray ? @m : $m[0];
}

sub log_size { length($_[0]->log) }

# Files in the spool (recursively), for "nothing left behind" checks.
sub spool_files {
	my ($self) = @_;
	my @f;
	require File::Find;
	File::Find::find({ no_chdir => 1, wanted => sub { push @f, $_ if -f } },
	    $self->{spool}) if -d $self->{spool};
	return @f;
}

# Queued messages (spool.h): each queue/<id>.q, and each queue/<id>.env
# without a .q beside it (the form before 0.2, with a .msg).
sub queued {
	my ($self) = @_;
	my $sp = $self->{spool};
	return grep {
		my $rel = substr($_, length $sp);
		$rel =~ m{^/queue/} && ($rel =~ /\.q$/
		    || ($rel =~ /^(.*)\.env$/ && !-e "$sp$1.q"));
	} $self->spool_files;
}

package SmarthostTest;

#
# The sink.
#

# start_sink(fail_first => N, fail_file => PATH, host => ADDR, port => N,
#     size_limit => N (the SIZE it offers), chunking => 1 (offer CHUNKING
#     and take BDAT), no_pipelining => 1 (do not offer PIPELINING))
sub start_sink {
	my (%o) = @_;
	my $self = bless {}, 'SmarthostTest::Sink';
	$self->{dir} = tempdir('sink');
	$self->{port} = $o{port} // free_port();
	$self->{host} = $o{host} // '127.0.0.1';
	my @argv = (python3(), "$top/t/lib/sink.py", '--port', $self->{port},
	    '--dir', $self->{dir}, '--host', $self->{host});
	push @argv, '--fail-first', $o{fail_first} if $o{fail_first};
	push @argv, '--size-limit', $o{size_limit} if $o{size_limit};
	push @argv, '--fail-file', $o{fail_file} if defined $o{fail_file};
	push @argv, '--record', $o{record} if defined $o{record};
	push @argv, '--chunking' if $o{chunking};
	push @argv, '--no-pipelining' if $o{no_pipelining};
	$self->{argv} = \@argv;
	$self->start;
	return $self;
}

package SmarthostTest::Sink;

use Time::HiRes qw(time sleep);

sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub host { $_[0]{host} }
sub pid { $_[0]{pid} }

sub start {
	my ($self) = @_;
	my ($pid, $rd) = SmarthostTest::spawn(argv => $self->{argv},
	    stdout_pipe => 1, stderr => "$self->{dir}/sink.stderr",
	    what => 'sink.py');
	$self->{pid} = $pid;
	my $sel = IO::Select->new($rd);
	my $buf = '';
	my $deadline = time + 10;
	while ($buf !~ /^ready$/m) {
		my $left = $deadline - time;
		if ($left <= 0 || !$sel->can_read($left)) {
			$self->stop;
			die "sink did not start:\n"
			    . (SmarthostTest::slurp("$self->{dir}/sink.stderr") // '');
		}
		my $n = sysread($rd, $buf, 256, length $buf);
		if (!$n) {
			$self->stop;
			die "sink exited during start-up:\n"
			    . (SmarthostTest::slurp("$self->{dir}/sink.stderr") // '');
		}
	}
	close($rd);
	return $self;
}

sub stop {
	my ($self) = @_;
	my $pid = $self->{pid} or return;
	kill('TERM', $pid);
	if (!defined SmarthostTest::reap($pid, 5)) {
		SmarthostTest::kill_group($pid, 'KILL');
		SmarthostTest::reap($pid, 2);
	}
	$self->{pid} = undef;
}

# Every stored message, in order: { seq, json => {...}, data => bytes }.
sub messages {
	my ($self) = @_;
	opendir(my $dh, $self->{dir}) or return ();
	my @j = sort grep { /^\d+\.json$/ } readdir($dh);
	closedir($dh);
	my @m;
	for my $j (@j) {
		(my $seq = $j) =~ s/\.json$//;
		my $meta = eval {
			JSON::PP->new->decode(SmarthostTest::slurp("$self->{dir}/$j"))
		} or next;
		push @m, { seq => $seq, json => $meta,
		    data => SmarthostTest::slurp("$self->{dir}/$seq.eml") };
	}
	return @m;
}

sub count { scalar(my @m = $_[0]->messages) }

# Wait until at least $n messages are stored (bounded); returns them all.
sub wait_messages {
	my ($self, $n, $timeout) = @_;
	SmarthostTest::wait_for(sub { $self->count >= $n }, $timeout // 10);
	return $self->messages;
}

# Lines of connections.log / transactions.log / commands.log.
sub _lines {
	my ($self, $f) = @_;
	my $s = SmarthostTest::slurp("$self->{dir}/$f") // '';
	return split /\n/, $s;
}
sub connections { scalar(my @l = $_[0]->_lines('connections.log')) }
sub transactions { $_[0]->_lines('transactions.log') }
sub commands { $_[0]->_lines('commands.log') }

package SmarthostTest;

#
# Raw SMTP: byte-exact control over what is sent, one reply at a time.
#

# smtp_session(port => N, host => '127.0.0.1', timeout => 10,
#     local => source address)
sub smtp_session {
	my (%o) = @_;
	my $host = $o{host} // '127.0.0.1';
	my $sock = IO::Socket::IP->new(PeerHost => $host, PeerPort => $o{port},
	    Proto => 'tcp', Timeout => $o{timeout} // 10,
	    ($o{local} ? (LocalHost => $o{local}) : ()));
	if (!$sock) {
		return undef if $o{quiet};
		die "connect $host:$o{port}: $@\n";
	}
	$sock->autoflush(1);
	binmode($sock);
	return bless { sock => $sock, buf => '', timeout => $o{timeout} // 10,
	    eof => 0, transcript => '' }, 'SmarthostTest::Session';
}

package SmarthostTest::Session;

use Errno qw(EINTR EAGAIN);
use Time::HiRes qw(time);

sub sock { $_[0]{sock} }

# Write all of $bytes (bounded).
sub send {
	my ($self, $bytes) = @_;
	my $off = 0;
	my $deadline = time + $self->{timeout};
	my $sel = IO::Select->new($self->{sock});
	$self->{transcript} .= "C: $bytes";
	while ($off < length $bytes) {
		my $left = $deadline - time;
		return 0 if $left <= 0;
		next unless $sel->can_write($left);
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off,
		    $off);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			return 0;
		}
		$off += $n;
	}
	return 1;
}

# Read more input; false on EOF, error or timeout.
sub _fill {
	my ($self, $deadline) = @_;
	return 0 if $self->{eof};
	my $sel = IO::Select->new($self->{sock});
	my $left = $deadline - time;
	return 0 if $left <= 0;
	return 0 unless $sel->can_read($left);
	my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
	if (!$n) {
		$self->{eof} = 1;
		return 0;
	}
	return 1;
}

# One line (with its CRLF or LF), or undef at EOF/timeout.
sub line {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // $self->{timeout});
	while ($self->{buf} !~ /\n/) {
		return undef unless $self->_fill($deadline);
	}
	$self->{buf} =~ s/\A([^\n]*\n)//;
	return $1;
}

# One reply, multi-line included: { code, enh, text, lines => [..], raw,
# last => last line text } or undef on EOF/timeout (or garbage).
sub reply {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // $self->{timeout});
	my (@lines, $raw);
	$raw = '';
	while (1) {
		my $left = $deadline - time;
		my $l = $self->line($left > 0 ? $left : 0.001);
		return undef unless defined $l;
		$raw .= $l;
		$self->{transcript} .= "S: $l";
		if ($l !~ /\A(\d{3})([ -])(.*?)\r?\n\z/s) {
			return { code => 0, raw => $raw, bad => 1,
			    lines => [ @lines, $l ], text => $l };
		}
		push @lines, $3;
		my ($code, $sep) = ($1, $2);
		next if $sep eq '-';
		my $text = join("\n", @lines);
		my ($enh) = ($lines[-1] =~ /\A([245]\.\d{1,3}\.\d{1,3})(?: |\z)/);
		return { code => $code, enh => $enh, text => $text,
		    lines => \@lines, raw => $raw, last => $lines[-1] };
	}
}

# Send a command line (CRLF added) and read its reply.
sub cmd {
	my ($self, $line, $timeout) = @_;
	$self->send("$line\r\n") or return undef;
	return $self->reply($timeout);
}

# Read $n replies (for pipelined commands).
sub replies {
	my ($self, $n, $timeout) = @_;
	my @r;
	for (1 .. $n) {
		my $r = $self->reply($timeout);
		push @r, $r;
		last unless $r;
	}
	return @r;
}

# True when the peer closes within $timeout (any pending input is dropped).
sub wait_eof {
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // $self->{timeout});
	while (!$self->{eof}) {
		$self->{buf} = '';
		last unless $self->_fill($deadline);
	}
	return $self->{eof};
}

sub greeting { $_[0]->reply(@_[1 .. $#_]) }

# Greeting + EHLO; returns the EHLO reply (undef if the greeting was not 220).
sub start_ehlo {
	my ($self, $name) = @_;
	my $g = $self->reply;
	return undef unless $g && $g->{code} == 220;
	return $self->cmd('EHLO ' . ($name // 'client.test'));
}

# MAIL, RCPTs, DATA, body (dot-stuffed here unless raw => 1), end of data.
# Returns the reply to the end of data (or the first failing reply).
sub mail {
	my ($self, %o) = @_;
	my $r = $self->cmd("MAIL FROM:<$o{from}>"
	    . ($o{mail_params} ? " $o{mail_params}" : ''));
	return $r unless $r && $r->{code} == 250;
	my $ok = 0;
	for my $to (ref $o{to} ? @{$o{to}} : $o{to}) {
		$r = $self->cmd("RCPT TO:<$to>");
		return $r unless $r;
		$ok++ if $r->{code} == 250;
	}
	return $r unless $ok;
	$r = $self->cmd('DATA');
	return $r unless $r && $r->{code} == 354;
	my $body = $o{data};
	if (!$o{raw}) {
		$body =~ s/^\./../mg;
		$body .= "\r\n" unless $body =~ /\r\n\z/ || $body eq '';
		$body .= ".\r\n";
	}
	$self->send($body) or return undef;
	return $self->reply($o{timeout});
}

sub transcript { $_[0]{transcript} }

sub close {
	my ($self) = @_;
	close($self->{sock}) if $self->{sock};
	$self->{sock} = undef;
}

package SmarthostTest;

#
# Net::SMTP for the simple cases.
#

# send_mail(port => N, from => A, to => [..] | A, data => TEXT,
#     hello => 'client.test') -> { ok, code, message, id }
sub send_mail {
	my (%o) = @_;
	require Net::SMTP;
	my $smtp = Net::SMTP->new($o{host} // '127.0.0.1', Port => $o{port},
	    Hello => $o{hello} // 'client.test', Timeout => $o{timeout} // 10)
	    or return { ok => 0, message => "connect: $@" };
	my %r = (ok => 0);
	my @to = ref $o{to} ? @{$o{to}} : ($o{to});
	if (!$smtp->mail($o{from})) {
		%r = (ok => 0, code => $smtp->code, message => $smtp->message);
	} elsif (!$smtp->to(@to, { SkipBad => 0 })) {
		%r = (ok => 0, code => $smtp->code, message => $smtp->message);
	} elsif (!$smtp->data || !$smtp->datasend($o{data})
	    || !$smtp->dataend) {
		%r = (ok => 0, code => $smtp->code, message => $smtp->message);
	} else {
		%r = (ok => 1, code => $smtp->code, message => $smtp->message);
	}
	$smtp->quit;
	$r{message} //= '';
	$r{message} =~ s/\s+\z//;
	($r{id}) = $r{message} =~ /queued as (\S+)/;
	return \%r;
}

# run_swaks(args...) -> (exit status, output); bounded by --timeout and a
# kill after 20 s.
sub run_swaks {
	my (@args) = @_;
	my $out = File::Spec->catfile(tempdir('swaks'), 'out');
	my ($pid) = spawn(argv => [ 'swaks', '--timeout', '10', @args ],
	    stdout => $out, stderr => $out, what => 'swaks');
	my $st = reap($pid, 20);
	if (!defined $st) {
		kill_group($pid, 'KILL');
		reap($pid, 2);
		$st = -1;
	}
	return (($st == -1 ? -1 : $st >> 8), slurp($out) // '');
}

#
# Maildir.
#

# Files delivered into a Maildir (new/ and cur/), sorted.
sub maildir_files {
	my ($path) = @_;
	my @f;
	for my $sub (qw(new cur)) {
		opendir(my $dh, "$path/$sub") or next;
		push @f, map { "$path/$sub/$_" } grep { !/^\./ } readdir($dh);
		closedir($dh);
	}
	return sort @f;
}

sub maildir_wait {
	my ($path, $n, $timeout) = @_;
	wait_for(sub { scalar(my @f = maildir_files($path)) >= $n },
	    $timeout // 10);
	return maildir_files($path);
}

1;
