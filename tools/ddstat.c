// SPDX-License-Identifier: GPL-2.0
/*
 * ddstat - print Xen's per-domain CPU time, for benchmarks run in dom0.
 *
 * Output, one line per domain, preceded by one line with the monotonic clock:
 *	now <ns>
 *	<domid> <name> <cpu_ns> <vcpus>
 *
 * CPU time is what the hypervisor charged to the domain (what xentop shows),
 * so it counts a split driver's work in every domain it spans.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenctrl.h>
#include <xenstore.h>

#define MAX_DOMS 256

static void usage(FILE *f)
{
	fprintf(f, "usage: ddstat\n"
		"Print the monotonic time and, for each domain, its id, name,\n"
		"CPU time in nanoseconds and vCPU count, as charged by Xen.\n");
}

int main(int argc, char **argv)
{
	static xc_domaininfo_t info[MAX_DOMS];
	struct xs_handle *xs;
	xc_interface *xch;
	struct timespec ts;
	int n, i;

	if (argc > 1) {
		usage(strcmp(argv[1], "--help") ? stderr : stdout);
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch) {
		fprintf(stderr, "ddstat: cannot open libxenctrl: %s\n", strerror(errno));
		return 1;
	}
	xs = xs_open(XS_OPEN_READONLY);
	n = xc_domain_getinfolist(xch, 0, MAX_DOMS, info);
	if (n < 0) {
		fprintf(stderr, "ddstat: getinfolist: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("now %" PRIu64 "\n", (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	for (i = 0; i < n; i++) {
		char path[64], *name = NULL;
		unsigned int len;

		snprintf(path, sizeof(path), "/local/domain/%u/name", info[i].domain);
		if (xs)
			name = xs_read(xs, XBT_NULL, path, &len);
		printf("%u %s %" PRIu64 " %u\n", info[i].domain,
		       name ? name : (info[i].domain ? "-" : "Domain-0"),
		       (uint64_t)info[i].cpu_time, info[i].max_vcpu_id + 1);
		free(name);
	}
	if (xs)
		xs_close(xs);
	xc_interface_close(xch);
	return 0;
}
