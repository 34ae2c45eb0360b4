// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetback rx path: packets the DD's stack sends to the frontend.
 *
 * ndo_start_xmit() only appends the skb to the queue's bounded rx_queue and
 * wakes the queue's kthread; it never sleeps and never touches the ring.
 * The kthread is the only user of the rx ring: for the skb at the head it
 * works out the slots it needs (one granted page per XEN_PAGE_SIZE bytes,
 * plus one for a GSO extra), waits (req_event + the frontend's event) until
 * the frontend has posted that many requests, copies the requests off the
 * ring once, and batches the grant copies of up to DDNB_RX_BATCH skbs into
 * one gnttab_batch_copy().  Responses then go into the slots of the requests
 * they answer: data, GSO extra right after the first data slot, more data.
 * Skbs queued longer than rx_stall_ms are dropped; the netdev tx queue is
 * stopped while rx_queue is full and woken when it has drained to half.
 */
#include <linux/etherdevice.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <xen/events.h>
#include "common.h"

/* Pieces of local memory an skb is copied from. */
struct ddnb_src {
	struct page *page;
	unsigned int off;
	unsigned int len;
};

/* How long the kthread sleeps between stall checks while skbs wait. */
static long ddnb_rx_tick(void)
{
	if (!ddnb_rx_stall_ms)
		return MAX_SCHEDULE_TIMEOUT;
	return msecs_to_jiffies(clamp_t(unsigned int, ddnb_rx_stall_ms / 4, 10, 1000));
}

static struct netdev_queue *ddnb_txq(struct ddnb_queue *q)
{
	return netdev_get_tx_queue(q->vif->ndev, q->id);
}

/**
 * ddnb_start_xmit() - queue an skb for the frontend
 * @skb: packet
 * @ndev: vif netdev
 *
 * Return: NETDEV_TX_OK (the skb is queued or dropped and counted).
 */
netdev_tx_t ddnb_start_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct ddnb_vif *vif = netdev_priv(ndev);
	unsigned int qi = skb_get_queue_mapping(skb);
	struct netdev_queue *txq;
	struct ddnb_queue *q;

	if (qi >= vif->max_queues)
		qi = 0;
	q = &vif->queues[qi];
	if (!READ_ONCE(vif->connected) || qi >= READ_ONCE(vif->nr_queues) ||
	    READ_ONCE(q->broken)) {
		atomic64_inc(&q->rx_down_drops);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	txq = netdev_get_tx_queue(ndev, qi);
	if (skb_queue_len_lockless(&q->rx_queue) >= ddnb_rx_queue_max) {
		atomic64_inc(&q->rx_queue_full);
		dev_kfree_skb_any(skb);
		netif_tx_stop_queue(txq);
		return NETDEV_TX_OK;
	}
	DDNB_RX_CB(skb)->expires = jiffies + msecs_to_jiffies(ddnb_rx_stall_ms);
	DDNB_RX_CB(skb)->prepared = false;
	skb_queue_tail(&q->rx_queue, skb);
	if (skb_queue_len_lockless(&q->rx_queue) >= ddnb_rx_queue_max) {
		netif_tx_stop_queue(txq);
		smp_mb(); /* stopped before looking at the length again */
		if (skb_queue_len_lockless(&q->rx_queue) < ddnb_rx_queue_max)
			netif_tx_start_queue(txq);
	}
	if (wq_has_sleeper(&q->rx_wq))
		wake_up(&q->rx_wq);
	return NETDEV_TX_OK;
}

static struct sk_buff *ddnb_rx_peek(struct ddnb_queue *q)
{
	struct sk_buff *skb;
	unsigned long flags;

	spin_lock_irqsave(&q->rx_queue.lock, flags);
	skb = skb_peek(&q->rx_queue);
	spin_unlock_irqrestore(&q->rx_queue.lock, flags);
	return skb;
}

static void ddnb_rx_unlink(struct ddnb_queue *q, struct sk_buff *skb)
{
	skb_unlink(skb, &q->rx_queue);
}

/* Checksum and layout fixes the frontend needs; done once per skb. */
static int ddnb_rx_prepare(struct ddnb_queue *q, struct sk_buff *skb)
{
	struct ddnb_vif *vif = q->vif;
	bool ok;

	if (skb_has_frag_list(skb) && __skb_linearize(skb))
		return -ENOMEM;
	if (skb->ip_summed == CHECKSUM_PARTIAL && !skb_is_gso(skb)) {
		ok = (skb->protocol == htons(ETH_P_IP) && READ_ONCE(vif->fe_csum)) ||
		     (skb->protocol == htons(ETH_P_IPV6) && READ_ONCE(vif->fe_ipv6_csum));
		if (!ok && skb_checksum_help(skb))
			return -EINVAL;
	}
	DDNB_RX_CB(skb)->prepared = true;
	return 0;
}

/* Ring slots an skb needs (data + GSO extra), 0 if the frontend can't take it. */
static unsigned int ddnb_rx_slots(struct ddnb_queue *q, const struct sk_buff *skb,
				  u8 *gso_type)
{
	struct ddnb_vif *vif = q->vif;
	unsigned int data, t;

	*gso_type = XEN_NETIF_GSO_TYPE_NONE;
	if (!skb->len || skb->len > DDNET_MAX_PKT)
		return 0;
	data = DIV_ROUND_UP(skb->len, XEN_PAGE_SIZE);
	if (data > DDNB_RX_MAX_SLOTS || (data > 1 && !READ_ONCE(vif->fe_sg)))
		return 0;
	if (!skb_is_gso(skb))
		return data;
	t = skb_shinfo(skb)->gso_type;
	if ((t & SKB_GSO_TCPV4) && READ_ONCE(vif->fe_gso_v4))
		*gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
	else if ((t & SKB_GSO_TCPV6) && READ_ONCE(vif->fe_gso_v6))
		*gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
	else
		return 0;
	return data + 1;
}

/* The skb's memory as (page, offset, length) pieces; returns their number. */
static unsigned int ddnb_rx_srcs(const struct sk_buff *skb, struct ddnb_src *src)
{
	unsigned int i, n = 0;

	if (skb_headlen(skb)) {
		src[n].page = virt_to_page(skb->data);
		src[n].off = offset_in_page(skb->data);
		src[n++].len = skb_headlen(skb);
	}
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		if (!skb_frag_size(f))
			continue;
		src[n].page = skb_frag_page(f);
		src[n].off = skb_frag_off(f);
		src[n++].len = skb_frag_size(f);
	}
	return n;
}

/* Most copy operations an skb of @data slots needs. */
static unsigned int ddnb_rx_ops_bound(const struct ddnb_src *src, unsigned int n,
				      unsigned int data)
{
	unsigned int i, ops = data;

	for (i = 0; i < n; i++)
		ops += DIV_ROUND_UP((src[i].off & ~XEN_PAGE_MASK) + src[i].len, XEN_PAGE_SIZE);
	return ops;
}

/*
 * 1: @need requests are posted; 0: not yet (req_event set, wait for the
 * frontend's event); negative: the frontend's producer is impossible.
 */
static int ddnb_rx_slots_available(struct ddnb_queue *q, unsigned int need)
{
	RING_IDX prod, cons = q->rx.req_cons;
	bool armed = false;

	for (;;) {
		prod = READ_ONCE(q->rx.sring->req_prod);
		if (ddnet_req_prod_overflow(prod, q->rx.rsp_prod_pvt, RING_SIZE(&q->rx))) {
			ddnb_fatal(q, "rx request producer overruns the ring");
			return -EPROTO;
		}
		if (prod - cons >= need) {
			virt_rmb(); /* see the requests up to prod */
			return 1;
		}
		if (armed)
			return 0;
		q->rx.sring->req_event = cons + need;
		mb(); /* req_event visible before req_prod is read again */
		armed = true;
	}
}

/*
 * Take the requests for @skb off the ring (once each) and queue its grant
 * copies at q->rx_ops[*nops]: the bytes are packed into whole granted pages,
 * and no copy crosses a page on either side.
 */
static void ddnb_rx_build(struct ddnb_queue *q, struct ddnb_rx_pend *p,
			  struct sk_buff *skb, unsigned int need, u8 gso_type,
			  const struct ddnb_src *src, unsigned int nsrc,
			  unsigned int *nops)
{
	grant_ref_t grefs[XEN_NETIF_NR_SLOTS_MIN];
	struct xen_netif_rx_request req;
	domid_t domid = q->vif->domid;
	unsigned int extra = gso_type != XEN_NETIF_GSO_TYPE_NONE;
	unsigned int k, d, i, dslot = 0, dpos = 0;

	p->skb = skb;
	p->first = q->rx.req_cons;
	p->nr_data = need - extra;
	p->gso_type = gso_type;
	p->gso_size = extra ? skb_shinfo(skb)->gso_size : 0;
	p->flags = 0;
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		p->flags = DDNET_RXF_CSUM_BLANK | DDNET_RXF_VALIDATED;
	else if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		p->flags = DDNET_RXF_VALIDATED;

	for (k = 0; k < need; k++) {
		RING_IDX idx = q->rx.req_cons++;

		if (extra && k == 1)
			continue; /* the extra's slot: its page stays unused */
		RING_COPY_REQUEST(&q->rx, idx, &req);
		d = (extra && k > 1) ? k - 1 : k;
		p->ids[d] = req.id;
		grefs[d] = req.gref;
	}

	p->op0 = *nops;
	p->nr_ops = 0;
	p->err = false;
	for (i = 0; i < nsrc; i++) {
		unsigned int off = src[i].off, left = src[i].len;

		while (left) {
			struct gnttab_copy *op;
			unsigned int n;

			if (dpos == XEN_PAGE_SIZE) {
				dslot++;
				dpos = 0;
			}
			if (WARN_ON_ONCE(dslot >= p->nr_data ||
					 *nops + p->nr_ops >= DDNB_RX_COPY_OPS)) {
				p->err = true;
				goto out;
			}
			n = min3(left, (unsigned int)XEN_PAGE_SIZE - dpos,
				 (unsigned int)(XEN_PAGE_SIZE - (off & ~XEN_PAGE_MASK)));
			op = &q->rx_ops[*nops + p->nr_ops++];
			ddnb_local_addr(src[i].page, off, &op->source.u.gmfn, &op->source.offset);
			op->source.domid = DOMID_SELF;
			op->dest.u.ref = grefs[dslot];
			op->dest.domid = domid;
			op->dest.offset = dpos;
			op->len = n;
			op->flags = GNTCOPY_dest_gref;
			op->status = GNTST_general_error;
			left -= n;
			off += n;
			dpos += n;
		}
	}
out:
	*nops += p->nr_ops;
}

static void ddnb_rx_copy_warn(struct ddnb_queue *q, const struct gnttab_copy *op)
{
	if (net_ratelimit())
		netdev_warn(q->vif->ndev, "queue %u: grant copy to ref %u failed (%d)\n",
			    q->id, op->dest.u.ref, op->status);
}

/* Copy a batch, write its responses, tell the frontend once. */
static void ddnb_rx_flush(struct ddnb_queue *q, unsigned int npend, unsigned int nops)
{
	unsigned int i, j, d, len;
	bool ok;
	int notify;

	if (!npend)
		return;
	if (nops)
		gnttab_batch_copy(q->rx_ops, nops);

	for (i = 0; i < npend; i++) {
		struct ddnb_rx_pend *p = &q->rx_pend[i];
		struct sk_buff *skb = p->skb;
		RING_IDX idx = p->first;
		u16 flags;

		ok = !p->err;
		for (j = 0; ok && j < p->nr_ops; j++) {
			if (q->rx_ops[p->op0 + j].status != GNTST_okay) {
				ok = false;
				ddnb_rx_copy_warn(q, &q->rx_ops[p->op0 + j]);
				break;
			}
		}
		for (d = 0; d < p->nr_data; d++) {
			len = min_t(unsigned int, XEN_PAGE_SIZE, skb->len - d * XEN_PAGE_SIZE);
			flags = d ? 0 : p->flags;
			if (!d && p->gso_type != XEN_NETIF_GSO_TYPE_NONE)
				flags |= DDNET_RXF_EXTRA_INFO;
			if (d + 1 < p->nr_data)
				flags |= DDNET_RXF_MORE_DATA;
			ddnet_rx_rsp_build(RING_GET_RESPONSE(&q->rx, idx), p->ids[d], 0, flags,
					   ok ? (s16)len : XEN_NETIF_RSP_ERROR);
			idx++;
			if (!d && p->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
				ddnet_extra_gso_build((struct xen_netif_extra_info *)
						      RING_GET_RESPONSE(&q->rx, idx),
						      p->gso_type, p->gso_size, false);
				idx++;
			}
		}
		q->rx.rsp_prod_pvt = idx;

		u64_stats_update_begin(&q->rxc.syncp);
		if (ok) {
			u64_stats_inc(&q->rxc.v[DDNB_ST_RX_PACKETS]);
			u64_stats_add(&q->rxc.v[DDNB_ST_RX_BYTES], skb->len);
		} else {
			u64_stats_inc(&q->rxc.v[DDNB_ST_RX_GCOPY_ERR]);
		}
		u64_stats_update_end(&q->rxc.syncp);
		if (ok)
			consume_skb(skb);
		else
			kfree_skb(skb);
		p->skb = NULL;
	}
	ddnb_count(&q->rxc, DDNB_ST_RX_GCOPY_OPS, nops);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->rx, notify);
	if (notify)
		notify_remote_via_irq(q->rx_irq);
}

static void ddnb_rx_drop(struct ddnb_queue *q, struct sk_buff *skb, enum ddnb_stat st)
{
	ddnb_rx_unlink(q, skb);
	kfree_skb(skb);
	ddnb_count(&q->rxc, st, 1);
}

/* Move as many queued skbs to the frontend as it has posted pages for. */
static void ddnb_rx_action(struct ddnb_queue *q)
{
	struct ddnb_src src[MAX_SKB_FRAGS + 1];
	unsigned int npend = 0, nops = 0, need, ops, nsrc;
	struct sk_buff *skb;
	u8 gso_type;
	int r;

	for (;;) {
		skb = ddnb_rx_peek(q);
		if (!skb) {
			q->rx_wait_slots = 0;
			break;
		}
		if (!DDNB_RX_CB(skb)->prepared && ddnb_rx_prepare(q, skb)) {
			ddnb_rx_drop(q, skb, DDNB_ST_RX_OVERSIZE);
			continue;
		}
		need = ddnb_rx_slots(q, skb, &gso_type);
		nsrc = ddnb_rx_srcs(skb, src);
		ops = ddnb_rx_ops_bound(src, nsrc, need);
		if (!need || ops > DDNB_RX_COPY_OPS) {
			if (net_ratelimit())
				netdev_warn(q->vif->ndev, "queue %u: %u bytes too big\n",
					    q->id, skb->len);
			ddnb_rx_drop(q, skb, DDNB_ST_RX_OVERSIZE);
			continue;
		}
		if (npend == DDNB_RX_BATCH || nops + ops > DDNB_RX_COPY_OPS) {
			ddnb_rx_flush(q, npend, nops);
			npend = 0;
			nops = 0;
			cond_resched();
		}
		r = ddnb_rx_slots_available(q, need);
		if (r < 0)
			break;
		if (!r) {
			if (!q->rx_wait_slots)
				ddnb_count(&q->rxc, DDNB_ST_RX_RING_FULL, 1);
			q->rx_wait_slots = need;
			break;
		}
		q->rx_wait_slots = 0;
		ddnb_rx_unlink(q, skb);
		ddnb_rx_build(q, &q->rx_pend[npend++], skb, need, gso_type, src, nsrc, &nops);
	}
	ddnb_rx_flush(q, npend, nops);
}

/* Drop skbs queued for longer than rx_stall_ms (oldest first). */
static void ddnb_rx_expire(struct ddnb_queue *q)
{
	struct sk_buff *skb;
	unsigned long flags;
	unsigned int n = 0;

	if (!ddnb_rx_stall_ms)
		return;
	for (;;) {
		spin_lock_irqsave(&q->rx_queue.lock, flags);
		skb = skb_peek(&q->rx_queue);
		if (skb && time_after(jiffies, DDNB_RX_CB(skb)->expires))
			__skb_unlink(skb, &q->rx_queue);
		else
			skb = NULL;
		spin_unlock_irqrestore(&q->rx_queue.lock, flags);
		if (!skb)
			break;
		kfree_skb(skb);
		n++;
	}
	if (!n)
		return;
	ddnb_count(&q->rxc, DDNB_ST_RX_STALL_DROPS, n);
	q->rx_wait_slots = 0;
	if (net_ratelimit())
		netdev_warn(q->vif->ndev, "queue %u: frontend stalled, %u packets dropped\n",
			    q->id, n);
}

/* Let the stack send again once the queue drained to half. */
static void ddnb_rx_wake_txq(struct ddnb_queue *q)
{
	struct netdev_queue *txq = ddnb_txq(q);

	smp_mb(); /* dequeues visible before looking at the queue state */
	if (netif_tx_queue_stopped(txq) && READ_ONCE(q->vif->connected) &&
	    skb_queue_len_lockless(&q->rx_queue) <= ddnb_rx_queue_max / 2)
		netif_tx_wake_queue(txq);
}

static bool ddnb_rx_ready(struct ddnb_queue *q)
{
	RING_IDX prod;

	if (atomic_read(&q->eoi) & DDNB_EOI_RX)
		return true;
	if (skb_queue_empty_lockless(&q->rx_queue) || READ_ONCE(q->broken))
		return false;
	if (!q->rx_wait_slots)
		return true;
	prod = READ_ONCE(q->rx.sring->req_prod);
	return prod - q->rx.req_cons >= q->rx_wait_slots;
}

/**
 * ddnb_rx_thread() - the rx worker of one queue
 * @arg: the queue
 *
 * Return: 0 when stopped with kthread_stop().
 */
int ddnb_rx_thread(void *arg)
{
	struct ddnb_queue *q = arg;
	long timeout;

	while (!kthread_should_stop()) {
		timeout = skb_queue_empty_lockless(&q->rx_queue) ?
			MAX_SCHEDULE_TIMEOUT : ddnb_rx_tick();
		wait_event_interruptible_timeout(q->rx_wq,
						 ddnb_rx_ready(q) || kthread_should_stop(),
						 timeout);
		if (kthread_should_stop())
			break;
		if (!READ_ONCE(q->broken))
			ddnb_rx_action(q);
		ddnb_rx_expire(q);
		ddnb_rx_wake_txq(q);
		ddnb_eoi(q, DDNB_EOI_RX);
		cond_resched();
	}
	return 0;
}

/**
 * ddnb_rx_kick() - wake the rx worker if the frontend posted requests
 * @q: queue
 *
 * Return: true if there was work (the worker will do the EOI).
 */
bool ddnb_rx_kick(struct ddnb_queue *q)
{
	if (READ_ONCE(q->broken) || skb_queue_empty_lockless(&q->rx_queue) ||
	    !RING_HAS_UNCONSUMED_REQUESTS(&q->rx))
		return false;
	wake_up(&q->rx_wq);
	return true;
}

/**
 * ddnb_rx_interrupt() - rx event channel (split event channels)
 * @irq: interrupt
 * @data: the queue
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddnb_rx_interrupt(int irq, void *data)
{
	struct ddnb_queue *q = data;

	atomic_or(DDNB_EOI_RX, &q->eoi);
	if (!ddnb_rx_kick(q) && (atomic_fetch_andnot(DDNB_EOI_RX, &q->eoi) & DDNB_EOI_RX))
		ddcore_eoi(irq, false);
	return IRQ_HANDLED;
}

/**
 * ddnb_rx_purge() - drop everything queued for the frontend
 * @q: queue whose rx kthread is stopped
 */
void ddnb_rx_purge(struct ddnb_queue *q)
{
	unsigned int n = skb_queue_len(&q->rx_queue);

	skb_queue_purge(&q->rx_queue);
	if (n)
		atomic64_add(n, &q->rx_down_drops);
	q->rx_wait_slots = 0;
}
