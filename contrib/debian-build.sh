#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# debian-build.sh TARBALL -- build the Debian package from a `make dist`
# tarball (debian/ is in it) with `dpkg-buildpackage -us -uc -b`, run
# lintian on it (errors fail), and show what it holds with dpkg-deb -c and
# -I.  The package is never installed: it would replace the MTA (Postfix)
# the test suite uses.  Needs debhelper, dpkg-dev, lintian and the
# build dependencies in debian/control.
set -eu
tarball=$(readlink -f "$1")
out=${DEB_OUT:-$(pwd)/build/deb}
rm -rf "$out"
mkdir -p "$out"
tar -C "$out" -xzf "$tarball"
cd "$out"/smarthostd-*/
dpkg-buildpackage -us -uc -b >"$out/dpkg-buildpackage.log" 2>&1 || {
	tail -80 "$out/dpkg-buildpackage.log"; exit 1; }
grep -E '^# (TOTAL|PASS|FAIL|ERROR):' test-suite.log || true
cd "$out"
deb=$(ls smarthostd_*.deb)
echo "--- dpkg-deb -I $deb"
dpkg-deb -I "$deb"
echo "--- dpkg-deb -c $deb"
dpkg-deb -c "$deb"
echo "--- lintian (errors fail the build; warnings and info listed)"
lintian --fail-on error -EvIL +pedantic --tag-display-limit 0 "$deb" 2>&1 |
    grep -v '^running with root privileges' || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || {
	echo "lintian reports errors" >&2; exit 1; }

# What a packager promised: check it is there.
fail=0
list=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/smarthostd ./usr/bin/smarthostctl \
    ./usr/bin/smarthost-sendmail ./usr/sbin/sendmail ./usr/bin/mailq \
    ./usr/lib/sendmail ./lib/systemd/system/smarthostd.service \
    ./usr/lib/tmpfiles.d/smarthostd.conf ./usr/lib/sysusers.d/smarthostd.conf \
    ./usr/share/man/man8/smarthostd.8.gz ./usr/share/man/man5/smarthostd.conf.5.gz \
    ./etc/smarthostd.conf; do
	echo "$list" | grep -q " $f\( \|$\)" ||
	    { echo "missing from the package: $f" >&2; fail=1; }
done
dpkg-deb -f "$deb" Provides | grep -q mail-transport-agent ||
    { echo "does not provide mail-transport-agent" >&2; fail=1; }
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/smarthostd.conf ||
    { echo "/etc/smarthostd.conf is not a conffile" >&2; fail=1; }
[ $fail = 0 ] && echo "Debian package $deb: OK"
exit $fail
