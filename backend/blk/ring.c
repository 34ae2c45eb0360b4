// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkback data path.
 *
 * One kthread per ring.  It copies each request off the ring once, checks
 * the copy with the pure functions of ddblk_proto, maps the grants, submits
 * bios and, when they complete, unmaps and answers.  Bio completions only
 * queue the request on a list; every ring access, grant operation and
 * response happens in the thread, so the ring needs no lock.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <xen/events.h>
#include "common.h"

/* Thread wakes at least this often to look for a resized device. */
#define DDBB_IDLE_TIMEOUT	(2 * HZ)

static irqreturn_t ddbb_irq(int irq, void *data)
{
	struct ddbb_ring *ring = data;

	WRITE_ONCE(ring->eoi_pending, true);
	WRITE_ONCE(ring->more_work, true);
	wake_up(&ring->wq);
	return IRQ_HANDLED;
}

static bool ddbb_has_done(struct ddbb_ring *ring)
{
	return !list_empty_careful(&ring->done_list);
}

static void ddbb_respond(struct ddbb_ring *ring, u64 id, u8 op, int status)
{
	struct blkif_back_ring *br = &ring->ring;
	int notify;

	ddblk_rsp_build(RING_GET_RESPONSE(br, br->rsp_prod_pvt), id, op, status);
	br->rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(br, notify);
	if (notify)
		notify_remote_via_irq(ring->irq);
}

static struct ddbb_pending *ddbb_get_slot(struct ddbb_ring *ring)
{
	struct ddbb_pending *p;

	p = list_first_entry_or_null(&ring->free_list, struct ddbb_pending, list);
	if (p)
		list_del(&p->list);
	return p;
}

static void ddbb_put_slot(struct ddbb_ring *ring, struct ddbb_pending *p)
{
	list_add(&p->list, &ring->free_list);
}

/* Release segments of a request; mapped ones are unmapped in one batch. */
static void ddbb_release_segs(struct ddbb_ring *ring, struct ddbb_pending *p,
			      bool mapped)
{
	unsigned int i, n = 0;
	struct ddbb_seg *seg;

	for (i = 0; i < p->nr_segs; i++) {
		seg = &p->segs[i];
		if (seg->pg) {
			ddbb_pg_put(ring, seg->pg);
		} else if (seg->page && mapped) {
			ring->pages[n] = seg->page;
			ring->handles[n] = seg->handle;
			n++;
		} else if (seg->page) {
			ddbb_page_put(ring, seg->page);
		}
		seg->pg = NULL;
		seg->page = NULL;
	}
	ddbb_unmap_batch(ring, ring->pages, ring->handles, n);
}

static bool ddbb_complete(struct ddbb_ring *ring)
{
	struct ddbb_pending *p, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&ring->done_lock);
	list_splice_init(&ring->done_list, &done);
	spin_unlock_irq(&ring->done_lock);
	if (list_empty(&done))
		return false;

	list_for_each_entry_safe(p, tmp, &done, list) {
		list_del(&p->list);
		ddbb_release_segs(ring, p, true);
		if (p->status != BLKIF_RSP_OKAY)
			ring->st.errors++;
		ddbb_respond(ring, p->id, p->op, p->status);
		ddbb_put_slot(ring, p);
		atomic_dec(&ring->inflight);
	}
	/* Slots were freed: requests left on the ring can proceed. */
	WRITE_ONCE(ring->more_work, true);
	return true;
}

static void ddbb_drain(struct ddbb_ring *ring)
{
	while (atomic_read(&ring->inflight)) {
		wait_event(ring->wq, ddbb_has_done(ring));
		ddbb_complete(ring);
	}
}

static void ddbb_end_io(struct bio *bio)
{
	struct ddbb_pending *p = bio->bi_private;
	struct ddbb_ring *ring = p->ring;
	unsigned long flags;

	if (bio->bi_status) {
		if (bio->bi_status == BLK_STS_NOTSUPP &&
		    (p->op == BLKIF_OP_FLUSH_DISKCACHE || p->op == BLKIF_OP_WRITE_BARRIER))
			WRITE_ONCE(p->status, BLKIF_RSP_EOPNOTSUPP);
		else
			WRITE_ONCE(p->status, BLKIF_RSP_ERROR);
	}
	bio_put(bio);
	if (!atomic_dec_and_test(&p->bios_left))
		return;
	/* Wake inside the lock: once it is dropped the ring may go away. */
	spin_lock_irqsave(&ring->done_lock, flags);
	list_add_tail(&p->list, &ring->done_list);
	wake_up(&ring->wq);
	spin_unlock_irqrestore(&ring->done_lock, flags);
}

/* Map the indirect pages of @r and copy their segments into ring->segbuf. */
static int ddbb_read_indirect(struct ddbb_ring *ring, const struct ddblk_req *r)
{
	struct gnttab_map_grant_ref ops[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct page *pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct page *unmap_pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	grant_handle_t handles[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	domid_t domid = ring->blkif->dev->otherend_id;
	unsigned int i, n = r->nr_indirect_pages, left = r->nr_segs, cnt, nu = 0;
	int err = 0;

	for (i = 0; i < n; i++) {
		pages[i] = ddbb_page_get(ring);
		if (!pages[i]) {
			while (i--)
				ddbb_page_put(ring, pages[i]);
			return -ENOMEM;
		}
		gnttab_set_map_op(&ops[i], ddbb_vaddr(pages[i]),
				  GNTMAP_host_map | GNTMAP_readonly,
				  r->indirect_grefs[i], domid);
		ops[i].status = GNTST_general_error;
	}
	if (gnttab_map_refs(ops, NULL, pages, n))
		err = -EFAULT;
	for (i = 0; i < n; i++) {
		if (ops[i].status != GNTST_okay) {
			err = -EFAULT;
			ddbb_page_put(ring, pages[i]);
			continue;
		}
		unmap_pages[nu] = pages[i];
		handles[nu++] = ops[i].handle;
	}
	if (!err) {
		for (i = 0; i < n; i++) {
			cnt = min_t(unsigned int, left, DDBLK_SEGS_PER_INDIRECT_PAGE);
			memcpy(ring->segbuf + i * DDBLK_SEGS_PER_INDIRECT_PAGE,
			       page_address(pages[i]), cnt * sizeof(*ring->segbuf));
			left -= cnt;
		}
	}
	ddbb_unmap_batch(ring, unmap_pages, handles, nu);
	return err;
}

/* Map every data segment of @p, reusing persistent grants. */
static int ddbb_map_segs(struct ddbb_ring *ring, struct ddbb_pending *p,
			 bool write)
{
	struct ddbb_blkif *blkif = ring->blkif;
	domid_t domid = blkif->dev->otherend_id;
	unsigned int i, j, n_map = 0;
	struct ddbb_pgrant *pg;
	struct ddbb_seg *seg;
	u32 flags;
	bool bad = false;

	for (i = 0; i < p->nr_segs; i++) {
		seg = &p->segs[i];
		if (blkif->persistent) {
			pg = ddbb_pg_find(ring, seg->gref);
			if (pg) {
				if (pg->in_use) {
					pr_warn_ratelimited(DDBB_NAME ": %s: grant %u used twice at once\n",
							    blkif->dev->nodename, seg->gref);
					ddbb_release_segs(ring, p, false);
					return -EINVAL;
				}
				pg->in_use = true;
				seg->pg = pg;
				seg->page = pg->page;
				continue;
			}
		}
		seg->page = ddbb_page_get(ring);
		if (!seg->page) {
			ddbb_release_segs(ring, p, false);
			return -ENOMEM;
		}
		flags = GNTMAP_host_map;
		if (write && !blkif->persistent)
			flags |= GNTMAP_readonly;
		gnttab_set_map_op(&ring->map_ops[n_map], ddbb_vaddr(seg->page), flags,
				  seg->gref, domid);
		ring->map_ops[n_map].status = GNTST_general_error;
		ring->pages[n_map] = seg->page;
		ring->map_idx[n_map] = i;
		n_map++;
	}
	if (!n_map)
		return 0;

	if (gnttab_map_refs(ring->map_ops, NULL, ring->pages, n_map))
		bad = true;
	for (j = 0; j < n_map; j++) {
		seg = &p->segs[ring->map_idx[j]];
		if (ring->map_ops[j].status != GNTST_okay) {
			pr_warn_ratelimited(DDBB_NAME ": %s: mapping grant %u failed (%d)\n",
					    blkif->dev->nodename, seg->gref,
					    ring->map_ops[j].status);
			ddbb_page_put(ring, seg->page);
			seg->page = NULL;
			bad = true;
			continue;
		}
		seg->handle = ring->map_ops[j].handle;
		if (blkif->persistent)
			seg->pg = ddbb_pg_add(ring, seg->gref, seg->handle, seg->page);
	}
	if (bad) {
		ddbb_release_segs(ring, p, true);
		return -EFAULT;
	}
	return 0;
}

static blk_opf_t ddbb_opf(u8 op)
{
	switch (op) {
	case BLKIF_OP_READ:
		return REQ_OP_READ;
	case BLKIF_OP_FLUSH_DISKCACHE:
		return REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH;
	case BLKIF_OP_WRITE_BARRIER:
		return REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA;
	default:
		return REQ_OP_WRITE | REQ_SYNC | REQ_IDLE;
	}
}

static struct bio *ddbb_bio(struct ddbb_pending *p, unsigned int nr_vecs,
			    blk_opf_t opf, sector_t sector)
{
	struct bio *bio;

	bio = bio_alloc(p->ring->blkif->bdev, nr_vecs, opf, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	bio->bi_private = p;
	bio->bi_end_io = ddbb_end_io;
	return bio;
}

static void ddbb_submit(struct ddbb_ring *ring, struct ddbb_pending *p,
			blk_opf_t opf, sector_t sector)
{
	struct bio_list bl;
	struct blk_plug plug;
	struct bio *bio = NULL;
	unsigned int i, len, off, nbios = 0;
	struct ddbb_seg *seg;

	bio_list_init(&bl);
	if (!p->nr_segs) {
		/* A pure flush covers no sectors. */
		bio_list_add(&bl, ddbb_bio(p, 0, opf, 0));
		nbios = 1;
	}
	for (i = 0; i < p->nr_segs; i++) {
		seg = &p->segs[i];
		off = seg->first << DDBLK_SECTOR_SHIFT;
		len = (seg->last - seg->first + 1) << DDBLK_SECTOR_SHIFT;
		if (!bio || bio_add_page(bio, seg->page, len, off) != len) {
			bio = ddbb_bio(p, min_t(unsigned int, p->nr_segs - i, BIO_MAX_VECS),
				       opf, sector);
			bio_list_add(&bl, bio);
			nbios++;
			/* An empty bio always takes one page. */
			bio_add_page(bio, seg->page, len, off);
		}
		sector += len >> DDBLK_SECTOR_SHIFT;
	}

	atomic_set(&p->bios_left, nbios);
	atomic_inc(&ring->inflight);
	blk_start_plug(&plug);
	while ((bio = bio_list_pop(&bl)))
		submit_bio(bio);
	blk_finish_plug(&plug);
}

static void ddbb_discard(struct ddbb_ring *ring, const struct ddblk_req *r)
{
	struct ddbb_blkif *blkif = ring->blkif;
	int err = 0, status;

	ring->st.ds_req++;
	if (r->nr_sectors) {
		if ((r->discard_flags & BLKIF_DISCARD_SECURE) && blkif->lim.discard_secure)
			err = blkdev_issue_secure_erase(blkif->bdev, r->sector,
							r->nr_sectors, GFP_KERNEL);
		else
			err = blkdev_issue_discard(blkif->bdev, r->sector,
						   r->nr_sectors, GFP_KERNEL);
	}
	if (!err)
		status = BLKIF_RSP_OKAY;
	else if (err == -EOPNOTSUPP)
		status = BLKIF_RSP_EOPNOTSUPP;
	else
		status = BLKIF_RSP_ERROR;
	if (status != BLKIF_RSP_OKAY)
		ring->st.errors++;
	ddbb_respond(ring, r->id, BLKIF_OP_DISCARD, status);
}

static void ddbb_count(struct ddbb_ring *ring, const struct ddblk_req *r)
{
	switch (r->op) {
	case BLKIF_OP_READ:
		ring->st.rd_req++;
		ring->st.rd_sect += r->nr_sectors;
		break;
	case BLKIF_OP_WRITE:
		ring->st.wr_req++;
		ring->st.wr_sect += r->nr_sectors;
		break;
	default:
		ring->st.f_req++;
		ring->st.wr_sect += r->nr_sectors;
		break;
	}
}

/*
 * The frontend broke the protocol beyond what we answer: stop serving the
 * ring and tell the toolstack (error node, state Closing).  Ring thread only.
 */
static void ddbb_cut_off(struct ddbb_ring *ring, const char *why)
{
	if (ring->broken)
		return;
	ring->broken = true;
	ring->st.cutoffs++;
	xenbus_dev_fatal(ring->blkif->dev, -EPROTO, "ring %u: %s: frontend cut off",
			 ring->idx, why);
}

/* One more malformed request: past ddbb_max_bad_req the frontend is cut off. */
static void ddbb_bad(struct ddbb_ring *ring)
{
	ring->st.bad_req++;
	if (ddbb_max_bad_req && ++ring->bad >= ddbb_max_bad_req)
		ddbb_cut_off(ring, "too many malformed requests");
}

static void ddbb_dispatch(struct ddbb_ring *ring, struct ddbb_pending *p,
			  const struct blkif_request *req)
{
	struct ddbb_blkif *blkif = ring->blkif;
	const struct blkif_request_segment *segs;
	struct ddblk_limits lim = blkif->lim;
	enum ddblk_verdict v;
	struct ddblk_req r;
	unsigned int i;
	int err;

	lim.dev_sectors = READ_ONCE(blkif->lim.dev_sectors);
	ddblk_req_decode(req, &r);
	v = ddblk_req_check(&r, &lim);
	if (v != DDBLK_OK)
		goto reject;
	if (r.operation == BLKIF_OP_DISCARD) {
		ddbb_discard(ring, &r);
		ddbb_put_slot(ring, p);
		return;
	}
	segs = r.seg;
	if (r.indirect) {
		if (ddbb_read_indirect(ring, &r)) {
			v = DDBLK_E_NIND;
			goto reject;
		}
		segs = ring->segbuf;
	}
	v = ddblk_req_check_segs(&r, segs, &lim);
	if (v != DDBLK_OK)
		goto reject;

	if (r.operation == BLKIF_OP_WRITE_BARRIER)
		ddbb_drain(ring);

	p->id = r.id;
	p->op = r.op;
	p->nr_segs = r.nr_segs;
	p->nr_sects = r.nr_sectors;
	p->status = BLKIF_RSP_OKAY;
	for (i = 0; i < r.nr_segs; i++) {
		p->segs[i].gref = segs[i].gref;
		p->segs[i].first = segs[i].first_sect;
		p->segs[i].last = segs[i].last_sect;
		p->segs[i].page = NULL;
		p->segs[i].pg = NULL;
	}
	err = ddbb_map_segs(ring, p, r.op != BLKIF_OP_READ);
	if (err) {
		ring->st.errors++;
		if (err != -ENOMEM)	/* our memory, not the frontend's grants */
			ddbb_bad(ring);
		ddbb_respond(ring, r.id, r.op, BLKIF_RSP_ERROR);
		ddbb_put_slot(ring, p);
		return;
	}
	ddbb_count(ring, &r);
	ddbb_submit(ring, p, ddbb_opf(r.op), r.sector);
	return;

reject:
	ring->st.errors++;
	ddbb_bad(ring);
	pr_warn_ratelimited(DDBB_NAME ": %s: ring %u: request op %u id %llu rejected: %s\n",
			    blkif->dev->nodename, ring->idx, r.operation,
			    (unsigned long long)r.id, ddblk_verdict_str(v));
	ddbb_respond(ring, r.id, r.op, ddblk_verdict_status(v));
	ddbb_put_slot(ring, p);
}

/* Consume requests; returns true if any was found. */
static bool ddbb_do_requests(struct ddbb_ring *ring)
{
	struct blkif_back_ring *br = &ring->ring;
	struct blkif_request req;
	struct ddbb_pending *p;
	RING_IDX rc, rp;
	bool work = false;
	int more;

	do {
		rc = br->req_cons;
		rp = READ_ONCE(br->sring->req_prod);
		virt_rmb(); /* see requests up to rp */
		if (ddblk_req_prod_overflow(rp, br->rsp_prod_pvt, RING_SIZE(br))) {
			pr_warn(DDBB_NAME ": %s: ring %u: frontend producer %u overruns ring (%u+%u), ring stopped\n",
				ring->blkif->dev->nodename, ring->idx, rp,
				br->rsp_prod_pvt, RING_SIZE(br));
			ddbb_cut_off(ring, "request producer overruns the ring");
			return work;
		}
		while (rc != rp) {
			p = NULL;
			if (!RING_REQUEST_CONS_OVERFLOW(br, rc))
				p = ddbb_get_slot(ring);
			if (!p) {
				/* Resume when a completion frees a slot. */
				ring->st.oo_req++;
				return work;
			}
			RING_COPY_REQUEST(br, rc, &req);
			br->req_cons = ++rc;
			work = true;
			ddbb_dispatch(ring, p, &req);
			if (ring->broken)
				return work;
			cond_resched();
		}
		RING_FINAL_CHECK_FOR_REQUESTS(br, more);
	} while (more);
	return work;
}

static int ddbb_thread(void *arg)
{
	struct ddbb_ring *ring = arg;
	bool work, eoi;

	while (!kthread_should_stop()) {
		wait_event_interruptible_timeout(ring->wq,
						 READ_ONCE(ring->more_work) ||
						 ddbb_has_done(ring) ||
						 kthread_should_stop(),
						 DDBB_IDLE_TIMEOUT);
		if (kthread_should_stop())
			break;
		eoi = xchg(&ring->eoi_pending, false);
		WRITE_ONCE(ring->more_work, false);
		smp_mb(); /* clear the flag before looking for work */

		work = ddbb_complete(ring);
		if (!ring->broken && ddbb_do_requests(ring))
			work = true;
		if (eoi)
			ddcore_eoi(ring->irq, work);
		ddbb_pg_purge(ring, false);
		if (!ring->idx)
			ddbb_dev_check_resize(ring->blkif);
	}

	/* Every submitted request is answered before the ring goes away. */
	ddbb_drain(ring);
	return 0;
}

/**
 * ddbb_ring_init() - initialise an unmapped ring
 * @ring: zeroed ring
 * @blkif: owning device
 * @idx: queue index
 */
void ddbb_ring_init(struct ddbb_ring *ring, struct ddbb_blkif *blkif,
		    unsigned int idx)
{
	ring->blkif = blkif;
	ring->idx = idx;
	spin_lock_init(&ring->done_lock);
	INIT_LIST_HEAD(&ring->done_list);
	INIT_LIST_HEAD(&ring->free_list);
	INIT_LIST_HEAD(&ring->pg_lru);
	init_waitqueue_head(&ring->wq);
	xa_init(&ring->pgrants);
	atomic_set(&ring->inflight, 0);
}

/**
 * ddbb_ring_map() - attach to one frontend ring
 * @ring: ring set up with ddbb_ring_init()
 * @dir: frontend directory holding this ring's keys
 *
 * Maps the ring, refuses impossible producer indices, allocates the
 * request slots and binds the event channel.  On failure the caller
 * releases what was set up with ddbb_ring_unmap().
 *
 * Return: 0 or a negative errno (reported with xenbus_dev_fatal).
 */
int ddbb_ring_map(struct ddbb_ring *ring, const char *dir)
{
	struct ddbb_blkif *blkif = ring->blkif;
	struct xenbus_device *dev = blkif->dev;
	size_t bytes = ddcore_ring_bytes(blkif->ring_order);
	struct blkif_sring *sring;
	evtchn_port_t port;
	RING_IDX rsp_prod;
	unsigned int i;
	int err;

	err = ddcore_evtchn_read(dir, &port);
	if (err) {
		xenbus_dev_fatal(dev, err, "reading %s/event-channel", dir);
		return err;
	}
	err = ddcore_bring_map(dev, dir, blkif->ring_order, &ring->bring);
	if (err)
		return err;
	sring = ring->bring.sring;
	err = ddcore_bring_check(&ring->bring, __RING_SIZE(sring, bytes), &rsp_prod);
	if (err) {
		xenbus_dev_fatal(dev, err, "ring %s has an impossible producer index", dir);
		return err;
	}
	BACK_RING_ATTACH(&ring->ring, sring, rsp_prod, bytes);

	ring->max_segs = max_t(unsigned int, ddbb_max_indirect_segments,
			       BLKIF_MAX_SEGMENTS_PER_REQUEST);
	ring->nr_pending = RING_SIZE(&ring->ring);
	ring->pending = kvcalloc(ring->nr_pending, sizeof(*ring->pending), GFP_KERNEL);
	ring->segs = kvcalloc(ring->nr_pending * ring->max_segs, sizeof(*ring->segs),
			      GFP_KERNEL);
	ring->map_ops = kvcalloc(ring->max_segs, sizeof(*ring->map_ops), GFP_KERNEL);
	ring->unmap_ops = kvcalloc(ring->max_segs, sizeof(*ring->unmap_ops), GFP_KERNEL);
	ring->pages = kvcalloc(ring->max_segs, sizeof(*ring->pages), GFP_KERNEL);
	ring->handles = kvcalloc(ring->max_segs, sizeof(*ring->handles), GFP_KERNEL);
	ring->map_idx = kvcalloc(ring->max_segs, sizeof(*ring->map_idx), GFP_KERNEL);
	ring->segbuf = kvcalloc(ring->max_segs, sizeof(*ring->segbuf), GFP_KERNEL);
	if (!ring->pending || !ring->segs || !ring->map_ops || !ring->unmap_ops ||
	    !ring->pages || !ring->handles || !ring->map_idx || !ring->segbuf) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating ring %u", ring->idx);
		return -ENOMEM;
	}
	for (i = 0; i < ring->nr_pending; i++) {
		ring->pending[i].ring = ring;
		ring->pending[i].segs = &ring->segs[i * ring->max_segs];
		list_add_tail(&ring->pending[i].list, &ring->free_list);
	}

	err = ddcore_back_evtchn_bind(dev, port, ddbb_irq, DDBB_NAME, ring);
	if (err < 0) {
		xenbus_dev_fatal(dev, err, "binding event channel %u", port);
		return err;
	}
	ring->irq = err;
	return 0;
}

/**
 * ddbb_ring_start() - start serving a mapped ring
 * @ring: ring
 *
 * Return: 0 or a negative errno.
 */
int ddbb_ring_start(struct ddbb_ring *ring)
{
	struct task_struct *t;

	if (ring->task)
		return 0;
	t = kthread_run(ddbb_thread, ring, "ddbb.%d.%u", ring->blkif->dev->otherend_id,
			ring->idx);
	if (IS_ERR(t))
		return PTR_ERR(t);
	ring->task = t;
	/* Requests may have arrived before the thread existed. */
	WRITE_ONCE(ring->more_work, true);
	WRITE_ONCE(ring->eoi_pending, true);
	wake_up(&ring->wq);
	return 0;
}

/**
 * ddbb_ring_stop() - stop the ring thread after answering every request
 * @ring: ring; no-op if never started
 */
void ddbb_ring_stop(struct ddbb_ring *ring)
{
	if (!ring->task)
		return;
	kthread_stop(ring->task);
	ring->task = NULL;
}

/**
 * ddbb_ring_unmap() - release everything ddbb_ring_map() set up
 * @ring: ring with its thread stopped; safe on a partly set up ring
 */
void ddbb_ring_unmap(struct ddbb_ring *ring)
{
	struct ddbb_blkif *blkif = ring->blkif;

	ddcore_evtchn_unbind(ring->irq, ring);
	ring->irq = 0;
	if (ring->pages && ring->handles && ring->unmap_ops)
		ddbb_pg_purge(ring, true);
	if (ring->pg_count)
		pr_err(DDBB_NAME ": %s: %u persistent grants still busy at teardown\n",
		       blkif->dev->nodename, ring->pg_count);
	ddbb_pool_free(ring);
	xa_destroy(&ring->pgrants);
	kvfree(ring->segbuf);
	kvfree(ring->map_idx);
	kvfree(ring->handles);
	kvfree(ring->pages);
	kvfree(ring->unmap_ops);
	kvfree(ring->map_ops);
	kvfree(ring->segs);
	kvfree(ring->pending);
	ring->segbuf = NULL;
	ring->map_idx = NULL;
	ring->handles = NULL;
	ring->pages = NULL;
	ring->unmap_ops = NULL;
	ring->map_ops = NULL;
	ring->segs = NULL;
	ring->pending = NULL;
	ddcore_bring_unmap(blkif->dev, &ring->bring);
	ddbb_stats_accumulate(&blkif->st_closed, &ring->st);
	memset(&ring->st, 0, sizeof(ring->st));
}
