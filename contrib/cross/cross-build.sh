#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# cross-build.sh -- build smarthostd for router and server CPUs with
# Debian's cross toolchains, and test the result under qemu-user-static.
#
# usage: contrib/cross/cross-build.sh [--small] [--enable-X|--disable-X]... TARBALL ARCH...
#        contrib/cross/cross-build.sh --install ARCH...    (as root)
#   TARBALL  a `make dist` tarball (smarthostd-VERSION.tar.gz)
#   ARCH     armhf, arm64, mipsel, s390x (big-endian)
#   --install  add the foreign architectures and install
#              crossbuild-essential-ARCH, qemu-user-static and swaks; never
#              any :ARCH library (see below)
#   --small    configure with --enable-small
#   --enable-X, --disable-X  passed to configure as they are (e.g.
#              --small --enable-dkim keeps DKIM's tests under qemu)
#
# For each ARCH: the :ARCH library packages are fetched with `apt-get
# download` and unpacked into a private sysroot (build/cross/ARCH/root);
# they are never installed.  On Debian 12, libevent-dev and libudns-dev
# are not Multi-Arch: same, so installing libevent-dev:armhf would remove
# the native libevent-dev; and libssl3:mipsel/s390x lag the amd64 version
# from bookworm-security, so they cannot be installed next to it either.
# Then: configure --host, make, the unit tests under qemu, and a smoke
# test (the daemon from etc/smarthostd.conf under qemu, one message sent
# with swaks, found in the Maildir, `smarthostctl stats` answering,
# SIGTERM exits 0).  binfmt_misc is not needed: qemu-ARCH-static is
# invoked explicitly, with -L /usr/TRIPLET for the cross libc.
#
# Prints the stripped size of smarthostd per architecture at the end.
set -eu

install=0 small= features=
while [ $# -gt 0 ]; do
	case $1 in
	--install) install=1; shift ;;
	--small) small=--enable-small; shift ;;
	--enable-*|--disable-*) features="$features $1"; shift ;;
	*) break ;;
	esac
done
usage() { sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
work=${CROSS_WORK:-$top/build/cross}

triplet() {
	case $1 in
	armhf) echo arm-linux-gnueabihf ;;
	arm64) echo aarch64-linux-gnu ;;
	mipsel) echo mipsel-linux-gnu ;;
	s390x) echo s390x-linux-gnu ;;
	*) echo "unknown architecture $1" >&2; exit 2 ;;
	esac
}
qemu_for() {
	case $1 in
	armhf) echo qemu-arm-static ;;
	arm64) echo qemu-aarch64-static ;;
	mipsel) echo qemu-mipsel-static ;;
	s390x) echo qemu-s390x-static ;;
	esac
}

# The :ARCH packages unpacked into the sysroot: headers, .so links, .pc
# files and the shared libraries the binaries run with under qemu.
LIBS="libevent-dev libevent-2.1-7 libevent-core-2.1-7 libevent-extra-2.1-7
libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libssl-dev libssl3
libconfig-dev libconfig9 libudns-dev libudns0 libcrypt-dev libcrypt1"

if [ "$install" = 1 ]; then
	[ $# -ge 1 ] || usage
	export DEBIAN_FRONTEND=noninteractive
	pkgs="qemu-user-static swaks python3"
	for a in "$@"; do
		triplet "$a" >/dev/null
		dpkg --add-architecture "$a"
		pkgs="$pkgs crossbuild-essential-$a"
	done
	apt-get update -qq
	# Refuse anything that would remove a package on this machine.
	if apt-get -s install --no-install-recommends $pkgs | grep '^Remv'; then
		echo "cross-build: installing would remove the packages above" >&2
		exit 1
	fi
	apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
	exit 0
fi
[ $# -ge 2 ] || usage
tarball=$(readlink -f "$1"); shift

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sizes=
for arch in "$@"; do
	t=$(triplet "$arch")
	qemu=$(qemu_for "$arch")
	d=$work/$arch
	root=$d/root
	echo "=== $arch ($t) ==="
	rm -rf "$d"
	mkdir -p "$d/debs" "$root"
	pkgs=
	for p in $LIBS; do pkgs="$pkgs $p:$arch"; done
	(cd "$d/debs" && apt-get download -qq $pkgs)
	for deb in "$d"/debs/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	# Absolute links (libcrypt.so -> /lib/...) must point into the root.
	find "$root" -type l | while read -r l; do
		case $(readlink "$l") in
		/*) ln -sfn "$root$(readlink "$l")" "$l" ;;
		esac
	done
	libpath=$root/usr/lib/$t:$root/lib/$t
	# /lib first: under -L it is /usr/$t/lib, the libc that matches the
	# cross ld.so.  Without it, a multiarch libc6:$arch installed on the
	# host could be picked through the host's ld.so.cache, and a libc
	# from another build than ld.so crashes in pthread_create.
	runpath=/lib:$libpath
	run="$qemu -L /usr/$t -E LD_LIBRARY_PATH=$runpath"

	tar -C "$d" -xzf "$tarball"
	src=$(echo "$d"/smarthostd-*/)
	(
		cd "$src"
		./configure -q --host="$t" --enable-werror $small $features \
		    PKG_CONFIG_LIBDIR="$root/usr/lib/$t/pkgconfig:$root/usr/share/pkgconfig" \
		    PKG_CONFIG_SYSROOT_DIR="$root" \
		    CPPFLAGS="-I$root/usr/include/$t -I$root/usr/include" \
		    LDFLAGS="-L$root/usr/lib/$t -L$root/lib/$t -Wl,-rpath-link,$libpath"
		make -s -j"$(nproc)" >/dev/null
		file src/smarthostd
		echo "--- unit tests under $qemu"
		make -s check-unit LOG_COMPILER="$qemu" \
		    AM_LOG_FLAGS="-L /usr/$t -E LD_LIBRARY_PATH=$runpath" \
		    >"$d/check-unit.out" 2>&1 || {
			cat "$d/check-unit.out"; cat test-suite.log; exit 1; }
		grep -E '^# (TOTAL|PASS|FAIL|ERROR):' test-suite.log
	)

	echo "--- smoke test: daemon from etc/smarthostd.conf under $qemu"
	smoke=$d/smoke
	mkdir -p "$smoke/etc"
	port=$(free_port)
	sed "s/port = 2525;/port = $port;/" "$src/etc/smarthostd.conf" \
	    > "$smoke/etc/smarthostd.conf"
	$run "$src/src/smarthostd" -f -c "$smoke/etc/smarthostd.conf" \
	    >"$smoke/daemon.log" 2>&1 &
	pid=$!
	ok=0
	for i in $(seq 1 100); do
		if swaks --server "127.0.0.1:$port" --quit-after CONNECT \
		    >/dev/null 2>&1; then ok=1; break; fi
		sleep 0.2
	done
	token="cross-$arch-$$"
	[ $ok = 1 ] && swaks --server "127.0.0.1:$port" --from me@example.com \
	    --to someone@example.com --header "Subject: $token" \
	    --body "hello from $arch" >"$smoke/swaks.log" 2>&1 || ok=0
	found=
	for i in $(seq 1 100); do
		found=$(grep -l "Subject: $token" "$smoke"/var/Maildir/new/* \
		    2>/dev/null || true)
		[ -n "$found" ] && break
		sleep 0.2
	done
	stats=$($run "$src/src/smarthostctl" -c "$smoke/etc/smarthostd.conf" \
	    stats 2>&1 || true)
	kill -TERM "$pid" 2>/dev/null || true
	st=0
	wait "$pid" || st=$?
	if [ $ok = 1 ] && [ -n "$found" ] && [ $st = 0 ] &&
	    echo "$stats" | grep -q 'received.*1'; then
		echo "smoke test passed: message in $(basename "$found"); daemon exit 0"
	else
		echo "smoke test FAILED for $arch (accepted=$ok, file=$found, exit=$st)"
		echo "--- daemon log"; cat "$smoke/daemon.log"
		echo "--- swaks"; cat "$smoke/swaks.log" 2>/dev/null || true
		echo "--- smarthostctl stats"; echo "$stats"
		exit 1
	fi

	"$t-strip" -o "$d/smarthostd.stripped" "$src/src/smarthostd"
	size=$(stat -c %s "$d/smarthostd.stripped")
	sizes="$sizes$arch $size
"
done

echo "=== stripped smarthostd${small:+ ($small$features)}: bytes (KiB) ==="
printf '%s' "$sizes" | while read -r a s; do
	printf '%-8s %8d (%d KiB)\n' "$a" "$s" $(((s + 1023) / 1024))
done
