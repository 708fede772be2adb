#!/bin/sh
# tests/receivers/journal.sh: native journal entries, received by a real
# systemd-journald.  This machine's PID 1 is not systemd, so the suite
# runs in a mount namespace of its own (unshare -m) with tmpfs on
# /run/systemd and /run/log, starts /lib/systemd/systemd-journald there
# by hand (it makes its sockets itself) and reads its files back with
# journalctl --directory.  The daemon runs on the lab gateway under
# systemd-cat, its standard error the journal's stream and JOURNAL_STREAM
# naming it, as systemd starts a service:
#
#   - journal auto sees it, sends native entries, and keeps the JSON
#     lines off standard output (the journal), which would double them;
#   - every event of its --json-file is an entry, once, in order, with
#     every RSTAUDIT_* field, MESSAGE_ID by origin, PRIORITY by origin
#     (RSTAUDIT_EVIDENCE repeats; the journal keeps its values, not
#     their order);
#   - journalctl RSTAUDIT_ORIGIN=middlebox and MESSAGE_ID=... find exactly
#     the middlebox's resets;
#   - journal no: no native entries, the JSON lines stay on the stream.
# Needs root; fails, never skips, without it or without systemd's tools.
# The last line is "journal: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${RECV_JOURNAL_NS:-}" ] && [ "$(id -u)" = 0 ] &&
	command -v unshare >/dev/null 2>&1; then
	RECV_JOURNAL_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
LAB_PREFIX=${LAB_PREFIX:-rsjo$$}
TALLY=journal . tests/lib/tally.sh
. tests/receivers/lib.sh
JD=/lib/systemd/systemd-journald
JDIR=/run/log/journal
JD_PID=

recv_begin journalctl systemd-cat stat "$JD"
[ -n "${RECV_JOURNAL_NS:-}" ] || { fail "no mount namespace (unshare -m)"; finish; }
T=$LAB_TMP
jd_stop() { [ -n "$JD_PID" ] && kill "$JD_PID" 2>/dev/null; JD_PID=; }
trap 'jd_stop; lab_down' EXIT
trap 'jd_stop; lab_down; trap - EXIT; exit 130' INT
trap 'jd_stop; lab_down; trap - EXIT; exit 143' TERM

mkdir -p /run/systemd /run/log &&
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd &&
	mount -t tmpfs -o mode=0755 tmpfs /run/log &&
	mkdir -p /run/systemd/journal ||
	{ fail "cannot mount tmpfs on /run/systemd and /run/log"; finish; }
"$JD" >"$T/journald.log" 2>&1 &
JD_PID=$!
if lab_poll 10 test -S /run/systemd/journal/socket &&
	lab_poll 10 test -S /run/systemd/journal/stdout; then
	pass "systemd-journald up, started by hand ($(journalctl --version | head -1))"
else
	fail "systemd-journald did not start"; sed 's/^/    /' "$T/journald.log"; finish
fi
jctl() { journalctl --directory="$JDIR" --no-pager "$@" 2>/dev/null; }
# As systemd starts a service: standard output and error the journal's
# stream (systemd-cat makes it), JOURNAL_STREAM its device and inode.
# The shell's own fd 2 is that stream when it reads it.
stream() {
	_tag=$1; shift
	lab_spawn gw "$_tag" systemd-cat -t "$_tag" sh -c \
		'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/2) exec "$@"' \
		sh "$RSTAUDIT" run -v --control-socket "$T/$_tag.sock" "$@"
}
said() { jctl -t "$1" -o cat | grep -q -- "$2"; }
count() { jctl "$@" -o json | grep -c .; }

# --- journal auto, under the journal's stream ------------------------------
stream ja -c /dev/null --json-file "$T/ev.json" --hold 0.5 &&
	lab_poll 10 said ja 'in all), hold' ||
	{ fail "the daemon did not start under systemd-cat"; jctl -t ja -o cat; finish; }
check "journal auto: JOURNAL_STREAM seen, native entries on" \
	said ja 'events to the journal, natively'
for fam in 4 6; do
	scn_refused $fam && scn_abort $fam && scn_gw_reject_syn $fam &&
		scn_mbox_reject_syn $fam || fail "ipv$fam: the scenarios did not run"
done
has_lines() { [ "$(grep -c . "$1" 2>/dev/null)" -ge "$2" ]; }
lab_poll 10 has_lines "$T/ev.json" 8 || fail "8 events not written"
lab_kill ja; lab_wait ja 10 || fail "the daemon did not exit 0"
jctl -o json RSTAUDIT_ORIGIN=endpoint + RSTAUDIT_ORIGIN=local \
	+ RSTAUDIT_ORIGIN=middlebox + RSTAUDIT_ORIGIN=unknown >"$T/entries.json"
check_counts "every event a native entry, every field (journalctl -o json)" \
	"$T/jc.log" $RECV journal-check "$T/ev.json" "$T/entries.json"
mb=$(grep -c '"origin":"middlebox"' "$T/ev.json")
check_eq "journalctl RSTAUDIT_ORIGIN=middlebox: the $mb middlebox resets" \
	"$(count RSTAUDIT_ORIGIN=middlebox)" "$mb"
check_eq "journalctl MESSAGE_ID=1ae8fc9b...: the same $mb" \
	"$(count MESSAGE_ID=1ae8fc9ba2a243da9136f93ccf9ea57a)" "$mb"
lc=$(grep -c '"origin":"local"' "$T/ev.json")
check_eq "journalctl RSTAUDIT_ORIGIN=local PRIORITY=5: the $lc local rejects" \
	"$(count RSTAUDIT_ORIGIN=local PRIORITY=5)" "$lc"

# --- JSON lines off the stream, when it is standard output ----------------
before=$(count RSTAUDIT_ORIGIN=endpoint)
stream jb -c /dev/null --hold 0.2 && lab_poll 10 said jb 'in all), hold' ||
	fail "the daemon without --json-file did not start"
check "standard output the journal: the JSON lines left off it" \
	said jb 'standard output is the journal: no JSON lines there'
scn_refused 4 || fail "refused did not run"
more() { [ "$(count RSTAUDIT_ORIGIN=endpoint)" -gt "$before" ]; }
check "its reset: a native entry" lab_poll 10 more
lab_kill jb; lab_wait jb 10 || fail "the daemon did not exit 0"
check_eq "no JSON line in the stream" "$(jctl -t jb -o cat | grep -c '^{')" 0

# --- journal no ---------------------------------------------------------------
printf 'journal no\n' >"$T/no.conf"
before=$(count RSTAUDIT_ORIGIN=endpoint)
stream jn -c "$T/no.conf" --hold 0.2 && lab_poll 10 said jn 'in all), hold' ||
	fail "the daemon with journal no did not start"
scn_refused 4 || fail "refused did not run"
json_line() { jctl -t jn -o cat | grep -Eq '^\{.*"(src_port|sport)":7001'; }
check "journal no: the event as a JSON line on the stream" lab_poll 10 json_line
lab_kill jn; lab_wait jn 10 || fail "the daemon did not exit 0"
check_eq "journal no: no native entry" "$(count RSTAUDIT_ORIGIN=endpoint)" "$before"
printf 'journal maybe\n' >"$T/bad.conf"
check_status "journal maybe: a configuration error" 2 'journal maybe: give auto' \
	"$RSTAUDIT" run -n -c "$T/bad.conf"
finish
