# tap.sh - the TAP helpers the shell tests share (sourced by
# tests/admin/test_admin.sh, tests/examples/test_examples.sh and
# tests/anywhere/test_anywhere.sh). A test
# function runs its command into $T/out and $T/err with status $rc, then
# asserts with these; each failing assertion prints '# ' lines and returns 1.

diag() {
	printf '%s\n' "$@" >>"$T/diag"
}

# indent FILE [N]: its first N (6) lines, indented, into the diagnostics
indent() {
	head -n "${2:-6}" "$1" | sed 's/^/    /' >>"$T/diag"
}

show() {
	diag "  got exit status $rc"
	if [ -s "$T/out" ]; then
		diag "  stdout:"
		indent "$T/out"
	fi
	if [ -s "$T/err" ]; then
		diag "  stderr:"
		indent "$T/err"
	fi
	return 0
}

# sanitizer_clean: no ASan/UBSan/LSan report on the last run's stderr
sanitizer_clean() {
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/err" 2>/dev/null; then
		diag "sanitizer report (exit status $rc):"
		indent "$T/err" 30
		return 1
	fi
	return 0
}

# status N: the last run exited with N
status() {
	sanitizer_clean || return 1
	[ "$rc" -eq "$1" ] && return 0
	diag "expected exit status $1"
	show
	return 1
}

out_empty() {
	[ -s "$T/out" ] || return 0
	diag "expected nothing on stdout"
	show
	return 1
}

err_empty() {
	[ -s "$T/err" ] || return 0
	diag "expected nothing on stderr"
	show
	return 1
}

# same WHAT EXPECTED GOT
same() {
	[ "$2" = "$3" ] && return 0
	diag "$1:" "  expected: $2" "  got:      $3"
	return 1
}

# err_has TEXT...: the last run's stderr holds every TEXT
err_has() {
	for _s; do
		if ! grep -F -q -e "$_s" "$T/err"; then
			diag "expected stderr to contain: $_s"
			show
			return 1
		fi
	done
}

# t NAME FUNCTION: runs one test as TAP test number n+1 ($n, $nfail are the
# caller's); a function that returns 77 is skipped, with $skip_why as reason
t() {
	n=$((n + 1))
	: >"$T/diag"
	skip_why=""
	"$2"
	_r=$?
	if [ "$_r" -eq 0 ]; then
		echo "ok $n - $1"
	elif [ "$_r" -eq 77 ]; then
		echo "ok $n - $1 # SKIP $skip_why"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$T/diag"
		nfail=$((nfail + 1))
	fi
}
