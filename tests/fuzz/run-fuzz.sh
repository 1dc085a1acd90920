#!/bin/sh
# run-fuzz.sh - runs libFuzzer targets for make fuzz (tests/fuzz/fuzz.mk):
#   FUZZ_SECONDS=60 tests/fuzz/run-fuzz.sh OUT TARGET...
# For each TARGET: merges the seeds (tests/fuzz/corpus/T/) into the scratch
# corpus OUT/corpus/T/, fuzzes OUT/T for FUZZ_SECONDS seconds with both, then
# prints one line: execs (libFuzzer's final stats), coverage and whether it
# crashed. Crash, leak, timeout and out-of-memory inputs land in
# OUT/artifacts/T/, the full output in OUT/logs/T.log. Exits 1 when any target
# left such a file or failed to run.
set -u
cd "$(dirname "$0")/../.."
out=$1
shift
secs=${FUZZ_SECONDS:-60}
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
failed=""

for t in "$@"; do
	bin=$out/$t
	seeds=tests/fuzz/corpus/$t
	corpus=$out/corpus/$t
	art=$out/artifacts/$t
	log=$out/logs/$t.log
	rm -rf "$art"
	mkdir -p "$corpus" "$art" "$out/logs" "$seeds"
	# the loop's list was expanded once: "$@" is free for libFuzzer's options
	set -- -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 -artifact_prefix="$art/"
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	# admin_import_csv reports every bad row on stderr: keep the log readable
	[ "$t" = fuzz_csv_import ] && set -- "$@" -close_fd_mask=2

	# the merge runs every input (each crash too): its artifacts are not kept,
	# the run below stops at the first input that still crashes
	rm -rf "$out/merge-artifacts"
	mkdir -p "$out/merge-artifacts"
	"$bin" "$@" -artifact_prefix="$out/merge-artifacts/" -merge=1 "$corpus" "$seeds" \
		>"$out/logs/$t.merge.log" 2>&1
	rm -rf "$out/merge-artifacts"
	"$bin" "$@" -max_total_time="$secs" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	units=$(find "$corpus" -type f | wc -l)
	found=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) | sort)
	line="$t: ${execs:-?} execs (${rate:-?}/s; ${secs} s budget), cov ${cov:-?}, corpus $units"
	if [ -n "$found" ]; then
		echo "$line: FOUND $(echo "$found" | wc -l) crashing input(s)"
		echo "$found" | head -n 3 | sed 's/^/    /'
		grep -m 3 -E 'invariant broken|^SUMMARY:|ERROR: [A-Za-z]*Sanitizer|runtime error:' \
			"$log" | sed 's/^/    /'
		echo "    log: $log"
		failed="$failed $t"
	elif [ "$rc" -ne 0 ]; then
		echo "$line: exited with status $rc (log: $log)"
		tail -n 5 "$log" | sed 's/^/    /'
		failed="$failed $t"
	else
		echo "$line: no crash"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: findings or failures in:$failed"
	echo "fuzz: rerun a crash with $out/TARGET FILE;" \
		"keep it as tests/fuzz/regressions/TARGET/NAME"
	exit 1
fi
exit 0
