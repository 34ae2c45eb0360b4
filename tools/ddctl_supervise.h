/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddctl_supervise - ddctl supervise: restart a driver domain that died and
 * serve its clients' devices from the new domain. Also the parts of ddctl.c
 * it shares.
 */
#ifndef DDCTL_SUPERVISE_H
#define DDCTL_SUPERVISE_H

#include <stddef.h>
#include <xenctrl.h>
#include <xenstore.h>

/* the usage lines, after "usage: " or seven spaces */
#define DDCTL_SUPERVISE_USAGE \
	"ddctl supervise DD CONFIG [--once] [--max-restarts N]\n" \
	"                       [--ready-timeout S] [--connect-timeout S]"

/* ddctl.c: the handles main() or cmd_supervise() opened */
extern xc_interface *xch;
extern struct xs_handle *xs;

/* Print "ddctl: " and the message to stderr; returns code. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read the xenstore node named by the format (malloced, or NULL). */
char *xs_get(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A domain given by name or id: its id (its name into name), or -1. */
int resolve_domain(const char *arg, char *name, size_t nlen);

/* Milliseconds of CLOCK_MONOTONIC. */
long now_ms(void);
int open_xen(void);

/*
 * ddctl supervise DD CONFIG [options]: argv[0] is "supervise". Opens xch
 * and xs itself. Returns the exit code: 0 stopped by SIGINT or SIGTERM or
 * recovered with --once, 2 bad arguments or not a driver domain or Xen or
 * xenstore failed, 3 the driver domain could not be restarted.
 */
int cmd_supervise(int argc, char **argv);

#endif
