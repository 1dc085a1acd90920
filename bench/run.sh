#!/bin/bash
# bench/run.sh - `make bench` (BENCH=quick, < 10 min) and `make bench-full` (BENCH=full).
#
# Starts three brokers itself, each on a free loopback port:
#   bare    mosquitto, allow_anonymous true, no auth, no ACL (the physical limit)
#   dynsec  mosquitto + dynamic-security, the same users, roles and ACLs
#   hub     mosquitto + np_plugin.so on a demo database (24,700 villages)
# runs every scenario on each broker in turn, round after round (bare dynsec hub,
# bare dynsec hub, ...), takes the median of the rounds, and prints one table.
# The same log settings (error, warning) and persistence off for all three.
#
# Environment: BENCH=quick|full, BENCH_10M=1 (quick: also the 10 M history step), ROUNDS=N, NP_BENCH_DIR=DIR (work directory,
# default a fresh /tmp/npbench.XXXXXX), BENCH_PROFILE=1 (perf record the hub's
# throughput and connect scenarios in round 1, into WORKDIR/profile-*.txt),
# BROKERS="hub" (a subset of the brokers), KEEP=1 (keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=$ROOT/build
NPB=$B/npbench
MODE=${BENCH:-quick}
case "$MODE" in
quick) ROUNDS=${ROUNDS:-3}; SECS=2; HOLD=2; FANS=3; PAGES=500; HIST_STEPS="1000000"
       # the 10 M step (cases and history pages at 10 M messages) takes ~3 more
       # minutes of loading on 2 cores: opt in with BENCH_10M=1
       [ "${BENCH_10M:-0}" = 1 ] && HIST_STEPS="1000000 10000000" ;;
full)  ROUNDS=${ROUNDS:-5}; SECS=10; HOLD=5; FANS=5; PAGES=3000; HIST_STEPS="1000000 10000000" ;;
*) echo "bench: BENCH must be quick or full" >&2; exit 2 ;;
esac
ITER=1000                       # PBKDF2 iterations of the bench users (hub and dynsec alike)
VILLAGES_WANTED=24700
RESIDENTS=5000
W=${NP_BENCH_DIR:-$(mktemp -d /tmp/npbench.XXXXXX)}
mkdir -p "$W"
RES=$W/results.txt
NOTES=$W/notes.txt
: > "$RES"
: > "$NOTES"
T_START=$(date +%s)
PIDS=()

note() { echo "bench: $*"; echo "$*" >> "$NOTES"; }
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] || [ -n "${NP_BENCH_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

# ---- limits --------------------------------------------------------------
# Every client is one descriptor in the broker (and three in libmosquitto:
# its socket and a wake-up socket pair), so the crowd scenarios need
# RLIMIT_NOFILE > 30,000 for the broker, and ~30,000 ephemeral ports.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 65536 ]; then
	if ulimit -Hn 1048576 2>/dev/null; then hard=1048576; else
		note "ulimit -Hn is $hard and cannot be raised here (no CAP_SYS_RESOURCE:" \
		     "a container's limit); a broker holds at most ~$((hard - 50)) connections"
	fi
fi
ulimit -n "$hard" 2>/dev/null || true
NOFILE=$(ulimit -n)
set_sysctl() {   # name value: raise if lower, say so if impossible
	local f=/proc/sys/$(echo "$1" | tr . /) cur
	cur=$(cat "$f" 2>/dev/null || echo "?")
	if [ "$cur" != "?" ] && [ "$(echo "$cur" | awk '{print $1}')" -ge "$2" ] 2>/dev/null; then return; fi
	if echo "$2" > "$f" 2>/dev/null; then note "sysctl $1: $cur -> $2"; else
		note "sysctl $1 is $cur and cannot be set to $2 here"; fi
}
set_sysctl net.core.somaxconn 4096
set_sysctl net.ipv4.tcp_max_syn_backlog 4096
pr=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "32768 60999")
if [ $(( $(echo "$pr" | awk '{print $2 - $1}') )) -lt 40000 ]; then
	if echo "10000 65000" > /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; then
		note "sysctl net.ipv4.ip_local_port_range: $pr -> 10000 65000 (30,000 loopback clients)"
	else
		note "net.ipv4.ip_local_port_range is '$pr' and cannot be widened: at most" \
		     "$(echo "$pr" | awk '{print $2 - $1}') client connections per broker port"
	fi
fi
BROKER_CAP=$(( NOFILE - 60 ))   # descriptors left for clients in one broker
CROWD=$(( VILLAGES_WANTED + RESIDENTS ))
[ "$CROWD" -gt "$BROKER_CAP" ] && {
	note "idle/fan-out crowd capped at $BROKER_CAP clients of $CROWD by RLIMIT_NOFILE $NOFILE"
	CROWD=$BROKER_CAP; }
STORM_OPEN=0
[ "$VILLAGES_WANTED" -gt "$BROKER_CAP" ] && {
	STORM_OPEN=$(( BROKER_CAP - 100 ))
	note "connect storm: all $VILLAGES_WANTED logins from cold, but at most $STORM_OPEN open at" \
	     "once (the oldest are closed as new ones come), by RLIMIT_NOFILE $NOFILE"; }

# ---- machine ---------------------------------------------------------------
{
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
	echo "mosquitto: $(mosquitto -h 2>/dev/null | head -1 | sed 's/mosquitto version //')," \
	     "libmosquitto $(dpkg-query -W -f='${Version}' libmosquitto1 2>/dev/null || echo ?)," \
	     "lmdb $(dpkg-query -W -f='${Version}' liblmdb0 2>/dev/null || echo ?)"
	echo "mode: $MODE, $ROUNDS rounds, throughput ${SECS}s per run, RLIMIT_NOFILE $NOFILE"
	echo "hub: $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- broker-plugin 2>/dev/null || echo ' (broker-plugin/ modified)')"
	echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg); busiest other processes (top):"
	top -bn1 -w 120 2> /dev/null | sed -n '8,10p' | awk '{ printf "  %s %s%% %s\n", $1, $9, $12 }'
} > "$W/machine.txt"
cat "$W/machine.txt"

# ---- provisioning -----------------------------------------------------------
t0=$(date +%s)
HUBDB=$W/hubdb
"$B/np-admin" --db "$HUBDB" demo > /dev/null
"$B/np-admin" --db "$HUBDB" registry list | awk -F, 'length($1) == 8 { print $1 }' > "$W/villages.txt"
NV=$(wc -l < "$W/villages.txt")
{
	echo "name,role,area,password"
	awk '{ print "v" $1 ",volunteer," $1 ",pw" $1 }' "$W/villages.txt"
	head -n "$RESIDENTS" "$W/villages.txt" | awk '{ print "r" $1 ",resident," $1 ",pw" $1 }'
	cut -c1-2 "$W/villages.txt" | sort -u | awk '{ print "o" $1 ",official," $1 ",pw" $1 }'
	echo "bench_ministry,official,TH,pwministry"
} > "$W/users.csv"
NU=$(( $(wc -l < "$W/users.csv") - 1 ))
"$B/np-admin" --db "$HUBDB" user import "$W/users.csv" --iterations $ITER > /dev/null
echo "bench: hub database: $NV villages, $NU users (PBKDF2 $ITER iterations) in $(( $(date +%s) - t0 )) s"
# device tokens for every volunteer, in one np-admin run (DESIGN.md "Credentials"),
# and PW_USERS more volunteers at the shipped 100,000 iterations: the storm of
# the issue (all 24,700 at 100,000 would take a quarter of an hour a round)
t0=$(date +%s)
grep '^v' "$W/users.csv" | cut -d, -f1 > "$W/volunteers.txt"
"$B/np-admin" --db "$HUBDB" token issue --names "$W/volunteers.txt" --days 0 > "$W/tokens.txt"
echo "bench: $(wc -l < "$W/tokens.txt") device tokens issued in $(( $(date +%s) - t0 )) s"
PW_USERS=400
t0=$(date +%s)
{ echo "name,role,area,password"
  head -n "$PW_USERS" "$W/villages.txt" | awk '{ print "k" $1 ",volunteer," $1 ",pw" $1 }'
} > "$W/users100k.csv"
"$B/np-admin" --db "$HUBDB" user import "$W/users100k.csv" > /dev/null
echo "bench: $PW_USERS volunteers at 100,000 iterations in $(( $(date +%s) - t0 )) s"

KDF_1K=$("$NPB" kdf --iterations $ITER --repeat 50 | awk -F'value=' '/ms_per_login/ {print $2}')
KDF_100K=$("$NPB" kdf --iterations 100000 --repeat 5 | awk -F'value=' '/ms_per_login/ {print $2}')
echo "result scenario=kdf broker=hub metric=ms_${ITER} value=$KDF_1K round=0" >> "$RES"
echo "result scenario=kdf broker=hub metric=ms_100000 value=$KDF_100K round=0" >> "$RES"

DYN_SO=$(ls /usr/lib/*/mosquitto_dynamic_security.so 2>/dev/null | head -1)
write_conf() {  # name port -> conf path
	local name=$1 port=$2 conf=$W/$1.conf
	{
		# started as root, mosquitto would switch to the user mosquitto, who
		# cannot read build/ in a clone in a 0700 home (issue #10): these
		# throwaway brokers on 127.0.0.1 keep the invoking user (README.md)
		if [ "$(id -u)" = 0 ]; then echo "user root"; fi
		echo "listener $port 127.0.0.1"
		echo "persistence false"
		echo "log_dest stderr"
		echo "log_type error"
		echo "log_type warning"
		case $name in
		bare) echo "allow_anonymous true" ;;
		dynsec) echo "allow_anonymous false"
			echo "plugin $DYN_SO"
			echo "plugin_opt_config_file $W/dynsec.json" ;;
		hub) echo "allow_anonymous false"
		     echo "plugin $B/np_plugin.so"
		     echo "plugin_opt_db_path $HUBDB"
		     # no per-user rate limits: they would cap a single publisher's
		     # stream and the history scenario's one official (5 requests/s);
		     # receipt_rate 0: 24,700 receipts are one per user anyway
		     echo "plugin_opt_rate_msgs 0"
		     echo "plugin_opt_rate_bytes 0"
		     echo "plugin_opt_receipt_rate 0"
		     echo "plugin_opt_history_rate 10000"
		     echo "plugin_opt_history_rate_bytes 1073741824" ;;
		esac
	} > "$conf"
	echo "$conf"
}

BPID=
BPORT=
start_broker() {        # name
	local conf i
	BPORT=$("$NPB" freeport)
	conf=$(write_conf "$1" "$BPORT")
	mosquitto -c "$conf" >> "$W/$1.log" 2>&1 &
	BPID=$!
	PIDS+=("$BPID")
	for i in $(seq 100); do
		(exec 3<> "/dev/tcp/127.0.0.1/$BPORT") 2> /dev/null && return 0
		kill -0 "$BPID" 2> /dev/null || break
		sleep 0.1
	done
	echo "bench: $1 did not start; its log:" >&2
	tail -20 "$W/$1.log" >&2
	exit 1
}
stop_broker() {
	kill "$BPID" 2> /dev/null || true
	wait "$BPID" 2> /dev/null || true
	BPID=
}
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# dynamic-security: `mosquitto_ctrl dynsec init` writes the file and its admin;
# then mosquitto_ctrl sets the default access, the officials and the ministry go
# through the control API in batches ({"commands":[...]}, npbench dynsec-ctl),
# and the 29,700 village clients and 49,400 village roles are written into the
# file in the plugin's own format (npbench dynsec-json): the 2.0 plugin rewrites
# its whole JSON file after every command, so per-user commands are quadratic.
t0=$(date +%s)
DYNPW=admin-$RANDOM$RANDOM
mosquitto_ctrl dynsec init "$W/dynsec.json" admin "$DYNPW" > /dev/null
start_broker dynsec
for acl in publishClientSend publishClientReceive subscribe; do
	mosquitto_ctrl -h 127.0.0.1 -p "$BPORT" -u admin -P "$DYNPW" dynsec setDefaultACLAccess "$acl" deny > /dev/null 2>&1
done
"$NPB" dynsec-ctl --port "$BPORT" --users "$W/users.csv" --admin-user admin --admin-pass "$DYNPW" | tee -a "$W/provision.txt"
stop_broker
"$NPB" dynsec-json --config "$W/dynsec.json" --users "$W/users.csv" --iterations $ITER | tee -a "$W/provision.txt"
start_broker dynsec
t1=$(date +%s%N)
mosquitto_ctrl -h 127.0.0.1 -p "$BPORT" -u admin -P "$DYNPW" dynsec createClient bench_probe -p probe-pw > /dev/null 2>&1
t2=$(date +%s%N)
mosquitto_ctrl -h 127.0.0.1 -p "$BPORT" -u admin -P "$DYNPW" dynsec deleteClient bench_probe > /dev/null 2>&1
stop_broker
CTL_MS=$(( (t2 - t1) / 1000000 ))
echo "result scenario=dynsec_provision broker=dynsec metric=ctrl_createClient_ms value=$CTL_MS round=0" >> "$RES"
echo "bench: dynsec provisioned in $(( $(date +%s) - t0 )) s (one mosquitto_ctrl createClient with" \
     "$NU clients in the file: $CTL_MS ms)"

tag() { sed -n "s/^result .*/& round=$1/p" >> "$RES"; }

# ---- history (hub only): bulk-load, then page ----------------------------------
pages_used() { mdb_stat -e "$HUBDB" | awk '/Number of pages used/ { print $NF }'; }
PAGESIZE=$(mdb_stat -e "$HUBDB" | awk '/Page size/ { print $NF }')
loaded=0
for n in $HIST_STEPS; do
	add=$(( n - loaded ))
	before=$(pages_used)
	out=$("$B/np-admin" --db "$HUBDB" history load "$add")
	echo "bench: $out"
	after=$(pages_used)
	loaded=$n
	label=$(( n / 1000000 ))M
	us=$(echo "$out" | sed -n 's/.*(\([0-9.]*\) us each).*/\1/p')
	pt=$(echo "$out" | sed -n 's/.*, \([0-9]*\) payload+topic bytes.*/\1/p')
	echo "result scenario=history_$label broker=hub metric=load_us_per_msg value=$us round=0" >> "$RES"
	awk -v a="$after" -v b="$before" -v ps="$PAGESIZE" -v m="$add" -v pt="$pt" 'BEGIN {
		printf "result scenario=history_%s broker=hub metric=bytes_per_msg value=%.1f round=0\n", "'"$label"'", (a - b) * ps / m
		printf "result scenario=history_%s broker=hub metric=payload_topic_per_msg value=%.1f round=0\n", "'"$label"'", pt / m
		printf "result scenario=history_%s broker=hub metric=storage_ratio value=%.3f round=0\n", "'"$label"'", (a - b) * ps / pt
	}' >> "$RES"
	start_broker hub
	for r in $(seq "$ROUNDS"); do
		"$NPB" history --port "$BPORT" --users "$W/users.csv" --user o50 --filter 'np/rep/50/#' \
			--pages "$PAGES" --broker hub --name "history_${label}_province" | tag "$r"
		"$NPB" history --port "$BPORT" --users "$W/users.csv" --user o50 \
			--filter 'np/rep/50/5001/50010101/#' --pages "$PAGES" --broker hub \
			--name "history_${label}_village" | tag "$r"
		# every loaded report is a case: the first page (100) of 50's open ones
		"$NPB" cases --port "$BPORT" --users "$W/users.csv" --user o50 --filter 50 \
			--pages "$PAGES" --broker hub --name "history_${label}_cases" | tag "$r"
	done
	stop_broker
done

# ---- receipts of a national announcement (hub only) ----------------------------------
# On the history above: the ministry announces to TH, the 24,700 volunteers
# (device tokens) each send one DELIVERED receipt, 2,000 connections at a time
# (connected first, untimed), then the ministry asks the reach (every page of
# the not-reached villages). The hub runs with rate_msgs 0 and receipt_rate 0.
start_broker hub
for r in $(seq "$ROUNDS"); do
	"$NPB" receipts --port "$BPORT" --users "$W/users.csv" --tokens "$W/tokens.txt" \
		--count "$VILLAGES_WANTED" --window 2000 --user bench_ministry --pages 5 \
		--broker hub --name receipts --broker-pid "$BPID" | tag "$r"
done
stop_broker

# ---- the access decision alone ----------------------------------------------------
"$B/bench_acl" --iterations $([ "$MODE" = full ] && echo 5000000 || echo 1000000) --runs 7 | tag 0
"$B/bench_acl" --db "$HUBDB" --iterations 500000 --runs 5 | tag 0
"$B/bench_seal" --iterations 200000 --runs 7 | tag 0
"$B/bench_photo" --iterations 2000 --runs 7 | tag 0
"$B/bench_retention" --villages "$VILLAGES_WANTED" --runs 5 | tag 0

# ---- rounds: bare, dynsec, hub, bare, dynsec, hub, ... ------------------------------
profile_start() {       # scenario seconds: perf record the hub (BENCH_PROFILE=1, round 1)
	PERF=
	[ "${BENCH_PROFILE:-0}" = 1 ] && [ "$BNAME" = hub ] && [ "$ROUND" = 1 ] || return 0
	perf record -e cpu-clock -F 2000 -g -p "$BPID" -o "$W/perf-$1.data" -- sleep "$2" \
		> /dev/null 2>&1 &
	PERF=$!
}
profile_end() {
	[ -n "${PERF:-}" ] || return 0
	wait "$PERF" 2> /dev/null || true
	perf report -i "$W/perf-$1.data" --stdio --no-children --percent-limit 0.5 \
		--sort dso,symbol 2> /dev/null | grep -v '^$' | head -120 > "$W/profile-$1.txt" || true
	perf report -i "$W/perf-$1.data" --stdio --no-children -g none --percent-limit 0.3 \
		--sort symbol 2> /dev/null | grep -v '^#' | grep -v '^$' | head -60 > "$W/profile-$1-flat.txt" || true
	PERF=
}

throughput() {  # name pubs qos
	profile_start "$1" "$((SECS + 1))"
	"$NPB" throughput --port "$BPORT" --users "$W/users.csv" --pubs "$2" --qos "$3" \
		--seconds "$SECS" --broker "$BNAME" --name "$1" --broker-pid "$BPID" | tag "$ROUND"
	profile_end "$1"
}

crowd() {
	local base out rss=0 r i
	base=$(rss_kib "$BPID")
	out=$W/crowd-$BNAME-$ROUND.txt
	"$NPB" fanout --port "$BPORT" --users "$W/users.csv" --count "$CROWD" --hold "$HOLD" \
		--repeat "$FANS" --broker "$BNAME" --name fanout > "$out" &
	local np=$!
	for i in $(seq 1200); do
		grep -q '^ready' "$out" 2> /dev/null && break
		kill -0 "$np" 2> /dev/null || break
		sleep 0.1
	done
	# the crowd is connected, subscribed and idle: sample the broker's VmRSS
	for i in $(seq 5); do
		r=$(rss_kib "$BPID"); [ "$r" -gt "$rss" ] && rss=$r
		sleep 0.2
	done
	wait "$np" || true
	tag "$ROUND" < "$out"
	n=$(awk -F'value=' '/metric=clients/ { print int($2) }' "$out")
	awk -v b="$base" -v r="$rss" -v n="${n:-0}" -v all="$(( VILLAGES_WANTED + RESIDENTS ))" 'BEGIN {
		bpc = n > 0 ? (r - b) * 1024 / n : 0
		printf "result scenario=idle broker='"$BNAME"' metric=clients value=%d round='"$ROUND"'\n", n
		printf "result scenario=idle broker='"$BNAME"' metric=rss_base_mib value=%.1f round='"$ROUND"'\n", b / 1024
		printf "result scenario=idle broker='"$BNAME"' metric=rss_mib value=%.1f round='"$ROUND"'\n", r / 1024
		printf "result scenario=idle broker='"$BNAME"' metric=bytes_per_conn value=%.0f round='"$ROUND"'\n", bpc
		printf "result scenario=idle broker='"$BNAME"' metric=rss_29700_mib value=%.1f round='"$ROUND"'\n", (b * 1024 + bpc * all) / 1048576
	}' >> "$RES"
}

for ROUND in $(seq "$ROUNDS"); do
	for BNAME in ${BROKERS:-bare dynsec hub}; do
		ts=$(date +%s)
		# fresh broker: base RSS, then the idle crowd (volunteers + residents, all
		# subscribed to np/ann/TH/#) and the national announcement to all of them
		start_broker "$BNAME"
		crowd
		stop_broker
		# fresh broker again: the connect storm from cold, then throughput
		start_broker "$BNAME"
		profile_start connect 30
		"$NPB" connect --port "$BPORT" --users "$W/users.csv" --count "$VILLAGES_WANTED" \
			--max-open "$STORM_OPEN" --broker "$BNAME" --name connect | tag "$ROUND"
		if [ -n "${PERF:-}" ]; then kill -INT "$PERF" 2>/dev/null || true; fi
		profile_end connect
		throughput thr_1x1_q0 1 0
		throughput thr_1x1_q1 1 1
		throughput thr_50xP_q0 50 0
		throughput thr_50xP_q1 50 1
		stop_broker
		# fresh brokers: the same storm with device tokens (bare: anonymous, as
		# above), then PW_USERS volunteers at 100,000 iterations (dynsec knows
		# neither the tokens nor those users: hub and bare only)
		if [ "$BNAME" != dynsec ]; then
			start_broker "$BNAME"
			"$NPB" connect --port "$BPORT" --users "$W/users.csv" --count "$VILLAGES_WANTED" \
				--max-open "$STORM_OPEN" --broker "$BNAME" --name connect_tokens \
				--tokens "$W/tokens.txt" | tag "$ROUND"
			stop_broker
			start_broker "$BNAME"
			"$NPB" connect --port "$BPORT" --users "$W/users100k.csv" --count "$PW_USERS" \
				--broker "$BNAME" --name connect_pw100k | tag "$ROUND"
			if [ "$BNAME" = hub ]; then
				/usr/bin/python3 bench/revoke.py "$B/np-admin" "$HUBDB" "$BPORT" \
					v10010101 5 | tag "$ROUND"
			fi
			stop_broker
		fi
		echo "bench: round $ROUND $BNAME done in $(( $(date +%s) - ts )) s (total $(( $(date +%s) - T_START )) s)"
	done
done

# ---- revocation (hub only, last: it deletes residents of users.csv) -------------------
# a resident follows np/ann/TH/#, np-admin user del deletes it from another
# process; the time until the broker drops the session (idle broker otherwise)
start_broker hub
NP_DB=$HUBDB NP_ADMIN=$B/np-admin "$NPB" revoke --port "$BPORT" --users "$W/users.csv" \
	--count $([ "$MODE" = full ] && echo 50 || echo 20) --broker hub --name revoke | tag 0
# a province enrols its 320 volunteers from np-admin --hub (shipped 100,000
# iterations, hashed on the admin's side) and prints their QR tokens (issue #13)
/usr/bin/python3 bench/enrol.py "$B/np-admin" "$HUBDB" "$BPORT" 320 | tag 0
stop_broker

# ---- feed catch-up (hub only, issue #14): a volunteer's feed stopped, 10,000
# announcements to its province (rate_msgs 0, as for every hub scenario), then
# the messages per second handed to the app from np_follow on
start_broker hub
"$B/bench_catchup" "$BPORT" o50 pw50 v50010101 pw50010101 50 10000 | tag 0
stop_broker

# ---- the public site (issue #17): np-admin site build of 10,000 showcase entries,
# full, unchanged and after one new entry (no broker)
bench/site.sh "$B/np-admin" "$W" | tee -a "$NOTES" | tag 0

{ echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes (top):"
  top -bn1 -w 120 2> /dev/null | sed -n '8,10p' | awk '{ printf "  %s %s%% %s\n", $1, $9, $12 }'
} >> "$W/machine.txt"

# ---- attacks: the broker's memory and an innocent client's round trip during each
# attack of tests/attacks (its own brokers, at the shipped defaults but for the
# attack's one knob, which the table says)
echo "bench: attacks (tests/attacks/attacks.py --bench)"
/usr/bin/python3 tests/attacks/attacks.py --bench | tee "$W/attacks.txt"

# ---- the table ----------------------------------------------------------------------
bench/table.sh "$RES" "$W" | tee "$W/table.txt"
echo "bench: $(( $(date +%s) - T_START )) s in all; results in $RES"
if [ -z "${NP_BENCH_DIR:-}" ] && [ "${KEEP:-0}" != 1 ]; then
	mkdir -p "$B/bench"
	cp "$RES" "$W/table.txt" "$W/machine.txt" "$W/attacks.txt" "$NOTES" "$B/bench/"
	cp "$W"/profile-*.txt "$B/bench/" 2> /dev/null || true
	echo "bench: copies in build/bench/"
fi
