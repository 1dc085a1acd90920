#!/bin/sh
# test_examples.sh - checks that the np-* example programs (DESIGN.md "Build
# outputs and tools") publish, follow and page through history against a real
# hub, print what they promise (accepted/queued lines, one JSON object per
# message with the hub's stamp), surface the hub's refusals with exit status 1,
# login and connection failures with 3, bad arguments with 2, that --outbox
# keeps a message while the hub is down and sends it exactly once later, and
# that --state keeps a device token so that later runs need no password. In TAP.
#
#   tests/examples/test_examples.sh BUILD_DIR      (build or build-san)
#
# The programs are BUILD_DIR/np-*; the hub is one mosquitto with the plain
# plugin (build/np_plugin.so, or $NP_PLUGIN) on a free port of 127.0.0.1, on a
# copy of the template database ($NP_TEMPLATE_DB, default build/test-template-db,
# made by tests/make-template-db.sh; made in the temporary directory if it is
# missing). A sanitizer report on a program's stderr fails its test. The
# broker's log is printed when a test failed. Exit status 0 only if all passed.
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
PROGS="report announce ack dm status show feed history reach cases"
for p in $PROGS admin; do
	if [ ! -x "$B/np-$p" ]; then
		echo "Bail out! $B/np-$p is not an executable (run make, or make SAN=1 all)"
		exit 2
	fi
done
PLUGIN=${NP_PLUGIN:-build/np_plugin.so}
case $PLUGIN in /*) ;; *) PLUGIN=$REPO/$PLUGIN ;; esac
TEMPLATE=${NP_TEMPLATE_DB:-build/test-template-db}
MOSQUITTO=${NP_MOSQUITTO:-mosquitto}
if [ ! -r "$PLUGIN" ]; then
	echo "Bail out! no plugin $PLUGIN (run make)"
	exit 2
fi
if ! command -v "$MOSQUITTO" >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
	echo "Bail out! no mosquitto (scripts/deps.sh installs it)"
	exit 2
fi
command -v "$MOSQUITTO" >/dev/null 2>&1 || MOSQUITTO=/usr/sbin/mosquitto

T=$(mktemp -d) || exit 2
BROKER_PID=""
cleanup() {
	for _f in "$T"/*.pid; do
		[ -f "$_f" ] && kill "$(cat "$_f")" 2>/dev/null
	done
	hub_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

n=0
nfail=0

# ---- helpers ----

. "$REPO/tests/tap.sh"

now_ms() {
	date +%s%3N
}

. "$REPO/tests/hub.sh"

# password USER: the demo users' end in -demo, the test users' in -pw
password() {
	case $1 in
	somchai | malee | nok | ministry | cm_official | muang_official | agri_agency | \
		nt_operator | admin) echo "$1-demo" ;;
	*) echo "$1-pw" ;;
	esac
}

# run PROG ARG...: BUILD_DIR/np-PROG with nothing on stdin; rc, $T/out, $T/err
run() {
	_prog=$1
	shift
	"$B/np-$_prog" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

# as USER PROG ARG...: np-PROG as USER against the test hub
as() {
	_user=$1
	_prog=$2
	shift 2
	run "$_prog" -p "$PORT" -u "$_user" -P "$(password "$_user")" "$@"
}

# down USER PROG ARG...: the same against a port nothing listens on
down() {
	_user=$1
	_prog=$2
	shift 2
	run "$_prog" -p "$CLOSED" -u "$_user" -P "$(password "$_user")" "$@"
}

# has FILE TEXT...: FILE ($T/out or $T/err) contains every TEXT
has() {
	_f=$1
	shift
	for _s; do
		if ! grep -F -q -e "$_s" "$_f"; then
			diag "expected $(basename "$_f") to contain: $_s"
			show
			return 1
		fi
	done
}
out_has() { has "$T/out" "$@"; }
err_has() { has "$T/err" "$@"; }

# need VALUE WHAT: VALUE (from an earlier test) is there
need() {
	[ -n "$1" ] && return 0
	diag "no $2 (an earlier test failed)"
	return 1
}

# accepted_id: the id of the one line "accepted <32 hex>" on stdout, else ""
accepted_id() {
	sed -n 's/^accepted \([0-9a-f]\{32\}\)$/\1/p' "$T/out"
}

# published: the last run (a publisher) exited 0, printed exactly one line
# "accepted <32 lowercase hex>" and nothing on stderr; its id into $id
published() {
	id=""
	status 0 || return 1
	id=$(accepted_id)
	if [ -z "$id" ] || [ "$(wc -l <"$T/out")" -ne 1 ]; then
		diag "expected stdout to be one line: accepted <32 lowercase hex digits>"
		show
		id=""
		return 1
	fi
	err_empty || return 1
}

# usage_error TEXT...: exit status 2, nothing on stdout, stderr names the problem
usage_error() {
	status 2 || return 1
	out_empty || return 1
	err_has "$@"
}

# jget JSON KEY: the value of "KEY" in the one-line JSON object JSON, for keys
# that occur once in it: a string's text (no escapes undone), a number or
# literal, or a flat object {...}; empty when absent
jget() {
	printf '%s\n' "$1" | sed -n \
		-e "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" -e 't' \
		-e "s/.*\"$2\":\\({[^}]*}\\).*/\\1/p" -e 't' \
		-e "s/.*\"$2\":\\([-0-9a-z.]*\\).*/\\1/p"
}

# line_of FILE ID: the line of FILE holding the message ID ("" if none)
line_of() {
	grep -F "\"id\":\"$2\"" "$1" | head -n 1
}

# is_json LINE: one JSON object (checked with jq when it is installed)
is_json() {
	case $1 in
	'{'*'}') ;;
	*) diag "not a JSON object on one line: $1"; return 1 ;;
	esac
	command -v jq >/dev/null 2>&1 || return 0
	printf '%s\n' "$1" | jq -e 'type == "object"' >/dev/null 2>&1 && return 0
	diag "jq does not take this line as a JSON object: $1"
	return 1
}

# msg_ok LINE TOPIC ID USER ROLE AREA BODY: a JSON line of np-feed/np-history
# with that topic, id and sender, times of this run and a BODY object
msg_ok() {
	_l=$1
	[ -n "$_l" ] || { diag "no JSON line with id $3"; return 1; }
	is_json "$_l" || return 1
	same "topic" "$2" "$(jget "$_l" topic)" || return 1
	same "id" "$3" "$(jget "$_l" id)" || return 1
	case $(jget "$_l" id) in
	*[!0-9a-f]*) diag "id is not lowercase hex: $_l"; return 1 ;;
	esac
	[ ${#3} -eq 32 ] || { diag "id is not 32 hex digits: $3"; return 1; }
	_s=$(jget "$_l" sender)
	same "sender.username" "$4" "$(jget "$_s" username)" || return 1
	same "sender.role" "$5" "$(jget "$_s" role)" || return 1
	same "sender.area" "$6" "$(jget "$_s" area)" || return 1
	for _k in sent_at_ms received_at_ms; do
		_v=$(jget "$_l" "$_k")
		case $_v in
		'' | *[!0-9]*) diag "$_k is not a number of ms: '$_v' in $_l"; return 1 ;;
		esac
		if [ "$_v" -lt "$T0" ] || [ "$_v" -gt $(($(now_ms) + 5000)) ]; then
			diag "$_k $_v is not a time of this run (from $T0 on): $_l"
			return 1
		fi
	done
	case $(jget "$_l" "$7") in
	'{'*) ;;
	*) diag "expected the body under \"$7\": $_l"; return 1 ;;
	esac
}

# body LINE NAME: the flat object under NAME
body() {
	jget "$1" "$2"
}

# ---- background feeds ----

# feed_start NAME COUNT USER FILTER...: np-feed --json --count COUNT
# --timeout 10 as USER in the background (into $T/NAME.out and .err), and
# waits until the broker has its subscription to the last FILTER
feed_start() {
	_name=$1
	_count=$2
	_user=$3
	shift 3
	for _last; do :; done
	_from=$(wc -l <"$T/broker.log")
	"$B/np-feed" -p "$PORT" -u "$_user" -P "$(password "$_user")" --json --count "$_count" \
		--timeout 10 "$@" </dev/null >"$T/$_name.out" 2>"$T/$_name.err" &
	echo $! >"$T/$_name.pid"
	_i=0
	while [ "$_i" -lt 100 ]; do
		# mosquitto logs a granted subscription as "<time>: <client> <qos> <filter>"
		tail -n +$((_from + 1)) "$T/broker.log" |
			awk -v f="$_last" -v u="$_user" 'NF == 4 && $4 == f && index($2, u) { found = 1 }
				END { exit !found }' && return 0
		[ -s "$T/$_name.err" ] && return 0     # it said something: refused, failed
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# feed_wait NAME: waits for the feed; rc, $T/out, $T/err are its outcome
feed_wait() {
	if [ ! -f "$T/$1.pid" ]; then
		rc=255
		: >"$T/out"
		echo "(the feed $1 was not started)" >"$T/err"
		return
	fi
	wait "$(cat "$T/$1.pid")"
	rc=$?
	rm -f "$T/$1.pid"
	cp "$T/$1.out" "$T/out"
	cp "$T/$1.err" "$T/err"
}

# ---- the hub ----

# the database: a copy of the template, plus six volunteers who publish the
# history that needs more than one page (each stays under the hub's burst)
mkdir "$T/db" || exit 2
if [ ! -f "$TEMPLATE/data.mdb" ]; then
	echo "# no template database in $TEMPLATE: making one in $T/template"
	NP_ADMIN=$B/np-admin tests/make-template-db.sh "$T/template" >"$T/template.log" 2>&1 || {
		echo "Bail out! tests/make-template-db.sh failed:"
		sed 's/^/# /' "$T/template.log"
		exit 2
	}
	TEMPLATE=$T/template
fi
cp "$TEMPLATE/data.mdb" "$T/db/data.mdb" || {
	echo "Bail out! cannot copy $TEMPLATE/data.mdb"
	exit 2
}
BULK_USERS="bulk1:10010102 bulk2:10010103 bulk3:10010104 bulk4:10010201 bulk5:10010202 bulk6:10010203"
for _uv in $BULK_USERS; do
	echo "${_uv%%:*}-pw" | "$B/np-admin" --db "$T/db" user add "${_uv%%:*}" --role volunteer \
		--area "${_uv#*:}" --iterations 1000 >/dev/null 2>"$T/admin.err" || {
		echo "Bail out! np-admin user add ${_uv%%:*} failed:"
		sed 's/^/# /' "$T/admin.err"
		exit 2
	}
done
rm -f "$T/db/lock.mdb"
hub_start
CLOSED=$(free_port)
T0=$(($(now_ms) - 5000))
echo "# hub on 127.0.0.1:$PORT (log $T/broker.log), nothing on port $CLOSED; programs from $B"

TH_TITLE="ไฟดับทั้งหมู่บ้าน"
TH_SHOW="ผ้าทอมือบ้านศรีภูมิ"
REPORT_ID=""
REPORT_LINE=""

# ---- a report reaches the province official's feed ----

t_report() {
	feed_start prov 1 cm_official 'np/rep/50/#'
	as somchai report --village 50010101 --kind outage --title "$TH_TITLE" \
		--detail "since 9am,
the WiFi is down too"
	published || return 1
	REPORT_ID=$id
}
t report_prints_accepted_and_the_reports_32_hex_id t_report

t_feed_count() {
	feed_wait prov
	status 0 || return 1
	err_empty || return 1
	same "lines printed by np-feed --count 1" 1 "$(wc -l <"$T/out")" || { show; return 1; }
	cp "$T/out" "$T/prov.lines"
}
t feed_count_1_prints_one_json_line_and_exits_0 t_feed_count

t_feed_report_fields() {
	need "$REPORT_ID" "report id" || return 1
	REPORT_LINE=$(line_of "$T/prov.lines" "$REPORT_ID")
	[ -n "$REPORT_LINE" ] || {
		diag "expected the feed line to have \"id\":\"$REPORT_ID\" (the id np-report printed); got:"
		indent "$T/prov.lines"
		return 1
	}
	msg_ok "$REPORT_LINE" np/rep/50/5001/50010101/outage "$REPORT_ID" somchai volunteer \
		50010101 report
}
t feed_json_has_topic_id_sender_stamped_by_the_hub_and_times t_feed_report_fields

t_feed_report_body() {
	need "$REPORT_LINE" "report line" || return 1
	_b=$(body "$REPORT_LINE" report)
	same "report.title (Thai, as UTF-8)" "$TH_TITLE" "$(jget "$_b" title)" || return 1
	same "report.detail (the newline escaped)" 'since 9am,\nthe WiFi is down too' \
		"$(jget "$_b" detail)"
}
t feed_json_has_the_report_with_thai_title_intact_and_detail_on_one_line t_feed_report_body

# ---- ack, dm, announcement, showcase, status ----

ACK_ID=""
DM_ID=""
ANN_ID=""
SHOW_ID=""
ST_OFF=""
ST_ON=""

t_ack() {
	need "$REPORT_ID" "report id" || return 1
	feed_start village 4 somchai 'np/rep/50/5001/50010101/#' 'np/dm/50010101' 'np/ann/TH/#' \
		'np/ann/50/#' 'np/ann/5001/#' 'np/ann/50010101/#' 'np/show/#'
	feed_start status 2 cm_official 'np/status/50/#' 'np/status/50/5001/#'
	as cm_official ack --village 50010101 --report "$REPORT_ID" --state in_progress \
		--note "team on the way"
	published || return 1
	ACK_ID=$id
}
t ack_of_the_report_by_the_province_official_is_accepted t_ack

t_dm() {
	as malee dm --to 50010101 "do you have power back?"
	published || return 1
	DM_ID=$id
}
t dm_from_the_neighbour_to_the_village_is_accepted t_dm

t_announce() {
	as cm_official announce --area 50 --category weather --title "Storm tonight" \
		--body "stay indoors"
	published || return 1
	ANN_ID=$id
}
t announcement_by_the_province_official_is_accepted t_announce

t_show() {
	as somchai show --village 50010101 --kind product --title "$TH_SHOW" \
		--description "hand woven silk"
	published || return 1
	SHOW_ID=$id
}
t showcase_by_the_volunteer_is_accepted t_show

t_status() {
	as somchai status --village 50010101 --offline
	published || return 1
	ST_OFF=$id
	NP_PASSWORD=somchai-demo "$B/np-status" -p "$PORT" -u somchai --village 50010101 --online \
		</dev/null >"$T/out" 2>"$T/err"
	rc=$?
	published || return 1
	ST_ON=$id
}
t status_offline_then_online_is_accepted_with_the_password_from_np_password t_status

t_village_feed() {
	feed_wait village
	cp "$T/out" "$T/village.lines"
	status 0 || return 1
	err_empty || return 1
	same "lines in somchai's feed (ack, dm, announcement, showcase)" 4 \
		"$(wc -l <"$T/village.lines")" || { show; return 1; }
	for _id in "$ACK_ID" "$DM_ID" "$ANN_ID" "$SHOW_ID"; do
		need "$_id" "message id" || return 1
		same "lines with id $_id" 1 "$(grep -c -F "\"id\":\"$_id\"" "$T/village.lines")" ||
			{ show; return 1; }
	done
}
t village_feed_gets_the_ack_dm_announcement_and_showcase_once_each t_village_feed

t_village_ack() {
	need "$ACK_ID" "ack id" || return 1
	_l=$(line_of "$T/village.lines" "$ACK_ID")
	msg_ok "$_l" np/rep/50/5001/50010101/ack "$ACK_ID" cm_official official 50 ack || return 1
	_b=$(body "$_l" ack)
	same "ack.report_id" "$REPORT_ID" "$(jget "$_b" report_id)" || return 1
	same "ack.state" in_progress "$(jget "$_b" state)" || return 1
	same "ack.note" "team on the way" "$(jget "$_b" note)"
}
t village_feed_ack_has_the_report_id_state_in_progress_and_note t_village_ack

t_village_dm() {
	need "$DM_ID" "dm id" || return 1
	_l=$(line_of "$T/village.lines" "$DM_ID")
	msg_ok "$_l" np/dm/50010101 "$DM_ID" malee volunteer 50010102 dm || return 1
	same "dm.text" "do you have power back?" "$(jget "$(body "$_l" dm)" text)"
}
t village_feed_dm_has_the_text_and_malee_as_sender t_village_dm

t_village_ann() {
	need "$ANN_ID" "announcement id" || return 1
	_l=$(line_of "$T/village.lines" "$ANN_ID")
	msg_ok "$_l" np/ann/50/weather "$ANN_ID" cm_official official 50 announcement || return 1
	_b=$(body "$_l" announcement)
	same "announcement.title" "Storm tonight" "$(jget "$_b" title)" || return 1
	same "announcement.body" "stay indoors" "$(jget "$_b" body)"
}
t village_feed_announcement_has_title_and_body_on_np_ann_50_weather t_village_ann

t_village_show() {
	need "$SHOW_ID" "showcase id" || return 1
	_l=$(line_of "$T/village.lines" "$SHOW_ID")
	msg_ok "$_l" np/show/50/5001/50010101/product "$SHOW_ID" somchai volunteer 50010101 \
		showcase || return 1
	_b=$(body "$_l" showcase)
	same "showcase.title" "$TH_SHOW" "$(jget "$_b" title)" || return 1
	same "showcase.description" "hand woven silk" "$(jget "$_b" description)"
}
t village_feed_showcase_has_thai_title_and_description t_village_show

t_status_feed() {
	feed_wait status
	cp "$T/out" "$T/status.lines"
	status 0 || return 1
	err_empty || return 1
	need "$ST_OFF" "status id" || return 1
	need "$ST_ON" "status id" || return 1
	same "status lines of the province feed (two overlapping filters)" 2 \
		"$(wc -l <"$T/status.lines")" || { show; return 1; }
	_l=$(sed -n 1p "$T/status.lines")
	msg_ok "$_l" np/status/50/5001/50010101 "$ST_OFF" somchai volunteer 50010101 status ||
		return 1
	same "status.online of the first" false "$(jget "$(body "$_l" status)" online)" || return 1
	_l=$(sed -n 2p "$T/status.lines")
	msg_ok "$_l" np/status/50/5001/50010101 "$ST_ON" somchai volunteer 50010101 status ||
		return 1
	same "status.online of the second" true "$(jget "$(body "$_l" status)" online)"
}
t province_feed_gets_each_status_once_in_order_despite_overlapping_filters t_status_feed

t_feed_refused() {
	as somchai feed --json --timeout 5 'np/ann/#'
	status 1 || return 1
	out_empty || return 1
	err_has "refused: " "np/ann/#"
}
t feed_of_a_filter_the_volunteer_may_not_read_exits_1_naming_it t_feed_refused

# ---- refusals ----

t_refused_village() {
	as somchai report --village 50010102 --kind outage --title x
	status 1 || return 1
	out_empty || return 1
	err_has "refused: " "may report only for one's own village"
}
t report_for_another_village_exits_1_with_the_hubs_reason t_refused_village

t_refused_resident() {
	as nok announce --area 50010101 --category general --title "meeting tonight"
	status 1 || return 1
	out_empty || return 1
	grep -q '^refused: ..*' "$T/err" || { diag "expected 'refused: <reason>' on stderr"; show; return 1; }
}
t announcement_by_a_resident_exits_1_with_a_reason t_refused_resident

t_refused_ack() {
	as cm_official ack --village 50010101 --report 0123456789abcdef0123456789abcdef \
		--state received
	status 1 || return 1
	out_empty || return 1
	grep -q '^refused: ..*' "$T/err" || { diag "expected 'refused: <reason>' on stderr"; show; return 1; }
}
t ack_of_a_report_the_hub_does_not_hold_exits_1_with_a_reason t_refused_ack

t_refused_outbox() {
	as somchai report --outbox "$T/ob-refused" --village 50010102 --kind need --title x
	status 1 || return 1
	out_empty || return 1
	err_has "may report only for one's own village" || return 1
	as somchai report --outbox "$T/ob-refused" --village 50010101 --kind feedback \
		--title "after a refusal"
	published
}
t refused_report_with_outbox_is_not_kept_for_a_later_run t_refused_outbox

# ---- login and connection failures ----

t_wrong_password() {
	run report -p "$PORT" -u malee -P not-her-password --village 50010102 --kind need --title x
	status 3 || return 1
	out_empty || return 1
	err_has "127.0.0.1:$PORT" "malee" "refused the login" "password"
}
t wrong_password_exits_3_saying_the_hub_refused_the_login t_wrong_password

t_wrong_password_outbox() {
	run report -p "$PORT" -u malee -P not-her-password --outbox "$T/ob-login" \
		--village 50010102 --kind need --title "never sent"
	status 3 || return 1
	out_empty || return 1
	err_has "refused the login" || return 1
	as malee report --outbox "$T/ob-login" --village 50010102 --kind need --title "sent"
	published
}
t wrong_password_with_outbox_exits_3_and_keeps_nothing t_wrong_password_outbox

t_unreachable() {
	down somchai report --village 50010101 --kind outage --title x
	status 3 || return 1
	out_empty || return 1
	err_has "127.0.0.1:$CLOSED" || return 1
	down cm_official feed 'np/rep/50/#'
	status 3 || return 1
	err_has "127.0.0.1:$CLOSED" || return 1
	down ministry history --filter 'np/rep/#'
	status 3 || return 1
	err_has "127.0.0.1:$CLOSED"
}
t unreachable_hub_without_outbox_exits_3_naming_host_and_port t_unreachable

# ---- the outbox ----

OB=$T/outbox
Q_ID=""
L_ID=""
OB_TITLE1="need a new router"
OB_TITLE2="thanks for the router"

# hist_count TITLE: how many of ministry's np/rep/# history lines have TITLE
hist_count() {
	as ministry history --filter 'np/rep/50/5001/50010101/#' --json
	[ "$rc" -eq 0 ] || { diag "np-history failed"; show; echo -1; return; }
	grep -c -F "\"title\":\"$1\"" "$T/out"
}

t_outbox_queue() {
	down somchai report --outbox "$OB" --village 50010101 --kind need --title "$OB_TITLE1"
	status 0 || return 1
	Q_ID=$(sed -n "s|^queued \\([0-9a-f]\\{32\\}\\) in $OB .*|\\1|p" "$T/out")
	if [ -z "$Q_ID" ] || [ "$(wc -l <"$T/out")" -ne 1 ]; then
		diag "expected stdout to be one line: queued <id> in $OB ..."
		show
		return 1
	fi
}
t report_with_outbox_and_the_hub_down_exits_0_saying_queued_id_in_dir t_outbox_queue

t_outbox_send() {
	need "$Q_ID" "queued id" || return 1
	as somchai report --outbox "$OB" --village 50010101 --kind feedback --title "$OB_TITLE2"
	status 0 || return 1
	err_empty || return 1
	L_ID=$(sed -n 's/^accepted \([0-9a-f]\{32\}\)$/\1/p' "$T/out")
	need "$L_ID" "line 'accepted <id>' for this run's report" || { show; return 1; }
	grep -q "^accepted $Q_ID" "$T/out" || {
		diag "expected a line 'accepted $Q_ID ...' for the queued report"
		show
		return 1
	}
	same "lines on stdout" 2 "$(wc -l <"$T/out")" || { show; return 1; }
}
t next_report_with_the_same_outbox_sends_the_queued_report_too t_outbox_send

t_outbox_history() {
	need "$L_ID" "outbox ids" || return 1
	same "history lines with title '$OB_TITLE1'" 1 "$(hist_count "$OB_TITLE1")" || return 1
	same "history lines with title '$OB_TITLE2'" 1 "$(hist_count "$OB_TITLE2")" || return 1
	grep -q -F "\"id\":\"$Q_ID\"" "$T/out" || { diag "no history line with id $Q_ID"; return 1; }
	as ministry history --filter 'np/rep/50/5001/50010101/#' --json
	wc -l <"$T/out" >"$T/hist.count"
}
t history_holds_each_outbox_report_exactly_once t_outbox_history

t_outbox_third() {
	need "$L_ID" "outbox ids" || return 1
	as somchai status --outbox "$OB" --village 50010101 --online
	published || return 1
	same "history lines with title '$OB_TITLE1'" 1 "$(hist_count "$OB_TITLE1")" || return 1
	same "history lines with title '$OB_TITLE2'" 1 "$(hist_count "$OB_TITLE2")" || return 1
	as ministry history --filter 'np/rep/50/5001/50010101/#' --json
	same "reports of 50010101 in history (unchanged by the third run)" \
		"$(cat "$T/hist.count")" "$(wc -l <"$T/out")"
}
t third_run_with_the_outbox_sends_nothing_extra t_outbox_third

t_outbox_other_program() {
	down somchai report --outbox "$T/ob2" --village 50010101 --kind incident \
		--title "queued by np-report"
	status 0 || return 1
	_q=$(sed -n 's/^queued \([0-9a-f]\{32\}\) .*/\1/p' "$T/out")
	need "$_q" "queued id" || { show; return 1; }
	as somchai dm --outbox "$T/ob2" --to cm_official "sent by np-dm"
	status 0 || return 1
	grep -q "^accepted $_q" "$T/out" || {
		diag "expected np-dm to send the report queued by np-report (accepted $_q)"
		show
		return 1
	}
	same "history lines with that title" 1 "$(hist_count "queued by np-report")"
}
t another_program_with_the_same_outbox_sends_what_np_report_queued t_outbox_other_program

# ---- --state: a device token instead of the password ----

ST=$T/state
ST_TOKEN=""

# token_of: the token saved in $ST for vol_5002 at the test hub ("" if none)
token_of() {
	cat "$ST/vol_5002@127.0.0.1:$PORT.token" 2>/dev/null
}

t_state_first() {
	as vol_5002 report --state "$ST" --village 50020301 --kind need --title "with a state dir"
	published || return 1
	ST_TOKEN=$(token_of)
	case $ST_TOKEN in
	npt_????????????????????????????????????????????????????????????????) ;;
	*) diag "expected npt_ and 64 characters in the token file, got '$ST_TOKEN'"; return 1 ;;
	esac
	same "mode of the token file" 600 "$(stat -c %a "$ST/vol_5002@127.0.0.1:$PORT.token")" ||
		return 1
	same "mode of the state dir" 700 "$(stat -c %a "$ST")" || return 1
	if grep -r -q -a -F "$(password vol_5002)" "$ST"; then
		diag "the password is in a file of the state dir"
		return 1
	fi
}
t report_with_state_and_a_password_saves_a_token_0600 t_state_first

t_state_token() {
	need "$ST_TOKEN" "saved token" || return 1
	(unset NP_PASSWORD; "$B/np-feed" -p "$PORT" -u vol_5002 --state "$ST" --timeout 1 \
		'np/rep/50/5002/50020301/#' </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	status 0 || return 1
	err_empty || return 1
	(unset NP_PASSWORD; "$B/np-report" -p "$PORT" -u vol_5002 --state "$ST" \
		--village 50020301 --kind feedback --title "with the token" </dev/null \
		>"$T/out" 2>"$T/err")
	rc=$?
	published || return 1
	(unset NP_PASSWORD; "$B/np-dm" -p "$PORT" -u vol_5002 --state-dir "$ST" \
		--to cm_official "sent with the token" </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	published || return 1
	same "the saved token (not asked for again)" "$ST_TOKEN" "$(token_of)"
}
t feed_and_report_with_state_and_no_password_log_in_with_the_token t_state_token

t_state_none() {
	(unset NP_PASSWORD; "$B/np-feed" -p "$PORT" -u vol_5002 --state "$T/state-empty" \
		--timeout 1 'np/rep/50/5002/50020301/#' </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	usage_error "no password, and no token saved for 'vol_5002'" "-P PASS"
}
t state_without_a_token_and_no_password_exits_2_saying_so t_state_none

t_state_revoked() {
	need "$ST_TOKEN" "saved token" || return 1
	"$B/np-admin" --db "$T/db" token revoke --user vol_5002 >/dev/null 2>&1 || {
		diag "np-admin token revoke failed"
		return 1
	}
	(unset NP_PASSWORD; "$B/np-report" -p "$PORT" -u vol_5002 --state "$ST" \
		--village 50020301 --kind need --title "revoked" </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	status 3 || return 1
	err_has "refused the saved token of 'vol_5002'" "-P PASS" || return 1
	same "the token file after the refusal" "" "$(token_of)" || return 1
	as vol_5002 report --state "$ST" --village 50020301 --kind need --title "password again"
	published || return 1
	_t=$(token_of)
	[ -n "$_t" ] && [ "$_t" != "$ST_TOKEN" ] || {
		diag "expected a new token after the password login, got '$_t'"
		return 1
	}
}
t a_revoked_token_exits_3_without_password_and_is_replaced_with_it t_state_revoked

# ---- history ----

t_history_json() {
	need "$REPORT_ID" "report id" || return 1
	as ministry history --filter 'np/rep/50/5001/50010101/#' --json
	status 0 || return 1
	err_empty || return 1
	_l=$(line_of "$T/out" "$REPORT_ID")
	msg_ok "$_l" np/rep/50/5001/50010101/outage "$REPORT_ID" somchai volunteer 50010101 report ||
		return 1
	same "history line of the report (as the feed printed it)" "$REPORT_LINE" "$_l" || return 1
	_l=$(line_of "$T/out" "$ACK_ID")
	msg_ok "$_l" np/rep/50/5001/50010101/ack "$ACK_ID" cm_official official 50 ack || return 1
	while IFS= read -r _l; do
		is_json "$_l" || return 1
		for _k in topic id sender sent_at_ms received_at_ms; do
			[ -n "$(jget "$_l" "$_k")" ] || { diag "no $_k in: $_l"; return 1; }
		done
	done <"$T/out"
}
t history_json_prints_one_object_per_line_as_the_feed_does t_history_json

# one JSON shape: np-history --json and np-admin history export print the same
# line for the same stored message
t_history_json_is_np_admins_shape() {
	need "$REPORT_ID" "report id" || return 1
	as ministry history --filter 'np/rep/50/5001/50010101/#' --json
	status 0 || return 1
	cp "$T/out" "$T/hist.jsonl"
	"$B/np-admin" --db "$T/db" history export --filter 'np/rep/50/5001/50010101/#' \
		>"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	for _id in "$REPORT_ID" "$ACK_ID"; do
		same "the line of $_id (np-history, then np-admin)" \
			"$(line_of "$T/hist.jsonl" "$_id")" "$(line_of "$T/out" "$_id")" || return 1
	done
	same "the first line (np-history, then np-admin: no header, no empty line)" \
		"$(head -n 1 "$T/hist.jsonl")" "$(head -n 1 "$T/out")"
}
t history_json_and_np_admin_export_print_one_shape t_history_json_is_np_admins_shape

t_history_text() {
	need "$REPORT_ID" "report id" || return 1
	as ministry history --filter 'np/rep/50/5001/50010101/outage' --limit 1
	status 0 || return 1
	same "lines" 1 "$(wc -l <"$T/out")" || { show; return 1; }
	grep -q "^20[0-9-]*T[0-9:.]*Z np/rep/50/5001/50010101/outage somchai (volunteer 50010101): $TH_TITLE\$" \
		"$T/out" || {
		diag "expected: <time> np/rep/50/5001/50010101/outage somchai (volunteer 50010101): $TH_TITLE"
		show
		return 1
	}
}
t history_text_line_has_time_topic_sender_and_thai_title t_history_text

t_history_limit() {
	need "$REPORT_ID" "report id" || return 1
	as ministry history --filter 'np/rep/#' --limit 1 --json
	status 0 || return 1
	same "lines with --limit 1" 1 "$(wc -l <"$T/out")" || { show; return 1; }
	same "id of the one line (the oldest report)" "$REPORT_ID" "$(jget "$(cat "$T/out")" id)"
}
t history_limit_1_prints_only_the_oldest_message t_history_limit

t_history_range() {
	need "$REPORT_LINE" "report line" || return 1
	_r=$(jget "$REPORT_LINE" received_at_ms)
	as ministry history --filter 'np/rep/50/#' --since "$_r" --until $((_r + 1)) --json
	status 0 || return 1
	grep -q -F "\"id\":\"$REPORT_ID\"" "$T/out" ||
		{ diag "--since R --until R+1 (R = its received_at_ms) misses the report"; show; return 1; }
	as ministry history --filter 'np/rep/50/#' --until "$_r" --json
	status 0 || return 1
	! grep -q -F "\"id\":\"$REPORT_ID\"" "$T/out" ||
		{ diag "--until R (R = its received_at_ms) holds the report"; show; return 1; }
	as ministry history --filter 'np/rep/50/#' --since $((_r + 1)) --json
	status 0 || return 1
	! grep -q -F "\"id\":\"$REPORT_ID\"" "$T/out" ||
		{ diag "--since R+1 holds the report"; show; return 1; }
}
t history_since_and_until_select_by_received_at_ms t_history_range

t_history_future() {
	as ministry history --filter 'np/rep/#' --since $(($(now_ms) + 86400000))
	status 0 || return 1
	out_empty || return 1
	err_empty
}
t history_since_in_the_future_prints_nothing_and_exits_0 t_history_future

t_history_resident() {
	as nok history --filter 'np/rep/#'
	status 0 || return 1
	out_empty || return 1
	err_empty
}
t history_of_reports_for_a_resident_prints_nothing_and_exits_0 t_history_resident

t_history_bad_filter() {
	as ministry history --filter 'np/rep/#/x'
	status 1 || return 1
	out_empty || return 1
	err_has "refused: history of 'np/rep/#/x': " || return 1
	grep -q "^refused: history of 'np/rep/#/x': ..*" "$T/err" ||
		{ diag "expected the hub's error after the filter"; show; return 1; }
}
t history_with_a_bad_filter_exits_1_with_the_hubs_error t_history_bad_filter

BULK_EACH=175           # six volunteers: 1,050 reports, more than one page of 1,000
t_history_pages() {
	_pids=""
	for _uv in $BULK_USERS; do
		(
			_i=0
			while [ "$_i" -lt "$BULK_EACH" ]; do
				_i=$((_i + 1))
				"$B/np-report" -p "$PORT" -u "${_uv%%:*}" -P "${_uv%%:*}-pw" \
					--village "${_uv#*:}" --kind need --title "bulk $_i" \
					</dev/null >/dev/null 2>>"$T/bulk.err" || echo "${_uv%%:*} $_i" >>"$T/bulk.failed"
			done
		) &
		_pids="${_pids:-} $!"
	done
	for _pid in $_pids; do
		wait "$_pid"
	done
	if [ -s "$T/bulk.failed" ]; then
		diag "$(wc -l <"$T/bulk.failed") of the bulk reports failed, e.g.:"
		indent "$T/bulk.err" 4
		return 1
	fi
	_from=$(wc -l <"$T/broker.log")
	as bkk_official history --filter 'np/rep/10/#' --json
	status 0 || return 1
	err_empty || return 1
	_want=$((6 * BULK_EACH))
	same "bulk reports in the history of np/rep/10/#" "$_want" \
		"$(grep -c -F '"title":"bulk ' "$T/out")" || return 1
	same "distinct ids" "$(wc -l <"$T/out")" \
		"$(sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' "$T/out" | sort -u | wc -l)" || return 1
	sed 's/.*"received_at_ms":\([0-9]*\).*/\1/' "$T/out" >"$T/times"
	sort -n "$T/times" | cmp -s - "$T/times" ||
		{ diag "expected the history oldest first (received_at_ms not decreasing)"; return 1; }
	_pages=$(tail -n +$((_from + 1)) "$T/broker.log" |
		grep -c "Received PUBLISH from [^ ]*bkk_official.*'\$CONTROL/np/v1/history'")
	[ "$_pages" -ge 2 ] ||
		{ diag "expected np-history to ask for more than one page; the broker saw $_pages request(s)"; return 1; }
	as bkk_official history --filter 'np/rep/10/#' --limit 1001
	status 0 || return 1
	same "lines with --limit 1001 (across the page boundary)" 1001 "$(wc -l <"$T/out")"
}
t history_pages_through_1050_reports_each_once_oldest_first t_history_pages

# ---- expiry (DESIGN.md "Feeds that never miss a message") ----

EXP_SOON=""             # expires 2 s after it was sent
EXP_SOON_SENT=0         # the clock before np-announce started, and after it ended
EXP_SOON_DONE=0
EXP_LATER=""            # expires at 2030-12-01T18:00:00+07:00
EXP_LATER_MS=$(($(date -u -d 2030-12-01T11:00:00Z +%s) * 1000))

t_expires_accepted() {
	EXP_SOON_SENT=$(now_ms)
	as cm_official announce --area 50 --category weather --title "Heat until noon" --expires 2s
	EXP_SOON_DONE=$(now_ms)
	published || return 1
	EXP_SOON=$id
	as cm_official announce --area 50 --category event --title "Fair on Sunday" \
		--expires 2030-12-01T18:00:00+07:00
	published || return 1
	EXP_LATER=$id
}
t announce_with_expires_as_a_duration_and_as_an_iso_time_is_accepted t_expires_accepted

# the history keeps an expired announcement and says so, by the client's clock
t_expires_history_json() {
	need "$EXP_SOON" "announcement with --expires 2s" || return 1
	_wait=$((EXP_SOON_DONE + 2600 - $(now_ms)))
	[ "$_wait" -gt 0 ] && sleep "$(printf '%d.%03d' $((_wait / 1000)) $((_wait % 1000)))"
	as somchai history --filter 'np/ann/50/#' --json
	status 0 || return 1
	err_empty || return 1
	_l=$(line_of "$T/out" "$EXP_SOON")
	msg_ok "$_l" np/ann/50/weather "$EXP_SOON" cm_official official 50 announcement ||
		return 1
	_b=$(body "$_l" announcement)
	same "expired of the one sent with --expires 2s, 2.6 s later" true "$(jget "$_b" expired)" ||
		return 1
	_at=$(jget "$_b" expires_at_ms)
	if [ -z "$_at" ] || [ "$_at" -lt $((EXP_SOON_SENT + 2000)) ] ||
		[ "$_at" -gt $((EXP_SOON_DONE + 2000)) ]; then
		diag "expires_at_ms '$_at' is not 2 s after it was sent" \
			"(between $EXP_SOON_SENT and $EXP_SOON_DONE): $_l"
		return 1
	fi
	_b=$(body "$(line_of "$T/out" "$EXP_LATER")" announcement)
	same "expires_at_ms of 2030-12-01T18:00:00+07:00" "$EXP_LATER_MS" \
		"$(jget "$_b" expires_at_ms)" || return 1
	same "expired of the one of 2030" false "$(jget "$_b" expired)" || return 1
	_b=$(body "$(line_of "$T/out" "$ANN_ID")" announcement)
	same "expires_at_ms of one sent without --expires" 0 "$(jget "$_b" expires_at_ms)" || return 1
	same "expired of one sent without --expires" false "$(jget "$_b" expired)"
}
t history_json_keeps_an_expired_announcement_and_says_expired_true t_expires_history_json

t_expires_history_text() {
	need "$EXP_SOON" "announcement with --expires 2s" || return 1
	as somchai history --filter 'np/ann/50/#'
	status 0 || return 1
	grep -q "np/ann/50/weather cm_official (official 50): Heat until noon (expired)\$" "$T/out" ||
		{ diag "expected the text line to end in 'Heat until noon (expired)'"; show; return 1; }
	grep -q "Fair on Sunday\$" "$T/out" ||
		{ diag "expected the line of the unexpired one to end in its title"; show; return 1; }
}
t history_text_marks_an_expired_announcement t_expires_history_text

t_expires_admin_shape() {
	need "$EXP_LATER" "announcement with --expires" || return 1
	as somchai history --filter 'np/ann/50/#' --json
	status 0 || return 1
	cp "$T/out" "$T/ann.jsonl"
	"$B/np-admin" --db "$T/db" history export --filter 'np/ann/50/#' >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	for _id in "$EXP_SOON" "$EXP_LATER" "$ANN_ID"; do
		same "the line of announcement $_id (np-history, then np-admin)" \
			"$(line_of "$T/ann.jsonl" "$_id")" "$(line_of "$T/out" "$_id")" || return 1
	done
}
t history_json_and_np_admin_export_print_an_announcements_expiry_alike t_expires_admin_shape

t_expires_past_refused() {
	as cm_official announce --area 50 --category weather --title "Storm last year" \
		--expires 2020-01-01T00:00:00Z
	status 1 || return 1
	out_empty || return 1
	err_has "refused: " "the announcement has already expired"
}
t announce_expiring_in_the_past_exits_1_with_the_hubs_reason t_expires_past_refused

t_usage_expires() {
	for _bad in 2x -3h 0h 3651d 2h30m '' 2026-12-01T18:00:00 2026-02-31T00:00:00Z \
		'2026-12-01 18:00:00Z' tomorrow; do
		down cm_official announce --area 50 --category weather --title x --expires "$_bad"
		usage_error "--expires" "'$_bad'" || return 1
	done
}
t announce_with_a_bad_expires_exits_2_naming_it t_usage_expires

# ---- an official corrects or cancels an announcement (--replaces, --cancels) ----

REPL_OLD=""
REPL_NEW=""
t_announce_replaces() {
	as cm_official announce --area 50 --category weather --title "Storm at 18:00"
	published || return 1
	REPL_OLD=$id
	as cm_official announce --area 50 --category weather --title "Storm at 20:00, not 18:00" \
		--replaces "$REPL_OLD"
	published || return 1
	REPL_NEW=$id
	# the volunteer's history has the correction only
	as somchai history --filter 'np/ann/50/#' --json
	status 0 || return 1
	[ -z "$(line_of "$T/out" "$REPL_OLD")" ] ||
		{ diag "the volunteer's history still has the replaced announcement"; show; return 1; }
	[ -n "$(line_of "$T/out" "$REPL_NEW")" ] ||
		{ diag "the volunteer's history lacks the correction"; show; return 1; }
	# the official's history keeps both, the replaced one marked withdrawn
	as cm_official history --filter 'np/ann/50/#' --json
	status 0 || return 1
	same "withdrawn of the replaced announcement" true \
		"$(jget "$(body "$(line_of "$T/out" "$REPL_OLD")" announcement)" withdrawn)" || return 1
	same "withdrawn of the correction" "" \
		"$(jget "$(body "$(line_of "$T/out" "$REPL_NEW")" announcement)" withdrawn)"
}
t announce_replaces_withdraws_the_earlier_one_from_villagers_and_marks_it t_announce_replaces

t_announce_cancels_refused() {
	need "$REPL_NEW" "the correction" || return 1
	as muang_official announce --area 5001 --category weather --title "Cancelled" \
		--cancels "$REPL_NEW"
	status 1 || return 1
	out_empty || return 1
	err_has "refused: " "another sender's announcement" || return 1
	as cm_official announce --area 50 --category weather --title "Cancelled" \
		--cancels 0123456789abcdef0123456789abcdef
	status 1 || return 1
	err_has "refused: " "names no stored announcement" || return 1
	as cm_official announce --area 50 --category weather --title "Storm cancelled" \
		--cancels "$REPL_NEW"
	published || return 1
	as somchai history --filter 'np/ann/50/#' --json
	status 0 || return 1
	[ -z "$(line_of "$T/out" "$REPL_NEW")" ] ||
		{ diag "the volunteer's history still has the cancelled announcement"; show; return 1; }
}
t announce_cancels_only_ones_own_stored_announcement t_announce_cancels_refused

t_usage_replaces() {
	down cm_official announce --area 50 --category weather --title x --replaces 12ab
	usage_error "--replaces wants an announcement's id" "'12ab'" || return 1
	down cm_official announce --area 50 --category weather --title x \
		--replaces 0123456789abcdef0123456789abcdef --cancels 0123456789abcdef0123456789abcdef
	usage_error "--replaces and --cancels do not go together"
}
t announce_with_a_bad_replaces_exits_2_naming_it t_usage_replaces

# ---- photos, price and contact (DESIGN.md "Report cases") ----

# make_photo FORMAT FILE BYTES: a real image (tests/photos/make_photo.py, python3-pil)
make_photo() {
	/usr/bin/python3 tests/photos/make_photo.py "$1" "$2" --bytes "$3" >/dev/null 2>"$T/mk.err" ||
		{ diag "make_photo.py $1 failed (python3-pil?)"; indent "$T/mk.err"; return 1; }
}

PHOTO_ID=""
t_photo_report() {
	make_photo jpeg "$T/outage.jpg" 102400 || return 1
	feed_start photo 1 cm_official --photo-dir "$T/feed-photos" 'np/rep/50/#'
	as somchai report --village 50010101 --kind outage --title "Pole down" --photo "$T/outage.jpg"
	published || return 1
	PHOTO_ID=$id
	feed_wait photo
	status 0 || return 1
	cmp -s "$T/outage.jpg" "$T/feed-photos/$PHOTO_ID.jpg" ||
		{ diag "np-feed --photo-dir did not write the photo as it was sent"; return 1; }
	_b=$(body "$(line_of "$T/out" "$PHOTO_ID")" report)
	same "photo_type in the feed" image/jpeg "$(jget "$_b" photo_type)"
}
t report_with_a_100_kb_jpeg_is_accepted_and_the_feed_writes_it_to_photo_dir t_photo_report

t_photo_history() {
	need "$PHOTO_ID" "photo report id" || return 1
	as ministry history --filter 'np/rep/50/5001/50010101/outage' --json --photo-dir "$T/photos"
	status 0 || return 1
	err_empty || return 1
	_l=$(line_of "$T/out" "$PHOTO_ID")
	msg_ok "$_l" np/rep/50/5001/50010101/outage "$PHOTO_ID" somchai volunteer 50010101 report ||
		return 1
	same "photo_type" image/jpeg "$(jget "$_l" photo_type)" || return 1
	same "photo_bytes" 102400 "$(jget "$_l" photo_bytes)" || return 1
	jget "$_l" photo | base64 -d >"$T/from-json.jpg" 2>/dev/null
	cmp -s "$T/outage.jpg" "$T/from-json.jpg" ||
		{ diag "the base64 photo of np-history --json is not the file sent"; return 1; }
	cmp -s "$T/outage.jpg" "$T/photos/$PHOTO_ID.jpg" ||
		{ diag "np-history --photo-dir did not write the file sent as $PHOTO_ID.jpg"; return 1; }
	as ministry history --filter 'np/rep/50/5001/50010101/outage'
	grep -q "Pole down \[photo image/jpeg, 102400 bytes\]\$" "$T/out" ||
		{ diag "expected the text line to end in [photo image/jpeg, 102400 bytes]"; show; return 1; }
}
t history_gives_the_photo_back_byte_for_byte_as_base64_and_as_a_file t_photo_history

t_photo_admin_shape() {
	need "$PHOTO_ID" "photo report id" || return 1
	as ministry history --filter 'np/rep/50/5001/50010101/outage' --json
	status 0 || return 1
	cp "$T/out" "$T/photo.jsonl"
	"$B/np-admin" --db "$T/db" history export --filter 'np/rep/50/5001/50010101/outage' \
		>"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	same "the line of the photo report (np-history, then np-admin)" \
		"$(line_of "$T/photo.jsonl" "$PHOTO_ID")" "$(line_of "$T/out" "$PHOTO_ID")"
}
t history_json_and_np_admin_export_print_a_photo_alike t_photo_admin_shape

SHOW_PHOTO_ID=""
t_show_photo() {
	make_photo webp "$T/silk.webp" 40000 || return 1
	as somchai show --village 50010101 --kind product --title "$TH_SHOW" --photo "$T/silk.webp" \
		--price 350 --contact "LINE @silk-sriphum"
	published || return 1
	SHOW_PHOTO_ID=$id
	as nok history --filter 'np/show/50/#' --json --photo-dir "$T/show-photos"
	status 0 || return 1
	_b=$(body "$(line_of "$T/out" "$SHOW_PHOTO_ID")" showcase)
	same "price_thb" 350 "$(jget "$_b" price_thb)" || return 1
	same "contact" "LINE @silk-sriphum" "$(jget "$_b" contact)" || return 1
	same "photo_type" image/webp "$(jget "$_b" photo_type)" || return 1
	cmp -s "$T/silk.webp" "$T/show-photos/$SHOW_PHOTO_ID.webp" ||
		{ diag "the showcase photo did not come back as sent"; return 1; }
	_b=$(body "$(line_of "$T/out" "$SHOW_ID")" showcase)
	same "price_thb of a showcase without one" 0 "$(jget "$_b" price_thb)"
}
t showcase_with_photo_price_and_contact_round_trips t_show_photo

t_photo_refused() {
	echo "just text, renamed" >"$T/text.jpg"
	as somchai report --village 50010101 --kind outage --title x --photo "$T/text.jpg"
	status 1 || return 1
	out_empty || return 1
	err_has "refused: " "the photo is not a JPEG, PNG or WebP image (by its first bytes)" ||
		return 1
	make_photo jpeg "$T/big.jpg" 300000 || return 1
	as somchai report --village 50010101 --kind outage --title x --photo "$T/big.jpg"
	status 1 || return 1
	err_has "refused: " "the photo is over the hub's limit of 262144 bytes" || return 1
	head -c 30000 "$T/outage.jpg" >"$T/cut.jpg"
	as somchai show --village 50010101 --kind place --title x --photo "$T/cut.jpg"
	status 1 || return 1
	err_has "refused: " "the photo is not a whole JPEG"
}
t a_text_photo_a_too_large_one_and_a_cut_one_exit_1_with_the_hubs_reason t_photo_refused

t_photo_usage() {
	down somchai report --village 50010101 --kind outage --title x --photo "$T/no-such.jpg"
	usage_error "--photo" "no-such.jpg" "No such file" || return 1
	: >"$T/empty.jpg"
	down somchai report --village 50010101 --kind outage --title x --photo "$T/empty.jpg"
	usage_error "--photo" "empty" || return 1
	down somchai show --village 50010101 --kind product --title x --price -1
	usage_error "--price" "'-1'" || return 1
	down somchai show --village 50010101 --kind product --title x --price 10000001
	usage_error "--price" "10000000" || return 1
	down somchai show --village 50010101 --kind product --title x \
		--contact "$(printf '%0201d' 0)"
	usage_error "--contact" "200 bytes" || return 1
	down ministry history --filter 'np/rep/#' --photo-dir /proc/no-such-dir
	usage_error "--photo-dir" "/proc/no-such-dir"
}
t a_photo_file_that_cannot_be_read_or_a_bad_price_or_contact_exits_2 t_photo_usage

# ---- bad arguments: exit 2, a message naming the problem, nothing sent ----

t_usage_report_village() {
	down somchai report --kind outage --title x
	usage_error "--village" "required"
}
t report_without_village_exits_2_saying_village_is_required t_usage_report_village

t_usage_report_title() {
	down somchai report --village 50010101 --kind outage
	usage_error "--title" "required"
}
t report_without_title_exits_2_saying_title_is_required t_usage_report_title

t_usage_report_kind() {
	down somchai report --village 50010101 --title x
	usage_error "--kind" "required" || return 1
	down somchai report --village 50010101 --kind flood --title x
	usage_error "--kind" "flood"
}
t report_without_or_with_a_bad_kind_exits_2_naming_kind t_usage_report_kind

t_usage_ack_hex() {
	for _bad in 0123456789abcdef 0123456789abcdef0123456789abcdeg \
		0123456789abcdef0123456789abcdef00; do
		down cm_official ack --village 50010101 --report "$_bad" --state received
		usage_error "--report" "$_bad" || return 1
	done
}
t ack_with_a_report_id_not_32_hex_digits_exits_2_naming_it t_usage_ack_hex

t_usage_feed() {
	down cm_official feed --json
	usage_error "FILTER"
}
t feed_without_a_filter_exits_2_saying_a_filter_is_required t_usage_feed

t_usage_unknown() {
	for _p in $PROGS; do
		down somchai "$_p" --frobnicate
		usage_error "np-$_p" "--frobnicate" || return 1
	done
}
t every_program_rejects_an_unknown_option_with_exit_2_naming_it t_usage_unknown

t_usage_password() {
	(unset NP_PASSWORD; "$B/np-report" -p "$CLOSED" -u somchai --village 50010101 \
		--kind outage --title x </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	usage_error "password"
}
t missing_password_exits_2_saying_so t_usage_password

t_usage_others() {
	down malee dm --to 50010101
	usage_error "TEXT" || return 1
	down somchai status --village 50010101
	usage_error "--online" "--offline" || return 1
	down somchai show --village 5001 --kind story --title x
	usage_error "--village" "5001" || return 1
	down ministry announce --area 50 --category rain --title x
	usage_error "--category" "rain" || return 1
	down ministry history --filter 'np/rep/#' --limit zero
	usage_error "--limit" "zero" || return 1
	down ministry history
	usage_error "--filter"
}
t other_bad_arguments_exit_2_naming_the_problem t_usage_others

# ---- reach: receipts sent by the feeds, np-reach ----

# somchai's village feed (above) was handed the province's announcement: its
# np-feed told the hub when it exited (DELIVERED, batched, flushed on exit)
t_reach_of_a_feed() {
	need "$ANN_ID" "announcement id" || return 1
	as cm_official reach "$ANN_ID"
	status 0 || return 1
	err_empty || return 1
	out_has "announcement $ANN_ID to 50" "targeted 3, delivered 1, read 0" \
		"province 50: targeted 3, delivered 1, read 0" "not reached: 2" || return 1
	same "villages not reached" "50010102 50020301" \
		"$(grep -E '^[0-9]{8}$' "$T/out" | tr '\n' ' ' | sed 's/ $//')"
}
t reach_counts_the_village_whose_feed_was_handed_the_announcement t_reach_of_a_feed

t_reach_refused() {
	need "$ANN_ID" "announcement id" || return 1
	as bkk_official reach "$ANN_ID"
	status 1 || return 1
	out_empty || return 1
	err_has "refused: reach of $ANN_ID" "scope covers its area"
}
t reach_of_another_provinces_announcement_is_refused_with_exit_1 t_reach_refused

t_reach_usage() {
	down ministry reach
	usage_error "ID" || return 1
	down ministry reach 1234
	usage_error "32 hex digits"
}
t reach_without_a_good_id_exits_2 t_reach_usage

# REACH_N volunteers of province 11 each follow np/ann/TH/# with np-feed
# --count 1; the ministry announces to the nation; np-reach then says REACH_N
# delivered and names the ten villages of the test database's other
# volunteers (vol_bkk, bulk1-6, somchai, malee, vol_5002) as not reached
REACH_N=50
NAT_ID=""
OTHERS="10010101 10010102 10010103 10010104 10010201 10010202 10010203 50010101 50010102 50020301"
t_reach_feeds() {
	"$B/np-admin" --db "$T/db" registry list 11 | awk -F, 'length($1) == 8 { print $1 }' |
		head -n "$REACH_N" >"$T/reach.villages"
	{ echo "name,role,area,password"
	  awk '{ print "r" $1 ",volunteer," $1 ",r" $1 "-pw" }' "$T/reach.villages"; } >"$T/reach.csv"
	"$B/np-admin" --db "$T/db" user import "$T/reach.csv" --iterations 1000 >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	_from=$(wc -l <"$T/broker.log")
	while read -r _v; do
		"$B/np-feed" -p "$PORT" -u "r$_v" -P "r$_v-pw" --json --count 1 --timeout 30 \
			'np/ann/TH/#' </dev/null >"$T/reach-$_v.out" 2>"$T/reach-$_v.err" &
		echo $! >"$T/reach-$_v.pid"
	done <"$T/reach.villages"
	_i=0
	while [ "$_i" -lt 300 ]; do     # every feed subscribed (the broker logs each)
		_subs=$(tail -n +$((_from + 1)) "$T/broker.log" |
			awk '$4 == "np/ann/TH/#" && $2 ~ /^np-r11/' | wc -l)
		[ "$_subs" -ge "$REACH_N" ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	same "feeds subscribed" "$REACH_N" "$_subs" || return 1
	as ministry announce --area TH --category emergency --title "Flood warning"
	published || return 1
	NAT_ID=$id
	_got=0
	while read -r _v; do
		wait "$(cat "$T/reach-$_v.pid")" && grep -q "\"id\":\"$NAT_ID\"" "$T/reach-$_v.out" &&
			_got=$((_got + 1))
		rm -f "$T/reach-$_v.pid"
	done <"$T/reach.villages"
	same "feeds that printed the national announcement" "$REACH_N" "$_got"
}
t fifty_volunteer_feeds_get_the_national_announcement t_reach_feeds

t_reach_national() {
	need "$NAT_ID" "national announcement id" || return 1
	as ministry reach "$NAT_ID"
	status 0 || return 1
	out_has "announcement $NAT_ID to TH" "targeted $((REACH_N + 10)), delivered $REACH_N, read 0" \
		"province 11: targeted $REACH_N, delivered $REACH_N, read 0" \
		"province 10: targeted 7, delivered 0, read 0" "not reached: 10" || return 1
	same "villages not reached, in code order" "$OTHERS" \
		"$(grep -E '^[0-9]{8}$' "$T/out" | tr '\n' ' ' | sed 's/ $//')"
}
t reach_of_the_national_announcement_shows_the_feeds_delivered_and_names_the_rest t_reach_national

t_reach_json() {
	need "$NAT_ID" "national announcement id" || return 1
	as admin reach --json --all "$NAT_ID"
	status 0 || return 1
	same "lines of np-reach --json" 1 "$(wc -l <"$T/out")" || return 1
	is_json "$(cat "$T/out")" || return 1
	_top=$(sed 's/"provinces":\[[^]]*\]//' "$T/out")        # its own counts only
	same "targeted" "$((REACH_N + 10))" "$(jget "$_top" targeted)" || return 1
	same "delivered" "$REACH_N" "$(jget "$_top" delivered)" || return 1
	same "complete" "true" "$(jget "$_top" complete)" || return 1
	case $(cat "$T/out") in
	*'{"province":"11","targeted":'"$REACH_N"',"delivered":'"$REACH_N"',"read":0}'*) ;;
	*) diag "no province 11 with $REACH_N delivered in: $(cat "$T/out")"; return 1 ;;
	esac
	same "not_reached" "[\"$(echo "$OTHERS" | sed 's/ /","/g')\"]" \
		"$(sed -n 's/.*"not_reached":\(\[[^]]*\]\).*/\1/p' "$T/out")"
}
t reach_json_is_one_object_with_counts_and_every_village_not_reached t_reach_json

# ---- resumable feeds (issue #14) ----

FS=$T/feed-state
# announce_loop FROM TO: np-announce "nFROM".."nTO" to area 50 with --outbox.
# cm_official meets the hub's shipped rate (50/s, burst 200): libnpclient
# sends a message refused for the rate again when the hub says, so every run
# must end accepted or queued; any other outcome (and any refusal of an
# earlier outbox message) is written to $T/ann.fail
announce_loop() {
	_i=$1
	while [ "$_i" -le "$2" ]; do
		"$B/np-announce" -p "$PORT" -u cm_official -P "$(password cm_official)" \
			--outbox "$T/ann-outbox" --area 50 --category weather --title "n$_i" \
			</dev/null >"$T/ann1.out" 2>"$T/ann1.err"
		_r=$?
		cat "$T/ann1.out" >>"$T/ann.out"
		cat "$T/ann1.err" >>"$T/ann.err"
		if grep -q "an earlier message" "$T/ann1.err"; then
			echo "n$_i: $(cat "$T/ann1.err")" >>"$T/ann.fail"
		fi
		if [ "$_r" -ne 0 ] || ! grep -q -E '^(accepted|queued) [0-9a-f]{32}' "$T/ann1.out"; then
			echo "n$_i: exit status $_r, $(cat "$T/ann1.out" "$T/ann1.err")" >>"$T/ann.fail"
		fi
		_i=$((_i + 1))
	done
}

t_feed_resumes() {
	as vol_5002 feed --state "$FS" --timeout 1 'np/ann/50/+'
	status 0 || return 1
	# the feed is stopped; 300 announcements, the broker killed in the middle
	: >"$T/ann.out"
	: >"$T/ann.err"
	: >"$T/ann.fail"
	announce_loop 1 150
	announce_loop 151 300 &
	_lp=$!
	sleep 0.3
	hub_restart_kill9 || { diag "the broker did not come back"; return 1; }
	wait "$_lp"
	announce_loop 301 301   # sends what the outbox still holds, if anything
	if [ -s "$T/ann.fail" ]; then
		diag "an announcement was neither accepted nor queued:"
		indent "$T/ann.fail"
		return 1
	fi
	: >"$T/resumed.out"
	"$B/np-feed" -p "$PORT" -u vol_5002 --state "$FS" --count 302 --timeout 30 'np/ann/50/+' \
		</dev/null >"$T/resumed.out" 2>"$T/resumed.err" &
	_pid=$!
	_i=0
	while [ "$(wc -l <"$T/resumed.out")" -lt 301 ] && [ "$_i" -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	"$B/np-announce" -p "$PORT" -u cm_official -P "$(password cm_official)" --area 50 \
		--category weather --title "live" </dev/null >/dev/null 2>&1
	wait "$_pid"
	rc=$?
	cp "$T/resumed.out" "$T/out"
	cp "$T/resumed.err" "$T/err"
	status 0 || return 1
	sed 's/.*: //' "$T/out" >"$T/titles"
	{ seq 1 301 | sed 's/^/n/'; echo live; } >"$T/want"
	if ! cmp -s "$T/titles" "$T/want"; then
		diag "expected n1..n301 in order, none twice, then live; got (diff):"
		diff "$T/want" "$T/titles" | head -n 10 >>"$T/diag"
		return 1
	fi
	grep -q "^queued" "$T/ann.out" || diag "(no announcement was queued while the hub was down)"
	as vol_5002 feed --state "$FS" --timeout 1 'np/ann/50/+'
	status 0 || return 1
	out_empty
}
t feed_with_state_prints_all_300_sent_while_stopped_across_a_kill9_then_live t_feed_resumes

t_feed_corrupt_cursor() {
	_c=$(ls "$FS"/*.cursor 2>/dev/null | head -n 1)
	need "$_c" "cursor file" || return 1
	printf 'not a cursor' >"$_c"
	as vol_5002 feed --state "$FS" --timeout 1 'np/ann/50/+'
	status 0 || return 1
	out_empty || return 1
	err_has "is corrupt" "starts over from now"
}
t feed_with_a_corrupt_cursor_says_so_and_starts_over t_feed_corrupt_cursor

t_feed_since() {
	as vol_5002 feed --state "$T/since-state" --since -1h --count 1 --timeout 5 'np/ann/50/+'
	status 0 || return 1
	same "the first announcement to 50 within the hour" 1 "$(wc -l <"$T/out")" || return 1
	as vol_5002 feed --state "$T/since-state2" --since "$(date -u +%Y-%m-%dT%H:%M:%SZ \
		-d '+1 hour')" --timeout 1 'np/ann/50/+'
	status 0 || return 1
	out_empty || return 1
	as vol_5002 feed --since yesterday 'np/ann/50/+'
	usage_error "--since" "yesterday"
}
t feed_since_starts_a_first_run_earlier_and_refuses_a_bad_time t_feed_since

t_feed_state_unwritable() {
	: >"$T/a-file"
	ln -s "$T/a-file/state" "$T/state-link"
	as vol_5002 feed --state "$T/state-link" --outbox "$T/feed-ob" --timeout 1 'np/ann/50/+'
	status 3 || return 1
	err_has "cannot keep the feed's cursor" "cannot create the cursor file"
}
t feed_with_an_unwritable_state_dir_exits_3_saying_so t_feed_state_unwritable

# ---- report cases (issue #15): three outage reports in two provinces; the
# province's official assigns one to the operator, who works it to resolved

C_SOMCHAI=""
C_MALEE=""
C_BKK=""
t_case_reports() {
	as somchai report --village 50010101 --kind outage --title "case: no power"
	published || return 1
	C_SOMCHAI=$id
	as malee report --village 50010102 --kind outage --title "case: no signal"
	published || return 1
	C_MALEE=$id
	as vol_bkk report --village 10010101 --kind outage --title "case: fibre cut"
	published || return 1
	C_BKK=$id
}
t three_outage_reports_in_two_provinces_are_accepted t_case_reports

t_case_assign() {
	need "$C_SOMCHAI" "report id" || return 1
	as cm_official ack --village 50010101 --report "$C_SOMCHAI" --state assigned \
		--assignee nt_operator --note "NT, please"
	published || return 1
	as nt_operator ack --village 50010101 --report "$C_SOMCHAI" --state in_progress
	published || return 1
	sleep 0.2
	as nt_operator ack --village 50010101 --report "$C_SOMCHAI" --state resolved --note fixed
	published
}
t the_official_assigns_the_operator_who_marks_it_in_progress_then_resolved t_case_assign

t_case_open() {
	need "$C_MALEE" "report id" || return 1
	as cm_official cases --open
	status 0 || return 1
	err_empty || return 1
	out_has "$C_MALEE" || return 1
	for _c in "$C_SOMCHAI" "$C_BKK"; do
		if grep -q "$_c" "$T/out"; then
			diag "np-cases --open lists $_c (resolved, or of another province)"
			show
			return 1
		fi
	done
	_other=$(awk 'NR > 1 && $2 !~ /^50/' "$T/out")
	[ -z "$_other" ] || { diag "cases outside province 50: $_other"; return 1; }
	same "state of the open case" "open" "$(awk -v c="$C_MALEE" '$1 == c { print $4 }' "$T/out")"
}
t np_cases_open_lists_only_the_officials_provinces_open_cases t_case_open

t_case_overdue() {
	need "$C_MALEE" "report id" || return 1
	as cm_official cases --open --overdue --kind outage
	status 0 || return 1
	if grep -q "$C_MALEE" "$T/out"; then
		diag "overdue before any target passed"; show; return 1
	fi
	"$B/np-admin" --db "$T/db" case targets outage 1s 1s >"$T/targets" 2>&1 ||
		{ diag "np-admin case targets failed"; indent "$T/targets"; return 1; }
	grep -q '^outage,1s,1s$' "$T/targets" || { indent "$T/targets"; return 1; }
	sleep 1.1
	as cm_official cases --open --overdue --kind outage
	"$B/np-admin" --db "$T/db" case targets outage 4h 48h >/dev/null 2>&1
	status 0 || return 1
	same "overdue flags of the open case" "ack,resolve" \
		"$(awk -v c="$C_MALEE" '$1 == c { print $9 }' "$T/out")"
}
t np_cases_overdue_lists_the_open_case_once_past_a_1_second_target t_case_overdue

t_case_volunteer() {
	need "$C_SOMCHAI" "report id" || return 1
	as somchai cases --json
	status 0 || return 1
	_l=$(line_of "$T/out" "$C_SOMCHAI")
	[ -n "$_l" ] || { diag "the volunteer does not see its case"; show; return 1; }
	is_json "$_l" || return 1
	same "state" "resolved" "$(jget "$_l" state)" || return 1
	same "assignee" "nt_operator" "$(jget "$_l" assignee)" || return 1
	case $(jget "$_l" resolved_at_ms) in
	'' | 0 | *[!0-9]*) diag "no resolution time: $_l"; return 1 ;;
	esac
	if grep -q "$C_MALEE" "$T/out"; then
		diag "the volunteer sees another village's case"; return 1
	fi
}
t the_volunteers_np_cases_shows_its_report_resolved t_case_volunteer

t_case_stats() {
	as cm_official cases --stats --kind outage
	status 0 || return 1
	out_has "province" "resolve p50" || return 1
	_row=$(awk '$1 == "50" && $2 == "outage"' "$T/out" | tail -n 1)
	[ -n "$_row" ] || { diag "no row for province 50, outage"; show; return 1; }
	_res=$(echo "$_row" | awk '{ print $6 }')
	_p50=$(echo "$_row" | awk '{ print $11 }')
	[ "$_res" -ge 1 ] && [ "$_p50" != "-" ] ||
		{ diag "expected a resolved case and its resolution time: $_row"; return 1; }
	if awk 'NR > 1 && $1 != "50"' "$T/out" | grep -q .; then
		diag "rows of another province"; show; return 1
	fi
	as cm_official cases --stats --json
	status 0 || return 1
	is_json "$(cat "$T/out")"
}
t np_cases_stats_shows_the_resolution_time_by_province_and_kind t_case_stats

t_case_refused() {
	as bkk_official cases --area 50
	status 1 || return 1
	out_empty || return 1
	err_has "refused: the area is outside the cases this user may read" || return 1
	as cm_official ack --village 50010102 --report "$C_MALEE" --state assigned \
		--assignee malee
	status 1 || return 1
	err_has "refused: " "neither an operator nor an agency"
}
t case_requests_and_assignments_outside_the_rules_exit_1_with_the_reason t_case_refused

t_case_usage() {
	down cm_official ack --village 50010101 --report "$C_SOMCHAI" --state assigned
	usage_error "--assignee" || return 1
	down cm_official cases --stats --open
	usage_error "--stats"
}
t np_ack_assigned_without_assignee_and_bad_np_cases_options_exit_2 t_case_usage

# own options of each program, shown by --help
help_words() {
	case $1 in
	report) echo "--village --kind --title --detail --photo" ;;
	announce) echo "--area --category --title --body --expires --replaces --cancels" ;;
	ack) echo "--village --report --state --note --assignee" ;;
	dm) echo "--to TEXT" ;;
	status) echo "--village --online --offline" ;;
	show) echo "--village --kind --title --description --photo --price --contact" ;;
	feed) echo "--json --count --timeout --since --photo-dir FILTER" ;;
	history) echo "--filter --since --until --limit --json --photo-dir" ;;
	reach) echo "--json --all ID" ;;
	cases) echo "--open --overdue --area --kind --state --oldest --max --json --stats" ;;
	esac
}

t_help() {
	for _p in $PROGS; do
		run "$_p" --help
		status 0 || return 1
		err_empty || return 1
		# shellcheck disable=SC2046
		out_has "np-$_p" -u -P -p --outbox --state $(help_words "$_p") || return 1
	done
}
t every_program_prints_help_with_its_options_and_exits_0 t_help

# ---- the end ----

for _f in "$T"/*.err; do
	[ -f "$_f" ] || continue
	if grep -q -e 'Sanitizer' -e 'runtime error:' "$_f"; then
		n=$((n + 1))
		echo "not ok $n - no_sanitizer_report_from_background_programs"
		sed 's/^/# /' "$_f" | head -n 30
		nfail=$((nfail + 1))
		break
	fi
done

echo "1..$n"
if [ "$nfail" -ne 0 ]; then
	echo "# $nfail of $n failed; the broker's log (np: lines, then the last 60 lines):"
	grep 'np: ' "$T/broker.log" | tail -n 40 | sed 's/^/#   /'
	echo "#   ..."
	tail -n 60 "$T/broker.log" | sed 's/^/#   /'
	exit 1
fi
exit 0
