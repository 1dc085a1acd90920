#!/bin/sh
# test_admin.sh - tests of np-admin (DESIGN.md "Build outputs and tools"), in TAP.
#
#   tests/admin/test_admin.sh build/np-admin
#
# Everything happens in a temporary directory. The demo database is made once,
# from the repository root so that demo's default --geo (../shared/data/geo) is
# the real registry, and copied for the tests that change it. Each test checks
# the exit status and what the user sees; a sanitizer report on stderr (the
# build-san binary) fails the test. Exit status 0 only if every test passed.
set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
	echo "usage: $0 path/to/np-admin" >&2
	exit 2
fi
case $1 in
/*) ADMIN=$1 ;;
*) ADMIN=$(pwd)/$1 ;;
esac
REPO=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
# demo's default registry: $NP_GEO_DIR if set, else ../shared/data/geo next to the repo
GEO=${NP_GEO_DIR:-$REPO/../shared/data/geo}
GEO=$(cd "$GEO" 2>/dev/null && pwd) || GEO=${NP_GEO_DIR:-$REPO/../shared/data/geo}
if [ ! -x "$ADMIN" ]; then
	echo "Bail out! $ADMIN is not an executable"
	exit 2
fi
if [ ! -r "$GEO/provinces.csv" ]; then
	echo "Bail out! no registry data in $GEO (the shared checkout next to the repository)"
	exit 2
fi

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' HUP INT TERM
cd "$T" || exit 2

n=0
nfail=0

# ---- helpers ----

. "$REPO/tests/tap.sh"

# run ARG...: np-admin with nothing on stdin; rc, $T/out, $T/err
run() {
	"$ADMIN" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

# run_in TEXT ARG...: the same with the line TEXT on stdin
run_in() {
	_in=$1
	shift
	printf '%s\n' "$_in" | "$ADMIN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# run_demo DB [ARG...]: np-admin --db DB demo ARG..., from the repository root
run_demo() {
	_db=$1
	shift
	(cd "$REPO" && exec "$ADMIN" --db "$_db" demo "$@") </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

# failed: the last run failed as an error (1..125), not a crash
failed() {
	sanitizer_clean || return 1
	[ "$rc" -ge 1 ] && [ "$rc" -le 125 ] && return 0
	diag "expected an error: exit status 1..125"
	show
	return 1
}

out_has() {
	for _s; do
		if ! grep -F -q -e "$_s" "$T/out"; then
			diag "expected stdout to contain: $_s"
			show
			return 1
		fi
	done
}

# places DB [PREFIX]: registry list into $T/list, which must succeed
places() {
	if [ $# -eq 1 ]; then
		run --db "$1" registry list
	else
		run --db "$1" registry list "$2"
	fi
	status 0 || return 1
	cp "$T/out" "$T/list"
}

# users DB: user list into $T/users, which must succeed
users() {
	run --db "$1" user list
	status 0 || return 1
	cp "$T/out" "$T/users"
}

# listed DB LINE: user list has exactly the line LINE
listed() {
	users "$1" || return 1
	grep -x -F -q -e "$2" "$T/users" && return 0
	diag "expected the user list to have the line: $2" "  got:"
	indent "$T/users" 20
	return 1
}

# not_listed DB NAME: user list has no user NAME
not_listed() {
	users "$1" || return 1
	grep -q "^$2," "$T/users" || return 0
	diag "expected no user '$2' in the user list, got:"
	grep "^$2," "$T/users" | sed 's/^/    /' >>"$T/diag"
	return 1
}

# need_all: the demo's registry list ($T/all) is there
need_all() {
	[ -s "$T/all" ] && return 0
	diag "the demo database has no registry (see the first test)"
	return 1
}

# copy FROM TO: a fresh copy of a database directory
copy() {
	rm -rf "$2"
	cp -r "$1" "$2" 2>>"$T/diag"
}

# csv NAME FORMAT: writes printf FORMAT to $T/NAME.csv
csv() {
	# shellcheck disable=SC2059
	printf "$2" >"$T/$1.csv"
}

# import_fails DB FILE TEXT...: registry import of FILE fails naming FILE, the
# registry stays as it was, stderr has every TEXT
import_fails() {
	_db=$1
	_f=$2
	shift 2
	places "$_db" || return 1
	cp "$T/list" "$T/before"
	run --db "$_db" registry import "$_f"
	failed || return 1
	err_has "$_f" "$@" || return 1
	places "$_db" || return 1
	if ! cmp -s "$T/before" "$T/list"; then
		diag "expected a failed import to change nothing; the registry was:"
		indent "$T/before" 10
		diag "  and became:"
		indent "$T/list" 10
		return 1
	fi
}

# user_record DB NAME: the user's stored record in hex (mdb_dump)
user_record() {
	_key=$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')
	mdb_dump -s users "$1" 2>/dev/null | awk -v k=" $_key" 'p { print; exit } $0 == k { p = 1 }' |
		tr -d ' '
}

kdf_tools() {
	command -v mdb_dump >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 &&
		openssl kdf -keylen 8 -kdfopt digest:SHA512 -kdfopt pass:x -kdfopt hexsalt:00 \
			-kdfopt iter:1 PBKDF2 >/dev/null 2>&1
}

# hexbyte N: the byte at hex digit N of $_rec
hexbyte() {
	printf '%s' "$_rec" | cut -c "$1-$(($1 + 1))"
}

# hash_matches DB NAME PASSWORD: 0 if the stored hash is PBKDF2-HMAC-SHA512 of
# PASSWORD with the stored salt and iterations, 1 if not (or no such user), 2 if
# the record is not laid out as broker-plugin/store.c's user record table says
# (97 bytes: version 1, role, categories LE16, iterations LE32, salt 16, hash 64,
# area length, area 8): a failure too, since the bytes on disk must not change
hash_matches() {
	_rec=$(user_record "$1" "$2")
	[ -n "$_rec" ] || return 1
	[ ${#_rec} -eq 194 ] || return 2
	case $_rec in 01*) ;; *) return 2 ;; esac
	_it=$((0x$(hexbyte 15)$(hexbyte 13)$(hexbyte 11)$(hexbyte 9)))
	_salt=$(printf '%s' "$_rec" | cut -c17-48)
	_hash=$(printf '%s' "$_rec" | cut -c49-176)
	_got=$(openssl kdf -keylen 64 -kdfopt digest:SHA512 -kdfopt "pass:$3" \
		-kdfopt "hexsalt:$_salt" -kdfopt "iter:$_it" PBKDF2 2>/dev/null | tr -d ':\n' |
		tr 'A-F' 'a-f')
	[ -n "$_got" ] || return 2
	[ "$_got" = "$_hash" ]
}

# ---- fixtures ----

# the demo database, made once (its output kept for the demo tests)
run_demo "$T/demo"
demo_rc=$rc
cp "$T/out" "$T/demo.out"
cp "$T/err" "$T/demo.err"
"$ADMIN" --db "$T/demo" registry list >"$T/all" 2>/dev/null
"$ADMIN" --db "$T/demo" user list >"$T/demo.users" 2>/dev/null
copy "$T/demo" "$T/u"
copy "$T/demo" "$T/demo.fresh"  # as demo left it, for the audit

# a small registry: 98 > 9801 > 980101
"$ADMIN" --db "$T/small" init </dev/null >/dev/null 2>&1
printf 'code,name_th,name_en\n98,จังหวัดทดสอบ,Test Province\n9801,อำเภอทดสอบ,Test District\n980101,ตำบลทดสอบ,Test Subdistrict\n' \
	>"$T/base.csv"
"$ADMIN" --db "$T/small" registry import "$T/base.csv" </dev/null >/dev/null 2>&1

# ---- demo ----

t_demo_reports_counts() {
	rc=$demo_rc
	cp "$T/demo.out" "$T/out"
	cp "$T/demo.err" "$T/err"
	status 0 || return 1
	out_has "77 provinces" "929 districts" "7451 subdistricts" "24700 villages"
}
t demo_with_default_geo_exits_0_and_reports_77_provinces_929_districts_7451_subdistricts_24700_villages \
	t_demo_reports_counts

t_demo_list_counts() {
	places "$T/demo" || return 1
	same "places with 2/4/6/8-digit codes, other" "77 929 7451 24700 0 (33157 in all)" \
		"$(awk -F, '{ c[length($1)]++ }
		END { printf "%d %d %d %d %d (%d in all)", c[2], c[4], c[6], c[8],
		      NR - c[2] - c[4] - c[6] - c[8], NR }' "$T/list")"
}
t demo_registry_list_has_77_provinces_929_districts_7451_subdistricts_24700_villages t_demo_list_counts

t_demo_matches_geo() {
	need_all || return 1
	awk -F, 'length($1) != 8' "$T/all" >"$T/got"
	for f in provinces districts subdistricts; do
		tail -n +2 "$GEO/$f.csv"
	done | sort -t, -k1,1 >"$T/want"
	cmp -s "$T/want" "$T/got" && return 0
	diag "expected the provinces, districts and subdistricts of $GEO, byte for byte; first differences:"
	diff "$T/want" "$T/got" | head -n 6 | sed 's/^/    /' >>"$T/diag"
	return 1
}
t demo_provinces_districts_subdistricts_are_the_geo_files_with_thai_names_intact t_demo_matches_geo

t_demo_villages_01_03() {
	need_all || return 1
	same "subdistricts missing a village 01, 02 or 03; villages numbered other than 01..04; villages without their subdistrict" \
		"0 0 0" "$(awk -F, '
		length($1) == 6 { s[$1] = 1 }
		length($1) == 8 { v[$1] = 1 }
		END {
			for (c in s)
				if (!((c "01") in v) || !((c "02") in v) || !((c "03") in v))
					miss++
			for (c in v) {
				if (substr(c, 7, 2) !~ /^0[1-4]$/)
					odd++
				if (!(substr(c, 1, 6) in s))
					orphan++
			}
			printf "%d %d %d", miss, odd, orphan
		}' "$T/all")"
}
t demo_every_subdistrict_has_villages_01_02_03_and_no_others_but_04 t_demo_villages_01_03

t_demo_village_04() {
	need_all || return 1
	same "2347th subdistrict (has 04), 2348th (has 04), villages 04, of them under a later subdistrict" \
		"340203 (yes) 340204 (no) 2347 0" "$(awk -F, '
		length($1) == 6 { i[$1] = ++k; if (k == 2347) a = $1; if (k == 2348) b = $1 }
		length($1) == 8 { v[$1] = 1; if (substr($1, 7, 2) == "04") { n4++; if (i[substr($1, 1, 6)] > 2347) late++ } }
		END { printf "%s (%s) %s (%s) %d %d", a, (a "04") in v ? "yes" : "no",
		      b, (b "04") in v ? "yes" : "no", n4, late }' "$T/all")"
}
t demo_first_2347_subdistricts_in_code_order_have_village_04_and_the_rest_do_not t_demo_village_04

t_demo_village_names() {
	need_all || return 1
	grep -x -F -q '34020304,หมู่ 4,Mu 4' "$T/all" || {
		diag "expected the line: 34020304,หมู่ 4,Mu 4" "  got:"
		grep '^34020304' "$T/all" | sed 's/^/    /' >>"$T/diag"
		return 1
	}
	awk -F, 'length($1) == 8 { k = substr($1, 8, 1) + 0
		if ($2 != "หมู่ " k || $3 != "Mu " k || NF != 3) print }' "$T/all" >"$T/bad"
	[ -s "$T/bad" ] || return 0
	diag "expected every village NN named \"หมู่ N\",\"Mu N\"; got e.g.:"
	indent "$T/bad" 3
	return 1
}
t demo_villages_are_named_mu_n_in_thai_and_english t_demo_village_names

t_demo_roles() {
	[ -s "$T/demo.users" ] || { diag "the demo database has no users"; return 1; }
	for r in volunteer resident official agency operator admin; do
		if ! cut -d, -f2 "$T/demo.users" | grep -x -q "$r"; then
			diag "expected a demo user of role $r; user list:"
			indent "$T/demo.users" 20
			return 1
		fi
	done
	bad=$(awk -F, 'NF != 4 || ($2 == "agency") != ($4 != "")' "$T/demo.users")
	same "user list lines that are not name,role,area,categories (categories for agencies only)" "" "$bad"
}
t demo_creates_a_user_of_each_role_volunteer_resident_official_agency_operator_admin t_demo_roles

t_demo_passwords() {
	[ -s "$T/demo.users" ] || { diag "user list of the demo is empty"; return 1; }
	while IFS=, read -r name role area cats; do
		pw=$(awk -v u="$name" -v r="$role" -v a="$area" '$1 == u && $3 == r && $4 == a { print $2; exit }' \
			"$T/demo.out")
		case $pw in
		"" | "(exists"*)
			diag "expected demo to print the password of $name ($role $area); demo printed:"
			indent "$T/demo.out" 20
			return 1
			;;
		esac
		echo "$name $pw" >>"$T/demo.pw"
	done <"$T/demo.users"
}
t demo_prints_a_password_for_each_of_its_users t_demo_passwords

t_demo_passwords_work() {
	kdf_tools || { skip_why="needs mdb_dump (lmdb-utils) and openssl kdf"; return 77; }
	[ -s "$T/demo.pw" ] || { diag "no demo passwords (see the test before)"; return 1; }
	while read -r name pw; do
		hash_matches "$T/demo" "$name" "$pw"
		case $? in
		0) ;;
		1) diag "the stored hash of $name (if any) is not that of the printed password '$pw'"; return 1 ;;
		*) diag "the stored record of $name is not laid out as store.c says:" "  $_rec"; return 1 ;;
		esac
	done <"$T/demo.pw"
}
t demo_printed_passwords_are_the_ones_stored t_demo_passwords_work

t_demo_again() {
	copy "$T/demo" "$T/again" || return 1
	run_demo "$T/again"
	status 0 || return 1
	out_has "24700 villages" "exists" || return 1
	places "$T/again" || return 1
	cmp -s "$T/all" "$T/list" || { diag "expected the same registry after a second demo"; return 1; }
	users "$T/again" || return 1
	cmp -s "$T/demo.users" "$T/users" || { diag "expected the same users after a second demo"; return 1; }
	if kdf_tools && [ -s "$T/demo.pw" ]; then
		read -r name pw <"$T/demo.pw"
		hash_matches "$T/again" "$name" "$pw"
		[ $? -ne 1 ] || { diag "expected a second demo to keep the password of $name"; return 1; }
	fi
	return 0
}
t demo_run_twice_keeps_registry_users_and_passwords t_demo_again

t_demo_geo_option() {
	mkdir -p "$T/geo"
	printf 'code,name_th,name_en\n50,เชียงใหม่,Chiang Mai\n' >"$T/geo/provinces.csv"
	printf 'code,name_th,name_en\n5001,เมืองเชียงใหม่,Mueang Chiang Mai\n' >"$T/geo/districts.csv"
	printf 'code,name_th,name_en\n500101,ศรีภูมิ,Si Phum\n' >"$T/geo/subdistricts.csv"
	run_demo "$T/mini" --geo "$T/geo"
	status 0 || return 1
	out_has "1 provinces" "4 villages" || return 1
	places "$T/mini" || return 1
	same "registry codes" "50 5001 500101 50010101 50010102 50010103 50010104" \
		"$(cut -d, -f1 "$T/list" | tr '\n' ' ' | sed 's/ $//')"
}
t demo_geo_option_reads_the_registry_from_that_directory t_demo_geo_option

t_demo_no_geo() {
	run_demo "$T/nogeo-db" --geo "$T/nowhere"
	failed || return 1
	err_has "$T/nowhere/provinces.csv"
}
t demo_with_a_missing_geo_directory_fails_naming_the_file_it_wanted t_demo_no_geo

# ---- registry list ----

t_list_prefix() {
	need_all || return 1
	places "$T/demo" 5001 || return 1
	same "first line" "5001,เมืองเชียงใหม่,Mueang Chiang Mai" "$(head -n 1 "$T/list")" || return 1
	bad=$(grep -v '^5001' "$T/list" | head -n 3)
	same "lines not starting with 5001" "" "$bad" || return 1
	sort -t, -k1,1 -c "$T/list" 2>/dev/null || { diag "expected the lines in code order"; indent "$T/list" 10; return 1; }
	grep '^5001' "$T/all" >"$T/want"
	cmp -s "$T/want" "$T/list" || {
		diag "expected all $(wc -l <"$T/want") places of 5001 (as in the full list), got $(wc -l <"$T/list")"
		return 1
	}
}
t registry_list_5001_prints_exactly_the_places_of_5001_in_code_order t_list_prefix

t_list_prefix_string() {
	need_all || return 1
	places "$T/demo" 5 || return 1
	grep '^5' "$T/all" >"$T/want"
	cmp -s "$T/want" "$T/list" && return 0
	diag "expected the $(wc -l <"$T/want") codes starting with 5, got $(wc -l <"$T/list"), e.g.:"
	indent "$T/list" 3
	return 1
}
t registry_list_prefix_5_matches_codes_starting_with_5_at_every_level t_list_prefix_string

t_list_prefix_none() {
	run --db "$T/demo" registry list 99
	status 0 || return 1
	out_empty
}
t registry_list_prefix_matching_nothing_prints_nothing_and_exits_0 t_list_prefix_none

t_list_order() {
	need_all || return 1
	places "$T/demo" || return 1
	sort -t, -k1,1 -c "$T/list" 2>"$T/sorterr" && return 0
	diag "expected the places in code order:"
	indent "$T/sorterr" 2
	return 1
}
t registry_list_prints_all_places_in_code_order t_list_order

t_list_csv() {
	need_all || return 1
	field='([^",]*|"([^"]|"")*")'
	grep -E -v "^[0-9]+,$field,$field\$" "$T/all" >"$T/bad"
	[ -s "$T/bad" ] || return 0
	diag "expected every line to be CSV code,name_th,name_en; got e.g.:"
	indent "$T/bad" 3
	return 1
}
t registry_list_lines_are_csv_code_name_th_name_en t_list_csv

# ---- registry import ----

t_import_ok() {
	copy "$T/small" "$T/imp" || return 1
	csv ok 'code,name_th,name_en\n9802,อำเภอสอง,Second District\n980201,ตำบลสอง,Second Subdistrict\n98020101,หมู่ 1,Mu 1\n'
	run --db "$T/imp" registry import "$T/ok.csv"
	status 0 || return 1
	out_has "3 places" || return 1
	places "$T/imp" 9802 || return 1
	same "registry list 9802" \
		"9802,อำเภอสอง,Second District|980201,ตำบลสอง,Second Subdistrict|98020101,หมู่ 1,Mu 1" \
		"$(tr '\n' '|' <"$T/list" | sed 's/|$//')"
}
t import_adds_rows_under_parents_already_in_the_registry_and_says_how_many t_import_ok

t_import_orphan() {
	copy "$T/small" "$T/imp" || return 1
	csv orphan 'code,name_th,name_en\n97,จังหวัด,Province\n9701,อำเภอ,District\n9901,อำเภอ,Orphan District\n970101,ตำบล,Subdistrict\n'
	import_fails "$T/imp" "$T/orphan.csv" "$T/orphan.csv:4" "9901"
}
t import_row_whose_parent_is_missing_fails_naming_file_line_and_code t_import_orphan

t_import_orphan_nothing() {
	copy "$T/small" "$T/imp" || return 1
	run --db "$T/imp" registry import "$T/orphan.csv"
	failed || return 1
	places "$T/imp" 97 || return 1
	[ -s "$T/list" ] || return 0
	diag "expected nothing from the failed file, got:"
	indent "$T/list"
	return 1
}
t import_with_a_bad_row_imports_nothing_from_that_file t_import_orphan_nothing

t_import_header() {
	copy "$T/small" "$T/imp" || return 1
	csv hdr 'code,name,name_en\n97,จังหวัด,Province\n'
	import_fails "$T/imp" "$T/hdr.csv" "$T/hdr.csv:1" "header" || return 1
	csv nohdr '97,จังหวัด,Province\n'
	import_fails "$T/imp" "$T/nohdr.csv" "$T/nohdr.csv:1" "header"
}
t import_without_the_header_code_name_th_name_en_fails_at_line_1 t_import_header

t_import_few() {
	copy "$T/small" "$T/imp" || return 1
	csv few 'code,name_th,name_en\n97,จังหวัด,Province\n9701,อำเภอ\n'
	import_fails "$T/imp" "$T/few.csv" "$T/few.csv:3" "3 fields"
}
t import_row_with_two_fields_fails_naming_file_and_line t_import_few

t_import_many() {
	copy "$T/small" "$T/imp" || return 1
	csv many 'code,name_th,name_en\n97,จังหวัด,Province,extra\n'
	import_fails "$T/imp" "$T/many.csv" "$T/many.csv:2" "3 fields"
}
t import_row_with_four_fields_fails_naming_file_and_line t_import_many

t_import_code3() {
	copy "$T/small" "$T/imp" || return 1
	csv code3 'code,name_th,name_en\n97,จังหวัด,Province\n970,อำเภอ,District\n'
	import_fails "$T/imp" "$T/code3.csv" "$T/code3.csv:3" "'970'"
}
t import_3_digit_code_fails_naming_file_line_and_code t_import_code3

t_import_code5() {
	copy "$T/small" "$T/imp" || return 1
	csv code5 'code,name_th,name_en\n97,จังหวัด,Province\n97011,อำเภอ,District\n'
	import_fails "$T/imp" "$T/code5.csv" "$T/code5.csv:3" "'97011'"
}
t import_5_digit_code_fails_naming_file_line_and_code t_import_code5

t_import_code_alpha() {
	copy "$T/small" "$T/imp" || return 1
	csv alpha 'code,name_th,name_en\n97,จังหวัด,Province\n97A1,อำเภอ,District\n'
	import_fails "$T/imp" "$T/alpha.csv" "$T/alpha.csv:3" "'97A1'" || return 1
	csv th 'code,name_th,name_en\nTH,ประเทศไทย,Thailand\n'
	import_fails "$T/imp" "$T/th.csv" "$T/th.csv:2" "'TH'"
}
t import_code_with_a_letter_or_TH_fails_naming_file_line_and_code t_import_code_alpha

t_import_empty_name() {
	copy "$T/small" "$T/imp" || return 1
	csv noth 'code,name_th,name_en\n97,จังหวัด,Province\n9701,,District\n'
	import_fails "$T/imp" "$T/noth.csv" "$T/noth.csv:3" "'9701'" "empty" || return 1
	csv noen 'code,name_th,name_en\n97,จังหวัด,\n'
	import_fails "$T/imp" "$T/noen.csv" "$T/noen.csv:2" "'97'" "empty"
}
t import_empty_thai_or_english_name_fails_naming_file_line_and_code t_import_empty_name

t_import_utf8() {
	copy "$T/small" "$T/imp" || return 1
	csv u8th 'code,name_th,name_en\n97,จังหวัด,Province\n9701,\377\376,District\n'
	import_fails "$T/imp" "$T/u8th.csv" "$T/u8th.csv:3" "'9701'" "UTF-8" || return 1
	csv u8en 'code,name_th,name_en\n97,จังหวัด,Prov\300\257nce\n'
	import_fails "$T/imp" "$T/u8en.csv" "$T/u8en.csv:2" "'97'" "UTF-8"
}
t import_name_with_invalid_utf8_fails_naming_file_line_and_code t_import_utf8

t_import_quote() {
	copy "$T/small" "$T/imp" || return 1
	csv uq 'code,name_th,name_en\n97,จังหวัด,Province\n9701,"อำเภอ,District\n'
	import_fails "$T/imp" "$T/uq.csv" "$T/uq.csv:3"
}
t import_unterminated_quote_fails_naming_file_and_line t_import_quote

t_import_quote_msg() {
	copy "$T/small" "$T/imp" || return 1
	run --db "$T/imp" registry import "$T/uq.csv"
	failed || return 1
	# (the file is uq.csv, so "quote" cannot come from its name)
	grep -i -q 'quote' "$T/err" && return 0
	diag "expected the message to say the problem is a quote (an unterminated quoted field)"
	show
	return 1
}
t import_unterminated_quote_message_says_it_is_about_a_quote t_import_quote_msg

t_import_missing() {
	copy "$T/small" "$T/imp" || return 1
	run --db "$T/imp" registry import "$T/nonexistent.csv"
	failed || return 1
	err_has "$T/nonexistent.csv" "No such file"
}
t import_of_a_file_that_does_not_exist_fails_naming_it t_import_missing

t_import_empty_file() {
	copy "$T/small" "$T/imp" || return 1
	: >"$T/empty.csv"
	import_fails "$T/imp" "$T/empty.csv" "empty"
}
t import_of_an_empty_file_fails_saying_it_is_empty t_import_empty_file

t_import_reverse() {
	copy "$T/small" "$T/imp" || return 1
	csv rev 'code,name_th,name_en\n97010101,หมู่ 1,Mu 1\n970101,ตำบล,Subdistrict\n9701,อำเภอ,District\n97,จังหวัด,Province\n'
	run --db "$T/imp" registry import "$T/rev.csv"
	status 0 || return 1
	out_has "4 places" || return 1
	places "$T/imp" 97 || return 1
	same "registry list 97 codes" "97 9701 970101 97010101" "$(cut -d, -f1 "$T/list" | tr '\n' ' ' | sed 's/ $//')"
}
t import_rows_children_before_parents_imports_them_all t_import_reverse

t_import_csv_roundtrip() {
	copy "$T/small" "$T/imp" || return 1
	csv quoted 'code,name_th,name_en\n97,"กรุงเทพ, มหานคร","Bangkok, ""the capital"""\n9701,"อำเภอ ""หนึ่ง""",Plain\n'
	run --db "$T/imp" registry import "$T/quoted.csv"
	status 0 || return 1
	places "$T/imp" 97 || return 1
	same "registry list 97" \
		'97,"กรุงเทพ, มหานคร","Bangkok, ""the capital"""|9701,"อำเภอ ""หนึ่ง""",Plain' \
		"$(tr '\n' '|' <"$T/list" | sed 's/|$//')"
}
t import_quoted_names_with_commas_and_quotes_list_back_as_the_same_csv t_import_csv_roundtrip

t_import_crlf() {
	copy "$T/small" "$T/imp" || return 1
	csv crlf 'code,name_th,name_en\r\n97,จังหวัด,Province\r\n'
	run --db "$T/imp" registry import "$T/crlf.csv"
	status 0 || return 1
	places "$T/imp" 97 || return 1
	same "registry list 97" "97,จังหวัด,Province" "$(cat "$T/list")"
}
t import_accepts_crlf_line_endings t_import_crlf

t_import_blank_line() {
	copy "$T/small" "$T/imp" || return 1
	csv blank 'code,name_th,name_en\n97,จังหวัด,Province\n\n9901,อำเภอ,Orphan District\n'
	import_fails "$T/imp" "$T/blank.csv" "$T/blank.csv:4:" "9901"
}
t import_error_after_a_blank_line_names_the_right_line_number t_import_blank_line

# ---- user add / del ----

t_add_volunteer() {
	run_in 'Tiger-Lily-2024' --db "$T/u" user add vol_test --role volunteer --area 50010103 --iterations 1000
	status 0 || return 1
	out_has "vol_test" || return 1
	listed "$T/u" "vol_test,volunteer,50010103,"
}
t user_add_volunteer_on_a_village_succeeds_and_is_listed t_add_volunteer

t_add_roles() {
	for spec in "off_th official TH" "off_prov official 50" "off_dist official 5001" \
		"res_v resident 50010103" "op_th operator TH" "op_prov operator 50" "adm2 admin TH"; do
		# shellcheck disable=SC2086
		set -- $spec
		run_in "pw-$1" --db "$T/u" user add "$1" --role "$2" --area "$3" --iterations 1000
		status 0 || return 1
		out_has "$1" || return 1
		listed "$T/u" "$1,$2,$3," || return 1
	done
}
t user_add_accepts_official_on_TH_province_district_resident_on_village_operator_on_TH_province_admin_on_TH \
	t_add_roles

t_add_agency() {
	run_in 'pw-agency' --db "$T/u" user add ag_health --role agency --area 50 \
		--categories health,emergency --iterations 1000
	status 0 || return 1
	users "$T/u" || return 1
	line=$(grep '^ag_health,' "$T/users")
	cats=$(echo "$line" | cut -d, -f4 | tr ';' '\n' | sort | tr '\n' ';' | sed 's/;$//')
	same "ag_health in user list (categories sorted)" "ag_health,agency,50,emergency;health" \
		"$(echo "$line" | cut -d, -f1-3),$cats"
}
t user_add_agency_with_categories_is_listed_with_them t_add_agency

t_add_password_stored() {
	run_in 'Zebra pass 42' --db "$T/u" user add pw_check --role official --area TH --iterations 1000
	status 0 || return 1
	printf 'Crlf-pass\r\n' | "$ADMIN" --db "$T/u" user add pw_crlf --role official --area TH \
		--iterations 1000 >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	kdf_tools || { skip_why="needs mdb_dump (lmdb-utils) and openssl kdf"; return 77; }
	hash_matches "$T/u" pw_check 'Zebra pass 42'
	case $? in
	0) ;;
	1) diag "expected a stored hash of 'Zebra pass 42' (the stdin line without its newline) for pw_check"; return 1 ;;
	*) diag "the stored record of pw_check is not laid out as store.c says:" \
		"  $(user_record "$T/u" pw_check)"; return 1 ;;
	esac
	hash_matches "$T/u" pw_crlf 'Crlf-pass' ||
		{ diag "expected the stored hash to be that of 'Crlf-pass' (line ending CR LF stripped)"; return 1; }
}
t user_add_takes_the_password_from_the_stdin_line_without_its_line_ending t_add_password_stored

t_refuse_area() {
	run_in 'pw' --db "$T/u" user add v_nowhere --role volunteer --area 50010104 --iterations 1000
	failed || return 1
	err_has "'50010104'" "not in the registry" || return 1
	not_listed "$T/u" v_nowhere
}
t user_add_area_not_in_registry_is_refused_saying_so t_refuse_area

# refuse_hold NAME ROLE AREA [ARG...]
refuse_hold() {
	_name=$1
	_role=$2
	_area=$3
	shift 3
	run_in 'pw' --db "$T/u" user add "$_name" --role "$_role" --area "$_area" --iterations 1000 "$@"
	failed || return 1
	err_has "cannot hold" "'$_area'" || return 1
	not_listed "$T/u" "$_name"
}

t_refuse_vol_prov() { refuse_hold v_prov volunteer 50; }
t user_add_volunteer_on_a_province_is_refused_saying_it_cannot_hold_it t_refuse_vol_prov

t_refuse_off_village() { refuse_hold off_village official 50010101; }
t user_add_official_on_a_village_is_refused_saying_it_cannot_hold_it t_refuse_off_village

t_refuse_agency_district() { refuse_hold ag_dist agency 5001 --categories weather; }
t user_add_agency_on_a_district_is_refused_saying_it_cannot_hold_it t_refuse_agency_district

t_refuse_admin_village() { refuse_hold adm_village admin 50010101; }
t user_add_admin_on_a_village_is_refused_saying_it_cannot_hold_it t_refuse_admin_village

t_refuse_admin_subdistrict() { refuse_hold adm_sub admin 500101; }
t user_add_admin_on_a_subdistrict_is_refused_saying_it_cannot_hold_it t_refuse_admin_subdistrict

# scoped admins (DESIGN.md "Admins may be scoped"): TH, a province or a district
t_add_scoped_admins() {
	for spec in "adm_p50 admin 50" "adm_d5001 admin 5001"; do
		# shellcheck disable=SC2086
		set -- $spec
		run_in "pw-$1" --db "$T/u" user add "$1" --role "$2" --area "$3" --iterations 1000
		status 0 || return 1
		listed "$T/u" "$1,$2,$3," || return 1
	done
	run --db "$T/u" user set adm_p50 --area 5002
	status 0 || return 1
	listed "$T/u" "adm_p50,admin,5002,"
}
t user_add_and_set_accept_an_admin_scoped_to_a_province_or_a_district t_add_scoped_admins

t_refuse_more() {
	refuse_hold res_th resident TH || return 1
	refuse_hold op_dist operator 5001 || return 1
	refuse_hold off_sub official 500101
}
t user_add_resident_on_TH_operator_on_a_district_official_on_a_subdistrict_are_refused t_refuse_more

t_refuse_dup() {
	run_in 'pw' --db "$T/u" user add somchai --role official --area TH --iterations 1000
	failed || return 1
	err_has "'somchai'" "already exists" || return 1
	listed "$T/u" "somchai,volunteer,50010101,"
}
t user_add_existing_name_is_refused_and_keeps_the_existing_user t_refuse_dup

t_refuse_role() {
	run_in 'pw' --db "$T/u" user add king1 --role king --area TH --iterations 1000
	failed || return 1
	err_has "unknown role" "'king'" || return 1
	not_listed "$T/u" king1
}
t user_add_unknown_role_is_refused_naming_it t_refuse_role

t_refuse_agency_nocat() {
	run_in 'pw' --db "$T/u" user add ag_nocat --role agency --area TH --iterations 1000
	failed || return 1
	err_has "--categories" || return 1
	not_listed "$T/u" ag_nocat
}
t user_add_agency_without_categories_is_refused_asking_for_them t_refuse_agency_nocat

t_refuse_category() {
	run_in 'pw' --db "$T/u" user add ag_bogus --role agency --area TH --categories weather,bogus --iterations 1000
	failed || return 1
	err_has "bogus" || return 1
	not_listed "$T/u" ag_bogus
}
t user_add_unknown_category_is_refused_naming_it t_refuse_category

t_refuse_cat_nonagency() {
	run_in 'pw' --db "$T/u" user add off_cat --role official --area TH --categories weather --iterations 1000
	failed || return 1
	err_has "--categories" || return 1
	not_listed "$T/u" off_cat
}
t user_add_categories_for_a_non_agency_is_refused t_refuse_cat_nonagency

t_refuse_name() {
	run_in 'pw' --db "$T/u" user add 1abc --role official --area TH --iterations 1000
	failed || return 1
	err_has "'1abc'" "user name" || return 1
	not_listed "$T/u" 1abc
}
t user_add_name_starting_with_a_digit_is_refused_naming_it t_refuse_name

t_refuse_empty_pw() {
	run_in '' --db "$T/u" user add nopw --role official --area TH --iterations 1000
	failed || return 1
	err_has "password" "empty" || return 1
	not_listed "$T/u" nopw
}
t user_add_empty_password_is_refused t_refuse_empty_pw

# the hub reads a password opening with npt_ as a device token: such a user
# could never log in with it
t_refuse_token_pw() {
	run_in 'npt_not-a-password' --db "$T/u" user add tokpw --role official --area TH \
		--iterations 1000
	failed || return 1
	err_has "npt_" "device token" || return 1
	not_listed "$T/u" tokpw || return 1
	printf 'name,role,area,password\ntokpw2,official,TH,npt_x\n' >"$T/tokpw.csv"
	run --db "$T/u" user import "$T/tokpw.csv" --iterations 1000
	failed || return 1
	err_has "tokpw.csv:2" "npt_" || return 1
	not_listed "$T/u" tokpw2
}
t user_add_and_import_refuse_a_password_that_reads_as_a_token t_refuse_token_pw

t_refuse_no_pw() {
	run --db "$T/u" user add nostdin --role official --area TH --iterations 1000
	failed || return 1
	err_has "password" "standard input" || return 1
	not_listed "$T/u" nostdin
}
t user_add_with_nothing_on_stdin_is_refused_asking_for_the_password t_refuse_no_pw

t_refuse_iter() {
	run_in 'pw' --db "$T/u" user add lowiter --role official --area TH --iterations 5
	failed || return 1
	err_has "--iterations" || return 1
	not_listed "$T/u" lowiter
}
t user_add_iterations_below_1000_is_refused t_refuse_iter

t_refuse_noarea() {
	run_in 'pw' --db "$T/u" user add noarea --role official
	failed || return 1
	err_has "--area" || return 1
	not_listed "$T/u" noarea
}
t user_add_without_area_is_refused_showing_its_usage t_refuse_noarea

t_del() {
	users "$T/u" || return 1
	before=$(wc -l <"$T/users")
	run --db "$T/u" user del malee
	status 0 || return 1
	out_has "malee" || return 1
	not_listed "$T/u" malee || return 1
	same "number of users after deleting one" "$((before - 1))" "$(wc -l <"$T/users")" || return 1
	listed "$T/u" "somchai,volunteer,50010101,"
}
t user_del_removes_only_that_user_from_user_list t_del

t_del_readd() {
	run --db "$T/u" user del nok
	status 0 || return 1
	run_in 'pw-nok-2' --db "$T/u" user add nok --role resident --area 50010102 --iterations 1000
	status 0 || return 1
	listed "$T/u" "nok,resident,50010102,"
}
t user_del_then_add_of_the_same_name_succeeds t_del_readd

t_del_unknown() {
	users "$T/u" || return 1
	cp "$T/users" "$T/before"
	run --db "$T/u" user del ghost
	failed || return 1
	err_has "'ghost'" || return 1
	users "$T/u" || return 1
	cmp -s "$T/before" "$T/users" || { diag "expected the user list unchanged"; return 1; }
}
t user_del_unknown_user_fails_naming_it t_del_unknown

# ---- user set / passwd ----

copy "$T/demo" "$T/s"

# secret DB NAME: the salt and hash of the user's stored record (hex), or ""
secret() {
	user_record "$1" "$2" | cut -c17-176
}

t_set_area() {
	command -v mdb_dump >/dev/null 2>&1 || { skip_why="needs mdb_dump (lmdb-utils)"; return 77; }
	before=$(secret "$T/s" somchai)
	run --db "$T/s" user set somchai --area 50010102
	status 0 || return 1
	out_has "somchai" "50010102" || return 1
	listed "$T/s" "somchai,volunteer,50010102," || return 1
	same "salt and hash of somchai (the password is kept)" "$before" "$(secret "$T/s" somchai)"
}
t user_set_area_moves_the_user_and_keeps_its_password t_set_area

t_set_role_area() {
	run --db "$T/s" user set muang_official --role operator --area 50
	status 0 || return 1
	listed "$T/s" "muang_official,operator,50,"
}
t user_set_role_and_area_together_changes_both t_set_role_area

t_set_categories() {
	run --db "$T/s" user set agri_agency --categories health
	status 0 || return 1
	listed "$T/s" "agri_agency,agency,TH,health" || return 1
	run --db "$T/s" user set agri_agency --area 50
	status 0 || return 1
	listed "$T/s" "agri_agency,agency,50,health" || return 1
	run --db "$T/s" user set agri_agency --role official
	status 0 || return 1
	listed "$T/s" "agri_agency,official,50,"
}
t user_set_categories_of_an_agency_are_kept_until_it_is_no_agency t_set_categories

# set_fails TEXT ARG...: user set ARG... fails with TEXT on stderr and changes
# no user
set_fails() {
	_text=$1
	shift
	users "$T/s" || return 1
	cp "$T/users" "$T/before"
	run --db "$T/s" user set "$@"
	failed || return 1
	err_has "$_text" || return 1
	users "$T/s" || return 1
	cmp -s "$T/before" "$T/users" && return 0
	diag "expected the user list unchanged after: user set $*"
	return 1
}

t_set_unknown() { set_fails "'ghost'" ghost --area 50; }
t user_set_unknown_user_fails_naming_it t_set_unknown

t_set_bad_area() { set_fails "not in the registry" malee --area 50010199; }
t user_set_area_not_in_the_registry_is_refused_and_changes_nothing t_set_bad_area

t_set_cannot_hold() {
	set_fails "cannot hold" malee --role official || return 1
	set_fails "cannot hold" cm_official --area 50010101 || return 1
	set_fails "cannot hold" malee --role admin
}
t user_set_role_that_cannot_hold_the_area_is_refused_and_changes_nothing t_set_cannot_hold

t_set_cat_nonagency() {
	set_fails "--categories" malee --categories weather || return 1
	set_fails "--categories" ministry --role agency || return 1
	set_fails "bogus" nt_operator --role agency --categories weather,bogus
}
t user_set_categories_for_a_non_agency_or_an_agency_without_them_are_refused t_set_cat_nonagency

t_set_nothing() {
	set_fails "at least one" malee || return 1
	set_fails "user set" --area 50
}
t user_set_without_a_change_or_a_name_shows_its_usage t_set_nothing

t_passwd() {
	kdf_tools || { skip_why="needs mdb_dump (lmdb-utils) and openssl kdf"; return 77; }
	before=$(secret "$T/s" nok)
	run_in 'Otter-River-88' --db "$T/s" user passwd nok --iterations 1000
	status 0 || return 1
	out_has "nok" || return 1
	hash_matches "$T/s" nok 'Otter-River-88' ||
		{ diag "expected the stored hash to be that of the new password"; return 1; }
	hash_matches "$T/s" nok 'nok-demo' && { diag "the old password still matches"; return 1; }
	[ "$(secret "$T/s" nok | cut -c1-32)" != "$(printf '%s' "$before" | cut -c1-32)" ] ||
		{ diag "expected a new salt"; return 1; }
	listed "$T/s" "nok,resident,50010101,"
}
t user_passwd_stores_the_new_password_with_a_new_salt_and_keeps_the_rest t_passwd

# passwd_fails TEXT STDIN ARG...: user passwd ARG... fails with TEXT on stderr
# and nok's record stays as it was
passwd_fails() {
	_text=$1
	_in=$2
	shift 2
	_before=$(user_record "$T/s" nok)
	if [ "$_in" = "-" ]; then
		run --db "$T/s" user passwd "$@"
	else
		run_in "$_in" --db "$T/s" user passwd "$@"
	fi
	failed || return 1
	err_has "$_text" || return 1
	same "nok's stored record" "$_before" "$(user_record "$T/s" nok)"
}

t_passwd_bad() {
	passwd_fails "'ghost'" 'pw' ghost || return 1
	passwd_fails "empty" '' nok || return 1
	passwd_fails "standard input" - nok || return 1
	passwd_fails "--iterations" 'pw' nok --iterations 5 || return 1
	passwd_fails "user passwd" 'pw' nok extra
}
t user_passwd_of_an_unknown_user_or_with_a_bad_password_changes_nothing t_passwd_bad

# ---- init and missing databases ----

t_noinit_empty() {
	rm -rf "$T/emptydir"
	mkdir "$T/emptydir"
	run --db "$T/emptydir" registry list
	failed || return 1
	err_has "not initialised" || return 1
	run --db "$T/emptydir" user list
	failed || return 1
	err_has "not initialised" || return 1
	run_in 'pw' --db "$T/emptydir" user add a1 --role admin --area TH --iterations 1000
	failed || return 1
	err_has "not initialised"
}
t registry_list_user_list_user_add_in_an_empty_dir_fail_saying_not_initialised t_noinit_empty

t_noinit_missing() {
	run --db "$T/missing" registry list
	failed || return 1
	err_has "$T/missing" "does not exist" || return 1
	[ ! -e "$T/missing" ] || { diag "expected registry list not to create $T/missing"; return 1; }
}
t registry_list_on_a_missing_dir_fails_saying_it_does_not_exist t_noinit_missing

t_init_file() {
	: >"$T/afile"
	run --db "$T/afile" init
	failed || return 1
	err_has "not a directory"
}
t init_on_a_path_that_is_a_file_fails_saying_it_is_not_a_directory t_init_file

t_init_new() {
	run --db "$T/newdb" init
	status 0 || return 1
	[ -s "$T/newdb/data.mdb" ] || { diag "expected init to create $T/newdb/data.mdb"; return 1; }
	places "$T/newdb" || return 1
	[ ! -s "$T/list" ] || { diag "expected an empty registry"; indent "$T/list"; return 1; }
	users "$T/newdb" || return 1
	[ ! -s "$T/users" ] || { diag "expected no users"; indent "$T/users"; return 1; }
}
t init_creates_the_directory_with_an_empty_registry_and_no_users t_init_new

t_init_again() {
	need_all || return 1
	copy "$T/demo" "$T/reinit" || return 1
	run --db "$T/reinit" init
	status 0 || return 1
	run --db "$T/reinit" init
	status 0 || return 1
	places "$T/reinit" || return 1
	cmp -s "$T/all" "$T/list" || { diag "expected the registry unchanged by init"; return 1; }
	users "$T/reinit" || return 1
	cmp -s "$T/demo.users" "$T/users" || { diag "expected the users unchanged by init"; return 1; }
}
t init_twice_on_a_demo_database_keeps_its_registry_and_users t_init_again

# ---- password storage ----

t_pw_absent() {
	copy "$T/small" "$T/pwdb" || return 1
	for u in pw_one pw_two; do
		run_in 'Quokka-Marmalade-7731' --db "$T/pwdb" user add "$u" --role admin --area TH --iterations 1000
		status 0 || return 1
	done
	for f in "$T/pwdb/data.mdb" "$T/pwdb/lock.mdb" "$T/demo/data.mdb"; do
		[ -s "$f" ] || { diag "no $f"; return 1; }
		for p in Quokka-Marmalade-7731 somchai-demo admin-demo; do
			if grep -F -q -e "$p" "$f"; then
				diag "expected $f not to contain the password $p, found $(grep -c -F -e "$p" "$f") time(s)"
				return 1
			fi
		done
	done
}
t stored_data_does_not_contain_the_plain_passwords t_pw_absent

t_pw_salted() {
	command -v mdb_dump >/dev/null 2>&1 || { skip_why="needs mdb_dump (lmdb-utils)"; return 77; }
	a=$(user_record "$T/pwdb" pw_one)
	b=$(user_record "$T/pwdb" pw_two)
	if [ -z "$a" ] || [ -z "$b" ]; then
		diag "no stored records for pw_one, pw_two (see the test before)"
		return 1
	fi
	[ "$a" != "$b" ] && return 0
	diag "expected different stored records for two users with the same password, both are:" "  $a"
	return 1
}
t same_password_for_two_users_is_stored_differently t_pw_salted

# ---- tokens ----

# tokdb: a copy of the demo database with tokens in it, in $T/tok
tokdb() {
	copy "$T/demo" "$T/tok"
}

# token_ok LINE: "NAME npt_ and 64 base64url characters"
token_line_ok() {
	printf '%s\n' "$1" | grep -E -x -q "$2 npt_[A-Za-z0-9_-]{64}" && return 0
	diag "expected a line '$2 npt_<64 base64url>', got: $1"
	return 1
}

t_tok_issue() {
	tokdb || return 1
	run --db "$T/tok" token issue somchai malee --label "Pixel 7, แม่" --days 30
	status 0 || return 1
	err_empty || return 1
	same "lines printed" 2 "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	token_line_ok "$(sed -n 1p "$T/out")" somchai || return 1
	token_line_ok "$(sed -n 2p "$T/out")" malee || return 1
	a=$(sed -n 1p "$T/out")
	b=$(sed -n 2p "$T/out")
	[ "$a" != "$b" ] || { diag "two tokens alike"; return 1; }
	# the database never holds a token: neither its text nor its secret's bytes
	tok=$(sed -n 1p "$T/out" | cut -d' ' -f2)
	if grep -F -q -e "$tok" "$T/tok/data.mdb"; then
		diag "the token's text is in data.mdb"
		return 1
	fi
	run --db "$T/tok" token list
	status 0 || return 1
	same "tokens listed" 2 "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	grep -E -q '^[0-9a-f]{32},somchai,"Pixel 7, แม่",20[0-9-]{8}T[0-9:]{8}Z,never,20[0-9-]{8}T[0-9:]{8}Z$' \
		"$T/out" || { diag "expected id,user,label,created,last_used,expires"; show; return 1; }
}
t token_issue_prints_a_token_per_name_and_list_shows_them t_tok_issue

t_tok_issue_many() {
	copy "$T/demo" "$T/tok2" || return 1
	printf 'somchai\nmalee\n\nnok\n' >"$T/names"
	run --db "$T/tok2" token issue --names "$T/names" admin --days 0
	status 0 || return 1
	same "lines printed" 4 "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	run --db "$T/tok2" token list nok
	status 0 || return 1
	out_has ",nok,,"
	grep -q ',never$' "$T/out" || { diag "--days 0 should never expire"; show; return 1; }
}
t token_issue_reads_names_from_a_file_too t_tok_issue_many

t_tok_unknown() {
	copy "$T/demo" "$T/tok3" || return 1
	run --db "$T/tok3" token issue somchai ghost malee
	failed || return 1
	out_empty || return 1
	err_has "no user 'ghost'" || return 1
	run --db "$T/tok3" token list
	status 0 || return 1
	out_empty
}
t token_issue_with_an_unknown_name_issues_none_and_names_it t_tok_unknown

t_tok_bad_args() {
	run --db "$T/demo" token issue somchai --days 3651
	failed || return 1
	err_has "--days wants a number from 0" "no token issued" || return 1
	run --db "$T/demo" token issue somchai --label "$(printf '%065d' 0)"
	failed || return 1
	err_has "--label is over 64 bytes" || return 1
	run --db "$T/demo" token issue
	status 2 || return 1
	run --db "$T/demo" token list ghost
	failed || return 1
	err_has "no user 'ghost'" || return 1
	run --db "$T/demo" token revoke
	status 2 || return 1
	run --db "$T/demo" token revoke 1234
	failed || return 1
	err_has "'1234' is not a token id" || return 1
	run --db "$T/demo" token revoke 00112233445566778899aabbccddeeff
	failed || return 1
	err_has "no token 00112233445566778899aabbccddeeff" || return 1
	run --db "$T/demo" token revoke --user ghost
	failed || return 1
	err_has "no user 'ghost'"
}
t token_commands_refuse_bad_arguments_with_a_reason t_tok_bad_args

t_tok_revoke() {
	tokdb || return 1
	run --db "$T/tok" token issue somchai somchai malee
	status 0 || return 1
	run --db "$T/tok" token list somchai
	id=$(head -1 "$T/out" | cut -d, -f1)
	run --db "$T/tok" token revoke "$id"
	status 0 || return 1
	out_has "token $id revoked" || return 1
	run --db "$T/tok" token revoke "$id"
	failed || return 1
	run --db "$T/tok" token list somchai
	same "somchai's tokens left" 1 "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	run --db "$T/tok" token revoke --user somchai
	status 0 || return 1
	out_has "1 token of 'somchai' revoked" || return 1
	run --db "$T/tok" token list
	same "tokens left" 1 "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	out_has ",malee," || return 1
	# deleting a user takes its tokens along
	run --db "$T/tok" user del malee
	status 0 || return 1
	run --db "$T/tok" token list
	status 0 || return 1
	out_empty
}
t token_revoke_by_id_or_user_and_user_del_remove_tokens t_tok_revoke

# ---- usage ----

t_help() {
	for h in --help -h; do
		run "$h"
		status 0 || return 1
		err_empty || return 1
		out_has "usage: np-admin" "--db DIR" "init" "registry import" "registry list" "demo" \
			"user add" "user set" "user passwd" "user del" "user list" "token issue" \
			"token list" "token revoke" || return 1
	done
}
t help_prints_usage_on_stdout_and_exits_0 t_help

t_nocmd() {
	run
	status 2 || return 1
	out_empty || return 1
	err_has "usage: np-admin" || return 1
	run --db "$T/demo"
	status 2 || return 1
	out_empty || return 1
	err_has "usage: np-admin"
}
t no_command_prints_usage_on_stderr_and_exits_2 t_nocmd

t_badcmd() {
	run --db "$T/demo" frobnicate
	status 2 || return 1
	out_empty || return 1
	err_has "usage: np-admin" || return 1
	run --db "$T/demo" registry
	status 2 || return 1
	err_has "usage: np-admin"
}
t unknown_or_incomplete_command_prints_usage_on_stderr_and_exits_2 t_badcmd

# ---- audit ----

# audit_json DB: audit --json into $T/audit, each line checked by jq
audit_json() {
	run --db "$1" audit --json
	status 0 || return 1
	cp "$T/out" "$T/audit"
	if ! jq -e -c 'select((.ms|type) == "number" and (.time|type) == "string"
		and (.actor|type) == "string" and (.command|type) == "string"
		and (.target|type) == "string" and (.result|type) == "string")' "$T/audit" \
		>"$T/audit.ok" 2>>"$T/diag" || [ "$(wc -l <"$T/audit.ok")" != "$(wc -l <"$T/audit")" ]; then
		diag "expected one JSON object per line with ms,time,actor,command,target,result:"
		indent "$T/audit" 20
		return 1
	fi
}

# audit_has N COMMAND TARGET RESULT: record N (1: oldest) of $T/audit has them,
# and the actor of this np-admin
audit_has() {
	_rec=$(sed -n "$1p" "$T/audit")
	for _f in "command:$2" "target:$3" "result:$4" "actor:local:$(id -un)"; do
		_got=$(printf '%s' "$_rec" | jq -r ".${_f%%:*}")
		same "audit record $1, ${_f%%:*}" "${_f#*:}" "$_got" || return 1
	done
}

t_audit_demo() {
	audit_json "$T/demo.fresh" || return 1
	same "records after demo" 1 "$(wc -l <"$T/audit" | tr -d ' ')" || return 1
	audit_has 1 demo "database $T/demo: demo registry and users" ok
}
t audit_after_demo_holds_one_record_of_it t_audit_demo

# Every changing command, with passwords and a token that must not appear.
audit_commands() {
	_db=$T/aud
	rm -rf "$_db"
	run --db "$_db" init && status 0 || return 1
	run --db "$_db" registry import "$T/aud.csv" && status 0 || return 1
	run_in 'Secret-Pw-Alpha1' --db "$_db" user add alice --role volunteer --area 98010101 \
		--iterations 1000 && status 0 || return 1
	run --db "$_db" user set alice --area 98010102 && status 0 || return 1
	run_in 'Secret-Pw-Beta22' --db "$_db" user passwd alice --iterations 1000 && status 0 || return 1
	run --db "$_db" user import "$T/aud_users.csv" --iterations 1000 && status 0 || return 1
	run --db "$_db" token issue alice bob && status 0 || return 1
	cp "$T/out" "$T/aud.tokens"
	run --db "$_db" token list bob && status 0 || return 1
	_id=$(cut -d, -f1 "$T/out")
	run --db "$_db" token revoke "$_id" && status 0 || return 1
	run --db "$_db" token revoke --user alice && status 0 || return 1
	run_in 'Secret-Pw-Gamma3' --db "$_db" user add carol --role admin --area 98010101 \
		--iterations 1000
	failed || return 1
	run --db "$_db" token revoke "$(awk '$1 == "alice" { print $2 }' "$T/aud.tokens")"
	failed || return 1
	run --db "$_db" user del alice && status 0 || return 1
	run --db "$_db" user list && status 0 || return 1
}

t_audit_every_change() {
	csv aud 'code,name_th,name_en\n98,P,P\n9801,D,D\n980101,S,S\n98010101,V1,V1\n98010102,V2,V2\n'
	printf 'name,role,area,password\nbob,volunteer,98010101,Secret-Pw-Delta4\ndan,resident,98010102,Secret-Pw-Eps555\n' \
		>"$T/aud_users.csv"
	audit_commands || return 1
	audit_json "$T/aud" || return 1
	same "records (one per changing command, none for list)" 12 \
		"$(wc -l <"$T/audit" | tr -d ' ')" || return 1
	audit_has 1 init "database $T/aud" ok || return 1
	audit_has 2 "registry import $T/aud.csv" "5 places from $T/aud.csv" ok || return 1
	audit_has 3 "user add alice --role volunteer --area 98010101 --iterations 1000" \
		"user alice" ok || return 1
	audit_has 4 "user set alice --area 98010102" "user alice" ok || return 1
	audit_has 5 "user passwd alice --iterations 1000" "user alice" ok || return 1
	audit_has 6 "user import $T/aud_users.csv --iterations 1000" \
		"2 users from $T/aud_users.csv" ok || return 1
	audit_has 7 "token issue alice bob" "2 tokens for users alice, bob" ok || return 1
	audit_has 8 "token revoke $_id" "token $_id" ok || return 1
	audit_has 9 "token revoke --user alice" "the tokens of user alice" ok || return 1
	audit_has 10 "user add carol --role admin --area 98010101 --iterations 1000" "user carol" \
		"an admin cannot hold area '98010101' (want TH, a province or a district)" || return 1
	audit_has 11 "token revoke npt_[redacted]" "token npt_[redacted]" \
		"'npt_[redacted]' is not a token id (32 hex digits, as token list prints)" || return 1
	audit_has 12 "user del alice" "user alice" ok
}
t audit_records_every_changing_command_with_actor_command_target_and_result t_audit_every_change

t_audit_no_secret() {
	[ -s "$T/aud.tokens" ] || { diag "needs the previous test's database"; return 1; }
	run --db "$T/aud" audit
	status 0 || return 1
	for _s in Secret-Pw-Alpha1 Secret-Pw-Beta22 Secret-Pw-Gamma3 Secret-Pw-Delta4 \
		Secret-Pw-Eps555 $(awk '{ print $2; print substr($2, 5) }' "$T/aud.tokens"); do
		for _f in "$T/out" "$T/audit" "$T/aud/data.mdb"; do
			if grep -a -F -q -e "$_s" "$_f"; then
				diag "the secret $_s is in $_f"
				return 1
			fi
		done
	done
}
t audit_output_and_database_file_hold_no_password_or_token t_audit_no_secret

t_audit_since() {
	[ -s "$T/audit" ] || { diag "needs the previous tests' audit"; return 1; }
	audit_json "$T/aud" || return 1
	_ms=$(sed -n 5p "$T/audit" | jq .ms)
	_after=$(awk -v ms="$_ms" -F'"ms":' '{ split($2, a, ","); if (a[1] + 0 >= ms) n++ } END { print n }' \
		"$T/audit")
	run --db "$T/aud" audit --since "$_ms"
	status 0 || return 1
	same "records since the 5th's ms" "$_after" "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	head -n 1 "$T/out" | grep -q ',user passwd alice' ||
		sed -n 1p "$T/out" | grep -q ',user set alice' ||
		{ diag "expected the text listing to start at the 5th record (or one of its ms)"; show; return 1; }
	run --db "$T/aud" audit --since 99999999999999
	status 0 || return 1
	out_empty || return 1
	run --db "$T/aud" audit --since yesterday
	failed || return 1
	err_has "--since MS"
}
t audit_since_lists_the_records_from_that_ms_and_refuses_a_bad_number t_audit_since

t_audit_sudo() {
	copy "$T/small" "$T/aud2" || return 1
	SUDO_USER=somsak "$ADMIN" --db "$T/aud2" user del nobody </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	failed || return 1
	audit_json "$T/aud2" || return 1
	_got=$(tail -n 1 "$T/audit" | jq -r .actor)
	same "actor under sudo" "local:$(id -un) (sudo by somsak)" "$_got"
}
t audit_actor_names_the_sudo_user_too t_audit_sudo

# ---- ownership ----

# owned_by_mosquitto DIR: 0 if not root or no mosquitto user (skip_why set, 77)
can_chown() {
	if [ "$(id -u)" -ne 0 ]; then
		skip_why="not running as root"
		return 77
	fi
	if ! muid=$(id -u mosquitto 2>/dev/null); then
		skip_why="no mosquitto user"
		return 77
	fi
}

# owners DIR: data.mdb and lock.mdb belong to uid $muid
owners() {
	for f in data.mdb lock.mdb; do
		# shellcheck disable=SC2012
		o=$(ls -ln "$1/$f" 2>/dev/null | awk '{ print $3 }')
		same "owner (uid) of $1/$f" "$muid" "$o" || return 1
	done
}

t_owner_add() {
	can_chown || return $?
	copy "$T/small" "$T/owned" || return 1
	chown mosquitto "$T/owned" || { diag "chown mosquitto failed"; return 1; }
	run_in 'pw-owner' --db "$T/owned" user add owner1 --role admin --area TH --iterations 1000
	status 0 || return 1
	owners "$T/owned"
}
t user_add_as_root_leaves_data_and_lock_files_owned_by_the_mosquitto_owned_db_dir t_owner_add

t_owner_init() {
	can_chown || return $?
	rm -rf "$T/owned2"
	mkdir "$T/owned2"
	chown mosquitto "$T/owned2" || { diag "chown mosquitto failed"; return 1; }
	run --db "$T/owned2" init
	status 0 || return 1
	owners "$T/owned2"
}
t init_as_root_in_a_mosquitto_owned_dir_creates_files_owned_by_mosquitto t_owner_init

echo "1..$n"
[ "$nfail" -eq 0 ]
