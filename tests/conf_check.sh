#!/bin/sh
# tests/conf_check.sh: the configuration checker, `rstaudit -n -c FILE`
# (and `rstaudit run -n -c FILE`), on good and bad files.  Run from the
# repository top after building; RSTAUDIT names another binary.  Needs
# no privilege.
#
#   - the shipped files (rules/*.conf) are good;
#   - a file with every rule term reads back, with -v, as the canonical
#     rules it means;
#   - a file with every kind of error exits 2 and prints exactly one
#     `file:line: message` per bad line, with the right line and the
#     right message, then the count;
#   - the daemon never starts with a bad file;
#   - a missing file is an error (exit 2);
#   - bytes and numbers that slipped through before: a NUL byte in a
#     line (its own line number, the next line read as a line of its
#     own), NaN, infinities, fractions, exponents, hex and signs where
#     numbers are expected, in the file, on the daemon's command line
#     and in `rstaudit analyze` options: each a file:line or usage
#     message, exit 2.
# The last line is "conf: N passed, N failed, N skipped" (tests/lib/tally.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
RSTAUDIT=${RSTAUDIT:-./rstaudit}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rsconf.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
TALLY=conf . tests/lib/tally.sh

for f in rules/*.conf; do
	if "$RSTAUDIT" -n -c "$f" >"$TMP/out" 2>&1; then
		pass "$f is a good configuration ($(sed -n 2p "$TMP/out"))"
	else
		fail "$f:"; sed 's/^/    /' "$TMP/out"
	fi
done
"$RSTAUDIT" -n -c rules/rstaudit.conf 2>&1 | grep -q '^policy audit, 0 rules' &&
	pass "rules/rstaudit.conf: audit only, no rule" ||
	fail "rules/rstaudit.conf is not audit-only"
"$RSTAUDIT" -n -c rules/enforce.conf 2>&1 | grep -q '^policy enforce, 1 rule' &&
	pass "rules/enforce.conf: enforce, one rule" ||
	fail "rules/enforce.conf is not what it says"

# --- every term, read back --------------------------------------------
cat >"$TMP/terms.conf" <<'EOF'
policy enforce
max_drops_per_flow 4
suspect_hold 2.5
suspect_max 8
ct_restore no
rule accept mark 0x42 origin endpoint cause refused,abort	# a comment
rule log confidence < 0.5
	rule drop origin middlebox,unknown cause injected,reject confidence >=0.8 src 10.0.0.0/8 dst 192.168.1.0/24 sport 1-1023 dport 80 iif eth* oif wan0 direction in,forward
rule drop force origin endpoint family ipv6 src fd00::/16
rule accept src 10.1.2.3 family 4 direction output
rule accept
EOF
cat >"$TMP/terms.want" <<'EOF'
configuration OK
policy enforce, 6 rules, max_drops_per_flow 4, suspect_hold 2.5 ms (at most 8), ct_restore no, guard_timeout 10.0 s
rule 1 (line 6): accept mark 0x42 origin endpoint cause refused,abort
rule 2 (line 7): log confidence <0.50
rule 3 (line 8): drop origin unknown,middlebox cause reject,injected confidence >=0.80 src 10.0.0.0/8 dst 192.168.1.0/24 sport 1-1023 dport 80 iif eth* oif wan0 direction in,forward
rule 4 (line 9): drop force origin endpoint family ipv6 src fd00::/16
rule 5 (line 10): accept family ipv4 src 10.1.2.3/32 direction out
rule 6 (line 11): accept
EOF
"$RSTAUDIT" run -n -v -c "$TMP/terms.conf" >"$TMP/terms.out" 2>&1
rc=$?
if [ $rc = 0 ] && diff -u "$TMP/terms.want" "$TMP/terms.out" >"$TMP/diff"; then
	pass "every term: exit 0, each rule read back as meant"
else
	fail "every term: exit $rc"; sed 's/^/    /' "$TMP/diff"
fi

# --- every kind of error -------------------------------------------------
# Each line of bad.conf but the comments and the good lines is wrong;
# bad.want has, per bad line, its number and a part of its message.
cat >"$TMP/bad.conf" <<'EOF'
# every kind of error, one per line
policy enforce-ish
rule
rule reject origin middlebox
rule drop cause injected
rule drop origin endpoint
rule drop origin middlebox mark 0x10
rule accept force
rule drop origin midbox
rule drop origin middlebox cause forged
rule drop origin middlebox confidence 1.5
rule drop origin middlebox confidence >=
rule accept src 10.0.0.1/8
rule accept src 10.0.0.0/33
rule accept src 10.0.0.300
rule accept dport 90-80
rule accept dport 70000
rule accept iif averyveryverylongname
rule accept direction sideways
rule accept family ipx
rule accept family ipv6 src 10.0.0.0/8
rule accept src 10.0.0.0/8 dst fd00::/8
rule accept origin endpoint origin local
rule accept colour red
rule accept mark lots
rule accept dport
rule drop origin middlebox		# good: not counted
max_drops_per_flow 0
suspect_hold 5000
suspect_max 1000
ct_restore maybe
suspect_max 4
suspect_max 5
rule accept mark 0x40000001 origin endpoint
conntrack_view maybe
EOF
cat >"$TMP/bad.want" <<'EOF'
2	policy: give audit, dry-run or enforce
3	missing value
4	unknown action 'reject'
5	drop: name the origins it drops
6	add 'force' if that is really meant
7	a dropped packet keeps no mark
8	force: only a drop rule takes it
9	unknown origin 'midbox'
10	unknown cause 'forged'
11	a number from 0 to 1
12	a number from 0 to 1
13	10.0.0.1/8 has bits set past its prefix length
14	prefix length in 10.0.0.0/33
15	'10.0.0.300' is not an IPv4 or IPv6 address
16	port '90-80'
17	port '70000'
18	interface 'averyveryverylongname'
19	unknown direction 'sideways'
20	unknown family 'ipx'
21	src: its address family differs
22	dst: its address family differs
23	origin given twice
24	unknown term 'colour'
25	mark 'lots'
26	dport: missing value
28	max_drops_per_flow: give a whole number, 1 to 65535
29	suspect_hold: give milliseconds, 0 to 1000
30	suspect_max: give a whole number, 0 to 256
31	ct_restore: give yes or no
33	suspect_max set again (first on line 32)
34	mark 0x40000001 shares bits with invalid_mark 0x40000000
35	conntrack_view: give table, events or lookup
EOF
# conntrack_view's values, and the older yes and no.
for v in table events lookup yes no; do
	printf 'conntrack_view %s\n' "$v" >"$TMP/ctv.conf"
	"$RSTAUDIT" -n -c "$TMP/ctv.conf" >/dev/null 2>&1 &&
		pass "conntrack_view $v: a good value" ||
		fail "conntrack_view $v: refused"
done
check_bad() {	# check_bad NAME CMD...: run a check of bad.conf
	_name=$1; shift
	"$@" >"$TMP/bad.out" 2>&1
	_rc=$?
	_n=$(grep -c "bad.conf:[0-9]*: " "$TMP/bad.out")
	_want=$(wc -l <"$TMP/bad.want")
	_miss=
	while IFS='	' read -r _line _msg; do
		grep -q -F -- "bad.conf:$_line: " "$TMP/bad.out" &&
		grep -F -- "bad.conf:$_line: " "$TMP/bad.out" | grep -q -F -- "$_msg" ||
			_miss="$_miss $_line"
	done <"$TMP/bad.want"
	if [ $_rc = 2 ] && [ "$_n" = "$_want" ] && [ -z "$_miss" ] &&
	   tail -1 "$TMP/bad.out" | grep -q "^$_want errors\$"; then
		pass "$_name: exit 2, $_n errors, each as file:line: message"
	else
		fail "$_name: exit $_rc, $_n of $_want errors, wrong or missing on lines:$_miss"
		sed 's/^/    /' "$TMP/bad.out"
	fi
}
check_bad "rstaudit -n -c bad.conf" "$RSTAUDIT" -n -c "$TMP/bad.conf"
check_bad "rstaudit run -n -c bad.conf" "$RSTAUDIT" run -n -c "$TMP/bad.conf"
grep -q 'bad.conf:27' "$TMP/bad.out" && fail "a good rule line was reported" ||
	pass "a good rule among bad ones is not reported"

# --- a bad file never starts the daemon -------------------------------------
"$RSTAUDIT" run -c "$TMP/bad.conf" --no-install-rules \
	--json-file "$TMP/never.json" >"$TMP/out" 2>&1
rc=$?
if [ $rc = 2 ] && [ ! -e "$TMP/never.json" ] &&
   grep -q '32 errors in the configuration' "$TMP/out"; then
	pass "run with a bad file: exit 2 before opening anything"
else
	fail "run with a bad file: exit $rc"; sed 's/^/    /' "$TMP/out" | tail -3
fi

# --- files that are not there ----------------------------------------------
"$RSTAUDIT" -n -c "$TMP/none.conf" >"$TMP/out" 2>&1
[ $? = 2 ] && grep -q "none.conf: No such file" "$TMP/out" &&
	pass "a missing -c file: exit 2, named" || fail "a missing -c file was accepted"

# --- NUL bytes and numbers that are not numbers ---------------------------
# Line 2 has a NUL; line 3 must be read as line 3 (and its error named
# there), line 4 too.  Every later line but the last is wrong.
printf 'queue 1\nhold 1\000x\nqueues 0\nlearn_packets 1.5\nhold nan\nhold inf\nhold -1\nhold 1e3\nhold 0x10\nsuspect_hold NaN\nmax_flows 1e6\nmark 1.0\nmark -0x1\nevidence_files +3\nevidence_file_size 1.5M\nsuspect_hold 2.5\n' >"$TMP/num.conf"
cat >"$TMP/num.want" <<'EOF'
2	NUL byte in the line
3	queues: give a whole number, 1 to 64
4	learn_packets: give a whole number, 0 to 1000
5	hold: give seconds, 0 to 3600
6	hold: give seconds, 0 to 3600
7	hold: give seconds, 0 to 3600
8	hold: give seconds, 0 to 3600
9	hold: give seconds, 0 to 3600
10	suspect_hold: give milliseconds, 0 to 1000
11	max_flows: give a whole number
12	mark: give a 32-bit mask
13	mark: give a 32-bit mask
14	evidence_files: give a whole number
15	evidence_file_size: give bytes
EOF
"$RSTAUDIT" -n -c "$TMP/num.conf" >"$TMP/num.out" 2>&1
rc=$?
miss=
while IFS='	' read -r line msg; do
	[ "$(grep -c "num.conf:$line: " "$TMP/num.out")" = 1 ] &&
	grep -F -- "num.conf:$line: " "$TMP/num.out" | grep -q -F -- "$msg" ||
		miss="$miss $line"
done <"$TMP/num.want"
n=$(grep -c "num.conf:[0-9]*: " "$TMP/num.out")
if [ $rc = 2 ] && [ "$n" = 14 ] && [ -z "$miss" ]; then
	pass "NUL, NaN, inf, fractions, exponents, signs, hex: exit 2, 14 errors on the right lines"
else
	fail "NUL, NaN, inf, fractions: exit $rc, $n errors, wrong or missing on lines:$miss"
	sed 's/^/    /' "$TMP/num.out"
fi

# A line too long, then a bad one: each reported on its own line.
{ printf 'queue 1\n# '; head -c 2000 /dev/zero | tr '\0' x; printf '\nqueues 0\nqueue 2\n'; } >"$TMP/long.conf"
"$RSTAUDIT" -n -c "$TMP/long.conf" >"$TMP/long.out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q 'long.conf:2: line longer than 1024 bytes' "$TMP/long.out" &&
   grep -q 'long.conf:3: queues: give a whole number' "$TMP/long.out" &&
   grep -q 'long.conf:4: queue set again (first on line 1)' "$TMP/long.out" &&
   [ "$(grep -c 'long.conf:' "$TMP/long.out")" = 3 ]; then
	pass "a 2000-byte line: named on line 2, lines 3 and 4 read as themselves"
else
	fail "a 2000-byte line: exit $rc"; sed 's/^/    /' "$TMP/long.out"
fi

# usage TEXT CMD...: exit 2 and a message with TEXT (the option and value).
usage() {
	_opt=$1; shift
	"$@" >"$TMP/u.out" 2>&1
	_rc=$?
	if [ $_rc = 2 ] && grep -q -F -- "$_opt" "$TMP/u.out"; then
		pass "$*: exit 2, '$(head -1 "$TMP/u.out")'"
	else
		fail "$*: exit $_rc"
		sed 's/^/    /' "$TMP/u.out" | head -5
	fi
}
: >"$TMP/empty.pcap"
for v in nan NaN inf -inf 1.5 1e6 0x10 -1 ' 5' ''; do
	usage "--max-flows $v:" "$RSTAUDIT" analyze --max-flows "$v" "$TMP/empty.pcap"
done
for v in nan inf infinity 1e3 0x1 -1 2. .5x; do
	usage "--hold $v:" "$RSTAUDIT" analyze --hold "$v" "$TMP/empty.pcap"
done
"$RSTAUDIT" analyze --hold 0.25 --max-flows 64 "$TMP/empty.pcap" >"$TMP/u.out" 2>&1
rc=$?
if [ $rc = 3 ] && grep -q "empty.pcap" "$TMP/u.out"; then
	pass "analyze --hold 0.25 --max-flows 64: accepted (exit 3 for the empty file)"
else
	fail "analyze --hold 0.25 --max-flows 64: exit $rc"
	sed 's/^/    /' "$TMP/u.out"
fi
usage "hold: give seconds" "$RSTAUDIT" run -n -c rules/rstaudit.conf --hold nan
usage "queues: give a whole number" "$RSTAUDIT" run -n -c rules/rstaudit.conf --queues 2.5

finish
