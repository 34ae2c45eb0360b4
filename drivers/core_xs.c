// SPDX-License-Identifier: GPL-2.0
/*
 * ddcore: xenstore helpers (transactions, feature tables, queue paths).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <ddstack/ddcore.h>

/* A transaction that keeps conflicting this often is not going to commit. */
#define DDCORE_XS_TRIES	256

/**
 * ddcore_xs_transact() - run @fn inside a xenstore transaction
 * @fn: body; returns 0 to commit or a negative errno to abort
 * @arg: passed to @fn
 *
 * The transaction is restarted (and @fn run again) while committing fails
 * with -EAGAIN, so @fn must only write xenstore.
 *
 * Return: 0 on commit, or the first error from start, @fn or commit.
 */
int ddcore_xs_transact(ddcore_xs_fn fn, void *arg)
{
	struct xenbus_transaction xbt;
	unsigned int tries = 0;
	int err;

	do {
		err = xenbus_transaction_start(&xbt);
		if (err)
			return err;
		err = fn(xbt, arg);
		if (err) {
			xenbus_transaction_end(xbt, 1);
			return err;
		}
		err = xenbus_transaction_end(xbt, 0);
		if (err != -EAGAIN)
			return err;
		cond_resched();
	} while (++tries < DDCORE_XS_TRIES);
	return -EAGAIN;
}
EXPORT_SYMBOL_GPL(ddcore_xs_transact);

/**
 * ddcore_feat_publish() - write a feature table's values
 * @xbt: transaction (or XBT_NIL)
 * @dir: device directory
 * @tab: table
 * @n: entries in @tab and @vals
 * @vals: value of each entry
 *
 * Entries marked DDCORE_FEAT_OPTIONAL are skipped when equal to their
 * default.  Boolean entries are written as 0 or 1.
 *
 * Return: 0 or the first xenstore error.
 */
int ddcore_feat_publish(struct xenbus_transaction xbt, const char *dir,
			const struct ddcore_feature *tab, unsigned int n,
			const unsigned int *vals)
{
	unsigned int i, v;
	int err;

	for (i = 0; i < n; i++) {
		v = vals[i];
		if (tab[i].flags & DDCORE_FEAT_BOOL)
			v = !!v;
		if ((tab[i].flags & DDCORE_FEAT_OPTIONAL) && v == tab[i].def)
			continue;
		err = xenbus_printf(xbt, dir, tab[i].key, "%u", v);
		if (err)
			return err;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_feat_publish);

/**
 * ddcore_feat_read() - read a feature table from the other end
 * @dir: the other end's directory
 * @tab: table
 * @n: entries in @tab and @vals
 * @vals: filled with one value per entry
 * @bad: on error, index of the offending entry (may be NULL)
 *
 * An absent key reads as its default.  An unparsable or too large value
 * reads as the default (unparsable) or the maximum (too large), unless the
 * entry is DDCORE_FEAT_STRICT, in which case reading stops with an error.
 *
 * Return: 0, -EINVAL (unparsable strict key) or -ERANGE (strict key above
 * its maximum).
 */
int ddcore_feat_read(const char *dir, const struct ddcore_feature *tab,
		     unsigned int n, unsigned int *vals, unsigned int *bad)
{
	unsigned int i, v;
	int err;

	for (i = 0; i < n; i++) {
		err = xenbus_scanf(XBT_NIL, dir, tab[i].key, "%u", &v);
		if (err == -ENOENT) {
			v = tab[i].def;
		} else if (err < 0) {
			if (tab[i].flags & DDCORE_FEAT_STRICT)
				goto fail_inval;
			v = tab[i].def;
		}
		if (tab[i].flags & DDCORE_FEAT_BOOL)
			v = !!v;
		if (v > tab[i].max) {
			if (tab[i].flags & DDCORE_FEAT_STRICT) {
				if (bad)
					*bad = i;
				return -ERANGE;
			}
			v = tab[i].max;
		}
		vals[i] = v;
	}
	return 0;

fail_inval:
	if (bad)
		*bad = i;
	return -EINVAL;
}
EXPORT_SYMBOL_GPL(ddcore_feat_read);

/**
 * ddcore_queue_path() - xenstore directory holding one queue's keys
 * @dir: device directory
 * @nr_queues: number of queues negotiated
 * @q: queue index
 * @gfp: allocation flags
 *
 * With one queue the keys live directly in @dir; with more, each queue has
 * its own "queue-N" subdirectory and nothing per-queue is at the top.
 *
 * Return: a kmalloc'ed path (kfree it), or NULL.
 */
char *ddcore_queue_path(const char *dir, unsigned int nr_queues,
			unsigned int q, gfp_t gfp)
{
	if (nr_queues <= 1)
		return kstrdup(dir, gfp);
	return kasprintf(gfp, "%s/queue-%u", dir, q);
}
EXPORT_SYMBOL_GPL(ddcore_queue_path);

/**
 * ddcore_parse_mac() - parse a "xx:xx:xx:xx:xx:xx" xenstore value
 * @s: string
 * @mac: result
 *
 * Return: 0, or -EINVAL for anything but six colon separated hex bytes.
 */
int ddcore_parse_mac(const char *s, u8 mac[6])
{
	if (strlen(s) != 17 || !mac_pton(s, mac))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_parse_mac);

/* The state watch of a backend followed with ddcore_front_follow(). */
static void ddcore_followed_state(struct xenbus_watch *watch, const char *path,
				  const char *token)
{
	struct xenbus_device *dev = container_of(watch, struct xenbus_device,
						 otherend_watch);
	struct xenbus_driver *drv;

	if (!dev->otherend || strncmp(dev->otherend, path, strlen(dev->otherend)) ||
	    !dev->dev.driver)
		return;
	drv = to_xenbus_driver(dev->dev.driver);
	if (drv->otherend_changed)
		drv->otherend_changed(dev, xenbus_read_driver_state(dev->otherend));
}

/**
 * ddcore_front_follow() - point a frontend at the backend its nodes name now
 * @dev: frontend device; the caller holds what serialises its life cycle and
 *	knows it has no connection to the old backend any more
 *
 * A driver domain restarted as a new domain serves the device from new
 * backend directories; the toolstack writes the frontend's "backend-id" and
 * "backend" nodes (in one transaction) to name them.  Both are read once and
 * checked (a domain id, a directory that exists); then the device's
 * otherend, otherend_id and state watch move there.  The watch fires once at
 * once, so a backend already waiting is answered through the driver's
 * otherend_changed as usual.
 *
 * Return: 0 when the device moved, -EALREADY if the nodes name the current
 * backend, or a negative errno (nothing changed).
 */
int ddcore_front_follow(struct xenbus_device *dev)
{
	char *be;
	int id, err;

	be = xenbus_read(XBT_NIL, dev->nodename, "backend", NULL);
	if (IS_ERR(be))
		return PTR_ERR(be);
	if (dev->otherend && !strcmp(be, dev->otherend)) {
		kfree(be);
		return -EALREADY;
	}
	err = xenbus_scanf(XBT_NIL, dev->nodename, "backend-id", "%i", &id);
	if (err != 1 || id < 0 || id >= DOMID_FIRST_RESERVED || !*be ||
	    !xenbus_exists(XBT_NIL, be, "")) {
		dev_warn_ratelimited(&dev->dev, "new backend \"%s\" (domain %d) unusable\n",
				     be, err == 1 ? id : -1);
		kfree(be);
		return -EINVAL;
	}
	if (dev->otherend_watch.node) {
		unregister_xenbus_watch(&dev->otherend_watch);
		kfree(dev->otherend_watch.node);
		dev->otherend_watch.node = NULL;
	}
	kfree(dev->otherend);
	dev->otherend = be;
	dev->otherend_id = id;
	dev_info(&dev->dev, "following the device to backend %s (domain %d)\n", be, id);
	return xenbus_watch_pathfmt(dev, &dev->otherend_watch, NULL, ddcore_followed_state,
				    "%s/state", dev->otherend);
}
EXPORT_SYMBOL_GPL(ddcore_front_follow);
