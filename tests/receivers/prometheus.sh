#!/bin/sh
# tests/receivers/prometheus.sh: the daemon's /metrics over TCP, scraped
# by a real Prometheus (the Debian package's binary) on the lab gateway.
#
#   - metrics_listen is off by default (nothing listens over TCP), a bare
#     port binds 127.0.0.1 only, a bad value is a configuration error;
#   - `promtool check metrics` is clean on what GET /metrics returns;
#   - Prometheus, started here on the gateway's loopback with a generated
#     configuration, scrapes the daemon (up == 1) and gives back, through
#     its HTTP API, the very counters `rstaudit stats --prometheus` shows
#     after real resets crossed the gateway;
#   - over TCP only GET /metrics is served: the control socket's text
#     protocol gets 400, another path 404.
# Needs root (namespaces); fails, never skips, without it or without the
# prometheus package (tests/deps.sh installs it).
# The last line is "prometheus: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rspr$$}
TALLY=prometheus . tests/lib/tally.sh
. tests/receivers/lib.sh
PORT=9560			# in the gateway's own namespace: no clash
PROM=127.0.0.1:9090

recv_begin prometheus promtool
T=$LAB_TMP

# --- configuration ---------------------------------------------------------
printf 'metrics_listen bogus:port\n' >"$T/bad.conf"
check_status "metrics_listen bogus:port: a configuration error, exit 2" 2 \
	'metrics_listen bogus:port: give PORT' "$RSTAUDIT" run -n -c "$T/bad.conf"
printf 'metrics_listen 9560\n' >"$T/ok.conf"
check "metrics_listen 9560: accepted by run -n" "$RSTAUDIT" run -n -c "$T/ok.conf"

# --- off by default ----------------------------------------------------------
lab_daemon d0 gw -c /dev/null --no-install-rules ||
	{ fail "daemon without metrics_listen did not start"; finish; }
listeners=$(lab_in gw ss -Hltn | wc -l)
check_eq "off by default: no TCP listener in the gateway" "$listeners" 0
lab_kill d0; lab_wait d0 10 || fail "daemon d0 did not exit 0 on SIGTERM"

# --- a bare port: loopback only ------------------------------------------
printf 'metrics_listen %s\n' "$PORT" >"$T/m.conf"
lab_daemon d1 gw -c "$T/m.conf" --json-file "$T/ev.json" --hold 1 ||
	{ fail "daemon with metrics_listen $PORT did not start"; finish; }
where=$(lab_in gw ss -Hltn "sport = :$PORT" | awk '{print $4}')
check_eq "metrics_listen $PORT listens on 127.0.0.1 only" "$where" "127.0.0.1:$PORT"

# Real resets through the gateway: refused and abort, both families.
for fam in 4 6; do
	scn_refused $fam && scn_abort $fam ||
		fail "ipv$fam: the scenarios did not run"
done
# Held 1 s for later evidence: the counters move when the events are out.
has_events() { [ "$(grep -c . "$T/ev.json" 2>/dev/null)" -ge "$1" ]; }
check "the 4 resets written as events" lab_poll 10 has_events 4
# A SYN retransmitted under load (its RST held in the queue past the
# client's RTO) makes one more reset: the counters may still move, so each
# comparison below reads the daemon afresh (recv.py prom-agree).

lab_in gw $RECV http "http://127.0.0.1:$PORT/metrics" >"$T/get.out" 2>&1
sed 1d "$T/get.out" >"$T/get.prom"
check_eq "GET /metrics over TCP: 200" "$(head -1 "$T/get.out")" 200
check "promtool check metrics: clean on GET /metrics" \
	sh -c "promtool check metrics <'$T/get.prom'"
lab_stats d1 --prometheus >"$T/stats.prom" || fail "rstaudit stats --prometheus"
grep '^# TYPE' "$T/get.prom" >"$T/get.types"
grep '^# TYPE' "$T/stats.prom" >"$T/stats.types"
check "GET /metrics over TCP: the control socket's families ($(grep -c . "$T/get.types"))" \
	cmp "$T/get.types" "$T/stats.types"
lab_in gw $RECV send-raw 127.0.0.1 "$PORT" 'text\n' >"$T/text.out" 2>&1
check "over TCP the text protocol is refused: 400" \
	grep -q '^HTTP/1.0 400 ' "$T/text.out"
lab_in gw $RECV http "http://127.0.0.1:$PORT/" >"$T/404.out" 2>&1
check_eq "over TCP another path: 404" "$(head -1 "$T/404.out")" 404

# --- Prometheus scrapes it -----------------------------------------------
mkdir -p "$T/prom"
cat >"$T/prom/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: rstaudit
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOC
check "promtool check config: the generated configuration" \
	promtool check config "$T/prom/prometheus.yml"
lab_spawn gw prom prometheus --config.file="$T/prom/prometheus.yml" \
	--storage.tsdb.path="$T/prom/data" --web.listen-address="$PROM" ||
	fail "prometheus did not start"
if lab_in gw $RECV prom-ready "http://$PROM" 60; then
	pass "prometheus ready on the gateway's $PROM"
else
	fail "prometheus not ready"; lab_show prom
fi
check "prometheus: up{job=\"rstaudit\"} == 1" \
	lab_in gw $RECV prom-wait "http://$PROM" 'up{job="rstaudit"}' 1 60
# Each counter as the control socket gives it, back from Prometheus.
for sel in 'rstaudit_resets_total{origin="endpoint",cause="refused"}' \
	   'rstaudit_resets_total{origin="endpoint",cause="abort"}' \
	   'rstaudit_queue_packets_total{queue="0"}' \
	   'rstaudit_queue_verdicts_total{queue="0"}'; do
	check "prometheus API: $sel, as rstaudit stats says" \
		lab_in gw $RECV prom-agree "http://$PROM" "$sel" "$T/d1.sock" 60
done
# The events written, read afresh each time as the one above.
events_agree() {
	nev=$(grep -c . "$T/ev.json")
	lab_in gw $RECV prom-wait "http://$PROM" \
		'sum(rstaudit_resets_total{origin!="",cause!=""})' "$nev" 1 \
		>/dev/null 2>&1
}
i=0
until events_agree; do
	i=$((i + 1))
	[ $i -lt 60 ] || break
done
check_eq "prometheus API: sum(rstaudit_resets_total) = the events written" \
	"$([ $i -lt 60 ] && echo agree)" agree

# Figures, not checks: what one scrape of the daemon costs.
note "scrape: $(lab_in gw $RECV prom-get "http://$PROM" \
	'scrape_duration_seconds{job="rstaudit"}') s, $(lab_in gw $RECV prom-get \
	"http://$PROM" 'scrape_samples_scraped{job="rstaudit"}') samples"
lab_kill prom; lab_wait prom 20 || fail "prometheus did not stop"
lab_kill d1; lab_wait d1 10 || fail "daemon d1 did not exit 0 on SIGTERM"
finish
