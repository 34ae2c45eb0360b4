// SPDX-License-Identifier: GPL-2.0
/*
 * ddstack network protocol logic (see include/ddstack/ddnet_proto.h).
 * Builds in the kernel (part of ddcore) and in user space (tests/unit).
 */
#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <string.h>
#define EXPORT_SYMBOL_GPL(s)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#include <ddstack/ddnet_proto.h>

#define DDNET_TXF_KNOWN	(DDNET_TXF_CSUM_BLANK | DDNET_TXF_VALIDATED | \
			 DDNET_TXF_MORE_DATA | DDNET_TXF_EXTRA_INFO)
#define DDNET_RXF_KNOWN	(DDNET_RXF_VALIDATED | DDNET_RXF_CSUM_BLANK | \
			 DDNET_RXF_MORE_DATA | DDNET_RXF_EXTRA_INFO)
/* VLAN tag a bridge may carry on top of the MTU. */
#define DDNET_VLAN_HLEN	4u

static const char *const tx_verdict_names[DDNET_TX_NR_VERDICTS] = {
	[DDNET_TX_OK]		= "ok",
	[DDNET_TX_E_SIZE]	= "bad packet size",
	[DDNET_TX_E_SLOTS]	= "too many slots",
	[DDNET_TX_E_GREF]	= "reserved grant reference",
	[DDNET_TX_E_FLAGS]	= "bad flags",
	[DDNET_TX_E_GSO]	= "bad gso extra",
	[DDNET_TX_E_EXTRA_DUP]	= "duplicate extra",
	[DDNET_TX_FATAL_PAGE]	= "slot crosses its page",
	[DDNET_TX_FATAL_SLOTS]	= "absurd slot count",
	[DDNET_TX_FATAL_EXTRA]	= "bad extra type",
	[DDNET_TX_FATAL_RING]	= "packet runs past the producer",
};

/**
 * ddnet_tx_verdict_str() - human-readable name of a tx verdict
 * @v: verdict
 *
 * Return: a static string.
 */
const char *ddnet_tx_verdict_str(enum ddnet_tx_verdict v)
{
	if ((unsigned int)v >= DDNET_TX_NR_VERDICTS)
		return "?";
	return tx_verdict_names[v];
}
EXPORT_SYMBOL_GPL(ddnet_tx_verdict_str);

/**
 * ddnet_req_prod_overflow() - a frontend's request producer is impossible
 * @req_prod: producer index read (once) from the shared ring
 * @req_cons: backend's consumer index
 * @ring_size: entries in the ring
 *
 * Return: true when the frontend claims more unconsumed requests than the
 * ring holds.
 */
bool ddnet_req_prod_overflow(uint32_t req_prod, uint32_t req_cons,
			     unsigned int ring_size)
{
	return (uint32_t)(req_prod - req_cons) > ring_size;
}
EXPORT_SYMBOL_GPL(ddnet_req_prod_overflow);

/**
 * ddnet_rsp_prod_overflow() - a backend's response producer is impossible
 * @rsp_prod: producer index read (once) from the shared ring
 * @rsp_cons: frontend's consumer index
 * @ring_size: entries in the ring
 *
 * Return: true when the backend claims more unconsumed responses than the
 * ring holds.
 */
bool ddnet_rsp_prod_overflow(uint32_t rsp_prod, uint32_t rsp_cons,
			     unsigned int ring_size)
{
	return (uint32_t)(rsp_prod - rsp_cons) > ring_size;
}
EXPORT_SYMBOL_GPL(ddnet_rsp_prod_overflow);

static enum ddnet_tx_verdict tx_extra(const struct ddnet_extra_info *e,
				      const struct ddnet_tx_limits *lim,
				      struct ddnet_tx_pkt *pkt,
				      unsigned int *seen)
{
	if (e->type == XEN_NETIF_EXTRA_TYPE_NONE ||
	    e->type >= XEN_NETIF_EXTRA_TYPE_MAX)
		return DDNET_TX_FATAL_EXTRA;
	if (*seen & (1u << e->type))
		return DDNET_TX_E_EXTRA_DUP;
	*seen |= 1u << e->type;

	switch (e->type) {
	case XEN_NETIF_EXTRA_TYPE_GSO:
		pkt->gso_type = e->u.gso.type;
		pkt->gso_size = e->u.gso.size;
		break;
	case XEN_NETIF_EXTRA_TYPE_MCAST_ADD:
	case XEN_NETIF_EXTRA_TYPE_MCAST_DEL:
		pkt->mcast_op = e->type;
		memcpy(pkt->mcast_addr, e->u.mcast.addr, sizeof(pkt->mcast_addr));
		break;
	default:
		/* HASH and others: known types, nothing a backend must use. */
		break;
	}
	(void)lim;
	return DDNET_TX_OK;
}

/* Checks of a whole, well-delimited packet that lead to a drop. */
static enum ddnet_tx_verdict tx_check(const struct ddnet_tx_pkt *pkt,
				      const struct ddnet_tx_limits *lim,
				      bool gref_bad, unsigned int rest)
{
	if (pkt->flags & ~DDNET_TXF_KNOWN)
		return DDNET_TX_E_FLAGS;
	if (pkt->mcast_op) {
		/* A control message: one slot, no data expected. */
		return pkt->nr_slots == 1 ? DDNET_TX_OK : DDNET_TX_E_SLOTS;
	}
	if (pkt->nr_slots > lim->max_slots)
		return DDNET_TX_E_SLOTS;
	if (gref_bad)
		return DDNET_TX_E_GREF;
	/* The first slot's size is the packet's; the rest must fit in it. */
	if (rest > pkt->size || pkt->size < DDNET_ETH_HLEN)
		return DDNET_TX_E_SIZE;
	if ((pkt->flags & DDNET_TXF_CSUM_BLANK) && !lim->csum)
		return DDNET_TX_E_FLAGS;
	if (pkt->gso_type != XEN_NETIF_GSO_TYPE_NONE || pkt->gso_size) {
		if ((pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 && !lim->gso_v4) ||
		    (pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV6 && !lim->gso_v6) ||
		    (pkt->gso_type != XEN_NETIF_GSO_TYPE_TCPV4 &&
		     pkt->gso_type != XEN_NETIF_GSO_TYPE_TCPV6))
			return DDNET_TX_E_GSO;
		/* A GSO packet is segmented by the DD: needs a partial csum. */
		if (!pkt->gso_size || pkt->gso_size >= pkt->size ||
		    !(pkt->flags & DDNET_TXF_CSUM_BLANK))
			return DDNET_TX_E_GSO;
	} else if (pkt->size > lim->mtu + DDNET_ETH_HLEN + DDNET_VLAN_HLEN) {
		return DDNET_TX_E_SIZE;
	}
	return DDNET_TX_OK;
}

/**
 * ddnet_tx_parse() - delimit and check one tx packet
 * @slots: ring slots copied (once) from the ring, the packet's first at [0]
 * @avail: number of valid entries in @slots: every request the frontend
 *	has published, or DDNET_TX_SCAN_MAX when it published more
 * @lim: what was negotiated with this frontend
 * @pkt: filled in: always @pkt->nr_ring_slots and the data slots' ids
 *	when the verdict is not fatal, so that a dropped packet can still be
 *	answered slot by slot
 *
 * The ring layout of a packet: the first data slot (its size is the whole
 * packet's), the extra-info slots it announces with DDNET_TXF_EXTRA_INFO
 * (chained by XEN_NETIF_EXTRA_FLAG_MORE), then further data slots while
 * DDNET_TXF_MORE_DATA is set.
 *
 * Return: DDNET_TX_OK, a DDNET_TX_E_* verdict (answer every data slot with
 * DDNET_RSP_ERROR and go on) or a DDNET_TX_FATAL_* verdict (disconnect).
 */
enum ddnet_tx_verdict ddnet_tx_parse(const union ddnet_slot *slots,
				     unsigned int avail,
				     const struct ddnet_tx_limits *lim,
				     struct ddnet_tx_pkt *pkt)
{
	enum ddnet_tx_verdict v, drop = DDNET_TX_OK;
	const struct ddnet_tx_request *req;
	unsigned int pos = 0, seen = 0, rest = 0;
	bool more, gref_bad = false;
	uint16_t flags;

	memset(pkt, 0, sizeof(*pkt));
	pkt->gso_type = XEN_NETIF_GSO_TYPE_NONE;
	if (avail == 0)
		return DDNET_TX_FATAL_RING;

	req = &slots[pos++].req;
	pkt->slot[pkt->nr_slots++] = *req;
	pkt->size = req->size;
	pkt->flags = req->flags;
	flags = req->flags;

	/* Extras follow the first slot. */
	more = flags & DDNET_TXF_EXTRA_INFO;
	while (more) {
		const struct ddnet_extra_info *e;

		if (pkt->nr_extras >= DDNET_MAX_EXTRAS)
			return DDNET_TX_FATAL_EXTRA;
		if (pos >= avail)
			return avail >= DDNET_TX_SCAN_MAX ?
				DDNET_TX_FATAL_SLOTS : DDNET_TX_FATAL_RING;
		e = &slots[pos++].extra;
		pkt->nr_extras++;
		v = tx_extra(e, lim, pkt, &seen);
		if (ddnet_tx_fatal(v))
			return v;
		if (v != DDNET_TX_OK && drop == DDNET_TX_OK)
			drop = v;
		more = e->flags & XEN_NETIF_EXTRA_FLAG_MORE;
	}

	/* Then the data slots. */
	more = flags & DDNET_TXF_MORE_DATA;
	while (more) {
		if (pkt->nr_slots >= DDNET_TX_SLOTS_FATAL)
			return DDNET_TX_FATAL_SLOTS;
		if (pos >= avail)
			return avail >= DDNET_TX_SCAN_MAX ?
				DDNET_TX_FATAL_SLOTS : DDNET_TX_FATAL_RING;
		req = &slots[pos++].req;
		pkt->slot[pkt->nr_slots++] = *req;
		if (req->flags & ~(uint16_t)DDNET_TXF_KNOWN && drop == DDNET_TX_OK)
			drop = DDNET_TX_E_FLAGS;
		more = req->flags & DDNET_TXF_MORE_DATA;
		rest += req->size;
	}
	pkt->nr_ring_slots = pos;

	/* Every slot must stay within its page, and name a usable grant. */
	for (pos = 0; pos < pkt->nr_slots; pos++) {
		req = &pkt->slot[pos];
		if (pos == 0)
			continue;
		if ((unsigned int)req->offset + req->size > DDNET_PAGE_SIZE)
			return DDNET_TX_FATAL_PAGE;
		if (req->size && req->gref < DDNET_FIRST_GREF)
			gref_bad = true;
	}
	req = &pkt->slot[0];
	if (rest <= pkt->size) {
		pkt->first_len = pkt->size - rest;
		if ((unsigned int)req->offset + pkt->first_len > DDNET_PAGE_SIZE)
			return DDNET_TX_FATAL_PAGE;
		if (pkt->first_len && req->gref < DDNET_FIRST_GREF)
			gref_bad = true;
	} else if (req->offset >= DDNET_PAGE_SIZE) {
		return DDNET_TX_FATAL_PAGE;
	}

	if (drop != DDNET_TX_OK)
		return drop;
	return tx_check(pkt, lim, gref_bad, rest);
}
EXPORT_SYMBOL_GPL(ddnet_tx_parse);

/**
 * ddnet_tx_rsp_build() - fill in a tx response
 * @rsp: response slot on the ring
 * @id: id of the request it answers
 * @status: DDNET_RSP_*
 */
void ddnet_tx_rsp_build(struct ddnet_tx_response *rsp, uint16_t id,
			int16_t status)
{
	rsp->id = id;
	rsp->status = status;
}
EXPORT_SYMBOL_GPL(ddnet_tx_rsp_build);

/**
 * ddnet_rx_rsp_build() - fill in an rx response
 * @rsp: response slot on the ring (the slot of the request it answers)
 * @id: id of that request
 * @offset: where the data starts in the granted page
 * @flags: DDNET_RXF_*
 * @status: bytes written, or a negative DDNET_RSP_*
 */
void ddnet_rx_rsp_build(struct ddnet_rx_response *rsp, uint16_t id,
			uint16_t offset, uint16_t flags, int16_t status)
{
	rsp->id = id;
	rsp->offset = offset;
	rsp->flags = flags;
	rsp->status = status;
}
EXPORT_SYMBOL_GPL(ddnet_rx_rsp_build);

/**
 * ddnet_extra_gso_build() - fill in a GSO extra-info slot
 * @e: the slot (on an rx ring: in place of a response)
 * @gso_type: XEN_NETIF_GSO_TYPE_TCPV4 or _TCPV6
 * @gso_size: segment size
 * @more: another extra follows
 */
void ddnet_extra_gso_build(struct ddnet_extra_info *e, uint8_t gso_type,
			   uint16_t gso_size, bool more)
{
	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	e->flags = more ? XEN_NETIF_EXTRA_FLAG_MORE : 0;
	e->u.gso.type = gso_type;
	e->u.gso.size = gso_size;
}
EXPORT_SYMBOL_GPL(ddnet_extra_gso_build);

static const char *const rsp_verdict_names[] = {
	[DDNET_RSP_V_OK]		= "ok",
	[DDNET_RSP_V_BAD_ID]		= "bad id",
	[DDNET_RSP_V_NOT_PENDING]	= "id not in flight",
	[DDNET_RSP_V_BAD_STATUS]	= "bad status",
	[DDNET_RSP_V_BAD_OFFSET]	= "data beyond the page",
	[DDNET_RSP_V_BAD_FLAGS]		= "bad flags",
	[DDNET_RSP_V_BAD_EXTRA]		= "bad extra",
	[DDNET_RSP_V_TOO_LONG]		= "packet too long",
	[DDNET_RSP_V_HELD]		= "page still mapped after the response",
};

/**
 * ddnet_rsp_verdict_str() - human-readable name of a response verdict
 * @v: verdict
 *
 * Return: a static string.
 */
const char *ddnet_rsp_verdict_str(enum ddnet_rsp_verdict v)
{
	if ((unsigned int)v >= ARRAY_SIZE(rsp_verdict_names))
		return "?";
	return rsp_verdict_names[v];
}
EXPORT_SYMBOL_GPL(ddnet_rsp_verdict_str);

/**
 * ddnet_tx_rsp_check() - check a tx response before using its id
 * @rsp: response copied (once) off the ring
 * @ring_size: entries in the tx ring (ids are below it)
 * @pending: per id, non-zero while a request with that id is in flight
 *
 * A DDNET_RSP_NULL response answers an extra-info slot: its id means
 * nothing and the caller skips it.
 *
 * Return: DDNET_RSP_V_OK when the response may complete request @rsp->id.
 */
enum ddnet_rsp_verdict ddnet_tx_rsp_check(const struct ddnet_tx_response *rsp,
					  unsigned int ring_size,
					  const uint8_t *pending)
{
	switch (rsp->status) {
	case DDNET_RSP_NULL:
		return DDNET_RSP_V_OK;
	case DDNET_RSP_OKAY:
	case DDNET_RSP_ERROR:
	case DDNET_RSP_DROPPED:
		break;
	default:
		return DDNET_RSP_V_BAD_STATUS;
	}
	if (rsp->id >= ring_size)
		return DDNET_RSP_V_BAD_ID;
	if (!pending[rsp->id])
		return DDNET_RSP_V_NOT_PENDING;
	return DDNET_RSP_V_OK;
}
EXPORT_SYMBOL_GPL(ddnet_tx_rsp_check);

/**
 * ddnet_rx_rsp_check() - check an rx response before using its data
 * @rsp: response copied (once) off the ring
 * @expect_id: id of the request posted in this ring slot
 *
 * Return: DDNET_RSP_V_OK when @rsp->status bytes at @rsp->offset lie within
 * the page granted for @expect_id (or the status is an error to count).
 */
enum ddnet_rsp_verdict ddnet_rx_rsp_check(const struct ddnet_rx_response *rsp,
					  uint16_t expect_id)
{
	if (rsp->id != expect_id)
		return DDNET_RSP_V_BAD_ID;
	if (rsp->flags & ~(uint16_t)DDNET_RXF_KNOWN)
		return DDNET_RSP_V_BAD_FLAGS;
	if (rsp->status < 0) {
		if (rsp->status != DDNET_RSP_ERROR &&
		    rsp->status != DDNET_RSP_DROPPED)
			return DDNET_RSP_V_BAD_STATUS;
		return DDNET_RSP_V_OK;
	}
	if ((unsigned int)rsp->offset + (unsigned int)rsp->status >
	    DDNET_PAGE_SIZE)
		return DDNET_RSP_V_BAD_OFFSET;
	return DDNET_RSP_V_OK;
}
EXPORT_SYMBOL_GPL(ddnet_rx_rsp_check);

/**
 * ddnet_rx_extra_check() - check an extra-info slot on the rx ring
 * @e: the slot copied (once) off the ring
 * @gso_v4: the frontend offered feature-gso-tcpv4
 * @gso_v6: the frontend offered feature-gso-tcpv6
 *
 * Return: DDNET_RSP_V_OK for a GSO extra of an offered type and a sane
 * size, or an extra of another known type (ignored by the caller).
 */
enum ddnet_rsp_verdict ddnet_rx_extra_check(const struct ddnet_extra_info *e,
					    bool gso_v4, bool gso_v6)
{
	if (e->type == XEN_NETIF_EXTRA_TYPE_NONE ||
	    e->type >= XEN_NETIF_EXTRA_TYPE_MAX)
		return DDNET_RSP_V_BAD_EXTRA;
	if (e->flags & ~(uint8_t)XEN_NETIF_EXTRA_FLAG_MORE)
		return DDNET_RSP_V_BAD_EXTRA;
	if (e->type != XEN_NETIF_EXTRA_TYPE_GSO)
		return DDNET_RSP_V_OK;
	if (!e->u.gso.size || e->u.gso.size >= DDNET_MAX_PKT)
		return DDNET_RSP_V_BAD_EXTRA;
	if (e->u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4 && gso_v4)
		return DDNET_RSP_V_OK;
	if (e->u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6 && gso_v6)
		return DDNET_RSP_V_OK;
	return DDNET_RSP_V_BAD_EXTRA;
}
EXPORT_SYMBOL_GPL(ddnet_rx_extra_check);

/**
 * ddnet_rx_pkt_check() - check the size of a whole received packet
 * @nr_slots: rx slots it spans (extras not counted)
 * @len: bytes over all its slots
 *
 * Return: DDNET_RSP_V_OK, or DDNET_RSP_V_TOO_LONG past DDNET_RX_SLOTS_MAX
 * slots or DDNET_MAX_PKT bytes.
 */
enum ddnet_rsp_verdict ddnet_rx_pkt_check(unsigned int nr_slots,
					  unsigned int len)
{
	if (nr_slots > DDNET_RX_SLOTS_MAX || len > DDNET_MAX_PKT)
		return DDNET_RSP_V_TOO_LONG;
	return DDNET_RSP_V_OK;
}
EXPORT_SYMBOL_GPL(ddnet_rx_pkt_check);

/**
 * ddnet_tx_req_fill() - fill in a tx request
 * @req: request slot on the ring
 * @gref: grant of the page holding the data
 * @offset: data offset in the page
 * @size: the packet's length in the first slot, the slot's bytes after it
 * @id: frontend cookie echoed in the response
 * @flags: DDNET_TXF_*
 */
void ddnet_tx_req_fill(struct ddnet_tx_request *req, uint32_t gref,
		       uint16_t offset, uint16_t size, uint16_t id,
		       uint16_t flags)
{
	req->gref = gref;
	req->offset = offset;
	req->size = size;
	req->id = id;
	req->flags = flags;
}
EXPORT_SYMBOL_GPL(ddnet_tx_req_fill);

/**
 * ddnet_tx_extra_gso_fill() - fill in a GSO extra-info slot on the tx ring
 * @e: the slot, right after the first request of the packet
 * @gso_type: XEN_NETIF_GSO_TYPE_TCPV4 or _TCPV6
 * @gso_size: segment size
 * @more: another extra follows
 */
void ddnet_tx_extra_gso_fill(struct ddnet_extra_info *e, uint8_t gso_type,
			     uint16_t gso_size, bool more)
{
	ddnet_extra_gso_build(e, gso_type, gso_size, more);
}
EXPORT_SYMBOL_GPL(ddnet_tx_extra_gso_fill);
