#!/usr/bin/python3
"""bench/enrol.py - a province enrols its volunteers from another machine
(issue #13): `np-admin --hub` imports COUNT volunteers of province 50 at the
shipped 100,000 PBKDF2 iterations, then issues their device tokens as the QR
CSV, while a paho client measures what the broker's single thread had to
spare (a subscribe/unsubscribe round trip every 20 ms; its worst shows the
longest stall; np-admin runs under nice, standing for the admin's own
machine). Then every issued token logs in once.

  bench/enrol.py NP_ADMIN DB PORT [COUNT]      (make bench; COUNT 320)

Prints npbench's result lines (scenario=enrol, broker=hub). The import's
wall time includes hashing the passwords on the admin's side (every core of
this machine); the broker only checks and stores the hashes."""
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

ADMIN_USER, ADMIN_PW = "bench_adm50", "bench-adm50-password"


class Probe:
    """Round trips of SUBSCRIBE/SUBACK on an idle topic, every 20 ms."""

    def __init__(self, port, user, password):
        self.rtts, self.stop = [], threading.Event()
        self.acked = threading.Event()
        self.c = mqtt.Client(client_id="np-%s-probe" % user, protocol=mqtt.MQTTv311)
        self.c.username_pw_set(user, password)
        self.c.on_subscribe = lambda *a: self.acked.set()
        self.c.connect("127.0.0.1", port, 60)
        self.c.loop_start()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.acked.clear()
            t0 = time.monotonic()
            self.c.subscribe("np/ann/50/#", 1)
            if self.acked.wait(30):
                self.rtts.append((time.monotonic() - t0) * 1000)
            time.sleep(0.02)

    def window(self, fn):
        self.rtts, self.stop = [], threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()
        out = fn()
        self.stop.set()
        self.t.join()
        return out, list(self.rtts)


def hub(admin, port, *words, stdin=None):
    env = dict(os.environ, NP_PASSWORD=ADMIN_PW)
    t0 = time.monotonic()
    # nice: the admin's machine is another machine; here its hashing must not
    # take the broker's CPU, or the probe would measure this machine, not the hub
    p = subprocess.run(["nice", "-n", "19", admin, "--hub", "127.0.0.1:%d" % port, "-u", ADMIN_USER, "--timeout",
                        "600"] + list(words), env=env, capture_output=True, text=True,
                       stdin=stdin)
    if p.returncode != 0:
        raise SystemExit("enrol: np-admin %s failed: %s" % (" ".join(words), p.stderr))
    return time.monotonic() - t0, p.stdout


def main():
    admin, db, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 320
    local = subprocess.run([admin, "--db", db, "user", "add", ADMIN_USER, "--role", "admin",
                            "--area", "50"], input=ADMIN_PW + "\n", capture_output=True,
                           text=True)
    if local.returncode != 0 and "already exists" not in local.stderr:
        raise SystemExit("enrol: " + local.stderr)
    places = subprocess.run([admin, "--db", db, "registry", "list", "50"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    villages = [l.split(",")[0] for l in places if len(l.split(",")[0]) == 8]
    tag = "%x" % (time.time_ns() & 0xffffff)
    names = ["e%s_%d" % (tag, i) for i in range(n)]
    with tempfile.TemporaryDirectory() as d:
        csv, lst = os.path.join(d, "vols.csv"), os.path.join(d, "names.txt")
        with open(csv, "w") as f:
            f.write("name,role,area,password\n")
            for i, name in enumerate(names):
                f.write("%s,volunteer,%s,pw-%s-%d\n" % (name, villages[i % len(villages)], tag, i))
        with open(lst, "w") as f:
            f.write("\n".join(names) + "\n")
        probe = Probe(port, ADMIN_USER, ADMIN_PW)
        (t_import, _), rtt_import = probe.window(lambda: hub(admin, port, "user", "import", csv))
        (t_tokens, qr), rtt_tokens = probe.window(
            lambda: hub(admin, port, "token", "issue", "--names", lst, "--label", "qr", "--csv"))
    rows = [l.split(",") for l in qr.splitlines()[1:]]
    ok, lock = [0], threading.Lock()

    def login(name, token):
        c = mqtt.Client(client_id="np-%s-qr" % name, protocol=mqtt.MQTTv311)
        c.username_pw_set(name, token)
        up = threading.Event()
        c.on_connect = lambda cl, ud, fl, rc: up.set() if rc == 0 else None
        c.connect("127.0.0.1", port, 60)
        c.loop_start()
        if up.wait(10):
            with lock:
                ok[0] += 1
        c.disconnect()
        c.loop_stop()

    t0 = time.monotonic()
    for name, _area, token, _exp in rows:
        login(name, token)
    t_login = time.monotonic() - t0
    rtt = rtt_import + rtt_tokens
    for metric, v in (("count", n), ("import_s", t_import), ("import_per_user_ms", t_import * 1000 / n),
                      ("tokens_s", t_tokens), ("probe_rtt_p50_ms", statistics.median(rtt) if rtt else 0),
                      ("probe_rtt_max_import_ms", max(rtt_import) if rtt_import else 0),
                      ("probe_rtt_max_tokens_ms", max(rtt_tokens) if rtt_tokens else 0),
                      ("qr_tokens_logged_in", ok[0]), ("qr_logins_s", t_login)):
        print("result scenario=enrol broker=hub metric=%s value=%.2f" % (metric, v))
    probe.c.loop_stop()


if __name__ == "__main__":
    main()
