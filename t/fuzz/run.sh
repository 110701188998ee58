#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# run.sh -- build the libFuzzer harnesses and run each for a bounded time
# (`make fuzz`, and .ci/run).  Called by the Makefile as
#
#   run.sh SRCDIR BUILDDIR SECONDS "LIB_SOURCES" "LIBS" harness...
#
# The library sources (everything but main()) are compiled once with the
# fuzzer's instrumentation into BUILDDIR/t/fuzz/lib.a; each harness
# t/fuzz/NAME-fuzz.c is linked with it.  A harness starts from its seed
# corpus t/fuzz/corpus/NAME/ (copied, so the tree is never written to) and
# runs for SECONDS.  Exits non-zero when a harness does not build or finds
# a crash, leak or timeout (the input that did it is kept in
# BUILDDIR/t/fuzz/NAME.crashes/).  CC must be clang; CFLAGS_FUZZ may
# replace the sanitizer flags.
set -eu
srcdir=$1 builddir=$2 seconds=$3 libsrcs=$4 libs=$5
shift 5
CC=${CC_FUZZ:-clang}
F=${CFLAGS_FUZZ:--g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all}
DEFS=${FUZZ_DEFS:-}
out=$builddir/t/fuzz
mkdir -p "$out/obj"

if ! $CC --version 2>/dev/null | grep -q clang; then
	echo "fuzz: clang is needed (Debian package clang)" >&2
	exit 1
fi

echo "fuzz: building the library with $CC"
# An object is rebuilt when its source or any header is newer.
newest_h=$(ls -t "$srcdir"/src/*.h | head -n 1)
objs=
for s in $libsrcs; do
	case $s in *.c) ;; *) continue ;; esac
	o=$out/obj/$(basename "$s" .c).o
	if [ ! -f "$o" ] || [ "$srcdir/$s" -nt "$o" ] ||
	    [ "$newest_h" -nt "$o" ]; then
		$CC $F -fsanitize=fuzzer-no-link $DEFS -I"$srcdir/src" \
		    -c -o "$o" "$srcdir/$s"
	fi
	objs="$objs $o"
done
rm -f "$out/lib.a"
ar rcs "$out/lib.a" $objs

failed=0
for h in "$@"; do
	bin=$out/$h-fuzz
	if ! $CC $F -fsanitize=fuzzer $DEFS -I"$srcdir/src" -o "$bin" \
	    "$srcdir/t/fuzz/$h-fuzz.c" "$out/lib.a" $libs; then
		echo "fuzz: $h: does not build" >&2
		failed=1
		continue
	fi
	corpus=$out/$h.corpus
	rm -rf "$corpus" "$out/$h.crashes"
	mkdir -p "$corpus" "$out/$h.crashes"
	if [ -d "$srcdir/t/fuzz/corpus/$h" ]; then
		cp "$srcdir/t/fuzz/corpus/$h"/* "$corpus"/ 2>/dev/null || :
	fi
	echo "fuzz: $h: running for ${seconds}s"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix="$out/$h.crashes/" "$corpus" \
	    > "$out/$h.log" 2>&1; then
		grep -E '^stat::number_of_executed_units' "$out/$h.log" |
		    sed "s/^/fuzz: $h: /"
	else
		echo "fuzz: $h: FAILED, see $out/$h.log and $out/$h.crashes/" >&2
		tail -40 "$out/$h.log" >&2
		failed=1
	fi
done
[ $failed = 0 ] && echo "fuzz: every harness ran clean"
exit $failed
