#!/bin/sh
# deps.sh - installs the Debian packages np-hub needs, only those missing.
# Used by `make run`, `make test` and `make bench`; safe to run again.
set -eu
PKGS="gcc make libc6-dev pkg-config mosquitto mosquitto-clients libmosquitto-dev mosquitto-dev
libprotobuf-c-dev protobuf-c-compiler protobuf-compiler liblmdb-dev lmdb-utils libssl-dev
libcmocka-dev libjansson-dev libcsv-dev uthash-dev libxml2-dev libxml2-utils libxmlsec1-dev
libxmlsec1-openssl openssl procps psmisc faketime iproute2 jq curl
python3 python3-paho-mqtt python3-protobuf python3-pil python3-html5lib
nodejs chromium fonts-thai-tlwg"
# the console's build (web/) needs npm: Debian's package, unless the nodejs
# installed already brings its own (NodeSource's does, and conflicts with it)
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
[ -n "${NP_EXTRA_PKGS:-}" ] && PKGS="$PKGS $NP_EXTRA_PKGS"
missing=""
for p in $PKGS; do
	dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
# apt-get needs root: as another user, through sudo (which asks for a password)
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "np-hub: these Debian packages are missing:$missing" >&2
	echo "np-hub: installing them needs root and there is no sudo here; as root, run:" >&2
	echo "  apt-get update && apt-get install --no-install-recommends$missing" >&2
	exit 1
fi
echo "np-hub: installing missing Debian packages${sudo:+ (with sudo)}:$missing"
# sudo resets the environment: env passes DEBIAN_FRONTEND through it
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	$missing >/dev/null
