// SPDX-License-Identifier: GPL-2.0
/*
 * ddcore: xenbus life cycle decisions shared by every ddstack driver.
 * Pure functions: this file also builds in user space for unit tests.
 *
 * blkif.h asks both ends to tolerate skipped states: xenstore watches
 * coalesce, so a driver may see the other end jump from InitWait straight
 * to Connected, or from Connected to Closed.  The decisions below depend
 * only on (our state, their state) and never treat a surprise as a bug.
 */
#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/kernel.h>
#define DDCORE_EXPORT(sym)	EXPORT_SYMBOL_GPL(sym)
#else
#define DDCORE_EXPORT(sym)	_Static_assert(1, #sym)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#include <ddstack/ddcore_state.h>

/**
 * ddcore_back_action() - what a backend does when its frontend moved
 * @mine: backend's current state
 * @front: frontend's new state
 *
 * Return: the action; DDCORE_NOTHING for repeated or meaningless states.
 */
enum ddcore_action ddcore_back_action(enum xenbus_state mine,
				      enum xenbus_state front)
{
	switch (front) {
	case XenbusStateInitialising:
		/*
		 * Frontend restarting after a close: offer ourselves again. Its
		 * Closing and Closed may have been coalesced away, so also from
		 * Connected or Closing (the backend drops the old connection).
		 */
		if (mine == XenbusStateClosed || mine == XenbusStateClosing ||
		    mine == XenbusStateConnected)
			return DDCORE_INIT;
		return DDCORE_NOTHING;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		/*
		 * Initialised may have been skipped; connect once.  While we
		 * are Closing (after a fatal error) wait for the frontend to
		 * close rather than failing the same way again.
		 */
		if (mine == XenbusStateConnected || mine == XenbusStateClosing)
			return DDCORE_NOTHING;
		return DDCORE_CONNECT;
	case XenbusStateClosing:
		return mine == XenbusStateClosing ? DDCORE_NOTHING : DDCORE_CLOSE;
	case XenbusStateClosed:
		return DDCORE_CLOSED;
	case XenbusStateUnknown:
		return DDCORE_GONE;
	default:
		return DDCORE_NOTHING;
	}
}
DDCORE_EXPORT(ddcore_back_action);

/**
 * ddcore_front_action() - what a frontend does when its backend moved
 * @mine: frontend's current state
 * @back: backend's new state
 *
 * Return: the action; DDCORE_NOTHING for repeated or meaningless states.
 */
enum ddcore_action ddcore_front_action(enum xenbus_state mine,
				       enum xenbus_state back)
{
	switch (back) {
	case XenbusStateInitWait:
		return mine == XenbusStateInitialising ? DDCORE_INIT : DDCORE_NOTHING;
	case XenbusStateConnected:
		switch (mine) {
		case XenbusStateInitialising:
			return DDCORE_INIT_CONNECT;
		case XenbusStateInitialised:
			return DDCORE_CONNECT;
		case XenbusStateConnected:
			return DDCORE_RECONNECT;
		default:
			return DDCORE_NOTHING;
		}
	case XenbusStateClosing:
	case XenbusStateClosed:
		/*
		 * A new frontend (bound again after an unbind or a reload) sees
		 * the backend still closed from the earlier connection: wait
		 * for it to offer itself again (InitWait).
		 */
		if (mine == XenbusStateInitialising)
			return DDCORE_NOTHING;
		if (mine == XenbusStateClosed)
			return DDCORE_NOTHING;
		/*
		 * Also when we are Closing ourselves (after a fatal error):
		 * the backend has answered, finish by going Closed.
		 */
		return back == XenbusStateClosing ? DDCORE_CLOSE : DDCORE_CLOSED;
	case XenbusStateUnknown:
		return mine == XenbusStateClosed ? DDCORE_NOTHING : DDCORE_CLOSED;
	default:
		return DDCORE_NOTHING;
	}
}
DDCORE_EXPORT(ddcore_front_action);

/**
 * ddcore_action_str() - name of an action for log lines
 * @a: action
 *
 * Return: a static string.
 */
const char *ddcore_action_str(enum ddcore_action a)
{
	static const char * const names[] = {
		[DDCORE_NOTHING] = "nothing",
		[DDCORE_INIT] = "init",
		[DDCORE_CONNECT] = "connect",
		[DDCORE_INIT_CONNECT] = "init+connect",
		[DDCORE_RECONNECT] = "reconnect",
		[DDCORE_CLOSE] = "close",
		[DDCORE_CLOSED] = "closed",
		[DDCORE_GONE] = "gone",
	};

	if ((unsigned int)a < ARRAY_SIZE(names) && names[a])
		return names[a];
	return "?";
}
DDCORE_EXPORT(ddcore_action_str);
