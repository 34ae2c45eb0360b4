// SPDX-License-Identifier: GPL-2.0
/*
 * ddnet-hostile - a hostile netif frontend, run as root inside a PV guest.
 *
 *	ddnet-hostile [--seconds N] [--only CLASS] [--list] [--count N]
 *		      [--stall-seconds N] [--flood N] [--max-bad-tx N] <vif-devid>
 *
 * Attaches from user space (gntalloc, evtchn, xenbus) to the backend of the
 * guest's vif <vif-devid>, which no kernel frontend may have bound, and
 * sends it classes of malformed tx packets.  One tx ring, one rx ring, one
 * event channel, a single queue; request-rx-copy, feature-rx-notify,
 * feature-sg and feature-gso-tcpv4/v6 offered.  Well-formed frames are
 * broadcasts of ethertype 0x88b5 (local experimental) from the vif's mac.
 *
 * Drop classes must be answered with NETIF_RSP_ERROR (or DROPPED) for every
 * data slot and NETIF_RSP_NULL for every extra slot, and each ends with one
 * well-formed frame that must be answered NETIF_RSP_OKAY; the backend must
 * stay Connected.  Fatal classes must make the backend leave Connected
 * within 5 s (answers are optional); the connection is then reset (Closing,
 * Closed, Initialising, InitWait, new rings, Initialised, Connected) before
 * the next class.  bad-flood sends runts until the backend disconnects
 * (its max_bad_tx).  rx-stall posts a few rx buffers and consumes nothing
 * for --stall-seconds while the lab sends traffic towards the vif.
 * event-storm sends 200000 notifications (or for 5 s, whichever first) on
 * the connected channel, then passes as valid does.
 * One line per class:
 *	class <name>: sent N, ok A, error B, null C, no-answer D, backend S, verdict V
 * (rx-stall: class rx-stall: held N s, ...), then
 *	hostile: N classes passed, M failed
 * exit 0 only if none failed.  "sent" counts ring slots (data and extras),
 * "error" includes DROPPED answers.  A class only starts within --seconds
 * but then runs to its own bounds; the closing valid class runs regardless
 * (with up to about 60 s for a reconnect).  The frontend is always left
 * Closed on exit, also after SIGINT/SIGTERM.
 *
 * The xenstore classes run first, before the connection the others use.
 * Each offers the backend, in InitWait, a configuration it must refuse:
 *	xs-queues-huge		multi-queue-num-queues 1000
 *	xs-queues-zero		multi-queue-num-queues 0
 *	xs-missing-tx-ring-ref	no tx-ring-ref
 *	xs-bad-evtchn		event-channel 999999
 *	xs-no-rx-copy		request-rx-copy 0
 * with state Initialised (and Connected too once the backend still sits in
 * InitWait FE_CONNECTED_MS after its hotplug script, or after 5 s: xen-netback
 * connects only then), and passes if the backend does not go Connected
 * within 10 s.  One line per class:
 *	class <name>: backend state S, error E, verdict V
 * Each then closes the frontend and brings the backend back to InitWait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/netif.h>
#include "xsfront.h"

#define XPAGE		4096u
#define REPLY_MS	5000		/* per class, after the last packet sent */
#define FATAL_MS	5000		/* for the backend to leave Connected */
#define SETUP_MS	25000		/* backend Connected (hotplug script) */
#define STEP_MS		5000		/* backend Closing, Closed */
#define INITWAIT_MS	15000		/* backend back in InitWait */
#define FE_CONNECTED_MS	3000		/* Initialised alone, then Connected too */
#define FE_CONNECTED_LATE_MS 15000	/* the same without a readable hotplug-status */
#define REFUSE_MS	10000		/* xs-*: for the backend to refuse */
#define STORM_EVENTS	200000		/* event-storm: notifications, */
#define STORM_MS	5000		/* or this long, whichever first */
#define NR_TX_PAGES	32
#define NR_RX		32		/* rx buffers, one page each */
#define NR_RX_STALL	8		/* rx buffers posted for rx-stall */
#define MAX_PKTS	80
#define MAX_PKT_SLOTS	48
#define MAX_NOTES	24		/* per class */
#define FLOOD_BATCH	32
#define ETH_HLEN	14u
#define ETH_LOCAL	0x88b5
#define TXF_UNKNOWN	(1u << 6)	/* a flag bit netif.h does not define */
#define GSO_MSS		1448

/* Statuses an answer may have. */
#define A_OK		1u
#define A_ERR		2u
#define A_DROP		4u
#define A_OTHER		8u
#define A_BAD		(A_ERR | A_DROP)
#define A_ANY		(A_OK | A_ERR | A_DROP | A_OTHER)


/* One ring slot of a packet to send: a tx request or an extra-info. */
struct hslot {
	bool extra;
	union {
		netif_tx_request_t req;
		netif_extra_info_t ext;
	} u;
};

struct hpkt {
	struct hslot s[MAX_PKT_SLOTS];
	unsigned int n;
	unsigned int allow;	/* statuses allowed for its data slots */
	const char *what;
};

struct tally {
	unsigned int sent, ok, err, drop, null, noans, bad;
	unsigned int unsent;		/* packets never put on the ring */
	unsigned int left, null_due;	/* data answers and NULLs still due */
};

/* The xenbus side: handles, paths, event channel, budget, class counts. */
static struct xsfront xf = { .prog = "ddnet-hostile" };

static struct {
	uint8_t mac[6];
	/* the current connection */
	bool connected, ring_dead, rx_dead;
	bool fresh;			/* no class has reported on it yet */
	unsigned int bad_on_conn;	/* bad packets sent on it */
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	uint32_t tx_ref, rx_ref;
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	/* data pages */
	uint8_t *tpages, *rpages;
	uint32_t trefs[NR_TX_PAGES], rrefs[NR_RX];
	/* rx bookkeeping */
	bool rx_busy[NR_RX];
	uint8_t rx_slot[256];		/* buffer posted in each rx ring slot */
	bool rx_feed, rx_extra;
	unsigned int rx_want;
	unsigned long rx_posted, rx_done, rx_pkts, rx_bytes, rx_err, rx_bad;
	/* backend features */
	bool be_sg, be_gso4, be_gso6;
	/* tx ids */
	uint16_t next_id;
	uint32_t batch;
	unsigned int notes;
} g;

/* Per tx id: in flight, statuses allowed, packet index, batch sent in. */
static uint8_t pend[65536];
static uint8_t pend_allow[65536];
static uint16_t pend_pkt[65536];
static uint32_t pend_batch[65536];

static struct hpkt pk[MAX_PKTS];
static struct hpkt *cur_pkts;

static struct {
	unsigned int count, stall_s, flood, max_bad;
} opt = { 8, 20, 1000, 128 };

static volatile sig_atomic_t alarms;

/* The watchdog: first ask everything to wind down, then give up. */
static void on_alarm(int sig)
{
	(void)sig;
	xsf_stop = 1;
	if (alarms++)
		_exit(3);
	alarm(30);
}

/* A note under the current class, at most MAX_NOTES of them. */
static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	if (g.notes++ == MAX_NOTES) {
		printf("  note: further notes of this class suppressed\n");
		return;
	}
	if (g.notes > MAX_NOTES)
		return;
	va_start(ap, fmt);
	printf("  note: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* ---- xenstore ---- */

static const char *state_name(int st)
{
	static const char *const names[] = {
		"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
		"Closing", "Closed", "Reconfiguring", "Reconfigured",
	};

	if (st < 0)
		return "unreadable";
	if ((unsigned int)st < ARRAY_SIZE(names))
		return names[st];
	return "invalid";
}

/* ---- event channel ---- */

static void kick(void)
{
	if (xf.port_bound && xenevtchn_notify(xf.xce, xf.port) < 0)
		note("notify on port %u: %s", xf.port, strerror(errno));
}

static void wait_event(int ms)
{
	int port = xsf_wait_event(&xf, ms);

	if (port >= 0)
		note("unmask port %d: %s", port, strerror(errno));
}

/* ---- rx: keep buffers posted, count what arrives ---- */

static unsigned int rx_outstanding(void)
{
	unsigned int b, n = 0;

	for (b = 0; b < NR_RX; b++)
		n += g.rx_busy[b];
	return n;
}

/* Post free buffers until g.rx_want are outstanding. */
static void rx_fill(void)
{
	unsigned int b, have = rx_outstanding();
	netif_rx_request_t *req;
	bool posted = false;
	int notify;

	if (!g.rxs || g.rx_dead)
		return;
	for (b = 0; b < NR_RX && have < g.rx_want; b++) {
		if (g.rx_busy[b])
			continue;
		if (!RING_FREE_REQUESTS(&g.rx))
			break;
		req = RING_GET_REQUEST(&g.rx, g.rx.req_prod_pvt);
		req->id = (uint16_t)b;
		req->pad = 0;
		req->gref = g.rrefs[b];
		g.rx_slot[g.rx.req_prod_pvt % RING_SIZE(&g.rx)] = (uint8_t)b;
		g.rx.req_prod_pvt++;
		g.rx_busy[b] = true;
		g.rx_posted++;
		have++;
		posted = true;
	}
	if (!posted)
		return;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&g.rx, notify);
	if (notify && g.connected)
		kick();
}

/* Consume rx responses (unless stalled) and post the buffers again. */
static void rx_poll(void)
{
	volatile netif_rx_response_t *r;
	volatile netif_extra_info_t *e;
	unsigned int b;
	RING_IDX rp, i;
	uint16_t id, off, fl;
	int16_t st;
	int more;

	if (!g.rxs || g.rx_dead || !g.rx_feed)
		return;
	do {
		rp = g.rxs->rsp_prod;
		xen_rmb();
		if ((RING_IDX)(rp - g.rx.rsp_cons) >
		    (RING_IDX)(g.rx.req_prod_pvt - g.rx.rsp_cons)) {
			note("rx rsp_prod %u runs past our rx requests (rsp_cons %u, req_prod %u); rx ring abandoned",
			     rp, g.rx.rsp_cons, g.rx.req_prod_pvt);
			g.rx_dead = true;
			g.rx_bad++;
			return;
		}
		for (i = g.rx.rsp_cons; i != rp; i++) {
			r = RING_GET_RESPONSE(&g.rx, i);
			b = g.rx_slot[i % RING_SIZE(&g.rx)];
			g.rx_busy[b] = false;
			g.rx_done++;
			if (g.rx_extra) {
				e = (volatile netif_extra_info_t *)r;
				g.rx_extra = e->flags & XEN_NETIF_EXTRA_FLAG_MORE;
				continue;
			}
			/* Each field read once. */
			id = r->id;
			off = r->offset;
			fl = r->flags;
			st = r->status;
			if (id != b) {
				note("rx answer in a slot of buffer %u has id %u", b, id);
				g.rx_bad++;
			}
			if (st < 0) {
				g.rx_err++;
			} else if ((unsigned int)off + (unsigned int)st > XPAGE) {
				note("rx answer offset %u status %d runs past the page", off, st);
				g.rx_bad++;
			} else {
				g.rx_bytes += (unsigned int)st;
			}
			if (!(fl & NETRXF_more_data))
				g.rx_pkts++;
			g.rx_extra = fl & NETRXF_extra_info;
		}
		g.rx.rsp_cons = rp;
		RING_FINAL_CHECK_FOR_RESPONSES(&g.rx, more);
	} while (more);
	rx_fill();
}

/* ---- attach, connect, reset, detach ---- */

static void fill_tx_pages(void)
{
	static const char tag[] = "ddnet-hostile: harmless test frame, ethertype 0x88b5";
	unsigned int p, i;
	uint8_t *pg;

	for (p = 0; p < NR_TX_PAGES; p++) {
		pg = g.tpages + (size_t)p * XPAGE;
		memset(pg, 0xff, 6);
		memcpy(pg + 6, g.mac, 6);
		pg[12] = ETH_LOCAL >> 8;
		pg[13] = ETH_LOCAL & 0xff;
		for (i = ETH_HLEN; i < XPAGE; i++)
			pg[i] = (uint8_t)(i + p);
		memcpy(pg + ETH_HLEN, tag, sizeof(tag));
	}
}

/* Fresh ring pages and event channel for each handshake. */
static int new_rings(void)
{
	if (g.txs && xengntshr_unshare(xf.gs, g.txs, 1))
		xsf_fail(&xf, "unsharing the old tx ring page");
	if (g.rxs && xengntshr_unshare(xf.gs, g.rxs, 1))
		xsf_fail(&xf, "unsharing the old rx ring page");
	g.txs = NULL;
	g.rxs = NULL;
	g.txs = xengntshr_share_pages(xf.gs, xf.be_domid, 1, &g.tx_ref, 1);
	if (!g.txs)
		return xsf_fail(&xf, "sharing the tx ring page");
	g.rxs = xengntshr_share_pages(xf.gs, xf.be_domid, 1, &g.rx_ref, 1);
	if (!g.rxs)
		return xsf_fail(&xf, "sharing the rx ring page");
	SHARED_RING_INIT(g.txs);
	FRONT_RING_INIT(&g.tx, g.txs, XPAGE);
	SHARED_RING_INIT(g.rxs);
	FRONT_RING_INIT(&g.rx, g.rxs, XPAGE);
	g.ring_dead = false;
	g.rx_dead = false;
	g.rx_extra = false;
	memset(g.rx_busy, 0, sizeof(g.rx_busy));
	/* Nothing in flight on a new ring. */
	memset(pend, 0, sizeof(pend));
	return xsf_new_port(&xf);
}

/*
 * Ring refs, event channel, features and Initialised, in one transaction.
 * A non-NULL @bad_key gets @bad_val instead (NULL: the key is removed).
 */
static int publish_bad(const char *bad_key, const char *bad_val)
{
	char tx[16], rx[16], port[16];
	struct xsf_kv kv[] = {
		/* Left by a kernel frontend, these would change the layout. */
		{ "multi-queue-num-queues", NULL },
		{ "queue-0", NULL },
		{ "queue-1", NULL },
		{ "event-channel-tx", NULL },
		{ "event-channel-rx", NULL },
		{ "ctrl-ring-ref", NULL },
		{ "event-channel-ctrl", NULL },
		{ "feature-no-csum-offload", NULL },
		{ "request-multicast-control", NULL },
		{ "feature-multicast-control", NULL },
		{ "tx-ring-ref", tx },
		{ "rx-ring-ref", rx },
		{ "event-channel", port },
		{ "request-rx-copy", "1" },
		{ "feature-rx-notify", "1" },
		{ "feature-sg", "1" },
		{ "feature-gso-tcpv4", "1" },
		{ "feature-gso-tcpv6", "1" },
		{ "state", "3" },
	};
	unsigned int i;

	snprintf(tx, sizeof(tx), "%u", g.tx_ref);
	snprintf(rx, sizeof(rx), "%u", g.rx_ref);
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

static int parse_mac(const char *s)
{
	unsigned int m[6], i;
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (m[i] > 0xff)
			return -1;
		g.mac[i] = (uint8_t)m[i];
	}
	return 0;
}

/* Find the backend, wait for its InitWait, share the data pages. */
static int attach(const char *devid)
{
	char path[96], *mac;

	if (xsf_open(&xf, "vif", "devid", devid))
		return -1;
	snprintf(path, sizeof(path), "%s/mac", xf.fe);
	mac = xs_read(xf.xs, XBT_NULL, path, &(unsigned int){ 0 });
	if (!mac || parse_mac(mac)) {
		printf("  note: no usable %s, sending from 00:16:3e:dd:ee:01\n", path);
		memcpy(g.mac, (const uint8_t[6]){ 0x00, 0x16, 0x3e, 0xdd, 0xee, 0x01 }, 6);
	}
	free(mac);
	printf("hostile: backend %s (dom %u), mac %02x:%02x:%02x:%02x:%02x:%02x\n", xf.be,
	       xf.be_domid, g.mac[0], g.mac[1], g.mac[2], g.mac[3], g.mac[4], g.mac[5]);

	if (xsf_to_initwait(&xf, xsf_budget_ms(&xf, SETUP_MS)))
		return -1;

	if (xsf_open_gnttab(&xf))
		return -1;
	g.tpages = xengntshr_share_pages(xf.gs, xf.be_domid, NR_TX_PAGES, g.trefs, 1);
	if (!g.tpages)
		return xsf_fail(&xf, "sharing the tx data pages");
	g.rpages = xengntshr_share_pages(xf.gs, xf.be_domid, NR_RX, g.rrefs, 1);
	if (!g.rpages)
		return xsf_fail(&xf, "sharing the rx buffer pages");
	fill_tx_pages();
	printf("hostile: tx data grants %u..%u, rx buffer grants %u..%u\n", g.trefs[0],
	       g.trefs[NR_TX_PAGES - 1], g.rrefs[0], g.rrefs[NR_RX - 1]);

	return xsf_open_evtchn(&xf);
}

/* The backend's hotplug script has reported success. */
static bool hotplug_done(void)
{
	char path[256], *s;
	bool ok;

	snprintf(path, sizeof(path), "%s/hotplug-status", xf.be);
	s = xs_read(xf.xs, XBT_NULL, path, &(unsigned int){ 0 });
	ok = s && !strcmp(s, "connected");
	free(s);
	return ok;
}

/*
 * The handshake from a backend in InitWait: new rings, @rx_want rx buffers
 * posted, keys and Initialised, then Connected once the backend is.  A
 * backend that connects only on a Connected frontend (xen-netback does) gets
 * our Connected early: once it still sits in InitWait FE_CONNECTED_MS after
 * its hotplug script reported success (or after FE_CONNECTED_LATE_MS if
 * hotplug-status cannot be read).  ddnetback connects on either state, but
 * would take a second Connected while it waits for the script as a new
 * handshake, hence the wait.
 */
static int connect_be(unsigned int rx_want, unsigned int ms)
{
	uint64_t start = xsf_now_ms(), end = start + ms, hp = 0;
	bool sent_connected = false;
	int st;

	g.connected = false;
	g.bad_on_conn = 0;
	if (xsf_to_initwait(&xf, ms) || new_rings())
		return -1;
	g.rx_want = rx_want;
	rx_fill();
	if (publish())
		return -1;
	for (;;) {
		st = xsf_wait_be(&xf, XSF_BIT(Connected) | XSF_BIT(Closing) | XSF_BIT(Closed), 250);
		if (st >= 0 || xsf_stop || xsf_now_ms() >= end)
			break;
		if (sent_connected)
			continue;
		if (!hp && hotplug_done())
			hp = xsf_now_ms();
		if ((hp && xsf_now_ms() - hp >= FE_CONNECTED_MS) ||
		    xsf_now_ms() - start >= FE_CONNECTED_LATE_MS) {
			if (!xsf_fe_state(&xf, XenbusStateConnected))
				return -1;
			sent_connected = true;
		}
	}
	if (st != XenbusStateConnected) {
		fprintf(stderr, "ddnet-hostile: waiting for backend Connected: state %d (%s)%s\n",
			xsf_be_state(&xf), state_name(xsf_be_state(&xf)),
			st < 0 ? "; hotplug-status not written yet?" : "");
		return -1;
	}
	if (!xsf_fe_state(&xf, XenbusStateConnected))
		return -1;
	g.connected = true;
	g.fresh = true;
	g.be_sg = xsf_uint(&xf, xf.be, "feature-sg", 0);
	g.be_gso4 = xsf_uint(&xf, xf.be, "feature-gso-tcpv4", 0);
	g.be_gso6 = xsf_uint(&xf, xf.be, "feature-gso-tcpv6", 0);
	printf("hostile: connected, tx-ring-ref %u rx-ring-ref %u port %u, tx slots %u, rx slots %u, rx posted %u; backend sg %d gso-tcpv4 %d gso-tcpv6 %d rx-copy %u\n",
	       g.tx_ref, g.rx_ref, xf.port, RING_SIZE(&g.tx), RING_SIZE(&g.rx),
	       rx_outstanding(), g.be_sg, g.be_gso4, g.be_gso6,
	       xsf_uint(&xf, xf.be, "feature-rx-copy", 0));
	kick();
	return 0;
}

/* Close to Closed, remove the @n keys of @clean, reopen to InitWait. */
static int reset_to_initwait(const struct xsf_kv *clean, unsigned int n)
{
	g.connected = false;
	if (!xsf_fe_state(&xf, XenbusStateClosing))
		return -1;
	if (xsf_wait_be(&xf, XSF_BIT(Closing) | XSF_BIT(Closed), STEP_MS) < 0)
		printf("  note: reset: backend did not go Closing (state %d)\n", xsf_be_state(&xf));
	if (!xsf_fe_state(&xf, XenbusStateClosed))
		return -1;
	if (xsf_wait_be(&xf, XSF_BIT(Closed) | XSF_BIT(InitWait), STEP_MS) < 0)
		printf("  note: reset: backend did not go Closed (state %d)\n", xsf_be_state(&xf));
	if (xsf_fe_txn(&xf, clean, n) || !xsf_fe_state(&xf, XenbusStateInitialising))
		return -1;
	if (xsf_wait_be(&xf, XSF_BIT(InitWait), INITWAIT_MS) < 0) {
		printf("  note: reset: backend not back in InitWait after %u s (state %d)\n",
		       INITWAIT_MS / 1000, xsf_be_state(&xf));
		return -1;
	}
	return 0;
}

/* Close to Closed, then reopen to InitWait and connect again. */
static int reset_conn(unsigned int rx_want)
{
	static const struct xsf_kv clean[] = {
		{ "tx-ring-ref", NULL },
		{ "rx-ring-ref", NULL },
		{ "event-channel", NULL },
	};
	int st = xsf_be_state(&xf);

	printf("hostile: resetting the connection (backend %s)\n", state_name(st));
	if (reset_to_initwait(clean, ARRAY_SIZE(clean)))
		return -1;
	return connect_be(rx_want, SETUP_MS);
}

/* A usable connection with the normal rx buffers, reset if need be. */
static int ensure_conn(bool fresh)
{
	if (g.connected && !g.ring_dead && !(fresh && g.bad_on_conn) &&
	    xsf_be_state(&xf) == XenbusStateConnected)
		return 0;
	g.rx_feed = true;
	return reset_conn(NR_RX);
}

static void detach(void)
{
	xsf_detach_begin(&xf);
	/* gntalloc keeps a page the backend still maps until it lets go. */
	if (g.tpages && xengntshr_unshare(xf.gs, g.tpages, NR_TX_PAGES))
		xsf_fail(&xf, "unsharing the tx data pages");
	if (g.rpages && xengntshr_unshare(xf.gs, g.rpages, NR_RX))
		xsf_fail(&xf, "unsharing the rx buffer pages");
	if (g.txs && xengntshr_unshare(xf.gs, g.txs, 1))
		xsf_fail(&xf, "unsharing the tx ring page");
	if (g.rxs && xengntshr_unshare(xf.gs, g.rxs, 1))
		xsf_fail(&xf, "unsharing the rx ring page");
	xsf_close(&xf);
}

/* ---- tx: sending packets and collecting answers ---- */

static uint16_t alloc_id(void)
{
	unsigned int i;
	uint16_t id;

	for (i = 0; i < 65536; i++) {
		id = g.next_id++;
		if (!pend[id])
			return id;
	}
	return g.next_id++;
}

static void account(uint16_t id, int16_t st, struct tally *t)
{
	unsigned int bit;

	if (st == NETIF_RSP_NULL) {
		t->null++;
		if (t->null > t->null_due) {
			note("NETIF_RSP_NULL answer %u, but only %u extra slots sent", t->null,
			     t->null_due);
			t->bad++;
		}
		return;
	}
	if (!pend[id]) {
		note("answer (status %d) with id %u, which was never sent or is already answered",
		     st, id);
		t->bad++;
		return;
	}
	pend[id] = 0;
	if (pend_batch[id] != g.batch) {
		note("late answer (status %d) to id %u of an earlier class", st, id);
		return;
	}
	t->left--;
	switch (st) {
	case NETIF_RSP_OKAY:
		t->ok++;
		bit = A_OK;
		break;
	case NETIF_RSP_ERROR:
		t->err++;
		bit = A_ERR;
		break;
	case NETIF_RSP_DROPPED:
		t->err++;
		t->drop++;
		bit = A_DROP;
		break;
	default:
		t->err++;
		bit = A_OTHER;
		note("id %u: status %d is not a netif status", id, st);
		break;
	}
	if (!(pend_allow[id] & bit)) {
		note("%s (id %u): status %d not expected",
		     cur_pkts ? cur_pkts[pend_pkt[id]].what : "?", id, st);
		t->bad++;
	}
}

static void collect_tx(struct tally *t)
{
	volatile netif_tx_response_t *s;
	RING_IDX rp, i;
	uint16_t id;
	int16_t st;
	int more;

	if (!g.txs || g.ring_dead)
		return;
	do {
		rp = g.txs->rsp_prod;
		xen_rmb();
		if ((RING_IDX)(rp - g.tx.rsp_cons) >
		    (RING_IDX)(g.tx.req_prod_pvt - g.tx.rsp_cons)) {
			note("tx rsp_prod %u runs past our requests (rsp_cons %u, req_prod %u); ring abandoned",
			     rp, g.tx.rsp_cons, g.tx.req_prod_pvt);
			g.ring_dead = true;
			t->bad++;
			return;
		}
		for (i = g.tx.rsp_cons; i != rp; i++) {
			/* Each field read once, into a private copy. */
			s = RING_GET_RESPONSE(&g.tx, i);
			id = s->id;
			st = s->status;
			account(id, st, t);
		}
		g.tx.rsp_cons = rp;
		RING_FINAL_CHECK_FOR_RESPONSES(&g.tx, more);
	} while (more);
}

/* Put packet @idx of the batch on the ring (not yet pushed). */
static void put_pkt(struct hpkt *p, unsigned int idx, struct tally *t)
{
	netif_tx_request_t *slot;
	unsigned int j;
	uint16_t id;

	for (j = 0; j < p->n; j++) {
		slot = RING_GET_REQUEST(&g.tx, g.tx.req_prod_pvt);
		memset(slot, 0, sizeof(union netif_tx_sring_entry));
		if (p->s[j].extra) {
			memcpy(slot, &p->s[j].u.ext, sizeof(p->s[j].u.ext));
			t->null_due++;
		} else {
			id = alloc_id();
			p->s[j].u.req.id = id;
			pend[id] = 1;
			pend_allow[id] = (uint8_t)p->allow;
			pend_pkt[id] = (uint16_t)idx;
			pend_batch[id] = g.batch;
			memcpy(slot, &p->s[j].u.req, sizeof(p->s[j].u.req));
			t->left++;
		}
		g.tx.req_prod_pvt++;
		t->sent++;
	}
}

/* Wait (collecting) until @need tx slots are free; false if they never are. */
static bool wait_room(unsigned int need, struct tally *t)
{
	uint64_t end = xsf_now_ms() + REPLY_MS;

	while (RING_FREE_REQUESTS(&g.tx) < need) {
		collect_tx(t);
		rx_poll();
		if (RING_FREE_REQUESTS(&g.tx) >= need)
			break;
		if (g.ring_dead || xsf_stop || xsf_now_ms() >= end) {
			note("no room for a %u-slot packet (earlier ones unanswered)", need);
			return false;
		}
		if (xsf_be_state(&xf) != XenbusStateConnected) {
			note("backend left Connected while we waited for ring room");
			return false;
		}
		wait_event(50);
	}
	return true;
}

/*
 * Send @n packets and collect their answers: all of them within REPLY_MS of
 * the last, or with @fatal until the backend leaves Connected (FATAL_MS).
 */
static void run_pkts(struct hpkt *p, unsigned int n, struct tally *t, bool fatal)
{
	uint64_t end, last_kick, last_state = 0;
	unsigned int i, j, shown = 0;
	int notify;

	memset(t, 0, sizeof(*t));
	g.batch++;
	cur_pkts = p;
	if (g.ring_dead || !g.connected) {
		note("no usable connection, nothing sent");
		t->bad++;
		return;
	}
	for (i = 0; i < n && !xsf_stop; i++) {
		if (p[i].n > RING_SIZE(&g.tx) || !wait_room(p[i].n, t))
			break;
		put_pkt(&p[i], i, t);
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&g.tx, notify);
		if (notify)
			kick();
	}
	t->unsent = n - i;
	end = xsf_now_ms() + (fatal ? FATAL_MS : REPLY_MS);
	last_kick = xsf_now_ms();
	while (!xsf_stop) {
		collect_tx(t);
		rx_poll();
		if (g.ring_dead)
			break;
		if (!fatal && !t->left && t->null >= t->null_due)
			break;
		if (xsf_now_ms() - last_state >= (fatal ? 100u : 500u)) {
			last_state = xsf_now_ms();
			if (xsf_be_state(&xf) != XenbusStateConnected) {
				if (!fatal)
					note("backend left Connected (state %d)",
					     xsf_be_state(&xf));
				break;
			}
		}
		if (xsf_now_ms() >= end)
			break;
		wait_event(fatal ? 50 : 100);
		/* Kick again in case a notification was lost. */
		if (xsf_now_ms() - last_kick >= 1000) {
			kick();
			last_kick = xsf_now_ms();
		}
	}
	collect_tx(t);
	t->noans = t->left + (t->null_due > t->null ? t->null_due - t->null : 0);
	if (fatal)
		return;
	for (i = 0; i < n && shown < 8; i++)
		for (j = 0; j < p[i].n; j++) {
			uint16_t id = p[i].s[j].u.req.id;

			if (p[i].s[j].extra || !pend[id] || pend_batch[id] != g.batch)
				continue;
			note("%s: slot %u (id %u) not answered", p[i].what, j, id);
			shown++;
			break;
		}
}

/* ---- packet builders ---- */

static struct hpkt *pkt(unsigned int i, const char *what, unsigned int allow)
{
	struct hpkt *p = &pk[i];

	memset(p, 0, sizeof(*p));
	p->what = what;
	p->allow = allow;
	return p;
}

/* A data slot; the more_data flag of the previous data slot is set here. */
static void data(struct hpkt *p, unsigned int page, uint16_t off, uint16_t size,
		 uint16_t flags)
{
	struct hslot *s = &p->s[p->n++];
	int j;

	for (j = (int)p->n - 2; j >= 0; j--)
		if (!p->s[j].extra) {
			p->s[j].u.req.flags |= NETTXF_more_data;
			break;
		}
	s->extra = false;
	s->u.req.gref = g.trefs[page % NR_TX_PAGES];
	s->u.req.offset = off;
	s->u.req.size = size;
	s->u.req.flags = flags;
}

/* An extra-info slot right after the first; sets extra_info / MORE. */
static netif_extra_info_t *extra(struct hpkt *p, uint8_t type)
{
	struct hslot *s = &p->s[p->n++];

	if (p->n == 2)
		p->s[0].u.req.flags |= NETTXF_extra_info;
	else
		p->s[p->n - 2].u.ext.flags |= XEN_NETIF_EXTRA_FLAG_MORE;
	s->extra = true;
	memset(&s->u.ext, 0, sizeof(s->u.ext));
	s->u.ext.type = type;
	return &s->u.ext;
}

static void gso(struct hpkt *p, uint8_t type, uint16_t size)
{
	netif_extra_info_t *e = extra(p, XEN_NETIF_EXTRA_TYPE_GSO);

	e->u.gso.type = type;
	e->u.gso.size = size;
}

/* A well-formed frame of @size bytes in one slot. */
static void valid1(unsigned int i, unsigned int page, uint16_t size)
{
	data(pkt(i, "valid frame", A_OK), page, 0, size, 0);
}

/* A well-formed 3-slot frame: first slot 514 bytes, then 500 and 500. */
static void valid3(unsigned int i, unsigned int page)
{
	struct hpkt *p = pkt(i, "valid 3-slot frame", A_OK);

	data(p, page, 0, 1514, 0);
	data(p, page + 1, 0, 500, 0);
	data(p, page + 2, 0, 500, 0);
}

/* 3000 bytes over 3 slots, with GSO extras added by the caller. */
static struct hpkt *gso_pkt(unsigned int i, const char *what, uint16_t flags)
{
	struct hpkt *p = pkt(i, what, A_BAD);

	data(p, i, 0, 3000, flags);
	return p;
}

static void gso_tail(struct hpkt *p, unsigned int i)
{
	data(p, i + 1, 0, 1000, 0);
	data(p, i + 2, 0, 1000, 0);
}

/* ---- classes ---- */

enum kind { K_VALID, K_DROP, K_FATAL, K_FLOOD, K_STALL, K_STORM, K_XS };

static const char *const kind_name[] = {
	[K_VALID] = "valid", [K_DROP] = "drop", [K_FATAL] = "fatal", [K_FLOOD] = "flood",
	[K_STALL] = "rx", [K_STORM] = "storm", [K_XS] = "xs",
};

/* Classes on a connection up to C_XS_QHUGE, then the xenstore classes (run first). */
enum {
	C_VALID, C_STORM, C_RUNT, C_REST, C_OVERSIZE, C_GREF, C_FLAGS, C_GSO_ZERO,
	C_GSO_TYPE, C_GSO_CSUM, C_EXTRA_DUP, C_SLOTS, C_CROSS, C_CROSS_FIRST, C_ABSURD,
	C_EXTRA_NONE, C_EXTRA_UNKNOWN, C_PAST, C_OVERFLOW, C_FLOOD, C_STALL, C_XS_QHUGE,
	C_XS_QZERO, C_XS_NOTX, C_XS_EVTCHN, C_XS_NORXCOPY, NR_CLASSES
};

static const struct {
	const char *name;
	enum kind kind;
	const char *expect;
} cls[NR_CLASSES] = {
	[C_VALID] = { "valid", K_VALID,
		"well-formed 60..1514-byte frames and a 3-slot frame: all OKAY (first after xs-*, last)" },
	[C_STORM] = { "event-storm", K_STORM,
		"200000 notifications (or 5 s) on the connected channel, then valid's frames: "
		"all OKAY, still Connected" },
	[C_RUNT] = { "runt", K_DROP, "size 0..13: ERROR/DROPPED, still Connected" },
	[C_REST] = { "rest-bigger-than-first", K_DROP,
		"first slot's size below the sum of the others: ERROR/DROPPED, still Connected" },
	[C_OVERSIZE] = { "oversize-no-gso", K_DROP,
		"9000/13000 bytes over 3/4 slots, no GSO extra: ERROR/DROPPED, still Connected" },
	[C_GREF] = { "reserved-gref", K_DROP,
		"gref 0..7 in the first or a later slot: ERROR/DROPPED, still Connected" },
	[C_FLAGS] = { "unknown-flags", K_DROP,
		"flag bit 6 in the first or a later slot: ERROR/DROPPED, still Connected" },
	[C_GSO_ZERO] = { "gso-zero-size", K_DROP,
		"GSO extra with size 0: ERROR/DROPPED + NULL, still Connected" },
	[C_GSO_TYPE] = { "gso-bad-type", K_DROP,
		"GSO extra of gso type 9: ERROR/DROPPED + NULL, still Connected" },
	[C_GSO_CSUM] = { "gso-without-csum-blank", K_DROP,
		"GSO packet without NETTXF_csum_blank: ERROR/DROPPED + NULL, still Connected" },
	[C_EXTRA_DUP] = { "extra-duplicate", K_DROP,
		"two GSO extras: ERROR/DROPPED + 2 NULL, still Connected" },
	[C_SLOTS] = { "too-many-slots", K_DROP,
		"19 data slots of 64 bytes: ERROR/DROPPED, still Connected" },
	[C_CROSS] = { "cross-page", K_FATAL,
		"a later slot at offset 4000 size 200: backend leaves Connected" },
	[C_CROSS_FIRST] = { "cross-page-first", K_FATAL,
		"one slot at offset 4090 size 1000: backend leaves Connected" },
	[C_ABSURD] = { "absurd-slots", K_FATAL, "40 data slots: backend leaves Connected" },
	[C_EXTRA_NONE] = { "extra-type-none", K_FATAL,
		"extra of type 0: backend leaves Connected" },
	[C_EXTRA_UNKNOWN] = { "extra-type-unknown", K_FATAL,
		"extra of type 200: backend leaves Connected" },
	[C_PAST] = { "past-producer", K_FATAL,
		"more_data on the last published slot: backend leaves Connected" },
	[C_OVERFLOW] = { "ring-overflow", K_FATAL,
		"req_prod 1000 past req_cons: backend leaves Connected" },
	[C_FLOOD] = { "bad-flood", K_FLOOD,
		"runts until the backend disconnects (max_bad_tx): backend leaves Connected" },
	[C_STALL] = { "rx-stall", K_STALL,
		"8 rx buffers posted, nothing consumed for --stall-seconds: tool keeps working" },
	[C_XS_QHUGE] = { "xs-queues-huge", K_XS,
		"multi-queue-num-queues 1000: backend not Connected within 10 s (runs first)" },
	[C_XS_QZERO] = { "xs-queues-zero", K_XS,
		"multi-queue-num-queues 0: backend not Connected within 10 s (runs first)" },
	[C_XS_NOTX] = { "xs-missing-tx-ring-ref", K_XS,
		"no tx-ring-ref: backend not Connected within 10 s (runs first)" },
	[C_XS_EVTCHN] = { "xs-bad-evtchn", K_XS,
		"event-channel 999999: backend not Connected within 10 s (runs first)" },
	[C_XS_NORXCOPY] = { "xs-no-rx-copy", K_XS,
		"request-rx-copy 0: backend not Connected within 10 s (runs first)" },
};

/* Fill pk[] for a drop class: opt.count bad packets, then one valid frame. */
static unsigned int fill_drop(int c)
{
	static const uint16_t runts[] = { 0, 1, 6, 13, 12, 2, 10, 13 };
	unsigned int i, k, n = opt.count;
	struct hpkt *p;

	if (c == C_SLOTS)
		n = (n + 1) / 2;	/* 19 slots each: stay well inside the ring */
	for (i = 0; i < n; i++) {
		switch (c) {
		case C_RUNT:
			data(pkt(i, "runt", A_BAD), i, 0, runts[i % ARRAY_SIZE(runts)], 0);
			break;
		case C_REST:
			p = pkt(i, "first slot smaller than the rest", A_BAD);
			data(p, i, 0, (uint16_t)(100 + i), 0);
			data(p, i + 1, 0, 200, 0);
			data(p, i + 2, 0, 200, 0);
			break;
		case C_OVERSIZE:
			p = pkt(i, "oversize frame without GSO", A_BAD);
			data(p, i, 0, i % 2 ? 13000 : 9000, 0);
			for (k = 0; k < (i % 2 ? 3u : 2u); k++)
				data(p, i + 1 + k, 0, 4000, 0);
			break;
		case C_GREF:
			if (i % 2 == 0) {
				p = pkt(i, "reserved gref in the first slot", A_BAD);
				data(p, i, 0, 60, 0);
				p->s[0].u.req.gref = i % 8;
			} else {
				p = pkt(i, "reserved gref in a later slot", A_BAD);
				data(p, i, 0, 560, 0);
				data(p, i + 1, 0, 200, 0);
				data(p, i + 2, 0, 300, 0);
				p->s[1].u.req.gref = i % 8;
			}
			break;
		case C_FLAGS:
			if (i % 2 == 0) {
				data(pkt(i, "unknown flag in the first slot", A_BAD), i, 0, 60,
				     TXF_UNKNOWN);
			} else {
				p = pkt(i, "unknown flag in a later slot", A_BAD);
				data(p, i, 0, 560, 0);
				data(p, i + 1, 0, 200, TXF_UNKNOWN);
				data(p, i + 2, 0, 300, 0);
			}
			break;
		case C_GSO_ZERO:
			p = gso_pkt(i, "GSO size 0", NETTXF_csum_blank);
			gso(p, i % 2 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4, 0);
			gso_tail(p, i);
			break;
		case C_GSO_TYPE:
			p = gso_pkt(i, "GSO type 9", NETTXF_csum_blank);
			gso(p, 9, GSO_MSS);
			gso_tail(p, i);
			break;
		case C_GSO_CSUM:
			p = gso_pkt(i, "GSO without csum_blank", 0);
			gso(p, i % 2 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4,
			    GSO_MSS);
			gso_tail(p, i);
			break;
		case C_EXTRA_DUP:
			p = gso_pkt(i, "two GSO extras", NETTXF_csum_blank);
			gso(p, XEN_NETIF_GSO_TYPE_TCPV4, GSO_MSS);
			gso(p, XEN_NETIF_GSO_TYPE_TCPV4, GSO_MSS);
			gso_tail(p, i);
			break;
		case C_SLOTS:
			p = pkt(i, "19 data slots", A_BAD);
			data(p, i, 0, 19 * 64, 0);
			for (k = 1; k < 19; k++)
				data(p, i + k, (uint16_t)(64 * k), 64, 0);
			break;
		}
	}
	/* The backend still forwards a good frame after the bad ones. */
	valid1(n, n, 60);
	pk[n].what = "valid frame after the bad ones";
	return n + 1;
}

/* Fill pk[0] with the one packet of a fatal class (not ring-overflow). */
static void fill_fatal(int c)
{
	struct hpkt *p = pkt(0, cls[c].name, A_ANY);
	unsigned int k;

	switch (c) {
	case C_CROSS:
		data(p, 0, 0, 360, 0);
		data(p, 1, 4000, 200, 0);
		data(p, 2, 0, 100, 0);
		break;
	case C_CROSS_FIRST:
		data(p, 0, 4090, 1000, 0);
		break;
	case C_ABSURD:
		data(p, 0, 0, 40 * 60, 0);
		for (k = 1; k < 40; k++)
			data(p, k, 0, 60, 0);
		break;
	case C_EXTRA_NONE:
		data(p, 0, 0, 60, 0);
		extra(p, XEN_NETIF_EXTRA_TYPE_NONE);
		break;
	case C_EXTRA_UNKNOWN:
		data(p, 0, 0, 60, 0);
		extra(p, 200);
		break;
	case C_PAST:
		/* Two slots published, the second still announcing more. */
		data(p, 0, 0, 180, 0);
		data(p, 1, 0, 60, NETTXF_more_data);
		break;
	}
}

static void report(int c, const struct tally *t, int st, bool pass)
{
	printf("class %s: sent %u, ok %u, error %u, dropped %u, null %u, no-answer %u, backend %s, verdict %s\n",
	       cls[c].name, t->sent, t->ok, t->err, t->drop, t->null, t->noans, state_name(st),
	       pass ? "PASS" : "FAIL");
	xsf_count(&xf, pass);
	/*
	 * A backend that connected again after a reset, stays Connected and
	 * answers nothing of a whole class has cut this frontend off for good
	 * (upstream xen-netback keeps a vif it disabled on a fatal error
	 * disabled across a reconnect): the classes left would each wait out
	 * their answer time for nothing, so they are reported as not run.
	 */
	if (g.fresh && t->sent && t->noans == t->sent && st == XenbusStateConnected) {
		printf("hostile: cut off: the backend answered nothing on a fresh connection and stays Connected\n");
		xf.cut_off = "the backend cut this frontend off";
	}
	g.fresh = false;
}

static void class_valid(int c)
{
	static const uint16_t sizes[] = { 60, 1514, 64, 128, 256, 512, 1000, 1500 };
	struct tally t;
	unsigned int i, n = 0;
	int st;

	for (i = 0; i < opt.count; i++, n++)
		valid1(n, i, sizes[i % ARRAY_SIZE(sizes)]);
	if (g.be_sg) {
		valid3(n, n);
		n++;
	} else
		note("backend offers no feature-sg: no 3-slot frame");
	run_pkts(pk, n, &t, false);
	st = xsf_be_state(&xf);
	report(c, &t, st, t.sent && !t.bad && !t.unsent && !t.noans && !t.err && !t.null &&
	       st == XenbusStateConnected);
}

/* Notify the connected channel as fast as we can, then valid's frames. */
static void class_storm(int c)
{
	struct tally t = { 0 };

	if (ensure_conn(false)) {
		note("no connection to the backend");
		report(c, &t, xsf_be_state(&xf), false);
		return;
	}
	xsf_storm(&xf, STORM_EVENTS, STORM_MS);
	class_valid(c);
}

static void class_drop(int c)
{
	unsigned int n, i;
	struct tally t;
	int st = -1;

	/* Keep clear of the backend's max_bad_tx (which may count per connection). */
	if (g.connected && g.bad_on_conn + opt.count > opt.max_bad / 2) {
		note("%u bad packets sent on this connection, max_bad_tx %u: reconnecting first",
		     g.bad_on_conn, opt.max_bad);
		g.connected = false;
	}
	if (ensure_conn(false)) {
		memset(&t, 0, sizeof(t));
		note("no connection to the backend");
		report(c, &t, xsf_be_state(&xf), false);
		return;
	}
	n = fill_drop(c);
	run_pkts(pk, n, &t, false);
	g.bad_on_conn += n - 1;
	/* A late disconnect would show up here. */
	for (i = 0; i < 3 && (st = xsf_be_state(&xf)) == XenbusStateConnected; i++)
		poll(NULL, 0, 100);
	if (t.drop)
		note("%u of the errors were NETIF_RSP_DROPPED", t.drop);
	if (st != XenbusStateConnected)
		g.connected = false;
	report(c, &t, st, t.sent && !t.bad && !t.unsent && !t.noans && t.ok == 1 &&
	       st == XenbusStateConnected);
}

/* Claim 1000 requests past what the backend consumed; the ring holds 256. */
static void ring_overflow(struct tally *t)
{
	unsigned int size = RING_SIZE(&g.tx), i;
	RING_IDX rp0, rp, claim;
	netif_tx_request_t *r;
	uint64_t end;

	memset(t, 0, sizeof(*t));
	g.batch++;
	cur_pkts = NULL;
	rp0 = g.txs->rsp_prod;
	/* Every slot a runt: whatever the backend takes in, nothing is forwarded. */
	for (i = 0; i < size; i++) {
		r = RING_GET_REQUEST(&g.tx, g.tx.req_prod_pvt + i);
		memset(r, 0, sizeof(union netif_tx_sring_entry));
		r->gref = g.trefs[i % NR_TX_PAGES];
		r->size = 1;
		r->id = alloc_id();
		pend[r->id] = 1;
		pend_allow[r->id] = A_ANY;
		pend_batch[r->id] = g.batch;
	}
	claim = g.tx.req_prod_pvt + 1000;
	xen_wmb();
	g.txs->req_prod = claim;
	xen_mb();
	t->sent = 1000;
	kick();
	end = xsf_now_ms() + FATAL_MS;
	while (!xsf_stop && xsf_now_ms() < end && xsf_be_state(&xf) == XenbusStateConnected)
		wait_event(100);
	rp = g.txs->rsp_prod;
	xen_rmb();
	for (i = 0; i < rp - rp0 && i < size; i++) {
		volatile netif_tx_response_t *s = RING_GET_RESPONSE(&g.tx, rp0 + i);
		int16_t st = s->status;

		if (st == NETIF_RSP_OKAY)
			t->ok++;
		else if (st == NETIF_RSP_NULL)
			t->null++;
		else
			t->err++;
	}
	t->noans = rp - rp0 < 1000 ? 1000 - (rp - rp0) : 0;
	if (rp != rp0)
		note("backend answered %u of the claimed slots%s", rp - rp0,
		     rp - rp0 > size ? " (more than the ring holds)" : "");
	g.ring_dead = true;
}

static void class_fatal(int c)
{
	struct tally t;
	int st;

	if (ensure_conn(false)) {
		memset(&t, 0, sizeof(t));
		note("no connection to the backend");
		report(c, &t, xsf_be_state(&xf), false);
		return;
	}
	if (c == C_OVERFLOW) {
		ring_overflow(&t);
	} else {
		fill_fatal(c);
		run_pkts(pk, 1, &t, true);
	}
	st = xsf_be_state(&xf);
	if (st == XenbusStateConnected) {
		/* One last look, in case the state write is slow. */
		st = xsf_wait_be(&xf, ~XSF_BIT(Connected) & 0xffffu, 500);
		if (st < 0)
			st = xsf_be_state(&xf);
	}
	if (st == XenbusStateConnected)
		note("backend still Connected %u s after the packet", FATAL_MS / 1000);
	else if (st != XenbusStateClosing && st != XenbusStateClosed)
		note("backend left Connected for state %d, not Closing or Closed", st);
	/* The connection is spent either way: the next class starts afresh. */
	g.connected = false;
	report(c, &t, st, !t.bad && st != XenbusStateConnected && st >= 0);
}

static void class_flood(int c)
{
	struct tally t, sum = { 0 };
	unsigned int sent = 0, i, n;
	int st = -1;

	if (ensure_conn(true)) {
		note("no connection to the backend");
		report(c, &sum, xsf_be_state(&xf), false);
		return;
	}
	while (!xsf_stop && sent < opt.flood) {
		n = opt.flood - sent < FLOOD_BATCH ? opt.flood - sent : FLOOD_BATCH;
		for (i = 0; i < n; i++)
			data(pkt(i, "runt (flood)", A_BAD), sent + i, 0,
			     (uint16_t)((sent + i) % ETH_HLEN), 0);
		run_pkts(pk, n, &t, false);
		sent += n;
		sum.sent += t.sent;
		sum.ok += t.ok;
		sum.err += t.err;
		sum.drop += t.drop;
		sum.null += t.null;
		sum.noans = t.noans;
		sum.bad += t.bad;
		st = xsf_be_state(&xf);
		if (st != XenbusStateConnected || g.ring_dead)
			break;
	}
	if (st == XenbusStateConnected && !xsf_stop) {
		st = xsf_wait_be(&xf, ~XSF_BIT(Connected) & 0xffffu, 2000);
		if (st < 0)
			st = xsf_be_state(&xf);
	}
	g.connected = false;
	if (st != XenbusStateConnected)
		note("backend left Connected after %u bad packets (%u answered with an error)",
		     sent, sum.err);
	else
		note("backend still Connected after %u bad packets", sent);
	/* Answers and packets missing once the backend cut us off are no failure. */
	report(c, &sum, st, !sum.bad && !sum.ok && st != XenbusStateConnected && st >= 0);
}

static void class_stall(int c)
{
	uint64_t start, end, last = 0;
	unsigned int held_ms = 0;
	bool left = false, pass;
	int st = -1;

	g.rx_feed = false;
	if (reset_conn(NR_RX_STALL)) {
		g.rx_feed = true;
		printf("class %s: held 0 s, backend %s, verdict FAIL\n", cls[c].name,
		       state_name(xsf_be_state(&xf)));
		xf.failed++;
		return;
	}
	start = xsf_now_ms();
	end = start + (uint64_t)opt.stall_s * 1000;
	while (!xsf_stop && xsf_now_ms() < end) {
		/* Take the events, consume nothing. */
		wait_event(200);
		if (xsf_now_ms() - last >= 500) {
			last = xsf_now_ms();
			st = xsf_be_state(&xf);
			if (st != XenbusStateConnected) {
				left = true;
				break;
			}
		}
	}
	held_ms = (unsigned int)(xsf_now_ms() - start);
	st = xsf_be_state(&xf);
	printf("  note: rx ring: %u posted, rsp_prod %u (answers left unconsumed), backend %s\n",
	       NR_RX_STALL, g.rxs->rsp_prod, state_name(st));
	g.rx_feed = true;
	g.rx_want = NR_RX;
	if (left || st != XenbusStateConnected) {
		printf("  note: the backend left Connected after %u s of rx stall; reconnecting\n",
		       held_ms / 1000);
		g.connected = false;
		pass = !ensure_conn(false);
	} else {
		/* Resume: consume what arrived and post the full set again. */
		rx_poll();
		printf("  note: after the stall: %lu rx answers, %lu packets, %lu bytes, %lu errors\n",
		       g.rx_done, g.rx_pkts, g.rx_bytes, g.rx_err);
		pass = !xsf_stop;
	}
	printf("class %s: held %u s, backend %s, verdict %s\n", cls[c].name, held_ms / 1000,
	       state_name(st), pass ? "PASS" : "FAIL");
	xsf_count(&xf, pass);
}

/* ---- xenstore classes ---- */

/* What each refusal class changes in a valid configuration (NULL: removed). */
static const struct xsf_kv xs_bogus[] = {
	[C_XS_QHUGE - C_XS_QHUGE] = { "multi-queue-num-queues", "1000" },
	[C_XS_QZERO - C_XS_QHUGE] = { "multi-queue-num-queues", "0" },
	[C_XS_NOTX - C_XS_QHUGE] = { "tx-ring-ref", NULL },
	[C_XS_EVTCHN - C_XS_QHUGE] = { "event-channel", "999999" },
	[C_XS_NORXCOPY - C_XS_QHUGE] = { "request-rx-copy", "0" },
};

static void xs_report(int c, int st, const char *err, bool pass)
{
	printf("class %s: backend state %d, error %s, verdict %s\n", cls[c].name, st, err,
	       pass ? "PASS" : "FAIL");
	xsf_count(&xf, pass);
}

/* Close the frontend, drop what a refusal class wrote, wait for InitWait. */
static bool xs_reset(void)
{
	static const struct xsf_kv clean[] = {
		{ "tx-ring-ref", NULL },
		{ "rx-ring-ref", NULL },
		{ "event-channel", NULL },
		{ "multi-queue-num-queues", NULL },
		{ "request-rx-copy", NULL },
	};

	return !reset_to_initwait(clean, ARRAY_SIZE(clean));
}

/*
 * Offer a configuration the backend must refuse; pass unless it goes
 * Connected.  Initialised is enough for ddnetback; a backend still in
 * InitWait once its hotplug script is done (as connect_be() waits for it)
 * also gets our Connected, which is what xen-netback connects on.
 */
static void class_xs(int c)
{
	const struct xsf_kv *bad = &xs_bogus[c - C_XS_QHUGE];
	char before[256], after[256], err[300];
	bool nudged = false;
	uint64_t start, hp = 0;
	int st;

	g.connected = false;
	if (xsf_to_initwait(&xf, INITWAIT_MS)) {
		note("backend not in InitWait, nothing offered");
		xs_report(c, xsf_be_state(&xf), "not looked for", false);
		return;
	}
	xsf_be_error(&xf, before, sizeof(before));
	if (new_rings() || publish_bad(bad->key, bad->val)) {
		note("cannot write the configuration");
		xs_reset();
		xs_report(c, xsf_be_state(&xf), "not looked for", false);
		return;
	}
	start = xsf_now_ms();
	for (;;) {
		st = xsf_wait_be(&xf, XSF_BIT(Connected) | XSF_BIT(Closing) | XSF_BIT(Closed), 250);
		if (st >= 0 || xsf_stop || xsf_now_ms() - start >= REFUSE_MS)
			break;
		if (nudged)
			continue;
		if (!hp && hotplug_done())
			hp = xsf_now_ms();
		if ((hp && xsf_now_ms() - hp >= FE_CONNECTED_MS) ||
		    xsf_now_ms() - start >= REFUSE_MS / 2) {
			note("backend still in state %d: writing Connected too", xsf_be_state(&xf));
			if (!xsf_fe_state(&xf, XenbusStateConnected))
				break;
			nudged = true;
		}
	}
	if (st < 0) {
		st = xsf_be_state(&xf);
		if (!xsf_stop && st != XenbusStateConnected)
			note("backend neither refused nor connected in %u s", REFUSE_MS / 1000);
	}
	if (st == XenbusStateConnected)
		note("backend went Connected with %s/%s %s", xf.fe, bad->key,
		     bad->val ? bad->val : "missing");
	xsf_be_error(&xf, after, sizeof(after));
	snprintf(err, sizeof(err), "%s%s", after,
		 after[0] == '"' && !strcmp(before, after) ? " (already there before)" : "");
	if (xsf_stop)
		note("interrupted");
	if (!xs_reset())
		note("reset: backend not back in InitWait; the next handshake cycles it");
	xs_report(c, st, err, st != XenbusStateConnected && !xsf_stop);
}

static void run_class(int c)
{
	g.notes = 0;
	if (xsf_not_run(&xf, cls[c].name))
		return;
	switch (cls[c].kind) {
	case K_VALID:
		if (ensure_conn(false)) {
			struct tally t = { 0 };

			note("no connection to the backend");
			report(c, &t, xsf_be_state(&xf), false);
			return;
		}
		class_valid(c);
		break;
	case K_DROP:
		class_drop(c);
		break;
	case K_FATAL:
		class_fatal(c);
		break;
	case K_FLOOD:
		class_flood(c);
		break;
	case K_STALL:
		class_stall(c);
		break;
	case K_STORM:
		class_storm(c);
		break;
	case K_XS:
		class_xs(c);
		break;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ddnet-hostile [--seconds N] [--only CLASS] [--list] [--count N]\n"
		"                     [--stall-seconds N] [--flood N] [--max-bad-tx N] <vif-devid>\n"
		"Attach to the backend of this guest's vif <vif-devid> (no kernel frontend\n"
		"bound) and send it malformed tx packets.  --list shows the classes.\n");
}

static void list(void)
{
	int i;

	for (i = 0; i < NR_CLASSES; i++)
		printf("%-24s %-5s %s\n", cls[i].name, kind_name[cls[i].kind], cls[i].expect);
}

static bool num_arg(const char *name, const char *s, unsigned int lo, unsigned int hi,
		    unsigned int *v)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || !*s || *end || n < lo || n > hi) {
		fprintf(stderr, "ddnet-hostile: bad --%s %s (%u..%u)\n", name, s, lo, hi);
		return false;
	}
	*v = (unsigned int)n;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "stall-seconds", required_argument, NULL, 'S' },
		{ "flood", required_argument, NULL, 'f' },
		{ "max-bad-tx", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sal = { .sa_handler = on_alarm };
	unsigned int seconds = 180;
	int c, i, only = -1;
	bool xs_ran = false;
	const char *devid;

	while ((c = getopt_long(argc, argv, "s:o:lc:S:f:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!num_arg("seconds", optarg, 1, 3600, &seconds))
				return 2;
			break;
		case 'o':
			for (i = 0; i < NR_CLASSES; i++)
				if (!strcmp(optarg, cls[i].name))
					only = i;
			if (only < 0) {
				fprintf(stderr, "ddnet-hostile: unknown class %s (see --list)\n",
					optarg);
				return 2;
			}
			break;
		case 'l':
			list();
			return 0;
		case 'c':
			if (!num_arg("count", optarg, 1, MAX_PKTS / 2 - 1, &opt.count))
				return 2;
			break;
		case 'S':
			if (!num_arg("stall-seconds", optarg, 1, 600, &opt.stall_s))
				return 2;
			break;
		case 'f':
			if (!num_arg("flood", optarg, 1, 100000, &opt.flood))
				return 2;
			break;
		case 'm':
			if (!num_arg("max-bad-tx", optarg, 2, 100000, &opt.max_bad))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	devid = optind == argc - 1 ? argv[optind] : "";
	if (!xsf_device_id(devid)) {
		usage(stderr);
		return 2;
	}
	xsf_start(&xf, seconds);
	sigaction(SIGALRM, &sal, NULL);
	/* The watchdog: the budget, a stall, the final reconnect and slack. */
	alarm(seconds + opt.stall_s + 180);
	g.rx_feed = true;

	if (attach(devid)) {
		fprintf(stderr, "ddnet-hostile: attach failed\n");
		detach();
		return 1;
	}
	/* The xenstore classes, each leaving the backend in InitWait. */
	for (i = C_XS_QHUGE; i < NR_CLASSES; i++) {
		if (only < 0 || only == i) {
			run_class(i);
			xs_ran = true;
		}
	}
	/* The connection the other classes start on gets its full time after them. */
	if (connect_be(NR_RX, xs_ran ? SETUP_MS : xsf_budget_ms(&xf, SETUP_MS))) {
		fprintf(stderr, "ddnet-hostile: attach failed\n");
		detach();
		return 1;
	}
	for (i = 0; i < C_XS_QHUGE; i++)
		if (only < 0 || only == i)
			run_class(i);
	/* valid again: the backend still serves after all that. */
	if (only != C_VALID) {
		if (xf.deadline < xsf_now_ms() + 1000)
			xf.deadline = xsf_now_ms() + 1000;
		run_class(C_VALID);
	}
	printf("hostile: rx: %lu buffers posted, %lu answers, %lu packets, %lu bytes, %lu errors, %lu bad\n",
	       g.rx_posted, g.rx_done, g.rx_pkts, g.rx_bytes, g.rx_err, g.rx_bad);
	c = xsf_summary(&xf);
	detach();
	return c;
}
