# hub.sh - a throwaway hub for the shell tests (sourced after tap.sh): one
# mosquitto with the plugin on a free port of 127.0.0.1. The caller sets
# T (its temporary directory, which holds db/), PLUGIN (absolute) and
# MOSQUITTO; hub_start sets PORT and BROKER_PID, the log is $T/broker.log.
# NP_BROKER_PRELOAD (a sanitizer runtime) is preloaded into the broker, for
# the run with the ASan+UBSan plugin.

# a port in 20000..60000 that nothing listens on (as far as ss can tell)
random_port() {
	od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40001 }'
}
port_listening() {
	command -v ss >/dev/null 2>&1 && ss -ltn "sport = :$1" 2>/dev/null | grep -q LISTEN
}
free_port() {
	_i=0
	while [ "$_i" -lt 50 ]; do
		_p=$(random_port)
		[ "$_p" != "${PORT:-}" ] && ! port_listening "$_p" && break
		_i=$((_i + 1))
	done
	echo "$_p"
}

# hub_try [CONF_LINES]: starts the broker on a free port with CONF_LINES
# appended to its configuration, where @PORT2@ stands for a second free port
# (PORT2); 0 when it listens. Started as root,
# mosquitto would switch to the user mosquitto before it loads the plugin,
# which that user cannot read in a clone in a 0700 home (issue #10): this
# throwaway broker on 127.0.0.1 keeps the invoking user (see README.md).
hub_try() {
	PORT=$(free_port)
	PORT2=$(free_port)
	while [ "$PORT2" = "$PORT" ]; do
		PORT2=$(free_port)
	done
	{
		[ "$(id -u)" = 0 ] && echo "user root"
		cat <<CONF
listener $PORT 127.0.0.1
allow_anonymous false
persistence false
log_dest stderr
log_type all
plugin $PLUGIN
plugin_opt_db_path $T/db
CONF
		printf '%s\n' "${1:-}" | sed "s/@PORT2@/$PORT2/g"
	} >"$T/mosquitto.conf"
	: >"$T/broker.log"
	if [ -n "${NP_BROKER_PRELOAD:-}" ]; then
		LD_PRELOAD=$NP_BROKER_PRELOAD ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
			"$MOSQUITTO" -c "$T/mosquitto.conf" >"$T/broker.log" 2>&1 &
	else
		"$MOSQUITTO" -c "$T/mosquitto.conf" >"$T/broker.log" 2>&1 &
	fi
	BROKER_PID=$!
	_i=0
	while [ "$_i" -lt 100 ]; do
		if ! kill -0 "$BROKER_PID" 2>/dev/null; then
			wait "$BROKER_PID" 2>/dev/null
			BROKER_PID=""
			return 1
		fi
		if grep -q 'mosquitto version .* running' "$T/broker.log" &&
			{ ! command -v ss >/dev/null 2>&1 || port_listening "$PORT"; }; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# hub_start [CONF_LINES]: hub_try until a port is free; bails out when the
# broker does not start for another reason
hub_start() {
	_tries=0
	until hub_try "${1:-}"; do
		_tries=$((_tries + 1))
		# a free-looking port may be a client's (ports 10000-65000 are
		# ephemeral on some machines): another pair of ports then
		if [ $_tries -ge 20 ] || ! grep -q 'Address already in use' "$T/broker.log"; then
			echo "Bail out! mosquitto did not start; its log:"
			sed 's/^/# /' "$T/broker.log"
			exit 2
		fi
	done
}

# hub_restart_kill9: SIGKILL, then the same broker (port, database) again;
# 0 when it listens
hub_restart_kill9() {
	kill -9 "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null
	"$MOSQUITTO" -c "$T/mosquitto.conf" >>"$T/broker.log" 2>&1 &
	BROKER_PID=$!
	_i=0
	while [ "$_i" -lt 100 ]; do
		port_listening "$PORT" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

hub_stop() {
	if [ -n "${BROKER_PID:-}" ]; then
		kill "$BROKER_PID" 2>/dev/null
		wait "$BROKER_PID" 2>/dev/null
		BROKER_PID=""
	fi
}
