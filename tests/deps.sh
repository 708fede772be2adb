#!/bin/sh
# Install, as root, the Debian packages rstaudit builds and tests with,
# when any is missing.  Quiet when everything is there already.
pkgs="build-essential pkg-config clang libpcap-dev libnetfilter-queue-dev
libmnl-dev libnftnl-dev libnetfilter-conntrack-dev zlib1g-dev nftables conntrack
iptables iproute2 tcpdump tshark python3 python3-jsonschema time prometheus strace
jq rsyslog systemd"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "rstaudit: missing packages:$missing; run as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "rstaudit: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null ||
	{ echo "rstaudit: apt-get install$missing failed" >&2; exit 1; }
