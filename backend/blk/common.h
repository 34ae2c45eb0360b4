/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddblkback: Xen block backend ("vbd") serving a block device to a guest.
 *
 * xenbus.c  negotiation and life cycle (the only file touching xenstore)
 * ring.c    data path: one kthread per ring, requests -> bios -> responses
 * persist.c persistent grants and the page pool
 * dev.c     the backing block device (open, properties, resize)
 * stats.c   sysfs statistics
 */
#ifndef DDBLKBACK_COMMON_H
#define DDBLKBACK_COMMON_H

#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <xen/interface/io/blkif.h>
#include <ddstack/ddcore.h>
#include <ddstack/ddblk_proto.h>

#define DDBB_NAME		"ddblkback"
/* Absolute caps on module parameters. */
#define DDBB_MAX_QUEUES_CAP	32
#define DDBB_MAX_PAGE_POOL	1024

/* Module parameters (xenbus.c). */
extern unsigned int ddbb_max_ring_page_order;
extern unsigned int ddbb_max_queues;
extern unsigned int ddbb_max_indirect_segments;
extern unsigned int ddbb_max_persistent_grants;
extern unsigned int ddbb_max_bad_req;

/**
 * struct ddbb_stats - per ring counters (written by the ring thread only)
 * @rd_req: read requests
 * @wr_req: write requests (including barriers)
 * @f_req: flush and barrier requests
 * @ds_req: discard requests
 * @oo_req: times the ring thread ran out of free request slots
 * @errors: requests answered with an error status
 * @bad_req: requests refused as malformed (bad operation, segments,
 *	sectors or grants), a subset of @errors
 * @cutoffs: times a frontend was cut off for breaking the protocol
 * @rd_sect: sectors read
 * @wr_sect: sectors written
 */
struct ddbb_stats {
	u64 rd_req;
	u64 wr_req;
	u64 f_req;
	u64 ds_req;
	u64 oo_req;
	u64 errors;
	u64 bad_req;
	u64 cutoffs;
	u64 rd_sect;
	u64 wr_sect;
};

/**
 * struct ddbb_pgrant - a grant kept mapped across requests
 * @gref: frontend's grant reference
 * @handle: map handle
 * @page: local page the grant is mapped on
 * @lru: position in the ring's LRU list (head is least recent)
 * @in_use: used by a request in flight
 */
struct ddbb_pgrant {
	grant_ref_t gref;
	grant_handle_t handle;
	struct page *page;
	struct list_head lru;
	bool in_use;
};

/**
 * struct ddbb_seg - one data segment of a request in flight
 * @page: page the segment is mapped on
 * @pg: persistent grant providing @page, or NULL
 * @handle: map handle when mapped for this request only
 * @gref: frontend's grant reference
 * @first: first sector in the page
 * @last: last sector in the page
 */
struct ddbb_seg {
	struct page *page;
	struct ddbb_pgrant *pg;
	grant_handle_t handle;
	grant_ref_t gref;
	u8 first;
	u8 last;
};

struct ddbb_ring;

/**
 * struct ddbb_pending - a request being served
 * @ring: owning ring
 * @list: free list or completion list
 * @id: frontend id to echo
 * @op: effective operation to echo
 * @nr_segs: data segments
 * @nr_sects: sectors transferred
 * @bios_left: bios still in flight
 * @status: BLKIF_RSP_* to answer with
 * @segs: segment array (ring->max_segs entries)
 */
struct ddbb_pending {
	struct ddbb_ring *ring;
	struct list_head list;
	u64 id;
	u8 op;
	unsigned int nr_segs;
	unsigned int nr_sects;
	atomic_t bios_left;
	int status;
	struct ddbb_seg *segs;
};

struct ddbb_blkif;

/**
 * struct ddbb_ring - one shared ring and the thread serving it
 * @blkif: owning device
 * @idx: queue index
 * @bring: mapped shared pages
 * @ring: back ring on @bring
 * @irq: late-EOI interrupt
 * @task: ring thread
 * @wq: thread wait queue (events, completions)
 * @more_work: requests may be waiting
 * @eoi_pending: an event was delivered and still needs its EOI
 * @broken: frontend violated the protocol; ring no longer served
 * @bad: malformed requests in this connection (see ddbb_max_bad_req)
 * @done_lock: protects @done_list
 * @done_list: requests whose bios all completed
 * @free_list: free request slots (ring thread only)
 * @pending: request slot array (RING_SIZE entries)
 * @nr_pending: entries in @pending
 * @inflight: requests submitted and not answered
 * @max_segs: segments per request (direct or indirect)
 * @segs: segment array backing every slot
 * @map_ops: scratch map operations
 * @unmap_ops: scratch unmap operations
 * @pages: scratch page array
 * @handles: scratch map handle array
 * @map_idx: scratch: segment index of each map operation
 * @segbuf: scratch: segment descriptors of the request being checked
 * @pgrants: persistent grants by grant reference
 * @pg_lru: persistent grants, least recently used first
 * @pg_count: persistent grants mapped
 * @pg_purge_at: next time a full persistent set may be trimmed
 * @pool: free ballooned pages for grant mapping
 * @pool_n: pages in @pool
 * @st: counters
 */
struct ddbb_ring {
	struct ddbb_blkif *blkif;
	unsigned int idx;
	struct ddcore_bring bring;
	struct blkif_back_ring ring;
	int irq;
	struct task_struct *task;
	wait_queue_head_t wq;
	bool more_work;
	bool eoi_pending;
	bool broken;
	unsigned int bad;
	spinlock_t done_lock;
	struct list_head done_list;
	struct list_head free_list;
	struct ddbb_pending *pending;
	unsigned int nr_pending;
	atomic_t inflight;
	unsigned int max_segs;
	struct ddbb_seg *segs;
	struct gnttab_map_grant_ref *map_ops;
	struct gnttab_unmap_grant_ref *unmap_ops;
	struct page **pages;
	grant_handle_t *handles;
	unsigned int *map_idx;
	struct blkif_request_segment *segbuf;
	struct xarray pgrants;
	struct list_head pg_lru;
	unsigned int pg_count;
	unsigned long pg_purge_at;
	struct page *pool[DDBB_MAX_PAGE_POOL];
	unsigned int pool_n;
	struct ddbb_stats st;
};

/**
 * struct ddbb_blkif - one virtual block device
 * @dev: xenbus device
 * @lock: serialises life cycle changes and statistics readers
 * @pdev_watch: watch on our physical-device node
 * @watching: @pdev_watch is registered
 * @stats_added: statistics directory exists
 * @rings_ready: every ring is mapped
 * @bdev: backing block device, NULL until the hotplug script is done
 * @devt: its number
 * @mode: open mode
 * @readonly: exported read-only
 * @cdrom: frontend asked for a CD-ROM
 * @removable: backing device is removable
 * @lim: limits used to check requests (dev_sectors changes on resize)
 * @sectors: size last published
 * @nr_rings: rings connected
 * @ring_order: negotiated ring page order
 * @persistent: persistent grants negotiated
 * @rings: ring array
 * @resize_work: publishes a new size
 * @st_closed: counters of rings already torn down
 */
struct ddbb_blkif {
	struct xenbus_device *dev;
	struct mutex lock;
	struct xenbus_watch pdev_watch;
	bool watching;
	bool stats_added;
	bool rings_ready;
	struct block_device *bdev;
	dev_t devt;
	fmode_t mode;
	bool readonly;
	bool cdrom;
	bool removable;
	struct ddblk_limits lim;
	u64 sectors;
	unsigned int nr_rings;
	unsigned int ring_order;
	bool persistent;
	struct ddbb_ring *rings;
	struct work_struct resize_work;
	struct ddbb_stats st_closed;
};

/* ring.c */
void ddbb_ring_init(struct ddbb_ring *ring, struct ddbb_blkif *blkif,
		    unsigned int idx);
int ddbb_ring_map(struct ddbb_ring *ring, const char *dir);
int ddbb_ring_start(struct ddbb_ring *ring);
void ddbb_ring_stop(struct ddbb_ring *ring);
void ddbb_ring_unmap(struct ddbb_ring *ring);

/* persist.c */
struct page *ddbb_page_get(struct ddbb_ring *ring);
void ddbb_page_put(struct ddbb_ring *ring, struct page *page);
void ddbb_pool_free(struct ddbb_ring *ring);
struct ddbb_pgrant *ddbb_pg_find(struct ddbb_ring *ring, grant_ref_t gref);
struct ddbb_pgrant *ddbb_pg_add(struct ddbb_ring *ring, grant_ref_t gref,
				grant_handle_t handle, struct page *page);
void ddbb_pg_put(struct ddbb_ring *ring, struct ddbb_pgrant *pg);
void ddbb_pg_purge(struct ddbb_ring *ring, bool all);
void ddbb_unmap_batch(struct ddbb_ring *ring, struct page **pages,
		      grant_handle_t *handles, unsigned int n);

/* dev.c */
int ddbb_dev_open(struct ddbb_blkif *blkif, unsigned int major,
		  unsigned int minor);
void ddbb_dev_close(struct ddbb_blkif *blkif);
void ddbb_dev_check_resize(struct ddbb_blkif *blkif);
unsigned int ddbb_dev_info(const struct ddbb_blkif *blkif);

/* xenbus.c */
void ddbb_resize_work(struct work_struct *work);

/* stats.c */
int ddbb_stats_add(struct ddbb_blkif *blkif);
void ddbb_stats_remove(struct ddbb_blkif *blkif);
void ddbb_stats_accumulate(struct ddbb_stats *to, const struct ddbb_stats *from);

/**
 * ddbb_vaddr() - kernel address a grant is mapped at
 * @page: ballooned page
 *
 * Return: address for gnttab_set_map_op()/gnttab_set_unmap_op().
 */
static inline unsigned long ddbb_vaddr(struct page *page)
{
	return (unsigned long)pfn_to_kaddr(page_to_pfn(page));
}

#endif /* DDBLKBACK_COMMON_H */
