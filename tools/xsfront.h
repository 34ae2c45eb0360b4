/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsfront - the xenbus side of a user-space frontend, shared by the hostile
 * tools (ddblk-hostile, ddnet-hostile): xenstore reads and frontend writes,
 * the backend state, the event channel, gntalloc, the time budget, SIGINT/
 * SIGTERM and the pass/fail count.  The rings and what goes on them stay in
 * each tool.
 *
 * Error lines go to stderr as "<prog>: ...", notes to stdout; the texts and
 * timeouts are the ones each tool printed and used before they shared this.
 */
#ifndef XSFRONT_H
#define XSFRONT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>
#include "xsring.h"

#define XSF_BIT(s)	(1u << XenbusState##s)

struct xsfront {
	const char *prog;		/* prefix of error lines, set by the tool */
	struct xs_handle *xs;
	xengntshr_handle *gs;
	xenevtchn_handle *xce;
	char fe[64];			/* device/<type>/<id>, relative */
	char *be;			/* the backend's directory, allocated */
	unsigned int be_domid;
	evtchn_port_t port;		/* valid while port_bound */
	bool port_bound;
	bool touched;			/* a frontend key was written: close on exit */
	uint64_t deadline;		/* xsf_now_ms() at which the budget ends */
	const char *cut_off;		/* set by the tool: why no class can run any more */
	unsigned int passed, failed;	/* classes */
};

/* A frontend key to write, or with val NULL to remove. */
struct xsf_kv {
	const char *key, *val;
};

/* Set by SIGINT/SIGTERM (see xsf_start()); tools may set it too. */
extern volatile sig_atomic_t xsf_stop;

/* Whether @id is a usable device id: 1 to 10 decimal digits. */
bool xsf_device_id(const char *id);

/*
 * The start of a run, after the options: stdout line-buffered, SIGINT and
 * SIGTERM routed to xsf_stop, f->deadline @seconds from now.
 */
void xsf_start(struct xsfront *f, unsigned long seconds);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t xsf_now_ms(void);

/* @want, cut to what is left until f->deadline (0 once it has passed). */
unsigned int xsf_budget_ms(const struct xsfront *f, unsigned int want);

/* Print "<prog>: <step>: <strerror(errno)>" to stderr; return -1. */
int xsf_fail(const struct xsfront *f, const char *step);

/* Read <dir>/<key> as a decimal u64; false if absent or not a number. */
bool xsf_u64(struct xsfront *f, const char *dir, const char *key, uint64_t *v);

/* Read <dir>/<key> as a decimal u32, @def if absent, invalid or too big. */
unsigned int xsf_uint(struct xsfront *f, const char *dir, const char *key,
		      unsigned int def);

/*
 * Write (xsf_fe_write) or remove (xsf_fe_rm, ENOENT counts as done)
 * <fe>/<key> in transaction @t (XBT_NULL: none).  Marks the frontend
 * touched; on failure prints the path and error to stderr, leaves errno and
 * returns false.
 */
bool xsf_fe_write(struct xsfront *f, xs_transaction_t t, const char *key,
		  const char *val);
bool xsf_fe_rm(struct xsfront *f, xs_transaction_t t, const char *key);

/* Write <fe>/state = @state outside any transaction; as xsf_fe_write(). */
bool xsf_fe_state(struct xsfront *f, int state);

/* Apply @kv in order in one transaction, retried up to 20 times on EAGAIN. 0 or -1. */
int xsf_fe_txn(struct xsfront *f, const struct xsf_kv *kv, unsigned int n);

/* The backend's state, or -1 if unreadable or beyond 31. */
int xsf_be_state(struct xsfront *f);

/*
 * Poll the backend state every 100 ms until it is in @mask (XSF_BIT()s);
 * return it, or -1 after @ms or once xsf_stop is set.
 */
int xsf_wait_be(struct xsfront *f, unsigned int mask, unsigned int ms);

/*
 * Bring the backend to InitWait within @ms.  A backend past InitWait (left
 * Connected or Closed by an earlier run) is first cycled: a note, Closing
 * and Closed (5 s each, a note if it does not follow), then Initialising.
 * 0, or -1 with a line on stderr.
 */
int xsf_to_initwait(struct xsfront *f, unsigned int ms);

/*
 * Open xenstore for the frontend device/<type>/<id>: prints
 * "hostile: dom D <type> <id>", reads the backend path and backend-id.
 * @what names <id> in the error hint ("vdev", "devid").  0 or -1.
 */
int xsf_open(struct xsfront *f, const char *type, const char *what, const char *id);

/* Open gntalloc (xsf_open_gnttab) and evtchn (xsf_open_evtchn).  0 or -1. */
int xsf_open_gnttab(struct xsfront *f);
int xsf_open_evtchn(struct xsfront *f);

/* Unbind the current port if any, then allocate a new unbound one for the backend.  0 or -1. */
int xsf_new_port(struct xsfront *f);

/*
 * Wait up to @ms for an event and unmask the pending port.  Returns that
 * port if unmasking it failed (errno set, for the tool to report), else -1.
 */
int xsf_wait_event(struct xsfront *f, int ms);

/*
 * The first half of a detach: a touched frontend goes Closing and Closed
 * (3 s each for the backend to follow), then the port is unbound and evtchn
 * closed.  The tool then unshares its pages and calls xsf_close().
 */
void xsf_detach_begin(struct xsfront *f);

/*
 * Describe, in @buf, the error xenbus_dev_fatal() left for the backend:
 * error/<backend path>/error in the backend domain's home (or, by some
 * backends, <backend>/error), quoted; "none", or "unreadable (<why>)" (a
 * guest may well not be allowed to read it).
 */
void xsf_be_error(struct xsfront *f, char *buf, size_t size);

/*
 * An event storm: notify the bound port up to @max times or for @ms,
 * whichever comes first, and print a note "  note: N notifications on
 * port P in T ms" (with how many failed, if any).  Returns N.
 */
unsigned int xsf_storm(struct xsfront *f, unsigned int max, unsigned int ms);

/* Close gntalloc and xenstore, free the backend path. */
void xsf_close(struct xsfront *f);

/*
 * Before a class: if xsf_stop is set or the budget used up, print
 * "class <name>: not run, ...", count a failure and return true.
 */
bool xsf_not_run(struct xsfront *f, const char *name);

/* After a class line: flush stdout, count a pass or a failure. */
void xsf_count(struct xsfront *f, bool pass);

/* Print "hostile: N classes passed, M failed"; return the exit code (0: none failed). */
int xsf_summary(const struct xsfront *f);

#endif
