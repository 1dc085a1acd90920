#!/bin/sh
# test_console.sh - checks the web console (web/, built into build/web) in
# headless Chromium driven by puppeteer-core against a real hub: one
# mosquitto with the plugin, its MQTT listener and a websockets listener with
# http_dir build/web, on a copy of the template database. The scenarios are
# web/test/console.test.mjs (TAP); screenshots go to build/screenshots/.
# Skipped, with the reason, when node, chromium or the built console is
# missing (scripts/deps.sh installs node and chromium; make builds the console).
#
#   tests/console/test_console.sh [BUILD_DIR]     (default build)
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$REPO" || exit 2
B=$REPO/${1:-build}
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}
command -v node >/dev/null 2>&1 || skip_all "no node (scripts/deps.sh installs nodejs)"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || skip_all "no chromium (scripts/deps.sh installs it)"
[ -f "$B/web/index.html" ] && [ -f "$B/web/app.js" ] || skip_all "no $B/web (make builds it when node and npm are there)"
[ -d web/node_modules/puppeteer-core ] || skip_all "no web/node_modules/puppeteer-core (make runs npm ci)"

PLUGIN=${NP_PLUGIN:-$B/np_plugin.so}
TEMPLATE=${NP_TEMPLATE_DB:-build/test-template-db}
MOSQUITTO=${NP_MOSQUITTO:-mosquitto}
command -v "$MOSQUITTO" >/dev/null 2>&1 || MOSQUITTO=/usr/sbin/mosquitto
if [ ! -d "$TEMPLATE" ]; then
	echo "Bail out! no template database $TEMPLATE (tests/make-template-db.sh)"
	exit 2
fi
T=$(mktemp -d) || exit 2
BROKER_PID=""
. tests/tap.sh
. tests/hub.sh
trap 'hub_stop; rm -rf "$T"' EXIT
cp -r "$TEMPLATE" "$T/db"
hub_start "listener @PORT2@ 127.0.0.1
protocol websockets
socket_domain ipv4
http_dir $B/web"
# the websockets listener answers HTTP too: wait for it as for the MQTT one
i=0
while [ $i -lt 50 ] && ! port_listening "$PORT2"; do
	sleep 0.1
	i=$((i + 1))
done
mkdir -p "$T/dl"
NP_WEB_URL="http://127.0.0.1:$PORT2/" NP_PORT=$PORT NP_BIN=$B NP_ADMIN=$B/np-admin NP_DB=$T/db \
	NP_LOG=$T/broker.log NP_SHOTS=$REPO/build/screenshots NP_TMP=$T/dl CHROMIUM=$CHROMIUM \
	node web/test/console.test.mjs >"$T/tap" 2>"$T/err"
rc=$?
cat "$T/tap"
if [ $rc -ne 0 ]; then
	echo "# node exited with status $rc; its stderr:"
	sed 's/^/#   /' "$T/err" | tail -n 20
	echo "# the broker's log (last lines):"
	tail -n 30 "$T/broker.log" | sed 's/^/#   /'
fi
exit $rc
