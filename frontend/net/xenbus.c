// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetfront: negotiation and life cycle.
 *
 * probe       read "mac", register ethN (carrier off), stay Initialising
 * InitWait    read the backend's features, build every queue, publish rings,
 *             event channels and our features in one transaction, go Connected
 * Connected   carrier on, queues woken
 * Closing     carrier off, everything in flight dropped, rings freed, go Closed
 * Closed      as Closing; then Initialising again, so that a backend that
 *             comes back (driver domain restart, backend reload) offers
 *             itself with InitWait and we reconnect
 * remove      Closing handshake, rings freed, ethN unregistered last
 *
 * Every life cycle step runs under rtnl (see dev.c for the locking).
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <xen/platform_pci.h>
#include <xen/xen.h>
#include "common.h"

unsigned int ddnf_max_queues;
module_param_named(max_queues, ddnf_max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "Largest number of queues per interface (default: min(CPUs, 8))");

unsigned int ddnf_max_bad_rsp = 256;
module_param_named(max_bad_rsp, ddnf_max_bad_rsp, uint, 0644);
MODULE_PARM_DESC(max_bad_rsp,
		 "Bad backend responses tolerated per connection before the device is disabled");

bool ddnf_feature_sg = true;
module_param_named(feature_sg, ddnf_feature_sg, bool, 0444);
MODULE_PARM_DESC(feature_sg, "Offer scatter-gather transmit (and MTUs above 1500)");

bool ddnf_feature_gso = true;
module_param_named(feature_gso, ddnf_feature_gso, bool, 0444);
MODULE_PARM_DESC(feature_gso, "Offer TCP segmentation offload (tx) and accept GSO packets (rx)");

bool ddnf_feature_csum = true;
module_param_named(feature_csum, ddnf_feature_csum, bool, 0444);
MODULE_PARM_DESC(feature_csum, "Offer checksum offload in both directions");

bool ddnf_trusted = true;
module_param_named(trusted, ddnf_trusted, bool, 0644);
MODULE_PARM_DESC(trusted,
		 "Trust backends with the packet's own pages (0: transmit copies in zeroed pages of our own; a device's xenstore 'trusted' = 0 does the same for it)");

/* How long remove() waits for the backend to let go of our rings. */
#define DDNF_CLOSE_TIMEOUT	(5 * HZ)

/* What the backend offers, read before building the queues. */
enum { BE_QUEUES, BE_SPLIT, BE_SG, BE_GSO4, BE_GSO6, BE_IPV6_CSUM, BE_RX_COPY,
	BE_MTU, BE_NR };

static const struct ddcore_feature ddnf_be_feats[BE_NR] = {
	[BE_QUEUES] = { "multi-queue-max-queues", 1, DDNF_MAX_QUEUES_CAP, 0 },
	[BE_SPLIT] = { "feature-split-event-channels", 0, 1, DDCORE_FEAT_BOOL },
	[BE_SG] = { "feature-sg", 0, 1, DDCORE_FEAT_BOOL },
	[BE_GSO4] = { "feature-gso-tcpv4", 0, 1, DDCORE_FEAT_BOOL },
	[BE_GSO6] = { "feature-gso-tcpv6", 0, 1, DDCORE_FEAT_BOOL },
	[BE_IPV6_CSUM] = { "feature-ipv6-csum-offload", 0, 1, DDCORE_FEAT_BOOL },
	[BE_RX_COPY] = { "feature-rx-copy", 0, 1, DDCORE_FEAT_BOOL },
	[BE_MTU] = { "mtu", 0, UINT_MAX, 0 },
};

/* What we publish at the top of our directory. */
enum { FE_RX_COPY, FE_RX_NOTIFY, FE_SG, FE_GSO4, FE_GSO6, FE_IPV6_CSUM,
	FE_NO_CSUM, FE_NR };

static const struct ddcore_feature ddnf_fe_feats[FE_NR] = {
	[FE_RX_COPY] = { "request-rx-copy", 1, 1, DDCORE_FEAT_BOOL },
	[FE_RX_NOTIFY] = { "feature-rx-notify", 1, 1, DDCORE_FEAT_BOOL },
	[FE_SG] = { "feature-sg", 1, 1, DDCORE_FEAT_BOOL },
	[FE_GSO4] = { "feature-gso-tcpv4", 0, 1, DDCORE_FEAT_BOOL },
	[FE_GSO6] = { "feature-gso-tcpv6", 0, 1, DDCORE_FEAT_BOOL },
	[FE_IPV6_CSUM] = { "feature-ipv6-csum-offload", 0, 1, DDCORE_FEAT_BOOL },
	[FE_NO_CSUM] = { "feature-no-csum-offload", 0, 1,
			 DDCORE_FEAT_BOOL | DDCORE_FEAT_OPTIONAL },
};

/* Keys an earlier connection (or an earlier frontend) may have left. */
static const char * const ddnf_stale_keys[] = {
	"tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx",
	"event-channel-rx", "multi-queue-num-queues", "feature-no-csum-offload",
};

static int ddnf_xs_queue(struct xenbus_transaction xbt, const char *path,
			 const struct ddnf_queue *q, bool split)
{
	int err;

	err = xenbus_printf(xbt, path, "tx-ring-ref", "%u", q->tx_fring.refs[0]);
	if (err)
		return err;
	err = xenbus_printf(xbt, path, "rx-ring-ref", "%u", q->rx_fring.refs[0]);
	if (err)
		return err;
	if (!split)
		return xenbus_printf(xbt, path, "event-channel", "%u", q->tx_evtchn);
	err = xenbus_printf(xbt, path, "event-channel-tx", "%u", q->tx_evtchn);
	if (err)
		return err;
	return xenbus_printf(xbt, path, "event-channel-rx", "%u", q->rx_evtchn);
}

static int ddnf_xs_talk(struct xenbus_transaction xbt, void *arg)
{
	struct ddnf_info *info = arg;
	const char *dir = info->xbdev->nodename;
	unsigned int vals[FE_NR], q;
	char key[16], *path;
	int err;

	for (q = 0; q < ARRAY_SIZE(ddnf_stale_keys); q++)
		xenbus_rm(xbt, dir, ddnf_stale_keys[q]);
	for (q = 0; q < DDNF_MAX_QUEUES_CAP; q++) {
		snprintf(key, sizeof(key), "queue-%u", q);
		xenbus_rm(xbt, dir, key);
	}

	vals[FE_RX_COPY] = 1;
	vals[FE_RX_NOTIFY] = 1;
	vals[FE_SG] = 1;
	vals[FE_GSO4] = info->rx_gso4;
	vals[FE_GSO6] = info->rx_gso6;
	vals[FE_IPV6_CSUM] = ddnf_feature_csum;
	vals[FE_NO_CSUM] = !ddnf_feature_csum;
	err = ddcore_feat_publish(xbt, dir, ddnf_fe_feats, FE_NR, vals);
	if (err)
		return err;
	if (info->nr_queues > 1) {
		err = xenbus_printf(xbt, dir, "multi-queue-num-queues", "%u",
				    info->nr_queues);
		if (err)
			return err;
	}
	for (q = 0; q < info->nr_queues; q++) {
		path = ddcore_queue_path(dir, info->nr_queues, q, GFP_KERNEL);
		if (!path)
			return -ENOMEM;
		err = ddnf_xs_queue(xbt, path, &info->queues[q], info->split_evtchn);
		kfree(path);
		if (err)
			return err;
	}
	return 0;
}

/* Initial MTU (first connection only): the backend's "mtu" if acceptable. */
static void ddnf_set_initial_mtu(struct ddnf_info *info, unsigned int mtu)
{
	struct net_device *dev = info->netdev;
	int err;

	if (mtu) {
		if (mtu < ETH_MIN_MTU || mtu > dev->max_mtu) {
			netdev_warn(dev, "backend mtu %u out of range %u-%u, ignored\n",
				    mtu, ETH_MIN_MTU, dev->max_mtu);
		} else if (mtu != dev->mtu) {
			err = dev_set_mtu(dev, mtu);
			if (err)
				netdev_warn(dev, "cannot use backend mtu %u: %d\n", mtu, err);
		}
	}
	if (dev->mtu > dev->max_mtu)
		dev_set_mtu(dev, ETH_DATA_LEN);
}

/* Backend waits for us: build every queue, publish, go Connected. */
static int ddnf_talk(struct ddnf_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	struct net_device *nd = info->netdev;
	unsigned int vals[BE_NR], q, nr;
	int err;

	ASSERT_RTNL();
	if (info->rings_up || info->nr_queues)
		ddnf_data_stop(info);

	ddcore_feat_read(dev->otherend, ddnf_be_feats, BE_NR, vals, NULL);
	if (!vals[BE_RX_COPY]) {
		xenbus_dev_fatal(dev, -EOPNOTSUPP, "backend %s lacks feature-rx-copy",
				 dev->otherend);
		info->failed = true;
		return -EOPNOTSUPP;
	}
	nr = clamp_t(unsigned int, vals[BE_QUEUES], 1, info->nr_alloc);
	info->split_evtchn = vals[BE_SPLIT];
	info->be_sg = vals[BE_SG];
	info->be_gso4 = vals[BE_GSO4];
	info->be_gso6 = vals[BE_GSO6];
	info->be_ipv6_csum = vals[BE_IPV6_CSUM];
	info->rx_gso4 = ddnf_feature_gso && ddnf_feature_csum;
	info->rx_gso6 = ddnf_feature_gso && ddnf_feature_csum;
	WRITE_ONCE(info->broken, false);
	atomic_set(&info->bad_rsp, 0);
	/* the toolstack's word on this backend, and ours (the module parameter) */
	WRITE_ONCE(info->bounce, !ddnf_trusted ||
		   !xenbus_read_unsigned(dev->nodename, "trusted", 1));
	if (info->bounce)
		dev_info(&dev->dev, "backend not trusted: packets sent are copied to pages of their own\n");

	nd->max_mtu = info->be_sg && ddnf_feature_sg ? DDNF_MAX_PKT - ETH_HLEN :
		      ETH_DATA_LEN;
	netdev_update_features(nd);
	if (!info->ever_connected)
		ddnf_set_initial_mtu(info, vals[BE_MTU]);
	else if (nd->mtu > nd->max_mtu)
		dev_set_mtu(nd, ETH_DATA_LEN);

	info->nr_queues = nr;
	for (q = 0; q < nr; q++) {
		err = ddnf_queue_setup(&info->queues[q]);
		if (err) {
			xenbus_dev_fatal(dev, err, "setting up queue %u", q);
			goto fail;
		}
	}
	err = netif_set_real_num_tx_queues(nd, nr);
	if (!err)
		err = netif_set_real_num_rx_queues(nd, nr);
	if (err) {
		xenbus_dev_fatal(dev, err, "using %u queues", nr);
		goto fail;
	}
	err = ddcore_xs_transact(ddnf_xs_talk, info);
	if (err) {
		xenbus_dev_fatal(dev, err, "publishing transport parameters");
		goto fail;
	}
	info->rings_up = true;
	err = xenbus_switch_state(dev, XenbusStateConnected);
	if (err)
		goto fail;
	if (info->ever_connected)
		info->backend_reconnects++;
	info->ever_connected = true;
	return 0;

fail:
	ddnf_data_stop(info);
	info->failed = true;
	return err;
}

/*
 * Start over as a new frontend, unless we keep doing so without ever
 * getting a working connection (a backend that refuses us every time).
 */
static bool ddnf_restart(struct ddnf_info *info)
{
	struct xenbus_device *dev = info->xbdev;

	if (info->failed)
		return false;
	if (++info->restarts > DDNF_MAX_RESTARTS) {
		dev_err(&dev->dev, "backend closed %u times before connecting; giving up\n",
			DDNF_MAX_RESTARTS);
		info->failed = true;
		return false;
	}
	xenbus_switch_state(dev, XenbusStateInitialising);
	return true;
}

static void ddnf_disconnect(struct ddnf_info *info, enum xenbus_state bstate)
{
	struct xenbus_device *dev = info->xbdev;

	ddnf_data_stop(info);
	if (dev->state != XenbusStateClosed)
		xenbus_frontend_closed(dev);
	/*
	 * The backend is closed but its directory is still there: it may come
	 * back (backend reload, driver domain restart).  Announce a fresh
	 * frontend so that it offers itself again with InitWait.
	 */
	if (bstate == XenbusStateClosed)
		ddnf_restart(info);
}

static void ddnf_backend_changed(struct xenbus_device *dev,
				 enum xenbus_state bstate)
{
	struct ddnf_info *info = dev_get_drvdata(&dev->dev);
	enum ddcore_action a;

	if (!info)
		return;
	rtnl_lock();
	a = ddcore_front_action(dev->state, bstate);
	/*
	 * Closed after a connection, and the backend is back (or closed in
	 * turn): start over as a new frontend.
	 */
	if (a == DDCORE_NOTHING && dev->state == XenbusStateClosed &&
	    (bstate == XenbusStateInitWait || bstate == XenbusStateClosed) &&
	    ddnf_restart(info) && bstate == XenbusStateInitWait)
		a = DDCORE_INIT;
	dev_dbg(&dev->dev, "backend %s, frontend %s: %s\n", xenbus_strstate(bstate),
		xenbus_strstate(dev->state), ddcore_action_str(a));
	switch (a) {
	case DDCORE_INIT:
		ddnf_talk(info);
		break;
	case DDCORE_INIT_CONNECT:
		if (ddnf_talk(info))
			break;
		fallthrough;
	case DDCORE_CONNECT:
	case DDCORE_RECONNECT:
		ddnf_data_start(info);
		break;
	case DDCORE_CLOSE:
	case DDCORE_CLOSED:
	case DDCORE_GONE:
		ddnf_disconnect(info, bstate);
		break;
	default:
		break;
	}
	rtnl_unlock();
}

/*
 * Our "backend" node changed: a driver domain restarted as a new domain
 * serves the device from new backend directories (ddctl supervise points us
 * there).  Only a frontend without a connection moves; it then starts over
 * as a new frontend when the new backend offers itself.
 */
static void ddnf_backend_moved(struct xenbus_watch *watch, const char *path,
			       const char *token)
{
	struct ddnf_info *info = container_of(watch, struct ddnf_info, be_watch);
	struct xenbus_device *dev = info->xbdev;

	rtnl_lock();
	if (dev->state != XenbusStateConnected && !ddcore_front_follow(dev)) {
		info->restarts = 0;
		info->failed = false;
	}
	rtnl_unlock();
}

/*
 * Before freeing rings the backend may still map: ask it to close and give
 * it a little time to let go (its otherend watch is already gone, so poll).
 */
static void ddnf_bus_close(struct xenbus_device *dev)
{
	unsigned long end = jiffies + DDNF_CLOSE_TIMEOUT;
	enum xenbus_state s;

	s = xenbus_read_driver_state(dev->otherend);
	if (s == XenbusStateClosed || s == XenbusStateUnknown ||
	    s == XenbusStateClosing)
		return;
	xenbus_switch_state(dev, XenbusStateClosing);
	while (time_before(jiffies, end)) {
		s = xenbus_read_driver_state(dev->otherend);
		if (s == XenbusStateClosing || s == XenbusStateClosed ||
		    s == XenbusStateUnknown)
			return;
		msleep(20);
	}
	dev_warn(&dev->dev, "backend did not close in time; its grants may leak\n");
}

static void ddnf_remove(struct xenbus_device *dev)
{
	struct ddnf_info *info = dev_get_drvdata(&dev->dev);

	if (!info)
		return;
	if (info->be_watch.node) {
		unregister_xenbus_watch(&info->be_watch);
		kfree(info->be_watch.node);
		info->be_watch.node = NULL;
	}
	if (READ_ONCE(info->nr_queues))
		ddnf_bus_close(dev);
	rtnl_lock();
	ddnf_data_stop(info);
	rtnl_unlock();
	unregister_netdev(info->netdev);
	dev_set_drvdata(&dev->dev, NULL);
	if (atomic64_read(&info->grants_leaked))
		dev_warn(&dev->dev, "%lld grant(s) leaked because the backend kept them\n",
			 (long long)atomic64_read(&info->grants_leaked));
	ddnf_netdev_free(info);
	xenbus_frontend_closed(dev);
}

static int ddnf_probe(struct xenbus_device *dev, const struct xenbus_device_id *id)
{
	struct net_device *nd;
	struct ddnf_info *info;
	u8 mac[ETH_ALEN];
	char *s;
	int err;

	s = xenbus_read(XBT_NIL, dev->nodename, "mac", NULL);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		xenbus_dev_fatal(dev, err, "reading %s/mac", dev->nodename);
		return err;
	}
	err = ddcore_parse_mac(s, mac);
	if (err || !is_valid_ether_addr(mac)) {
		xenbus_dev_fatal(dev, -EINVAL, "bad mac \"%s\" in %s", s, dev->nodename);
		kfree(s);
		return -EINVAL;
	}
	kfree(s);

	nd = ddnf_netdev_alloc(dev, mac);
	if (!nd) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating net device");
		return -ENOMEM;
	}
	info = netdev_priv(nd);
	dev_set_drvdata(&dev->dev, info);
	err = register_netdev(nd);
	if (err) {
		xenbus_dev_fatal(dev, err, "registering net device");
		dev_set_drvdata(&dev->dev, NULL);
		ddnf_netdev_free(info);
		return err;
	}
	/*
	 * A device bound again after an unbind or a module reload still says
	 * Closed: announce a new frontend so the backend offers itself again.
	 */
	if (dev->state != XenbusStateInitialising)
		xenbus_switch_state(dev, XenbusStateInitialising);
	if (xenbus_watch_pathfmt(dev, &info->be_watch, NULL, ddnf_backend_moved,
				 "%s/backend", dev->nodename))
		netdev_warn(nd, "no watch on the backend node: cannot follow a restarted driver domain\n");
	netdev_info(nd, "%s: mac %pM, up to %u queue(s)\n", dev->nodename, mac,
		    info->nr_alloc);
	return 0;
}

static const struct xenbus_device_id ddnf_ids[] = {
	{ "vif" },
	{ "" }
};

static struct xenbus_driver ddnf_driver = {
	.name = DDNF_NAME,
	.ids = ddnf_ids,
	.probe = ddnf_probe,
	.remove = ddnf_remove,
	.otherend_changed = ddnf_backend_changed,
	.not_essential = true,
};

static int __init ddnf_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	if (!xen_has_pv_nic_devices())
		return -ENODEV;
	if (!ddnf_max_queues)
		ddnf_max_queues = min(num_online_cpus(), 8U);
	ddnf_max_queues = clamp_t(unsigned int, ddnf_max_queues, 1, DDNF_MAX_QUEUES_CAP);
	return xenbus_register_frontend(&ddnf_driver);
}

static void __exit ddnf_exit(void)
{
	xenbus_unregister_driver(&ddnf_driver);
}

module_init(ddnf_init);
module_exit(ddnf_exit);

MODULE_DESCRIPTION("ddstack Xen network frontend");
MODULE_LICENSE("GPL");
