# dom0 side of the machine without an IOMMU: xl's refusal, ddctl's passthrough
# and its refusals, and the driver domain's DMA pool.

ddctl() { /lab/tools/ddctl "$@"; }

# expect_refusal RC TEXT CMD...: CMD exits with RC and says TEXT.
expect_refusal() {
	local want=$1 text=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc != $want ] || [[ "$out" != *"$text"* ]]; then
		echo "'$*' gave rc $rc (want $want): $out"
		return 1
	fi
	echo "refused: $*: ${out##*: }" | head -n1
}

# Xen's toolstack refuses passthrough here; that is what ddctl exists for.
xl_refuses_pci() {
	# the driver domain's config under another name, without its disks
	sed -e 's/^name *=.*/name = "dd-refused"/' -e '/^disk *=/d' \
		$DD_CFG >/tmp/dd-refused.cfg
	grep -q '^pci' /tmp/dd-refused.cfg || { echo "no pci= in dd.cfg"; return 1; }
	local out rc
	out=$(timeout 120 xl create /tmp/dd-refused.cfg 2>&1)
	rc=$?
	xl destroy dd-refused >/dev/null 2>&1
	if [ $rc = 0 ]; then
		echo "xl created a domain with pci= on a host without an IOMMU"
		return 1
	fi
	echo "xl refused pci= (rc $rc): $(echo "$out" | grep -m1 -i -E 'passthrough|iommu|pci' | cut -c1-120)"
}

# Every refusal names its reason; none of them changes anything.
ddctl_refusals() {
	local no_pciback
	# a device of dom0's own that pciback does not hold (the host bridge)
	no_pciback=$(for d in /sys/bus/pci/devices/*; do
		[[ " $DD_PCI " == *" ${d##*/} "* ]] || { echo ${d##*/}; break; }
	done)
	expect_refusal 1 "bad PCI address" ddctl assign dd 00:10 &&
	expect_refusal 1 "no domain 'nosuchdomain'" ddctl assign nosuchdomain 0000:00:10.0 &&
	expect_refusal 1 "domain 0 owns" ddctl assign 0 0000:00:10.0 &&
	expect_refusal 1 "no PCI device 0000:00:1e.7" ddctl assign dd 0000:00:1e.7 &&
	expect_refusal 1 "not to pciback" ddctl assign dd $no_pciback &&
	expect_refusal 1 "already passed through" ddctl assign dd 0000:00:10.0 &&
	expect_refusal 1 "is not passed through" ddctl detach dd $no_pciback &&
	expect_refusal 1 "unknown command" ddctl frobnicate &&
	ddctl --help | grep -q "trusted with the whole machine" &&
	echo "ddctl refused 8 bad requests, each with its reason" &&
	ddctl list dd
}

# With an IOMMU, ddctl points to xl instead.
ddctl_refuses_iommu() {
	expect_refusal 1 "has an IOMMU" ddctl assign dd ${DD_PCI%% *}
}

# The DMA-heavy workload in the driver domain under swiotlb-xen, then on the
# pool (the devices move over), in one boot; dma-bounces reports both counts.
dma_compare() {
	local sw pool sb pb
	ip link set $PEER_NIC mtu 9000
	check dma-workload-swiotlb dd 900 dd_dma_workload swiotlb && sw=$GOUT
	if [ "${DMA_POOL:-1}" = 1 ]; then
		check dma-pool-too-large dd 60 dd_pool_too_large
		check dma-pool-switch dd 180 dd_pool_switch &&
		check dma-pool-reload dd 240 dd_pool_reload &&
		check dma-pool-attached dd 30 dd_pool_attached &&
		check dma-workload-pool dd 900 dd_dma_workload pool && pool=$GOUT
	fi
	ip link set $PEER_NIC mtu 1500
	[ "${DMA_POOL:-1}" = 1 ] && want dma-bounces || return 0
	sb=$(echo "$sw" | grep -o ' bounced=[0-9]*' | cut -d= -f2)
	pb=$(echo "$pool" | grep -o ' bounced=[0-9]*' | cut -d= -f2)
	# A measurement, not a target: the same 768 MiB moved in both modes.
	if [ -z "$sb" ] || [ -z "$pb" ]; then
		result FAIL dma-bounces "no counts: swiotlb-xen '$sb', pool '$pb'"
	else
		result PASS dma-bounces "bounced mappings for the same 768 MiB of DMA: pool $pb ($(echo "$pool" |
			grep -o 'above_mask=[0-9]* scattered=[0-9]*')), swiotlb-xen $sb"
	fi
}

# make bench-dma: REPS rounds under swiotlb-xen, then the pool comes and REPS
# rounds over it, in one boot (the pool is loaded once: its memory, and what
# lowmem_mb moved, stay in the driver domain after an unload).
scenario_bench_dma() {
	local rep mode
	dd_up || return
	check native-net dd 60 dd_net_native || return
	ip link set $PEER_NIC mtu 9000
	for mode in swiotlb pool; do
		if [ $mode = pool ]; then
			check dma-pool-switch dd 180 dd_pool_switch || break
			check dma-pool-attached dd 30 dd_pool_attached || break
		fi
		for rep in $(seq $REPS); do
			check dma-workload-$mode-$rep dd 900 dd_dma_workload $mode || break 2
			echo "$GOUT" | tail -n1 >$OUT/bench/dma-$mode-$rep.out
		done
	done
	ip link set $PEER_NIC mtu 1500
	check dma-pool-report dd 30 dd_pool_report
	result PASS bench-dma-complete
}
