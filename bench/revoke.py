#!/usr/bin/python3
"""bench/revoke.py - the time from `np-admin token revoke` to the disconnection
of the session that logged in with that token (make bench, bench/ab.sh revoke).

  bench/revoke.py NP_ADMIN DB PORT USER [REPEAT]

Each time: np-admin token issue USER, a paho client logs in with the token and
subscribes, np-admin token revoke ID runs, and the time from just before that
command to the client's on_disconnect is taken (the revoke command's own run
time included). Prints npbench's result lines: revoke_ms p50 and max."""
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt


def once(admin, db, port, user):
    out = subprocess.run([admin, "--db", db, "token", "issue", user, "--label", "bench-revoke"],
                         check=True, capture_output=True, text=True).stdout.split()
    token = out[1]
    listing = subprocess.run([admin, "--db", db, "token", "list", user], check=True,
                             capture_output=True, text=True).stdout
    tid = [l.split(",")[0] for l in listing.splitlines() if ",bench-revoke," in l][0]
    up, gone = threading.Event(), threading.Event()
    c = mqtt.Client(client_id="bench-revoke-%d" % time.monotonic_ns(), protocol=mqtt.MQTTv311)
    c.username_pw_set(user, token)
    c.on_connect = lambda cl, ud, fl, rc: up.set() if rc == 0 else None
    c.on_disconnect = lambda cl, ud, rc: gone.set()
    c.connect("127.0.0.1", port, 60)
    c.loop_start()
    if not up.wait(5):
        raise SystemExit("revoke: the token login failed")
    t0 = time.monotonic()
    subprocess.run([admin, "--db", db, "token", "revoke", tid], check=True, capture_output=True)
    ok = gone.wait(10)
    ms = (time.monotonic() - t0) * 1000
    c.loop_stop()
    c.disconnect()
    return ms if ok else float("inf")


def main():
    admin, db, port, user = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    ms = sorted(once(admin, db, port, user) for _ in range(n))
    for metric, v in (("p50_ms", ms[len(ms) // 2]), ("max_ms", ms[-1])):
        print("result scenario=revoke broker=hub metric=%s value=%.1f" % (metric, v))


if __name__ == "__main__":
    main()
