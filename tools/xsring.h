/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsring - what the user-space frontends (xsfront) and backends (xsback)
 * both need of Xen's ring.h: the barriers it leaves to its includer, and
 * ARRAY_SIZE.
 */
#ifndef XSRING_H
#define XSRING_H

#include <xen/io/ring.h>

/* ring.h leaves the barriers to its includer: the tools' rings use these. */
#undef xen_mb
#undef xen_rmb
#undef xen_wmb
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#endif
