// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetfront receive path.
 *
 * The rx ring is kept full of pages, one per request, granted writable to
 * the backend; the request id is the ring index modulo the ring size, so the
 * response (or extra) found in a slot must carry the id posted there.
 *
 * NAPI poll, per packet: every ring slot the packet spans is copied off the
 * ring once; the first response, its extras and the further data slots are
 * checked with the ddnet_proto helpers; the whole packet with
 * ddnet_rx_pkt_check().  Only a packet found good has its grants ended and
 * its pages given to an skb; anything else is dropped, counted by class and
 * its pages are posted again as they are.  A packet whose last slot the
 * backend has not published yet is left on the ring until it has.
 *
 * Everything here runs in the queue's NAPI context, or with NAPI disabled
 * and the interrupts unbound (setup and teardown).
 */
#include <linux/etherdevice.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <xen/events.h>
#include <xen/page.h>
#include "common.h"

#define DDNF_RX_MASK		(DDNF_RX_RING_SIZE - 1)
/* Ring slots one packet may span as walked: data slots plus extras. */
#define DDNF_RX_WALK_MAX	(DDNF_RX_SCAN_MAX + DDNET_MAX_EXTRAS)

#define DDNF_RX_STAT(q, field, n) do {				\
	u64_stats_update_begin(&(q)->st.rx_syncp);			\
	(q)->st.field += (n);						\
	u64_stats_update_end(&(q)->st.rx_syncp);			\
} while (0)

/**
 * struct ddnf_rx_pkt - one packet as copied off the ring
 * @rsp: its data responses, first at [0]
 * @pos: ring offset (from the first slot) of each data response
 * @nr_data: data responses
 * @nr_slots: ring slots spanned, extras included
 * @gso: the GSO extra, when @has_gso
 * @has_gso: a valid GSO extra came with the packet
 * @v: first problem found, DDNET_RSP_V_OK if none
 * @error: the backend marked a slot with an error status
 * @len: bytes over all data responses
 */
struct ddnf_rx_pkt {
	struct xen_netif_rx_response rsp[DDNF_RX_SCAN_MAX];
	u8 pos[DDNF_RX_SCAN_MAX];
	unsigned int nr_data;
	unsigned int nr_slots;
	struct xen_netif_extra_info gso;
	bool has_gso;
	enum ddnet_rsp_verdict v;
	bool error;
	unsigned int len;
};

static_assert(DDNF_RX_WALK_MAX < 256, "ring offsets fit a u8");

static void ddnf_rx_note(struct ddnf_rx_pkt *pkt, enum ddnet_rsp_verdict v)
{
	if (pkt->v == DDNET_RSP_V_OK)
		pkt->v = v;
}

/* Post @page (granted as @gref) in the next free request slot. */
static void ddnf_rx_post(struct ddnf_queue *q, struct page *page, grant_ref_t gref)
{
	RING_IDX i = q->rx.req_prod_pvt;
	unsigned int id = i & DDNF_RX_MASK;
	struct xen_netif_rx_request *req = RING_GET_REQUEST(&q->rx, i);

	q->rx_buf[id].page = page;
	q->rx_buf[id].gref = gref;
	req->id = id;
	req->gref = gref;
	q->rx.req_prod_pvt = i + 1;
}

static void ddnf_rx_push(struct ddnf_queue *q)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, notify);
	if (notify)
		notify_remote_via_irq(q->rx_irq);
}

/**
 * ddnf_rx_fill() - post fresh pages in every free request slot
 * @q: queue (NAPI context, or NAPI disabled)
 * @gfp: allocation flags
 *
 * The requests are not pushed.
 *
 * Return: number of buffers posted.
 */
int ddnf_rx_fill(struct ddnf_queue *q, gfp_t gfp)
{
	domid_t domid = q->info->xbdev->otherend_id;
	struct page *page;
	int n = 0, ref;

	while (q->rx.req_prod_pvt - q->rx.rsp_cons < DDNF_RX_RING_SIZE) {
		/* granted to the backend: nothing of ours may be left in it */
		page = alloc_page(gfp | __GFP_NOWARN | __GFP_ZERO);
		if (!page)
			goto fail;
		ref = gnttab_claim_grant_reference(&q->gref_rx_head);
		if (ref < 0) {
			__free_page(page);
			goto fail;
		}
		gnttab_grant_foreign_access_ref(ref, domid, xen_page_to_gfn(page), 0);
		ddnf_rx_post(q, page, ref);
		n++;
	}
	return n;
fail:
	DDNF_RX_STAT(q, rx_refill_failed, 1);
	return n;
}

/* Refill in batches, retry later when short, push and notify. */
static void ddnf_rx_refill(struct ddnf_queue *q)
{
	unsigned int posted = q->rx.req_prod_pvt - q->rx.rsp_cons;

	if (DDNF_RX_RING_SIZE - posted >= DDNF_RX_BATCH || posted < DDNF_RX_LOW)
		ddnf_rx_fill(q, GFP_ATOMIC);
	if (q->rx.req_prod_pvt - q->rx.rsp_cons < DDNF_RX_LOW)
		mod_timer(&q->refill_timer, jiffies + HZ / 10);
	ddnf_rx_push(q);
}

/*
 * Copy the packet starting at @cons off the ring (each slot once) and check
 * it.  Returns the ring slots it spans, or 0 when its end is not published
 * yet (nothing is consumed then).
 */
static unsigned int ddnf_rx_parse(struct ddnf_queue *q, RING_IDX cons, RING_IDX rp,
				  struct ddnf_rx_pkt *pkt)
{
	const struct ddnf_info *info = q->info;
	unsigned int avail = rp - cons, n, i, nx = 0;
	struct xen_netif_rx_response rsp;
	struct xen_netif_extra_info ex;
	enum ddnet_rsp_verdict v;
	bool more;
	u16 first_flags;

	pkt->nr_data = 0;
	pkt->has_gso = false;
	pkt->v = DDNET_RSP_V_OK;
	pkt->error = false;
	pkt->len = 0;

	RING_COPY_RESPONSE(&q->rx, cons, &rsp);
	n = 1;
	ddnf_rx_note(pkt, ddnet_rx_rsp_check(&rsp, cons & DDNF_RX_MASK));
	pkt->pos[0] = 0;
	pkt->rsp[pkt->nr_data++] = rsp;
	first_flags = rsp.flags;

	more = first_flags & DDNET_RXF_EXTRA_INFO;
	while (more) {
		if (nx >= DDNET_MAX_EXTRAS) {
			ddnf_rx_note(pkt, DDNET_RSP_V_BAD_EXTRA);
			goto done;
		}
		if (n >= avail)
			return 0;
		RING_COPY_RESPONSE(&q->rx, cons + n, &ex);
		n++;
		nx++;
		v = ddnet_rx_extra_check(&ex, info->rx_gso4, info->rx_gso6);
		ddnf_rx_note(pkt, v);
		if (v == DDNET_RSP_V_OK && ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
			if (pkt->has_gso)
				ddnf_rx_note(pkt, DDNET_RSP_V_BAD_EXTRA);
			pkt->gso = ex;
			pkt->has_gso = true;
		}
		more = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
	}

	more = first_flags & DDNET_RXF_MORE_DATA;
	while (more) {
		if (pkt->nr_data >= DDNF_RX_SCAN_MAX) {
			/* Stop here; what follows is read as new packets. */
			ddnf_rx_note(pkt, DDNET_RSP_V_TOO_LONG);
			break;
		}
		if (n >= avail)
			return 0;
		RING_COPY_RESPONSE(&q->rx, cons + n, &rsp);
		v = ddnet_rx_rsp_check(&rsp, (cons + n) & DDNF_RX_MASK);
		/* Extras only ever follow the first slot. */
		if (v == DDNET_RSP_V_OK && (rsp.flags & DDNET_RXF_EXTRA_INFO))
			v = DDNET_RSP_V_BAD_FLAGS;
		ddnf_rx_note(pkt, v);
		pkt->pos[pkt->nr_data] = n;
		pkt->rsp[pkt->nr_data++] = rsp;
		n++;
		more = rsp.flags & DDNET_RXF_MORE_DATA;
	}

done:
	pkt->nr_slots = n;
	if (pkt->v != DDNET_RSP_V_OK)
		return n;
	for (i = 0; i < pkt->nr_data; i++) {
		if (pkt->rsp[i].status < 0)
			pkt->error = true;
		else
			pkt->len += pkt->rsp[i].status;
	}
	if (!pkt->error)
		pkt->v = ddnet_rx_pkt_check(pkt->nr_data, pkt->len);
	return n;
}

static void ddnf_rx_count_bad(struct ddnf_queue *q, enum ddnet_rsp_verdict v)
{
	switch (v) {
	case DDNET_RSP_V_BAD_ID:
	case DDNET_RSP_V_NOT_PENDING:
		DDNF_RX_STAT(q, rx_bad_id, 1);
		break;
	case DDNET_RSP_V_BAD_OFFSET:
		DDNF_RX_STAT(q, rx_bad_offset, 1);
		break;
	case DDNET_RSP_V_BAD_FLAGS:
		DDNF_RX_STAT(q, rx_bad_flags, 1);
		break;
	case DDNET_RSP_V_BAD_EXTRA:
		DDNF_RX_STAT(q, rx_bad_extra, 1);
		break;
	case DDNET_RSP_V_TOO_LONG:
		DDNF_RX_STAT(q, rx_too_long, 1);
		break;
	default:
		DDNF_RX_STAT(q, rx_bad_status, 1);
		break;
	}
}

/* Post again every buffer of @bufs that is still ours and granted. */
static void ddnf_rx_recycle(struct ddnf_queue *q, struct ddnf_rx_buf *bufs,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!bufs[i].page)
			continue;
		ddnf_rx_post(q, bufs[i].page, bufs[i].gref);
		bufs[i].page = NULL;
	}
}

/* Give the stack a packet found good; its buffers are in @bufs. */
static void ddnf_rx_deliver(struct ddnf_queue *q, const struct ddnf_rx_pkt *pkt,
			    struct ddnf_rx_buf *bufs)
{
	struct ddnf_info *info = q->info;
	struct net_device *dev = info->netdev;
	unsigned int i, nz = 0, room, copy, off, len;
	bool leaked = false, first = true, recalc = false;
	u16 flags = pkt->rsp[0].flags;
	struct ddnf_rx_buf *b;
	struct sk_buff *skb;
	struct page *page;

	if (pkt->len < ETH_HLEN) {
		DDNF_RX_STAT(q, rx_runt, 1);
		goto drop_recycle;
	}
	for (i = 0; i < pkt->nr_data; i++)
		if (pkt->rsp[i].status > 0)
			nz++;
	/*
	 * Up to DDNF_RX_COPY bytes go to the linear area, the rest stays in
	 * the pages as frags; with more data slots than frags, the first slot
	 * is copied whole.
	 */
	room = DDNF_RX_COPY;
	if (nz > MAX_SKB_FRAGS)
		room = PAGE_SIZE;
	skb = napi_alloc_skb(&q->napi, room);
	if (!skb)
		goto drop_recycle;

	/* Take back every page holding data; the others are posted again. */
	for (i = 0; i < pkt->nr_data; i++) {
		b = &bufs[pkt->pos[i]];
		if (pkt->rsp[i].status <= 0)
			continue;
		if (!gnttab_end_foreign_access_ref(b->gref)) {
			/* The backend keeps it: never reuse page or reference. */
			ddnf_leak(info);
			b->page = NULL;
			leaked = true;
			continue;
		}
		gnttab_release_grant_reference(&q->gref_rx_head, b->gref);
		b->gref = DDNF_NO_GREF;
	}
	if (leaked) {
		for (i = 0; i < pkt->nr_data; i++) {
			b = &bufs[pkt->pos[i]];
			if (b->page && b->gref == DDNF_NO_GREF) {
				__free_page(b->page);
				b->page = NULL;
			}
		}
		kfree_skb(skb);
		if (net_ratelimit())
			netdev_warn(dev, "queue %u: backend still maps an rx page; leaked\n",
				    q->idx);
		/* a violation like any other: the leak stops at max_bad_rsp */
		ddnf_bad_rsp(q, "rx", DDNET_RSP_V_HELD);
		goto drop_recycle;
	}

	for (i = 0; i < pkt->nr_data; i++) {
		b = &bufs[pkt->pos[i]];
		if (pkt->rsp[i].status <= 0)
			continue;
		page = b->page;
		b->page = NULL;
		off = pkt->rsp[i].offset;
		len = pkt->rsp[i].status;
		if (first) {
			first = false;
			copy = min(len, room);
			skb_put_data(skb, page_address(page) + off, copy);
			off += copy;
			len -= copy;
			if (!len) {
				__free_page(page);
				continue;
			}
		}
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, off, len, PAGE_SIZE);
	}
	/* Zero-length data slots and extras keep their grants: post again. */
	ddnf_rx_recycle(q, bufs, pkt->nr_slots);

	if (!pskb_may_pull(skb, ETH_HLEN)) {
		kfree_skb(skb);
		DDNF_RX_STAT(q, rx_runt, 1);
		goto drop;
	}
	skb->protocol = eth_type_trans(skb, dev);
	skb_reset_network_header(skb);

	if (pkt->has_gso) {
		skb_shinfo(skb)->gso_size = pkt->gso.u.gso.size;
		skb_shinfo(skb)->gso_type =
			(pkt->gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4 ?
			 SKB_GSO_TCPV4 : SKB_GSO_TCPV6) | SKB_GSO_DODGY;
		skb_shinfo(skb)->gso_segs = 0;
	}
	if (flags & DDNET_RXF_CSUM_BLANK) {
		skb->ip_summed = CHECKSUM_PARTIAL;
	} else if (pkt->has_gso) {
		/* A GSO packet must carry a partial checksum to be resegmented. */
		skb->ip_summed = CHECKSUM_PARTIAL;
		recalc = true;
		DDNF_RX_STAT(q, rx_csum_fixup, 1);
	} else if ((flags & DDNET_RXF_VALIDATED) && (dev->features & NETIF_F_RXCSUM)) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_setup(skb, recalc)) {
		kfree_skb(skb);
		goto drop;
	}

	u64_stats_update_begin(&q->st.rx_syncp);
	q->st.rx_packets++;
	q->st.rx_bytes += pkt->len;
	u64_stats_update_end(&q->st.rx_syncp);
	skb_record_rx_queue(skb, q->idx);
	napi_gro_receive(&q->napi, skb);
	return;

drop_recycle:
	ddnf_rx_recycle(q, bufs, pkt->nr_slots);
drop:
	DDNF_RX_STAT(q, rx_dropped, 1);
}

/* Handle the packet at @cons.  Returns ring slots consumed, 0 if incomplete. */
static unsigned int ddnf_rx_one(struct ddnf_queue *q, RING_IDX cons, RING_IDX rp)
{
	struct ddnf_rx_buf bufs[DDNF_RX_WALK_MAX];
	struct ddnf_rx_pkt pkt;
	unsigned int i, n, id;
	bool missing = false;

	n = ddnf_rx_parse(q, cons, rp, &pkt);
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		id = (cons + i) & DDNF_RX_MASK;
		bufs[i] = q->rx_buf[id];
		q->rx_buf[id].page = NULL;
		if (!bufs[i].page)
			missing = true;
	}
	q->rx.rsp_cons = cons + n;

	if (unlikely(missing)) {
		/* Cannot happen while rsp_prod stays behind req_prod. */
		ddnf_broken(q->info, "rx response in a slot without a buffer");
		ddnf_rx_recycle(q, bufs, n);
		return n;
	}
	if (pkt.v != DDNET_RSP_V_OK) {
		ddnf_rx_count_bad(q, pkt.v);
		ddnf_bad_rsp(q, "rx", pkt.v);
		ddnf_rx_recycle(q, bufs, n);
		DDNF_RX_STAT(q, rx_dropped, 1);
		return n;
	}
	if (pkt.error) {
		DDNF_RX_STAT(q, rx_error_status, 1);
		ddnf_rx_recycle(q, bufs, n);
		DDNF_RX_STAT(q, rx_dropped, 1);
		return n;
	}
	ddnf_rx_deliver(q, &pkt, bufs);
	return n;
}

/* Consume up to @budget packets. */
static int ddnf_rx(struct ddnf_queue *q, int budget)
{
	struct ddnf_info *info = q->info;
	RING_IDX rp, cons;
	unsigned int n;
	int work = 0;

	q->rx_stalled = false;
	rp = READ_ONCE(q->rx.sring->rsp_prod);
	virt_rmb(); /* responses up to rp are visible */
	cons = q->rx.rsp_cons;
	if (ddnet_rsp_prod_overflow(rp, cons, DDNF_RX_RING_SIZE) ||
	    rp - cons > q->rx.req_prod_pvt - cons) {
		ddnf_broken(info, "rx response producer beyond the requests");
		return 0;
	}
	while (cons != rp && work < budget) {
		n = ddnf_rx_one(q, cons, rp);
		if (!n) {
			q->rx_stalled = true;
			q->rx_stall_prod = rp;
			break;
		}
		cons += n;
		work++;
		if (READ_ONCE(info->broken))
			break;
	}
	return work;
}

/**
 * ddnf_poll() - NAPI poll of one queue: rx responses and refill
 * @napi: the queue's NAPI context
 * @budget: packets we may hand to the stack
 *
 * Return: packets handled (good or dropped).
 */
int ddnf_poll(struct napi_struct *napi, int budget)
{
	struct ddnf_queue *q = container_of(napi, struct ddnf_queue, napi);
	struct ddnf_info *info = q->info;
	int work = 0, more;

	if (likely(READ_ONCE(q->up) && READ_ONCE(info->connected) &&
		   !READ_ONCE(info->broken))) {
		work = ddnf_rx(q, budget);
		if (!READ_ONCE(info->broken))
			ddnf_rx_refill(q);
	}
	if (work < budget && napi_complete_done(napi, work)) {
		if (!READ_ONCE(q->up) || !READ_ONCE(info->connected) ||
		    READ_ONCE(info->broken))
			return work;
		if (q->rx_stalled) {
			/* Wake up only when the packet's end gets published. */
			WRITE_ONCE(q->rx.sring->rsp_event, q->rx_stall_prod + 1);
			virt_mb(); /* rsp_event visible before rsp_prod is read again */
			more = READ_ONCE(q->rx.sring->rsp_prod) != q->rx_stall_prod;
		} else {
			RING_FINAL_CHECK_FOR_RESPONSES(&q->rx, more);
		}
		if (more)
			napi_schedule(napi);
	}
	return work;
}

/**
 * ddnf_rx_reclaim() - take back every posted buffer and free the pool
 * @q: queue, no longer up, NAPI disabled, interrupts unbound
 *
 * A buffer the backend still holds is leaked on purpose and counted.
 */
void ddnf_rx_reclaim(struct ddnf_queue *q)
{
	struct ddnf_rx_buf *b;
	unsigned int i;

	for (i = 0; i < DDNF_RX_RING_SIZE; i++) {
		b = &q->rx_buf[i];
		if (!b->page)
			continue;
		if (gnttab_end_foreign_access_ref(b->gref)) {
			gnttab_release_grant_reference(&q->gref_rx_head, b->gref);
			__free_page(b->page);
		} else {
			ddnf_leak(q->info);
		}
		b->page = NULL;
		b->gref = DDNF_NO_GREF;
	}
	if (q->gref_rx_head != DDNF_NO_GREF) {
		gnttab_free_grant_references(q->gref_rx_head);
		q->gref_rx_head = DDNF_NO_GREF;
	}
}

/**
 * ddnf_refill_timeout() - retry a refill that failed for lack of memory
 * @t: the queue's refill timer
 */
void ddnf_refill_timeout(struct timer_list *t)
{
	struct ddnf_queue *q = from_timer(q, t, refill_timer);

	if (READ_ONCE(q->up))
		napi_schedule(&q->napi);
}

/**
 * ddnf_rx_interrupt() - rx event channel handler (split channels)
 * @irq: interrupt
 * @data: the queue
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddnf_rx_interrupt(int irq, void *data)
{
	struct ddnf_queue *q = data;

	ddnf_eoi(q, irq, ddnf_rx_event(q));
	return IRQ_HANDLED;
}

/**
 * ddnf_rx_event() - an event for the rx ring: schedule the poll
 * @q: the queue
 *
 * Called from the channel's handler only.
 *
 * Return: the response producer moved since the last such event (see
 * ddnf_tx_event()).
 */
bool ddnf_rx_event(struct ddnf_queue *q)
{
	RING_IDX prod = READ_ONCE(q->rx.sring->rsp_prod);
	bool work = prod != q->rx_evt_prod;

	q->rx_evt_prod = prod;
	if (likely(READ_ONCE(q->up)))
		napi_schedule(&q->napi);
	return work;
}
