#!/bin/bash
# dom0 side of the lab: progress markers, results, guests and their agents.
# Markers ("@@lab KIND ...") go to the console, which the host runner reads.

OUT=/lab/out
SEQ=0
STEP=boot
T0=$(date +%s)
PEER_NIC=
DD_PCI=${DD_PCI:-0000:00:10.0 0000:00:11.0}	# NVMe, e1000 (run.conf, from tests/lab/lab.py)
DD_CFG=/tmp/dd.cfg	# tests/lab/xl/dd.cfg with this machine's pci=

say() { echo "@@lab $*"; }
info() { say info "$*"; }
step() { STEP="$*"; say step "$*"; }

# result PASS|FAIL NAME [DETAIL]; while DEFER is set, results are held in
# DEFERRED (a scenario that may be run again) until result_flush.
DEFER=
DEFERRED=
result() {
	if [ -n "$DEFER" ]; then
		DEFERRED+="$1"$'\t'"$2"$'\t'"$3"$'\n'
		[ "$1" = PASS ] || DEFER_FAILED=1
		return 0
	fi
	echo "$1 $2${3:+ ($3)}" >>$OUT/results.txt
	sync
	say result "$1" "$2${3:+ ($3)}"
}

# result_flush [NOTE]: emit the held results, NOTE appended to each detail.
result_flush() {
	local r n d
	DEFER=
	while IFS=$'\t' read -r r n d; do
		[ -n "$r" ] && result "$r" "$n" "$d${1:+${d:+; }$1}"
	done <<<"$DEFERRED"
	DEFERRED=
}

# want NAME: the test is selected (LAB_ONLY / --only, a substring of its name
# or several separated by |). Steps that later tests stand on always run.
SETUP_STEPS=" dd-boots dd-pcifront-ready ddctl-assign-nvme ddctl-assign-e1000 native-drivers-probe
 dma-pool-switch dma-pool-reload dma-pool-attached native-net backends-ready client-boots client-devices
 blk-detach-upstream ddblkback-load ddblkfront-load ddstack-attach ddstack-disk
 net-detach-upstream ddnetback-load ddnetfront-load ddstack-net-attach ddstack-net-nic "
want() {
	local o
	[ -z "$ONLY" ] && return 0
	[[ "$SETUP_STEPS" == *" $1 "* ]] || [[ "$SETUP_STEPS" == *" $1"$'\n'* ]] && return 0
	# ONLY may hold alternatives: "hostile|hback"
	IFS='|' read -ra o <<<"$ONLY"
	for o in "${o[@]}"; do
		[[ "$1" == *"$o"* ]] && return 0
	done
	return 1
}

# Tail of a guest's console, shown when a step in it fails.
guest_tail() {
	echo "---- last lines of guest $1's console:"
	tail -n ${2:-20} $OUT/console/guest-$1.log 2>/dev/null | sed 's/^/  | /'
}

# guest_state NAME: what Xen says of a guest that stopped answering: its
# domain id now and at start (a change means Xen restarted it), state, vCPU
# time over two seconds (still running or stuck), and Xen's log lines for it.
guest_state() {
	local g=$1 dom t1 t2 start
	start=$(eval echo "\${GDOM_$g:-}")
	dom=$(xl domid $g 2>/dev/null) || { echo "guest $g: no domain (started as $start)"; return; }
	[ -n "$start" ] && [ "$dom" != "$start" ] &&
		echo "guest $g: restarted by Xen: domain $start -> $dom"
	t1=$(xl vcpu-list $g 2>/dev/null | awk 'NR > 1 {s += $6} END {print s}')
	sleep 2
	t2=$(xl vcpu-list $g 2>/dev/null | awk 'NR > 1 {s += $6} END {print s}')
	echo "guest $g: domain $dom, $(xl list $g | awk 'NR == 2 {print "state " $5}'), vcpu time $t1 -> $t2 s"
	xl dmesg | grep -E "d(${start:-$dom}|$dom)v[0-9]" | tail -n 5 | sed 's/^/  xen: /'
}

# guest_restarted NAME: Xen restarted the guest since gstart (new domain id).
guest_restarted() {
	local start dom
	start=$(eval echo "\${GDOM_$1:-}")
	dom=$(xl domid $1 2>/dev/null)
	[ -n "$start" ] && [ "$dom" != "$start" ]
}

# gnew NAME OLD-DOMID TIMEOUT: wait for a guest re-created under a new domain
# id (by someone else: ddctl supervise) and for its agent.
gnew() {
	local g=$1 old=$2 end=$(($(date +%s) + $3)) dom
	while [ $(date +%s) -lt $end ]; do
		dom=$(xl domid $g 2>/dev/null)
		if [ -n "$dom" ] && [ "$dom" != "$old" ] &&
		   [ "$(xenstore-read /local/domain/$dom/data/lab/ready 2>/dev/null)" = 1 ]; then
			eval "GDOM_$g=$dom"
			echo "$g is domain $dom"
			return 0
		fi
		sleep 1
	done
	echo "no new $g with its agent in $3 s (domain now: ${dom:-none})"
	return 1
}

# gexec GUEST TIMEOUT CMD...: run a do.sh command line in a guest's agent.
# Leaves the output's tail in $GOUT; returns the command's exit code.
gexec() {
	local g=$1 t=$2 dom p rc end
	shift 2
	GOUT=
	dom=$(xl domid $g 2>/dev/null) || { GOUT="guest $g is not running"; return 2; }
	p=/local/domain/$dom/data/lab
	SEQ=$(date +%s%N)	# unique even for gexec run in a background subshell
	xenstore-write $p/cmd "$*" && xenstore-write $p/seq $SEQ || { GOUT="xenstore"; return 2; }
	end=$(($(date +%s) + t))
	while :; do
		rc=$(xenstore-read $p/rc 2>/dev/null)
		[ "${rc%% *}" = "$SEQ" ] && break
		if [ $(date +%s) -ge $end ]; then
			GOUT="timeout: '$*' in guest $g did not finish in ${t}s (step: $STEP)"
			echo "$GOUT"
			guest_state $g
			guest_tail $g
			return 124
		fi
		timeout 5 xenstore-watch -n 2 $p/rc >/dev/null 2>&1
	done
	GOUT=$(xenstore-read -R $p/out 2>/dev/null)
	{ echo "== $g [$SEQ] $* -> rc ${rc#* }"; echo "$GOUT"; } >>$OUT/gexec.log
	return ${rc#* }
}

# gcat GUEST FILE [REGEX]: print a guest's file (its lines matching REGEX),
# ten lines per answer (an answer holds at most 2000 bytes).
gcat() {
	local i
	gexec $1 30 "grep -E '${3:-.}' $2 >/tmp/gcat.txt" || return 1
	for i in $(seq 1 10 1000); do
		gexec $1 30 "sed -n '$i,$((i + 9))p' /tmp/gcat.txt | cut -c1-190" && [ -n "$GOUT" ] || break
		echo "$GOUT"
	done
}

# check NAME GUEST TIMEOUT CMD...: a test in a guest, recorded as PASS or FAIL.
check() {
	local name=$1 g=$2 t=$3
	shift 3
	want "$name" || return 0
	step "$g: $name"
	if gexec $g $t "$@"; then
		result PASS $name "$(echo "$GOUT" | tail -n1 | cut -c1-120)"
		return 0
	fi
	echo "$GOUT" | tail -n 15
	guest_tail $g 10
	result FAIL $name "$(echo "$GOUT" | grep -m1 FAILED || echo "$GOUT" | tail -n1)"
	return 1
}

# dcheck NAME CMD...: a test step run in dom0 itself, recorded as PASS or FAIL.
dcheck() {
	local name=$1 out rc
	shift
	want "$name" || return 0
	step "dom0: $name"
	out=$("$@" 2>&1)
	rc=$?
	echo "== dom0 $* -> rc $rc" >>$OUT/gexec.log
	echo "$out" >>$OUT/gexec.log
	if [ $rc = 0 ]; then
		result PASS $name "$(echo "$out" | tail -n1 | cut -c1-120)"
		return 0
	fi
	echo "$out" | tail -n 15
	result FAIL $name "$(echo "$out" | tail -n1 | cut -c1-160)"
	return 1
}

# The client's disk from the driver domain, as client.cfg declares it.
dd_disk_spec() {
	grep -o '"format=raw,vdev=xvdb[^"]*"' /lab/tests/lab/xl/client.cfg | tr -d '"'
}

# xl_detach block|network DOMAIN DEV: xl's detach, as an admin runs it.
# libxl gives the backend 10 s to close and then the driver domain's xl devd
# 10 s to remove the backend's directory; under emulation a busy driver
# domain can miss either. Then what both ends show is printed, and after 15 s
# xl runs once more (a backend directory gone by then leaves xl only the
# frontend to clean up). A second refusal fails; a second success says so.
xl_detach() {
	local kind=$1 dom=$2 dev=$3 out err list be bdom
	XL_DETACH_NOTE=
	out=$(timeout 120 xl $kind-detach $dom $dev 2>&1) && { echo "$out"; return 0; }
	echo "$out"
	err=$(echo "$out" | grep -m1 -E 'error|timed out' | sed 's/^libxl: error: //' | cut -c1-100)
	echo "xl $kind-detach $dom $dev: ${err:-failed}; the devices now:"
	list=$(xl $kind-list $dom 2>&1)
	echo "$list"
	for be in $(echo "$list" | awk 'NR > 1 && $NF ~ /^\/local\/domain\// {print $NF}'); do
		echo "  $be: state $(xenstore-read $be/state 2>&1) online $(xenstore-read $be/online 2>&1)"
		bdom=${be#/local/domain/}
		bdom=$(xl domname ${bdom%%/*} 2>/dev/null)
	done
	[ -n "$bdom" ] && gexec $bdom 20 "tail -n 8 /lab/out/devd.log; devd_ensure" &&
		echo "$GOUT" | sed "s/^/  $bdom devd: /"
	sleep 15
	timeout 120 xl $kind-detach $dom $dev 2>&1 || {
		echo "xl $kind-detach $dom $dev failed twice, first: ${err:-?}"
		return 1
	}
	echo "xl $kind-detach $dom $dev: the second run passed (the first: ${err:-failed})"
	XL_DETACH_NOTE=" (xl's second run; the first: ${err:-failed})"
}

# blk_attach SPEC / blk_detach VDEV: hot-plug a client disk with xl, as an admin would.
xl_attach() {
	timeout 120 xl block-attach $1 "$2" 2>&1 || { echo "xl block-attach $1 '$2' failed"; return 1; }
	echo "attached $2 to $1"
}
blk_attach() { xl_attach client "$1"; }
blk_detach() {
	xl_detach block client "$1" || return 1
	gexec client 90 client_disk_gone $1 || { echo "$GOUT"; return 1; }
	echo "detached $1$XL_DETACH_NOTE"
}

# dom0 as the lab's host: Xen's daemons, the passthrough devices, the peer NIC.
dom0_up() {
	step "dom0: xen services"
	mkdir -p /run/xen /var/lib/xen /var/log/xen $OUT/console $OUT/bench
	export XENCONSOLED_ARGS="--log=guest --log-dir=$OUT/console"
	/etc/init.d/xen start >$OUT/xen-start.log 2>&1 || { cat $OUT/xen-start.log; return 1; }
	xl info | grep -E 'xen_version|virt_caps|total_memory|free_memory' | sed 's/^/  /'
	step "dom0: passthrough devices and the peer"
	# dom0's own backends serve the guests' root and payload disks.
	modprobe -a xen-blkback xen-netback xen-pciback
	# The driver domain's NVMe and e1000 go to pciback before dom0's own
	# drivers see them, on both machines (without an IOMMU ddctl passes
	# them on; xl cannot).
	# dd.cfg gets this machine's addresses in its pci= ($DD_CFG).
	local bdf pci=
	for bdf in $DD_PCI; do
		if [ "$HAS_IOMMU" = 1 ]; then
			xl pci-assignable-add $bdf || return 1
		else
			# xl's quarantine needs an IOMMU
			/lab/tools/ddctl assignable-add $bdf || return 1
		fi
		pci+="${pci:+, }\"$bdf\""
	done
	sed "s/^pci *=.*/pci = [ $pci ]/" /lab/tests/lab/xl/dd.cfg >$DD_CFG
	modprobe e1000
	modprobe -a ifb sch_tbf cls_matchall act_mirred 2>/dev/null
	local i=0
	while [ -z "$PEER_NIC" ] && [ $i -lt 40 ]; do
		for n in /sys/class/net/*; do
			[ "$(cat $n/address)" = 52:54:00:00:00:02 ] && PEER_NIC=$(basename $n)
		done
		sleep 0.25; i=$((i + 1))
	done
	[ -n "$PEER_NIC" ] || { echo "no peer NIC"; return 1; }
	ip link set $PEER_NIC up
	ip addr add $PEER_IP/24 dev $PEER_NIC
	ip -6 addr add fd99::1/64 dev $PEER_NIC 2>/dev/null
	netserver >/dev/null 2>&1 || { echo "netserver did not start"; return 1; }
	info "dom0 ready in $(($(date +%s) - T0)) s, peer $PEER_NIC $PEER_IP"
}

# crashed NAME: the guest is kept crashed (on_crash=preserve); xl list's state has a "c".
crashed() { [[ "$(xl list $1 2>/dev/null | awk 'NR == 2 {print $5}')" == *c* ]]; }

# gstart NAME [CONFIG]: create a guest from CONFIG (tests/lab/xl/NAME.cfg by
# default) and wait for its agent.
gstart() {
	local g=$1 cfg=${2:-/lab/tests/lab/xl/$1.cfg} i j dom d
	step "$g: xl create"
	if ! timeout 180 xl create $cfg >$OUT/xl-create-$g.log 2>&1; then
		cat $OUT/xl-create-$g.log | tail -n 20
		return 1
	fi
	dom=$(xl domid $g)
	RESTARTS=0
	for i in $(seq 180); do
		[ "$(xenstore-read /local/domain/$dom/data/lab/ready 2>/dev/null)" = 1 ] && {
			info "$g (domain $dom) up in $i s, $RESTARTS restart(s) during boot"
			eval "GDOM_$g=$dom"
			return 0
		}
		# A guest that reset itself before its agent ran (on_reboot=restart)
		# is gone for a moment, then back under a new domain id: follow it
		# and say so.
		d=
		for j in $(seq 20); do
			d=$(xl domid $g 2>/dev/null) && break
			sleep 0.5
		done
		[ -n "$d" ] || break
		if [ "$d" != "$dom" ]; then
			RESTARTS=$((RESTARTS + 1))
			info "$g restarted during boot: domain $dom -> $d ($(xl dmesg |
				grep -E "d${dom}v[0-9]+ (Triple fault|.*crash)" | tail -n1 | cut -c1-100))"
			dom=$d
		fi
		# on_crash=preserve keeps a crashed guest: stop waiting for it
		crashed $g && { echo "guest $g crashed"; break; }
		sleep 1
	done
	echo "guest $g: agent not ready"
	guest_tail $g 30
	return 1
}

# gstop NAME: power a guest off through its agent, destroy it if it hangs.
gstop() {
	local g=$1 i
	xl domid $g >/dev/null 2>&1 || return 0
	if crashed $g; then
		echo "guest $g crashed: destroying it"
		xl destroy $g
		return 0
	fi
	gexec $g 30 lab_poweroff >/dev/null
	for i in $(seq 60); do
		xl domid $g >/dev/null 2>&1 || return 0
		sleep 0.5
	done
	echo "guest $g did not power off: destroying it"
	xl destroy $g
}

# Traffic shaping of the peer's wire, both directions: cap_net RATE|off
cap_net() {
	tc qdisc del dev $PEER_NIC root 2>/dev/null
	tc qdisc del dev $PEER_NIC ingress 2>/dev/null
	tc qdisc del dev ifb0 root 2>/dev/null
	[ "$1" = off ] && return 0
	ip link set ifb0 up
	tc qdisc add dev $PEER_NIC root tbf rate $1 burst 64kb latency 50ms &&
	tc qdisc add dev $PEER_NIC handle ffff: ingress &&
	tc filter add dev $PEER_NIC parent ffff: matchall action mirred egress redirect dev ifb0 &&
	tc qdisc add dev ifb0 root tbf rate $1 burst 64kb latency 50ms
}

# QEMU's drive throttling of the NVMe, applied by the host runner: cap_blk BPS IOPS (0 0 = off)
cap_blk() {
	say throttle $1 $2
	sleep 2
}

# bench KIND ROW REGIME TEST REP GUEST CMD...: one figure with Xen's CPU time around it.
bench() {
	local id=$1.$2.$3.$4.$5 g=$6
	shift 6
	/lab/tools/ddstat >$OUT/bench/$id.pre
	gexec $g $((RUNTIME * 3 + 60)) "$@"
	local rc=$?
	/lab/tools/ddstat >$OUT/bench/$id.post
	echo "$GOUT" >$OUT/bench/$id.out
	[ $rc -eq 0 ] || { echo "bench $id failed: $GOUT" | tail -n 5; result FAIL bench-$id; }
	info "$id: $(echo "$GOUT" | tail -n1)"
}

finish() {
	step "dom0: shutting the guests down"
	gstop hostile
	gstop pvh
	gstop client
	gstop dd
	cp /var/log/xen/*.log $OUT/ 2>/dev/null
	pkill xenconsoled
	sleep 1
	info "lab done in $(($(date +%s) - T0)) s"
	sync
	mount -o remount,ro /lab 2>/dev/null
	sync
	say done
	echo o >/proc/sysrq-trigger
	sleep 60
}
