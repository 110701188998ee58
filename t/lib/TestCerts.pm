# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
package TestCerts;

# TestCerts -- the certificates the TLS tests need, made on the spot with the
# `openssl` command in a private temporary directory: a test CA, a server
# certificate for 127.0.0.1/localhost signed by it, one signed by the same CA
# for the wrong name, and an expired one for the right name.  Nothing is
# checked in, so no certificate in the tree can ever expire under us.
#
#	my $c = TestCerts->new();
#	$c->{ca_cert} $c->{ca_key}
#	$c->{server_cert} $c->{server_key}	CN=localhost, SAN IP:127.0.0.1,DNS:localhost
#	$c->{wrong_cert} $c->{wrong_key}	CN=wrong.example, SAN DNS:wrong.example
#	$c->{expired_cert} $c->{expired_key}	right names, validity in 2001
#	$c->{client_cert} $c->{client_key}	CN=client.test, for TLS client auth
#	$c->{dir}
#	my ($cert, $key, $chain) = $c->issue('mx.a.test');
#		a server certificate for that DNS name, signed by the CA;
#		$chain is the certificate followed by the CA's
#	$c->tlsa($cert, $selector, $mtype)
#		TLSA association data (hex) of a certificate: selector 0
#		(whole certificate) or 1 (public key), matching type 0, 1
#		(SHA-256) or 2 (SHA-512)
#	my ($crt, $key) = $c->issue_names('mx', 'DNS:mx.a.test', ...);
#		one certificate for several names
#
# The directory is removed when the process exits unless
# SMARTHOST_TEST_KEEP is set.  new() dies if openssl fails, with its output.

use strict;
use warnings;

use File::Spec;
use File::Temp ();
use POSIX ();

sub run {
	my ($dir, @cmd) = @_;
	my $out = File::Spec->catfile($dir, 'openssl.out');
	my $pid = fork();
	die "fork: $!\n" unless defined $pid;
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $out);
		open(STDERR, '>&', \*STDOUT);
		chdir($dir);
		exec('openssl', @cmd) or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	if ($? != 0) {
		my $log = '';
		if (open(my $fh, '<', $out)) {
			local $/;
			$log = <$fh> // '';
		}
		die "openssl @cmd: failed ($?)\n$log";
	}
}

sub write_file {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!\n";
	print $fh $text;
	close($fh) or die "$path: $!\n";
}

# A key and a CSR for the given subject.
sub key_csr {
	my ($dir, $name, $cn) = @_;
	run($dir, 'req', '-new', '-newkey', 'rsa:2048', '-nodes',
	    '-keyout', "$name.key", '-out', "$name.csr", '-subj', "/CN=$cn");
}

sub new {
	my ($class, %opt) = @_;
	my $dir = File::Temp::tempdir('testcerts-XXXXXX', TMPDIR => 1,
	    CLEANUP => !$ENV{SMARTHOST_TEST_KEEP});
	my $self = bless { dir => $dir }, $class;

	# A minimal CA directory for `openssl ca`, which (unlike x509 -req)
	# takes explicit -startdate/-enddate, the only portable way to make a
	# certificate that is already expired.
	mkdir("$dir/newcerts") or die "$dir/newcerts: $!\n";
	write_file("$dir/index.txt", '');
	write_file("$dir/serial", "1000\n");
	write_file("$dir/ca.cnf", <<"EOF");
[ ca ]
default_ca = testca

[ testca ]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no

[ anything ]
commonName = supplied

[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ server ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ client ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ wrong ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

	run($dir, 'req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes',
	    '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
	    '-subj', '/CN=smarthostd test CA', '-config', 'ca.cnf',
	    '-extensions', 'v3_ca');

	my %certs = (
		server => [ 'localhost', 'server', '20200101000000Z',
		    '20491231235959Z' ],
		wrong => [ 'wrong.example', 'wrong', '20200101000000Z',
		    '20491231235959Z' ],
		expired => [ 'localhost', 'server', '20010101000000Z',
		    '20020101000000Z' ],
		client => [ 'client.test', 'client', '20200101000000Z',
		    '20491231235959Z' ],
	);
	for my $name (sort keys %certs) {
		my ($cn, $ext, $start, $end) = @{$certs{$name}};
		key_csr($dir, $name, $cn);
		run($dir, 'ca', '-batch', '-config', 'ca.cnf', '-notext',
		    '-extensions', $ext, '-startdate', $start,
		    '-enddate', $end, '-in', "$name.csr",
		    '-out', "$name.crt");
		$self->{"${name}_cert"} = "$dir/$name.crt";
		$self->{"${name}_key"} = "$dir/$name.key";
	}
	$self->{ca_cert} = "$dir/ca.crt";
	$self->{ca_key} = "$dir/ca.key";
	# The daemon may run as another user in some setups: keys readable.
	chmod(0644, glob("$dir/*.key"));
	return $self;
}

# A server certificate for DNS name $name signed by the test CA, with its
# key and a chain file (the certificate, then the CA's).
sub issue {
	my ($self, $name) = @_;
	my $dir = $self->{dir};
	(my $base = "issued-$name") =~ s/[^A-Za-z0-9.-]/_/g;
	write_file("$dir/$base.ext", <<"EOF");
[ ext ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$name
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	key_csr($dir, $base, $name);
	run($dir, 'ca', '-batch', '-config', 'ca.cnf', '-notext',
	    '-extfile', "$base.ext", '-extensions', 'ext',
	    '-startdate', '20200101000000Z', '-enddate', '20491231235959Z',
	    '-in', "$base.csr", '-out', "$base.crt");
	chmod(0644, "$dir/$base.key");
	open(my $out, '>', "$dir/$base.chain") or die "$base.chain: $!\n";
	for my $f ("$dir/$base.crt", $self->{ca_cert}) {
		open(my $in, '<', $f) or die "$f: $!\n";
		local $/;
		my $pem = <$in>;
		print {$out} $pem;
	}
	close($out) or die "$base.chain: $!\n";
	return ("$dir/$base.crt", "$dir/$base.key", "$dir/$base.chain");
}

# TLSA certificate association data (hex) of the PEM certificate $cert:
# selector 0 (the DER certificate) or 1 (its SubjectPublicKeyInfo),
# matching type 0 (the DER itself), 1 (SHA-256) or 2 (SHA-512).
sub tlsa {
	my ($self, $cert, $selector, $mtype) = @_;
	my $dir = $self->{dir};
	my $der = "$dir/tlsa.der";
	if ($selector == 0) {
		run($dir, 'x509', '-in', $cert, '-outform', 'DER', '-out', $der);
	} else {
		run($dir, 'x509', '-in', $cert, '-noout', '-pubkey',
		    '-out', "$dir/tlsa.pub");
		run($dir, 'pkey', '-pubin', '-in', "$dir/tlsa.pub",
		    '-outform', 'DER', '-out', $der);
	}
	open(my $fh, '<:raw', $der) or die "$der: $!\n";
	local $/;
	my $bytes = <$fh>;
	close($fh);
	require Digest::SHA;
	return unpack('H*', $mtype == 0 ? $bytes : $mtype == 1 ?
	    Digest::SHA::sha256($bytes) : Digest::SHA::sha512($bytes));
}

# A server certificate of this CA for several names: issue_names('mx',
# 'DNS:mx.a.test', 'DNS:*.b.test') makes $dir/mx.crt and $dir/mx.key (CN
# the first name) and returns their paths.
sub issue_names {
	my ($self, $name, @sans) = @_;
	my $dir = $self->{dir};
	(my $cn = $sans[0]) =~ s/^\w+://;
	write_file("$dir/$name.ext", "basicConstraints = CA:false\n"
	    . "keyUsage = critical,digitalSignature,keyEncipherment\n"
	    . "extendedKeyUsage = serverAuth\n"
	    . 'subjectAltName = ' . join(',', @sans) . "\n");
	key_csr($dir, $name, $cn);
	run($dir, 'x509', '-req', '-in', "$name.csr", '-CA', 'ca.crt',
	    '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650',
	    '-sha256', '-extfile', "$name.ext", '-out', "$name.crt");
	chmod(0644, "$dir/$name.key");
	return ("$dir/$name.crt", "$dir/$name.key");
}

# Subject and issuer of a certificate as openssl prints them, for tests that
# compare what a client saw with what was configured.
sub subject {
	my ($self, $cert) = @_;
	my $s = `openssl x509 -noout -subject -in '$cert' 2>/dev/null`;
	chomp $s;
	$s =~ s/^subject=\s*//;
	return $s;
}

sub issuer {
	my ($self, $cert) = @_;
	my $s = `openssl x509 -noout -issuer -in '$cert' 2>/dev/null`;
	chomp $s;
	$s =~ s/^issuer=\s*//;
	return $s;
}

# Start TLS on an smtp_session's socket (SmarthostTest), verifying this CA
# and the name localhost; false, with a test diagnostic, when it fails.
sub tls_up {
	my ($self, $s) = @_;
	require IO::Socket::SSL;
	my $ok = IO::Socket::SSL->start_SSL($s->sock,
	    SSL_ca_file => $self->{ca_cert},
	    SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
	    SSL_verifycn_name => 'localhost',
	    SSL_verifycn_scheme => 'smtp',
	    SSL_hostname => 'localhost',
	    Timeout => 10);
	Test::More::diag("start_SSL: " . IO::Socket::SSL::errstr()) unless $ok;
	return $ok;
}

1;
