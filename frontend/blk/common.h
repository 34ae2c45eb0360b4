/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddblkfront: Xen block frontend ("vbd") giving a guest /dev/xvdX disks.
 *
 * xenbus.c  negotiation and life cycle (the only file touching xenstore)
 * ring.c    data path: blk-mq requests -> ring requests, responses -> completions
 * dev.c     gendisk, blk-mq tag set, device numbering
 * stats.c   sysfs statistics
 */
#ifndef DDBLKFRONT_COMMON_H
#define DDBLKFRONT_COMMON_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <xen/interface/io/blkif.h>
#include <ddstack/ddcore.h>
#include <ddstack/ddblk_proto.h>

#define DDBF_NAME		"ddblkfront"
#define DDBF_MAJOR		202
#define DDBF_MAX_QUEUES_CAP	32
#define DDBF_NO_GREF		((grant_ref_t)~0U)

/* Module parameters (xenbus.c). */
extern unsigned int ddbf_max_ring_page_order;
extern unsigned int ddbf_max_queues;
extern unsigned int ddbf_max_indirect_segments;
extern bool ddbf_feature_persistent;
extern bool ddbf_trusted;
extern unsigned int ddbf_reconnect_timeout;

/**
 * enum ddbf_state - whether the data path may run
 * @DDBF_DISCONNECTED: no rings, or rings not yet announced to blk-mq
 * @DDBF_CONNECTED: requests flow
 * @DDBF_BROKEN: the backend violated the protocol; no more I/O
 */
enum ddbf_state {
	DDBF_DISCONNECTED,
	DDBF_CONNECTED,
	DDBF_BROKEN,
};

/**
 * struct ddbf_gnt - a page of our own that carries data to and from the
 * backend: granted for as long as we are connected (persistent grants), or
 * per request when bouncing (untrusted backend without persistent grants)
 * @node: free list linkage
 * @page: the page, zeroed when allocated
 * @gref: its grant reference, DDBF_NO_GREF while not granted
 */
struct ddbf_gnt {
	struct list_head node;
	struct page *page;
	grant_ref_t gref;
};

/**
 * struct ddbf_grant - one grant used by a request in flight
 * @gref: grant reference
 * @pg: persistent grant it came from, or NULL (granted for this request)
 */
struct ddbf_grant {
	grant_ref_t gref;
	struct ddbf_gnt *pg;
};

/**
 * struct ddbf_shadow - what we remember of a request in flight
 * @req: exact copy of the request placed on the ring (kept for replay)
 * @rq: blk-mq request
 * @next_free: free list link (-1 when in use)
 * @nr_sg: data segments
 * @sg: scatterlist of the data (max_segs entries)
 * @grants: grants of the data segments (max_segs entries)
 * @nr_ind: indirect pages used
 * @ind: grants of the indirect pages
 * @ind_page: indirect pages owned by this slot (non-persistent mode)
 */
struct ddbf_shadow {
	struct blkif_request req;
	struct request *rq;
	int next_free;
	unsigned int nr_sg;
	struct scatterlist *sg;
	struct ddbf_grant *grants;
	unsigned int nr_ind;
	struct ddbf_grant ind[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct page *ind_page[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
};

/**
 * struct ddbf_stats - per ring counters (updated under the ring lock)
 * @rd_req: reads
 * @wr_req: writes
 * @f_req: flushes and barriers
 * @ds_req: discards
 * @errors: requests completed with an error
 * @rd_sect: sectors read
 * @wr_sect: sectors written
 */
struct ddbf_stats {
	u64 rd_req;
	u64 wr_req;
	u64 f_req;
	u64 ds_req;
	u64 errors;
	u64 rd_sect;
	u64 wr_sect;
};

struct ddbf_info;

/**
 * struct ddbf_ring - one ring, one blk-mq hardware queue
 * @info: owning device
 * @idx: queue index
 * @lock: protects everything below (taken in queue_rq and the interrupt)
 * @ring: front ring
 * @fring: shared pages and their grants
 * @evtchn: event channel
 * @irq: its interrupt
 * @size: ring slots
 * @shadow: one entry per slot
 * @inflight: what each id is waiting for (checked on every response)
 * @free_head: first free shadow id, -1 if none
 * @gnt_free: free persistent grants
 * @gnt_count: persistent grants allocated
 * @sg: backing store for every shadow's scatterlist
 * @grants: backing store for every shadow's grant array
 * @st: counters
 */
struct ddbf_ring {
	struct ddbf_info *info;
	unsigned int idx;
	spinlock_t lock;
	struct blkif_front_ring ring;
	struct ddcore_fring fring;
	evtchn_port_t evtchn;
	int irq;
	unsigned int size;
	struct ddbf_shadow *shadow;
	struct ddblk_inflight *inflight;
	int free_head;
	struct list_head gnt_free;
	unsigned int gnt_count;
	struct scatterlist *sg;
	struct ddbf_grant *grants;
	struct ddbf_stats st;
};

/**
 * struct ddbf_info - one virtual disk
 * @xbdev: xenbus device
 * @mutex: serialises life cycle changes and statistics readers
 * @vdevice: value of virtual-device
 * @handle: device handle put in requests
 * @vdev: decoded device numbering
 * @gd: the disk, NULL until connected
 * @tag_set: blk-mq tag set
 * @state: enum ddbf_state
 * @nr_rings: rings negotiated
 * @ring_order: ring page order negotiated
 * @rings: ring array
 * @max_indirect: indirect segments usable per request (0: none)
 * @max_segs: segments per request
 * @persistent: persistent grants negotiated
 * @bounce: the backend is not trusted: data only ever goes through our own
 *	pages (&struct ddbf_gnt), never the request's
 * @broken_work: fails every request in flight once the backend is broken
 * @held: the backend went away; the disk stays, its requests are held (queue
 *	quiesced) until a backend connects again or @hold_work gives up
 * @hold_work: fails the held requests after reconnect_timeout seconds
 * @held_since: jiffies when the backend went away
 * @held_rqs: requests taken back from the rings when it went away
 * @reconnects: times a backend connected again after going away
 * @be_watch: our "backend" node: the toolstack points it at a new backend
 *	when the driver domain restarts as a new domain
 * @flush_op: BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER or 0
 * @fua: FUA writes are sent as barriers
 * @discard: discard offered
 * @secure_discard: secure discard offered
 * @discard_granularity: bytes
 * @discard_alignment: bytes
 * @sector_size: logical block size
 * @physical_sector_size: physical block size
 * @sectors: size in 512-byte sectors
 * @vdisk_info: VDISK_* flags
 * @minors_reserved: @vdev minors are reserved
 * @stats_added: statistics directory exists
 * @st_closed: counters of rings already torn down
 */
struct ddbf_info {
	struct xenbus_device *xbdev;
	struct mutex mutex;
	unsigned int vdevice;
	u16 handle;
	struct ddblk_vdev vdev;
	struct gendisk *gd;
	struct blk_mq_tag_set tag_set;
	int state;
	unsigned int nr_rings;
	unsigned int ring_order;
	struct ddbf_ring *rings;
	unsigned int max_indirect;
	unsigned int max_segs;
	bool persistent;
	bool bounce;
	struct work_struct broken_work;
	bool held;
	struct delayed_work hold_work;
	unsigned long held_since;
	unsigned int held_rqs;
	unsigned int reconnects;
	struct xenbus_watch be_watch;
	u8 flush_op;
	bool fua;
	bool discard;
	bool secure_discard;
	unsigned int discard_granularity;
	unsigned int discard_alignment;
	unsigned int sector_size;
	unsigned int physical_sector_size;
	u64 sectors;
	unsigned int vdisk_info;
	bool minors_reserved;
	bool stats_added;
	struct ddbf_stats st_closed;
};

/**
 * struct ddbf_rq - per blk-mq request data
 * @status: completion status
 */
struct ddbf_rq {
	blk_status_t status;
};

/* Whether data goes through our own pages (struct ddbf_gnt) rather than the request's. */
static inline bool ddbf_copying(const struct ddbf_info *info)
{
	return info->persistent || info->bounce;
}

/* ring.c */
int ddbf_ring_alloc(struct ddbf_ring *ring);
void ddbf_ring_free(struct ddbf_ring *ring);
int ddbf_ring_fill_grants(struct ddbf_ring *ring, unsigned int nr);
void ddbf_ring_drain(struct ddbf_ring *ring);
unsigned int ddbf_ring_hold(struct ddbf_ring *ring);
void ddbf_broken_work(struct work_struct *work);
irqreturn_t ddbf_interrupt(int irq, void *data);
blk_status_t ddbf_queue_rq(struct blk_mq_hw_ctx *hctx,
			   const struct blk_mq_queue_data *bd);
void ddbf_complete_rq(struct request *rq);

/* dev.c */
int ddbf_register(void);
void ddbf_unregister(void);
int ddbf_reserve_minors(struct ddbf_info *info);
void ddbf_release_minors(struct ddbf_info *info);
int ddbf_disk_create(struct ddbf_info *info);
void ddbf_disk_destroy(struct ddbf_info *info);
void ddbf_disk_flush_changed(struct ddbf_info *info);

/* stats.c */
int ddbf_stats_add(struct ddbf_info *info);
void ddbf_stats_remove(struct ddbf_info *info);
void ddbf_stats_accumulate(struct ddbf_stats *to, const struct ddbf_stats *from);

#endif /* DDBLKFRONT_COMMON_H */
