// SPDX-License-Identifier: GPL-2.0
/*
 * dddmapool: the DMA operations of attached devices.
 *
 * Coherent memory comes from the 1:1 pool, so its bus address is its
 * pseudo-physical address.  A streaming buffer whose pages are backed by
 * consecutive machine frames below the device's mask is handed to the
 * device in place (its machine address; grant-mapped foreign pages
 * included); any other is bounced through the pool.  Pool slots record
 * each allocation, so unmap, sync and free find bounce buffers and catch
 * double or mismatched releases instead of corrupting the pool.  x86 is
 * cache coherent: nothing to do for buffers used in place.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/string.h>

#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include <xen/interface/memory.h>

#include "dddmapool.h"

static u64 ddp_required_mask = DMA_BIT_MASK(64);

static u64 ddp_xlate(u64 pfn, void *ctx)
{
	unsigned long mfn = pfn_to_mfn((unsigned long)pfn);

	/* pfn_to_mfn() already masks the foreign and identity bits. */
	return mfn == INVALID_P2M_ENTRY ? DDP_NO_FRAME : mfn;
}

static u64 ddp_stream_mask(struct device *dev)
{
	return min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
}

static u64 ddp_coherent_mask(struct device *dev)
{
	u64 mask = dev->coherent_dma_mask ? dev->coherent_dma_mask :
					    DMA_BIT_MASK(32);

	return min_not_zero(mask, dev->bus_dma_limit);
}

/*
 * Take pool space of shape @g below @mask for @r (whose orig, size, dir and
 * kind the caller has set), with a module reference held for it.  Fills the
 * rest of @r.  Returns its chunk, or NULL (reference dropped).
 */
static struct ddp_pool_chunk *ddp_take(struct device *dev,
				       const struct ddp_geom *g, u64 mask,
				       struct ddp_region *r)
{
	struct ddp_pool_chunk *pc;
	unsigned long flags;
	u64 start;
	int rc;

	if (!try_module_get(THIS_MODULE))
		return NULL;
	if (ddp_pool_get(g, mask, &pc, &start)) {
		if (r->kind == DDP_SLOT_COHERENT)
			dev_warn_ratelimited(dev, "DMA pool exhausted (%zu coherent bytes)\n",
					     (size_t)r->size);
		else
			dev_warn_ratelimited(dev, "DMA pool exhausted (%zu bytes to bounce)\n",
					     (size_t)r->size);
		goto put;
	}
	r->start = start;
	r->alloc = g->alloc;
	r->dma = start + g->offset;
	spin_lock_irqsave(&pc->lock, flags);
	rc = ddp_slots_claim(&pc->c, r);
	spin_unlock_irqrestore(&pc->lock, flags);
	if (rc) {
		/* The pool and its records disagree: keep the space out of use. */
		pr_err_ratelimited("pool space at %#llx handed out twice\n",
				   start);
		goto put;
	}
	return pc;

put:
	module_put(THIS_MODULE);
	return NULL;
}

static dma_addr_t ddp_bounce(struct device *dev, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir)
{
	struct ddp_pool_chunk *pc;
	struct ddp_region r;
	struct ddp_geom g;

	if (ddp_bounce_geom(phys, size, dma_get_min_align_mask(dev), &g)) {
		dev_err_ratelimited(dev, "cannot bounce %zu bytes at %pa\n",
				    size, &phys);
		goto fail;
	}
	r.orig = phys;
	r.size = size;
	r.dir = dir;
	r.kind = DDP_SLOT_BOUNCE;
	pc = ddp_take(dev, &g, ddp_stream_mask(dev), &r);
	if (!pc)
		goto fail;
	if (ddp_copy_on_map(dir))
		memcpy(ddp_pool_va(pc, r.dma), phys_to_virt(phys), size);
	atomic64_inc(&ddp_stats.bounce_maps);
	atomic64_add(size, &ddp_stats.bounce_bytes);
	atomic64_inc(&ddp_stats.bounces_live);
	return r.dma;

fail:
	atomic64_inc(&ddp_stats.map_failures);
	return DMA_MAPPING_ERROR;
}

static dma_addr_t ddp_map_phys(struct device *dev, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir)
{
	u64 dma;

	switch (ddp_range_why(phys, size, ddp_stream_mask(dev), ddp_xlate,
			      NULL, &dma)) {
	case DDP_IN_PLACE:
		atomic64_inc(&ddp_stats.direct_maps);
		atomic64_add(size, &ddp_stats.direct_bytes);
		return dma;
	case DDP_ABOVE_MASK:
		atomic64_inc(&ddp_stats.bounce_above_mask);
		dev_dbg_ratelimited(dev, "%zu bytes at %pa (frame %#lx) above the mask %#llx: bounced\n",
				    size, &phys, pfn_to_mfn(PHYS_PFN(phys)),
				    ddp_stream_mask(dev));
		break;
	case DDP_SCATTERED:
		atomic64_inc(&ddp_stats.bounce_scattered);
		dev_dbg_ratelimited(dev, "%zu bytes at %pa (frames %#lx, %#lx) not machine-contiguous: bounced\n",
				    size, &phys, pfn_to_mfn(PHYS_PFN(phys)),
				    pfn_to_mfn(PHYS_PFN(phys) + 1));
		break;
	default:
		break;
	}
	return ddp_bounce(dev, phys, size, dir);
}

/*
 * Look @addr up among the pool's records.  Returns the chunk when @addr is
 * inside the mapped bytes of a bounce buffer (*r filled), NULL for any
 * other address (a buffer used in place, including pool memory mapped as a
 * streaming buffer).
 */
static struct ddp_pool_chunk *ddp_find_bounce(struct device *dev, u64 addr,
					      struct ddp_region *r)
{
	struct ddp_pool_chunk *pc = ddp_pool_chunk_find(addr);
	unsigned long flags;
	int rc;

	if (!pc)
		return NULL;
	spin_lock_irqsave(&pc->lock, flags);
	rc = ddp_slots_find(&pc->c, addr, r);
	spin_unlock_irqrestore(&pc->lock, flags);
	if (rc == -2)
		dev_warn_ratelimited(dev, "DMA address %#llx is in a bounce buffer's padding\n",
				     addr);
	if (rc || r->kind != DDP_SLOT_BOUNCE)
		return NULL;
	return pc;
}

static void ddp_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	struct ddp_pool_chunk *pc = ddp_pool_chunk_find(addr);
	struct ddp_region r;
	unsigned long flags;
	int rc;

	if (!pc)
		return;		/* used in place */
	spin_lock_irqsave(&pc->lock, flags);
	rc = ddp_slots_find(&pc->c, addr, &r);
	if (rc == 0 && r.kind == DDP_SLOT_BOUNCE && r.dma == addr)
		ddp_slots_release(&pc->c, &r);
	spin_unlock_irqrestore(&pc->lock, flags);
	if (rc == -1 || (rc == 0 && r.kind == DDP_SLOT_COHERENT))
		return;		/* pool memory used in place */
	if (rc || r.dma != addr) {
		dev_warn_ratelimited(dev, "unmap of %pad, which is not the start of a mapping\n",
				     &addr);
		return;
	}
	if (size != r.size)
		dev_warn_ratelimited(dev, "unmap of %pad with %zu bytes, mapped %u\n",
				     &addr, size, r.size);
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && ddp_copy_to_cpu(r.dir))
		memcpy(phys_to_virt(r.orig), ddp_pool_va(pc, r.dma), r.size);
	ddp_pool_put(pc, r.start, r.alloc);
	atomic64_dec(&ddp_stats.bounces_live);
	module_put(THIS_MODULE);
}

static dma_addr_t ddp_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	return ddp_map_phys(dev, page_to_phys(page) + offset, size, dir);
}

static void ddp_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	ddp_unmap_phys(dev, addr, size, dir, attrs);
}

static void ddp_sync_for_cpu(struct device *dev, dma_addr_t addr,
			     size_t size, enum dma_data_direction dir)
{
	struct ddp_pool_chunk *pc;
	struct ddp_region r;
	u64 off, n;

	if (!ddp_copy_to_cpu(dir))
		return;
	pc = ddp_find_bounce(dev, addr, &r);
	if (pc && ddp_sync_span(&r, addr, size, &off, &n))
		memcpy(phys_to_virt(r.orig + off), ddp_pool_va(pc, r.dma + off),
		       n);
}

static void ddp_sync_for_device(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir)
{
	struct ddp_pool_chunk *pc;
	struct ddp_region r;
	u64 off, n;

	if (!ddp_copy_to_device(dir))
		return;
	pc = ddp_find_bounce(dev, addr, &r);
	if (pc && ddp_sync_span(&r, addr, size, &off, &n))
		memcpy(ddp_pool_va(pc, r.dma + off), phys_to_virt(r.orig + off),
		       n);
}

static void ddp_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		ddp_unmap_phys(dev, sg->dma_address, sg_dma_len(sg), dir,
			       attrs);
}

static int ddp_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = ddp_map_phys(dev, sg_phys(sg), sg->length,
					       dir);
		if (sg->dma_address == DMA_MAPPING_ERROR)
			goto undo;
		sg_dma_len(sg) = sg->length;
	}
	return nents;

undo:
	ddp_unmap_sg(dev, sgl, i, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return -ENOMEM;
}

static void ddp_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		ddp_sync_for_cpu(dev, sg->dma_address, sg_dma_len(sg), dir);
}

static void ddp_sync_sg_for_device(struct device *dev,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		ddp_sync_for_device(dev, sg->dma_address, sg_dma_len(sg), dir);
}

static void *ddp_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct ddp_pool_chunk *pc;
	struct ddp_region r;
	struct ddp_geom g;
	void *va;

	/* The pool needs no sleeping allocation: any gfp will do. */
	if (ddp_coherent_geom(size, ddp_pool_largest(), &g))
		goto fail;
	r.orig = 0;
	r.size = size;
	r.dir = DDP_BIDIRECTIONAL;
	r.kind = DDP_SLOT_COHERENT;
	pc = ddp_take(dev, &g, ddp_coherent_mask(dev), &r);
	if (!pc)
		goto fail;
	va = ddp_pool_va(pc, r.start);
	memset(va, 0, g.alloc);
	*handle = r.start;
	atomic64_inc(&ddp_stats.coherent_allocs_live);
	return va;

fail:
	atomic64_inc(&ddp_stats.alloc_failures);
	return NULL;
}

static void ddp_free(struct device *dev, size_t size, void *vaddr,
		     dma_addr_t handle, unsigned long attrs)
{
	struct ddp_pool_chunk *pc = ddp_pool_chunk_find(handle);
	struct ddp_region r;
	unsigned long flags;
	bool ok = false;

	if (pc) {
		spin_lock_irqsave(&pc->lock, flags);
		if (!ddp_slots_find(&pc->c, handle, &r) &&
		    r.kind == DDP_SLOT_COHERENT && r.start == handle &&
		    ddp_pool_va(pc, handle) == vaddr) {
			ddp_slots_release(&pc->c, &r);
			ok = true;
		}
		spin_unlock_irqrestore(&pc->lock, flags);
	}
	if (!ok) {
		dev_warn_ratelimited(dev, "free of %pad (%zu bytes), which is not a coherent allocation\n",
				     &handle, size);
		return;
	}
	if (size != r.size)
		dev_warn_ratelimited(dev, "free of %pad with %zu bytes, allocated %u\n",
				     &handle, size, r.size);
	ddp_pool_put(pc, r.start, r.alloc);
	atomic64_dec(&ddp_stats.coherent_allocs_live);
	module_put(THIS_MODULE);
}

static int ddp_dma_supported(struct device *dev, u64 mask)
{
	/* Every bounce and coherent allocation must be able to land. */
	return ddp_pool_end() && mask >= ddp_pool_end() - 1;
}

static u64 ddp_get_required_mask(struct device *dev)
{
	return ddp_required_mask;
}

static size_t ddp_max_mapping_size(struct device *dev)
{
	return min_t(u64, DDP_BOUNCE_MAX, ddp_pool_largest());
}

/*
 * mmap and get_sgtable stay NULL: dma_common_mmap() and
 * dma_common_get_sgtable() are not exported to modules, and the core then
 * reports -ENXIO.
 */
const struct dma_map_ops ddp_dma_ops = {
	.alloc			= ddp_alloc,
	.free			= ddp_free,
	.map_page		= ddp_map_page,
	.unmap_page		= ddp_unmap_page,
	.map_sg			= ddp_map_sg,
	.unmap_sg		= ddp_unmap_sg,
	.sync_single_for_cpu	= ddp_sync_for_cpu,
	.sync_single_for_device	= ddp_sync_for_device,
	.sync_sg_for_cpu	= ddp_sync_sg_for_cpu,
	.sync_sg_for_device	= ddp_sync_sg_for_device,
	.dma_supported		= ddp_dma_supported,
	.get_required_mask	= ddp_get_required_mask,
	.max_mapping_size	= ddp_max_mapping_size,
};

/**
 * ddp_ops_setup() - learn what the DMA operations report as required mask
 *
 * Buffers used in place can sit on any machine frame of the host, so a
 * device needs a mask covering the host's highest RAM frame to avoid
 * bouncing.
 */
void ddp_ops_setup(void)
{
	long max = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
	u64 top;

	BUILD_BUG_ON(DDP_BIDIRECTIONAL != DMA_BIDIRECTIONAL);
	BUILD_BUG_ON(DDP_TO_DEVICE != DMA_TO_DEVICE);
	BUILD_BUG_ON(DDP_FROM_DEVICE != DMA_FROM_DEVICE);
	BUILD_BUG_ON(DDP_NONE != DMA_NONE);

	if (max <= 0)
		max = machine_to_phys_nr;
	if (max <= 0) {
		ddp_required_mask = DMA_BIT_MASK(64);
		return;
	}
	top = ((u64)max << PAGE_SHIFT) - 1;
	ddp_required_mask = DMA_BIT_MASK(fls64(top));
}
