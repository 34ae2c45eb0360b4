// SPDX-License-Identifier: GPL-2.0
/*
 * dddmapool: building the 1:1 pool of a PV guest, and allocating from it.
 *
 * One chunk of 2^k pages, k falling from chunk_order to 0 when a step
 * cannot be had:
 *
 *  1. C = alloc_pages(k): pfns P..P+2^k-1 on arbitrary machine frames.
 *  2. Zero C (its frames go back to Xen), unmap it from the direct map,
 *     invalidate its p2m entries, and XENMEM_exchange its 2^k frames for
 *     one extent of order k below 2^bits.  Map C onto the new frames
 *     M..M+2^k-1, set p2m and m2p, flush TLBs.  If Xen refuses, it has kept
 *     the old frames with the domain: map them back exactly as before.
 *  3. Claim the pfns T = [M, M+2^k) with alloc_contig_range() (migrating
 *     whatever lived there).  bits is chosen so that T lies below the end
 *     of the domain's RAM.  If M == P, C itself is 1:1 already.
 *  4. Swap the backings: T onto M..M+2^k-1, C onto T's old frames B: direct
 *     map PTEs (each update checked by a hypercall of ours first, then
 *     applied with the p2m by __xenmem_reservation_va_mapping_update()),
 *     m2p of every frame touched, one TLB flush; verify p2m, m2p and the
 *     direct map PTEs.  C is then ordinary memory again and is freed; T
 *     is zeroed and added to the pool.
 *
 * A chunk whose exchanged extent is unusable (T busy, out of range,
 * overlapping) is held until the build ends, so that neither Linux nor Xen
 * hands the same pair out again, then freed.  Anything unexpected from
 * Xen stops the build; pages whose state cannot be vouched for are never
 * freed (leaked, logged) rather than returned to the page allocator.
 *
 * ddp_lowmem_move() uses step 2 alone on blocks of the domain's own memory
 * that it claims one at a time, to bring its free and movable memory
 * below the limit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/memory_hotplug.h>
#include <linux/hugetlb.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <asm/pgtable_types.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/hypervisor.h>
#include <asm/xen/page.h>

#include <xen/interface/memory.h>
#include <xen/interface/xen.h>
#include <xen/mem-reservation.h>
#include <xen/xen.h>

#include "dddmapool.h"

static struct gen_pool *ddp_gp;
static LIST_HEAD(ddp_chunk_list);
static struct ddp_chunk **ddp_tab;	/* sorted by base, for lookups */
static unsigned int ddp_nchunks;
static u64 ddp_bytes, ddp_largest, ddp_end;
static unsigned int ddp_addr_bits = 32;

/* Scratch arrays for one chunk, sized for the largest order. */
struct ddp_work {
	struct page **cpages;	/* the chunk C */
	struct page **tpages;	/* the target T */
	xen_pfn_t *cframes;	/* C's frames before the exchange */
	xen_pfn_t *mframes;	/* the extent Xen gave: M + i */
	xen_pfn_t *tframes;	/* T's frames before the swap: B_i */
	struct mmu_update *mmu;
	struct list_head held;	/* chunks with an unusable extent */
	unsigned int bits;	/* address_bits for XENMEM_exchange */
	u64 limit_pfn;		/* pool pfns must stay below this */
	bool lost_logged;
};

struct ddp_held {
	struct list_head node;
	struct page *page;
	unsigned int order;
};

/* The p2m entry of @pfn if it is a plain frame of ours. */
static bool ddp_plain_frame(unsigned long pfn, xen_pfn_t *mfn)
{
	unsigned long m = __pfn_to_mfn(pfn);

	if (m == INVALID_P2M_ENTRY ||
	    (m & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)))
		return false;
	*mfn = m;
	return true;
}

/*
 * Point the direct map of @pages at @frames (NULL: unmap), one checked
 * hypercall per page.  Leaves the p2m alone.  Returns how many pages were
 * done: all of them, or the index of the one Xen refused.
 */
static unsigned int ddp_set_ptes(struct page **pages, const xen_pfn_t *frames,
				 unsigned int n)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		unsigned long va = (unsigned long)page_address(pages[i]);
		pte_t pte = frames ? mfn_pte(frames[i], PAGE_KERNEL) :
				     __pte_ma(0);

		rc = HYPERVISOR_update_va_mapping(va, pte, 0);
		if (rc) {
			pr_err("update_va_mapping of pfn %#lx to frame %#lx failed: %d\n",
			       page_to_pfn(pages[i]),
			       frames ? (unsigned long)frames[i] : 0UL, rc);
			return i;
		}
	}
	return n;
}

/* m2p of @mfns[i] := @pfn0 + i */
static int ddp_set_m2p(struct ddp_work *w, const xen_pfn_t *mfns,
		       unsigned long pfn0, unsigned int n)
{
	unsigned int i;
	int rc, done = 0;

	for (i = 0; i < n; i++) {
		w->mmu[i].ptr = ((u64)mfns[i] << PAGE_SHIFT) |
				MMU_MACHPHYS_UPDATE;
		w->mmu[i].val = pfn0 + i;
	}
	rc = HYPERVISOR_mmu_update(w->mmu, n, &done, DOMID_SELF);
	if (rc || done != n) {
		pr_err("MMU_MACHPHYS_UPDATE for pfns %#lx+%u failed: %d (%d done)\n",
		       pfn0, n, rc, done);
		return rc ? rc : -EIO;
	}
	return 0;
}

static int ddp_flush_tlbs(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_ALL };
	int rc;

	rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	if (rc)
		pr_err("MMUEXT_TLB_FLUSH_ALL failed: %d\n", rc);
	return rc;
}

/*
 * Check p2m, m2p and the direct map of @pages (pfns @pfn0 + i) against
 * @frames (NULL: 1:1).
 */
static bool ddp_verify(struct page **pages, unsigned long pfn0,
		       const xen_pfn_t *frames, unsigned int n)
{
	unsigned int i, level;
	pte_t *pte;

	for (i = 0; i < n; i++) {
		unsigned long pfn = pfn0 + i;
		unsigned long want = frames ? frames[i] : pfn;

		if (pfn_to_mfn(pfn) != want || mfn_to_pfn(want) != pfn) {
			pr_err("pfn %#lx: p2m %#lx, m2p(%#lx) %#lx, expected frame %#lx\n",
			       pfn, pfn_to_mfn(pfn), want, mfn_to_pfn(want),
			       want);
			return false;
		}
		pte = lookup_address((unsigned long)page_address(pages[i]),
				     &level);
		if (!pte || level != PG_LEVEL_4K ||
		    !(pte->pte & _PAGE_PRESENT) || pte_mfn(*pte) != want) {
			pr_err("pfn %#lx: direct map does not point at frame %#lx\n",
			       pfn, want);
			return false;
		}
	}
	return true;
}

static void ddp_lost(struct ddp_work *w, unsigned long pfn, unsigned int n)
{
	pr_err("pfns %#lx+%u left allocated: their mapping cannot be vouched for\n",
	       pfn, n);
	if (!w->lost_logged)
		pr_err("this memory stays out of use until the domain reboots\n");
	w->lost_logged = true;
}

/* Keep @c (consistent memory) out of reach until the build ends. */
static void ddp_hold(struct ddp_work *w, struct page *c, unsigned int order)
{
	struct ddp_held *h = kmalloc(sizeof(*h), GFP_KERNEL);

	if (!h) {
		free_pages((unsigned long)page_address(c), order);
		return;
	}
	h->page = c;
	h->order = order;
	list_add_tail(&h->node, &w->held);
}

static void ddp_release_held(struct ddp_work *w)
{
	struct ddp_held *h, *tmp;

	list_for_each_entry_safe(h, tmp, &w->held, node) {
		list_del(&h->node);
		free_pages((unsigned long)page_address(h->page), h->order);
		kfree(h);
	}
}

/*
 * Step 2.  Returns DDP_STEP_OK with C mapped onto w->mframes,
 * DDP_STEP_NO_EXTENT with C back on its own frames, DDP_STEP_BUSY if C
 * has frames we do not exchange (C untouched), or DDP_STEP_FATAL; *lost
 * then says whether C is unusable.
 */
static enum ddp_step ddp_exchange(struct ddp_work *w, struct page *c,
				  unsigned int order, bool *lost)
{
	unsigned long pfn = page_to_pfn(c);
	unsigned int n = 1U << order, i, done;
	struct xen_memory_exchange exch = {
		.in = {
			.nr_extents = n,
			.extent_order = 0,
			.domid = DOMID_SELF,
		},
		.out = {
			.nr_extents = 1,
			.extent_order = order,
			.address_bits = w->bits,
			.domid = DOMID_SELF,
		},
		.nr_exchanged = 0,
	};
	xen_pfn_t out = pfn;
	int rc;

	*lost = false;
	for (i = 0; i < n; i++) {
		w->cpages[i] = nth_page(c, i);
		if (!ddp_plain_frame(pfn + i, &w->cframes[i]))
			return DDP_STEP_BUSY;
	}

	/* These frames go to Xen's free memory: leave nothing in them. */
	memset(page_address(c), 0, PAGE_SIZE << order);

	done = ddp_set_ptes(w->cpages, NULL, n);
	if (done != n) {
		if (ddp_set_ptes(w->cpages, w->cframes, done) != done)
			*lost = true;
		return DDP_STEP_FATAL;
	}
	/* Repeats the unmap just done, and invalidates the p2m entries. */
	__xenmem_reservation_va_mapping_reset(n, w->cpages);

	set_xen_guest_handle(exch.in.extent_start, w->cframes);
	set_xen_guest_handle(exch.out.extent_start, &out);
	rc = HYPERVISOR_memory_op(XENMEM_exchange, &exch);

	if (rc == 0 && exch.nr_exchanged == n) {
		for (i = 0; i < n; i++)
			w->mframes[i] = out + i;
		if (ddp_set_ptes(w->cpages, w->mframes, n) != n) {
			*lost = true;
			return DDP_STEP_FATAL;
		}
		__xenmem_reservation_va_mapping_update(n, w->cpages,
						       w->mframes);
		/* Xen sets the m2p of a PV guest's new frames; be explicit. */
		if (ddp_set_m2p(w, w->mframes, pfn, n) || ddp_flush_tlbs()) {
			*lost = true;
			return DDP_STEP_FATAL;
		}
		return DDP_STEP_OK;
	}

	if (rc != 0 && exch.nr_exchanged == 0) {
		/*
		 * Nothing exchanged: Xen gave the input frames back to the
		 * domain with their m2p untouched.  Map them back.
		 */
		pr_debug("XENMEM_exchange of order %u below 2^%u: %d\n",
			 order, w->bits, rc);
		if (ddp_set_ptes(w->cpages, w->cframes, n) != n) {
			*lost = true;
			return DDP_STEP_FATAL;
		}
		__xenmem_reservation_va_mapping_update(n, w->cpages,
						       w->cframes);
		if (ddp_flush_tlbs()) {
			*lost = true;
			return DDP_STEP_FATAL;
		}
		return DDP_STEP_NO_EXTENT;
	}

	pr_err("XENMEM_exchange of order %u returned %d with %lu of %u extents exchanged\n",
	       order, rc, (unsigned long)exch.nr_exchanged, n);
	*lost = true;
	return DDP_STEP_FATAL;
}

/* Can alloc_contig_range() be asked for [pfn, pfn + n)? */
static bool ddp_claimable(unsigned long pfn, unsigned int n)
{
	struct zone *zone = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page *p = pfn_to_online_page(pfn + i);

		if (!p || PageReserved(p) || PageHuge(p))
			return false;
		if (!zone)
			zone = page_zone(p);
		else if (page_zone(p) != zone)
			return false;
	}
	return true;
}

/*
 * Step 4.  C is on w->mframes, T = [tpfn, tpfn + n) is claimed.  On
 * failure *lost_c / *lost_t say which of the two must never be freed.
 */
static enum ddp_step ddp_swap(struct ddp_work *w, struct page *c,
			      unsigned int order, unsigned long tpfn,
			      bool *lost_c, bool *lost_t)
{
	unsigned long cpfn = page_to_pfn(c);
	unsigned int n = 1U << order, i, done;

	*lost_c = false;
	*lost_t = false;
	for (i = 0; i < n; i++) {
		w->tpages[i] = pfn_to_page(tpfn + i);
		if (!ddp_plain_frame(tpfn + i, &w->tframes[i]))
			return DDP_STEP_BUSY;
	}

	done = ddp_set_ptes(w->tpages, w->mframes, n);
	if (done != n) {
		if (ddp_set_ptes(w->tpages, w->tframes, done) != done)
			*lost_t = true;
		return DDP_STEP_FATAL;
	}
	done = ddp_set_ptes(w->cpages, w->tframes, n);
	if (done != n) {
		if (ddp_set_ptes(w->cpages, w->mframes, done) != done)
			*lost_c = true;
		if (ddp_set_ptes(w->tpages, w->tframes, n) != n)
			*lost_t = true;
		if (ddp_flush_tlbs()) {
			*lost_c = true;
			*lost_t = true;
		}
		return DDP_STEP_FATAL;
	}

	/* The same PTEs again, now with the p2m. */
	__xenmem_reservation_va_mapping_update(n, w->tpages, w->mframes);
	__xenmem_reservation_va_mapping_update(n, w->cpages, w->tframes);

	if (ddp_set_m2p(w, w->mframes, tpfn, n) ||
	    ddp_set_m2p(w, w->tframes, cpfn, n) || ddp_flush_tlbs() ||
	    !ddp_verify(w->tpages, tpfn, w->mframes, n) ||
	    !ddp_verify(w->cpages, cpfn, w->tframes, n)) {
		*lost_c = true;
		*lost_t = true;
		return DDP_STEP_FATAL;
	}
	return DDP_STEP_OK;
}

static enum ddp_step ddp_add_chunk(void *va, unsigned long pfn,
				   unsigned int order, bool identity)
{
	struct ddp_pool_chunk *pc;
	u64 bytes = PAGE_SIZE << order;

	memset(va, 0, bytes);
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!pc)
		goto fail;
	pc->c.base = (u64)pfn << PAGE_SHIFT;
	pc->c.bytes = bytes;
	pc->c.slots = kvcalloc(bytes >> DDP_SLOT_SHIFT, sizeof(*pc->c.slots),
			       GFP_KERNEL);
	if (!pc->c.slots)
		goto fail_pc;
	spin_lock_init(&pc->lock);
	pc->vaddr = va;
	pc->first_pfn = pfn;
	pc->order = order;
	pc->identity = identity;
	if (gen_pool_add_owner(ddp_gp, (unsigned long)va, pc->c.base, bytes,
			       NUMA_NO_NODE, pc))
		goto fail_slots;
	list_add_tail(&pc->node, &ddp_chunk_list);
	ddp_nchunks++;
	ddp_bytes += bytes;
	ddp_largest = max(ddp_largest, bytes);
	ddp_end = max(ddp_end, pc->c.base + bytes);
	return DDP_STEP_OK;

fail_slots:
	kvfree(pc->c.slots);
fail_pc:
	kfree(pc);
fail:
	if (identity)
		free_pages((unsigned long)va, order);
	else
		free_contig_range(pfn, 1UL << order);
	return DDP_STEP_NO_CHUNK;
}

static enum ddp_step ddp_build_chunk(struct ddp_work *w, unsigned int order)
{
	unsigned int n = 1U << order;
	unsigned long cpfn, tpfn;
	bool lost, lost_c, lost_t;
	enum ddp_step s;
	struct page *c;

	c = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, order);
	if (!c)
		return DDP_STEP_NO_CHUNK;
	cpfn = page_to_pfn(c);

	s = ddp_exchange(w, c, order, &lost);
	if (s != DDP_STEP_OK) {
		if (lost)
			ddp_lost(w, cpfn, n);
		else if (s == DDP_STEP_BUSY)
			ddp_hold(w, c, order);
		else
			free_pages((unsigned long)page_address(c), order);
		return s;
	}

	tpfn = w->mframes[0];
	switch (ddp_target_plan(cpfn, tpfn, order, w->limit_pfn)) {
	case DDP_PLAN_IDENTITY:
		if (!ddp_verify(w->cpages, cpfn, NULL, n)) {
			ddp_lost(w, cpfn, n);
			return DDP_STEP_FATAL;
		}
		return ddp_add_chunk(page_address(c), cpfn, order, true);
	case DDP_PLAN_CLAIM:
		break;
	case DDP_PLAN_REJECT:
	default:
		pr_debug("extent %#lx of order %u unusable for pfns %#lx\n",
			 tpfn, order, cpfn);
		ddp_hold(w, c, order);
		return DDP_STEP_BUSY;
	}

	if (!ddp_claimable(tpfn, n) ||
	    alloc_contig_range(tpfn, tpfn + n, MIGRATE_MOVABLE, GFP_KERNEL)) {
		pr_debug("pfns %#lx+%u busy\n", tpfn, n);
		ddp_hold(w, c, order);
		return DDP_STEP_BUSY;
	}

	s = ddp_swap(w, c, order, tpfn, &lost_c, &lost_t);
	if (s != DDP_STEP_OK) {
		if (lost_t)
			ddp_lost(w, tpfn, n);
		else
			free_contig_range(tpfn, n);
		if (lost_c)
			ddp_lost(w, cpfn, n);
		else
			ddp_hold(w, c, order);
		return s;
	}

	/* C is ordinary memory again, on T's former frames. */
	free_pages((unsigned long)page_address(c), order);
	return ddp_add_chunk(page_address(pfn_to_page(tpfn)), tpfn, order,
			     false);
}

/* Is every pfn of [pfn, pfn + n) a plain frame of ours on frame pfn? */
static bool ddp_block_identity(unsigned long pfn, unsigned int n)
{
	xen_pfn_t mfn;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!ddp_plain_frame(pfn + i, &mfn) || mfn != pfn + i)
			return false;
	return true;
}

/*
 * Step 0: blocks that are 1:1 already (the pool of an earlier load, whose
 * pages went back to the page allocator still 1:1) are claimed where they
 * are, largest first.  Xen keeps no second copy of that memory below the
 * limit, so without this a reload would find nothing to exchange.
 * Returns the pages added.
 */
static u64 ddp_pool_reuse(struct ddp_work *w, unsigned int max_order,
			  u64 end_pfn, u64 want)
{
	unsigned long pfn, n, i;
	u64 got = 0;
	int order;

	for (order = max_order; order >= 0 && got < want; order--) {
		n = 1UL << order;
		for (pfn = 0; pfn + n <= end_pfn && got < want; pfn += n) {
			if (!ddp_block_identity(pfn, n) ||
			    !ddp_claimable(pfn, n))
				continue;
			if (alloc_contig_range(pfn, pfn + n, MIGRATE_MOVABLE,
					       GFP_KERNEL | __GFP_NOWARN))
				continue;
			for (i = 0; i < n; i++)
				w->tpages[i] = pfn_to_page(pfn + i);
			/* Ours now: check that nothing moved under us. */
			if (!ddp_verify(w->tpages, pfn, NULL, n)) {
				ddp_lost(w, pfn, n);
				continue;
			}
			if (ddp_add_chunk(page_address(w->tpages[0]), pfn, order,
					  false) == DDP_STEP_OK)
				got += n;
			cond_resched();
		}
	}
	return got;
}

/* End (exclusive) of the domain's RAM pfns. */
static u64 ddp_ram_end_pfn(void)
{
	u64 end = 0;
	int nid, z;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (populated_zone(zone))
				end = max_t(u64, end, zone_end_pfn(zone));
		}
	}
	/* The zones may span room for ballooning that has no memory. */
	if (xen_start_info && xen_start_info->nr_pages)
		end = min_t(u64, end, xen_start_info->nr_pages);
	return end;
}

static int ddp_chunk_cmp(const void *a, const void *b)
{
	const struct ddp_chunk *x = *(const struct ddp_chunk * const *)a;
	const struct ddp_chunk *y = *(const struct ddp_chunk * const *)b;

	if (x->base < y->base)
		return -1;
	return x->base > y->base;
}

static int ddp_make_table(void)
{
	struct ddp_pool_chunk *pc;
	unsigned int i = 0;

	ddp_tab = kcalloc(ddp_nchunks, sizeof(*ddp_tab), GFP_KERNEL);
	if (!ddp_tab)
		return -ENOMEM;
	list_for_each_entry(pc, &ddp_chunk_list, node)
		ddp_tab[i++] = &pc->c;
	sort(ddp_tab, ddp_nchunks, sizeof(*ddp_tab), ddp_chunk_cmp, NULL);
	for (i = 1; i < ddp_nchunks; i++) {
		if (ddp_tab[i - 1]->base + ddp_tab[i - 1]->bytes >
		    ddp_tab[i]->base) {
			pr_err("chunks at %#llx and %#llx overlap\n",
			       ddp_tab[i - 1]->base, ddp_tab[i]->base);
			return -EIO;
		}
	}
	return 0;
}

static void ddp_work_free(struct ddp_work *w)
{
	kfree(w->cpages);
	kfree(w->tpages);
	kfree(w->cframes);
	kfree(w->mframes);
	kfree(w->tframes);
	kfree(w->mmu);
}

static int ddp_work_alloc(struct ddp_work *w, unsigned int order)
{
	size_t n = 1UL << order;

	INIT_LIST_HEAD(&w->held);
	w->cpages = kcalloc(n, sizeof(*w->cpages), GFP_KERNEL);
	w->tpages = kcalloc(n, sizeof(*w->tpages), GFP_KERNEL);
	w->cframes = kcalloc(n, sizeof(*w->cframes), GFP_KERNEL);
	w->mframes = kcalloc(n, sizeof(*w->mframes), GFP_KERNEL);
	w->tframes = kcalloc(n, sizeof(*w->tframes), GFP_KERNEL);
	w->mmu = kcalloc(n, sizeof(*w->mmu), GFP_KERNEL);
	if (!w->cpages || !w->tpages || !w->cframes || !w->mframes ||
	    !w->tframes || !w->mmu) {
		ddp_work_free(w);
		return -ENOMEM;
	}
	return 0;
}

/* Busy targets in a row before the exchange limit moves down a bit, and its floor. */
#define DDP_BUSY_PER_LIMIT	2
#define DDP_MIN_BITS		24

/**
 * ddp_pool_build() - build the 1:1 pool
 * @pool_mb: size wanted, MiB
 * @addr_bits: machine addresses of the pool stay below 2^@addr_bits
 * @chunk_order: largest chunk order tried
 *
 * May come out smaller than asked (logged).  Process context; sleeps.
 *
 * Return: 0 if the pool holds at least one chunk, else a negative errno.
 */
int ddp_pool_build(unsigned int pool_mb, unsigned int addr_bits,
		   unsigned int chunk_order)
{
	struct ddp_work w = {};
	struct ddp_build b;
	unsigned int order, busy_here = 0;
	u64 ram_end, want, reused;
	enum ddp_step s;
	int o, rc;

	ddp_addr_bits = addr_bits;
	ram_end = ddp_ram_end_pfn();
	w.bits = ddp_exchange_bits(addr_bits, ram_end);
	if (w.bits <= PAGE_SHIFT) {
		pr_err("no room for a pool below 2^%u (RAM ends at pfn %#llx)\n",
		       addr_bits, ram_end);
		return -EINVAL;
	}
	w.limit_pfn = min_t(u64, ram_end, 1ULL << (w.bits - PAGE_SHIFT));
	order = min(chunk_order, w.bits - PAGE_SHIFT);
	want = (u64)pool_mb << (20 - PAGE_SHIFT);

	rc = ddp_work_alloc(&w, order);
	if (rc)
		return rc;
	ddp_gp = gen_pool_create(DDP_SLOT_SHIFT, NUMA_NO_NODE);
	if (!ddp_gp) {
		ddp_work_free(&w);
		return -ENOMEM;
	}

	reused = ddp_pool_reuse(&w, order, w.limit_pfn, want);
	atomic64_set(&ddp_stats.reused_bytes, reused << PAGE_SHIFT);
	if (reused)
		pr_info("reused %llu KiB of memory that is 1:1 already (an earlier pool)\n",
			reused << (PAGE_SHIFT - 10));
	want -= reused;

	ddp_build_init(&b, want, order, 8 + (unsigned int)(want >> order));
	while (want && (o = ddp_build_order(&b)) >= 0) {
		s = ddp_build_chunk(&w, o);
		ddp_build_step(&b, o, s);
		if (s == DDP_STEP_FATAL)
			pr_err("pool build stopped after an unexpected result\n");
		if (s != DDP_STEP_BUSY) {
			busy_here = 0;
		} else if (++busy_here >= DDP_BUSY_PER_LIMIT && w.bits > DDP_MIN_BITS) {
			/*
			 * Xen hands out the highest free frames below the
			 * limit, and the pfns of the same numbers are the top
			 * of this domain's memory, which is often pinned
			 * (page tables, the p2m list): look one bit lower.
			 */
			w.bits--;
			w.limit_pfn = min_t(u64, ram_end, 1ULL << (w.bits - PAGE_SHIFT));
			busy_here = 0;
			b.busy = 0;
			b.streak = 0;
			b.done = false;
			b.order = min(order, w.bits - PAGE_SHIFT);
			pr_debug("target pfns busy: extents below 2^%u now\n", w.bits);
		}
		cond_resched();
	}
	ddp_release_held(&w);
	ddp_work_free(&w);
	atomic64_set(&ddp_stats.build_failures, b.failures);

	if (!ddp_nchunks) {
		pr_err("no 1:1 memory below 2^%u could be had (%u failed steps)\n",
		       w.bits, b.failures);
		gen_pool_destroy(ddp_gp);
		ddp_gp = NULL;
		return -ENOMEM;
	}
	rc = ddp_make_table();
	if (rc) {
		ddp_pool_destroy();
		return rc;
	}
	pr_info("%llu KiB of 1:1 memory in %u chunks, below %#llx (address bits %u, %u failed steps)\n",
		ddp_bytes >> 10, ddp_nchunks, ddp_end, w.bits, b.failures);
	if (ddp_bytes < (u64)pool_mb << 20)
		pr_warn("pool is smaller than the %u MiB asked for\n", pool_mb);
	return 0;
}

/*
 * Moving the domain's memory below 2^addr_bits (lowmem_mb).  The walk goes
 * over its pfns a block (2 MiB) at a time: a block whose frames lie low
 * already is left; any other is claimed with alloc_contig_range(), which
 * migrates what lives there (movable memory: page cache, user pages), and
 * its frames are exchanged for machine-contiguous extents below the limit
 * (step 2 of the build, smaller extents when Xen has no large ones); then
 * it is freed, now on low frames.  A block that cannot be had whole (it
 * holds a slab page, a page table, the kernel) is split and its parts
 * tried, down to single pages.  Only one block is held at a time, so the
 * move can cover all free and movable memory; what cannot move stays.
 */

/* Largest block the move takes (one pageblock on x86). */
#define DDP_LOWMEM_ORDER	9

/* A plain frame of ours, or none: for ddp_frames_below(). */
static u64 ddp_low_xlate(u64 pfn, void *ctx)
{
	xen_pfn_t mfn;

	return ddp_plain_frame((unsigned long)pfn, &mfn) ? mfn : DDP_NO_FRAME;
}

/*
 * Exchange the held pages [pfn, pfn + 2^k) for one extent below @limit and
 * account for it in @l.  On DDP_LOW_FATAL, *lost says whether the pages
 * must never be freed (the caller leaks and logs them).
 */
static enum ddp_low_step ddp_low_exchange(struct ddp_work *w,
					  struct ddp_lowmem *l,
					  unsigned long pfn, unsigned int k,
					  u64 limit, bool *lost)
{
	unsigned long n = 1UL << k;
	enum ddp_low_step ls;

	switch (ddp_exchange(w, pfn_to_page(pfn), k, lost)) {
	case DDP_STEP_OK:
		if (ddp_verify(w->cpages, pfn, w->mframes, n) &&
		    ddp_frames_below(pfn, n, limit, ddp_low_xlate, NULL)) {
			ls = DDP_LOW_MOVED;
			break;
		}
		pr_err("lowmem: XENMEM_exchange below 2^%u gave frames %#llx+%lu\n",
		       w->bits, (u64)w->mframes[0], n);
		ls = DDP_LOW_FATAL;
		*lost = true;
		break;
	case DDP_STEP_NO_EXTENT:
		ls = DDP_LOW_NO_EXTENT;
		break;
	case DDP_STEP_BUSY:
		ls = DDP_LOW_BUSY;
		break;
	default:
		ls = DDP_LOW_FATAL;
		break;
	}
	ddp_lowmem_step(l, k, ls);
	return ls;
}

/*
 * Exchange the claimed block [pfn, pfn + 2^order) for frames below @limit,
 * in extents of the order @l allows.  Returns false when the block must
 * not be freed (its mapping cannot be vouched for: leaked, logged).
 */
static bool ddp_low_block(struct ddp_work *w, struct ddp_lowmem *l,
			  unsigned long pfn, unsigned int order, u64 limit)
{
	unsigned long i = 0, n = 1UL << order, sub;
	enum ddp_low_step ls;
	bool lost;
	int o;

	while (i < n && (o = ddp_lowmem_order(l)) >= 0) {
		sub = 1UL << min_t(unsigned int, o, order);

		/* i is a multiple of every order tried since: aligned. */
		if (ddp_frames_below(pfn + i, sub, limit, ddp_low_xlate, NULL)) {
			ddp_lowmem_step(l, ilog2(sub), DDP_LOW_ALREADY);
			i += sub;
			continue;
		}
		ls = ddp_low_exchange(w, l, pfn + i, ilog2(sub), limit, &lost);
		if (ls == DDP_LOW_NO_EXTENT)
			continue;	/* the same pages, a smaller extent */
		if (ls == DDP_LOW_FATAL) {
			if (lost) {
				ddp_lost(w, pfn, n);
				return false;
			}
			break;
		}
		i += sub;
	}
	return true;
}

/* Each split of a busy range tries ranges 2^DDP_LOWMEM_SPLIT times smaller. */
#define DDP_LOWMEM_SPLIT	3

/*
 * Move [pfn, pfn + 2^order): claim it whole if it can be had, else split
 * it and try the parts, down to single pages, so that the free pages
 * around an unmovable one (a slab, a page table) move too.
 */
static void ddp_low_range(struct ddp_work *w, struct ddp_lowmem *l,
			  unsigned long pfn, unsigned int order, u64 limit)
{
	unsigned long n = 1UL << order, i;
	unsigned int sub;

	if (ddp_frames_below(pfn, n, limit, ddp_low_xlate, NULL)) {
		ddp_lowmem_step(l, order, DDP_LOW_ALREADY);
		return;
	}
	if (ddp_claimable(pfn, n) &&
	    !alloc_contig_range(pfn, pfn + n, MIGRATE_MOVABLE,
				GFP_KERNEL | __GFP_NOWARN)) {
		if (ddp_low_block(w, l, pfn, order, limit))
			free_contig_range(pfn, n);
		return;
	}
	if (!order) {
		ddp_lowmem_step(l, 0, DDP_LOW_BUSY);
		return;
	}
	sub = order > DDP_LOWMEM_SPLIT ? order - DDP_LOWMEM_SPLIT : 0;
	for (i = 0; i < n && ddp_lowmem_order(l) >= 0; i += 1UL << sub)
		ddp_low_range(w, l, pfn + i, sub, limit);
}

/*
 * Free memory the sweep leaves to the rest of the domain, and how many low
 * pages it sets aside at most per high page it looks for: the high pieces
 * come first, and the sweep must not starve the domain looking for them.
 */
#define DDP_SWEEP_RESERVE_MB	16
#define DDP_SWEEP_LOW_PER_HIGH	8

static int ddp_pfn_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Largest aligned run of consecutive pfns at @pfns[0], at most 2^@order. */
static unsigned int ddp_run_order(const unsigned long *pfns, unsigned long n,
				  unsigned int order)
{
	unsigned int k;
	unsigned long i;

	for (k = order; k > 0; k--) {
		unsigned long len = 1UL << k;

		if (pfns[0] & (len - 1) || len > n)
			continue;
		for (i = 1; i < len && pfns[i] == pfns[0] + i; i++)
			;
		if (i == len)
			return k;
	}
	return 0;
}

/*
 * The walk leaves free pages that lie in blocks it could not claim (next
 * to a slab page, say).  The page allocator hands out the smallest free
 * pieces first, so taking single pages finds them early: those below the
 * limit are kept aside (not to be handed out again), those above it are
 * held until as many as ddp_free_above() counted are found, the low ones
 * set aside reach DDP_SWEEP_LOW_PER_HIGH times that, or the domain's free
 * memory is down to DDP_SWEEP_RESERVE_MB.  The held pages
 * are then sorted and exchanged in runs of consecutive pfns as one
 * extent each, so that pages next to each other stay machine-contiguous
 * (one by one, Xen would give them descending frames).  Then all are
 * freed.
 */
static void ddp_low_sweep(struct ddp_work *w, struct ddp_lowmem *l,
			  unsigned int order, u64 limit)
{
	u64 reserve = (u64)DDP_SWEEP_RESERVE_MB << (20 - PAGE_SHIFT);
	unsigned long high = ddp_free_above(), n = 0, low = 0, i, j;
	struct page *page, *tmp;
	unsigned long *pfns;
	unsigned int k;
	LIST_HEAD(kept);
	bool ok, lost;

	if (!high)
		return;
	pfns = kvmalloc_array(high, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return;
	while (n < high && low < DDP_SWEEP_LOW_PER_HIGH * (high + 128) &&
	       global_zone_page_state(NR_FREE_PAGES) > reserve) {
		page = alloc_page(GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC);
		if (!page)
			break;
		if (ddp_frames_below(page_to_pfn(page), 1, limit, ddp_low_xlate,
				     NULL)) {
			list_add(&page->lru, &kept);
			low++;
		} else {
			pfns[n++] = page_to_pfn(page);
		}
	}
	sort(pfns, n, sizeof(*pfns), ddp_pfn_cmp, NULL);

	for (i = 0; i < n; i += 1UL << k) {
		k = ddp_run_order(pfns + i, n - i, min(order, l->order));
		ok = true;
		if (ddp_lowmem_order(l) >= 0 &&
		    ddp_low_exchange(w, l, pfns[i], k, limit, &lost) ==
		    DDP_LOW_FATAL && lost) {
			ddp_lost(w, pfns[i], 1U << k);
			ok = false;
		}
		for (j = 0; ok && j < (1UL << k); j++)
			__free_page(pfn_to_page(pfns[i + j]));
		if (!(i & 255))
			cond_resched();
	}
	kvfree(pfns);
	list_for_each_entry_safe(page, tmp, &kept, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/**
 * ddp_lowmem_move() - move the domain's memory below an address limit
 * @lowmem_mb: MiB wanted below the limit, memory found there included
 * @addr_bits: limit: machine addresses below 2^@addr_bits
 *
 * Walks the domain's RAM and trades the machine frames of every free or
 * movable block for frames below the limit (XENMEM_exchange), so that
 * memory the kernel allocates later (network buffers, page pools, block
 * I/O pages, new slabs) lies where a device with a narrow DMA mask reaches
 * it in place.  Stops when enough lies low, when Xen has nothing below the
 * limit even at order 0, or on anything unexpected (logged; pages whose
 * mapping cannot be vouched for are leaked).  Best effort: the result is
 * logged and counted.  Process context; sleeps.
 */
void ddp_lowmem_move(unsigned int lowmem_mb, unsigned int addr_bits)
{
	struct ddp_work w = {};
	struct ddp_lowmem l;
	unsigned long pfn, n;
	unsigned int order;
	u64 limit, end;

	if (!lowmem_mb || addr_bits <= PAGE_SHIFT)
		return;
	limit = ddp_frame_limit(addr_bits);
	order = min_t(unsigned int, DDP_LOWMEM_ORDER, MAX_ORDER - 1);
	order = min(order, addr_bits - PAGE_SHIFT);
	if (ddp_work_alloc(&w, order)) {
		pr_err("lowmem: out of memory, nothing moved\n");
		return;
	}
	w.bits = addr_bits;
	n = 1UL << order;
	end = ddp_ram_end_pfn();

	ddp_lowmem_init(&l, (u64)lowmem_mb << (20 - PAGE_SHIFT), order);
	for (pfn = 0; pfn + n <= end && ddp_lowmem_order(&l) >= 0; pfn += n) {
		ddp_low_range(&w, &l, pfn, order, limit);
		cond_resched();
	}
	ddp_low_sweep(&w, &l, order, limit);
	ddp_work_free(&w);
	if (l.failures && ddp_lowmem_order(&l) < 0 && l.moved + l.already < l.want)
		pr_info("lowmem: stopped: Xen has no more memory below 2^%u, or an error (above)\n",
			addr_bits);

	atomic64_set(&ddp_stats.lowmem_moved_bytes, l.moved << PAGE_SHIFT);
	atomic64_set(&ddp_stats.lowmem_already_bytes, l.already << PAGE_SHIFT);
	atomic64_set(&ddp_stats.lowmem_busy_bytes, l.busy << PAGE_SHIFT);
	pr_info("moved %llu MiB below 2^%u (%llu MiB were already low, %llu MiB in use could not move, %u failed steps)\n",
		l.moved >> (20 - PAGE_SHIFT), addr_bits,
		l.already >> (20 - PAGE_SHIFT), l.busy >> (20 - PAGE_SHIFT),
		l.failures);
}

/* Free pages of @zone's buddy lists on frames at or above @limit. */
static u64 ddp_zone_free_above(struct zone *zone, u64 limit)
{
	unsigned int order, mt;
	unsigned long flags, i;
	struct page *page;
	u64 count = 0;

	spin_lock_irqsave(&zone->lock, flags);
	for (order = 0; order < MAX_ORDER; order++) {
		struct free_area *area = &zone->free_area[order];

		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			list_for_each_entry(page, &area->free_list[mt], lru)
				for (i = 0; i < (1UL << order); i++)
					if (ddp_low_xlate(page_to_pfn(page) + i,
							  NULL) >= limit)
						count++;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	return count;
}

/**
 * ddp_free_above() - free memory of the page allocator above the limit
 *
 * The limit is the pool's: machine addresses below 2^addr_bits.
 * Walks the buddy free lists (per-CPU lists not included) under each
 * zone's lock.  Shows what lowmem_mb left, and what came back later.
 *
 * Return: free pages backed by a frame at or above the limit.
 */
u64 ddp_free_above(void)
{
	u64 limit = ddp_frame_limit(ddp_addr_bits), count = 0;
	struct zone *zone;
	int nid, z;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (populated_zone(zone))
				count += ddp_zone_free_above(zone, limit);
		}
	}
	return count;
}

/**
 * ddp_pool_destroy() - give the pool back to the page allocator
 *
 * Its pages stay 1:1; that is fine for the rest of the kernel.  With an
 * allocation still live (which the module references prevent) the pool is
 * left in place rather than freed under a device.
 */
void ddp_pool_destroy(void)
{
	struct ddp_pool_chunk *pc, *tmp;
	u64 i, live = 0;

	if (!ddp_gp)
		return;
	list_for_each_entry(pc, &ddp_chunk_list, node)
		for (i = 0; i < pc->c.bytes >> DDP_SLOT_SHIFT; i++)
			if (pc->c.slots[i].kind != DDP_SLOT_FREE)
				live++;
	if (live) {
		pr_err("%llu pool slots still in use: leaving the pool allocated\n",
		       live);
		return;
	}
	gen_pool_destroy(ddp_gp);
	ddp_gp = NULL;
	list_for_each_entry_safe(pc, tmp, &ddp_chunk_list, node) {
		list_del(&pc->node);
		if (pc->identity)
			free_pages((unsigned long)pc->vaddr, pc->order);
		else
			free_contig_range(pc->first_pfn, 1UL << pc->order);
		kvfree(pc->c.slots);
		kfree(pc);
	}
	kfree(ddp_tab);
	ddp_tab = NULL;
	ddp_nchunks = 0;
	ddp_bytes = 0;
	ddp_largest = 0;
	ddp_end = 0;
}

/**
 * ddp_pool_bytes() - pool size
 *
 * Return: bytes in the pool.
 */
u64 ddp_pool_bytes(void)
{
	return ddp_bytes;
}

/**
 * ddp_pool_free_bytes() - unallocated pool memory
 *
 * Return: bytes not allocated.
 */
u64 ddp_pool_free_bytes(void)
{
	return ddp_gp ? gen_pool_avail(ddp_gp) : 0;
}

/**
 * ddp_pool_chunks() - number of chunks
 *
 * Return: chunks in the pool.
 */
unsigned int ddp_pool_chunks(void)
{
	return ddp_nchunks;
}

/**
 * ddp_pool_largest() - largest chunk
 *
 * Return: bytes of the largest chunk (no allocation can be bigger).
 */
u64 ddp_pool_largest(void)
{
	return ddp_largest;
}

/**
 * ddp_pool_end() - end of the pool
 *
 * Return: highest bus address of the pool plus one.
 */
u64 ddp_pool_end(void)
{
	return ddp_end;
}

struct ddp_fit_req {
	u64 mask;
	u64 align;
};

/* genalloc algorithm: first fit below the device's mask, aligned. */
static unsigned long ddp_fit_algo(unsigned long *map, unsigned long size,
				  unsigned long start, unsigned int nr,
				  void *data, struct gen_pool *pool,
				  unsigned long start_addr)
{
	const struct ddp_fit_req *req = data;
	struct ddp_fit f;
	unsigned long idx;

	ddp_fit_window(__pa(start_addr), size, req->mask, req->align, &f);
	if (f.limit < nr || start >= f.limit)
		return size;
	idx = bitmap_find_next_zero_area_off(map, f.limit, start, nr,
					     f.align_mask, f.align_off);
	/* Not found is reported as an index past f.limit: fail the chunk. */
	if (idx >= f.limit || f.limit - idx < nr)
		return size;
	return idx;
}

/**
 * ddp_pool_get() - allocate pool memory
 * @g: size and alignment (ddp_bounce_geom() or ddp_coherent_geom())
 * @mask: the whole allocation must lie at or below this bus address
 * @chunk: result: the chunk it came from
 * @start: result: its bus address
 *
 * Lockless; any context.
 *
 * Return: 0 or -ENOMEM.
 */
int ddp_pool_get(const struct ddp_geom *g, u64 mask,
		 struct ddp_pool_chunk **chunk, u64 *start)
{
	struct ddp_fit_req req = { .mask = mask, .align = g->align };
	struct ddp_pool_chunk *pc;
	void *owner = NULL;
	unsigned long va;

	if (!ddp_gp)
		return -ENOMEM;
	va = gen_pool_alloc_algo_owner(ddp_gp, g->alloc, ddp_fit_algo, &req,
				       &owner);
	if (!va || !owner)
		return -ENOMEM;
	pc = owner;
	*chunk = pc;
	*start = pc->c.base + (va - (unsigned long)pc->vaddr);
	return 0;
}

/**
 * ddp_pool_put() - free pool memory
 * @pc: chunk from ddp_pool_get()
 * @start: bus address from ddp_pool_get()
 * @bytes: size given to ddp_pool_get()
 */
void ddp_pool_put(struct ddp_pool_chunk *pc, u64 start, u64 bytes)
{
	gen_pool_free(ddp_gp, (unsigned long)ddp_pool_va(pc, start), bytes);
}

/**
 * ddp_pool_chunk_find() - the chunk holding a bus address
 * @addr: bus address
 *
 * Return: the chunk, or NULL if @addr is not pool memory.
 */
struct ddp_pool_chunk *ddp_pool_chunk_find(u64 addr)
{
	struct ddp_chunk *c = ddp_chunk_find(ddp_tab, ddp_nchunks, addr);

	return c ? container_of(c, struct ddp_pool_chunk, c) : NULL;
}

/*
 * Pool space held away from the devices (debugfs hold_bytes): to see what
 * exhaustion does under load.  Pieces are linked through a header at their
 * start; all are returned before the pool is destroyed.
 */
struct ddp_hold_piece {
	struct ddp_hold_piece *next;
	u64 bytes;
};

static struct ddp_hold_piece *ddp_holds;
static u64 ddp_held_bytes;
static DEFINE_MUTEX(ddp_hold_lock);

/**
 * ddp_pool_hold() - hold pool space away from the devices
 * @bytes: how much to hold (0: give everything held back)
 *
 * Gives back what was held, then takes up to @bytes of free pool space in
 * the largest pieces it can.  The DMA operations meanwhile find only the
 * rest: running out is a failed mapping the driver sees.  Process context.
 *
 * Return: the bytes now held.
 */
u64 ddp_pool_hold(u64 bytes)
{
	struct ddp_hold_piece *h;
	unsigned long va;
	u64 piece;

	mutex_lock(&ddp_hold_lock);
	while ((h = ddp_holds)) {
		ddp_holds = h->next;
		gen_pool_free(ddp_gp, (unsigned long)h, h->bytes);
	}
	ddp_held_bytes = 0;
	piece = ddp_largest;
	while (ddp_gp && ddp_held_bytes < bytes && piece >= DDP_SLOT_SIZE) {
		piece = min(piece, rounddown_pow_of_two(max_t(u64, bytes - ddp_held_bytes,
							       DDP_SLOT_SIZE)));
		va = gen_pool_alloc(ddp_gp, piece);
		if (!va) {
			piece >>= 1;
			continue;
		}
		h = (struct ddp_hold_piece *)va;
		h->bytes = piece;
		h->next = ddp_holds;
		ddp_holds = h;
		ddp_held_bytes += piece;
	}
	bytes = ddp_held_bytes;
	mutex_unlock(&ddp_hold_lock);
	return bytes;
}

/**
 * ddp_pool_held() - pool space held by ddp_pool_hold()
 *
 * Return: bytes.
 */
u64 ddp_pool_held(void)
{
	return READ_ONCE(ddp_held_bytes);
}
