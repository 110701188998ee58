#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# verify.sh TARBALL -- build the distribution tarball with a private prefix,
# install it with the systemd files, and run `systemd-analyze verify` on the
# installed unit (it checks that every command in it exists and that the
# man pages it names are there).  Needs no running systemd: it works in a
# container whose PID 1 is anything.
set -eu
tarball=$(readlink -f "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzf "$tarball"
cd "$tmp"/smarthostd-*/
./configure --prefix="$tmp/inst" \
    --with-systemdsystemunitdir="$tmp/inst/lib/systemd/system" >/dev/null
make -j"$(nproc)" >/dev/null
make install >/dev/null
unit=$tmp/inst/lib/systemd/system/smarthostd.service
MANPATH=$tmp/inst/share/man systemd-analyze verify "$unit"
echo "systemd-analyze verify: OK"
systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -n 1 || true
