/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddnetfront: Xen network frontend ("vif") giving a guest ethN devices.
 *
 * xenbus.c  negotiation and life cycle (the only file touching xenstore)
 * tx.c      transmit: skb -> granted slots, tx responses -> completions
 * rx.c      receive: posted pages, NAPI poll, checked responses -> skbs
 * dev.c     net_device ops, ethtool ops, queue setup and teardown
 * stats.c   counters: ethtool -S and ndo_get_stats64
 */
#ifndef DDNETFRONT_COMMON_H
#define DDNETFRONT_COMMON_H

#include <linux/atomic.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/u64_stats_sync.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <xen/interface/io/netif.h>
#include <ddstack/ddcore.h>
#include <ddstack/ddnet_proto.h>

#define DDNF_NAME		"ddnetfront"
#define DDNF_MAX_QUEUES_CAP	16
#define DDNF_TX_RING_SIZE	__CONST_RING_SIZE(xen_netif_tx, XEN_PAGE_SIZE)
#define DDNF_RX_RING_SIZE	__CONST_RING_SIZE(xen_netif_rx, XEN_PAGE_SIZE)
/* Ring slots one tx packet may need: data slots plus one GSO extra. */
#define DDNF_TX_PKT_SLOTS	(XEN_NETIF_NR_SLOTS_MIN + 1)
/* Ring slots one rx packet may span before it is "too long". */
#define DDNF_RX_SCAN_MAX	(DDNET_RX_SLOTS_MAX + DDNET_MAX_EXTRAS)
/* Requests are pushed when at least this many can be (re)posted. */
#define DDNF_RX_BATCH		32
/* Below this many posted buffers a failed refill is retried by timer. */
#define DDNF_RX_LOW		64
/* Bytes copied into the skb's linear area; the rest stays in pages. */
#define DDNF_RX_COPY		256
/* Largest packet either ring carries, Ethernet header included. */
#define DDNF_MAX_PKT		XEN_NETIF_MAX_TX_SIZE
#define DDNF_NO_GREF		((grant_ref_t)~0U)
/* Restarts as a new frontend without ever getting the carrier on. */
#define DDNF_MAX_RESTARTS	8

/* Module parameters (xenbus.c). */
extern unsigned int ddnf_max_queues;
extern unsigned int ddnf_max_bad_rsp;
extern bool ddnf_feature_sg;
extern bool ddnf_feature_gso;
extern bool ddnf_feature_csum;
extern bool ddnf_trusted;

/**
 * struct ddnf_qstats - per queue counters
 * @tx_syncp: guards the tx_* fields (writers hold the queue's tx_lock)
 * @rx_syncp: guards the rx_* fields (written by NAPI poll only)
 * @tx_packets: packets put on the ring
 * @tx_bytes: their bytes
 * @tx_linearized: skbs linearized because they needed too many slots
 * @tx_dropped_slots: skbs dropped because they still needed too many slots
 * @tx_dropped: skbs dropped for other reasons (no link, no memory, no grant)
 * @tx_ring_full: times the queue was stopped for lack of ring space
 * @tx_rsp_error: tx responses with an error or dropped status
 * @tx_bad_id: tx responses with an id outside the ring (DDNET_RSP_V_BAD_ID)
 * @tx_not_pending: tx responses for an id not in flight
 * @tx_bad_status: tx responses with an impossible status
 * @rx_packets: packets handed to the stack
 * @rx_bytes: their bytes
 * @rx_dropped: packets dropped, whatever the reason
 * @rx_bad_id: rx responses whose id is not the slot's request id
 * @rx_bad_offset: rx data beyond its page
 * @rx_bad_flags: unknown flags, or an extra announced where none may be
 * @rx_bad_status: impossible negative status
 * @rx_bad_extra: extra-info slots of unknown type or bad GSO values
 * @rx_too_long: packets over DDNET_RX_SLOTS_MAX slots or 64 KiB
 * @rx_error_status: packets the backend reported as errors
 * @rx_runt: packets shorter than an Ethernet header
 * @rx_csum_fixup: GSO packets without csum_blank given a partial checksum
 * @rx_refill_failed: rx buffers that could not be allocated or granted
 */
struct ddnf_qstats {
	struct u64_stats_sync tx_syncp;
	struct u64_stats_sync rx_syncp;
	u64 tx_packets;
	u64 tx_bytes;
	u64 tx_linearized;
	u64 tx_dropped_slots;
	u64 tx_dropped;
	u64 tx_ring_full;
	u64 tx_rsp_error;
	u64 tx_bad_id;
	u64 tx_not_pending;
	u64 tx_bad_status;
	u64 rx_packets;
	u64 rx_bytes;
	u64 rx_dropped;
	u64 rx_bad_id;
	u64 rx_bad_offset;
	u64 rx_bad_flags;
	u64 rx_bad_status;
	u64 rx_bad_extra;
	u64 rx_too_long;
	u64 rx_error_status;
	u64 rx_runt;
	u64 rx_csum_fixup;
	u64 rx_refill_failed;
};

/**
 * struct ddnf_tx_buf - one tx request id in flight
 * @skb: the packet (each slot holds its own reference)
 * @gref: grant of the page the slot points into
 * @page: that page (for the record; owned by @skb)
 * @next_free: next free id while on the free list
 */
struct ddnf_tx_buf {
	struct sk_buff *skb;
	grant_ref_t gref;
	struct page *page;
	unsigned int next_free;
};

/**
 * struct ddnf_rx_buf - one posted rx buffer (slot index = request id)
 * @page: page granted writable to the backend, NULL if the slot is empty
 * @gref: its grant reference
 */
struct ddnf_rx_buf {
	struct page *page;
	grant_ref_t gref;
};

struct ddnf_info;

/**
 * struct ddnf_queue - one tx/rx ring pair, one NAPI context
 * @info: owning device
 * @idx: queue index
 * @up: rings, grants and event channels are set up
 * @napi_on: @napi is enabled
 * @napi: NAPI context (rx responses, refill)
 * @tx_lock: protects the tx ring, @tx_buf, @tx_pending, the free id list and
 *	@gref_tx_head; taken with interrupts off (the tx interrupt takes it)
 * @tx: tx front ring
 * @tx_fring: tx ring page and its grant
 * @tx_buf: per id state
 * @tx_pending: per id, 1 while in flight (checked on every tx response)
 * @tx_free_head: first free id (DDNF_TX_RING_SIZE: none)
 * @tx_free_count: free ids
 * @gref_tx_head: pool of grant references for tx slots
 * @rx: rx front ring (NAPI context only once up)
 * @rx_fring: rx ring page and its grant
 * @rx_buf: per slot posted buffers
 * @gref_rx_head: pool of grant references for rx buffers
 * @rx_stalled: the last poll stopped at an incomplete packet
 * @rx_stall_prod: response producer seen then
 * @tx_evt_prod: tx response producer seen by the last tx event (handler only)
 * @rx_evt_prod: rx response producer seen by the last rx event (handler only)
 * @refill_timer: retries a failed refill
 * @tx_evtchn: tx (or shared) event channel
 * @rx_evtchn: rx event channel (== @tx_evtchn without split channels)
 * @tx_irq: irq of @tx_evtchn
 * @rx_irq: irq of @rx_evtchn (== @tx_irq without split channels)
 * @tx_irq_name: interrupt name
 * @rx_irq_name: interrupt name
 * @st: counters
 */
struct ddnf_queue {
	struct ddnf_info *info;
	unsigned int idx;
	bool up;
	bool napi_on;
	struct napi_struct napi;

	spinlock_t tx_lock; /* see @tx_lock above */
	struct xen_netif_tx_front_ring tx;
	struct ddcore_fring tx_fring;
	struct ddnf_tx_buf tx_buf[DDNF_TX_RING_SIZE];
	u8 tx_pending[DDNF_TX_RING_SIZE];
	unsigned int tx_free_head;
	unsigned int tx_free_count;
	grant_ref_t gref_tx_head;

	struct xen_netif_rx_front_ring rx;
	struct ddcore_fring rx_fring;
	struct ddnf_rx_buf rx_buf[DDNF_RX_RING_SIZE];
	grant_ref_t gref_rx_head;
	bool rx_stalled;
	RING_IDX rx_stall_prod;
	RING_IDX tx_evt_prod;
	RING_IDX rx_evt_prod;
	struct timer_list refill_timer;

	evtchn_port_t tx_evtchn;
	evtchn_port_t rx_evtchn;
	int tx_irq;
	int rx_irq;
	char tx_irq_name[IFNAMSIZ + 16];
	char rx_irq_name[IFNAMSIZ + 16];

	struct ddnf_qstats st;
};

/**
 * struct ddnf_info - one virtual network interface (netdev private data)
 * @xbdev: xenbus device
 * @netdev: the net_device
 * @queues: @nr_alloc entries, allocated at probe, freed at remove
 * @nr_alloc: queues allocated (module parameter max_queues)
 * @nr_queues: queues negotiated with the backend (0: not set up)
 * @rings_up: every negotiated queue is set up (rtnl held to change)
 * @connected: the backend is Connected: carrier may be on, packets flow
 * @broken: the backend violated the protocol too often; nothing flows
 *	until it reconnects
 * @failed: our own setup failed fatally; do not restart by ourselves
 * @bounce: the backend is not trusted: each packet sent is copied into
 *	zeroed pages of its own first, so the backend sees nothing else
 * @ever_connected: a connection was set up before (counts reconnects)
 * @restarts: restarts as a new frontend since the carrier was last on
 * @be_watch: our "backend" node: the toolstack points it at a new backend
 *	when the driver domain restarts as a new domain
 * @split_evtchn: separate tx and rx event channels negotiated
 * @be_sg: backend offers feature-sg
 * @be_gso4: backend offers feature-gso-tcpv4
 * @be_gso6: backend offers feature-gso-tcpv6
 * @be_ipv6_csum: backend offers feature-ipv6-csum-offload
 * @rx_gso4: we published feature-gso-tcpv4 (GSO extras accepted on rx)
 * @rx_gso6: we published feature-gso-tcpv6
 * @bad_rsp: protocol violations seen in this connection
 * @spurious_events: events that came with no new response (throttled by
 *	late EOI)
 * @grants_leaked: grants (and their pages) never given back because the
 *	backend still had them in use when we ended access
 * @backend_reconnects: connections set up after the first one
 */
struct ddnf_info {
	struct xenbus_device *xbdev;
	struct net_device *netdev;
	struct ddnf_queue *queues;
	unsigned int nr_alloc;
	unsigned int nr_queues;
	bool rings_up;
	bool connected;
	bool broken;
	bool failed;
	bool bounce;
	bool ever_connected;
	unsigned int restarts;
	struct xenbus_watch be_watch;
	bool split_evtchn;
	bool be_sg;
	bool be_gso4;
	bool be_gso6;
	bool be_ipv6_csum;
	bool rx_gso4;
	bool rx_gso6;
	atomic_t bad_rsp;
	atomic64_t spurious_events;
	atomic64_t grants_leaked;
	u64 backend_reconnects;
};

/* dev.c */
struct net_device *ddnf_netdev_alloc(struct xenbus_device *dev, const u8 *mac);
void ddnf_netdev_free(struct ddnf_info *info);
int ddnf_queue_setup(struct ddnf_queue *q);
void ddnf_queue_teardown(struct ddnf_queue *q);
void ddnf_data_start(struct ddnf_info *info);
void ddnf_data_stop(struct ddnf_info *info);
void ddnf_broken(struct ddnf_info *info, const char *why);
void ddnf_bad_rsp(struct ddnf_queue *q, const char *dir, enum ddnet_rsp_verdict v);
void ddnf_eoi(struct ddnf_queue *q, int irq, bool work);

/* tx.c */
netdev_tx_t ddnf_start_xmit(struct sk_buff *skb, struct net_device *dev);
int ddnf_tx_init(struct ddnf_queue *q);
void ddnf_tx_gc(struct ddnf_queue *q);
void ddnf_tx_reclaim(struct ddnf_queue *q);
irqreturn_t ddnf_tx_interrupt(int irq, void *data);
irqreturn_t ddnf_interrupt(int irq, void *data);
bool ddnf_tx_event(struct ddnf_queue *q);

/* rx.c */
int ddnf_rx_fill(struct ddnf_queue *q, gfp_t gfp);
void ddnf_rx_reclaim(struct ddnf_queue *q);
int ddnf_poll(struct napi_struct *napi, int budget);
void ddnf_refill_timeout(struct timer_list *t);
irqreturn_t ddnf_rx_interrupt(int irq, void *data);
bool ddnf_rx_event(struct ddnf_queue *q);

/* stats.c */
extern const struct ethtool_ops ddnf_ethtool_ops;
void ddnf_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *tot);

/**
 * ddnf_leak() - count a grant (and its page) given up for good
 * @info: device
 */
static inline void ddnf_leak(struct ddnf_info *info)
{
	atomic64_inc(&info->grants_leaked);
}

#endif /* DDNETFRONT_COMMON_H */
