// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkback-hostile - a hostile blkif backend in user space, run as root in
 * a driver domain (gntdev, evtchn), against a guest's block frontend.
 *
 *	ddblkback-hostile [--seconds N] [--ready FILE] FE_DOMID CLASS:DEVID...
 *
 * Serves vbd DEVID of domain FE_DOMID from the backend directory
 * /local/domain/<self>/data/hostile/vbd/<FE_DOMID>/<DEVID>, which the
 * caller created (with the frontend's directory) and where no kernel backend
 * looks: a 64 MiB disk whose every byte of sector S is S & 0xff, writes
 * accepted and dropped, one single-page ring, no persistent grants.  Each
 * device gets one attack class, all devices at once in one poll loop:
 *
 *   valid             serve correctly for the whole run
 *   event-storm       after the first answer, 200000 notifications (or 5 s)
 *                     with nothing on the ring, then serve correctly
 *   id-out-of-range   the first read answered as id 0xffffffffffff0000
 *   id-not-pending    the first request answered twice
 *   wrong-op          the first read answered as a write
 *   bad-status        the first request answered with status 77
 *   extra-responses   once the first answer left the ring idle, five more
 *                     responses (ids 0..4, OKAY) than there were requests
 *   rsp-prod-overrun  the first request left unanswered, rsp_prod set 1000
 *                     beyond our responses
 *   hold-grants       the first read answered with its data grants still
 *                     mapped, kept so until the end
 *   state-cycle       after the first answer, up to 5 times backend Closing,
 *                     Closed, InitWait, reconnecting if the frontend offers a
 *                     ring again; stops when it does not within 5 s
 *
 * After an attack on the ring the device answers nothing more, but still
 * consumes and counts requests.  Without --ready the run ends when every
 * attack is over (valid and event-storm serve to the end of the budget);
 * with it, FILE is created once every device is connected and attacked (or
 * failed), and serving goes on until SIGINT/SIGTERM or the budget (default
 * 120 s).  Then every device goes Closing, Closed (5 s for the frontend to
 * follow), everything mapped is unmapped and every port unbound.  Then one
 * line per device (wrapped here):
 *	class <name> dev <DEVID>: requests R responses P bad B events E
 *		frontend-state S: PASS|FAIL (<why>)
 * where responses counts the hostile ones too, bad the frontend's invalid
 * requests (any fails the class) and events the notifications it sent us;
 * then "hostile: N classes passed, M failed".  Exit 0 only if none failed,
 * 2 on a usage error.  PASS means only that the frontend connected and the
 * attack went out as designed: what the frontend made of it is for the
 * caller to check in its guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include "xsback.h"

#define SECTORS		131072ULL	/* a 64 MiB disk */
#define SECT_SIZE	512
#define SECTS_PER_PAGE	(XSB_PAGE / SECT_SIZE)
#define STEP_MS		5000		/* for the frontend to follow a state */
#define ATTACK_MS	30000		/* after connecting, for the request to attack */
#define STORM_NOTIFIES	200000
#define STORM_MS	5000
#define STORM_CHUNK	2000		/* notifications per loop turn */
#define CYCLES		5
#define CYCLE_GAP_MS	500		/* between Closed and InitWait */
#define CYCLE_SERVE_MS	2000		/* connected again, before the next cycle */
#define MAX_NOTES	5		/* notes about bad requests, per device */
#define BAD_ID		0xffffffffffff0000ULL
#define BAD_STATUS	77
#define EXTRA_RSPS	5
#define OVERRUN		1000
#define MAX_PORT	((1u << 17) - 1)	/* the FIFO ABI's last port */

enum cls {
	C_VALID, C_STORM, C_ID_RANGE, C_ID_NOT_PENDING, C_WRONG_OP, C_BAD_STATUS,
	C_EXTRA, C_OVERRUN, C_HOLD, C_CYCLE, NR_CLASSES
};

static const char *const class_name[NR_CLASSES] = {
	[C_VALID] = "valid",
	[C_STORM] = "event-storm",
	[C_ID_RANGE] = "id-out-of-range",
	[C_ID_NOT_PENDING] = "id-not-pending",
	[C_WRONG_OP] = "wrong-op",
	[C_BAD_STATUS] = "bad-status",
	[C_EXTRA] = "extra-responses",
	[C_OVERRUN] = "rsp-prod-overrun",
	[C_HOLD] = "hold-grants",
	[C_CYCLE] = "state-cycle",
};

/* Where a device is in its xenbus life. */
enum link {
	L_NONE,		/* never offered: setup failed */
	L_WAIT_FE,	/* InitWait written, waiting for a ring */
	L_CONNECTED,	/* ring mapped, port bound, Connected written */
	L_CLOSING,	/* state-cycle: Closing written */
	L_CLOSED,	/* state-cycle: Closed written, InitWait next */
	L_DEAD,		/* given up: Closing written */
};

struct bdev {
	struct xsb_dev x;
	enum link link;
	uint64_t t_link;		/* when link last changed */
	blkif_back_ring_t ring;
	bool ring_dead;			/* the frontend overran it: not read again */
	bool unpushed;			/* responses written, rsp_prod not yet */
	unsigned long requests, responses, bad;
	unsigned int notes;
	bool connected_once;
	bool answered;			/* a request answered since connecting */
	bool mute;			/* attacked: answer nothing more */
	bool delivered;			/* the class's work is done */
	bool fe_gone;			/* the frontend closed on its own */
	bool overrun_pending;
	struct blkif_response stage[EXTRA_RSPS];
	unsigned int nstage;		/* responses beyond the requests, in stage[] */
	bool have_first;		/* first_id, first_op: the first request answered */
	uint64_t first_id;
	uint8_t first_op;
	char what[200];			/* what was delivered */
	void *held;			/* hold-grants: the read's data pages */
	unsigned int held_n;
	unsigned long storm_sent, after_storm;
	uint64_t storm_t0;
	unsigned int cycles, reconnects;
	bool fe_left;			/* state-cycle: the frontend left 3/4 since Closing */
};

static struct xsback xb = { .prog = "ddblkback-hostile" };
static struct bdev devs[XSB_MAX_DEVS];

static struct bdev *bdev(const struct xsb_dev *x)
{
	return XSB_OWNER(x, struct bdev, x);
}

static void set_link(struct bdev *d, enum link l)
{
	d->link = l;
	d->t_link = xsb_now_ms();
}

static uint64_t since(uint64_t t)
{
	return xsb_now_ms() - t;
}

/* The class's work is done; @mute: answer nothing more. */
static __attribute__((format(printf, 3, 4))) void deliver(struct bdev *d, bool mute,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
	d->delivered = true;
	d->mute |= mute;
	xsb_note(&d->x, "%s", d->what);
}

/* Give up on a device: report, go Closing.  Returns -1. */
static __attribute__((format(printf, 2, 3))) int refuse(struct bdev *d, const char *fmt, ...)
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

/* Count a request the frontend should not have sent; note the first few. */
static __attribute__((format(printf, 2, 3))) void bad_req(struct bdev *d, const char *fmt, ...)
{
	va_list ap;

	d->bad++;
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

/* ---- the disk ---- */

static void fill(uint8_t *page, unsigned int first, unsigned int last, uint64_t sector)
{
	unsigned int s;

	for (s = first; s <= last; s++, sector++)
		memset(page + s * SECT_SIZE, (int)(sector & 0xff), SECT_SIZE);
}

/*
 * Carry out @req (a private copy) and return its status.  Reads map their
 * segments writable and fill them; writes map them read-only (which checks
 * the grants) and drop them.  The pages are unmapped again unless @hold,
 * where a read's mapping is left in d->held.
 */
static int16_t do_request(struct bdev *d, const struct blkif_request *req, bool hold)
{
	uint32_t refs[BLKIF_MAX_SEGMENTS_PER_REQUEST];
	unsigned int n = req->nr_segments, i, first, last;
	uint64_t sector = req->sector_number, total = 0;
	bool rd = false;
	uint8_t *p;

	switch (req->operation) {
	case BLKIF_OP_READ:
		rd = true;
		break;
	case BLKIF_OP_WRITE:
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		/* With data they are writes with a flush: nothing to flush here. */
		if (!n)
			return BLKIF_RSP_OKAY;
		break;
	default:
		return BLKIF_RSP_EOPNOTSUPP;
	}
	if (n < 1 || n > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		bad_req(d, "id %" PRIu64 " operation %u with %u segments", req->id,
			req->operation, n);
		return BLKIF_RSP_ERROR;
	}
	for (i = 0; i < n; i++) {
		first = req->seg[i].first_sect;
		last = req->seg[i].last_sect;
		if (first > last || last >= SECTS_PER_PAGE) {
			bad_req(d, "id %" PRIu64 " segment %u: sectors %u..%u of a page", req->id,
				i, first, last);
			return BLKIF_RSP_ERROR;
		}
		total += last - first + 1;
		refs[i] = req->seg[i].gref;
	}
	if (sector >= SECTORS || total > SECTORS - sector) {
		bad_req(d, "id %" PRIu64 ": %" PRIu64 " sectors at %" PRIu64 " past the end (%llu)",
			req->id, total, sector, SECTORS);
		return BLKIF_RSP_ERROR;
	}
	p = xsb_map(&d->x, n, refs, rd);
	if (!p) {
		bad_req(d, "id %" PRIu64 ": mapping its %u grant(s) %s: %s", req->id, n,
			rd ? "writable" : "read-only", strerror(errno));
		return BLKIF_RSP_ERROR;
	}
	if (rd) {
		for (i = 0; i < n; i++) {
			fill(p + (size_t)i * XSB_PAGE, req->seg[i].first_sect,
			     req->seg[i].last_sect, sector);
			sector += req->seg[i].last_sect - req->seg[i].first_sect + 1;
		}
	}
	if (hold && rd) {
		d->held = p;
		d->held_n = n;
		return BLKIF_RSP_OKAY;
	}
	if (xsb_unmap(&d->x, p, n)) {
		xsb_fail(&d->x, "unmapping the %u data page(s) of request %" PRIu64 ": %s", n,
			 req->id, strerror(errno));
		return BLKIF_RSP_ERROR;
	}
	return BLKIF_RSP_OKAY;
}

/* ---- responses ---- */

static void put_rsp(struct bdev *d, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *r = RING_GET_RESPONSE(&d->ring, d->ring.rsp_prod_pvt);

	r->id = id;
	r->operation = op;
	r->status = status;
	d->ring.rsp_prod_pvt++;
	d->responses++;
	d->unpushed = true;
}

/* The response to a request just consumed. */
static void answer(struct bdev *d, uint64_t id, uint8_t op, int16_t status)
{
	if (!d->have_first) {
		d->have_first = true;
		d->first_id = id;
		d->first_op = op;
	}
	put_rsp(d, id, op, status);
	d->answered = true;
	if (d->storm_sent && !d->x.storm_on)
		d->after_storm++;
}

/* A response beyond the requests, put on the ring once all are consumed. */
static void stage(struct bdev *d, uint64_t id, uint8_t op, int16_t status)
{
	if (d->nstage < ARRAY_SIZE(d->stage))
		d->stage[d->nstage++] = (struct blkif_response){ id, op, status };
}

static void kick(struct bdev *d)
{
	if (xsb_notify(&d->x))
		xsb_note(&d->x, "notify on port %u: %s", d->x.port, strerror(errno));
}

/* Put the staged responses on the ring, push and notify (always if @force). */
static void push(struct bdev *d, bool force)
{
	unsigned int i;
	int notify = 0;

	for (i = 0; i < d->nstage; i++)
		put_rsp(d, d->stage[i].id, d->stage[i].operation, d->stage[i].status);
	d->nstage = 0;
	if (d->unpushed) {
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&d->ring, notify);
		d->unpushed = false;
	}
	if (notify || force)
		kick(d);
}

/* ---- requests ---- */

/* One request, consumed and copied, of a device still answering. */
static void handle(struct bdev *d, const struct blkif_request *req)
{
	bool rd = req->operation == BLKIF_OP_READ;
	int16_t st;

	switch (d->x.cls) {
	case C_ID_RANGE:
		if (!rd)
			break;
		st = do_request(d, req, false);
		answer(d, BAD_ID, req->operation, BLKIF_RSP_OKAY);
		deliver(d, true, "read id %" PRIu64 " (its status %d) answered OKAY as id %#llx",
			req->id, st, BAD_ID);
		return;
	case C_ID_NOT_PENDING:
		st = do_request(d, req, false);
		answer(d, req->id, req->operation, st);
		stage(d, req->id, req->operation, st);
		deliver(d, true, "request id %" PRIu64 " (operation %u) answered twice, status %d",
			req->id, req->operation, st);
		return;
	case C_WRONG_OP:
		if (!rd)
			break;
		st = do_request(d, req, false);
		answer(d, req->id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
		deliver(d, true, "read id %" PRIu64 " (its status %d) answered OKAY as a write",
			req->id, st);
		return;
	case C_BAD_STATUS:
		st = do_request(d, req, false);
		answer(d, req->id, req->operation, BAD_STATUS);
		deliver(d, true, "request id %" PRIu64 " (operation %u, its status %d)"
			" answered with status %d", req->id, req->operation, st, BAD_STATUS);
		return;
	case C_OVERRUN:
		/* Left unanswered: rsp_prod goes far out once the ring is read. */
		d->first_id = req->id;
		d->first_op = req->operation;
		d->overrun_pending = true;
		d->mute = true;
		return;
	case C_HOLD:
		if (!rd)
			break;
		st = do_request(d, req, true);
		answer(d, req->id, req->operation, st);
		if (d->held)
			deliver(d, true, "read id %" PRIu64 " answered OKAY with its %u data"
				" grant(s) still mapped", req->id, d->held_n);
		return;
	default:
		break;
	}
	answer(d, req->id, req->operation, do_request(d, req, false));
}

/* The attacks that wait for the ring to be read: extra-responses, rsp-prod-overrun. */
static void after_round(struct bdev *d)
{
	RING_IDX rp;
	unsigned int i;

	if (d->delivered || d->ring_dead)
		return;
	if (d->x.cls == C_EXTRA && d->answered) {
		/* Only once all is answered: ids 0..4 then match nothing in flight. */
		rp = __atomic_load_n(&d->ring.sring->req_prod, __ATOMIC_RELAXED);
		if (rp != d->ring.req_cons || d->ring.rsp_prod_pvt != d->ring.req_cons)
			return;
		for (i = 0; i < EXTRA_RSPS; i++)
			stage(d, i, d->first_op, BLKIF_RSP_OKAY);
		push(d, true);
		deliver(d, true, "after request id %" PRIu64 ", %u responses (ids 0..%u, OKAY)"
			" beyond the %u requests: rsp_prod %u", d->first_id, EXTRA_RSPS,
			EXTRA_RSPS - 1, d->ring.req_cons, d->ring.rsp_prod_pvt);
	} else if (d->x.cls == C_OVERRUN && d->overrun_pending) {
		rp = d->ring.rsp_prod_pvt + OVERRUN;
		xen_wmb();
		__atomic_store_n(&d->ring.sring->rsp_prod, rp, __ATOMIC_RELAXED);
		xen_mb();
		kick(d);
		d->overrun_pending = false;
		deliver(d, true, "request id %" PRIu64 " left unanswered, rsp_prod set to %u"
			" (%u past our %u responses)",
			d->first_id, rp, OVERRUN, d->ring.rsp_prod_pvt);
	}
}

/* Consume the ring's requests, answer them as the class says. */
static void service(struct xsb_dev *x)
{
	struct bdev *d = bdev(x);
	unsigned int budget, size;
	struct blkif_request req;
	RING_IDX rp;
	int more;

	if (!d->x.ring || d->ring_dead || d->x.storm_on ||
	    (d->link != L_CONNECTED && d->link != L_CLOSING))
		return;
	size = RING_SIZE(&d->ring);
	budget = 4 * size;
	do {
		rp = __atomic_load_n(&d->ring.sring->req_prod, __ATOMIC_RELAXED);
		xen_rmb();	/* the requests up to rp */
		if (d->mute ? (RING_IDX)(rp - d->ring.req_cons) > size :
			      RING_REQUEST_PROD_OVERFLOW(&d->ring, rp)) {
			bad_req(d, "req_prod %u overruns the ring (req_cons %u, rsp_prod %u,"
				" %u slots); ring abandoned",
				rp, d->ring.req_cons, d->ring.rsp_prod_pvt, size);
			d->ring_dead = true;
			break;
		}
		while (d->ring.req_cons != rp && budget) {
			if (!d->mute && RING_REQUEST_CONS_OVERFLOW(&d->ring, d->ring.req_cons))
				break;
			RING_COPY_REQUEST(&d->ring, d->ring.req_cons, &req);
			d->ring.req_cons++;
			d->requests++;
			budget--;
			if (!d->mute)
				handle(d, &req);
		}
		push(d, false);
		if (!budget)
			break;	/* the rest on the next scan */
		RING_FINAL_CHECK_FOR_REQUESTS(&d->ring, more);
	} while (more);
	after_round(d);
}

/* ---- xenbus ---- */

/* Describe a frontend value that xsb_fe_uint() refused. */
static const char *fe_err(int err)
{
	return err == -ENOENT ? "missing" : "not a number in range";
}

/*
 * The frontend offers a ring: read and check its keys once, map, bind,
 * Connected.  0, or -1 after refuse().
 */
static int connect_fe(struct bdev *d)
{
	unsigned int ref, port, v;
	char *proto;
	int err;

	err = xsb_fe_uint(&d->x, "ring-ref", UINT32_MAX, &ref);
	if (err)
		return refuse(d, "frontend ring-ref %s", fe_err(err));
	if (ref < GNTTAB_NR_RESERVED_ENTRIES)
		return refuse(d, "frontend ring-ref %u is a reserved grant reference", ref);
	err = xsb_fe_uint(&d->x, "event-channel", MAX_PORT, &port);
	if (err)
		return refuse(d, "frontend event-channel %s", fe_err(err));
	if (!port)
		return refuse(d, "frontend event-channel 0");
	err = xsb_fe_uint(&d->x, "ring-page-order", UINT32_MAX, &v);
	if (err == -EINVAL || (!err && v))
		return refuse(d, "frontend ring-page-order %s, none offered",
			      err ? "not a number" : "above 0");
	err = xsb_fe_uint(&d->x, "multi-queue-num-queues", UINT32_MAX, &v);
	if (err == -EINVAL || (!err && v != 1))
		return refuse(d, "frontend multi-queue-num-queues %s, none offered",
			      err ? "not a number" : "above 1");
	proto = xsb_fe_str(&d->x, "protocol");
	if (proto && strcmp(proto, XEN_IO_PROTO_ABI_NATIVE)) {
		refuse(d, "frontend protocol \"%.40s\", not %s", proto, XEN_IO_PROTO_ABI_NATIVE);
		free(proto);
		return -1;
	}
	free(proto);

	if (xsb_map_ring(&d->x, ref))
		return refuse(d, "mapping ring-ref %u: %s", ref, strerror(errno));
	if (xsb_bind(&d->x, port)) {
		err = errno;
		xsb_unmap_ring(&d->x);
		return refuse(d, "binding event-channel %u: %s", port, strerror(err));
	}
	BACK_RING_INIT(&d->ring, (blkif_sring_t *)d->x.ring, XSB_PAGE);
	d->ring_dead = false;
	d->unpushed = false;
	d->nstage = 0;
	d->answered = false;
	if (!xsb_be_state(&d->x, XenbusStateConnected)) {
		err = errno;
		xsb_unbind(&d->x);
		xsb_unmap_ring(&d->x);
		return refuse(d, "writing backend state Connected: %s", strerror(err));
	}
	set_link(d, L_CONNECTED);
	if (d->connected_once)
		d->reconnects++;
	d->connected_once = true;
	xsb_note(&d->x, "connected: ring-ref %u, port %u (ours %u), %u slots", ref, port,
		 d->x.port, RING_SIZE(&d->ring));
	if (d->x.cls == C_VALID && !d->delivered)
		deliver(d, false, "connected and serving");
	service(&d->x);
	return 0;
}

/* Offer the disk: its keys, then InitWait.  0, or -1 after refuse(). */
static int offer(struct xsb_dev *x)
{
	static const char *const stale[] = {
		"max-ring-page-order", "multi-queue-max-queues", "feature-max-indirect-segments",
		"feature-barrier", "feature-discard", "discard-granularity", "discard-alignment",
		"discard-secure",
	};
	static const struct { const char *key, *val; } keys[] = {
		{ "info", "0" },
		{ "sector-size", "512" },
		{ "physical-sector-size", "512" },
		{ "feature-flush-cache", "1" },
		{ "feature-persistent", "0" },
	};
	struct bdev *d = bdev(x);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(stale); i++)
		if (!xsb_be_rm(&d->x, stale[i]))
			return refuse(d, "removing %s/%s: %s", d->x.be, stale[i], strerror(errno));
	if (!xsb_be_printf(&d->x, "sectors", "%llu", SECTORS))
		return refuse(d, "writing %s/sectors: %s", d->x.be, strerror(errno));
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
static char *fe_error(struct bdev *d)
{
	char path[192];
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/%u/error/device/vbd/%u/error",
		 d->x.fe_domid, d->x.devid);
	return xs_read(xb.xs, XBT_NULL, path, &len);
}

static bool fe_offers(int st)
{
	return st == XenbusStateInitialised || st == XenbusStateConnected;
}

static void cycle_end(struct bdev *d, const char *how, int st)
{
	deliver(d, false, "%u cycle(s), %u reconnect(s); %s (frontend state %d)", d->cycles,
		d->reconnects, how, st);
}

/* state-cycle, connected: start a cycle once a request was answered. */
static void cycle_begin(struct bdev *d, int st)
{
	if (d->delivered)
		return;
	if (d->cycles >= CYCLES) {
		cycle_end(d, "all done", st);
		return;
	}
	if (!d->answered && (!d->cycles || since(d->t_link) < CYCLE_SERVE_MS))
		return;
	xsb_note(&d->x, "cycle %u: backend Closing", d->cycles + 1);
	if (!xsb_be_state(&d->x, XenbusStateClosing)) {
		refuse(d, "writing backend state Closing: %s", strerror(errno));
		return;
	}
	d->fe_left = false;
	set_link(d, L_CLOSING);
}

/* state-cycle: the steps after Closing: Closed, InitWait, a new ring or not. */
static void cycle_step(struct bdev *d, int st)
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
		xsb_unbind(&d->x);
		xsb_unmap_ring(&d->x);
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
		/* Only a ring offered after letting go of the old one is new. */
		if (fe_offers(st) && d->fe_left) {
			connect_fe(d);
			break;
		}
		if (!d->delivered && since(d->t_link) >= STEP_MS)
			cycle_end(d, d->fe_left ? "the frontend offered no ring again in 5 s" :
				  "the frontend never let go of its old ring", st);
		break;
	default:
		break;
	}
}

/* After ATTACK_MS connected: what the class still waits for, NULL if nothing. */
static const char *waiting_for(const struct bdev *d)
{
	if (d->delivered || d->mute || d->x.failed || d->x.storm_on || d->storm_sent)
		return NULL;
	switch (d->x.cls) {
	case C_VALID:
		return NULL;
	case C_STORM:
		return d->answered ? NULL : "a request to answer before the storm";
	case C_CYCLE:
		return d->cycles || d->answered ? NULL : "a request to answer before cycling";
	case C_EXTRA:
		return d->answered ? "a moment with every request answered" : "a request";
	case C_ID_RANGE:
	case C_WRONG_OP:
	case C_HOLD:
		return "a read to attack";
	default:
		return "a request to attack";
	}
}

/* Look at one device: its frontend's state and the class's timers. */
static void step(struct xsb_dev *x)
{
	struct bdev *d = bdev(x);
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
	service(&d->x);	/* in case an event went missing */
	if (d->x.cls == C_STORM && d->answered && !d->storm_sent && !d->x.storm_on) {
		d->x.storm_on = true;
		d->storm_t0 = xsb_now_ms();
		xsb_note(&d->x, "storm: up to %u notifications", STORM_NOTIFIES);
	}
	wait = since(d->t_link) >= ATTACK_MS ? waiting_for(d) : NULL;
	if (wait)
		xsb_fail(&d->x, "no %s within %u s of connecting (%lu request(s) seen)", wait,
			 ATTACK_MS / 1000, d->requests);
}

/* event-storm: one chunk of notifications. */
static void storm(struct xsb_dev *x)
{
	struct bdev *d = bdev(x);
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
		deliver(d, false, "sent %lu notifications in %" PRIu64 " ms", d->storm_sent, ms);
		service(&d->x);	/* what queued up meanwhile */
	}
}

/* ---- what xsb_main() runs ---- */

static struct xsb_dev *op_dev(unsigned int i)
{
	return &devs[i].x;
}

/* Connected and attacked, or failed: what --ready waits for. */
static bool op_settled(const struct xsb_dev *x)
{
	const struct bdev *d = bdev(x);

	return d->x.failed || d->link == L_NONE || d->link == L_DEAD ||
	       (d->connected_once && d->delivered);
}

/* Nothing more to do before the end of the budget (valid and event-storm serve on). */
static bool op_finished(const struct xsb_dev *x)
{
	return op_settled(x) && x->cls != C_VALID && x->cls != C_STORM;
}

static void op_closing(struct xsb_dev *x)
{
	struct bdev *d = bdev(x);

	if (d->x.storm_on) {
		d->x.storm_on = false;
		deliver(d, false, "sent %lu notifications in %" PRIu64 " ms (cut short)",
			d->storm_sent, since(d->storm_t0));
	}
}

static void op_closed(struct xsb_dev *x)
{
	struct bdev *d = bdev(x);

	if (d->held && xsb_unmap(&d->x, d->held, d->held_n))
		xsb_fail(&d->x, "unmapping the %u held data page(s): %s", d->held_n,
			 strerror(errno));
	d->held = NULL;
	xsb_dev_release(&d->x);
	if (d->link != L_NONE)
		xsb_fe_state(&d->x);
}

/* ---- the class lines ---- */

static bool verdict(struct bdev *d, char *why, size_t size)
{
	const char *gone = d->fe_gone ? "; the frontend closed on its own" : "";

	if (d->x.failed) {
		snprintf(why, size, "%s", d->x.why);
		return false;
	}
	if (!d->connected_once) {
		snprintf(why, size, "the frontend never offered a ring (state %d)", d->x.fe_state);
		return false;
	}
	if (d->bad) {
		snprintf(why, size, "the frontend sent %lu bad request(s)", d->bad);
		return false;
	}
	switch (d->x.cls) {
	case C_VALID:
		if (!d->responses) {
			snprintf(why, size, "connected, but no request came");
			return false;
		}
		snprintf(why, size, "served %lu request(s)%s", d->requests, gone);
		return true;
	case C_STORM:
		if (!d->storm_sent) {
			snprintf(why, size, "no storm sent: %s",
				 d->answered ? "cut short" : "no request was answered first");
			return false;
		}
		snprintf(why, size, "%s; %lu request(s) answered after it%s", d->what,
			 d->after_storm, gone);
		return true;
	case C_CYCLE:
		if (!d->cycles) {
			snprintf(why, size, "no cycle done: %s",
				 d->answered ? "cut short" : "no request was answered first");
			return false;
		}
		if (!d->delivered)
			snprintf(d->what, sizeof(d->what),
				 "%u cycle(s), %u reconnect(s); cut short", d->cycles,
				 d->reconnects);
		snprintf(why, size, "%s", d->what);
		return true;
	default:
		if (!d->delivered) {
			snprintf(why, size, "not delivered: %s",
				 !d->requests ? "no request came" : "no request to attack came");
			return false;
		}
		snprintf(why, size, "%s%s", d->what, gone);
		return true;
	}
}

static void op_report(struct xsb_dev *x)
{
	struct bdev *d = bdev(x);
	char why[320];
	bool pass = verdict(d, why, sizeof(why));

	printf("class %s dev %u: requests %lu responses %lu bad %lu events %lu"
	       " frontend-state %d: %s (%s)\n",
	       class_name[d->x.cls], d->x.devid, d->requests, d->responses, d->bad, d->x.events,
	       d->x.fe_state, pass ? "PASS" : "FAIL", why);
	xsb_count(&xb, pass);
}

/* ---- main ---- */

static const struct xsb_tool_ops ops = {
	.type = "vbd",
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
