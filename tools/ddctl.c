// SPDX-License-Identifier: GPL-2.0
/*
 * ddctl - driver-domain control for ddstack.
 *
 *   ddctl assign DOMAIN BDF	pass a PCI device to a running PV driver
 *				domain on a host without an IOMMU
 *   ddctl detach DOMAIN BDF	take it back
 *   ddctl list [DOMAIN]		devices passed through this way
 *   ddctl supervise DD CONFIG	restart a driver domain that dies and
 *				point its clients' devices at the new one
 *
 * Xen's toolstack refuses PCI passthrough when the host has no IOMMU. A PV
 * domain does not need one to reach a device: it needs permission for the
 * device's I/O memory, I/O ports and interrupt, and the pciback/pcifront
 * xenstore entries through which dom0's xen-pciback shows it the device's
 * configuration space. ddctl does exactly that, and the reverse on detach.
 * Without an IOMMU nothing stops the device's DMA, so the driver domain is
 * trusted with all of the machine's memory; ddctl says so when it assigns.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "ddctl_pci.h"
#include "ddctl_supervise.h"

#define SYSFS_PCI	"/sys/bus/pci/devices"
#define PCIBACK_NAME	"pciback"

static const char *prog = "ddctl";
xc_interface *xch;
struct xs_handle *xs;
static int wait_s = 30;

static void usage(FILE *f)
{
	fprintf(f,
"usage: ddctl assignable-add BDF\n"
"       ddctl [-t SECONDS] assign DOMAIN BDF\n"
"       ddctl [-t SECONDS] detach DOMAIN BDF\n"
"       ddctl list [DOMAIN]\n"
"       " DDCTL_SUPERVISE_USAGE "\n"
"\n"
"Pass PCI devices to a PV driver domain on a host without an IOMMU, where\n"
"xl refuses passthrough (\"passthrough not supported on this platform\").\n"
"\n"
"  assignable-add\n"
"          take the device from its dom0 driver and bind it to pciback (what\n"
"          `xl pci-assignable-add` does, without the IOMMU quarantine that\n"
"          makes xl fail on such a host).\n"
"  assign  grant DOMAIN the device's I/O memory, I/O ports and interrupt and\n"
"          announce it to the domain's pcifront through dom0's xen-pciback;\n"
"          waits until the pci backend is connected.\n"
"  detach  remove the device from the domain (its driver there is unbound\n"
"          first by pcifront) and revoke the permissions.\n"
"  list    devices passed through to DOMAIN (or to every domain).\n"
"  supervise\n"
"          watch the driver domain DD; when it crashes, shuts down or is\n"
"          destroyed, restart it with `xl create CONFIG`, wait until it has\n"
"          written data/ddstack-ready, then serve its clients' vbd and vif\n"
"          devices from the new domain and point the clients there. DD is\n"
"          a name or a domain id, CONFIG the xl configuration file it was\n"
"          started from.\n"
"            --once               stop after the first recovery\n"
"            --max-restarts N     attempts per recovery (default 5)\n"
"            --ready-timeout S    wait for data/ddstack-ready (default 180)\n"
"            --connect-timeout S  wait for the devices to connect (default 120)\n"
"\n"
"DOMAIN is a name or a domain id; BDF is SSSS:BB:DD.F or BB:DD.F.\n"
"The device must be bound to pciback in dom0 first (ddctl assignable-add).\n"
"and the domain must be PV with xen-pcifront (and for drivers that DMA\n"
"without bounce buffers, ddstack's dddmapool) loaded.\n"
"\n"
"  -t SECONDS  how long to wait for the backend (default 30)\n"
"  -h, --help  this text\n"
"\n"
"WARNING: without an IOMMU a device can DMA to any machine address, so the\n"
"driver domain that owns it is trusted with the whole machine, like dom0.\n"
"On a host with an IOMMU use xl's pci= list or `xl pci-attach` instead.\n"
"\n"
"Exit status: 0 done, 1 refused (bad arguments, wrong domain or device),\n"
"2 Xen or xenstore failed, 3 the backend did not connect in time.\n"
"supervise: 0 stopped by SIGINT or SIGTERM, or recovered once (--once),\n"
"2 bad arguments, no such domain, not a driver domain, or Xen or xenstore\n"
"failed, 3 the driver domain could not be restarted.\n");
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/**
 * open_xen() - open xenstore and Xen's control interface (xs, xch)
 *
 * Return: 0, or 2 with a message when either cannot be opened.
 */
int open_xen(void)
{
	xs = xs_open(0);
	if (!xs)
		return fail(2, "cannot open xenstore (run in dom0 as root): %s", strerror(errno));
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch) {
		xs_close(xs);
		xs = NULL;
		return fail(2, "cannot open Xen's control interface (run in dom0 as root)");
	}
	return 0;
}

char *xs_get(const char *fmt, ...)
{
	char path[256];
	unsigned int len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return xs_read(xs, XBT_NULL, path, &len);
}

/* Write DIR/KEY = printf(FMT, ...) in transaction t. */
static bool xs_putk(xs_transaction_t t, const char *dir, const char *key, const char *fmt, ...)
{
	char path[256], val[256];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xs_write(xs, t, path, val, strlen(val));
}

/* A domain given by name or id: its id, or -1. */
int resolve_domain(const char *arg, char *name, size_t nlen)
{
	char **doms, *n, *end;
	unsigned int i, num;
	long id;
	int found = -1;

	id = strtol(arg, &end, 10);
	if (*arg && !*end) {
		if (id < 0 || id >= DOMID_FIRST_RESERVED)
			return -1;
		n = xs_get("/local/domain/%ld/name", id);
		snprintf(name, nlen, "%s", n ? n : arg);
		free(n);
		return (int)id;
	}
	doms = xs_directory(xs, XBT_NULL, "/local/domain", &num);
	for (i = 0; doms && i < num; i++) {
		n = xs_get("/local/domain/%s/name", doms[i]);
		if (n && !strcmp(n, arg)) {
			found = atoi(doms[i]);
			snprintf(name, nlen, "%s", n);
		}
		free(n);
		if (found >= 0)
			break;
	}
	free(doms);
	return found;
}

/* The domain must exist, be alive and be PV: 0, or an exit code. */
static int check_domain(int domid, const char *name)
{
	xc_domaininfo_t info;

	if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
	    info.domain != (domid_t)domid)
		return fail(1, "no domain %d", domid);
	if (info.flags & XEN_DOMINF_dying)
		return fail(1, "domain %s (%d) is being destroyed", name, domid);
	if (info.flags & XEN_DOMINF_hvm_guest)
		return fail(1, "domain %s (%d) is not PV (HVM or PVH): without an IOMMU only a PV "
			    "domain can drive a device; on a host with an IOMMU use xl's pci=",
			    name, domid);
	return 0;
}

/* The host must have no IOMMU (with one, xl does this properly). */
static int check_no_iommu(void)
{
	xc_physinfo_t pi = { 0 };

	if (xc_physinfo(xch, &pi))
		return fail(2, "xc_physinfo: %s", strerror(errno));
	if (pi.capabilities & XEN_SYSCTL_PHYSCAP_directio)
		return fail(1, "this host has an IOMMU: use `xl pci-assignable-add BDF` and the "
			    "domain's pci=[...] list or `xl pci-attach DOMAIN BDF` (isolated DMA) "
			    "instead of ddctl");
	return 0;
}

/*
 * The dom0 driver BDF is bound to, into drv ("" for none): 0, or an exit
 * code (with the message) when dom0 has no such device.
 */
static int bound_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s", bdf);
	if (access(path, F_OK))
		return fail(1, "no PCI device %s in dom0", bdf);
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = 0;
	snprintf(drv, len, "%s", n < 0 ? "" : basename(link));
	return 0;
}

/* The device must be bound to pciback in dom0: 0, else an exit code. */
static int check_pciback(const char *bdf)
{
	char drv[NAME_MAX + 1];
	int rc = bound_driver(bdf, drv, sizeof(drv));

	if (rc)
		return rc;
	if (strcmp(drv, PCIBACK_NAME))
		return fail(1, "%s is bound to %s, not to pciback: run `ddctl assignable-add %s`",
			    bdf, *drv ? drv : "no driver", bdf);
	return 0;
}

/* Index of BDF among the backend's dev-N of domid, -1 if not there. */
static int find_dev(int domid, const char *bdf, int *num)
{
	char *s, *d;
	int i, n, at = -1;

	s = xs_get("/local/domain/0/backend/pci/%d/0/num_devs", domid);
	n = s ? atoi(s) : 0;
	free(s);
	if (n < 0 || n > 256)
		n = 0;
	for (i = 0; i < n && at < 0; i++) {
		d = xs_get("/local/domain/0/backend/pci/%d/0/dev-%d", domid, i);
		if (d && !strcmp(d, bdf))
			at = i;
		free(d);
	}
	if (num)
		*num = n;
	return at;
}

/* Some domain other than domid already has BDF: its id, else -1. */
static int owner_elsewhere(int domid, const char *bdf)
{
	char **doms;
	unsigned int i, num;
	int owner = -1;

	doms = xs_directory(xs, XBT_NULL, "/local/domain/0/backend/pci", &num);
	for (i = 0; doms && i < num && owner < 0; i++)
		if (atoi(doms[i]) != domid && find_dev(atoi(doms[i]), bdf, NULL) >= 0)
			owner = atoi(doms[i]);
	free(doms);
	return owner;
}

/* The device's legacy interrupt line in dom0 (sysfs), or 0. */
static int device_irq(const char *bdf)
{
	char path[PATH_MAX];
	FILE *f;
	int irq = 0;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/irq", bdf);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &irq) != 1)
			irq = 0;
		fclose(f);
	}
	return irq;
}

/* Another device passed to domid (not bdf) is on interrupt line irq. */
static bool irq_shared(int domid, const char *bdf, int irq)
{
	char *d;
	int i, n = 0;
	bool shared = false;

	find_dev(domid, "", &n);
	for (i = 0; i < n && !shared; i++) {
		d = xs_get("/local/domain/0/backend/pci/%d/0/dev-%d", domid, i);
		if (d && strcmp(d, bdf) && device_irq(d) == irq)
			shared = true;
		free(d);
	}
	return shared;
}

/* Apply (allow = 1) or revoke the device's I/O and interrupt permissions. */
static int permissions(int domid, const char *bdf, int allow)
{
	struct ddctl_res res[DDCTL_MAX_RES];
	char path[PATH_MAX];
	FILE *f;
	int n, i, irq, pirq, rc;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return fail(2, "%s: %s", path, strerror(errno));
	n = ddctl_parse_resources(f, XC_PAGE_SHIFT, res, DDCTL_MAX_RES);
	fclose(f);
	if (n < 0)
		return fail(2, "%s: unexpected contents", path);
	for (i = 0; i < n; i++) {
		if (res[i].is_io)
			rc = xc_domain_ioport_permission(xch, domid, res[i].start, res[i].count,
							 allow);
		else
			rc = xc_domain_iomem_permission(xch, domid, res[i].start, res[i].count,
							allow);
		if (rc && allow)
			return fail(2, "%s permission for %s 0x%llx+0x%llx: %s",
				    res[i].is_io ? "I/O port" : "I/O memory", bdf,
				    (unsigned long long)res[i].start,
				    (unsigned long long)res[i].count, strerror(errno));
		printf("%s %s %s 0x%llx+0x%llx\n", allow ? "granted" : "revoked",
		       res[i].is_io ? "ports" : "pages", bdf,
		       (unsigned long long)res[i].start, (unsigned long long)res[i].count);
	}

	irq = device_irq(bdf);
	if (irq <= 0)
		return 0;
	if (allow) {
		pirq = irq;
		if (xc_physdev_map_pirq(xch, domid, irq, &pirq)) {
			/* a line shared with a device the domain has already */
			if (errno != EEXIST || !irq_shared(domid, bdf, irq))
				return fail(2, "mapping %s's interrupt %d: %s", bdf, irq,
					    strerror(errno));
			pirq = irq;
		}
		if (xc_domain_irq_permission(xch, domid, pirq, 1))
			return fail(2, "interrupt %d permission: %s", pirq, strerror(errno));
		printf("granted interrupt %s irq %d as pirq %d\n", bdf, irq, pirq);
	} else if (irq_shared(domid, bdf, irq)) {
		printf("kept interrupt %s irq %d: another device of the domain shares it\n",
		       bdf, irq);
	} else {
		xc_domain_irq_permission(xch, domid, irq, 0);
		xc_physdev_unmap_pirq(xch, domid, irq);
		printf("revoked interrupt %s irq %d\n", bdf, irq);
	}
	return 0;
}

long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the pci backend of domid to reach Connected: 0, or 3 on timeout. */
static int wait_connected(int domid, const char *what)
{
	long end = now_ms() + wait_s * 1000L;
	char *st, *fst;
	int s = -1;

	for (;;) {
		st = xs_get("/local/domain/0/backend/pci/%d/0/state", domid);
		s = st ? atoi(st) : -1;
		free(st);
		if (s == XenbusStateConnected)
			return 0;
		if (now_ms() > end)
			break;
		usleep(100000);
	}
	fst = xs_get("/local/domain/%d/device/pci/0/state", domid);
	fail(3, "%s: the pci backend of domain %d did not connect in %d s (backend state %d, "
	     "frontend state %s): is xen-pcifront loaded in the domain?", what, domid, wait_s,
	     s, fst ? fst : "none");
	free(fst);
	return 3;
}

/* Create the backend and frontend directories, as libxl does for pci. */
static bool create_dirs(xs_transaction_t t, int domid, const char *name)
{
	char be[128], fe[128];
	struct xs_permissions be_perms[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = domid, .perms = XS_PERM_READ },
	};
	struct xs_permissions fe_perms[2] = {
		{ .id = domid, .perms = XS_PERM_NONE },
		{ .id = 0, .perms = XS_PERM_READ },
	};
	bool ok = true;

	snprintf(be, sizeof(be), "/local/domain/0/backend/pci/%d/0", domid);
	snprintf(fe, sizeof(fe), "/local/domain/%d/device/pci/0", domid);
	xs_rm(xs, t, be);
	ok &= xs_mkdir(xs, t, be);
	ok &= xs_set_permissions(xs, t, be, be_perms, 2);
	ok &= xs_putk(t, be, "frontend", "%s", fe);
	ok &= xs_putk(t, be, "frontend-id", "%d", domid);
	ok &= xs_putk(t, be, "online", "1");
	ok &= xs_putk(t, be, "state", "%d", XenbusStateInitialising);
	ok &= xs_putk(t, be, "domain", "%s", name);

	xs_rm(xs, t, fe);
	ok &= xs_mkdir(xs, t, fe);
	ok &= xs_set_permissions(xs, t, fe, fe_perms, 2);
	ok &= xs_putk(t, fe, "backend", "%s", be);
	ok &= xs_putk(t, fe, "backend-id", "0");
	ok &= xs_putk(t, fe, "state", "%d", XenbusStateInitialising);
	return ok;
}

static int sysfs_put(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fputs(val, f) < 0 ? -1 : 0;
	if (fclose(f))
		rc = -1;
	return rc;
}

/* Bind BDF to pciback in dom0, as xl pci-assignable-add does. */
static int cmd_assignable_add(const char *bdf)
{
	char path[PATH_MAX], drv[NAME_MAX + 1];
	int rc = bound_driver(bdf, drv, sizeof(drv));

	if (rc)
		return rc;
	if (access("/sys/bus/pci/drivers/" PCIBACK_NAME, F_OK))
		return fail(1, "pciback is not loaded in dom0: modprobe xen-pciback");
	if (!strcmp(drv, PCIBACK_NAME)) {
		printf("%s is already bound to pciback\n", bdf);
		return 0;
	}
	if (*drv) {
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind", bdf);
		if (sysfs_put(path, bdf))
			return fail(2, "unbinding %s from %s: %s", bdf, drv, strerror(errno));
		printf("unbound %s from %s\n", bdf, drv);
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	if (sysfs_put(path, PCIBACK_NAME))
		return fail(2, "%s: %s", path, strerror(errno));
	if (sysfs_put("/sys/bus/pci/drivers/" PCIBACK_NAME "/bind", bdf))
		return fail(2, "binding %s to pciback: %s", bdf, strerror(errno));
	printf("%s bound to pciback\n", bdf);
	return 0;
}

static int cmd_assign(int domid, const char *name, const char *bdf)
{
	/* the device's slot N in the backend, as libxl writes it */
	const char *slot[][2] = {
		{ "key", bdf }, { "dev", bdf },
		{ "opts", "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict" },
		{ "state", "1" },	/* XenbusStateInitialising */
	};
	char be[128], key[32];
	xs_transaction_t t;
	int rc, num, owner, k;
	bool ok;

	rc = check_domain(domid, name);
	if (!rc)
		rc = check_no_iommu();
	if (!rc)
		rc = check_pciback(bdf);
	if (rc)
		return rc;
	owner = owner_elsewhere(domid, bdf);
	if (owner >= 0)
		return fail(1, "%s is already passed through to domain %d", bdf, owner);
	if (find_dev(domid, bdf, &num) >= 0)
		return fail(1, "%s is already passed through to %s (%d)", bdf, name, domid);
	if (num > 0) {
		/* pciback reconfigures only from Connected */
		rc = wait_connected(domid, "before adding a device");
		if (rc)
			return rc;
	}

	fprintf(stderr, "%s: WARNING: this host has no IOMMU: %s (%d) can DMA through %s to any "
		"machine address; it is now trusted with the whole machine, like dom0.\n",
		prog, name, domid, bdf);
	rc = permissions(domid, bdf, 1);
	if (rc)
		return rc;

	snprintf(be, sizeof(be), "/local/domain/0/backend/pci/%d/0", domid);
	for (;;) {
		t = xs_transaction_start(xs);
		if (!t)
			return fail(2, "xenstore transaction: %s", strerror(errno));
		ok = true;
		if (!num)
			ok &= create_dirs(t, domid, name);
		for (k = 0; k < (int)(sizeof(slot) / sizeof(slot[0])); k++) {
			snprintf(key, sizeof(key), "%s-%d", slot[k][0], num);
			ok &= xs_putk(t, be, key, "%s", slot[k][1]);
		}
		ok &= xs_putk(t, be, "num_devs", "%d", num + 1);
		if (num)
			ok &= xs_putk(t, be, "state", "%d", XenbusStateReconfiguring);
		if (!ok) {
			xs_transaction_end(xs, t, true);
			permissions(domid, bdf, 0);
			return fail(2, "writing %s: %s", be, strerror(errno));
		}
		if (xs_transaction_end(xs, t, false))
			break;
		if (errno != EAGAIN) {
			permissions(domid, bdf, 0);
			return fail(2, "xenstore commit: %s", strerror(errno));
		}
	}
	/* a reconfiguration first leaves Connected: give pciback a moment */
	if (num)
		usleep(300000);
	rc = wait_connected(domid, "assign");
	if (rc)
		return rc;
	printf("assigned %s to %s (%d) as its device %d\n", bdf, name, domid, num);
	return 0;
}

static bool move_node(xs_transaction_t t, const char *be, const char *key, int from, int to)
{
	char src[192], dst[192], *v;
	unsigned int len;
	bool ok = true;

	snprintf(src, sizeof(src), "%s/%s-%d", be, key, from);
	snprintf(dst, sizeof(dst), "%s/%s-%d", be, key, to);
	v = xs_read(xs, t, src, &len);
	if (v) {
		ok &= xs_write(xs, t, dst, v, len);
		ok &= xs_rm(xs, t, src);
	}
	free(v);
	return ok;
}

static int cmd_detach(int domid, const char *name, const char *bdf)
{
	static const char * const keys[] = { "state", "key", "dev", "vdev", "opts",
					     "vdevfn", "name" };
	char be[128], fe[128], p[192];
	xs_transaction_t t;
	int i, j, k, num, rc;
	bool ok;

	rc = check_domain(domid, name);
	if (rc)
		return rc;
	i = find_dev(domid, bdf, &num);
	if (i < 0)
		return fail(1, "%s is not passed through to %s (%d)", bdf, name, domid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/pci/%d/0", domid);
	snprintf(fe, sizeof(fe), "/local/domain/%d/device/pci/0", domid);

	/* pcifront unbinds the driver and removes the device, pciback then unexports it */
	rc = wait_connected(domid, "before detaching");
	if (rc)
		return rc;
	do {
		t = xs_transaction_start(xs);
		snprintf(p, sizeof(p), "state-%d", i);
		xs_putk(t, be, p, "%d", XenbusStateClosing);
		xs_putk(t, be, "state", "%d", XenbusStateReconfiguring);
	} while (!xs_transaction_end(xs, t, false) && errno == EAGAIN);
	usleep(300000);
	rc = wait_connected(domid, "detach");
	if (rc)
		return rc;

	do {
		t = xs_transaction_start(xs);
		ok = true;
		for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++) {
			snprintf(p, sizeof(p), "%s/%s-%d", be, keys[k], i);
			xs_rm(xs, t, p);
		}
		for (j = i + 1; j < num; j++)
			for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++)
				ok &= move_node(t, be, keys[k], j, j - 1);
		ok &= xs_putk(t, be, "num_devs", "%d", num - 1);
		if (num == 1) {
			xs_rm(xs, t, be);
			xs_rm(xs, t, fe);
		}
		if (!ok) {
			xs_transaction_end(xs, t, true);
			return fail(2, "rewriting %s: %s", be, strerror(errno));
		}
	} while (!xs_transaction_end(xs, t, false) && errno == EAGAIN);

	permissions(domid, bdf, 0);
	printf("detached %s from %s (%d)\n", bdf, name, domid);
	return 0;
}

static void list_domain(int domid)
{
	char *name, *d, *s;
	int i, num = 0;

	find_dev(domid, "", &num);
	name = xs_get("/local/domain/%d/name", domid);
	for (i = 0; i < num; i++) {
		d = xs_get("/local/domain/0/backend/pci/%d/0/dev-%d", domid, i);
		s = xs_get("/local/domain/0/backend/pci/%d/0/state-%d", domid, i);
		printf("%-12s %5d %s state %s\n", name ? name : "?", domid, d ? d : "?",
		       s ? s : "?");
		free(d);
		free(s);
	}
	free(name);
}

static int cmd_list(int domid)
{
	char **doms;
	unsigned int i, num;

	if (domid >= 0) {
		list_domain(domid);
		return 0;
	}
	doms = xs_directory(xs, XBT_NULL, "/local/domain/0/backend/pci", &num);
	for (i = 0; doms && i < num; i++)
		list_domain(atoi(doms[i]));
	free(doms);
	return 0;
}

/* The options of ddctl itself: -1 to go on, else the exit code. */
static int global_opts(int argc, char **argv, const char *optstring)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 't':
			wait_s = atoi(optarg);
			if (wait_s <= 0 || wait_s > 3600)
				return fail(1, "bad timeout '%s'", optarg);
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ddctl_bdf b;
	char bdf[16], name[64];
	const char *cmd;
	int domid = -1, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with stderr when piped */
	/* up to the command first: supervise has options of its own */
	rc = global_opts(argc, argv, "+ht:");
	if (rc >= 0)
		return rc;
	if (optind < argc && !strcmp(argv[optind], "supervise"))
		return cmd_supervise(argc - optind, argv + optind);
	/* the other commands also take ddctl's options after the command */
	optind = 0;
	rc = global_opts(argc, argv, "ht:");
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "assignable-add")) {
		if (argc - optind != 1) {
			usage(stderr);
			return 1;
		}
		if (ddctl_parse_bdf(argv[optind], &b))
			return fail(1, "bad PCI address '%s' (want SSSS:BB:DD.F)", argv[optind]);
		ddctl_format_bdf(&b, bdf, sizeof(bdf));
		return cmd_assignable_add(bdf);
	}
	if (strcmp(cmd, "assign") && strcmp(cmd, "detach") && strcmp(cmd, "list")) {
		fail(1, "unknown command '%s'", cmd);
		usage(stderr);
		return 1;
	}
	if (!strcmp(cmd, "list") ? argc - optind > 1 : argc - optind != 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(cmd, "list")) {
		if (ddctl_parse_bdf(argv[optind + 1], &b))
			return fail(1, "bad PCI address '%s' (want SSSS:BB:DD.F)", argv[optind + 1]);
		ddctl_format_bdf(&b, bdf, sizeof(bdf));
	}

	rc = open_xen();
	if (rc)
		return rc;
	if (optind < argc) {
		domid = resolve_domain(argv[optind], name, sizeof(name));
		if (domid < 0) {
			rc = fail(1, "no domain '%s'", argv[optind]);
			goto out;
		}
		if (domid == 0) {
			rc = fail(1, "domain 0 owns its devices already");
			goto out;
		}
	}
	if (!strcmp(cmd, "assign"))
		rc = cmd_assign(domid, name, bdf);
	else if (!strcmp(cmd, "detach"))
		rc = cmd_detach(domid, name, bdf);
	else
		rc = cmd_list(domid);
out:
	xc_interface_close(xch);
	xs_close(xs);
	return rc;
}
