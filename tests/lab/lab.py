#!/usr/bin/env python3
"""ddstack lab runner: boots Xen + a PV dom0 in QEMU (software emulation) and
runs one scenario inside it. dom0 creates the driver domain and the client
from the xl configs in tests/lab/xl/ and drives the tests in the guests.

  tests/lab/lab.py [options] SCENARIO      SCENARIO: check demo bench-blk bench-net
                                           bench-dma bench-recovery

Progress, results and figures come back on the serial line as '@@lab' markers
and in the payload disk's out/ folder; every run keeps its logs under
build/lab/runs/<stamp>-<scenario>/ (serial.log, out/console/guest-*.log).
"""
import argparse
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import benchlib  # noqa: E402

MACHINES = {
    # name: (qemu machine args, has IOMMU)
    "iommu": (["-machine", "q35", "-device", "intel-iommu,intremap=on"], True),
    "noiommu": (["-machine", "pc"], False),
}
# Memory (MiB) of each machine unless --mem-mb says otherwise. The machine
# without an IOMMU has memory above 4 GiB, where Xen puts the driver domain,
# so that its 32-bit DMA device (the e1000) meets what swiotlb-xen bounces.
MACHINE_MEM = {"iommu": 3072, "noiommu": 6144}
# The driver domain's NVMe and e1000 (run.conf's DD_PCI). On the q35 machine
# each sits alone behind a PCIe root port, so that dom0 can reset it with a
# secondary bus reset when a destroyed driver domain gives it back (QEMU's
# e1000 has no reset of its own); on the other one, on the root bus.
DD_PCI = {"iommu": "0000:01:00.0 0000:02:00.0", "noiommu": "0000:00:10.0 0000:00:11.0"}
SCENARIO_TIMEOUT = {"check": 4800, "demo": 1200, "bench-blk": 3600, "bench-net": 3600,
                    "bench-dma": 2400, "bench-recovery": 3000}
STALL_TIMEOUT = 600          # no marker at all for this long: the run is hung
MARK = re.compile(r"@@lab (\S+)\s*(.*)")


def log(t0, msg):
    print("[lab +%4ds] %s" % (time.time() - t0, msg), flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def root_image(cache):
    """Build (once) the cached root image; return (image, bootdir)."""
    out = subprocess.run([os.path.join(TOP, "tests/lab/mkroot.sh")], check=True,
                         stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, LAB_CACHE=cache)).stdout
    key = out.strip().splitlines()[-1]
    return os.path.join(cache, "root-%s.img" % key), os.path.join(cache, "boot-%s" % key)


def make_payload(rundir, conf):
    """The run's payload tree: test scripts, xl configs, modules, tools, run.conf."""
    tree = os.path.join(rundir, "payload")
    shutil.copytree(os.path.join(TOP, "tests", "lab"), os.path.join(tree, "tests", "lab"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    mods = os.path.join(tree, "modules")
    os.makedirs(mods)
    for d in ("drivers", "backend", "frontend", "dma_pool"):
        for where, _, files in sorted(os.walk(os.path.join(TOP, d))):
            for f in sorted(files):
                if f.endswith(".ko"):
                    shutil.copy(os.path.join(where, f), mods)
    os.makedirs(os.path.join(tree, "tools"))
    for f in sorted(os.listdir(os.path.join(TOP, "tools"))):
        p = os.path.join(TOP, "tools", f)
        if os.access(p, os.X_OK) and not os.path.isdir(p):
            shutil.copy(p, os.path.join(tree, "tools"))
    os.makedirs(os.path.join(tree, "out"))
    with open(os.path.join(tree, "run.conf"), "w") as f:
        for k, v in sorted(conf.items()):
            f.write("%s='%s'\n" % (k, v))
    images = {}
    for name, size in (("dom0", "256M"), ("dd", "64M"), ("client", "64M"), ("hostile", "64M")):
        img = os.path.join(rundir, "payload-%s.img" % name)
        sh(["mke2fs", "-q", "-F", "-t", "ext2", "-d", tree, img, size])
        images[name] = img
    return images


def qemu_cmd(args, rundir, root, boot, images):
    mach, _ = MACHINES[args.machine]
    nvme = os.path.join(rundir, "nvme.img")
    with open(nvme, "wb") as f:
        f.truncate(args.nvme_mb << 20)
    xen_args = ("console=com1 com1=115200 dom0_mem=%dM,max:%dM dom0_max_vcpus=2 noreboot "
                "loglvl=all guest_loglvl=all iommu=verbose" % (args.dom0_mb, args.dom0_mb))
    dom0_args = ("console=hvc0 earlyprintk=xen root=/dev/vda rw init=/sbin/lab-init "
                 "lab.role=dom0 lab.payload=/dev/vdb")
    cmd = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-no-reboot",
           "-display", "none", "-accel", "tcg,thread=multi", "-cpu", args.cpu,
           "-smp", "2", "-m", str(args.mem_mb or MACHINE_MEM[args.machine])] + mach
    cmd += ["-serial", "stdio", "-monitor", "unix:%s,server,nowait" % os.path.join(rundir, "monitor")]
    # virtio disks in PCI order: vda root (dom0), vdb payload (dom0), vdc/vdd root and
    # payload of the driver domain, vde/vdf of the client, vdg/vdh of the hostile guest.
    disks = [(root, True), (images["dom0"], False), (root, True), (images["dd"], False),
             (root, True), (images["client"], False), (root, True), (images["hostile"], False)]
    for i, (img, snap) in enumerate(disks):
        cmd += ["-drive", "if=none,id=vd%d,file=%s,format=raw,cache=unsafe%s"
                % (i, img, ",snapshot=on" if snap else ""),
                "-device", "virtio-blk-pci,drive=vd%d,addr=0x%x" % (i, 3 + i)]
    # The driver domain's hardware (BDFs fixed, see tests/lab/xl/dd.cfg) and the peer's NIC,
    # on one QEMU hub that reaches nothing outside this QEMU.
    if args.machine == "iommu":
        # root ports at 00:10.0 and 00:11.0, the firmware numbers their buses 1 and 2
        cmd += ["-device", "pcie-root-port,id=rp1,chassis=1,addr=0x10",
                "-device", "pcie-root-port,id=rp2,chassis=2,addr=0x11"]
        at = ["bus=rp1,addr=0", "bus=rp2,addr=0"]
    else:
        at = ["addr=0x10", "addr=0x11"]
    cmd += ["-drive", "if=none,id=nv0,file=%s,format=raw,cache=none,aio=threads" % nvme,
            "-device", "nvme,serial=ddnvme0,drive=nv0," + at[0],
            "-netdev", "hubport,id=h1,hubid=0",
            "-device", "e1000,netdev=h1,mac=52:54:00:00:00:01," + at[1],
            "-netdev", "hubport,id=h2,hubid=0",
            "-device", "e1000,netdev=h2,mac=52:54:00:00:00:02,addr=0x12"]
    cmd += ["-kernel", os.path.join(boot, "xen.elf"), "-append", xen_args,
            "-initrd", "%s %s,%s" % (os.path.join(boot, "vmlinuz"), dom0_args,
                                     os.path.join(boot, "initrd.img"))]
    return cmd


def monitor(rundir, command):
    """One HMP command on QEMU's monitor socket; returns its reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(rundir, "monitor"))
    data = b""
    s.sendall(command.encode() + b"\n")
    end = time.time() + 3
    while time.time() < end:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
        if data.count(b"(qemu)") >= 2:
            break
    s.close()
    return data.decode(errors="replace")


def extract(img, dest):
    """Copy out/ from a payload image to dest without mounting it."""
    tmp = dest + ".x"
    os.makedirs(tmp, exist_ok=True)
    subprocess.run(["debugfs", "-R", "rdump /out %s" % tmp, img],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.path.isdir(os.path.join(tmp, "out")):
        os.makedirs(dest, exist_ok=True)
        for f in os.listdir(os.path.join(tmp, "out")):
            os.rename(os.path.join(tmp, "out", f), os.path.join(dest, f))
    shutil.rmtree(tmp, ignore_errors=True)


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            return f.readlines()[-n:]
    except OSError:
        return []


def run(args):
    t0 = time.time()
    cache = os.path.join(TOP, "build", "lab")
    log(t0, "root image (cached under build/lab)")
    root, boot = root_image(cache)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    rundir = os.path.join(cache, "runs", "%s-%s" % (stamp, args.scenario))
    os.makedirs(rundir)
    latest = os.path.join(cache, "runs", "latest")
    if os.path.islink(latest):
        os.unlink(latest)
    os.symlink(os.path.basename(rundir), latest)
    conf = {"SCENARIO": args.scenario, "MACHINE": args.machine,
            "REPS": str(args.reps), "RUNTIME": str(args.runtime),
            "HAS_IOMMU": "1" if MACHINES[args.machine][1] else "0",
            "DD_PCI": DD_PCI[args.machine],
            "ONLY": args.only or "",
            "DMA_POOL": os.environ.get("LAB_DMA_POOL", "1"),
            # destroys of dd2 in a row (at least 10 for the suite; fewer for a quick try)
            "DD_RESTARTS": os.environ.get("LAB_DD_RESTARTS", "10")}
    images = make_payload(rundir, conf)
    cmd = qemu_cmd(args, rundir, root, boot, images)
    with open(os.path.join(rundir, "qemu.cmd"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    log(t0, "booting Xen in QEMU (%s, -cpu %s); logs in %s" % (args.machine, args.cpu, rundir))
    serial = open(os.path.join(rundir, "serial.log"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=0)
    os.set_blocking(proc.stdout.fileno(), False)
    results, step, last_mark, done, buf = [], "boot", time.time(), False, b""
    done_at = None
    hostchecks = []
    limit = args.timeout or SCENARIO_TIMEOUT.get(args.scenario, 1800)
    timed_out = None
    while True:
        chunk = None
        try:
            chunk = proc.stdout.read(65536)
        except BlockingIOError:
            pass
        if chunk:
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                serial.write(line + "\n")
                if args.verbose:
                    print(line, flush=True)
                m = MARK.search(line)
                if not m:
                    continue
                last_mark = time.time()
                kind, rest = m.group(1), m.group(2)
                if kind == "step":
                    step = rest
                    log(t0, "step: " + rest)
                elif kind == "result":
                    verdict, _, what = rest.partition(" ")
                    results.append((verdict, what))
                    log(t0, "%s %s" % (verdict, what))
                elif kind == "throttle":
                    # throttle <bps> <iops>: QEMU's drive throttling on the NVMe
                    bps, iops = rest.split()[:2]
                    r = monitor(rundir, "block_set_io_throttle nv0 %s 0 0 %s 0 0" % (bps, iops))
                    log(t0, "nvme throttle bps=%s iops=%s%s" % (bps, iops,
                        " (monitor: %s)" % r.strip()[-200:] if "rror" in r else ""))
                elif kind == "hostcheck":
                    # hostcheck NAME OFFSET_MB COUNT_MB SHA256: checked on the NVMe image
                    # after QEMU exits, i.e. what really reached the disk.
                    hostchecks.append(rest.split()[:4])
                    log(t0, "will check on the host's NVMe image: " + rest)
                elif kind == "info":
                    log(t0, rest)
                elif kind == "done":
                    done = True
                    done_at = time.time()
            serial.flush()
        elif proc.poll() is not None:
            break
        else:
            time.sleep(0.2)
        now = time.time()
        if not timed_out and now - t0 > limit:
            timed_out = "the scenario's %d s limit" % limit
        if not timed_out and now - last_mark > STALL_TIMEOUT:
            timed_out = "no progress for %d s" % STALL_TIMEOUT
        if done_at and now - done_at > 60:
            log(t0, "QEMU did not power off after the run: stopping it")
            proc.kill()
            proc.wait()
            break
        if timed_out:
            log(t0, "TIMEOUT in step '%s' (%s): stopping QEMU" % (step, timed_out))
            proc.kill()
            proc.wait()
            break
    serial.close()
    out = os.path.join(rundir, "out")
    extract(images["dom0"], out)
    for name in ("dd", "client", "hostile"):
        extract(images[name], os.path.join(out, name))
    for name, off, count, want in hostchecks:
        with open(os.path.join(rundir, "nvme.img"), "rb") as f:
            f.seek(int(off) << 20)
            got = hashlib.sha256(f.read(int(count) << 20)).hexdigest()
        verdict = "PASS" if got == want else "FAIL"
        results.append((verdict, "%s (%s MiB at %s MiB on the host's image: %s)"
                        % (name, count, off, "same sha256" if got == want else "differs")))
        log(t0, "%s %s" % (verdict, results[-1][1]))
    if not done:
        guest = step.split(":")[0] if ":" in step else "dom0"
        print("lab: the run did not finish: step '%s' (guest %s)%s" %
              (step, guest, ", " + timed_out if timed_out else ", QEMU exited"), flush=True)
        print("---- last lines of serial.log (Xen + dom0 console):")
        sys.stdout.writelines(tail(os.path.join(rundir, "serial.log")))
        for g in ("dd", "client", "hostile"):
            p = os.path.join(out, "console", "guest-%s.log" % g)
            if os.path.exists(p):
                print("---- last lines of guest %s console (%s):" % (g, p))
                sys.stdout.writelines(tail(p, 15))
        results.append(("FAIL", "lab-run-completed: step '%s'" % step))
    log(t0, "run finished; logs in %s" % rundir)
    return rundir, results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=["check", "demo", "bench-blk", "bench-net", "bench-dma",
                                        "bench-recovery"])
    ap.add_argument("--machine", default=os.environ.get("LAB_MACHINE", "iommu"), choices=sorted(MACHINES))
    ap.add_argument("--cpu", default=os.environ.get("LAB_CPU", "qemu64,+npt"))
    ap.add_argument("--mem-mb", type=int, default=0, help="machine memory (default: per machine)")
    ap.add_argument("--dom0-mb", type=int, default=1024)
    ap.add_argument("--nvme-mb", type=int, default=2048)
    ap.add_argument("--reps", type=int, default=int(os.environ.get("LAB_REPS", "3")))
    ap.add_argument("--runtime", type=int, default=int(os.environ.get("LAB_RUNTIME", "10")),
                    help="seconds per benchmark figure")
    ap.add_argument("--only", default=os.environ.get("LAB_ONLY", ""),
                    help="run only the lab tests whose name contains this (or one of several: a|b)")
    ap.add_argument("--timeout", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true", help="print the serial console")
    ap.add_argument("--results", help="append PASS/FAIL lines to this file")
    args = ap.parse_args()
    rundir, results = run(args)
    if args.results:
        with open(args.results, "a") as f:
            for v, what in results:
                f.write("%s lab: %s%s\n" % (v, "" if args.machine == "iommu" else args.machine + ": ", what))
    if args.scenario.startswith("bench-") or args.scenario == "demo":
        kind = {"bench-net": "net", "demo": "net", "bench-dma": "dma",
                "bench-recovery": "recovery"}.get(args.scenario, "blk")
        try:
            path = benchlib.write_bench(kind, os.path.join(rundir, "out"), os.path.join(TOP, "build", "bench"),
                                        demo=args.scenario == "demo")
            if kind == "dma":
                print(benchlib.dma_table(path), flush=True)
            elif kind == "recovery":
                print(benchlib.recovery_table(path), flush=True)
            else:
                print(benchlib.table(path), flush=True)
                benchlib.svg_chart(path, path[:-5] + ".svg")
        except (OSError, ValueError, KeyError) as e:
            print("lab: no %s figures from this run: %s" % (kind, e))
            results.append(("FAIL", "bench figures"))
    if args.scenario == "check":
        try:
            path = benchlib.write_hostile(os.path.join(rundir, "out"), os.path.join(TOP, "build", "bench"))
            if path:
                print("lab: hostile frontends against ddstack and upstream: %s" % path, flush=True)
        except (OSError, ValueError, KeyError, IndexError) as e:
            print("lab: no hostile.json from this run: %s" % e)
            results.append(("FAIL", "hostile.json"))
    failed = [r for r in results if r[0] != "PASS"]
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
