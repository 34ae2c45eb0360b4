// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkback: persistent grants and the pool of pages grants are mapped on.
 *
 * Everything here runs in the ring thread (or after it stopped), so no
 * locking is needed.  The set of persistent grants is bounded by the
 * max_persistent_grants parameter; once full, further grants are mapped for
 * one request only, and the least recently used idle grants are unmapped at
 * most once a second to make room.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include "common.h"

/**
 * ddbb_page_get() - a ballooned page to map a grant on
 * @ring: ring
 *
 * Return: a page, or NULL when memory is short.
 */
struct page *ddbb_page_get(struct ddbb_ring *ring)
{
	struct page *page;

	if (ring->pool_n)
		return ring->pool[--ring->pool_n];
	if (gnttab_alloc_pages(1, &page))
		return NULL;
	return page;
}

/**
 * ddbb_page_put() - give back a page with nothing mapped on it
 * @ring: ring
 * @page: page from ddbb_page_get()
 */
void ddbb_page_put(struct ddbb_ring *ring, struct page *page)
{
	if (ring->pool_n < DDBB_MAX_PAGE_POOL)
		ring->pool[ring->pool_n++] = page;
	else
		gnttab_free_pages(1, &page);
}

/**
 * ddbb_pool_free() - release every pooled page
 * @ring: ring
 */
void ddbb_pool_free(struct ddbb_ring *ring)
{
	if (ring->pool_n)
		gnttab_free_pages(ring->pool_n, ring->pool);
	ring->pool_n = 0;
}

/**
 * ddbb_unmap_batch() - unmap grants and return their pages to the pool
 * @ring: ring
 * @pages: pages the grants are mapped on
 * @handles: map handles
 * @n: count, at most @ring->max_segs
 *
 * Pages whose unmap failed still hold a foreign frame; they are leaked on
 * purpose rather than reused.
 */
void ddbb_unmap_batch(struct ddbb_ring *ring, struct page **pages,
		      grant_handle_t *handles, unsigned int n)
{
	struct gntab_unmap_queue_data q = {};
	unsigned int i;
	int err;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		gnttab_set_unmap_op(&ring->unmap_ops[i], ddbb_vaddr(pages[i]),
				    GNTMAP_host_map, handles[i]);
	q.unmap_ops = ring->unmap_ops;
	q.pages = pages;
	q.count = n;
	err = gnttab_unmap_refs_sync(&q);
	if (err) {
		pr_err_ratelimited(DDBB_NAME ": %s: unmapping %u grants failed (%d), pages leaked\n",
				   ring->blkif->dev->nodename, n, err);
		return;
	}
	for (i = 0; i < n; i++) {
		if (ring->unmap_ops[i].status != GNTST_okay) {
			pr_err_ratelimited(DDBB_NAME ": %s: grant unmap status %d, page leaked\n",
					   ring->blkif->dev->nodename,
					   ring->unmap_ops[i].status);
			continue;
		}
		ddbb_page_put(ring, pages[i]);
	}
}

/**
 * ddbb_pg_find() - look up a persistent grant
 * @ring: ring
 * @gref: frontend grant reference
 *
 * Return: the grant or NULL.
 */
struct ddbb_pgrant *ddbb_pg_find(struct ddbb_ring *ring, grant_ref_t gref)
{
	return xa_load(&ring->pgrants, gref);
}

/**
 * ddbb_pg_add() - keep a freshly mapped grant for later requests
 * @ring: ring
 * @gref: frontend grant reference
 * @handle: map handle
 * @page: page it is mapped on
 *
 * Return: the new persistent grant, marked in use, or NULL if the set is
 * full (the caller then unmaps the grant after the request).
 */
struct ddbb_pgrant *ddbb_pg_add(struct ddbb_ring *ring, grant_ref_t gref,
				grant_handle_t handle, struct page *page)
{
	struct ddbb_pgrant *pg;

	if (ring->pg_count >= ddbb_max_persistent_grants)
		return NULL;
	pg = kmalloc(sizeof(*pg), GFP_KERNEL);
	if (!pg)
		return NULL;
	pg->gref = gref;
	pg->handle = handle;
	pg->page = page;
	pg->in_use = true;
	if (xa_insert(&ring->pgrants, gref, pg, GFP_KERNEL)) {
		kfree(pg);
		return NULL;
	}
	list_add_tail(&pg->lru, &ring->pg_lru);
	ring->pg_count++;
	return pg;
}

/**
 * ddbb_pg_put() - a request stopped using a persistent grant
 * @ring: ring
 * @pg: grant
 */
void ddbb_pg_put(struct ddbb_ring *ring, struct ddbb_pgrant *pg)
{
	pg->in_use = false;
	list_move_tail(&pg->lru, &ring->pg_lru);
}

/**
 * ddbb_pg_purge() - unmap idle persistent grants
 * @ring: ring
 * @all: unmap every idle grant (teardown); otherwise, when the set is
 *	full, trim an eighth of it, least recently used first, at most once a
 *	second
 */
void ddbb_pg_purge(struct ddbb_ring *ring, bool all)
{
	struct ddbb_pgrant *pg, *tmp;
	unsigned int n = 0, target;

	if (!all) {
		if (ring->pg_count < ddbb_max_persistent_grants ||
		    time_before(jiffies, ring->pg_purge_at))
			return;
		ring->pg_purge_at = jiffies + HZ;
		target = max(ring->pg_count / 8, 1U);
	} else {
		target = ring->pg_count;
	}

	list_for_each_entry_safe(pg, tmp, &ring->pg_lru, lru) {
		if (!target)
			break;
		if (pg->in_use)
			continue;
		xa_erase(&ring->pgrants, pg->gref);
		list_del(&pg->lru);
		ring->pg_count--;
		target--;
		ring->pages[n] = pg->page;
		ring->handles[n] = pg->handle;
		kfree(pg);
		if (++n == ring->max_segs) {
			ddbb_unmap_batch(ring, ring->pages, ring->handles, n);
			n = 0;
		}
	}
	ddbb_unmap_batch(ring, ring->pages, ring->handles, n);
}
