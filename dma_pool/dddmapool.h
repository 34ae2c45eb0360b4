/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dddmapool: what the pool, the DMA operations, the device attachment and
 * the statistics share.
 */
#ifndef DDSTACK_DDDMAPOOL_H
#define DDSTACK_DDDMAPOOL_H

#include <linux/atomic.h>
#include <linux/dma-map-ops.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "ddp_logic.h"

#define DDP_NAME	"dddmapool"

/**
 * struct ddp_pool_chunk - one 1:1 machine-contiguous piece of the pool
 * @c: bus address, size and slot bookkeeping (pure logic)
 * @lock: protects @c.slots
 * @node: in the list of chunks
 * @vaddr: kernel address of the first byte (direct map)
 * @first_pfn: first pfn (== first machine frame)
 * @order: 2^@order pages
 * @identity: the chunk is the page allocator block that Xen backed 1:1
 *	(freed with free_pages()); otherwise it was claimed with
 *	alloc_contig_range() (freed with free_contig_range())
 */
struct ddp_pool_chunk {
	struct ddp_chunk c;
	spinlock_t lock;	/* protects c.slots */
	struct list_head node;
	void *vaddr;
	unsigned long first_pfn;
	unsigned int order;
	bool identity;
};

/**
 * struct ddp_stats - counters shown in sysfs and debugfs
 * @direct_maps: streaming mappings handed out in place
 * @direct_bytes: bytes of those
 * @bounce_maps: streaming mappings bounced through the pool
 * @bounce_bytes: bytes of those
 * @alloc_failures: coherent allocations refused
 * @map_failures: streaming mappings refused
 * @coherent_allocs_live: coherent allocations not freed yet
 * @bounces_live: bounce mappings not unmapped yet
 * @build_failures: failed steps while building the pool
 * @lowmem_moved_bytes: free memory exchanged below the limit at load
 * @lowmem_already_bytes: free memory the move found below the limit
 * @lowmem_busy_bytes: memory the move left where it was (in use, not movable)
 * @reused_bytes: pool memory found 1:1 already at load (an earlier pool)
 * @bounce_above_mask: bounced because the buffer lies above the device's mask
 * @bounce_scattered: bounced because its pages are not machine-contiguous
 */
struct ddp_stats {
	atomic64_t direct_maps;
	atomic64_t direct_bytes;
	atomic64_t bounce_maps;
	atomic64_t bounce_bytes;
	atomic64_t alloc_failures;
	atomic64_t map_failures;
	atomic64_t coherent_allocs_live;
	atomic64_t bounces_live;
	atomic64_t build_failures;
	atomic64_t lowmem_moved_bytes;
	atomic64_t lowmem_already_bytes;
	atomic64_t lowmem_busy_bytes;
	atomic64_t reused_bytes;
	atomic64_t bounce_above_mask;
	atomic64_t bounce_scattered;
};

extern struct ddp_stats ddp_stats;

/* pool.c */
int ddp_pool_build(unsigned int pool_mb, unsigned int addr_bits,
		   unsigned int chunk_order);
void ddp_lowmem_move(unsigned int lowmem_mb, unsigned int addr_bits);
void ddp_pool_destroy(void);
u64 ddp_pool_bytes(void);
u64 ddp_pool_free_bytes(void);
unsigned int ddp_pool_chunks(void);
u64 ddp_pool_largest(void);
u64 ddp_pool_end(void);
int ddp_pool_get(const struct ddp_geom *g, u64 mask,
		 struct ddp_pool_chunk **chunk, u64 *start);
void ddp_pool_put(struct ddp_pool_chunk *pc, u64 start, u64 bytes);
struct ddp_pool_chunk *ddp_pool_chunk_find(u64 addr);
u64 ddp_pool_hold(u64 bytes);
u64 ddp_pool_held(void);
u64 ddp_free_above(void);

/**
 * ddp_pool_va() - kernel address of a bus address of a chunk
 * @pc: chunk
 * @bus: bus address inside @pc
 *
 * Return: the address in the direct map.
 */
static inline void *ddp_pool_va(const struct ddp_pool_chunk *pc, u64 bus)
{
	return pc->vaddr + (bus - pc->c.base);
}

/* ops.c */
extern const struct dma_map_ops ddp_dma_ops;
void ddp_ops_setup(void);

/* attach.c */
int ddp_attach_start(const struct ddp_attach *rules);
void ddp_attach_stop(void);
ssize_t ddp_attach_list(char *buf);

/* stats.c */
void ddp_stats_reset(void);
int ddp_stats_start(void);
void ddp_stats_stop(void);

#endif /* DDSTACK_DDDMAPOOL_H */
