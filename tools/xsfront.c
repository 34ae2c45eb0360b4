// SPDX-License-Identifier: GPL-2.0
/*
 * xsfront - the xenbus side of a user-space frontend; see xsfront.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xsfront.h"

#define XSF_STEP_MS	5000		/* backend Closing, Closed when cycling */
#define XSF_CLOSE_MS	3000		/* the same on exit */

volatile sig_atomic_t xsf_stop;

static void xsf_on_signal(int sig)
{
	(void)sig;
	xsf_stop = 1;
}

uint64_t xsf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool xsf_device_id(const char *id)
{
	return *id && strspn(id, "0123456789") == strlen(id) && strlen(id) <= 10;
}

void xsf_start(struct xsfront *f, unsigned long seconds)
{
	struct sigaction sa = { .sa_handler = xsf_on_signal };

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	f->deadline = xsf_now_ms() + (uint64_t)seconds * 1000;
}

unsigned int xsf_budget_ms(const struct xsfront *f, unsigned int want)
{
	uint64_t now = xsf_now_ms();

	if (now >= f->deadline)
		return 0;
	return f->deadline - now < want ? (unsigned int)(f->deadline - now) : want;
}

int xsf_fail(const struct xsfront *f, const char *step)
{
	fprintf(stderr, "%s: %s: %s\n", f->prog, step, strerror(errno));
	return -1;
}

/* ---- xenstore ---- */

bool xsf_u64(struct xsfront *f, const char *dir, const char *key, uint64_t *v)
{
	char path[256], *s, *end;
	unsigned int len;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	s = xs_read(f->xs, XBT_NULL, path, &len);
	if (!s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	ok = !errno && end != s && !*end;
	free(s);
	return ok;
}

unsigned int xsf_uint(struct xsfront *f, const char *dir, const char *key,
		      unsigned int def)
{
	uint64_t v;

	return xsf_u64(f, dir, key, &v) && v <= UINT32_MAX ? (unsigned int)v : def;
}

bool xsf_fe_write(struct xsfront *f, xs_transaction_t t, const char *key,
		  const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->fe, key);
	f->touched = true;
	if (xs_write(f->xs, t, path, val, strlen(val)))
		return true;
	fprintf(stderr, "%s: writing %s: %s\n", f->prog, path, strerror(errno));
	return false;
}

bool xsf_fe_rm(struct xsfront *f, xs_transaction_t t, const char *key)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->fe, key);
	f->touched = true;
	if (xs_rm(f->xs, t, path) || errno == ENOENT)
		return true;
	fprintf(stderr, "%s: removing %s: %s\n", f->prog, path, strerror(errno));
	return false;
}

bool xsf_fe_state(struct xsfront *f, int state)
{
	char s[4];

	snprintf(s, sizeof(s), "%d", state);
	return xsf_fe_write(f, XBT_NULL, "state", s);
}

int xsf_fe_txn(struct xsfront *f, const struct xsf_kv *kv, unsigned int n)
{
	xs_transaction_t t;
	unsigned int i;
	int try, err;

	for (try = 0; try < 20; try++) {
		t = xs_transaction_start(f->xs);
		if (t == XBT_NULL)
			return xsf_fail(f, "xenstore transaction start");
		for (i = 0; i < n; i++)
			if (!(kv[i].val ? xsf_fe_write(f, t, kv[i].key, kv[i].val) :
					  xsf_fe_rm(f, t, kv[i].key)))
				break;
		if (i < n) {
			err = errno;
			xs_transaction_end(f->xs, t, true);
			if (err == EAGAIN)
				continue;
			return -1;
		}
		if (xs_transaction_end(f->xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return xsf_fail(f, "xenstore transaction end");
	}
	fprintf(stderr, "%s: xenstore transaction kept failing with EAGAIN\n", f->prog);
	return -1;
}

int xsf_be_state(struct xsfront *f)
{
	uint64_t v;

	return xsf_u64(f, f->be, "state", &v) && v < 32 ? (int)v : -1;
}

int xsf_wait_be(struct xsfront *f, unsigned int mask, unsigned int ms)
{
	uint64_t end = xsf_now_ms() + ms;
	int st;

	for (;;) {
		st = xsf_be_state(f);
		if (st >= 0 && (mask & (1u << st)))
			return st;
		if (xsf_stop || xsf_now_ms() >= end)
			return -1;
		poll(NULL, 0, 100);
	}
}

int xsf_to_initwait(struct xsfront *f, unsigned int ms)
{
	int st = xsf_be_state(f);

	/* A backend left Connected or Closed by an earlier run: cycle it. */
	if (st > XenbusStateInitWait) {
		printf("hostile: backend in state %d, closing and reopening it\n", st);
		if (st != XenbusStateClosed) {
			if (!xsf_fe_state(f, XenbusStateClosing) ||
			    xsf_wait_be(f, XSF_BIT(Closing) | XSF_BIT(Closed), XSF_STEP_MS) < 0)
				printf("  note: backend did not go Closing\n");
			if (!xsf_fe_state(f, XenbusStateClosed) ||
			    xsf_wait_be(f, XSF_BIT(Closed), XSF_STEP_MS) < 0)
				printf("  note: backend did not go Closed\n");
		}
		if (!xsf_fe_state(f, XenbusStateInitialising))
			return -1;
	}
	if (xsf_wait_be(f, XSF_BIT(InitWait), ms) < 0) {
		fprintf(stderr, "%s: waiting for backend InitWait: state %d\n", f->prog,
			xsf_be_state(f));
		return -1;
	}
	return 0;
}

/* ---- opening and closing ---- */

int xsf_open(struct xsfront *f, const char *type, const char *what, const char *id)
{
	char path[96], hint[96], *dom;
	uint64_t v;

	snprintf(f->fe, sizeof(f->fe), "device/%s/%s", type, id);
	f->xs = xs_open(0);
	if (!f->xs)
		return xsf_fail(f, "xs_open (is /dev/xen/xenbus there?)");
	dom = xs_read(f->xs, XBT_NULL, "domid", &(unsigned int){ 0 });
	printf("hostile: dom %s %s %s\n", dom ? dom : "?", type, id);
	free(dom);
	snprintf(path, sizeof(path), "%s/backend", f->fe);
	f->be = xs_read(f->xs, XBT_NULL, path, &(unsigned int){ 0 });
	if (!f->be) {
		snprintf(hint, sizeof(hint),
			 "reading the frontend's backend node (is the %s a %s of this guest?)",
			 what, type);
		return xsf_fail(f, hint);
	}
	if (!xsf_u64(f, f->fe, "backend-id", &v) || v >= 0x7ff0) {
		fprintf(stderr, "%s: reading %s/backend-id failed\n", f->prog, f->fe);
		return -1;
	}
	f->be_domid = (unsigned int)v;
	return 0;
}

int xsf_open_gnttab(struct xsfront *f)
{
	f->gs = xengntshr_open(NULL, 0);
	if (!f->gs)
		return xsf_fail(f, "xengntshr_open (xen-gntalloc loaded?)");
	return 0;
}

int xsf_open_evtchn(struct xsfront *f)
{
	f->xce = xenevtchn_open(NULL, 0);
	if (!f->xce)
		return xsf_fail(f, "xenevtchn_open (xen-evtchn loaded?)");
	return 0;
}

void xsf_detach_begin(struct xsfront *f)
{
	if (f->xs && f->be && f->touched) {
		if (xsf_fe_state(f, XenbusStateClosing))
			xsf_wait_be(f, XSF_BIT(Closing) | XSF_BIT(Closed), XSF_CLOSE_MS);
		if (xsf_fe_state(f, XenbusStateClosed))
			xsf_wait_be(f, XSF_BIT(Closed), XSF_CLOSE_MS);
	}
	if (f->port_bound && xenevtchn_unbind(f->xce, f->port) < 0)
		xsf_fail(f, "unbinding the event channel");
	if (f->xce)
		xenevtchn_close(f->xce);
}

void xsf_close(struct xsfront *f)
{
	if (f->gs)
		xengntshr_close(f->gs);
	free(f->be);
	xs_close(f->xs);	/* NULL ok */
}

/* ---- event channel ---- */

int xsf_new_port(struct xsfront *f)
{
	int port;

	if (f->port_bound && xenevtchn_unbind(f->xce, f->port) < 0)
		xsf_fail(f, "unbinding the old event channel");
	f->port_bound = false;
	port = xenevtchn_bind_unbound_port(f->xce, f->be_domid);
	if (port < 0)
		return xsf_fail(f, "allocating an unbound event channel");
	f->port = (evtchn_port_t)port;
	f->port_bound = true;
	return 0;
}

int xsf_wait_event(struct xsfront *f, int ms)
{
	struct pollfd p = { .fd = xenevtchn_fd(f->xce), .events = POLLIN };
	xenevtchn_port_or_error_t port;

	if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
		port = xenevtchn_pending(f->xce);
		if (port >= 0 && xenevtchn_unmask(f->xce, port) < 0)
			return port;
	}
	return -1;
}

/* ---- classes ---- */

bool xsf_not_run(struct xsfront *f, const char *name)
{
	if (!xsf_stop && !f->cut_off && xsf_budget_ms(f, 1))
		return false;
	printf("class %s: not run, %s\n", name,
	       xsf_stop ? "interrupted" : f->cut_off ? f->cut_off : "time budget used up");
	f->failed++;
	return true;
}

void xsf_count(struct xsfront *f, bool pass)
{
	fflush(stdout);
	if (pass)
		f->passed++;
	else
		f->failed++;
}

int xsf_summary(const struct xsfront *f)
{
	printf("hostile: %u classes passed, %u failed\n", f->passed, f->failed);
	return f->failed || !f->passed ? 1 : 0;
}

/* ---- backend errors, event storms ---- */

void xsf_be_error(struct xsfront *f, char *buf, size_t size)
{
	const char *rel = f->be;
	char path[320], *s;
	unsigned int len;
	int err, err2;

	if (!strncmp(rel, "/local/domain/", 14)) {
		rel += 14 + strspn(rel + 14, "0123456789");
		rel += *rel == '/';
	}
	snprintf(path, sizeof(path), "/local/domain/%u/error/%s/error", f->be_domid, rel);
	s = xs_read(f->xs, XBT_NULL, path, &len);
	err = errno;
	if (!s) {
		snprintf(path, sizeof(path), "%s/error", f->be);
		s = xs_read(f->xs, XBT_NULL, path, &len);
		err2 = errno;
		if (err == ENOENT)
			err = err2;
	}
	if (s)
		snprintf(buf, size, "\"%s\"", s);
	else if (err == ENOENT)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "unreadable (%s)", strerror(err));
	free(s);
}

unsigned int xsf_storm(struct xsfront *f, unsigned int max, unsigned int ms)
{
	uint64_t start = xsf_now_ms();
	unsigned int sent = 0, failed = 0;
	int err = 0;

	while (sent < max && !xsf_stop) {
		if (xenevtchn_notify(f->xce, f->port) < 0 && !failed++)
			err = errno;
		sent++;
		if (!(sent % 256) && xsf_now_ms() - start >= ms)
			break;
	}
	printf("  note: %u notifications on port %u in %llu ms", sent, f->port,
	       (unsigned long long)(xsf_now_ms() - start));
	if (failed)
		printf(", %u of them failed (%s)", failed, strerror(err));
	printf("\n");
	return sent;
}
