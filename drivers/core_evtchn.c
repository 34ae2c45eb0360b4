// SPDX-License-Identifier: GPL-2.0
/*
 * ddcore: event channels.  Backends bind with late EOI so that a guest
 * flooding events cannot keep a driver domain CPU busy; frontends
 * allocate and bind an ordinary channel.
 */
#include <linux/module.h>
#include <xen/events.h>
#include <ddstack/ddcore.h>

/**
 * ddcore_evtchn_read() - read "event-channel" from a queue directory
 * @dir: directory
 * @port: result
 *
 * Return: 0 or a negative errno.
 */
int ddcore_evtchn_read(const char *dir, evtchn_port_t *port)
{
	unsigned int v;
	int err;

	err = xenbus_scanf(XBT_NIL, dir, "event-channel", "%u", &v);
	if (err < 0)
		return err;
	*port = v;
	return 0;
}
EXPORT_SYMBOL_GPL(ddcore_evtchn_read);

/**
 * ddcore_back_evtchn_bind() - bind a frontend's channel with late EOI
 * @dev: xenbus device (the remote domain is its other end)
 * @port: the frontend's port
 * @handler: interrupt handler
 * @name: interrupt name
 * @data: handler argument
 *
 * The handler must arrange for ddcore_back_eoi() to be called once the
 * work it signalled has been looked at.
 *
 * Return: the irq (positive) or a negative errno.
 */
int ddcore_back_evtchn_bind(struct xenbus_device *dev, evtchn_port_t port,
			    irq_handler_t handler, const char *name, void *data)
{
	return bind_interdomain_evtchn_to_irqhandler_lateeoi(dev, port, handler,
							     0, name, data);
}
EXPORT_SYMBOL_GPL(ddcore_back_evtchn_bind);

/**
 * ddcore_back_eoi() - signal late EOI for a backend channel
 * @irq: irq from ddcore_back_evtchn_bind()
 * @had_work: the event led to work; false marks it spurious so that a
 *	flooding frontend gets throttled
 */
void ddcore_back_eoi(int irq, bool had_work)
{
	xen_irq_lateeoi(irq, had_work ? 0 : XEN_EOI_FLAG_SPURIOUS);
}
EXPORT_SYMBOL_GPL(ddcore_back_eoi);

/**
 * ddcore_front_evtchn_alloc() - allocate and bind a frontend channel
 * @dev: xenbus device
 * @port: the allocated port
 * @handler: interrupt handler
 * @name: interrupt name
 * @data: handler argument
 *
 * Return: the irq (positive) or a negative errno; nothing is left
 * allocated on failure.
 */
int ddcore_front_evtchn_alloc(struct xenbus_device *dev, evtchn_port_t *port,
			      irq_handler_t handler, const char *name,
			      void *data)
{
	int err, irq;

	err = xenbus_alloc_evtchn(dev, port);
	if (err)
		return err;
	irq = bind_evtchn_to_irqhandler(*port, handler, 0, name, data);
	if (irq <= 0) {
		xenbus_dev_fatal(dev, irq, "binding event channel %u", *port);
		xenbus_free_evtchn(dev, *port);
		return irq ? irq : -EINVAL;
	}
	return irq;
}
EXPORT_SYMBOL_GPL(ddcore_front_evtchn_alloc);

/**
 * ddcore_front_evtchn_free() - release a frontend channel
 * @dev: xenbus device
 * @port: port, 0 if none
 * @irq: irq, 0 if not bound (unbinding also closes the port)
 * @data: handler argument used at bind time
 */
void ddcore_front_evtchn_free(struct xenbus_device *dev, evtchn_port_t port,
			      int irq, void *data)
{
	if (irq > 0)
		unbind_from_irqhandler(irq, data);
	else if (port)
		xenbus_free_evtchn(dev, port);
}
EXPORT_SYMBOL_GPL(ddcore_front_evtchn_free);

/**
 * ddcore_evtchn_unbind() - unbind an irq bound by ddcore (either side)
 * @irq: irq, 0 if not bound
 * @data: handler argument used at bind time
 */
void ddcore_evtchn_unbind(int irq, void *data)
{
	if (irq > 0)
		unbind_from_irqhandler(irq, data);
}
EXPORT_SYMBOL_GPL(ddcore_evtchn_unbind);
