// SPDX-License-Identifier: GPL-2.0
/*
 * xswait - wait on a xenstore node through a watch, for the lab's scripts.
 *
 *	xswait PATH WORD SECONDS	until the node's first word is WORD
 *	xswait -n PATH VALUE SECONDS	until the node exists and is not VALUE
 *
 * Prints the node's value and exits 0, or exits 1 after SECONDS (2 on a
 * usage or xenstore error). The watch is registered before the first read,
 * so a change between the two is never missed, and nothing polls: the lab's
 * guests share emulated CPUs with the figures being measured.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The node's value matches what the caller waits for. */
static bool matches(const char *v, const char *want, bool differ)
{
	size_t n;

	if (differ)
		return strcmp(v, want) != 0;
	n = strcspn(v, " ");
	return n == strlen(want) && !strncmp(v, want, n);
}

int main(int argc, char **argv)
{
	struct xs_handle *xs;
	bool differ = false;
	long long end;
	char *path, *want, *v, **ev;
	unsigned int len, num;
	struct pollfd pfd;
	long secs;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		differ = true;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: xswait [-n] PATH WORD|VALUE SECONDS\n");
		return 2;
	}
	path = argv[1];
	want = argv[2];
	secs = strtol(argv[3], NULL, 10);
	if (secs <= 0 || secs > 86400) {
		fprintf(stderr, "xswait: bad SECONDS %s\n", argv[3]);
		return 2;
	}
	xs = xs_open(0);
	if (!xs) {
		perror("xswait: xs_open");
		return 2;
	}
	if (!xs_watch(xs, path, "xswait")) {
		fprintf(stderr, "xswait: watch %s: %s\n", path, strerror(errno));
		return 2;
	}
	end = now_ms() + secs * 1000;
	pfd.fd = xs_fileno(xs);
	pfd.events = POLLIN;
	for (;;) {
		long long left;

		v = xs_read(xs, XBT_NULL, path, &len);
		if (v && memchr(v, 0, len + 1) == v + len && matches(v, want, differ)) {
			printf("%s\n", v);
			return 0;
		}
		free(v);
		left = end - now_ms();
		if (left <= 0)
			return 1;
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR) {
			perror("xswait: poll");
			return 2;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			/* no more events will come: not a reason to spin */
			fprintf(stderr, "xswait: the xenstore connection failed\n");
			return 2;
		}
		if (pfd.revents & POLLIN) {
			ev = xs_read_watch(xs, &num);
			free(ev);
		}
	}
}
