// SPDX-License-Identifier: GPL-2.0
/*
 * ddblkfront: negotiation and life cycle.
 *
 * probe      decode virtual-device, reserve minors (stay Initialising)
 * InitWait   read the backend's limits, build rings, publish them, go Initialised
 * Connected  read device properties, create /dev/xvdX, go Connected
 * repeated Connected: the size may have changed
 * Closing/Closed: finish or fail every request, release rings, Closed
 * backend gone without being set offline (its domain died, its driver was
 *            reloaded): hold the requests, go Initialising, wait for a
 *            backend to offer itself, connect, send them again
 */
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/platform_pci.h>
#include <xen/xen.h>
#include <xen/interface/io/protocols.h>
#include "common.h"

unsigned int ddbf_max_ring_page_order;
module_param_named(max_ring_page_order, ddbf_max_ring_page_order, uint, 0444);
MODULE_PARM_DESC(max_ring_page_order, "Largest ring page order used (0-4)");

unsigned int ddbf_max_queues = 4;
module_param_named(max_queues, ddbf_max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "Largest number of rings (hardware queues) per disk");

unsigned int ddbf_max_indirect_segments = 32;
module_param_named(max_indirect_segments, ddbf_max_indirect_segments, uint, 0444);
MODULE_PARM_DESC(max_indirect_segments,
		 "Segments per indirect request used (0 disables, up to 4096)");

bool ddbf_feature_persistent = true;
module_param_named(feature_persistent, ddbf_feature_persistent, bool, 0444);
MODULE_PARM_DESC(feature_persistent, "Use persistent grants when the backend offers them");

bool ddbf_trusted = true;
module_param_named(trusted, ddbf_trusted, bool, 0644);
MODULE_PARM_DESC(trusted,
		 "Trust backends with the request's own pages (0: always bounce through zeroed pages of our own; a device's xenstore 'trusted' = 0 does the same for it)");

unsigned int ddbf_reconnect_timeout = 300;
module_param_named(reconnect_timeout, ddbf_reconnect_timeout, uint, 0644);
MODULE_PARM_DESC(reconnect_timeout,
		 "Seconds a disk whose backend went away (driver domain restarted, backend reloaded) keeps its requests for a backend to connect again; 0: fail them at once");

/* Backend limits read before building rings. */
enum { BE_ORDER, BE_QUEUES, BE_INDIRECT, BE_NR };

static const struct ddcore_feature ddbf_be_limits[BE_NR] = {
	[BE_ORDER] = { "max-ring-page-order", 0, DDCORE_MAX_RING_ORDER, 0 },
	[BE_QUEUES] = { "multi-queue-max-queues", 1, DDBF_MAX_QUEUES_CAP, 0 },
	[BE_INDIRECT] = { "feature-max-indirect-segments", 0, DDBLK_MAX_INDIRECT_SEGS, 0 },
};

/* Device properties read at connect ("sectors" is 64-bit, read apart). */
enum {
	P_INFO, P_SSIZE, P_PSSIZE, P_FLUSH, P_BARRIER, P_DISCARD, P_GRAN,
	P_ALIGN, P_SECURE, P_PERSISTENT, P_NR
};

static const struct ddcore_feature ddbf_props[P_NR] = {
	[P_INFO] = { "info", 0, UINT_MAX, 0 },
	[P_SSIZE] = { "sector-size", 512, PAGE_SIZE, DDCORE_FEAT_STRICT },
	[P_PSSIZE] = { "physical-sector-size", 0, UINT_MAX, 0 },
	[P_FLUSH] = { "feature-flush-cache", 0, 1, DDCORE_FEAT_BOOL },
	[P_BARRIER] = { "feature-barrier", 0, 1, DDCORE_FEAT_BOOL },
	[P_DISCARD] = { "feature-discard", 0, 1, DDCORE_FEAT_BOOL },
	[P_GRAN] = { "discard-granularity", 0, UINT_MAX, 0 },
	[P_ALIGN] = { "discard-alignment", 0, UINT_MAX, 0 },
	[P_SECURE] = { "discard-secure", 0, 1, DDCORE_FEAT_BOOL },
	[P_PERSISTENT] = { "feature-persistent", 0, 1, DDCORE_FEAT_BOOL },
};

/* Release ring contents; the array stays for blk-mq until remove. */
static void ddbf_teardown_rings(struct ddbf_info *info)
{
	unsigned int i;

	/* A broken backend stays broken: its responses are not used. */
	if (READ_ONCE(info->state) != DDBF_BROKEN)
		WRITE_ONCE(info->state, DDBF_DISCONNECTED);
	cancel_work_sync(&info->broken_work);
	for (i = 0; i < info->nr_rings; i++)
		ddbf_ring_drain(&info->rings[i]);
	/* a drain may find the backend broken: no failing work after the rings go */
	cancel_work_sync(&info->broken_work);
	for (i = 0; i < info->nr_rings; i++)
		ddbf_ring_free(&info->rings[i]);
	if (info->gd)
		blk_mq_start_stopped_hw_queues(info->gd->queue, true);
}

static int ddbf_xs_talk(struct xenbus_transaction xbt, void *arg)
{
	struct ddbf_info *info = arg;
	const char *dir = info->xbdev->nodename;
	struct ddbf_ring *ring;
	unsigned int q;
	char *path;
	int err;

	/*
	 * A frontend bound again to the same device finds what an earlier one
	 * published (a larger ring, more queues): remove it so the backend
	 * reads only this connection's keys. Keys that are absent are fine.
	 */
	xenbus_rm(xbt, dir, "ring-page-order");
	xenbus_rm(xbt, dir, "multi-queue-num-queues");
	xenbus_rm(xbt, dir, "ring-ref");
	for (q = 0; q < (1U << DDCORE_MAX_RING_ORDER); q++) {
		char key[16];

		snprintf(key, sizeof(key), "ring-ref%u", q);
		xenbus_rm(xbt, dir, key);
	}
	for (q = 0; q < DDBF_MAX_QUEUES_CAP; q++) {
		char key[16];

		snprintf(key, sizeof(key), "queue-%u", q);
		xenbus_rm(xbt, dir, key);
	}

	if (info->ring_order) {
		err = xenbus_printf(xbt, dir, "ring-page-order", "%u", info->ring_order);
		if (err)
			return err;
	}
	if (info->nr_rings > 1) {
		err = xenbus_printf(xbt, dir, "multi-queue-num-queues", "%u",
				    info->nr_rings);
		if (err)
			return err;
	}
	for (q = 0; q < info->nr_rings; q++) {
		ring = &info->rings[q];
		path = ddcore_queue_path(dir, info->nr_rings, q, GFP_NOIO);
		if (!path)
			return -ENOMEM;
		err = ddcore_fring_publish(xbt, path, &ring->fring);
		if (!err)
			err = xenbus_printf(xbt, path, "event-channel", "%u", ring->evtchn);
		kfree(path);
		if (err)
			return err;
	}
	err = xenbus_printf(xbt, dir, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
	if (err)
		return err;
	return xenbus_printf(xbt, dir, "feature-persistent", "%u",
			     ddbf_feature_persistent ? 1 : 0);
}

/* Backend waits for us: build the rings and publish them. */
static int ddbf_talk(struct ddbf_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	unsigned int vals[BE_NR], q, nr, max_indirect;
	int err;

	if (info->rings && !info->held) {
		/* A second start after a close is not supported. */
		xenbus_dev_fatal(dev, -EBUSY, "rings already set up");
		return -EBUSY;
	}
	/* The toolstack's word on this backend, and ours (the module parameter). */
	info->bounce = !ddbf_trusted || !xenbus_read_unsigned(dev->nodename, "trusted", 1);
	ddcore_feat_read(dev->otherend, ddbf_be_limits, BE_NR, vals, NULL);
	info->ring_order = min(ddbf_max_ring_page_order, vals[BE_ORDER]);
	nr = min3(ddbf_max_queues, vals[BE_QUEUES], num_online_cpus());
	nr = max(nr, 1U);
	max_indirect = min(ddbf_max_indirect_segments, vals[BE_INDIRECT]);
	if (max_indirect <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
		max_indirect = 0;
	if (info->held) {
		/*
		 * The disk and its blk-mq queues stay: a new backend must take
		 * requests as large as the old one did.  It may offer fewer
		 * queues (the hardware queues then share its rings), never more
		 * than the disk has hardware queues.
		 */
		if ((max_indirect ?: BLKIF_MAX_SEGMENTS_PER_REQUEST) < info->max_segs) {
			xenbus_dev_fatal(dev, -EINVAL,
					 "new backend takes %u segments per request; the disk uses %u",
					 max_indirect ?: BLKIF_MAX_SEGMENTS_PER_REQUEST,
					 info->max_segs);
			return -EINVAL;
		}
		nr = min(nr, info->tag_set.nr_hw_queues);
		max_indirect = info->max_indirect;
	}
	info->max_indirect = max_indirect;
	info->max_segs = info->max_indirect ?: BLKIF_MAX_SEGMENTS_PER_REQUEST;

	if (!info->rings) {
		info->rings = kvcalloc(nr, sizeof(*info->rings), GFP_KERNEL);
		if (!info->rings) {
			xenbus_dev_fatal(dev, -ENOMEM, "allocating rings");
			return -ENOMEM;
		}
	}
	info->nr_rings = nr;
	for (q = 0; q < nr; q++) {
		memset(&info->rings[q], 0, sizeof(info->rings[q]));
		info->rings[q].info = info;
		info->rings[q].idx = q;
		err = ddbf_ring_alloc(&info->rings[q]);
		if (err)
			goto fail;
	}
	err = ddcore_xs_transact(ddbf_xs_talk, info);
	if (err) {
		xenbus_dev_fatal(dev, err, "publishing transport parameters");
		goto fail;
	}
	err = xenbus_switch_state(dev, XenbusStateInitialised);
	if (err)
		goto fail;
	return 0;

fail:
	ddbf_teardown_rings(info);
	return err;
}

/*
 * The backend went away without the toolstack asking (its domain died, or
 * its driver was unbound or reloaded): the disk stays, the requests in
 * flight go back to blk-mq and wait, with every new one, on a quiesced queue
 * until a backend connects again (ddbf_resume()) or reconnect_timeout
 * passes (ddbf_hold_expired()).
 */
static bool ddbf_may_hold(struct ddbf_info *info)
{
	struct xenbus_device *dev = info->xbdev;

	if (!info->gd || !ddbf_reconnect_timeout || info->held ||
	    READ_ONCE(info->state) != DDBF_CONNECTED)
		return false;
	/* A detach: the toolstack set the backend offline first. */
	return xenbus_read_unsigned(dev->otherend, "online", 1) != 0;
}

static void ddbf_hold(struct ddbf_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	unsigned int i, n = 0;

	blk_mq_quiesce_queue(info->gd->queue);
	WRITE_ONCE(info->state, DDBF_DISCONNECTED);
	cancel_work_sync(&info->broken_work);
	for (i = 0; i < info->nr_rings; i++)
		n += ddbf_ring_hold(&info->rings[i]);
	for (i = 0; i < info->nr_rings; i++)
		ddbf_ring_free(&info->rings[i]);
	info->held = true;
	info->held_since = jiffies;
	info->held_rqs = n;
	pr_warn(DDBF_NAME ": %s: backend %s went away: %u request(s) held, waiting up to %u s for a backend\n",
		info->gd->disk_name, dev->otherend, n, ddbf_reconnect_timeout);
	/* Ready for a backend to offer itself (InitWait) at the same place. */
	xenbus_switch_state(dev, XenbusStateInitialising);
	schedule_delayed_work(&info->hold_work, ddbf_reconnect_timeout * HZ);
}

static void ddbf_release_held(struct ddbf_info *info)
{
	info->held = false;
	blk_mq_unquiesce_queue(info->gd->queue);
	blk_mq_start_stopped_hw_queues(info->gd->queue, true);
	blk_mq_kick_requeue_list(info->gd->queue);
}

/* A backend connected again: send the held requests to it. */
static void ddbf_resume(struct ddbf_info *info)
{
	cancel_delayed_work(&info->hold_work);
	info->reconnects++;
	pr_info(DDBF_NAME ": %s: backend %s connected after %u ms: %u held request(s) sent again\n",
		info->gd->disk_name, info->xbdev->otherend,
		jiffies_to_msecs(jiffies - info->held_since), info->held_rqs);
	ddbf_release_held(info);
}

/* No backend came back in time: the held requests fail, the disk dies. */
static void ddbf_hold_expired(struct work_struct *work)
{
	struct ddbf_info *info = container_of(to_delayed_work(work), struct ddbf_info,
					      hold_work);

	mutex_lock(&info->mutex);
	if (info->held && READ_ONCE(info->state) != DDBF_CONNECTED) {
		pr_err(DDBF_NAME ": %s: no backend connected in %u s: held requests fail\n",
		       info->gd->disk_name, ddbf_reconnect_timeout);
		/* Not connected: ddbf_queue_rq() fails every request. */
		ddbf_release_held(info);
		blk_mark_disk_dead(info->gd);
		xenbus_frontend_closed(info->xbdev);
	}
	mutex_unlock(&info->mutex);
}

static void ddbf_connect(struct ddbf_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	unsigned int vals[P_NR], bad = 0, i;
	unsigned long long sectors;
	int err;

	err = xenbus_scanf(XBT_NIL, dev->otherend, "sectors", "%llu", &sectors);
	if (err != 1) {
		xenbus_dev_fatal(dev, err < 0 ? err : -EINVAL, "reading %s/sectors",
				 dev->otherend);
		return;
	}
	err = ddcore_feat_read(dev->otherend, ddbf_props, P_NR, vals, &bad);
	if (err || !is_power_of_2(vals[P_SSIZE]) || vals[P_SSIZE] < 512) {
		xenbus_dev_fatal(dev, err ?: -EINVAL, "backend %s/%s is invalid",
				 dev->otherend, ddbf_props[err ? bad : P_SSIZE].key);
		return;
	}
	/* the byte size must fit a loff_t */
	if (sectors > (U64_MAX >> 1) >> SECTOR_SHIFT) {
		xenbus_dev_fatal(dev, -EINVAL, "backend %s/sectors %llu is out of range",
				 dev->otherend, sectors);
		return;
	}
	if (info->held && vals[P_SSIZE] != info->sector_size) {
		xenbus_dev_fatal(dev, -EINVAL, "new backend has %u-byte sectors, the disk %u",
				 vals[P_SSIZE], info->sector_size);
		return;
	}
	if (info->held && sectors != info->sectors) {
		pr_info(DDBF_NAME ": %s: size changed from %llu to %llu sectors\n",
			info->gd->disk_name, (unsigned long long)info->sectors, sectors);
		set_capacity_and_notify(info->gd, sectors);
	}
	info->sectors = sectors;
	info->vdisk_info = vals[P_INFO] & (VDISK_CDROM | VDISK_REMOVABLE | VDISK_READONLY);
	info->sector_size = vals[P_SSIZE];
	info->physical_sector_size = vals[P_PSSIZE];
	if (info->physical_sector_size < info->sector_size ||
	    !is_power_of_2(info->physical_sector_size))
		info->physical_sector_size = info->sector_size;
	if (vals[P_FLUSH]) {
		info->flush_op = BLKIF_OP_FLUSH_DISKCACHE;
		info->fua = false;
	} else if (vals[P_BARRIER]) {
		/* FUA writes become barriers, which cannot be indirect. */
		info->flush_op = BLKIF_OP_WRITE_BARRIER;
		info->fua = true;
		info->max_indirect = 0;
	} else {
		info->flush_op = 0;
		info->fua = false;
	}
	info->discard = vals[P_DISCARD];
	info->discard_granularity = vals[P_GRAN];
	info->discard_alignment = vals[P_ALIGN];
	if (info->discard && info->discard_granularity &&
	    (!is_power_of_2(info->discard_granularity) ||
	     info->discard_granularity < info->sector_size ||
	     info->discard_alignment >= info->discard_granularity)) {
		dev_warn(&dev->dev, "backend discard granularity %u, alignment %u invalid: discard off\n",
			 info->discard_granularity, info->discard_alignment);
		info->discard = false;
	}
	info->secure_discard = info->discard && vals[P_SECURE];
	info->persistent = ddbf_feature_persistent && vals[P_PERSISTENT];
	if (ddbf_copying(info))
		for (i = 0; i < info->nr_rings; i++)
			ddbf_ring_fill_grants(&info->rings[i], info->rings[i].size *
					      BLKIF_MAX_SEGMENTS_PER_REQUEST);

	WRITE_ONCE(info->state, DDBF_CONNECTED);
	err = xenbus_switch_state(dev, XenbusStateConnected);
	if (err) {
		WRITE_ONCE(info->state, DDBF_DISCONNECTED);
		return;
	}
	if (info->held) {
		/* what the new backend offers (a discard it lacks is refused and turned off) */
		ddbf_disk_flush_changed(info);
		ddbf_resume(info);
		return;
	}
	err = ddbf_disk_create(info);
	if (err) {
		WRITE_ONCE(info->state, DDBF_DISCONNECTED);
		xenbus_dev_fatal(dev, err, "creating disk");
		return;
	}
	pr_info(DDBF_NAME ": %s: %s %llu sectors of %u bytes, %u ring(s) of %u page(s), indirect %u, persistent %s%s, %s%s\n",
		dev->nodename, info->gd->disk_name, sectors, info->sector_size,
		info->nr_rings, 1U << info->ring_order, info->max_indirect,
		info->persistent ? "on" : "off", info->bounce ? ", bounce" : "",
		info->flush_op == BLKIF_OP_FLUSH_DISKCACHE ? "flush" :
		info->flush_op ? "barrier" : "no flush",
		info->discard ? ", discard" : "");
}

/* Backend re-announced Connected: pick up a new size. */
static void ddbf_resize(struct ddbf_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	unsigned long long sectors;

	if (!info->gd || xenbus_scanf(XBT_NIL, dev->otherend, "sectors", "%llu",
				      &sectors) != 1)
		return;
	if (sectors == info->sectors)
		return;
	if (sectors > (U64_MAX >> 1) >> SECTOR_SHIFT) {
		dev_warn(&dev->dev, "backend size %llu sectors out of range, ignored\n", sectors);
		return;
	}
	pr_info(DDBF_NAME ": %s: size changed from %llu to %llu sectors\n",
		info->gd->disk_name, (unsigned long long)info->sectors, sectors);
	info->sectors = sectors;
	set_capacity_and_notify(info->gd, sectors);
}

static void ddbf_close(struct ddbf_info *info)
{
	ddbf_teardown_rings(info);
	if (info->gd)
		blk_mark_disk_dead(info->gd);
	xenbus_frontend_closed(info->xbdev);
}

static void ddbf_backend_changed(struct xenbus_device *dev,
				 enum xenbus_state bstate)
{
	struct ddbf_info *info = dev_get_drvdata(&dev->dev);
	enum ddcore_action a;

	mutex_lock(&info->mutex);
	a = ddcore_front_action(dev->state, bstate);
	dev_dbg(&dev->dev, "backend %s, frontend %s: %s\n", xenbus_strstate(bstate),
		xenbus_strstate(dev->state), ddcore_action_str(a));
	switch (a) {
	case DDCORE_INIT:
		ddbf_talk(info);
		break;
	case DDCORE_INIT_CONNECT:
		if (ddbf_talk(info))
			break;
		fallthrough;
	case DDCORE_CONNECT:
		ddbf_connect(info);
		break;
	case DDCORE_RECONNECT:
		ddbf_resize(info);
		break;
	case DDCORE_CLOSE:
	case DDCORE_CLOSED:
	case DDCORE_GONE:
		if (ddbf_may_hold(info))
			ddbf_hold(info);
		else if (!info->held)
			ddbf_close(info);
		break;
	default:
		break;
	}
	mutex_unlock(&info->mutex);
}

/*
 * Our "backend" node changed: a driver domain restarted as a new domain
 * serves the device from new backend directories (ddctl supervise points us
 * there).  Only a held disk moves; its registration firing changes nothing.
 */
static void ddbf_backend_moved(struct xenbus_watch *watch, const char *path,
			       const char *token)
{
	struct ddbf_info *info = container_of(watch, struct ddbf_info, be_watch);

	mutex_lock(&info->mutex);
	if (info->held)
		ddcore_front_follow(info->xbdev);
	mutex_unlock(&info->mutex);
}

static void ddbf_remove(struct xenbus_device *dev)
{
	struct ddbf_info *info = dev_get_drvdata(&dev->dev);

	if (!info)
		return;
	if (info->stats_added)
		ddbf_stats_remove(info);
	if (info->be_watch.node) {
		unregister_xenbus_watch(&info->be_watch);
		kfree(info->be_watch.node);
	}
	cancel_delayed_work_sync(&info->hold_work);
	mutex_lock(&info->mutex);
	ddbf_teardown_rings(info);
	/* held requests fail now: the device is not connected */
	if (info->held)
		ddbf_release_held(info);
	mutex_unlock(&info->mutex);
	ddbf_disk_destroy(info);
	kvfree(info->rings);
	info->rings = NULL;
	info->nr_rings = 0;
	ddbf_release_minors(info);
	dev_set_drvdata(&dev->dev, NULL);
	kfree(info);
}

static int ddbf_probe(struct xenbus_device *dev, const struct xenbus_device_id *id)
{
	struct ddbf_info *info;
	unsigned int vdevice;
	char *type;
	int err;

	err = xenbus_scanf(XBT_NIL, dev->nodename, "virtual-device", "%u", &vdevice);
	if (err != 1) {
		/* Extended ids may live under their own key. */
		err = xenbus_scanf(XBT_NIL, dev->nodename, "virtual-device-ext", "%u",
				   &vdevice);
		if (err != 1) {
			xenbus_dev_fatal(dev, err < 0 ? err : -EINVAL,
					 "reading virtual-device");
			return err < 0 ? err : -EINVAL;
		}
	}
	if (xen_hvm_domain()) {
		/*
		 * Emulated disks were not unplugged: only xvd devices are ours,
		 * anything else is also reachable through the emulated
		 * controller and must not be driven twice.
		 */
		if (xen_has_pv_and_legacy_disk_devices() &&
		    !(vdevice & BIT(28)) && (vdevice >> 8) != DDBF_MAJOR) {
			dev_info(&dev->dev, "virtual-device %#x stays emulated\n", vdevice);
			return -ENODEV;
		}
		type = xenbus_read(XBT_NIL, dev->nodename, "device-type", NULL);
		if (!IS_ERR(type)) {
			err = strcmp(type, "cdrom") ? 0 : -ENXIO;
			kfree(type);
			if (err)
				return err; /* emulated CD-ROMs stay emulated */
		}
	}

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating frontend");
		return -ENOMEM;
	}
	mutex_init(&info->mutex);
	INIT_WORK(&info->broken_work, ddbf_broken_work);
	INIT_DELAYED_WORK(&info->hold_work, ddbf_hold_expired);
	info->xbdev = dev;
	info->vdevice = vdevice;
	info->handle = vdevice;
	info->state = DDBF_DISCONNECTED;
	err = ddblk_vdev_decode(vdevice, &info->vdev);
	if (err) {
		xenbus_dev_fatal(dev, err, "unsupported virtual-device %#x", vdevice);
		goto fail;
	}
	err = ddbf_reserve_minors(info);
	if (err) {
		xenbus_dev_fatal(dev, err, "minors %u+%u of virtual-device %#x in use",
				 info->vdev.minor, info->vdev.nr_minors, vdevice);
		goto fail;
	}
	dev_set_drvdata(&dev->dev, info);
	if (xenbus_watch_pathfmt(dev, &info->be_watch, NULL, ddbf_backend_moved,
				 "%s/backend", dev->nodename))
		dev_warn(&dev->dev, "no watch on the backend node: cannot follow a restarted driver domain\n");
	if (ddbf_stats_add(info))
		dev_warn(&dev->dev, "no statistics in sysfs\n");
	else
		info->stats_added = true;
	/*
	 * A device bound again after an unbind or a module reload still says
	 * Closed: announce a new frontend so the backend offers itself again.
	 */
	if (dev->state != XenbusStateInitialising)
		xenbus_switch_state(dev, XenbusStateInitialising);
	return 0;

fail:
	kfree(info);
	return err;
}

static const struct xenbus_device_id ddbf_ids[] = {
	{ "vbd" },
	{ "" }
};

static struct xenbus_driver ddbf_driver = {
	.name = DDBF_NAME,
	.ids = ddbf_ids,
	.probe = ddbf_probe,
	.remove = ddbf_remove,
	.otherend_changed = ddbf_backend_changed,
	.not_essential = true,
};

static int __init ddbf_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	if (!xen_has_pv_disk_devices())
		return -ENODEV;
	ddbf_max_ring_page_order = min_t(unsigned int, ddbf_max_ring_page_order,
					 DDCORE_MAX_RING_ORDER);
	ddbf_max_queues = clamp_t(unsigned int, ddbf_max_queues, 1, DDBF_MAX_QUEUES_CAP);
	ddbf_max_indirect_segments = min_t(unsigned int, ddbf_max_indirect_segments,
					   DDBLK_MAX_INDIRECT_SEGS);
	err = ddbf_register();
	if (err)
		return err;
	err = xenbus_register_frontend(&ddbf_driver);
	if (err)
		ddbf_unregister();
	return err;
}

static void __exit ddbf_exit(void)
{
	xenbus_unregister_driver(&ddbf_driver);
	ddbf_unregister();
}

module_init(ddbf_init);
module_exit(ddbf_exit);

MODULE_DESCRIPTION("ddstack Xen block frontend");
MODULE_LICENSE("GPL");
