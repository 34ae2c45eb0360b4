/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddcore life cycle decisions: pure functions of (our state, their state),
 * built in the kernel and in user space for unit tests.
 */
#ifndef DDSTACK_DDCORE_STATE_H
#define DDSTACK_DDCORE_STATE_H

#ifdef __KERNEL__
#include <xen/interface/io/xenbus.h>
#else
#include <xen/io/xenbus.h>
#endif

/**
 * enum ddcore_action - what a driver must do after the other end moved
 * @DDCORE_NOTHING: nothing (repeated or irrelevant state)
 * @DDCORE_INIT: frontend: publish transport parameters (backend is waiting);
 *	backend: the frontend restarted after a close, go back to InitWait
 * @DDCORE_CONNECT: connect (map rings or read device properties)
 * @DDCORE_INIT_CONNECT: frontend only: backend jumped straight to Connected
 *	before we published anything; do INIT then CONNECT
 * @DDCORE_RECONNECT: frontend only: already connected, backend announced
 *	Connected again (device properties such as size may have changed)
 * @DDCORE_CLOSE: other end is closing: disconnect and go Closing
 * @DDCORE_CLOSED: other end is closed: disconnect and go Closed
 * @DDCORE_GONE: other end vanished: disconnect, go Closed, unregister
 */
enum ddcore_action {
	DDCORE_NOTHING,
	DDCORE_INIT,
	DDCORE_CONNECT,
	DDCORE_INIT_CONNECT,
	DDCORE_RECONNECT,
	DDCORE_CLOSE,
	DDCORE_CLOSED,
	DDCORE_GONE,
};

enum ddcore_action ddcore_back_action(enum xenbus_state mine,
				      enum xenbus_state front);
enum ddcore_action ddcore_front_action(enum xenbus_state mine,
				       enum xenbus_state back);
const char *ddcore_action_str(enum ddcore_action a);

#endif /* DDSTACK_DDCORE_STATE_H */
