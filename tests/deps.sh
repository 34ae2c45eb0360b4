#!/bin/bash
# make deps: every package ddstack needs to build and to run its lab, on Debian 12.
# The lab's guests get theirs inside the root image (tests/lab/mkroot.sh), from the
# same mirrors, with the non-free component (netperf) and bookworm-security
# (Xen 4.17.7, kernel 6.1.0-56).
set -euo pipefail
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"
export DEBIAN_FRONTEND=noninteractive
KVER=6.1.0-56-amd64
PKGS="build-essential make gcc linux-headers-$KVER libxen-dev qemu-system-x86 qemu-utils
debootstrap debian-archive-keyring e2fsprogs python3 ca-certificates kmod"

has_candidate() {
	local out
	out=$(apt-cache policy "$1" 2>/dev/null) || return 1
	[[ "$out" == *"Candidate: "[0-9]* ]]
}

apt-get update -q
if ! has_candidate linux-headers-$KVER; then
	# bookworm-security is not enabled: add it beside the main archive apt already uses.
	main=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -oE '[a-z]+://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
	[ -n "$main" ] || { echo "deps: no Debian archive in apt's sources" >&2; exit 1; }
	echo "deps: enabling bookworm-security"
	echo "deb ${main%/}-security bookworm-security main" \
		>/etc/apt/sources.list.d/ddstack-security.list
	apt-get update -q
fi
apt-get install -y -q --no-install-recommends $(echo $PKGS)
echo "deps: installed"
