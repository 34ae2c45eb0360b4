// SPDX-License-Identifier: GPL-2.0
/*
 * xsback - the xenbus side of a user-space backend; see xsback.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "xsback.h"

#define XSB_TICK_MS	100
#define XSB_CLOSE_MS	5000		/* for the frontends to follow our Closing */

volatile sig_atomic_t xsb_stop;

static void xsb_on_signal(int sig)
{
	(void)sig;
	xsb_stop = 1;
}

/* ---- time, signals, parsing ---- */

void xsb_start(struct xsback *b, unsigned long seconds)
{
	struct sigaction sa = { .sa_handler = xsb_on_signal };

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	b->deadline = xsb_now_ms() + (uint64_t)seconds * 1000;
}

uint64_t xsb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned int xsb_budget_ms(const struct xsback *b, unsigned int want)
{
	uint64_t now = xsb_now_ms();

	if (now >= b->deadline)
		return 0;
	return b->deadline - now < want ? (unsigned int)(b->deadline - now) : want;
}

bool xsb_over(const struct xsback *b)
{
	return xsb_stop || xsb_now_ms() >= b->deadline;
}

bool xsb_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long long x = 0;
	size_t i, n = strlen(s);

	if (!n || n > 10 || strspn(s, "0123456789") != n)
		return false;
	for (i = 0; i < n; i++)
		x = x * 10 + (unsigned int)(s[i] - '0');
	if (x > max)
		return false;
	*v = (unsigned long)x;
	return true;
}

int xsb_ready_file(const struct xsback *b, const char *path)
{
	static const char msg[] = "ready\n";
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, msg, sizeof(msg) - 1) != (ssize_t)(sizeof(msg) - 1))
		err = errno;
	if (fd >= 0 && close(fd) && !err)
		err = errno;
	if (!err)
		return 0;
	fprintf(stderr, "%s: creating %s: %s\n", b->prog, path, strerror(err));
	return -1;
}

/* ---- reports ---- */

static void xsb_vnote(const struct xsb_dev *d, const char *fmt, va_list ap)
{
	printf("  note: %s: ", d->label);
	vprintf(fmt, ap);
	putchar('\n');
}

void xsb_note(const struct xsb_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xsb_vnote(d, fmt, ap);
	va_end(ap);
}

void xsb_fail(struct xsb_dev *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->failed) {
		va_start(ap, fmt);
		vsnprintf(d->why, sizeof(d->why), fmt, ap);
		va_end(ap);
		d->failed = true;
	}
	va_start(ap, fmt);
	xsb_vnote(d, fmt, ap);
	va_end(ap);
}

void xsb_count(struct xsback *b, bool pass)
{
	fflush(stdout);
	if (pass)
		b->passed++;
	else
		b->failed++;
}

int xsb_summary(const struct xsback *b)
{
	printf("hostile: %u classes passed, %u failed\n", b->passed, b->failed);
	fflush(stdout);
	return b->failed || !b->passed ? 1 : 0;
}

/* ---- opening and closing ---- */

static int xsb_err(const struct xsback *b, const char *step)
{
	fprintf(stderr, "%s: %s: %s\n", b->prog, step, strerror(errno));
	return -1;
}

int xsb_open(struct xsback *b)
{
	unsigned long v;
	unsigned int len;
	char *s;
	bool ok;

	b->xs_fd = -1;
	b->xs = xs_open(0);
	if (!b->xs)
		return xsb_err(b, "xs_open (is /dev/xen/xenbus there?)");
	s = xs_read(b->xs, XBT_NULL, "domid", &len);
	ok = s && strlen(s) == len && xsb_parse_uint(s, XSB_MAX_DOMID, &v);
	free(s);
	if (!ok) {
		fprintf(stderr, "%s: cannot read our own domid from xenstore\n", b->prog);
		return -1;
	}
	b->self = (unsigned int)v;
	b->xs_fd = xs_fileno(b->xs);
	if (b->xs_fd < 0)
		fprintf(stderr, "%s: no xenstore watch fd (%s): polling states only\n",
			b->prog, strerror(errno));
	b->xgt = xengnttab_open(NULL, 0);
	if (!b->xgt)
		return xsb_err(b, "xengnttab_open (is /dev/xen/gntdev there?)");
	b->xce = xenevtchn_open(NULL, 0);
	if (!b->xce)
		return xsb_err(b, "xenevtchn_open (is /dev/xen/evtchn there?)");
	return 0;
}

void xsb_close(struct xsback *b)
{
	if (b->xce)
		xenevtchn_close(b->xce);
	if (b->xgt)
		xengnttab_close(b->xgt);
	if (b->xs)
		xs_close(b->xs);
	b->xce = NULL;
	b->xgt = NULL;
	b->xs = NULL;
	b->xs_fd = -1;
}

/* Read @dir/@key as a string; NULL if absent, unreadable or holding a NUL. */
static char *xsb_read(struct xsback *b, const char *dir, const char *key)
{
	unsigned int len;
	char path[192], *s;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	s = xs_read(b->xs, XBT_NULL, path, &len);
	if (s && strlen(s) != len) {
		free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
}

int xsb_dev_init(struct xsback *b, struct xsb_dev *d, const char *type,
		 unsigned int fe_domid, unsigned int devid)
{
	char path[160], *s;
	unsigned long v;
	bool ok;

	d->b = b;
	d->type = type;
	d->fe_domid = fe_domid;
	d->devid = devid;
	d->fe_state = -1;
	snprintf(d->label, sizeof(d->label), "%s %u", type, devid);
	snprintf(d->fe, sizeof(d->fe), "/local/domain/%u/device/%s/%u", fe_domid, type, devid);
	snprintf(d->be, sizeof(d->be), "/local/domain/%u/data/hostile/%s/%u/%u", b->self, type,
		 fe_domid, devid);
	snprintf(d->token, sizeof(d->token), "xsback/%s/%u", type, devid);

	s = xsb_read(b, d->be, "frontend-id");
	ok = s && xsb_parse_uint(s, XSB_MAX_DOMID, &v) && v == fe_domid;
	if (!ok) {
		xsb_fail(d, "backend directory %s: frontend-id %s, not %u (was it created?)",
			 d->be, s ? s : "unreadable", fe_domid);
		free(s);
		return -1;
	}
	free(s);
	s = xsb_read(b, d->be, "frontend");
	if (s && strcmp(s, d->fe)) {
		xsb_fail(d, "backend directory names frontend %s, not %s", s, d->fe);
		free(s);
		return -1;
	}
	free(s);
	s = xsb_read(b, d->fe, "backend");
	if (s && strcmp(s, d->be)) {
		xsb_fail(d, "frontend's backend key names %s, not %s", s, d->be);
		free(s);
		return -1;
	}
	free(s);

	snprintf(path, sizeof(path), "%s/state", d->fe);
	if (b->xs_fd >= 0) {
		d->watched = xs_watch(b->xs, path, d->token);
		if (!d->watched)
			xsb_note(d, "cannot watch %s (%s): polling it", path, strerror(errno));
	}
	return 0;
}

void xsb_dev_release(struct xsb_dev *d)
{
	char path[160];

	xsb_unmap_ring(d);
	xsb_unbind(d);
	if (d->watched) {
		snprintf(path, sizeof(path), "%s/state", d->fe);
		xs_unwatch(d->b->xs, path, d->token);
		d->watched = false;
	}
}

/* Whether a frontend has let go: Closing, Closed or gone. */
static bool xsb_fe_done(struct xsb_dev *d)
{
	int st = xsb_fe_state(d);

	return st < 0 || st == XenbusStateClosing || st == XenbusStateClosed ||
	       st == XenbusStateUnknown;
}

void xsb_close_devs(struct xsb_dev **devs, unsigned int n, unsigned int ms,
		    void (*tick)(void *arg, int port), void *arg)
{
	uint64_t end = xsb_now_ms() + ms, last = 0;
	struct xsback *b;
	unsigned int i;
	bool all;
	int w;

	if (!n)
		return;
	b = devs[0]->b;
	for (i = 0; i < n; i++)
		if (devs[i]->offered && !xsb_be_state(devs[i], XenbusStateClosing))
			xsb_note(devs[i], "writing backend state Closing: %s", strerror(errno));
	for (;;) {
		if (xsb_now_ms() - last >= XSB_TICK_MS) {
			last = xsb_now_ms();
			all = true;
			for (i = 0; i < n; i++)
				if (devs[i]->offered && !xsb_fe_done(devs[i]))
					all = false;
			if (all)
				break;
			if (last >= end) {
				for (i = 0; i < n; i++)
					if (devs[i]->offered && !xsb_fe_done(devs[i]))
						xsb_note(devs[i], "frontend still in state %d"
							 " %u s after our Closing",
							 devs[i]->fe_state, ms / 1000);
				break;
			}
			if (tick)
				tick(arg, -1);
		}
		w = xsb_wait(b, XSB_TICK_MS);
		if (w < 0) {
			xsb_err(b, "poll");
			break;
		}
		if ((w & XSB_EVTCHN)) {
			int port = xsb_pending(b);

			if (port >= 0 && tick)
				tick(arg, port);
		}
		if (w & XSB_XS)
			xsb_watch_drain(b);
	}
	for (i = 0; i < n; i++)
		if (devs[i]->offered && !xsb_be_state(devs[i], XenbusStateClosed))
			xsb_note(devs[i], "writing backend state Closed: %s", strerror(errno));
}

/* ---- xenstore ---- */

bool xsb_be_write(struct xsb_dev *d, const char *key, const char *val)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", d->be, key);
	return xs_write(d->b->xs, XBT_NULL, path, val, strlen(val));
}

bool xsb_be_rm(struct xsb_dev *d, const char *key)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", d->be, key);
	return xs_rm(d->b->xs, XBT_NULL, path) || errno == ENOENT;
}

bool xsb_be_printf(struct xsb_dev *d, const char *key, const char *fmt, ...)
{
	char val[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xsb_be_write(d, key, val);
}

bool xsb_be_state(struct xsb_dev *d, int state)
{
	d->offered = true;
	return xsb_be_printf(d, "state", "%d", state);
}

int xsb_fe_uint(struct xsb_dev *d, const char *key, unsigned long max, unsigned int *v)
{
	unsigned long x;
	unsigned int len;
	char path[192], *s;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", d->fe, key);
	s = xs_read(d->b->xs, XBT_NULL, path, &len);
	if (!s)
		return -ENOENT;
	if (strlen(s) != len || !xsb_parse_uint(s, max, &x) || x > UINT32_MAX)
		ret = -EINVAL;
	else
		*v = (unsigned int)x;
	free(s);
	return ret;
}

char *xsb_fe_str(struct xsb_dev *d, const char *key)
{
	return xsb_read(d->b, d->fe, key);
}

int xsb_fe_state(struct xsb_dev *d)
{
	unsigned int st;

	d->fe_state = xsb_fe_uint(d, "state", 31, &st) ? -1 : (int)st;
	return d->fe_state;
}

unsigned int xsb_watch_drain(struct xsback *b)
{
	unsigned int n = 0;
	char **vec;

	if (b->xs_fd < 0)
		return 0;
	while ((vec = xs_check_watch(b->xs))) {
		free(vec);
		n++;
	}
	return n;
}

/* ---- grants ---- */

void *xsb_map(struct xsb_dev *d, unsigned int n, uint32_t *refs, bool writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);

	if (!n) {
		errno = EINVAL;
		return NULL;
	}
	return xengnttab_map_domain_grant_refs(d->b->xgt, n, d->fe_domid, refs, prot);
}

int xsb_unmap(struct xsb_dev *d, void *addr, unsigned int n)
{
	return xengnttab_unmap(d->b->xgt, addr, n);
}

int xsb_map_ring(struct xsb_dev *d, uint32_t ref)
{
	void *p;

	p = xengnttab_map_grant_ref(d->b->xgt, d->fe_domid, ref, PROT_READ | PROT_WRITE);
	if (!p)
		return -1;
	d->ring = p;
	d->ring_ref = ref;
	return 0;
}

void xsb_unmap_ring(struct xsb_dev *d)
{
	if (!d->ring)
		return;
	if (xengnttab_unmap(d->b->xgt, d->ring, 1))
		xsb_note(d, "unmapping ring-ref %u: %s", d->ring_ref, strerror(errno));
	d->ring = NULL;
}

/* ---- event channels ---- */

int xsb_bind(struct xsb_dev *d, evtchn_port_t remote)
{
	xenevtchn_port_or_error_t port;

	port = xenevtchn_bind_interdomain(d->b->xce, d->fe_domid, remote);
	if (port < 0)
		return -1;
	d->port = (evtchn_port_t)port;
	d->remote_port = remote;
	d->port_bound = true;
	return 0;
}

void xsb_unbind(struct xsb_dev *d)
{
	if (!d->port_bound)
		return;
	if (xenevtchn_unbind(d->b->xce, d->port) < 0)
		xsb_note(d, "unbinding port %u: %s", d->port, strerror(errno));
	d->port_bound = false;
}

int xsb_notify(struct xsb_dev *d)
{
	if (!d->port_bound) {
		errno = ENOTCONN;
		return -1;
	}
	return xenevtchn_notify(d->b->xce, d->port);
}

int xsb_pending(struct xsback *b)
{
	xenevtchn_port_or_error_t port = xenevtchn_pending(b->xce);

	if (port < 0)
		return -1;
	if (xenevtchn_unmask(b->xce, (evtchn_port_t)port) < 0)
		fprintf(stderr, "%s: unmasking port %d: %s\n", b->prog, port, strerror(errno));
	return port;
}

int xsb_wait(struct xsback *b, int ms)
{
	struct pollfd p[2] = {
		{ .fd = xenevtchn_fd(b->xce), .events = POLLIN },
		{ .fd = b->xs_fd, .events = POLLIN },
	};
	int n, ret = 0;

	n = poll(p, b->xs_fd >= 0 ? 2 : 1, ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (p[0].revents & (POLLERR | POLLNVAL) || (b->xs_fd >= 0 && p[1].revents & POLLNVAL)) {
		errno = EIO;
		return -1;
	}
	if (p[0].revents & POLLIN)
		ret |= XSB_EVTCHN;
	if (b->xs_fd >= 0 && (p[1].revents & POLLIN))
		ret |= XSB_XS;
	return ret;
}

/* ---- the command line ---- */

static void xsb_usage(const struct xsback *b, FILE *f, const char *type,
		      const char *const *classes, unsigned int nr_classes)
{
	unsigned int i;

	fprintf(f, "usage: %s [--seconds N] [--ready FILE] FE_DOMID CLASS:DEVID...\n"
		"Serve %s DEVID of domain FE_DOMID from this domain's data/hostile/%s\n"
		"directory and attack its frontend, one class per device.  Classes:",
		b->prog, type, type);
	for (i = 0; i < nr_classes; i++)
		fprintf(f, " %s", classes[i]);
	fprintf(f, "\n");
}

/* Parse CLASS:DEVID into a's next device; false on anything wrong. */
static bool xsb_parse_dev(struct xsb_args *a, const char *arg, const char *const *classes,
			  unsigned int nr_classes)
{
	const char *colon = strchr(arg, ':');
	unsigned long devid;
	unsigned int i, c;
	size_t len;

	if (!colon || a->nr >= XSB_MAX_DEVS)
		return false;
	len = (size_t)(colon - arg);
	for (c = 0; c < nr_classes; c++)
		if (strlen(classes[c]) == len && !strncmp(arg, classes[c], len))
			break;
	if (c == nr_classes || !xsb_parse_uint(colon + 1, UINT32_MAX, &devid))
		return false;
	for (i = 0; i < a->nr; i++)
		if (a->devid[i] == devid)
			return false;
	a->cls[a->nr] = c;
	a->devid[a->nr] = (unsigned int)devid;
	a->nr++;
	return true;
}

int xsb_parse_args(const struct xsback *b, struct xsb_args *a, int argc, char **argv,
		   const char *type, const char *const *classes, unsigned int nr_classes)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "ready", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int i;
	int c;

	memset(a, 0, sizeof(*a));
	a->seconds = 120;
	while ((c = getopt_long(argc, argv, "s:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!xsb_parse_uint(optarg, 86400, &a->seconds) || !a->seconds) {
				fprintf(stderr, "%s: bad --seconds %s\n", b->prog, optarg);
				xsb_usage(b, stderr, type, classes, nr_classes);
				return 2;
			}
			break;
		case 'r':
			a->ready = optarg;
			break;
		case 'h':
			xsb_usage(b, stdout, type, classes, nr_classes);
			return 0;
		default:
			xsb_usage(b, stderr, type, classes, nr_classes);
			return 2;
		}
	}
	if (argc - optind < 2 || !xsb_parse_uint(argv[optind], XSB_MAX_DOMID, &a->fe)) {
		xsb_usage(b, stderr, type, classes, nr_classes);
		return 2;
	}
	for (i = optind + 1; i < (unsigned int)argc; i++) {
		if (!xsb_parse_dev(a, argv[i], classes, nr_classes)) {
			fprintf(stderr, "%s: bad CLASS:DEVID %s (unknown class,"
				" bad or repeated devid, or more than %u)\n",
				b->prog, argv[i], XSB_MAX_DEVS);
			xsb_usage(b, stderr, type, classes, nr_classes);
			return 2;
		}
	}
	return -1;
}

/* ---- a whole tool ---- */

struct xsb_tool {
	struct xsback *b;
	const struct xsb_tool_ops *ops;
	unsigned int nr;
};

static void xsb_on_port(const struct xsb_tool *t, int port)
{
	struct xsb_dev *x;
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		x = t->ops->dev(i);
		if (x->port_bound && x->port == (evtchn_port_t)port) {
			x->events++;
			t->ops->service(x);
			return;
		}
	}
}

static void xsb_run(const struct xsb_tool *t, const char *ready)
{
	const struct xsb_tool_ops *ops = t->ops;
	bool is_ready = false, rescan = true, storming;
	unsigned int i, all_settled, all_finished;
	uint64_t last = 0;
	int w;

	while (!xsb_over(t->b)) {
		storming = false;
		for (i = 0; i < t->nr; i++)
			storming |= ops->dev(i)->storm_on;
		w = xsb_wait(t->b, storming ? 0 : XSB_TICK_MS);
		if (w < 0) {
			xsb_err(t->b, "poll");
			break;
		}
		if (w & XSB_EVTCHN) {
			int port = xsb_pending(t->b);

			if (port >= 0)
				xsb_on_port(t, port);
		}
		if ((w & XSB_XS) && xsb_watch_drain(t->b))
			rescan = true;
		for (i = 0; i < t->nr; i++)
			if (ops->dev(i)->storm_on)
				ops->storm(ops->dev(i));
		if (!rescan && xsb_now_ms() - last < XSB_TICK_MS)
			continue;
		rescan = false;
		last = xsb_now_ms();
		all_settled = all_finished = 0;
		for (i = 0; i < t->nr; i++) {
			ops->step(ops->dev(i));
			all_settled += ops->settled(ops->dev(i));
			all_finished += ops->finished(ops->dev(i));
		}
		if (ready && !is_ready && all_settled == t->nr) {
			is_ready = true;
			if (!xsb_ready_file(t->b, ready))
				printf("hostile: every device connected and attacked: %s created\n",
				       ready);
		}
		if (!ready && all_finished == t->nr)
			break;
	}
}

/* While closing: keep serving what the frontends still send. */
static void xsb_close_tick(void *arg, int port)
{
	const struct xsb_tool *t = arg;
	unsigned int i;

	if (port >= 0) {
		xsb_on_port(t, port);
		return;
	}
	for (i = 0; i < t->nr; i++)
		t->ops->service(t->ops->dev(i));
}

int xsb_main(struct xsback *b, const struct xsb_tool_ops *ops, int argc, char **argv)
{
	struct xsb_tool t = { .b = b, .ops = ops };
	struct xsb_dev *xd[XSB_MAX_DEVS];
	struct xsb_args a;
	unsigned int i;
	bool opened;
	int c;

	c = xsb_parse_args(b, &a, argc, argv, ops->type, ops->class_name, ops->nr_classes);
	if (c >= 0)
		return c;
	t.nr = a.nr;
	for (i = 0; i < t.nr; i++) {
		xd[i] = ops->dev(i);
		xd[i]->devid = a.devid[i];
		xd[i]->cls = a.cls[i];
	}
	xsb_start(b, a.seconds);

	opened = !xsb_open(b);
	if (opened)
		printf("hostile: dom %u serves %u %s(s) of dom %lu for up to %lu s\n", b->self,
		       t.nr, ops->type, a.fe, a.seconds);
	for (i = 0; i < t.nr; i++) {
		if (!opened) {
			snprintf(xd[i]->label, sizeof(xd[i]->label), "%s dev %u",
				 ops->class_name[a.cls[i]], a.devid[i]);
			xd[i]->fe_state = -1;
			xsb_fail(xd[i], "cannot open xenstore, gntdev or evtchn");
			continue;
		}
		if (xsb_dev_init(b, xd[i], ops->type, (unsigned int)a.fe, a.devid[i]) == 0) {
			snprintf(xd[i]->label, sizeof(xd[i]->label), "%s dev %u",
				 ops->class_name[a.cls[i]], a.devid[i]);
			ops->offer(xd[i]);
		}
	}
	if (opened) {
		xsb_run(&t, a.ready);
		if (xsb_stop)
			printf("hostile: stopping on a signal\n");
		for (i = 0; i < t.nr; i++)
			ops->closing(xd[i]);
		xsb_close_devs(xd, t.nr, XSB_CLOSE_MS, xsb_close_tick, &t);
		for (i = 0; i < t.nr; i++)
			ops->closed(xd[i]);
	}
	for (i = 0; i < t.nr; i++)
		ops->report(xd[i]);
	xsb_close(b);
	return xsb_summary(b);
}
