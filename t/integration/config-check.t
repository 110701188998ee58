#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# config-check.t -- `smarthostd -n -c FILE` (behaviour.md "Operation",
# config.md): exit 0 for a valid file, exit 1 with "file:line: message" for
# an invalid one; unknown settings and dangling references are errors; the
# shipped example passes.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use SmarthostTest;

my $dir = tempdir('conf');
my $port = free_port();

my $good = <<"EOF";
# a complete, valid file
hostname = "relay.test";
spool = "$dir/spool";
control = "";
log = { to = "stderr"; level = "info"; };
queue = { retry_interval = "1s"; max_retry_interval = "1h"; max_age = "5d"; bounces = true; };
listeners = (
  { name = "lan"; address = "127.0.0.1"; port = $port;
    relay_from = [ "127.0.0.0/8", "::1/128", "192.168.1.0/24" ];
    batch_handling = "BatchByDomain"; max_message_size = "25M";
    max_recipients = 100; max_connections = 100; timeout = "5m";
    bare_lf = "normalize"; add_message_id = false; add_date = false; }
);
relayers = (
  { name = "isp"; type = "smtp"; host = [ "127.0.0.1", "::1" ]; port = 2525;
    tls = "none"; pool_size = 2; idle_timeout = "30s"; },
  { name = "mx"; type = "mx"; tls = "opportunistic"; },
  { name = "box"; type = "maildir"; path = "$dir/mail/%{domain}/%{local}"; }
);
routing = {
  default_relayer = "isp";
  rules = (
    { recipient_domain = [ "*.corp.example", "corp.example" ]; routing_domain = "gw.corp.example"; },
    { sender_domain = "alerts.example"; relayer = "mx"; },
    { listener = "lan"; recipient_domain = "lan.example"; relayer = "box"; }
  );
  domains = (
    { domain = "example.com"; mx_list = ( "mx1.internal", { name = "mx2.internal"; addr = "10.0.0.2"; port = 2525; }, "[10.0.0.3]" ); },
    { domain = "example.org"; force_mx = "smarthost.example.org"; },
    { domain = "lan.example"; accept = true; }
  );
};
EOF

sub check {
	my ($name, $text) = @_;
	my $f = "$dir/$name.conf";
	write_file($f, $text);
	my ($st, $err) = run_daemon_check($f);
	return ($st, $err, "$name.conf");
}

my ($st, $err) = check('good', $good);
is($st, 0, 'good file: exit 0') or diag $err;

# -n only checks: it neither needs the port free nor keeps running.
my $hold = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 1, ReuseAddr => 1);
($st, $err) = check('good2', $good);
is($st, 0, 'good file with its port busy: exit 0 (no bind)') or diag $err;
close($hold) if $hold;

($st, $err) = check('minimal', qq{spool = "$dir/spool2";\n});
is($st, 0, 'a file with nearly everything defaulted: exit 0') or diag $err;

# Each bad file: [ name, text, line or undef (any line), message regex ].
my @bad = (
    [ 'unknown-top', qq{hostname = "a.test";\nspool = "$dir/s";\nhostnmae = "b.test";\n},
      3, qr/hostnmae/ ],
    [ 'unknown-listener', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    relay_frm = [ "10.0.0.0/8" ]; }\n);\n},
      4, qr/relay_frm/ ],
    [ 'unknown-relayer-setting', qq{spool = "$dir/s";\nrelayers = (\n  { name = "r"; type = "smtp"; host = "127.0.0.1";\n    hots = "x"; }\n);\n},
      4, qr/hots/ ],
    [ 'bad-default-relayer', qq{spool = "$dir/s";\nrouting = {\n  default_relayer = "nope";\n};\n},
      3, qr/nope/ ],
    [ 'bad-rule-relayer', qq{spool = "$dir/s";\nrelayers = ( { name = "r"; type = "smtp"; host = "127.0.0.1"; } );\nrouting = {\n  rules = (\n    { recipient_domain = "a.test"; relayer = "missing"; }\n  );\n};\n},
      5, qr/missing/ ],
    [ 'bad-duration', qq{spool = "$dir/s";\nqueue = {\n  retry_interval = "5x";\n};\n},
      3, qr/retry_interval|5x|duration/ ],
    [ 'zero-duration', qq{spool = "$dir/s";\nqueue = {\n  max_age = "0s";\n};\n},
      3, qr/max_age|duration/ ],
    [ 'bad-size', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    max_message_size = "25Q"; }\n);\n},
      4, qr/max_message_size|25Q|size/ ],
    [ 'bad-tls', qq{spool = "$dir/s";\nrelayers = (\n  { name = "isp"; type = "smtp"; host = "127.0.0.1";\n    tls = "yes"; }\n);\n},
      4, qr/yes.*none.*opportunistic.*required.*verify|tls/ ],
    [ 'bad-cidr', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    relay_from = [ "10.0.0.0/33" ]; }\n);\n},
      4, qr{10\.0\.0\.0/33|relay_from|CIDR}i ],
    [ 'bad-batch', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    batch_handling = "Sometimes"; }\n);\n},
      4, qr/Sometimes|batch_handling/ ],
    [ 'bad-bare-lf', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    bare_lf = "ignore"; }\n);\n},
      4, qr/ignore|bare_lf/ ],
    [ 'bad-type', qq{spool = "$dir/s";\nrelayers = (\n  { name = "r";\n    type = "carrier-pigeon"; }\n);\n},
      4, qr/carrier-pigeon|type/ ],
    [ 'wrong-type', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x";\n    port = "twenty-five"; }\n);\n},
      4, qr/port/ ],
    # (libconfig makes the ';' after a setting optional: not an error.)
    [ 'syntax', qq{spool = "$dir/s";\nhostname = = "a.test";\n}, 2, qr/./ ],
    [ 'unbalanced', qq|spool = "$dir/s";\nrouting = {\n  default_relayer = "mx";\n|, undef, qr/./ ],
    [ 'unterminated-string', qq{spool = "$dir/s";\nhostname = "a.test;\n}, undef, qr/./ ],
    [ 'duplicate-listener', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525; },\n  { name = "x"; port = 2526; }\n);\n},
      undef, qr/\bx\b|duplicate|unique/i ],
    [ 'tls-without-cert', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    tls = "starttls"; }\n);\n},
      undef, qr/cert/ ],
    [ 'missing-cert-file', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525; tls = "starttls";\n    cert = "$dir/none.pem"; key = "$dir/none.key"; }\n);\n},
      undef, qr/none\.(?:pem|key)|cert|key/ ],
    [ 'mx-list-non-mx', qq{spool = "$dir/s";\nrelayers = ( { name = "isp"; type = "smtp"; host = "127.0.0.1"; } );\nrouting = {\n  domains = (\n    { domain = "a.test"; force_mx = "m.a.test"; relayer = "isp"; }\n  );\n};\n},
      undef, qr/isp|mx/ ],
    [ 'auth-without-users', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x"; port = 2525;\n    auth = "required"; }\n);\n},
      undef, qr/users|auth|tls/ ],
    # Issue 10 item 7: -n checks everything that can be checked.
    [ 'no-such-user', qq{hostname = "a.test";\nspool = "$dir/s";\nuser = "no-such-user-here";\n},
      3, qr/user "no-such-user-here": no such user/ ],
    [ 'bad-address', qq{spool = "$dir/s";\nlisteners = (\n  { name = "x";\n    address = "localhost.example"; port = 2525; }\n);\n},
      4, qr/address|localhost\.example/ ],
);
for my $b (@bad) {
	my ($name, $text, $line, $re) = @$b;
	my ($st, $err, $base) = check($name, $text);
	is($st, 1, "$name: exit 1") or diag $err;
	my $lre = defined $line ? $line : '\d+';
	like($err, qr/(?:^|\/)\Q$base\E:$lre: /m,
	    "$name: error names $base:" . ($line // 'line')) or diag $err;
	like($err, $re, "$name: error says what is wrong");
	my @lines = grep { /\S/ } split /\n/, $err;
	cmp_ok(scalar @lines, '<=', 3, "$name: a short, clear message");
}

($st, $err) = run_daemon_check("$dir/does-not-exist.conf");
is($st, 1, 'missing file: exit 1');
like($err, qr/does-not-exist\.conf/, 'missing file: named in the error');

# The example shipped with the sources.
my $example = srcdir() . '/etc/smarthostd.conf';
ok(-f $example, "example $example exists");
($st, $err) = run_daemon_check($example);
is($st, 0, 'the shipped example passes -n') or diag $err;
# #19 item 3: a relayer with auth never sends the password to a server that
# was not asked for encryption; "required" is allowed with a warning.
{
	(my $t = $good) =~ s/tls = "none"; pool_size = 2;/tls = "opportunistic";\n    auth = { username = "u"; password = "p"; }; pool_size = 2;/;
	my ($st, $err, $f) = check('authopp', $t);
	is($st, 1, 'auth with tls opportunistic: exit 1');
	like($err, qr/^smarthostd: \Q$dir\E\/\Q$f\E:\d+: relayer "isp": auth needs tls = "verify" \(or "required"\), not "opportunistic"/m,
	    'auth with tls opportunistic: file:line: message');
	($t = $good) =~ s/tls = "none"; pool_size = 2;/tls = "required";\n    auth = { username = "u"; password = "p"; }; pool_size = 2;/;
	($st, $err, $f) = check('authreq', $t);
	is($st, 0, 'auth with tls required: loads') or diag $err;
	like($err, qr/warning: \Q$dir\E\/\Q$f\E:\d+: relayer "isp": auth with tls = "required"/,
	    'auth with tls required: a warning with file:line');
}

done_testing();
