/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddnetback: Xen network backend ("vif") giving a guest a netdev in the
 * driver domain.
 *
 * xenbus.c  negotiation and life cycle (the only file touching xenstore)
 * tx.c      frontend -> DD: NAPI per queue, requests -> grant copies -> skbs
 * rx.c      DD -> frontend: per-queue skb queue and kthread, skbs -> grant
 *           copies into the frontend's posted pages -> responses
 * dev.c     the vifD.H netdev (open, xmit, features, MTU)
 * stats.c   ethtool -S and ndo_get_stats64
 *
 * Naming follows the rings: "tx" is what the frontend transmits (the netdev
 * receives it), "rx" is what the frontend receives (the netdev transmits it).
 */
#ifndef DDNETBACK_COMMON_H
#define DDNETBACK_COMMON_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/u64_stats_sync.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xenbus.h>
#include <xen/interface/io/netif.h>
#include <ddstack/ddcore.h>
#include <ddstack/ddnet_proto.h>

#define DDNB_NAME		"ddnetback"
/* Absolute cap on the max_queues module parameter. */
#define DDNB_MAX_QUEUES_CAP	32
/* Default cap when max_queues is 0: min(online CPUs, this). */
#define DDNB_MAX_QUEUES_DEF	8

/* tx: packets per grant copy batch, and copy operations per batch. */
#define DDNB_TX_BATCH		32
/*
 * Copy operations of one tx packet, at most: one per data slot, plus one per
 * destination page boundary (linear area: 2 pieces, one per frag page).
 */
#define DDNB_TX_PKT_OPS		(DDNET_TX_SLOTS_FATAL + 2 + MAX_SKB_FRAGS + 1)
#define DDNB_TX_COPY_OPS	256
/* Bytes of a tx packet copied into the skb's linear area. */
#define DDNB_TX_LINEAR		256u

/* rx: skbs per grant copy batch, and copy operations per batch. */
#define DDNB_RX_BATCH		32
#define DDNB_RX_COPY_OPS	256
/* Data slots one rx packet may use (one page each). */
#define DDNB_RX_MAX_SLOTS	min_t(unsigned int, XEN_NETIF_NR_SLOTS_MIN, DDNET_RX_SLOTS_MAX)

/* Bits of ddnb_queue.eoi: which side still owes the late EOI. */
#define DDNB_EOI_TX		BIT(0)
#define DDNB_EOI_RX		BIT(1)

/* Module parameters (xenbus.c). */
extern unsigned int ddnb_max_queues;
extern unsigned int ddnb_max_bad_tx;
extern unsigned int ddnb_rx_queue_max;
extern unsigned int ddnb_rx_stall_ms;

/**
 * enum ddnb_stat - ethtool -S counters of one vif (names in stats.c)
 * @DDNB_ST_TX_PACKETS: packets from the frontend handed to the stack
 * @DDNB_ST_TX_BYTES: their bytes
 * @DDNB_ST_TX_GCOPY_OPS: grant copy operations for tx packets
 * @DDNB_ST_TX_GCOPY_ERR: tx packets answered with an error: a copy failed
 * @DDNB_ST_TX_BAD_SIZE: dropped, DDNET_TX_E_SIZE
 * @DDNB_ST_TX_BAD_SLOTS: dropped, DDNET_TX_E_SLOTS
 * @DDNB_ST_TX_BAD_GREF: dropped, DDNET_TX_E_GREF
 * @DDNB_ST_TX_BAD_FLAGS: dropped, DDNET_TX_E_FLAGS
 * @DDNB_ST_TX_BAD_GSO: dropped, DDNET_TX_E_GSO (or GSO headers unusable)
 * @DDNB_ST_TX_BAD_EXTRA_DUP: dropped, DDNET_TX_E_EXTRA_DUP
 * @DDNB_ST_TX_FATAL: fatal protocol violations (frontend disconnected)
 * @DDNB_ST_TX_CSUM_ERR: dropped, checksum offload headers unusable
 * @DDNB_ST_TX_ALLOC_ERR: dropped, no memory for the skb
 * @DDNB_ST_TX_MCAST: multicast control extras answered (and ignored)
 * @DDNB_ST_RX_PACKETS: packets delivered to the frontend
 * @DDNB_ST_RX_BYTES: their bytes
 * @DDNB_ST_RX_GCOPY_OPS: grant copy operations for rx packets
 * @DDNB_ST_RX_GCOPY_ERR: rx packets answered with an error: a copy failed
 * @DDNB_ST_RX_RING_FULL: times a packet waited for rx requests
 * @DDNB_ST_RX_QUEUE_FULL: dropped, queue at rx_queue_max
 * @DDNB_ST_RX_STALL_DROPS: dropped, queued longer than rx_stall_ms
 * @DDNB_ST_RX_OVERSIZE: dropped, more slots or a GSO type the frontend
 *	cannot take (or no memory to linearise / checksum it for the frontend)
 * @DDNB_ST_RX_DOWN_DROPS: dropped, vif not connected
 * @DDNB_ST_DISCONNECTS: frontends disconnected for misbehaving
 * @DDNB_ST_NR: number of counters
 */
enum ddnb_stat {
	DDNB_ST_TX_PACKETS,
	DDNB_ST_TX_BYTES,
	DDNB_ST_TX_GCOPY_OPS,
	DDNB_ST_TX_GCOPY_ERR,
	DDNB_ST_TX_BAD_SIZE,
	DDNB_ST_TX_BAD_SLOTS,
	DDNB_ST_TX_BAD_GREF,
	DDNB_ST_TX_BAD_FLAGS,
	DDNB_ST_TX_BAD_GSO,
	DDNB_ST_TX_BAD_EXTRA_DUP,
	DDNB_ST_TX_FATAL,
	DDNB_ST_TX_CSUM_ERR,
	DDNB_ST_TX_ALLOC_ERR,
	DDNB_ST_TX_MCAST,
	DDNB_ST_RX_PACKETS,
	DDNB_ST_RX_BYTES,
	DDNB_ST_RX_GCOPY_OPS,
	DDNB_ST_RX_GCOPY_ERR,
	DDNB_ST_RX_RING_FULL,
	DDNB_ST_RX_QUEUE_FULL,
	DDNB_ST_RX_STALL_DROPS,
	DDNB_ST_RX_OVERSIZE,
	DDNB_ST_RX_DOWN_DROPS,
	DDNB_ST_DISCONNECTS,
	DDNB_ST_NR
};

/**
 * struct ddnb_counters - counters with a single writer
 * @syncp: u64_stats sequence for readers
 * @v: values, indexed by enum ddnb_stat
 */
struct ddnb_counters {
	struct u64_stats_sync syncp;
	u64_stats_t v[DDNB_ST_NR];
};

/**
 * struct ddnb_tx_pend - one tx packet of a grant copy batch
 * @skb: skb being filled, NULL when the packet is answered without one
 * @status: XEN_NETIF_RSP_* for every data slot
 * @op0: first copy operation of the packet
 * @nr_ops: copy operations of the packet
 * @pkt: the packet as ddnet_tx_parse() delimited it
 */
struct ddnb_tx_pend {
	struct sk_buff *skb;
	s16 status;
	unsigned int op0;
	unsigned int nr_ops;
	struct ddnet_tx_pkt pkt;
};

/**
 * struct ddnb_rx_pend - one rx packet of a grant copy batch
 * @skb: packet
 * @first: ring index of its first slot
 * @nr_data: data slots (one granted page each)
 * @flags: DDNET_RXF_* of the first response (without MORE_DATA)
 * @gso_type: XEN_NETIF_GSO_TYPE_* announced in an extra slot, or NONE
 * @gso_size: GSO segment size
 * @op0: first copy operation
 * @nr_ops: copy operations
 * @err: not every byte got a copy operation (answered with an error)
 * @ids: request id of each data slot
 */
struct ddnb_rx_pend {
	struct sk_buff *skb;
	RING_IDX first;
	unsigned int nr_data;
	u16 flags;
	u8 gso_type;
	u16 gso_size;
	unsigned int op0;
	unsigned int nr_ops;
	bool err;
	u16 ids[XEN_NETIF_NR_SLOTS_MIN];
};

/**
 * struct ddnb_rx_cb - what an skb carries while queued for the frontend
 * @expires: jiffies after which it is dropped as stalled
 * @prepared: checksum/linearising done once already
 */
struct ddnb_rx_cb {
	unsigned long expires;
	bool prepared;
};

#define DDNB_RX_CB(skb)	((struct ddnb_rx_cb *)(skb)->cb)

struct ddnb_vif;

/**
 * struct ddnb_queue - one queue: a tx ring, an rx ring and their workers
 * @vif: owning vif
 * @id: queue index (and netdev tx queue index)
 * @tx_irq_name: name of the tx (or only) interrupt
 * @rx_irq_name: name of the rx interrupt (split event channels)
 * @tx_bring: mapped tx ring page
 * @tx: tx back ring
 * @tx_irq: tx (or shared) interrupt, 0 if not bound
 * @napi: tx NAPI context
 * @napi_on: @napi is enabled
 * @tx_win_n: slots in @tx_win, copied from the ring at tx.req_cons onwards
 * @tx_win: tx ring slots copied once, not consumed yet
 * @tx_pend: packets of the current copy batch
 * @tx_ops: copy operations of the current batch
 * @rx_bring: mapped rx ring page
 * @rx: rx back ring
 * @rx_irq: rx interrupt (equal to @tx_irq without split event channels)
 * @rx_task: rx kthread
 * @rx_wq: where @rx_task waits
 * @rx_queue: skbs waiting for the frontend (bounded by rx_queue_max)
 * @rx_wait_slots: slots the head skb waits for, 0 when not waiting
 * @rx_pend: packets of the current rx copy batch
 * @rx_ops: copy operations of the current rx batch
 * @eoi: DDNB_EOI_* bits: sides that still owe the late EOI
 * @broken: frontend violated the protocol; queue no longer served
 * @txc: counters written by the NAPI poll
 * @rxc: counters written by the rx kthread
 * @rx_queue_full: xmit-side drops, queue full
 * @rx_down_drops: xmit-side drops, vif not connected (and purges)
 */
struct ddnb_queue {
	struct ddnb_vif *vif;
	unsigned int id;
	char tx_irq_name[IFNAMSIZ + 16];
	char rx_irq_name[IFNAMSIZ + 16];

	struct ddcore_bring tx_bring;
	struct xen_netif_tx_back_ring tx;
	int tx_irq;
	struct napi_struct napi;
	bool napi_on;
	unsigned int tx_win_n;
	union ddnet_slot tx_win[DDNET_TX_SCAN_MAX];
	struct ddnb_tx_pend tx_pend[DDNB_TX_BATCH];
	struct gnttab_copy tx_ops[DDNB_TX_COPY_OPS];

	struct ddcore_bring rx_bring;
	struct xen_netif_rx_back_ring rx;
	int rx_irq;
	struct task_struct *rx_task;
	wait_queue_head_t rx_wq;
	struct sk_buff_head rx_queue;
	unsigned int rx_wait_slots;
	struct ddnb_rx_pend rx_pend[DDNB_RX_BATCH];
	struct gnttab_copy rx_ops[DDNB_RX_COPY_OPS];

	atomic_t eoi;
	bool broken;
	struct ddnb_counters txc;
	struct ddnb_counters rxc;
	atomic64_t rx_queue_full;
	atomic64_t rx_down_drops;
};

/**
 * struct ddnb_vif - one virtual interface (netdev private data)
 * @dev: xenbus device
 * @ndev: the vifD.H netdev
 * @lock: serialises life cycle changes
 * @hotplug_watch: watch on our hotplug-status node
 * @watching: @hotplug_watch is registered
 * @hotplug_ok: the hotplug script wrote hotplug-status = connected
 * @rings_ready: every queue is mapped and running
 * @connected: Connected, carrier on: xmit may queue packets
 * @domid: frontend domain
 * @handle: device handle
 * @max_queues: queues allocated (module parameter at probe)
 * @nr_queues: queues connected
 * @queues: queue array (@max_queues entries, kept across reconnects)
 * @split_evtchn: the frontend uses separate tx and rx event channels
 * @fe_sg: frontend takes multi-slot rx packets
 * @fe_gso_v4: frontend takes TCPv4 GSO rx packets
 * @fe_gso_v6: frontend takes TCPv6 GSO rx packets
 * @fe_csum: frontend takes rx packets with a blank (partial) IPv4 checksum
 * @fe_ipv6_csum: the same for IPv6
 * @bad_tx: dropped (DDNET_TX_E_*) tx packets of this connection
 * @fatal_reason: why a data path asked for a forced disconnect (static)
 * @fatal_gen: @gen of the connection @fatal_reason is about
 * @gen: connection generation, bumped at every connect
 * @fatal_work: performs the forced disconnect in process context
 * @disconnects: forced disconnects
 */
struct ddnb_vif {
	struct xenbus_device *dev;
	struct net_device *ndev;
	struct mutex lock;
	struct xenbus_watch hotplug_watch;
	bool watching;
	bool hotplug_ok;
	bool rings_ready;
	bool connected;
	unsigned int domid;
	unsigned int handle;
	unsigned int max_queues;
	unsigned int nr_queues;
	struct ddnb_queue *queues;
	bool split_evtchn;
	bool fe_sg;
	bool fe_gso_v4;
	bool fe_gso_v6;
	bool fe_csum;
	bool fe_ipv6_csum;
	atomic_t bad_tx;
	const char *fatal_reason;
	unsigned int fatal_gen;
	unsigned int gen;
	struct work_struct fatal_work;
	atomic64_t disconnects;
};

/* tx.c */
int ddnb_tx_poll(struct napi_struct *napi, int budget);
irqreturn_t ddnb_tx_interrupt(int irq, void *data);
bool ddnb_tx_kick(struct ddnb_queue *q);

/* rx.c */
int ddnb_rx_thread(void *arg);
irqreturn_t ddnb_rx_interrupt(int irq, void *data);
bool ddnb_rx_kick(struct ddnb_queue *q);
netdev_tx_t ddnb_start_xmit(struct sk_buff *skb, struct net_device *ndev);
void ddnb_rx_purge(struct ddnb_queue *q);

/* xenbus.c (shared by both data paths) */
irqreturn_t ddnb_interrupt(int irq, void *data);
void ddnb_eoi(struct ddnb_queue *q, unsigned int bit);
void ddnb_fatal(struct ddnb_queue *q, const char *reason);

/* dev.c */
struct net_device *ddnb_netdev_alloc(struct xenbus_device *dev,
				     unsigned int domid, unsigned int handle,
				     unsigned int max_queues);
void ddnb_netdev_set_mtu(struct ddnb_vif *vif, unsigned int mtu);

/* stats.c */
extern const struct ethtool_ops ddnb_ethtool_ops;
void ddnb_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s);
void ddnb_counters_init(struct ddnb_counters *c);

/**
 * ddnb_count() - add to a counter of a single-writer set
 * @c: counters (@c->syncp written by the caller's context only)
 * @st: which counter
 * @n: amount
 */
static inline void ddnb_count(struct ddnb_counters *c, enum ddnb_stat st,
			      unsigned long n)
{
	u64_stats_update_begin(&c->syncp);
	u64_stats_add(&c->v[st], n);
	u64_stats_update_end(&c->syncp);
}

/**
 * ddnb_local_addr() - grant copy address of local memory
 * @page: first page of physically contiguous memory
 * @off: byte offset from @page (may exceed a page)
 * @gfn: set to the Xen frame holding that byte
 * @xoff: set to the byte's offset in that frame
 */
static inline void ddnb_local_addr(struct page *page, unsigned int off,
				   xen_pfn_t *gfn, u16 *xoff)
{
	*gfn = pfn_to_gfn(page_to_xen_pfn(page) + (off >> XEN_PAGE_SHIFT));
	*xoff = off & ~XEN_PAGE_MASK;
}

#endif /* DDNETBACK_COMMON_H */
