// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetback-hostile - a hostile netif backend in user space, run as root in
 * a driver domain (gntdev, evtchn), against a guest's network frontend.
 *
 *	ddnetback-hostile [--seconds N] [--ready FILE] FE_DOMID CLASS:DEVID...
 *
 * Serves vif DEVID of domain FE_DOMID from the backend directory
 * /local/domain/<self>/data/hostile/vif/<FE_DOMID>/<DEVID>, which the
 * caller created (with the frontend's directory) and where no kernel backend
 * looks.  Offered: feature-rx-copy only (no scatter-gather, no GSO, no
 * rx-flip, no split event channels: the frontend must give one
 * event-channel, no multi-queue).  One tx and one rx ring, one port.  Tx
 * slots are answered without looking at their data; frames received are
 * 60-byte broadcast ARP requests "who-has 10.77.<devid>.1 tell
 * 10.77.<devid>.254" from 00:16:3e:77:ff:<devid>, written at offset 0 of
 * the frontend's rx page.  Each device gets one attack class, all devices
 * at once in one poll loop:
 *
 *   valid              serve correctly: 50 frames on connecting, 10 more
 *                      each second, every tx slot answered OKAY
 *   event-storm        as valid; after the first 50 frames, 200000
 *                      notifications (or 5 s) with nothing on the rings,
 *                      then 50 more frames and serving on
 *   tx-bad-id          every tx data slot answered OKAY as id 300..399
 *   tx-not-pending     tx data slots taken in pairs: the first answered OKAY
 *                      twice, the second never (responses never outnumber
 *                      requests: that would be an overrun)
 *   tx-bad-status      every tx data slot answered with status 7
 *   tx-rsp-overrun     the first tx request left unanswered, tx rsp_prod set
 *                      1000 beyond our responses
 *   rx-bad-id          50 frames answered with the request's id ^ 0x80
 *   rx-bad-offset      50 rx responses of 200 bytes at offset 4000
 *   rx-bad-size        50 rx responses of 5000 bytes at offset 0
 *   rx-bad-flags       50 frames with flags 0x8000 (unknown)
 *   rx-bad-extra       50 frames with NETRXF_extra_info, each followed by a
 *                      GSO extra of type 200 and size 0
 *   rx-too-many-slots  50 packets chained over 25 slots of 60 bytes each
 *   rx-rsp-overrun     rx rsp_prod set 1000 beyond our responses
 *   rx-hold-grants     50 frames delivered with their pages kept mapped
 *                      until the end
 *   state-cycle        as valid; after the first 50 frames, up to 5 times
 *                      backend Closing, Closed, InitWait, reconnecting if
 *                      the frontend offers rings again; stops when it does
 *                      not within 5 s
 *
 * Tx classes answer the tx ring badly for as long as tx requests come
 * (client traffic) and deliver no frames; rx classes serve the tx ring
 * correctly and, once their attack is out, deliver nothing more.  Every
 * ring is consumed to the end, whatever the class.
 *
 * Without --ready the run ends when every attack is over (valid and
 * event-storm serve to the end of the budget; tx classes end once 10 bad
 * responses went out); with it, FILE is created once every device is
 * connected and its rx side attack done (or failed, or still short of rx
 * requests 30 s after connecting: it goes on as they come), and serving
 * goes on until SIGINT/SIGTERM or the budget (default 120 s).  Tx classes
 * need client traffic and count as ready once connected.  Then every device
 * goes Closing, Closed (5 s for the frontend to follow), everything mapped
 * is unmapped and every port unbound.  One line per device:
 *	class <name> dev <DEVID>: tx-requests T tx-responses U rx-requests R
 *	rx-responses S bad B events E frontend-state F: PASS|FAIL (<why>)
 * (one line) where bad counts the attacks pushed (bad tx responses, the
 * repeated ones for tx-not-pending; bad rx packets, whatever their slots;
 * frames held; one per overrun) and events the notifications the frontend
 * sent us; then "hostile: N classes
 * passed, M failed", exit 0 only if none failed, 2 on a usage error.  PASS
 * means only that the frontend connected, sent nothing malformed, and the
 * attack went out as designed (at least 10 bad responses, one for the
 * overruns): what the frontend made of it is for the caller to check in
 * its guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/netif.h>
#include "xsback.h"

#define STEP_MS		5000		/* for the frontend to follow a state */
#define ATTACK_MS	30000		/* after connecting, for rx requests to attack */
#define STORM_NOTIFIES	200000
#define STORM_MS	5000
#define STORM_CHUNK	2000		/* notifications per loop turn */
#define CYCLES		5
#define CYCLE_GAP_MS	500		/* between Closed and InitWait */
#define CYCLE_SERVE_MS	2000		/* connected again, before the next cycle */
#define MAX_NOTES	5		/* notes about bad requests, per device */
#define MAX_PORT	((1u << 17) - 1)	/* the FIFO ABI's last port */

#define FRAME_LEN	60		/* an ARP request, padded to the Ethernet minimum */
#define ETH_HDR		14		/* the smallest tx packet a frontend may send */
#define RX_BURST	50		/* frames on connecting, and after a storm */
#define RX_PER_SEC	10		/* then frames each second */
#define RX_WANT_MAX	64		/* packets owed at most, whatever the wait */
#define RX_ATTACKS	50		/* bad packets of an rx class */
#define BAD_MIN		10		/* bad responses for a class to pass */
#define TX_BAD_ID	300		/* tx-bad-id: ids 300..399, the ring has 256 */
#define TX_BAD_STATUS	7
#define OVERRUN		1000
#define RX_BAD_ID_XOR	0x80
#define RX_BAD_OFF	4000
#define RX_BAD_OFF_LEN	200
#define RX_BAD_SIZE	5000
#define RX_BAD_FLAGS	0x8000
#define RX_BAD_GSO	200
#define RX_LONG_SLOTS	25
#define RXQ		__CONST_RING_SIZE(netif_rx, XSB_PAGE)

_Static_assert(sizeof(struct netif_extra_info) == sizeof(struct netif_rx_response),
	       "an rx extra takes one response slot");
_Static_assert(sizeof(struct netif_extra_info) <= sizeof(struct netif_tx_request),
	       "a tx extra fits a request slot");
_Static_assert(RX_LONG_SLOTS <= RXQ, "a long packet fits the rx ring");

enum cls {
	C_VALID, C_STORM, C_TX_BAD_ID, C_TX_NOT_PENDING, C_TX_BAD_STATUS, C_TX_OVERRUN,
	C_RX_BAD_ID, C_RX_BAD_OFFSET, C_RX_BAD_SIZE, C_RX_BAD_FLAGS, C_RX_BAD_EXTRA,
	C_RX_LONG, C_RX_OVERRUN, C_RX_HOLD, C_CYCLE, NR_CLASSES
};

static const char *const class_name[NR_CLASSES] = {
	[C_VALID] = "valid",
	[C_STORM] = "event-storm",
	[C_TX_BAD_ID] = "tx-bad-id",
	[C_TX_NOT_PENDING] = "tx-not-pending",
	[C_TX_BAD_STATUS] = "tx-bad-status",
	[C_TX_OVERRUN] = "tx-rsp-overrun",
	[C_RX_BAD_ID] = "rx-bad-id",
	[C_RX_BAD_OFFSET] = "rx-bad-offset",
	[C_RX_BAD_SIZE] = "rx-bad-size",
	[C_RX_BAD_FLAGS] = "rx-bad-flags",
	[C_RX_BAD_EXTRA] = "rx-bad-extra",
	[C_RX_LONG] = "rx-too-many-slots",
	[C_RX_OVERRUN] = "rx-rsp-overrun",
	[C_RX_HOLD] = "rx-hold-grants",
	[C_CYCLE] = "state-cycle",
};

/* Where a device is in its xenbus life. */
enum link {
	L_NONE,		/* never offered: setup failed */
	L_WAIT_FE,	/* InitWait written, waiting for rings */
	L_CONNECTED,	/* rings mapped, port bound, Connected written */
	L_CLOSING,	/* state-cycle: Closing written */
	L_CLOSED,	/* state-cycle: Closed written, InitWait next */
	L_DEAD,		/* given up: Closing written */
};

struct ndev {
	struct xsb_dev x;		/* x.ring is the tx ring */
	enum link link;
	uint64_t t_link;		/* when link last changed */
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	void *rx_sring;			/* the mapped rx ring page, NULL if none */
	uint32_t rx_ref;
	bool tx_dead, rx_dead;		/* the frontend overran it: not read again */
	bool tx_unpushed, rx_unpushed;	/* responses written, rsp_prod not yet */
	bool tx_mute;			/* tx attacked for good: answer nothing more */
	bool rx_mute;			/* rx attacked: deliver nothing more */
	/* the tx packet being read */
	bool ex_more;			/* the next tx slot is an extra */
	bool data_more;			/* the next tx slot continues a packet */
	unsigned int pkt_size, pkt_rest, pkt_slots;
	/* tx-not-pending: a data slot waiting for the next one */
	bool held;
	uint16_t held_id;
	/* rx requests consumed and not answered yet, by ring index */
	struct netif_rx_request rxq[RXQ];
	unsigned int rx_want;		/* packets to deliver when requests allow */
	uint64_t t_feed;		/* when rx_want was last topped up */
	uint8_t frame[FRAME_LEN];
	unsigned long tx_requests, tx_responses, rx_requests, rx_responses;
	unsigned long bad, packets, frames, fe_bad;
	unsigned int notes;
	bool connected_once;
	bool served;			/* the first RX_BURST frames of this connection */
	bool delivered;			/* the class's work is done */
	bool waited;			/* rx classes: ATTACK_MS over, attack still going on */
	bool fe_gone;			/* the frontend closed on its own */
	bool overrun_pending;
	char what[200];			/* what was delivered */
	void *hold[RX_ATTACKS];		/* rx-hold-grants: pages kept mapped */
	unsigned int nhold;
	unsigned long storm_sent, after_storm;
	uint64_t storm_t0;
	unsigned int cycles, reconnects;
	bool fe_left;			/* state-cycle: the frontend left 3/4 since Closing */
};

static struct xsback xb = { .prog = "ddnetback-hostile" };
static struct ndev devs[XSB_MAX_DEVS];

static struct ndev *ndev(const struct xsb_dev *x)
{
	return XSB_OWNER(x, struct ndev, x);
}

static bool stopping;			/* closing down: no more frames */

static bool is_tx(enum cls c)
{
	return c >= C_TX_BAD_ID && c <= C_TX_OVERRUN;
}

static bool is_rx(enum cls c)
{
	return c >= C_RX_BAD_ID && c <= C_RX_HOLD;
}

/* Classes that deliver good frames for as long as they are connected. */
static bool serves_rx(enum cls c)
{
	return c == C_VALID || c == C_STORM || c == C_CYCLE;
}

/* Rx requests (ring slots) one packet of the class takes. */
static unsigned int rx_slots(enum cls c)
{
	if (c == C_RX_BAD_EXTRA)
		return 2;
	if (c == C_RX_LONG)
		return RX_LONG_SLOTS;
	return 1;
}

static void set_link(struct ndev *d, enum link l)
{
	d->link = l;
	d->t_link = xsb_now_ms();
}

static uint64_t since(uint64_t t)
{
	return xsb_now_ms() - t;
}

/* The class's work is done (tx classes and the rx attacks may go on). */
static __attribute__((format(printf, 2, 3))) void deliver(struct ndev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
	d->delivered = true;
	xsb_note(&d->x, "%s", d->what);
}

/* Unmap both rings and unbind the port, whatever of it is there. */
static void drop_rings(struct ndev *d)
{
	if (d->rx_sring && xsb_unmap(&d->x, d->rx_sring, 1))
		xsb_note(&d->x, "unmapping rx-ring-ref %u: %s", d->rx_ref, strerror(errno));
	d->rx_sring = NULL;
	xsb_unbind(&d->x);
	xsb_unmap_ring(&d->x);
}

/* Give up on a device: report, go Closing.  Returns -1. */
static __attribute__((format(printf, 2, 3))) int refuse(struct ndev *d, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	xsb_fail(&d->x, "%s", why);
	if (d->x.offered && !xsb_be_state(&d->x, XenbusStateClosing))
		xsb_note(&d->x, "writing backend state Closing: %s", strerror(errno));
	set_link(d, L_DEAD);
	return -1;
}

/* Something the frontend should never have put on a ring. */
static __attribute__((format(printf, 2, 3))) void bad_req(struct ndev *d, const char *fmt, ...)
{
	va_list ap;

	d->fe_bad++;
	if (d->notes >= MAX_NOTES)
		return;
	printf("  note: %s: bad request: ", d->x.label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (++d->notes == MAX_NOTES)
		xsb_note(&d->x, "further bad requests are only counted");
}

static void kick(struct ndev *d)
{
	if (xsb_notify(&d->x))
		xsb_note(&d->x, "notify on port %u: %s", d->x.port, strerror(errno));
}

/* ---- tx: requests in, responses out ---- */

static void tx_put(struct ndev *d, uint16_t id, int16_t status)
{
	struct netif_tx_response *r = RING_GET_RESPONSE(&d->tx, d->tx.rsp_prod_pvt);

	r->id = id;
	r->status = status;
	d->tx.rsp_prod_pvt++;
	d->tx_responses++;
	d->tx_unpushed = true;
}

static void tx_push(struct ndev *d)
{
	if (!d->tx_unpushed)
		return;
	RING_PUSH_RESPONSES(&d->tx);
	d->tx_unpushed = false;
	kick(d);
}

/* One tx data slot, answered as the class says. */
static void tx_answer(struct ndev *d, uint16_t id)
{
	switch (d->x.cls) {
	case C_TX_BAD_ID:
		tx_put(d, TX_BAD_ID + d->bad % 100, NETIF_RSP_OKAY);
		d->bad++;
		break;
	case C_TX_BAD_STATUS:
		tx_put(d, id, TX_BAD_STATUS);
		d->bad++;
		break;
	case C_TX_NOT_PENDING:
		/*
		 * Both responses go out in one push: the frontend reads the
		 * second before it can give the id to another packet.
		 */
		if (!d->held) {
			d->held = true;
			d->held_id = id;
			break;
		}
		tx_put(d, d->held_id, NETIF_RSP_OKAY);
		tx_put(d, d->held_id, NETIF_RSP_OKAY);
		d->held = false;
		d->bad++;
		break;
	case C_TX_OVERRUN:
		/* Left unanswered: rsp_prod goes far out once the ring is read. */
		d->held_id = id;
		d->overrun_pending = true;
		d->tx_mute = true;
		break;
	default:
		tx_put(d, id, NETIF_RSP_OKAY);
		break;
	}
}

/* One tx slot, consumed and copied: follow the packet, answer it. */
static void tx_slot(struct ndev *d, const struct netif_tx_request *req)
{
	struct netif_extra_info ex;

	if (d->ex_more) {
		memcpy(&ex, req, sizeof(ex));
		if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE || ex.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			bad_req(d, "tx extra slot of type %u", ex.type);
		d->ex_more = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
		tx_put(d, req->id, NETIF_RSP_NULL);
		return;
	}
	if (!d->data_more) {
		/* A packet's first slot: its size is the whole packet's. */
		d->packets++;
		d->pkt_size = req->size;
		d->pkt_rest = 0;
		d->pkt_slots = 1;
		d->ex_more = req->flags & NETTXF_extra_info;
		if (req->size < ETH_HDR)
			bad_req(d, "tx packet id %u of %u bytes", req->id, req->size);
	} else {
		d->pkt_slots++;
		d->pkt_rest += req->size;
		if ((unsigned int)req->offset + req->size > XSB_PAGE)
			bad_req(d, "tx id %u: %u bytes at offset %u cross the page", req->id,
				req->size, req->offset);
		if (d->pkt_slots == XEN_NETIF_NR_SLOTS_MIN + 1)
			bad_req(d, "tx packet over %u slots", XEN_NETIF_NR_SLOTS_MIN);
		if (d->pkt_rest > d->pkt_size && d->pkt_rest - req->size <= d->pkt_size)
			bad_req(d, "tx packet's further slots hold more than its %u bytes",
				d->pkt_size);
	}
	if (req->size && req->gref < GNTTAB_NR_RESERVED_ENTRIES)
		bad_req(d, "tx id %u in reserved grant %u", req->id, req->gref);
	d->data_more = req->flags & NETTXF_more_data;
	tx_answer(d, req->id);
}

/* tx-rsp-overrun: once the ring is read, rsp_prod far beyond our responses. */
static void tx_after(struct ndev *d)
{
	RING_IDX rp;

	if (d->x.cls == C_TX_OVERRUN && d->overrun_pending) {
		rp = d->tx.rsp_prod_pvt + OVERRUN;
		xen_wmb();
		d->tx.sring->rsp_prod = rp;
		xen_mb();
		kick(d);
		d->overrun_pending = false;
		d->bad++;
		deliver(d, "tx id %u left unanswered, tx rsp_prod set to %u (%u past our"
			" %u responses)", d->held_id, rp, OVERRUN, d->tx.rsp_prod_pvt);
	} else if (is_tx(d->x.cls) && !d->delivered && d->bad >= BAD_MIN) {
		deliver(d, "%lu bad tx responses pushed (for %lu tx requests)", d->bad,
			d->tx_requests);
	}
}

/* Consume the tx ring's requests, answer them as the class says. */
static void tx_service(struct ndev *d)
{
	struct netif_tx_request req;
	unsigned int budget, size;
	bool full = false;
	RING_IDX rp;
	int more;

	if (!d->x.ring || d->tx_dead)
		return;
	size = RING_SIZE(&d->tx);
	budget = 4 * size;
	do {
		rp = d->tx.sring->req_prod;
		xen_rmb();	/* the requests up to rp */
		if (d->tx_mute ? (RING_IDX)(rp - d->tx.req_cons) > size :
				 RING_REQUEST_PROD_OVERFLOW(&d->tx, rp)) {
			bad_req(d, "tx req_prod %u overruns the ring (req_cons %u, rsp_prod %u,"
				" %u slots); ring abandoned",
				rp, d->tx.req_cons, d->tx.rsp_prod_pvt, size);
			d->tx_dead = true;
			break;
		}
		while (d->tx.req_cons != rp && budget) {
			if (!d->tx_mute && RING_REQUEST_CONS_OVERFLOW(&d->tx, d->tx.req_cons)) {
				full = true;
				break;
			}
			RING_COPY_REQUEST(&d->tx, d->tx.req_cons, &req);
			d->tx.req_cons++;
			d->tx_requests++;
			budget--;
			if (!d->tx_mute)
				tx_slot(d, &req);
		}
		tx_push(d);
		if (!budget || full)
			break;	/* the rest on the next scan */
		RING_FINAL_CHECK_FOR_REQUESTS(&d->tx, more);
	} while (more);
	tx_after(d);
}

/* ---- rx: requests kept, frames delivered ---- */

/* Consume the rx ring's requests into d->rxq. */
static void rx_consume(struct ndev *d)
{
	struct netif_rx_request *q;
	unsigned int size;
	bool full = false;
	RING_IDX rp;
	int more;

	if (!d->rx_sring || d->rx_dead)
		return;
	size = RING_SIZE(&d->rx);
	do {
		rp = d->rx.sring->req_prod;
		xen_rmb();	/* the requests up to rp */
		if (RING_REQUEST_PROD_OVERFLOW(&d->rx, rp)) {
			bad_req(d, "rx req_prod %u overruns the ring (req_cons %u, rsp_prod %u,"
				" %u slots); ring abandoned",
				rp, d->rx.req_cons, d->rx.rsp_prod_pvt, size);
			d->rx_dead = true;
			return;
		}
		while (d->rx.req_cons != rp) {
			if (RING_REQUEST_CONS_OVERFLOW(&d->rx, d->rx.req_cons)) {
				full = true;
				break;
			}
			q = &d->rxq[d->rx.req_cons & (RXQ - 1)];
			RING_COPY_REQUEST(&d->rx, d->rx.req_cons, q);
			d->rx.req_cons++;
			d->rx_requests++;
			if (q->gref < GNTTAB_NR_RESERVED_ENTRIES)
				bad_req(d, "rx id %u in reserved grant %u", q->id, q->gref);
		}
		if (full)
			break;
		RING_FINAL_CHECK_FOR_REQUESTS(&d->rx, more);
	} while (more);
}

/* Requests consumed and not answered yet. */
static unsigned int rx_held(const struct ndev *d)
{
	return d->rx.req_cons - d->rx.rsp_prod_pvt;
}

/* The oldest of them: the one the next response slot answers. */
static struct netif_rx_request rx_next(const struct ndev *d)
{
	return d->rxq[d->rx.rsp_prod_pvt & (RXQ - 1)];
}

static void rx_put(struct ndev *d, uint16_t id, uint16_t offset, uint16_t flags,
		   int16_t status)
{
	struct netif_rx_response *r = RING_GET_RESPONSE(&d->rx, d->rx.rsp_prod_pvt);

	r->id = id;
	r->offset = offset;
	r->flags = flags;
	r->status = status;
	d->rx.rsp_prod_pvt++;
	d->rx_responses++;
	d->rx_unpushed = true;
}

/* rx-bad-extra: a GSO extra of an unknown type and no size, in the next slot. */
static void rx_put_bad_extra(struct ndev *d)
{
	struct netif_extra_info ex;

	memset(&ex, 0, sizeof(ex));
	ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
	ex.u.gso.type = RX_BAD_GSO;
	ex.u.gso.size = 0;
	memcpy(RING_GET_RESPONSE(&d->rx, d->rx.rsp_prod_pvt), &ex, sizeof(ex));
	d->rx.rsp_prod_pvt++;
	d->rx_responses++;
	d->rx_unpushed = true;
}

static void rx_push(struct ndev *d)
{
	if (!d->rx_unpushed)
		return;
	RING_PUSH_RESPONSES(&d->rx);
	d->rx_unpushed = false;
	kick(d);
}

/*
 * Write our frame at offset 0 of the page of @req; with @keep the page
 * stays mapped (rx-hold-grants).  False if it could not be mapped.
 */
static bool rx_write(struct ndev *d, const struct netif_rx_request *req, bool keep)
{
	uint32_t ref = req->gref;
	void *p;

	p = xsb_map(&d->x, 1, &ref, true);
	if (!p) {
		/* Connected frontends keep every posted page granted. */
		if (xsb_fe_state(&d->x) == XenbusStateConnected && !d->fe_gone)
			bad_req(d, "rx id %u: mapping grant %u: %s", req->id, req->gref,
				strerror(errno));
		else
			xsb_note(&d->x, "rx id %u: mapping grant %u: %s (frontend state %d)",
				 req->id, req->gref, strerror(errno), d->x.fe_state);
		return false;
	}
	memcpy(p, d->frame, FRAME_LEN);
	if (keep && d->nhold < ARRAY_SIZE(d->hold)) {
		d->hold[d->nhold++] = p;
		return true;
	}
	if (xsb_unmap(&d->x, p, 1)) {
		xsb_fail(&d->x, "unmapping rx grant %u: %s", req->gref, strerror(errno));
		return false;
	}
	return true;
}

/* One packet of the class, if enough requests are there.  False if not. */
static bool rx_packet(struct ndev *d)
{
	unsigned int i, n = rx_slots(d->x.cls);
	struct netif_rx_request req;
	uint16_t fl;
	bool ok;

	if (rx_held(d) < n)
		return false;
	req = rx_next(d);
	switch (d->x.cls) {
	case C_RX_BAD_ID:
		rx_write(d, &req, false);
		rx_put(d, req.id ^ RX_BAD_ID_XOR, 0, NETRXF_data_validated, FRAME_LEN);
		break;
	case C_RX_BAD_OFFSET:
		rx_put(d, req.id, RX_BAD_OFF, NETRXF_data_validated, RX_BAD_OFF_LEN);
		break;
	case C_RX_BAD_SIZE:
		rx_put(d, req.id, 0, NETRXF_data_validated, RX_BAD_SIZE);
		break;
	case C_RX_BAD_FLAGS:
		rx_write(d, &req, false);
		rx_put(d, req.id, 0, RX_BAD_FLAGS, FRAME_LEN);
		break;
	case C_RX_BAD_EXTRA:
		rx_write(d, &req, false);
		rx_put(d, req.id, 0, NETRXF_data_validated | NETRXF_extra_info, FRAME_LEN);
		rx_put_bad_extra(d);
		break;
	case C_RX_LONG:
		for (i = 0; i < n; i++) {
			req = rx_next(d);
			rx_write(d, &req, false);
			fl = i ? 0 : NETRXF_data_validated;
			if (i + 1 < n)
				fl |= NETRXF_more_data;
			rx_put(d, req.id, 0, fl, FRAME_LEN);
		}
		break;
	case C_RX_HOLD:
		ok = rx_write(d, &req, true);
		rx_put(d, req.id, 0, NETRXF_data_validated, ok ? FRAME_LEN : NETIF_RSP_ERROR);
		if (!ok)
			return true;	/* answered, but not an attack */
		d->frames++;
		break;
	default:
		ok = rx_write(d, &req, false);
		rx_put(d, req.id, 0, NETRXF_data_validated, ok ? FRAME_LEN : NETIF_RSP_ERROR);
		if (ok) {
			d->frames++;
			if (d->storm_sent && !d->x.storm_on)
				d->after_storm++;
		}
		return true;
	}
	d->bad++;
	return true;
}

/* rx-rsp-overrun: rsp_prod far beyond our responses. */
static void rx_overrun(struct ndev *d)
{
	RING_IDX rp = d->rx.rsp_prod_pvt + OVERRUN;

	xen_wmb();
	d->rx.sring->rsp_prod = rp;
	xen_mb();
	kick(d);
	d->overrun_pending = false;
	d->rx_mute = true;
	d->bad++;
	deliver(d, "rx rsp_prod set to %u (%u past our %u responses)", rp, OVERRUN,
		d->rx.rsp_prod_pvt);
}

/* Deliver what is owed, as far as the frontend's requests allow. */
static void rx_feed(struct ndev *d)
{
	if (!d->rx_sring || d->rx_dead || d->rx_mute || d->x.storm_on || stopping ||
	    d->link != L_CONNECTED || d->fe_gone)
		return;
	if (d->x.cls == C_RX_OVERRUN && d->overrun_pending) {
		rx_overrun(d);
		return;
	}
	while (d->rx_want && rx_packet(d))
		d->rx_want--;
	rx_push(d);
	if (d->rx_want)
		return;
	if (is_rx(d->x.cls) && !d->delivered) {
		deliver(d, "%lu bad rx packets pushed in %lu rx responses", d->bad,
			d->rx_responses);
		d->rx_mute = true;
	} else if (serves_rx(d->x.cls) && !d->served) {
		d->served = true;
		if (d->x.cls == C_VALID && !d->delivered)
			deliver(d, "connected, first %u frames delivered", RX_BURST);
	}
}

/* Owe @n more frames (or attack packets). */
static void rx_owe(struct ndev *d, unsigned int n)
{
	d->rx_want = d->rx_want + n > RX_WANT_MAX ? RX_WANT_MAX : d->rx_want + n;
	d->t_feed = xsb_now_ms();
}

/* Both rings of a connected device (or one closing in a state cycle). */
static void service(struct xsb_dev *x)
{
	struct ndev *d = ndev(x);
	if (d->x.storm_on || (d->link != L_CONNECTED && d->link != L_CLOSING))
		return;
	tx_service(d);
	rx_consume(d);
	rx_feed(d);
}

/* ---- xenbus ---- */

/* Describe a frontend value that xsb_fe_uint() refused. */
static const char *fe_err(int err)
{
	return err == -ENOENT ? "missing" : "not a number in range";
}

/* Read one grant reference of the frontend's.  0, or -1 after refuse(). */
static int fe_ref(struct ndev *d, const char *key, unsigned int *ref)
{
	int err = xsb_fe_uint(&d->x, key, UINT32_MAX, ref);

	if (err)
		return refuse(d, "frontend %s %s", key, fe_err(err));
	if (*ref < GNTTAB_NR_RESERVED_ENTRIES)
		return refuse(d, "frontend %s %u is a reserved grant reference", key, *ref);
	return 0;
}

/*
 * The frontend offers rings: read and check its keys once, map, bind,
 * Connected.  0, or -1 after refuse().
 */
static int connect_fe(struct ndev *d)
{
	unsigned int txref, rxref, port, v;
	uint32_t ref;
	char *split;
	int err;

	if (fe_ref(d, "tx-ring-ref", &txref) || fe_ref(d, "rx-ring-ref", &rxref))
		return -1;
	if (txref == rxref)
		return refuse(d, "frontend offers grant %u for both rings", txref);
	err = xsb_fe_uint(&d->x, "event-channel", MAX_PORT, &port);
	if (err == -ENOENT) {
		split = xsb_fe_str(&d->x, "event-channel-tx");
		free(split);
		if (split)
			return refuse(d, "frontend uses split event channels, not offered");
	}
	if (err)
		return refuse(d, "frontend event-channel %s", fe_err(err));
	if (!port)
		return refuse(d, "frontend event-channel 0");
	err = xsb_fe_uint(&d->x, "request-rx-copy", UINT32_MAX, &v);
	if (err || v != 1)
		return refuse(d, "frontend request-rx-copy %s, not 1",
			      err ? fe_err(err) : "other");
	err = xsb_fe_uint(&d->x, "multi-queue-num-queues", UINT32_MAX, &v);
	if (err == -EINVAL || (!err && v != 1))
		return refuse(d, "frontend multi-queue-num-queues %s, none offered",
			      err ? "not a number" : "above 1");

	if (xsb_map_ring(&d->x, txref))
		return refuse(d, "mapping tx-ring-ref %u: %s", txref, strerror(errno));
	ref = rxref;
	d->rx_sring = xsb_map(&d->x, 1, &ref, true);
	if (!d->rx_sring) {
		err = errno;
		drop_rings(d);
		return refuse(d, "mapping rx-ring-ref %u: %s", rxref, strerror(err));
	}
	d->rx_ref = rxref;
	if (xsb_bind(&d->x, port)) {
		err = errno;
		drop_rings(d);
		return refuse(d, "binding event-channel %u: %s", port, strerror(err));
	}
	BACK_RING_INIT(&d->tx, (netif_tx_sring_t *)d->x.ring, XSB_PAGE);
	BACK_RING_INIT(&d->rx, (netif_rx_sring_t *)d->rx_sring, XSB_PAGE);
	d->tx_dead = d->rx_dead = false;
	d->tx_unpushed = d->rx_unpushed = false;
	d->ex_more = d->data_more = false;
	d->held = false;
	d->served = false;
	d->rx_want = 0;
	if (!xsb_be_state(&d->x, XenbusStateConnected)) {
		err = errno;
		drop_rings(d);
		return refuse(d, "writing backend state Connected: %s", strerror(err));
	}
	set_link(d, L_CONNECTED);
	if (d->connected_once)
		d->reconnects++;
	if (serves_rx(d->x.cls))
		rx_owe(d, RX_BURST);
	else if (is_rx(d->x.cls) && !d->connected_once)
		rx_owe(d, d->x.cls == C_RX_OVERRUN ? 0 : RX_ATTACKS);
	if (d->x.cls == C_RX_OVERRUN && !d->connected_once)
		d->overrun_pending = true;
	d->connected_once = true;
	xsb_note(&d->x, "connected: tx-ring-ref %u, rx-ring-ref %u, port %u (ours %u),"
		 " %u tx and %u rx slots", txref, rxref, port, d->x.port, RING_SIZE(&d->tx),
		 RING_SIZE(&d->rx));
	service(&d->x);
	return 0;
}

/* Our ARP request: who-has 10.77.<devid>.1 tell 10.77.<devid>.254. */
static void make_frame(uint8_t *f, unsigned int devid)
{
	uint8_t n = devid & 0xff;
	const uint8_t src[6] = { 0x00, 0x16, 0x3e, 0x77, 0xff, n };

	memset(f, 0, FRAME_LEN);
	memset(f, 0xff, 6);			/* to everyone */
	memcpy(f + 6, src, 6);
	f[12] = 0x08;				/* ethertype ARP */
	f[13] = 0x06;
	f[15] = 1;				/* hardware type Ethernet */
	f[16] = 0x08;				/* protocol type IPv4 */
	f[18] = 6;				/* address lengths */
	f[19] = 4;
	f[21] = 1;				/* a request */
	memcpy(f + 22, src, 6);			/* sender */
	f[28] = 10;
	f[29] = 77;
	f[30] = n;
	f[31] = 254;
	f[38] = 10;				/* target; its MAC stays 0 */
	f[39] = 77;
	f[40] = n;
	f[41] = 1;
}

/* Offer the vif: its features, then InitWait.  0, or -1 after refuse(). */
static int offer(struct xsb_dev *x)
{
	static const char *const stale[] = { "multi-queue-max-queues" };
	static const struct { const char *key, *val; } keys[] = {
		{ "feature-rx-copy", "1" },
		{ "feature-rx-flip", "0" },
		{ "feature-sg", "0" },
		{ "feature-gso-tcpv4", "0" },
		{ "feature-gso-tcpv6", "0" },
		{ "feature-split-event-channels", "0" },
	};
	struct ndev *d = ndev(x);
	unsigned int i;

	make_frame(d->frame, x->devid);
	for (i = 0; i < ARRAY_SIZE(stale); i++)
		if (!xsb_be_rm(&d->x, stale[i]))
			return refuse(d, "removing %s/%s: %s", d->x.be, stale[i], strerror(errno));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!xsb_be_write(&d->x, keys[i].key, keys[i].val))
			return refuse(d, "writing %s/%s: %s", d->x.be, keys[i].key,
				      strerror(errno));
	if (!xsb_be_state(&d->x, XenbusStateInitWait))
		return refuse(d, "writing backend state InitWait: %s", strerror(errno));
	set_link(d, L_WAIT_FE);
	return 0;
}

/* The frontend's own error node, for a note; NULL if unreadable. */
static char *fe_error(struct ndev *d)
{
	char path[192];
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/%u/error/device/vif/%u/error",
		 d->x.fe_domid, d->x.devid);
	return xs_read(xb.xs, XBT_NULL, path, &len);
}

static bool fe_offers(int st)
{
	return st == XenbusStateInitialised || st == XenbusStateConnected;
}

static void cycle_end(struct ndev *d, const char *how, int st)
{
	deliver(d, "%u cycle(s), %u reconnect(s); %s (frontend state %d)", d->cycles,
		d->reconnects, how, st);
}

/*
 * state-cycle, connected: the first cycle once the first frames are out,
 * the next ones after serving a while again.
 */
static void cycle_begin(struct ndev *d, int st)
{
	if (d->delivered)
		return;
	if (d->cycles >= CYCLES) {
		cycle_end(d, "all done", st);
		return;
	}
	if (!d->cycles ? !d->served : since(d->t_link) < CYCLE_SERVE_MS)
		return;
	xsb_note(&d->x, "cycle %u: backend Closing", d->cycles + 1);
	if (!xsb_be_state(&d->x, XenbusStateClosing)) {
		refuse(d, "writing backend state Closing: %s", strerror(errno));
		return;
	}
	d->fe_left = false;
	set_link(d, L_CLOSING);
}

/* state-cycle: the steps after Closing: Closed, InitWait, new rings or not. */
static void cycle_step(struct ndev *d, int st)
{
	if (!fe_offers(st))
		d->fe_left = true;
	switch (d->link) {
	case L_CONNECTED:
		cycle_begin(d, st);
		break;
	case L_CLOSING:
		if (st >= 0 && st != XenbusStateClosing && st != XenbusStateClosed &&
		    since(d->t_link) < STEP_MS)
			break;
		if (since(d->t_link) >= STEP_MS)
			xsb_note(&d->x, "frontend still in state %d %u s after Closing", st,
				 STEP_MS / 1000);
		service(&d->x);	/* what it sent before letting go */
		drop_rings(d);
		if (!xsb_be_state(&d->x, XenbusStateClosed)) {
			refuse(d, "writing backend state Closed: %s", strerror(errno));
			break;
		}
		set_link(d, L_CLOSED);
		break;
	case L_CLOSED:
		if (since(d->t_link) < CYCLE_GAP_MS)
			break;
		if (!xsb_be_state(&d->x, XenbusStateInitWait)) {
			refuse(d, "writing backend state InitWait: %s", strerror(errno));
			break;
		}
		d->cycles++;
		xsb_note(&d->x, "cycle %u: backend Closed, InitWait again", d->cycles);
		set_link(d, L_WAIT_FE);
		break;
	case L_WAIT_FE:
		/* Only rings offered after letting go of the old ones are new. */
		if (fe_offers(st) && d->fe_left) {
			connect_fe(d);
			break;
		}
		if (!d->delivered && since(d->t_link) >= STEP_MS)
			cycle_end(d, d->fe_left ? "the frontend offered no rings again in 5 s" :
				  "the frontend never let go of its old rings", st);
		break;
	default:
		break;
	}
}

/*
 * After ATTACK_MS connected: what the class still waits for, NULL if
 * nothing (tx classes wait for client traffic, rx classes go on waiting).
 */
static const char *waiting_for(const struct ndev *d)
{
	if (d->delivered || d->x.failed || d->x.storm_on || d->storm_sent)
		return NULL;
	switch (d->x.cls) {
	case C_VALID:
		return d->served ? NULL : "rx requests for the first frames";
	case C_STORM:
		return d->served ? NULL : "rx requests for the frames before the storm";
	case C_CYCLE:
		return d->cycles || d->served ? NULL : "rx requests for the frames before cycling";
	default:
		return NULL;
	}
}

/* Look at one device: its frontend's state and the class's timers. */
static void step(struct xsb_dev *x)
{
	struct ndev *d = ndev(x);
	const char *wait;
	char *err;
	int st;

	if (d->link == L_NONE || d->link == L_DEAD)
		return;
	st = xsb_fe_state(&d->x);
	if (d->x.cls == C_CYCLE && d->connected_once) {
		cycle_step(d, st);
	} else if (d->link == L_WAIT_FE) {
		if (fe_offers(st)) {
			connect_fe(d);
		} else if (st == XenbusStateClosing || st == XenbusStateClosed) {
			err = fe_error(d);
			refuse(d, "frontend went to state %d before connecting (its error: %.80s)",
			       st, err ? err : "unreadable");
			free(err);
		}
	}
	if (d->link != L_CONNECTED)
		return;
	if ((st < 0 || st == XenbusStateClosing || st == XenbusStateClosed) && !d->fe_gone) {
		d->fe_gone = true;
		xsb_note(&d->x, "frontend went to state %d on its own", st);
	}
	if (serves_rx(d->x.cls) && d->served && !d->x.storm_on &&
	    (d->x.cls != C_STORM || d->storm_sent) && since(d->t_feed) >= 1000)
		rx_owe(d, RX_PER_SEC);
	service(&d->x);	/* in case an event went missing */
	if (d->x.cls == C_STORM && d->served && !d->storm_sent && !d->x.storm_on) {
		d->x.storm_on = true;
		d->storm_t0 = xsb_now_ms();
		xsb_note(&d->x, "storm: up to %u notifications", STORM_NOTIFIES);
	}
	if (since(d->t_link) < ATTACK_MS)
		return;
	if (is_rx(d->x.cls) && !d->delivered && !d->waited) {
		/* Reposts need the frontend's interface up: go on, without --ready. */
		d->waited = true;
		xsb_note(&d->x, "%lu of %u bad rx packets pushed in %u s: waiting on for rx"
			 " requests", d->bad, RX_ATTACKS, ATTACK_MS / 1000);
	}
	wait = waiting_for(d);
	if (wait)
		xsb_fail(&d->x, "no %s within %u s of connecting (%lu rx request(s) seen)", wait,
			 ATTACK_MS / 1000, d->rx_requests);
}

/* event-storm: one chunk of notifications. */
static void storm(struct xsb_dev *x)
{
	struct ndev *d = ndev(x);
	unsigned int i;
	uint64_t ms;

	for (i = 0; i < STORM_CHUNK && d->storm_sent < STORM_NOTIFIES; i++) {
		if (xsb_notify(&d->x)) {
			xsb_fail(&d->x, "storm notification %lu: %s", d->storm_sent + 1,
				 strerror(errno));
			break;
		}
		d->storm_sent++;
	}
	ms = since(d->storm_t0);
	if (d->x.failed || d->storm_sent >= STORM_NOTIFIES || ms >= STORM_MS || xsb_over(&xb)) {
		d->x.storm_on = false;
		deliver(d, "sent %lu notifications in %" PRIu64 " ms", d->storm_sent, ms);
		rx_owe(d, RX_BURST);
		service(&d->x);	/* what queued up meanwhile */
	}
}

/* ---- what xsb_main() runs ---- */

static struct xsb_dev *op_dev(unsigned int i)
{
	return &devs[i].x;
}

/*
 * Connected and the rx side done (or waited for ATTACK_MS), or failed: what
 * --ready waits for.  Tx classes need client traffic: connected is enough.
 */
static bool op_settled(const struct xsb_dev *x)
{
	const struct ndev *d = ndev(x);

	return d->x.failed || d->link == L_NONE || d->link == L_DEAD ||
	       (d->connected_once && (is_tx(d->x.cls) || d->delivered || d->waited));
}

/* Nothing more to do before the end of the budget (valid and event-storm serve on). */
static bool op_finished(const struct xsb_dev *x)
{
	const struct ndev *d = ndev(x);

	if (d->x.failed || d->link == L_NONE || d->link == L_DEAD)
		return true;
	return d->x.cls != C_VALID && d->x.cls != C_STORM && d->connected_once && d->delivered;
}

/* From here on the frontends' packets are consumed (and answered), not fed. */
static void op_closing(struct xsb_dev *x)
{
	struct ndev *d = ndev(x);

	stopping = true;
	if (d->x.storm_on) {
		d->x.storm_on = false;
		deliver(d, "sent %lu notifications in %" PRIu64 " ms (cut short)",
			d->storm_sent, since(d->storm_t0));
	}
}

static void op_closed(struct xsb_dev *x)
{
	struct ndev *d = ndev(x);
	unsigned int j;

	for (j = 0; j < d->nhold; j++)
		if (xsb_unmap(&d->x, d->hold[j], 1))
			xsb_fail(&d->x, "unmapping a held rx page: %s", strerror(errno));
	if (d->nhold)
		xsb_note(&d->x, "%u held rx page(s) unmapped", d->nhold);
	d->nhold = 0;
	drop_rings(d);
	xsb_dev_release(&d->x);
	if (d->link != L_NONE)
		xsb_fe_state(&d->x);
}

/* ---- the class lines ---- */

/* What the attack of a tx or rx class amounted to. */
static void attack(const struct ndev *d, char *s, size_t size)
{
	switch (d->x.cls) {
	case C_TX_BAD_ID:
		snprintf(s, size, "%lu tx slot(s) answered OKAY as ids %u..%u", d->bad,
			 TX_BAD_ID, TX_BAD_ID + 99);
		break;
	case C_TX_NOT_PENDING:
		snprintf(s, size, "%lu tx response(s) repeated for an id just answered", d->bad);
		break;
	case C_TX_BAD_STATUS:
		snprintf(s, size, "%lu tx slot(s) answered with status %d", d->bad,
			 TX_BAD_STATUS);
		break;
	case C_RX_BAD_ID:
		snprintf(s, size, "%lu frame(s) answered as the request's id ^ %#x", d->bad,
			 RX_BAD_ID_XOR);
		break;
	case C_RX_BAD_OFFSET:
		snprintf(s, size, "%lu rx response(s) of %u bytes at offset %u", d->bad,
			 RX_BAD_OFF_LEN, RX_BAD_OFF);
		break;
	case C_RX_BAD_SIZE:
		snprintf(s, size, "%lu rx response(s) of %u bytes at offset 0", d->bad,
			 RX_BAD_SIZE);
		break;
	case C_RX_BAD_FLAGS:
		snprintf(s, size, "%lu frame(s) with flags %#x", d->bad, RX_BAD_FLAGS);
		break;
	case C_RX_BAD_EXTRA:
		snprintf(s, size, "%lu frame(s) followed by a GSO extra of type %u, size 0",
			 d->bad, RX_BAD_GSO);
		break;
	case C_RX_LONG:
		snprintf(s, size, "%lu packet(s) over %u slots of %u bytes", d->bad,
			 RX_LONG_SLOTS, FRAME_LEN);
		break;
	case C_RX_HOLD:
		snprintf(s, size, "%lu frame(s) delivered, their pages kept mapped to the end",
			 d->bad);
		break;
	default:
		snprintf(s, size, "%s", d->what);
		break;
	}
}

static bool verdict(struct ndev *d, char *why, size_t size)
{
	const char *gone = d->fe_gone ? "; the frontend closed on its own" : "";
	unsigned long need;
	char what[240];

	if (d->x.failed) {
		snprintf(why, size, "%s", d->x.why);
		return false;
	}
	if (!d->connected_once) {
		snprintf(why, size, "the frontend never offered rings (state %d)", d->x.fe_state);
		return false;
	}
	if (d->fe_bad) {
		snprintf(why, size, "the frontend sent %lu bad request(s)", d->fe_bad);
		return false;
	}
	switch (d->x.cls) {
	case C_VALID:
		if (!d->delivered) {
			snprintf(why, size, "only %lu of the first %u frames delivered", d->frames,
				 RX_BURST);
			return false;
		}
		snprintf(why, size, "delivered %lu frame(s), answered %lu tx packet(s)%s",
			 d->frames, d->packets, gone);
		return true;
	case C_STORM:
		if (!d->storm_sent) {
			snprintf(why, size, "no storm sent: %s",
				 d->served ? "cut short" : "the first frames were not delivered");
			return false;
		}
		snprintf(why, size, "%s; %lu frame(s) delivered after it%s", d->what,
			 d->after_storm, gone);
		return true;
	case C_CYCLE:
		if (!d->cycles) {
			snprintf(why, size, "no cycle done: %s",
				 d->served ? "cut short" : "the first frames were not delivered");
			return false;
		}
		if (!d->delivered)
			snprintf(d->what, sizeof(d->what),
				 "%u cycle(s), %u reconnect(s); cut short", d->cycles,
				 d->reconnects);
		snprintf(why, size, "%s", d->what);
		return true;
	default:
		break;
	}
	need = d->x.cls == C_TX_OVERRUN || d->x.cls == C_RX_OVERRUN ? 1 : BAD_MIN;
	attack(d, what, sizeof(what));
	if (d->bad < need) {
		if (is_tx(d->x.cls))
			snprintf(why, size, "not delivered: %lu tx request(s) came, %s",
				 d->tx_requests, d->bad ? what : "no bad response pushed");
		else
			snprintf(why, size, "not delivered: %lu rx request(s) came, %s",
				 d->rx_requests, d->bad ? what : "no bad response pushed");
		return false;
	}
	snprintf(why, size, "%s%s", what, gone);
	return true;
}

static void op_report(struct xsb_dev *x)
{
	struct ndev *d = ndev(x);
	char why[320];
	bool pass = verdict(d, why, sizeof(why));

	printf("class %s dev %u: tx-requests %lu tx-responses %lu rx-requests %lu"
	       " rx-responses %lu bad %lu events %lu frontend-state %d: %s (%s)\n",
	       class_name[d->x.cls], d->x.devid, d->tx_requests, d->tx_responses,
	       d->rx_requests, d->rx_responses, d->bad, d->x.events, d->x.fe_state,
	       pass ? "PASS" : "FAIL", why);
	xsb_count(&xb, pass);
}

/* ---- main ---- */

static const struct xsb_tool_ops ops = {
	.type = "vif",
	.class_name = class_name,
	.nr_classes = NR_CLASSES,
	.dev = op_dev,
	.offer = offer,
	.step = step,
	.service = service,
	.storm = storm,
	.settled = op_settled,
	.finished = op_finished,
	.closing = op_closing,
	.closed = op_closed,
	.report = op_report,
};

int main(int argc, char **argv)
{
	return xsb_main(&xb, &ops, argc, argv);
}
