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
		[ -d $n/bridge ] && continue	# a bridge takes its first port's MAC
		[ "$(cat $n/address 2>/dev/null)" = "$1" ] && { basename $n; return 0; }
	done
	return 1
}

# Driver domain: load nvme and e1000 and wait for their disk and netdev.
dd_native_load() {
	modprobe nvme && modprobe e1000 || die "modprobe"
	wait_for '[ -b /dev/nvme0n1 ]' 30 || die "no /dev/nvme0n1"
	wait_for 'nic_by_mac 52:54:00:00:00:01 >/dev/null' 30 || die "no e1000 netdev"
}

# Driver domain: load the unmodified native drivers and check they own the
# passed-through NVMe and e1000.
dd_native_probe() {
	modprobe xen-pcifront || die "modprobe xen-pcifront"
	wait_for '[ -e /sys/bus/pci/devices/0000:00:00.0 ]' 30 || die "pcifront found no device"
	dd_native_load
	for d in /sys/bus/pci/devices/*; do
		[ -e $d/driver ] && echo "$(basename $d) $(cat $d/vendor):$(cat $d/device) -> $(basename $(readlink $d/driver))"
	done
	ls /sys/bus/pci/drivers/nvme | grep -q : || die "nvme bound to nothing"
	ls /sys/bus/pci/drivers/e1000 | grep -q : || die "e1000 bound to nothing"
	echo "nvme0n1: $(cat /sys/block/nvme0n1/size) sectors"
}

# Driver domain without an IOMMU, before ddctl passes the devices: pcifront
# (the devices start on swiotlb-xen; dd_pool_switch moves them to the pool).
dd_pci_prepare() {
	modprobe xen-pcifront || die "modprobe xen-pcifront"
	echo "xen-pcifront loaded"
}

pool_stat() { cat /sys/kernel/dddmapool/$1 || die "no dddmapool statistic $1"; }

# One line of the pool's counters.
pool_line() {
	echo "pool $(($(pool_stat pool_bytes) >> 20)) MiB, free $(($(pool_stat free_bytes) >> 20)) MiB," \
		"direct $(pool_stat direct_maps) maps/$(($(pool_stat direct_bytes) >> 20)) MiB," \
		"bounced $(pool_stat bounce_maps) maps/$(($(pool_stat bounce_bytes) >> 20)) MiB," \
		"coherent $(pool_stat coherent_allocs_live) live, failures $(pool_stat map_failures)+$(pool_stat alloc_failures)"
}

# The passed-through devices probed on the pool's DMA operations.
dd_pool_attached() {
	local n
	n=$(grep -c . /sys/kernel/dddmapool/devices)
	[ "$n" -ge 2 ] || die "dddmapool is attached to $n device(s): $(cat /sys/kernel/dddmapool/devices)"
	[ "$(pool_stat direct_maps)" -gt 0 ] || die "no DMA mapping went through the pool: $(pool_line)"
	[ "$(pool_stat coherent_allocs_live)" -gt 0 ] || die "no coherent memory from the pool: $(pool_line)"
	echo "on $(tr '\n' ' ' </sys/kernel/dddmapool/devices): $(pool_line)"
}

# After the suites: no mapping failed, and the pool says what it did.
dd_pool_report() {
	[ "$(pool_stat map_failures)" = 0 ] || die "mappings failed: $(pool_line)"
	[ "$(pool_stat alloc_failures)" = 0 ] || die "coherent allocations failed: $(pool_line)"
	echo "$(pool_line)"
}

# The pool cannot go while devices hold its memory.
dd_pool_unload_refused() {
	rmmod dddmapool 2>/tmp/rmmod.err && die "dddmapool unloaded under live mappings"
	lsmod | grep -q '^dddmapool ' || die "dddmapool is gone"
	echo "rmmod refused: $(cat /tmp/rmmod.err | head -n1)"
}

# CPU time of this domain so far: "busy total" in jiffies (steal excluded).
cpu_sample() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
# Busy percent between two samples: cpu_pct "BUSY0 TOTAL0" "BUSY1 TOTAL1"
cpu_pct() { echo "$1 $2" | awk '{d = $4 - $2; printf "%.1f", (d > 0 ? 100 * ($3 - $1) / d : 0)}'; }

# Count DMA bounces from now on: the pool's counters, or swiotlb-xen's
# swiotlb_bounced trace event (one per bounced mapping).
dma_count_start() {
	if [ "$1" = pool ]; then
		echo 0 >/sys/kernel/dddmapool/reset_counters || die "reset_counters"
	else
		T=/sys/kernel/tracing
		[ -e $T/events ] || mount -t tracefs nodev $T || die "tracefs"
		echo 0 >$T/tracing_on
		echo 1 >$T/events/swiotlb/swiotlb_bounced/enable || die "no swiotlb_bounced event"
		echo >$T/trace
		echo 1 >$T/tracing_on
	fi
}
dma_counts() {
	if [ "$1" = pool ]; then
		echo "direct=$(pool_stat direct_maps) bounced=$(pool_stat bounce_maps)" \
			"bounced_bytes=$(pool_stat bounce_bytes) map_failures=$(pool_stat map_failures)" \
			"above_mask=$(pool_stat bounce_above_mask) scattered=$(pool_stat bounce_scattered)"
	else
		T=/sys/kernel/tracing
		echo 0 >$T/tracing_on
		echo "direct=-1 bounced=$(cat $T/per_cpu/cpu*/stats | awk '/^(entries|overrun):/ {n += $2} END {print n}')" \
			"bounced_bytes=-1 map_failures=0"
		echo 0 >$T/events/swiotlb/swiotlb_bounced/enable
	fi
}

# The DMA-heavy workload of the driver domain, with the DMA operations the
# devices have now (MODE: pool or swiotlb, for the report): 64 MiB written to
# the NVMe in 1 MiB O_DIRECT requests and read back (sha256 compared), fio
# verify of 64 MiB with 128 KiB to 1 MiB requests, and 256 MiB of TCP each way
# over the e1000 with 9000-byte frames (dom0 sets the peer's MTU): 768 MiB
# moved in all. One line of figures.
dd_dma_workload() {
	local mode=$1 dev=/dev/nvme0n1 nic c0 c1 t0 t1 a b mb nvme_mbps nvme_cpu tx rx
	nic=$(nic_by_mac 52:54:00:00:00:01) || die "no e1000 netdev"
	ip link set $nic mtu 9000 || die "mtu 9000 on $nic"
	wait_for "ping -c1 -W1 -M do -s 8972 $PEER_IP >/dev/null" 30 ||
		die "no 9000-byte frames to the peer"
	head -c 64M /dev/urandom >/tmp/dma.bin
	a=$(sha256sum </tmp/dma.bin | cut -c1-64)
	dma_count_start $mode
	c0=$(cpu_sample)
	t0=$(date +%s%N)
	dd if=/tmp/dma.bin of=$dev bs=1M seek=1792 oflag=direct conv=fsync status=none ||
		die "write $dev"
	b=$(dd if=$dev bs=1M skip=1792 count=64 iflag=direct status=none | sha256sum | cut -c1-64)
	t1=$(date +%s%N)
	c1=$(cpu_sample)
	[ "$a" = "$b" ] || die "$mode: the 64 MiB read back from $dev differ from what was written"
	nvme_mbps=$(awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f", 128 * 1048576 / 1e6 / (ns / 1e9)}')
	nvme_cpu=$(cpu_pct "$c0" "$c1")
	fio --name=dma --filename=$dev --offset=1856M --size=64M --direct=1 --ioengine=libaio \
		--iodepth=4 --rw=randwrite --bsrange=128k-1m --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --randrepeat=0 >/tmp/fio-dma.out 2>&1 ||
		die "$mode: fio verify: $(tail -3 /tmp/fio-dma.out)"
	c0=$(cpu_sample)
	# a fixed 256 MiB each way (a negative length is bytes), so that both
	# modes move the same data and their bounce counts compare
	tx=$(netperf -H $PEER_IP -t TCP_STREAM -l -268435456 -P 0 -- -o THROUGHPUT 2>&1 | tail -n1)
	rx=$(netperf -H $PEER_IP -t TCP_MAERTS -l -268435456 -P 0 -- -o THROUGHPUT 2>&1 | tail -n1)
	c1=$(cpu_sample)
	ip link set $nic mtu 1500
	echo "$tx $rx" | grep -qE '^[0-9.]+ [0-9.]+$' || die "$mode: netperf: $tx / $rx"
	echo "dma mode=$mode nvme_mbps=$nvme_mbps nvme_cpu=$nvme_cpu" \
		"nic_mbps=$(awk -v a=$tx -v b=$rx 'BEGIN {printf "%.1f", (a + b) / 2 / 8}')" \
		"nic_cpu=$(cpu_pct "$c0" "$c1") $(dma_counts $mode)"
}

# Load the pool as the lab uses it: lowmem_mb moves the driver domain's free
# and movable memory below 4 GiB for the 32-bit e1000: dd_pool_insmod
dd_pool_insmod() {
	insmod /lab/modules/dddmapool.ko dyndbg=+p lowmem_mb=1024 ||
		die "insmod dddmapool: $(dmesg | grep dddmapool | tail -n 6 | tr '\n' ' ')"
}

# Move the passed-through devices from swiotlb-xen to the pool: their
# drivers go, the pool comes (and attaches to the driverless devices), the
# drivers come back: dd_pool_switch
dd_pool_switch() {
	lsmod | grep -q '^dddmapool ' && die "dddmapool is loaded already"
	rmmod nvme e1000 || die "rmmod nvme e1000"
	dd_pool_insmod
	dd_native_load
	dd_net_native >/dev/null
	echo "dddmapool: $(dmesg | grep -m1 'of 1:1 memory' | sed 's/.*dddmapool: //');" \
		"$(dmesg | grep -m1 'dddmapool: moved' | sed 's/.*dddmapool: //');" \
		"free memory above 4 GiB: $(($(pool_stat free_above_limit_bytes) >> 10)) KiB"
}

# A pool too large for the domain is refused at load with its reason, and
# leaves nothing behind: dd_pool_too_large
dd_pool_too_large() {
	local ram_mb free0 free1 mb
	lsmod | grep -q '^dddmapool ' && die "dddmapool is loaded already"
	ram_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
	free0=$(awk '/^MemFree:/ {print $2}' /proc/meminfo)
	for mb in $((ram_mb / 2)) 1048576; do
		insmod /lab/modules/dddmapool.ko pool_mb=$mb 2>/tmp/insmod.err &&
			die "dddmapool loaded with pool_mb=$mb on a domain of $ram_mb MiB"
		dmesg | grep -q "pool_mb=$mb: must be 1\.\.[0-9]*, a quarter of this domain's" ||
			die "pool_mb=$mb: no reason given: $(dmesg | grep dddmapool | tail -n 2)"
	done
	lsmod | grep -q '^dddmapool ' && die "dddmapool stayed loaded"
	[ -e /sys/kernel/dddmapool ] && die "/sys/kernel/dddmapool stayed"
	free1=$(awk '/^MemFree:/ {print $2}' /proc/meminfo)
	# nothing was built: free memory moves only by what the system does
	[ $((free0 - free1)) -lt 8192 ] || die "free memory fell by $(((free0 - free1) / 1024)) MiB"
	echo "refused pool_mb=$((ram_mb / 2)) and pool_mb=1048576 on $ram_mb MiB:" \
		"$(dmesg | grep 'dddmapool: pool_mb=' | tail -n1 | sed 's/.*dddmapool: //'); $(head -n1 /tmp/insmod.err)"
}

# The pool unloaded and loaded again, the drivers gone meanwhile: the second
# load takes back the memory the first left 1:1 (Xen has no second copy of
# it below 4 GiB): dd_pool_reload
dd_pool_reload() {
	local before after reused
	before=$(pool_stat pool_bytes)
	rmmod nvme e1000 || die "rmmod nvme e1000"
	rmmod dddmapool || die "rmmod dddmapool with no driver bound: $(dmesg | tail -n 2)"
	dd_pool_insmod
	after=$(pool_stat pool_bytes)
	reused=$(pool_stat reused_bytes)
	[ "$reused" -gt 0 ] || die "the reload reused nothing: $(pool_line)"
	[ "$after" -ge "$before" ] || die "pool $before bytes before the reload, $after after"
	dd_native_load
	dd_net_native >/dev/null
	echo "reloaded: pool $((before >> 10)) KiB before, $((after >> 10)) KiB after," \
		"$((reused >> 10)) KiB of it taken back 1:1; $(dmesg | grep 'dddmapool: reused' | tail -n1 | sed 's/.*dddmapool: //')"
}

# Driver domain: the whole pool held away from the devices (debugfs
# hold_bytes) while TCP and pings run over the e1000. What must come from the
# pool then fails, as the driver sees it: reopening the e1000 needs coherent
# memory for its descriptor rings, so `ip link set up` fails and the pool
# logs it, whatever the layout of the NIC's buffers (mappings that are
# machine-contiguous under the mask go in place and need no pool). The NVMe
# (64-bit, in place) reads back what it writes meanwhile, in 4 KiB requests
# (no PRP list to allocate). Released, the e1000 opens and carries TCP.
dd_pool_exhaust() {
	local nic f0 f1 held out a b up
	nic=$(nic_by_mac 52:54:00:00:00:01) || die "no e1000 netdev"
	f0=$(($(pool_stat map_failures) + $(pool_stat alloc_failures)))
	[ -e /sys/kernel/debug/dddmapool ] || mount -t debugfs none /sys/kernel/debug
	echo $((1 << 40)) >/sys/kernel/debug/dddmapool/hold_bytes || die "hold_bytes"
	held=$(pool_stat held_bytes)
	out=$(pool_exhausted $nic)
	up=$?
	echo 0 >/sys/kernel/debug/dddmapool/hold_bytes || die "release hold_bytes"
	[ "$(pool_stat held_bytes)" = 0 ] || die "pool still held"
	ip link set $nic up 2>/dev/null
	[ $up = 0 ] || die "with the pool held: $out"
	f1=$(($(pool_stat map_failures) + $(pool_stat alloc_failures)))
	[ $((f1 - f0)) -gt 0 ] || die "no allocation or mapping failed with the pool held: $(pool_line)"
	dmesg | grep -q "DMA pool exhausted" || die "no 'DMA pool exhausted' in the log"
	wait_for "ping -c1 -W1 $PEER_IP >/dev/null" 60 || die "the e1000 does not recover after the pool has room"
	b=$(timeout 60 netperf -H $PEER_IP -t TCP_STREAM -l 3 -P 0 -- -o THROUGHPUT 2>&1 | tail -n1)
	echo "$b" | grep -qE '^[0-9.]+$' && [ "${b%.*}" -gt 0 ] || die "netperf after the release: $b"
	echo "held $((held >> 10)) KiB: $((f1 - f0)) allocation(s)/mapping(s) refused; $out;" \
		"released: $nic up, $b Mb/s; $(dmesg | grep -m1 'DMA pool exhausted' | sed 's/^\[[^]]*\] //')"
}

# The part of dd_pool_exhaust with the pool held (every step bounded in
# time, so that the hold is always released): pool_exhausted NIC
pool_exhausted() {
	local n
	[ "$(pool_stat free_bytes)" -lt 65536 ] || { echo "pool not exhausted: $(pool_line)"; return 1; }
	n=$(timeout 40 netperf -H $PEER_IP -t TCP_STREAM -l 5 -P 0 -- -o THROUGHPUT 2>&1 | tail -n1)
	timeout 20 ping -c 10 -i 0.2 -W1 $PEER_IP >/dev/null
	# down gives the rings back to the pool: hold them too before reopening
	ip link set $1 down || { echo "ip link set $1 down failed"; return 1; }
	echo $((1 << 40)) >/sys/kernel/debug/dddmapool/hold_bytes
	[ "$(pool_stat free_bytes)" -lt 4096 ] || { echo "pool not exhausted after the close: $(pool_line)"; return 1; }
	if timeout 30 ip link set $1 up 2>/tmp/up.err; then
		echo "$1 opened with the pool held: $(pool_line)"
		return 1
	fi
	head -c 8M /dev/urandom >/tmp/ex.bin
	timeout 90 dd if=/tmp/ex.bin of=/dev/nvme0n1 bs=4k seek=$((1700 * 256)) oflag=direct \
		conv=fsync status=none || { echo "NVMe write with the pool exhausted"; return 1; }
	a=$(sha256sum </tmp/ex.bin | cut -c1-64)
	b=$(timeout 90 dd if=/dev/nvme0n1 bs=4k skip=$((1700 * 256)) count=2048 iflag=direct \
		status=none | sha256sum | cut -c1-64)
	[ "$a" = "$b" ] || { echo "NVMe data differ with the pool exhausted"; return 1; }
	echo "netperf ${n:-nothing} Mb/s; reopening $1 refused ($(tr -d '\n' </tmp/up.err));" \
		"NVMe 8 MiB in 4 KiB requests verified"
}

# Driver domain: the e1000 gone, or back and driven by e1000: dd_e1000_is gone|back
dd_e1000_is() {
	if [ "$1" = gone ]; then
		wait_for '! nic_by_mac 52:54:00:00:00:01 >/dev/null' 30 || die "the e1000 netdev is still here"
		wait_for '! grep -qx 0x100e /sys/bus/pci/devices/*/device' 30 ||
			die "the e1000 is still on the PCI bus"
		echo "e1000 gone: $(ls /sys/bus/pci/devices | tr '\n' ' ')"
	else
		wait_for 'nic_by_mac 52:54:00:00:00:01 >/dev/null' 60 || die "no e1000 netdev"
		dd_net_native >/dev/null
		echo "e1000 back: $(nic_by_mac 52:54:00:00:00:01) reaches the peer"
	fi
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

# Driver domain: serve clients (block and network backends upstream|ddstack,
# the network's upstream by default): the NIC moves into bridge br0 and xl
# devd runs the hotplug scripts: dd_backends BLK [NET]
dd_backends() {
	# loop: the block hotplug script serves files through loop devices
	modprobe -a xen-gntdev xen-evtchn xen-privcmd xen-gntalloc bridge loop ||
		die "modprobe xen"
	blk_backend $1
	if [ "${2:-upstream}" = upstream ]; then
		modprobe xen-netback || die "modprobe xen-netback"
	else
		dd_insmod ddcore ddnetback
	fi
	nic=$(nic_by_mac 52:54:00:00:00:01) || die "no e1000 netdev"
	ip addr flush dev $nic
	ip link add br0 type bridge 2>/dev/null
	ip link set $nic master br0 && ip link set $nic up && ip link set br0 up || die "bridge"
	ip addr add $DD_IP/24 dev br0
	wait_for "ping -c1 -W1 $PEER_IP >/dev/null" 30 || die "peer not reachable over br0"
	devd_start
	echo "backends ($1) ready, bridge br0 = $nic"
}

# Driver domain restarted by ddctl supervise: the native drivers and
# ddstack's backends again, then data/ddstack-ready, which tells the
# supervisor to point the clients here (what the domain's own init would do;
# the lab's Debian driver domain has its agent do it).
dd_serve_again() {
	dd_native_probe
	dd_backends ddstack ddstack
	xenstore-write data/ddstack-ready 1 || die "xenstore-write data/ddstack-ready"
	grep -E 'nvme|eth0|pcifront' /proc/interrupts | tr -s ' ' | cut -c1-80
	echo "load $(cat /proc/loadavg)"
	echo "serving again with $(lsmod | awk '/^dd/ {printf "%s ", $1}')"
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
	case "$1" in *net*) kind=vif ;; *) kind=vbd ;; esac
	for d in /sys/bus/$2/drivers/$1/$kind-*; do
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

# The second driver domain (no hardware): ddblkback and xl devd, then
# data/ddstack-ready, the word ddctl supervise waits for. It serves its own
# xvdb (a file in dom0) to the client.
dd2_serve() {
	modprobe -a xen-gntdev xen-evtchn xen-privcmd 2>/dev/null
	dd_insmod ddcore ddblkback ddnetback >/dev/null || die "ddblkback, ddnetback"
	[ -b /dev/xvdb ] || die "no /dev/xvdb to serve"
	pgrep -f "xl devd" >/dev/null || devd_start
	xenstore-write data/ddstack-ready 1 || die "xenstore-write data/ddstack-ready"
	echo "dd2 serves with $(lsmod | awk '/^dd/ {printf "%s ", $1}')"
}

# Client: a fresh ext4 on DEV, mounted on DIR: ext4_mount DEV DIR
ext4_mount() {
	mkfs.ext4 -q -F $1 >/tmp/mkfs.out 2>&1 || die "mkfs.ext4 $1: $(tail -n 2 /tmp/mkfs.out)"
	mkdir -p $2
	mount -t ext4 $1 $2 || die "mount $1 $2"
	log_mark /tmp/ext4.mark	# ext4_fsck looks at the log from here on
	echo "$1 on $2: $(df -k $2 | tail -n 1)"
}

# Client: the ext4 on DEV is still mounted read-write on DIR with no error
# logged; unmounted, e2fsck -f finds it clean: ext4_fsck DEV DIR
ext4_fsck() {
	grep -q "^$1 $2 ext4 rw" /proc/mounts || die "$2: $(grep " $2 " /proc/mounts || echo not mounted)"
	# this disk's errors since ext4_mount only: other tests break other
	# disks, some of the same name, on purpose
	bad="EXT4-fs (error|warning) \\(device ${1#/dev/}\\)|I/O error(,| on) dev ${1#/dev/}[,: ]"
	! log_since /tmp/ext4.mark | grep -E "$bad" || die "$(log_since /tmp/ext4.mark | grep -m1 -E "$bad")"
	umount $2 || die "umount $2"
	e2fsck -f -n $1 >/tmp/fsck.out 2>&1
	rc=$?
	[ $rc = 0 ] || die "e2fsck rc=$rc: $(tail -n 5 /tmp/fsck.out)"
	echo "$1 stayed mounted; e2fsck -f: $(tail -n 1 /tmp/fsck.out)"
}

# Client: numbered 4 KiB records "ddstack-seq TAG N", each written with
# O_DIRECT and O_DSYNC at block FIRST + N of TARGET (FIRST 0 unless given:
# past what another writer of a raw disk uses); N goes to LOG once the write
# is acknowledged. Until /tmp/seq.stop appears or a write fails:
# seq_writer TARGET LOG TAG [FIRST]
seq_writer() {
	rm -f /tmp/seq.stop
	: >$2
	i=0
	while [ ! -e /tmp/seq.stop ]; do
		rec=$(printf 'ddstack-seq %s %08d' $3 $i)
		{ echo "$rec"; head -c $((4095 - ${#rec})) /dev/zero; } |
			dd of=$1 bs=4096 count=1 seek=$((${4:-0} + i)) iflag=fullblock oflag=direct,dsync \
				conv=notrunc status=none || die "record $i: write failed"
		echo $i >>$2
		i=$((i + 1))
	done
	echo "$i record(s) acknowledged"
}

# Client: fio verify on FILE again and again, random and sequential writes in
# turn (each run writes SIZE, then reads it back and checks every block),
# until /tmp/fio.stop exists; stops at the first run that fails. One line a
# run in /tmp/fio-loop.log: fio_loop FILE SIZE
fio_loop() {
	rm -f /tmp/fio.stop
	: >/tmp/fio-loop.log
	k=0
	while [ ! -e /tmp/fio.stop ]; do
		rw=$([ $((k % 2)) = 0 ] && echo randwrite || echo write)
		k=$((k + 1))
		if ! (fio_verify $1 $rw $2) >/tmp/fio-run.out 2>&1; then
			echo "run $k $rw FAILED $(date +%s)" >>/tmp/fio-loop.log
			cat /tmp/fio-run.out
			die "fio verify run $k ($rw) failed"
		fi
		echo "run $k $rw passed $(date +%s)" >>/tmp/fio-loop.log
	done
	echo "$k fio verify run(s) of $2, all passed"
}

# Client: netperf TCP_STREAM runs of LEN s (5 by default) to HOST one after
# the other, 5 s apart (the emulated lab's CPUs serve the restarts too), until
# /tmp/net.stop exists; stops at the first run that fails once connected (an
# error, no figure, or not done in 300 s). A run that took over LEN + 15 s
# was stalled by a disruption and its TCP connections lived through it; a
# run that could not connect (the way down) is tried again, for up to 300 s.
# One line a run in /tmp/net-loop.log: net_loop HOST [LEN]
net_loop() {
	rm -f /tmp/net.stop
	: >/tmp/net-loop.log
	echo ${2:-5} >/tmp/net-loop.len
	k=0
	down=
	while [ ! -e /tmp/net.stop ]; do
		k=$((k + 1))
		t0=$(date +%s)
		r=$(timeout 300 netperf -H $1 -t TCP_STREAM -l ${2:-5} -P 0 -- -o THROUGHPUT 2>&1)
		rc=$?
		t=$(($(date +%s) - t0))
		r=$(echo "$r" | tail -n 1)
		# No connection could be made (the way to HOST is down: no ARP
		# answer): a client tries again, for up to 300 s.
		if [ $rc != 0 ] && echo "$r" | grep -q 'could not establish the control connection'; then
			down=${down:-$t0}
			echo "run $k noconnect ${t}s" >>/tmp/net-loop.log
			[ $(($(date +%s) - down)) -lt 300 ] ||
				die "no connection to $1 for 300 s: $r"
			sleep 2
			continue
		fi
		down=
		if [ $rc != 0 ] || ! echo "$r" | grep -qE '^[0-9.]+$'; then
			echo "run $k FAILED rc $rc ${t}s: $r" >>/tmp/net-loop.log
			die "netperf run $k failed (rc $rc after $t s): $r"
		fi
		echo "run $k passed ${t}s $r" >>/tmp/net-loop.log
		sleep 5
	done
	s=$(net_stalled | wc -l)
	echo "$(grep -c passed /tmp/net-loop.log) netperf run(s), all passed; $s of them stalled" \
		"by a disruption and done; $(grep -c noconnect /tmp/net-loop.log) connection attempt(s)" \
		"refused while the way was down, then made"
}

# Client: the netperf loop (bg job JOB) stopped after its current run, every
# run passed, and at least one lived through a disruption: net_loop_done JOB
net_loop_done() {
	loop_stop $1 /tmp/net.stop 300 || exit 1
	s=$(net_stalled)
	[ -n "$s" ] || die "no netperf run was stalled by a disruption: $(tr '\n' ' ' </tmp/net-loop.log | cut -c1-300)"
	echo "$s" | awk '{printf "run %s %s (%s Mb/s) ", $2, $4, $5}'
	echo
}

# The netperf runs of net_loop that a disruption stalled (over their length
# + 15 s) and that finished: their lines of /tmp/net-loop.log
net_stalled() {
	awk -v lim=$(($(cat /tmp/net-loop.len) + 15)) '$3 == "passed" && $4 + 0 > lim' /tmp/net-loop.log
}

# Client: a netperf run of net_loop is going on: net_running
net_running() {
	wait_for "pgrep -x netperf >/dev/null" 60 ||
		die "no netperf run in 60 s: $(tail -n 2 /tmp/net-loop.log | tr '\n' ' ')"
	echo "netperf run $(($(wc -l </tmp/net-loop.log) + 1)) is going on"
}

# Driver domain: its kernel panics 2 s from now (so that the agent can
# answer first): what a driver that fails does to its domain
dd_panic() {
	setsid sh -c 'sleep 2; echo c >/proc/sysrq-trigger' </dev/null >/dev/null 2>&1 &
	echo "$(hostname): kernel panic in 2 s"
}

# Client: a loop started with bg_start (job JOB, its log LOG) has failed no
# run and still runs: loop_passing JOB LOG WHAT
loop_passing() {
	! grep -q FAILED $2 || die "$(grep FAILED $2)"
	[ ! -e /tmp/bg.$1.rc ] || die "the $3 loop ended: $(tail -n 3 /tmp/bg.$1.out | tr '\n' ' ')"
}

# Client: the network through a restarted driver domain: HOST answers and
# the netperf loop (bg job JOB) has not failed: net_resumed HOST JOB
net_resumed() {
	wait_for "ping -c 1 -W 1 $1 >/dev/null" 60 || die "$1 does not answer"
	loop_passing $2 /tmp/net-loop.log netperf
	echo "$1 answers; netperf loop: $(grep -c passed /tmp/net-loop.log) run(s) passed so far"
}

# Client: stop a loop started with bg_start (fio_loop, net_loop) after its
# current run, and wait for it: loop_stop JOB STOPFILE SECONDS
loop_stop() {
	touch $2
	bg_wait $1 $3
}

# Client: what the disk is doing this second, by its sector counters: read
# (fio's verify phase) or write: io_phase DISK
io_phase() {
	a=$(awk '{print $3, $7}' /sys/block/$1/stat)
	sleep 1
	b=$(awk '{print $3, $7}' /sys/block/$1/stat)
	echo "$a $b" | awk '{r = $3 - $1; w = $4 - $2; print (r > w ? "read" : "write"), r, w}'
}

# Client: a disk whose backend came back completes I/O again and the fio
# loop (bg job JOB) has not failed: io_resumed DISK JOB
io_resumed() {
	a=$(awk '{print $1 + $5}' /sys/block/$1/stat)
	wait_for "[ \$(awk '{print \$1 + \$5}' /sys/block/$1/stat) -gt $a ]" 60 ||
		die "$1 completed no request in 60 s: $(cat /sys/bus/xen/devices/vbd-*/statistics/state | tr '\n' ' ')"
	# (a completion may be an error: ddblkfront fails what it held too long)
	for e in /sys/bus/xen/devices/vbd-*/statistics/errors; do
		[ -e $e ] && [ "$(cat $e)" != 0 ] && die "${e%/statistics/*}: $(cat $e) request(s) failed"
	done
	loop_passing $2 /tmp/fio-loop.log fio
	echo "$1 completes requests again; fio loop: $(grep -c passed /tmp/fio-loop.log) run(s) passed so far"
}

# Client: stop a seq_writer started with bg_start: seq_stop JOB LOG
seq_stop() {
	touch /tmp/seq.stop
	bg_wait $1 50 || exit 1
	echo "$(wc -l <$2) record(s) acknowledged"
}

# Client: the state of a ddblkfront disk (connected, held, ...): blk_state VDEV STATE
blk_state() {
	wait_for "[ \"\$(cat /sys/bus/xen/devices/vbd-$1/statistics/state)\" = $2 ]" 20 ||
		die "vbd-$1 is $(cat /sys/bus/xen/devices/vbd-$1/statistics/state), not $2"
	echo "vbd-$1 $2 ($(dmesg | grep -o 'ddblkfront: [a-z]*: backend .* went away.*' | tail -n 1))"
}

# Client: a ddblkfront disk whose backend went away is connected again, with
# no request failed: blk_reconnected VDEV [TIMES]
blk_reconnected() {
	st=/sys/bus/xen/devices/vbd-$1/statistics
	[ "$(cat $st/state)" = connected ] || die "vbd-$1 is $(cat $st/state)"
	[ "$(cat $st/reconnects)" -ge ${2:-1} ] || die "vbd-$1: reconnects $(cat $st/reconnects)"
	[ "$(cat $st/errors)" = 0 ] || die "vbd-$1: $(cat $st/errors) request(s) failed"
	echo "vbd-$1 reconnects $(cat $st/reconnects) errors 0: $(dmesg | grep -o 'ddblkfront: [a-z]*: backend .* connected after.*' | tail -n 1)"
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
# Only the lines after /tmp/kernel_log.mark count (see kernel_log_mark).
# Kernel log lines by what they mean (the hostile runs' crashed, hung and
# warned flags), and all the trouble a clean log must not have.
KCRASH='BUG:|Oops|general protection|Kernel panic'
KLOCKUP='soft lockup|hung_task'
KWARN='WARNING: CPU'
KTROUBLE="$KCRASH|$KWARN|Call Trace|$KLOCKUP"
kernel_log() {
	log_since /tmp/kernel_log.mark
}

# The kernel log after the time noted in FILE (by log_mark FILE): log_since FILE
log_since() {
	m=$(cat $1 2>/dev/null || echo -1)
	dmesg | awk -F']' -v m="$m" '{t = substr($1, index($1, "[") + 1) + 0; if (t > m) print}'
}
log_mark() {
	dmesg | tail -n 1 | awk -F']' '{print substr($1, index($1, "[") + 1) + 0}' >$1
}
kernel_clean() {
	if kernel_log | grep -E "$KTROUBLE"; then
		die "kernel trouble in $(hostname): $(kernel_log | grep -m1 -E "$KTROUBLE")"
	fi
	echo "$(hostname): kernel log clean$([ -e /tmp/kernel_log.mark ] && echo " since $(cat /tmp/kernel_log.mark) s")"
}

# The kernel's trouble lines so far, then kernel_clean looks only past them
# (what upstream's backends logged under the hostile frontends is recorded
# with their results, not held against ddstack's).
kernel_log_mark() {
	kernel_log | grep -E "$KTROUBLE" | head -n 5
	log_mark /tmp/kernel_log.mark
	echo "kernel log marked at $(cat /tmp/kernel_log.mark) s"
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

# fio write then verify with crc32c, LOOPS times (1):
# fio_verify DEV rw(randwrite|write) SIZE [LOOPS]
fio_verify() {
	fo=/tmp/fio$(echo $1 | tr / _).out	# one per target: two may run at once
	fio --name=verify-$2 --filename=$1 --direct=1 --ioengine=libaio --iodepth=8 \
		--rw=$2 --bs=4k --bsrange=4k-128k --size=$3 --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --randrepeat=0 --loops=${4:-1} --output-format=normal \
		>$fo 2>&1
	rc=$?
	grep -E 'err=|WRITE:|READ:|verify' $fo | head -12
	[ $rc -eq 0 ] || die "fio rc=$rc $(tail -5 $fo)"
	grep -q 'err= 0' $fo || die "fio reported an error"
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

# One netperf figure: net_bench TEST SECONDS [HOST]
net_bench() {
	m=
	# UDP datagrams that fit the MTU: a 64 KiB datagram is 45 IP fragments and
	# one lost fragment loses it all, which measures the shaper, not the path.
	[ "$1" = UDP_STREAM ] && m="-m 1472"
	netperf -H ${3:-$PEER_IP} -t $1 -l $2 -c -C -P 0 -- $m \
		-o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,REMOTE_CPU_UTIL,LOCAL_SD,REMOTE_SD,REMOTE_BYTES_RECVD,ELAPSED_TIME \
		>/tmp/np.out 2>&1 || die "netperf $1: $(tail -3 /tmp/np.out)"
	echo "netperf $1 $(tail -1 /tmp/np.out)"
}

# A file sent to the peer's listener and its sha256: net_send PORT MB [HOST]
net_send() {
	head -c $(($2 << 20)) /dev/urandom >/tmp/send.bin
	sha256sum </tmp/send.bin
	nc -N -w 30 ${3:-$PEER_IP} $1 </tmp/send.bin || die "nc send"
}

# Receive a file from the peer on PORT and print its sha256: net_recv PORT [HOST]
net_recv() {
	nc -d -w 30 ${2:-$PEER_IP} $1 >/tmp/recv.bin || die "nc recv"
	sha256sum </tmp/recv.bin
}

# ---- network: ddnetback / ddnetfront ----

# Driver domain: which network backend serves vifs: net_backend upstream|ddstack [PARAM=VALUE...]
# (both register the "vif" backend type; the other one is unloaded).
net_backend() {
	which=$1
	shift
	case "$which" in
	upstream)
		lsmod | grep -q '^ddnetback ' && { rmmod ddnetback || die "rmmod ddnetback"; }
		modprobe xen-netback || die "modprobe xen-netback" ;;
	ddstack)
		lsmod | grep -q '^xen_netback ' && { rmmod xen-netback || die "rmmod xen-netback"; }
		dd_insmod ddcore
		lsmod | grep -q '^ddnetback ' && { rmmod ddnetback || die "rmmod ddnetback"; }
		insmod /lab/modules/ddnetback.ko "$@" || die "insmod ddnetback: $(dmesg | tail -n 3)"
		devd_replug ;;
	esac
	lsmod | grep -E 'netback' || true
}

# Driver domain: every vif given (DOMID/HANDLE) has its hotplug-status.
vifs_plugged() {
	local v
	for v in "$@"; do
		xenstore-read backend/vif/$v/hotplug-status >/dev/null 2>&1 || return 1
	done
}

# Driver domain: start xl devd (its log goes on in /lab/out/devd.log) and
# see that it is still up a second later.
devd_start() {
	setsid xl devd -F >>/lab/out/devd.log 2>&1 </dev/null &
	sleep 1
	pgrep -f "xl devd" >/dev/null || die "xl devd did not start: $(tail -n 5 /lab/out/devd.log)"
}

# Driver domain: xl devd running, or started anew (saying so, with the end
# of its log): without it no backend directory is removed and no hotplug
# script runs, so every detach through this domain times out.
devd_ensure() {
	pgrep -f "xl devd" >/dev/null && { echo "xl devd running"; return 0; }
	echo "xl devd was not running; its log ends:"
	tail -n 5 /lab/out/devd.log
	devd_start
	echo "xl devd started anew"
}

# Driver domain: vifs that were attached when their backend module was
# reloaded wait for their hotplug script again (hotplug-status), but a running
# xl devd runs a device's scripts once: start it anew, it plugs what waits.
devd_replug() {
	local d h waiting=
	pgrep -f "xl devd" >/dev/null || return 0
	sleep 2
	for d in $(xenstore-list backend/vif 2>/dev/null); do
		for h in $(xenstore-list backend/vif/$d 2>/dev/null); do
			xenstore-read backend/vif/$d/$h/hotplug-status >/dev/null 2>&1 ||
				waiting="$waiting $d/$h"
		done
	done
	[ -n "$waiting" ] || return 0
	pkill -f "xl devd"
	wait_for '! pgrep -f "xl devd" >/dev/null' 10
	devd_start
	wait_for "vifs_plugged $waiting" 30 ||
		die "vifs$waiting not plugged again by xl devd"
	echo "xl devd started anew: vifs$waiting plugged again"
}

# Client: load ddnetfront next to xen-netfront (which keeps the boot NIC);
# new vifs are handed to a driver by client_nic.
net_frontend() {
	dd_insmod ddcore ddnetfront
	echo 0 >/sys/bus/xen/drivers_autoprobe
	echo "ddnetfront loaded, xen autoprobe $(cat /sys/bus/xen/drivers_autoprobe)"
}

# The xen device (vif-N) whose frontend has this MAC.
vif_by_mac() {
	for d in /sys/bus/xen/devices/vif-*; do
		[ -e "$d" ] || continue
		n=${d##*/vif-}
		[ "$(xenstore-read device/vif/$n/mac 2>/dev/null)" = "$1" ] && { echo vif-$n; return 0; }
	done
	return 1
}

# Client: a vif attached by dom0 appears, bound to DRIVER (vif = xen-netfront,
# ddnetfront), and gets ADDR (and fd99::HOST6/64): client_nic MAC DRIVER ADDR [PING]
client_nic() {
	wait_for "vif_by_mac $1 >/dev/null" 60 || die "no xen vif with mac $1"
	dev=$(vif_by_mac $1)
	[ -e /sys/bus/xen/devices/$dev/driver ] ||
		echo $dev >/sys/bus/xen/drivers/$2/bind || die "bind $dev to $2"
	wait_for "nic_by_mac $1 >/dev/null" 60 || die "no netdev for $dev: $(dmesg | tail -n 5)"
	drv=$(basename "$(readlink /sys/bus/xen/devices/$dev/driver)")
	[ "$drv" = "$2" ] || die "$dev is on $drv, not $2"
	nic=$(nic_by_mac $1)
	ip link set $nic up && ip addr replace $3/24 dev $nic || die "address on $nic"
	ip -6 addr add fd99::${3##*.}/64 dev $nic nodad 2>/dev/null
	wait_for "ping -c1 -W1 ${4:-$PEER_IP} >/dev/null" 60 ||
		die "${4:-$PEER_IP} not reachable over $nic ($drv): $(dmesg | tail -n 3)"
	echo "$dev ($drv) = $nic $3 reaches ${4:-$PEER_IP}"
}

# Client: the vif with this MAC is gone after dom0 detached it: client_nic_gone MAC
client_nic_gone() {
	wait_for "! nic_by_mac $1 >/dev/null" 60 || die "netdev with $1 still there"
	echo "nic $1 detached"
}

# Ping with data checked by ping itself: net_ping ADDR SIZE [-6]
net_ping() {
	ping ${3:-} -c 5 -i 0.3 -s $2 -M do $1 >/tmp/ping.out 2>&1 || die "ping $*: $(tail -n 2 /tmp/ping.out)"
	grep -qi 'wrong data\|DUP' /tmp/ping.out && die "ping $*: corrupted or duplicated replies"
	tail -n 2 /tmp/ping.out | head -n 1
}

# MTU along the client's side of the path: net_mtu MAC MTU
net_mtu() {
	nic=$(nic_by_mac $1) || die "no nic $1"
	ip link set $nic mtu $2 || die "mtu $2 on $nic"
	echo "$nic mtu $(cat /sys/class/net/$nic/mtu)"
}

# Driver domain: MTU of the NIC, the bridge and every vif on it: dd_mtu MTU
dd_mtu() {
	nic=$(nic_by_mac 52:54:00:00:00:01) || die "no e1000"
	ip link set $nic mtu $1 || die "e1000 mtu $1"
	for p in /sys/class/net/br0/brif/*; do
		ip link set ${p##*/} mtu $1 || die "mtu $1 on ${p##*/}"
	done
	ip link set br0 mtu $1
	echo "br0 mtu $(cat /sys/class/net/br0/mtu): $(ls /sys/class/net/br0/brif | tr '\n' ' ')"
}

# Offloads of a NIC: net_offloads MAC on|off
net_offloads() {
	nic=$(nic_by_mac $1) || die "no nic $1"
	ethtool -K $nic tx $2 sg $2 tso $2 gso $2 gro $2 rx $2 2>&1 | grep -v 'Could not change' | head -n 5
	ethtool -k $nic | grep -E '^(tx-checksumming|scatter-gather|tcp-segmentation-offload|rx-checksumming):'
}

# Counters of a netdev (ethtool -S), and that packets went both ways: net_stats NIC|MAC
net_stats() {
	nic=$1
	case "$1" in *:*) nic=$(nic_by_mac $1) || die "no nic $1" ;; esac
	ethtool -S $nic >/tmp/stats.out 2>&1 || die "ethtool -S $nic: $(cat /tmp/stats.out)"
	grep -vE ': 0$' /tmp/stats.out | head -n 40
	tx=$(awk -F': ' '$1 ~ /^ *tx_packets$/ {print $2}' /tmp/stats.out)
	rx=$(awk -F': ' '$1 ~ /^ *rx_packets$/ {print $2}' /tmp/stats.out)
	[ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] || die "$nic: tx_packets ${tx:-none}, rx_packets ${rx:-none}"
	echo "$nic: tx_packets $tx rx_packets $rx"
}

# Driver domain: counters of the backend netdev of a domain's first vif: dd_vif_stats DOMID
dd_vif_stats() {
	v=$(ls -d /sys/class/net/vif$1.* 2>/dev/null | head -n 1) || true
	[ -n "$v" ] || die "no vif$1.* netdev"
	net_stats ${v##*/}
}

# Driver domain: a domain's vif counted what a hostile frontend did: dd_vif_drops DOMID
dd_vif_drops() {
	v=$(ls -d /sys/class/net/vif$1.* 2>/dev/null | head -n 1) || true
	[ -n "$v" ] || die "no vif$1.* netdev"
	ethtool -S ${v##*/} >/tmp/stats.out 2>&1 || die "ethtool -S ${v##*/}: $(cat /tmp/stats.out)"
	grep -E 'bad|fatal|drop|stall|disconnect|error' /tmp/stats.out | grep -vE ': 0$' >/tmp/drops.out
	cat /tmp/drops.out
	[ -s /tmp/drops.out ] || die "${v##*/}: no drop, error or disconnect counted"
	echo "${v##*/}: $(wc -l </tmp/drops.out) non-zero drop/error counters"
}

# Tx queues the frontend negotiated: net_queues MAC N
net_queues() {
	nic=$(nic_by_mac $1) || die "no nic $1"
	n=$(ls -d /sys/class/net/$nic/queues/tx-* | wc -l)
	[ "$n" = "$2" ] || die "$nic has $n tx queues, expected $2"
	echo "$nic: $n tx queues, $(ls -d /sys/class/net/$nic/queues/rx-* | wc -l) rx queues"
}

# UDP: COUNT datagrams of 1400 bytes to HOST:PORT, then their sha256 (one
# write, one datagram: bash's /dev/udp): net_udp_send PORT COUNT [HOST]
net_udp_send() {
	head -c $((1400 * $2)) /dev/urandom >/tmp/udp.bin
	bash -c 'exec 3>/dev/udp/$1/$2 || exit 1
		for i in $(seq 0 $(($3 - 1))); do
			dd if=/tmp/udp.bin bs=1400 skip=$i count=1 status=none >&3 || exit 1
			if [ $((i % 16)) = 15 ]; then sleep 0.05; fi
		done' udp ${3:-$PEER_IP} $1 $2 || die "udp send"
	sha256sum </tmp/udp.bin
}

# ---- hostile backends (tools/ddblkback-hostile, ddnetback-hostile) ----

# Driver domain: start a hostile backend in the background:
# hback_start TOOL FE-DOMID CLASS:DEVID...
hback_start() {
	modprobe -a xen-gntdev xen-evtchn 2>/dev/null
	tool=$1
	shift
	rm -f /tmp/hback.ready /tmp/hback.out
	setsid /lab/tools/$tool --seconds 600 --ready /tmp/hback.ready "$@" \
		>/tmp/hback.out 2>&1 </dev/null &
	echo $! >/tmp/hback.pid
	echo $tool >/tmp/hback.tool
	sleep 1
	kill -0 "$(cat /tmp/hback.pid)" 2>/dev/null || die "$tool exited: $(cat /tmp/hback.out)"
	echo "$tool started for domain $*"
}

# Driver domain: every device of the hostile backend connected and attacked.
hback_ready() {
	wait_for "[ -e /tmp/hback.ready ]" $1 ||
		die "not ready after $1 s: $(tail -n 5 /tmp/hback.out | tr '\n' ' ')"
	echo "hostile backend ready"
}

# Driver domain: stop the hostile backend; its per-class lines, and a failure
# if any class failed on its side.
hback_stop() {
	pid=$(cat /tmp/hback.pid)
	kill -TERM "$pid" 2>/dev/null
	wait_for "! kill -0 $pid 2>/dev/null" 60 || die "still running 60 s after SIGTERM"
	cp /tmp/hback.out /lab/out/$(cat /tmp/hback.tool).out
	grep -E ': FAIL|^hostile: [0-9]' /tmp/hback.out | cut -c1-300 | tail -n 6
	grep -q "classes passed, 0 failed" /tmp/hback.out ||
		die "$(grep -E ': FAIL' /tmp/hback.out | head -n 3 | cut -c1-150 | tr '\n' ' ')"
}

# Client: hand the hostile backend's devices to a ddstack frontend:
# hback_bind vbd|vif DEVID...
hback_bind() {
	k=$1
	shift
	drv=$([ $k = vbd ] && echo ddblkfront || echo ddnetfront)
	echo 0 >/sys/bus/xen/drivers_autoprobe
	for d in "$@"; do
		wait_for "[ -e /sys/bus/xen/devices/$k-$d ]" 30 || die "no xen device $k-$d"
		[ -e /sys/bus/xen/devices/$k-$d/driver ] ||
			echo $k-$d >/sys/bus/xen/drivers/$drv/bind || die "bind $k-$d to $drv"
	done
	echo "$# device(s) bound to $drv"
}

# Client: what one class of the hostile block backend left behind:
# hback_blk_check CLASS DEVID DISK. Served classes must read sector 3 as
# 512 bytes of 0x03; the others must leave the disk marked broken, with
# its I/O failing (not hanging) and a protocol violation logged.
hback_blk_check() {
	st=/sys/bus/xen/devices/vbd-$2/statistics/state
	wait_for "[ -e $st ]" 30 || die "vbd-$2 has no statistics"
	case $1 in
	valid|event-storm)
		wait_for "[ -b /dev/$3 ]" 60 || die "no /dev/$3 ($(cat $st))"
		head -c 512 /dev/zero | tr '\000' '\003' >/tmp/s3
		timeout 60 dd if=/dev/$3 bs=512 skip=3 count=1 iflag=direct status=none >/tmp/r3
		cmp -s /tmp/r3 /tmp/s3 || die "$3: sector 3 is not 0x03s ($(od -An -tx1 /tmp/r3 | head -n 1))"
		echo "$1: $3 reads the backend's data, $(cat $st)"
		;;
	state-cycle)
		s=$(cat $st)
		if [ -b /dev/$3 ]; then
			timeout 60 dd if=/dev/$3 bs=512 count=1 iflag=direct status=none of=/dev/null
			[ $? = 124 ] && die "$3: a read hangs ($s)"
		fi
		echo "$1: $3 $s, reads answer"
		;;
	*)
		wait_for "[ \"\$(cat $st)\" = broken ]" 60 || die "vbd-$2 is $(cat $st), not broken"
		if [ -b /dev/$3 ]; then
			timeout 60 dd if=/dev/$3 bs=512 count=1 iflag=direct status=none of=/dev/null 2>/dev/null
			rc=$?
			[ $rc = 124 ] && die "$3: a read hangs on the broken disk"
			[ $rc = 0 ] && die "$3: a read succeeded on the broken disk"
		fi
		dmesg | grep -q "vbd/$2: ring 0: backend protocol violation" ||
			die "no protocol violation logged for vbd/$2"
		echo "$1: $(dmesg | grep -m1 "vbd/$2: ring 0: backend protocol violation" | sed 's/.*violation: //')"
		;;
	esac
}

# Client: the devices of a hostile backend are gone: hback_gone vbd|vif DEVID...
hback_gone() {
	k=$1
	shift
	for d in "$@"; do
		wait_for "[ ! -e /sys/bus/xen/devices/$k-$d ]" 60 || die "$k-$d still there"
	done
	echo "$# device(s) removed"
}

# A step function run in the background of this guest while dom0 goes on:
# bg_start NAME CMD..., then bg_wait NAME SECONDS (fails if CMD failed).
bg_start() {
	n=$1
	shift
	rm -f /tmp/bg.$n.rc /tmp/bg.$n.out
	# the inner subshell: a step function that dies exits it, not the writer of rc
	( ( "$@" ) >/tmp/bg.$n.out 2>&1; echo $? >/tmp/bg.$n.rc ) </dev/null >/dev/null 2>&1 &
	echo "$n started: $*"
}
bg_wait() {
	wait_for "[ -e /tmp/bg.$1.rc ]" $2 || die "$1 still running after $2 s"
	tail -n 4 /tmp/bg.$1.out
	[ "$(cat /tmp/bg.$1.rc)" = 0 ] || die "$1 failed: $(tail -n 3 /tmp/bg.$1.out | tr '\n' ' ')"
}

# Driver domain: what a hostile guest could leak here: event channels bound
# (xen-dyn interrupts), unreclaimable slab in kB, and the frontend ring pages
# ddstack's backends hold mapped (0 without ddcore loaded). The snapper
# (hostile_snapper) counts the same through these two.
DD_EVTCHN=xen-dyn
DD_RINGS=/sys/module/ddcore/parameters/ring_pages_mapped
dd_leak_snap() {
	set -- /proc/interrupts /proc/meminfo
	[ -r $DD_RINGS ] && set -- "$@" $DD_RINGS
	awk -v ev=$DD_EVTCHN -v rp=$DD_RINGS '$0 ~ ev {e++} $1 == "SUnreclaim:" {s = $2}
		FILENAME == rp {r = $1}
		END {printf "evtchn %d sunreclaim %d rings %d\n", e, s, r}' "$@"
}

# ---- hostile frontends, one class at a time ----
# The hostile guest: run TOOL's classes one at a time, each its own attach
# and close (--only), and after each let the driver domain measure itself:
# the class goes to data/hostile-class (readable by the driver domain), whose
# hostile_snapper answers in its data/hostile-snap. The flags of a class are
# what changed in the driver domain while it ran (against the snapshot before
# it): crashed (BUG/Oops/GPF in its log), hung (the class's run timed out,
# its lockup lines grew, its backend still Connected after the close, or no
# answer at all), leaked (event channels or ddstack's mapped ring pages above
# the start, unreclaimable slab up 1 MiB, or ddblkback still holding grants),
# warned (a WARNING).
# Everything to /tmp/hostile.out; class, snap and summary lines to
# /tmp/hostile.lines. hostile_classes DDOM TOOL ARGS... (ARGS end in the device)
hostile_classes() {
	hc_dd=$1 hc_tool=/lab/tools/$2
	shift 2
	# the xenstore classes first, as a whole run takes them (before its connection)
	hc_classes=$($hc_tool --list | awk '{print $1}') && [ -n "$hc_classes" ] || die "$hc_tool --list"
	hc_classes=$(echo "$hc_classes" | grep '^xs-'; echo "$hc_classes" | grep -v '^xs-')
	: >/tmp/hostile.out
	: >/tmp/hostile.lines
	xenstore-write data/hostile-class "0 start" &&
		xenstore-chmod data/hostile-class n$(xenstore-read domid) r$hc_dd || die "data/hostile-class"
	hc_snap 0 || die "the driver domain's snapper did not answer"
	echo "snap start rc 0 | $hc_s" >>/tmp/hostile.lines
	hc_base=$hc_s hc_prev=$hc_s
	hc_pass=0 hc_fail=0 hc_n=0
	for c in $hc_classes; do
		hc_n=$((hc_n + 1))
		t0=$(date +%s%3N)
		timeout 400 $hc_tool --only $c "$@" >/tmp/hc.out 2>&1
		rc=$?
		t1=$(date +%s%3N)
		{ echo "== $c: rc $rc"; cat /tmp/hc.out; } >>/tmp/hostile.out
		hc_cut=
		grep -m1 "^class $c:" /tmp/hc.out >>/tmp/hostile.lines || {
			echo "class $c: no class line, rc $rc: $(grep -m1 -E 'failed|waiting' /tmp/hc.out)" \
				>>/tmp/hostile.lines
			hc_cut="the backend did not connect this frontend again"
		}
		xenstore-write data/hostile-class "$hc_n $c"
		if ! hc_snap $hc_n; then
			echo "snap $c rc $rc unanswered" >>/tmp/hostile.lines
			echo "hostile: the driver domain did not answer after class $c" >>/tmp/hostile.lines
			hc_fail=$((hc_fail + 1))
			break
		fi
		echo "time $c tool_ms $((t1 - t0)) snap_ms $(($(date +%s%3N) - t1)) end_ms $t1" >>/tmp/hostile.lines
		f=$(hc_flags "$hc_base" "$hc_prev" "$hc_s" $rc)
		echo "snap $c rc $rc $f | $hc_s" >>/tmp/hostile.lines
		hc_prev=$hc_s
		case "$rc $f" in
		"0 crashed 0 hung 0 leaked 0 warned 0") hc_pass=$((hc_pass + 1)) ;;
		*) hc_fail=$((hc_fail + 1)) ;;
		esac
		# a backend that answers nothing more, even on a fresh connection
		# (upstream xen-netback after a fatal packet), or that does not
		# connect it again: the rest is not run
		grep -m1 '^hostile: cut off' /tmp/hc.out >>/tmp/hostile.lines &&
			hc_cut="the backend cut this frontend off"
		if [ -n "$hc_cut" ]; then
			for r in $(echo "$hc_classes" | awk -v c=$c 'f; $0 == c {f = 1}'); do
				echo "class $r: not run, $hc_cut" >>/tmp/hostile.lines
				hc_fail=$((hc_fail + 1))
			done
			break
		fi
	done
	xenstore-write data/hostile-class end
	echo "hostile: $hc_pass classes passed, $hc_fail failed" >>/tmp/hostile.lines
	grep -E '^snap' /tmp/hostile.lines | grep -vE '^snap start| rc 0 crashed 0 hung 0 leaked 0 ' |
		head -n 5
	[ $hc_fail = 0 ]
}

# The hostile guest: wait up to SECONDS for hostile_classes (run by bg_start
# as hc) to end: "done", or the classes measured so far and the last class
# line. hc_progress SECONDS
hc_progress() {
	if wait_for "[ -e /tmp/bg.hc.rc ]" $1; then
		echo done
	else
		grep '^snap' /tmp/hostile.lines | grep -vc '^snap start'
		grep '^class' /tmp/hostile.lines | tail -n 1 | cut -c1-100
	fi
}

# The driver domain's answer numbered N, into hc_s (40 s at most). Waits on
# a xenstore watch (xswait), not a polling loop: the driver domain shares its
# CPU with the neighbour being measured, and so does xenstored.
hc_snap() {
	hc_s=$(/lab/tests/lab/xswait /local/domain/$hc_dd/data/hostile-snap $1 40)
}

# The flags of one class: hc_flags BASE PREV NOW RC (snapshots as
# hostile_snapper writes them: N evtchn E sunreclaim K rings R bug B lockup L
# warn W grants G bestate S).
hc_flags() {
	echo "$1 | $2 | $3" | awk -v rc=$4 -F' [|] ' '
	function get(s, k,   a, n, i) {
		n = split(s, a, " ")
		for (i = 1; i < n; i++)
			if (a[i] == k)
				return a[i + 1] + 0
		return 0
	}
	{
		crashed = get($3, "bug") > get($2, "bug")
		hung = rc == 124 || get($3, "lockup") > get($2, "lockup") || $3 ~ / bestate 4$/
		leaked = get($3, "evtchn") > get($1, "evtchn") && get($3, "evtchn") > get($2, "evtchn")
		leaked = leaked || get($3, "sunreclaim") - get($2, "sunreclaim") > 1024
		leaked = leaked || get($3, "grants") > 0 || get($3, "rings") > get($1, "rings")
		warned = get($3, "warn") > get($2, "warn")
		printf "crashed %d hung %d leaked %d warned %d\n", crashed, hung, leaked, warned
	}'
}

# Driver domain: answer a hostile guest's hostile_classes: after each class,
# once the backend of its device has left Connected (10 s at most) and its
# event channels and mapped ring pages are back to the start (5 s at most:
# an unbind may lag), a snapshot in data/hostile-snap (readable by that
# guest), with this domain's CPU time so far and the time, in ms. Ends on
# "end", or after 40 min. One C program (tests/lab/ddsnap.c) for the whole
# run: this domain's CPU is the measured neighbour's too, and the shell
# loop this was, with a dozen programs started per snapshot, cost it about a
# second of emulated CPU per class.
# hostile_snapper HDOM vbd|vif DEVID
hostile_snapper() {
	/lab/tests/lab/ddsnap -e $DD_EVTCHN -r $DD_RINGS -c "$KCRASH" -l "$KLOCKUP" -w "$KWARN" "$@"
}

# The neighbour's block figure over a span: rounds of fio verify of SIZE
# until FILE exists or SECONDS have passed (one round at least), then the
# rate: fio_verify_span DEV SIZE_MB FILE SECONDS
fio_verify_span() {
	t0=$(date +%s%N)
	n=0
	while :; do
		fio_verify $1 randwrite ${2}M >/dev/null || exit 1
		n=$((n + 1))
		[ -e $3 ] || [ $((($(date +%s%N) - t0) / 1000000000)) -ge $4 ] && break
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "span rounds $n mb $((n * $2)) elapsed_ms $ms rate $(awk -v m=$((n * $2)) -v t=$ms 'BEGIN {printf "%.2f", m * 1000 / t}') MB/s"
}

# The neighbour's network figure over a span: netperf TCP_STREAM rounds of
# 10 s until FILE exists or SECONDS have passed, then their mean:
# net_bench_span FILE SECONDS
net_bench_span() {
	t0=$(date +%s)
	n=0 sum=0
	while :; do
		net_bench_retry TCP_STREAM 10 >/tmp/nspan.out || { cat /tmp/nspan.out; exit 1; }
		sum=$(awk -v s=$sum '/^netperf/ {split($3, a, ","); print s + a[1]}' /tmp/nspan.out)
		n=$((n + 1))
		[ -e $1 ] || [ $(($(date +%s) - t0)) -ge $2 ] && break
	done
	echo "span rounds $n elapsed_s $(($(date +%s) - t0)) rate $(awk -v s=$sum -v n=$n 'BEGIN {printf "%.2f", s / n}') Mbit/s"
}

# Driver domain: ddblkback counted the hostile frontend's malformed requests
# and cut it off: dd_vbd_bad DOMID DEVID
dd_vbd_bad() {
	s=/sys/bus/xen-backend/devices/vbd-$1-$2/statistics
	[ -d $s ] || die "no $s"
	echo "errors $(cat $s/errors) bad_req $(cat $s/bad_req) cutoffs $(cat $s/cutoffs)"
	[ "$(cat $s/bad_req)" -gt 0 ] || die "no malformed request counted"
	[ "$(cat $s/cutoffs)" -gt 0 ] || die "the ring overrun did not cut the frontend off"
}

# Client: bring up the hostile backend's NICs and send on them (the tx
# classes need traffic; nothing answers): hback_net_traffic DEVID...
hback_net_traffic() {
	for d in "$@"; do
		mac=$(printf '00:16:3e:77:00:%02x' $d)
		nic=$(nic_by_mac $mac) || die "no nic $mac"
		ip link set $nic up
		ip addr replace 10.77.$d.2/24 dev $nic
		ip neigh replace 10.77.$d.1 lladdr $(printf '00:16:3e:77:ff:%02x' $d) dev $nic
	done
	for d in "$@"; do
		ping -q -c 200 -i 0.01 -w 15 10.77.$d.1 >/dev/null 2>&1 &
	done
	wait
	echo "sent on $# hostile NIC(s)"
}

# Client: what one class of the hostile network backend left behind:
# hback_net_check CLASS DEVID COUNTER BROKEN. COUNTER (a ddnetfront ethtool
# statistic, or -) must be above zero; BROKEN 1: the device marked broken,
# 0: not, -: either. Served classes must have received the backend's frames.
hback_net_check() {
	mac=$(printf '00:16:3e:77:00:%02x' $2)
	nic=$(nic_by_mac $mac) || die "no nic $mac"
	ethtool -S $nic >/tmp/stats.out 2>&1 || die "ethtool -S $nic: $(cat /tmp/stats.out)"
	st() { awk -F': ' -v k="$1" '{gsub(/ /, "", $1)} $1 == k {print $2}' /tmp/stats.out; }
	b=$(st broken)
	if [ "$3" != - ]; then
		[ "$(st $3)" -gt 0 ] 2>/dev/null || die "$1: $3 is '$(st $3)' ($(grep -vE ': 0$' /tmp/stats.out | tr -s ' \n' ' '))"
	fi
	[ "$4" = - ] || [ "$b" = "$4" ] || die "$1: broken is $b, expected $4"
	case $1 in valid|event-storm)
		[ "$(st rx_packets)" -ge 50 ] || die "$1: only $(st rx_packets) frames received"
		[ "$(cat /sys/class/net/$nic/carrier)" = 1 ] || die "$1: carrier off" ;;
	esac
	echo "$1: $nic $3 $(st $3) broken $b rx_packets $(st rx_packets) grants_leaked $(st grants_leaked)"
}

# net_bench, once more if netperf could not reach the netserver at all (its
# control connection, not the data path, failed): net_bench_retry TEST SECONDS
net_bench_retry() {
	( net_bench "$@" ) && return 0
	grep -q 'establish control' /tmp/np.out || exit 1
	echo "netperf could not reach the netserver; once more"
	sleep 2
	net_bench "$@"
}
