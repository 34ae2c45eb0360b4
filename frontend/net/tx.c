// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetfront transmit path.
 *
 * start_xmit cuts an skb into slots that never cross a page (linear data and
 * every frag, split on 4 KiB boundaries), grants each page read-only from the
 * queue's grant pool and gives each slot an id from the free list.  The
 * first slot carries the packet's size and flags, a GSO extra follows it.
 * Requests are built in a local array and only then written to the ring.
 *
 * Completions: every tx response is copied off the ring once and checked
 * with ddnet_tx_rsp_check() before its id is used.  A grant the backend
 * still holds is never ended by force: its page (the skb) and reference are
 * leaked on purpose and counted.  All of this runs under the queue's tx_lock
 * (interrupts off): from start_xmit, the tx interrupt, and teardown.
 */
#include <linux/if_ether.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <xen/events.h>
#include <xen/page.h>
#include "common.h"

static_assert(PAGE_SIZE == XEN_PAGE_SIZE, "one grant per page is assumed");

#define DDNF_TX_STAT(q, field, n) do {				\
	u64_stats_update_begin(&(q)->st.tx_syncp);			\
	(q)->st.field += (n);						\
	u64_stats_update_end(&(q)->st.tx_syncp);			\
} while (0)

/**
 * struct ddnf_tx_ctx - one packet being mapped onto slots
 * @q: queue
 * @req: the data slots' requests, first at [0]
 * @nr: data slots used
 */
struct ddnf_tx_ctx {
	struct ddnf_queue *q;
	struct xen_netif_tx_request req[XEN_NETIF_NR_SLOTS_MIN];
	unsigned int nr;
};

/* Slots for @len bytes at byte @off of a (possibly compound) page. */
static unsigned int ddnf_tx_chunks(unsigned long off, unsigned int len)
{
	if (!len)
		return 0;
	return DIV_ROUND_UP(offset_in_page(off) + len, PAGE_SIZE);
}

static unsigned int ddnf_tx_count_slots(const struct sk_buff *skb)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	unsigned int i, n;

	n = ddnf_tx_chunks(offset_in_page(skb->data), skb_headlen(skb));
	for (i = 0; i < sh->nr_frags; i++)
		n += ddnf_tx_chunks(skb_frag_off(&sh->frags[i]),
				    skb_frag_size(&sh->frags[i]));
	return n;
}

static unsigned int ddnf_tx_ring_free(const struct ddnf_queue *q)
{
	return DDNF_TX_RING_SIZE - (q->tx.req_prod_pvt - q->tx.rsp_cons);
}

/* Room for a packet of the largest size: ring slots and ids. */
static bool ddnf_tx_room(const struct ddnf_queue *q)
{
	return ddnf_tx_ring_free(q) >= DDNF_TX_PKT_SLOTS &&
	       q->tx_free_count >= XEN_NETIF_NR_SLOTS_MIN;
}

static void ddnf_tx_put_id(struct ddnf_queue *q, unsigned int id)
{
	q->tx_buf[id].next_free = q->tx_free_head;
	q->tx_free_head = id;
	q->tx_free_count++;
}

/*
 * End the grant of id @id.  Returns false when the backend still uses it:
 * then the reference stays claimed and the page is never reused.
 */
static bool ddnf_tx_end_grant(struct ddnf_queue *q, unsigned int id)
{
	struct ddnf_tx_buf *buf = &q->tx_buf[id];

	if (buf->gref == DDNF_NO_GREF)
		return true;
	if (!gnttab_end_foreign_access_ref(buf->gref)) {
		ddnf_leak(q->info);
		buf->gref = DDNF_NO_GREF;
		return false;
	}
	gnttab_release_grant_reference(&q->gref_tx_head, buf->gref);
	buf->gref = DDNF_NO_GREF;
	return true;
}

/* Release id @id after its response (or at teardown). */
static void ddnf_tx_finish(struct ddnf_queue *q, unsigned int id, bool ok)
{
	struct ddnf_tx_buf *buf = &q->tx_buf[id];
	struct sk_buff *skb = buf->skb;

	q->tx_pending[id] = 0;
	if (ddnf_tx_end_grant(q, id)) {
		if (ok)
			dev_consume_skb_any(skb);
		else
			dev_kfree_skb_any(skb);
	} else {
		/*
		 * The backend still maps this page: keep our reference to the
		 * skb forever so that the page is never handed out again.
		 * Only the socket accounting is given back.
		 */
		skb_orphan(skb);
		if (net_ratelimit())
			netdev_warn(q->info->netdev,
				    "queue %u: backend still maps tx id %u; page leaked\n",
				    q->idx, id);
	}
	buf->skb = NULL;
	buf->page = NULL;
	ddnf_tx_put_id(q, id);
}

/* Undo the first @c->nr slots of a packet that was never published. */
static void ddnf_tx_unwind(struct ddnf_tx_ctx *c)
{
	struct ddnf_queue *q = c->q;
	unsigned int i, id;

	for (i = 0; i < c->nr; i++) {
		id = c->req[i].id;
		/* Never published: the backend cannot hold it, but check. */
		if (!ddnf_tx_end_grant(q, id))
			netdev_warn(q->info->netdev, "unpublished tx grant in use\n");
		q->tx_buf[id].skb = NULL;
		q->tx_buf[id].page = NULL;
		ddnf_tx_put_id(q, id);
	}
	c->nr = 0;
}

static int ddnf_tx_slot(struct ddnf_tx_ctx *c, struct sk_buff *skb,
			struct page *page, unsigned int off, unsigned int len)
{
	struct ddnf_queue *q = c->q;
	struct ddnf_tx_buf *buf;
	unsigned int id;
	int ref;

	if (c->nr >= XEN_NETIF_NR_SLOTS_MIN || !q->tx_free_count)
		return -E2BIG;
	ref = gnttab_claim_grant_reference(&q->gref_tx_head);
	if (ref < 0)
		return -ENOSPC;
	id = q->tx_free_head;
	q->tx_free_head = q->tx_buf[id].next_free;
	q->tx_free_count--;

	gnttab_grant_foreign_access_ref(ref, q->info->xbdev->otherend_id,
					xen_page_to_gfn(page), 1);
	buf = &q->tx_buf[id];
	buf->skb = skb;
	buf->gref = ref;
	buf->page = page;
	ddnet_tx_req_fill(&c->req[c->nr], ref, off, len, id, 0);
	c->nr++;
	return 0;
}

/* Map @len bytes at @off of @page (may be compound) onto page-sized slots. */
static int ddnf_tx_range(struct ddnf_tx_ctx *c, struct sk_buff *skb,
			 struct page *page, unsigned long off, unsigned int len)
{
	unsigned int chunk;
	int err;

	page += off >> PAGE_SHIFT;
	off &= ~PAGE_MASK;
	while (len) {
		chunk = min_t(unsigned int, len, PAGE_SIZE - off);
		err = ddnf_tx_slot(c, skb, page, off, chunk);
		if (err)
			return err;
		page++;
		off = 0;
		len -= chunk;
	}
	return 0;
}

static int ddnf_tx_map(struct ddnf_tx_ctx *c, struct sk_buff *skb)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	const skb_frag_t *frag;
	unsigned int i;
	int err;

	if (skb_headlen(skb)) {
		err = ddnf_tx_range(c, skb, virt_to_page(skb->data),
				    offset_in_page(skb->data), skb_headlen(skb));
		if (err)
			return err;
	}
	for (i = 0; i < sh->nr_frags; i++) {
		frag = &sh->frags[i];
		if (!skb_frag_size(frag))
			continue;
		err = ddnf_tx_range(c, skb, skb_frag_page(frag), skb_frag_off(frag),
				    skb_frag_size(frag));
		if (err)
			return err;
	}
	return c->nr ? 0 : -EINVAL;
}

/* GSO type for the extra slot, or XEN_NETIF_GSO_TYPE_NONE; -1: cannot send. */
static int ddnf_tx_gso_type(const struct ddnf_info *info, const struct sk_buff *skb)
{
	unsigned int t;

	if (!skb_is_gso(skb))
		return XEN_NETIF_GSO_TYPE_NONE;
	t = skb_shinfo(skb)->gso_type;
	if ((t & SKB_GSO_TCPV4) && info->be_gso4)
		return XEN_NETIF_GSO_TYPE_TCPV4;
	if ((t & SKB_GSO_TCPV6) && info->be_gso6)
		return XEN_NETIF_GSO_TYPE_TCPV6;
	return -1;
}

/*
 * For an untrusted backend: a copy of @skb in zeroed, page-aligned memory
 * rounded up to whole pages, so the pages granted hold this packet and
 * nothing else of ours.  NULL if memory is short.
 */
static struct sk_buff *ddnf_tx_bounce(const struct sk_buff *skb)
{
	unsigned int head = skb_headroom(skb);
	struct sk_buff *n;

	n = alloc_skb(ALIGN(head + skb->len, XEN_PAGE_SIZE),
		      GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
	if (!n)
		return NULL;
	if (!IS_ALIGNED((unsigned long)n->head, XEN_PAGE_SIZE) ||
	    skb_copy_bits(skb, -head, n->head, head + skb->len)) {
		kfree_skb(n);
		return NULL;
	}
	skb_reserve(n, head);
	skb_put(n, skb->len);
	skb_copy_header(n, skb);
	return n;
}

/**
 * ddnf_start_xmit() - ndo_start_xmit
 * @skb: packet
 * @dev: our net_device
 *
 * Return: NETDEV_TX_OK (sent or dropped and counted), NETDEV_TX_BUSY when
 * the ring unexpectedly lacks room (the queue is then stopped).
 */
netdev_tx_t ddnf_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ddnf_info *info = netdev_priv(dev);
	unsigned int qi = skb_get_queue_mapping(skb), slots, i, len;
	struct netdev_queue *txq;
	struct ddnf_tx_ctx c;
	struct ddnf_queue *q;
	bool linearized = false;
	unsigned long flags;
	int gso, notify, err;
	u16 fl = 0;
	RING_IDX prod;

	if (unlikely(qi >= info->nr_alloc))
		qi = 0;
	q = &info->queues[qi];
	txq = netdev_get_tx_queue(dev, qi);

	if (READ_ONCE(info->bounce)) {
		struct sk_buff *n = ddnf_tx_bounce(skb);

		if (!n) {
			spin_lock_irqsave(&q->tx_lock, flags);
			goto drop_locked;
		}
		dev_consume_skb_any(skb);
		skb = n;
	}
	slots = ddnf_tx_count_slots(skb);
	if (slots > XEN_NETIF_NR_SLOTS_MIN) {
		if (skb_linearize(skb))
			goto drop_slots;
		linearized = true;
		slots = ddnf_tx_count_slots(skb);
		if (slots > XEN_NETIF_NR_SLOTS_MIN)
			goto drop_slots;
	}
	gso = ddnf_tx_gso_type(info, skb);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		fl |= DDNET_TXF_CSUM_BLANK | DDNET_TXF_VALIDATED;
	else if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		fl |= DDNET_TXF_VALIDATED;

	spin_lock_irqsave(&q->tx_lock, flags);
	if (linearized)
		DDNF_TX_STAT(q, tx_linearized, 1);
	if (unlikely(!READ_ONCE(q->up) || !READ_ONCE(info->connected) ||
		     READ_ONCE(info->broken) || gso < 0 || skb->len > DDNF_MAX_PKT ||
		     skb->len < ETH_HLEN ||
		     (gso != XEN_NETIF_GSO_TYPE_NONE && !(fl & DDNET_TXF_CSUM_BLANK))))
		goto drop_locked;
	if (unlikely(ddnf_tx_ring_free(q) < slots + 1 || q->tx_free_count < slots)) {
		netif_tx_stop_queue(txq);
		DDNF_TX_STAT(q, tx_ring_full, 1);
		spin_unlock_irqrestore(&q->tx_lock, flags);
		return NETDEV_TX_BUSY;
	}

	c.q = q;
	c.nr = 0;
	err = ddnf_tx_map(&c, skb);
	if (err) {
		ddnf_tx_unwind(&c);
		goto drop_locked;
	}

	/* First slot: whole packet size; then the GSO extra; then the rest. */
	c.req[0].size = skb->len;
	c.req[0].flags = fl;
	if (c.nr > 1)
		c.req[0].flags |= DDNET_TXF_MORE_DATA;
	if (gso != XEN_NETIF_GSO_TYPE_NONE)
		c.req[0].flags |= DDNET_TXF_EXTRA_INFO;
	for (i = 1; i + 1 < c.nr; i++)
		c.req[i].flags |= DDNET_TXF_MORE_DATA;

	prod = q->tx.req_prod_pvt;
	*RING_GET_REQUEST(&q->tx, prod++) = c.req[0];
	if (gso != XEN_NETIF_GSO_TYPE_NONE) {
		struct xen_netif_extra_info *e;

		e = (struct xen_netif_extra_info *)RING_GET_REQUEST(&q->tx, prod++);
		ddnet_tx_extra_gso_fill(e, gso, skb_shinfo(skb)->gso_size, false);
	}
	for (i = 1; i < c.nr; i++)
		*RING_GET_REQUEST(&q->tx, prod++) = c.req[i];
	/* Every slot holds a reference; the first one holds the caller's. */
	for (i = 0; i < c.nr; i++) {
		if (i)
			skb_get(skb);
		q->tx_pending[c.req[i].id] = 1;
	}
	q->tx.req_prod_pvt = prod;

	len = skb->len;
	u64_stats_update_begin(&q->st.tx_syncp);
	q->st.tx_packets++;
	q->st.tx_bytes += len;
	u64_stats_update_end(&q->st.tx_syncp);
	skb_tx_timestamp(skb);

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, notify);
	if (notify)
		notify_remote_via_irq(q->tx_irq);

	/* Reclaim what is done already; stop if a big packet would not fit. */
	ddnf_tx_gc(q);
	if (!ddnf_tx_room(q)) {
		netif_tx_stop_queue(txq);
		DDNF_TX_STAT(q, tx_ring_full, 1);
	}
	spin_unlock_irqrestore(&q->tx_lock, flags);
	return NETDEV_TX_OK;

drop_locked:
	DDNF_TX_STAT(q, tx_dropped, 1);
	spin_unlock_irqrestore(&q->tx_lock, flags);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;

drop_slots:
	spin_lock_irqsave(&q->tx_lock, flags);
	if (linearized)
		DDNF_TX_STAT(q, tx_linearized, 1);
	DDNF_TX_STAT(q, tx_dropped_slots, 1);
	spin_unlock_irqrestore(&q->tx_lock, flags);
	if (net_ratelimit())
		netdev_warn(dev, "dropped a packet needing %u slots (max %u)\n",
			    slots, XEN_NETIF_NR_SLOTS_MIN);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static void ddnf_tx_bad(struct ddnf_queue *q, enum ddnet_rsp_verdict v)
{
	switch (v) {
	case DDNET_RSP_V_BAD_ID:
		DDNF_TX_STAT(q, tx_bad_id, 1);
		break;
	case DDNET_RSP_V_NOT_PENDING:
		DDNF_TX_STAT(q, tx_not_pending, 1);
		break;
	default:
		DDNF_TX_STAT(q, tx_bad_status, 1);
		break;
	}
	ddnf_bad_rsp(q, "tx", v);
}

/**
 * ddnf_tx_gc() - consume tx responses and release what they complete
 * @q: queue; tx_lock held
 *
 * Wakes the stack's queue once a largest packet fits again.
 */
void ddnf_tx_gc(struct ddnf_queue *q)
{
	struct ddnf_info *info = q->info;
	struct xen_netif_tx_response rsp;
	enum ddnet_rsp_verdict v;
	RING_IDX cons, prod;
	int more;

	if (!q->up || READ_ONCE(info->broken))
		return;
	do {
		prod = READ_ONCE(q->tx.sring->rsp_prod);
		virt_rmb(); /* responses up to prod are visible */
		cons = q->tx.rsp_cons;
		if (ddnet_rsp_prod_overflow(prod, cons, DDNF_TX_RING_SIZE) ||
		    prod - cons > q->tx.req_prod_pvt - cons) {
			ddnf_broken(info, "tx response producer beyond the requests");
			return;
		}
		for (; cons != prod; cons++) {
			RING_COPY_RESPONSE(&q->tx, cons, &rsp);
			v = ddnet_tx_rsp_check(&rsp, DDNF_TX_RING_SIZE, q->tx_pending);
			if (v != DDNET_RSP_V_OK) {
				ddnf_tx_bad(q, v);
				if (READ_ONCE(info->broken)) {
					q->tx.rsp_cons = cons + 1;
					return;
				}
				continue;
			}
			if (rsp.status == XEN_NETIF_RSP_NULL)
				continue; /* answers an extra slot */
			if (rsp.status != XEN_NETIF_RSP_OKAY)
				DDNF_TX_STAT(q, tx_rsp_error, 1);
			ddnf_tx_finish(q, rsp.id, rsp.status == XEN_NETIF_RSP_OKAY);
		}
		q->tx.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&q->tx, more);
	} while (more);

	if (READ_ONCE(info->connected) && ddnf_tx_room(q)) {
		struct netdev_queue *txq = netdev_get_tx_queue(info->netdev, q->idx);

		if (netif_tx_queue_stopped(txq) && netif_running(info->netdev))
			netif_tx_wake_queue(txq);
	}
}

/**
 * ddnf_tx_init() - prepare a queue's tx side (ring already initialised)
 * @q: queue, not up
 *
 * Return: 0 or -ENOSPC when no grant references are left.
 */
int ddnf_tx_init(struct ddnf_queue *q)
{
	unsigned int i;
	int err;

	q->tx_free_head = DDNF_TX_RING_SIZE;
	q->tx_free_count = 0;
	for (i = DDNF_TX_RING_SIZE; i-- > 0; ) {
		q->tx_buf[i].skb = NULL;
		q->tx_buf[i].page = NULL;
		q->tx_buf[i].gref = DDNF_NO_GREF;
		q->tx_pending[i] = 0;
		ddnf_tx_put_id(q, i);
	}
	err = gnttab_alloc_grant_references(DDNF_TX_RING_SIZE, &q->gref_tx_head);
	if (err) {
		q->gref_tx_head = DDNF_NO_GREF;
		return err;
	}
	return 0;
}

/**
 * ddnf_tx_reclaim() - drop every packet still in flight and free the pool
 * @q: queue, no longer up, its interrupts unbound
 */
void ddnf_tx_reclaim(struct ddnf_queue *q)
{
	unsigned long flags;
	unsigned int id;

	spin_lock_irqsave(&q->tx_lock, flags);
	for (id = 0; id < DDNF_TX_RING_SIZE; id++)
		if (q->tx_pending[id])
			ddnf_tx_finish(q, id, false);
	if (q->gref_tx_head != DDNF_NO_GREF) {
		gnttab_free_grant_references(q->gref_tx_head);
		q->gref_tx_head = DDNF_NO_GREF;
	}
	spin_unlock_irqrestore(&q->tx_lock, flags);
}

/**
 * ddnf_tx_event() - an event for the tx ring: collect its responses
 * @q: the queue
 *
 * Called from the channel's handler only.
 *
 * Return: the response producer moved since the last such event; an event
 * without a new response is spurious, and late EOI throttles a backend
 * that sends many.
 */
bool ddnf_tx_event(struct ddnf_queue *q)
{
	RING_IDX prod = READ_ONCE(q->tx.sring->rsp_prod);
	bool work = prod != q->tx_evt_prod;
	unsigned long flags;

	q->tx_evt_prod = prod;
	spin_lock_irqsave(&q->tx_lock, flags);
	ddnf_tx_gc(q);
	spin_unlock_irqrestore(&q->tx_lock, flags);
	return work;
}

/**
 * ddnf_tx_interrupt() - tx event channel handler (split channels)
 * @irq: interrupt
 * @data: the queue
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddnf_tx_interrupt(int irq, void *data)
{
	struct ddnf_queue *q = data;

	ddnf_eoi(q, irq, ddnf_tx_event(q));
	return IRQ_HANDLED;
}

/**
 * ddnf_interrupt() - handler of a queue's single event channel
 * @irq: interrupt
 * @data: the queue
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddnf_interrupt(int irq, void *data)
{
	struct ddnf_queue *q = data;
	bool work = ddnf_tx_event(q);

	work |= ddnf_rx_event(q);
	ddnf_eoi(q, irq, work);
	return IRQ_HANDLED;
}
