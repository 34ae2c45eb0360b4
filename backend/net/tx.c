// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetback tx path: packets the frontend transmits, into the DD's stack.
 *
 * One NAPI context per queue, scheduled by the queue's (late EOI) interrupt.
 * A poll copies ring slots off the ring exactly once into a small window
 * (struct ddnb_queue.tx_win), lets ddnet_tx_parse() delimit and check one
 * packet at a time, allocates an skb for every good packet and collects the
 * grant copies of up to DDNB_TX_BATCH packets into one gnttab_batch_copy().
 * Then every packet is answered (in ring order) and the good ones go to GRO.
 * Only the poll touches the tx ring, so it needs no lock.
 */
#include <linux/etherdevice.h>
#include <linux/if_ether.h>
#include <linux/tcp.h>
#include <xen/events.h>
#include "common.h"

static void ddnb_tx_rsp(struct ddnb_queue *q, u16 id, s16 status)
{
	ddnet_tx_rsp_build(RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt), id, status);
	q->tx.rsp_prod_pvt++;
}

/* Answer every ring slot of a packet, in the order of struct ddnet_tx_pkt. */
static void ddnb_tx_answer(struct ddnb_queue *q, const struct ddnet_tx_pkt *pkt,
			   s16 status)
{
	unsigned int i;

	ddnb_tx_rsp(q, pkt->slot[0].id, status);
	for (i = 0; i < pkt->nr_extras; i++)
		ddnb_tx_rsp(q, 0, XEN_NETIF_RSP_NULL);
	for (i = 1; i < pkt->nr_slots; i++)
		ddnb_tx_rsp(q, pkt->slot[i].id, status);
}

static void ddnb_tx_fatal(struct ddnb_queue *q, const char *reason)
{
	ddnb_count(&q->txc, DDNB_ST_TX_FATAL, 1);
	ddnb_fatal(q, reason);
}

/* A dropped packet: count it, and give up on a frontend doing it too often. */
static void ddnb_tx_bad(struct ddnb_queue *q, enum ddnet_tx_verdict v)
{
	struct ddnb_vif *vif = q->vif;

	BUILD_BUG_ON(DDNB_ST_TX_BAD_EXTRA_DUP - DDNB_ST_TX_BAD_SIZE !=
		     DDNET_TX_E_EXTRA_DUP - DDNET_TX_E_SIZE);
	ddnb_count(&q->txc, DDNB_ST_TX_BAD_SIZE + (v - DDNET_TX_E_SIZE), 1);
	if (net_ratelimit())
		netdev_warn(vif->ndev, "queue %u: dropped a packet: %s\n", q->id,
			    ddnet_tx_verdict_str(v));
	if (ddnb_max_bad_tx &&
	    (unsigned int)atomic_inc_return(&vif->bad_tx) > ddnb_max_bad_tx)
		ddnb_fatal(q, "too many malformed packets");
}

/* A piece of local memory a tx packet is copied into. */
struct ddnb_dst {
	struct page *page;
	unsigned int off;
	unsigned int len;
};

/*
 * Allocate the skb of a good packet and queue its grant copies at
 * q->tx_ops[p->op0]: the first DDNB_TX_LINEAR bytes into the linear area,
 * the rest into freshly allocated frag pages.  A copy never crosses a page:
 * the source slot lies within its page (ddnet_tx_parse() checked it) and
 * the destination is split at every local page boundary.
 */
static int ddnb_tx_build(struct ddnb_queue *q, struct ddnb_tx_pend *p)
{
	const struct ddnet_tx_pkt *pkt = &p->pkt;
	domid_t domid = q->vif->domid;
	struct ddnb_dst dst[MAX_SKB_FRAGS + 1];
	unsigned int size = pkt->size, lin, rest, nd = 0, d = 0, dpos = 0, s;
	struct sk_buff *skb;

	lin = min(size, DDNB_TX_LINEAR);
	rest = size - lin;
	if (DIV_ROUND_UP(rest, PAGE_SIZE) > MAX_SKB_FRAGS)
		return -EINVAL;
	skb = napi_alloc_skb(&q->napi, lin);
	if (!skb)
		return -ENOMEM;
	skb_put(skb, lin);
	dst[nd].page = virt_to_page(skb->data);
	dst[nd].off = offset_in_page(skb->data);
	dst[nd++].len = lin;
	while (rest) {
		unsigned int len = min_t(unsigned int, rest, PAGE_SIZE);
		struct page *page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);

		if (!page)
			goto fail;
		skb_add_rx_frag(skb, nd - 1, page, 0, len, PAGE_SIZE);
		dst[nd].page = page;
		dst[nd].off = 0;
		dst[nd++].len = len;
		rest -= len;
	}

	p->nr_ops = 0;
	for (s = 0; s < pkt->nr_slots; s++) {
		const struct ddnet_tx_request *req = &pkt->slot[s];
		unsigned int left = s ? req->size : pkt->first_len;
		unsigned int soff = req->offset;

		while (left) {
			struct gnttab_copy *op;
			unsigned int n, loff;

			if (dpos == dst[d].len) {
				d++;
				dpos = 0;
			}
			if (d >= nd || p->nr_ops >= DDNB_TX_PKT_OPS)
				goto fail;
			loff = dst[d].off + dpos;
			n = min3(left, dst[d].len - dpos,
				 (unsigned int)(XEN_PAGE_SIZE - (loff & ~XEN_PAGE_MASK)));
			op = &q->tx_ops[p->op0 + p->nr_ops++];
			op->source.u.ref = req->gref;
			op->source.domid = domid;
			op->source.offset = soff;
			ddnb_local_addr(dst[d].page, loff, &op->dest.u.gmfn, &op->dest.offset);
			op->dest.domid = DOMID_SELF;
			op->len = n;
			op->flags = GNTCOPY_source_gref;
			op->status = GNTST_general_error;
			left -= n;
			soff += n;
			dpos += n;
		}
	}
	p->skb = skb;
	return 0;

fail:
	kfree_skb(skb);
	return -ENOMEM;
}

/* Checksum and GSO state of a copied packet; false drops it. */
static bool ddnb_tx_offloads(struct ddnb_queue *q, struct sk_buff *skb,
			     const struct ddnet_tx_pkt *pkt)
{
	unsigned int hdr;

	if (pkt->flags & DDNET_TXF_CSUM_BLANK) {
		/* Like upstream: the pseudo header sum is in the packet. */
		if (skb_checksum_setup(skb, false)) {
			ddnb_count(&q->txc, DDNB_ST_TX_CSUM_ERR, 1);
			return false;
		}
	} else if (pkt->flags & DDNET_TXF_VALIDATED) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	if (pkt->gso_type == XEN_NETIF_GSO_TYPE_NONE) {
		skb_probe_transport_header(skb);
		return true;
	}

	/* ddnet_tx_parse() let GSO through only with csum_blank. */
	if (skb->ip_summed != CHECKSUM_PARTIAL ||
	    skb->csum_offset != offsetof(struct tcphdr, check) ||
	    (pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 &&
	     skb->protocol != htons(ETH_P_IP)) ||
	    (pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV6 &&
	     skb->protocol != htons(ETH_P_IPV6)))
		goto bad_gso;
	hdr = skb_transport_offset(skb) + tcp_hdrlen(skb);
	if (skb->len <= hdr)
		goto bad_gso;
	skb_shinfo(skb)->gso_type = SKB_GSO_DODGY |
		(pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ? SKB_GSO_TCPV4 : SKB_GSO_TCPV6);
	skb_shinfo(skb)->gso_size = pkt->gso_size;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(skb->len - hdr, pkt->gso_size);
	return true;

bad_gso:
	ddnb_count(&q->txc, DDNB_ST_TX_BAD_GSO, 1);
	return false;
}

/* Hand a copied packet to the stack; false if it had to be dropped. */
static bool ddnb_tx_submit(struct ddnb_queue *q, struct ddnb_tx_pend *p)
{
	struct sk_buff *skb = p->skb;
	unsigned int i;

	for (i = 0; i < p->nr_ops; i++) {
		const struct gnttab_copy *op = &q->tx_ops[p->op0 + i];

		if (op->status == GNTST_okay)
			continue;
		ddnb_count(&q->txc, DDNB_ST_TX_GCOPY_ERR, 1);
		if (net_ratelimit())
			netdev_warn(q->vif->ndev, "queue %u: grant copy from ref %u failed (%d)\n",
				    q->id, op->source.u.ref, op->status);
		kfree_skb(skb);
		return false;
	}
	skb->protocol = eth_type_trans(skb, q->vif->ndev);
	skb_reset_network_header(skb);
	if (!ddnb_tx_offloads(q, skb, &p->pkt)) {
		kfree_skb(skb);
		return false;
	}
	u64_stats_update_begin(&q->txc.syncp);
	u64_stats_inc(&q->txc.v[DDNB_ST_TX_PACKETS]);
	u64_stats_add(&q->txc.v[DDNB_ST_TX_BYTES], p->pkt.size);
	u64_stats_update_end(&q->txc.syncp);
	skb_record_rx_queue(skb, q->id);
	napi_gro_receive(&q->napi, skb);
	return true;
}

/* After the batch copy: hand one packet to the stack and answer it. */
static void ddnb_tx_finish(struct ddnb_queue *q, struct ddnb_tx_pend *p)
{
	if (p->skb && !ddnb_tx_submit(q, p))
		p->status = XEN_NETIF_RSP_ERROR;
	p->skb = NULL;
	ddnb_tx_answer(q, &p->pkt, p->status);
}

/*
 * One batch: parse up to DDNB_TX_BATCH packets (at most @budget), copy them
 * with one hypercall, answer them and notify the frontend once.
 * Returns the number of packets consumed.
 */
static int ddnb_tx_batch(struct ddnb_queue *q, int budget)
{
	struct ddnet_tx_limits lim = {
		.max_slots = DDNET_TX_SLOTS_MAX,
		.mtu = READ_ONCE(q->vif->ndev->mtu),
		.gso_v4 = true,
		.gso_v6 = true,
		.csum = true,
		.mcast = false,
	};
	unsigned int npend = 0, nops = 0, i;
	RING_IDX rp;
	int notify;

	rp = READ_ONCE(q->tx.sring->req_prod);
	virt_rmb(); /* see every request up to rp */
	if (ddnet_req_prod_overflow(rp, q->tx.rsp_prod_pvt, RING_SIZE(&q->tx))) {
		ddnb_tx_fatal(q, "tx request producer overruns the ring");
		return 0;
	}

	while (npend < DDNB_TX_BATCH && (int)npend < budget &&
	       nops + DDNB_TX_PKT_OPS <= DDNB_TX_COPY_OPS) {
		struct ddnb_tx_pend *p = &q->tx_pend[npend];
		struct ddnet_tx_pkt *pkt = &p->pkt;
		enum ddnet_tx_verdict v;

		if (READ_ONCE(q->broken))
			break;
		/* Each ring slot is copied exactly once, into the window. */
		while (q->tx_win_n < DDNET_TX_SCAN_MAX &&
		       rp - q->tx.req_cons > q->tx_win_n) {
			RING_COPY_REQUEST(&q->tx, q->tx.req_cons + q->tx_win_n,
					  &q->tx_win[q->tx_win_n].req);
			q->tx_win_n++;
		}
		if (!q->tx_win_n)
			break;

		v = ddnet_tx_parse(q->tx_win, q->tx_win_n, &lim, pkt);
		if (ddnet_tx_fatal(v) || pkt->nr_ring_slots > q->tx_win_n ||
		    pkt->nr_ring_slots != pkt->nr_slots + pkt->nr_extras) {
			ddnb_tx_fatal(q, ddnet_tx_fatal(v) ? ddnet_tx_verdict_str(v) :
				      "inconsistent packet layout");
			break;
		}
		q->tx.req_cons += pkt->nr_ring_slots;
		q->tx_win_n -= pkt->nr_ring_slots;
		memmove(q->tx_win, q->tx_win + pkt->nr_ring_slots,
			q->tx_win_n * sizeof(q->tx_win[0]));
		npend++;

		p->skb = NULL;
		p->op0 = nops;
		p->nr_ops = 0;
		p->status = XEN_NETIF_RSP_OKAY;
		if (v != DDNET_TX_OK) {
			p->status = XEN_NETIF_RSP_ERROR;
			ddnb_tx_bad(q, v);
			continue;
		}
		if (pkt->mcast_op) {
			/* No multicast control offered: acknowledge, ignore. */
			ddnb_count(&q->txc, DDNB_ST_TX_MCAST, 1);
			continue;
		}
		if (ddnb_tx_build(q, p)) {
			ddnb_count(&q->txc, DDNB_ST_TX_ALLOC_ERR, 1);
			p->status = XEN_NETIF_RSP_ERROR;
			continue;
		}
		nops += p->nr_ops;
	}

	if (nops) {
		gnttab_batch_copy(q->tx_ops, nops);
		ddnb_count(&q->txc, DDNB_ST_TX_GCOPY_OPS, nops);
	}
	for (i = 0; i < npend; i++)
		ddnb_tx_finish(q, &q->tx_pend[i]);
	if (npend) {
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->tx, notify);
		if (notify)
			notify_remote_via_irq(q->tx_irq);
	}
	return npend;
}

/**
 * ddnb_tx_poll() - NAPI poll of one queue's tx ring
 * @napi: &ddnb_queue.napi
 * @budget: packets allowed
 *
 * Return: packets consumed (good and dropped).
 */
int ddnb_tx_poll(struct napi_struct *napi, int budget)
{
	struct ddnb_queue *q = container_of(napi, struct ddnb_queue, napi);
	int done = 0, n, more = 0;

	while (done < budget && !READ_ONCE(q->broken)) {
		n = ddnb_tx_batch(q, budget - done);
		if (n <= 0)
			break;
		done += n;
	}
	if (done >= budget)
		return budget;
	if (!napi_complete_done(napi, done))
		return done;
	if (!READ_ONCE(q->broken))
		RING_FINAL_CHECK_FOR_REQUESTS(&q->tx, more);
	if (more)
		napi_schedule(napi);
	else
		ddnb_eoi(q, DDNB_EOI_TX);
	return done;
}

/**
 * ddnb_tx_kick() - schedule the tx poll if the frontend queued requests
 * @q: queue
 *
 * Return: true if there was work (the poll will do the EOI).
 */
bool ddnb_tx_kick(struct ddnb_queue *q)
{
	if (READ_ONCE(q->broken) || !RING_HAS_UNCONSUMED_REQUESTS(&q->tx))
		return false;
	napi_schedule(&q->napi);
	return true;
}

/**
 * ddnb_tx_interrupt() - tx event channel (split event channels)
 * @irq: interrupt
 * @data: the queue
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddnb_tx_interrupt(int irq, void *data)
{
	struct ddnb_queue *q = data;

	atomic_or(DDNB_EOI_TX, &q->eoi);
	if (!ddnb_tx_kick(q) && (atomic_fetch_andnot(DDNB_EOI_TX, &q->eoi) & DDNB_EOI_TX))
		ddcore_eoi(irq, false);
	return IRQ_HANDLED;
}
