#!/bin/bash
# dom0's orchestrator: runs one lab scenario (run.conf's SCENARIO) end to end.
. /lab/run.conf
. /lab/tests/lab/guest/do.sh
. /lab/tests/lab/dom0/lib.sh
. /lab/tests/lab/dom0/net.sh
. /lab/tests/lab/dom0/dma.sh
. /lab/tests/lab/dom0/hostile.sh

NET_CAP=${NET_CAP:-100mbit}		# capped regime: the wire
BLK_CAP_BPS=${BLK_CAP_BPS:-20971520}	# capped regime: the NVMe, 20 MiB/s
BLK_CAP_IOPS=${BLK_CAP_IOPS:-300}	# and 300 IOPS
REGIMES=${REGIMES:-open capped}
NET_TESTS=${NET_TESTS:-TCP_STREAM TCP_MAERTS TCP_RR UDP_STREAM}
BLK_TESTS=${BLK_TESTS:-seqwrite seqread randread}

# The driver domain with its native drivers, then serving with the backends.
dd_up() {
	if [ "$HAS_IOMMU" = 1 ]; then
		gstart dd $DD_CFG || { result FAIL dd-boots "$STEP"; return 1; }
		result PASS dd-boots
		dcheck ddctl-refuses-with-iommu ddctl_refuses_iommu
	else
		# xl refuses pci= without an IOMMU: the driver domain starts
		# without it, and ddctl passes the devices through, after the
		# DMA pool is in place so that the native drivers probe on it.
		sed '/^pci *=/d' $DD_CFG >/tmp/dd-noiommu.cfg
		dcheck xl-refuses-pci xl_refuses_pci || return 1
		gstart dd /tmp/dd-noiommu.cfg || { result FAIL dd-boots "$STEP"; return 1; }
		result PASS dd-boots
		# swiotlb-xen first (measured against the pool in dma_compare)
		check dd-pcifront-ready dd 60 dd_pci_prepare || return 1
		dcheck ddctl-assign-nvme ddctl assign dd 0000:00:10.0 || return 1
		dcheck ddctl-assign-e1000 ddctl assign dd 0000:00:11.0 || return 1
		dcheck ddctl-refusals ddctl_refusals
	fi
	check native-drivers-probe dd 120 dd_native_probe || return 1
}
serve_client() {
	check backends-ready dd 120 dd_backends upstream || return 1
	gstart client || { result FAIL client-boots "$STEP"; return 1; }
	result PASS client-boots
	check client-devices client 180 client_setup
}

# Move the client's disk from upstream's block drivers to ddstack's:
# xvdb is detached, the driver domain swaps xen-blkback for ddblkback, and
# with INTEROP=1 upstream xen-blkfront first runs against ddblkback.
blk_to_ddstack() {
	local spec
	spec=$(dd_disk_spec)
	dcheck blk-detach-upstream blk_detach xvdb || return 1
	check ddblkback-load dd 60 blk_backend ddstack || return 1
	if [ "${INTEROP:-0}" = 1 ]; then
		dcheck interop-blkfront-ddblkback-attach blk_attach "$spec" &&
		check interop-blkfront-ddblkback-disk client 90 client_disk xvdb 51728 vbd &&
		check interop-blkfront-ddblkback-fio client 900 fio_verify /dev/xvdb randwrite 32M
		dcheck interop-blkfront-ddblkback-detach blk_detach xvdb || return 1
	elif [ "${INTEROP:-0}" = bench ]; then
		# which half costs what: upstream's frontend on ddstack's backend
		dcheck interop-blkfront-ddblkback-attach blk_attach "$spec" &&
		check interop-blkfront-ddblkback-disk client 90 client_disk xvdb 51728 vbd &&
		REGIMES=open BLK_TESTS=randread bench_rows blk upfront-ddback client
		dcheck interop-blkfront-ddblkback-detach blk_detach xvdb || return 1
	fi
	check ddblkfront-load client 60 blk_frontend ddstack || return 1
	dcheck ddstack-attach blk_attach "$spec" || return 1
	check ddstack-disk client 90 client_disk xvdb 51728 ddblkfront
}

# The same data read back in the driver domain, straight from the NVMe.
blk_reread() {
	local name=ddstack-dd-reread a b
	want $name || return 0
	step "client: $name"
	gexec client 120 blk_write /dev/xvdb 1024 8 && a=$(echo "$GOUT" | grep -o '^[0-9a-f]\{64\}')
	gexec dd 120 blk_read /dev/nvme0n1 1024 8 && b=$(echo "$GOUT" | grep -o '^[0-9a-f]\{64\}')
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		result PASS $name "8 MiB at 1 GiB, sha256 ${a:0:16}"
	else
		result FAIL $name "client wrote ${a:0:16}, driver domain read ${b:0:16}"
	fi
}

# ddblkfront against upstream xen-blkback in dom0, on a RAM disk.
blk_interop_dom0() {
	want interop-ddblkfront-blkback || return 0
	modprobe brd rd_nr=1 rd_size=131072
	dcheck interop-ddblkfront-blkback-attach blk_attach "phy:/dev/ram0,xvdc,w" &&
	check interop-ddblkfront-blkback-disk client 90 client_disk xvdc 51744 ddblkfront &&
	check interop-ddblkfront-blkback-fio client 900 fio_verify /dev/xvdc randwrite 32M
	dcheck interop-ddblkfront-blkback-detach blk_detach xvdc
}

# A PVH client (on the hostile guest's disks, after it has gone): ddblkfront
# against ddblkback on a file in the driver domain, ddnetfront against
# ddnetback through the bridge to the peer.
pvh_attempt() {
	local spec="format=raw,vdev=xvdb,access=rw,backend=dd,target=/var/tmp/pvh.img"
	gstart pvh || { result FAIL ddstack-pvh-boots "$STEP"; return 1; }
	result PASS ddstack-pvh-boots "$RESTARTS restart(s) during boot"
	dcheck ddctl-refuses-pvh expect_refusal 1 "is not PV" ddctl assign pvh 0000:00:10.0
	check ddstack-pvh-prepare-dd dd 60 "truncate -s 128M /var/tmp/pvh.img && echo ok" &&
	check ddstack-pvh-frontend pvh 60 blk_frontend ddstack &&
	dcheck ddstack-pvh-attach xl_attach pvh "$spec" &&
	check ddstack-pvh-disk pvh 90 client_disk xvdb 51728 ddblkfront &&
	check ddstack-pvh-fio-verify pvh 900 fio_verify /dev/xvdb randwrite 32M
	check ddstack-pvh-net-frontend pvh 60 net_frontend &&
	dcheck ddstack-pvh-net-attach net_attach pvh $PVH_MAC &&
	check ddstack-pvh-net-nic pvh 90 client_nic $PVH_MAC ddnetfront 10.99.0.5 &&
	net_xfer ddstack-pvh-net-sha256 pvh
	check ddstack-pvh-kernel-clean pvh 30 kernel_clean
}

# Under software emulation the PVH guest (every exit and nested page walk
# emulated) is sometimes reset by Xen or stops running altogether, at boot
# or later. When the first attempt failed that way (a new domain id, the
# agent gone silent, or xl create failed), the scenario runs once more on a
# fresh guest and its results say so; any other failure stands.
pvh_client() {
	want ddstack-pvh || return 0
	gstop hostile
	local why=
	DEFER=1 DEFER_FAILED= DEFERRED=
	pvh_attempt
	if [ -n "$DEFER_FAILED" ]; then
		if [[ "$DEFERRED" == "FAIL"$'\t'"ddstack-pvh-boots"* ]]; then
			why="was not created ($(grep -v '^ *$' $OUT/xl-create-pvh.log | tail -n 1 | cut -c1-120))"
		elif guest_restarted pvh; then
			why="restarted by Xen"
		elif [[ "$DEFERRED" == *"timeout: "*" in guest pvh "* ]]; then
			why="stopped answering"
		fi
	fi
	if [ -n "$why" ]; then
		info "pvh: first guest $why; results of that attempt:"
		echo "$DEFERRED" | sed 's/^/  /'
		xl destroy pvh 2>/dev/null
		sleep 2
		DEFERRED= DEFER_FAILED=
		pvh_attempt
		result_flush "second attempt: the first PVH guest $why"
	else
		result_flush
	fi
	gstop pvh
}

# ddblkfront and ddblkback again with multi-queue, multi-page rings and neither
# persistent grants nor indirect descriptors (the first pass used the defaults:
# one ring of one page, persistent grants, indirect descriptors).
blk_variant() {
	local spec
	spec=$(dd_disk_spec)
	want ddstack-mq || return 0
	dcheck ddstack-mq-detach blk_detach xvdb &&
	check ddstack-mq-backend dd 60 dd_reload ddblkback max_queues=2 &&
	check ddstack-mq-frontend client 60 dd_reload ddblkfront max_queues=2 \
		max_ring_page_order=2 feature_persistent=0 max_indirect_segments=0 &&
	dcheck ddstack-mq-attach blk_attach "$spec" &&
	check ddstack-mq-disk client 90 client_disk xvdb 51728 ddblkfront &&
	check ddstack-mq-features client 30 blk_features 51728 "rings 2 order 2 indirect 0 persistent 0" &&
	check ddstack-mq-fio-verify client 900 fio_verify /dev/xvdb randwrite 48M
}

# An untrusted backend (ddblkfront trusted=0, no persistent grants): data
# goes through the frontend's own zeroed pages, granted per request.
blk_bounce() {
	want ddstack-bounce || return 0
	dcheck ddstack-bounce-detach blk_detach xvdb &&
	check ddstack-bounce-frontend client 60 dd_reload ddblkfront feature_persistent=0 trusted=0 &&
	dcheck ddstack-bounce-attach blk_attach "$(dd_disk_spec)" &&
	check ddstack-bounce-disk client 90 client_disk xvdb 51728 ddblkfront &&
	check ddstack-bounce-features client 30 blk_features 51728 "bounce 1" &&
	check ddstack-bounce-fio-verify client 900 fio_verify /dev/xvdb randwrite 32M
}

# Module unload with devices attached: the frontend (then a reload reconnects
# to the same backend) and the backend in the middle of the client's fio
# verify (the client holds the disk and its requests in flight; the reloaded
# backend serves again, the held requests are sent again, fio verify passes).
blk_unload() {
	want ddstack-unload || return 0
	check ddstack-unload-frontend client 60 unload_attached ddblkfront xen xvdb &&
	check ddstack-unload-frontend-reload client 60 dd_insmod ddblkfront &&
	check ddstack-unload-frontend-rebind client 90 client_disk xvdb 51728 ddblkfront &&
	check ddstack-unload-frontend-fio client 600 fio_verify /dev/xvdb randwrite 16M
	check ddstack-backend-restart-start client 30 bg_start rfio fio_verify /dev/xvdb randwrite 128M ||
		return
	sleep 4
	check ddstack-unload-backend dd 60 unload_attached ddblkback xen-backend
	check ddstack-backend-restart-held client 30 blk_state 51728 held
	sleep 3
	check ddstack-unload-backend-reload dd 60 dd_insmod ddblkback
	check ddstack-backend-restart-fio client 900 bg_wait rfio 890
	check ddstack-backend-restart-reconnected client 30 blk_reconnected 51728
}

scenario_check_ddstack_blk() {
	INTEROP=1 blk_to_ddstack || return
	check ddstack-fio-verify-random client 900 fio_verify /dev/xvdb randwrite 48M
	check ddstack-fio-verify-seq client 900 fio_verify /dev/xvdb write 96M
	blk_reread
	blk_interop_dom0
	hostile_front ddstack blk
	blk_variant
	blk_bounce
	blk_unload
	dcheck ddstack-detach blk_detach xvdb
	check ddstack-dd-kernel-clean dd 30 kernel_clean
	check ddstack-client-kernel-clean client 30 kernel_clean
}

# Machine noiommu: ddstack's block and network pairs over the DMA pool, the
# part of the suite where the native drivers' DMA matters. What does not
# depend on how the driver domain reaches its hardware (interop, hostile
# guests, variants, unloads, PVH, restarts) runs on machine iommu only: the
# two machines together stay well inside CI's time.
scenario_check_pool_paths() {
	blk_to_ddstack || return
	check ddstack-fio-verify-random client 900 fio_verify /dev/xvdb randwrite 48M
	blk_reread
	dcheck ddstack-detach blk_detach xvdb
	net_to_ddstack || return
	check ddstack-net-ping client 30 net_ping $PEER_IP 1400
	net_xfer ddstack-net-sha256 client
	check ddstack-net-netperf client 120 net_bench TCP_STREAM 5
	check ddstack-net-stats-back dd 30 dd_vif_stats $(xl domid client)
	check ddstack-dd-kernel-clean dd 30 kernel_clean
	check ddstack-client-kernel-clean client 30 kernel_clean
}

# The minimal driver-domain image that dd2 boots (tools/ddos-image), made
# here in dom0 from the lab kernel's modules and ddstack's; ext4 for the
# payload that the lab agent runs from (tests/lab/guest/ddos-hook).
ddos_build() {
	/lab/tools/ddos-image --ko /lab/modules --backends "ddcore ddblkback ddnetback" \
		--bridge br0 --modules ext4 --hook /lab/tests/lab/guest/ddos-hook /var/tmp/ddos.img || return 1
	echo "image_kb $(du -k /var/tmp/ddos.img | cut -f1)" >>$OUT/recovery.txt
}

# dd2's disks, files in dom0, on the loop devices its configs name
dd2_loops() {
	local err l
	err=$(losetup /dev/loop6 /var/tmp/dd2-disk.img 2>&1; losetup /dev/loop7 /var/tmp/dd2-up.img 2>&1)
	l=$(losetup -n -O NAME,BACK-FILE -l 2>/dev/null | tr -s ' ' | tr '\n' ' ')
	[[ "$l" == *"/dev/loop6 /var/tmp/dd2-disk.img"* ]] &&
		[[ "$l" == *"/dev/loop7 /var/tmp/dd2-up.img"* ]] ||
		{ echo "loop devices: ${l:-none} ($err)"; return 1; }
	echo "$l"
}

# dd_boot_time CONFIG NAME: boot dd2 from CONFIG and time it from xl create
# to data/ddstack-ready, the moment ddctl supervise can re-point clients. An
# image that does not say ready by itself (Debian's) gets dd2_serve from the
# lab agent as soon as the agent runs.
dd_boot_time() {
	local cfg=$1 name=$2 t0 t1 dom served=0 end=$(($(date +%s) + 180)) secs
	t0=$(date +%s%N)
	timeout 180 xl create $cfg >$OUT/xl-create-dd2.log 2>&1 ||
		{ tail -n 5 $OUT/xl-create-dd2.log; return 1; }
	dom=$(xl domid dd2) || return 1
	while [ $(date +%s) -lt $end ]; do
		[ "$(xenstore-read /local/domain/$dom/data/ddstack-ready 2>/dev/null)" = 1 ] && break
		if [ $served = 0 ] &&
		   [ "$(xenstore-read /local/domain/$dom/data/lab/ready 2>/dev/null)" = 1 ]; then
			served=1
			gexec dd2 120 dd2_serve >/dev/null || { echo "$GOUT"; return 1; }
			continue
		fi
		sleep 0.2
	done
	t1=$(date +%s%N)
	[ "$(xenstore-read /local/domain/$dom/data/ddstack-ready 2>/dev/null)" = 1 ] ||
		{ echo "$name: dd2 not ready after 180 s"; return 1; }
	secs=$(awk -v ms=$(((t1 - t0) / 1000000)) 'BEGIN {printf "%.1f", ms / 1000}')
	echo "boot $name $secs" >>$OUT/recovery.txt
	echo "$name: $secs s from xl create to data/ddstack-ready"
}

# The two boot times side by side: dd_boot_times
dd_boot_times() {
	local deb min
	deb=$(awk '$1 == "boot" && $2 == "debian" {print $3}' $OUT/recovery.txt)
	min=$(awk '$1 == "boot" && $2 == "minimal" {print $3}' $OUT/recovery.txt)
	[ -n "$deb" ] && [ -n "$min" ] || { echo "no boot times"; return 1; }
	echo "minimal image $min s, Debian's initrd and root disk $deb s"
}

# A driver domain destroyed at random moments during the client's fio verify
# (write or read phase), DD_RESTARTS times in a row: ddctl supervise restarts
# it from its xl config and points the client's disk at the new domain;
# ddblkfront holds the requests in flight and sends them again there. The
# disk carries a mounted ext4 with fio verify's file and a writer of
# numbered O_DSYNC records: after the last restart fsck finds it clean and
# every acknowledged record is in dom0's backing file. The driver domain is
# dd2, which boots the minimal image and owns no hardware (see
# docs/recovery.md for why not dd). With DD_RESTART_UPSTREAM=1 (make
# bench-recovery) an upstream xen-blkfront disk from dd2 goes through the first
# disruption too, for build/bench/recovery.json.
dd_restart() {
	local i n=${DD_RESTARTS:-10} up=${DD_RESTART_UPSTREAM:-0} net=${DD_RESTART_NET:-1} spid old s sv started phase deb=1
	local again=$((n / 2))
	want dd-restart || return 0
	xl domid hostile >/dev/null 2>&1 && xl destroy hostile
	: >$OUT/recovery.txt
	modprobe loop 2>/dev/null
	rm -f /var/tmp/dd2-disk.img /var/tmp/dd2-up.img
	truncate -s 256M /var/tmp/dd2-disk.img /var/tmp/dd2-up.img
	# dd2's configs name them as /dev/loop6 and /dev/loop7
	losetup -d /dev/loop6 /dev/loop7 2>/dev/null
	dcheck dd-restart-loops dd2_loops || return
	# dd2's uplink: its own vif on dom0's bridge brdd2, which has netserver's address
	modprobe xen-netback 2>/dev/null
	# (an address of its own: a bridge takes its first port's, here dd2's
	# vif, fe:ff:ff:ff:ff:ff like every backend vif, which dd2's bridge, with
	# the client's vif in it, would take for its own and drop)
	ip link add brdd2 address 02:00:0a:61:00:01 type bridge 2>/dev/null
	ip addr replace $DD2_NET.1/24 dev brdd2 && ip link set brdd2 up
	dcheck dd-restart-image ddos_build || return
	# Debian's boot for comparison: make bench-recovery (about a minute)
	[ "$SCENARIO" = bench-recovery ] && want dd-boot || deb=0
	if [ $deb = 1 ]; then
		dcheck dd-boot-debian dd_boot_time /lab/tests/lab/xl/dd2-debian.cfg debian
		xl destroy dd2 2>/dev/null
	fi
	step "dd2: xl create (minimal image)"
	dcheck dd-restart-boot-minimal dd_boot_time /lab/tests/lab/xl/dd2.cfg minimal &&
	dcheck dd-restart-dd2-agent gnew dd2 none 120 || return
	[ $deb = 1 ] && info "driver domain boot, xl create to ready: $(dd_boot_times)"
	check dd-restart-serve dd2 60 dd2_serve || return
	check dd-restart-frontend client 60 blk_frontend ddstack || return
	dcheck dd-restart-attach xl_attach client "format=raw,vdev=xvdc,access=rw,backend=dd2,target=/dev/xvdb" &&
	check dd-restart-disk client 90 client_disk xvdc 51744 ddblkfront &&
	check dd-restart-ext4 client 120 ext4_mount /dev/xvdc /mnt/dd2 || return
	# the client's vif from dd2 on ddnetfront, to netserver in dom0 through dd2's bridge
	[ $net = 1 ] && { check dd-restart-net-frontend client 60 net_frontend &&
	dcheck dd-restart-net-attach net_attach client $DD2_CLIENT_MAC "backend=dd2 bridge=br0" &&
	check dd-restart-nic client 90 client_nic $DD2_CLIENT_MAC ddnetfront $DD2_NET.2 $DD2_NET.1 ||
		return; }
	if [ $up = 1 ]; then
		dcheck dd-restart-up-attach xl_attach client "format=raw,vdev=xvdd,access=rw,backend=dd2,target=/dev/xvdc" &&
		check dd-restart-up-disk client 90 client_disk xvdd 51760 vbd || up=0
	fi
	/lab/tools/ddctl supervise dd2 /lab/tests/lab/xl/dd2.cfg \
		$([ $up = 1 ] && echo --connect-timeout 30) >$OUT/supervise.log 2>&1 &
	spid=$!
	sleep 2
	check dd-restart-writer client 30 bg_start seqw seq_writer /mnt/dd2/seq.dat /tmp/seq.dd dd || return
	# the records from 64 MiB on: fio verify writes the disk's first 32 MiB
	[ $up = 1 ] && check dd-restart-up-writer client 30 bg_start sequp seq_writer /dev/xvdd /tmp/seq.up up 16384
	check dd-restart-fio-start client 30 bg_start rfio fio_loop /mnt/dd2/fio.dat 32M || return
	[ $net = 1 ] && { check dd-restart-netperf-start client 30 bg_start rnet net_loop $DD2_NET.1 20 ||
		return; }
	[ $up = 1 ] && check dd-restart-up-fio-start client 30 \
		bg_start ufio fio_verify /dev/xvdd randwrite 32M 6
	for i in $(seq $n); do
		sleep $((2 + RANDOM % 9))
		phase=unknown
		gexec client 10 io_phase xvdc && phase=$(echo "$GOUT" | tail -n 1 | awk '{print $1}')
		step "dom0: dd-restart-$i: xl destroy dd2 (fio's $phase phase)"
		started=$(grep -c ' started as domain ' $OUT/supervise.log)
		xl destroy dd2
		echo "phase $phase" >>$OUT/recovery.txt
		if [ $i = $again ]; then
			dcheck dd-restart-dies-again dd_die_again $started || break
			old=$(cat /tmp/dd-again.id)
		fi
		# the restarted dd2 serves by itself (the image's /init): nothing
		# here waits for its lab agent, which would only slow it down
		step "dom0: dd-restart-$i: ddctl supervise restarts dd2 and points the client there"
		s=
		sv_recovered $OUT/supervise.log $i 300 $spid &&
			s=$(sv_connected_s $OUT/supervise.log "vbd [0-9]*/51744" $i)
		if [ -n "$s" ]; then
			echo "ddstack recovery $s" >>$OUT/recovery.txt
			echo "ddstack supervisor $(grep '^recovery ' $OUT/supervise.log | sed -n "${i}p" | cut -d' ' -f2)" >>$OUT/recovery.txt
			sv=$(sv_connected_s $OUT/supervise.log "vif [0-9]*/[0-9]*" $i)
			[ -z "$sv" ] || echo "ddstack vif_recovery $sv" >>$OUT/recovery.txt
			result PASS dd-restart-$i-recovered "destroyed in fio's $phase phase; disk back $s s${sv:+, vif $sv s} after the destroy; $(grep '^ddctl: recovered' $OUT/supervise.log | tail -n 1 | cut -c8-)"
		else
			result FAIL dd-restart-$i-recovered "$(tail -n 4 $OUT/supervise.log | tr '\n' ' ')"
			break
		fi
		[ $i = $again ] && dcheck dd-restart-dies-again-recovered dd_again_recovered $old
		check dd-restart-$i-io-resumed client 90 io_resumed xvdc rfio || break
		[ $net = 1 ] && { check dd-restart-$i-net-resumed client 90 net_resumed $DD2_NET.1 rnet ||
			break; }
		[ $up = 1 ] && [ $i = 1 ] && dd_restart_upstream
	done
	gexec client 10 "touch /tmp/net.stop"
	check dd-restart-fio-verify client 300 loop_stop rfio /tmp/fio.stop 290
	[ $net = 1 ] && check dd-restart-netperf client 330 net_loop_done rnet
	info "destroys by fio phase: $(awk '$1 == "phase" {c[$2]++} END {for (p in c) printf "%s %d ", p, c[p]}' $OUT/recovery.txt)"
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	grep -E 'recovered|is gone|could not|error|did not' $OUT/supervise.log | head -n 24 | sed 's/^/  /'
	check dd-restart-writer-stop client 60 seq_stop seqw /tmp/seq.dd
	dcheck dd-restart-no-lost-writes seq_lost ddstack /var/tmp/dd2-disk.img dd
	check dd-restart-ext4-clean client 300 ext4_fsck /dev/xvdc /mnt/dd2
	check dd-restart-reconnected client 30 blk_reconnected 51744 $n
	echo "ddstack app_errors $(grep -c '^FAIL dd-restart-\(fio-verify\|netperf\|writer-stop\) ' $OUT/results.txt)" >>$OUT/recovery.txt
	if [ $up != 1 ]; then
		check dd-restart-client-clean client 30 kernel_clean
		dd_restart_refusals
		dcheck dd-restart-detach dd2_detach
	fi
	xl destroy dd2 2>/dev/null
}

# The restarted domain dies too, before it is ready: it is destroyed as soon
# as ddctl supervise has created it (STARTED: the supervisor's count of
# domains started before). The supervisor must try again after its backoff.
# The domain destroyed goes to /tmp/dd-again.id.
dd_die_again() {
	local started=$1 end=$(($(date +%s) + 120)) d
	while [ $(date +%s) -lt $end ]; do
		if [ $(grep -c ' started as domain ' $OUT/supervise.log) -gt $started ]; then
			d=$(grep -o ' started as domain [0-9]*' $OUT/supervise.log | tail -n 1 | awk '{print $4}')
			xl destroy $d || { echo "xl destroy $d failed"; return 1; }
			echo $d >/tmp/dd-again.id
			echo "destroyed the restarted dd2 (domain $d) during its boot"
			return 0
		fi
		sleep 0.3
	done
	echo "ddctl supervise started no new dd2 in 120 s: $(tail -n 3 $OUT/supervise.log)"
	return 1
}

# The supervisor saw the restarted domain (ID) die and recovered with its
# next attempt: dd_again_recovered ID
dd_again_recovered() {
	local l r
	l=$(grep -E "attempt 1 of [0-9]+ failed: .*domain $1 " $OUT/supervise.log | tail -n 1)
	[ -n "$l" ] || { echo "no failed attempt for domain $1: $(tail -n 6 $OUT/supervise.log)"; return 1; }
	r=$(grep '^ddctl: recovered' $OUT/supervise.log | tail -n 1)
	[[ "$r" == *"attempt 2" ]] || { echo "not recovered at attempt 2: $r"; return 1; }
	echo "${l#ddctl: }; then ${r#ddctl: }"
}

# What the first disruption did to the upstream xen-blkfront disk: fio's and
# the record writer's outcome (an error, or still blocked a minute later).
dd_restart_upstream() {
	local out
	if gexec client 90 bg_wait ufio 60; then
		echo "upstream app_errors 0" >>$OUT/recovery.txt
		info "upstream xen-blkfront: fio verify passed"
	else
		echo "upstream app_errors 1" >>$OUT/recovery.txt
		echo "$GOUT" | grep -q 'still running' && echo "upstream hung 1" >>$OUT/recovery.txt
		info "upstream xen-blkfront: $(echo "$GOUT" | tail -n 2 | tr '\n' ' ')"
	fi
	gexec client 30 "touch /tmp/seq.stop; cat /sys/block/xvdd/size 2>/dev/null || echo gone"
	info "upstream xen-blkfront after the destroy: xvdd size $(echo $GOUT)"
	out=$(seq_lost upstream /var/tmp/dd2-up.img up)
	info "upstream: $out"
	grep -q "^upstream recovery" $OUT/recovery.txt || echo "upstream recovered 0" >>$OUT/recovery.txt
}

# Every record the client's writer saw acknowledged is in dom0's backing file
# of the disk: seq_lost NAME IMAGE TAG (the count comes from the client's log
# /tmp/seq.TAG; the writer numbers its records from 0 and stops at an error).
seq_lost() {
	local name=$1 img=$2 tag=$3 acked found lost
	gexec client 30 "wc -l </tmp/seq.$tag" || { echo "$GOUT"; return 1; }
	acked=$(echo "$GOUT" | tail -n 1 | tr -dc 0-9)
	[ -n "$acked" ] || { echo "no count from the client: $GOUT"; return 1; }
	found=$(grep -a -o "ddstack-seq $tag [0-9]\{8\}" $img |
		awk -v k=$acked '{n = $3 + 0; if (n < k && !seen[n]++) c++} END {print c + 0}')
	lost=$((acked - found))
	echo "$name lost_writes $lost" >>$OUT/recovery.txt
	echo "$name acked $acked" >>$OUT/recovery.txt
	echo "$acked record(s) acknowledged, $found of them in $img, $lost lost"
	[ $lost = 0 ] && [ $acked -gt 0 ]
}

# The client's disk from dd2, whose domain is gone by now: xl block-detach,
# or what xl does when the backend cannot answer (the frontend's nodes go).
dd2_detach() {
	local fe
	fe=$(xl domid client)
	timeout 60 xl block-detach client xvdc >/dev/null 2>&1 ||
		xenstore-rm /local/domain/$fe/device/vbd/51744 /libxl/$fe/device/vbd/51744 2>/dev/null
	gexec client 90 client_disk_gone xvdc || { echo "$GOUT"; return 1; }
	# the vif: no backend can answer xl network-detach; its nodes go, as xl's would
	local v
	for v in $(xenstore-list /local/domain/$fe/device/vif 2>/dev/null); do
		[ "$(xenstore-read /local/domain/$fe/device/vif/$v/mac)" = $DD2_CLIENT_MAC ] &&
			xenstore-rm /local/domain/$fe/device/vif/$v /libxl/$fe/device/vif/$v
	done
	gexec client 90 client_nic_gone $DD2_CLIENT_MAC || { echo "$GOUT"; return 1; }
	echo "detached xvdc and the vif $DD2_CLIENT_MAC"
}

# ddctl supervise's bad input, each ending in a clear message: no such domain,
# a domain that is no driver domain, a missing config; then a config that
# fails to start: bounded attempts, a clear error, the client's disk held.
dd_restart_refusals() {
	local out rc
	supervise_refuses() {
		local want=$1 code=$2
		shift 2
		out=$(timeout 30 /lab/tools/ddctl supervise "$@" 2>&1)
		rc=$?
		[ $rc = $code ] && echo "$out" | grep -q "$want" &&
			{ echo "exit $rc: $(echo "$out" | head -n 1)"; return 0; }
		echo "exit $rc, wanted $code and '$want': $out"
		return 1
	}
	dcheck dd-restart-refuses-no-domain supervise_refuses "no domain nosuch" 2 \
		nosuch /lab/tests/lab/xl/dd2.cfg
	dcheck dd-restart-refuses-not-dd supervise_refuses "not a driver domain" 2 \
		client /lab/tests/lab/xl/dd2.cfg
	dcheck dd-restart-refuses-no-config supervise_refuses "/nonexistent" 2 \
		dd2 /nonexistent/dd2.cfg
	sed 's|^kernel = .*|kernel = "/nonexistent/vmlinuz"|' /lab/tests/lab/xl/dd2.cfg >/tmp/dd2-bad.cfg
	/lab/tools/ddctl supervise dd2 /tmp/dd2-bad.cfg --once --max-restarts 2 \
		>$OUT/supervise-bad.log 2>&1 &
	local spid=$! t
	sleep 2
	xl destroy dd2
	for t in $(seq 60); do
		kill -0 $spid 2>/dev/null || break
		sleep 1
	done
	wait $spid
	rc=$?
	if [ $rc = 3 ] && grep -q "could not be restarted after 2 attempt(s)" $OUT/supervise-bad.log; then
		result PASS dd-restart-bad-config "exit 3: $(grep 'could not be restarted' $OUT/supervise-bad.log | cut -c1-160)"
	else
		kill $spid 2>/dev/null
		result FAIL dd-restart-bad-config "exit $rc: $(tail -n 4 $OUT/supervise-bad.log | tr '\n' ' ')"
	fi
	check dd-restart-bad-config-held client 30 blk_state 51744 held
}

# ddctl supervise's log LOG says N recoveries, waited for up to SECONDS
# while the supervisor (PID) runs: sv_recovered LOG N SECONDS PID
sv_recovered() {
	local t
	for t in $(seq $3); do
		[ "$(grep -c '^recovery ' $1)" -ge $2 ] && return 0
		kill -0 $4 2>/dev/null || break
		sleep 1
	done
	[ "$(grep -c '^recovery ' $1)" -ge $2 ]
}

# Seconds from the driver domain's death to DEVICE connected again in the
# Nth recovery of ddctl supervise's log LOG (DEVICE a pattern such as
# "vbd [0-9]*/51744"), nothing if it did not connect in that one (in time
# for the supervisor's wait): sv_connected_s LOG DEVICE N
sv_connected_s() {
	awk -v n=$3 -v dev="$2" '
		/^ddctl: recovered / {k++; next}
		k == n - 1 && $0 ~ "^ddctl: " dev " connected to domain [0-9]+, [0-9.]+ s after" {
			sub(/ s after.*/, ""); print $NF; exit
		}' $1
}

# dom0: the CPU time each domain used in SECONDS, and the interrupts dom0
# took: cpu_split SECONDS
cpu_split() {
	local a b ia ib
	dev_irqs() {
		awk '/pirq|PCI/ {for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i}
			END {print n + 0}' /proc/interrupts
	}
	a=$(xl list | awk 'NR > 1 {print $1, $6}')
	ia=$(dev_irqs)
	sleep $1
	b=$(xl list | awk 'NR > 1 {print $1, $6}')
	ib=$(dev_irqs)
	printf '%s\n%s\n' "$a" "$b" | awk '{if ($1 in t) printf "%s %.1f, ", $1, $2 - t[$1]; else t[$1] = $2}'
	echo "dom0 device interrupts $((ib - ia))"
}

# dom0: ddctl supervise (log $OUT/supervise-dd.log) saw domain ID crash,
# within SECONDS: sv_saw_crash ID SECONDS
sv_saw_crash() {
	local end=$(($(date +%s) + $2))
	while [ $(date +%s) -lt $end ]; do
		grep "^ddctl: dd (domain $1) is gone (crashed)" $OUT/supervise-dd.log && return 0
		sleep 0.5
	done
	echo "no crash of domain $1 seen in $2 s: $(tail -n 2 $OUT/supervise-dd.log | tr '\n' ' ')"
	return 1
}

# dom0: each device given has a reset method (sysfs reset_method), which
# pciback uses when a destroyed domain gives the device back: pci_resettable BDF...
pci_resettable() {
	local bdf m all=
	for bdf in "$@"; do
		m=$(cat /sys/bus/pci/devices/$bdf/reset_method 2>/dev/null)
		[ -n "$m" ] || { echo "$bdf has no reset method"; return 1; }
		all+="${all:+; }$bdf: $m"
	done
	echo "reset methods: $all"
}

# The lab's dd itself, which owns the NVMe and the e1000 through pci=,
# crashes (a kernel panic) under the client's fio verify loop (on the NVMe,
# through ddblkback) and during a run of its netperf loop (through
# ddnetback, the bridge and the e1000). A crash, not xl destroy: xl destroy
# first unplugs the passed-through devices from the still running domain,
# whose native drivers then fail what they hold, and ddblkback answers
# those requests with errors, as it must for a disk that is gone. On a crash
# (the domain kept, on_crash = "preserve") ddctl supervise destroys it and
# restarts it from its xl config; pciback resets the devices it got back
# (a secondary bus reset: each sits alone behind a PCIe root port); the new
# dd's agent loads the unmodified native drivers and ddstack's backends
# again and says ready; the supervisor points the client's disk and vif
# there, and the client's loops go on without an error.
dd_hw_restart() {
	local spid old s sv
	want dd-hw-restart || return 0
	dcheck dd-hw-restart-resettable pci_resettable $DD_PCI || return
	# (attached still when the run is only this test)
	xenstore-read /local/domain/$(xl domid client)/device/vbd/51728/backend >/dev/null 2>&1 ||
		dcheck dd-hw-restart-attach blk_attach "$(dd_disk_spec)" &&
	check dd-hw-restart-disk client 90 client_disk xvdb 51728 ddblkfront || return
	old=$(xl domid dd)
	/lab/tools/ddctl supervise dd $DD_CFG --ready-timeout 400 >$OUT/supervise-dd.log 2>&1 &
	spid=$!
	sleep 2
	check dd-hw-restart-fio-start client 30 bg_start hfio fio_loop /dev/xvdb 32M &&
	check dd-hw-restart-netperf-start client 30 bg_start hnet net_loop $PEER_IP 60 ||
		{ kill $spid; return; }
	# in fio's run, and in a netperf run of 60 s (its TCP connections must
	# live on): the panic comes within 15 s or so
	check dd-hw-restart-netperf-run client 70 net_running || { kill $spid; return; }
	# (the agent's answer may come after the panic: the supervisor's word counts)
	step "dd: dd-hw-restart: kernel panic"
	gexec dd 10 dd_panic >/dev/null
	dcheck dd-hw-restart-panic sv_saw_crash $old 60 || { kill $spid; return; }
	step "dom0: dd-hw-restart: ddctl supervise restarts dd"
	dcheck dd-hw-restart-agent gnew dd $old 300 || { kill $spid; return; }
	# QEMU's NVMe model keeps its interrupt line held through the reset
	# (tests/lab/nvme-intx-clear.c): lowered here, before the new dd's
	# driver takes the device
	dcheck dd-hw-restart-nvme-intx /lab/tests/lab/nvme-intx-clear ${DD_PCI%% *}
	check dd-hw-restart-serve dd 300 dd_serve_again || { kill $spid; return; }
	info "CPU seconds used in 10 s after it served: $(cpu_split 10)"
	s= sv=
	if sv_recovered $OUT/supervise-dd.log 1 120 $spid; then
		s=$(sv_connected_s $OUT/supervise-dd.log "vbd [0-9]*/51728" 1)
		sv=$(sv_connected_s $OUT/supervise-dd.log "vif [0-9]*/[0-9]*" 1)
	fi
	if [ -n "$s" ] && [ -n "$sv" ]; then
		result PASS dd-hw-restart-recovered "crashed; disk back $s s, vif $sv s after; $(grep '^ddctl: recovered' $OUT/supervise-dd.log | tail -n 1 | cut -c8-)"
	else
		result FAIL dd-hw-restart-recovered "$(tail -n 6 $OUT/supervise-dd.log | tr '\n' ' ')"
	fi
	check dd-hw-restart-io-resumed client 90 io_resumed xvdb hfio &&
	check dd-hw-restart-net-resumed client 90 net_resumed $PEER_IP hnet
	gexec client 10 "touch /tmp/net.stop"
	check dd-hw-restart-fio-verify client 300 loop_stop hfio /tmp/fio.stop 290
	check dd-hw-restart-netperf client 330 net_loop_done hnet
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	grep -E 'recovered|is gone|could not|error|did not' $OUT/supervise-dd.log | head -n 8 | sed 's/^/  /'
	check dd-hw-restart-reconnected client 30 blk_reconnected 51728 1
	check dd-hw-restart-dd-kernel-clean dd 30 kernel_clean
	dcheck dd-hw-restart-detach blk_detach xvdb
}

# Flush honoured: data the client wrote and fsync'ed through ddstack is on the
# disk even though the driver domain is destroyed right after the fsync. The
# host runner compares the NVMe image itself after QEMU exits.
blk_flush_destroy() {
	local sha
	want ddstack-flush || return 0
	dcheck ddstack-flush-attach blk_attach "$(dd_disk_spec)" &&
	check ddstack-flush-disk client 90 client_disk xvdb 51728 ddblkfront || return
	step "client: ddstack-flush-destroy"
	if gexec client 120 blk_write /dev/xvdb 1536 4; then
		xl destroy dd
		sha=$(echo "$GOUT" | grep -o '^[0-9a-f]\{64\}')
		say hostcheck ddstack-flush-survives-dd-destroy 1536 4 $sha
		result PASS ddstack-flush-write "4 MiB written and fsync'ed, then dd destroyed"
	else
		result FAIL ddstack-flush-write "$GOUT"
	fi
}

CHECK_TESTS="dd-boots native-drivers-probe native-net backends-ready client-boots client-devices
blk-fio-verify-random blk-fio-verify-seq net-ping-peer net-tcp-sha256 net-netperf
blk-detach-upstream ddblkback-load interop-blkfront-ddblkback-fio ddblkfront-load ddstack-attach
ddstack-disk ddstack-fio-verify-random ddstack-fio-verify-seq ddstack-dd-reread
interop-ddblkfront-blkback-fio blk-hostile blk-hostile-neighbour blk-hostile-neighbour-measured
blk-hostile-dd-counters blk-hostile-dd-alive blk-hostile-no-leak
ddstack-pvh-boots ddstack-pvh-disk ddstack-pvh-fio-verify ddstack-pvh-net-nic ddstack-pvh-net-sha256
ddstack-pvh-kernel-clean
ddstack-mq-features ddstack-mq-fio-verify ddstack-bounce-features ddstack-bounce-fio-verify ddstack-unload-frontend-fio ddstack-unload-backend-reload
ddstack-backend-restart-held ddstack-backend-restart-fio ddstack-backend-restart-reconnected ddstack-detach ddstack-dd-kernel-clean
ddstack-client-kernel-clean ddstack-flush-write"

POOL_CHECK_TESTS="dd-boots native-drivers-probe native-net backends-ready client-boots client-devices
blk-fio-verify-random blk-fio-verify-seq net-ping-peer net-tcp-sha256 net-netperf
blk-detach-upstream ddblkback-load ddblkfront-load ddstack-attach ddstack-disk
ddstack-fio-verify-random ddstack-dd-reread ddstack-detach net-detach-upstream ddnetback-load
ddnetfront-load ddstack-net-nic ddstack-net-ping ddstack-net-sha256 ddstack-net-netperf
ddstack-net-stats-back ddstack-dd-kernel-clean ddstack-client-kernel-clean ddstack-flush-write"

scenario_check() {
	dd_up || return
	gexec dd 60 fio_bench /dev/nvme0n1 randread 5 && info "dd native nvme 4k randread: $GOUT"
	check native-net dd 60 dd_net_native
	[ "$HAS_IOMMU" = 1 ] || dma_compare
	serve_client || return
	check blk-fio-verify-random client 900 fio_verify /dev/xvdb randwrite 48M
	check blk-fio-verify-seq client 900 fio_verify /dev/xvdb write 96M
	check net-ping-peer client 60 "ping -c 5 -i 0.3 $PEER_IP"
	net_xfer net-tcp-sha256 client
	check net-netperf client 120 net_bench TCP_STREAM 5
	if [ "$HAS_IOMMU" = 1 ]; then
		# the same hostile frontends against upstream's backends, for hostile.json
		hostile_front upstream blk
		hostile_front upstream net
	fi
	if [ "$HAS_IOMMU" = 1 ]; then
		scenario_check_ddstack_blk
		scenario_check_ddstack_net
		# the hostile backends run in user space and attack the client's
		# frontends: nothing of theirs depends on the machine's IOMMU
		hback_blk
		hback_net
		pvh_client
		dd_restart
		dd_hw_restart
	else
		scenario_check_pool_paths
	fi
	if [ "$HAS_IOMMU" != 1 ] && [ "${DMA_POOL:-1}" = 1 ]; then
		check dma-pool-report dd 30 dd_pool_report
		check dma-pool-unload-refused dd 30 dd_pool_unload_refused
		check dma-pool-exhaustion dd 240 dd_pool_exhaust
	fi
	if [ "$HAS_IOMMU" != 1 ]; then
		# the reverse of ddctl assign, and assign again (the network is
		# done with; the disk stays for the last test)
		dcheck ddctl-detach-e1000 ddctl detach dd 0000:00:11.0 &&
		check ddctl-detach-e1000-gone dd 60 dd_e1000_is gone &&
		check ddctl-detach-nvme-unaffected dd 60 \
			"dd if=/dev/nvme0n1 of=/dev/null bs=1M count=16 iflag=direct status=none && echo nvme reads" &&
		dcheck ddctl-reassign-e1000 ddctl assign dd 0000:00:11.0 &&
		check ddctl-reassign-e1000-probes dd 90 dd_e1000_is back
	fi
	blk_flush_destroy	# last: the driver domain does not survive it
}

# bench_rows KIND ROW GUEST [HOST]: every test, regime and repetition of one
# row (network: netperf from GUEST to HOST, the peer by default).
bench_rows() {
	local kind=$1 row=$2 g=$3 host=${4:-$PEER_IP} regime t rep
	for regime in $REGIMES; do
		step "$g: bench $kind $row $regime"
		if [ $regime = capped ]; then
			[ $kind = net ] && cap_net $NET_CAP
			[ $kind = blk ] && cap_blk $BLK_CAP_BPS $BLK_CAP_IOPS
		fi
		for t in $([ $kind = net ] && echo $NET_TESTS || echo $BLK_TESTS); do
			for rep in $(seq $REPS); do
				if [ $kind = net ]; then
					bench net $row $regime $t $rep $g net_bench $t $RUNTIME $host
				else
					bench blk $row $regime $t $rep $g fio_bench \
						$([ $row = native ] && echo /dev/nvme0n1 || echo /dev/xvdb) $t $RUNTIME
				fi
			done
		done
		[ $kind = net ] && cap_net off
		[ $kind = blk ] && [ $regime = capped ] && cap_blk 0 0
	done
}

scenario_bench() {
	local kind=$1
	{
		echo "net $NET_CAP"
		echo "blk_bps $BLK_CAP_BPS"
		echo "blk_iops $BLK_CAP_IOPS"
		echo "reps $REPS"
		echo "runtime $RUNTIME"
	} >$OUT/cap.txt
	dd_up || return
	check native-net dd 60 dd_net_native || return
	bench_rows $kind native dd
	serve_client || return
	bench_rows $kind upstream client
	if [ $kind = blk ]; then
		INTEROP=bench blk_to_ddstack || return
		bench_rows blk ddstack client
		# and ddstack's frontend on upstream's backend
		dcheck blk-detach-ddstack blk_detach xvdb &&
		check blkback-reload dd 60 blk_backend upstream &&
		dcheck ddfront-upback-attach blk_attach "$(dd_disk_spec)" &&
		check ddfront-upback-disk client 90 client_disk xvdb 51728 ddblkfront &&
		REGIMES=open BLK_TESTS=randread bench_rows blk ddfront-upback client
	else
		# client to the driver domain itself (its bridge address): no wire,
		# so no cap either
		check dd-netserver dd 30 "netserver >/dev/null 2>&1; pgrep -x netserver >/dev/null && echo netserver up"
		REGIMES=open bench_rows net upstream-dd client $DD_IP
		net_to_ddstack || return
		bench_rows net ddstack client
		REGIMES=open bench_rows net ddstack-dd client $DD_IP
	fi
	result PASS bench-$kind-complete
}

if dom0_up; then
	result PASS dom0-xen-up
	case "$SCENARIO" in
	check)
		scenario_check
		# A test that an earlier failure kept from running counts as failed.
		if [ "$HAS_IOMMU" = 1 ]; then
			CHECK_TESTS+=" ddctl-refuses-with-iommu dd-restart-loops dd-restart-image dd-restart-boot-minimal"
			CHECK_TESTS+=" dd-restart-dd2-agent dd-restart-frontend"
			CHECK_TESTS+=" dd-restart-serve dd-restart-attach dd-restart-disk dd-restart-ext4"
			CHECK_TESTS+=" dd-restart-writer dd-restart-fio-start dd-restart-fio-verify"
			[ "${DD_RESTART_NET:-1}" = 1 ] &&
				CHECK_TESTS+=" dd-restart-net-frontend dd-restart-net-attach dd-restart-nic dd-restart-netperf-start dd-restart-netperf"
			CHECK_TESTS+=" dd-restart-writer-stop dd-restart-no-lost-writes"
			CHECK_TESTS+=" dd-restart-ext4-clean dd-restart-dies-again dd-restart-dies-again-recovered"
			CHECK_TESTS+=" dd-restart-reconnected dd-restart-client-clean dd-restart-detach"
			CHECK_TESTS+=" dd-restart-refuses-no-domain dd-restart-refuses-not-dd"
			CHECK_TESTS+=" dd-restart-refuses-no-config dd-restart-bad-config dd-restart-bad-config-held"
			CHECK_TESTS+=$(printf ' dd-hw-restart-%s' resettable disk fio-start netperf-start \
				netperf-run panic agent nvme-intx serve recovered io-resumed net-resumed \
				fio-verify netperf reconnected dd-kernel-clean detach)
			for i in $(seq ${DD_RESTARTS:-10}); do
				CHECK_TESTS+=" dd-restart-$i-recovered dd-restart-$i-io-resumed"
				[ "${DD_RESTART_NET:-1}" = 1 ] && CHECK_TESTS+=" dd-restart-$i-net-resumed"
			done
		else
			CHECK_TESTS="$POOL_CHECK_TESTS" NET_CHECK_TESTS=
			CHECK_TESTS+=" xl-refuses-pci dd-pcifront-ready ddctl-assign-nvme ddctl-assign-e1000 ddctl-refusals"
			CHECK_TESTS+=" dma-workload-swiotlb ddctl-detach-e1000 ddctl-detach-e1000-gone"
			CHECK_TESTS+=" ddctl-detach-nvme-unaffected ddctl-reassign-e1000 ddctl-reassign-e1000-probes"
			[ "${DMA_POOL:-1}" = 1 ] &&
				CHECK_TESTS+=" dma-pool-too-large dma-pool-switch dma-pool-reload dma-pool-attached dma-workload-pool dma-bounces dma-pool-report dma-pool-unload-refused dma-pool-exhaustion"
		fi
		[ "$HAS_IOMMU" = 1 ] || HBACK_CHECK_TESTS=
		for t in $CHECK_TESTS $NET_CHECK_TESTS $HBACK_CHECK_TESTS; do
			want $t && ! grep -q "^[A-Z]* $t\b" $OUT/results.txt &&
				result FAIL $t "not run: an earlier step failed"
		done
		;;
	demo) REGIMES=open NET_TESTS="TCP_STREAM TCP_MAERTS TCP_RR" scenario_bench net ;;
	bench-net) scenario_bench net ;;
	bench-blk) scenario_bench blk ;;
	bench-dma)
		if [ "$HAS_IOMMU" = 1 ]; then
			result FAIL bench-dma "needs the machine without an IOMMU (--machine noiommu)"
		else
			scenario_bench_dma
		fi ;;
	bench-recovery)
		# ddstack's frontend and upstream's through the same destroys of
		# the driver domain (recovery.json)
		if [ "$HAS_IOMMU" != 1 ]; then
			result FAIL bench-recovery "needs the machine with an IOMMU (the driver domain dd boots with pci=)"
		elif dd_up && serve_client; then
			DD_RESTART_UPSTREAM=1 dd_restart
			grep -q '^upstream ' $OUT/recovery.txt && grep -q '^ddstack recovery' $OUT/recovery.txt &&
				result PASS bench-recovery-complete
		fi ;;
	*) result FAIL scenario "unknown scenario $SCENARIO" ;;
	esac
else
	result FAIL dom0-xen-up "$STEP"
fi
finish
