#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# fake-maildrop.sh -- a test peer for the maildrop relayer (t/integration/
# maildrop.t): a real program the real daemon runs.
#
# Usage: fake-maildrop.sh OUTDIR ARG...
# Records its arguments (one per line, in OUTDIR/<n>.argv, n counting the
# runs), its stdin (OUTDIR/<n>.stdin) and its environment (OUTDIR/<n>.env),
# then behaves according to the local part of RECIPIENT:
#   exit0*   exit 0 (delivered)
#   exit75once*  exit 75 (with a message on stderr) the first time, 0 after
#   exit75*  print to stderr, exit 75 (EX_TEMPFAIL)
#   exit1*   print a two-line complaint to stderr, exit 1 (permanent)
#   sleep*   sleep for a long time (the relayer's timeout must kill it);
#            OUTDIR/<n>.sleep.pid gets the pid of the sleeping process
#   early*   exit 0 without reading stdin
#   anything else: exit 0
# It never evaluates its arguments: they are only written out with printf.

out=$1
shift
# One file per run; mkdir is atomic, so concurrent runs cannot collide.
n=1
while ! mkdir "$out/run.$n" 2>/dev/null; do
	n=$((n + 1))
done

case "${RECIPIENT%@*}" in
early*)
	env > "$out/$n.env"
	printf '%s\n' "$@" > "$out/$n.argv"
	exit 0
	;;
esac

# Everything under temporary names first: the .argv file appears last, once
# the whole of stdin is in, so a test that sees it sees a complete run.
env > "$out/$n.env.tmp"
printf '%s\n' "$@" > "$out/$n.argv.tmp"
cat > "$out/$n.stdin.tmp"
mv "$out/$n.env.tmp" "$out/$n.env"
mv "$out/$n.stdin.tmp" "$out/$n.stdin"
mv "$out/$n.argv.tmp" "$out/$n.argv"

case "${RECIPIENT%@*}" in
exit0*)
	exit 0
	;;
exit75once*)
	# Transient the first time, delivered on the retry.
	if mkdir "$out/exit75once.seen" 2>/dev/null; then
		echo "mailbox locked, try later" >&2
		exit 75
	fi
	exit 0
	;;
exit75*)
	echo "mailbox locked, try later" >&2
	exit 75
	;;
exit1*)
	echo "fake-maildrop: no such mailbox" >&2
	echo "second line" >&2
	exit 1
	;;
sleep*)
	sleep 300 &
	echo $! > "$out/$n.sleep.pid"
	wait
	exit 0
	;;
esac
exit 0
