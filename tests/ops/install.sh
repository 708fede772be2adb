#!/bin/sh
# tests/ops/install.sh: `make install DESTDIR=...` makes a tree a package
# could ship, and `make uninstall` takes it back.  Run from the repository
# top after building (it checks that install does not rebuild).
#
#   - PREFIX=/usr: exactly the expected files (binary, both man pages,
#     the systemd unit, the examples: rules/rstaudit.nft and every
#     rules/*.conf, and SYSCONFDIR/rstaudit.conf when rules/rstaudit.conf
#     exists), with modes 0755 and 0644, directories 0755; the binary is
#     the one built; the unit starts that binary, has no placeholder left
#     and passes `systemd-analyze verify`; the man pages render with
#     `man -l` without a warning and name the installed paths;
#   - the default PREFIX (/usr/local) moves binary and unit together;
#   - a default configuration is installed once, never over one that is
#     there, and uninstall removes it only while it is unchanged;
#   - uninstall leaves no file behind.
# The last line is "install: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
T=
TALLY=install . tests/lib/tally.sh

for _t in make man systemd-analyze cmp; do
	command -v "$_t" >/dev/null 2>&1 || { fail "missing tool: $_t"; finish; }
done
[ -x ./rstaudit ] || { fail "./rstaudit not found: build it first (make)"; finish; }
T=$(mktemp -d "${TMPDIR:-/tmp}/rstaudit-install.XXXXXX") || { fail "mktemp"; finish; }
trap 'rm -rf "$T"' EXIT
trap 'rm -rf "$T"; trap - EXIT; exit 130' INT
trap 'rm -rf "$T"; trap - EXIT; exit 143' TERM
# The same build flags as the binary already built (make SANITIZE=1 check).
san=; grep -q fsanitize .flags 2>/dev/null && san=SANITIZE=1
mk() { make --no-print-directory -s $san "$@"; }
before=$(stat -c %Y rstaudit)

# --- PREFIX=/usr -----------------------------------------------------------------
D=$T/usr-tree
if mk install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1; then
	pass "make install DESTDIR=... PREFIX=/usr"
else
	fail "make install failed:"; sed 's/^/    /' "$T/install.log"; finish
fi
check "make install did not rebuild the binary" test "$(stat -c %Y rstaudit)" = "$before"

{
	echo "0755 usr/sbin/rstaudit"
	echo "0644 usr/share/man/man8/rstaudit.8"
	echo "0644 usr/share/man/man5/rstaudit.conf.5"
	echo "0644 usr/lib/systemd/system/rstaudit.service"
	echo "0644 usr/share/doc/rstaudit/examples/rstaudit.nft"
	echo "0644 usr/share/doc/rstaudit/rstaudit-eve.schema.json"
	for c in rules/*.conf; do
		[ -f "$c" ] && echo "0644 usr/share/doc/rstaudit/examples/${c#rules/}"
	done
	[ -f rules/rstaudit.conf ] && echo "0644 etc/rstaudit.conf"
} | sort -k2 >"$T/want"
(cd "$D" && find . -type f -printf '%#m %P\n' | sed 's/^0*\([0-7]\{4\}\) /\1 /') |
	sort -k2 >"$T/got"
check "the tree holds exactly the expected files, with their modes ($(wc -l <"$T/want") files)" \
	diff -u "$T/want" "$T/got"
check "every directory is 0755" sh -c \
	"[ -z \"\$(cd $D && find . -type d ! -perm 0755)\" ]"
check "the installed binary is the one built, and runs" sh -c \
	"cmp -s rstaudit $D/usr/sbin/rstaudit && $D/usr/sbin/rstaudit --version | grep -q '^rstaudit '"

U=$D/usr/lib/systemd/system/rstaudit.service
check "unit: ExecStart=/usr/sbin/rstaudit run, no placeholder left" sh -c \
	"grep -qx 'ExecStart=/usr/sbin/rstaudit run' $U && ! grep -q '@[A-Z]*@' $U"
check "unit: Type=notify, CAP_NET_ADMIN alone, strict, no new privileges" sh -c \
	"grep -qx 'Type=notify' $U && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' $U &&
	 grep -qx 'AmbientCapabilities=CAP_NET_ADMIN' $U && grep -qx 'ProtectSystem=strict' $U &&
	 grep -qx 'NoNewPrivileges=yes' $U &&
	 grep -qx 'RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6' $U"
# verify wants the ExecStart binary to exist: point a copy at the tree's.
mkdir -p "$T/verify" && sed "s|=/usr/sbin/rstaudit|=$D/usr/sbin/rstaudit|" "$U" \
	>"$T/verify/rstaudit.service"
check "unit: systemd-analyze verify finds nothing" \
	systemd-analyze verify --man=no "$T/verify/rstaudit.service"
score=$(systemd-analyze security --offline=true "$T/verify/rstaudit.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for rstaudit.service: \([0-9.]*\).*/\1/p')
check "unit: systemd-analyze security exposure ${score:-?} (at most 2.0)" \
	awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

for m in man8/rstaudit.8 man5/rstaudit.conf.5; do
	f=$D/usr/share/man/$m
	w=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	check "man -l $m: renders, no warning" sh -c \
		"[ -z '$w' ] && MANWIDTH=80 man -l $f 2>/dev/null | grep -q '^NAME'"
done
check "man pages name the installed paths" sh -c \
	"MANWIDTH=80 man -l $D/usr/share/man/man8/rstaudit.8 2>/dev/null | grep -q '/usr/sbin/rstaudit' &&
	 MANWIDTH=80 man -l $D/usr/share/man/man5/rstaudit.conf.5 2>/dev/null | grep -q '/etc/rstaudit.conf'"

mk uninstall DESTDIR="$D" PREFIX=/usr >"$T/uninstall.log" 2>&1
left=$(find "$D" -type f | sed "s|^$D/||")
check "make uninstall leaves no file (${left:-none})" test -z "$left"

# --- the default PREFIX -----------------------------------------------------------
L=$T/local-tree
mk install DESTDIR="$L" >"$T/install2.log" 2>&1
check "default PREFIX: binary in /usr/local/sbin, the unit starts it" sh -c \
	"[ -x $L/usr/local/sbin/rstaudit ] &&
	 grep -qx 'ExecStart=/usr/local/sbin/rstaudit run' $L/usr/local/lib/systemd/system/rstaudit.service"
mk uninstall DESTDIR="$L" >/dev/null 2>&1
check "default PREFIX: uninstall leaves no file" sh -c "[ -z \"\$(find $L -type f)\" ]"

# --- the default configuration --------------------------------------------------
C=$T/conf-tree
printf '# a test default\nhold 1.5\n' >"$T/test.conf"
mk install DESTDIR="$C" DEFAULT_CONF="$T/test.conf" >"$T/install3.log" 2>&1
check "a default configuration goes to SYSCONFDIR/rstaudit.conf, 0644" sh -c \
	"cmp -s $T/test.conf $C/etc/rstaudit.conf && [ \$(stat -c %a $C/etc/rstaudit.conf) = 644 ]"
echo "queues 2" >>"$C/etc/rstaudit.conf"
mk install DESTDIR="$C" DEFAULT_CONF="$T/test.conf" >"$T/install4.log" 2>&1
check "install again: the changed configuration is kept" sh -c \
	"grep -qx 'queues 2' $C/etc/rstaudit.conf && grep -q '^kept ' $T/install4.log"
mk uninstall DESTDIR="$C" DEFAULT_CONF="$T/test.conf" >"$T/uninstall3.log" 2>&1
check "uninstall keeps a changed configuration, and only that" sh -c \
	"[ \"\$(find $C -type f | sed 's|^$C/||')\" = etc/rstaudit.conf ]"
cp "$T/test.conf" "$C/etc/rstaudit.conf"
mk uninstall DESTDIR="$C" DEFAULT_CONF="$T/test.conf" >/dev/null 2>&1
check "uninstall removes an unchanged configuration" test ! -e "$C/etc/rstaudit.conf"

finish
