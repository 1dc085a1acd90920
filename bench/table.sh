#!/bin/bash
# bench/table.sh RESULTS [WORKDIR] - the one table of `make bench`: the median over
# rounds of every (scenario, broker, metric) in RESULTS (lines `result scenario=S
# broker=B metric=M value=V round=R`), with ratios, targets and whether they are met.
set -eu
RES=$1
W=${2:-$(dirname "$RES")}
[ -f "$W/machine.txt" ] && cat "$W/machine.txt"
[ -s "$W/notes.txt" ] && sed 's/^/note: /' "$W/notes.txt"
awk '
function med(k,   n, i, j, t, a) {
	if (!(k in cnt)) return ""
	n = cnt[k]
	for (i = 1; i <= n; i++) a[i] = val[k, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(v) {
	if (v == "") return "-"
	if (v >= 1000) return sprintf("%.0f", v)
	if (v >= 10) return sprintf("%.1f", v)
	return sprintf("%.3g", v)
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
# kind: thr (hub >= 0.95 bare and >= 1.0 dynsec), lt:X (hub < X), le:X (hub <= X),
# bx:X (hub <= X times bare), "" (no target)
function row(label, sc, m, kind, target,   b, d, h, met, x) {
	b = med(sc SUBSEP "bare" SUBSEP m); d = med(sc SUBSEP "dynsec" SUBSEP m); h = med(sc SUBSEP "hub" SUBSEP m)
	if (b == "" && d == "" && h == "") return
	met = "-"
	if (kind == "thr" && h != "" && b != "" && d != "") met = (h >= 0.95 * b && h >= d) ? "yes" : "NO"
	if (kind ~ /^lt:/) { x = substr(kind, 4) + 0; if (h != "") met = (h < x) ? "yes" : "NO" }
	if (kind ~ /^le:/) { x = substr(kind, 4) + 0; if (h != "") met = (h <= x) ? "yes" : "NO" }
	if (kind ~ /^bx:/) { x = substr(kind, 4) + 0; if (h != "" && b != "") met = (h <= x * b) ? "yes" : "NO" }
	printf "| %-44s | %9s | %9s | %9s | %8s | %10s | %-22s | %-4s |\n", label, fmt(b), fmt(d), fmt(h), ratio(h, b), ratio(h, d), target, met
}
/^result / {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	k = f["scenario"] SUBSEP f["broker"] SUBSEP f["metric"]
	val[k, ++cnt[k]] = f["value"] + 0
}
END {
	printf "| %-44s | %9s | %9s | %9s | %8s | %10s | %-22s | %-4s |\n", "scenario", "bare", "dynsec", "hub", "hub/bare", "hub/dynsec", "target", "met?"
	printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------------", "-----------", "-----------", "-----------", "----------", "------------", "------------------------", "------"
	thr = ">=0.95 bare, >=1.0 dyn"
	row("reports 1->1, QoS 0, delivered msg/s", "thr_1x1_q0", "delivered_per_s", "thr", thr)
	row("reports 1->1, QoS 1, acknowledged msg/s", "thr_1x1_q1", "acked_per_s", "thr", thr)
	row("reports 50->50 officials, QoS 0, delivered/s", "thr_50xP_q0", "delivered_per_s", "thr", thr)
	row("reports 50->50 officials, QoS 1, acked/s", "thr_50xP_q1", "acked_per_s", "thr", thr)
	row("  1->1 QoS 0: broker CPU %", "thr_1x1_q0", "broker_cpu_pct", "", "")
	row("  1->1 QoS 0: msgs per broker CPU-second", "thr_1x1_q0", "msgs_per_cpu_s", "", "")
	row("  1->1 QoS 1: broker CPU %", "thr_1x1_q1", "broker_cpu_pct", "", "")
	row("  1->1 QoS 1: msgs per broker CPU-second", "thr_1x1_q1", "msgs_per_cpu_s", "", "")
	row("  50->50 QoS 0: broker CPU %", "thr_50xP_q0", "broker_cpu_pct", "", "")
	row("  50->50 QoS 0: msgs per broker CPU-second", "thr_50xP_q0", "msgs_per_cpu_s", "", "")
	row("  50->50 QoS 1: broker CPU %", "thr_50xP_q1", "broker_cpu_pct", "", "")
	row("  50->50 QoS 1: msgs per broker CPU-second", "thr_50xP_q1", "msgs_per_cpu_s", "", "")
	row("connect storm: 24,700 cold logins, s", "connect", "all_s", "lt:10", "hub < 10 s")
	row("  logins/s", "connect", "per_s", "", "")
	row("  CONNACK latency p99, ms", "connect", "lat_p99_ms", "", "")
	row("token storm: 24,700 cold token logins, s", "connect_tokens", "all_s", "bx:1.5", "hub <= 1.5x bare")
	row("  logins/s", "connect_tokens", "per_s", "", "")
	row("  CONNACK latency p99, ms", "connect_tokens", "lat_p99_ms", "", "")
	row("password storm: 400 cold, 100,000 it., s", "connect_pw100k", "all_s", "", "")
	row("  logins/s", "connect_pw100k", "per_s", "", "")
	row("  CONNACK latency p50, ms", "connect_pw100k", "lat_p50_ms", "", "")
	row("token revoke -> session cut, p50 ms", "revoke", "p50_ms", "lt:1000", "hub < 1000 ms")
	row("  worst of 5, ms", "revoke", "max_ms", "lt:1000", "hub < 1000 ms")
	row("PBKDF2 per login, ms (bench users, 1,000 it.)", "kdf", "ms_1000", "", "1,000 iterations")
	row("PBKDF2 per login, ms (default, 100,000 it.)", "kdf", "ms_100000", "", "100,000 iterations")
	row("idle crowd: clients connected + subscribed", "idle", "clients", "", "")
	row("  broker RSS before, MiB", "idle", "rss_base_mib", "", "")
	row("  broker RSS with the crowd, MiB", "idle", "rss_mib", "", "")
	row("  bytes per connection", "idle", "bytes_per_conn", "", "")
	row("  RSS for 24,700 + 5,000, MiB (base + n*b/c)", "idle", "rss_29700_mib", "lt:1024", "hub < 1024 MiB")
	row("fan-out: national announcement, last delivery ms", "fanout", "last_ms", "lt:1000", "hub < 1000 ms")
	row("  median delivery, ms", "fanout", "p50_ms", "", "")
	row("  delivered to", "fanout", "delivered", "", "")
	split("1M 10M", hs, " ")
	for (i = 1; i <= 2; i++) {
		s = "history_" hs[i]
		row("history " hs[i] ": province page (100) p50 ms", s "_province", "p50_ms", "", "")
		row("history " hs[i] ": province page (100) p99 ms", s "_province", "p99_ms", "lt:5", "hub < 5 ms")
		row("history " hs[i] ": village page p50 ms", s "_village", "p50_ms", "", "")
		row("history " hs[i] ": village page p99 ms", s "_village", "p99_ms", "lt:5", "hub < 5 ms")
		row("  village page: messages per page", s "_village", "items_per_page", "", "")
		row("history " hs[i] ": open cases of 50, first page p50 ms", s "_cases", "p50_ms", "", "")
		row("history " hs[i] ": open cases of 50, first page p99 ms", s "_cases", "p99_ms", "lt:5", "hub < 5 ms")
		row("  cases per page", s "_cases", "items_per_page", "", "")
		row("history " hs[i] ": write cost, us/msg (bulk load)", s, "load_us_per_msg", "", "")
		row("history " hs[i] ": storage bytes/msg", s, "bytes_per_msg", "", "")
		row("  payload + topic bytes/msg", s, "payload_topic_per_msg", "", "")
		row("  storage / (payload + topic)", s, "storage_ratio", "le:1.5", "hub <= 1.5")
	}
	row("receipts: 24,700 of a national ann., s", "receipts", "receipts_s", "", "")
	row("  receipts recorded per second", "receipts", "receipts_per_s", "", "")
	row("  broker CPU, s", "receipts", "broker_cpu_s", "", "")
	row("  broker CPU per receipt, us", "receipts", "broker_cpu_us_per_receipt", "", "")
	row("reach of it (24,700 villages): first page p50 ms", "receipts", "reach_first_page_p50_ms", "", "")
	row("  every page of not-reached, p50 ms", "receipts", "reach_all_pages_p50_ms", "", "")
	row("reach before any receipt: all 25 pages, ms", "receipts", "reach_none_all_pages_ms", "", "")
	row("  the hub's first reach request (index), ms", "receipts", "reach_first_request_ms", "", "")
	row("access decision, ns/check (mean of 16 cases)", "acl", "mean_ns", "", "")
	row("  write report (volunteer), ns", "acl", "write_report_volunteer_ns", "", "")
	row("  read report (province official), ns", "acl", "read_report_official_ns", "", "")
	row("  subscribe np/rep/50/# (official), ns", "acl", "sub_province_official_ns", "", "")
	row("  with LMDB registry look-ups, mean ns", "acl_lmdb", "mean_ns", "", "")
	row("  write report + LMDB look-ups, ns", "acl_lmdb", "write_report_volunteer_ns", "", "")
	row("  principal of a cached user (live check), ns", "acl_lmdb", "principal_cached_ns", "", "")
	row("  of which: has any process committed?, ns", "acl_lmdb", "store_version_ns", "", "")
	row("seal: sealing one 300-byte message, ns", "seal", "seal_ns", "", "")
	row("  first delivery check of a message (HMAC), ns", "seal", "check_first_ns", "", "")
	row("  each further delivery check (cache), ns", "seal", "check_again_ns", "", "")
	row("  one announcement to 24,700 apps, us", "seal", "fanout_24700_us", "", "")
	row("  delivery check of an announcement with an expiry, ns", "seal", "deliver_ann_ns", "", "")
	row("photo: checking a 256 KiB JPEG, ns", "photo", "check_jpeg_256k_ns", "", "")
	row("  checking a 256 KiB PNG (32 IDAT chunks), ns", "photo", "check_png_256k_ns", "", "")
	row("  checking a 256 KiB WebP, ns", "photo", "check_webp_256k_ns", "", "")
	row("  decoding and checking a report with it, ns", "photo", "decode_report_256k_ns", "", "")
	row("  sealing that report (HMAC over 256 KiB), ns", "photo", "seal_report_256k_ns", "", "")
	row("retention: drop an announcement, no receipts, ms", "retention", "drop_ann_no_receipts_ms", "", "")
	row("  with 24,700 villages' receipts (49,400 keys), ms", "retention", "drop_ann_with_receipts_ms", "", "")
	row("  the same, withdrawn too, ms", "retention", "drop_withdrawn_ann_with_receipts_ms", "", "")
	row("dynsec: one mosquitto_ctrl createClient, ms", "dynsec_provision", "ctrl_createClient_ms", "", "")
	row("user del -> its session disconnected, ms p50", "revoke", "del_to_disconnect_ms_p50", "lt:1000", "hub < 1000 ms")
	row("  slowest, ms", "revoke", "del_to_disconnect_ms_max", "lt:1000", "hub < 1000 ms")
	row("  np-admin user del itself, ms", "revoke", "np_admin_ms_p50", "", "")
	row("remote enrolment: 320 volunteers, --hub, s", "enrol", "import_s", "", "100,000 it., admin side")
	row("  broker stall during it (probe worst), ms", "enrol", "probe_rtt_max_import_ms", "", "")
	row("  their 320 QR tokens over MQTT, s", "enrol", "tokens_s", "", "")
	row("  QR tokens that logged in", "enrol", "qr_tokens_logged_in", "", "")
}' "$RES"
