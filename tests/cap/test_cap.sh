#!/bin/sh
# test_cap.sh - checks that np-admin cap import turns every CAP 1.2 file of
# ../shared/data/cap/ into what DESIGN.md "CAP" promises, through a real hub:
# the TMD alert reaches the volunteers of Chanthaburi, Trat and Sa Kaeo (with
# the hub's clock at its sent time, libfaketime), a second import publishes
# nothing new, the Thai samples' Update and Cancel withdraw the alert (a
# session queued while offline gets only the Cancel; an official's history
# marks the withdrawn ones, np-history --json "withdrawn":true and its text
# "(withdrawn)", np-admin history export the same lines, and an official's
# resumable feed catches up with the Cancel only), the Test alert reaches
# officials and no villager, an expired alert is kept in the history only,
# bad files (not XML, not CAP, an XML bomb, 50 MB, a bad signature, no Thai
# province, an Update of an unknown alert, the OASIS examples) are refused
# naming the file with nothing published, --watch files them in done/ and
# failed/, and every exported announcement validates with xmllint --schema.
#
#   tests/cap/test_cap.sh BUILD_DIR      (build or build-san)
#
# BUILD_DIR/np-admin imports; the hub is the plain plugin (or $NP_PLUGIN) on a
# free port. The tests that set the hub's clock are skipped when a sanitizer
# runtime is preloaded into it (libfaketime and ASan deadlock); the sanitizer
# np-admin runs them on the real clock (its "expired" note then says so).
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
REPO=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
case $1 in /*) B=$1 ;; *) B=$(pwd)/$1 ;; esac
cd "$REPO" || exit 2
PLUGIN=${NP_PLUGIN:-build/np_plugin.so}
case $PLUGIN in /*) ;; *) PLUGIN=$REPO/$PLUGIN ;; esac
TEMPLATE=${NP_TEMPLATE_DB:-build/test-template-db}
MOSQ=${NP_MOSQUITTO:-mosquitto}
command -v "$MOSQ" >/dev/null 2>&1 || MOSQ=/usr/sbin/mosquitto
DATA=$REPO/../shared/data/cap
XSD=$DATA/CAP-v1.2.xsd
TMD=$DATA/tmd/CAPTMD20260923055145_2.xml
S=$DATA/samples
for f in "$B/np-admin" "$B/np-feed" "$B/np-history" "$PLUGIN" "$XSD" "$TMD"; do
	[ -r "$f" ] || { echo "Bail out! missing $f"; exit 2; }
done
command -v xmllint >/dev/null 2>&1 || { echo "Bail out! no xmllint (libxml2-utils)"; exit 2; }
# the hub's clock is set when no sanitizer runtime is preloaded into it;
# np-admin's (which only words the "expired" note) with the plain build only
FAKE=1
FAKE_ADMIN=1
case $B in *san*) FAKE_ADMIN="" ;; esac
[ -n "${NP_BROKER_PRELOAD:-}" ] && FAKE=""
LIBFAKETIME=${NP_LIBFAKETIME:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
command -v faketime >/dev/null 2>&1 && [ -r "$LIBFAKETIME" ] || FAKE=""

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
. "$REPO/tests/tap.sh"
. "$REPO/tests/hub.sh"

# ---- helpers ----

# mkdb DIR: the template plus the TMD agency, one without weather, and a
# volunteer in each of the TMD alert's provinces
mkdb() {
	mkdir -p "$1" && cp "$TEMPLATE/data.mdb" "$1/data.mdb" || exit 2
	{
		echo tmd-pw | "$B/np-admin" --db "$1" user add tmd --role agency --area TH \
			--categories weather,health,emergency,general --iterations 1000
		echo hl-pw | "$B/np-admin" --db "$1" user add healthonly --role agency --area TH \
			--categories health --iterations 1000
		for v in 22010101 23010101 27010101; do
			echo vol-pw | "$B/np-admin" --db "$1" user add "v${v%??????}" --role volunteer \
				--area "$v" --iterations 1000
		done
	} >"$T/mkdb.log" 2>&1 || { echo "Bail out! cannot make $1:"; sed 's/^/# /' "$T/mkdb.log"; exit 2; }
	rm -f "$1/lock.mdb"
}

# hub_on DB [CLOCK]: a hub on DB, its clock at CLOCK (Bangkok time) if given
hub_on() {
	hub_stop
	rm -rf "$T/db"
	ln -s "$1" "$T/db"
	if [ -n "${2:-}" ]; then
		# libfaketime preloaded into mosquitto itself (the faketime program
		# would fork it, and hub_stop would stop faketime only)
		printf '#!/bin/sh\nexport TZ=Asia/Bangkok LD_PRELOAD=%s FAKETIME="@%s"\nexec "%s" "$@"\n' \
			"$LIBFAKETIME" "$2" "$MOSQ" >"$T/mosq"
		chmod +x "$T/mosq"
		MOSQUITTO=$T/mosq
	else
		MOSQUITTO=$MOSQ
	fi
	hub_start
}

# imp [CLOCK] FILE...: np-admin cap import as tmd (CLOCK: "@TIME" runs it there)
imp() {
	_fk=""
	case $1 in @*) _fk=${1#@}; shift ;; esac
	if [ -n "$_fk" ] && [ -n "$FAKE_ADMIN" ]; then
		NP_PASSWORD=tmd-pw TZ=Asia/Bangkok faketime "$_fk" "$B/np-admin" cap import \
			--hub "127.0.0.1:$PORT" --as tmd "$@" </dev/null >"$T/out" 2>"$T/err"
	else
		NP_PASSWORD=${PW:-tmd-pw} "$B/np-admin" cap import --hub "127.0.0.1:$PORT" \
			--as "${AS:-tmd}" "$@" </dev/null >"$T/out" 2>"$T/err"
	fi
	rc=$?
}

out_has() {
	for _s; do
		grep -F -q -e "$_s" "$T/out" && continue
		diag "expected stdout to contain: $_s"
		show
		return 1
	done
}

# refused FILE TEXT...: exit 1, stderr names FILE, the TEXTs and "nothing published"
refused() {
	_file=$1
	shift
	status 1 || return 1
	err_has "np-admin: $_file: " "$@" "nothing published"
}

# history USER PASS FILTER: np-history --json into $T/hist
history() {
	"$B/np-history" -p "$PORT" -u "$1" -P "$2" --filter "$3" --json >"$T/hist" 2>"$T/hist.err"
}

ann_count() {
	history ministry ministry-demo 'np/ann/#'
	wc -l <"$T/hist"
}

# feed NAME USER PASS COUNT TIMEOUT FILTER: np-feed --json in the background,
# waiting (up to 20 s) until the broker granted the subscription; 1 if not
feed() {
	_from=$(wc -l <"$T/broker.log")
	"$B/np-feed" -p "$PORT" -u "$2" -P "$3" --json --count "$4" --timeout "$5" "$6" \
		</dev/null >"$T/$1.out" 2>"$T/$1.err" &
	echo $! >"$T/$1.pid"
	_i=0
	while [ $_i -lt 200 ]; do
		tail -n +$((_from + 1)) "$T/broker.log" | grep -q " $6\$" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	diag "feed $1: the broker never logged $2's subscription to $6"
	return 1
}

# feed_wait NAME: waits for the feed; a feed that could not follow (its
# stderr not empty) fails, so that "got nothing" means nothing was handed
feed_wait() {
	wait "$(cat "$T/$1.pid")" 2>/dev/null
	rm -f "$T/$1.pid"
	[ -s "$T/$1.err" ] || return 0
	diag "feed $1 said:"
	indent "$T/$1.err"
	return 1
}

ids_of() {
	grep -o '[0-9a-f]\{32\}' "$T/out"
}

validates() {
	xmllint --noout --schema "$XSD" "$1" >"$T/xmllint.out" 2>&1 && return 0
	diag "$1 does not validate:"
	indent "$T/xmllint.out" 10
	return 1
}

# ---- files made from the shared ones ----

mkdir -p "$T/bad" "$T/watch"
head -c 2000 "$TMD" >"$T/bad/truncated.xml"
sed 's|<severity>Severe</severity>|<severity>High</severity>|' "$S/th-heavy-rain-alert.xml" \
	>"$T/bad/high.xml"
printf '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"/>\n' >"$T/bad/atom.xml"
cat >"$T/bad/bomb.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE alert [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&e;</identifier></alert>
EOF
truncate -s 50M "$T/bad/big.xml"
# the sample alert, its geocodes gone and its area renamed: no province
python3 - "$S/th-heavy-rain-alert.xml" "$T/bad/atlantis.xml" "$TMD" "$T/poly.xml" <<'EOF'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
s = re.sub(r"\s*<geocode>.*?</geocode>", "", s, flags=re.S)
s = re.sub(r"<areaDesc>[^<]*</areaDesc>", "<areaDesc>Atlantis</areaDesc>", s)
open(sys.argv[2], "w", encoding="utf-8").write(s)
# the TMD alert with polygons only (no geocode, no province name, unsigned)
s = open(sys.argv[3], encoding="utf-8-sig").read()
s = re.sub(r"\s*<geocode>.*?</geocode>", "", s, flags=re.S)
s = s.replace("<areaDesc>จันทบุรี ตราด สระแก้ว</areaDesc>", "<areaDesc>พื้นที่เสี่ยงภัย</areaDesc>")
s = s.replace("TMD20260923055145_2", "TMD-POLYGONS-ONLY")
s = re.sub(r"\s*<Signature.*</Signature>", "", s, flags=re.S)
open(sys.argv[4], "w", encoding="utf-8").write(s)
EOF
sed 's/พื้นที่เสี่ยงภัยฝนตกหนักมาก/ทดสอบแก้ไข/' "$TMD" >"$T/bad/tampered.xml"
{
	echo "-----BEGIN CERTIFICATE-----"
	sed -n 's:.*<X509Certificate>\(.*\)</X509Certificate>.*:\1:p' "$TMD" | tr -d '\r' | fold -w64
	echo "-----END CERTIFICATE-----"
} >"$T/tmd.pem"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other -days 1 -keyout "$T/other.key" \
	-out "$T/other.pem" >/dev/null 2>&1

mkdb "$T/db-now"
[ -n "$FAKE" ] && mkdb "$T/db-fake"
hub_on "$T/db-now"
echo "# hub on 127.0.0.1:$PORT (real clock), np-admin from $B"

# ---- usage ----

t_usage() {
	"$B/np-admin" cap import --hub "127.0.0.1:$PORT" "$TMD" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	status 2 || return 1
	err_has "needs --as USER"
}
t import_without_as_is_a_usage_error t_usage

# ---- bad input: refused, naming the file, nothing published ----

BEFORE=$(ann_count)

t_truncated() { imp "$T/bad/truncated.xml"; refused "$T/bad/truncated.xml" "not well-formed XML: line"; }
t not_well_formed_xml_is_refused t_truncated
t_high() { imp "$T/bad/high.xml"; refused "$T/bad/high.xml" "not CAP 1.2 (schema)" "severity"; }
t severity_high_is_refused_by_the_schema t_high
t_atom() { imp "$T/bad/atom.xml"; refused "$T/bad/atom.xml" "not CAP 1.2: the root is not <alert>"; }
t another_xml_document_is_not_cap t_atom
t_bomb() { imp "$T/bad/bomb.xml"; refused "$T/bad/bomb.xml" "DOCTYPE or an entity declaration"; }
t an_xml_bomb_is_refused_unparsed t_bomb
t_big() { imp "$T/bad/big.xml"; refused "$T/bad/big.xml" "over 10000000 bytes"; }
t a_50_mb_file_is_refused_unread t_big
t_atlantis() {
	imp "$T/bad/atlantis.xml"
	refused "$T/bad/atlantis.xml" "area 'Atlantis' names no known province"
}
t an_area_naming_no_province_is_refused t_atlantis
t_oasis() {
	for f in "$DATA"/oasis/*.xml; do
		imp "$f"
		refused "$f" || return 1
	done
	imp "$DATA/oasis/a2-severe-thunderstorm-warning.xml"
	err_has "polygons and circles overlap no Thai province"
}
t the_oasis_examples_name_no_thai_province t_oasis
t_update_unknown() {
	imp "$S/th-heavy-rain-update.xml"
	refused "$S/th-heavy-rain-update.xml" "an Update of an unknown alert: TMD,TMD-SAMPLE-20261001-053000-HR"
}
t an_update_of_an_unknown_alert_is_refused t_update_unknown
t_unsigned() {
	imp --require-signature "$T/tmd.pem" "$S/th-system-test.xml"
	refused "$S/th-system-test.xml" "carries no XML signature"
}
t require_signature_refuses_an_unsigned_file t_unsigned
t_tampered() {
	imp --require-signature "$T/tmd.pem" "$T/bad/tampered.xml"
	refused "$T/bad/tampered.xml" "XML signature does not verify"
}
t require_signature_refuses_a_changed_file t_tampered
t_other_cert() {
	imp --require-signature "$T/other.pem" "$TMD"
	refused "$TMD" "XML signature does not verify with the key of $T/other.pem"
}
t require_signature_refuses_another_signers_key t_other_cert
t_hub_refuses() {
	AS=healthonly PW=hl-pw imp "$TMD"
	refused "$TMD" "the hub refused np/ann/22/weather:"
}
t the_hubs_refusal_leaves_nothing_published t_hub_refuses
t_nothing() { same "announcements in the history after the bad files" "$BEFORE" "$(ann_count)"; }
t no_bad_file_published_anything t_nothing

# ---- the real clock: the TMD alert has expired ----

t_expired() {
	feed late v22 vol-pw 1 2 'np/ann/22/#' || return 1
	imp --require-signature "$T/tmd.pem" "$TMD"
	status 0 || return 1
	out_has "np/ann/22/weather" "np/ann/23/weather" "np/ann/27/weather" \
		"info 1 (th-TH) expired at 2026-09-23T18:00:00+07:00: kept in the history as expired"
	feed_wait late || return 1
	same "announcements handed to the volunteer of 22" 0 "$(wc -l <"$T/late.out")" || return 1
	history ministry ministry-demo 'np/ann/22/#'
	grep -q '"expired":true' "$T/hist" || { diag "not in the history as expired"; return 1; }
}
t a_signed_expired_alert_is_kept_in_the_history_only t_expired

t_export_now() {
	imp "$TMD"
	for id in $(ids_of); do
		"$B/np-admin" --db "$T/db-now" cap export "$id" >"$T/$id.xml" 2>"$T/err" || {
			diag "cap export $id failed"; show; return 1; }
		validates "$T/$id.xml" || return 1
	done
	grep -q '<value>TH-27</value>' "$T"/*.xml && grep -q '<severity>Extreme</severity>' "$T/$id.xml" \
		&& grep -q '<expires>2026-09-23T18:00:00+07:00</expires>' "$T/$id.xml" \
		|| { diag "export lacks the geocode, severity or expiry"; return 1; }
	"$B/np-admin" --db "$T/db-now" cap atom $(ids_of) >"$T/index.atom" 2>"$T/err" \
		&& xmllint --noout "$T/index.atom" \
		|| { diag "cap atom failed or is not XML"; show; return 1; }
	same "entries of the Atom index" 3 "$(grep -c '<entry>' "$T/index.atom")" || return 1
	grep -q "href=\"np-$id.xml\"" "$T/index.atom" || { diag "no link to np-$id.xml"; return 1; }
	"$B/np-admin" --db "$T/db-now" cap export 0123456789abcdef0123456789abcdef >"$T/out" 2>"$T/err"
	rc=$?
	status 1 && err_has "no message 0123456789abcdef0123456789abcdef in the history"
}
t every_exported_tmd_announcement_validates_and_the_atom_index_links_them t_export_now

t_polygons() {
	imp "$T/poly.xml"
	status 0 || return 1
	same "provinces of the 16 polygons" "21 22 23 24 27 30 31" \
		"$(grep -o 'np/ann/[0-9]*/weather' "$T/out" | cut -d/ -f3 | sort -u | xargs)"
}
t a_polygon_only_area_names_the_provinces_it_overlaps t_polygons

t_watch() {
	cp "$S/th-system-test.xml" "$T/watch/.incoming" && mv "$T/watch/.incoming" "$T/watch/test.xml"
	cp "$T/bad/high.xml" "$T/watch/high.xml"
	NP_PASSWORD=tmd-pw "$B/np-admin" cap import --hub "127.0.0.1:$PORT" --as tmd \
		--watch "$T/watch" --interval 200 </dev/null >"$T/watch.out" 2>"$T/watch.err" &
	echo $! >"$T/watch.pid"
	_i=0
	until [ -f "$T/watch/done/test.xml" ] && [ -f "$T/watch/failed/high.xml.err" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && break
		sleep 0.1
	done
	kill -TERM "$(cat "$T/watch.pid")"
	wait "$(cat "$T/watch.pid")"
	rc=$?
	rm -f "$T/watch.pid"
	cp "$T/watch.out" "$T/out"
	cp "$T/watch.err" "$T/err"
	status 0 || return 1
	out_has "TMD-SAMPLE-20261001-090000-TEST Test Alert" "stopped watching"
	[ -f "$T/watch/done/test.xml" ] && [ -f "$T/watch/failed/high.xml" ] \
		&& [ ! -f "$T/watch/test.xml" ] || { diag "files not moved"; ls -R "$T/watch" >>"$T/diag"; return 1; }
	grep -q "not CAP 1.2 (schema)" "$T/watch/failed/high.xml.err" || { diag "no reason in .err"; return 1; }
}
t watch_files_done_and_failed_and_stops_on_sigterm t_watch

# ---- with the hub's clock at each alert's sent time ----

skip_fake() {
	[ -n "$FAKE" ] && return 1
	skip_why="libfaketime and the sanitizer runtime preloaded into the hub deadlock"
	return 0
}

EXPIRES_MS=$(date -d '2026-09-23T18:00:00+07:00' +%s000)
TMD_TITLE="พื้นที่เสี่ยงภัยฝนตกหนักมากบริเวณประเทศไทย"
[ -n "$FAKE" ] && hub_on "$T/db-fake" "2026-09-23 05:50:00"

t_tmd_live() {
	skip_fake && return 77
	for p in 22 23 27; do
		feed "f$p" "v$p" vol-pw 1 30 "np/ann/$p/#" || return 1
	done
	feed bkk vol_bkk vol_bkk-pw 1 2 'np/ann/10/#' || return 1
	imp @"2026-09-23 05:51:00" "$TMD"
	status 0 || return 1
	for p in 22 23 27; do
		feed_wait "f$p" || return 1
		grep -q "\"topic\":\"np/ann/$p/weather\"" "$T/f$p.out" \
			&& grep -q "\"title\":\"$TMD_TITLE\"" "$T/f$p.out" \
			&& grep -q "\"expires_at_ms\":$EXPIRES_MS" "$T/f$p.out" \
			|| { diag "volunteer of $p got:"; indent "$T/f$p.out"; indent "$T/f$p.err"; return 1; }
	done
	feed_wait bkk || return 1
	same "announcements handed to Bangkok's volunteer" 0 "$(wc -l <"$T/bkk.out")"
}
t tmd_alert_reaches_the_volunteers_of_22_23_27_at_its_sent_time t_tmd_live

t_twice() {
	skip_fake && return 77
	feed again v22 vol-pw 1 2 'np/ann/22/#' || return 1
	imp @"2026-09-23 05:52:00" "$TMD"
	status 0 || return 1
	out_has "(all imported before: nothing new)"
	feed_wait again || return 1
	same "announcements handed again" 0 "$(wc -l <"$T/again.out")" || return 1
	history ministry ministry-demo 'np/ann/22/#'
	same "announcements on np/ann/22 in the history" 1 "$(wc -l <"$T/hist")"
}
t importing_twice_publishes_once t_twice

[ -n "$FAKE" ] && hub_on "$T/db-fake" "2026-10-01 05:40:00"

t_samples_alert() {
	skip_fake && return 77
	# a session of somchai's that goes offline: the hub queues for it
	mosquitto_sub -p "$PORT" -u somchai -P somchai-demo -c -i cap-somchai -q 1 \
		-t 'np/ann/50/#' -W 1 >/dev/null 2>&1
	feed cm somchai somchai-demo 2 30 'np/ann/50/#' || return 1
	imp @"2026-10-01 05:41:00" "$S/th-heavy-rain-alert.xml"
	status 0 || return 1
	feed_wait cm || return 1
	grep -q '"title":"เตือนภัยฝนตกหนักถึงหนักมาก' "$T/cm.out" \
		&& grep -q '"title":"Heavy to very heavy rain warning' "$T/cm.out" \
		|| { diag "somchai got:"; indent "$T/cm.out"; return 1; }
}
t sample_alert_reaches_chiang_mai_in_thai_and_english t_samples_alert

t_test_alert() {
	skip_fake && return 77
	feed vb vol_bkk vol_bkk-pw 1 2 'np/ann/10/#' || return 1
	feed ob bkk_official bkk_official-pw 2 30 'np/ann/10/#' || return 1
	imp @"2026-10-01 09:01:00" "$S/th-system-test.xml"
	status 0 || return 1
	out_has "status Test: kept in the history, shown to no volunteer or resident"
	feed_wait vb || return 1
	feed_wait ob || return 1
	same "test alerts handed to a volunteer" 0 "$(wc -l <"$T/vb.out")" || return 1
	same "test alerts handed to the province official" 2 "$(wc -l <"$T/ob.out")" || return 1
	history vol_bkk vol_bkk-pw 'np/ann/10/#'
	same "test alerts in a volunteer's history" 0 "$(wc -l <"$T/hist")" || return 1
	history res_bkk res_bkk-pw 'np/ann/10/#'
	same "test alerts in a resident's history" 0 "$(wc -l <"$T/hist")"
}
t the_test_alert_reaches_officials_and_no_villager t_test_alert

CANCEL_IDS=""
t_update_cancel() {
	skip_fake && return 77
	imp @"2026-10-01 11:31:00" "$S/th-heavy-rain-update.xml"
	status 0 || return 1
	out_has "replacement of 6 earlier announcement(s)"
	imp @"2026-10-02 09:01:00" "$S/th-heavy-rain-cancel.xml"
	status 0 || return 1
	out_has "withdrawal of 12 earlier announcement(s)"
	CANCEL_IDS=$(grep 'np/ann/50/' "$T/out" | grep -o '[0-9a-f]\{32\}' | sort | xargs)
	same "Cancel announcements for Chiang Mai (th, en)" 2 "$(echo $CANCEL_IDS | wc -w)" \
		|| return 1
	# back online: of the alert, update and cancel queued, only the cancel
	mosquitto_sub -p "$PORT" -u somchai -P somchai-demo -c -i cap-somchai -q 1 \
		-t 'np/ann/50/#' -W 2 -F '%x' 2>/dev/null | cut -c5-36 | sort | xargs >"$T/queued"
	same "ids handed to the session that was offline" "$CANCEL_IDS" "$(cat "$T/queued")" || return 1
	history somchai somchai-demo 'np/ann/50/#'
	same "somchai's history of np/ann/50" "$CANCEL_IDS" \
		"$(grep -o '"id":"[0-9a-f]*"' "$T/hist" | cut -d'"' -f4 | sort | xargs)" || return 1
	history cm_official cm_official-demo 'np/ann/50/#'
	same "the province official's history of np/ann/50 (the whole record)" 6 \
		"$(wc -l <"$T/hist")"
}
t update_and_cancel_withdraw_the_alert_from_feeds t_update_cancel

# ids_in FILE: the ids of the JSON lines of FILE, sorted, on one line
ids_in() {
	grep -o '"id":"[0-9a-f]*"' "$1" | cut -d'"' -f4 | sort | xargs
}

t_withdrawn_marked() {
	skip_fake && return 77
	[ -n "$CANCEL_IDS" ] || { diag "no Cancel was imported"; return 1; }
	history cm_official cm_official-demo 'np/ann/50/#'
	grep '"withdrawn":true' "$T/hist" >"$T/marked"
	same "lines marked withdrawn (the alert and the update, th and en)" 4 \
		"$(wc -l <"$T/marked")" || return 1
	grep -v '"withdrawn"' "$T/hist" >"$T/unmarked"
	same "the unmarked lines: the Cancel's" "$CANCEL_IDS" "$(ids_in "$T/unmarked")" || return 1
	# np-admin history export prints the same lines, the same marks
	"$B/np-admin" --db "$T/db-fake" history export --filter 'np/ann/50/#' >"$T/out" 2>"$T/err"
	rc=$?
	status 0 || return 1
	cmp -s "$T/hist" "$T/out" || {
		diag "np-history --json and np-admin history export differ:"
		diff "$T/hist" "$T/out" >"$T/diff"
		indent "$T/diff" 20
		return 1
	}
	"$B/np-history" -p "$PORT" -u cm_official -P cm_official-demo --filter 'np/ann/50/#' \
		>"$T/hist" 2>"$T/hist.err"
	same "text lines ending in (withdrawn)" 4 "$(grep -c ' (withdrawn)$' "$T/hist")"
}
t an_officials_history_marks_the_withdrawn_announcements t_withdrawn_marked

t_withdrawn_catch_up() {
	skip_fake && return 77
	[ -n "$CANCEL_IDS" ] || { diag "no Cancel was imported"; return 1; }
	# a first run from before the alert: the catch-up pages all six
	"$B/np-feed" -p "$PORT" -u cm_official -P cm_official-demo --state "$T/cm-state" --json \
		--since 2026-10-01T05:00+07:00 --count 6 --timeout 3 'np/ann/50/#' \
		</dev/null >"$T/cmf.out" 2>"$T/cmf.err"
	same "what np-feed said on stderr" "" "$(cat "$T/cmf.err")" || return 1
	same "ids the province official's catch-up handed" "$CANCEL_IDS" "$(ids_in "$T/cmf.out")"
}
t an_officials_feed_catches_up_without_the_withdrawn_announcements t_withdrawn_catch_up

t_export_cancel() {
	skip_fake && return 77
	for id in $CANCEL_IDS; do
		"$B/np-admin" --db "$T/db-fake" cap export "$id" >"$T/c$id.xml" 2>"$T/err" || {
			diag "export of $id failed"; show; return 1; }
		validates "$T/c$id.xml" || return 1
		grep -q '<msgType>Cancel</msgType>' "$T/c$id.xml" \
			&& grep -q '<references>agency.TH@np-hub,np-' "$T/c$id.xml" \
			|| { diag "no Cancel with references:"; indent "$T/c$id.xml" 20; return 1; }
	done
}
t exported_cancels_validate_and_reference_what_they_withdrew t_export_cancel

echo "1..$n"
if [ "$nfail" -ne 0 ]; then
	echo "# broker log (last lines):"
	tail -n 40 "$T/broker.log" | sed 's/^/#   /'
	exit 1
fi
exit 0
