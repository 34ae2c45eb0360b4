/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsback - the xenbus side of a user-space backend, shared by the hostile
 * backend tools (ddblkback-hostile, and a network one to come): xenstore
 * reads and backend writes, frontend and backend states, grant mappings
 * (gntdev), event channels (evtchn), one poll() over both, the time budget,
 * SIGINT/SIGTERM and the pass/fail count.  The rings and what goes on them
 * stay in each tool.
 *
 * One struct xsback holds the handles every device shares; one struct
 * xsb_dev per served device holds its paths, domids, ring page and port.
 * Error lines go to stderr as "<prog>: ...", notes to stdout as
 * "  note: <label>: ...".
 */
#ifndef XSBACK_H
#define XSBACK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>
#include "xsring.h"

#define XSB_PAGE	4096
#define XSB_MAX_DOMID	0x7fefu		/* below DOMID_FIRST_RESERVED */

/* What xsb_wait() saw ready: a bit mask. */
#define XSB_EVTCHN	1u		/* an event is pending: call xsb_pending() */
#define XSB_XS		2u		/* a watch fired: call xsb_watch_drain() */

/* The handles every device shares, the budget and the class counts. */
struct xsback {
	const char *prog;		/* prefix of error lines, set by the tool */
	struct xs_handle *xs;
	xengnttab_handle *xgt;
	xenevtchn_handle *xce;
	int xs_fd;			/* xs_fileno(), -1 if none: then no watches */
	unsigned int self;		/* our own domid */
	uint64_t deadline;		/* xsb_now_ms() at which the budget ends */
	unsigned int passed, failed;	/* classes */
};

/* One device served to one frontend. */
struct xsb_dev {
	struct xsback *b;
	const char *type;		/* "vbd", "vif": the xenstore device type */
	unsigned int fe_domid;
	unsigned int devid;
	char label[64];			/* names the device in notes */
	char fe[96];			/* /local/domain/<fe>/device/<type>/<devid> */
	char be[128];			/* .../<self>/data/hostile/<type>/<fe>/<devid> */
	char token[48];			/* of the watch on <fe>/state */
	bool watched;
	bool offered;			/* a backend state was written: close on exit */
	int fe_state;			/* as last read by xsb_fe_state(), -1 unreadable */
	void *ring;			/* the mapped ring page, NULL if none */
	uint32_t ring_ref;
	evtchn_port_t port;		/* local port, valid while port_bound */
	evtchn_port_t remote_port;
	bool port_bound;
	unsigned int cls;		/* its class: an index into the tool's class names */
	unsigned long events;		/* events that came on its port */
	bool storm_on;			/* an event storm is on: xsb_main() calls storm() */
	bool failed;			/* xsb_fail() was called */
	char why[192];			/* the first failure */
};

/* Set by SIGINT/SIGTERM (see xsb_start()); tools may set it too. */
extern volatile sig_atomic_t xsb_stop;

/* ---- time, signals, parsing ---- */

/*
 * The start of a run, after the options: stdout line-buffered, SIGINT and
 * SIGTERM routed to xsb_stop, b->deadline @seconds from now.
 */
void xsb_start(struct xsback *b, unsigned long seconds);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t xsb_now_ms(void);

/* @want, cut to what is left until b->deadline (0 once it has passed). */
unsigned int xsb_budget_ms(const struct xsback *b, unsigned int want);

/* True once xsb_stop is set or the budget has run out. */
bool xsb_over(const struct xsback *b);

/*
 * Parse @s as plain decimal (digits only, at most 10 of them) no larger
 * than @max into *@v.  False, *@v untouched, for anything else.
 */
bool xsb_parse_uint(const char *s, unsigned long max, unsigned long *v);

/* Create (or truncate) @path holding "ready\n".  0, or -1 with a line on stderr. */
int xsb_ready_file(const struct xsback *b, const char *path);

/* ---- the command line ---- */

#define XSB_MAX_DEVS	32		/* devices one run serves */

/* What "[--seconds N] [--ready FILE] FE_DOMID CLASS:DEVID..." said. */
struct xsb_args {
	unsigned long seconds;		/* the budget, 120 unless given */
	const char *ready;		/* --ready FILE, or NULL */
	unsigned long fe;		/* the frontend's domain */
	unsigned int nr;		/* devices */
	unsigned int cls[XSB_MAX_DEVS];	/* index into the tool's class names */
	unsigned int devid[XSB_MAX_DEVS];
};

/*
 * Parse a backend tool's command line into @a; @type ("vbd", "vif") and
 * the @nr_classes names of @classes go into the usage text.  Returns -1 to
 * go on, else the exit code: 0 after --help, 2 after a usage error (then
 * printed to stderr, prefixed with b->prog).
 */
int xsb_parse_args(const struct xsback *b, struct xsb_args *a, int argc, char **argv,
		   const char *type, const char *const *classes, unsigned int nr_classes);

/* ---- opening and closing ---- */

/*
 * Open xenstore (with its watch fd), gntdev and evtchn, and read our own
 * domid.  0, or -1 with a line on stderr; what was opened stays for
 * xsb_close().
 */
int xsb_open(struct xsback *b);

/* Close whatever xsb_open() opened; safe on a partly opened or zeroed @b. */
void xsb_close(struct xsback *b);

/*
 * Set up @d for frontend domain @fe_domid's device <type>/<devid>: the two
 * paths, the label "<type> <devid>" (the tool may overwrite it), and a
 * watch on the frontend's state.  Checks that the backend directory is
 * there and names @fe_domid as its frontend-id, and that the frontend's
 * backend key, where we may read it, names our directory.  0, or -1 after
 * xsb_fail().  A watch that cannot be set is only noted: states are also
 * polled.
 */
int xsb_dev_init(struct xsback *b, struct xsb_dev *d, const char *type,
		 unsigned int fe_domid, unsigned int devid);

/* Unmap the ring, unbind the port and drop the watch of @d; safe to repeat. */
void xsb_dev_release(struct xsb_dev *d);

/*
 * The end of a run for @n devices: each offered one goes Closing; wait up
 * to @ms for every frontend to be Closing, Closed or gone, calling
 * @tick(@arg, port) for each pending event port and @tick(@arg, -1) about
 * every 100 ms so that the tool may keep serving its rings; a note for
 * each frontend that did not follow; then each offered device goes Closed.
 * Grants and ports stay for the tool, then xsb_dev_release().
 */
void xsb_close_devs(struct xsb_dev **devs, unsigned int n, unsigned int ms,
		    void (*tick)(void *arg, int port), void *arg);

/* ---- reports ---- */

/* Print "  note: <label>: <fmt...>" to stdout. */
void xsb_note(const struct xsb_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Mark @d failed; the first reason is kept in d->why for the class line,
 * and every one is noted as with xsb_note().
 */
void xsb_fail(struct xsb_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* After a class line: flush stdout, count a pass or a failure. */
void xsb_count(struct xsback *b, bool pass);

/* Print "hostile: N classes passed, M failed"; return the exit code (0: none failed). */
int xsb_summary(const struct xsback *b);

/* ---- xenstore ---- */

/* Write, or remove (ENOENT counts as done), <be>/<key>.  False, errno set, on failure. */
bool xsb_be_write(struct xsb_dev *d, const char *key, const char *val);
bool xsb_be_rm(struct xsb_dev *d, const char *key);

/* xsb_be_write() of a formatted value. */
bool xsb_be_printf(struct xsb_dev *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write <be>/state = @state and mark @d offered.  As xsb_be_write(). */
bool xsb_be_state(struct xsb_dev *d, int state);

/*
 * Read <fe>/<key> once and parse it as with xsb_parse_uint() against @max.
 * 0 with *@v set; -ENOENT if absent or unreadable; -EINVAL if it is not
 * such a number (an embedded NUL, a sign, spaces, too big).
 */
int xsb_fe_uint(struct xsb_dev *d, const char *key, unsigned long max, unsigned int *v);

/* Read <fe>/<key> once as a string (NUL-terminated, free() it), NULL if absent. */
char *xsb_fe_str(struct xsb_dev *d, const char *key);

/* Read the frontend's state into d->fe_state and return it: 0..31, or -1. */
int xsb_fe_state(struct xsb_dev *d);

/* Pop every pending watch event; return how many there were. */
unsigned int xsb_watch_drain(struct xsback *b);

/* ---- grants ---- */

/*
 * Map @n grant references of the frontend, contiguously, writable or read
 * only.  The region, or NULL with errno set (one bad reference fails all).
 */
void *xsb_map(struct xsb_dev *d, unsigned int n, uint32_t *refs, bool writable);

/* Unmap @n pages mapped by xsb_map() at @addr.  0, or -1 with errno set. */
int xsb_unmap(struct xsb_dev *d, void *addr, unsigned int n);

/* Map the one-page ring @ref writable into d->ring.  0, or -1 with errno set. */
int xsb_map_ring(struct xsb_dev *d, uint32_t ref);

/* Unmap d->ring if mapped (a failure is noted). */
void xsb_unmap_ring(struct xsb_dev *d);

/* ---- event channels ---- */

/* Bind the frontend's @remote port to a local one in d->port.  0, or -1 with errno set. */
int xsb_bind(struct xsb_dev *d, evtchn_port_t remote);

/* Unbind d->port if bound (a failure is noted). */
void xsb_unbind(struct xsb_dev *d);

/* Notify the frontend on d->port.  0, or -1 with errno set (also if unbound). */
int xsb_notify(struct xsb_dev *d);

/*
 * After xsb_wait() reported XSB_EVTCHN: the pending local port, unmasked
 * again, or -1 (nothing read, or errno set).
 */
int xsb_pending(struct xsback *b);

/*
 * poll() the evtchn fd and the xenstore watch fd for up to @ms (0: just
 * look).  The XSB_* bits that are ready, 0 on a timeout or a signal, or -1
 * with errno set if poll() itself failed.
 */
int xsb_wait(struct xsback *b, int ms);

/* ---- a whole tool: arguments, devices, the event loop, closing ---- */

/* The tool's structure of type @type around @x, its xsb_dev member @member. */
#define XSB_OWNER(x, type, member) \
	((type *)((char *)(x) - offsetof(type, member)))

/*
 * What a backend tool does with its devices; xsb_main() does the rest.
 * Every callback gets a device's xsb_dev, which the tool embeds in its own
 * structure.  All are required.
 */
struct xsb_tool_ops {
	const char *type;			/* "vbd", "vif" */
	const char *const *class_name;		/* the classes --help lists */
	unsigned int nr_classes;
	struct xsb_dev *(*dev)(unsigned int i);	/* the i-th device's slot */
	int (*offer)(struct xsb_dev *x);	/* opened: offer the backend */
	void (*step)(struct xsb_dev *x);	/* a look at states and timers */
	void (*service)(struct xsb_dev *x);	/* an event came, or a look: serve its rings */
	void (*storm)(struct xsb_dev *x);	/* one chunk of an event storm (storm_on) */
	bool (*settled)(const struct xsb_dev *x);	/* what --ready waits for */
	bool (*finished)(const struct xsb_dev *x);	/* nothing more to do */
	void (*closing)(struct xsb_dev *x);	/* before the Closing handshake */
	void (*closed)(struct xsb_dev *x);	/* after it: let go of everything */
	void (*report)(struct xsb_dev *x);	/* its class line and xsb_count() */
};

/*
 * A backend tool's main(): parse the command line (xsb_parse_args()), set
 * each device up, open Xen (a device then fails if it cannot be), offer
 * every device, serve them until the budget is over, everything is finished
 * or a signal came (with --ready, until the budget or a signal; the file is
 * created once every device is settled), close them all, report each.
 * Returns the exit code: 0 if every class passed.
 */
int xsb_main(struct xsback *b, const struct xsb_tool_ops *ops, int argc, char **argv);

#endif
