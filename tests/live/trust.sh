#!/bin/sh
# tests/live/trust.sh: what the daemon trusts in its evidence directory
# and event file, as root and after the privilege drop (-u nobody), on
# the lab's gateway (tests/lab).  Run from the repository top after
# building; RSTAUDIT names another binary.  Needs root: it fails, and
# never skips, without it.
#
#   - an evidence directory writable by everyone (sticky, as /tmp), by
#     its group, or owned by another user is refused at start (-n and
#     run: exit 2, the message says which and why), files planted there
#     under the daemon's names stay untouched; as user nobody, nobody's
#     own 0700 directory is accepted;
#   - in a trusted directory, files under the daemon's names that are
#     not its own (another user's, a symlink) are neither taken up nor
#     removed at rotation, while its own are rotated away; the files it
#     makes are mode 0640 under umask 0; as root and as nobody;
#   - SIGHUP after the directory became world-writable: the new
#     configuration is refused, the reason logged;
#   - the event file: a symlink is refused at start (exit 3, its target
#     untouched) and at SIGHUP after the drop (the old file kept); another
#     hard link and a FIFO are refused; a new one is made 0640 under
#     umask 0.
# The last line is "trust: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rstr$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
TALLY=trust
. tests/lib/tally.sh
RSTAUDIT=${RSTAUDIT:-./rstaudit}
case $RSTAUDIT in /*) ;; *) RSTAUDIT=$(pwd)/$RSTAUDIT ;; esac
export RSTAUDIT
NAME=rstaudit-20200101T000000Z

# said WANT REGEX CMD...: CMD exits WANT and says REGEX (else its
# status and output, for check to show).
said() {
	sd_want=$1 sd_re=$2; shift 2
	sd_out=$("$@" 2>&1)
	sd_st=$?
	[ "$sd_st" = "$sd_want" ] && echo "$sd_out" | grep -q -- "$sd_re" && return 0
	echo "status $sd_st, want $sd_want and '$sd_re':"
	echo "$sd_out" | tail -6
	return 1
}
status() { st_name=$1; shift; check "$st_name" said "$@"; }
# plant DIR OWNER N: a file under the daemon's name N, owned by OWNER.
plant() {
	printf 'planted by %s\n' "$2" >"$1/$NAME-$3.pcapng" &&
	chown "$2" "$1/$NAME-$3.pcapng"
}
# untouched FILE OWNER: FILE is still there, OWNER's, with its content.
untouched() {
	[ -f "$1" ] && [ "$(stat -c %U "$1")" = "$2" ] &&
	grep -q "^planted by $2\$" "$1"
}
events() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
_has_events() { [ "$(events "$1")" -ge "$2" ]; }
# daemon TAG [ARGS...]: the daemon on gw, under umask 0.
daemon() {
	dm_tag=$1; shift
	(umask 0 && lab_daemon "$dm_tag" gw "$@")
}
stop() {
	lab_kill "$1" TERM
	lab_wait "$1" 10 || { fail "$1: SIGTERM: status $?"; lab_show "$1"; }
}

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: the test builds network namespaces (sudo)"
	finish
fi
lab_trap
lab_up || { fail "cannot build the lab"; finish; }
T=$LAB_TMP
chmod 0755 "$T"		# nobody must reach its directory

# ---- untrusted directories ----------------------------------------------------
mkdir -p "$T/sticky" "$T/group" "$T/foreign" "$T/nob" &&
chmod 1777 "$T/sticky" && chmod 0770 "$T/group" && chown daemon "$T/foreign" &&
chown nobody "$T/nob" && chmod 0700 "$T/nob" || fail "cannot make the directories"
plant "$T/sticky" nobody 0001 && plant "$T/sticky" daemon 0002
for d in sticky group foreign nob; do
	printf 'evidence_dir %s\n' "$T/$d" >"$T/$d.conf"
done
status "-n: a sticky world-writable directory is refused" 2 \
	"evidence_dir $T/sticky: $T/sticky is writable by everyone (mode 1777)" \
	"$RSTAUDIT" run -n -c "$T/sticky.conf"
status "start: the same, exit 2 before anything is set up" 2 \
	"writable by everyone (mode 1777): anyone there could plant or remove" \
	lab_in gw timeout 20 "$RSTAUDIT" run -c "$T/sticky.conf"
status "start as nobody: the same" 2 "$T/sticky is writable by everyone" \
	lab_in gw timeout 20 "$RSTAUDIT" run -u nobody -c "$T/sticky.conf"
if untouched "$T/sticky/$NAME-0001.pcapng" nobody &&
   untouched "$T/sticky/$NAME-0002.pcapng" daemon &&
   [ "$(ls "$T/sticky" | wc -l)" = 2 ]; then
	pass "files planted in the sticky directory: untouched, nothing added"
else
	fail "the sticky directory changed: $(ls -l "$T/sticky")"
fi
status "-n: a group-writable directory is refused" 2 \
	"$T/group is writable by its group (mode 0770)" \
	"$RSTAUDIT" run -n -c "$T/group.conf"
status "-n: a directory of another user is refused" 2 \
	"$T/foreign is owned by uid 1 (daemon), not root or the daemon's user" \
	"$RSTAUDIT" run -n -c "$T/foreign.conf"
status "-n -u daemon: that user's own directory is accepted" 0 \
	"configuration OK" "$RSTAUDIT" run -n -u daemon -c "$T/foreign.conf"
status "-n: nobody's directory, run as root alone, is refused" 2 \
	"owned by uid 65534 (nobody)" "$RSTAUDIT" run -n -c "$T/nob.conf"
status "-n -u nobody: nobody's 0700 directory is accepted" 0 \
	"configuration OK" "$RSTAUDIT" run -n -u nobody -c "$T/nob.conf"

# ---- adopt and rotate only our own ------------------------------------------------
# (lab and scenario helpers set _tag and the like: ours are prefixed.)
# rotate TAG DIR OURS THEIRS ARGS...: in DIR, OURS owns 0003, THEIRS 0001,
# and 0002 is a symlink to a file of root's; evidence_files 1, so the
# first reset's file rotates every earlier file of ours away.
rotate() {
	rt_tag=$1 rt_dir=$2 rt_ours=$3 rt_theirs=$4; shift 4
	plant "$rt_dir" "$rt_theirs" 0001 && plant "$rt_dir" "$rt_ours" 0003 &&
	printf 'planted by root\n' >"$T/victim-$rt_tag" &&
	ln -s "$T/victim-$rt_tag" "$rt_dir/$NAME-0002.pcapng" ||
		{ fail "$rt_tag: cannot plant"; return; }
	printf 'hold 0.3\njson_file %s\nevidence_dir %s\nevidence_files 1\n' \
		"$T/$rt_tag.json" "$rt_dir" >"$T/$rt_tag.conf"
	daemon "$rt_tag" -c "$T/$rt_tag.conf" "$@" ||
		{ fail "$rt_tag: daemon did not start"; return; }
	scn_refused 4 >/dev/null 2>&1
	lab_poll 10 _has_events "$T/$rt_tag.json" 1 ||
		fail "$rt_tag: no event within 10 s"
	stop "$rt_tag"
	new=$(ls "$rt_dir" | grep -v -e '-000[123]\.pcapng$' | head -1)
	if untouched "$rt_dir/$NAME-0001.pcapng" "$rt_theirs" &&
	   [ -L "$rt_dir/$NAME-0002.pcapng" ] && untouched "$T/victim-$rt_tag" root &&
	   grep -q "evidence: 2 files in .* named like ours but not regular files made by uid" \
		"$T/$rt_tag.log"; then
		pass "$rt_tag: $rt_theirs's file and the symlink: left alone, said so"
	else
		fail "$rt_tag: planted files changed: $(ls -l "$rt_dir" | tr '\n' ';')"
	fi
	if [ ! -e "$rt_dir/$NAME-0003.pcapng" ] && [ -n "$new" ] &&
	   [ "$(stat -c '%a %U' "$rt_dir/$new")" = "640 $rt_ours" ]; then
		pass "$rt_tag: its own old file rotated away; $new is 0640, $rt_ours's"
	else
		fail "$rt_tag: rotation: $(ls -l "$rt_dir" | tr '\n' ';')"
	fi
}
mkdir -p "$T/evroot" && chmod 0700 "$T/evroot"
rotate root "$T/evroot" root nobody
mkdir -p "$T/evnob" && chown nobody "$T/evnob" && chmod 0700 "$T/evnob"
rotate nobody "$T/evnob" nobody root -u nobody

# ---- SIGHUP after the directory became untrusted ---------------------------------
mkdir -p "$T/evhup" && chown nobody "$T/evhup" && chmod 0700 "$T/evhup"
printf 'json_file %s\nevidence_dir %s\n' "$T/hup.json" "$T/evhup" >"$T/hup.conf"
if daemon hup -u nobody -c "$T/hup.conf"; then
	chmod 0777 "$T/evhup"
	lab_kill hup HUP
	if lab_wait_log hup "still running the configuration read before" 10 &&
	   grep -q "$T/evhup is writable by everyone (mode 0777)" "$T/hup.log"; then
		pass "SIGHUP, directory now world-writable: refused, reason logged"
	else
		fail "SIGHUP with an untrusted directory was accepted"
	fi
	# The event file, replaced by a symlink, then SIGHUP: not followed.
	printf 'planted by root\n' >"$T/victim-hup"
	mv "$T/hup.json" "$T/hup.json.old" && ln -s "$T/victim-hup" "$T/hup.json"
	lab_kill hup HUP
	if lab_wait_log hup "hup.json: cannot reopen; still writing to the old file" 10 &&
	   grep -q "hup.json: a symbolic link" "$T/hup.log" &&
	   untouched "$T/victim-hup" root; then
		pass "SIGHUP as nobody, event file now a symlink: not followed, old file kept"
	else
		fail "SIGHUP: the event file symlink was followed"
	fi
	stop hup
else
	fail "daemon -u nobody did not start"
fi

# ---- the event file -----------------------------------------------------------
printf 'planted by root\n' >"$T/victim-ev"
ln -s "$T/victim-ev" "$T/link.json"
status "start: a symlinked event file is refused, exit 3" 3 \
	"link.json: a symbolic link; the event file is never opened through one" \
	lab_in gw timeout 20 "$RSTAUDIT" run --no-install-rules --json-file "$T/link.json"
status "start as nobody: the same" 3 "link.json: a symbolic link" \
	lab_in gw timeout 20 "$RSTAUDIT" run -u nobody --no-install-rules --json-file "$T/link.json"
untouched "$T/victim-ev" root && pass "the symlink's target: untouched" ||
	fail "the symlink's target changed"
printf 'planted by root\n' >"$T/victim-hl" && ln "$T/victim-hl" "$T/hard.json"
status "start: a hard-linked event file is refused, exit 3" 3 \
	"hard.json: 2 names for one file (hard links)" \
	lab_in gw timeout 20 "$RSTAUDIT" run --no-install-rules --json-file "$T/hard.json"
untouched "$T/victim-hl" root && pass "its other name: untouched" ||
	fail "a hard-linked event file was written"
mkfifo "$T/fifo.json"
status "start: a FIFO as event file is refused at once, exit 3" 3 \
	"fifo.json: not a regular file" \
	lab_in gw timeout 20 "$RSTAUDIT" run --no-install-rules --json-file "$T/fifo.json"
if daemon mode --json-file "$T/new.json" -u nobody; then
	[ "$(stat -c '%a' "$T/new.json")" = 640 ] &&
		pass "a new event file is 0640 under umask 0" ||
		fail "new event file mode $(stat -c '%a' "$T/new.json")"
	stop mode
else
	fail "daemon with a new event file did not start"
fi
finish
