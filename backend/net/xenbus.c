// SPDX-License-Identifier: GPL-2.0
/*
 * ddnetback: negotiation and life cycle.
 *
 * probe      create and register the vifD.H netdev, offer features, watch
 *            hotplug-status, InitWait
 * hotplug    the vif-bridge script plugged the netdev and wrote
 *            hotplug-status = connected
 * frontend   Initialised/Connected: read its keys, map its rings, bind its
 *            event channels, start NAPI and the rx kthreads
 * both done  Connected, carrier on
 * Closing/Closed from the frontend, a misbehaving frontend or removal:
 * stop the queues, unmap everything, carrier off; the netdev stays until
 * remove() so that a restarted frontend finds the same vif.
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/events.h>
#include <xen/xen.h>
#include "common.h"

unsigned int ddnb_max_queues;
module_param_named(max_queues, ddnb_max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues,
		 "Largest number of queues per vif (0: online CPUs, at most 8)");

unsigned int ddnb_max_bad_tx = 128;
module_param_named(max_bad_tx, ddnb_max_bad_tx, uint, 0644);
MODULE_PARM_DESC(max_bad_tx,
		 "Malformed tx packets a frontend may send before it is disconnected (0: never)");

unsigned int ddnb_rx_queue_max = 512;
module_param_named(rx_queue_max, ddnb_rx_queue_max, uint, 0444);
MODULE_PARM_DESC(rx_queue_max, "Packets queued per queue for a frontend (16-65536)");

unsigned int ddnb_rx_stall_ms = 2000;
module_param_named(rx_stall_ms, ddnb_rx_stall_ms, uint, 0444);
MODULE_PARM_DESC(rx_stall_ms,
		 "Drop packets a frontend has not taken after this many ms (0: never)");

/* Features offered before InitWait. */
enum {
	OFFER_SG, OFFER_GSO4, OFFER_GSO6, OFFER_IPV6_CSUM, OFFER_RX_COPY,
	OFFER_RX_FLIP, OFFER_SPLIT, OFFER_QUEUES, OFFER_NR
};

static const struct ddcore_feature ddnb_offer[OFFER_NR] = {
	[OFFER_SG] = { "feature-sg", 1, 1, DDCORE_FEAT_BOOL },
	[OFFER_GSO4] = { "feature-gso-tcpv4", 1, 1, DDCORE_FEAT_BOOL },
	[OFFER_GSO6] = { "feature-gso-tcpv6", 1, 1, DDCORE_FEAT_BOOL },
	[OFFER_IPV6_CSUM] = { "feature-ipv6-csum-offload", 1, 1, DDCORE_FEAT_BOOL },
	[OFFER_RX_COPY] = { "feature-rx-copy", 1, 1, DDCORE_FEAT_BOOL },
	[OFFER_RX_FLIP] = { "feature-rx-flip", 0, 1, DDCORE_FEAT_BOOL },
	[OFFER_SPLIT] = { "feature-split-event-channels", 1, 1, DDCORE_FEAT_BOOL },
	[OFFER_QUEUES] = { "multi-queue-max-queues", 1, DDNB_MAX_QUEUES_CAP, 0 },
};

/* Keys read from the frontend's directory. */
enum {
	FE_QUEUES, FE_RX_COPY, FE_RX_NOTIFY, FE_SG, FE_GSO4, FE_GSO6, FE_NO_CSUM,
	FE_IPV6_CSUM, FE_NR
};

static int ddnb_xs_offer(struct xenbus_transaction xbt, void *arg)
{
	struct ddnb_vif *vif = arg;
	unsigned int vals[OFFER_NR];

	vals[OFFER_SG] = 1;
	vals[OFFER_GSO4] = 1;
	vals[OFFER_GSO6] = 1;
	vals[OFFER_IPV6_CSUM] = 1;
	vals[OFFER_RX_COPY] = 1;
	vals[OFFER_RX_FLIP] = 0;
	vals[OFFER_SPLIT] = 1;
	vals[OFFER_QUEUES] = vif->max_queues;
	return ddcore_feat_publish(xbt, vif->dev->nodename, ddnb_offer, OFFER_NR, vals);
}

/**
 * ddnb_eoi() - a data path finished looking at what an event signalled
 * @q: queue
 * @bit: DDNB_EOI_TX (NAPI) or DDNB_EOI_RX (rx kthread)
 *
 * With one event channel for both directions the EOI is sent when the
 * second of the two is done; with split channels each has its own.
 */
void ddnb_eoi(struct ddnb_queue *q, unsigned int bit)
{
	unsigned int same = q->vif->split_evtchn ? bit : DDNB_EOI_TX | DDNB_EOI_RX;
	unsigned int old = atomic_fetch_andnot(bit, &q->eoi);

	if (!(old & bit) || (old & ~bit & same))
		return;
	ddcore_eoi(bit == DDNB_EOI_TX ? q->tx_irq : q->rx_irq, true);
}

/**
 * ddnb_interrupt() - the event channel shared by both directions
 * @irq: interrupt
 * @data: the queue
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t ddnb_interrupt(int irq, void *data)
{
	struct ddnb_queue *q = data;
	bool tx, rx;

	atomic_or(DDNB_EOI_TX | DDNB_EOI_RX, &q->eoi);
	tx = ddnb_tx_kick(q);
	rx = ddnb_rx_kick(q);
	if (!tx && !rx) {
		/* Whoever clears the last bit sends the EOI. */
		if (atomic_fetch_andnot(DDNB_EOI_TX | DDNB_EOI_RX, &q->eoi))
			ddcore_eoi(irq, false);
		return IRQ_HANDLED;
	}
	if (!tx)
		ddnb_eoi(q, DDNB_EOI_TX);
	if (!rx)
		ddnb_eoi(q, DDNB_EOI_RX);
	return IRQ_HANDLED;
}

/**
 * ddnb_fatal() - a data path found the frontend misbehaving
 * @q: queue; stops being served at once
 * @reason: static string for the log and xenstore
 *
 * Callable from any context: the disconnect itself runs in a work item.
 */
void ddnb_fatal(struct ddnb_queue *q, const char *reason)
{
	struct ddnb_vif *vif = q->vif;

	WRITE_ONCE(q->broken, true);
	WRITE_ONCE(vif->fatal_reason, reason);
	WRITE_ONCE(vif->fatal_gen, READ_ONCE(vif->gen));
	schedule_work(&vif->fatal_work);
}

/* Called with vif->lock held. */
static void ddnb_queue_stop(struct ddnb_queue *q)
{
	struct xenbus_device *dev = q->vif->dev;

	if (q->napi_on) {
		napi_disable(&q->napi);
		q->napi_on = false;
	}
	if (q->rx_task) {
		kthread_stop(q->rx_task);
		q->rx_task = NULL;
	}
	if (q->rx_irq && q->rx_irq != q->tx_irq)
		ddcore_evtchn_unbind(q->rx_irq, q);
	ddcore_evtchn_unbind(q->tx_irq, q);
	q->rx_irq = 0;
	q->tx_irq = 0;
	ddnb_rx_purge(q);
	ddcore_bring_unmap(dev, &q->tx_bring);
	ddcore_bring_unmap(dev, &q->rx_bring);
	q->tx_win_n = 0;
	atomic_set(&q->eoi, 0);
	WRITE_ONCE(q->broken, false);
}

/* Called with vif->lock held. */
static void ddnb_disconnect(struct ddnb_vif *vif)
{
	unsigned int i;

	WRITE_ONCE(vif->connected, false);
	netif_carrier_off(vif->ndev);
	/* After this no xmit runs or starts: each tx queue lock was taken. */
	netif_tx_disable(vif->ndev);
	for (i = 0; i < vif->nr_queues; i++)
		ddnb_queue_stop(&vif->queues[i]);
	WRITE_ONCE(vif->nr_queues, 0);
	vif->rings_ready = false;
}

static void ddnb_fatal_work(struct work_struct *work)
{
	struct ddnb_vif *vif = container_of(work, struct ddnb_vif, fatal_work);
	struct xenbus_device *dev = vif->dev;
	const char *reason = READ_ONCE(vif->fatal_reason);

	mutex_lock(&vif->lock);
	/* Not if that connection is already gone (and maybe replaced). */
	if (vif->rings_ready && READ_ONCE(vif->fatal_gen) == vif->gen) {
		netdev_err(vif->ndev, "frontend %s (domain %u) misbehaved: %s; disconnecting\n",
			   dev->otherend, vif->domid, reason);
		ddnb_disconnect(vif);
		atomic64_inc(&vif->disconnects);
		xenbus_dev_fatal(dev, -EPROTO, "frontend misbehaved: %s", reason);
	}
	mutex_unlock(&vif->lock);
}

/* Read a queue's event channel(s): split tx/rx or one for both. */
static int ddnb_read_evtchn(struct ddnb_vif *vif, const char *dir,
			    evtchn_port_t *tx, evtchn_port_t *rx, bool *split)
{
	struct xenbus_device *dev = vif->dev;
	unsigned int t, r;
	int err;

	err = xenbus_gather(XBT_NIL, dir, "event-channel-tx", "%u", &t,
			    "event-channel-rx", "%u", &r, NULL);
	if (!err) {
		*tx = t;
		*rx = r;
		*split = true;
		return 0;
	}
	err = ddcore_evtchn_read(dir, tx);
	if (err) {
		xenbus_dev_fatal(dev, err, "reading %s/event-channel(-tx/-rx)", dir);
		return err;
	}
	*rx = *tx;
	*split = false;
	return 0;
}

/* Map one queue's rings, bind its channels and start its workers. */
static int ddnb_queue_connect(struct ddnb_queue *q, const char *dir)
{
	struct ddnb_vif *vif = q->vif;
	struct xenbus_device *dev = vif->dev;
	struct task_struct *t;
	evtchn_port_t tx_port, rx_port;
	RING_IDX rsp_prod;
	bool split;
	int err;

	err = ddnb_read_evtchn(vif, dir, &tx_port, &rx_port, &split);
	if (err)
		return err;
	if (!q->id) {
		vif->split_evtchn = split;
	} else if (split != vif->split_evtchn) {
		xenbus_dev_fatal(dev, -EINVAL, "queues mix split and shared event channels");
		return -EINVAL;
	}

	err = ddcore_bring_map_key(dev, dir, "tx-ring-ref", &q->tx_bring);
	if (err)
		return err;
	err = ddcore_bring_check(&q->tx_bring,
				 __CONST_RING_SIZE(xen_netif_tx, XEN_PAGE_SIZE), &rsp_prod);
	if (err) {
		xenbus_dev_fatal(dev, err, "%s/tx-ring-ref: impossible producer index", dir);
		return err;
	}
	BACK_RING_ATTACH(&q->tx, (struct xen_netif_tx_sring *)q->tx_bring.sring,
			 rsp_prod, XEN_PAGE_SIZE);

	err = ddcore_bring_map_key(dev, dir, "rx-ring-ref", &q->rx_bring);
	if (err)
		return err;
	err = ddcore_bring_check(&q->rx_bring,
				 __CONST_RING_SIZE(xen_netif_rx, XEN_PAGE_SIZE), &rsp_prod);
	if (err) {
		xenbus_dev_fatal(dev, err, "%s/rx-ring-ref: impossible producer index", dir);
		return err;
	}
	BACK_RING_ATTACH(&q->rx, (struct xen_netif_rx_sring *)q->rx_bring.sring,
			 rsp_prod, XEN_PAGE_SIZE);

	q->tx_win_n = 0;
	q->rx_wait_slots = 0;
	atomic_set(&q->eoi, 0);
	WRITE_ONCE(q->broken, false);

	if (vif->split_evtchn) {
		snprintf(q->tx_irq_name, sizeof(q->tx_irq_name), "%s-q%u-tx",
			 vif->ndev->name, q->id);
		snprintf(q->rx_irq_name, sizeof(q->rx_irq_name), "%s-q%u-rx",
			 vif->ndev->name, q->id);
		err = ddcore_back_evtchn_bind(dev, tx_port, ddnb_tx_interrupt,
					      q->tx_irq_name, q);
		if (err < 0)
			goto fail_bind;
		q->tx_irq = err;
		err = ddcore_back_evtchn_bind(dev, rx_port, ddnb_rx_interrupt,
					      q->rx_irq_name, q);
		if (err < 0)
			goto fail_bind;
		q->rx_irq = err;
	} else {
		snprintf(q->tx_irq_name, sizeof(q->tx_irq_name), "%s-q%u",
			 vif->ndev->name, q->id);
		err = ddcore_back_evtchn_bind(dev, tx_port, ddnb_interrupt,
					      q->tx_irq_name, q);
		if (err < 0)
			goto fail_bind;
		q->tx_irq = err;
		q->rx_irq = err;
	}

	t = kthread_run(ddnb_rx_thread, q, "%s-rx%u", vif->ndev->name, q->id);
	if (IS_ERR(t)) {
		err = PTR_ERR(t);
		xenbus_dev_fatal(dev, err, "starting rx thread of queue %u", q->id);
		return err;
	}
	q->rx_task = t;
	napi_enable(&q->napi);
	q->napi_on = true;
	/* Requests may have been queued before the channels were bound. */
	local_bh_disable();
	napi_schedule(&q->napi);
	local_bh_enable();
	wake_up(&q->rx_wq);
	return 0;

fail_bind:
	xenbus_dev_fatal(dev, err, "binding event channel(s) %u/%u of queue %u",
			 tx_port, rx_port, q->id);
	return err;
}

/* Called with vif->lock held; errors are reported with xenbus_dev_fatal. */
static int ddnb_connect_rings(struct ddnb_vif *vif)
{
	struct xenbus_device *dev = vif->dev;
	struct ddcore_feature fe[FE_NR] = {
		[FE_QUEUES] = { "multi-queue-num-queues", 1, vif->max_queues,
				DDCORE_FEAT_STRICT },
		[FE_RX_COPY] = { "request-rx-copy", 0, 1, DDCORE_FEAT_BOOL },
		[FE_RX_NOTIFY] = { "feature-rx-notify", 0, 1, DDCORE_FEAT_BOOL },
		[FE_SG] = { "feature-sg", 0, 1, DDCORE_FEAT_BOOL },
		[FE_GSO4] = { "feature-gso-tcpv4", 0, 1, DDCORE_FEAT_BOOL },
		[FE_GSO6] = { "feature-gso-tcpv6", 0, 1, DDCORE_FEAT_BOOL },
		[FE_NO_CSUM] = { "feature-no-csum-offload", 0, 1, DDCORE_FEAT_BOOL },
		[FE_IPV6_CSUM] = { "feature-ipv6-csum-offload", 0, 1, DDCORE_FEAT_BOOL },
	};
	unsigned int vals[FE_NR], bad = 0, q, nr;
	char *path;
	int err;

	err = ddcore_feat_read(dev->otherend, fe, FE_NR, vals, &bad);
	if (err) {
		xenbus_dev_fatal(dev, err, "frontend %s/%s is invalid or above %u",
				 dev->otherend, fe[bad].key, fe[bad].max);
		return err;
	}
	nr = vals[FE_QUEUES];
	if (!nr) {
		xenbus_dev_fatal(dev, -EINVAL, "frontend asks for 0 queues");
		return -EINVAL;
	}
	if (!vals[FE_RX_COPY]) {
		xenbus_dev_fatal(dev, -EOPNOTSUPP,
				 "frontend does not set request-rx-copy (no page flipping)");
		return -EOPNOTSUPP;
	}
	if (!vals[FE_RX_NOTIFY]) {
		xenbus_dev_fatal(dev, -EOPNOTSUPP, "frontend does not set feature-rx-notify");
		return -EOPNOTSUPP;
	}
	WRITE_ONCE(vif->fe_sg, vals[FE_SG]);
	WRITE_ONCE(vif->fe_gso_v4, vals[FE_GSO4]);
	WRITE_ONCE(vif->fe_gso_v6, vals[FE_GSO6]);
	WRITE_ONCE(vif->fe_csum, !vals[FE_NO_CSUM]);
	WRITE_ONCE(vif->fe_ipv6_csum, vals[FE_IPV6_CSUM]);
	atomic_set(&vif->bad_tx, 0);
	WRITE_ONCE(vif->gen, vif->gen + 1);

	/* From here on ddnb_disconnect() undoes whatever was set up. */
	vif->nr_queues = nr;
	for (q = 0; q < nr; q++) {
		path = ddcore_queue_path(dev->otherend, nr, q, GFP_KERNEL);
		if (!path) {
			xenbus_dev_fatal(dev, -ENOMEM, "allocating queue path");
			return -ENOMEM;
		}
		err = ddnb_queue_connect(&vif->queues[q], path);
		kfree(path);
		if (err)
			return err;
	}

	rtnl_lock();
	err = netif_set_real_num_tx_queues(vif->ndev, nr);
	if (!err)
		err = netif_set_real_num_rx_queues(vif->ndev, nr);
	if (!err)
		netdev_update_features(vif->ndev);
	rtnl_unlock();
	if (err) {
		xenbus_dev_fatal(dev, err, "setting %u netdev queues", nr);
		return err;
	}
	vif->rings_ready = true;
	netdev_info(vif->ndev, "frontend %s: %u queue(s), %s event channels%s%s%s%s\n",
		    dev->otherend, nr, vif->split_evtchn ? "split" : "shared",
		    vif->fe_sg ? ", sg" : "", vif->fe_gso_v4 ? ", tso4" : "",
		    vif->fe_gso_v6 ? ", tso6" : "", vif->fe_csum ? ", csum" : "");
	return 0;
}

/* Go Connected once the rings are up and the hotplug script is done. */
static void ddnb_try_connect(struct ddnb_vif *vif)
{
	struct xenbus_device *dev = vif->dev;
	int err;

	if (!vif->rings_ready || !vif->hotplug_ok || dev->state == XenbusStateConnected)
		return;
	err = xenbus_switch_state(dev, XenbusStateConnected);
	if (err) {
		xenbus_dev_fatal(dev, err, "switching to Connected");
		return;
	}
	WRITE_ONCE(vif->connected, true);
	netif_carrier_on(vif->ndev);
	netif_tx_wake_all_queues(vif->ndev);
}

static void ddnb_hotplug_changed(struct xenbus_watch *watch, const char *path,
				 const char *token)
{
	struct ddnb_vif *vif = container_of(watch, struct ddnb_vif, hotplug_watch);
	struct xenbus_device *dev = vif->dev;
	char *st;

	st = xenbus_read(XBT_NIL, dev->nodename, "hotplug-status", NULL);
	if (IS_ERR(st))
		return; /* the hotplug script has not run yet */
	mutex_lock(&vif->lock);
	if (!strcmp(st, "connected")) {
		if (!vif->hotplug_ok)
			netdev_info(vif->ndev, "hotplug script done\n");
		vif->hotplug_ok = true;
		ddnb_try_connect(vif);
	} else if (net_ratelimit()) {
		netdev_warn(vif->ndev, "hotplug-status is \"%s\"\n", st);
	}
	mutex_unlock(&vif->lock);
	kfree(st);
}

static void ddnb_op_disconnect(void *drv)
{
	ddnb_disconnect(drv);
}

static int ddnb_op_connect_rings(void *drv)
{
	return ddnb_connect_rings(drv);
}

static void ddnb_op_try_connect(void *drv)
{
	ddnb_try_connect(drv);
}

static const struct ddcore_back_ops ddnb_back_ops = {
	.disconnect = ddnb_op_disconnect,
	.connect_rings = ddnb_op_connect_rings,
	.try_connect = ddnb_op_try_connect,
	.disconnect_on_close = true,
};

static void ddnb_frontend_changed(struct xenbus_device *dev,
				  enum xenbus_state fstate)
{
	struct ddnb_vif *vif = dev_get_drvdata(&dev->dev);

	ddcore_back_otherend_changed(dev, fstate, &vif->lock, &ddnb_back_ops, vif);
}

static void ddnb_remove(struct xenbus_device *dev)
{
	struct ddnb_vif *vif = dev_get_drvdata(&dev->dev);
	unsigned int i;

	if (!vif)
		return;
	if (vif->watching) {
		unregister_xenbus_watch(&vif->hotplug_watch);
		kfree(vif->hotplug_watch.node);
		vif->watching = false;
	}
	/* Like upstream: a new backend waits for the hotplug script again. */
	xenbus_rm(XBT_NIL, dev->nodename, "hotplug-status");
	mutex_lock(&vif->lock);
	ddnb_disconnect(vif);
	mutex_unlock(&vif->lock);
	cancel_work_sync(&vif->fatal_work);
	if (vif->ndev->reg_state == NETREG_REGISTERED)
		unregister_netdev(vif->ndev);
	for (i = 0; i < vif->max_queues; i++)
		netif_napi_del(&vif->queues[i].napi);
	kvfree(vif->queues);
	dev_set_drvdata(&dev->dev, NULL);
	free_netdev(vif->ndev);
}

static void ddnb_queue_init(struct ddnb_queue *q, struct ddnb_vif *vif,
			    unsigned int id)
{
	q->vif = vif;
	q->id = id;
	init_waitqueue_head(&q->rx_wq);
	skb_queue_head_init(&q->rx_queue);
	atomic_set(&q->eoi, 0);
	atomic64_set(&q->rx_queue_full, 0);
	atomic64_set(&q->rx_down_drops, 0);
	ddnb_counters_init(&q->txc);
	ddnb_counters_init(&q->rxc);
	netif_napi_add(vif->ndev, &q->napi, ddnb_tx_poll);
}

static int ddnb_probe(struct xenbus_device *dev, const struct xenbus_device_id *id)
{
	unsigned int handle, mtu, i;
	struct net_device *ndev;
	struct ddnb_vif *vif;
	int err;

	err = xenbus_scanf(XBT_NIL, dev->nodename, "handle", "%u", &handle);
	if (err != 1) {
		err = err < 0 ? err : -EINVAL;
		xenbus_dev_fatal(dev, err, "reading %s/handle", dev->nodename);
		return err;
	}
	ndev = ddnb_netdev_alloc(dev, dev->otherend_id, handle, ddnb_max_queues);
	if (!ndev) {
		xenbus_dev_fatal(dev, -ENOMEM, "allocating vif%u.%u", dev->otherend_id, handle);
		return -ENOMEM;
	}
	vif = netdev_priv(ndev);
	vif->queues = kvcalloc(vif->max_queues, sizeof(*vif->queues), GFP_KERNEL);
	if (!vif->queues) {
		free_netdev(ndev);
		xenbus_dev_fatal(dev, -ENOMEM, "allocating queues");
		return -ENOMEM;
	}
	mutex_init(&vif->lock);
	INIT_WORK(&vif->fatal_work, ddnb_fatal_work);
	atomic64_set(&vif->disconnects, 0);
	for (i = 0; i < vif->max_queues; i++)
		ddnb_queue_init(&vif->queues[i], vif, i);
	dev_set_drvdata(&dev->dev, vif);

	mtu = ETH_DATA_LEN;
	err = xenbus_scanf(XBT_NIL, dev->nodename, "mtu", "%u", &mtu);
	if (err == 1 && (mtu < ndev->min_mtu || mtu > ndev->max_mtu)) {
		dev_warn(&dev->dev, "%s/mtu %u outside %u..%u, using %u\n", dev->nodename,
			 mtu, ndev->min_mtu, ndev->max_mtu, ETH_DATA_LEN);
		mtu = ETH_DATA_LEN;
	} else if (err != 1 && err != -ENOENT) {
		dev_warn(&dev->dev, "%s/mtu unreadable (%d), using %u\n", dev->nodename,
			 err, ETH_DATA_LEN);
		mtu = ETH_DATA_LEN;
	}
	ddnb_netdev_set_mtu(vif, mtu);

	err = register_netdev(ndev);
	if (err) {
		xenbus_dev_fatal(dev, err, "registering %s", ndev->name);
		goto fail;
	}
	err = ddcore_xs_transact(ddnb_xs_offer, vif);
	if (err) {
		xenbus_dev_fatal(dev, err, "publishing features");
		goto fail;
	}
	err = xenbus_watch_pathfmt(dev, &vif->hotplug_watch, NULL, ddnb_hotplug_changed,
				   "%s/hotplug-status", dev->nodename);
	if (err)
		goto fail;
	vif->watching = true;
	err = xenbus_switch_state(dev, XenbusStateInitWait);
	if (err)
		goto fail;
	netdev_info(ndev, "backend for domain %u vif %u (up to %u queues, mtu %u)\n",
		    vif->domid, handle, vif->max_queues, ndev->mtu);
	return 0;

fail:
	ddnb_remove(dev);
	return err;
}

static const struct xenbus_device_id ddnb_ids[] = {
	{ "vif" },
	{ "" }
};

static struct xenbus_driver ddnb_driver = {
	.name = DDNB_NAME,
	.ids = ddnb_ids,
	.probe = ddnb_probe,
	.remove = ddnb_remove,
	.otherend_changed = ddnb_frontend_changed,
};

static int __init ddnb_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	if (!ddnb_max_queues)
		ddnb_max_queues = min_t(unsigned int, num_online_cpus(), DDNB_MAX_QUEUES_DEF);
	ddnb_max_queues = clamp_t(unsigned int, ddnb_max_queues, 1, DDNB_MAX_QUEUES_CAP);
	ddnb_rx_queue_max = clamp_t(unsigned int, ddnb_rx_queue_max, 16, 65536);
	ddnb_rx_stall_ms = min_t(unsigned int, ddnb_rx_stall_ms, 3600 * 1000);
	return xenbus_register_backend(&ddnb_driver);
}

static void __exit ddnb_exit(void)
{
	xenbus_unregister_driver(&ddnb_driver);
}

module_init(ddnb_init);
module_exit(ddnb_exit);

MODULE_DESCRIPTION("ddstack Xen network backend");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen-backend:vif");
