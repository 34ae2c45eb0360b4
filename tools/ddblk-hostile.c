// SPDX-License-Identifier: GPL-2.0
/*
 * ddblk-hostile - a hostile blkif frontend, run as root inside a PV guest.
 *
 *	ddblk-hostile [--seconds N] [--only CLASS] <vdev-number>
 *	ddblk-hostile --list
 *
 * Attaches from user space (gntalloc, evtchn, xenbus) to the backend of the
 * guest's vbd <vdev-number>, which no kernel frontend may have bound, and
 * sends it classes of malformed requests.  The backend must answer each with
 * an error status and keep serving: a correct read is run first and again
 * at the end.  One line per class:
 *	class <name>: sent N, ok A, error B, eopnotsupp C, no-answer D, verdict V
 * then "hostile: N classes passed, M failed"; exit 0 only if none failed.
 * A class fails on a missing answer (5 s), an unexpected status or an id
 * never sent.  ring-overflow runs last and always passes: that the backend
 * domain survived it is for the caller to check.  --seconds bounds setup and
 * the classes; the closing valid-read, ring-overflow and the close to state
 * Closed, always written on exit, add at most about 15 s.
 *
 * Among the request classes, before double-fetch, four abuse the connection
 * rather than the requests and end with valid reads of sector 0 (the request
 * line above, for all the requests of the class):
 *	event-storm	200000 notifications (or 5 s) on the idle channel, then
 *			4 reads: all OKAY
 *	stop-consuming	8 reads left unconsumed for 10 s, responses neither
 *			looked at nor consumed, then collected: each answered
 *			once, OKAY
 *	watch-flood	2000 rewrites (or 5 s) of our state (Connected), each
 *			followed by a write of an unrelated key, then 4 reads:
 *			all OKAY and the backend still Connected
 *	revoked-grant	a read into a page whose grant ends right after the
 *			notify: answered exactly once, OKAY or ERROR; then 4
 *			reads on other pages: all OKAY
 *
 * The xenstore classes (xs-*) run first, before the attach the request
 * classes use.  Each offers the backend a bogus frontend configuration with
 * state Initialised and passes if the backend does not go Connected within
 * 10 s; xs-state-flap instead flaps a connected frontend's state and passes
 * if a clean reconnect then reads.  One line per class:
 *	class <name>: backend state S, error E, verdict V
 * (xs-state-flap: the request line above, for its read).  Each then closes
 * the frontend and brings the backend back to InitWait.  A class only starts
 * within --seconds, but then runs to its own bounds (at most about 60 s,
 * 2 min for xs-state-flap); the attach after them gets at least 10 s.
 *
 * --list prints the class names, one per line, in the order a whole run
 * takes them (a caller may run them one at a time with --only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/blkif.h>
#include "xsfront.h"

#define XPAGE		4096
#define PROTOCOL	"x86_64-abi"
#define REPLY_MS	5000		/* per class, for all its answers */
#define SETUP_MS	30000		/* per xenbus state wait */
#define REFUSE_MS	10000		/* xs-*: for the backend to refuse */
#define INITWAIT_MS	15000		/* xs-*: for the backend to offer again */
#define XS_FLAPS	5
#define STORM_EVENTS	200000		/* event-storm: notifications, */
#define STORM_MS	5000		/* or this long, whichever first */
#define HOLD_MS		10000		/* stop-consuming: answers left alone */
#define FLOOD_WRITES	2000		/* watch-flood: state rewrites, */
#define FLOOD_MS	5000		/* or this long, whichever first */
#define FLOOD_KEY	"hostile-flood"	/* the unrelated key written between them */
#define LINGER_MS	500		/* looking for duplicate answers */
#define MAX_BATCH	16
#define NR_DATA		4		/* data pages 0..3 */
#define PG_IND		4		/* indirect page: valid segments */
#define PG_IND_GREF0	5		/* indirect page: segment gref 0 */
#define PG_IND_RANGE	6		/* indirect page: first_sect > last_sect */
#define NR_SHARED	7
#define SEGS_PER_PAGE	(XPAGE / sizeof(struct blkif_request_segment))
#define BAD_GREF	(1u << 20)	/* beyond any grant table in use */

/*
 * Request ids: magic in bits 48..63, batch number in 16..47, index in 0..7.
 * Bits 8..15 are always zero and ignored in answers: the double-fetch thread
 * writes nr_segments (byte 1 of a ring slot), which is also byte 1 of the id
 * of a response the backend may have put in that slot meanwhile.
 */
#define ID_MAGIC	0xdd6b000000000000ULL
#define ID_IGNORE	0x000000000000ff00ULL

/* Statuses a request may get. */
#define A_OK		1u
#define A_ERR		2u
#define A_EOP		4u
#define A_OTHER		8u
#define A_ANY		(A_OK | A_ERR | A_EOP | A_OTHER)

struct hreq {
	union {
		struct blkif_request rw;
		struct blkif_request_indirect ind;
		struct blkif_request_discard disc;
	} u;
	const char *what;
	unsigned int allow;
};

struct tally {
	unsigned int sent, ok, err, eop, noans, bad;
};

/* The xenbus side: handles, paths, event channel, budget, class counts. */
static struct xsfront xf = { .prog = "ddblk-hostile" };

static struct {
	uint16_t handle;
	blkif_sring_t *sring;
	uint32_t ring_ref;
	blkif_front_ring_t ring;
	uint8_t *pages;
	uint32_t refs[NR_SHARED];
	uint8_t *ro_page;
	uint32_t ro_ref;
	uint64_t sectors;
	unsigned int info, max_indirect;
	bool ring_dead;
	uint32_t seq;
} g;

static void kick(void)
{
	if (xenevtchn_notify(xf.xce, xf.port) < 0)
		printf("  note: notify on port %u: %s\n", xf.port, strerror(errno));
}

static void wait_event(int ms)
{
	int port = xsf_wait_event(&xf, ms);

	if (port >= 0)
		printf("  note: unmask port %d: %s\n", port, strerror(errno));
}

/* ---- attach and detach ---- */

/*
 * ring-ref, event-channel, protocol and Initialised, in one transaction.
 * A non-NULL @bad_key gets @bad_val instead (NULL: the key is removed).
 */
static int publish_bad(const char *bad_key, const char *bad_val)
{
	char ref[16], port[16];
	struct xsf_kv kv[] = {
		/* Left by an earlier kernel frontend, these would change the layout. */
		{ "ring-page-order", NULL },
		{ "multi-queue-num-queues", NULL },
		{ "ring-ref", ref },
		{ "event-channel", port },
		{ "protocol", PROTOCOL },
		{ "feature-persistent", "0" },
		{ "state", "3" },
	};
	unsigned int i;

	snprintf(ref, sizeof(ref), "%u", g.ring_ref);
	snprintf(port, sizeof(port), "%u", xf.port);
	for (i = 0; bad_key && i < ARRAY_SIZE(kv); i++)
		if (!strcmp(kv[i].key, bad_key))
			kv[i].val = bad_val;
	return xsf_fe_txn(&xf, kv, ARRAY_SIZE(kv));
}

static int publish(void)
{
	return publish_bad(NULL, NULL);
}

/* A fresh ring page and event channel for each handshake. */
static int new_ring(void)
{
	if (g.sring && xengntshr_unshare(xf.gs, g.sring, 1))
		xsf_fail(&xf, "unsharing the old ring page");
	g.sring = xengntshr_share_pages(xf.gs, xf.be_domid, 1, &g.ring_ref, 1);
	if (!g.sring)
		return xsf_fail(&xf, "sharing the ring page");
	SHARED_RING_INIT(g.sring);
	FRONT_RING_INIT(&g.ring, g.sring, XPAGE);
	g.ring_dead = false;
	return xsf_new_port(&xf);
}

static void fill_indirect_pages(void)
{
	struct blkif_request_segment *ok = (void *)(g.pages + PG_IND * XPAGE);
	struct blkif_request_segment *z = (void *)(g.pages + PG_IND_GREF0 * XPAGE);
	struct blkif_request_segment *r = (void *)(g.pages + PG_IND_RANGE * XPAGE);
	unsigned int i;

	memset(g.pages, 0, (size_t)NR_SHARED * XPAGE);
	for (i = 0; i < SEGS_PER_PAGE; i++) {
		ok[i] = (struct blkif_request_segment){ g.refs[i % NR_DATA], 0, 7 };
		z[i] = (struct blkif_request_segment){ 0, 0, 7 };
		r[i] = (struct blkif_request_segment){ g.refs[i % NR_DATA], 7, 0 };
	}
}

/* Find the backend, wait for its InitWait and share the data pages. */
static int attach(const char *vdev)
{
	g.handle = (uint16_t)strtoul(vdev, NULL, 10);
	if (xsf_open(&xf, "vbd", "vdev", vdev))
		return -1;
	printf("hostile: backend %s (dom %u)\n", xf.be, xf.be_domid);

	if (xsf_to_initwait(&xf, xsf_budget_ms(&xf, SETUP_MS)))
		return -1;
	printf("hostile: backend max-ring-page-order %u\n",
	       xsf_uint(&xf, xf.be, "max-ring-page-order", 0));

	if (xsf_open_gnttab(&xf))
		return -1;
	g.pages = xengntshr_share_pages(xf.gs, xf.be_domid, NR_SHARED, g.refs, 1);
	if (!g.pages)
		return xsf_fail(&xf, "sharing the data pages");
	g.ro_page = xengntshr_share_pages(xf.gs, xf.be_domid, 1, &g.ro_ref, 0);
	if (!g.ro_page)
		return xsf_fail(&xf, "sharing a read-only page");
	fill_indirect_pages();

	return xsf_open_evtchn(&xf);
}

/* The handshake the request classes use. */
static int connect_be(void)
{
	int st;

	if (xsf_to_initwait(&xf, xsf_budget_ms(&xf, SETUP_MS)) || new_ring() || publish())
		return -1;
	st = xsf_wait_be(&xf, XSF_BIT(Connected) | XSF_BIT(Closing) | XSF_BIT(Closed),
			 xsf_budget_ms(&xf, SETUP_MS));
	if (st != XenbusStateConnected) {
		fprintf(stderr, "ddblk-hostile: waiting for backend Connected: state %d\n",
			xsf_be_state(&xf));
		return -1;
	}
	if (!xsf_fe_state(&xf, XenbusStateConnected))
		return -1;

	if (!xsf_u64(&xf, xf.be, "sectors", &g.sectors) || !g.sectors) {
		printf("  note: no usable sectors node, taking 2^62 as the end\n");
		g.sectors = 1ULL << 62;
	}
	g.info = xsf_uint(&xf, xf.be, "info", 0);
	g.max_indirect = xsf_uint(&xf, xf.be, "feature-max-indirect-segments", 0);
	printf("hostile: connected, ring-ref %u port %u slots %u; sectors %" PRIu64
	       " sector-size %u info %#x max-indirect %u discard %u\n",
	       g.ring_ref, xf.port, RING_SIZE(&g.ring), g.sectors,
	       xsf_uint(&xf, xf.be, "sector-size", 512), g.info, g.max_indirect,
	       xsf_uint(&xf, xf.be, "feature-discard", 0));
	return 0;
}

static void detach(void)
{
	xsf_detach_begin(&xf);
	/* gntalloc keeps a page the backend still maps until it lets go. */
	if (g.ro_page && xengntshr_unshare(xf.gs, g.ro_page, 1))
		xsf_fail(&xf, "unsharing the read-only page");
	if (g.pages && xengntshr_unshare(xf.gs, g.pages, NR_SHARED))
		xsf_fail(&xf, "unsharing the data pages");
	if (g.sring && xengntshr_unshare(xf.gs, g.sring, 1))
		xsf_fail(&xf, "unsharing the ring page");
	xsf_close(&xf);
}

/* ---- sending and collecting ---- */

static struct {
	pthread_t th;
	int run;
	RING_IDX first;
	unsigned int n;
} df;

/* Rewrite nr_segments of the batch's slots: 1, then 12..255, over and over. */
static void *df_main(void *arg)
{
	unsigned int big = 12, i;
	bool one = true;

	(void)arg;
	while (__atomic_load_n(&df.run, __ATOMIC_RELAXED)) {
		for (i = 0; i < df.n; i++) {
			volatile uint8_t *p = &RING_GET_REQUEST(&g.ring, df.first + i)->nr_segments;

			*p = one ? 1 : (uint8_t)big;
		}
		if (!one)
			big = big == 255 ? 12 : big + 1;
		one = !one;
	}
	return NULL;
}

static unsigned int count_status(struct tally *t, int16_t s)
{
	switch (s) {
	case BLKIF_RSP_OKAY:
		t->ok++;
		return A_OK;
	case BLKIF_RSP_EOPNOTSUPP:
		t->eop++;
		return A_EOP;
	default:
		t->err++;
		return s == BLKIF_RSP_ERROR ? A_ERR : A_OTHER;
	}
}

static void account(const struct blkif_response *r, struct hreq *h, unsigned int n,
		    bool *answered, unsigned int *left, struct tally *t)
{
	uint64_t id = r->id & ~ID_IGNORE;
	uint32_t seq = (uint32_t)(id >> 16);
	unsigned int idx = id & 0xff, bit;

	if ((id & 0xffff000000000000ULL) != ID_MAGIC || seq > g.seq) {
		printf("  note: answer with an id never sent: %#" PRIx64 "\n", r->id);
		t->bad++;
		return;
	}
	if (seq != g.seq) {
		printf("  note: late answer (status %d) to batch %u\n", r->status, seq);
		return;
	}
	if (idx >= n || answered[idx]) {
		printf("  note: %s answer for id %#" PRIx64 "\n",
		       idx >= n ? "unknown" : "duplicate", r->id);
		t->bad++;
		return;
	}
	answered[idx] = true;
	(*left)--;
	bit = count_status(t, r->status);
	if (bit == A_OTHER)
		printf("  note: %s: status %d is not a blkif status\n", h[idx].what, r->status);
	if (!(h[idx].allow & bit)) {
		printf("  note: %s: status %d not expected\n", h[idx].what, r->status);
		t->bad++;
	}
}

static void collect(struct hreq *h, unsigned int n, bool *answered, unsigned int *left,
		    struct tally *t)
{
	volatile struct blkif_response *s;
	struct blkif_response r;
	RING_IDX rp, i;
	int more;

	do {
		rp = g.sring->rsp_prod;
		xen_rmb();
		if ((RING_IDX)(rp - g.ring.rsp_cons) >
		    (RING_IDX)(g.ring.req_prod_pvt - g.ring.rsp_cons)) {
			printf("  note: rsp_prod %u runs past our requests (rsp_cons %u, req_prod %u); ring abandoned\n",
			       rp, g.ring.rsp_cons, g.ring.req_prod_pvt);
			g.ring_dead = true;
			t->bad++;
			return;
		}
		for (i = g.ring.rsp_cons; i != rp; i++) {
			/* Each field is read once, into a private copy. */
			s = RING_GET_RESPONSE(&g.ring, i);
			r.id = s->id;
			r.operation = s->operation;
			r.status = s->status;
			account(&r, h, n, answered, left, t);
		}
		g.ring.rsp_cons = rp;
		RING_FINAL_CHECK_FOR_RESPONSES(&g.ring, more);
	} while (more);
}

/* The batch on the ring: its requests and which of them were answered. */
static struct {
	struct hreq *h;
	unsigned int n, left;
	bool answered[MAX_BATCH];
	bool flip;
} bt;

/*
 * Put @n requests on the ring as a new batch and notify; with @flip the
 * double-fetch thread rewrites them meanwhile.  False (counted in @t) if
 * nothing was sent; otherwise batch_wait() collects the answers.
 */
static bool batch_send(struct hreq *h, unsigned int n, struct tally *t, bool flip)
{
	unsigned int i;
	RING_IDX first;
	int notify;

	memset(t, 0, sizeof(*t));
	memset(&bt, 0, sizeof(bt));
	if (g.ring_dead) {
		printf("  note: ring abandoned earlier, nothing sent\n");
		t->bad++;
		return false;
	}
	if (n > MAX_BATCH || RING_SIZE(&g.ring) - (g.ring.req_prod_pvt - g.ring.rsp_cons) < n) {
		printf("  note: no room for %u requests (earlier ones unanswered)\n", n);
		t->bad++;
		return false;
	}
	g.seq++;
	first = g.ring.req_prod_pvt;
	for (i = 0; i < n; i++) {
		h[i].u.rw.id = ID_MAGIC | (uint64_t)g.seq << 16 | i;
		memcpy(RING_GET_REQUEST(&g.ring, g.ring.req_prod_pvt), &h[i].u,
		       sizeof(struct blkif_request));
		g.ring.req_prod_pvt++;
	}
	t->sent = n;
	bt.h = h;
	bt.n = n;
	bt.left = n;
	if (flip) {
		df.first = first;
		df.n = n;
		__atomic_store_n(&df.run, 1, __ATOMIC_RELAXED);
		if (pthread_create(&df.th, NULL, df_main, NULL)) {
			printf("  note: cannot start the rewriting thread\n");
			flip = false;
			t->bad++;
		}
	}
	bt.flip = flip;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&g.ring, notify);
	if (notify)
		kick();
	return true;
}

/*
 * Collect the answers of the batch batch_send() sent, for at most REPLY_MS;
 * then, with @linger_ms, keep looking that long for duplicate answers.
 */
static void batch_wait(struct tally *t, unsigned int linger_ms)
{
	uint64_t end, last_kick;
	unsigned int i;

	end = xsf_now_ms() + REPLY_MS;
	last_kick = xsf_now_ms();
	while (!xsf_stop) {
		collect(bt.h, bt.n, bt.answered, &bt.left, t);
		if (!bt.left || g.ring_dead || xsf_now_ms() >= end)
			break;
		wait_event(100);
		/* Kick again in case a notification was lost. */
		if (xsf_now_ms() - last_kick >= 1000) {
			kick();
			last_kick = xsf_now_ms();
		}
	}
	if (bt.flip) {
		__atomic_store_n(&df.run, 0, __ATOMIC_RELAXED);
		pthread_join(df.th, NULL);
		bt.flip = false;
	}
	if (bt.left && !g.ring_dead)
		collect(bt.h, bt.n, bt.answered, &bt.left, t);
	end = xsf_now_ms() + linger_ms;
	while (linger_ms && !xsf_stop && !g.ring_dead && xsf_now_ms() < end) {
		wait_event(100);
		collect(bt.h, bt.n, bt.answered, &bt.left, t);
	}
	t->noans = bt.left;
	for (i = 0; i < bt.n && bt.left; i++)
		if (!bt.answered[i])
			printf("  note: %s: no answer\n", bt.h[i].what);
}

static void run_batch(struct hreq *h, unsigned int n, struct tally *t, bool flip)
{
	if (batch_send(h, n, t, flip))
		batch_wait(t, 0);
}

/* ---- request builders ---- */

static struct hreq *rw(struct hreq *h, const char *what, uint8_t op, uint64_t sector,
		       uint8_t nseg, unsigned int allow)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->u.rw.operation = op;
	h->u.rw.nr_segments = nseg;
	h->u.rw.handle = g.handle;
	h->u.rw.sector_number = sector;
	for (i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		h->u.rw.seg[i] = (struct blkif_request_segment){ g.refs[i % NR_DATA], 0, 7 };
	h->what = what;
	h->allow = allow;
	return h;
}

static void ind(struct hreq *h, const char *what, uint8_t iop, uint16_t nseg,
		uint32_t gref, unsigned int allow)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->u.ind.operation = BLKIF_OP_INDIRECT;
	h->u.ind.indirect_op = iop;
	h->u.ind.nr_segments = nseg;
	h->u.ind.handle = g.handle;
	for (i = 0; i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
		h->u.ind.indirect_grefs[i] = gref;
	h->what = what;
	h->allow = allow;
}

static void disc(struct hreq *h, const char *what, uint64_t sector, uint64_t nr)
{
	memset(h, 0, sizeof(*h));
	h->u.disc.operation = BLKIF_OP_DISCARD;
	h->u.disc.handle = g.handle;
	h->u.disc.sector_number = sector;
	h->u.disc.nr_sectors = nr;
	h->what = what;
	h->allow = A_ERR | A_EOP;
}

/* ---- classes: fill h[] and return the count; 0 skips, ~0u fails (*why) ---- */

/* Request classes up to C_OVERFLOW, then the xenstore classes from C_XS_ORDER. */
enum { C_VALID, C_WRO, C_BADOP, C_ZERO, C_MANY, C_RANGE, C_PAST, C_GREF, C_ITOO,
       C_IPAGE, C_DISC, C_STORM, C_STOP, C_WFLOOD, C_REVOKE, C_DFETCH, C_OVERFLOW,
       C_XS_ORDER, C_XS_QHUGE, C_XS_QZERO, C_XS_NOREF, C_XS_EVTCHN, C_XS_PROTO,
       C_XS_FLAP, NR_CLASSES };

static const char *const class_name[NR_CLASSES] = {
	"valid-read", "write-readonly", "bad-op", "zero-segments", "too-many-segments",
	"bad-sect-range", "past-end", "bad-gref", "indirect-too-many", "indirect-bad-page",
	"discard-bad", "event-storm", "stop-consuming", "watch-flood", "revoked-grant",
	"double-fetch", "ring-overflow", "xs-ring-order-huge",
	"xs-queues-huge", "xs-queues-zero", "xs-missing-ring-ref", "xs-bad-evtchn",
	"xs-bad-protocol", "xs-state-flap",
};

static unsigned int fill(int c, struct hreq *h, const char **why)
{
	static const struct { uint8_t first, last; const char *what; } rg[] = {
		{ 5, 2, "first 5 last 2" }, { 7, 0, "first 7 last 0" },
		{ 0, 8, "first 0 last 8" }, { 3, 8, "first 3 last 8" },
		{ 0, 255, "first 0 last 255" },
	};
	const uint32_t ind_ok = g.refs[PG_IND];
	unsigned int n = 0, i;
	struct tally t;

	if ((c == C_ITOO || c == C_IPAGE) && !g.max_indirect) {
		*why = "the backend offers no indirect descriptors";
		return 0;
	}
	switch (c) {
	case C_VALID:
		for (i = 0; i < NR_DATA; i++)
			rw(&h[n++], "read 8 sectors at 0", BLKIF_OP_READ, 0, 1, A_OK)
				->u.rw.seg[0].gref = g.refs[i];
		break;
	case C_WRO:
		if (!(g.info & VDISK_READONLY)) {
			*why = "the disk is not read-only";
			return 0;
		}
		/* Writes carry sector 0's own data: a wrong accept changes nothing. */
		rw(h, "pre-read of sector 0", BLKIF_OP_READ, 0, 1, A_OK);
		run_batch(h, 1, &t, false);
		if (t.ok != 1) {
			*why = "the pre-read of sector 0 into page 0 failed";
			return ~0u;
		}
		rw(&h[n++], "write 8 sectors at 0", BLKIF_OP_WRITE, 0, 1, A_ERR);
		rw(&h[n++], "write 1 sector at 0", BLKIF_OP_WRITE, 0, 1, A_ERR)
			->u.rw.seg[0].last_sect = 0;
		rw(&h[n++], "barrier write at 0", BLKIF_OP_WRITE_BARRIER, 0, 1, A_ERR | A_EOP);
		/* PG_IND's first segment is data page 0, which holds sector 0. */
		if (g.max_indirect)
			ind(&h[n++], "indirect write at 0", BLKIF_OP_WRITE, 1, ind_ok, A_ERR);
		break;
	case C_BADOP:
		rw(&h[n++], "operation 200", 200, 0, 1, A_ERR | A_EOP);
		rw(&h[n++], "operation 255", 255, 0, 1, A_ERR | A_EOP);
		rw(&h[n++], "operation 4 (reserved)", BLKIF_OP_RESERVED_1, 0, 1, A_ERR | A_EOP);
		rw(&h[n++], "operation 7", 7, 0, 1, A_ERR | A_EOP);
		break;
	case C_ZERO:
		rw(&h[n++], "read 0 segments at 0", BLKIF_OP_READ, 0, 0, A_ERR);
		rw(&h[n++], "read 0 segments at 8", BLKIF_OP_READ, 8, 0, A_ERR);
		rw(&h[n++], "write 0 segments at 0", BLKIF_OP_WRITE, 0, 0, A_ERR);
		rw(&h[n++], "write 0 segments at 8", BLKIF_OP_WRITE, 8, 0, A_ERR);
		break;
	case C_MANY:
		rw(&h[n++], "read 12 segments", BLKIF_OP_READ, 0, 12, A_ERR);
		rw(&h[n++], "read 16 segments", BLKIF_OP_READ, 0, 16, A_ERR);
		rw(&h[n++], "read 128 segments", BLKIF_OP_READ, 0, 128, A_ERR);
		rw(&h[n++], "read 255 segments", BLKIF_OP_READ, 0, 255, A_ERR);
		break;
	case C_RANGE:
		for (i = 0; i < sizeof(rg) / sizeof(rg[0]); i++) {
			rw(&h[n], rg[i].what, BLKIF_OP_READ, 0, 1, A_ERR);
			h[n].u.rw.seg[0].first_sect = rg[i].first;
			h[n++].u.rw.seg[0].last_sect = rg[i].last;
		}
		break;
	case C_PAST:
		rw(&h[n++], "read at sectors", BLKIF_OP_READ, g.sectors, 1, A_ERR);
		rw(&h[n++], "read 8 at sectors-1", BLKIF_OP_READ, g.sectors - 1, 1, A_ERR);
		rw(&h[n++], "read at sectors+2^20", BLKIF_OP_READ, g.sectors + (1u << 20), 1, A_ERR);
		rw(&h[n++], "read at 2^64-4 (wraps)", BLKIF_OP_READ, UINT64_MAX - 3, 1, A_ERR);
		break;
	case C_GREF:
		rw(&h[n++], "gref 0", BLKIF_OP_READ, 0, 1, A_ERR)->u.rw.seg[0].gref = 0;
		rw(&h[n++], "gref 0xffffffff", BLKIF_OP_READ, 0, 1, A_ERR)->u.rw.seg[0].gref =
			0xffffffff;
		rw(&h[n++], "gref never granted", BLKIF_OP_READ, 0, 1, A_ERR)->u.rw.seg[0].gref =
			BAD_GREF;
		rw(&h[n++], "read into a read-only grant", BLKIF_OP_READ, 0, 1, A_ERR)
			->u.rw.seg[0].gref = g.ro_ref;
		break;
	case C_ITOO:
		if (g.max_indirect < UINT16_MAX)
			ind(&h[n++], "indirect max+1 segments", BLKIF_OP_READ,
			    (uint16_t)(g.max_indirect + 1), ind_ok, A_ERR);
		ind(&h[n++], "indirect 0 segments", BLKIF_OP_READ, 0, ind_ok, A_ERR);
		ind(&h[n++], "indirect 65535 segments", BLKIF_OP_READ, UINT16_MAX, ind_ok, A_ERR);
		ind(&h[n++], "indirect_op 200", 200, 1, ind_ok, A_ERR);
		ind(&h[n++], "indirect_op indirect", BLKIF_OP_INDIRECT, 1, ind_ok, A_ERR);
		ind(&h[n++], "indirect_op discard", BLKIF_OP_DISCARD, 1, ind_ok, A_ERR);
		break;
	case C_IPAGE:
		ind(&h[n++], "indirect page gref 0", BLKIF_OP_READ, 1, 0, A_ERR);
		ind(&h[n++], "indirect page gref 0xffffffff", BLKIF_OP_READ, 1, 0xffffffff, A_ERR);
		ind(&h[n++], "indirect page never granted", BLKIF_OP_READ, 1, BAD_GREF, A_ERR);
		ind(&h[n++], "indirect segment gref 0", BLKIF_OP_READ, 1, g.refs[PG_IND_GREF0],
		    A_ERR);
		ind(&h[n++], "indirect segment first>last", BLKIF_OP_READ, 1,
		    g.refs[PG_IND_RANGE], A_ERR);
		if (g.max_indirect > SEGS_PER_PAGE) {
			ind(&h[n], "indirect 2nd page never granted", BLKIF_OP_READ,
			    SEGS_PER_PAGE + 1, BAD_GREF, A_ERR);
			h[n++].u.ind.indirect_grefs[0] = ind_ok;
		}
		break;
	case C_DISC:
		disc(&h[n++], "discard 8 at sectors", g.sectors, 8);
		disc(&h[n++], "discard 8 at sectors-1", g.sectors - 1, 8);
		disc(&h[n++], "discard 1 at sectors+2^20", g.sectors + (1u << 20), 1);
		disc(&h[n++], "discard 8 at 2^64-4 (wraps)", UINT64_MAX - 3, 8);
		break;
	case C_DFETCH:
		/* All 11 inline segments are valid: any count 1..11 is a good read. */
		for (i = 0; i < 8; i++)
			rw(&h[n++], "read, nr_segments rewritten", BLKIF_OP_READ, 0, 1, A_ANY);
		break;
	}
	return n;
}

/* Claim ten rings' worth of requests; the slots hold only bad operations. */
static void ring_overflow(struct tally *t)
{
	unsigned int size = RING_SIZE(&g.ring), i, got;
	RING_IDX rp, rp2;
	uint64_t end;
	int st;

	memset(t, 0, sizeof(*t));
	if (g.ring_dead) {
		printf("  note: ring abandoned earlier, nothing sent\n");
		return;
	}
	for (i = 0; i < size; i++) {
		struct blkif_request *r = RING_GET_REQUEST(&g.ring, i);

		memset(r, 0, sizeof(*r));
		r->operation = 200;
		r->id = ID_MAGIC | 0xffffffffULL << 16;
	}
	rp = g.sring->rsp_prod;
	xen_mb();
	g.sring->req_prod = rp + 10 * size;
	xen_mb();
	t->sent = 10 * size;
	kick();
	end = xsf_now_ms() + 3000;
	while (!xsf_stop && xsf_now_ms() < end)
		wait_event(100);
	rp2 = g.sring->rsp_prod;
	xen_rmb();
	got = rp2 - rp;
	for (i = 0; i < got && i < size; i++) {
		volatile struct blkif_response *r = RING_GET_RESPONSE(&g.ring, rp + i);

		count_status(t, r->status);
	}
	t->noans = got < t->sent ? t->sent - got : 0;
	st = xsf_be_state(&xf);
	if (!got)
		printf("  note: cut off: no response after the overflow; backend state %d\n", st);
	else
		printf("  note: backend answered %u bogus slots (%s); backend state %d\n", got,
		       got > size ? "more than the ring holds" : "did not cut the ring off", st);
	g.ring_dead = true;
}

static void report(const char *name, const struct tally *t, bool pass)
{
	printf("class %s: sent %u, ok %u, error %u, eopnotsupp %u, no-answer %u, verdict %s\n",
	       name, t->sent, t->ok, t->err, t->eop, t->noans, pass ? "PASS" : "FAIL");
	xsf_count(&xf, pass);
}

/* ---- classes that abuse the connection, each ending with valid reads ---- */

static void tally_add(struct tally *sum, const struct tally *t)
{
	sum->sent += t->sent;
	sum->ok += t->ok;
	sum->err += t->err;
	sum->eop += t->eop;
	sum->noans += t->noans;
	sum->bad += t->bad;
}

/* valid-read's 4 reads of sector 0; true if all are answered OKAY. */
static bool valid_reads(struct tally *t)
{
	struct hreq h[MAX_BATCH];
	const char *why = NULL;
	unsigned int n = fill(C_VALID, h, &why);

	run_batch(h, n, t, false);
	return n && t->ok == n && !t->bad && !t->noans;
}

/* Notify the idle ring's channel as fast as we can, then read. */
static void event_storm(int c)
{
	struct tally t;
	bool pass;

	xsf_storm(&xf, STORM_EVENTS, STORM_MS);
	pass = valid_reads(&t);
	report(class_name[c], &t, pass);
}

/* Reads whose answers are left on the ring for HOLD_MS, then collected. */
static void stop_consuming(int c)
{
	struct hreq h[MAX_BATCH];
	unsigned int i, n = 0;
	struct tally t;
	uint64_t end;
	RING_IDX rp;

	for (i = 0; i < 8; i++)
		rw(&h[n++], "read left unconsumed", BLKIF_OP_READ, 0, 1, A_OK)
			->u.rw.seg[0].gref = g.refs[i % NR_DATA];
	if (batch_send(h, n, &t, false)) {
		/* Take the events, leave rsp_prod and the responses alone. */
		end = xsf_now_ms() + HOLD_MS;
		while (!xsf_stop && xsf_now_ms() < end)
			wait_event(200);
		rp = g.sring->rsp_prod;
		printf("  note: after %u s, %u answers waiting unconsumed; backend state %d\n",
		       HOLD_MS / 1000, rp - g.ring.rsp_cons, xsf_be_state(&xf));
		batch_wait(&t, LINGER_MS);
	}
	report(class_name[c], &t, t.sent && t.ok == t.sent && !t.bad && !t.noans);
}

/*
 * Rewrite our state (Connected, which the backend watches) as fast as
 * xenstore takes it, each time followed by a key of our own nobody
 * watches; then read, and the backend must still be Connected.
 */
static void watch_flood(int c)
{
	char spath[128], fpath[128], state[4], val[16];
	uint64_t start = xsf_now_ms();
	unsigned int i, done = 0;
	struct tally t;
	bool pass;
	int st, err = 0;

	snprintf(spath, sizeof(spath), "%s/state", xf.fe);
	snprintf(fpath, sizeof(fpath), "%s/%s", xf.fe, FLOOD_KEY);
	snprintf(state, sizeof(state), "%d", XenbusStateConnected);
	for (i = 0; i < FLOOD_WRITES && !xsf_stop; i++) {
		snprintf(val, sizeof(val), "%u", i);
		if (!xs_write(xf.xs, XBT_NULL, spath, state, strlen(state)) ||
		    !xs_write(xf.xs, XBT_NULL, fpath, val, strlen(val))) {
			err = errno;
			break;
		}
		done++;
		if (xsf_now_ms() - start >= FLOOD_MS)
			break;
	}
	printf("  note: %u rewrites of %s and of %s in %" PRIu64 " ms%s%s\n", done, spath,
	       FLOOD_KEY, xsf_now_ms() - start, err ? "; stopped: " : "",
	       err ? strerror(err) : "");
	if (!xs_rm(xf.xs, XBT_NULL, fpath) && errno != ENOENT)
		printf("  note: removing %s: %s\n", fpath, strerror(errno));
	pass = valid_reads(&t);
	/* A late reaction to the flood would show up here. */
	st = xsf_wait_be(&xf, ~XSF_BIT(Connected) & 0xffffu, 1000);
	if (st < 0)
		st = xsf_be_state(&xf);
	if (st != XenbusStateConnected)
		printf("  note: backend state %d after the flood, not Connected\n", st);
	report(class_name[c], &t, pass && st == XenbusStateConnected);
}

/*
 * A read into a page of its own, whose grant we end right after the notify:
 * the backend answers it once, OKAY if it mapped the page in time, else
 * ERROR; then reads on the other pages.
 */
static void revoked_grant(int c)
{
	struct tally t, sum = { 0 };
	struct hreq h[1];
	uint8_t *page;
	uint32_t ref;
	bool sent, pass;

	/* One page of a multi-page share would stay granted while the rest is mapped. */
	page = xengntshr_share_pages(xf.gs, xf.be_domid, 1, &ref, 1);
	if (!page) {
		printf("  note: sharing a page for the read: %s\n", strerror(errno));
		report(class_name[c], &sum, false);
		return;
	}
	rw(h, "read into a grant ended after the notify", BLKIF_OP_READ, 0, 1, A_OK | A_ERR)
		->u.rw.seg[0].gref = ref;
	sent = batch_send(h, 1, &t, false);
	/* The page's only mapping goes: gntalloc ends the grant (or defers it while mapped). */
	if (xengntshr_unshare(xf.gs, page, 1))
		printf("  note: unsharing the page of grant %u: %s\n", ref, strerror(errno));
	if (sent) {
		batch_wait(&t, LINGER_MS);
		printf("  note: the read on grant %u got %s\n", ref,
		       t.noans ? "no answer" : t.ok ? "OKAY" : t.eop ? "EOPNOTSUPP" :
		       t.err ? "ERROR" : "?");
	}
	pass = sent && t.ok + t.err == 1 && !t.bad && !t.noans;
	tally_add(&sum, &t);
	pass = valid_reads(&t) && pass;
	tally_add(&sum, &t);
	report(class_name[c], &sum, pass);
}

static void run_class(int c)
{
	struct hreq h[MAX_BATCH];
	const char *why = NULL;
	struct tally t = { 0 };
	unsigned int n;

	if (xsf_not_run(&xf, class_name[c]))
		return;
	switch (c) {
	case C_OVERFLOW:
		ring_overflow(&t);
		report(class_name[c], &t, true);	/* the caller checks for a crash */
		return;
	case C_STORM:
		event_storm(c);
		return;
	case C_STOP:
		stop_consuming(c);
		return;
	case C_WFLOOD:
		watch_flood(c);
		return;
	case C_REVOKE:
		revoked_grant(c);
		return;
	}
	n = fill(c, h, &why);
	if (!n) {
		printf("class %s: skipped, %s\n", class_name[c], why);
		return;
	}
	if (n == ~0u) {
		printf("  note: %s\n", why);
		report(class_name[c], &t, false);
		return;
	}
	run_batch(h, n, &t, c == C_DFETCH);
	if (c == C_VALID && t.ok == n)
		for (n = 1; n < NR_DATA; n++)
			if (memcmp(g.pages, g.pages + n * XPAGE, XPAGE))
				printf("  note: reads of sector 0 into pages 0 and %u differ\n", n);
	report(class_name[c], &t, !t.noans && !t.bad && t.sent && t.sent == t.ok + t.err + t.eop);
}

/* ---- xenstore classes ---- */

/* What each refusal class changes in a valid configuration (NULL: removed). */
static const struct xsf_kv xs_bogus[] = {
	[C_XS_ORDER - C_XS_ORDER] = { "ring-page-order", "30" },
	[C_XS_QHUGE - C_XS_ORDER] = { "multi-queue-num-queues", "1000" },
	[C_XS_QZERO - C_XS_ORDER] = { "multi-queue-num-queues", "0" },
	[C_XS_NOREF - C_XS_ORDER] = { "ring-ref", NULL },
	[C_XS_EVTCHN - C_XS_ORDER] = { "event-channel", "999999" },
	[C_XS_PROTO - C_XS_ORDER] = { "protocol", "x86_32-abi-bogus" },
};

static void xs_report(int c, int st, const char *err, bool pass)
{
	printf("class %s: backend state %d, error %s, verdict %s\n", class_name[c], st, err,
	       pass ? "PASS" : "FAIL");
	xsf_count(&xf, pass);
}

/* Close the frontend, drop its configuration, wait for the backend's InitWait. */
static bool xs_reset(void)
{
	static const struct xsf_kv clean[] = {
		{ "ring-ref", NULL },
		{ "event-channel", NULL },
		{ "protocol", NULL },
		{ "ring-page-order", NULL },
		{ "multi-queue-num-queues", NULL },
		{ "feature-persistent", NULL },
	};

	if (!xsf_fe_state(&xf, XenbusStateClosing) ||
	    xsf_wait_be(&xf, XSF_BIT(Closing) | XSF_BIT(Closed), 5000) < 0)
		printf("  note: reset: backend did not go Closing (state %d)\n", xsf_be_state(&xf));
	if (!xsf_fe_state(&xf, XenbusStateClosed) || xsf_wait_be(&xf, XSF_BIT(Closed), 5000) < 0)
		printf("  note: reset: backend did not go Closed (state %d)\n", xsf_be_state(&xf));
	if (xsf_fe_txn(&xf, clean, ARRAY_SIZE(clean)) ||
	    !xsf_fe_state(&xf, XenbusStateInitialising)) {
		printf("  note: reset: cannot clear the frontend configuration\n");
		return false;
	}
	if (xsf_wait_be(&xf, XSF_BIT(InitWait), INITWAIT_MS) < 0) {
		printf("  note: reset: backend not back in InitWait after %u s (state %d)\n",
		       INITWAIT_MS / 1000, xsf_be_state(&xf));
		return false;
	}
	return true;
}

/* Offer a bogus configuration; pass unless the backend goes Connected. */
static void xs_refuse(int c)
{
	const struct xsf_kv *bad = &xs_bogus[c - C_XS_ORDER];
	char before[256], after[256], err[300];
	int st;

	if (xsf_to_initwait(&xf, INITWAIT_MS)) {
		printf("  note: backend not in InitWait, nothing offered\n");
		xs_report(c, xsf_be_state(&xf), "not looked for", false);
		return;
	}
	xsf_be_error(&xf, before, sizeof(before));
	if (new_ring() || publish_bad(bad->key, bad->val)) {
		printf("  note: cannot write the configuration\n");
		xs_reset();
		xs_report(c, xsf_be_state(&xf), "not looked for", false);
		return;
	}
	st = xsf_wait_be(&xf, XSF_BIT(Connected) | XSF_BIT(Closing) | XSF_BIT(Closed), REFUSE_MS);
	if (st < 0) {
		st = xsf_be_state(&xf);
		if (!xsf_stop)
			printf("  note: backend neither refused nor connected in %u s\n",
			       REFUSE_MS / 1000);
	} else if (st == XenbusStateConnected) {
		printf("  note: backend went Connected with %s/%s %s\n", xf.fe, bad->key,
		       bad->val ? bad->val : "missing");
	}
	xsf_be_error(&xf, after, sizeof(after));
	snprintf(err, sizeof(err), "%s%s", after,
		 after[0] == '"' && !strcmp(before, after) ? " (already there before)" : "");
	if (xsf_stop)
		printf("  note: interrupted\n");
	xs_reset();
	xs_report(c, st, err, st != XenbusStateConnected && !xsf_stop);
}

/* A clean handshake on a fresh ring, up to our own Connected. */
static bool xs_connect(const char *what)
{
	int st;

	if (xsf_to_initwait(&xf, INITWAIT_MS) || new_ring() || publish())
		return false;
	st = xsf_wait_be(&xf, XSF_BIT(Connected) | XSF_BIT(Closing) | XSF_BIT(Closed), REFUSE_MS);
	if (st != XenbusStateConnected) {
		printf("  note: %s handshake: backend state %d, not Connected\n", what,
		       xsf_be_state(&xf));
		return false;
	}
	return xsf_fe_state(&xf, XenbusStateConnected);
}

/* Flap a connected frontend's state, then reconnect cleanly and read. */
static void xs_state_flap(int c)
{
	static const int flap[] = {
		XenbusStateClosing, XenbusStateClosed, XenbusStateInitialising,
		XenbusStateInitialised, XenbusStateConnected,
	};
	struct tally t = { 0 };
	struct hreq h[1];
	unsigned int i, j;
	bool pass = false;

	if (!xs_connect("first"))
		goto out;
	for (i = 0; i < XS_FLAPS; i++)
		for (j = 0; j < ARRAY_SIZE(flap); j++)
			if (!xsf_fe_state(&xf, flap[j]))
				goto out;
	printf("  note: %u flaps written, backend state %d\n", XS_FLAPS, xsf_be_state(&xf));
	if (!xs_reset() || !xs_connect("clean"))
		goto out;
	rw(h, "read 8 sectors at 0 after the flaps", BLKIF_OP_READ, 0, 1, A_OK);
	run_batch(h, 1, &t, false);
	pass = t.ok == 1 && !t.bad && !t.noans;
out:
	xs_reset();
	report(class_name[c], &t, pass);
}

static void run_xs_class(int c)
{
	if (xsf_not_run(&xf, class_name[c]))
		return;
	if (c == C_XS_FLAP)
		xs_state_flap(c);
	else
		xs_refuse(c);
}

/* The class names in the order main() runs them. */
static void list(void)
{
	int i;

	for (i = C_XS_ORDER; i < NR_CLASSES; i++)
		printf("%s\n", class_name[i]);
	for (i = 0; i <= C_OVERFLOW; i++)
		printf("%s\n", class_name[i]);
}

static void usage(FILE *f)
{
	int i;

	fprintf(f, "usage: ddblk-hostile [--seconds N] [--only CLASS] <vdev-number>\n"
		"       ddblk-hostile --list\n"
		"Attach to the backend of this guest's vbd <vdev-number> (no kernel\n"
		"frontend bound) and send it malformed requests.  Classes:");
	for (i = 0; i < NR_CLASSES; i++)
		fprintf(f, " %s", class_name[i]);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long seconds = 60;
	int c, i, only = -1;
	bool xs_ran = false;
	const char *vdev;
	char *end;

	while ((c = getopt_long(argc, argv, "s:o:lh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = strtoul(optarg, &end, 10);
			if (*end || !seconds || seconds > 3600) {
				fprintf(stderr, "ddblk-hostile: bad --seconds %s\n", optarg);
				return 2;
			}
			break;
		case 'o':
			for (i = 0; i < NR_CLASSES; i++)
				if (!strcmp(optarg, class_name[i]))
					only = i;
			if (only < 0) {
				fprintf(stderr, "ddblk-hostile: unknown class %s\n", optarg);
				return 2;
			}
			break;
		case 'l':
			list();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	vdev = optind == argc - 1 ? argv[optind] : "";
	if (!xsf_device_id(vdev)) {
		usage(stderr);
		return 2;
	}
	xsf_start(&xf, seconds);

	if (attach(vdev)) {
		fprintf(stderr, "ddblk-hostile: attach failed\n");
		detach();
		return 1;
	}
	/* The xenstore classes, each leaving the backend in InitWait. */
	for (i = C_XS_ORDER; i < NR_CLASSES; i++) {
		if (only < 0 || only == i) {
			run_xs_class(i);
			xs_ran = true;
		}
	}
	if (xs_ran && xf.deadline < xsf_now_ms() + 10000)
		xf.deadline = xsf_now_ms() + 10000;
	if (connect_be()) {
		fprintf(stderr, "ddblk-hostile: attach failed\n");
		detach();
		return 1;
	}
	/*
	 * The request classes in order, valid-read again to show the backend still
	 * serves (it runs even past the budget), then ring-overflow, which may
	 * cost us the ring.
	 */
	for (i = 0; i < C_OVERFLOW; i++)
		if (only < 0 || only == i)
			run_class(i);
	if (only != C_VALID) {
		if (xf.deadline < xsf_now_ms() + 1000)
			xf.deadline = xsf_now_ms() + 1000;
		run_class(C_VALID);
	}
	if (only < 0 || only == C_OVERFLOW)
		run_class(C_OVERFLOW);
	c = xsf_summary(&xf);
	detach();
	return c;
}
