/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ddctl_pci - the pure parts of ddctl's PCI passthrough: PCI addresses and
 * the resources a device's sysfs "resource" file lists. No Xen calls here,
 * so the unit tests run them on any machine.
 */
#ifndef DDCTL_PCI_H
#define DDCTL_PCI_H

#include <stdint.h>
#include <stdio.h>

#define DDCTL_MAX_RES	17	/* PROC_PCI_NUM_RESOURCES: 6 BARs, ROM, bridge windows */
#define DDCTL_IORESOURCE_IO	0x00000100UL	/* linux/ioport.h */

struct ddctl_bdf {
	unsigned int seg, bus, dev, fn;
};

/** One range a device decodes: I/O ports or memory (in whole pages). */
struct ddctl_res {
	int is_io;
	uint64_t start;		/* port, or first page frame */
	uint64_t count;		/* ports, or pages */
};

/*
 * Parse "SSSS:BB:DD.F" or "BB:DD.F" (segment 0); 0 on success, -1 on
 * anything else (trailing text, out-of-range fields).
 */
int ddctl_parse_bdf(const char *s, struct ddctl_bdf *b);

/* Format as "SSSS:BB:DD.F" into buf (at least 13 bytes). */
void ddctl_format_bdf(const struct ddctl_bdf *b, char *buf, size_t len);

/*
 * Read a sysfs resource file ("0xSTART 0xEND 0xFLAGS" per line) and fill
 * res with the ranges that are in use (start != 0). Memory ranges are
 * rounded out to whole pages of page_shift. Returns the number of ranges,
 * or -1 for a malformed line, an end below its start, or more than max.
 */
int ddctl_parse_resources(FILE *f, unsigned int page_shift,
			  struct ddctl_res *res, int max);

#endif
