// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ddstack network protocol logic.
 *
 * A tx ring and an rx ring, each on one ordinary page, are laid out with
 * Xen's canonical <xen/io/ring.h> and <xen/io/netif.h>.  The frontend side
 * puts packets on them as a Linux frontend would (or as a hostile one
 * would), the backend side copies the slots off once, and the pure
 * functions of drivers/ddnet_proto.c judge them; then the other way round
 * for responses, which a frontend must not trust either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define mb()	__sync_synchronize()
#define rmb()	__sync_synchronize()
#define wmb()	__sync_synchronize()

#include <ddstack/ddnet_proto.h>

#include "check.h"

struct rings {
	void *tx_page, *rx_page;
	struct netif_tx_front_ring txf;
	struct netif_tx_back_ring txb;
	struct netif_rx_front_ring rxf;
	struct netif_rx_back_ring rxb;
};

static struct rings r;

static void *page_alloc(void)
{
	void *p = aligned_alloc(4096, 4096);

	if (!p) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(p, 0, 4096);
	return p;
}

static void rings_setup(void)
{
	struct netif_tx_sring *tx;
	struct netif_rx_sring *rx;

	r.tx_page = page_alloc();
	r.rx_page = page_alloc();
	tx = r.tx_page;
	rx = r.rx_page;
	SHARED_RING_INIT(tx);
	SHARED_RING_INIT(rx);
	FRONT_RING_INIT(&r.txf, tx, 4096);
	BACK_RING_INIT(&r.txb, tx, 4096);
	FRONT_RING_INIT(&r.rxf, rx, 4096);
	BACK_RING_INIT(&r.rxb, rx, 4096);
}

static void rings_teardown(void)
{
	free(r.tx_page);
	free(r.rx_page);
}

static const struct ddnet_tx_limits lim = {
	.max_slots = DDNET_TX_SLOTS_MAX,
	.mtu = 1500,
	.gso_v4 = true,
	.gso_v6 = true,
	.csum = true,
};

/* Frontend: one request slot. */
static void tx_put(uint32_t gref, uint16_t off, uint16_t size, uint16_t id,
		   uint16_t flags)
{
	ddnet_tx_req_fill(RING_GET_REQUEST(&r.txf, r.txf.req_prod_pvt), gref,
			  off, size, id, flags);
	r.txf.req_prod_pvt++;
}

/* Frontend: one extra-info slot. */
static void tx_extra(uint8_t type, uint8_t flags, uint8_t gso_type,
		     uint16_t gso_size)
{
	struct netif_extra_info *e =
		(void *)RING_GET_REQUEST(&r.txf, r.txf.req_prod_pvt);

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->flags = flags;
	e->u.gso.type = gso_type;
	e->u.gso.size = gso_size;
	r.txf.req_prod_pvt++;
}

static void tx_push(void)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&r.txf, notify);
	(void)notify;
}

/*
 * Backend: copy what the frontend published (at most DDNET_TX_SCAN_MAX
 * slots), once, then parse the first packet and consume it.
 */
static union ddnet_slot slots[DDNET_TX_SCAN_MAX];

static enum ddnet_tx_verdict tx_take(struct ddnet_tx_pkt *pkt)
{
	RING_IDX prod = r.txb.sring->req_prod, i;
	unsigned int avail, n;
	enum ddnet_tx_verdict v;

	rmb();
	if (ddnet_req_prod_overflow(prod, r.txb.req_cons, RING_SIZE(&r.txb)))
		return DDNET_TX_FATAL_RING;
	avail = prod - r.txb.req_cons;
	if (avail > DDNET_TX_SCAN_MAX)
		avail = DDNET_TX_SCAN_MAX;
	for (n = 0, i = r.txb.req_cons; n < avail; n++, i++)
		memcpy(&slots[n], RING_GET_REQUEST(&r.txb, i), sizeof(slots[n]));
	v = ddnet_tx_parse(slots, avail, &lim, pkt);
	if (!ddnet_tx_fatal(v))
		r.txb.req_cons += pkt->nr_ring_slots;
	return v;
}

/* Backend: answer a packet in ring order, as struct ddnet_tx_pkt says. */
static void tx_answer(const struct ddnet_tx_pkt *pkt, int16_t status)
{
	unsigned int i;
	int notify;

	ddnet_tx_rsp_build(RING_GET_RESPONSE(&r.txb, r.txb.rsp_prod_pvt++),
			   pkt->slot[0].id, status);
	for (i = 0; i < pkt->nr_extras; i++)
		ddnet_tx_rsp_build(RING_GET_RESPONSE(&r.txb, r.txb.rsp_prod_pvt++),
				   0, DDNET_RSP_NULL);
	for (i = 1; i < pkt->nr_slots; i++)
		ddnet_tx_rsp_build(RING_GET_RESPONSE(&r.txb, r.txb.rsp_prod_pvt++),
				   pkt->slot[i].id, status);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r.txb, notify);
	(void)notify;
}

/* ---- tx: well-formed packets ---- */

static int t_tx_single(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 64, 60, 7, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_OK);
	CHECK_EQ(pkt.nr_ring_slots, 1);
	CHECK_EQ(pkt.nr_slots, 1);
	CHECK_EQ(pkt.size, 60);
	CHECK_EQ(pkt.first_len, 60);
	CHECK_EQ(pkt.slot[0].gref, 100);
	CHECK_EQ(pkt.gso_type, XEN_NETIF_GSO_TYPE_NONE);
	return 0;
}

static int t_tx_multi_slot(void)
{
	struct ddnet_tx_pkt pkt;

	/* 1514 bytes: 200 at the end of the first page, then 1000 + 314 */
	tx_put(100, 3896, 1514, 1, DDNET_TXF_MORE_DATA | DDNET_TXF_CSUM_BLANK);
	tx_put(101, 0, 1000, 2, DDNET_TXF_MORE_DATA);
	tx_put(102, 0, 314, 3, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_OK);
	CHECK_EQ(pkt.nr_slots, 3);
	CHECK_EQ(pkt.first_len, 200);
	CHECK_EQ(pkt.slot[2].id, 3);
	CHECK_EQ(r.txb.req_cons, 3);
	return 0;
}

static int t_tx_gso(void)
{
	struct ddnet_tx_pkt pkt;
	unsigned int i;

	/* 18 slots of a 64 KiB GSO packet, the extra after the first */
	tx_put(100, 0, 65000, 0,
	       DDNET_TXF_MORE_DATA | DDNET_TXF_EXTRA_INFO | DDNET_TXF_CSUM_BLANK);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV4, 1448);
	for (i = 1; i < 18; i++)
		tx_put(100 + i, 0, i < 17 ? 3600 : 3304, i,
		       i < 17 ? DDNET_TXF_MORE_DATA : 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_OK);
	CHECK_EQ(pkt.nr_slots, 18);
	CHECK_EQ(pkt.nr_extras, 1);
	CHECK_EQ(pkt.nr_ring_slots, 19);
	CHECK_EQ(pkt.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
	CHECK_EQ(pkt.gso_size, 1448);
	CHECK_EQ(pkt.first_len, 4096);
	return 0;
}

static int t_tx_responses_in_order(void)
{
	struct ddnet_tx_pkt pkt;
	uint8_t pending[256] = { 0 };
	struct netif_tx_response rsp;
	RING_IDX i, prod;
	unsigned int ok = 0, null = 0;

	tx_put(100, 0, 3000, 5, DDNET_TXF_MORE_DATA | DDNET_TXF_EXTRA_INFO |
	       DDNET_TXF_CSUM_BLANK);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV6, 1400);
	tx_put(101, 0, 1000, 6, 0);
	tx_push();
	pending[5] = pending[6] = 1;
	CHECK_EQ(tx_take(&pkt), DDNET_TX_OK);
	tx_answer(&pkt, DDNET_RSP_OKAY);
	prod = r.txf.sring->rsp_prod;
	CHECK(!ddnet_rsp_prod_overflow(prod, r.txf.rsp_cons, RING_SIZE(&r.txf)),
	      "rsp_prod overflow");
	for (i = r.txf.rsp_cons; i != prod; i++) {
		memcpy(&rsp, RING_GET_RESPONSE(&r.txf, i), sizeof(rsp));
		CHECK_EQ(ddnet_tx_rsp_check(&rsp, RING_SIZE(&r.txf), pending),
			 DDNET_RSP_V_OK);
		if (rsp.status == DDNET_RSP_NULL) {
			null++;
			continue;
		}
		pending[rsp.id] = 0;
		ok++;
	}
	CHECK_EQ(ok, 2);
	CHECK_EQ(null, 1);
	return 0;
}

/* ---- tx: hostile packets, dropped ---- */

static int t_tx_runt(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 10, 1, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_SIZE);
	CHECK_EQ(pkt.nr_ring_slots, 1);
	return 0;
}

static int t_tx_rest_bigger_than_first(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 100, 1, DDNET_TXF_MORE_DATA);
	tx_put(101, 0, 200, 2, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_SIZE);
	CHECK_EQ(pkt.nr_ring_slots, 2);
	CHECK_EQ(pkt.slot[1].id, 2);
	return 0;
}

static int t_tx_oversize_no_gso(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 3000, 1, DDNET_TXF_MORE_DATA);
	tx_put(101, 0, 2000, 2, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_SIZE);
	return 0;
}

static int t_tx_reserved_gref(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(3, 0, 100, 1, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_GREF);
	return 0;
}

static int t_tx_unknown_flags(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 100, 1, 0x40);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_FLAGS);
	tx_put(100, 0, 100, 2, DDNET_TXF_MORE_DATA);
	tx_put(101, 0, 10, 3, 0x100);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_FLAGS);
	CHECK_EQ(pkt.nr_ring_slots, 2);
	return 0;
}

static int t_tx_gso_bad(void)
{
	struct ddnet_tx_pkt pkt;

	/* zero size */
	tx_put(100, 0, 3000, 1, DDNET_TXF_EXTRA_INFO | DDNET_TXF_CSUM_BLANK);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV4, 0);
	/* unknown type */
	tx_put(100, 0, 3000, 2, DDNET_TXF_EXTRA_INFO | DDNET_TXF_CSUM_BLANK);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 9, 1400);
	/* no partial checksum */
	tx_put(100, 0, 3000, 3, DDNET_TXF_EXTRA_INFO);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV4, 1400);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_GSO);
	CHECK_EQ(pkt.nr_ring_slots, 2);
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_GSO);
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_GSO);
	CHECK_EQ(r.txb.req_cons, 6);
	return 0;
}

static int t_tx_gso_not_offered(void)
{
	struct ddnet_tx_limits l = lim;
	struct ddnet_tx_pkt pkt;
	unsigned int n = 0;

	l.gso_v6 = false;
	tx_put(100, 0, 3000, 1, DDNET_TXF_EXTRA_INFO | DDNET_TXF_CSUM_BLANK);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV6, 1400);
	tx_push();
	for (; n < 2; n++)
		memcpy(&slots[n], RING_GET_REQUEST(&r.txb, n), sizeof(slots[n]));
	CHECK_EQ(ddnet_tx_parse(slots, 2, &l, &pkt), DDNET_TX_E_GSO);
	l.gso_v6 = true;
	l.csum = false;
	CHECK_EQ(ddnet_tx_parse(slots, 2, &l, &pkt), DDNET_TX_E_FLAGS);
	return 0;
}

static int t_tx_extra_dup(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 3000, 1, DDNET_TXF_EXTRA_INFO | DDNET_TXF_CSUM_BLANK);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE,
		 XEN_NETIF_GSO_TYPE_TCPV4, 1400);
	tx_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV4, 1400);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_EXTRA_DUP);
	CHECK_EQ(pkt.nr_ring_slots, 3);
	CHECK_EQ(pkt.nr_extras, 2);
	return 0;
}

static int t_tx_too_many_slots_drop(void)
{
	struct ddnet_tx_pkt pkt;
	unsigned int i;

	/* 19 data slots: more than the 18 a backend must take, not absurd */
	tx_put(100, 0, 19 * 100, 0, DDNET_TXF_MORE_DATA);
	for (i = 1; i < 19; i++)
		tx_put(100 + i, 0, 100, i, i < 18 ? DDNET_TXF_MORE_DATA : 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_E_SLOTS);
	CHECK_EQ(pkt.nr_ring_slots, 19);
	return 0;
}

static int t_tx_mcast(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(0, 0, 0, 1, DDNET_TXF_EXTRA_INFO);
	tx_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_OK);
	CHECK_EQ(pkt.mcast_op, XEN_NETIF_EXTRA_TYPE_MCAST_ADD);
	CHECK_EQ(pkt.nr_ring_slots, 2);
	return 0;
}

/* ---- tx: hostile packets, fatal ---- */

static int t_tx_cross_page(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 4000, 200, 1, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_PAGE);
	CHECK(ddnet_tx_fatal(DDNET_TX_FATAL_PAGE), "fatal");
	return 0;
}

static int t_tx_cross_page_later_slot(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 1000, 1, DDNET_TXF_MORE_DATA);
	tx_put(101, 4095, 2, 2, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_PAGE);
	CHECK_EQ(r.txb.req_cons, 0);
	return 0;
}

static int t_tx_absurd_slots(void)
{
	struct ddnet_tx_pkt pkt;
	unsigned int i;

	tx_put(100, 0, 60000, 0, DDNET_TXF_MORE_DATA);
	for (i = 1; i < 40; i++)
		tx_put(100 + i, 0, 10, i, DDNET_TXF_MORE_DATA);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_SLOTS);
	return 0;
}

static int t_tx_runs_past_producer(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 1000, 0, DDNET_TXF_MORE_DATA);
	tx_put(101, 0, 10, 1, DDNET_TXF_MORE_DATA);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_RING);
	/* an extra announced but never published */
	rings_teardown();
	rings_setup();
	tx_put(100, 0, 1000, 0, DDNET_TXF_EXTRA_INFO);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_RING);
	return 0;
}

static int t_tx_bad_extra_type(void)
{
	struct ddnet_tx_pkt pkt;

	tx_put(100, 0, 1000, 0, DDNET_TXF_EXTRA_INFO);
	tx_extra(XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_EXTRA);
	rings_teardown();
	rings_setup();
	tx_put(100, 0, 1000, 0, DDNET_TXF_EXTRA_INFO);
	tx_extra(200, 0, 0, 0);
	tx_push();
	CHECK_EQ(tx_take(&pkt), DDNET_TX_FATAL_EXTRA);
	return 0;
}

static int t_tx_endless_extras(void)
{
	struct ddnet_tx_pkt pkt;
	unsigned int i;

	tx_put(100, 0, 1000, 0, DDNET_TXF_EXTRA_INFO);
	for (i = 0; i < 10; i++)
		tx_extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	tx_push();
	/* the second HASH is a duplicate; the chain itself is cut at 4 */
	CHECK(tx_take(&pkt) == DDNET_TX_FATAL_EXTRA, "endless extras not fatal");
	return 0;
}

static int t_tx_prod_overflow(void)
{
	CHECK(ddnet_req_prod_overflow(300, 0, 256), "300 of 256");
	CHECK(!ddnet_req_prod_overflow(256, 0, 256), "256 of 256");
	CHECK(ddnet_req_prod_overflow(5, 10, 256), "producer behind consumer");
	CHECK(!ddnet_req_prod_overflow(3, 0xfffffff0u, 256), "wrap");
	return 0;
}

static int t_tx_verdict_names(void)
{
	unsigned int v;

	for (v = 0; v < DDNET_TX_NR_VERDICTS; v++)
		CHECK(ddnet_tx_verdict_str(v) && ddnet_tx_verdict_str(v)[0] != '?',
		      "verdict %u has no name", v);
	CHECK(ddnet_tx_verdict_str(DDNET_TX_NR_VERDICTS)[0] == '?', "out of range");
	return 0;
}

/* ---- frontend checks of backend responses ---- */

static int t_tx_rsp_hostile(void)
{
	uint8_t pending[256] = { 0 };
	struct netif_tx_response rsp;

	pending[4] = 1;
	rsp.id = 4;
	rsp.status = DDNET_RSP_OKAY;
	CHECK_EQ(ddnet_tx_rsp_check(&rsp, 256, pending), DDNET_RSP_V_OK);
	rsp.id = 5;
	CHECK_EQ(ddnet_tx_rsp_check(&rsp, 256, pending), DDNET_RSP_V_NOT_PENDING);
	rsp.id = 256;
	CHECK_EQ(ddnet_tx_rsp_check(&rsp, 256, pending), DDNET_RSP_V_BAD_ID);
	rsp.id = 4;
	rsp.status = 7;
	CHECK_EQ(ddnet_tx_rsp_check(&rsp, 256, pending), DDNET_RSP_V_BAD_STATUS);
	rsp.status = -9;
	CHECK_EQ(ddnet_tx_rsp_check(&rsp, 256, pending), DDNET_RSP_V_BAD_STATUS);
	rsp.id = 9999;
	rsp.status = DDNET_RSP_NULL;
	CHECK_EQ(ddnet_tx_rsp_check(&rsp, 256, pending), DDNET_RSP_V_OK);
	return 0;
}

/* Frontend posts rx buffers; the backend answers a 2-slot GSO packet. */
static int t_rx_roundtrip(void)
{
	struct netif_rx_response rsp;
	struct netif_extra_info e;
	RING_IDX i, prod;
	unsigned int n, len = 0, slots = 0;
	int notify;

	for (n = 0; n < 4; n++) {
		struct netif_rx_request *req =
			RING_GET_REQUEST(&r.rxf, r.rxf.req_prod_pvt);

		req->id = r.rxf.req_prod_pvt & (RING_SIZE(&r.rxf) - 1);
		req->gref = 200 + n;
		r.rxf.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&r.rxf, notify);

	/* backend: slot 0 data + extra in slot 1, slot 2 the rest */
	{
		struct netif_rx_request req;

		memcpy(&req, RING_GET_REQUEST(&r.rxb, r.rxb.req_cons), sizeof(req));
		ddnet_rx_rsp_build(RING_GET_RESPONSE(&r.rxb, r.rxb.rsp_prod_pvt), req.id,
				   0, DDNET_RXF_MORE_DATA | DDNET_RXF_EXTRA_INFO |
				   DDNET_RXF_CSUM_BLANK | DDNET_RXF_VALIDATED, 4096);
		r.rxb.req_cons++;
		r.rxb.rsp_prod_pvt++;
		ddnet_extra_gso_build((void *)RING_GET_RESPONSE(&r.rxb, r.rxb.rsp_prod_pvt),
				      XEN_NETIF_GSO_TYPE_TCPV4, 1448, false);
		r.rxb.req_cons++;
		r.rxb.rsp_prod_pvt++;
		memcpy(&req, RING_GET_REQUEST(&r.rxb, r.rxb.req_cons), sizeof(req));
		ddnet_rx_rsp_build(RING_GET_RESPONSE(&r.rxb, r.rxb.rsp_prod_pvt), req.id,
				   0, 0, 1000);
		r.rxb.req_cons++;
		r.rxb.rsp_prod_pvt++;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r.rxb, notify);
	}
	(void)notify;

	/* frontend: check each slot against the request it posted there */
	prod = r.rxf.sring->rsp_prod;
	CHECK(!ddnet_rsp_prod_overflow(prod, r.rxf.rsp_cons, RING_SIZE(&r.rxf)),
	      "overflow");
	for (i = r.rxf.rsp_cons; i != prod; i++) {
		memcpy(&rsp, RING_GET_RESPONSE(&r.rxf, i), sizeof(rsp));
		CHECK_EQ(ddnet_rx_rsp_check(&rsp, i & (RING_SIZE(&r.rxf) - 1)),
			 DDNET_RSP_V_OK);
		len += rsp.status;
		slots++;
		if (rsp.flags & DDNET_RXF_EXTRA_INFO) {
			i++;
			memcpy(&e, RING_GET_RESPONSE(&r.rxf, i), sizeof(e));
			CHECK_EQ(ddnet_rx_extra_check(&e, true, true), DDNET_RSP_V_OK);
			CHECK_EQ(e.u.gso.size, 1448);
			CHECK_EQ(ddnet_rx_extra_check(&e, false, true),
				 DDNET_RSP_V_BAD_EXTRA);
		}
	}
	CHECK_EQ(slots, 2);
	CHECK_EQ(len, 5096);
	CHECK_EQ(ddnet_rx_pkt_check(slots, len), DDNET_RSP_V_OK);
	return 0;
}

static int t_rx_rsp_hostile(void)
{
	struct netif_rx_response rsp = { .id = 3, .offset = 0, .flags = 0,
					 .status = 1500 };
	struct netif_extra_info e;

	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_OK);
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 4), DDNET_RSP_V_BAD_ID);
	rsp.offset = 3000;
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_BAD_OFFSET);
	rsp.offset = 0xffff;
	rsp.status = 0x7fff;
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_BAD_OFFSET);
	rsp.offset = 0;
	rsp.status = -2;
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_OK);
	rsp.status = -100;
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_BAD_STATUS);
	rsp.status = 100;
	rsp.flags = DDNET_RXF_GSO_PREFIX;
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_BAD_FLAGS);
	rsp.flags = 0x8000;
	CHECK_EQ(ddnet_rx_rsp_check(&rsp, 3), DDNET_RSP_V_BAD_FLAGS);

	memset(&e, 0, sizeof(e));
	CHECK_EQ(ddnet_rx_extra_check(&e, true, true), DDNET_RSP_V_BAD_EXTRA);
	e.type = 77;
	CHECK_EQ(ddnet_rx_extra_check(&e, true, true), DDNET_RSP_V_BAD_EXTRA);
	ddnet_extra_gso_build(&e, XEN_NETIF_GSO_TYPE_TCPV6, 0, false);
	CHECK_EQ(ddnet_rx_extra_check(&e, true, true), DDNET_RSP_V_BAD_EXTRA);
	ddnet_extra_gso_build(&e, 5, 1400, false);
	CHECK_EQ(ddnet_rx_extra_check(&e, true, true), DDNET_RSP_V_BAD_EXTRA);
	ddnet_extra_gso_build(&e, XEN_NETIF_GSO_TYPE_TCPV6, 1400, false);
	e.flags = 0x80;
	CHECK_EQ(ddnet_rx_extra_check(&e, true, true), DDNET_RSP_V_BAD_EXTRA);

	CHECK_EQ(ddnet_rx_pkt_check(19, 1000), DDNET_RSP_V_TOO_LONG);
	CHECK_EQ(ddnet_rx_pkt_check(18, 70000), DDNET_RSP_V_TOO_LONG);
	CHECK_EQ(ddnet_rsp_verdict_str(DDNET_RSP_V_TOO_LONG)[0] != '?', 1);
	CHECK_EQ(ddnet_rsp_verdict_str(DDNET_RSP_V_HELD)[0] != '?', 1);
	return 0;
}

static const struct test tests[] = {
	{ "net-tx-single", t_tx_single },
	{ "net-tx-multi-slot", t_tx_multi_slot },
	{ "net-tx-gso-18-slots", t_tx_gso },
	{ "net-tx-responses-in-ring-order", t_tx_responses_in_order },
	{ "net-tx-drop-runt", t_tx_runt },
	{ "net-tx-drop-rest-bigger-than-first", t_tx_rest_bigger_than_first },
	{ "net-tx-drop-oversize", t_tx_oversize_no_gso },
	{ "net-tx-drop-reserved-gref", t_tx_reserved_gref },
	{ "net-tx-drop-unknown-flags", t_tx_unknown_flags },
	{ "net-tx-drop-bad-gso", t_tx_gso_bad },
	{ "net-tx-drop-gso-not-offered", t_tx_gso_not_offered },
	{ "net-tx-drop-duplicate-extra", t_tx_extra_dup },
	{ "net-tx-drop-19-slots", t_tx_too_many_slots_drop },
	{ "net-tx-mcast-control", t_tx_mcast },
	{ "net-tx-fatal-cross-page", t_tx_cross_page },
	{ "net-tx-fatal-cross-page-later-slot", t_tx_cross_page_later_slot },
	{ "net-tx-fatal-absurd-slots", t_tx_absurd_slots },
	{ "net-tx-fatal-past-producer", t_tx_runs_past_producer },
	{ "net-tx-fatal-extra-type", t_tx_bad_extra_type },
	{ "net-tx-fatal-endless-extras", t_tx_endless_extras },
	{ "net-tx-prod-overflow", t_tx_prod_overflow },
	{ "net-tx-verdict-names", t_tx_verdict_names },
	{ "net-tx-rsp-hostile", t_tx_rsp_hostile },
	{ "net-rx-roundtrip-gso", t_rx_roundtrip },
	{ "net-rx-rsp-hostile", t_rx_rsp_hostile },
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]), rings_setup, rings_teardown) ? 1 : 0;
}
