// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkfront data path.
 *
 * queue_rq turns a blk-mq request into one ring request, built in the
 * shadow slot of its id and then copied onto the ring; the shadow keeps an
 * exact copy for replay.  The interrupt copies each response off the ring
 * once, checks it against the in-flight table and only then ends grants and
 * completes the request.  Anything impossible marks the device broken.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/page.h>
#include "common.h"

static_assert(PAGE_SIZE == XEN_PAGE_SIZE, "one grant per page is assumed");

static __printf(2, 3) void ddbf_broken(struct ddbf_ring *ring, const char *fmt, ...)
{
	struct ddbf_info *info = ring->info;
	struct va_format vaf;
	va_list args;

	if (READ_ONCE(info->state) == DDBF_BROKEN)
		return;
	WRITE_ONCE(info->state, DDBF_BROKEN);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err(DDBF_NAME ": %s: ring %u: backend protocol violation: %pV; device disabled\n",
	       info->xbdev->nodename, ring->idx, &vaf);
	va_end(args);
	/*
	 * Fail what is in flight (on every ring), and let queued requests
	 * reach queue_rq and fail there.
	 */
	schedule_work(&info->broken_work);
	if (info->gd)
		blk_mq_start_stopped_hw_queues(info->gd->queue, true);
}

/*
 * A new page of our own: zeroed, and with persistent grants granted writable
 * to the backend for good (a bounce page is granted per request).
 */
static struct ddbf_gnt *ddbf_gnt_new(struct ddbf_ring *ring, gfp_t gfp)
{
	struct ddbf_gnt *g;
	int ref;

	g = kmalloc(sizeof(*g), gfp);
	if (!g)
		return NULL;
	g->page = alloc_page(gfp | __GFP_ZERO);
	if (!g->page)
		goto fail;
	g->gref = DDBF_NO_GREF;
	if (!ring->info->persistent)
		return g;
	ref = gnttab_grant_foreign_access(ring->info->xbdev->otherend_id,
					  xen_page_to_gfn(g->page), 0);
	if (ref < 0) {
		__free_page(g->page);
		goto fail;
	}
	g->gref = ref;
	return g;
fail:
	kfree(g);
	return NULL;
}

/* A persistent grant from the free list, or a new one. Called with ring->lock held. */
static struct ddbf_gnt *ddbf_gnt_get(struct ddbf_ring *ring, gfp_t gfp)
{
	struct ddbf_gnt *g;

	g = list_first_entry_or_null(&ring->gnt_free, struct ddbf_gnt, node);
	if (g) {
		list_del(&g->node);
		return g;
	}
	g = ddbf_gnt_new(ring, gfp);
	if (g)
		ring->gnt_count++;
	return g;
}

static void ddbf_gnt_put(struct ddbf_ring *ring, struct ddbf_gnt *g)
{
	list_add(&g->node, &ring->gnt_free);
}

/**
 * ddbf_ring_fill_grants() - pre-allocate persistent grants or bounce pages
 * @ring: ring
 * @nr: grants wanted in the free list
 *
 * Return: 0 or -ENOMEM (the pool then grows on demand).
 */
int ddbf_ring_fill_grants(struct ddbf_ring *ring, unsigned int nr)
{
	struct ddbf_gnt *g;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&ring->lock, flags);
		if (ring->gnt_count >= nr) {
			spin_unlock_irqrestore(&ring->lock, flags);
			return 0;
		}
		spin_unlock_irqrestore(&ring->lock, flags);
		/* Allocated outside the lock; the pool only ever grows here. */
		g = ddbf_gnt_new(ring, GFP_KERNEL | __GFP_NOWARN);
		if (!g)
			return -ENOMEM;
		spin_lock_irqsave(&ring->lock, flags);
		ring->gnt_count++;
		ddbf_gnt_put(ring, g);
		spin_unlock_irqrestore(&ring->lock, flags);
	}
}

/* End one grant made for a single request; false if the backend holds it. */
static bool ddbf_end_one(struct ddbf_grant *g, struct page *page_owned)
{
	if (g->pg || g->gref == DDBF_NO_GREF)
		return true;
	if (gnttab_try_end_foreign_access(g->gref))
		return true;
	/* Still mapped: let the grant code finish (and free) it later. */
	gnttab_end_foreign_access(g->gref, page_owned);
	return false;
}

/*
 * Give back a page of our own a request used.  A bounce page is ungranted
 * first; one the backend still maps is left to the grant code, which frees
 * it once the backend lets go: false then.
 */
static bool ddbf_gnt_release(struct ddbf_ring *ring, struct ddbf_gnt *g)
{
	if (ring->info->persistent) {
		ddbf_gnt_put(ring, g);
		return true;
	}
	if (gnttab_try_end_foreign_access(g->gref)) {
		g->gref = DDBF_NO_GREF;
		ddbf_gnt_put(ring, g);
		return true;
	}
	gnttab_end_foreign_access(g->gref, g->page);
	ring->gnt_count--;
	kfree(g);
	return false;
}

/*
 * Give back every grant of a request.  Reads through our own pages are
 * copied to the request's pages when @copy_in.  Returns false if the
 * backend still had something mapped.
 */
static bool ddbf_release(struct ddbf_ring *ring, struct ddbf_shadow *sh,
			 bool copy_in)
{
	struct scatterlist *sg;
	struct ddbf_grant *g;
	bool ended = true;
	unsigned int i;

	for_each_sg(sh->sg, sg, sh->nr_sg, i) {
		g = &sh->grants[i];
		if (g->pg) {
			if (copy_in)
				memcpy_to_page(sg_page(sg), sg->offset,
					       page_address(g->pg->page) + sg->offset,
					       sg->length);
			if (!ddbf_gnt_release(ring, g->pg))
				ended = false;
		} else if (!ddbf_end_one(g, NULL)) {
			ended = false;
		}
		g->pg = NULL;
		g->gref = DDBF_NO_GREF;
	}
	for (i = 0; i < sh->nr_ind; i++) {
		g = &sh->ind[i];
		if (g->pg) {
			if (!ddbf_gnt_release(ring, g->pg))
				ended = false;
		} else if (!ddbf_end_one(g, sh->ind_page[i])) {
			/* The page now belongs to the deferred release. */
			sh->ind_page[i] = NULL;
			ended = false;
		}
		g->pg = NULL;
		g->gref = DDBF_NO_GREF;
	}
	sh->nr_sg = 0;
	sh->nr_ind = 0;
	return ended;
}

/*
 * Grant one page for this request: @page itself, or a page of our own
 * (persistent grants, or a bounce page granted now).
 */
static int ddbf_grant(struct ddbf_ring *ring, struct ddbf_grant *g,
		      struct page *page, bool readonly)
{
	struct ddbf_info *info = ring->info;
	int ref;

	if (ddbf_copying(info)) {
		g->pg = ddbf_gnt_get(ring, GFP_ATOMIC | __GFP_NOWARN);
		if (!g->pg)
			return -ENOMEM;
		if (g->pg->gref == DDBF_NO_GREF) {
			ref = gnttab_grant_foreign_access(info->xbdev->otherend_id,
							  xen_page_to_gfn(g->pg->page),
							  readonly);
			if (ref < 0) {
				ddbf_gnt_put(ring, g->pg);
				g->pg = NULL;
				return -ENOMEM;
			}
			g->pg->gref = ref;
		}
		g->gref = g->pg->gref;
		return 0;
	}
	ref = gnttab_grant_foreign_access(info->xbdev->otherend_id,
					  xen_page_to_gfn(page), readonly);
	if (ref < 0)
		return -ENOMEM;
	g->gref = ref;
	return 0;
}

static int ddbf_build_rw(struct ddbf_ring *ring, struct ddbf_shadow *sh,
			 struct request *rq, unsigned int id,
			 struct ddblk_inflight *fl)
{
	struct ddbf_info *info = ring->info;
	grant_ref_t ind_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct blkif_request_segment seg, *ind_va;
	bool write = rq_data_dir(rq) == WRITE;
	struct ddblk_layout l;
	struct scatterlist *sg;
	struct page *page;
	unsigned int i, n;
	u8 op;

	sg_init_table(sh->sg, info->max_segs);
	n = blk_rq_map_sg(rq->q, rq, sh->sg);
	if (ddblk_req_layout(n, info->max_indirect, &l))
		return -EIO;
	op = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	if (write && (rq->cmd_flags & REQ_FUA) && info->fua && !l.indirect)
		op = BLKIF_OP_WRITE_BARRIER;

	for (i = 0; i < n; i++) {
		sh->grants[i].gref = DDBF_NO_GREF;
		sh->grants[i].pg = NULL;
	}
	sh->nr_sg = n;

	for (i = 0; i < l.nr_indirect_pages; i++) {
		if (!ddbf_copying(info) && !sh->ind_page[i]) {
			/* granted: nothing of ours may be left in it */
			sh->ind_page[i] = alloc_page(GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
			if (!sh->ind_page[i])
				goto nomem;
		}
		if (ddbf_grant(ring, &sh->ind[i], sh->ind_page[i], true))
			goto nomem;
		sh->nr_ind = i + 1;
		ind_grefs[i] = sh->ind[i].gref;
	}

	if (l.indirect)
		ddblk_req_build_indirect(&sh->req, op, id, info->handle, blk_rq_pos(rq),
					 n, ind_grefs, l.nr_indirect_pages);
	else
		ddblk_req_build_rw(&sh->req, op, id, info->handle, blk_rq_pos(rq), n);

	for_each_sg(sh->sg, sg, n, i) {
		if (ddbf_grant(ring, &sh->grants[i], sg_page(sg), write))
			goto nomem;
		if (sh->grants[i].pg && write)
			memcpy_from_page(page_address(sh->grants[i].pg->page) + sg->offset,
					 sg_page(sg), sg->offset, sg->length);
		ddblk_seg_fill(&seg, sh->grants[i].gref, sg->offset, sg->length);
		if (!l.indirect) {
			*ddblk_req_seg(&sh->req, i) = seg;
			continue;
		}
		page = sh->ind[i / DDBLK_SEGS_PER_INDIRECT_PAGE].pg ?
			sh->ind[i / DDBLK_SEGS_PER_INDIRECT_PAGE].pg->page :
			sh->ind_page[i / DDBLK_SEGS_PER_INDIRECT_PAGE];
		ind_va = page_address(page);
		ind_va[i % DDBLK_SEGS_PER_INDIRECT_PAGE] = seg;
	}

	fl->op = op;
	fl->ring_op = l.indirect ? BLKIF_OP_INDIRECT : op;
	if (write) {
		ring->st.wr_req++;
		ring->st.wr_sect += blk_rq_sectors(rq);
	} else {
		ring->st.rd_req++;
		ring->st.rd_sect += blk_rq_sectors(rq);
	}
	return 0;

nomem:
	ddbf_release(ring, sh, false);
	return -ENOMEM;
}

/* Build request @rq in a free shadow slot and put it on the ring. */
static int ddbf_queue_one(struct ddbf_ring *ring, struct request *rq)
{
	struct ddbf_info *info = ring->info;
	struct ddblk_inflight fl = { .busy = 1 };
	struct ddbf_shadow *sh;
	int id = ring->free_head, err;

	if (id < 0)
		return -EBUSY;
	sh = &ring->shadow[id];
	sh->nr_sg = 0;
	sh->nr_ind = 0;

	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		if (!info->flush_op)
			return -EOPNOTSUPP;
		ddblk_req_build_rw(&sh->req, info->flush_op, id, info->handle, 0, 0);
		fl.op = info->flush_op;
		fl.ring_op = info->flush_op;
		ring->st.f_req++;
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		if (!info->discard)
			return -EOPNOTSUPP;
		ddblk_req_build_discard(&sh->req, id, info->handle, blk_rq_pos(rq),
					blk_rq_sectors(rq),
					req_op(rq) == REQ_OP_SECURE_ERASE &&
					info->secure_discard);
		fl.op = BLKIF_OP_DISCARD;
		fl.ring_op = BLKIF_OP_DISCARD;
		ring->st.ds_req++;
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		err = ddbf_build_rw(ring, sh, rq, id, &fl);
		if (err)
			return err;
		break;
	default:
		return -EOPNOTSUPP;
	}

	ring->free_head = sh->next_free;
	sh->next_free = -1;
	sh->rq = rq;
	ring->inflight[id] = fl;
	*RING_GET_REQUEST(&ring->ring, ring->ring.req_prod_pvt) = sh->req;
	ring->ring.req_prod_pvt++;
	return 0;
}

/**
 * ddbf_queue_rq() - blk-mq entry point
 * @hctx: hardware queue (one per ring)
 * @bd: the request
 *
 * Return: BLK_STS_OK, BLK_STS_DEV_RESOURCE when the ring is full,
 * BLK_STS_RESOURCE when grants or memory are short, or an error.
 */
blk_status_t ddbf_queue_rq(struct blk_mq_hw_ctx *hctx,
			   const struct blk_mq_queue_data *bd)
{
	struct ddbf_info *info = hctx->driver_data;
	/*
	 * One ring per hardware queue, unless a backend that came back after
	 * a restart offered fewer (ddbf_talk()): then they share the rings.
	 * nr_rings only changes while the queue is quiesced.
	 */
	struct ddbf_ring *ring = &info->rings[hctx->queue_num % info->nr_rings];
	struct request *rq = bd->rq;
	unsigned long flags;
	int err, notify;

	blk_mq_start_request(rq);
	spin_lock_irqsave(&ring->lock, flags);
	if (READ_ONCE(ring->info->state) != DDBF_CONNECTED) {
		spin_unlock_irqrestore(&ring->lock, flags);
		return BLK_STS_IOERR;
	}
	if (RING_FULL(&ring->ring))
		goto busy;
	err = ddbf_queue_one(ring, rq);
	if (err == -EBUSY)
		goto busy;
	if (err) {
		spin_unlock_irqrestore(&ring->lock, flags);
		if (err == -ENOMEM)
			return BLK_STS_RESOURCE;
		return err == -EOPNOTSUPP ? BLK_STS_NOTSUPP : BLK_STS_IOERR;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring->ring, notify);
	if (notify)
		notify_remote_via_irq(ring->irq);
	spin_unlock_irqrestore(&ring->lock, flags);
	return BLK_STS_OK;

busy:
	blk_mq_stop_hw_queue(hctx);
	spin_unlock_irqrestore(&ring->lock, flags);
	return BLK_STS_DEV_RESOURCE;
}

/**
 * ddbf_complete_rq() - blk-mq completion callback
 * @rq: request completed by the interrupt handler
 */
void ddbf_complete_rq(struct request *rq)
{
	struct ddbf_rq *d = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, d->status);
}

/* Slot id is free again (ring->lock held): its request, for the caller to end or requeue. */
static struct request *ddbf_slot_put(struct ddbf_ring *ring, unsigned int id)
{
	struct ddbf_shadow *sh = &ring->shadow[id];
	struct request *rq = sh->rq;

	ring->inflight[id].busy = 0;
	sh->rq = NULL;
	sh->next_free = ring->free_head;
	ring->free_head = id;
	return rq;
}

static void ddbf_finish(struct ddbf_ring *ring, unsigned int id, blk_status_t st)
{
	struct request *rq = ddbf_slot_put(ring, id);
	struct ddbf_rq *d = blk_mq_rq_to_pdu(rq);

	if (st)
		ring->st.errors++;
	d->status = st;
	blk_mq_complete_request(rq);
}

static void ddbf_complete_one(struct ddbf_ring *ring, const struct blkif_response *rsp)
{
	struct ddbf_info *info = ring->info;
	unsigned int id = rsp->id;
	struct ddbf_shadow *sh = &ring->shadow[id];
	u8 op = ring->inflight[id].op;
	blk_status_t st = BLK_STS_OK;

	if (!ddbf_release(ring, sh, rsp->status == BLKIF_RSP_OKAY && op == BLKIF_OP_READ)) {
		ddbf_broken(ring, "grants of request %u still mapped after its response", id);
		st = BLK_STS_IOERR;
	}
	switch (rsp->status) {
	case BLKIF_RSP_OKAY:
		break;
	case BLKIF_RSP_EOPNOTSUPP:
		st = BLK_STS_NOTSUPP;
		if (op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_WRITE_BARRIER) {
			pr_warn(DDBF_NAME ": %s: backend refused %s, disabling it\n",
				info->xbdev->nodename,
				op == BLKIF_OP_WRITE_BARRIER ? "barriers" : "flushes");
			/* An empty flush the backend cannot do has nothing to lose. */
			if (!DDBLK_RW(&sh->req)->nr_segments && sh->req.operation == op)
				st = BLK_STS_OK;
			info->flush_op = 0;
			info->fua = false;
			ddbf_disk_flush_changed(info);
		} else if (op == BLKIF_OP_DISCARD) {
			pr_warn(DDBF_NAME ": %s: backend refused discard, disabling it\n",
				info->xbdev->nodename);
			info->discard = false;
			blk_queue_max_discard_sectors(info->gd->queue, 0);
			blk_queue_max_secure_erase_sectors(info->gd->queue, 0);
		}
		break;
	default:
		st = BLK_STS_IOERR;
		break;
	}
	ddbf_finish(ring, id, st);
}

/* Consume responses; ring lock held. */
static void ddbf_responses(struct ddbf_ring *ring)
{
	struct blkif_front_ring *fr = &ring->ring;
	enum ddblk_rsp_verdict v;
	struct blkif_response rsp;
	RING_IDX i, rp;
	int more;

	do {
		rp = READ_ONCE(fr->sring->rsp_prod);
		virt_rmb(); /* see responses up to rp */
		if (ddblk_rsp_prod_overflow(rp, fr->rsp_cons, ring->size)) {
			ddbf_broken(ring, "response producer %u overruns ring (consumer %u, %u slots)",
				    rp, fr->rsp_cons, ring->size);
			return;
		}
		for (i = fr->rsp_cons; i != rp; i++) {
			RING_COPY_RESPONSE(fr, i, &rsp);
			v = ddblk_rsp_check(&rsp, ring->inflight, ring->size);
			if (v != DDBLK_RSP_OK) {
				fr->rsp_cons = i + 1;
				ddbf_broken(ring, "%s (id %llu, operation %u, status %d)",
					    ddblk_rsp_verdict_str(v),
					    (unsigned long long)rsp.id, rsp.operation,
					    rsp.status);
				return;
			}
			ddbf_complete_one(ring, &rsp);
		}
		fr->rsp_cons = rp;
		RING_FINAL_CHECK_FOR_RESPONSES(fr, more);
	} while (more);

	if (!RING_FULL(fr) && ring->info->gd)
		blk_mq_start_stopped_hw_queues(ring->info->gd->queue, true);
}

/**
 * ddbf_interrupt() - event channel handler of one ring
 * @irq: interrupt
 * @data: the ring
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddbf_interrupt(int irq, void *data)
{
	struct ddbf_ring *ring = data;
	bool work = false, broken;
	unsigned long flags;

	spin_lock_irqsave(&ring->lock, flags);
	if (READ_ONCE(ring->info->state) == DDBF_CONNECTED) {
		work = RING_HAS_UNCONSUMED_RESPONSES(&ring->ring);
		ddbf_responses(ring);
	}
	broken = READ_ONCE(ring->info->state) == DDBF_BROKEN;
	spin_unlock_irqrestore(&ring->lock, flags);
	/* A broken backend's channel stays masked: it cannot flood us. */
	if (!broken)
		ddcore_eoi(irq, work);
	return IRQ_HANDLED;
}

/*
 * Fail every request in flight on @ring with an I/O error, its grants
 * ended (see ddbf_release()); ring lock held.  Sets *@held if the backend
 * still mapped some of them.  Returns how many failed.
 */
static unsigned int ddbf_fail_inflight(struct ddbf_ring *ring, bool *held)
{
	unsigned int id, n = 0;

	for (id = 0; ring->inflight && id < ring->size; id++) {
		if (!ring->inflight[id].busy)
			continue;
		if (!ddbf_release(ring, &ring->shadow[id], false))
			*held = true;
		ddbf_finish(ring, id, BLK_STS_IOERR);
		n++;
	}
	return n;
}

/**
 * ddbf_ring_drain() - finish every request of a ring being torn down
 * @ring: ring; the device is no longer DDBF_CONNECTED
 *
 * Responses already on the ring are used (unless the backend is broken);
 * requests still in flight fail with an I/O error.
 */
void ddbf_ring_drain(struct ddbf_ring *ring)
{
	unsigned long flags;
	bool held = false;

	if (!ring->shadow || !ring->inflight)
		return;
	spin_lock_irqsave(&ring->lock, flags);
	if (ring->fring.sring && READ_ONCE(ring->info->state) != DDBF_BROKEN)
		ddbf_responses(ring);
	ddbf_fail_inflight(ring, &held);
	spin_unlock_irqrestore(&ring->lock, flags);
	if (held)
		pr_warn(DDBF_NAME ": %s: backend still maps grants of unanswered requests\n",
			ring->info->xbdev->nodename);
}

/**
 * ddbf_ring_hold() - take back the requests in flight of a ring whose
 * backend went away, to be sent again once a backend is connected
 * @ring: ring; the device is DDBF_DISCONNECTED and its queue quiesced
 *
 * Responses already on the ring are used first.  Every other request goes
 * back to blk-mq's requeue list with its grants ended; blk-mq sends it again
 * on the new ring (ddbf_queue_rq() builds it anew).  A grant the old backend
 * still maps (a driver domain being destroyed lets go of its mappings a
 * moment later) is left to the grant code to end; the request is sent
 * again all the same: the old backend can no longer answer it, and an
 * untrusted one (bounce mode) only ever mapped pages of our own.
 *
 * Return: how many requests were taken back.
 */
unsigned int ddbf_ring_hold(struct ddbf_ring *ring)
{
	unsigned int id, n = 0, mapped = 0;
	unsigned long flags;

	if (!ring->shadow || !ring->inflight)
		return 0;
	spin_lock_irqsave(&ring->lock, flags);
	if (ring->fring.sring)
		ddbf_responses(ring);
	for (id = 0; id < ring->size; id++) {
		if (!ring->inflight[id].busy)
			continue;
		if (!ddbf_release(ring, &ring->shadow[id], false))
			mapped++;
		blk_mq_requeue_request(ddbf_slot_put(ring, id), false);
		n++;
	}
	spin_unlock_irqrestore(&ring->lock, flags);
	if (mapped)
		pr_info(DDBF_NAME ": %s: %u held request(s) still mapped by the old backend\n",
			ring->info->xbdev->nodename, mapped);
	return n;
}

/**
 * ddbf_broken_work() - fail the requests in flight of a broken device
 * @work: &ddbf_info.broken_work
 *
 * The backend will not answer them in any way we would use: each fails with
 * an I/O error, its grants ended (a page of our own the backend still maps
 * is left to the grant code, see ddbf_release()), so nothing waits on a
 * backend that broke the protocol, not even the partition scan of a disk
 * being created.
 */
void ddbf_broken_work(struct work_struct *work)
{
	struct ddbf_info *info = container_of(work, struct ddbf_info, broken_work);
	unsigned int i, failed = 0;
	struct ddbf_ring *ring;
	unsigned long flags;
	bool held = false;

	for (i = 0; i < info->nr_rings; i++) {
		ring = &info->rings[i];
		spin_lock_irqsave(&ring->lock, flags);
		failed += ddbf_fail_inflight(ring, &held);
		spin_unlock_irqrestore(&ring->lock, flags);
	}
	if (failed)
		pr_warn(DDBF_NAME ": %s: %u request(s) in flight failed\n",
			info->xbdev->nodename, failed);
	if (info->gd)
		blk_mq_start_stopped_hw_queues(info->gd->queue, true);
}

/**
 * ddbf_ring_alloc() - create a ring, its shadow slots and event channel
 * @ring: zeroed ring with @ring->info and @ring->idx set
 *
 * Return: 0 or a negative errno (reported with xenbus_dev_fatal).  The
 * caller frees a partly built ring with ddbf_ring_free().
 */
int ddbf_ring_alloc(struct ddbf_ring *ring)
{
	struct ddbf_info *info = ring->info;
	struct xenbus_device *dev = info->xbdev;
	unsigned int i, j, segs = info->max_segs;
	struct ddbf_shadow *sh;
	int err;

	spin_lock_init(&ring->lock);
	INIT_LIST_HEAD(&ring->gnt_free);
	ring->free_head = -1;

	err = ddcore_fring_setup(dev, &ring->fring, info->ring_order);
	if (err)
		return err;
	XEN_FRONT_RING_INIT(&ring->ring, (struct blkif_sring *)ring->fring.sring,
			    ddcore_ring_bytes(info->ring_order));
	ring->size = RING_SIZE(&ring->ring);

	ring->shadow = kvcalloc(ring->size, sizeof(*ring->shadow), GFP_KERNEL);
	ring->inflight = kvcalloc(ring->size, sizeof(*ring->inflight), GFP_KERNEL);
	ring->sg = kvcalloc(ring->size * segs, sizeof(*ring->sg), GFP_KERNEL);
	ring->grants = kvcalloc(ring->size * segs, sizeof(*ring->grants), GFP_KERNEL);
	if (!ring->shadow || !ring->inflight || !ring->sg || !ring->grants) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating ring %u", ring->idx);
		return -ENOMEM;
	}
	for (i = 0; i < ring->size; i++) {
		sh = &ring->shadow[i];
		sh->sg = &ring->sg[i * segs];
		sh->grants = &ring->grants[i * segs];
		sh->next_free = i + 1 < ring->size ? i + 1 : -1;
		for (j = 0; j < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; j++)
			sh->ind[j].gref = DDBF_NO_GREF;
		for (j = 0; j < segs; j++)
			sh->grants[j].gref = DDBF_NO_GREF;
	}
	ring->free_head = 0;

	err = ddcore_front_evtchn_alloc(dev, &ring->evtchn, ddbf_interrupt,
					DDBF_NAME, ring, true);
	if (err < 0) {
		ring->evtchn = 0;
		return err;
	}
	ring->irq = err;
	return 0;
}

/**
 * ddbf_ring_free() - release a ring after ddbf_ring_drain()
 * @ring: ring; safe on a partly built one
 */
void ddbf_ring_free(struct ddbf_ring *ring)
{
	struct ddbf_info *info = ring->info;
	struct ddbf_gnt *g, *tmp;
	unsigned int i, j;

	ddcore_front_evtchn_free(info->xbdev, ring->evtchn, ring->irq, ring);
	ring->irq = 0;
	ring->evtchn = 0;

	if (ring->shadow) {
		for (i = 0; i < ring->size; i++)
			for (j = 0; j < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; j++)
				if (ring->shadow[i].ind_page[j])
					__free_page(ring->shadow[i].ind_page[j]);
	}
	if (!ring->gnt_free.next)
		goto out; /* never set up */
	list_for_each_entry_safe(g, tmp, &ring->gnt_free, node) {
		list_del(&g->node);
		/* Frees the page once the backend has let go of it. */
		if (g->gref == DDBF_NO_GREF)
			__free_page(g->page);
		else
			gnttab_end_foreign_access(g->gref, g->page);
		kfree(g);
	}
	ring->gnt_count = 0;
	kvfree(ring->grants);
	kvfree(ring->sg);
	kvfree(ring->inflight);
	kvfree(ring->shadow);
	ring->grants = NULL;
	ring->sg = NULL;
	ring->inflight = NULL;
	ring->shadow = NULL;
out:
	ddcore_fring_teardown(&ring->fring);
	ddbf_stats_accumulate(&info->st_closed, &ring->st);
	memset(&ring->st, 0, sizeof(ring->st));
}
