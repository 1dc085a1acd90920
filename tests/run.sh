#!/bin/sh
# run.sh - runs every test of np-hub (make test calls it after building build/
# and build-san/): unit tests and np-admin tests in both builds (the second under
# AddressSanitizer + UndefinedBehaviorSanitizer), broker tests against a real
# mosquitto. Every runner speaks TAP; the last line is "N passed, N failed".
#
#   tests/run.sh --offline BUILD...   (make check) only what needs no broker: the
#                                     unit tests, fuzz replays and np-admin tests
set -u
offline=""
if [ "${1:-}" = "--offline" ]; then
	offline=1
	shift
fi
cd "$(dirname "$0")/.."
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0
fail=0
skipped=0
failed_names=""
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run_tap LABEL CMD...: runs one TAP producer and adds up its results; a
# runner that dies without saying "not ok" still counts one failure.
run_tap() {
	label=$1
	shift
	t0=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	ok=$(grep '^ok ' "$out" | grep -vc '# SKIP')
	sk=$(grep -E '^(not )?ok ' "$out" | grep -c '# SKIP')     # cmocka: "not ok N # SKIP"
	nok=$(grep '^not ok ' "$out" | grep -vc '# SKIP')
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		nok=1
		echo "not ok - $label exited with status $rc"
	fi
	if [ "$nok" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then
		cat "$out"
		failed_names="$failed_names $label"
	fi
	echo "# $label: $ok passed, $nok failed, $sk skipped ($secs s)"
	skipped=$((skipped + sk))
	pass=$((pass + ok))
	fail=$((fail + nok))
}

# summary: the last line, and the exit status
summary() {
	[ -n "$failed_names" ] && echo "# failing:$failed_names"
	echo "$pass passed, $fail failed, $skipped skipped"
	[ "$fail" -eq 0 ]
}

# offline BUILD: the unit tests (test_fuzz_*: the fuzz replays) and np-admin's
offline() {
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] && run_tap "$t" "$t"
	done
	run_tap "tests/admin ($1)" tests/admin/test_admin.sh "$1/np-admin"
}

if [ -n "$offline" ]; then
	for b in "$@"; do
		offline "$b"
	done
	summary
	exit
fi

# The database every broker test starts from: the demo plus test users.
tests/make-template-db.sh build/test-template-db || exit 1
export NP_TEMPLATE_DB="$PWD/build/test-template-db"

# Two lanes run side by side (2 cores; most of a broker test is waiting): the
# library, programs and web in one, the broker tests (plain, then with the
# sanitizer plugin) in the other. Each runner has its own hub, port and
# directory. A lane's report is printed whole when it ends, then the sum.

# lane_clients: both builds' offline tests, programs, library, np-admin
# --hub, CAP, the public site; the console and make run from anywhere
lane_clients() {
	for b in build build-san; do
		offline "$b"
		run_tap "tests/examples ($b)" tests/examples/test_examples.sh "$b"
		run_tap "tests/admin/test_remote.sh ($b np-admin)" tests/admin/test_remote.sh "$b"
		run_tap "tests/cap ($b)" tests/cap/test_cap.sh "$b"
		# the public site (issue #17); one Chromium run, with the plain build
		if [ "$b" = build ]; then
			run_tap "tests/site ($b)" tests/site/test_site.sh "$b"
		else
			NP_SITE_CHROMIUM=0 run_tap "tests/site ($b)" tests/site/test_site.sh "$b"
		fi
		# the client library (in this build) against a hub (always the plain plugin)
		for t in "$b"/tests/client/test_*; do
			[ -x "$t" ] && run_tap "$t" "$t"
		done
	done
	# the web console in headless Chromium against a real hub (issue #16)
	run_tap "tests/console" tests/console/test_console.sh build
	# the harness and make run from a copy in a 0700 directory with a space (issue #10)
	run_tap "tests/anywhere" tests/anywhere/test_anywhere.sh build
}

# lane_brokers: the broker tests and a hostile client (issue #11, Debian's
# python3 and paho-mqtt), then the same with the ASan+UBSan plugin (and
# np-admin) loaded into the stock mosquitto, the sanitizer runtime
# preloaded; a report in a broker log fails the test program
lane_brokers() {
	for t in build/tests/broker/test_*; do
		[ -x "$t" ] && run_tap "$t" "$t"
	done
	run_tap "tests/attacks" /usr/bin/python3 tests/attacks/attacks.py --tap
	asan=$(${CC:-gcc} -print-file-name=libasan.so)
	if [ ! -f "$asan" ]; then
		echo "not ok - no libasan.so for the sanitizer run of the broker tests"
		fail=$((fail + 1))
		failed_names="$failed_names asan"
		return
	fi
	for t in build/tests/broker/test_*; do
		[ -x "$t" ] && NP_PLUGIN=build-san/np_plugin.so NP_ADMIN=build-san/np-admin \
			NP_BROKER_PRELOAD="$asan" run_tap "$t (ASan+UBSan plugin)" "$t"
	done
	NP_PLUGIN=build-san/np_plugin.so NP_BROKER_PRELOAD="$asan" \
		run_tap "tests/admin/test_remote.sh (ASan+UBSan plugin)" tests/admin/test_remote.sh build
	NP_PLUGIN=build-san/np_plugin.so NP_BROKER_PRELOAD="$asan" \
		run_tap "tests/cap (ASan+UBSan plugin)" tests/cap/test_cap.sh build
	NP_PLUGIN=build-san/np_plugin.so NP_ADMIN=build-san/np-admin NP_BROKER_PRELOAD="$asan" \
		run_tap "tests/attacks (ASan+UBSan plugin)" /usr/bin/python3 tests/attacks/attacks.py --tap
}

# lane NAME FUNCTION: runs FUNCTION with counts of its own, its report into
# $lanes/NAME.log and its counts into $lanes/NAME.sum
lanes=$(mktemp -d)
trap 'rm -f "$out"; rm -rf "$lanes"' EXIT
lane() {
	(
		pass=0 fail=0 skipped=0 failed_names=""
		out=$(mktemp)
		"$2" >"$lanes/$1.log" 2>&1
		rm -f "$out"
		echo "$pass $fail $skipped $failed_names" >"$lanes/$1.sum"
	)
}
t0=$(date +%s)
lane clients lane_clients &
lane_a=$!
lane brokers lane_brokers &
lane_b=$!
wait "$lane_a" "$lane_b"
for l in clients brokers; do
	echo "# ---- lane $l ----"
	cat "$lanes/$l.log"
	if [ -f "$lanes/$l.sum" ]; then
		read -r lp lf ls ln <"$lanes/$l.sum"
		pass=$((pass + lp))
		fail=$((fail + lf))
		skipped=$((skipped + ls))
		failed_names="$failed_names${ln:+ $ln}"
	else
		echo "not ok - the lane $l ended without its counts"
		fail=$((fail + 1))
	fi
done
echo "# both lanes: $(($(date +%s) - t0)) s"
summary
