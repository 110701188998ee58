# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The smarthostd authors
# queued.sh — workload W5 of bench.sh (sourced by it, not run alone):
# the cost of a long queue (issue #18 item 4).  For each relay:
#
#  1. empty queue, sink up: N new messages (W1's knobs) -> the baseline;
#  2. sink down: QUEUED messages of SIZE bytes pushed in (smtp-source -d),
#     each tried once and deferred; wait until all are deferred;
#  3. relay stopped, sink started, relay started: the recovery time, from
#     the start until a new SMTP connection is greeted with 220 (smarthostd
#     greets only once its queue is loaded; Postfix does not load its
#     deferred queue at start, its qmgr scans it as it goes), and, for
#     smarthostd, until its control socket answers;
#  4. N new messages again, with QUEUED waiting (not yet due: the first
#     retry is an hour away) -> rate and CPU against step 1;
#  5. flush (smarthostctl flush | postqueue -f): the drain rate until the
#     sink has all QUEUED, and the CPU per 1,000 drained messages.
#
# Uses bench.sh's helpers (run_one, start_sink, cpu_tree, ...).

QUEUED=${QUEUED:-50000}
QTIMEOUT=${QTIMEOUT:-3600}
SMARTHOSTCTL=${SMARTHOSTCTL:-$(dirname "$SMARTHOSTD")/smarthostctl}
POSTQUEUE=${POSTQUEUE:-/usr/sbin/postqueue}
QTO=q.rcpt@bench.example	# the queued messages' recipients

# greeted PORT: 0 when a new connection to 127.0.0.1:PORT gets a 220.
greeted() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		read -r -t 10 line <&3 || exit 1
		printf 'QUIT\r\n' >&3
		case $line in 220*) exit 0 ;; esac
		exit 1
	) 2>/dev/null
}

# wait_greeted PORT SECONDS: 0 once greeted, polling every 20 ms.
wait_greeted() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		greeted "$1" && return 0
		sleep 0.02
	done
	return 1
}

# restart_sink DIR: the sink again on SINKPORT, as the relay was told;
# the port stayed unbound all through the fill, and another program on a
# shared machine may have taken it meanwhile: then on a new port (sets
# SINKPORT; the caller points the relay there before it restarts it).
restart_sink() {
	local dir=$1 port=$SINKPORT try user=()
	mkdir -p "$dir" && chmod 1777 "$dir"
	[ "$(id -u)" = 0 ] && user=(-u nobody)
	for try in 1 2 3 4 5; do
		"$SINK" "${user[@]}" -c -D "$dir/dump" "127.0.0.1:$port" 1024 \
		    > "$dir/counters" 2> "$dir/stderr" &
		SINKPID=$!
		PIDS="$PIDS $SINKPID"
		# The port answering is not enough: it may be the other
		# program's.  smtp-sink exits at once when it cannot bind.
		if wait_port "$port" 10 && sleep 1 &&
		    kill -0 "$SINKPID" 2>/dev/null; then
			SINKPORT=$port
			return 0
		fi
		log "smtp-sink on $port: $(cat "$dir/stderr"); another port"
		kill -TERM "$SINKPID" 2>/dev/null
		port=$(free_port)
	done
	die "smtp-sink did not start"
}

# qresult NAME KEY=VALUE...: append to NAME.result.
qresult() {
	local name=$1
	shift
	echo "$*" >> "$WD/$name.result"
}

# fill NAME PORT: QUEUED messages into the relay while the sink is down.
fill() {
	local name=$1 port=$2 t0 t1 rc
	log "$WL $name: queueing $QUEUED messages of $SIZE bytes, sink down"
	t0=$(now)
	timeout "$QTIMEOUT" "$SOURCE" -N -d -s "$SESSIONS" -m "$QUEUED" \
	    -l "$SIZE" -f "$FROM" -t "$QTO" "127.0.0.1:$port" \
	    > "$WD/$name.fill" 2>&1
	rc=$?
	t1=$(now)
	[ $rc = 0 ] || log "$name: smtp-source (fill) failed ($rc): $(tail -n 3 "$WD/$name.fill")"
	qresult "$name" "$(awk -v n="$QUEUED" -v t0="$t0" -v t1="$t1" \
	    -v rc="$rc" 'BEGIN {
		f = rc == 0 ? sprintf("%.1f", n / (t1 - t0)) : "failed"
		printf "fill=%s", f }')"
}

# wait_deferred NAME COMMAND: until COMMAND prints at least QUEUED, or
# its count has not moved for 60 s (a fill that failed part way).
wait_deferred() {
	local name=$1 cmd=$2 i n last=-1 still=0
	log "$WL $name: waiting until all $QUEUED are deferred"
	for ((i = 0; i < QTIMEOUT; i++)); do
		n=$(eval "$cmd")
		[ "${n:-0}" -ge "$QUEUED" ] && return 0
		if [ "${n:-0}" = "$last" ]; then
			((still++))
			[ $still -ge 60 ] && break
		else
			still=0
			last=${n:-0}
		fi
		sleep 1
	done
	log "$name: only ${n:-0} of $QUEUED deferred"
	return 1
}

# drain NAME SINKDIR ROOT: until the sink has N + QUEUED (flush started
# by the caller at DRAIN_T0 with DRAIN_CPU0).
drain_wait() {
	local name=$1 sinkdir=$2 root=$3 end got t1 cpu1 unique
	end=$((SECONDS + QTIMEOUT))
	got=0
	while [ $SECONDS -lt $end ]; do
		got=$(sink_count "$sinkdir")
		[ "$got" -ge $((N + QUEUED)) ] && break
		sleep 0.2
	done
	t1=$(now)
	cpu1=$(cpu_tree "$root")
	[ "$got" -ge $((N + QUEUED)) ] || log "$name: the sink has $got of $((N + QUEUED)) after ${QTIMEOUT}s"
	sleep 1
	unique=$(grep "^X-Rcpt-Args:.*q\.rcpt@" "$sinkdir/dump" | sort -u | wc -l)
	qresult "$name" "$(awk -v n="$QUEUED" -v t0="$DRAIN_T0" -v t1="$t1" \
	    -v ok="$((got >= N + QUEUED))" -v c0="$DRAIN_CPU0" -v c1="$cpu1" \
	    -v hz="$HZ" -v u="$unique" 'BEGIN {
		r = ok ? sprintf("%.1f", n / (t1 - t0)) : "timeout"
		printf "drain=%s drain_cpu=%.3f qlost=%d", r,
		    (c1 - c0) / hz * 1000 / n, n - u }')"
}

# The smarthostd side of W5.
bench_queued_smarthostd() {
	local name=smarthostd d=$WD/smarthostd port sinkport pid t0 t1 sock
	[ -x "$SMARTHOSTD" ] || { log "smarthostd: $SMARTHOSTD not found"; return 1; }
	[ -x "$SMARTHOSTCTL" ] || { log "smarthostd: $SMARTHOSTCTL not found"; return 1; }
	mkdir -p "$d"
	sock=$d/control.sock
	port=$(free_port)
	sinkport=$(free_port)
	# An hour before the first retry: the queued messages wait for the
	# flush, whatever the steps in between take.
	cat > "$d/smarthostd.conf" <<-EOF
	hostname = "bench-smarthostd.localdomain";
	spool = "$d/spool";
	control = "$sock";
	log = { to = "stderr"; level = "warn"; };
	queue = { retry_interval = "1h"; max_retry_interval = "1h"; };
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
	EOF
	start_sink "$sinkport" "$WD/sink-$name-empty"
	"$SMARTHOSTD" -f -c "$d/smarthostd.conf" 2> "$d/stderr" &
	pid=$!
	PIDS="$PIDS $pid"
	wait_port "$port" 10 && kill -0 "$pid" 2>/dev/null ||
	    { log "$name: did not start: $(tail -n 5 "$d/stderr")"; return 1; }

	# 1. The baseline: N new messages, nothing queued.
	run_one "$name-empty" "$port" "$WD/sink-$name-empty" "$pid"
	kill -TERM "$SINKPID" 2>/dev/null
	wait_gone "$SINKPID" 10

	# 2. QUEUED messages with the sink down; each is tried and deferred.
	fill "$name" "$port"
	wait_deferred "$name" "\"\$SMARTHOSTCTL\" -s \"$sock\" stats 2>/dev/null |
	    sed -n 's/^deferred: //p'"
	# The last deferrals are written before the next turn of the loop.
	sleep 2
	kill -TERM "$pid"
	wait_gone "$pid" 60 || { log "$name: no exit on SIGTERM"; return 1; }
	qresult "$name" "queued=$(find "$d/spool/queue" -name '*.env' | wc -l)"

	# 3. Recovery: start until greeted, and until the control socket
	# answers; the CPU the daemon used to get there.
	restart_sink "$WD/sink-$name"
	[ "$SINKPORT" = "$sinkport" ] ||
	    sed -i "s/port = $sinkport;/port = $SINKPORT;/" "$d/smarthostd.conf"
	t0=$(now)
	"$SMARTHOSTD" -f -c "$d/smarthostd.conf" 2> "$d/stderr.2" &
	pid=$!
	PIDS="$PIDS $pid"
	wait_greeted "$port" "$QTIMEOUT" || { log "$name: no greeting after restart"; return 1; }
	t1=$(now)
	qresult "$name" "$(awk -v t0="$t0" -v t1="$t1" -v c="$(cpu_tree "$pid")" \
	    -v hz="$HZ" 'BEGIN { printf "recovery=%.2f recovery_cpu=%.2f",
	    t1 - t0, c / hz }')"
	until "$SMARTHOSTCTL" -s "$sock" stats > "$d/stats.2" 2>/dev/null; do
		sleep 0.02
	done
	t1=$(now)
	qresult "$name" "$(awk -v t0="$t0" -v t1="$t1" 'BEGIN {
	    printf "recovery_ctl=%.2f", t1 - t0 }') recovered=$(sed -n 's/^queue_length: //p' "$d/stats.2")"

	# 4. N new messages while QUEUED wait.
	run_one "$name-queued" "$port" "$WD/sink-$name" "$pid"

	# 5. Flush: the drain.
	DRAIN_CPU0=$(cpu_tree "$pid")
	DRAIN_T0=$(now)
	"$SMARTHOSTCTL" -s "$sock" flush > /dev/null ||
	    log "$name: smarthostctl flush failed"
	drain_wait "$name" "$WD/sink-$name" "$pid"
	kill -TERM "$pid" 2>/dev/null
	wait_gone "$pid" 60 || { log "$name: no exit on SIGTERM"; kill -KILL "$pid"; }
	kill -TERM "$SINKPID" 2>/dev/null
	qresult "$name" "left=$(find "$d/spool/queue" -type f | wc -l)"
	log "$WL $name: $(cat "$WD/$name.result")"
}

# The Postfix side of W5: its deferred queue.
bench_queued_postfix() {
	local name=postfix d=$WD/postfix port sinkport mpid t0 t1
	[ -x "$POSTFIX" ] || { log "postfix: $POSTFIX not found"; return 1; }
	port=$(free_port)
	sinkport=$(free_port)
	start_sink "$sinkport" "$WD/sink-$name-empty"
	postfix_setup "$port" "$sinkport" || return 1
	mpid=$(postfix_master_pid)

	run_one "$name-empty" "$port" "$WD/sink-$name-empty" "$mpid"
	kill -TERM "$SINKPID" 2>/dev/null
	wait_gone "$SINKPID" 10

	fill "$name" "$port"
	wait_deferred "$name" "find \"$d/queue/deferred\" -type f | wc -l"
	postfix_stop
	qresult "$name" "queued=$(find "$d/queue/deferred" -type f | wc -l)"

	restart_sink "$WD/sink-$name"
	[ "$SINKPORT" = "$sinkport" ] || sed -i \
	    "s/^relayhost = .*/relayhost = [127.0.0.1]:$SINKPORT/" "$d/etc/main.cf"
	t0=$(now)
	"$POSTFIX" -c "$d/etc" start > "$d/start.2.log" 2>&1 ||
	    { log "postfix: restart failed: $(tail -n 5 "$d/start.2.log")"; return 1; }
	wait_greeted "$port" "$QTIMEOUT" || { log "$name: no greeting after restart"; return 1; }
	t1=$(now)
	mpid=$(postfix_master_pid)
	qresult "$name" "$(awk -v t0="$t0" -v t1="$t1" -v c="$(cpu_tree "$mpid")" \
	    -v hz="$HZ" 'BEGIN { printf "recovery=%.2f recovery_cpu=%.2f",
	    t1 - t0, c / hz }')"

	run_one "$name-queued" "$port" "$WD/sink-$name" "$mpid"

	DRAIN_CPU0=$(cpu_tree "$mpid")
	DRAIN_T0=$(now)
	"$POSTQUEUE" -c "$d/etc" -f > /dev/null 2>&1 ||
	    log "$name: postqueue -f failed"
	drain_wait "$name" "$WD/sink-$name" "$mpid"
	postfix_stop
	kill -TERM "$SINKPID" 2>/dev/null
	qresult "$name" "left=$(find "$d/queue/incoming" "$d/queue/active" \
	    "$d/queue/deferred" -type f 2>/dev/null | wc -l)"
	log "$WL $name: $(cat "$WD/$name.result")"
}

# W5's table.
report_queued() {
	local row label key a b c e
	echo
	echo "W5: $QUEUED messages queued ($SIZE bytes, sink down then up);" \
	    "N=$N new messages (W1 knobs), $SESSIONS sessions"
	printf "%-34s %12s %12s %8s\n" "" smarthostd postfix "shd/pf"
	for row in "queue fill msgs/s (sink down):fill" \
	    "queued at restart:queued" \
	    "recovery s (start to 220):recovery" \
	    "recovery CPU s:recovery_cpu" \
	    "recovery s (control socket):recovery_ctl" \
	    "recovered (queue_length):recovered" \
	    "drain msgs/s (flush):drain" \
	    "drain CPU s/1000 msgs:drain_cpu" \
	    "queued messages lost:qlost" \
	    "left in queue:left"; do
		label=${row%%:*}
		key=${row##*:}
		a=$(field smarthostd "$key")
		b=$(field postfix "$key")
		printf "%-34s %12s %12s %8s\n" "$label" "${a:-n/a}" \
		    "${b:-n/a}" "$(ratio "$a" "$b")"
	done
	echo
	echo "New messages: empty queue against $QUEUED queued"
	printf "%-22s %10s %10s %8s %10s %10s %8s\n" "" "shd empty" \
	    "shd queued" "q/e" "pf empty" "pf queued" "q/e"
	for row in "accepted msgs/s:accepted" "relayed msgs/s:relayed" \
	    "CPU s/1000 msgs:cpu" "peak PSS (KiB):pss" "messages lost:lost"; do
		label=${row%%:*}
		key=${row##*:}
		a=$(field smarthostd-empty "$key")
		b=$(field smarthostd-queued "$key")
		c=$(field postfix-empty "$key")
		e=$(field postfix-queued "$key")
		printf "%-22s %10s %10s %8s %10s %10s %8s\n" "$label" \
		    "${a:-n/a}" "${b:-n/a}" "$(ratio "$b" "$a")" "${c:-n/a}" \
		    "${e:-n/a}" "$(ratio "$e" "$c")"
	done
}
