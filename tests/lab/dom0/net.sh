#!/bin/bash
# dom0 side of the network tests: ddnetback in the driver domain, ddnetfront
# in the clients, each also against upstream's other half. Sourced by main.sh.

CLIENT_MAC=00:16:3e:00:00:33	# client.cfg's vif
DOM0_VIF_MAC=00:16:3e:00:00:44	# a client vif served by dom0's xen-netback
PVH_MAC=00:16:3e:00:00:55
HOSTILE_MAC=00:16:3e:00:00:66
DD2_CLIENT_MAC=00:16:3e:00:00:77	# the client's vif from dd2 (restart tests)
DD2_NET=10.97.0	# dom0's bridge brdd2 (.1), dd2's uplink; the client's vif .2
DD_VIF="backend=dd bridge=br0"

# net_attach GUEST MAC [SPEC]: hot-plug a vif with xl (from the driver domain by
# default); xl takes the vif spec's key=value pairs as separate arguments.
net_attach() {
	timeout 120 xl network-attach $1 mac=$2 ${3:-$DD_VIF} 2>&1 ||
		{ echo "xl network-attach $1 mac=$2 ${3:-$DD_VIF} failed"; return 1; }
	echo "attached vif $2 (${3:-$DD_VIF}) to $1"
}

# net_detach GUEST MAC: unplug it with xl and wait until the guest lost the netdev
net_detach() {
	xl_detach network $1 $2 || return 1
	gexec $1 90 client_nic_gone $2 || { echo "$GOUT"; return 1; }
	echo "detached vif $2 from $1$XL_DETACH_NOTE"
}

# net_xfer NAME GUEST [HOST]: 16 MiB over TCP each way between the guest and
# dom0 (the lab's peer, or HOST on dom0's own bridge), compared by sha256.
net_xfer() {
	local name=$1 g=$2 host=${3:-$PEER_IP} sent got back want_back
	want $name || return 0
	step "$g: $name"
	rm -f /tmp/rx.bin
	(timeout 120 nc -l 5001 >/tmp/rx.bin) &
	sleep 0.5
	gexec $g 150 net_send 5001 16 $host
	wait
	sent=$(echo "$GOUT" | grep -m1 -o '^[0-9a-f]\{64\}')
	got=$(sha256sum </tmp/rx.bin | cut -c1-64)
	head -c 16M /dev/urandom >/tmp/tx.bin
	(timeout 120 nc -N -l 5002 </tmp/tx.bin) &
	sleep 0.5
	gexec $g 150 net_recv 5002 $host
	wait
	back=$(echo "$GOUT" | grep -m1 -o '^[0-9a-f]\{64\}')
	want_back=$(sha256sum </tmp/tx.bin | cut -c1-64)
	if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$back" = "$want_back" ]; then
		result PASS $name "16 MiB each way"
	else
		result FAIL $name "to dom0 ${sent:0:12}/${got:0:12}, from dom0 ${want_back:0:12}/${back:0:12}"
		return 1
	fi
}

# net_udp NAME GUEST: 200 datagrams of 1400 bytes to dom0, compared by sha256.
net_udp() {
	local name=$1 g=$2 sent got
	want $name || return 0
	step "$g: $name"
	rm -f /tmp/udp.rx
	(timeout 60 nc -u -l -W 200 5003 >/tmp/udp.rx) &
	sleep 0.5
	gexec $g 90 net_udp_send 5003 200
	sleep 1
	kill %% 2>/dev/null
	wait
	sent=$(echo "$GOUT" | grep -m1 -o '^[0-9a-f]\{64\}')
	got=$(sha256sum </tmp/udp.rx | cut -c1-64)
	if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
		result PASS $name "200 datagrams of 1400 bytes, sha256 ${sent:0:12}"
	else
		result FAIL $name "sent ${sent:0:12}, dom0 got ${got:0:12} ($(stat -c %s /tmp/udp.rx) bytes)"
	fi
}

# Swap the driver domain's network backend to ddnetback; with INTEROP=1,
# upstream xen-netfront first runs against it; then ddnetfront takes the vif.
net_to_ddstack() {
	dcheck net-detach-upstream net_detach client $CLIENT_MAC || return 1
	check ddnetback-load dd 60 net_backend ddstack || return 1
	if [ "${INTEROP:-0}" = 1 ]; then
		dcheck interop-netfront-ddnetback-attach net_attach client $CLIENT_MAC &&
		check interop-netfront-ddnetback-nic client 90 client_nic $CLIENT_MAC vif $CLIENT_IP &&
		net_xfer interop-netfront-ddnetback-sha256 client &&
		check interop-netfront-ddnetback-offloads-off client 30 net_offloads $CLIENT_MAC off &&
		net_xfer interop-netfront-ddnetback-offloads-off-sha256 client
		dcheck interop-netfront-ddnetback-detach net_detach client $CLIENT_MAC || return 1
	fi
	check ddnetfront-load client 60 net_frontend || return 1
	dcheck ddstack-net-attach net_attach client $CLIENT_MAC || return 1
	check ddstack-net-nic client 90 client_nic $CLIENT_MAC ddnetfront $CLIENT_IP
}

# MTU 9000 end to end: dom0's peer NIC, the driver domain's e1000, bridge and
# vif, the client's ddnetfront NIC; then back to 1500.
net_jumbo() {
	want ddstack-net-mtu9000 || return 0
	ip link set $PEER_NIC mtu 9000
	check ddstack-net-mtu9000-dd dd 30 dd_mtu 9000 &&
	check ddstack-net-mtu9000-client client 30 net_mtu $CLIENT_MAC 9000 &&
	check ddstack-net-mtu9000 client 60 net_ping $PEER_IP 8972 &&
	net_xfer ddstack-net-mtu9000-sha256 client
	gexec client 30 net_mtu $CLIENT_MAC 1500
	gexec dd 30 dd_mtu 1500
	ip link set $PEER_NIC mtu 1500
}

# Offloads off (checksums, SG, TSO/GSO) on the client's ddnetfront NIC, data
# checked, then on again and checked again.
net_offloads_test() {
	want ddstack-net-offloads || return 0
	check ddstack-net-offloads-off client 30 net_offloads $CLIENT_MAC off &&
	net_xfer ddstack-net-offloads-off-sha256 client
	check ddstack-net-offloads-on client 30 net_offloads $CLIENT_MAC on &&
	net_xfer ddstack-net-offloads-on-sha256 client
}

# Two queues: ddnetback reloaded with max_queues=2 (the driver domain has one
# vCPU, so it offers one by default), the client's 2 vCPUs take both.
net_mq() {
	want ddstack-net-mq || return 0
	dcheck ddstack-net-mq-detach net_detach client $CLIENT_MAC &&
	check ddstack-net-mq-backend dd 60 net_backend ddstack max_queues=2 &&
	# and ddnetfront not trusting it: every packet sent is copied to pages of its own
	gexec client 10 "echo 0 >/sys/module/ddnetfront/parameters/trusted" &&
	dcheck ddstack-net-mq-attach net_attach client $CLIENT_MAC &&
	check ddstack-net-mq-nic client 90 client_nic $CLIENT_MAC ddnetfront $CLIENT_IP &&
	check ddstack-net-mq-queues client 30 net_queues $CLIENT_MAC 2 &&
	check ddstack-net-mq-bounce client 30 "dmesg | grep -q 'backend not trusted' && echo bounce on" &&
	net_xfer ddstack-net-mq-sha256 client || return 1
	gexec client 10 "echo 1 >/sys/module/ddnetfront/parameters/trusted"
	# upstream xen-netfront with two queues against ddnetback, then ddnetfront again
	if want interop-netfront-ddnetback-mq; then
		dcheck interop-netfront-ddnetback-mq-detach net_detach client $CLIENT_MAC &&
		dcheck interop-netfront-ddnetback-mq-attach net_attach client $CLIENT_MAC &&
		check interop-netfront-ddnetback-mq-nic client 90 client_nic $CLIENT_MAC vif $CLIENT_IP &&
		check interop-netfront-ddnetback-mq-queues client 30 net_queues $CLIENT_MAC 2 &&
		net_xfer interop-netfront-ddnetback-mq-sha256 client
		dcheck interop-netfront-ddnetback-mq-detach2 net_detach client $CLIENT_MAC &&
		dcheck ddstack-net-mq-reattach net_attach client $CLIENT_MAC &&
		check ddstack-net-mq-renic client 90 client_nic $CLIENT_MAC ddnetfront $CLIENT_IP
	fi
}

# ddnetfront against upstream xen-netback in dom0, on a bridge of dom0's own
# (dom0 and the client have two vCPUs: two queues), offloads on, then off.
net_interop_dom0() {
	want interop-ddnetfront-netback || return 0
	ip link add brlab type bridge 2>/dev/null
	ip link set brlab up
	ip addr add 10.98.0.1/24 dev brlab 2>/dev/null
	dcheck interop-ddnetfront-netback-attach net_attach client $DOM0_VIF_MAC \
		"backend=0 bridge=brlab" &&
	check interop-ddnetfront-netback-nic client 90 client_nic $DOM0_VIF_MAC ddnetfront \
		10.98.0.3 10.98.0.1 &&
	check interop-ddnetfront-netback-queues client 30 net_queues $DOM0_VIF_MAC 2 &&
	net_xfer interop-ddnetfront-netback-sha256 client 10.98.0.1 &&
	check interop-ddnetfront-netback-offloads-off client 30 net_offloads $DOM0_VIF_MAC off &&
	net_xfer interop-ddnetfront-netback-offloads-off-sha256 client 10.98.0.1
	dcheck interop-ddnetfront-netback-detach net_detach client $DOM0_VIF_MAC
}

# Unload with vifs attached: the frontend (reload, rebind, ping), then the
# backend (reload; the client's vif comes back through it).
net_unload() {
	want ddstack-net-unload || return 0
	check ddstack-net-unload-frontend client 60 unload_attached ddnetfront xen &&
	check ddstack-net-unload-frontend-reload client 60 dd_insmod ddnetfront &&
	check ddstack-net-unload-frontend-rebind client 90 client_nic $CLIENT_MAC ddnetfront \
		$CLIENT_IP
	check ddstack-net-unload-backend dd 60 unload_attached ddnetback xen-backend &&
	check ddstack-net-unload-backend-reload dd 60 net_backend ddstack &&
	check ddstack-net-unload-backend-reconnect client 90 client_nic $CLIENT_MAC ddnetfront \
		$CLIENT_IP
}

scenario_check_ddstack_net() {
	INTEROP=1 net_to_ddstack || return
	check ddstack-net-ping client 30 net_ping $PEER_IP 1400
	check ddstack-net-ping6 client 30 net_ping fd99::1 1400 -6
	net_xfer ddstack-net-sha256 client
	net_udp ddstack-net-udp client
	check ddstack-net-netperf client 120 net_bench TCP_STREAM 5
	check ddstack-net-stats-front client 30 net_stats $CLIENT_MAC
	check ddstack-net-stats-back dd 30 dd_vif_stats $(xl domid client)
	net_jumbo
	net_offloads_test
	net_interop_dom0
	hostile_front ddstack net
	net_mq
	net_unload
	check ddstack-net-dd-kernel-clean dd 30 kernel_clean
	check ddstack-net-client-kernel-clean client 30 kernel_clean
}

NET_CHECK_TESTS="net-detach-upstream ddnetback-load interop-netfront-ddnetback-sha256
interop-netfront-ddnetback-offloads-off-sha256 interop-netfront-ddnetback-mq-queues
interop-netfront-ddnetback-mq-sha256 interop-ddnetfront-netback-queues
interop-ddnetfront-netback-offloads-off-sha256
ddnetfront-load ddstack-net-nic ddstack-net-ping ddstack-net-ping6 ddstack-net-sha256
ddstack-net-udp ddstack-net-netperf ddstack-net-stats-front ddstack-net-stats-back
ddstack-net-mtu9000 ddstack-net-mtu9000-sha256 ddstack-net-offloads-off-sha256
ddstack-net-offloads-on-sha256 interop-ddnetfront-netback-sha256 ddstack-net-mq-queues
net-hostile net-hostile-neighbour net-hostile-neighbour-measured net-hostile-dd-counters
net-hostile-dd-alive net-hostile-no-leak
ddstack-net-mq-bounce ddstack-net-mq-sha256 ddstack-net-unload-frontend-rebind ddstack-net-unload-backend-reload ddstack-net-unload-backend-reconnect
ddstack-net-dd-kernel-clean ddstack-net-client-kernel-clean"
