#!/bin/bash
# dom0's orchestrator: runs one lab scenario (run.conf's SCENARIO) end to end.
. /lab/run.conf
. /lab/tests/lab/guest/do.sh
. /lab/tests/lab/dom0/lib.sh

# Which modules serve the client (STACK=upstream: Linux's own split drivers).
case "$STACK" in
upstream) DD_MODULES=""; CLIENT_MODULES="" ;;
*) DD_MODULES=${DD_MODULES:-}; CLIENT_MODULES=${CLIENT_MODULES:-} ;;
esac
NET_CAP=${NET_CAP:-100mbit}		# capped regime: the wire
BLK_CAP_BPS=${BLK_CAP_BPS:-31457280}	# capped regime: the NVMe, 30 MiB/s
BLK_CAP_IOPS=${BLK_CAP_IOPS:-1500}	# and 1500 IOPS
REGIMES=${REGIMES:-open capped}
NET_TESTS=${NET_TESTS:-TCP_STREAM TCP_MAERTS TCP_RR UDP_STREAM}
BLK_TESTS=${BLK_TESTS:-seqwrite seqread randread}

# The driver domain with its native drivers, then serving with the backends.
dd_up() {
	gstart dd || { result FAIL dd-boots "$STEP"; return 1; }
	result PASS dd-boots
	check native-drivers-probe dd 120 dd_native_probe || return 1
}
serve_client() {
	check backends-ready dd 120 dd_backends $STACK "'$DD_MODULES'" || return 1
	gstart client || { result FAIL client-boots "$STEP"; return 1; }
	result PASS client-boots
	check client-devices client 180 client_setup $STACK "'$CLIENT_MODULES'"
}

# A file each way between the client and the peer, compared by sha256.
net_sha256() {
	local name=net-tcp-sha256 sent got
	want $name || return 0
	step "client: $name"
	rm -f /tmp/rx.bin
	(timeout 120 nc -l 5001 >/tmp/rx.bin) &
	sleep 0.5
	gexec client 150 net_send 5001 16
	wait
	sent=$(echo "$GOUT" | grep -m1 -o '^[0-9a-f]\{64\}')
	got=$(sha256sum </tmp/rx.bin | cut -c1-64)
	head -c 16M /dev/urandom >/tmp/tx.bin
	(timeout 120 nc -N -l 5002 </tmp/tx.bin) &
	sleep 0.5
	gexec client 150 net_recv 5002
	wait
	local back want_back
	back=$(echo "$GOUT" | grep -m1 -o '^[0-9a-f]\{64\}')
	want_back=$(sha256sum </tmp/tx.bin | cut -c1-64)
	if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$back" = "$want_back" ]; then
		result PASS $name "16 MiB each way"
	else
		result FAIL $name "to peer ${sent:0:12}/${got:0:12}, from peer ${want_back:0:12}/${back:0:12}"
	fi
}

CHECK_TESTS="dd-boots native-drivers-probe native-net backends-ready client-boots client-devices
blk-fio-verify-random blk-fio-verify-seq net-ping-peer net-tcp-sha256 net-netperf"

scenario_check() {
	dd_up || return
	check native-net dd 60 dd_net_native
	serve_client || return
	check blk-fio-verify-random client 900 fio_verify /dev/xvdb randwrite 48M
	check blk-fio-verify-seq client 900 fio_verify /dev/xvdb write 96M
	check net-ping-peer client 60 "ping -c 5 -i 0.3 $PEER_IP"
	net_sha256
	check net-netperf client 120 net_bench TCP_STREAM 5
}

# bench_rows KIND ROW GUEST: every test, regime and repetition of one row.
bench_rows() {
	local kind=$1 row=$2 g=$3 regime t rep
	for regime in $REGIMES; do
		step "$g: bench $kind $row $regime"
		if [ $regime = capped ]; then
			[ $kind = net ] && cap_net $NET_CAP
			[ $kind = blk ] && cap_blk $BLK_CAP_BPS $BLK_CAP_IOPS
		fi
		for t in $([ $kind = net ] && echo $NET_TESTS || echo $BLK_TESTS); do
			for rep in $(seq $REPS); do
				if [ $kind = net ]; then
					bench net $row $regime $t $rep $g net_bench $t $RUNTIME
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
		echo "stack $STACK"
	} >$OUT/cap.txt
	dd_up || return
	check native-net dd 60 dd_net_native || return
	bench_rows $kind native dd
	serve_client || return
	bench_rows $kind $STACK client
	result PASS bench-$kind-complete
}

if dom0_up; then
	result PASS dom0-xen-up
	case "$SCENARIO" in
	check)
		scenario_check
		# A test that an earlier failure kept from running counts as failed.
		for t in $CHECK_TESTS; do
			want $t && ! grep -q "^[A-Z]* $t\b" $OUT/results.txt &&
				result FAIL $t "not run: an earlier step failed"
		done
		;;
	demo) REGIMES=open NET_TESTS="TCP_STREAM TCP_MAERTS TCP_RR" scenario_bench net ;;
	bench-net) scenario_bench net ;;
	bench-blk) scenario_bench blk ;;
	*) result FAIL scenario "unknown scenario $SCENARIO" ;;
	esac
else
	result FAIL dom0-xen-up "$STEP"
fi
finish
