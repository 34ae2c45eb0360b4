// SPDX-License-Identifier: GPL-2.0
/*
 * ddcore: multi-page shared rings.
 *
 * Frontend: allocate and grant 2^order pages, publish "ring-ref" (one page)
 * or "ring-refN" (several).  Backend: read those references, map them and
 * refuse a ring whose producer index is already impossible.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <xen/grant_table.h>
#include <xen/interface/io/ring.h>
#include <xen/page.h>
#include <xen/xenbus.h>
#include <ddstack/ddcore.h>

/* Every Xen shared ring starts with these four indices. */
struct ddcore_sring_hdr {
	RING_IDX req_prod, req_event;
	RING_IDX rsp_prod, rsp_event;
};

/**
 * ddcore_fring_setup() - allocate and grant a frontend ring
 * @dev: xenbus device (grants go to its other end)
 * @r: ring; @r->sring is set on success
 * @order: log2 of the page count, at most DDCORE_MAX_RING_ORDER
 *
 * The pages are zeroed.  The caller initialises the ring type on top.
 *
 * Return: 0 or a negative errno (already reported with xenbus_dev_fatal).
 */
int ddcore_fring_setup(struct xenbus_device *dev, struct ddcore_fring *r,
		       unsigned int order)
{
	if (order > DDCORE_MAX_RING_ORDER)
		return -EINVAL;
	r->order = order;
	return xenbus_setup_ring(dev, GFP_NOIO | __GFP_HIGH, &r->sring,
				 1U << order, r->refs);
}
EXPORT_SYMBOL_GPL(ddcore_fring_setup);

/**
 * ddcore_fring_teardown() - end access to and free a frontend ring
 * @r: ring; safe to call on a ring never set up
 *
 * A page the backend still maps is freed only once it lets go of it
 * (gnttab_end_foreign_access() with the page), never handed back to the
 * page allocator under the backend's mapping, as xenbus_teardown_ring()
 * of Linux 6.1 would.
 */
void ddcore_fring_teardown(struct ddcore_fring *r)
{
	unsigned int i, n = 1U << r->order;
	struct page *pg;

	if (!r->sring)
		return;
	for (i = 0; i < n; i++) {
		/* xenbus_setup_ring() allocated exact, split pages */
		pg = virt_to_page(r->sring + i * XEN_PAGE_SIZE);
		if (r->refs[i] != INVALID_GRANT_REF)
			gnttab_end_foreign_access(r->refs[i], pg);
		else
			put_page(pg);
		r->refs[i] = INVALID_GRANT_REF;
	}
	r->sring = NULL;
}
EXPORT_SYMBOL_GPL(ddcore_fring_teardown);

/**
 * ddcore_fring_publish() - write a ring's grant references
 * @xbt: transaction
 * @dir: queue directory (see ddcore_queue_path())
 * @r: ring
 *
 * Writes "ring-ref" for a one-page ring, "ring-ref0".."ring-refN-1"
 * otherwise.  The page order itself is a device-wide key the driver
 * publishes.
 *
 * Return: 0 or a xenstore error.
 */
int ddcore_fring_publish(struct xenbus_transaction xbt, const char *dir,
			 const struct ddcore_fring *r)
{
	unsigned int i, n = 1U << r->order;
	char key[16];
	int err;

	if (!r->order)
		return xenbus_printf(xbt, dir, "ring-ref", "%u", r->refs[0]);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "ring-ref%u", i);
		err = xenbus_printf(xbt, dir, key, "%u", r->refs[i]);
		if (err)
			return err;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_fring_publish);

/*
 * Frontend ring pages the backends hold mapped now, for whoever checks that
 * a closed frontend left nothing mapped behind (the backends' data pages go
 * by grant copy or are counted by each backend).
 */
static atomic_t ddcore_ring_pages = ATOMIC_INIT(0);

static int ddcore_ring_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&ddcore_ring_pages));
}

static int ddcore_ring_pages_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops ddcore_ring_pages_ops = {
	.get = ddcore_ring_pages_get,
	.set = ddcore_ring_pages_set,
};
module_param_cb(ring_pages_mapped, &ddcore_ring_pages_ops, NULL, 0444);
MODULE_PARM_DESC(ring_pages_mapped,
		 "Frontend ring pages mapped by ddstack's backends now (read-only)");

static int ddcore_read_ref(const char *dir, const char *key, grant_ref_t *ref)
{
	unsigned int v;
	int err;

	err = xenbus_scanf(XBT_NIL, dir, key, "%u", &v);
	if (err < 0)
		return err;
	*ref = v;
	return 0;
}

/**
 * ddcore_bring_map() - map a frontend's ring into the backend
 * @dev: xenbus device
 * @dir: frontend queue directory holding ring-ref / ring-refN
 * @order: negotiated page order (already checked against our maximum)
 * @r: ring; @r->sring is set on success
 *
 * A one-page ring is found under "ring-ref" (or "ring-ref0").
 *
 * Return: 0 or a negative errno (reported with xenbus_dev_fatal).
 */
int ddcore_bring_map(struct xenbus_device *dev, const char *dir,
		     unsigned int order, struct ddcore_bring *r)
{
	grant_ref_t refs[DDCORE_MAX_RING_PAGES];
	unsigned int i, n;
	char key[16];
	int err;

	if (order > DDCORE_MAX_RING_ORDER) {
		xenbus_dev_fatal(dev, -EINVAL, "ring order %u too large", order);
		return -EINVAL;
	}
	n = 1U << order;
	if (!order) {
		err = ddcore_read_ref(dir, "ring-ref", &refs[0]);
		if (err == -ENOENT)
			err = ddcore_read_ref(dir, "ring-ref0", &refs[0]);
		if (err) {
			xenbus_dev_fatal(dev, err, "reading %s/ring-ref", dir);
			return err;
		}
	} else {
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "ring-ref%u", i);
			err = ddcore_read_ref(dir, key, &refs[i]);
			if (err) {
				xenbus_dev_fatal(dev, err, "reading %s/%s", dir, key);
				return err;
			}
		}
	}
	err = xenbus_map_ring_valloc(dev, refs, n, &r->sring);
	if (err) {
		r->sring = NULL;
		xenbus_dev_fatal(dev, err, "mapping %u ring pages", n);
		return err;
	}
	r->nr_pages = n;
	atomic_add(n, &ddcore_ring_pages);
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_bring_map);

/**
 * ddcore_bring_map_key() - map a one-page ring whose grant has its own key
 * @dev: xenbus device
 * @dir: frontend (queue) directory holding @key
 * @key: key of the grant reference, e.g. "tx-ring-ref" or "rx-ring-ref"
 *	for the two rings of a netif queue
 * @r: ring; @r->sring is set on success
 *
 * Return: 0 or a negative errno (reported with xenbus_dev_fatal).
 */
int ddcore_bring_map_key(struct xenbus_device *dev, const char *dir,
			 const char *key, struct ddcore_bring *r)
{
	grant_ref_t ref;
	int err;

	err = ddcore_read_ref(dir, key, &ref);
	if (err) {
		xenbus_dev_fatal(dev, err, "reading %s/%s", dir, key);
		return err;
	}
	err = xenbus_map_ring_valloc(dev, &ref, 1, &r->sring);
	if (err) {
		r->sring = NULL;
		xenbus_dev_fatal(dev, err, "mapping %s/%s (grant %u)", dir, key, ref);
		return err;
	}
	r->nr_pages = 1;
	atomic_inc(&ddcore_ring_pages);
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_bring_map_key);

/**
 * ddcore_bring_check() - check a freshly mapped ring's indices
 * @r: mapped ring
 * @ring_size: slots in the ring (RING_SIZE of the attached ring type)
 * @rsp_prod: set to the response producer to attach at
 *
 * A frontend cannot have more requests outstanding than the ring holds;
 * if it claims so, the ring is refused before anything is read from it.
 *
 * Return: 0 or -EINVAL.
 */
int ddcore_bring_check(const struct ddcore_bring *r, unsigned int ring_size,
		       RING_IDX *rsp_prod)
{
	const struct ddcore_sring_hdr *h = r->sring;
	RING_IDX req = READ_ONCE(h->req_prod);
	RING_IDX rsp = READ_ONCE(h->rsp_prod);

	if (req - rsp > ring_size)
		return -EINVAL;
	*rsp_prod = rsp;
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_bring_check);

/**
 * ddcore_bring_unmap() - unmap a backend ring
 * @dev: xenbus device
 * @r: ring; safe to call when not mapped
 *
 * Pages Xen would not unmap stay counted in the ring_pages_mapped parameter
 * (the ring is forgotten either way: its mapping cannot be used again).
 */
void ddcore_bring_unmap(struct xenbus_device *dev, struct ddcore_bring *r)
{
	int err;

	if (!r->sring)
		return;
	err = xenbus_unmap_ring_vfree(dev, r->sring);
	if (err)
		dev_err_ratelimited(&dev->dev, "unmapping %u ring page(s): %d\n",
				    r->nr_pages, err);
	else
		atomic_sub(r->nr_pages, &ddcore_ring_pages);
	r->sring = NULL;
	r->nr_pages = 0;
}
EXPORT_SYMBOL_GPL(ddcore_bring_unmap);
