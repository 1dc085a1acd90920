#!/bin/bash
# bench/reach_feeds.sh - `make bench-reach`: a national announcement followed
# by FEEDS (1,000) real np-feed programs, as volunteers' apps would, at the
# shipped defaults (PBKDF2 100,000 iterations, rate limits on). Issue #14's
# "done when": np-reach then shows FEEDS delivered and names the villages not
# reached, which must be exactly the IDLE (200) enrolled volunteers' villages
# whose apps were not running, plus the demo volunteers'.
#
#   1. np-admin demo (24,700 villages), FEEDS + IDLE volunteers of villages
#      spread over all 77 provinces imported at 100,000 iterations;
#   2. each volunteer's app logs in once with its password (np-feed --state,
#      WAVE at a time): the hub hands it a device token, kept in its state dir;
#   3. the FEEDS apps start together and log in with their tokens; the ministry
#      announces to TH; each app prints it and exits (its DELIVERED receipt
#      sent first);
#   4. np-reach --json --all as the ministry.
#
# Prints what each step took and fails (exit 1) if a feed missed the
# announcement or np-reach's counts or list are not exactly right.
# Environment: FEEDS, IDLE, WAVE, KEEP=1 (keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
FEEDS=${FEEDS:-1000}
IDLE=${IDLE:-200}
WAVE=${WAVE:-25}
W=$(mktemp -d /tmp/npreach.XXXXXX)
PID=""
cleanup() {
	pkill -f "np-feed -p $PORT " 2>/dev/null || true
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	wait 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] && echo "bench-reach: kept $W" || rm -rf "$W"
}
PORT=0
trap cleanup EXIT
ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$(ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
say() { echo "bench-reach: $*"; }
fail() { echo "bench-reach: FAILED: $*" >&2; exit 1; }
for p in np-admin np-feed np-announce np-reach np_plugin.so; do
	[ -e "$B/$p" ] || fail "no $B/$p (run make)"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# 1. the registry and the volunteers
t0=$(ms)
"$B/np-admin" --db "$W/db" demo >/dev/null
# FEEDS + IDLE villages taken from the provinces in turn (the first village of
# every province, then the second, ...), so that all 77 have feeds
"$B/np-admin" --db "$W/db" registry list | awk -F, 'length($1) == 8 { print $1 }' |
	awk '{ print ++rank[substr($1, 1, 2)], $1 }' | sort -k1,1n -k2,2 |
	awk -v n=$((FEEDS + IDLE)) 'NR <= n { print $2 }' >"$W/chosen"
[ "$(wc -l <"$W/chosen")" -eq $((FEEDS + IDLE)) ] || fail "could not choose $((FEEDS + IDLE)) villages"
head -n "$FEEDS" "$W/chosen" >"$W/feeds"
tail -n "$IDLE" "$W/chosen" >"$W/idle"
{ echo "name,role,area,password"
  awk '{ print "v" $1 ",volunteer," $1 ",pw-" $1 }' "$W/chosen"; } >"$W/users.csv"
"$B/np-admin" --db "$W/db" user import "$W/users.csv" >/dev/null   # shipped 100,000 iterations
say "$((FEEDS + IDLE)) volunteers in $(cut -c1-2 "$W/chosen" | sort -u | wc -l) provinces" \
	"imported at 100,000 iterations in $(secs "$t0") s"

PORT=$(od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40001 }')
cat >"$W/m.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root")
listener $PORT 127.0.0.1
allow_anonymous false
persistence false
max_connections -1
log_dest file $W/log
log_type error
log_type warning
log_type notice
log_type information
log_type subscribe
plugin $B/np_plugin.so
plugin_opt_db_path $W/db
CONF
mosquitto -c "$W/m.conf" >"$W/stderr" 2>&1 &
PID=$!
i=0
until grep -q "running" "$W/log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { cat "$W/stderr" "$W/log" >&2; fail "the hub did not start"; }
	sleep 0.1
done

# subs N: wait (up to 120 s) until the log holds N more subscriptions to
# np/ann/TH/# than at line $from; prints the count
subs() {
	local n=0 i=0
	while [ $i -lt 1200 ]; do
		n=$(tail -n +$((from + 1)) "$W/log" | awk '$4 == "np/ann/TH/#"' | wc -l)
		[ "$n" -ge "$1" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	echo "$n"
}

# 2. every app's first login: the password once, a device token from then on
t0=$(ms)
mkdir "$W/st"
xargs -P "$WAVE" -I{} sh -c '"$1/np-feed" -p "$2" -u "v$3" -P "pw-$3" --state "$4/st/$3" \
	--timeout 1 "np/ann/TH/#" </dev/null >/dev/null 2>"$4/first-$3.err"' sh "$B" "$PORT" {} "$W" \
	<"$W/chosen" || true
ntok=$(find "$W/st" -name '*.token' | wc -l)
[ "$ntok" -eq $((FEEDS + IDLE)) ] || {
	cat "$W"/first-*.err | sort | uniq -c | head >&2
	fail "$ntok of $((FEEDS + IDLE)) apps got a device token"
}
say "$((FEEDS + IDLE)) first logins with the password (hub-side PBKDF2), $WAVE apps at a time," \
	"each given a device token: $(secs "$t0") s"

# 3. FEEDS apps start at once, with their tokens only
from=$(wc -l <"$W/log")
t0=$(ms)
while read -r v; do
	"$B/np-feed" -p "$PORT" -u "v$v" --state "$W/st/$v" --json --count 1 --timeout 300 \
		'np/ann/TH/#' </dev/null >"$W/feed-$v.out" 2>"$W/feed-$v.err" &
	echo $! >>"$W/feed.pids"
done <"$W/feeds"
n=$(subs "$FEEDS")
[ "$n" -ge "$FEEDS" ] || fail "only $n of $FEEDS feeds subscribed within 120 s"
say "$FEEDS feeds started together, logged in with their tokens and subscribed:" \
	"$(( $(ms) - t0 )) ms"

t0=$(ms)
"$B/np-announce" -p "$PORT" -u ministry -P ministry-demo --area TH --category emergency \
	--title "Flood warning, all provinces" </dev/null >"$W/ann.out" 2>"$W/ann.err" ||
	{ cat "$W/ann.err" >&2; fail "the ministry's announcement was not accepted"; }
ID=$(awk '/^accepted/ { print $2 }' "$W/ann.out")
while read -r p; do wait "$p" 2>/dev/null || true; done <"$W/feed.pids"
got=$(grep -l "\"id\":\"$ID\"" "$W"/feed-*.out | wc -l)
say "the national announcement printed by $got of $FEEDS feeds, the last" \
	"$(( $(ms) - t0 )) ms after it was sent"
[ "$got" -eq "$FEEDS" ] || { cat "$W"/feed-*.err | sort | uniq -c | head >&2; fail "feeds missed it"; }

# 4. the reach, as the ministry sees it
t0=$(ms)
"$B/np-reach" -p "$PORT" -u ministry -P ministry-demo --json --all "$ID" </dev/null \
	>"$W/reach.json" 2>"$W/reach.err" || { cat "$W/reach.err" >&2; fail "np-reach failed"; }
say "np-reach --json --all: $(( $(ms) - t0 )) ms (process, login, every page)"
"$B/np-admin" --db "$W/db" user list | awk -F, '$2 == "volunteer" && $1 !~ /^v/ { print $3 }' \
	>"$W/demo-villages"
python3 - "$W" "$FEEDS" <<'PY'
import json, sys
w, feeds = sys.argv[1], int(sys.argv[2])
r = json.load(open(f"{w}/reach.json"))
fed = set(open(f"{w}/feeds").read().split())
idle = (set(open(f"{w}/idle").read().split()) | set(open(f"{w}/demo-villages").read().split())) - fed
nr = r["not_reached"]
print(f"bench-reach: np-reach: targeted {r['targeted']}, delivered {r['delivered']}, "
      f"read {r['read']}, {len(r['provinces'])} provinces, {len(nr)} villages named not "
      f"reached, complete {str(r['complete']).lower()}", flush=True)
bad = []
if r["delivered"] != feeds: bad.append(f"delivered {r['delivered']}, not {feeds}")
if r["targeted"] != feeds + len(idle): bad.append(f"targeted {r['targeted']}, not {feeds + len(idle)}")
if set(nr) != idle or len(nr) != len(idle): bad.append("the villages not reached are not the idle ones")
if nr != sorted(nr): bad.append("the villages not reached are not in code order")
if not r["complete"]: bad.append("not complete")
if bad:
    sys.exit("bench-reach: FAILED: " + "; ".join(bad))
PY
