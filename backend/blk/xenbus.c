// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkback: negotiation and life cycle.
 *
 * probe      offer transport features, watch physical-device, InitWait
 * hotplug    physical-device appears: open the device
 * frontend   Initialised/Connected: read its keys, map its rings
 * both done  start ring threads, publish device properties, Connected
 * Closing/Closed from the frontend, or removal: answer in-flight requests,
 * unmap everything and close.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/xen.h>
#include <xen/interface/io/protocols.h>
#include "common.h"

unsigned int ddbb_max_ring_page_order = DDCORE_MAX_RING_ORDER;
module_param_named(max_ring_page_order, ddbb_max_ring_page_order, uint, 0444);
MODULE_PARM_DESC(max_ring_page_order, "Largest ring page order offered (0-4)");

unsigned int ddbb_max_queues;
module_param_named(max_queues, ddbb_max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "Largest number of rings per device (0: online CPUs)");

unsigned int ddbb_max_indirect_segments = 256;
module_param_named(max_indirect_segments, ddbb_max_indirect_segments, uint, 0444);
MODULE_PARM_DESC(max_indirect_segments,
		 "Segments per indirect request offered (0 disables, up to 4096)");

unsigned int ddbb_max_persistent_grants = 1056;
module_param_named(max_persistent_grants, ddbb_max_persistent_grants, uint, 0444);
MODULE_PARM_DESC(max_persistent_grants,
		 "Persistent grants kept per ring (0 disables persistent grants)");

unsigned int ddbb_max_bad_req = 256;
module_param_named(max_bad_req, ddbb_max_bad_req, uint, 0644);
MODULE_PARM_DESC(max_bad_req,
		 "Malformed requests tolerated per ring and connection before the frontend is cut off (0: never)");

/* Transport features offered before InitWait. */
enum { OFFER_ORDER, OFFER_QUEUES, OFFER_INDIRECT, OFFER_PERSISTENT, OFFER_NR };

static const struct ddcore_feature ddbb_offer[OFFER_NR] = {
	[OFFER_ORDER] = { "max-ring-page-order", 0, DDCORE_MAX_RING_ORDER, 0 },
	[OFFER_QUEUES] = { "multi-queue-max-queues", 1, DDBB_MAX_QUEUES_CAP, 0 },
	[OFFER_INDIRECT] = { "feature-max-indirect-segments", 0,
			     DDBLK_MAX_INDIRECT_SEGS, DDCORE_FEAT_OPTIONAL },
	[OFFER_PERSISTENT] = { "feature-persistent", 0, 1, DDCORE_FEAT_BOOL },
};

/* Device properties published before Connected ("sectors" is 64-bit). */
enum {
	PROP_INFO, PROP_SSIZE, PROP_PSSIZE, PROP_FLUSH, PROP_BARRIER,
	PROP_PERSISTENT, PROP_DISCARD, PROP_NR
};

static const struct ddcore_feature ddbb_props[PROP_NR] = {
	[PROP_INFO] = { "info", 0, UINT_MAX, 0 },
	[PROP_SSIZE] = { "sector-size", 512, UINT_MAX, 0 },
	[PROP_PSSIZE] = { "physical-sector-size", 512, UINT_MAX, 0 },
	[PROP_FLUSH] = { "feature-flush-cache", 0, 1, DDCORE_FEAT_BOOL },
	[PROP_BARRIER] = { "feature-barrier", 0, 1, DDCORE_FEAT_BOOL },
	[PROP_PERSISTENT] = { "feature-persistent", 0, 1, DDCORE_FEAT_BOOL },
	[PROP_DISCARD] = { "feature-discard", 0, 1, DDCORE_FEAT_BOOL },
};

/* Published together, and only when discard is offered. */
enum { DISC_GRAN, DISC_ALIGN, DISC_SECURE, DISC_NR };

static const struct ddcore_feature ddbb_discard[DISC_NR] = {
	[DISC_GRAN] = { "discard-granularity", 512, UINT_MAX, 0 },
	[DISC_ALIGN] = { "discard-alignment", 0, UINT_MAX, 0 },
	[DISC_SECURE] = { "discard-secure", 0, 1, DDCORE_FEAT_BOOL },
};

/* Keys read from the frontend. */
enum { FE_QUEUES, FE_ORDER, FE_PERSISTENT, FE_NR };

static int ddbb_xs_offer(struct xenbus_transaction xbt, void *arg)
{
	struct ddbb_blkif *blkif = arg;
	unsigned int vals[OFFER_NR];

	vals[OFFER_ORDER] = ddbb_max_ring_page_order;
	vals[OFFER_QUEUES] = ddbb_max_queues;
	vals[OFFER_INDIRECT] = ddbb_max_indirect_segments;
	vals[OFFER_PERSISTENT] = ddbb_max_persistent_grants > 0;
	return ddcore_feat_publish(xbt, blkif->dev->nodename, ddbb_offer,
				   OFFER_NR, vals);
}

static int ddbb_xs_connect(struct xenbus_transaction xbt, void *arg)
{
	struct ddbb_blkif *blkif = arg;
	const char *dir = blkif->dev->nodename;
	struct block_device *bdev = blkif->bdev;
	unsigned int vals[PROP_NR], dvals[DISC_NR];
	int err;

	vals[PROP_INFO] = ddbb_dev_info(blkif);
	vals[PROP_SSIZE] = bdev_logical_block_size(bdev);
	vals[PROP_PSSIZE] = bdev_physical_block_size(bdev);
	vals[PROP_FLUSH] = blkif->lim.flush;
	vals[PROP_BARRIER] = blkif->lim.barrier;
	vals[PROP_PERSISTENT] = blkif->persistent;
	vals[PROP_DISCARD] = blkif->lim.discard;
	err = ddcore_feat_publish(xbt, dir, ddbb_props, PROP_NR, vals);
	if (err)
		return err;
	if (blkif->lim.discard) {
		dvals[DISC_GRAN] = max(bdev_discard_granularity(bdev),
				       bdev_logical_block_size(bdev));
		dvals[DISC_ALIGN] = bdev_discard_alignment(bdev);
		dvals[DISC_SECURE] = blkif->lim.discard_secure;
		err = ddcore_feat_publish(xbt, dir, ddbb_discard, DISC_NR, dvals);
		if (err)
			return err;
	}
	return xenbus_printf(xbt, dir, "sectors", "%llu",
			     (unsigned long long)blkif->sectors);
}

struct ddbb_resize {
	struct ddbb_blkif *blkif;
	u64 sectors;
};

static int ddbb_xs_resize(struct xenbus_transaction xbt, void *arg)
{
	struct ddbb_resize *rs = arg;
	struct xenbus_device *dev = rs->blkif->dev;
	int err;

	err = xenbus_printf(xbt, dev->nodename, "sectors", "%llu",
			    (unsigned long long)rs->sectors);
	if (err)
		return err;
	/* Rewrite our state so the frontend's watch fires and re-reads. */
	return xenbus_printf(xbt, dev->nodename, "state", "%d", dev->state);
}

/**
 * ddbb_resize_work() - publish a changed device size
 * @work: &ddbb_blkif.resize_work
 */
void ddbb_resize_work(struct work_struct *work)
{
	struct ddbb_blkif *blkif = container_of(work, struct ddbb_blkif, resize_work);
	struct xenbus_device *dev = blkif->dev;
	struct ddbb_resize rs = { .blkif = blkif };
	int err;

	mutex_lock(&blkif->lock);
	if (!blkif->bdev || dev->state != XenbusStateConnected)
		goto out;
	rs.sectors = bdev_nr_sectors(blkif->bdev);
	if (rs.sectors == blkif->sectors)
		goto out;
	dev_info(&dev->dev, "%s: size changed from %llu to %llu sectors\n",
		 dev->nodename, (unsigned long long)blkif->sectors,
		 (unsigned long long)rs.sectors);
	WRITE_ONCE(blkif->lim.dev_sectors, rs.sectors);
	WRITE_ONCE(blkif->sectors, rs.sectors);
	err = ddcore_xs_transact(ddbb_xs_resize, &rs);
	if (err)
		dev_warn(&dev->dev, "%s: publishing new size failed (%d)\n",
			 dev->nodename, err);
out:
	mutex_unlock(&blkif->lock);
}

/* Called with blkif->lock held. */
static void ddbb_disconnect(struct ddbb_blkif *blkif)
{
	unsigned int i;

	for (i = 0; i < blkif->nr_rings; i++)
		ddbb_ring_stop(&blkif->rings[i]);
	for (i = 0; i < blkif->nr_rings; i++)
		ddbb_ring_unmap(&blkif->rings[i]);
	kvfree(blkif->rings);
	blkif->rings = NULL;
	blkif->nr_rings = 0;
	blkif->rings_ready = false;
}

/* Called with blkif->lock held; errors are reported with xenbus_dev_fatal. */
static int ddbb_connect_rings(struct ddbb_blkif *blkif)
{
	struct xenbus_device *dev = blkif->dev;
	struct ddcore_feature fe[FE_NR] = {
		[FE_QUEUES] = { "multi-queue-num-queues", 1, ddbb_max_queues,
				DDCORE_FEAT_STRICT },
		[FE_ORDER] = { "ring-page-order", 0, ddbb_max_ring_page_order,
			       DDCORE_FEAT_STRICT },
		[FE_PERSISTENT] = { "feature-persistent", 0, 1, DDCORE_FEAT_BOOL },
	};
	unsigned int vals[FE_NR], bad = 0, q;
	char *proto, *path;
	bool native;
	int err;

	err = ddcore_feat_read(dev->otherend, fe, FE_NR, vals, &bad);
	if (err) {
		xenbus_dev_fatal(dev, err, "frontend %s/%s is invalid or above %u",
				 dev->otherend, fe[bad].key, fe[bad].max);
		return err;
	}
	if (!vals[FE_QUEUES]) {
		xenbus_dev_fatal(dev, -EINVAL, "frontend asks for 0 queues");
		return -EINVAL;
	}
	proto = xenbus_read(XBT_NIL, dev->otherend, "protocol", NULL);
	if (!IS_ERR(proto)) {
		native = !strcmp(proto, XEN_IO_PROTO_ABI_NATIVE);
		if (!native)
			xenbus_dev_fatal(dev, -EPROTONOSUPPORT, "unsupported protocol %s", proto);
		kfree(proto);
		if (!native)
			return -EPROTONOSUPPORT;
	}

	blkif->ring_order = vals[FE_ORDER];
	blkif->persistent = vals[FE_PERSISTENT] && ddbb_max_persistent_grants;
	blkif->rings = kvcalloc(vals[FE_QUEUES], sizeof(*blkif->rings), GFP_KERNEL);
	if (!blkif->rings) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating rings");
		return -ENOMEM;
	}
	blkif->nr_rings = vals[FE_QUEUES];
	for (q = 0; q < blkif->nr_rings; q++)
		ddbb_ring_init(&blkif->rings[q], blkif, q);
	for (q = 0; q < blkif->nr_rings; q++) {
		path = ddcore_queue_path(dev->otherend, blkif->nr_rings, q, GFP_KERNEL);
		if (!path) {
			xenbus_dev_fatal(dev, -ENOMEM, "allocating queue path");
			return -ENOMEM;
		}
		err = ddbb_ring_map(&blkif->rings[q], path);
		kfree(path);
		if (err)
			return err;
	}
	blkif->rings_ready = true;
	dev_info(&dev->dev, "%s: %u ring(s) of %u page(s)%s\n", dev->nodename,
		 blkif->nr_rings, 1U << blkif->ring_order,
		 blkif->persistent ? ", persistent grants" : "");
	return 0;
}

/* Go Connected once both the rings and the device are there. */
static void ddbb_try_connect(struct ddbb_blkif *blkif)
{
	struct xenbus_device *dev = blkif->dev;
	unsigned int i;
	int err;

	if (!blkif->rings_ready || !blkif->bdev ||
	    dev->state == XenbusStateConnected)
		return;
	for (i = 0; i < blkif->nr_rings; i++) {
		err = ddbb_ring_start(&blkif->rings[i]);
		if (err) {
			xenbus_dev_fatal(dev, err, "starting ring thread %u", i);
			return;
		}
	}
	err = ddcore_xs_transact(ddbb_xs_connect, blkif);
	if (err) {
		xenbus_dev_fatal(dev, err, "publishing device properties");
		return;
	}
	err = xenbus_switch_state(dev, XenbusStateConnected);
	if (err)
		xenbus_dev_fatal(dev, err, "switching to Connected");
}

static void ddbb_pdev_changed(struct xenbus_watch *watch, const char *path,
			      const char *token)
{
	struct ddbb_blkif *blkif = container_of(watch, struct ddbb_blkif, pdev_watch);
	struct xenbus_device *dev = blkif->dev;
	unsigned int major, minor;
	char *mode, *type;
	int err;

	err = xenbus_scanf(XBT_NIL, dev->nodename, "physical-device", "%x:%x",
			   &major, &minor);
	if (XENBUS_EXIST_ERR(err))
		return; /* the hotplug script has not run yet */
	if (err != 2 || major > 0xfff || minor > 0xfffff) {
		xenbus_dev_fatal(dev, err < 0 ? err : -EINVAL,
				 "bad %s/physical-device", dev->nodename);
		return;
	}

	mutex_lock(&blkif->lock);
	if (blkif->bdev) {
		if (blkif->devt != MKDEV(major, minor))
			dev_warn(&dev->dev, "%s: changing physical-device to %x:%x is not supported\n",
				 dev->nodename, major, minor);
		goto out;
	}
	mode = xenbus_read(XBT_NIL, dev->nodename, "mode", NULL);
	if (IS_ERR(mode)) {
		xenbus_dev_fatal(dev, PTR_ERR(mode), "reading %s/mode", dev->nodename);
		goto out;
	}
	blkif->readonly = !strchr(mode, 'w');
	kfree(mode);
	type = xenbus_read(XBT_NIL, dev->otherend, "device-type", NULL);
	blkif->cdrom = false;
	if (!IS_ERR(type)) {
		blkif->cdrom = !strcmp(type, "cdrom");
		kfree(type);
	}
	err = ddbb_dev_open(blkif, major, minor);
	if (err) {
		xenbus_dev_fatal(dev, err, "opening device %x:%x", major, minor);
		goto out;
	}
	dev_info(&dev->dev, "%s: serving %x:%x %s, %llu sectors\n", dev->nodename,
		 major, minor, blkif->readonly ? "read-only" : "read-write",
		 (unsigned long long)blkif->sectors);
	ddbb_try_connect(blkif);
out:
	mutex_unlock(&blkif->lock);
}

static void ddbb_op_disconnect(void *drv)
{
	ddbb_disconnect(drv);
}

static int ddbb_op_connect_rings(void *drv)
{
	return ddbb_connect_rings(drv);
}

static void ddbb_op_try_connect(void *drv)
{
	ddbb_try_connect(drv);
}

static const struct ddcore_back_ops ddbb_back_ops = {
	.disconnect = ddbb_op_disconnect,
	.connect_rings = ddbb_op_connect_rings,
	.try_connect = ddbb_op_try_connect,
	.disconnect_on_close = false,
};

static void ddbb_frontend_changed(struct xenbus_device *dev,
				  enum xenbus_state fstate)
{
	struct ddbb_blkif *blkif = dev_get_drvdata(&dev->dev);

	ddcore_back_otherend_changed(dev, fstate, &blkif->lock, &ddbb_back_ops, blkif);
}

static void ddbb_remove(struct xenbus_device *dev)
{
	struct ddbb_blkif *blkif = dev_get_drvdata(&dev->dev);

	if (!blkif)
		return;
	if (blkif->stats_added)
		ddbb_stats_remove(blkif);
	if (blkif->watching) {
		unregister_xenbus_watch(&blkif->pdev_watch);
		kfree(blkif->pdev_watch.node);
		blkif->watching = false;
	}
	mutex_lock(&blkif->lock);
	ddbb_disconnect(blkif);
	ddbb_dev_close(blkif);
	mutex_unlock(&blkif->lock);
	cancel_work_sync(&blkif->resize_work);
	dev_set_drvdata(&dev->dev, NULL);
	kfree(blkif);
}

static int ddbb_probe(struct xenbus_device *dev, const struct xenbus_device_id *id)
{
	struct ddbb_blkif *blkif;
	int err;

	blkif = kzalloc(sizeof(*blkif), GFP_KERNEL);
	if (!blkif) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating backend");
		return -ENOMEM;
	}
	blkif->dev = dev;
	mutex_init(&blkif->lock);
	INIT_WORK(&blkif->resize_work, ddbb_resize_work);
	dev_set_drvdata(&dev->dev, blkif);

	err = ddcore_xs_transact(ddbb_xs_offer, blkif);
	if (err) {
		xenbus_dev_fatal(dev, err, "publishing features");
		goto fail;
	}
	err = ddbb_stats_add(blkif);
	if (err)
		dev_warn(&dev->dev, "no statistics in sysfs (%d)\n", err);
	else
		blkif->stats_added = true;
	err = xenbus_watch_pathfmt(dev, &blkif->pdev_watch, NULL, ddbb_pdev_changed,
				   "%s/physical-device", dev->nodename);
	if (err)
		goto fail;
	blkif->watching = true;
	err = xenbus_switch_state(dev, XenbusStateInitWait);
	if (err)
		goto fail;
	return 0;

fail:
	ddbb_remove(dev);
	return err;
}

static const struct xenbus_device_id ddbb_ids[] = {
	{ "vbd" },
	{ "" }
};

static struct xenbus_driver ddbb_driver = {
	.name = DDBB_NAME,
	.ids = ddbb_ids,
	.probe = ddbb_probe,
	.remove = ddbb_remove,
	.otherend_changed = ddbb_frontend_changed,
};

static int __init ddbb_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	ddbb_max_ring_page_order = min_t(unsigned int, ddbb_max_ring_page_order,
					 DDCORE_MAX_RING_ORDER);
	if (!ddbb_max_queues)
		ddbb_max_queues = num_online_cpus();
	ddbb_max_queues = clamp_t(unsigned int, ddbb_max_queues, 1, DDBB_MAX_QUEUES_CAP);
	if (ddbb_max_indirect_segments <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
		ddbb_max_indirect_segments = 0;
	ddbb_max_indirect_segments = min_t(unsigned int, ddbb_max_indirect_segments,
					   DDBLK_MAX_INDIRECT_SEGS);
	return xenbus_register_backend(&ddbb_driver);
}

static void __exit ddbb_exit(void)
{
	xenbus_unregister_driver(&ddbb_driver);
}

module_init(ddbb_init);
module_exit(ddbb_exit);

MODULE_DESCRIPTION("ddstack Xen block backend");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen-backend:vbd");
