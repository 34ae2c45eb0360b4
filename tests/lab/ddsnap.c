// SPDX-License-Identifier: GPL-2.0
/*
 * ddsnap - the driver domain's side of a hostile run (tests/lab/guest/do.sh,
 * hostile_classes): after each class the hostile guest names in its
 * data/hostile-class, a snapshot of this domain in data/hostile-snap.
 *
 *	ddsnap -e EVTCHN -r RINGS [-c RE] [-l RE] [-w RE] HDOM vbd|vif DEVID
 *
 * A snapshot is taken once the class's backend (backend/KIND/HDOM/DEVID here)
 * has left Connected (10 s at most) and, after the first, once the event
 * channels and ddstack's mapped ring pages are back to their first count
 * (5 s at most: an unbind may lag). It reads
 *
 *	N evtchn E sunreclaim K rings R bug B lockup L warn W [grants G]
 *	cpu_ms C t_ms T self_ms S bestate STATE
 *
 * N the class's number, E the lines of /proc/interrupts containing EVTCHN,
 * K unreclaimable slab in kB, R the number in the file RINGS (0 when it
 * cannot be read; do.sh's DD_EVTCHN and DD_RINGS), B L W the kernel log
 * lines so far matching -c, -l, -w (extended regular expressions), G the
 * backend's persistent grants and requests in flight (ddblkback's
 * statistics), C this domain's CPU time (user, nice, system, irq, softirq),
 * T the time, S this program's own CPU time (all in ms).
 *
 * One process for the whole run, a xenstore watch instead of polling, the
 * kernel log read as it grows (/dev/kmsg): this domain's CPU is also the
 * measured neighbour's, and a snapshot that forks a dozen programs costs it
 * about a second of emulated CPU per class. Ends on "end", exit 0; after 40
 * minutes, exit 1; on a xenstore error, exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#define RUN_MS		(2400 * 1000LL)

static struct xs_handle *xs;
static int kmsg = -1;
static regex_t re[3];
static bool have_re[3];
static long hits[3];
static const char *evtchn_pat, *rings_file;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static long long real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "ddsnap: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A node's value as a string, or NULL when it is missing. */
static char *xread(const char *path)
{
	unsigned int len;
	char *v = xs_read(xs, XBT_NULL, path, &len);

	if (v && memchr(v, 0, len + 1) != v + len) {
		free(v);
		return NULL;
	}
	return v;
}

/*
 * Wait on the xenstore watches until @done(@arg) or @ms have passed; false
 * on the timeout. Watch events only wake the loop: the state is read again.
 */
static bool wait_watch(bool (*done)(const void *), const void *arg, long long ms)
{
	long long end = mono_ms() + ms;
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };

	for (;;) {
		long long left;
		char **ev;
		unsigned int n;

		if (done(arg))
			return true;
		left = end - mono_ms();
		if (left <= 0)
			return false;
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR)
			fail("poll");
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			errno = EPIPE;
			fail("xenstore connection");
		}
		if (pfd.revents & POLLIN) {
			ev = xs_read_watch(xs, &n);
			free(ev);
		}
	}
}

/* The kernel log's new records, matched against the three expressions. */
static void kmsg_scan(void)
{
	char rec[8192];
	ssize_t n;
	char *text, *nl;
	int i;

	if (kmsg < 0)
		return;
	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten before read: go on */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* EAGAIN: nothing more for now */
		rec[n] = 0;
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = 0;
		for (i = 0; i < 3; i++)
			if (have_re[i] && !regexec(&re[i], text, 0, NULL, 0))
				hits[i]++;
	}
}

/* Lines of FILE containing NEEDLE, or -1 when FILE cannot be read. */
static int count_lines(const char *file, const char *needle)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* The first number in FILE after KEY at the start of a line, or -1. */
static long long file_num(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	size_t kl = strlen(key);
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl)) {
			v = strtoll(line + kl, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int evtchns(void)
{
	return count_lines("/proc/interrupts", evtchn_pat);
}

static long long rings(void)
{
	long long r = file_num(rings_file, "");

	return r < 0 ? 0 : r;
}

/* This domain's CPU time so far in ms: user, nice, system, irq, softirq. */
static long long cpu_ms(void)
{
	unsigned long long us, ni, sy, id, io, ir, si;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &us, &ni, &sy, &id, &io, &ir, &si);
	fclose(f);
	if (n != 7 || hz <= 0)
		return -1;
	return (long long)(us + ni + sy + ir + si) * 1000 / hz;
}

static long long self_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static const char *be_state_path;

static bool left_connected(const void *unused)
{
	char *s = xread(be_state_path);
	bool r = !s || strcmp(s, "4");

	(void)unused;
	free(s);
	return r;
}

static const char *class_path;
static const char *class_last;

static bool class_changed(const void *unused)
{
	char *v = xread(class_path);
	bool r = v && strcmp(v, class_last);

	(void)unused;
	free(v);
	return r;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ddsnap -e EVTCHN -r RINGS [-c RE] [-l RE] [-w RE] HDOM vbd|vif DEVID\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char snap[128], cls[128], be[192], bestate[200], stats[256], pg[300], fl[300];
	char last[256] = "", line[512], grants[64];
	struct xs_permissions perm[2];
	long long end, e0 = -1, r0 = 0;
	char *me, *v;
	int opt, hdom;

	while ((opt = getopt(argc, argv, "e:r:c:l:w:")) != -1) {
		int i = opt == 'c' ? 0 : opt == 'l' ? 1 : opt == 'w' ? 2 : -1;

		if (opt == 'e' || opt == 'r') {
			*(opt == 'e' ? &evtchn_pat : &rings_file) = optarg;
			continue;
		}
		if (i < 0)
			usage();
		if (regcomp(&re[i], optarg, REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "ddsnap: bad expression %s\n", optarg);
			return 2;
		}
		have_re[i] = true;
	}
	if (argc - optind != 3 || !evtchn_pat || !rings_file)
		usage();
	hdom = atoi(argv[optind]);
	if (hdom <= 0 || (strcmp(argv[optind + 1], "vbd") && strcmp(argv[optind + 1], "vif")))
		usage();

	/* ahead of the neighbour's load in this domain: the same work, sooner */
	setpriority(PRIO_PROCESS, 0, -10);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0)
		fprintf(stderr, "ddsnap: /dev/kmsg: %s (no kernel log counts)\n", strerror(errno));
	xs = xs_open(0);
	if (!xs)
		fail("xs_open");
	me = xread("domid");
	if (!me)
		fail("read domid");
	snprintf(snap, sizeof(snap), "/local/domain/%s/data/hostile-snap", me);
	snprintf(cls, sizeof(cls), "/local/domain/%d/data/hostile-class", hdom);
	snprintf(be, sizeof(be), "/local/domain/%s/backend/%s/%d/%s", me, argv[optind + 1], hdom,
		 argv[optind + 2]);
	snprintf(bestate, sizeof(bestate), "%s/state", be);
	snprintf(stats, sizeof(stats), "/sys/bus/xen-backend/devices/%s-%d-%s/statistics",
		 argv[optind + 1], hdom, argv[optind + 2]);
	snprintf(pg, sizeof(pg), "%s/persistent_grants", stats);
	snprintf(fl, sizeof(fl), "%s/inflight", stats);
	perm[0].id = atoi(me);
	perm[0].perms = XS_PERM_NONE;
	perm[1].id = hdom;
	perm[1].perms = XS_PERM_READ;
	if (!xs_write(xs, XBT_NULL, snap, "-", 1) || !xs_set_permissions(xs, XBT_NULL, snap, perm, 2))
		fail(snap);
	if (!xs_watch(xs, cls, "class") || !xs_watch(xs, bestate, "state"))
		fail("xs_watch");
	class_path = cls;
	be_state_path = bestate;

	end = mono_ms() + RUN_MS;
	for (;;) {
		long long left = end - mono_ms(), t, pgv, flv;
		char *st;
		int n;

		class_last = last;
		if (left <= 0 || !wait_watch(class_changed, NULL, left))
			break;
		v = xread(cls);
		if (!v)
			continue;
		if (!strcmp(v, "end")) {
			printf("snapper: %s classes, ended\n", last);
			return 0;
		}
		snprintf(last, sizeof(last), "%s", v);
		free(v);

		wait_watch(left_connected, NULL, 10000);
		if (e0 >= 0) {
			/* back to the first counts, polled: no watch for these */
			for (t = mono_ms() + 5000; mono_ms() < t; sleep_ms(100))
				if (evtchns() <= e0 && rings() <= r0)
					break;
		} else {
			e0 = evtchns();
			r0 = rings();
		}
		grants[0] = 0;
		pgv = file_num(pg, "");
		flv = file_num(fl, "");
		if (pgv >= 0 && flv >= 0)
			snprintf(grants, sizeof(grants), " grants %lld", pgv + flv);
		kmsg_scan();
		st = xread(bestate);
		n = snprintf(line, sizeof(line),
			     "%.*s evtchn %d sunreclaim %lld rings %lld bug %ld lockup %ld warn %ld%s cpu_ms %lld t_ms %lld self_ms %lld bestate %s",
			     (int)strcspn(last, " "), last, evtchns(),
			     file_num("/proc/meminfo", "SUnreclaim:"), rings(), hits[0], hits[1],
			     hits[2], grants, cpu_ms(), real_ms(), self_ms(), st ? st : "gone");
		free(st);
		if (n < 0 || n >= (int)sizeof(line))
			n = sizeof(line) - 1;
		if (!xs_write(xs, XBT_NULL, snap, line, n))
			fail(snap);
	}
	fprintf(stderr, "snapper: no end after 40 min\n");
	return 1;
}
