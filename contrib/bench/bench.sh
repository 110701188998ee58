#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# bench.sh — smarthostd and a private Postfix side by side, in one run:
#
#	smtp-source -> relay (smarthostd | Postfix) -> smtp-sink
#
# plus "direct": smtp-source straight into smtp-sink with the same knobs,
# the ceiling of this machine.  On 127.0.0.1 high ports, fsync on (the
# default of both).  For each workload (W1 5,000 x 4 KiB; W2 2,000 x 4 KiB
# to 5 recipients; W3 2,000 x 100 KiB; W4 5,000 x 4 KiB over reused
# connections) and each relay: accepted msgs/s (N / smtp-source wall
# time), relayed msgs/s (N / time from the start until the sink has all
# N), messages lost, peak PSS of the relay (all its processes) sampled
# every 100 ms, and its CPU seconds per 1,000 messages (/proc/PID/stat).
# Then a short separate run under strace counts fsyncs per message.
# See README.md.
#
# W5 (queued.sh, not in the default list) measures the cost of 50,000
# messages already queued: recovery at start, new mail beside them, and
# their drain.
#
# Environment: WORKLOADS ("W1 W2 W3 W4"; W5 too), N (each workload's own count
# unless set), SESSIONS (20), FSYNC_N (200; 0: no strace run), SMARTHOSTD
# (./src/smarthostd), RELAYS ("direct smarthostd postfix"; also dkim-rsa
# and dkim-ed25519: smarthostd signing every message with an RSA-2048 or
# an Ed25519 key), TIMEOUT (600 seconds per relay), KEEP (1: keep the
# work directory); for W5 also QUEUED (50000), QTIMEOUT (3600 seconds per
# step), SMARTHOSTCTL (next to SMARTHOSTD).
set -u

N_ENV_SAVED=${N:-}
SESSIONS=${SESSIONS:-20}
WORKLOADS=${WORKLOADS:-"W1 W2 W3 W4"}
FSYNC_N=${FSYNC_N:-200}
SMARTHOSTD=${SMARTHOSTD:-./src/smarthostd}
RELAYS=${RELAYS:-"direct smarthostd postfix"}
TIMEOUT=${TIMEOUT:-600}
KEEP=${KEEP:-0}
SINK=${SINK:-/usr/sbin/smtp-sink}
SOURCE=${SOURCE:-/usr/sbin/smtp-source}
POSTFIX=${POSTFIX:-/usr/sbin/postfix}
POSTCONF=${POSTCONF:-/usr/sbin/postconf}

FROM=sender@bench.example
TO=rcpt@bench.example

die() { echo "bench.sh: $*" >&2; exit 1; }
log() { echo "bench.sh: $*" >&2; }
now() { date +%s.%N; }

for t in "$SINK" "$SOURCE"; do
	[ -x "$t" ] || die "$t not found (Postfix's smtp-sink/smtp-source)"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/smarthost-bench.XXXXXX") || die "mktemp"
# Postfix's unprivileged processes must be able to reach their queue.
chmod 755 "$W"
case $(stat -f -c %T "$W" 2>/dev/null) in
tmpfs|ramfs)	log "warning: $W is on $(stat -f -c %T "$W"): fsync costs nothing there" ;;
esac
WD=$W		# the current workload's directory
PIDS=""		# processes to stop at exit, by pid
SAMPLER=""

cleanup() {
	local p
	[ -n "$SAMPLER" ] && stop_sampler
	[ -f "$WD/postfix/etc/main.cf" ] && postfix_stop
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
	done
	if [ "$KEEP" = 1 ]; then
		log "work directory kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_gone PID SECONDS: 0 once the process is gone.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# A TCP port on 127.0.0.1 that nobody listens on.
free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	die "no free port"
}

# wait_port PORT SECONDS: 0 once something accepts on 127.0.0.1:PORT.
wait_port() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The pids of ROOT and all its descendants.
tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
	    { parent[$1] = $2 }
	    END {
		in_tree[root] = 1; n = 1
		do {
			added = 0
			for (p in parent)
				if (!(p in in_tree) && (parent[p] in in_tree)) {
					in_tree[p] = 1; added++
				}
		} while (added)
		for (p in in_tree) print p
	    }'
}

# Total PSS in KiB of ROOT and its descendants.
pss_tree() {
	local p
	for p in $(tree "$1"); do
		cat "/proc/$p/smaps_rollup" 2>/dev/null
	done | awk '$1 == "Pss:" { s += $2 } END { print s + 0 }'
}

# Keep the peak PSS of ROOT's tree in FILE, every 100 ms, until stopped.
start_sampler() {
	local root=$1 file=$2
	echo 0 > "$file"
	(
		max=0
		end=$((SECONDS + TIMEOUT + 120))
		while [ ! -e "$W/stop-sampler" ] && [ $SECONDS -lt $end ]; do
			v=$(pss_tree "$root")
			if [ "$v" -gt "$max" ]; then
				max=$v
				echo "$max" > "$file"
			fi
			sleep 0.1
		done
	) &
	SAMPLER=$!
}

stop_sampler() {
	touch "$W/stop-sampler"
	wait_gone "$SAMPLER" 5 || kill -KILL "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	rm -f "$W/stop-sampler"
	SAMPLER=""
}

# Start a sink on PORT dumping into DIR; sets SINKPID.
start_sink() {
	local port=$1 dir=$2 user=()
	mkdir -p "$dir" && chmod 1777 "$dir"
	# smtp-sink refuses to run as root without dropping privileges.
	[ "$(id -u)" = 0 ] && user=(-u nobody)
	"$SINK" "${user[@]}" -c -D "$dir/dump" "127.0.0.1:$port" 1024 \
	    > "$dir/counters" 2> "$dir/stderr" &
	SINKPID=$!
	SINKPORT=$port
	PIDS="$PIDS $SINKPID"
	wait_port "$port" 10 || die "smtp-sink did not start: $(cat "$dir/stderr")"
}

# Messages the sink has taken so far (its -c counters, \r-separated).
sink_count() {
	tail -c 200 "$1/counters" 2>/dev/null | tr '\r' '\n' |
	    sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | awk '{ n = $1 } END { print n + 0 }'
}

# CPU time in clock ticks used so far by ROOT and its descendants:
# utime + stime of the live ones (all their threads), plus cutime + cstime,
# the time of the children they have already reaped (Postfix's master
# reaps smtpd, cleanup, smtp... as they exit).
cpu_tree() {
	local p
	for p in $(tree "$1"); do
		# The fields after the command name, which may hold spaces.
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null
	done | awk '{ s += $12 + $13 + $14 + $15 } END { print s + 0 }'
}

# run_one NAME PORT SINKDIR ROOTPID: drive one relay, write NAME.result.
# ROOTPID is "" for the direct run (no relay: nothing to sample).
run_one() {
	local name=$1 port=$2 sinkdir=$3 root=$4
	local t0 t1 t2 rc got end total unique lost dups pss cpu0 cpu1
	local expect=$((N * RCPTS)) opts=(-N -s "$SESSIONS" -m "$N" -l "$SIZE")

	[ "$RCPTS" -gt 1 ] && opts+=(-r "$RCPTS")
	[ "$REUSE" = 1 ] && opts+=(-d)
	if [ -n "$root" ]; then
		start_sampler "$root" "$WD/$name.pss"
		cpu0=$(cpu_tree "$root")
	fi
	log "$WL $name: sending $N messages of $SIZE bytes to $RCPTS" \
	    "recipient(s) in $SESSIONS sessions, reuse=$REUSE"
	[ -n "$root" ] && [ "$STRACE" = 1 ] && start_strace "$root" "$WD/$name.strace"
	t0=$(now)
	# -N: a distinct recipient per message, so that the sink's dump shows
	# every message exactly once.
	timeout "$TIMEOUT" "$SOURCE" "${opts[@]}" \
	    -f "$FROM" -t "$TO" "127.0.0.1:$port" > "$WD/$name.source" 2>&1
	rc=$?
	t1=$(now)
	[ $rc = 0 ] || log "$name: smtp-source failed ($rc): $(tail -n 3 "$WD/$name.source")"

	# Relayed: until the sink has N messages, or the time is up.
	end=$((SECONDS + TIMEOUT))
	got=0
	while [ $SECONDS -lt $end ]; do
		got=$(sink_count "$sinkdir")
		[ "$got" -ge "$N" ] && break
		sleep 0.05
	done
	t2=$(now)
	[ -n "$root" ] && cpu1=$(cpu_tree "$root")
	[ -n "$STRACEPID" ] && stop_strace
	[ "$got" -ge "$N" ] || log "$name: the sink has $got of $N after ${TIMEOUT}s"
	# A moment for duplicates still on their way, then count.
	sleep 1
	if [ -n "$root" ]; then
		stop_sampler
		pss=$(cat "$WD/$name.pss")
	fi

	total=$(grep -c '^X-Rcpt-Args:' "$sinkdir/dump" 2>/dev/null)
	unique=$(grep '^X-Rcpt-Args:' "$sinkdir/dump" 2>/dev/null | sort -u | wc -l)
	lost=$((expect - unique))
	dups=$((total - unique))
	awk -v n="$N" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v rc="$rc" \
	    -v got="$got" -v lost="$lost" -v dups="$dups" -v pss="${pss:--}" \
	    -v cpu0="${cpu0:-}" -v cpu1="${cpu1:-}" -v hz="$HZ" 'BEGIN {
		acc = rc == 0 ? sprintf("%.1f", n / (t1 - t0)) : "failed"
		rel = got >= n ? sprintf("%.1f", n / (t2 - t0)) : "timeout"
		# CPU seconds per 1,000 messages, start of sending to the last
		# message at the sink.
		cpu = cpu1 != "" ? sprintf("%.3f", (cpu1 - cpu0) / hz * 1000 / n) : "-"
		printf "accepted=%s relayed=%s lost=%d dups=%d pss=%s cpu=%s " \
		    "source_s=%.2f relay_s=%.2f\n", acc, rel, lost, dups, pss,
		    cpu, t1 - t0, t2 - t0
	    }' > "$WD/$name.result"
	if [ -f "$WD/$name.strace" ]; then
		awk -v n="$N" '$NF ~ /^(fsync|fdatasync|syncfs)$/ { c += $4 }
		    END { printf "fsyncs=%.2f\n", c / n }' "$WD/$name.strace" \
		    >> "$WD/$name.result"
	fi
	log "$WL $name: $(cat "$WD/$name.result")"
}

# Count ROOT's tree's fsync, fdatasync and syncfs calls (all threads, and
# the processes forked later) into FILE until stop_strace.
start_strace() {
	local p args=()
	for p in $(tree "$1"); do
		args+=(-p "$p")
	done
	strace -f -c -e trace=fsync,fdatasync,syncfs -o "$2" "${args[@]}" \
	    2> "$2.stderr" &
	STRACEPID=$!
	sleep 1		# let it attach before the load starts
}

stop_strace() {
	kill -TERM "$STRACEPID" 2>/dev/null
	wait "$STRACEPID" 2>/dev/null
	STRACEPID=""
}

# bench_direct: smtp-source straight into smtp-sink, no relay: the
# ceiling for this machine and these knobs.
bench_direct() {
	start_sink "$(free_port)" "$WD/sink-direct"
	run_one direct "$SINKPORT" "$WD/sink-direct" ""
	kill -TERM "$SINKPID" 2>/dev/null
	echo "left=-" >> "$WD/direct.result"
}

# bench_smarthostd [NAME ALG]: unsigned, or (ALG rsa or ed25519) with a
# dkim entry for smtp-source's From: domain, so that every message is
# signed.
bench_smarthostd() {
	local name=${1:-smarthostd} alg=${2:-} port sinkport pid dkim=""
	local d=$WD/$name
	if [ ! -x "$SMARTHOSTD" ]; then
		log "smarthostd: $SMARTHOSTD not found or not executable"
		return 1
	fi
	port=$(free_port)
	sinkport=$(free_port)
	mkdir -p "$d"		# smarthostd creates its spool 0700
	if [ -n "$alg" ]; then
		case $alg in
		rsa)	openssl genpkey -algorithm RSA -pkeyopt \
			    rsa_keygen_bits:2048 -out "$d/key.pem" 2>/dev/null ;;
		*)	openssl genpkey -algorithm ED25519 \
			    -out "$d/key.pem" 2>/dev/null ;;
		esac || { log "$name: openssl genpkey failed"; return 1; }
		chmod 600 "$d/key.pem"
		dkim="dkim = ( { domain = \"${FROM#*@}\"; selector = \"bench\"; key = \"$d/key.pem\"; } );"
	fi
	start_sink "$sinkport" "$WD/sink-$name"
	# The port was free when picked; another program on the machine may
	# take it before smarthostd binds it: then try another one.
	for try in 1 2 3; do
		cat > "$d/smarthostd.conf" <<-EOF
		hostname = "bench-smarthostd.localdomain";
		spool = "$d/spool";
		control = "";
		log = { to = "stderr"; level = "warn"; };
		# smtp-source reconnects as soon as it has its 221, often before the
		# daemon has seen the old connection close: leave room for that.
		listeners = (
		  { name = "bench"; address = "127.0.0.1"; port = $port;
		    relay_from = [ "127.0.0.0/8" ]; max_connections = $((SESSIONS * 5));
		    max_connections_per_ip = 0; }
		);
		relayers = (
		  { name = "sink"; type = "smtp"; host = "127.0.0.1"; port = $sinkport;
		    tls = "none"; pool_size = 20; }
		);
		routing = { default_relayer = "sink"; };
		$dkim
		EOF
		"$SMARTHOSTD" -f -c "$d/smarthostd.conf" 2> "$d/stderr" &
		pid=$!
		PIDS="$PIDS $pid"
		wait_port "$port" 10 && kill -0 "$pid" 2>/dev/null && break
		log "$name: did not start: $(tail -n 5 "$d/stderr")"
		kill -TERM "$pid" 2>/dev/null
		[ $try = 3 ] && return 1
		port=$(free_port)
	done
	run_one "$name" "$port" "$WD/sink-$name" "$pid"
	kill -TERM "$pid" 2>/dev/null
	wait_gone "$pid" 30 || { log "$name: no exit on SIGTERM"; kill -KILL "$pid"; }
	kill -TERM "$SINKPID" 2>/dev/null
	echo "left=$(find "$d/spool" -type f | wc -l)" >> "$WD/$name.result"
	# What reached the sink was signed (0 for the unsigned run).
	echo "signed=$(grep -c '^DKIM-Signature:' "$WD/sink-$name/dump")" \
	    >> "$WD/$name.result"
}

postfix_master_pid() {
	awk '{ print $1 }' "$WD/postfix/queue/pid/master.pid" 2>/dev/null
}

postfix_stop() {
	local mpid p
	mpid=$(postfix_master_pid)
	[ -n "$mpid" ] && kill -0 "$mpid" 2>/dev/null || return 0
	"$POSTFIX" -c "$WD/postfix/etc" stop > /dev/null 2>&1
	if ! wait_gone "$mpid" 20; then
		for p in $(tree "$mpid"); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
}

# A private instance: its own config directory, queue, data and log, only
# on 127.0.0.1:PORT; the system's /etc/postfix is only read (meta files).
bench_postfix() {
	local port sinkport d=$WD/postfix mpid
	[ -x "$POSTFIX" ] || { log "postfix: $POSTFIX not found"; return 1; }
	port=$(free_port)
	sinkport=$(free_port)
	start_sink "$sinkport" "$WD/sink-postfix"
	postfix_setup "$port" "$sinkport" || return 1
	mpid=$(postfix_master_pid)
	run_one postfix "$port" "$WD/sink-postfix" "$mpid"
	postfix_stop
	kill -TERM "$SINKPID" 2>/dev/null
	echo "left=$(find "$d/queue/incoming" "$d/queue/active" \
	    "$d/queue/deferred" "$d/queue/hold" "$d/queue/maildrop" \
	    -type f 2>/dev/null | wc -l)" >> "$WD/postfix.result"
}

# postfix_setup PORT SINKPORT: configure the private instance in
# $WD/postfix and start it, smtpd on PORT relaying to SINKPORT.
postfix_setup() {
	local port=$1 sinkport=$2 d=$WD/postfix
	mkdir -p "$d/etc" "$d/queue" "$d/data"
	chown postfix "$d/data" 2>/dev/null
	cat > "$d/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $d/queue
	data_directory = $d/data
	meta_directory = $("$POSTCONF" -dh meta_directory)
	mail_owner = postfix
	setgid_group = postdrop
	syslog_name = postfix-bench
	maillog_file = $d/maillog
	maillog_file_prefixes = $W
	myhostname = bench-postfix.localdomain
	mydomain = localdomain
	myorigin = \$myhostname
	mydestination =
	local_recipient_maps =
	alias_maps =
	alias_database =
	relay_domains =
	relayhost = [127.0.0.1]:$sinkport
	mynetworks = 127.0.0.0/8
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
	smtpd_tls_security_level = none
	smtp_tls_security_level = none
	biff = no
	${PF_EXTRA:-}
	EOF
	# Debian's master.cf runs services chrooted, which needs a prepared
	# chroot: here nothing is chrooted, and smtpd listens on our port only.
	cat > "$d/etc/master.cf" <<-EOF
	127.0.0.1:$port inet n - n - - smtpd
	pickup     unix  n - n 60   1 pickup
	cleanup    unix  n - n -    0 cleanup
	qmgr       unix  n - n 300  1 qmgr
	tlsmgr     unix  - - n 1000? 1 tlsmgr
	rewrite    unix  - - n -    - trivial-rewrite
	bounce     unix  - - n -    0 bounce
	defer      unix  - - n -    0 bounce
	trace      unix  - - n -    0 bounce
	verify     unix  - - n -    1 verify
	flush      unix  n - n 1000? 0 flush
	proxymap   unix  - - n -    - proxymap
	proxywrite unix  - - n -    1 proxymap
	smtp       unix  - - n -    - smtp
	relay      unix  - - n -    - smtp
	showq      unix  n - n -    - showq
	error      unix  - - n -    - error
	retry      unix  - - n -    - error
	discard    unix  - - n -    - discard
	local      unix  - n n -    - local
	virtual    unix  - n n -    - virtual
	lmtp       unix  - - n -    - lmtp
	anvil      unix  - - n -    1 anvil
	scache     unix  - - n -    1 scache
	postlog    unix-dgram n - n - 1 postlogd
	EOF
	if ! "$POSTFIX" -c "$d/etc" start > "$d/start.log" 2>&1; then
		log "postfix: start failed: $(tail -n 5 "$d/start.log")"
		return 1
	fi
	if ! wait_port "$port" 20; then
		log "postfix: smtpd did not listen: $(tail -n 5 "$d/maillog" 2>/dev/null)"
		return 1
	fi
	[ -n "$(postfix_master_pid)" ] || { log "postfix: no master.pid"; return 1; }
}

field() {
	[ -f "$WD/$1.result" ] || { echo "n/a"; return; }
	tr ' ' '\n' < "$WD/$1.result" | sed -n "s/^$2=//p" | tail -n 1
}

# ratio A B: A / B with two decimals, "-" unless both are numbers.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0)
			printf "%.2f", a / b
		else
			print "-"
	    }'
}

# The knobs of workload WL (N is overridden by the environment's N).
workload() {
	WL=$1
	RCPTS=1 REUSE=0 SIZE=4096 STRACE=0
	case $WL in
	W1)	N=5000 ;;				# one message per connection
	W2)	N=2000 RCPTS=5 ;;			# 5 recipients (-r 5)
	W3)	N=2000 SIZE=102400 ;;			# 100 KiB
	W4)	N=5000 REUSE=1 ;;			# reused connections (-d)
	W5)	N=2000 ;;	# new ones, with QUEUED queued (queued.sh)
	F)	N=$FSYNC_N STRACE=1 ;;			# W1 under strace
	*)	die "unknown workload $WL (W1 W2 W3 W4 W5)" ;;
	esac
	[ -n "$N_ENV" ] && [ "$WL" != F ] && N=$N_ENV
	WD=$W/$WL
	mkdir -p "$WD" && chmod 755 "$WD"
}

run_relays() {
	local r
	if [ "$WL" = W5 ]; then
		for r in $1; do
			case $r in
			smarthostd)	bench_queued_smarthostd || status=1 ;;
			# An hour before the first retry, as for smarthostd.
			postfix)	PF_EXTRA="minimal_backoff_time = 1h"$'\n'"maximal_backoff_time = 1h" \
					    bench_queued_postfix || status=1 ;;
			*)		log "W5: $r skipped (smarthostd and postfix only)" ;;
			esac
		done
		return
	fi
	for r in $1; do
		case $r in
		direct)		bench_direct || status=1 ;;
		smarthostd)	bench_smarthostd || status=1 ;;
		dkim-rsa)	bench_smarthostd dkim-rsa rsa || status=1 ;;
		dkim-ed25519)	bench_smarthostd dkim-ed25519 ed25519 || status=1 ;;
		postfix)	bench_postfix || status=1 ;;
		*)		die "unknown relay $r" ;;
		esac
	done
}

# The table of one workload: direct, smarthostd, Postfix and the ratios.
report_workload() {
	local row label key a b c
	echo
	echo "$WL: N=$N messages, $SIZE bytes, $RCPTS recipient(s), $SESSIONS" \
	    "sessions, reuse=$REUSE, fsync on, 127.0.0.1"
	printf "%-22s %10s %10s %10s %10s %10s\n" "" direct smarthostd postfix \
	    "shd/pf" "shd/direct"
	for row in "accepted msgs/s:accepted" "relayed msgs/s:relayed" \
	    "messages lost:lost" "duplicates:dups" "left in queue:left" \
	    "peak PSS (KiB):pss" "CPU s/1000 msgs:cpu"; do
		label=${row%%:*}
		key=${row##*:}
		c=$(field direct "$key")
		a=$(field smarthostd "$key")
		b=$(field postfix "$key")
		printf "%-22s %10s %10s %10s %10s %10s\n" "$label" "${c:-n/a}" \
		    "${a:-n/a}" "${b:-n/a}" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")"
	done
	# The cost of DKIM signing: each signed run against the unsigned one.
	case " $RELAYS " in
	*" dkim-"*)
		echo
		echo "DKIM signing (every message signed; ratio to unsigned smarthostd)"
		printf "%-22s %12s %12s %12s %10s %10s\n" "" smarthostd dkim-rsa \
		    dkim-ed25519 rsa/none ed/none
		for row in "accepted msgs/s:accepted" "relayed msgs/s:relayed" \
		    "messages lost:lost" "signed at the sink:signed" \
		    "peak PSS (KiB):pss"; do
			label=${row%%:*}
			key=${row##*:}
			a=$(field smarthostd "$key")
			b=$(field dkim-rsa "$key")
			c=$(field dkim-ed25519 "$key")
			printf "%-22s %12s %12s %12s %10s %10s\n" "$label" "${a:-n/a}" \
			    "${b:-n/a}" "${c:-n/a}" \
			    "$(awk -v a="$b" -v b="$a" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else print "-" }')" \
			    "$(awk -v a="$c" -v b="$a" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else print "-" }')"
		done
		for r in dkim-rsa dkim-ed25519; do
			case " $RELAYS " in
			*" $r "*) [ "$(field "$r" signed)" = "$N" ] || status=1 ;;
			esac
		done
		;;
	esac
}

# W5, the long queue.
. "$(dirname "$0")/queued.sh" || die "$(dirname "$0")/queued.sh not found"

HZ=$(getconf CLK_TCK)
N_ENV=$N_ENV_SAVED
status=0
STRACEPID=""
for wl in $WORKLOADS; do
	workload "$wl"
	run_relays "$RELAYS"
	if [ "$wl" = W5 ]; then
		report_queued | tee "$WD/report"
		for r in $RELAYS; do
			case $r in smarthostd|postfix) ;; *) continue ;; esac
			for k in "$r-empty lost" "$r-queued lost" "$r qlost"; do
				[ "$(field $k)" = 0 ] || status=1
			done
		done
		continue
	fi
	report_workload
	for r in $RELAYS; do
		[ "$(field "$r" lost)" = 0 ] || status=1
	done
done

# fsyncs per message: a separate short run of W1 under strace (which
# slows everything down, so only the counts are kept from it).
FSRELAYS=$(echo " $RELAYS " | sed 's/ direct / /')
if [ "$FSYNC_N" -gt 0 ] && [ -n "${FSRELAYS// /}" ]; then
	if command -v strace > /dev/null; then
		workload F
		run_relays "$FSRELAYS"
	else
		log "strace not found: fsyncs per message not measured"
	fi
fi

# The summary: one line per workload (W5 has its own table above).
SUMMARY=$(echo " $WORKLOADS " | sed 's/ W5 / /g')
if [ -n "${SUMMARY// /}" ]; then
	echo
	echo "Summary (relayed msgs/s; CPU seconds per 1,000 messages; shd = smarthostd, pf = Postfix)"
	printf "%-3s %8s %8s %8s %10s %7s %8s %8s %7s %7s\n" "" direct shd pf \
	    "shd/direct" "shd/pf" "cpu shd" "cpu pf" "cpu s/p" "pss s/p"
fi
for wl in $SUMMARY; do
	WD=$W/$wl
	c=$(field direct relayed) a=$(field smarthostd relayed) b=$(field postfix relayed)
	ca=$(field smarthostd cpu) cb=$(field postfix cpu)
	printf "%-3s %8s %8s %8s %10s %7s %8s %8s %7s %7s\n" "$wl" "$c" "$a" "$b" \
	    "$(ratio "$a" "$c")" "$(ratio "$a" "$b")" "$ca" "$cb" \
	    "$(ratio "$ca" "$cb")" \
	    "$(ratio "$(field smarthostd pss)" "$(field postfix pss)")"
done
if [ -d "$W/F" ]; then
	WD=$W/F
	echo
	echo "fsync + fdatasync + syncfs calls per message (strace -f -c, W1 knobs, N=$FSYNC_N)"
	for r in $FSRELAYS; do
		printf "%-14s %s\n" "$r" "$(field "$r" fsyncs)"
	done
fi
exit $status
