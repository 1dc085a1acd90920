#!/bin/sh
# test_remote.sh - remote administration (issue #13, DESIGN.md "Remote
# administration"): np-admin --hub runs the user, token, registry list and
# audit commands over MQTT with the local form's output, within the admin's
# scope; passwords are hashed by the asking np-admin; every change, remote or
# local, is in the audit; a remote user del cuts the user's live session.
# Against a real hub (tests/hub.sh), plain and TLS. In TAP.
#
#   tests/admin/test_remote.sh BUILD_DIR      (build or build-san)
#
# The hub runs on a copy of the template database ($NP_TEMPLATE_DB, default
# build/test-template-db) with $NP_PLUGIN (default build/np_plugin.so).
set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR   (e.g. build or build-san)" >&2
	exit 2
fi
REPO=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
case $1 in
/*) B=$1 ;;
*) B=$(pwd)/$1 ;;
esac
cd "$REPO" || exit 2
ADMIN=$B/np-admin
PLUGIN=${NP_PLUGIN:-build/np_plugin.so}
case $PLUGIN in /*) ;; *) PLUGIN=$REPO/$PLUGIN ;; esac
TEMPLATE=${NP_TEMPLATE_DB:-build/test-template-db}
MOSQUITTO=${NP_MOSQUITTO:-mosquitto}
command -v "$MOSQUITTO" >/dev/null 2>&1 || MOSQUITTO=/usr/sbin/mosquitto
for f in "$ADMIN" "$B/np-feed" "$B/np-report"; do
	[ -x "$f" ] || { echo "Bail out! $f is not an executable (run make)"; exit 2; }
done
[ -r "$PLUGIN" ] || { echo "Bail out! no plugin $PLUGIN (run make)"; exit 2; }
[ -f "$TEMPLATE/data.mdb" ] || {
	echo "Bail out! no template database $TEMPLATE (tests/make-template-db.sh makes it)"
	exit 2
}

T=$(mktemp -d) || exit 2
BROKER_PID=""
cleanup() {
	for _f in "$T"/*.pid; do
		[ -f "$_f" ] && kill "$(cat "$_f")" 2>/dev/null
	done
	hub_stop
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM
n=0
nfail=0
. "$REPO/tests/tap.sh"
. "$REPO/tests/hub.sh"

out_has() {
	for _s; do
		grep -F -q -e "$_s" "$T/out" && continue
		diag "expected stdout to contain: $_s"
		show
		return 1
	done
}

# local ARG...: np-admin --db on the hub's directory (also while it runs)
local_admin() {
	"$ADMIN" --db "$T/db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# remote USER PASSWORD ARG...: np-admin --hub as USER; stdin from $T/in
remote() {
	_u=$1
	_pw=$2
	shift 2
	NP_PASSWORD=$_pw "$ADMIN" --hub "127.0.0.1:$PORT" -u "$_u" --timeout 20 "$@" \
		<"$T/in" >"$T/out" 2>"$T/err"
	rc=$?
}
as50() { remote adm50 adm50-pw "$@"; }
asth() { remote admin admin-demo "$@"; }

# ---- the hub: the template plus a province-50 admin and a TLS listener ----

mkdir "$T/db" && cp "$TEMPLATE/data.mdb" "$T/db/" || exit 2
echo adm50-pw | "$ADMIN" --db "$T/db" user add adm50 --role admin --area 50 >/dev/null || {
	echo "Bail out! cannot add the admin of province 50"
	exit 2
}
rm -f "$T/db/lock.mdb"
sh scripts/make-certs.sh "$T/certs" || { echo "Bail out! scripts/make-certs.sh failed"; exit 2; }
hub_start "listener @PORT2@ 127.0.0.1
cafile $T/certs/ca.crt
certfile $T/certs/server.crt
keyfile $T/certs/server.key"
TLS_PORT=$PORT2
echo "# hub on 127.0.0.1:$PORT (TLS $TLS_PORT), log $T/broker.log; np-admin from $B"
: >"$T/in"

# ---- the issue's walk: enrol in 50, refused in 10, both in the audit ----

t_enrol() {
	echo vol50a-pw >"$T/in"
	as50 user add vol50a --role volunteer --area 50010103
	: >"$T/in"
	status 0 || return 1
	same stdout "user 'vol50a' added: volunteer 50010103" "$(cat "$T/out")" || return 1
	err_empty || return 1
	# the new volunteer logs in with the password hashed on the admin's side
	"$B/np-report" -p "$PORT" -u vol50a -P vol50a-pw --village 50010103 --kind need \
		--title "enrolled remotely" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	out_has accepted
}
t province_admin_enrols_a_volunteer_of_its_province_who_can_then_log_in t_enrol

t_refused_10() {
	echo vol10a-pw >"$T/in"
	as50 user add vol10a --role volunteer --area 10010101
	: >"$T/in"
	status 1 || return 1
	out_empty || return 1
	err_has "np-admin: user 'vol10a' (area 10010101) is outside your scope 50" || return 1
	local_admin user list
	if grep -q '^vol10a,' "$T/out"; then
		diag "vol10a was added after all"
		return 1
	fi
}
t province_admin_is_refused_a_village_of_province_10_and_nothing_is_added t_refused_10

t_audit() {
	local_admin audit
	status 0 || return 1
	out_has ",mqtt:adm50 (127.0.0.1),user add vol50a --role volunteer --area 50010103,user vol50a,ok" \
		",mqtt:adm50 (127.0.0.1),user add vol10a --role volunteer --area 10010101,user vol10a,user 'vol10a' (area 10010101) is outside your scope 50"
}
t local_audit_shows_the_remote_enrolment_and_the_refusal_with_the_remote_actor t_audit

t_scoped_audit() {
	as50 audit
	status 0 || return 1
	out_has ",user vol50a,ok" ",user vol10a," || return 1
	local_admin audit
	grep -q ',local:[^,]*,token issue ministry' "$T/out" || { diag "no record about ministry to hide"; return 1; }
	as50 audit
	if grep -q ',local:[^,]*,token issue ministry' "$T/out"; then
		diag "the province admin sees a change to the national official"
		return 1
	fi
}

# ---- same output as the local form ----

t_same_list() {
	local_admin user list
	cp "$T/out" "$T/local.out"
	asth user list
	status 0 || return 1
	if ! cmp -s "$T/local.out" "$T/out"; then
		diag "remote user list differs from the local one:"
		diff "$T/local.out" "$T/out" | head -n 10 >>"$T/diag"
		return 1
	fi
	[ "$(wc -l <"$T/out")" -gt 5 ] || { diag "too few users listed"; return 1; }
}
t th_admin_user_list_over_mqtt_is_byte_for_byte_the_local_one t_same_list

t_same_error() {
	local_admin user set nobody-here --role official
	cp "$T/err" "$T/local.err"
	_lrc=$rc
	asth user set nobody-here --role official
	same "exit status" "$_lrc" "$rc" || return 1
	if ! cmp -s "$T/local.err" "$T/err"; then
		diag "remote stderr differs from the local one:"
		diff "$T/local.err" "$T/err" | head -n 10 >>"$T/diag"
		return 1
	fi
	err_has "no user 'nobody-here'"
}
t an_error_over_mqtt_is_the_local_error_with_the_same_status t_same_error

t_same_usage() {
	local_admin user add x --bogus
	cp "$T/err" "$T/local.err"
	asth user add x --bogus
	status 1 || return 1
	cmp -s "$T/local.err" "$T/err" || { diag "stderr differs"; show; return 1; }
	err_has "unrecognized option '--bogus'"
}
t a_bad_option_gets_getopts_words_over_mqtt_too t_same_usage

# ---- scope ----

t_scoped_list() {
	as50 user list
	status 0 || return 1
	out_has "somchai,volunteer,50010101," "cm_official,official,50,"
	if awk -F, '$3 != "" && $3 !~ /^50/ { bad = 1; print } END { exit !bad }' "$T/out" \
		>>"$T/diag"; then
		diag "users outside province 50 listed (above)"
		return 1
	fi
}
t province_admin_lists_only_the_users_of_its_province t_scoped_list

t_wider_admin() {
	echo x-pw >"$T/in"
	as50 user add boss --role admin --area TH
	: >"$T/in"
	status 1 || return 1
	err_has "user 'boss' (area TH) is outside your scope 50"
}
t province_admin_cannot_create_an_admin_of_a_wider_scope t_wider_admin

t_move_out() {
	as50 user set somchai --area 10010101
	status 1 || return 1
	err_has "user 'somchai' (area 10010101) is outside your scope 50" || return 1
	local_admin user list
	out_has "somchai,volunteer,50010101,"
}
t province_admin_cannot_move_its_volunteer_out_of_its_province t_move_out

t_del_foreign() {
	as50 user del ministry
	status 1 || return 1
	err_has "user 'ministry' (area TH) is outside your scope 50" || return 1
	local_admin user list
	out_has "ministry,official,TH,"
}
t province_admin_cannot_delete_a_national_official t_del_foreign

t_registry_only_th() {
	asth registry import /etc/passwd
	status 1 || return 1
	err_has "'registry import' is not available over MQTT; run it with --db on the hub's machine"
}
t registry_import_and_other_local_commands_are_refused_over_mqtt t_registry_only_th

# ---- passwords travel hashed ----

t_weak_hash() {
	echo weak-pw >"$T/in"
	as50 user add weak1 --role volunteer --area 50010103 --iterations 1000
	: >"$T/in"
	status 1 || return 1
	err_has "a password hashed with 1000 iterations is refused (want 100000 to 1000000)"
}
t the_hub_refuses_a_remote_password_hashed_with_fewer_than_100000_iterations t_weak_hash

t_no_password() {
	as50 user add nopw --role volunteer --area 50010103
	status 1 || return 1
	err_has "np-admin: no password on standard input"
}
t remote_user_add_without_a_password_says_so t_no_password

t_passwd() {
	printf 'new-somchai-pw\n' >"$T/in"
	as50 user passwd malee
	: >"$T/in"
	status 0 || return 1
	out_has "password of user 'malee' changed" || return 1
	"$B/np-report" -p "$PORT" -u malee -P new-somchai-pw --village 50010102 --kind need \
		--title "new password" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	if grep -q 'new-somchai-pw' "$T/broker.log"; then
		diag "the password is in the broker's log"
		return 1
	fi
}
t remote_passwd_works_and_the_password_appears_nowhere_on_the_hub t_passwd

# ---- bulk enrolment: CSV in, QR-code CSV out ----

t_import() {
	printf 'name,role,area,password\nbulk50a,volunteer,50010201,pw-a\nbulk50b,volunteer,50010202,"pw,b"\nbulk50c,volunteer,50010203,pw-c\n' \
		>"$T/vols.csv"
	as50 user import "$T/vols.csv"
	status 0 || return 1
	same stdout "3 users imported from $T/vols.csv" "$(cat "$T/out")" || return 1
	"$B/np-report" -p "$PORT" -u bulk50b -P 'pw,b' --village 50010202 --kind need \
		--title "bulk" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 0
}
t province_admin_imports_a_csv_of_volunteers_whose_passwords_then_work t_import

t_import_all_or_none() {
	printf 'name,role,area,password\nbulk50d,volunteer,50010301,pw-d\nbulk10e,volunteer,10010101,pw-e\n' \
		>"$T/mixed.csv"
	as50 user import "$T/mixed.csv"
	status 1 || return 1
	err_has "user 'bulk10e' (area 10010101) is outside your scope 50" "$T/mixed.csv:3: the row above is refused" \
		"nothing imported from $T/mixed.csv" || return 1
	local_admin user list
	if grep -q '^bulk50d,' "$T/out"; then
		diag "bulk50d was imported although its file was refused"
		return 1
	fi
}
t an_import_with_one_row_outside_the_scope_imports_nothing_and_names_the_row t_import_all_or_none

QR=""
t_tokens_csv() {
	printf 'bulk50a\nbulk50b\nbulk50c\n' >"$T/names"
	as50 token issue --names "$T/names" --label qr --csv
	status 0 || return 1
	same header "name,area,token,expires" "$(head -n 1 "$T/out")" || return 1
	same rows 4 "$(wc -l <"$T/out" | tr -d ' ')" || return 1
	grep -q '^bulk50b,50010202,npt_[A-Za-z0-9_-]\{64\},20[0-9-]*T[0-9:]*Z$' "$T/out" || {
		diag "no row for bulk50b with its area, token and expiry"
		show
		return 1
	}
	QR=$(grep '^bulk50c,' "$T/out" | cut -d, -f3)
	# the token logs in (no password)
	"$B/np-report" -p "$PORT" -u bulk50c -P "$QR" --village 50010203 --kind need \
		--title "by token" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 0
}
t token_issue_for_a_names_file_prints_a_qr_csv_whose_tokens_log_in t_tokens_csv

t_tokens_foreign() {
	as50 token issue ministry
	status 1 || return 1
	err_has "user 'ministry' (area TH) is outside your scope 50" || return 1
	local_admin token list ministry
	out_empty
}
t province_admin_cannot_issue_a_token_for_a_user_outside_its_scope t_tokens_foreign

t_scoped_audit_late() { t_scoped_audit; }
t_token_list_scoped() {
	echo th-pw >"$T/in"
	local_admin token issue ministry --label national
	: >"$T/in"
	as50 token list
	status 0 || return 1
	out_has ",bulk50a,qr," || return 1
	if grep -q ',ministry,' "$T/out"; then
		diag "the national official's token is listed to the province admin"
		return 1
	fi
}
t province_admin_token_list_shows_only_its_users_tokens t_token_list_scoped
t province_admin_audit_shows_its_changes_and_its_users_not_the_national_officials t_scoped_audit_late

# ---- live effect of a remote change ----

t_del_live() {
	"$B/np-feed" -p "$PORT" -u bulk50a -P pw-a --json --timeout 30 'np/ann/50/#' \
		</dev/null >"$T/feed.out" 2>"$T/feed.err" &
	echo $! >"$T/feed.pid"
	_i=0
	until grep -q "np/ann/50/#" "$T/broker.log" || [ $_i -ge 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	as50 user del bulk50a
	status 0 || return 1
	out_has "user 'bulk50a' deleted" || return 1
	"$B/np-announce" -p "$PORT" -u cm_official -P cm_official-demo --area 50 \
		--category general --title "after the deletion" </dev/null >"$T/out" 2>"$T/err"
	_i=0
	while kill -0 "$(cat "$T/feed.pid")" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$(cat "$T/feed.pid")" 2>/dev/null; then
		diag "the deleted user's feed still runs 10 s after user del"
		return 1
	fi
	rm -f "$T/feed.pid"
	if grep -q 'after the deletion' "$T/feed.out"; then
		diag "the deleted user's feed got an announcement published after the deletion"
		return 1
	fi
}
t remote_user_del_ends_the_users_live_feed_and_it_gets_nothing_after t_del_live

# ---- refusals ----

t_not_admin() {
	remote somchai somchai-demo user list
	status 1 || return 1
	out_empty || return 1
	err_has "np-admin: the hub refused the request: only an admin may send admin requests"
}
t a_volunteer_is_refused_admin_requests t_not_admin

t_official() {
	remote cm_official cm_official-demo user list
	status 1 || return 1
	err_has "only an admin may send admin requests"
}
t a_province_official_is_refused_admin_requests t_official

t_wrong_pw() {
	remote adm50 wrong user list
	status 1 || return 1
	err_has "the hub refused the login"
}
t a_wrong_admin_password_is_a_refused_login t_wrong_pw

t_no_hub() {
	_closed=$(free_port)
	NP_PASSWORD=x "$ADMIN" --hub "127.0.0.1:$_closed" -u adm50 user list </dev/null \
		>"$T/out" 2>"$T/err"
	rc=$?
	status 1 || return 1
	err_has "cannot reach the hub at 127.0.0.1:$_closed"
}
t no_hub_at_the_address_is_a_clear_error t_no_hub

# a request from a client of our own (paho): the hub answers the client that asked
t_garbage() {
	/usr/bin/python3 - "$PORT" >"$T/out" 2>"$T/err" <<'PY'
import sys, threading
import paho.mqtt.client as mqtt
got = threading.Event()
box = {}
def on_connect(c, u, f, rc):
    c.subscribe("np/reply/admin/admin", 1)
def on_subscribe(c, u, mid, q):
    c.publish("$CONTROL/np/v1/admin", b"this is not protobuf \xff\xff\xff", 1)
def on_message(c, u, m):
    box["p"] = m.payload
    got.set()
c = mqtt.Client(client_id="np-admin-garbage")
c.username_pw_set("admin", "admin-demo")
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", int(sys.argv[1]))
c.loop_start()
got.wait(10)
c.loop_stop()
sys.stdout.buffer.write(box.get("p", b"(no reply)"))
PY
	rc=$?
	out_has "np-admin: the hub refused the request: the request is not an np.AdminRequest" || return 1
	grep -q "admin request by 'admin' (client 'np-admin-garbage'): the request is not an np.AdminRequest (refused)" \
		"$T/broker.log" || { diag "the refusal is not in the broker's log"; return 1; }
}
t a_malformed_request_is_answered_with_a_refusal_and_logged t_garbage

t_usage() {
	"$ADMIN" --hub 127.0.0.1 user list </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 2 || return 1
	err_has "np-admin --hub HOST[:PORT] -u ADMIN"
}
t hub_without_u_prints_the_usage t_usage

# ---- TLS ----

t_tls() {
	NP_PASSWORD=adm50-pw "$ADMIN" --hub "127.0.0.1:$TLS_PORT" -u adm50 \
		--cafile "$T/certs/ca.crt" registry list 5001 </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	out_has "5001,"
}
t remote_administration_over_tls_with_cafile t_tls

t_tls_wrong_ca() {
	NP_PASSWORD=adm50-pw "$ADMIN" --hub "127.0.0.1:$TLS_PORT" -u adm50 \
		--cafile /etc/ssl/certs/ca-certificates.crt registry list 5001 </dev/null \
		>"$T/out" 2>"$T/err"
	rc=$?
	status 1 || return 1
	out_empty
}
t a_hub_certificate_not_from_the_ca_is_refused t_tls_wrong_ca

if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/broker.log"; then
	n=$((n + 1))
	echo "not ok $n - no_sanitizer_report_in_the_broker_log"
	grep -A 20 -e 'Sanitizer' -e 'runtime error:' "$T/broker.log" | head -n 30 | sed 's/^/# /'
	nfail=$((nfail + 1))
fi
echo "1..$n"
if [ "$nfail" -ne 0 ]; then
	echo "# $nfail of $n failed; the broker's np: lines:"
	grep 'np: ' "$T/broker.log" | tail -n 40 | sed 's/^/#   /'
	exit 1
fi
exit 0
