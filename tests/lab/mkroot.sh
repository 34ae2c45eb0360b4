#!/bin/bash
# Build the lab's root image once and cache it: a Debian 12 tree with Xen 4.17,
# the 6.1 kernel, fio and netperf, made into an ext4 image without loop mounts.
# Output (under $LAB_CACHE, default build/lab):
#   root-<key>.img  boot-<key>/{xen.elf,vmlinuz,initrd.img}
# The key hashes this script and lab-init, so editing either rebuilds.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${LAB_CACHE:-$top/build/lab}
KVER=6.1.0-56-amd64
PKGS="linux-image-$KVER xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common
xenstore-utils netperf iperf3 fio iproute2 bridge-utils kmod procps pciutils
netcat-openbsd e2fsprogs ethtool iputils-ping util-linux initramfs-tools
coreutils ifupdown"
key=$(cat "$0" "$top/tests/lab/guest/lab-init" | sha256sum | cut -c1-12)
img=$cache/root-$key.img
boot=$cache/boot-$key
if [ -f "$img" ] && [ -f "$boot/initrd.img" ]; then
	echo "$key"
	exit 0
fi
log() { echo "[mkroot +$SECONDS s] $*" >&2; }

# The archive and security mirrors are the ones this machine's apt uses.
apt_uris() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '/^URIs:/{print $2}' || true
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '/^deb /{for(i=2;i<=NF;i++) if ($i ~ /:\/\//) {print $i; break}}' || true
	} | grep -E '/debian(-security)?/?$' || true
}
mirror=${LAB_MIRROR:-$(apt_uris | grep -v security | head -n1)}
security=${LAB_SECURITY_MIRROR:-$(apt_uris | grep security | head -n1)}
[ -n "$security" ] || security=${mirror%/debian*}/debian-security
[ -n "$mirror" ] || { echo "mkroot: no Debian mirror in apt's sources" >&2; exit 1; }

dir=$cache/rootfs-$key
rm -rf "$dir" "$cache"/rootfs-*.tmp
mkdir -p "$cache"
cleanup() {
	for m in dev/pts dev proc sys; do umount -l "$dir/$m" 2>/dev/null || true; done
}
trap cleanup EXIT
log "debootstrap bookworm (minbase) from the host's Debian mirror"
debootstrap --variant=minbase --components=main,non-free bookworm "$dir" "$mirror" \
	>"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
cat >"$dir/etc/apt/sources.list" <<SRC
deb $mirror bookworm main non-free
deb $mirror bookworm-updates main non-free
deb $security bookworm-security main non-free
SRC
printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
chmod +x "$dir/usr/sbin/policy-rc.d"
mount -t proc proc "$dir/proc"
mount -t sysfs sysfs "$dir/sys"
mount --bind /dev "$dir/dev"
mount --bind /dev/pts "$dir/dev/pts"
log "installing kernel $KVER, Xen 4.17, fio, netperf"
chroot "$dir" /bin/sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends $(echo $PKGS)" \
	>"$cache/install.log" 2>&1 || { tail -20 "$cache/install.log" >&2; exit 1; }
cleanup
trap - EXIT
rm -f "$dir/usr/sbin/policy-rc.d"
chroot "$dir" apt-get clean
rm -rf "$dir"/var/lib/apt/lists/*
install -m 0755 "$top/tests/lab/guest/lab-init" "$dir/sbin/lab-init"
echo lab >"$dir/etc/hostname"
printf '/dev/root / ext4 rw 0 1\n' >"$dir/etc/fstab"
mkdir -p "$boot"
zcat "$dir"/boot/xen-4.17-amd64.gz >"$boot/xen.elf"
cp "$dir/boot/vmlinuz-$KVER" "$boot/vmlinuz"
cp "$dir/boot/initrd.img-$KVER" "$boot/initrd.img"
log "making the ext4 image"
mke2fs -q -F -t ext4 -L labroot -d "$dir" "$img.tmp" 2G
mv "$img.tmp" "$img"
rm -rf "$dir"
log "root image ready: $img"
echo "$key"
