# SPDX-License-Identifier: GPL-2.0
#
# ddstack top-level Makefile.
#
#   make              all kernel modules (out of tree, kbuild) and user-space tools
#   make deps         install every build and lab package with apt (Debian 12)
#   make check        unit tests, then the lab tests; ends with "N passed, N failed"
#   make demo         the lab: a driver domain serving a client, ending in a netperf table
#   make bench-blk    build/bench/blk.json      make bench-net   build/bench/net.json
#   make bench-dma    build/bench/dma.json (the machine without an IOMMU)
#   make bench-recovery  build/bench/recovery.json (driver domain destroyed
#                     under ddstack's and upstream's frontends)
#
KVER	?= 6.1.0-56-amd64
KDIR	?= /usr/src/linux-headers-$(KVER)
W	?= 1
CC	?= gcc
CFLAGS	?= -O2 -g -Wall -Wextra -Werror
TOOLS	:= tools/ddstat tools/ddctl tools/ddblk-hostile tools/ddnet-hostile \
	   tools/ddblkback-hostile tools/ddnetback-hostile
LABTOOLS := tests/lab/nvme-intx-clear tests/lab/xswait tests/lab/ddsnap

.PHONY: all modules tools labtools deps check unit lab demo bench-blk bench-net bench-dma bench-recovery \
	clean

all: modules tools labtools

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

tools: $(TOOLS)

# the lab's own helpers (tests/lab/), copied to the guests with the lab's scripts
labtools: $(LABTOOLS)

tests/lab/nvme-intx-clear: tests/lab/nvme-intx-clear.c
	$(CC) $(CFLAGS) -o $@ $<

tests/lab/xswait: tests/lab/xswait.c
	$(CC) $(CFLAGS) -o $@ $< -lxenstore

tests/lab/ddsnap: tests/lab/ddsnap.c
	$(CC) $(CFLAGS) -o $@ $< -lxenstore

tools/ddstat: tools/ddstat.c
	$(CC) $(CFLAGS) -o $@ $< -lxenctrl -lxenstore

tools/ddctl: tools/ddctl.c tools/ddctl_pci.c tools/ddctl_pci.h tools/ddctl_supervise.c \
	     tools/ddctl_supervise.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) -lxenctrl -lxenstore

tools/ddblk-hostile: tools/ddblk-hostile.c tools/xsfront.c tools/xsfront.h tools/xsring.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) -lxenstore -lxengnttab -lxenevtchn

tools/ddnet-hostile: tools/ddnet-hostile.c tools/xsfront.c tools/xsfront.h tools/xsring.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) -lxenstore -lxengnttab -lxenevtchn

tools/ddblkback-hostile: tools/ddblkback-hostile.c tools/xsback.c tools/xsback.h tools/xsring.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) -lxenstore -lxengnttab -lxenevtchn

tools/ddnetback-hostile: tools/ddnetback-hostile.c tools/xsback.c tools/xsback.h tools/xsring.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) -lxenstore -lxengnttab -lxenevtchn

deps:
	tests/deps.sh

unit:
	tests/run unit

lab: all
	tests/run lab

check: all
	tests/run unit lab

demo: all
	tests/lab/lab.py --reps 1 demo

bench-blk bench-net: all
	tests/lab/lab.py $@

bench-dma: all
	tests/lab/lab.py --machine noiommu $@

bench-recovery: all
	tests/lab/lab.py --machine iommu $@

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(TOOLS) $(LABTOOLS)
