// SPDX-License-Identifier: GPL-2.0
/*
 * dddmapool: DMA for passed-through PCI devices of a PV driver domain,
 * without an IOMMU and without bouncing every buffer.
 *
 * In a PV guest a pseudo-physical page (pfn) sits on an arbitrary machine
 * frame (mfn), and devices see machine addresses.  At load the module
 * builds a pool of pages whose pfn equals their mfn ("1:1"): it trades
 * page allocator chunks for machine-contiguous extents with
 * XENMEM_exchange, claims the pfns equal to the new frames with
 * alloc_contig_range() and swaps the two backings (pool.c).  Attached
 * devices (attach.c) get DMA operations (ops.c) whose coherent memory
 * comes from the pool, so its address is the same to the CPU's page tables
 * and to the device, and whose streaming mappings use a buffer in place
 * when its machine frames are contiguous and below the device's mask
 * (nearly every single-page buffer, and grant-mapped pages of other
 * domains), and otherwise bounce through the pool.  The decisions are
 * pure functions (ddp_logic.c, unit tested in user space); statistics are
 * in /sys/kernel/dddmapool and /sys/kernel/debug/dddmapool/stats
 * (stats.c).
 *
 * A buffer above a device's mask is bounced however its frames lie, and
 * ordinary buffers come from the page allocator: in a domain whose memory
 * Xen placed above 4 GiB, every buffer of a 32-bit device would bounce.
 * With lowmem_mb set, the module then trades the machine frames of the
 * domain's free and movable memory for frames below 2^addr_bits (pool.c,
 * ddp_lowmem_move()): it walks the domain's pfns a 2 MiB block at a time,
 * claims each block that is not low yet with alloc_contig_range() and
 * exchanges its frames, so that later network, page cache, block and slab
 * memory lies low and maps in place.  This runs after the pool is built,
 * so the pool has the first pick of Xen's memory below the limit; memory
 * in use that cannot move stays where it is; it is best effort (the module
 * loads whatever it achieved), and the moved memory stays low after the
 * module is unloaded.
 *
 * Load it before the devices' drivers probe: devices already bound keep
 * their DMA operations until rebound.  It cannot be unloaded while a
 * driver is bound to an attached device or a pool allocation is live.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <xen/features.h>
#include <xen/xen.h>

#include "dddmapool.h"

static unsigned int pool_mb = 16;
module_param(pool_mb, uint, 0444);
MODULE_PARM_DESC(pool_mb, "Size of the 1:1 DMA pool in MiB (default 16)");

static unsigned int addr_bits = 32;
module_param(addr_bits, uint, 0444);
MODULE_PARM_DESC(addr_bits,
		 "The pool lies below 2^addr_bits machine address (default 32)");

static unsigned int chunk_order = 9;
module_param(chunk_order, uint, 0444);
MODULE_PARM_DESC(chunk_order,
		 "Largest pool chunk, 2^chunk_order pages (default 9: 2 MiB; smaller orders are tried when needed)");

static char *attach = "pcifront";
module_param(attach, charp, 0444);
MODULE_PARM_DESC(attach,
		 "Devices to serve: pcifront (every device passed through by Xen), none, or a comma separated list of PCI addresses such as 0000:00:05.0 (may include pcifront)");

static unsigned int lowmem_mb;
module_param(lowmem_mb, uint, 0444);
MODULE_PARM_DESC(lowmem_mb,
		 "At load, after building the pool, move the domain's free and movable memory below 2^addr_bits machine address until this many MiB lie there (memory found there included; more than the RAM: all it can), so that ordinary buffers suit 32-bit devices (default 0: off)");

static int __init ddp_init(void)
{
	struct ddp_attach rules;
	int rc;

	BUILD_BUG_ON(DDP_PAGE_SHIFT != PAGE_SHIFT);
	BUILD_BUG_ON(DDP_SLOT_SHIFT > PAGE_SHIFT);

	if (!xen_pv_domain() || xen_feature(XENFEAT_auto_translated_physmap)) {
		pr_err("needs a Xen PV guest\n");
		return -ENODEV;
	}
	if (!ddp_pool_size_ok(pool_mb, totalram_pages())) {
		pr_err("pool_mb=%u: must be 1..%lu, a quarter of this domain's %lu MiB of RAM at most\n",
		       pool_mb, (totalram_pages() >> (20 - PAGE_SHIFT)) / DDP_POOL_RAM_DIV,
		       totalram_pages() >> (20 - PAGE_SHIFT));
		return -EINVAL;
	}
	if (addr_bits <= PAGE_SHIFT || addr_bits > 64) {
		pr_err("addr_bits=%u: must be %u..64\n", addr_bits,
		       PAGE_SHIFT + 1);
		return -EINVAL;
	}
	if (chunk_order >= MAX_ORDER) {
		pr_err("chunk_order=%u: must be 0..%u\n", chunk_order,
		       MAX_ORDER - 1);
		return -EINVAL;
	}
	if (ddp_parse_attach(attach ? attach : "", &rules)) {
		pr_err("attach=%s: expected pcifront, none, or a comma separated list of PCI addresses\n",
		       attach);
		return -EINVAL;
	}

	ddp_ops_setup();
	rc = ddp_pool_build(pool_mb, addr_bits, chunk_order);
	if (rc)
		return rc;
	ddp_lowmem_move(lowmem_mb, addr_bits);
	rc = ddp_stats_start();
	if (rc)
		goto fail_pool;
	rc = ddp_attach_start(&rules);
	if (rc)
		goto fail_stats;
	return 0;

fail_stats:
	ddp_stats_stop();
fail_pool:
	ddp_pool_destroy();
	return rc;
}

static void __exit ddp_exit(void)
{
	ddp_attach_stop();
	ddp_stats_stop();
	ddp_pool_hold(0);
	ddp_pool_destroy();
}

module_init(ddp_init);
module_exit(ddp_exit);

MODULE_DESCRIPTION("ddstack 1:1 DMA pool for passed-through devices of a Xen PV driver domain");
MODULE_LICENSE("GPL");
