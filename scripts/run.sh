#!/bin/sh
# run.sh - `make run`: a demo hub on 127.0.0.1:1883 (NP_PORT to change) in the
# foreground, with the demo database under var/ (made on first run).
set -eu
cd "$(dirname "$0")/.."
top=$PWD
port=${NP_PORT:-1883}
tls_port=${NP_TLS_PORT:-8883}
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
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
	# started as root, mosquitto drops to the mosquitto user before plugins load
	chown -R mosquitto: "$var/db" "$var/broker"
	chmod o+x "$var"
fi
cat >"$var/mosquitto.conf" <<CONF
# written by scripts/run.sh; see README.md for the options
# the demo listens on loopback only; a hub on a network listens with TLS only
# (see README.md, "Security"), so passwords never cross in clear
per_listener_settings false
allow_anonymous false
listener $port 127.0.0.1
listener $tls_port 127.0.0.1
cafile $var/tls/ca.crt
certfile $var/tls/server.crt
keyfile $var/tls/server.key
persistence true
persistence_location $var/broker/
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information
plugin $top/build/np_plugin.so
plugin_opt_db_path $var/db
CONF
if command -v ss >/dev/null 2>&1 && ss -ltn "sport = :$port" | grep -q LISTEN; then
	echo "np-hub: port $port is taken (another mosquitto?); try NP_PORT=18830 make run" >&2
	exit 1
fi
cat <<TOUR

np-hub listens on 127.0.0.1:$port and, with TLS, on 127.0.0.1:$tls_port (CA: var/tls/ca.crt).
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
exec mosquitto -c "$var/mosquitto.conf"
