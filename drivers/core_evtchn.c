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
 * The handler must arrange for ddcore_eoi() to be called once the
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
 * ddcore_eoi() - signal late EOI for a channel of either side
 * @irq: irq from ddcore_back_evtchn_bind() or ddcore_front_evtchn_alloc()
 * @had_work: the event led to work; false marks it spurious so that a
 *	flooding other end gets throttled
 */
void ddcore_eoi(int irq, bool had_work)
{
	xen_irq_lateeoi(irq, had_work ? 0 : XEN_EOI_FLAG_SPURIOUS);
}
EXPORT_SYMBOL_GPL(ddcore_eoi);

/**
 * ddcore_front_evtchn_alloc() - allocate and bind a frontend channel
 * @dev: xenbus device
 * @port: the allocated port
 * @handler: interrupt handler
 * @name: interrupt name
 * @data: handler argument
 * @late_eoi: bind for late EOI, as the backends' channels are: the handler
 *	then calls ddcore_eoi() for each event, marking events without work
 *	spurious so that a backend flooding the channel gets throttled; a
 *	frontend that has found its backend broken does not call it, and the
 *	channel stays masked until it is unbound
 *
 * Return: the irq (positive) or a negative errno; nothing is left
 * allocated on failure.
 */
int ddcore_front_evtchn_alloc(struct xenbus_device *dev, evtchn_port_t *port,
			      irq_handler_t handler, const char *name,
			      void *data, bool late_eoi)
{
	int err, irq;

	err = xenbus_alloc_evtchn(dev, port);
	if (err)
		return err;
	if (late_eoi)
		irq = bind_evtchn_to_irqhandler_lateeoi(*port, handler, 0, name, data);
	else
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
