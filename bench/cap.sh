#!/bin/sh
# bench/cap.sh - `make bench-cap`: how long np-admin cap import takes for the
# real TMD alert (3 provinces by geocode, 16 polygons of 1,130 vertices), for
# the same alert with its polygons only (every province's shape tested against
# them, provinces.geojson: 26,707 vertices), and a re-import (all duplicates).
# Each figure is the median wall time of RUNS whole runs of the program
# (process start, login, one history query, publishes, outcomes) against a
# hub on a free loopback port, its clock at the alert's sent time (libfaketime).
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-21}
B=build
W=$(mktemp -d /tmp/npcap.XXXXXX)
DATA=../shared/data/cap
TMD=$DATA/tmd/CAPTMD20260923055145_2.xml
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
[ -f build/test-template-db/data.mdb ] || tests/make-template-db.sh build/test-template-db
mkdir "$W/db" && cp build/test-template-db/data.mdb "$W/db/"
echo tmd-pw | $B/np-admin --db "$W/db" user add tmd --role agency --area TH \
	--categories weather --iterations 1000 >/dev/null
python3 - "$TMD" "$W" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8-sig").read()
s = re.sub(r"\s*<Signature.*</Signature>", "", s, flags=re.S)
t = re.sub(r"\s*<geocode>.*?</geocode>", "", s, flags=re.S)
t = t.replace("<areaDesc>จันทบุรี ตราด สระแก้ว</areaDesc>", "<areaDesc>x</areaDesc>")
for i in range(64):
    open(f"{sys.argv[2]}/geo{i}.xml", "w").write(s.replace("TMD20260923055145_2", f"G{i}"))
    open(f"{sys.argv[2]}/poly{i}.xml", "w").write(t.replace("TMD20260923055145_2", f"P{i}"))
PY
PORT=$(od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40001 }')
cat >"$W/m.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root")
listener $PORT 127.0.0.1
allow_anonymous false
persistence false
plugin $PWD/build/np_plugin.so
plugin_opt_db_path $W/db
plugin_opt_rate_msgs 0
plugin_opt_history_rate 1000
CONF
TZ=Asia/Bangkok FAKETIME="@2026-09-23 05:50:00" \
	LD_PRELOAD=${NP_LIBFAKETIME:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1} \
	mosquitto -c "$W/m.conf" >"$W/log" 2>&1 &
PID=$!
i=0
until grep -q "running" "$W/log"; do
	i=$((i + 1))
	[ $i -gt 50 ] && { echo "bench-cap: the hub did not start:" >&2; cat "$W/log" >&2; exit 1; }
	sleep 0.1
done
ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
run() {  # label files...
	label=$1
	shift
	: >"$W/times"
	for f; do
		t0=$(ms)
		NP_PASSWORD=tmd-pw $B/np-admin cap import --hub "127.0.0.1:$PORT" --as tmd "$f" \
			>/dev/null || { echo "bench-cap: import of $f failed" >&2; exit 1; }
		echo $(($(ms) - t0)) >>"$W/times"
	done
	median <"$W/times" | awk -v l="$label" '{ printf "%-44s %6d ms\n", l, $1 }'
}
sel() { i=0; while [ $i -lt "$RUNS" ]; do echo "$W/$1$i.xml"; i=$((i + 1)); done; }
echo "np-admin cap import, median of $RUNS runs (plugin_opt_rate_msgs 0, plugin_opt_history_rate 1000):"
run "TMD alert, provinces by geocode (3 ann.)" $(sel geo)
run "TMD alert, polygons only (7 ann.)" $(sel poly)
run "TMD alert again (3 duplicates)" $(sel geo)
