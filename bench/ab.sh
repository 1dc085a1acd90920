#!/bin/bash
# bench/ab.sh - the hub alone, for A/B comparisons and profiles (BENCHMARKS.md,
# "Optimisation history" and "Targets missed"). Smaller and quicker than `make
# bench`: one broker, no dynsec, no crowd, and a history that starts empty (make
# bench's hub runs on its 1 M-message history). Build first (`make bench-build`):
# it uses build/npbench and build/np-admin of the work tree.
#
#   bench/ab.sh setup             demo database, 24,700 volunteers, 77 officials and
#                                 the ministry (PBKDF2 1,000 iterations) in $AB/db
#   bench/ab.sh run [REV]         4 throughput runs of SECS s on one hub (1->1 and
#                                 50->50, QoS 0 and 1): msg/s, broker CPU %, msgs
#                                 per broker CPU-second
#   bench/ab.sh prof N QOS [bare|hub [REV]]
#                                 one throughput run of N publishers at QOS counted
#                                 with perf stat (system calls per message), then one
#                                 profiled with perf record -e cpu-clock -F 2000 -g:
#                                 top dsos and symbols, kernel entry points, the
#                                 plugin's functions; CALLGRAPH=dwarf adds the
#                                 plugin's parts with what they call (inclusive)
#   bench/ab.sh storm [REV]       the connect storm twice against one hub: cold
#                                 (empty password cache, as in make bench), then warm
#                                 (the same 24,700 logins again, no restart); PROF=1
#                                 also profiles the hub during the cold storm;
#                                 TOKENS=1: every volunteer logs in with a device
#                                 token (np-admin token issue, once, into the db);
#                                 BROKER=bare: bare mosquitto instead of the hub
#   bench/ab.sh revoke [N]        np-admin token revoke -> the session cut, N times
#   bench/ab.sh storage [N]       np-admin bulk-loads N messages (default 1,000,000)
#                                 into a copy, as make bench does: bytes per message,
#                                 by table
#
# REV (a commit, e.g. 490004b) builds that revision's np_plugin.so in $AB/rev-REV
# (git archive + make); without REV the work tree's build/np_plugin.so is used.
# Every broker starts on a fresh copy of $AB/db. Environment: AB=DIR (default
# /tmp/np-ab), SECS (default 3), WINDOW=N (messages in flight per publisher;
# npbench's default is 400 at QoS 0 and 100 at QoS 1), CALLGRAPH=dwarf (prof:
# unwind user-space stacks too; the default, fp, unwinds the kernel's only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=$ROOT/build
NPB=$B/npbench
AB=${AB:-/tmp/np-ab}
SECS=${SECS:-3}
ITER=1000
mkdir -p "$AB"
for f in "$NPB" "$B/np-admin"; do
	[ -x "$f" ] || { echo "ab: $f is missing: run make bench-build first" >&2; exit 1; }
done
hard=$(ulimit -Hn)
ulimit -n "$hard" 2> /dev/null || true

setup() {
	rm -rf "$AB/db"
	"$B/np-admin" --db "$AB/db" demo > /dev/null
	"$B/np-admin" --db "$AB/db" registry list | awk -F, 'length($1) == 8 { print $1 }' > "$AB/villages.txt"
	{
		echo "name,role,area,password"
		awk '{ print "v" $1 ",volunteer," $1 ",pw" $1 }' "$AB/villages.txt"
		cut -c1-2 "$AB/villages.txt" | sort -u | awk '{ print "o" $1 ",official," $1 ",pw" $1 }'
		echo "bench_ministry,official,TH,pwministry"
	} > "$AB/users.csv"
	"$B/np-admin" --db "$AB/db" user import "$AB/users.csv" --iterations $ITER > /dev/null
	echo "ab: $AB/db: $(wc -l < "$AB/villages.txt") villages, $(( $(wc -l < "$AB/users.csv") - 1 )) users"
}

plugin_of() {   # [REV] -> path of np_plugin.so
	local rev=${1:-} dir
	if [ -z "$rev" ]; then
		[ -f "$B/np_plugin.so" ] || { echo "ab: build/np_plugin.so is missing" >&2; exit 1; }
		echo "$B/np_plugin.so"
		return
	fi
	rev=$(git rev-parse --short "$rev^{commit}")
	dir=$AB/rev-$rev
	if [ ! -f "$dir/build/np_plugin.so" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		git archive "$rev" | tar -x -C "$dir"
		make -C "$dir" --no-print-directory build/np_plugin.so > "$dir/make.log" 2>&1 \
			|| { echo "ab: building $rev failed, see $dir/make.log" >&2; exit 1; }
	fi
	echo "$dir/build/np_plugin.so"
}

label_of() {
	if [ -n "${1:-}" ]; then git log -1 --format='%h %s' "$1"; else
		echo "work tree: $(git log -1 --format='%h %s')$(git diff --quiet HEAD -- broker-plugin \
			|| echo ' (broker-plugin/ modified)')"; fi
}

BPID=
BPORT=
start() {       # hub|bare [plugin]
	local conf=$AB/$1.conf
	BPORT=$("$NPB" freeport)
	{
		# as bench/run.sh: started as root, the broker keeps root (issue #10)
		if [ "$(id -u)" = 0 ]; then echo "user root"; fi
		echo "listener $BPORT 127.0.0.1"
		echo "persistence false"
		echo "log_dest stderr"
		echo "log_type error"
		echo "log_type warning"
		if [ "$1" = bare ]; then echo "allow_anonymous true"; else
			rm -rf "$AB/dbrun"
			cp -r "$AB/db" "$AB/dbrun"
			echo "allow_anonymous false"
			echo "plugin $2"
			echo "plugin_opt_db_path $AB/dbrun"
			echo "plugin_opt_rate_msgs 0"
			echo "plugin_opt_rate_bytes 0"
		fi
	} > "$conf"
	mosquitto -c "$conf" 2> "$AB/$1.log" &
	BPID=$!
	for _ in $(seq 100); do
		(exec 3<> "/dev/tcp/127.0.0.1/$BPORT") 2> /dev/null && return 0
		kill -0 "$BPID" 2> /dev/null || break
		sleep 0.1
	done
	echo "ab: $1 did not start:" >&2
	cat "$AB/$1.log" >&2
	exit 1
}
stop() {
	[ -n "$BPID" ] || return 0
	kill "$BPID" 2> /dev/null || true
	wait "$BPID" 2> /dev/null || true
	BPID=
	rm -rf "$AB/dbrun"
}
trap stop EXIT

thr() {         # pubs qos name: one throughput run, its result lines
	"$NPB" throughput --port "$BPORT" --users "$AB/users.csv" --pubs "$1" --qos "$2" \
		--seconds "$SECS" --broker "$BROKER" --name "$3" --broker-pid "$BPID" \
		${WINDOW:+--window "$WINDOW"} | grep '^result'
}

summary() {     # result lines -> one line: rate, broker CPU %, msgs per CPU-second
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	       v[f["metric"]] = f["value"] }
	     END { rate = ("acked_per_s" in v) ? v["acked_per_s"] : v["delivered_per_s"]
		   printf "%7.0f msg/s (%s), broker CPU %3.0f%%, %7.0f msgs per broker CPU-second\n", \
			rate, ("acked_per_s" in v) ? "acked" : "delivered", v["broker_cpu_pct"], \
			v["msgs_per_cpu_s"] }'
}

SYSCALLS=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_msync,syscalls:sys_enter_fdatasync
need_db() { if [ ! -d "$AB/db" ] || [ ! -f "$AB/users.csv" ]; then setup; fi; }

case "${1:-}" in
setup)
	setup ;;
run)
	need_db
	so=$(plugin_of "${2:-}")
	echo "ab: hub = $(label_of "${2:-}"); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	BROKER=hub
	start hub "$so"
	for s in "1 0" "1 1" "50 0" "50 1"; do
		# shellcheck disable=SC2086 # "pubs qos" on purpose
		set -- $s
		printf '%-14s ' "$1->$1 QoS $2:"
		thr "$1" "$2" "thr_${1}_q$2" | summary
	done
	stop
	echo "ab: load at end $(cut -d' ' -f1-3 /proc/loadavg)" ;;
prof)
	[ $# -ge 3 ] || { echo "usage: bench/ab.sh prof N QOS [bare|hub [REV]]" >&2; exit 2; }
	need_db
	BROKER=${4:-hub}
	if [ "$BROKER" = bare ]; then start bare; else so=$(plugin_of "${5:-}"); start hub "$so"; fi
	echo "ab: $BROKER, $2 publisher(s), QoS $3; load $(cut -d' ' -f1-3 /proc/loadavg)"
	# two runs, each measured after npbench's 0.5 s warm-up for its window: the
	# first counts the broker's system calls, the second is profiled
	(sleep 0.5; exec perf stat -x, -e "$SYSCALLS" -p "$BPID" -o "$AB/syscalls.csv" \
		-- sleep "$SECS") > /dev/null 2>&1 &
	stat_pid=$!
	line=$(thr "$2" "$3" "count_${2}_q$3" | summary)
	echo "== counted run"
	echo "$line"
	wait "$stat_pid" 2> /dev/null || true
	echo "== system calls per message (perf stat -e syscalls:sys_enter_*)"
	awk -F, -v m="$(echo "$line" | awk '{ print $1 }')" -v s="$SECS" '
		/syscalls:sys_enter_/ { sub("syscalls:sys_enter_", "", $3)
			printf "  %-12s %6.2f\n", $3, $1 / (m * s) }' "$AB/syscalls.csv"
	(sleep 0.5; exec perf record -e cpu-clock -F 2000 --call-graph "${CALLGRAPH:-fp}" \
		-p "$BPID" -o "$AB/perf.data" -- sleep "$SECS") > /dev/null 2>&1 &
	perf_pid=$!
	echo "== profiled run"
	thr "$2" "$3" "prof_${2}_q$3" | summary
	wait "$perf_pid" 2> /dev/null || true
	stop
	echo "== by dso (perf report --no-children --sort dso)"
	perf report -i "$AB/perf.data" --stdio --no-children -g none --percent-limit 0.3 --sort dso \
		2> /dev/null | grep -v '^#' | grep -v '^$' | head -12
	echo "== top symbols (--no-children --sort dso,symbol)"
	perf report -i "$AB/perf.data" --stdio --no-children -g none --percent-limit 0.7 \
		--sort dso,symbol 2> /dev/null | grep -v '^#' | grep -v '^$' | head -30
	echo "== kernel entry points, with what they call (--children; system calls and faults)"
	perf report -i "$AB/perf.data" --stdio --children -g none --sort symbol 2> /dev/null \
		| grep -E '\[k\] (ksys_read|ksys_write|__x64_sys_epoll_ctl|__x64_sys_epoll_wait|__do_sys_msync|__x64_sys_fdatasync|__x64_sys_pwrite64|__x64_sys_rt_sigprocmask|asm_exc_page_fault) ' \
		| sed 's/  *-  *-  *$//'
	echo "== the plugin's own functions (np_plugin.so, self)"
	perf report -i "$AB/perf.data" --stdio --no-children -g none --dsos np_plugin.so \
		--percent-limit 0.1 --sort symbol 2> /dev/null | grep -v '^#' | grep -v '^$' | head -8
	if [ "${CALLGRAPH:-fp}" = dwarf ]; then
		echo "== inclusive (--children, user stacks unwound with DWARF): the plugin's parts"
		perf report -i "$AB/perf.data" --stdio --children -g none --sort symbol 2> /dev/null \
			| awk '$3 == "[.]" || $3 == "[k]" { t[$4] += $1 }
			       END { n = split("on_message on_acl_check store_and_stamp hub_msg_decode " \
					"hub_utf8_valid hub_msg_stamp protobuf_c_message_get_packed_size " \
					"protobuf_c_message_pack hub_history_put mdb_put " \
					"hub_history_commit mdb_txn_commit hub_history_tick hub_acl_check " \
					"hub_history_find hub_store_place_exists hub_auth_principal " \
					"asm_exc_page_fault", k, " ")
				     for (i = 1; i <= n; i++) if (k[i] in t) printf "  %6.2f%%  %s\n", t[k[i]], k[i] }'
	fi ;;
storm)
	need_db
	BROKER=${BROKER:-hub}
	cap=$(( $(ulimit -n) - 160 ))       # descriptors left for clients, as bench/run.sh
	n=$(grep -c '^v' "$AB/users.csv")
	maxopen=0
	[ "$n" -gt "$cap" ] && maxopen=$cap
	tokens=()
	if [ "${TOKENS:-0}" = 1 ]; then
		[ -s "$AB/tokens.txt" ] || grep '^v' "$AB/users.csv" | cut -d, -f1 \
			| "$B/np-admin" --db "$AB/db" token issue --names - --days 0 > "$AB/tokens.txt"
		tokens=(--tokens "$AB/tokens.txt")
	fi
	so=$(plugin_of "${2:-}")
	start "$BROKER" "$so"
	echo "ab: $BROKER = $(label_of "${2:-}"); $n volunteers${tokens:+ with tokens}, max open $maxopen; load $(cut -d' ' -f1-3 /proc/loadavg)"
	for pass in cold warm; do
		echo "== $pass"
		perf_pid=
		if [ "${PROF:-0}" = 1 ] && [ $pass = cold ]; then
			perf record -e cpu-clock -F 2000 -g -p "$BPID" -o "$AB/perf-storm.data" \
				-- sleep 60 > /dev/null 2>&1 &
			perf_pid=$!
		fi
		"$NPB" connect --port "$BPORT" --users "$AB/users.csv" --count "$n" --max-open "$maxopen" \
			--broker "$BROKER" --name "connect_$pass" "${tokens[@]}" | grep '^result' \
			| grep -E 'metric=(connected|failed|all_s|per_s|lat_p50_ms|lat_p99_ms) '
		if [ -n "$perf_pid" ]; then
			kill -INT "$perf_pid" 2> /dev/null || true
			wait "$perf_pid" 2> /dev/null || true
		fi
	done
	stop
	if [ "${PROF:-0}" = 1 ]; then
		echo "== cold storm profile: by dso"
		perf report -i "$AB/perf-storm.data" --stdio --no-children -g none --percent-limit 0.1 \
			--sort dso 2> /dev/null | grep -v '^#' | grep -v '^$' | head -8
		echo "== cold storm profile: top symbols"
		perf report -i "$AB/perf-storm.data" --stdio --no-children -g none --percent-limit 0.7 \
			--sort dso,symbol 2> /dev/null | grep -v '^#' | grep -v '^$' | head -14
	fi ;;
revoke)
	need_db
	start hub "$(plugin_of "")"
	/usr/bin/python3 bench/revoke.py "$B/np-admin" "$AB/dbrun" "$BPORT" \
		"$(grep -m1 '^v' "$AB/users.csv" | cut -d, -f1)" "${2:-10}"
	stop ;;
storage)
	need_db
	n=${2:-1000000}
	rm -rf "$AB/dbload"
	cp -r "$AB/db" "$AB/dbload"
	used() { mdb_stat -e "$AB/dbload" | awk '/Number of pages used/ { print $NF }'; }
	tpages() {      # table -> branch + leaf + overflow pages (a DUPSORT table's
			# sub-databases are not in mdb_stat's counts)
		{ mdb_stat -s "$1" "$AB/dbload" 2> /dev/null || true; } \
			| awk '/Branch pages|Leaf pages|Overflow pages/ { p += $NF } END { print p + 0 }'; }
	ps=$(mdb_stat -e "$AB/dbload" | awk '/Page size/ { print $NF }')
	b=$(used); bm=$(tpages msgs); bi=$(tpages ids); bx=$(tpages idx)
	out=$("$B/np-admin" --db "$AB/dbload" history load "$n" 2> /dev/null)
	echo "ab: $out"
	a=$(used); am=$(tpages msgs); ai=$(tpages ids); ax=$(tpages idx)
	pt=$(echo "$out" | sed -n 's/.*, \([0-9]*\) payload+topic bytes.*/\1/p')
	awk -v n="$n" -v ps="$ps" -v t=$(( a - b )) -v m=$(( am - bm )) -v i=$(( ai - bi )) \
	    -v x=$(( ax - bx )) -v pt="$pt" 'BEGIN {
		printf "all pages in use   %6.1f bytes/msg  = %.3f x payload+topic (%.1f bytes/msg)\n", \
			t * ps / n, t * ps / pt, pt / n
		printf "  msgs             %6.1f\n", m * ps / n
		printf "  ids              %6.1f\n", i * ps / n
		printf "  idx + free list  %6.1f  (the rest: idx main tree %.1f, its sub-databases)\n", \
			(t - m - i) * ps / n, x * ps / n }'
	rm -rf "$AB/dbload" ;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 2 ;;
esac
