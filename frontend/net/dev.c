// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetfront: the net_device, and setting a queue's rings up and down.
 *
 * Locking: the life cycle (xenbus.c), ndo_open/ndo_stop, MTU and feature
 * changes and ethtool all run under rtnl.  A queue's data path runs under
 * its tx_lock (tx) and in its NAPI context (rx); both check @q->up, which
 * only changes under rtnl with NAPI disabled and the interrupts unbound.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <xen/events.h>
#include "common.h"

/* Enable NAPI of every set-up queue while the interface is up. */
static void ddnf_napi_on(struct ddnf_info *info)
{
	struct ddnf_queue *q;
	unsigned int i;

	if (!netif_running(info->netdev))
		return;
	for (i = 0; i < info->nr_queues; i++) {
		q = &info->queues[i];
		if (!q->up || q->napi_on)
			continue;
		napi_enable(&q->napi);
		q->napi_on = true;
	}
}

static void ddnf_napi_off(struct ddnf_queue *q)
{
	if (!q->napi_on)
		return;
	napi_disable(&q->napi);
	q->napi_on = false;
}

/* Let every queue look at its rings again (after a connect or open). */
static void ddnf_kick(struct ddnf_info *info)
{
	struct ddnf_queue *q;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < info->nr_queues; i++) {
		q = &info->queues[i];
		if (!q->up)
			continue;
		spin_lock_irqsave(&q->tx_lock, flags);
		ddnf_tx_gc(q);
		spin_unlock_irqrestore(&q->tx_lock, flags);
		if (q->napi_on)
			napi_schedule(&q->napi);
		notify_remote_via_irq(q->rx_irq);
	}
}

/**
 * ddnf_data_start() - the backend is Connected: let packets flow
 * @info: device; rtnl held
 */
void ddnf_data_start(struct ddnf_info *info)
{
	struct net_device *dev = info->netdev;

	ASSERT_RTNL();
	if (!info->rings_up || READ_ONCE(info->broken))
		return;
	if (!info->connected) {
		WRITE_ONCE(info->connected, true);
		info->restarts = 0;
		netif_carrier_on(dev);
		netdev_info(dev, "connected: %u queue(s), %s event channels%s%s%s\n",
			    info->nr_queues, info->split_evtchn ? "split" : "shared",
			    info->be_sg ? ", sg" : "", info->be_gso4 ? ", tso" : "",
			    info->be_gso6 ? ", tso6" : "");
	}
	ddnf_napi_on(info);
	if (netif_running(dev))
		netif_tx_wake_all_queues(dev);
	ddnf_kick(info);
	__netdev_notify_peers(dev);
}

/**
 * ddnf_data_stop() - carrier off, every negotiated queue torn down
 * @info: device; rtnl held
 */
void ddnf_data_stop(struct ddnf_info *info)
{
	struct net_device *dev = info->netdev;
	unsigned int i;

	ASSERT_RTNL();
	WRITE_ONCE(info->connected, false);
	netif_carrier_off(dev);
	netif_tx_disable(dev);
	for (i = 0; i < info->nr_queues; i++)
		ddnf_queue_teardown(&info->queues[i]);
	info->nr_queues = 0;
	info->rings_up = false;
}

/**
 * ddnf_queue_setup() - rings, grant pools, rx buffers, event channels
 * @q: queue, not up; rtnl held
 *
 * Return: 0 or a negative errno; ddnf_queue_teardown() cleans up a
 * partly set up queue.
 */
int ddnf_queue_setup(struct ddnf_queue *q)
{
	struct ddnf_info *info = q->info;
	struct xenbus_device *dev = info->xbdev;
	const char *name = info->netdev->name;
	int err;

	err = ddcore_fring_setup(dev, &q->tx_fring, 0);
	if (err)
		return err;
	XEN_FRONT_RING_INIT(&q->tx, (struct xen_netif_tx_sring *)q->tx_fring.sring,
			    XEN_PAGE_SIZE);
	err = ddcore_fring_setup(dev, &q->rx_fring, 0);
	if (err)
		return err;
	XEN_FRONT_RING_INIT(&q->rx, (struct xen_netif_rx_sring *)q->rx_fring.sring,
			    XEN_PAGE_SIZE);

	err = ddnf_tx_init(q);
	if (err)
		return err;
	err = gnttab_alloc_grant_references(DDNF_RX_RING_SIZE, &q->gref_rx_head);
	if (err) {
		q->gref_rx_head = DDNF_NO_GREF;
		return err;
	}
	if (!ddnf_rx_fill(q, GFP_KERNEL))
		return -ENOMEM;
	RING_PUSH_REQUESTS(&q->rx);
	q->rx_stalled = false;
	q->tx_evt_prod = 0;
	q->rx_evt_prod = 0;

	WRITE_ONCE(q->up, true);
	if (info->split_evtchn) {
		snprintf(q->tx_irq_name, sizeof(q->tx_irq_name), "%s-q%u-tx", name, q->idx);
		snprintf(q->rx_irq_name, sizeof(q->rx_irq_name), "%s-q%u-rx", name, q->idx);
		err = ddcore_front_evtchn_alloc(dev, &q->tx_evtchn, ddnf_tx_interrupt,
						q->tx_irq_name, q, true);
		if (err < 0) {
			q->tx_evtchn = 0;
			return err;
		}
		q->tx_irq = err;
		err = ddcore_front_evtchn_alloc(dev, &q->rx_evtchn, ddnf_rx_interrupt,
						q->rx_irq_name, q, true);
		if (err < 0) {
			q->rx_evtchn = 0;
			return err;
		}
		q->rx_irq = err;
	} else {
		snprintf(q->tx_irq_name, sizeof(q->tx_irq_name), "%s-q%u", name, q->idx);
		err = ddcore_front_evtchn_alloc(dev, &q->tx_evtchn, ddnf_interrupt,
						q->tx_irq_name, q, true);
		if (err < 0) {
			q->tx_evtchn = 0;
			return err;
		}
		q->tx_irq = err;
		q->rx_irq = err;
		q->rx_evtchn = q->tx_evtchn;
	}
	return 0;
}

/**
 * ddnf_queue_teardown() - undo ddnf_queue_setup(), whatever got done
 * @q: queue; rtnl held, carrier off, tx queues disabled
 *
 * Packets in flight are dropped, rx buffers taken back; grants the backend
 * still holds are leaked (and counted), never reused.
 */
void ddnf_queue_teardown(struct ddnf_queue *q)
{
	struct xenbus_device *dev = q->info->xbdev;

	WRITE_ONCE(q->up, false);
	/* No handler runs after this: unbinding waits for running ones. */
	if (q->rx_irq > 0 && q->rx_irq != q->tx_irq)
		ddcore_front_evtchn_free(dev, q->rx_evtchn, q->rx_irq, q);
	if (q->tx_irq > 0)
		ddcore_front_evtchn_free(dev, q->tx_evtchn, q->tx_irq, q);
	q->tx_irq = 0;
	q->rx_irq = 0;
	q->tx_evtchn = 0;
	q->rx_evtchn = 0;

	ddnf_napi_off(q);
	del_timer_sync(&q->refill_timer);

	if (q->tx_fring.sring)
		ddnf_tx_reclaim(q);
	if (q->rx_fring.sring)
		ddnf_rx_reclaim(q);
	ddcore_fring_teardown(&q->tx_fring);
	ddcore_fring_teardown(&q->rx_fring);
	memset(&q->tx, 0, sizeof(q->tx));
	memset(&q->rx, 0, sizeof(q->rx));
	q->rx_stalled = false;
}

/**
 * ddnf_eoi() - end an event of one of the queue's channels (late EOI)
 * @q: the queue
 * @irq: the channel's irq
 * @work: the event brought a new response; without one it is spurious,
 *	and Xen delays the next event of a channel that keeps sending them
 *
 * A broken backend's channel is left masked: it cannot flood the client
 * until it reconnects, which binds new channels.
 */
void ddnf_eoi(struct ddnf_queue *q, int irq, bool work)
{
	if (!work)
		atomic64_inc(&q->info->spurious_events);
	if (!READ_ONCE(q->info->broken))
		ddcore_eoi(irq, work);
}

/**
 * ddnf_broken() - the backend broke the protocol: stop using it
 * @info: device
 * @why: reason, for the log
 *
 * Any context.  Carrier stays off until the backend reconnects.
 */
void ddnf_broken(struct ddnf_info *info, const char *why)
{
	if (READ_ONCE(info->broken))
		return;
	WRITE_ONCE(info->broken, true);
	netdev_err(info->netdev,
		   "backend protocol violation: %s; disabled until the backend reconnects\n",
		   why);
	netif_carrier_off(info->netdev);
	netif_tx_stop_all_queues(info->netdev);
}

/**
 * ddnf_bad_rsp() - count a bad response; too many break the device
 * @q: queue it came on
 * @dir: "tx" or "rx", for the log
 * @v: what was wrong
 */
void ddnf_bad_rsp(struct ddnf_queue *q, const char *dir, enum ddnet_rsp_verdict v)
{
	struct ddnf_info *info = q->info;
	unsigned int n = atomic_inc_return(&info->bad_rsp);

	if (net_ratelimit())
		netdev_warn(info->netdev, "queue %u: bad %s response: %s\n", q->idx,
			    dir, ddnet_rsp_verdict_str(v));
	if (n > READ_ONCE(ddnf_max_bad_rsp))
		ddnf_broken(info, "too many bad responses");
}

static int ddnf_open(struct net_device *dev)
{
	struct ddnf_info *info = netdev_priv(dev);

	ddnf_napi_on(info);
	if (READ_ONCE(info->connected) && !READ_ONCE(info->broken)) {
		netif_tx_start_all_queues(dev);
		ddnf_kick(info);
	}
	return 0;
}

static int ddnf_close(struct net_device *dev)
{
	struct ddnf_info *info = netdev_priv(dev);
	unsigned int i;

	netif_tx_stop_all_queues(dev);
	for (i = 0; i < info->nr_alloc; i++)
		ddnf_napi_off(&info->queues[i]);
	return 0;
}

static int ddnf_change_mtu(struct net_device *dev, int mtu)
{
	int max = (dev->features & NETIF_F_SG) ? DDNF_MAX_PKT - ETH_HLEN : ETH_DATA_LEN;

	if (mtu > max)
		return -EINVAL;
	WRITE_ONCE(dev->mtu, mtu);
	return 0;
}

static netdev_features_t ddnf_fix_features(struct net_device *dev,
					   netdev_features_t features)
{
	struct ddnf_info *info = netdev_priv(dev);

	if (!info->be_sg || !ddnf_feature_sg)
		features &= ~NETIF_F_SG;
	if (!info->be_ipv6_csum)
		features &= ~NETIF_F_IPV6_CSUM;
	if (!info->be_gso4)
		features &= ~NETIF_F_TSO;
	if (!info->be_gso6)
		features &= ~NETIF_F_TSO6;
	/* Segmentation offload needs scatter-gather and checksum offload. */
	if (!(features & NETIF_F_SG))
		features &= ~(NETIF_F_TSO | NETIF_F_TSO6);
	if (!(features & NETIF_F_IP_CSUM))
		features &= ~NETIF_F_TSO;
	if (!(features & NETIF_F_IPV6_CSUM))
		features &= ~NETIF_F_TSO6;
	return features;
}

static int ddnf_set_features(struct net_device *dev, netdev_features_t features)
{
	if (!(features & NETIF_F_SG) && dev->mtu > ETH_DATA_LEN) {
		netdev_info(dev, "MTU reduced to %u without scatter-gather\n", ETH_DATA_LEN);
		WRITE_ONCE(dev->mtu, ETH_DATA_LEN);
	}
	return 0;
}

static const struct net_device_ops ddnf_netdev_ops = {
	.ndo_open		= ddnf_open,
	.ndo_stop		= ddnf_close,
	.ndo_start_xmit		= ddnf_start_xmit,
	.ndo_change_mtu		= ddnf_change_mtu,
	.ndo_fix_features	= ddnf_fix_features,
	.ndo_set_features	= ddnf_set_features,
	.ndo_get_stats64	= ddnf_get_stats64,
	.ndo_validate_addr	= eth_validate_addr,
};

/**
 * ddnf_netdev_alloc() - allocate the net_device and its queues
 * @xbdev: xenbus device
 * @mac: its MAC address
 *
 * Not registered yet.  NAPI contexts are added here and stay until
 * ddnf_netdev_free().
 *
 * Return: the net_device or NULL.
 */
struct net_device *ddnf_netdev_alloc(struct xenbus_device *xbdev, const u8 *mac)
{
	netdev_features_t hw = 0;
	struct net_device *dev;
	struct ddnf_info *info;
	struct ddnf_queue *q;
	unsigned int i;

	dev = alloc_etherdev_mq(sizeof(*info), ddnf_max_queues);
	if (!dev)
		return NULL;
	info = netdev_priv(dev);
	info->xbdev = xbdev;
	info->netdev = dev;
	info->nr_alloc = ddnf_max_queues;
	atomic_set(&info->bad_rsp, 0);
	atomic64_set(&info->grants_leaked, 0);
	info->queues = kvcalloc(info->nr_alloc, sizeof(*info->queues), GFP_KERNEL);
	if (!info->queues) {
		free_netdev(dev);
		return NULL;
	}
	for (i = 0; i < info->nr_alloc; i++) {
		q = &info->queues[i];
		q->info = info;
		q->idx = i;
		spin_lock_init(&q->tx_lock);
		q->gref_tx_head = DDNF_NO_GREF;
		q->gref_rx_head = DDNF_NO_GREF;
		timer_setup(&q->refill_timer, ddnf_refill_timeout, 0);
		u64_stats_init(&q->st.tx_syncp);
		u64_stats_init(&q->st.rx_syncp);
		netif_napi_add(dev, &q->napi, ddnf_poll);
	}

	dev->netdev_ops = &ddnf_netdev_ops;
	dev->ethtool_ops = &ddnf_ethtool_ops;
	if (ddnf_feature_sg)
		hw |= NETIF_F_SG;
	if (ddnf_feature_csum)
		hw |= NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM | NETIF_F_RXCSUM;
	if (ddnf_feature_gso && ddnf_feature_sg && ddnf_feature_csum)
		hw |= NETIF_F_TSO | NETIF_F_TSO6;
	dev->hw_features = hw;
	dev->features = hw;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_DATA_LEN;
	netif_set_tso_max_size(dev, DDNF_MAX_PKT);
	eth_hw_addr_set(dev, mac);
	SET_NETDEV_DEV(dev, &xbdev->dev);
	netif_set_real_num_tx_queues(dev, 1);
	netif_set_real_num_rx_queues(dev, 1);
	netif_carrier_off(dev);
	return dev;
}

/**
 * ddnf_netdev_free() - free what ddnf_netdev_alloc() made
 * @info: device, unregistered (or never registered), rings down
 */
void ddnf_netdev_free(struct ddnf_info *info)
{
	unsigned int i;

	for (i = 0; i < info->nr_alloc; i++) {
		del_timer_sync(&info->queues[i].refill_timer);
		netif_napi_del(&info->queues[i].napi);
	}
	kvfree(info->queues);
	info->queues = NULL;
	free_netdev(info->netdev);
}
