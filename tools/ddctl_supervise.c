// SPDX-License-Identifier: GPL-2.0
/*
 * ddctl supervise DD CONFIG - keep a driver domain's clients served.
 *
 * The supervisor keeps in memory what the toolstack wrote for every vbd and
 * vif the driver domain DD serves. When DD crashes, shuts down or is
 * destroyed, it destroys what is left of it, starts it again with
 * `xl create CONFIG` (with backoff between failed attempts) and waits until
 * the new domain says its backends are loaded (data/ddstack-ready). Then it
 * writes each device's backend directory under the new domain and, in the
 * same transaction, points the client's frontend at it ("backend",
 * "backend-id", and read access for the new domain). ddstack's frontends
 * hold their I/O while the backend is gone and follow the "backend" node to
 * the new one, so the clients see a pause, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "ddctl_supervise.h"

#define TOKEN_RELEASE	"ddctl-release"
#define TOKEN_BACKEND	"ddctl-backend"
#define TOKEN_READY	"ddctl-ready"
#define READY_NODE	"data/ddstack-ready"
#define SNAP_DEBOUNCE_MS	500
#define POLL_MS		1000
#define MAX_BACKOFF_S	64
#define MAX_EAGAIN	100
#define PATH_LEN	256
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NO_XL		"ddctl: cannot run xl: is it installed and in PATH?\n"

/* What Xen says of a domain. */
enum dd_state { DD_ALIVE, DD_GONE, DD_DYING, DD_SHUTDOWN, DD_CRASHED, DD_UNKNOWN };

/* How a recovery ended. */
enum { RECOVERED, RESTART_FAILED, STOPPED, DIED_AGAIN };

/* A node the toolstack wrote in a device's backend directory. */
struct sv_key {
	char *name;
	char *val;
	unsigned int len;
};

/* One device the driver domain serves. */
struct sv_dev {
	const char *kind;		/* "vbd" or "vif" */
	int fe;				/* frontend domain */
	char devid[16];
	struct sv_key *keys;		/* the toolstack's nodes of the backend */
	unsigned int nkeys;
	struct sv_key *fe_keys;		/* nodes of the frontend owned by the backend */
	unsigned int nfe_keys;
	bool moved;			/* during a recovery: served by the new domain */
	bool connected;			/* and connected there */
};

struct sv_snap {
	struct sv_dev *devs;
	unsigned int ndevs;
};

struct sv {
	int dd;				/* the supervised domain's id */
	char name[64];
	const char *dd_arg;		/* DD as given */
	const char *config;
	int max_restarts, ready_s, connect_s;
	bool once;
	struct sv_snap snap;
	bool dirty;			/* the backend tree changed */
	long snap_ms;			/* when the snapshot was last taken */
	char be_path[64];		/* the backend tree watched */
	int xs_fd;
};

static const char * const sv_kinds[] = { "vbd", "vif" };

/* Written by the backend or by hotplug scripts, not by the toolstack. */
static const char * const sv_skip_keys[] = {
	"state", "hotplug-status", "hotplug-error", "physical-device",
	"physical-device-path", "sectors", "info", "sector-size",
	"physical-sector-size", "discard-granularity", "discard-alignment",
	"discard-secure",
};

static const char * const sv_skip_prefixes[] = {
	"feature-", "multi-queue-", "max-ring-", "ring-", "queue-", "request-",
};

static volatile sig_atomic_t sv_signal;

static void sv_on_signal(int sig)
{
	sv_signal = sig;
}

static const char *sig_name(void)
{
	return sv_signal == SIGINT ? "SIGINT" : "SIGTERM";
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A progress line on stdout. */
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("ddctl: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Milliseconds as seconds with three decimals. */
static void fmt_s(char *buf, size_t len, long ms)
{
	if (ms < 0)
		ms = 0;
	snprintf(buf, len, "%ld.%03ld", ms / 1000, ms % 1000);
}

/* A whole decimal number in [min, max] into *v: true, else false. */
static bool parse_num(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return *s && !*end && !errno && *v >= min && *v <= max;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* dir/key into buf: false (errno ENAMETOOLONG) when it does not fit. */
static bool join(char *buf, size_t len, const char *dir, const char *key)
{
	if (snprintf(buf, len, "%s/%s", dir, key) < (int)len)
		return true;
	errno = ENAMETOOLONG;
	return false;
}

static bool xs_exists(xs_transaction_t t, const char *path)
{
	unsigned int len;
	char *v = xs_read(xs, t, path, &len);

	free(v);
	return v != NULL;
}

static enum dd_state dd_state(int domid)
{
	xc_domaininfo_t info;
	int n = xc_domain_getinfolist(xch, domid, 1, &info);

	if (n < 0)
		return DD_UNKNOWN;
	if (n == 0 || info.domain != (domid_t)domid)
		return DD_GONE;
	if (info.flags & XEN_DOMINF_dying)
		return DD_DYING;
	if (info.flags & XEN_DOMINF_shutdown)
		return ((info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask) ==
		       SHUTDOWN_crash ? DD_CRASHED : DD_SHUTDOWN;
	return DD_ALIVE;
}

static bool dd_dead(enum dd_state st)
{
	return st != DD_ALIVE && st != DD_UNKNOWN;
}

/* The domain exists in Xen but is not being destroyed already. */
static bool dd_destroyable(enum dd_state st)
{
	return st == DD_ALIVE || st == DD_SHUTDOWN || st == DD_CRASHED;
}

static const char *gone_str(enum dd_state st)
{
	switch (st) {
	case DD_CRASHED:
		return "crashed";
	case DD_SHUTDOWN:
		return "shut down";
	default:
		return "destroyed";
	}
}

/*
 * Wait up to ms for watch events and take them all. Events on the backend
 * tree mark the snapshot out of date; the others only wake the caller.
 */
static void pump(struct sv *s, long ms)
{
	struct pollfd pfd = { .fd = s->xs_fd, .events = POLLIN };
	char **w;

	if (ms < 0)
		ms = 0;
	if (poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms) < 0 && errno != EINTR) {
		usleep(ms * 1000);
		return;
	}
	while ((w = xs_check_watch(xs))) {
		if (!strcmp(w[XS_WATCH_TOKEN], TOKEN_BACKEND))
			s->dirty = true;
		free(w);
	}
	if (errno != EAGAIN && pfd.revents)
		usleep(ms * 1000);	/* the connection broke: do not spin */
}

/* Sleep ms while taking watch events; returns early on a signal. */
static void sleep_pumping(struct sv *s, long ms)
{
	long end = now_ms() + ms;

	while (!sv_signal && now_ms() < end)
		pump(s, end - now_ms());
}

static bool skip_key(const char *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sv_skip_keys); i++)
		if (!strcmp(k, sv_skip_keys[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(sv_skip_prefixes); i++)
		if (!strncmp(k, sv_skip_prefixes[i], strlen(sv_skip_prefixes[i])))
			return true;
	return false;
}

static void keys_free(struct sv_key **keys, unsigned int *n)
{
	unsigned int i;

	for (i = 0; i < *n; i++) {
		free((*keys)[i].name);
		free((*keys)[i].val);
	}
	free(*keys);
	*keys = NULL;
	*n = 0;
}

static void dev_free(struct sv_dev *d)
{
	keys_free(&d->keys, &d->nkeys);
	keys_free(&d->fe_keys, &d->nfe_keys);
}

static void snap_free(struct sv_snap *sn)
{
	unsigned int i;

	for (i = 0; i < sn->ndevs; i++)
		dev_free(&sn->devs[i]);
	free(sn->devs);
	sn->devs = NULL;
	sn->ndevs = 0;
}

/* Whether node path is owned by domain owner. */
static bool owned_by(xs_transaction_t t, const char *path, int owner)
{
	struct xs_permissions *p;
	unsigned int n;
	bool mine;

	p = xs_get_permissions(xs, t, path, &n);
	mine = p && n && p[0].id == (unsigned int)owner;
	free(p);
	return mine;
}

/*
 * Read the leaf nodes of directory dir into keys: with owner < 0 those the
 * toolstack wrote (see skip_key()), else those owned by domain owner.
 */
static bool snap_leaves(const char *dir, int owner, struct sv_key **out, unsigned int *nout)
{
	char path[PATH_LEN], **keys, **kids;
	unsigned int i, n, nk, len;
	struct sv_key *k;
	char *val;

	*out = NULL;
	*nout = 0;
	keys = xs_directory(xs, XBT_NULL, dir, &n);
	if (!keys)
		return false;
	*out = k = calloc(n ? n : 1, sizeof(*k));
	if (!k) {
		free(keys);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (owner < 0 && skip_key(keys[i]))
			continue;
		if (!join(path, sizeof(path), dir, keys[i]))
			continue;
		kids = xs_directory(xs, XBT_NULL, path, &nk);
		free(kids);
		if (kids && nk)
			continue;
		if (owner >= 0 && !owned_by(XBT_NULL, path, owner))
			continue;
		val = xs_read(xs, XBT_NULL, path, &len);
		if (!val)
			continue;
		k[*nout].name = strdup(keys[i]);
		if (!k[*nout].name) {
			free(val);
			continue;
		}
		k[*nout].val = val;
		k[*nout].len = len;
		(*nout)++;
	}
	free(keys);
	return true;
}

/*
 * Read device d of backend domain domid from its backend directory dir: the
 * toolstack's nodes there, and the nodes of the frontend's directory that
 * belong to the backend domain (libxl makes a vif's "mtu" so, for the
 * hotplug script to write).
 */
static bool snap_dev(int domid, const char *dir, struct sv_dev *d)
{
	char fe[PATH_LEN];

	if (!snap_leaves(dir, -1, &d->keys, &d->nkeys))
		return false;
	snprintf(fe, sizeof(fe), "/local/domain/%d/device/%s/%s", d->fe, d->kind, d->devid);
	/* a frontend without a directory owns nothing of ours: no keys then */
	snap_leaves(fe, domid, &d->fe_keys, &d->nfe_keys);
	return true;
}

/*
 * The devices under /local/domain/<domid>/backend/{vbd,vif}: 0, or -1 when
 * that directory does not exist (the domain is being torn down).
 */
static int snap_take(int domid, struct sv_snap *out)
{
	char base[64], dir[PATH_LEN], **fes, **ids;
	unsigned int k, i, j, nfe, nid;
	struct sv_dev *devs, d;
	long fe;

	memset(out, 0, sizeof(*out));
	snprintf(base, sizeof(base), "/local/domain/%d/backend", domid);
	if (!xs_exists(XBT_NULL, base))
		return -1;
	for (k = 0; k < ARRAY_SIZE(sv_kinds); k++) {
		snprintf(dir, sizeof(dir), "%s/%s", base, sv_kinds[k]);
		fes = xs_directory(xs, XBT_NULL, dir, &nfe);
		for (i = 0; fes && i < nfe; i++) {
			if (!parse_num(fes[i], 0, DOMID_FIRST_RESERVED - 1, &fe))
				continue;
			snprintf(dir, sizeof(dir), "%s/%s/%ld", base, sv_kinds[k], fe);
			ids = xs_directory(xs, XBT_NULL, dir, &nid);
			for (j = 0; ids && j < nid; j++) {
				if (!all_digits(ids[j]) || strlen(ids[j]) >= sizeof(d.devid))
					continue;
				memset(&d, 0, sizeof(d));
				d.kind = sv_kinds[k];
				d.fe = (int)fe;
				snprintf(d.devid, sizeof(d.devid), "%s", ids[j]);
				snprintf(dir, sizeof(dir), "%s/%s/%ld/%s", base, sv_kinds[k], fe,
					 ids[j]);
				if (!snap_dev(domid, dir, &d))
					continue;
				devs = realloc(out->devs, (out->ndevs + 1) * sizeof(*devs));
				if (!devs) {
					dev_free(&d);
					continue;
				}
				out->devs = devs;
				out->devs[out->ndevs++] = d;
			}
			free(ids);
		}
		free(fes);
	}
	return 0;
}

/*
 * Take a new snapshot while the domain is alive. A snapshot taken while it
 * is being torn down would miss devices, so the last good one is kept then.
 */
static void snap_refresh(struct sv *s)
{
	struct sv_snap n;

	s->dirty = false;
	s->snap_ms = now_ms();
	if (dd_state(s->dd) != DD_ALIVE)
		return;
	if (snap_take(s->dd, &n))
		return;
	if (dd_state(s->dd) != DD_ALIVE) {
		snap_free(&n);
		return;
	}
	if (n.ndevs != s->snap.ndevs)
		say("%s (domain %d) serves %u device(s)", s->name, s->dd, n.ndevs);
	snap_free(&s->snap);
	s->snap = n;
}

/* Watch the backend tree of domid (instead of the previous domain's). */
static void watch_backend(struct sv *s, int domid)
{
	if (*s->be_path)
		xs_unwatch(xs, s->be_path, TOKEN_BACKEND);
	snprintf(s->be_path, sizeof(s->be_path), "/local/domain/%d/backend", domid);
	if (!xs_watch(xs, s->be_path, TOKEN_BACKEND)) {
		fprintf(stderr, "ddctl: warning: cannot watch %s (%s): devices added later are "
			"not recovered\n", s->be_path, strerror(errno));
		*s->be_path = 0;
	}
}

/*
 * Run xl with args (args[0] is "xl"), its output on our stderr, and wait
 * for it: 0 when it exited with 0, else -1 with the reason in why.
 */
static int run_xl(char *const args[], char *why, size_t len)
{
	int status, fd;
	pid_t pid, r;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != STDIN_FILENO) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		dup2(STDERR_FILENO, STDOUT_FILENO);
		for (fd = STDERR_FILENO + 1; fd < 1024; fd++)
			close(fd);
		execvp(args[0], args);
		/* only async-signal-safe calls here: libxenstore has a thread */
		(void)!write(STDERR_FILENO, NO_XL, sizeof(NO_XL) - 1);
		_exit(127);
	}
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(why, len, "waiting for xl %s: %s", args[1], strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status))
		snprintf(why, len, "xl %s exited with status %d", args[1], WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, len, "xl %s was killed by signal %d", args[1], WTERMSIG(status));
	else
		snprintf(why, len, "xl %s failed (wait status %#x)", args[1], status);
	return -1;
}

static void xl_destroy(int domid)
{
	char xl[] = "xl", destroy[] = "destroy", id[16], why[128];
	char *args[] = { xl, destroy, id, NULL };

	snprintf(id, sizeof(id), "%d", domid);
	say("xl destroy %d", domid);
	if (run_xl(args, why, sizeof(why)))
		say("%s (domain %d may be gone already)", why, domid);
}

/* A running domain called name, other than domain except: its id, or -1. */
static int find_by_name(const char *name, int except)
{
	char **doms, *n;
	unsigned int i, num;
	long id;
	int found = -1;

	doms = xs_directory(xs, XBT_NULL, "/local/domain", &num);
	for (i = 0; doms && i < num && found < 0; i++) {
		if (!parse_num(doms[i], 1, DOMID_FIRST_RESERVED - 1, &id) || id == except)
			continue;
		n = xs_get("/local/domain/%ld/name", id);
		if (n && !strcmp(n, name) && dd_state((int)id) == DD_ALIVE)
			found = (int)id;
		free(n);
	}
	free(doms);
	return found;
}

/* Wait for domid to write data/ddstack-ready: 0, or -1 with why. */
static int wait_ready(struct sv *s, int domid, char *why, size_t len)
{
	long end = now_ms() + s->ready_s * 1000L;
	char path[96];
	enum dd_state st;
	bool watched;
	int rc = -1;

	snprintf(path, sizeof(path), "/local/domain/%d/" READY_NODE, domid);
	watched = xs_watch(xs, path, TOKEN_READY);
	for (;;) {
		if (xs_exists(XBT_NULL, path)) {
			rc = 0;
			break;
		}
		st = dd_state(domid);
		if (dd_dead(st)) {
			snprintf(why, len, "domain %d %s before it was ready", domid,
				 st == DD_CRASHED ? "crashed" :
				 st == DD_SHUTDOWN ? "shut down" : "was destroyed");
			break;
		}
		if (now_ms() >= end) {
			snprintf(why, len, "domain %d did not write %s in %d s", domid, READY_NODE,
				 s->ready_s);
			break;
		}
		if (sv_signal) {
			snprintf(why, len, "stopped while domain %d started", domid);
			break;
		}
		pump(s, watched ? 200 : 100);
	}
	if (watched)
		xs_unwatch(xs, path, TOKEN_READY);
	return rc;
}

/*
 * One attempt to bring the driver domain back: the new domain's id once it
 * is ready, or -1 with why.
 */
static int restart_once(struct sv *s, int old, int attempt, char *why, size_t len)
{
	char xl[] = "xl", create[] = "create";
	char *args[] = { xl, create, (char *)s->config, NULL };
	enum dd_state st;
	int id;

	/* xl itself restarts a domain whose on_crash or on_reboot says so */
	id = find_by_name(s->name, old);
	if (id >= 0) {
		say("%s is running again as domain %d: waiting for it", s->name, id);
	} else {
		say("attempt %d of %d: xl create %s", attempt, s->max_restarts, s->config);
		if (run_xl(args, why, len))
			return -1;
		id = find_by_name(s->name, old);
		if (id < 0) {
			snprintf(why, len, "after xl create no running domain is named %s "
				 "(does %s name it so?)", s->name, s->config);
			return -1;
		}
		say("%s started as domain %d: waiting for %s", s->name, id, READY_NODE);
	}
	if (wait_ready(s, id, why, len)) {
		st = dd_state(id);
		if (!sv_signal && dd_destroyable(st))
			xl_destroy(id);
		return -1;
	}
	say("domain %d is ready: its backends are loaded", id);
	return id;
}

/*
 * Give newid read access to the frontend's node path and everything below
 * it, in place of the old backend domain: the frontend's nodes were created
 * readable by the old backend only.
 */
static bool grant_tree(xs_transaction_t t, const char *path, int old, int newid, int depth)
{
	struct xs_permissions *p, *np;
	char child[PATH_LEN], **kids;
	unsigned int i, n, nn = 0, nk;
	bool ok;

	p = xs_get_permissions(xs, t, path, &n);
	if (!p || !n) {
		free(p);
		return false;
	}
	np = calloc(n + 1, sizeof(*np));
	if (!np) {
		free(p);
		return false;
	}
	np[nn++] = p[0];
	/* drop the old backend and domains that are gone: xenstored ignores them */
	for (i = 1; i < n; i++)
		if (p[i].id != (unsigned int)old && p[i].id != (unsigned int)newid &&
		    !(p[i].perms & XS_PERM_IGNORE) && dd_state((int)p[i].id) != DD_GONE)
			np[nn++] = p[i];
	np[nn].id = newid;
	np[nn++].perms = XS_PERM_READ;
	ok = xs_set_permissions(xs, t, path, np, nn);
	free(np);
	free(p);
	if (!ok || depth >= 8)
		return ok;

	kids = xs_directory(xs, t, path, &nk);
	for (i = 0; kids && i < nk && ok; i++) {
		if (!join(child, sizeof(child), path, kids[i]))
			continue;
		ok = grant_tree(t, child, old, newid, depth + 1);
	}
	free(kids);
	return ok;
}

/* Make sure path exists and belongs to newid (others: no access). */
static bool backend_dir(xs_transaction_t t, const char *path, int newid)
{
	struct xs_permissions own = { .id = newid, .perms = XS_PERM_NONE };

	if (owned_by(t, path, newid))
		return true;
	return xs_mkdir(xs, t, path) && xs_set_permissions(xs, t, path, &own, 1);
}

static bool put(xs_transaction_t t, const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(xs_transaction_t t, const char *dir, const char *key, const char *fmt, ...)
{
	char path[PATH_LEN], val[PATH_LEN];
	va_list ap;

	if (!join(path, sizeof(path), dir, key))
		return false;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xs_write(xs, t, path, val, strlen(val));
}

/*
 * The frontend's nodes that belonged to the old backend domain (a vif's
 * "mtu", which the vif-bridge hotplug script writes): xenstored drops them
 * with that domain, and the new one may not create nodes in the frontend's
 * directory. Make each again, with the value it had, with @perms (the new
 * domain owns it, the frontend reads it).
 */
static bool fe_owned_nodes(xs_transaction_t t, const struct sv_dev *d, const char *fe,
			   struct xs_permissions perms[2])
{
	char path[PATH_LEN];
	unsigned int i;
	bool ok = true;

	for (i = 0; i < d->nfe_keys && ok; i++) {
		ok = join(path, sizeof(path), fe, d->fe_keys[i].name);
		if (ok && !xs_exists(t, path))
			ok = xs_write(xs, t, path, d->fe_keys[i].val, d->fe_keys[i].len);
		ok = ok && xs_set_permissions(xs, t, path, perms, 2);
	}
	return ok;
}

/* Write the device's nodes in transaction t; false on a xenstore error. */
static bool repoint_nodes(xs_transaction_t t, const struct sv_dev *d, int old, int newid,
			  const char *be, const char *fe)
{
	struct xs_permissions perms[2] = {
		{ .id = newid, .perms = XS_PERM_NONE },
		{ .id = d->fe, .perms = XS_PERM_READ },
	};
	char path[PATH_LEN], lx[PATH_LEN];
	unsigned int i;
	bool ok = true;

	snprintf(path, sizeof(path), "/local/domain/%d/backend", newid);
	ok &= backend_dir(t, path, newid);
	snprintf(path, sizeof(path), "/local/domain/%d/backend/%s", newid, d->kind);
	ok &= backend_dir(t, path, newid);
	snprintf(path, sizeof(path), "/local/domain/%d/backend/%s/%d", newid, d->kind, d->fe);
	ok &= backend_dir(t, path, newid);
	if (!ok)
		return false;

	xs_rm(xs, t, be);	/* nothing should be there; start clean if it is */
	ok &= xs_mkdir(xs, t, be);
	ok &= xs_set_permissions(xs, t, be, perms, 2);
	for (i = 0; i < d->nkeys && ok; i++) {
		if (!strcmp(d->keys[i].name, "frontend") ||
		    !strcmp(d->keys[i].name, "frontend-id") ||
		    !strcmp(d->keys[i].name, "online") || !strcmp(d->keys[i].name, "state"))
			continue;
		ok &= join(path, sizeof(path), be, d->keys[i].name) &&
		      xs_write(xs, t, path, d->keys[i].val, d->keys[i].len);
	}
	ok &= put(t, be, "frontend", "%s", fe);
	ok &= put(t, be, "frontend-id", "%d", d->fe);
	ok &= put(t, be, "online", "1");
	ok &= put(t, be, "state", "%d", XenbusStateInitialising);
	if (!ok)
		return false;

	ok &= grant_tree(t, fe, old, newid, 0);
	ok &= fe_owned_nodes(t, d, fe, perms);
	ok &= put(t, fe, "backend-id", "%d", newid);
	ok &= put(t, fe, "backend", "%s", be);

	/* libxl's own record of the device, for xl block-detach and friends */
	snprintf(lx, sizeof(lx), "/libxl/%d/device/%s/%s", d->fe, d->kind, d->devid);
	if (ok && join(path, sizeof(path), lx, "backend") && xs_exists(t, path))
		ok &= put(t, lx, "backend", "%s", be);
	if (ok && join(path, sizeof(path), lx, "backend-id") && xs_exists(t, path))
		ok &= put(t, lx, "backend-id", "%d", newid);
	return ok;
}

/*
 * Serve the device from newid and point its frontend there, in one
 * transaction: 1 done, 0 the frontend is gone, -1 failed (with a message).
 */
static int repoint(const struct sv_dev *d, int old, int newid)
{
	char be[PATH_LEN], fe[PATH_LEN];
	xs_transaction_t t;
	int tries;

	snprintf(be, sizeof(be), "/local/domain/%d/backend/%s/%d/%s", newid, d->kind, d->fe,
		 d->devid);
	snprintf(fe, sizeof(fe), "/local/domain/%d/device/%s/%s", d->fe, d->kind, d->devid);
	for (tries = 0; tries < MAX_EAGAIN; tries++) {
		t = xs_transaction_start(xs);
		if (!t) {
			fail(2, "%s %d/%s: xenstore transaction: %s", d->kind, d->fe, d->devid,
			     strerror(errno));
			return -1;
		}
		if (!xs_exists(t, fe)) {
			xs_transaction_end(xs, t, true);
			return 0;
		}
		if (!repoint_nodes(t, d, old, newid, be, fe)) {
			int err = errno;

			xs_transaction_end(xs, t, true);
			if (err == EAGAIN)
				continue;
			fail(2, "%s %d/%s: writing %s: %s", d->kind, d->fe, d->devid, be,
			     strerror(err));
			return -1;
		}
		if (xs_transaction_end(xs, t, false))
			return 1;
		if (errno != EAGAIN) {
			fail(2, "%s %d/%s: xenstore commit: %s", d->kind, d->fe, d->devid,
			     strerror(errno));
			return -1;
		}
	}
	fail(2, "%s %d/%s: xenstore commit kept conflicting", d->kind, d->fe, d->devid);
	return -1;
}

/* The backend state node of d under newid, as a number (-1 for none). */
static int be_state(const struct sv_dev *d, int newid)
{
	char *v = xs_get("/local/domain/%d/backend/%s/%d/%s/state", newid, d->kind, d->fe,
			 d->devid);
	int st = v ? atoi(v) : -1;

	free(v);
	return st;
}

/*
 * Wait for the re-pointed devices to connect (each one's time since the
 * death noticed at t0 is printed): the number still not connected, or -1 when
 * newid died meanwhile.
 */
static int wait_connected(struct sv *s, int newid, long t0)
{
	char took[32];
	long end = now_ms() + s->connect_s * 1000L;
	unsigned int i;
	struct sv_dev *d;
	int pending;
	char *fst;

	for (;;) {
		pending = 0;
		for (i = 0; i < s->snap.ndevs; i++) {
			d = &s->snap.devs[i];
			if (!d->moved || d->connected)
				continue;
			if (be_state(d, newid) == XenbusStateConnected) {
				d->connected = true;
				fmt_s(took, sizeof(took), now_ms() - t0);
				say("%s %d/%s connected to domain %d, %s s after %s died", d->kind,
				    d->fe, d->devid, newid, took, s->name);
			} else {
				pending++;
			}
		}
		if (!pending || now_ms() >= end || sv_signal)
			break;
		if (dd_dead(dd_state(newid)))
			return -1;
		pump(s, 200);
	}
	for (i = 0; i < s->snap.ndevs && !sv_signal; i++) {
		d = &s->snap.devs[i];
		if (!d->moved || d->connected)
			continue;
		fst = xs_get("/local/domain/%d/device/%s/%s/state", d->fe, d->kind, d->devid);
		say("%s %d/%s did not connect to domain %d in %d s (backend state %d, frontend "
		    "state %s)", d->kind, d->fe, d->devid, newid, s->connect_s, be_state(d, newid),
		    fst ? fst : "none");
		free(fst);
	}
	return pending;
}

/* The supervised domain died (why): bring it back and re-point its devices. */
static int recover(struct sv *s, enum dd_state why)
{
	char why_not[256] = "no attempt made", total[32], restart[32], reconnect[32];
	long t0 = now_ms(), t_ready, t_end;
	int old = s->dd, newid = -1, attempt, delay = 1, pending, r;
	unsigned int i, ndone = 0;

	say("%s (domain %d) is gone (%s)", s->name, old, gone_str(why));
	if ((why == DD_SHUTDOWN || why == DD_CRASHED) && dd_destroyable(dd_state(old)))
		xl_destroy(old);
	for (attempt = 1; attempt <= s->max_restarts; attempt++) {
		if (attempt > 1) {
			say("attempt %d of %d failed: %s; next attempt in %d s", attempt - 1,
			    s->max_restarts, why_not, delay);
			sleep_pumping(s, delay * 1000L);
			delay = delay * 2 > MAX_BACKOFF_S ? MAX_BACKOFF_S : delay * 2;
		}
		if (sv_signal)
			return STOPPED;
		newid = restart_once(s, old, attempt, why_not, sizeof(why_not));
		if (newid >= 0)
			break;
		if (sv_signal)
			return STOPPED;
	}
	if (newid < 0) {
		fail(3, "%s could not be restarted after %d attempt(s): %s; its clients keep "
		     "holding their I/O", s->name, s->max_restarts, why_not);
		return RESTART_FAILED;
	}
	t_ready = now_ms();
	s->dd = newid;
	watch_backend(s, newid);

	for (i = 0; i < s->snap.ndevs; i++) {
		struct sv_dev *d = &s->snap.devs[i];

		d->connected = false;
		r = repoint(d, old, newid);
		if (r == 0)
			say("%s %d/%s dropped: its frontend is gone", d->kind, d->fe, d->devid);
		d->moved = r > 0;
		ndone += d->moved;
	}
	say("%u device(s) now served by domain %d", ndone, newid);

	pending = wait_connected(s, newid, t0);
	if (pending < 0) {
		say("domain %d died while its clients reconnected", newid);
		return DIED_AGAIN;
	}
	if (sv_signal)
		return STOPPED;
	t_end = now_ms();
	if (pending)
		say("%d of %u device(s) did not connect in %d s; their clients keep holding "
		    "their I/O", pending, ndone, s->connect_s);
	fmt_s(total, sizeof(total), t_end - t0);
	fmt_s(restart, sizeof(restart), t_ready - t0);
	fmt_s(reconnect, sizeof(reconnect), t_end - t_ready);
	say("recovered %s as domain %d in %s s (restart %s s, reconnect %s s), %u device(s), "
	    "attempt %d", s->name, newid, total, restart, reconnect, ndone, attempt);
	printf("recovery %s\n", total);
	fflush(stdout);

	snap_refresh(s);
	return RECOVERED;
}

static int supervise(struct sv *s)
{
	enum dd_state st;
	bool warned = false;
	long wait;
	int r;

	say("supervising %s (domain %d): %u device(s); restarts with xl create %s",
	    s->name, s->dd, s->snap.ndevs, s->config);
	while (!sv_signal) {
		st = dd_state(s->dd);
		if (st == DD_UNKNOWN && !warned) {
			fprintf(stderr, "ddctl: warning: cannot get domain %d's state from Xen: %s\n",
				s->dd, strerror(errno));
			warned = true;
		}
		if (dd_dead(st)) {
			r = recover(s, st);
			if (r == RESTART_FAILED)
				return 3;
			if (r == STOPPED) {
				say("stopped by %s while recovering %s; its clients keep holding "
				    "their I/O", sig_name(), s->name);
				return 0;
			}
			if (r == RECOVERED && s->once)
				return 0;
			continue;
		}
		wait = POLL_MS;
		if (s->dirty) {
			wait = s->snap_ms + SNAP_DEBOUNCE_MS - now_ms();
			if (wait <= 0) {
				snap_refresh(s);
				wait = POLL_MS;
			}
		}
		pump(s, wait);
	}
	say("stopped by %s; %s (domain %d) is not supervised any more", sig_name(), s->name,
	    s->dd);
	return 0;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message and the usage line on stderr; returns 2. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ddctl: supervise: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: " DDCTL_SUPERVISE_USAGE "\n", stderr);
	return 2;
}

/* A numeric option from 1 to max into *out; false after saying what is wrong. */
static bool opt_num(const char *name, const char *arg, long max, int *out)
{
	long v;

	if (!parse_num(arg, 1, max, &v)) {
		fail(2, "supervise: bad --%s '%s' (want 1 to %ld)", name, arg, max);
		return false;
	}
	*out = (int)v;
	return true;
}

/* The options and arguments into s: -1 to go on, else the exit code. */
static int parse_args(struct sv *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "max-restarts", required_argument, NULL, 'm' },
		{ "ready-timeout", required_argument, NULL, 'r' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat st;
	int c;

	optind = 0;	/* start over: argv[0] is "supervise" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			s->once = true;
			break;
		case 'm':
			if (!opt_num("max-restarts", optarg, 100, &s->max_restarts))
				return 2;
			break;
		case 'r':
			if (!opt_num("ready-timeout", optarg, 86400, &s->ready_s))
				return 2;
			break;
		case 'c':
			if (!opt_num("connect-timeout", optarg, 86400, &s->connect_s))
				return 2;
			break;
		case 'h':
			printf("usage: " DDCTL_SUPERVISE_USAGE "\n");
			return 0;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error("want DD and CONFIG%s", argc - optind > 2 ? ", nothing more" : "");
	s->dd_arg = argv[optind];
	s->config = argv[optind + 1];
	if (stat(s->config, &st) || access(s->config, R_OK))
		return fail(2, "supervise: cannot read %s: %s", s->config, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(2, "supervise: %s is not a file", s->config);
	return -1;
}

/* DD (name or id) into s: -1 to go on, else the exit code. */
static int find_dd(struct sv *s, const char *arg)
{
	char *name;
	enum dd_state st;
	int id;

	id = resolve_domain(arg, s->name, sizeof(s->name));
	name = id >= 0 ? xs_get("/local/domain/%d/name", id) : NULL;
	st = id >= 0 ? dd_state(id) : DD_GONE;
	if (!name || st == DD_GONE) {
		free(name);
		return fail(2, "supervise: no domain %s", arg);
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	free(name);
	if (id == 0)
		return fail(2, "supervise: domain 0 (%s) cannot be restarted", s->name);
	if (st == DD_DYING)
		return fail(2, "supervise: domain %d (%s) is being destroyed", id, s->name);
	s->dd = id;
	return -1;
}

int cmd_supervise(int argc, char **argv)
{
	struct sv s = {
		.max_restarts = 5,
		.ready_s = 180,
		.connect_s = 120,
	};
	struct sigaction sa;
	int rc;

	rc = parse_args(&s, argc, argv);
	if (rc >= 0)
		return rc;

	rc = open_xen();
	if (rc)
		return rc;
	rc = find_dd(&s, s.dd_arg);
	if (rc >= 0)
		goto out;
	if (snap_take(s.dd, &s.snap)) {
		rc = fail(2, "supervise: domain %d (%s) serves no devices: not a driver domain",
			  s.dd, s.name);
		goto out;
	}
	s.snap_ms = now_ms();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sv_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	s.xs_fd = xs_fileno(xs);
	if (s.xs_fd < 0 || !xs_watch(xs, "@releaseDomain", TOKEN_RELEASE)) {
		rc = fail(2, "supervise: cannot watch @releaseDomain: %s", strerror(errno));
		goto out;
	}
	watch_backend(&s, s.dd);
	rc = supervise(&s);
out:
	snap_free(&s.snap);
	xc_interface_close(xch);
	xs_close(xs);
	return rc;
}
