// SPDX-License-Identifier: GPL-2.0
/*
 * ddctl_pci - PCI addresses and sysfs resource lists for ddctl.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ddctl_pci.h"

int ddctl_parse_bdf(const char *s, struct ddctl_bdf *b)
{
	unsigned int seg = 0, bus, dev, fn;
	char tail;

	if (sscanf(s, "%x:%x:%x.%x%c", &seg, &bus, &dev, &fn, &tail) == 4) {
		/* full form */
	} else if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3) {
		seg = 0;
	} else {
		return -1;
	}
	/* sscanf's %x accepts signs and spaces: insist on hex digits only */
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789abcdefABCDEF:.", *p))
			return -1;
	if (seg > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -1;
	b->seg = seg;
	b->bus = bus;
	b->dev = dev;
	b->fn = fn;
	return 0;
}

void ddctl_format_bdf(const struct ddctl_bdf *b, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", b->seg, b->bus, b->dev, b->fn);
}

int ddctl_parse_resources(FILE *f, unsigned int page_shift,
			  struct ddctl_res *res, int max)
{
	char line[256];
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, flags;
		char *p = line, *q;

		start = strtoull(p, &q, 16);
		if (q == p)
			return -1;
		p = q;
		end = strtoull(p, &q, 16);
		if (q == p)
			return -1;
		p = q;
		flags = strtoull(p, &q, 16);
		if (q == p)
			return -1;
		while (*q == ' ' || *q == '\n')
			q++;
		if (*q)
			return -1;
		if (!start)
			continue;		/* unused BAR */
		if (end < start)
			return -1;
		if (n == max)
			return -1;
		if (flags & DDCTL_IORESOURCE_IO) {
			if (end > 0xffff)
				return -1;
			res[n].is_io = 1;
			res[n].start = start;
			res[n].count = end - start + 1;
		} else {
			uint64_t first = start >> page_shift;
			uint64_t last = end >> page_shift;

			res[n].is_io = 0;
			res[n].start = first;
			res[n].count = last - first + 1;
		}
		n++;
	}
	return n;
}
