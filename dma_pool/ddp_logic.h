/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dddmapool decisions that do not touch the hardware or the hypervisor:
 * whether a buffer can be handed to a device as it is, where a bounce
 * buffer goes in the pool, what a pool address belongs to, how the pool
 * build and the move of free memory below the address limit react to each
 * step, and which devices to attach to.  Pure
 * functions on plain integers: built in the module and in user space for
 * unit tests.
 */
#ifndef DDSTACK_DDP_LOGIC_H
#define DDSTACK_DDP_LOGIC_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#define DDP_PAGE_SHIFT	12
#define DDP_PAGE_SIZE	((uint64_t)1 << DDP_PAGE_SHIFT)

/* Allocation granule of the pool: one bit of the pool bitmap. */
#define DDP_SLOT_SHIFT	11
#define DDP_SLOT_SIZE	((uint64_t)1 << DDP_SLOT_SHIFT)

/* Largest bounce buffer; also what max_mapping_size reports at most. */
#define DDP_BOUNCE_MAX	((uint64_t)256 << 10)

/* A translation that has no usable machine frame for a pfn. */
#define DDP_NO_FRAME	(~(uint64_t)0)

/* Same values as enum dma_data_direction (checked at build time). */
#define DDP_BIDIRECTIONAL	0
#define DDP_TO_DEVICE		1
#define DDP_FROM_DEVICE		2
#define DDP_NONE		3

/*
 * pfn -> machine frame, or DDP_NO_FRAME.  The module passes the guest's
 * p2m lookup; the unit tests a table.
 */
typedef uint64_t (*ddp_xlate_t)(uint64_t pfn, void *ctx);

/**
 * enum ddp_fit_why - whether a device reaches a buffer in place, or why not
 * @DDP_IN_PLACE: every page on consecutive machine frames below the mask
 * @DDP_ABOVE_MASK: the buffer's machine address lies above the mask
 * @DDP_SCATTERED: its pages are not on consecutive machine frames
 * @DDP_NO_MACHINE_FRAME: a page has no machine frame, or the range wraps
 */
enum ddp_fit_why {
	DDP_IN_PLACE,
	DDP_ABOVE_MASK,
	DDP_SCATTERED,
	DDP_NO_MACHINE_FRAME,
};

enum ddp_fit_why ddp_range_why(uint64_t phys, uint64_t size, uint64_t mask,
			       ddp_xlate_t xlate, void *ctx, uint64_t *dma);
bool ddp_range_direct(uint64_t phys, uint64_t size, uint64_t mask,
		      ddp_xlate_t xlate, void *ctx, uint64_t *dma);

/*
 * A pool may take at most this share of the domain's RAM (1/DDP_POOL_RAM_DIV):
 * the rest of the domain needs memory, and the build holds up to twice the
 * pool while it works.
 */
#define DDP_POOL_RAM_DIV	4

bool ddp_pool_size_ok(uint64_t pool_mb, uint64_t ram_pages);

/**
 * struct ddp_geom - shape of one allocation in the pool
 * @alloc: bytes to allocate (a multiple of DDP_SLOT_SIZE)
 * @align: required alignment of the allocation's bus address (power of 2)
 * @offset: bus address handed to the device minus the allocation's start
 */
struct ddp_geom {
	uint64_t alloc;
	uint64_t align;
	uint64_t offset;
};

int ddp_bounce_geom(uint64_t phys, uint64_t size, uint64_t min_align_mask,
		    struct ddp_geom *g);
int ddp_coherent_geom(uint64_t size, uint64_t max, struct ddp_geom *g);

/**
 * struct ddp_fit - where an allocation may go inside one pool chunk
 * @limit: only slots [0, @limit) lie wholly below the device's mask
 * @align_mask: slot index alignment mask (bitmap_find_next_zero_area_off)
 * @align_off: slot index offset making @align_mask absolute
 */
struct ddp_fit {
	uint64_t limit;
	uint64_t align_mask;
	uint64_t align_off;
};

void ddp_fit_window(uint64_t base, uint64_t nslots, uint64_t mask,
		    uint64_t align, struct ddp_fit *f);

enum ddp_slot_kind {
	DDP_SLOT_FREE = 0,
	DDP_SLOT_BOUNCE,
	DDP_SLOT_COHERENT,
};

/**
 * struct ddp_slot - bookkeeping of one pool slot
 * @orig: head slot of a bounce: pseudo-physical address of the buffer
 * @size: head slot: bytes mapped (bounce) or requested (coherent)
 * @head: every used slot: index of the first slot of its allocation
 * @nslots: head slot: slots in the allocation
 * @offset: head slot: bus address handed out minus allocation start
 * @dir: head slot of a bounce: DMA direction
 * @kind: enum ddp_slot_kind; DDP_SLOT_FREE for unused slots
 */
struct ddp_slot {
	uint64_t orig;
	uint32_t size;
	uint32_t head;
	uint32_t nslots;
	uint32_t offset;
	uint8_t dir;
	uint8_t kind;
};

/**
 * struct ddp_chunk - one machine-contiguous piece of the pool
 * @base: bus address of the first byte (machine == pseudo-physical)
 * @bytes: size (a multiple of DDP_PAGE_SIZE)
 * @slots: @bytes >> DDP_SLOT_SHIFT records
 */
struct ddp_chunk {
	uint64_t base;
	uint64_t bytes;
	struct ddp_slot *slots;
};

/**
 * struct ddp_region - one live allocation of a chunk, as recorded
 * @start: bus address of the allocation
 * @alloc: bytes allocated
 * @dma: bus address handed out (@start + offset)
 * @orig: bounce: pseudo-physical address of the original buffer
 * @size: bytes mapped (bounce) or requested (coherent)
 * @dir: bounce: DMA direction
 * @kind: DDP_SLOT_BOUNCE or DDP_SLOT_COHERENT
 */
struct ddp_region {
	uint64_t start;
	uint64_t alloc;
	uint64_t dma;
	uint64_t orig;
	uint32_t size;
	uint8_t dir;
	uint8_t kind;
};

int ddp_slots_claim(struct ddp_chunk *c, const struct ddp_region *r);
int ddp_slots_find(const struct ddp_chunk *c, uint64_t addr,
		   struct ddp_region *r);
void ddp_slots_release(struct ddp_chunk *c, const struct ddp_region *r);
bool ddp_sync_span(const struct ddp_region *r, uint64_t addr, uint64_t len,
		   uint64_t *off, uint64_t *n);
struct ddp_chunk *ddp_chunk_find(struct ddp_chunk *const *tab, unsigned int n,
				 uint64_t addr);

bool ddp_copy_on_map(int dir);
bool ddp_copy_to_cpu(int dir);
bool ddp_copy_to_device(int dir);

unsigned int ddp_exchange_bits(unsigned int addr_bits, uint64_t ram_end_pfn);

enum ddp_plan {
	DDP_PLAN_CLAIM,		/* claim the target pfns and swap backings */
	DDP_PLAN_IDENTITY,	/* the chunk already is 1:1: keep it */
	DDP_PLAN_REJECT,	/* unusable target: try another chunk */
};

enum ddp_plan ddp_target_plan(uint64_t chunk_pfn, uint64_t mfn,
			      unsigned int order, uint64_t limit_pfn);

enum ddp_step {
	DDP_STEP_OK,		/* chunk added to the pool */
	DDP_STEP_NO_CHUNK,	/* the guest had no free chunk of this order */
	DDP_STEP_NO_EXTENT,	/* Xen had no contiguous extent of this order */
	DDP_STEP_BUSY,		/* target pfns could not be claimed */
	DDP_STEP_FATAL,		/* inconsistent state: stop building */
};

/**
 * struct ddp_build - progress of the pool build
 * @want: pages wanted
 * @have: pages in the pool
 * @order: current chunk order
 * @busy: claim failures so far
 * @streak: claim failures in a row at the current order
 * @max_busy: claim failures tolerated
 * @failures: failed steps of any kind
 * @done: nothing more to try
 */
struct ddp_build {
	uint64_t want;
	uint64_t have;
	unsigned int order;
	unsigned int busy;
	unsigned int streak;
	unsigned int max_busy;
	unsigned int failures;
	bool done;
};

void ddp_build_init(struct ddp_build *b, uint64_t want_pages,
		    unsigned int order, unsigned int max_busy);
int ddp_build_order(const struct ddp_build *b);
void ddp_build_step(struct ddp_build *b, unsigned int order, enum ddp_step s);

uint64_t ddp_frame_limit(unsigned int addr_bits);
bool ddp_frames_below(uint64_t pfn, uint64_t n, uint64_t limit,
		      ddp_xlate_t xlate, void *ctx);

/* What became of one extent of the lowmem move's walk. */
enum ddp_low_step {
	DDP_LOW_MOVED,		/* exchanged for frames below the limit */
	DDP_LOW_ALREADY,	/* its frames were below the limit already */
	DDP_LOW_BUSY,		/* in use by memory that cannot move: left */
	DDP_LOW_NO_EXTENT,	/* Xen had no extent of this order below */
	DDP_LOW_FATAL,		/* unexpected result: stop */
};

/**
 * struct ddp_lowmem - progress of the move of the domain's memory below the
 * limit, one pfn block after the other
 * @want: pages wanted below the limit (moved and already low together)
 * @moved: pages exchanged for frames below the limit
 * @already: pages whose frames were below the limit already
 * @busy: pages left where they are (in use, not movable)
 * @order: order of the extents asked of Xen now
 * @failures: extents Xen did not have, and unexpected results
 * @done: nothing more to try
 */
struct ddp_lowmem {
	uint64_t want;
	uint64_t moved;
	uint64_t already;
	uint64_t busy;
	unsigned int order;
	unsigned int failures;
	bool done;
};

void ddp_lowmem_init(struct ddp_lowmem *l, uint64_t want_pages,
		     unsigned int order);
int ddp_lowmem_order(const struct ddp_lowmem *l);
void ddp_lowmem_step(struct ddp_lowmem *l, unsigned int order,
		     enum ddp_low_step s);

#define DDP_ATTACH_MAX	16

/**
 * struct ddp_bdf - one PCI function
 * @seg: PCI segment (domain)
 * @bus: bus number
 * @devfn: device << 3 | function
 */
struct ddp_bdf {
	uint16_t seg;
	uint8_t bus;
	uint8_t devfn;
};

/**
 * struct ddp_attach - which PCI devices get the pool's DMA operations
 * @pcifront: every device below a root bus of Xen's pcifront
 * @n: entries in @bdf
 * @bdf: devices named explicitly
 */
struct ddp_attach {
	bool pcifront;
	unsigned int n;
	struct ddp_bdf bdf[DDP_ATTACH_MAX];
};

int ddp_parse_attach(const char *s, struct ddp_attach *a);
bool ddp_attach_listed(const struct ddp_attach *a, unsigned int seg,
		       unsigned int bus, unsigned int devfn);

#endif /* DDSTACK_DDP_LOGIC_H */
