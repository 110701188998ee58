#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# maildir.t -- the maildir relayer: a message lands in <path>/new/ (by way
# of tmp/), with LF line endings, under a Received: header, body intact;
# %{domain} and %{local} in the path are expanded and directories created.
use strict;
use warnings;
use Test::More;
use SmarthostTest;
use File::Find ();

sub find_files {
	my ($top, $cb) = @_;
	File::Find::find({ no_chdir => 1, wanted => sub { $cb->($File::Find::name) } }, $top);
}

my $d = start_daemon(
    config_text => {
	relayers => q{
	    { name = "box"; type = "maildir"; path = "@TMP@/Maildir"; },
	    { name = "users"; type = "maildir";
	      path = "@TMP@/mail/%{domain}/%{local}"; }
	},
	routing => q{
	    default_relayer = "box";
	    rules = ( { recipient_domain = "users.test"; relayer = "users"; } );
	},
	queue => 'retry_interval = "1s";',
    });
my $md = $d->dir . '/Maildir';

my $body = "Subject: to the maildir\r\nFrom: <s\@x.test>\r\n\r\n"
    . "line one\r\n.\r\n.leading dot\r\n8-bit \xc3\xa9\r\n"
    . ("m" x 998) . "\r\n\r\nlast\r\n";
(my $lf = $body) =~ s/\r\n/\n/g;

my $s = smtp_session(port => $d->port);
$s->start_ehlo('client.test');
my $r = $s->mail(from => 's@x.test', to => 'someone@local.test', data => $body);
is($r->{code}, 250, 'accepted');
my ($id) = ($r->{last} // '') =~ /queued as (\S+)/;
$id //= 'NO-ID';
$s->cmd('QUIT');
$s->close;

my @f = maildir_wait($md, 1, 10);
is(scalar @f, 1, 'one file in the Maildir');
like($f[0] // '', qr{/new/[^/]+$}, 'delivered into new/');
my $c = slurp($f[0] // '/nonexistent') // '';
ok(length($c) && $c !~ /\r/, 'LF line endings (no CR at all)');
# Local delivery may put Return-Path: and Delivered-To: first.
my ($pre, $rcv) = $c =~ /\A((?:(?:Return-Path|Delivered-To|X-Original-To):[^\n]*\n)*)(Received:[^\n]*\n(?:[ \t][^\n]*\n)*)/;
$pre //= '';
like($pre, qr/^Return-Path: <s\@x\.test>$/m, 'Return-Path: names the sender')
    if length $pre;
ok(defined $rcv, 'starts with a Received: header') or diag substr($c, 0, 200);
like($rcv // '', qr/\bby relay\.test\b/, 'Received: by <hostname>');
like($rcv // '', qr/\bid \Q$id\E\b/, 'Received: names the id');
is(substr($c, length($pre) + length($rcv // '')), $lf,
    'body intact, with LF endings');
ok(-d "$md/tmp" && -d "$md/cur", 'tmp/ and cur/ exist');
ok(wait_for(sub { opendir(my $h, "$md/tmp") or return 0;
    !grep { !/^\./ } readdir($h) }, 5), 'nothing left in tmp/');
ok($d->wait_log(qr/^(?=.*\bdelivered\b)(?=.*\bid=\Q$id\E\b).*$/m, 5),
    'delivered logged');

# Templates: one directory per domain and local part, created as needed.
my $res = send_mail(port => $d->port, from => 's@x.test',
    to => [ 'alice@users.test', 'bob@users.test' ],
    data => "Subject: template\n\nfor each user\n");
ok($res->{ok}, 'message for two users accepted') or diag explain $res;
for my $u (qw(alice bob)) {
	my @uf = maildir_wait($d->dir . "/mail/users.test/$u", 1, 10);
	is(scalar @uf, 1, "$u: one file in mail/users.test/$u");
	my $uc = slurp($uf[0] // '/nonexistent') // '';
	like($uc, qr/\n\nfor each user\n\z/, "$u: body with LF endings");
}
# A recipient is the network's: a quoted local part can hold '/' and
# dots, yet its piece of the path stays one element inside mail/ (no '/',
# no leading '.'), and nothing is written outside it.
my @hostile = ('"../../escape"@users.test', '".."@users.test',
    '"./x/../.."@users.test');
$res = send_mail(port => $d->port, from => 's@x.test', to => \@hostile,
    data => "Subject: hostile\n\nclimb\n");
ok($res->{ok}, 'message for three dotted local parts accepted')
    or diag explain $res;
ok(wait_for(sub { !$d->queued }, 10), 'all three delivered');
my @escaped;
find_files($d->dir, sub {
	my ($p) = @_;
	push @escaped, $p if $p =~ m{/new/[^/]+$}
	    && $p !~ m{^\Q$md\E/} && $p !~ m{^\Q${\$d->dir}\E/mail/users\.test/[^/]+/new/[^/]+$};
});
is_deeply(\@escaped, [], 'no message file outside mail/users.test/<one element>/new/');
opendir(my $uh, $d->dir . '/mail/users.test') or die "mail/users.test: $!";
my @el = sort grep { !/^\.\.?$/ } readdir($uh);
closedir($uh);
# The local part keeps its quotes, so no piece is "." or ".."; the
# slashes become "_".
is_deeply(\@el, [ sort('".."', '".._.._escape"', '"._x_.._.."', 'alice', 'bob') ],
    'each dotted local part is one element, quotes kept, slashes made "_"')
    or diag explain \@el;
ok(!-e $d->dir . '/escape' && !-e $d->dir . '/mail/escape',
    'nothing created where the dots pointed');

my @all = maildir_files($md);
is(scalar @all, 1, 'nothing else went to the default box');
ok(wait_for(sub { !$d->queued }, 5), 'spool empty');
done_testing();
