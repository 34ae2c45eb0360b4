// SPDX-License-Identifier: GPL-2.0
/*
 * dddmapool: giving PCI devices the pool's DMA operations before their
 * driver probes.
 *
 * A device matches when its address is listed in the attach parameter or,
 * with "pcifront", when its root bus was created by Xen's pcifront: the
 * host bridge's parent is a xenbus device of type "pci" (pcifront passes
 * its xenbus device to pci_scan_root_bus()).  Checking the bus rather than
 * attaching to every PCI device of a PV guest keeps emulated or other
 * devices on their default DMA operations.
 *
 * Operations are set when the device is added and again when a driver is
 * about to probe it (BUS_NOTIFY_BIND_DRIVER comes after dma_configure and
 * before probe), never under a bound driver.  While a driver is bound to
 * a device with our operations the module holds a reference on itself, so
 * it cannot be unloaded under the driver; at unload, devices without a
 * driver go back to the architecture's default operations.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <xen/xenbus.h>

#include "dddmapool.h"

/**
 * struct ddp_dev - a PCI device that got the pool's DMA operations
 * @node: in ddp_devs
 * @pdev: the device (a reference is held)
 * @bound_ref: a module reference is held for the driver bound to it
 */
struct ddp_dev {
	struct list_head node;
	struct pci_dev *pdev;
	bool bound_ref;
};

static LIST_HEAD(ddp_devs);
static DEFINE_MUTEX(ddp_devs_lock);	/* ddp_devs; taken under device_lock */
static struct ddp_attach ddp_rules;

static bool ddp_on_pcifront(struct pci_dev *pdev)
{
	struct pci_host_bridge *bridge = pci_find_host_bridge(pdev->bus);
	struct device *parent = bridge ? bridge->dev.parent : NULL;
	const char *type;

	if (!parent || !parent->bus || !parent->bus->name ||
	    strcmp(parent->bus->name, "xen"))
		return false;
	type = to_xenbus_device(parent)->devicetype;
	return type && !strcmp(type, "pci");
}

static bool ddp_match(struct pci_dev *pdev)
{
	if (ddp_attach_listed(&ddp_rules, pci_domain_nr(pdev->bus),
			      pdev->bus->number, pdev->devfn))
		return true;
	return ddp_rules.pcifront && ddp_on_pcifront(pdev);
}

static struct ddp_dev *ddp_find(struct pci_dev *pdev)
{
	struct ddp_dev *d;

	list_for_each_entry(d, &ddp_devs, node)
		if (d->pdev == pdev)
			return d;
	return NULL;
}

/*
 * Give @pdev our operations.  @binding: a driver is about to probe it.
 * Called with the device lock held (driver core, or our walk at load).
 */
static void ddp_take(struct pci_dev *pdev, bool binding)
{
	struct device *dev = &pdev->dev;
	struct ddp_dev *d;

	mutex_lock(&ddp_devs_lock);
	if (dev->dma_ops && dev->dma_ops != &ddp_dma_ops) {
		dev_warn(dev, "has DMA operations of its own: not attaching\n");
		goto out;
	}
	d = ddp_find(pdev);
	if (!d) {
		d = kzalloc(sizeof(*d), GFP_KERNEL);
		if (!d)
			goto out;	/* keeps its DMA operations */
		d->pdev = pci_dev_get(pdev);
		list_add_tail(&d->node, &ddp_devs);
	}
	if (binding && !d->bound_ref) {
		if (!try_module_get(THIS_MODULE)) {
			/* Being unloaded: let the driver use the defaults. */
			if (dev->dma_ops == &ddp_dma_ops)
				set_dma_ops(dev, NULL);
			goto out;
		}
		d->bound_ref = true;
	}
	if (dev->dma_ops != &ddp_dma_ops) {
		set_dma_ops(dev, &ddp_dma_ops);
		dev_info(dev, "DMA through the 1:1 pool\n");
	}
out:
	mutex_unlock(&ddp_devs_lock);
}

static void ddp_unbound(struct pci_dev *pdev)
{
	struct ddp_dev *d;
	bool put = false;

	mutex_lock(&ddp_devs_lock);
	d = ddp_find(pdev);
	if (d && d->bound_ref) {
		d->bound_ref = false;
		put = true;
	}
	mutex_unlock(&ddp_devs_lock);
	if (put)
		module_put(THIS_MODULE);
}

static void ddp_forget(struct pci_dev *pdev)
{
	struct ddp_dev *d;

	mutex_lock(&ddp_devs_lock);
	d = ddp_find(pdev);
	/* A driver still bound keeps its record until it is unbound. */
	if (d && !d->bound_ref && !READ_ONCE(pdev->dev.driver)) {
		list_del(&d->node);
		if (pdev->dev.dma_ops == &ddp_dma_ops)
			set_dma_ops(&pdev->dev, NULL);
		pci_dev_put(d->pdev);
		kfree(d);
	}
	mutex_unlock(&ddp_devs_lock);
}

static int ddp_bus_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (ddp_match(pdev))
			ddp_take(pdev, false);
		break;
	case BUS_NOTIFY_BIND_DRIVER:
		if (ddp_match(pdev))
			ddp_take(pdev, true);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
		ddp_unbound(pdev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		ddp_forget(pdev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block ddp_nb = {
	.notifier_call = ddp_bus_notify,
};

/**
 * ddp_attach_start() - attach to matching PCI devices, now and later
 * @rules: parsed attach parameter (copied)
 *
 * Devices present without a driver get the pool's operations now; devices
 * with a driver keep theirs until the driver is rebound.
 *
 * Return: 0 or a negative errno.
 */
int ddp_attach_start(const struct ddp_attach *rules)
{
	struct pci_dev *pdev = NULL;
	int rc;

	ddp_rules = *rules;
	if (!ddp_rules.pcifront && !ddp_rules.n)
		return 0;
	rc = bus_register_notifier(&pci_bus_type, &ddp_nb);
	if (rc)
		return rc;
	for_each_pci_dev(pdev) {
		if (!ddp_match(pdev))
			continue;
		device_lock(&pdev->dev);
		if (pdev->dev.driver)
			dev_info(&pdev->dev, "driver %s is bound: it keeps its DMA operations until it is rebound\n",
				 pdev->dev.driver->name);
		else
			ddp_take(pdev, false);
		device_unlock(&pdev->dev);
	}
	return 0;
}

/**
 * ddp_attach_stop() - stop attaching; detach devices without a driver
 *
 * Called at unload, when no driver can be bound to an attached device
 * (each holds a module reference).
 */
void ddp_attach_stop(void)
{
	struct ddp_dev *d, *tmp;
	LIST_HEAD(list);

	if (!ddp_rules.pcifront && !ddp_rules.n)
		return;
	bus_unregister_notifier(&pci_bus_type, &ddp_nb);
	mutex_lock(&ddp_devs_lock);
	list_splice_init(&ddp_devs, &list);
	mutex_unlock(&ddp_devs_lock);

	list_for_each_entry_safe(d, tmp, &list, node) {
		struct device *dev = &d->pdev->dev;

		device_lock(dev);
		if (dev->dma_ops == &ddp_dma_ops) {
			if (!dev->driver)
				set_dma_ops(dev, NULL);
			else
				dev_err(dev, "driver %s still bound: DMA operations left in place\n",
					dev->driver->name);
		}
		device_unlock(dev);
		if (d->bound_ref)
			dev_err(dev, "unloaded with a driver bound\n");
		list_del(&d->node);
		pci_dev_put(d->pdev);
		kfree(d);
	}
}

/**
 * ddp_attach_list() - the attached devices, for sysfs
 * @buf: PAGE_SIZE sysfs buffer
 *
 * Return: bytes written: one PCI address per line.
 */
ssize_t ddp_attach_list(char *buf)
{
	struct ddp_dev *d;
	ssize_t n = 0;

	mutex_lock(&ddp_devs_lock);
	list_for_each_entry(d, &ddp_devs, node)
		if (READ_ONCE(d->pdev->dev.dma_ops) == &ddp_dma_ops)
			n += sysfs_emit_at(buf, n, "%s\n", pci_name(d->pdev));
	mutex_unlock(&ddp_devs_lock);
	return n;
}
