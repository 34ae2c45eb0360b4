#!/bin/sh
# Step functions run inside the lab guests (dd, client) and dom0.
# The agent sources this file and evaluates dom0's command line, so a command
# is simply "fn args". Each prints what it found and fails with a clear reason.

PEER_IP=10.99.0.1
DD_IP=10.99.0.2
CLIENT_IP=10.99.0.3

lab_poweroff() { :; }	# the agent powers the guest off after answering

die() { echo "FAILED: $*"; exit 1; }

# wait_for TEST SECONDS: poll a shell test until it holds
wait_for() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -ge $(($2 * 4)) ] && return 1
		sleep 0.25
	done
}

# The netdev of the NIC with this MAC (no udev in the lab, names are eth*).
nic_by_mac() {
	for n in /sys/class/net/*; do
		[ "$(cat $n/address 2>/dev/null)" = "$1" ] && { basename $n; return 0; }
	done
	return 1
}

# Driver domain: load the unmodified native drivers and check they own the
# passed-through NVMe and e1000.
dd_native_probe() {
	modprobe xen-pcifront || die "modprobe xen-pcifront"
	wait_for '[ -e /sys/bus/pci/devices/0000:00:00.0 ]' 30 || die "pcifront found no device"
	modprobe nvme && modprobe e1000 || die "modprobe"
	wait_for '[ -b /dev/nvme0n1 ]' 30 || die "no /dev/nvme0n1"
	wait_for 'nic_by_mac 52:54:00:00:00:01 >/dev/null' 30 || die "no e1000 netdev"
	for d in /sys/bus/pci/devices/*; do
		[ -e $d/driver ] && echo "$(basename $d) $(cat $d/vendor):$(cat $d/device) -> $(basename $(readlink $d/driver))"
	done
	ls /sys/bus/pci/drivers/nvme | grep -q : || die "nvme bound to nothing"
	ls /sys/bus/pci/drivers/e1000 | grep -q : || die "e1000 bound to nothing"
	echo "nvme0n1: $(cat /sys/block/nvme0n1/size) sectors"
}

# Driver domain: its NIC carries its own address (the native network path).
dd_net_native() {
	nic=$(nic_by_mac 52:54:00:00:00:01) || die "no e1000 netdev"
	ip addr flush dev br0 2>/dev/null
	ip link set $nic up && ip addr add $DD_IP/24 dev $nic || die "address on $nic"
	wait_for "ping -c1 -W1 $PEER_IP >/dev/null" 30 || die "peer not reachable from $nic"
	echo "native: $nic $DD_IP reaches the peer"
}

# Load ddstack modules from the payload, skipping those already loaded.
dd_insmod() {
	for m in "$@"; do
		lsmod | grep -q "^$m " && continue
		insmod /lab/modules/$m.ko || die "insmod $m: $(dmesg | tail -n 3)"
	done
}

# Driver domain: which block backend serves clients: blk_backend upstream|ddstack.
# The other one is unloaded (both register the "vbd" backend type).
blk_backend() {
	case "$1" in
	upstream)
		lsmod | grep -q '^ddblkback ' && { rmmod ddblkback || die "rmmod ddblkback"; }
		modprobe xen-blkback || die "modprobe xen-blkback" ;;
	ddstack)
		lsmod | grep -q '^xen_blkback ' && { rmmod xen-blkback || die "rmmod xen-blkback"; }
		dd_insmod ddcore ddblkback ;;
	esac
	lsmod | grep -E 'blkback' || true
}

# Driver domain: serve clients (block backend upstream|ddstack): the NIC moves
# into bridge br0 and xl devd runs the hotplug scripts.
dd_backends() {
	# loop: the block hotplug script serves files through loop devices
	modprobe -a xen-gntdev xen-evtchn xen-privcmd xen-gntalloc bridge xen-netback loop ||
		die "modprobe xen"
	blk_backend $1
	nic=$(nic_by_mac 52:54:00:00:00:01) || die "no e1000 netdev"
	ip addr flush dev $nic
	ip link add br0 type bridge 2>/dev/null
	ip link set $nic master br0 && ip link set $nic up && ip link set br0 up || die "bridge"
	ip addr add $DD_IP/24 dev br0
	wait_for "ping -c1 -W1 $PEER_IP >/dev/null" 30 || die "peer not reachable over br0"
	setsid xl devd -F >/lab/out/devd.log 2>&1 </dev/null &
	sleep 1
	pgrep -f "xl devd" >/dev/null || die "xl devd did not start: $(tail -5 /lab/out/devd.log)"
	echo "backends ($1) ready, bridge br0 = $nic"
}

# Client: its disk and NIC from the driver domain appear and work.
client_setup() {
	modprobe -a xen-blkfront xen-netfront || die "frontends"
	wait_for '[ -b /dev/xvdb ]' 60 || die "no /dev/xvdb from the driver domain"
	wait_for 'nic_by_mac 00:16:3e:00:00:33 >/dev/null' 60 || die "no vif netdev"
	nic=$(nic_by_mac 00:16:3e:00:00:33)
	ip link set $nic up && ip addr add $CLIENT_IP/24 dev $nic || die "address"
	wait_for "ping -c1 -W1 $PEER_IP >/dev/null" 60 || die "peer not reachable"
	echo "client: xvdb $(cat /sys/block/xvdb/size) sectors, $nic $CLIENT_IP"
	lsmod | grep -E 'blkfront|netfront|^dd' || true
}

# Reload a ddstack module with parameters: dd_reload MODULE [PARAM=VALUE...]
dd_reload() {
	m=$1
	shift
	if lsmod | grep -q "^$m "; then rmmod $m || die "rmmod $m"; fi
	insmod /lab/modules/$m.ko "$@" || die "insmod $m $*: $(dmesg | tail -n 3)"
	echo "$m reloaded: $*"
}

# Unload a module while its devices are attached and connected. xenbus holds a
# module reference for each bound device, so the devices are unbound first (the
# driver's remove runs on a live connection), then the module goes; the disk NAME
# must disappear (frontend): unload_attached MODULE BUS [NAME]
unload_attached() {
	n=0
	for d in /sys/bus/$2/drivers/$1/vbd-*; do
		[ -e "$d" ] || continue
		echo "$(basename $d)" >/sys/bus/$2/drivers/$1/unbind || die "unbind $(basename $d)"
		n=$((n + 1))
	done
	rmmod $1 || die "rmmod $1 after unbinding $n device(s): $(dmesg | tail -n 3)"
	if [ -n "${3:-}" ]; then
		wait_for "[ ! -b /dev/$3 ]" 30 || die "/dev/$3 still there after rmmod $1"
	fi
	echo "$1 unloaded with $n device(s) attached"
	[ $n -gt 0 ] || die "no device was bound to $1"
}

# The negotiated features of a ddblkfront disk: blk_features VDEV EXPECTED-SUBSTRING
blk_features() {
	f=$(cat /sys/bus/xen/devices/vbd-$1/statistics/features) || die "no features in sysfs"
	echo "$f"
	case "$f" in *"$2"*) ;; *) die "vbd-$1 negotiated '$f', expected '$2'" ;; esac
}

# Client: which frontend takes the disks attached from now on:
# blk_frontend upstream|ddstack. The lab's own boot disks stay on xen-blkfront,
# so for ddstack new xen devices are not probed automatically: client_bind
# hands each to ddblkfront.
blk_frontend() {
	case "$1" in
	upstream) echo 1 >/sys/bus/xen/drivers_autoprobe ;;
	ddstack) dd_insmod ddcore ddblkfront && echo 0 >/sys/bus/xen/drivers_autoprobe ;;
	esac
	echo "xen autoprobe $(cat /sys/bus/xen/drivers_autoprobe)"
}

# Client: wait for a disk attached by dom0: client_disk NAME VDEV [DRIVER]
# (DRIVER given: bind the xen device to it if autoprobe left it unbound, and
# check that DRIVER is the one that holds it).
client_disk() {
	wait_for "[ -e /sys/bus/xen/devices/vbd-$2 ]" 60 || die "no xen device vbd-$2"
	if [ -n "${3:-}" ] && [ ! -e /sys/bus/xen/devices/vbd-$2/driver ]; then
		echo vbd-$2 >/sys/bus/xen/drivers/$3/bind || die "bind vbd-$2 to $3"
	fi
	wait_for "[ -b /dev/$1 ]" 60 || die "no /dev/$1: $(dmesg | tail -n 5)"
	drv=$(basename "$(readlink /sys/bus/xen/devices/vbd-$2/driver)")
	echo "$1: $(cat /sys/block/$1/size) sectors, driver $drv"
	[ -z "${3:-}" ] || [ "$drv" = "$3" ] || die "vbd-$2 is on $drv, not $3"
}

# Client: the disk is gone after dom0 detached it: client_disk_gone NAME
client_disk_gone() {
	wait_for "[ ! -b /dev/$1 ]" 60 || die "/dev/$1 still there"
	echo "$1 detached"
}

# No kernel trouble in this guest's log (oops, BUG, WARNING, lockups).
kernel_clean() {
	if dmesg | grep -E 'BUG:|Oops|WARNING:|general protection|Call Trace|soft lockup|hung_task'; then
		die "kernel trouble in $(hostname): $(dmesg | grep -m1 -E 'BUG:|Oops|WARNING:|general protection|soft lockup|hung_task')"
	fi
	echo "$(hostname): kernel log clean"
}

# The hostile guest: grant and event devices, and no kernel frontend for new disks.
hostile_prepare() {
	modprobe -a xen-gntalloc xen-evtchn || die "modprobe"
	echo 0 >/sys/bus/xen/drivers_autoprobe
	echo "autoprobe off"
}

# Write COUNT MiB of random data at OFFSET MiB with O_DIRECT and fsync, print sha256:
# blk_write DEV OFFSET COUNT
blk_write() {
	head -c $(($3 << 20)) /dev/urandom >/tmp/pattern.bin
	dd if=/tmp/pattern.bin of=$1 bs=1M seek=$2 oflag=direct conv=fsync status=none ||
		die "write $1"
	sha256sum </tmp/pattern.bin
}

# Read COUNT MiB at OFFSET MiB with O_DIRECT and print sha256: blk_read DEV OFFSET COUNT
blk_read() {
	dd if=$1 bs=1M skip=$2 count=$3 iflag=direct status=none | sha256sum
}

# fio write then verify with crc32c: fio_verify DEV rw(randwrite|write) SIZE
fio_verify() {
	fio --name=verify-$2 --filename=$1 --direct=1 --ioengine=libaio --iodepth=8 \
		--rw=$2 --bs=4k --bsrange=4k-128k --size=$3 --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --randrepeat=0 --output-format=normal >/tmp/fio.out 2>&1
	rc=$?
	grep -E 'err=|WRITE:|READ:|verify' /tmp/fio.out | head -12
	[ $rc -eq 0 ] || die "fio rc=$rc $(tail -5 /tmp/fio.out)"
	grep -q 'err= 0' /tmp/fio.out || die "fio reported an error"
}

# One fio figure, printed as key=value: fio_bench DEV TEST SECONDS
fio_bench() {
	case "$2" in
	randread) a="--rw=randread --bs=4k --iodepth=16 --size=512M" ;;
	seqread) a="--rw=read --bs=1M --iodepth=4 --size=1G" ;;
	seqwrite) a="--rw=write --bs=1M --iodepth=4 --size=1G" ;;
	*) die "unknown fio test $2" ;;
	esac
	fio --name=b --filename=$1 --direct=1 --ioengine=libaio $a --time_based \
		--runtime=$3 --output-format=terse --terse-version=3 >/tmp/fio.t 2>&1 ||
		die "fio: $(tail -3 /tmp/fio.t)"
	awk -F';' '$1 == "3" {printf "fio read_kbs=%s read_iops=%s write_kbs=%s write_iops=%s usr=%s sys=%s\n", $7, $8, $48, $49, $88, $89}' /tmp/fio.t
}

# One netperf figure: net_bench TEST SECONDS
net_bench() {
	m=
	# UDP datagrams that fit the MTU: a 64 KiB datagram is 45 IP fragments and
	# one lost fragment loses it all, which measures the shaper, not the path.
	[ "$1" = UDP_STREAM ] && m="-m 1472"
	netperf -H $PEER_IP -t $1 -l $2 -c -C -P 0 -- $m \
		-o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,REMOTE_CPU_UTIL,LOCAL_SD,REMOTE_SD,REMOTE_BYTES_RECVD,ELAPSED_TIME \
		>/tmp/np.out 2>&1 || die "netperf $1: $(tail -3 /tmp/np.out)"
	echo "netperf $1 $(tail -1 /tmp/np.out)"
}

# A file sent to the peer's listener and its sha256: net_send PORT MB
net_send() {
	head -c $(($2 << 20)) /dev/urandom >/tmp/send.bin
	sha256sum </tmp/send.bin
	nc -N -w 30 $PEER_IP $1 </tmp/send.bin || die "nc send"
}

# Receive a file from the peer on PORT and print its sha256: net_recv PORT
net_recv() {
	nc -d -w 30 $PEER_IP $1 >/tmp/recv.bin || die "nc recv"
	sha256sum </tmp/recv.bin
}
