// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ddctl's pure parts (tools/ddctl_pci.c): the PCI addresses an
 * admin types and the sysfs resource lists ddctl turns into Xen permissions.
 */
#include <stdio.h>
#include <string.h>

#include "../../tools/ddctl_pci.h"
#include "check.h"

#define T(f) { "ddctl_" #f, f }

static int parse(const char *text, struct ddctl_res *res, int max)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int n;

	if (!f)
		return -2;
	n = ddctl_parse_resources(f, 12, res, max);
	fclose(f);
	return n;
}

static int bdf_forms(void)
{
	struct ddctl_bdf b;
	char s[16];

	CHECK_EQ(ddctl_parse_bdf("0000:00:10.0", &b), 0);
	CHECK_EQ(b.dev, 0x10);
	ddctl_format_bdf(&b, s, sizeof(s));
	CHECK(!strcmp(s, "0000:00:10.0"), "formatted %s", s);
	CHECK_EQ(ddctl_parse_bdf("03:1f.7", &b), 0);
	CHECK_EQ(b.seg, 0);
	CHECK_EQ(b.bus, 3);
	CHECK_EQ(b.dev, 0x1f);
	CHECK_EQ(b.fn, 7);
	ddctl_format_bdf(&b, s, sizeof(s));
	CHECK(!strcmp(s, "0000:03:1f.7"), "formatted %s", s);
	return 0;
}

static int bdf_rejects(void)
{
	static const char * const bad[] = {
		"", "0000:00:10", "0000:00:20.0", "0000:00:10.8", "0000:100:00.0",
		"10000:00:00.0", "0000:00:10.0x", "0000:00:10.0 ", "-1:00.0", " 00:10.0",
		"00:10.0/../x", "dd",
	};
	struct ddctl_bdf b;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ddctl_parse_bdf(bad[i], &b) == -1, "'%s' accepted", bad[i]);
	return 0;
}

/* What an NVMe and an e1000 in the lab show in sysfs. */
static int resources_nvme_e1000(void)
{
	struct ddctl_res r[DDCTL_MAX_RES];
	const char *nvme =
		"0x00000000febf0000 0x00000000febf3fff 0x0000000000140204\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
	const char *e1000 =
		"0x00000000febc0000 0x00000000febdffff 0x0000000000040200\n"
		"0x000000000000c000 0x000000000000c03f 0x0000000000040101\n"
		"0x00000000feb80000 0x00000000febbffff 0x0000000000046200\n";

	CHECK_EQ(parse(nvme, r, DDCTL_MAX_RES), 1);
	CHECK_EQ(r[0].is_io, 0);
	CHECK_EQ(r[0].start, 0xfebf0);
	CHECK_EQ(r[0].count, 4);
	CHECK_EQ(parse(e1000, r, DDCTL_MAX_RES), 3);
	CHECK_EQ(r[0].count, 0x20);
	CHECK_EQ(r[1].is_io, 1);
	CHECK_EQ(r[1].start, 0xc000);
	CHECK_EQ(r[1].count, 0x40);
	CHECK_EQ(r[2].start, 0xfeb80);
	return 0;
}

/* A BAR smaller than a page, not page aligned, still covers its pages. */
static int resources_subpage(void)
{
	struct ddctl_res r[2];

	CHECK_EQ(parse("0x00000000fe000800 0x00000000fe0010ff 0x200\n", r, 2), 1);
	CHECK_EQ(r[0].start, 0xfe000);
	CHECK_EQ(r[0].count, 2);
	return 0;
}

static int resources_rejects(void)
{
	struct ddctl_res r[2];

	CHECK_EQ(parse("0x1000 0xfff 0x200\n", r, 2), -1);		/* end below start */
	CHECK_EQ(parse("0x1000 0x1fff\n", r, 2), -1);			/* no flags */
	CHECK_EQ(parse("zz 0x1fff 0x200\n", r, 2), -1);
	CHECK_EQ(parse("0x1000 0x1fff 0x200 junk\n", r, 2), -1);
	CHECK_EQ(parse("0xc000 0x1000f 0x101\n", r, 2), -1);		/* port past 64K */
	CHECK_EQ(parse("0x1000 0x1fff 0x200\n0x3000 0x3fff 0x200\n0x5000 0x5fff 0x200\n",
		       r, 2), -1);					/* more than max */
	CHECK_EQ(parse("", r, 2), 0);
	return 0;
}

static const struct test tests[] = {
	T(bdf_forms), T(bdf_rejects), T(resources_nvme_e1000), T(resources_subpage),
	T(resources_rejects),
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL) ? 1 : 0;
}
