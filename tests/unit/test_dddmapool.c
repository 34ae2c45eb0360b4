// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the dddmapool decisions (dma_pool/ddp_logic.c): when a
 * buffer is used in place, the shape and placement of bounce and coherent
 * allocations, the slot records that unmap, sync and free rely on, the
 * address limit and target checks of the pool build, its retry policy,
 * the stop rules of the move of free memory below the limit, and the
 * attach parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddp_logic.h"

#include "check.h"

#define PG	DDP_PAGE_SIZE
#define SLOT	DDP_SLOT_SIZE

/* A p2m: pfn i is backed by frame p2m[i]; pfns past the end have none. */
struct p2m {
	const uint64_t *frame;
	uint64_t n;
};

static uint64_t p2m_xlate(uint64_t pfn, void *ctx)
{
	const struct p2m *p = ctx;

	return pfn < p->n ? p->frame[pfn] : DDP_NO_FRAME;
}

static int t_direct_contiguous(void)
{
	static const uint64_t f[] = { 0x500, 0x501, 0x502, 0x900, 0x77 };
	struct p2m p = { f, 5 };
	uint64_t dma = 0;

	/* Two pages on consecutive frames, offset kept. */
	CHECK(ddp_range_direct(0x123, 2 * PG - 0x123, ~0ULL, p2m_xlate, &p,
			       &dma), "pfns 0-1 are contiguous");
	CHECK_EQ(dma, 0x500123);
	/* Three pages. */
	CHECK(ddp_range_direct(0, 3 * PG, ~0ULL, p2m_xlate, &p, &dma),
	      "pfns 0-2 are contiguous");
	CHECK_EQ(dma, 0x500000);
	/* pfn 3 breaks the run. */
	CHECK(!ddp_range_direct(2 * PG + 8, PG, ~0ULL, p2m_xlate, &p, &dma),
	      "pfns 2-3 are not contiguous");
	/* A single page is always contiguous. */
	CHECK(ddp_range_direct(3 * PG + 0x10, 0x100, ~0ULL, p2m_xlate, &p,
			       &dma), "one page");
	CHECK_EQ(dma, 0x900010);
	/* Exactly up to a page boundary stays in one page. */
	CHECK(ddp_range_direct(4 * PG, PG, ~0ULL, p2m_xlate, &p, &dma),
	      "whole page 4");
	CHECK_EQ(dma, 0x77000);
	/* Size 0 is looked at as one byte. */
	CHECK(ddp_range_direct(4 * PG + 5, 0, ~0ULL, p2m_xlate, &p, &dma),
	      "size 0");
	CHECK_EQ(dma, 0x77005);
	return 0;
}

static int t_direct_mask(void)
{
	static const uint64_t f[] = { 0xfffff, 0x100000, 0x100001 };
	struct p2m p = { f, 3 };
	uint64_t dma = 0;

	/* Frame 0xfffff ends exactly at 4 GiB - 1. */
	CHECK(ddp_range_direct(0, PG, 0xffffffffULL, p2m_xlate, &p, &dma),
	      "last page below 4 GiB");
	CHECK_EQ(dma, 0xfffff000ULL);
	/* One byte over the mask. */
	CHECK(!ddp_range_direct(PG - 1, 2, 0xffffffffULL, p2m_xlate, &p,
				&dma), "crosses 4 GiB");
	CHECK(ddp_range_direct(PG - 1, 2, ~0ULL, p2m_xlate, &p, &dma),
	      "64-bit mask");
	CHECK(!ddp_range_direct(PG, PG, 0xffffffffULL, p2m_xlate, &p, &dma),
	      "above 4 GiB");
	return 0;
}

/* The reason a buffer cannot be used in place, as the statistics count it. */
static int t_range_why(void)
{
	static const uint64_t f[] = { 0x500, 0x501, 0x900, 0x100000, 0x100001,
				      DDP_NO_FRAME };
	struct p2m p = { f, 6 };
	uint64_t dma = 0;

	CHECK_EQ(ddp_range_why(0, 2 * PG, 0xffffffffULL, p2m_xlate, &p, &dma),
		 DDP_IN_PLACE);
	CHECK_EQ(dma, 0x500000);
	CHECK_EQ(ddp_range_why(PG, 2 * PG, 0xffffffffULL, p2m_xlate, &p, &dma),
		 DDP_SCATTERED);
	/* Above the mask wins over scattered: no low copy of it exists. */
	CHECK_EQ(ddp_range_why(3 * PG, 2 * PG, 0xffffffffULL, p2m_xlate, &p,
			       &dma), DDP_ABOVE_MASK);
	CHECK_EQ(ddp_range_why(3 * PG, 2 * PG, ~0ULL, p2m_xlate, &p, &dma),
		 DDP_IN_PLACE);
	CHECK_EQ(ddp_range_why(5 * PG, 8, ~0ULL, p2m_xlate, &p, &dma),
		 DDP_NO_MACHINE_FRAME);
	CHECK_EQ(ddp_range_why(~0ULL - 10, 100, ~0ULL, p2m_xlate, &p, &dma),
		 DDP_NO_MACHINE_FRAME);
	return 0;
}

/* A pool larger than a quarter of the domain is refused before it is built. */
static int t_pool_size(void)
{
	uint64_t mb = 1ULL << (20 - 12);	/* pages per MiB */

	CHECK(ddp_pool_size_ok(16, 512 * mb), "16 of 512 MiB");
	CHECK(ddp_pool_size_ok(128, 512 * mb), "a quarter of 512 MiB");
	CHECK(!ddp_pool_size_ok(129, 512 * mb), "over a quarter");
	CHECK(!ddp_pool_size_ok(1024, 512 * mb), "twice the RAM");
	CHECK(!ddp_pool_size_ok(0, 512 * mb), "empty pool");
	CHECK(!ddp_pool_size_ok(1, 3 * mb), "a domain of 3 MiB");
	CHECK(!ddp_pool_size_ok(~0ULL, 512 * mb), "huge");
	return 0;
}

static int t_direct_no_frame(void)
{
	static const uint64_t f[] = { 0x10, DDP_NO_FRAME, 0x12 };
	struct p2m p = { f, 3 };
	uint64_t dma = 0;

	CHECK(!ddp_range_direct(PG, 8, ~0ULL, p2m_xlate, &p, &dma),
	      "pfn without frame");
	CHECK(!ddp_range_direct(0, 3 * PG, ~0ULL, p2m_xlate, &p, &dma),
	      "hole in the middle");
	CHECK(!ddp_range_direct(3 * PG, 8, ~0ULL, p2m_xlate, &p, &dma),
	      "past the p2m");
	CHECK(!ddp_range_direct(~0ULL - 10, 100, ~0ULL, p2m_xlate, &p, &dma),
	      "range wraps");
	return 0;
}

static int t_bounce_geom(void)
{
	struct ddp_geom g;

	/* Small: slot aligned, no offset. */
	CHECK_EQ(ddp_bounce_geom(0x1234, 100, 0, &g), 0);
	CHECK_EQ(g.alloc, SLOT);
	CHECK_EQ(g.align, SLOT);
	CHECK_EQ(g.offset, 0);
	CHECK_EQ(ddp_bounce_geom(0x1234, SLOT + 1, 0, &g), 0);
	CHECK_EQ(g.alloc, 2 * SLOT);
	/* A page or more: page aligned. */
	CHECK_EQ(ddp_bounce_geom(0x1234, PG, 0, &g), 0);
	CHECK_EQ(g.align, PG);
	CHECK_EQ(g.alloc, PG);
	/* NVMe: the offset inside 4 KiB survives. */
	CHECK_EQ(ddp_bounce_geom(0x7e00, 0x1000, 0xfff, &g), 0);
	CHECK_EQ(g.offset, 0xe00);
	CHECK_EQ(g.align, PG);
	CHECK_EQ(g.alloc, 0x2000);
	CHECK(((0x40000 + g.offset) & 0xfff) == (0x7e00 & 0xfff), "low bits");
	/* Odd small masks keep their bits too. */
	CHECK_EQ(ddp_bounce_geom(0x7, 16, 0x3, &g), 0);
	CHECK_EQ(g.offset, 3);
	CHECK(g.align > 3 && !(g.align & (g.align - 1)), "power of two");
	/* Limits. */
	CHECK_EQ(ddp_bounce_geom(0, 0, 0, &g), -1);
	CHECK_EQ(ddp_bounce_geom(0, DDP_BOUNCE_MAX, 0, &g), 0);
	CHECK_EQ(ddp_bounce_geom(0, DDP_BOUNCE_MAX + 1, 0, &g), -1);
	CHECK_EQ(ddp_bounce_geom(0, 16, DDP_BOUNCE_MAX, &g), -1);
	return 0;
}

static int t_coherent_geom(void)
{
	struct ddp_geom g;
	uint64_t max = 2 << 20;

	CHECK_EQ(ddp_coherent_geom(1, max, &g), 0);
	CHECK_EQ(g.alloc, PG);
	CHECK_EQ(g.align, PG);
	CHECK_EQ(ddp_coherent_geom(3 * PG, max, &g), 0);
	CHECK_EQ(g.alloc, 3 * PG);
	CHECK_EQ(g.align, 4 * PG);
	CHECK_EQ(ddp_coherent_geom(PG + 1, max, &g), 0);
	CHECK_EQ(g.alloc, 2 * PG);
	CHECK_EQ(g.align, 2 * PG);
	CHECK_EQ(ddp_coherent_geom(max, max, &g), 0);
	CHECK_EQ(g.align, max);
	CHECK_EQ(ddp_coherent_geom(max + 1, max, &g), -1);
	CHECK_EQ(ddp_coherent_geom(0, max, &g), -1);
	/* 12 KiB in a pool of 4 KiB chunks: can never fit. */
	CHECK_EQ(ddp_coherent_geom(3 * PG, PG, &g), -1);
	return 0;
}

static int t_fit_window(void)
{
	struct ddp_fit f;

	ddp_fit_window(0x100000, 1024, 0xffffffffULL, SLOT, &f);
	CHECK_EQ(f.limit, 1024);
	CHECK_EQ(f.align_mask, 0);
	ddp_fit_window(0x100000, 1024, ~0ULL, SLOT, &f);
	CHECK_EQ(f.limit, 1024);
	/* Chunk straddling the mask: only the slots wholly below. */
	ddp_fit_window(0xfff00000ULL, 1024, 0xffffffffULL, SLOT, &f);
	CHECK_EQ(f.limit, 512);
	ddp_fit_window(0xfff00000ULL, 1024, 0xfff00000ULL + 3 * SLOT - 2,
		       SLOT, &f);
	CHECK_EQ(f.limit, 2);
	ddp_fit_window(0x100000000ULL, 1024, 0xffffffffULL, SLOT, &f);
	CHECK_EQ(f.limit, 0);
	ddp_fit_window(0, 4, 0, SLOT, &f);
	CHECK_EQ(f.limit, 0);
	/* Alignment relative to the chunk's bus address. */
	ddp_fit_window(0x201000, 1024, ~0ULL, 0x4000, &f);
	CHECK_EQ(f.align_mask, 7);
	CHECK_EQ(f.align_off, (0x201000 >> DDP_SLOT_SHIFT) & 7);
	ddp_fit_window(0x200000, 1024, ~0ULL, 1, &f);
	CHECK_EQ(f.align_mask, 0);
	return 0;
}

/*
 * The same search as the kernel's bitmap_find_next_zero_area_off(), on a
 * byte per slot, so that placements can be checked end to end.
 */
static uint64_t find_area(const unsigned char *used, uint64_t size,
			  uint64_t start, uint64_t nr, uint64_t mask,
			  uint64_t off)
{
	uint64_t index, i;

again:
	for (index = start; index < size && used[index]; index++)
		;
	index = ((index + off + mask) & ~mask) - off;
	if (index + nr > size)
		return index + nr;
	for (i = index; i < index + nr; i++) {
		if (used[i]) {
			start = i + 1;
			goto again;
		}
	}
	return index;
}

static int t_fit_placement(void)
{
	static const uint64_t bases[] = { 0xffe00000ULL, 0x3ff000ULL };
	static const uint64_t masks[] = { 0xffffffffULL, 0xfffff7ffULL,
					  0x400fffULL, ~0ULL };
	unsigned char used[1024];
	unsigned int b, m, a;

	for (b = 0; b < 2; b++) {
		for (m = 0; m < 4; m++) {
			for (a = 0; a < 4; a++) {
				uint64_t align = SLOT << (a * 2), nr = 1 + a;
				uint64_t base = bases[b], idx, start;
				struct ddp_fit f;
				unsigned int placed = 0;

				memset(used, 0, sizeof(used));
				ddp_fit_window(base, 1024, masks[m], align, &f);
				for (;;) {
					idx = find_area(used, f.limit, 0, nr,
							f.align_mask,
							f.align_off);
					if (idx >= f.limit ||
					    f.limit - idx < nr)
						break;
					start = base + idx * SLOT;
					CHECK(!(start & (align - 1)),
					      "unaligned %#llx align %#llx",
					      (unsigned long long)start,
					      (unsigned long long)align);
					CHECK(start + nr * SLOT - 1 <=
					      masks[m], "above the mask");
					memset(used + idx, 1, nr);
					placed++;
				}
				/* The window wastes nothing it may use. */
				if (masks[m] == ~0ULL && a == 0)
					CHECK_EQ(placed, 1024);
			}
		}
	}
	return 0;
}

static struct ddp_slot slots_a[64], slots_b[32];
static struct ddp_chunk chunk_a = { 0x400000, 64 * SLOT, slots_a };
static struct ddp_chunk chunk_b = { 0x800000, 32 * SLOT, slots_b };

static struct ddp_region region(uint64_t start, uint64_t alloc,
				uint64_t off, uint64_t orig, uint32_t size,
				int dir, int kind)
{
	struct ddp_region r = {
		.start = start, .alloc = alloc, .dma = start + off,
		.orig = orig, .size = size, .dir = (uint8_t)dir,
		.kind = (uint8_t)kind,
	};

	return r;
}

static int t_slots_basic(void)
{
	struct ddp_region r = region(0x400000 + 2 * SLOT, 4 * SLOT, 0xe00,
				     0x12345e00, 0x1000, DDP_FROM_DEVICE,
				     DDP_SLOT_BOUNCE), got;

	memset(slots_a, 0, sizeof(slots_a));
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), 0);
	/* Overlap is refused. */
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	/* Found at its handle and anywhere inside the mapped bytes. */
	CHECK_EQ(ddp_slots_find(&chunk_a, r.dma, &got), 0);
	CHECK_EQ(got.dma, r.dma);
	CHECK_EQ(got.start, r.start);
	CHECK_EQ(got.alloc, r.alloc);
	CHECK_EQ(got.orig, 0x12345e00);
	CHECK_EQ(got.size, 0x1000);
	CHECK_EQ(got.dir, DDP_FROM_DEVICE);
	CHECK_EQ(got.kind, DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_find(&chunk_a, r.dma + 0xfff, &got), 0);
	CHECK_EQ(got.dma, r.dma);
	/* Padding before the offset and after the end: a bug, not direct. */
	CHECK_EQ(ddp_slots_find(&chunk_a, r.start, &got), -2);
	CHECK_EQ(ddp_slots_find(&chunk_a, r.dma + 0x1000, &got), -2);
	/* Free slots and other chunks' addresses. */
	CHECK_EQ(ddp_slots_find(&chunk_a, r.start + 4 * SLOT, &got), -1);
	CHECK_EQ(ddp_slots_find(&chunk_a, r.start - 1, &got), -1);
	CHECK_EQ(ddp_slots_find(&chunk_a, 0x3fffff, &got), -1);
	CHECK_EQ(ddp_slots_find(&chunk_a, 0x400000 + 64 * SLOT, &got), -1);

	CHECK_EQ(ddp_slots_find(&chunk_a, r.dma, &got), 0);
	ddp_slots_release(&chunk_a, &got);
	CHECK_EQ(ddp_slots_find(&chunk_a, r.dma, &got), -1);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), 0);
	return 0;
}

static int t_slots_coherent(void)
{
	struct ddp_region r = region(0x400000 + 8 * SLOT, 4 * SLOT, 0, 0,
				     3 * SLOT + 7, 0, DDP_SLOT_COHERENT), got;

	memset(slots_a, 0, sizeof(slots_a));
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), 0);
	/* Anywhere in a coherent allocation (streaming maps of it). */
	CHECK_EQ(ddp_slots_find(&chunk_a, r.start + 4 * SLOT - 1, &got), 0);
	CHECK_EQ(got.kind, DDP_SLOT_COHERENT);
	CHECK_EQ(got.start, r.start);
	CHECK_EQ(got.size, 3 * SLOT + 7);
	return 0;
}

static int t_slots_refused(void)
{
	struct ddp_region r;

	memset(slots_a, 0, sizeof(slots_a));
	/* Outside the chunk, unaligned, empty, too long, bad kind. */
	r = region(0x3ff800, SLOT, 0, 0, 1, 0, DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	r = region(0x400001, SLOT, 0, 0, 1, 0, DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	r = region(0x400000, 0, 0, 0, 0, 0, DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	r = region(0x400000 + 60 * SLOT, 8 * SLOT, 0, 0, 1, 0,
		   DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	r = region(0x400000, SLOT, 0, 0, 1, 0, DDP_SLOT_FREE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	/* Mapped bytes must fit after the offset. */
	r = region(0x400000, SLOT, 0x100, 0, SLOT - 0x100 + 1, 0,
		   DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	r = region(0x400000, SLOT, SLOT, 0, 1, 0, DDP_SLOT_BOUNCE);
	CHECK_EQ(ddp_slots_claim(&chunk_a, &r), -1);
	/* Nothing was recorded. */
	for (unsigned int i = 0; i < 64; i++)
		CHECK_EQ(slots_a[i].kind, DDP_SLOT_FREE);
	return 0;
}

/* Random allocations and releases against a model of who owns a slot. */
static int t_slots_random(void)
{
	int owner[64];
	struct ddp_region live[64];
	unsigned int nlive = 0, step, i;

	srand(7);
	memset(slots_a, 0, sizeof(slots_a));
	for (i = 0; i < 64; i++)
		owner[i] = -1;
	for (step = 0; step < 20000; step++) {
		if (nlive && (rand() % 3 == 0 || nlive == 64)) {
			unsigned int k = (unsigned int)rand() % nlive;
			struct ddp_region got;
			uint64_t first = (live[k].start - chunk_a.base) / SLOT;

			CHECK_EQ(ddp_slots_find(&chunk_a, live[k].dma, &got),
				 0);
			CHECK_EQ(got.start, live[k].start);
			CHECK_EQ(got.orig, live[k].orig);
			ddp_slots_release(&chunk_a, &got);
			for (i = first; i < first + live[k].alloc / SLOT; i++)
				owner[i] = -1;
			live[k] = live[--nlive];
		} else {
			unsigned int n = 1 + (unsigned int)rand() % 4;
			unsigned int at = (unsigned int)rand() % 64;
			bool free_run = at + n <= 64;
			struct ddp_region r;
			uint32_t size = (uint32_t)(n * SLOT - 9);

			for (i = at; free_run && i < at + n; i++)
				free_run = owner[i] < 0;
			r = region(chunk_a.base + at * SLOT, n * SLOT, 9,
				   step * 0x10000ULL, size, DDP_TO_DEVICE,
				   step & 1 ? DDP_SLOT_BOUNCE :
					      DDP_SLOT_COHERENT);
			if (r.kind == DDP_SLOT_COHERENT) {
				r.dma = r.start;
				r.size = size + 9;
			}
			CHECK_EQ(ddp_slots_claim(&chunk_a, &r),
				 free_run ? 0 : -1);
			if (!free_run)
				continue;
			for (i = at; i < at + n; i++)
				owner[i] = (int)step;
			live[nlive++] = r;
		}
		/* Every slot agrees with the model. */
		for (i = 0; i < 64; i++) {
			struct ddp_region got;
			int rc = ddp_slots_find(&chunk_a,
						chunk_a.base + i * SLOT + 9,
						&got);

			if (owner[i] < 0)
				CHECK_EQ(rc, -1);
			else
				CHECK_EQ(got.orig, owner[i] * 0x10000ULL);
		}
	}
	return 0;
}

static int t_sync_span(void)
{
	struct ddp_region r = region(0x1000, 0x2000, 0x100, 0, 0x1000, 0,
				     DDP_SLOT_BOUNCE);
	uint64_t off = 0, n = 0;

	CHECK(ddp_sync_span(&r, 0x1100, 0x1000, &off, &n), "whole");
	CHECK_EQ(off, 0);
	CHECK_EQ(n, 0x1000);
	CHECK(ddp_sync_span(&r, 0x1180, 0x80, &off, &n), "part");
	CHECK_EQ(off, 0x80);
	CHECK_EQ(n, 0x80);
	CHECK(ddp_sync_span(&r, 0x2000, 0x1000, &off, &n), "clipped end");
	CHECK_EQ(off, 0xf00);
	CHECK_EQ(n, 0x100);
	CHECK(ddp_sync_span(&r, 0x1000, 0x200, &off, &n), "clipped start");
	CHECK_EQ(off, 0);
	CHECK_EQ(n, 0x100);
	CHECK(!ddp_sync_span(&r, 0x2100, 0x10, &off, &n), "after");
	CHECK(!ddp_sync_span(&r, 0x1000, 0x100, &off, &n), "before");
	CHECK(!ddp_sync_span(&r, 0x1100, 0, &off, &n), "empty");
	CHECK(ddp_sync_span(&r, 0x1200, ~0ULL, &off, &n), "wrapping length");
	CHECK_EQ(off, 0x100);
	CHECK_EQ(n, 0xf00);
	return 0;
}

static int t_chunk_find(void)
{
	struct ddp_chunk *tab[] = { &chunk_a, &chunk_b };

	CHECK(ddp_chunk_find(tab, 2, 0x3fffff) == NULL, "below");
	CHECK(ddp_chunk_find(tab, 2, 0x400000) == &chunk_a, "first byte");
	CHECK(ddp_chunk_find(tab, 2, 0x400000 + 64 * SLOT - 1) == &chunk_a,
	      "last byte");
	CHECK(ddp_chunk_find(tab, 2, 0x400000 + 64 * SLOT) == NULL, "hole");
	CHECK(ddp_chunk_find(tab, 2, 0x800000 + 5) == &chunk_b, "second");
	CHECK(ddp_chunk_find(tab, 2, 0x800000 + 32 * SLOT) == NULL, "above");
	CHECK(ddp_chunk_find(tab, 0, 0x400000) == NULL, "empty table");
	CHECK(ddp_chunk_find(tab, 1, 0x800000) == NULL, "one chunk");
	return 0;
}

static int t_copy_rules(void)
{
	CHECK(ddp_copy_on_map(DDP_TO_DEVICE), "to device");
	CHECK(ddp_copy_on_map(DDP_FROM_DEVICE), "from device: no stale data");
	CHECK(ddp_copy_on_map(DDP_BIDIRECTIONAL), "bidirectional");
	CHECK(!ddp_copy_on_map(DDP_NONE), "none");
	CHECK(ddp_copy_to_cpu(DDP_FROM_DEVICE), "cpu from");
	CHECK(ddp_copy_to_cpu(DDP_BIDIRECTIONAL), "cpu bidi");
	CHECK(!ddp_copy_to_cpu(DDP_TO_DEVICE), "cpu to");
	CHECK(ddp_copy_to_device(DDP_TO_DEVICE), "dev to");
	CHECK(ddp_copy_to_device(DDP_BIDIRECTIONAL), "dev bidi");
	CHECK(!ddp_copy_to_device(DDP_FROM_DEVICE), "dev from");
	return 0;
}

static int t_exchange_bits(void)
{
	/* 512 MiB domain: extents below 512 MiB. */
	CHECK_EQ(ddp_exchange_bits(32, 0x20000), 29);
	/* Pages remapped above the ISA hole do not raise the limit. */
	CHECK_EQ(ddp_exchange_bits(32, 0x20060), 29);
	CHECK_EQ(ddp_exchange_bits(32, 0x1ffff), 28);
	CHECK_EQ(ddp_exchange_bits(24, 0x20000), 24);
	CHECK_EQ(ddp_exchange_bits(32, 0x400000), 32);
	CHECK_EQ(ddp_exchange_bits(64, 0x4000000), 38);
	CHECK_EQ(ddp_exchange_bits(64, ~0ULL), 63);
	CHECK_EQ(ddp_exchange_bits(32, 1), 12);
	CHECK_EQ(ddp_exchange_bits(32, 0), 0);
	return 0;
}

static int t_target_plan(void)
{
	uint64_t lim = 0x20000;

	CHECK_EQ(ddp_target_plan(0x5000, 0x1fe00, 9, lim), DDP_PLAN_CLAIM);
	CHECK_EQ(ddp_target_plan(0x1fe00, 0x1fe00, 9, lim),
		 DDP_PLAN_IDENTITY);
	/* Misaligned extent. */
	CHECK_EQ(ddp_target_plan(0x5000, 0x1fe01, 9, lim), DDP_PLAN_REJECT);
	/* Past the end of RAM, even partly. */
	CHECK_EQ(ddp_target_plan(0x5000, 0x20000, 9, lim), DDP_PLAN_REJECT);
	CHECK_EQ(ddp_target_plan(0x5000, 0x1ff00, 8, 0x1ff80),
		 DDP_PLAN_REJECT);
	CHECK_EQ(ddp_target_plan(0x5000, 0x1ff80, 7, 0x20000),
		 DDP_PLAN_CLAIM);
	/* Overlapping the chunk (only possible if Xen misaligned). */
	CHECK_EQ(ddp_target_plan(0x5000, 0x5000 + 256, 8, lim),
		 DDP_PLAN_CLAIM);
	CHECK_EQ(ddp_target_plan(0x5010, 0x5000, 5, lim), DDP_PLAN_REJECT);
	CHECK_EQ(ddp_target_plan(0x5000, 0x5010, 5, lim), DDP_PLAN_REJECT);
	CHECK_EQ(ddp_target_plan(0x5000, 0x5020, 5, lim), DDP_PLAN_CLAIM);
	/* Order 0: any frame below the limit. */
	CHECK_EQ(ddp_target_plan(7, 0x1ffff, 0, lim), DDP_PLAN_CLAIM);
	CHECK_EQ(ddp_target_plan(7, 7, 0, lim), DDP_PLAN_IDENTITY);
	return 0;
}

static int t_build_all_ok(void)
{
	struct ddp_build b;
	unsigned int chunks = 0;
	int o;

	ddp_build_init(&b, 4096, 9, 24);
	while ((o = ddp_build_order(&b)) >= 0) {
		CHECK_EQ(o, 9);
		ddp_build_step(&b, (unsigned int)o, DDP_STEP_OK);
		CHECK(++chunks <= 8, "too many chunks");
	}
	CHECK_EQ(chunks, 8);
	CHECK_EQ(b.have, 4096);
	CHECK_EQ(b.failures, 0);
	return 0;
}

static int t_build_never_overshoots(void)
{
	struct ddp_build b;
	int o;

	/* 1 MiB + 12 KiB: 2^8 pages then 2^1 and 2^0. */
	ddp_build_init(&b, 259, 9, 24);
	CHECK_EQ(ddp_build_order(&b), 8);
	ddp_build_step(&b, 8, DDP_STEP_OK);
	CHECK_EQ(ddp_build_order(&b), 1);
	ddp_build_step(&b, 1, DDP_STEP_OK);
	CHECK_EQ(ddp_build_order(&b), 0);
	ddp_build_step(&b, 0, DDP_STEP_OK);
	o = ddp_build_order(&b);
	CHECK_EQ(o, -1);
	CHECK_EQ(b.have, 259);
	ddp_build_init(&b, 0, 9, 24);
	CHECK_EQ(ddp_build_order(&b), -1);
	return 0;
}

static int t_build_fallback(void)
{
	struct ddp_build b;

	ddp_build_init(&b, 4096, 9, 24);
	/* Xen has no 2 MiB extent: 1 MiB next, and it stays there. */
	ddp_build_step(&b, 9, DDP_STEP_NO_EXTENT);
	CHECK_EQ(ddp_build_order(&b), 8);
	ddp_build_step(&b, 8, DDP_STEP_OK);
	CHECK_EQ(ddp_build_order(&b), 8);
	/* The guest has no 1 MiB chunk either. */
	ddp_build_step(&b, 8, DDP_STEP_NO_CHUNK);
	CHECK_EQ(ddp_build_order(&b), 7);
	CHECK_EQ(b.failures, 2);
	/* Down to order 0, then give up. */
	for (int o = 7; o > 0; o--)
		ddp_build_step(&b, (unsigned int)o, DDP_STEP_NO_EXTENT);
	CHECK_EQ(ddp_build_order(&b), 0);
	ddp_build_step(&b, 0, DDP_STEP_NO_EXTENT);
	CHECK_EQ(ddp_build_order(&b), -1);
	CHECK_EQ(b.have, 256);
	return 0;
}

static int t_build_busy(void)
{
	struct ddp_build b;
	int i;

	ddp_build_init(&b, 4096, 9, 10);
	/* Busy targets: retry the same order, smaller after a streak. */
	for (i = 0; i < 3; i++) {
		ddp_build_step(&b, 9, DDP_STEP_BUSY);
		CHECK_EQ(ddp_build_order(&b), 9);
	}
	ddp_build_step(&b, 9, DDP_STEP_OK);
	ddp_build_step(&b, 9, DDP_STEP_BUSY);
	CHECK_EQ(ddp_build_order(&b), 9);
	for (i = 0; i < 3; i++)
		ddp_build_step(&b, 9, DDP_STEP_BUSY);
	CHECK_EQ(ddp_build_order(&b), 8);
	/* The total is bounded. */
	ddp_build_step(&b, 8, DDP_STEP_BUSY);
	ddp_build_step(&b, 8, DDP_STEP_BUSY);
	CHECK_EQ(b.busy, 9);
	CHECK_EQ(ddp_build_order(&b), 8);
	ddp_build_step(&b, 8, DDP_STEP_BUSY);
	CHECK_EQ(ddp_build_order(&b), -1);
	CHECK_EQ(b.have, 512);
	CHECK_EQ(b.failures, 10);
	return 0;
}

static int t_build_fatal(void)
{
	struct ddp_build b;

	ddp_build_init(&b, 4096, 9, 24);
	ddp_build_step(&b, 9, DDP_STEP_OK);
	ddp_build_step(&b, 9, DDP_STEP_FATAL);
	CHECK_EQ(ddp_build_order(&b), -1);
	CHECK_EQ(b.have, 512);
	CHECK_EQ(b.failures, 1);
	return 0;
}

static int t_frame_limit(void)
{
	CHECK_EQ(ddp_frame_limit(32), 0x100000);
	CHECK_EQ(ddp_frame_limit(13), 2);
	CHECK_EQ(ddp_frame_limit(12), 0);
	CHECK_EQ(ddp_frame_limit(0), 0);
	CHECK(ddp_frame_limit(64) == (uint64_t)1 << 52, "64 bits");
	return 0;
}

static int t_frames_below(void)
{
	static const uint64_t f[] = {
		0x1000, 0xfffff, 0x100000, 0x2000, DDP_NO_FRAME, 0x3000,
	};
	struct p2m p = { f, 6 };
	const uint64_t lim = ddp_frame_limit(32);

	CHECK(ddp_frames_below(0, 2, lim, p2m_xlate, &p),
	      "0x1000 and the last frame below 4 GiB");
	CHECK(!ddp_frames_below(0, 3, lim, p2m_xlate, &p),
	      "frame 0x100000 is at 4 GiB");
	CHECK(!ddp_frames_below(2, 1, lim, p2m_xlate, &p), "one high frame");
	CHECK(ddp_frames_below(2, 1, lim + 1, p2m_xlate, &p),
	      "higher limit");
	/* A pfn without a frame is never low. */
	CHECK(!ddp_frames_below(3, 3, lim, p2m_xlate, &p), "no frame");
	CHECK(!ddp_frames_below(6, 1, ~0ULL, p2m_xlate, &p), "past the p2m");
	CHECK(ddp_frames_below(5, 1, lim, p2m_xlate, &p), "last pfn");
	CHECK(ddp_frames_below(2, 0, lim, p2m_xlate, &p), "empty run");
	CHECK(!ddp_frames_below(0, 1, 0, p2m_xlate, &p), "limit 0");
	return 0;
}

static int t_lowmem_walk(void)
{
	struct ddp_lowmem l;
	unsigned int n = 0;
	int o;

	/* 256 MiB wanted: blocks moved, low already, and busy ones left. */
	ddp_lowmem_init(&l, 65536, 9);
	while ((o = ddp_lowmem_order(&l)) >= 0) {
		CHECK_EQ(o, 9);
		ddp_lowmem_step(&l, (unsigned int)o,
				n % 3 == 0 ? DDP_LOW_MOVED :
				n % 3 == 1 ? DDP_LOW_ALREADY : DDP_LOW_BUSY);
		n++;
		CHECK(n <= 200, "too many steps");
	}
	/* 128 blocks below the limit; every third block was busy. */
	CHECK_EQ(l.moved + l.already, 65536);
	CHECK_EQ(l.moved, 64 * 512);
	CHECK_EQ(l.busy, 63 * 512);
	CHECK_EQ(l.failures, 0);
	/* Nothing asked: nothing done. */
	ddp_lowmem_init(&l, 0, 9);
	CHECK_EQ(ddp_lowmem_order(&l), -1);
	return 0;
}

static int t_lowmem_fallback(void)
{
	struct ddp_lowmem l;
	int o;

	ddp_lowmem_init(&l, 1 << 20, 9);
	ddp_lowmem_step(&l, 9, DDP_LOW_NO_EXTENT);
	CHECK_EQ(ddp_lowmem_order(&l), 8);
	ddp_lowmem_step(&l, 8, DDP_LOW_MOVED);
	/* Never back up to a larger order. */
	CHECK_EQ(ddp_lowmem_order(&l), 8);
	/* A block low already, counted at its own order. */
	ddp_lowmem_step(&l, 9, DDP_LOW_ALREADY);
	CHECK_EQ(ddp_lowmem_order(&l), 8);
	while ((o = ddp_lowmem_order(&l)) > 0)
		ddp_lowmem_step(&l, (unsigned int)o, DDP_LOW_NO_EXTENT);
	CHECK_EQ(o, 0);
	ddp_lowmem_step(&l, 0, DDP_LOW_MOVED);
	CHECK_EQ(ddp_lowmem_order(&l), 0);
	/* No extent at order 0: Xen has nothing left below the limit. */
	ddp_lowmem_step(&l, 0, DDP_LOW_NO_EXTENT);
	CHECK_EQ(ddp_lowmem_order(&l), -1);
	CHECK_EQ(l.failures, 10);
	CHECK_EQ(l.moved, 257);
	CHECK_EQ(l.already, 512);
	/* A stale failure of a larger order does not raise the order. */
	ddp_lowmem_init(&l, 1 << 20, 9);
	ddp_lowmem_step(&l, 9, DDP_LOW_NO_EXTENT);
	ddp_lowmem_step(&l, 8, DDP_LOW_NO_EXTENT);
	ddp_lowmem_step(&l, 9, DDP_LOW_NO_EXTENT);
	CHECK_EQ(ddp_lowmem_order(&l), 7);
	return 0;
}

static int t_lowmem_stops(void)
{
	struct ddp_lowmem l;

	/* Exactly what was wanted, then over. */
	ddp_lowmem_init(&l, 700, 9);
	ddp_lowmem_step(&l, 9, DDP_LOW_MOVED);
	CHECK_EQ(ddp_lowmem_order(&l), 9);
	ddp_lowmem_step(&l, 7, DDP_LOW_ALREADY);
	CHECK_EQ(ddp_lowmem_order(&l), 9);
	ddp_lowmem_step(&l, 6, DDP_LOW_MOVED);
	CHECK_EQ(ddp_lowmem_order(&l), -1);
	/* Busy memory never ends the walk, nor counts. */
	ddp_lowmem_init(&l, 512, 9);
	ddp_lowmem_step(&l, 9, DDP_LOW_BUSY);
	ddp_lowmem_step(&l, 9, DDP_LOW_BUSY);
	CHECK_EQ(ddp_lowmem_order(&l), 9);
	CHECK_EQ(l.failures, 0);
	/* An unexpected result ends it. */
	ddp_lowmem_step(&l, 9, DDP_LOW_FATAL);
	CHECK_EQ(ddp_lowmem_order(&l), -1);
	CHECK_EQ(l.failures, 1);
	/* The order given at the start is the largest ever tried. */
	ddp_lowmem_init(&l, 4096, 3);
	CHECK_EQ(ddp_lowmem_order(&l), 3);
	return 0;
}

static int t_attach_parse(void)
{
	struct ddp_attach a;

	CHECK_EQ(ddp_parse_attach("pcifront", &a), 0);
	CHECK(a.pcifront && a.n == 0, "pcifront");
	CHECK_EQ(ddp_parse_attach("none", &a), 0);
	CHECK(!a.pcifront && a.n == 0, "none");
	CHECK_EQ(ddp_parse_attach("", &a), 0);
	CHECK(!a.pcifront && a.n == 0, "empty");
	CHECK_EQ(ddp_parse_attach("  none\n", &a), 0);

	CHECK_EQ(ddp_parse_attach("0000:00:05.0,0001:3a:1f.7", &a), 0);
	CHECK_EQ(a.n, 2);
	CHECK(!a.pcifront, "list only");
	CHECK(ddp_attach_listed(&a, 0, 0, 5 << 3), "00:05.0");
	CHECK(ddp_attach_listed(&a, 1, 0x3a, 0x1f << 3 | 7), "3a:1f.7");
	CHECK(!ddp_attach_listed(&a, 0, 0, 5 << 3 | 1), "00:05.1");
	CHECK(!ddp_attach_listed(&a, 1, 0, 5 << 3), "other segment");

	CHECK_EQ(ddp_parse_attach("00:06.0, pcifront ,0000:00:06.0", &a), 0);
	CHECK(a.pcifront, "mixed");
	CHECK_EQ(a.n, 1);	/* the same function twice */
	CHECK(ddp_attach_listed(&a, 0, 0, 6 << 3), "short form");
	CHECK_EQ(ddp_parse_attach("00:0A.3", &a), 0);
	CHECK(ddp_attach_listed(&a, 0, 0, 0xa << 3 | 3), "upper case");
	return 0;
}

static int t_attach_refused(void)
{
	static const char *const bad[] = {
		"none,pcifront", "pcifront,none", "pci", "Pcifront", ",",
		"pcifront,", ",pcifront", "pcifront,,none", "0000:00:20.0",
		"0000:00:05.8", "00000:00:05.0", "0000:100:05.0", "100:05.0",
		"0000:00:05", "0000:00:05.", "0000:00.05.0", "00:05.0x",
		"0000:00:05.0 0000:00:06.0", "0000:00:05.0;pcifront",
		"-1:00.0", "g0:00.0",
	};
	char many[512];
	struct ddp_attach a;
	unsigned int i;
	size_t len = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ddp_parse_attach(bad[i], &a) == -1, "accepted \"%s\"",
		      bad[i]);
	/* DDP_ATTACH_MAX addresses fit, one more does not. */
	for (i = 0; i < DDP_ATTACH_MAX; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len,
					"%s00:%02x.0", i ? "," : "", i);
	CHECK_EQ(ddp_parse_attach(many, &a), 0);
	CHECK_EQ(a.n, DDP_ATTACH_MAX);
	snprintf(many + len, sizeof(many) - len, ",01:00.0");
	CHECK_EQ(ddp_parse_attach(many, &a), -1);
	return 0;
}

#define T(n) { "dmapool_" #n, t_##n }
static const struct test tests[] = {
	T(direct_contiguous), T(direct_mask), T(direct_no_frame), T(range_why),
	T(pool_size),
	T(bounce_geom), T(coherent_geom), T(fit_window), T(fit_placement),
	T(slots_basic), T(slots_coherent), T(slots_refused), T(slots_random),
	T(sync_span), T(chunk_find), T(copy_rules), T(exchange_bits),
	T(target_plan), T(build_all_ok), T(build_never_overshoots),
	T(build_fallback), T(build_busy), T(build_fatal), T(frame_limit),
	T(frames_below), T(lowmem_walk), T(lowmem_fallback),
	T(lowmem_stops), T(attach_parse),
	T(attach_refused),
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL) ? 1 : 0;
}
