#!/bin/sh
# tests/receivers/syslog.sh: the daemon's RFC 5424 messages received by a
# real rsyslog (the Debian package's rsyslogd, started here on the lab
# gateway: imudp and imtcp on 127.0.0.1, imuxsock on a socket of its own,
# mmpstrucdata parsing the structured data back, omfile writing it out).
#
#   - syslog_target: bad values are configuration errors;
#   - udp:, tcp: (octet counting) and unix: (the local socket's way): every
#     event the daemon wrote to its JSON file arrives once, in order, and
#     mmpstrucdata gives back every field (recv.py sd-check), with msgid
#     RST and the priority its origin implies;
#   - a receiver gone: with syslog_queue 2, the first 2 messages wait,
#     every later one is dropped and counted (rstaudit stats); once
#     rsyslog listens, the 2 waiting arrive and nothing else;
#   - a parameter value holding '"', '\' and ']' reaches rsyslog intact
#     (the daemon's escaping, through a gateway interface named m"0]\).
# Needs root; fails, never skips, without it or without rsyslog.
# The last line is "syslog: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rssl$$}
TALLY=syslog . tests/lib/tally.sh
. tests/receivers/lib.sh

recv_begin rsyslogd
T=$LAB_TMP
PORT=5514

# rs_conf FILE OUT PORT: an rsyslog configuration that writes each message
# it gets on PORT (UDP, TCP) or $T/log.sock as one JSON line to OUT.
rs_conf() {
	cat >"$1" <<EOC
global(workDirectory="$T")
module(load="imudp")
module(load="imtcp")
module(load="imuxsock" SysSock.Use="off")
module(load="mmpstrucdata")
template(name="j" type="string" string="{\\"input\\":\\"%inputname%\\",\\"msgid\\":\\"%msgid%\\",\\"app\\":\\"%app-name%\\",\\"pri\\":\\"%pri%\\",\\"sd\\":%\$!%}\\n")
ruleset(name="rst") {
	action(type="mmpstrucdata")
	action(type="omfile" file="$2" template="j")
}
input(type="imudp" address="127.0.0.1" port="$3" ruleset="rst")
input(type="imtcp" address="127.0.0.1" port="$3" ruleset="rst")
input(type="imuxsock" Socket="$T/log.sock" UseSpecialParser="off"
      ParseHostname="on" Ruleset="rst")
EOC
}
rs_listens() { lab_in gw ss -Hltn "sport = :$1" | grep -q .; }
# rs_start TAG PORT: rsyslogd in the gateway, writing to $T/TAG.json.
rs_start() {
	rs_conf "$T/$1.conf" "$T/$1.json" "$2" &&
	rsyslogd -N1 -f "$T/$1.conf" >"$T/$1.check" 2>&1 &&
	lab_spawn gw "$1" rsyslogd -n -f "$T/$1.conf" -i "$T/$1.rspid" &&
	lab_poll 10 rs_listens "$2" && lab_poll 10 test -S "$T/log.sock"
}
lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }

# --- configuration -----------------------------------------------------------
for bad in udp:5514 tcp: 'unix:relative/log' 'smtp:127.0.0.1:25'; do
	printf 'syslog_target %s\n' "$bad" >"$T/bad.conf"
	check_status "syslog_target $bad: a configuration error" 2 \
		"syslog_target $bad: give local" "$RSTAUDIT" run -n -c "$T/bad.conf"
done
printf 'syslog_target tcp:[::1]:514\nsyslog_queue 10\n' >"$T/ok.conf"
check "syslog_target tcp:[::1]:514: accepted" "$RSTAUDIT" run -n -c "$T/ok.conf"

# --- every field of every event, over each transport -------------------------
rs_start rs $PORT || { fail "rsyslogd did not start"; lab_show rs; finish; }
pass "rsyslogd up on the gateway: imudp, imtcp 127.0.0.1:$PORT, imuxsock"
n=0
for tr in udp:127.0.0.1:$PORT tcp:127.0.0.1:$PORT unix:$T/log.sock; do
	n=$((n + 1))
	case $tr in udp*) input=imudp ;; tcp*) input=imtcp ;; *) input=imuxsock ;; esac
	printf 'syslog_target %s\n' "$tr" >"$T/d$n.conf"
	lab_daemon d$n gw -c "$T/d$n.conf" --json-file "$T/ev$n.json" --hold 1 ||
		{ fail "daemon with syslog_target $tr did not start"; continue; }
	for fam in 4 6; do
		scn_refused $fam && scn_abort $fam && scn_gw_reject_syn $fam ||
			fail "$tr ipv$fam: the scenarios did not run"
	done
	lab_poll 10 has_lines "$T/ev$n.json" 6 ||
		fail "$tr: 6 events not written"
	lab_kill d$n
	lab_wait d$n 10 || fail "$tr: the daemon did not exit 0"
	want=$(lines "$T/ev$n.json")
	_got() { [ "$(grep -c "\"$input\"" "$T/rs.json" 2>/dev/null)" -ge "$want" ]; }
	lab_poll 10 _got
	check_counts "$tr ($input): every field of the $want events, parsed back by mmpstrucdata" \
		"$T/sd$n.log" $RECV sd-check "$T/ev$n.json" "$T/rs.json" "$input"
done
# --- escaping, end to end: an interface named m"0]\ ----------------------
# Linux takes '"', ']' and '\' in a name; IPv6 addresses are kept over
# the down and up a rename needs, and the route through it is put back.
N='m"0]\'
lab_sysctl gw net.ipv6.conf.all.keep_addr_on_down=1 \
	net.ipv6.conf.m0.keep_addr_on_down=1 &&
	lab_in gw ip link set m0 down && lab_in gw ip link set m0 name "$N" &&
	lab_in gw ip link set "$N" up &&
	lab_route gw 10.0.3.0/24 10.0.2.2 fd00:3::/64 fd00:2::2 ||
	fail "cannot rename the gateway's m0"
printf 'syslog_target udp:127.0.0.1:%s\n' $PORT >"$T/esc.conf"
lab_daemon de gw -c "$T/esc.conf" --json-file "$T/eve.json" --hold 0.2 ||
	fail "daemon for the escaping check did not start"
scn_refused 4 && scn_refused 6 || fail "refused through $N did not run"
lab_poll 10 has_lines "$T/eve.json" 2 || fail "2 events not written"
lab_kill de; lab_wait de 10 || fail "the daemon did not exit 0"
check_eq "the events name the interface $N" \
	"$(jq -r '.in_iface // .in' "$T/eve.json" | sort -u)" "$N"
: >"$T/rs-udp.json"
grep '"imudp"' "$T/rs.json" | tail -2 >"$T/rs-udp.json"
check_counts "'\"', '\\' and ']' in a value: escaped by the daemon, given back intact by mmpstrucdata" \
	"$T/sde.log" $RECV sd-check "$T/eve.json" "$T/rs-udp.json" imudp
lab_kill rs; lab_wait rs 10 || fail "rsyslogd did not stop"

# --- a receiver gone: a bounded queue, counted drops -------------------------
DPORT=5515
printf 'syslog_target tcp:127.0.0.1:%s\nsyslog_queue 2\n' $DPORT >"$T/drop.conf"
lab_daemon dd gw -c "$T/drop.conf" --json-file "$T/evd.json" --hold 0.2 ||
	{ fail "daemon with a receiver gone did not start"; finish; }
for fam in 4 6; do
	scn_refused $fam && scn_abort $fam || fail "ipv$fam: the scenarios did not run"
done
lab_poll 10 has_lines "$T/evd.json" 4 || fail "4 events not written"
lab_stats dd --prometheus >"$T/drop.prom"
get() { sed -n "s/^rstaudit_$1 //p" "$T/drop.prom"; }
# The events of the same snapshot: every origin and cause together.
ev=$(awk '/^rstaudit_resets_total\{origin=.*,cause=/ { n += $2 } END { print n }' \
	"$T/drop.prom")
check_eq "receiver gone: 2 messages wait (syslog_queued)" "$(get syslog_queued)" 2
check_eq "receiver gone: the other $((ev - 2)) dropped and counted" \
	"$(get syslog_dropped_total)" $((ev - 2))
check_eq "receiver gone: none sent" "$(get syslog_sent_total)" 0
check "receiver gone: failed connections counted" test "$(get syslog_errors_total)" -ge 1
rs_conf "$T/rs2.conf" "$T/rs2.json" $DPORT
lab_spawn gw rs2 rsyslogd -n -f "$T/rs2.conf" -i "$T/rs2.rspid" ||
	fail "the second rsyslogd did not start"
sent2() { lab_stats dd --prometheus | grep -q '^rstaudit_syslog_sent_total 2$'; }
check "receiver back: the 2 waiting messages sent (the daemon reconnects)" \
	lab_poll 20 sent2
lab_poll 10 has_lines "$T/rs2.json" 2
head -2 "$T/evd.json" >"$T/evd2.json"
check_counts "receiver back: rsyslog got exactly the first 2 events" \
	"$T/sdd.log" $RECV sd-check "$T/evd2.json" "$T/rs2.json" imtcp
lab_kill dd; lab_wait dd 10 || fail "the daemon did not exit 0"
lab_kill rs2; lab_wait rs2 10 || fail "the second rsyslogd did not stop"
finish
