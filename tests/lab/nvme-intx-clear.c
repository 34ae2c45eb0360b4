// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-intx-clear BDF: the lab's way around a fault of QEMU 7.2's NVMe
 * model. Its controller reset (FLR, bus reset, CC.EN = 0) forgets the
 * completion queues but not how many of them had entries pending
 * (cq_pending) nor the interrupt bits they raised (irq_status). A driver
 * domain destroyed with commands in flight leaves both set, and the
 * interrupt line (INTx; the driver domain's pcifront cannot give the NVMe
 * MSI-X) is held asserted for good: the next driver domain takes a
 * storm of interrupts that are nobody's. Real NVMe controllers reset
 * all of it.
 *
 * The reset itself lowers the line, so the fault shows only when the
 * model next looks at its interrupt bits: a write of the interrupt mask
 * clear register (INTMC) makes it look. The model takes one pending count
 * off for each write of a completion queue's head doorbell that leaves the
 * queue empty, and drops the line when the count reaches zero. So, with
 * dom0 holding the device (pciback), this enables the controller with an
 * admin queue, writes INTMC, then the admin completion queue's head
 * doorbell until the PCI status register says the line is down (no more:
 * a count below zero holds the line as well), and disables the controller
 * again. It submits no command, so the device does no DMA.
 *
 * Prints what it found and did; exit status 0 when the line is down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x02
#define PCI_STATUS		0x06
#define PCI_STATUS_INTERRUPT	0x08

#define NVME_CAP	0x00
#define NVME_INTMC	0x10
#define NVME_CC		0x14
#define NVME_CSTS	0x1c
#define NVME_AQA	0x24
#define NVME_ASQ	0x28
#define NVME_ACQ	0x30
#define NVME_DB		0x1000
#define CC_EN		1u
#define CC_IOSQES	(6u << 16)
#define CC_IOCQES	(4u << 20)
#define CSTS_RDY	1u
#define MAP_LEN		0x2000
#define MAX_WRITES	64

static int cfg_fd;
static volatile uint32_t *bar;

static uint16_t cfg_read16(off_t off)
{
	uint16_t v = 0;

	if (pread(cfg_fd, &v, sizeof(v), off) != sizeof(v)) {
		perror("config read");
		exit(1);
	}
	return v;
}

static void cfg_write16(off_t off, uint16_t v)
{
	if (pwrite(cfg_fd, &v, sizeof(v), off) != sizeof(v)) {
		perror("config write");
		exit(1);
	}
}

static int intx_held(void)
{
	return !!(cfg_read16(PCI_STATUS) & PCI_STATUS_INTERRUPT);
}

static uint32_t reg(unsigned int off)
{
	return bar[off / 4];
}

static void reg_set(unsigned int off, uint32_t v)
{
	bar[off / 4] = v;
}

/* Wait up to 5 s for CSTS.RDY to be want; 0 or -1. */
static int wait_rdy(uint32_t want)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500; i++) {
		if ((reg(NVME_CSTS) & CSTS_RDY) == want)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int main(int argc, char **argv)
{
	char path[256];
	uint16_t cmd;
	uint32_t dstrd, cq0_head;
	int fd, n = 0, rc = 0, held;

	if (argc != 2) {
		fprintf(stderr, "usage: nvme-intx-clear BDF\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", argv[1]);
	cfg_fd = open(path, O_RDWR);
	if (cfg_fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	cmd = cfg_read16(PCI_COMMAND);
	cfg_write16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", argv[1]);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	bar = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		fprintf(stderr, "mmap %s: %s\n", path, strerror(errno));
		return 1;
	}
	dstrd = reg(NVME_CAP + 4) & 0xf;
	cq0_head = NVME_DB + (4u << dstrd);
	reg_set(NVME_CC, 0);
	if (wait_rdy(0)) {
		fprintf(stderr, "%s: the controller did not stop\n", argv[1]);
		return 1;
	}
	/* two entries each; addresses that are never used: no command is sent */
	reg_set(NVME_AQA, (1u << 16) | 1u);
	reg_set(NVME_ASQ, 0x100000);
	reg_set(NVME_ASQ + 4, 0);
	reg_set(NVME_ACQ, 0x101000);
	reg_set(NVME_ACQ + 4, 0);
	reg_set(NVME_CC, CC_EN | CC_IOSQES | CC_IOCQES);
	if (wait_rdy(CSTS_RDY)) {
		fprintf(stderr, "%s: the controller did not start\n", argv[1]);
		rc = 1;
	}
	if (!rc)
		reg_set(NVME_INTMC, 0);	/* masks nothing; the model looks */
	held = !rc && intx_held();
	while (!rc && intx_held() && n < MAX_WRITES) {
		reg_set(cq0_head, 0);
		n++;
	}
	reg_set(NVME_CC, 0);
	if (wait_rdy(0))
		fprintf(stderr, "%s: the controller did not stop again\n", argv[1]);
	munmap((void *)bar, MAP_LEN);
	close(fd);
	cfg_write16(PCI_COMMAND, cmd);
	if (intx_held()) {
		printf("%s: INTx still asserted after %d doorbell write(s)\n", argv[1], n);
		return 1;
	}
	if (held)
		printf("%s: INTx was held asserted; down after %d doorbell write(s)\n",
		       argv[1], n);
	else if (!rc)
		printf("%s: INTx not held, nothing to do\n", argv[1]);
	return rc;
}
