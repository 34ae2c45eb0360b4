// SPDX-License-Identifier: GPL-2.0
/*
 * ddcore: the backend side of the xenbus life cycle, shared by every
 * ddstack backend.  ddcore_back_action() (pure, unit tested) decides; this
 * carries the decision out with the driver's own connect and disconnect.
 */
#include <linux/device.h>
#include <linux/mutex.h>
#include <ddstack/ddcore.h>

/**
 * ddcore_back_otherend_changed() - follow the frontend's xenbus state
 * @dev: backend xenbus device
 * @fstate: the frontend's new state
 * @lock: the driver's per-device lock, held around every step
 * @ops: the driver's connection steps
 * @drv: the driver's per-device structure, handed to @ops
 *
 * A frontend starting again gets a clean InitWait; one that published its
 * rings is connected (a failed connect leaves nothing behind: its error is
 * already reported with xenbus_dev_fatal); a closing one is answered with
 * Closing, then Closed; the device is unregistered when the toolstack took
 * it offline.  Drivers call this from their otherend_changed callback.
 */
void ddcore_back_otherend_changed(struct xenbus_device *dev,
				  enum xenbus_state fstate, struct mutex *lock,
				  const struct ddcore_back_ops *ops, void *drv)
{
	enum ddcore_action a;

	mutex_lock(lock);
	a = ddcore_back_action(dev->state, fstate);
	dev_dbg(&dev->dev, "frontend %s, backend %s: %s\n", xenbus_strstate(fstate),
		xenbus_strstate(dev->state), ddcore_action_str(a));
	switch (a) {
	case DDCORE_INIT:
		/* A new frontend: drop what an earlier one left connected. */
		ops->disconnect(drv);
		xenbus_switch_state(dev, XenbusStateInitWait);
		break;
	case DDCORE_CONNECT:
		ops->disconnect(drv);
		if (ops->connect_rings(drv)) {
			ops->disconnect(drv);
			break;
		}
		ops->try_connect(drv);
		break;
	case DDCORE_CLOSE:
		if (ops->disconnect_on_close)
			ops->disconnect(drv);
		xenbus_switch_state(dev, XenbusStateClosing);
		break;
	case DDCORE_CLOSED:
		ops->disconnect(drv);
		xenbus_switch_state(dev, XenbusStateClosed);
		if (xenbus_dev_is_online(dev))
			break;
		fallthrough;
	case DDCORE_GONE:
		mutex_unlock(lock);
		device_unregister(&dev->dev);
		return;
	default:
		break;
	}
	mutex_unlock(lock);
}
EXPORT_SYMBOL_GPL(ddcore_back_otherend_changed);
