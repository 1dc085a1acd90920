#!/bin/sh
# run.sh - `make run`: a demo hub on 127.0.0.1:1883 (NP_PORT to change; TLS on
# 127.0.0.1:8883, NP_TLS_PORT; the web console, MQTT over WebSockets and the
# files of build/web, on http://127.0.0.1:8080/, NP_WEB_PORT, with the public
# site at /public/) in the foreground, with the demo database under
# var/ (made on first run). Ctrl-C stops it. When mosquitto cannot start (or
# stops with an error), its own log lines are printed again with what to do.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
port=${NP_PORT:-1883}
tls_port=${NP_TLS_PORT:-8883}
web_port=${NP_WEB_PORT:-${NP_HTTP_PORT:-8080}}
web=$top/build/web      # the console's http_dir; the public site is its public/
var=$top/var
mkdir -p "$var"
if [ ! -f "$var/db/data.mdb" ]; then
	echo "np-hub: creating the demo database in var/db (np-admin demo)"
	build/np-admin --db "$var/db" demo | tee "$var/demo-users.txt"
else
	echo "np-hub: using the demo database in var/db (delete var/ to start afresh)"
	cat "$var/demo-users.txt" 2>/dev/null || true
fi
mkdir -p "$var/broker"
scripts/make-certs.sh "$var/tls"     # a throwaway CA for the TLS listener
# Started as root, mosquitto switches to the user mosquitto before it loads the
# plugin, and that user cannot read a clone in a 0700 home (/root) or in a
# mktemp -d directory. This demo broker, on 127.0.0.1 only, keeps the invoking
# user instead: "root" is the one user mosquitto 2.0 does not switch to. Never
# put "user root" in a production config (README.md). Paths with spaces need
# no care: mosquitto 2.0 takes the rest of the line as the path.
user_line=""
if [ "$(id -u)" = 0 ]; then
	user_line="user root"
	echo "np-hub: this demo broker runs as root on 127.0.0.1 (user root, see README.md);" \
		"mosquitto warns about it"
fi
# the web console (README.md, "The console") and the public site: MQTT over
# WebSockets and the files of build/web; socket_domain ipv4, or the listener
# listens on every interface. mosquitto does not start without its http_dir.
mkdir -p "$web"
console=""
if [ -f "$web/index.html" ]; then
	console=1
else
	echo "np-hub: no web console: build/web is not built (make builds it when node" \
		"and npm are installed: make deps)" >&2
fi
log=$var/broker.log
cat >"$var/mosquitto.conf" <<CONF
# written by scripts/run.sh; see README.md for the options
# the demo listens on loopback only; a hub on a network listens with TLS only
# (see README.md, "Security"), so passwords never cross in clear
$user_line
per_listener_settings false
allow_anonymous false
listener $port 127.0.0.1
listener $tls_port 127.0.0.1
cafile $var/tls/ca.crt
certfile $var/tls/server.crt
keyfile $var/tls/server.key
# the web console and the public site (http://127.0.0.1:$web_port/public/)
listener $web_port 127.0.0.1
protocol websockets
socket_domain ipv4
http_dir $web
persistence true
persistence_location $var/broker/
# a packet is read whole before the hub's checks: bound it, and each client's queue.
# The largest message the hub takes is max_payload + max_photo (below: 64 KiB of
# text and 256 KiB of photo) with its topic: max_packet_size stays above that
max_packet_size 1048576
max_queued_bytes 8388608
log_dest stdout
log_dest file $log
log_type error
log_type warning
log_type notice
log_type information
plugin $top/build/np_plugin.so
plugin_opt_db_path $var/db
plugin_opt_max_payload 65536
plugin_opt_max_photo 262144
CONF
for p in "$port" "$tls_port" "$web_port"; do
	if command -v ss >/dev/null 2>&1 && ss -ltn "sport = :$p" | grep -q LISTEN; then
		echo "np-hub: port $p is taken (another mosquitto?); choose free ports, e.g." \
			"NP_PORT=18830 NP_TLS_PORT=18883 NP_WEB_PORT=18080 make run" >&2
		exit 1
	fi
done
# the public site: built now, then again within 10 s of any change to the
# database (np-admin site build --watch), until the hub stops
build/np-admin --db "$var/db" site build "$web/public" \
	--base-url "http://127.0.0.1:$web_port/public/" --watch 10 >"$var/site.log" 2>&1 &
site_pid=$!

tour() {
	cat <<TOUR

np-hub listens on 127.0.0.1:$port and, with TLS, on 127.0.0.1:$tls_port (CA: var/tls/ca.crt).
${console:+The web console: open http://127.0.0.1:$web_port/ and log in as cm_official (cm_official-demo).
}The public site: http://127.0.0.1:$web_port/public/ (rebuilt within 10 s of a change; var/site.log).
In another terminal, follow Chiang Mai's reports as its province official:

  mosquitto_sub -h 127.0.0.1 -p $port -V 5 -u cm_official -P cm_official-demo -t 'np/rep/50/#' -F '%t %l bytes, sent by the hub: %x'

and report an outage as the volunteer of Mu 1, Si Phum (50010101):

  printf 'id: "0123456789abcdef"\nreport { title: "No power since 9am" }\n' \\
    | protoc --proto_path=proto --encode=np.Envelope np.proto \\
    | mosquitto_pub -h 127.0.0.1 -p $port -V 5 -q 1 -u somchai -P somchai-demo \\
        -t np/rep/50/5001/50010101/outage -s

or, over TLS:

  build/np-feed -p $tls_port --cafile var/tls/ca.crt -u cm_official -P cm_official-demo --json 'np/rep/50/#'

(Ctrl-C stops the hub.)
TOUR
}

# why_stopped STATUS: mosquitto's last lines (from its log file) and what to do
why_stopped() {
	echo "np-hub: mosquitto stopped with exit status $1; its last lines:" >&2
	grep -v -e ' terminating$' -e 'Saving in-memory database' "$log" | tail -n 6 |
		sed 's/^[0-9]*: /  /' >&2
	[ -s "$log" ] || echo "  (none in $log: its message is above)" >&2
	if grep -q 'Address already in use' "$log"; then
		echo "np-hub: another program listens on port $port, $tls_port or $web_port: stop it," \
			"or choose free ports, e.g. NP_PORT=18830 NP_TLS_PORT=18883 NP_WEB_PORT=18080" \
			"make run" >&2
	elif grep -q 'Permission denied' "$log"; then
		echo "np-hub: mosquitto, running as $(id -un), cannot read a file named above: run" \
			"make run as the owner of $top, or delete var/ if another user made it" >&2
	elif grep -q 'Unable to load auth plugin' "$log"; then
		echo "np-hub: build/np_plugin.so did not load: rebuild it (make clean run)" >&2
	else
		echo "np-hub: the lines above say why; if var/ comes from an older np-hub," \
			"delete var/ and run make run again" >&2
	fi
}

# mosquitto runs as a child, not exec'd, so that its failure can be explained:
# Ctrl-C reaches it from the terminal (it handles SIGINT even in the
# background), SIGTERM and SIGHUP to this script are passed on to it.
: >"$log"
mosquitto -c "$var/mosquitto.conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || :' HUP TERM
trap 'kill -INT "$pid" 2>/dev/null || :' INT
trap 'kill "$site_pid" 2>/dev/null || :' EXIT
i=0
while [ "$i" -lt 100 ] && kill -0 "$pid" 2>/dev/null && ! grep -q ' running$' "$log"; do
	sleep 0.1
	i=$((i + 1))
done
grep -q ' running$' "$log" && tour
status=0
wait "$pid" || status=$?
while kill -0 "$pid" 2>/dev/null; do    # a signal ended the wait, not mosquitto
	status=0
	wait "$pid" || status=$?
done
if [ "$status" -ne 0 ]; then
	why_stopped "$status"
	exit "$status"
fi
