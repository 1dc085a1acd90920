#!/bin/sh
# test_anywhere.sh - checks that the throwaway brokers of make test and make run
# start from a clone in a private directory whose path has a space (issue #10).
# Started as root, mosquitto switches to the user mosquitto before it loads the
# plugin, unless its config says "user root"; that user cannot read a clone in
# a 0700 home (/root) or a mktemp -d directory. In TAP.
#
#   tests/anywhere/test_anywhere.sh [BUILD_DIR]       (default build)
#
# The copy: "$(mktemp -d)/dir with space/" (both 0700) gets BUILD_DIR's
# np_plugin.so, np-admin and tests/broker/test_stamp, and scripts/; a symlink
# shared beside it stands for ../shared of a clone (np-admin demo reads
# ../shared/data/geo from the current directory, else from beside the
# directory that holds build/np-admin, unless NP_GEO_DIR says where). There,
# np-admin makes the template database, one broker test program of the
# harness runs, and scripts/run.sh (make run) serves the demo on free ports:
# a report that somchai publishes must reach cm_official, Ctrl-C must stop it,
# and a broker that cannot start must be explained. Exit status 0 only if all
# passed.
set -u
export LC_ALL=C

REPO=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
case ${1:-build} in
/*) B=${1:-build} ;;
*) B=$REPO/${1:-build} ;;
esac
for f in np_plugin.so np-admin tests/broker/test_stamp; do
	if [ ! -f "$B/$f" ]; then
		echo "Bail out! no $B/$f (run make all tests-build)"
		exit 2
	fi
done
SHARED=$(cd "$REPO/../shared" 2>/dev/null && pwd -P) || SHARED=""
if [ -z "${NP_GEO_DIR:-}" ] && [ ! -r "$SHARED/data/geo/provinces.csv" ]; then
	echo "Bail out! no registry data in $REPO/../shared/data/geo (the shared checkout)"
	exit 2
fi
for c in mosquitto mosquitto_sub mosquitto_pub protoc stdbuf setsid ss; do
	if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$c" ]; then
		echo "Bail out! no $c (scripts/deps.sh installs it)"
		exit 2
	fi
done

T=$(mktemp -d) || exit 2
RUN_PID=""
SUB_PID=""
cleanup() {
	[ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null
	[ -n "$RUN_PID" ] && stop_run TERM
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM
C="$T/dir with space"
mkdir -p "$C/build/tests/broker" "$C/scripts" || exit 2
chmod 0700 "$T" "$C" || exit 2
cp "$B/np_plugin.so" "$B/np-admin" "$C/build/" &&
	cp "$B/tests/broker/test_stamp" "$C/build/tests/broker/" &&
	cp "$REPO"/scripts/*.sh "$C/scripts/" || exit 2
# the web console, when this machine built it: make run serves it too
[ -f "$B/web/index.html" ] && cp -r "$B/web" "$C/build/web"

[ -n "$SHARED" ] && ln -s "$SHARED" "$T/shared"

n=0
nfail=0

. "$REPO/tests/tap.sh"

# in_copy CMD...: CMD in the copy (the current directory), nothing on stdin;
# rc, $T/out, $T/err
in_copy() {
	(cd "$C" && exec "$@") </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

listening() {
	ss -ltn "sport = :$1" 2>/dev/null | grep -q LISTEN
}

# free_port: a port in 20000..60000 that nothing listens on (as far as ss can tell)
free_port() {
	_i=0
	while [ "$_i" -lt 50 ]; do
		_p=$(od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40001 }')
		! listening "$_p" && [ "$_p" != "${PORT:-}" ] && break
		_i=$((_i + 1))
	done
	echo "$_p"
}

# start_run: scripts/run.sh of the copy on two free ports, in a session of its
# own (so that stop_run INT is a Ctrl-C); 0 once it listens on both
start_run() {
	_try=0
	while [ "$_try" -lt 5 ]; do
		PORT=$(free_port)
		TLS_PORT=$(free_port)
		WEB_PORT=$(free_port)
		(cd "$C" && exec env NP_PORT="$PORT" NP_TLS_PORT="$TLS_PORT" NP_WEB_PORT="$WEB_PORT" \
			setsid scripts/run.sh) \
			</dev/null >"$T/run.out" 2>"$T/run.err" &
		RUN_PID=$!
		_i=0
		while [ "$_i" -lt 150 ] && kill -0 "$RUN_PID" 2>/dev/null; do
			listening "$PORT" && listening "$TLS_PORT" &&
				{ [ ! -d "$C/build/web" ] || listening "$WEB_PORT"; } && return 0
			sleep 0.1
			_i=$((_i + 1))
		done
		stop_run TERM
		grep -q -e 'is taken' -e 'Address already in use' "$T/run.out" "$T/run.err" ||
			return 1
		_try=$((_try + 1))
	done
	return 1
}

# signal_run SIGNAL: to run.sh's process group (INT: as Ctrl-C does)
signal_run() {
	_g=$(ps -o pgid= -p "$RUN_PID" 2>/dev/null | tr -d ' ')
	if [ "$_g" = "$RUN_PID" ]; then
		kill -s "$1" -- "-$_g" 2>/dev/null
	else
		kill -s "$1" "$RUN_PID" 2>/dev/null
	fi
}

# stop_run SIGNAL: sends SIGNAL, waits up to 10 s (then SIGKILL, and
# stop_hung=1); rc is run.sh's exit status
stop_run() {
	rc=""
	stop_hung=0
	[ -n "$RUN_PID" ] || return 0
	signal_run "$1"
	_i=0
	while kill -0 "$RUN_PID" 2>/dev/null && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$RUN_PID" 2>/dev/null; then
		stop_hung=1
		signal_run KILL
	fi
	wait "$RUN_PID"
	rc=$?
	RUN_PID=""
}

# err_has TEXT...: $T/err contains every TEXT

show_run() {
	diag "  make run's output (the last 12 lines of each):"
	for _f in "$T/run.out" "$T/run.err"; do
		[ -s "$_f" ] && tail -n 12 "$_f" | sed 's/^/    /' >>"$T/diag"
	done
	return 0
}

# ---- the copy ----

t_copy() {
	for _d in "$T" "$C"; do
		same "mode of $_d" 700 "$(stat -c %a "$_d")" || return 1
	done
	in_copy env NP_ADMIN=build/np-admin "$REPO/tests/make-template-db.sh" build/test-template-db
	status 0 || return 1
	[ -f "$C/build/test-template-db/data.mdb" ] || { diag "no template database made"; return 1; }
}
t np_admin_makes_the_template_database_in_a_0700_dir_with_a_space_issue10 t_copy

# ---- make test: the harness ----

t_harness() {
	in_copy env NP_PLUGIN="$C/build/np_plugin.so" NP_TEMPLATE_DB="$C/build/test-template-db" \
		NP_ADMIN=build/np-admin NP_BROKER_PRELOAD= CMOCKA_MESSAGE_OUTPUT=TAP \
		build/tests/broker/test_stamp
	if [ "$rc" -ne 0 ] || grep -q '^not ok' "$T/out" || ! grep -q '^ok ' "$T/out"; then
		diag "expected build/tests/broker/test_stamp to pass from $C" \
			"  got exit status $rc" "  stdout:"
		indent "$T/out" 10
		diag "  stderr:"
		indent "$T/err" 20
		return 1
	fi
}
t broker_test_of_the_harness_passes_from_a_0700_dir_with_a_space_issue10 t_harness

# ---- make run ----

t_run_listens() {
	if ! start_run; then
		diag "expected scripts/run.sh in $C to listen on 127.0.0.1:$PORT and :$TLS_PORT"
		show_run
		return 1
	fi
}
t make_run_listens_from_a_0700_dir_with_a_space_issue10 t_run_listens

t_run_delivers() {
	[ -n "$RUN_PID" ] || { diag "make run is not running (an earlier test failed)"; return 1; }
	stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$PORT" -V 5 -u cm_official -P cm_official-demo \
		-t 'np/rep/50/#' -C 1 -W 10 -d -F 'message %t %x' >"$T/sub.out" 2>"$T/sub.err" &
	SUB_PID=$!
	_i=0
	until grep -q '^Subscribed' "$T/sub.out"; do
		_i=$((_i + 1))
		if [ "$_i" -gt 100 ] || ! kill -0 "$SUB_PID" 2>/dev/null; then
			diag "mosquitto_sub as cm_official did not subscribe to np/rep/50/#:"
			indent "$T/sub.out" 12
			indent "$T/sub.err" 12
			show_run
			return 1
		fi
		sleep 0.1
	done
	printf 'id: "0123456789abcdef"\nreport { title: "No power" }\n' |
		protoc --proto_path="$REPO/proto" --encode=np.Envelope np.proto >"$T/report.bin" &&
		mosquitto_pub -h 127.0.0.1 -p "$PORT" -V 5 -q 1 -u somchai -P somchai-demo \
			-t np/rep/50/5001/50010101/outage -f "$T/report.bin" >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || { show_run; return 1; }
	wait "$SUB_PID"
	rc=$?
	SUB_PID=""
	# the hub stamps the sender: "somchai" (736f6d63686169) is in what arrives
	if [ "$rc" -ne 0 ] ||
		! grep -q '^message np/rep/50/5001/50010101/outage .*736f6d63686169' "$T/sub.out"; then
		diag "expected cm_official to get somchai's report, stamped (exit status $rc):"
		indent "$T/sub.out" 12
		indent "$T/sub.err" 6
		show_run
		return 1
	fi
}
t make_run_delivers_somchais_report_to_cm_official_issue10 t_run_delivers

t_run_ctrl_c() {
	[ -n "$RUN_PID" ] || { diag "make run is not running (an earlier test failed)"; return 1; }
	stop_run INT
	if [ "$stop_hung" = 1 ]; then
		diag "make run was still running 10 s after Ctrl-C (SIGINT to its process group)"
		show_run
		return 1
	fi
	status 0 || { show_run; return 1; }
	_i=0
	while listening "$PORT" && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if listening "$PORT"; then
		diag "port $PORT still listens after Ctrl-C"
		return 1
	fi
	if grep -q 'np-hub: mosquitto stopped' "$T/run.err"; then
		diag "a Ctrl-C is not a failure to explain:"
		show_run
		return 1
	fi
}
t_run_serves_the_site() {
	[ -n "$RUN_PID" ] || { diag "make run is not running (an earlier test failed)"; return 1; }
	_i=0
	until curl -sf "http://127.0.0.1:$WEB_PORT/public/p/50/index.html" -o "$T/site.html"; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || { diag "no public site on :$WEB_PORT"; show_run; return 1; }
		sleep 0.1
	done
	grep -q 'เชียงใหม่' "$T/site.html" || { diag "the province page has no Thai name"; return 1; }
}
t make_run_serves_the_public_site_issue17 t_run_serves_the_site

t ctrl_c_stops_make_run_and_its_broker_with_status_0 t_run_ctrl_c

t_run_explains() {
	# a plugin that is no shared object: mosquitto starts and stops at once
	mv "$C/build/np_plugin.so" "$C/build/np_plugin.so.good" &&
		echo "not a plugin" >"$C/build/np_plugin.so" || return 1
	PORT=$(free_port)
	TLS_PORT=$(free_port)
	in_copy env NP_PORT="$PORT" NP_TLS_PORT="$TLS_PORT" NP_WEB_PORT="$(free_port)" scripts/run.sh
	mv "$C/build/np_plugin.so.good" "$C/build/np_plugin.so"
	if [ "$rc" -eq 0 ]; then
		diag "expected make run to fail with a broken plugin"
		show
		return 1
	fi
	err_has "np-hub: mosquitto stopped with exit status $rc" \
		"Error: Unable to load auth plugin" "np-hub: build/np_plugin.so did not load"
}
t make_run_explains_why_the_broker_stopped_issue10 t_run_explains

echo "1..$n"
[ "$nfail" -eq 0 ]
