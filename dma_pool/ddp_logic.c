// SPDX-License-Identifier: GPL-2.0
/*
 * dddmapool: pure decisions of the DMA pool.  Nothing here touches page
 * tables, the p2m or Xen: callers pass in what they looked up, so this file
 * also builds in user space for unit tests (tests/unit/test_dddmapool.c).
 */
#include "ddp_logic.h"

#define U64_ALL		(~(uint64_t)0)

static uint64_t ddp_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t ddp_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t ddp_round_up(uint64_t v, uint64_t pow2)
{
	return (v + pow2 - 1) & ~(pow2 - 1);
}

/**
 * ddp_range_why() - can a device reach a buffer where it is, and if not, why
 * @phys: pseudo-physical address of the first byte
 * @size: bytes (0 is treated as 1)
 * @mask: highest bus address the device can reach
 * @xlate: pfn -> machine frame lookup (DDP_NO_FRAME: none)
 * @ctx: passed to @xlate
 * @dma: on DDP_IN_PLACE, the bus (machine) address of the first byte
 *
 * In place when every page of [@phys, @phys + @size) is backed by
 * consecutive machine frames and the last byte lies at or below @mask.
 * The mask is checked first (cheap, and it rejects whole ranges).
 *
 * Return: DDP_IN_PLACE or the reason it is not.
 */
enum ddp_fit_why ddp_range_why(uint64_t phys, uint64_t size, uint64_t mask,
			       ddp_xlate_t xlate, void *ctx, uint64_t *dma)
{
	uint64_t first, last, pfn, mfn0, addr;

	if (!size)
		size = 1;
	if (phys + (size - 1) < phys)
		return DDP_NO_MACHINE_FRAME;
	first = phys >> DDP_PAGE_SHIFT;
	last = (phys + (size - 1)) >> DDP_PAGE_SHIFT;

	mfn0 = xlate(first, ctx);
	if (mfn0 == DDP_NO_FRAME || mfn0 > (U64_ALL >> DDP_PAGE_SHIFT))
		return DDP_NO_MACHINE_FRAME;
	addr = (mfn0 << DDP_PAGE_SHIFT) | (phys & (DDP_PAGE_SIZE - 1));
	if (addr + (size - 1) < addr)
		return DDP_NO_MACHINE_FRAME;
	if (addr + (size - 1) > mask)
		return DDP_ABOVE_MASK;
	for (pfn = first + 1; pfn <= last; pfn++)
		if (xlate(pfn, ctx) != mfn0 + (pfn - first))
			return DDP_SCATTERED;
	*dma = addr;
	return DDP_IN_PLACE;
}

/**
 * ddp_range_direct() - can a device reach a buffer where it is?
 * @phys: pseudo-physical address of the first byte
 * @size: bytes (0 is treated as 1)
 * @mask: highest bus address the device can reach
 * @xlate: pfn -> machine frame lookup (DDP_NO_FRAME: none)
 * @ctx: passed to @xlate
 * @dma: on success, the bus (machine) address of the first byte
 *
 * Return: true if ddp_range_why() says DDP_IN_PLACE.
 */
bool ddp_range_direct(uint64_t phys, uint64_t size, uint64_t mask,
		      ddp_xlate_t xlate, void *ctx, uint64_t *dma)
{
	return ddp_range_why(phys, size, mask, xlate, ctx, dma) == DDP_IN_PLACE;
}

/**
 * ddp_pool_size_ok() - is a pool of @pool_mb reasonable for the domain?
 * @pool_mb: pool size asked for, MiB
 * @ram_pages: the domain's RAM, pages
 *
 * Return: true if @pool_mb is at least 1 and at most 1/DDP_POOL_RAM_DIV of
 * the RAM.
 */
bool ddp_pool_size_ok(uint64_t pool_mb, uint64_t ram_pages)
{
	uint64_t ram_mb = ram_pages >> (20 - DDP_PAGE_SHIFT);

	return pool_mb && pool_mb <= ram_mb / DDP_POOL_RAM_DIV;
}

/**
 * ddp_bounce_geom() - shape of a bounce buffer
 * @phys: pseudo-physical address of the original buffer
 * @size: bytes to map
 * @min_align_mask: the device's dma_get_min_align_mask(): address bits the
 *	bounce buffer must share with the original (NVMe: 4 KiB offsets)
 * @g: result
 *
 * Allocations of a page or more are page aligned, as swiotlb does; smaller
 * ones slot aligned.
 *
 * Return: 0, or -1 if @size is 0 or larger than DDP_BOUNCE_MAX or the
 * alignment demand is unreasonable.
 */
int ddp_bounce_geom(uint64_t phys, uint64_t size, uint64_t min_align_mask,
		    struct ddp_geom *g)
{
	uint64_t align = DDP_SLOT_SIZE, off = 0;

	if (!size || size > DDP_BOUNCE_MAX || min_align_mask >= DDP_BOUNCE_MAX)
		return -1;
	if (min_align_mask) {
		off = phys & min_align_mask;
		while (align <= min_align_mask)
			align <<= 1;
	}
	if (size >= DDP_PAGE_SIZE && align < DDP_PAGE_SIZE)
		align = DDP_PAGE_SIZE;
	g->offset = off;
	g->alloc = ddp_round_up(off + size, DDP_SLOT_SIZE);
	g->align = align;
	return 0;
}

/**
 * ddp_coherent_geom() - shape of a coherent allocation
 * @size: bytes requested
 * @max: largest allocation the pool can hold (its largest chunk)
 * @g: result
 *
 * Whole pages, aligned to the smallest power-of-two number of pages that
 * holds @size, as the DMA API promises for dma_alloc_coherent().
 *
 * Return: 0, or -1 if @size is 0 or the rounded allocation exceeds @max.
 */
int ddp_coherent_geom(uint64_t size, uint64_t max, struct ddp_geom *g)
{
	uint64_t align = DDP_PAGE_SIZE;

	if (!size || size > max || size > U64_ALL / 2)
		return -1;
	g->alloc = ddp_round_up(size, DDP_PAGE_SIZE);
	while (align < g->alloc)
		align <<= 1;
	if (align > max)
		return -1;
	g->align = align;
	g->offset = 0;
	return 0;
}

/**
 * ddp_fit_window() - which slots of a chunk suit a device and an alignment
 * @base: bus address of the chunk
 * @nslots: slots in the chunk
 * @mask: highest bus address the device can reach
 * @align: required bus address alignment in bytes (power of two)
 * @f: result, in slot indexes of the chunk
 */
void ddp_fit_window(uint64_t base, uint64_t nslots, uint64_t mask,
		    uint64_t align, struct ddp_fit *f)
{
	uint64_t span;

	if (base > mask) {
		f->limit = 0;
	} else {
		span = mask - base;	/* usable bytes minus one */
		if ((span >> DDP_SLOT_SHIFT) >= nslots)
			f->limit = nslots;
		else
			f->limit = (span + 1) >> DDP_SLOT_SHIFT;
	}
	align = ddp_max(align, DDP_SLOT_SIZE);
	f->align_mask = (align >> DDP_SLOT_SHIFT) - 1;
	f->align_off = (base >> DDP_SLOT_SHIFT) & f->align_mask;
}

/**
 * ddp_slots_claim() - record a new allocation in its chunk
 * @c: chunk
 * @r: the allocation (@r->kind DDP_SLOT_BOUNCE or DDP_SLOT_COHERENT)
 *
 * Return: 0, or -1 if @r does not describe free, slot-aligned space of @c
 * (nothing is recorded then).
 */
int ddp_slots_claim(struct ddp_chunk *c, const struct ddp_region *r)
{
	uint64_t total = c->bytes >> DDP_SLOT_SHIFT, first, n, i;
	struct ddp_slot *h;

	if (r->kind != DDP_SLOT_BOUNCE && r->kind != DDP_SLOT_COHERENT)
		return -1;
	if (r->start < c->base || (r->start & (DDP_SLOT_SIZE - 1)) ||
	    !r->alloc || (r->alloc & (DDP_SLOT_SIZE - 1)))
		return -1;
	first = (r->start - c->base) >> DDP_SLOT_SHIFT;
	n = r->alloc >> DDP_SLOT_SHIFT;
	if (first >= total || n > total - first)
		return -1;
	if (r->dma < r->start || r->dma - r->start >= r->alloc ||
	    r->size > r->alloc - (r->dma - r->start))
		return -1;
	for (i = first; i < first + n; i++)
		if (c->slots[i].kind != DDP_SLOT_FREE)
			return -1;
	for (i = first; i < first + n; i++) {
		c->slots[i].orig = 0;
		c->slots[i].size = 0;
		c->slots[i].nslots = 0;
		c->slots[i].offset = 0;
		c->slots[i].dir = 0;
		c->slots[i].head = (uint32_t)first;
		c->slots[i].kind = r->kind;
	}
	h = &c->slots[first];
	h->orig = r->orig;
	h->size = r->size;
	h->nslots = (uint32_t)n;
	h->offset = (uint32_t)(r->dma - r->start);
	h->dir = r->dir;
	return 0;
}

/**
 * ddp_slots_find() - what a bus address of a chunk belongs to
 * @c: chunk
 * @addr: bus address
 * @r: result when found
 *
 * Return: 0 if @addr lies in a coherent allocation or in the mapped bytes
 * of a bounce buffer (@r describes it); -1 if the slot is free or @addr is
 * outside @c; -2 if @addr is in a bounce allocation but not in its mapped
 * bytes (a device or driver bug).
 */
int ddp_slots_find(const struct ddp_chunk *c, uint64_t addr,
		   struct ddp_region *r)
{
	uint64_t total = c->bytes >> DDP_SLOT_SHIFT, i, len;
	const struct ddp_slot *s, *h;

	if (addr < c->base || addr - c->base >= c->bytes)
		return -1;
	i = (addr - c->base) >> DDP_SLOT_SHIFT;
	s = &c->slots[i];
	if (s->kind == DDP_SLOT_FREE || s->head >= total)
		return -1;
	h = &c->slots[s->head];
	if (h->kind != s->kind || !h->nslots)
		return -1;
	r->start = c->base + ((uint64_t)s->head << DDP_SLOT_SHIFT);
	r->alloc = (uint64_t)h->nslots << DDP_SLOT_SHIFT;
	r->dma = r->start + h->offset;
	r->orig = h->orig;
	r->size = h->size;
	r->dir = h->dir;
	r->kind = h->kind;
	if (r->kind == DDP_SLOT_COHERENT)
		return 0;
	len = r->size ? r->size : 1;
	if (addr < r->dma || addr - r->dma >= len)
		return -2;
	return 0;
}

/**
 * ddp_slots_release() - forget an allocation found by ddp_slots_find()
 * @c: chunk
 * @r: the allocation
 */
void ddp_slots_release(struct ddp_chunk *c, const struct ddp_region *r)
{
	uint64_t total = c->bytes >> DDP_SLOT_SHIFT, first, n, i;

	if (r->start < c->base)
		return;
	first = (r->start - c->base) >> DDP_SLOT_SHIFT;
	n = r->alloc >> DDP_SLOT_SHIFT;
	if (first >= total || n > total - first)
		return;
	for (i = first; i < first + n; i++) {
		c->slots[i].orig = 0;
		c->slots[i].size = 0;
		c->slots[i].head = 0;
		c->slots[i].nslots = 0;
		c->slots[i].offset = 0;
		c->slots[i].dir = 0;
		c->slots[i].kind = DDP_SLOT_FREE;
	}
}

/**
 * ddp_sync_span() - part of a bounce mapping a sync request covers
 * @r: the bounce mapping
 * @addr: bus address the sync starts at
 * @len: bytes to sync
 * @off: result: offset of the span from the start of the mapping
 * @n: result: bytes in the span
 *
 * Return: false if nothing of the mapping is covered.
 */
bool ddp_sync_span(const struct ddp_region *r, uint64_t addr, uint64_t len,
		   uint64_t *off, uint64_t *n)
{
	uint64_t lo, hi, end;

	end = r->dma + r->size;
	lo = ddp_max(addr, r->dma);
	hi = addr + len < addr ? end : ddp_min(addr + len, end);
	if (hi <= lo)
		return false;
	*off = lo - r->dma;
	*n = hi - lo;
	return true;
}

/**
 * ddp_chunk_find() - the chunk holding a bus address
 * @tab: chunks sorted by base, not overlapping
 * @n: entries in @tab
 * @addr: bus address
 *
 * Return: the chunk, or NULL if @addr is not in the pool.
 */
struct ddp_chunk *ddp_chunk_find(struct ddp_chunk *const *tab, unsigned int n,
				 uint64_t addr)
{
	unsigned int lo = 0, hi = n, mid;

	/* Find the last chunk whose base is <= addr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tab[mid]->base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (addr - tab[lo - 1]->base >= tab[lo - 1]->bytes)
		return NULL;
	return tab[lo - 1];
}

/**
 * ddp_copy_on_map() - copy the buffer into the bounce buffer at map time?
 * @dir: DMA direction
 *
 * Always, even for DMA_FROM_DEVICE: if the device writes less than the
 * whole buffer, unmap copies the untouched bytes back, and they must be the
 * buffer's own, not what an earlier user left in the pool.
 *
 * Return: true for every valid direction.
 */
bool ddp_copy_on_map(int dir)
{
	return dir == DDP_BIDIRECTIONAL || dir == DDP_TO_DEVICE ||
	       dir == DDP_FROM_DEVICE;
}

/**
 * ddp_copy_to_cpu() - copy the bounce buffer back on unmap / sync for cpu?
 * @dir: DMA direction
 *
 * Return: true if the device may have written the buffer.
 */
bool ddp_copy_to_cpu(int dir)
{
	return dir == DDP_FROM_DEVICE || dir == DDP_BIDIRECTIONAL;
}

/**
 * ddp_copy_to_device() - refresh the bounce buffer on sync for device?
 * @dir: DMA direction
 *
 * Return: true if the device reads the buffer.
 */
bool ddp_copy_to_device(int dir)
{
	return dir == DDP_TO_DEVICE || dir == DDP_BIDIRECTIONAL;
}

/**
 * ddp_exchange_bits() - address limit to ask Xen for
 * @addr_bits: what the pool must stay below (module parameter)
 * @ram_end_pfn: end (exclusive) of the domain's RAM pfns
 *
 * A 1:1 page needs a pfn equal to its machine frame, so the frames must lie
 * below the end of the domain's RAM: round that end down to a power of two.
 *
 * Return: bits for XENMEM_exchange's address_bits, 0 if there is no RAM.
 */
unsigned int ddp_exchange_bits(unsigned int addr_bits, uint64_t ram_end_pfn)
{
	unsigned int ram_bits = 0;

	if (!ram_end_pfn)
		return 0;
	while (ram_bits < 63 - DDP_PAGE_SHIFT &&
	       ((uint64_t)2 << ram_bits) <= ram_end_pfn)
		ram_bits++;
	ram_bits += DDP_PAGE_SHIFT;
	return addr_bits < ram_bits ? addr_bits : ram_bits;
}

/**
 * ddp_target_plan() - what to do with a freshly exchanged chunk
 * @chunk_pfn: first pfn of the chunk
 * @mfn: first machine frame Xen gave it
 * @order: chunk order
 * @limit_pfn: pfns at or above this are not usable as pool pages
 *
 * Return: DDP_PLAN_IDENTITY if the chunk is 1:1 already, DDP_PLAN_CLAIM if
 * the pfns [@mfn, @mfn + 2^@order) can be claimed and swapped in,
 * DDP_PLAN_REJECT otherwise (misaligned, out of range, or overlapping).
 */
enum ddp_plan ddp_target_plan(uint64_t chunk_pfn, uint64_t mfn,
			      unsigned int order, uint64_t limit_pfn)
{
	uint64_t n;

	if (order >= 32)
		return DDP_PLAN_REJECT;
	n = (uint64_t)1 << order;
	if (mfn & (n - 1))
		return DDP_PLAN_REJECT;
	if (mfn >= limit_pfn || n > limit_pfn - mfn)
		return DDP_PLAN_REJECT;
	if (mfn == chunk_pfn)
		return DDP_PLAN_IDENTITY;
	if (mfn < chunk_pfn + n && chunk_pfn < mfn + n)
		return DDP_PLAN_REJECT;
	return DDP_PLAN_CLAIM;
}

/* Consecutive claim failures at one order before trying a smaller one. */
#define DDP_BUSY_STREAK	4

/**
 * ddp_build_init() - start a pool build
 * @b: state
 * @want_pages: pool size in pages
 * @order: largest chunk order to try
 * @max_busy: claim failures tolerated in total
 */
void ddp_build_init(struct ddp_build *b, uint64_t want_pages,
		    unsigned int order, unsigned int max_busy)
{
	b->want = want_pages;
	b->have = 0;
	b->order = order;
	b->busy = 0;
	b->streak = 0;
	b->max_busy = max_busy;
	b->failures = 0;
	b->done = !want_pages;
}

/**
 * ddp_build_order() - order of the next chunk to try
 * @b: state
 *
 * Never more than what is still missing.
 *
 * Return: the order, or -1 when the build is over.
 */
int ddp_build_order(const struct ddp_build *b)
{
	uint64_t missing;
	unsigned int o = b->order;

	if (b->done || b->have >= b->want)
		return -1;
	missing = b->want - b->have;
	while (o > 0 && ((uint64_t)1 << o) > missing)
		o--;
	return (int)o;
}

/**
 * ddp_build_step() - account for one attempt
 * @b: state
 * @order: order the attempt used (from ddp_build_order())
 * @s: its outcome
 *
 * No chunk or no extent of an order: try the next smaller one, down to 0.
 * A busy target: try again (another chunk gets another extent), with a
 * smaller order after DDP_BUSY_STREAK failures in a row, and give up after
 * @max_busy in total.
 */
void ddp_build_step(struct ddp_build *b, unsigned int order, enum ddp_step s)
{
	switch (s) {
	case DDP_STEP_OK:
		b->have += (uint64_t)1 << order;
		b->streak = 0;
		if (b->have >= b->want)
			b->done = true;
		return;
	case DDP_STEP_NO_CHUNK:
	case DDP_STEP_NO_EXTENT:
		b->failures++;
		b->streak = 0;
		if (!order)
			b->done = true;
		else
			b->order = order - 1;
		return;
	case DDP_STEP_BUSY:
		b->failures++;
		b->busy++;
		if (b->busy >= b->max_busy) {
			b->done = true;
			return;
		}
		if (++b->streak >= DDP_BUSY_STREAK && order) {
			b->order = order - 1;
			b->streak = 0;
		}
		return;
	case DDP_STEP_FATAL:
	default:
		b->failures++;
		b->done = true;
		return;
	}
}

/**
 * ddp_frame_limit() - first machine frame at or above 2^@addr_bits
 * @addr_bits: address limit in bits
 *
 * Return: the frame number, 0 if @addr_bits leaves no whole page, all ones
 * if every frame lies below.
 */
uint64_t ddp_frame_limit(unsigned int addr_bits)
{
	if (addr_bits <= DDP_PAGE_SHIFT)
		return 0;
	if (addr_bits - DDP_PAGE_SHIFT >= 64)
		return U64_ALL;
	return (uint64_t)1 << (addr_bits - DDP_PAGE_SHIFT);
}

/**
 * ddp_frames_below() - are the frames of a run of pfns all below a limit?
 * @pfn: first pfn
 * @n: pfns
 * @limit: first frame that is too high (ddp_frame_limit())
 * @xlate: pfn -> machine frame lookup (DDP_NO_FRAME: none)
 * @ctx: passed to @xlate
 *
 * Return: true if every pfn of [@pfn, @pfn + @n) has a frame below @limit
 * (true for @n == 0); false if one has none or a higher one.
 */
bool ddp_frames_below(uint64_t pfn, uint64_t n, uint64_t limit,
		      ddp_xlate_t xlate, void *ctx)
{
	uint64_t i, f;

	for (i = 0; i < n; i++) {
		f = xlate(pfn + i, ctx);
		if (f == DDP_NO_FRAME || f >= limit)
			return false;
	}
	return true;
}

/**
 * ddp_lowmem_init() - start moving the domain's memory below the limit
 * @l: state
 * @want_pages: pages wanted below the limit, those found there included
 * @order: largest extent order to ask Xen for (one block of the walk)
 */
void ddp_lowmem_init(struct ddp_lowmem *l, uint64_t want_pages,
		     unsigned int order)
{
	l->want = want_pages;
	l->moved = 0;
	l->already = 0;
	l->busy = 0;
	l->order = order;
	l->failures = 0;
	l->done = !want_pages || order >= 32;
}

/**
 * ddp_lowmem_order() - order of the next extent to exchange
 * @l: state
 *
 * Return: the order, or -1 when the move is over.
 */
int ddp_lowmem_order(const struct ddp_lowmem *l)
{
	return l->done ? -1 : (int)l->order;
}

/**
 * ddp_lowmem_step() - account for one extent of the walk
 * @l: state
 * @order: its order (at most the one ddp_lowmem_order() gave)
 * @s: what became of it
 *
 * The move is over when the pages below the limit reach what is wanted,
 * when Xen has no extent below the limit even at order 0, or on an
 * unexpected result.  Without an extent of an order, the walk goes on with
 * the next smaller one and never back up: Xen's memory below the limit
 * only shrinks meanwhile.  Memory in use that cannot move is left alone.
 */
void ddp_lowmem_step(struct ddp_lowmem *l, unsigned int order,
		     enum ddp_low_step s)
{
	uint64_t n = (uint64_t)1 << order;

	switch (s) {
	case DDP_LOW_MOVED:
		l->moved += n;
		break;
	case DDP_LOW_ALREADY:
		l->already += n;
		break;
	case DDP_LOW_BUSY:
		l->busy += n;
		return;
	case DDP_LOW_NO_EXTENT:
		l->failures++;
		if (!order)
			l->done = true;
		else if (order <= l->order)
			l->order = order - 1;
		return;
	case DDP_LOW_FATAL:
	default:
		l->failures++;
		l->done = true;
		return;
	}
	if (l->moved + l->already >= l->want)
		l->done = true;
}

static bool ddp_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n';
}

static int ddp_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Hex number of 1..@digits digits at *@p; advances *@p. */
static int ddp_parse_hex(const char **p, const char *end, unsigned int digits,
			 unsigned int *val)
{
	unsigned int n = 0, v = 0;
	int h;

	while (*p < end && (h = ddp_hex(**p)) >= 0) {
		if (++n > digits)
			return -1;
		v = v * 16 + (unsigned int)h;
		(*p)++;
	}
	if (!n)
		return -1;
	*val = v;
	return 0;
}

static bool ddp_token_is(const char *p, const char *end, const char *word)
{
	while (p < end && *word && *p == *word) {
		p++;
		word++;
	}
	return p == end && !*word;
}

/* "SSSS:BB:DD.F" or "BB:DD.F" */
static int ddp_parse_bdf(const char *p, const char *end, struct ddp_bdf *bdf)
{
	unsigned int a, b, dev, fn, seg, bus;

	if (ddp_parse_hex(&p, end, 4, &a) || p >= end || *p++ != ':' ||
	    ddp_parse_hex(&p, end, 2, &b) || p >= end)
		return -1;
	if (*p == ':') {
		p++;
		seg = a;
		bus = b;
		if (ddp_parse_hex(&p, end, 2, &dev) || p >= end)
			return -1;
	} else {
		if (a > 0xff)
			return -1;
		seg = 0;
		bus = a;
		dev = b;
	}
	if (*p++ != '.' || ddp_parse_hex(&p, end, 1, &fn) || p != end)
		return -1;
	if (dev > 0x1f || fn > 7)
		return -1;
	bdf->seg = (uint16_t)seg;
	bdf->bus = (uint8_t)bus;
	bdf->devfn = (uint8_t)(dev << 3 | fn);
	return 0;
}

/**
 * ddp_parse_attach() - parse the attach module parameter
 * @s: "pcifront", "none", or a comma separated list of "pcifront" and PCI
 *	addresses ("0000:00:05.0" or "00:05.0"); empty means "none"
 * @a: result
 *
 * Return: 0, or -1 for a malformed list, "none" mixed with anything else,
 * or more than DDP_ATTACH_MAX addresses.
 */
int ddp_parse_attach(const char *s, struct ddp_attach *a)
{
	const char *p = s, *tok, *end;
	bool none = false, comma = false;
	unsigned int tokens = 0;
	struct ddp_bdf bdf;

	a->pcifront = false;
	a->n = 0;
	for (;;) {
		while (*p && ddp_is_space(*p))
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ',' && !ddp_is_space(*p))
			p++;
		end = p;
		while (*p && ddp_is_space(*p))
			p++;
		comma = *p == ',';
		if (comma)
			p++;
		else if (*p)
			return -1;
		if (tok == end)
			return -1;
		tokens++;
		if (ddp_token_is(tok, end, "pcifront")) {
			a->pcifront = true;
		} else if (ddp_token_is(tok, end, "none")) {
			none = true;
		} else {
			if (ddp_parse_bdf(tok, end, &bdf))
				return -1;
			if (ddp_attach_listed(a, bdf.seg, bdf.bus, bdf.devfn))
				continue;
			if (a->n >= DDP_ATTACH_MAX)
				return -1;
			a->bdf[a->n++] = bdf;
		}
	}
	if (comma || (none && tokens > 1))
		return -1;
	return 0;
}

/**
 * ddp_attach_listed() - is a PCI function named in the attach list?
 * @a: parsed list
 * @seg: PCI segment
 * @bus: bus number
 * @devfn: device << 3 | function
 *
 * Return: true if named explicitly (the "pcifront" rule is the caller's).
 */
bool ddp_attach_listed(const struct ddp_attach *a, unsigned int seg,
		       unsigned int bus, unsigned int devfn)
{
	unsigned int i;

	for (i = 0; i < a->n; i++)
		if (a->bdf[i].seg == seg && a->bdf[i].bus == bus &&
		    a->bdf[i].devfn == devfn)
			return true;
	return false;
}
