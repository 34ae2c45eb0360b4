"""Benchmark figures from a lab run's out/ folder into build/bench/*.json.

A figure is one (kind, row, regime, test, rep) measured by dom0's bench():
  bench/<id>.pre, bench/<id>.post   ddstat output (Xen's per-domain CPU time)
  bench/<id>.out                    the guest's output, last line is the figure
Each figure is repeated; the JSON keeps the median, the runs and the spread
((max - min) / median).
"""
import json
import os
import re
import statistics

NET_TESTS = ("TCP_STREAM", "TCP_MAERTS", "TCP_RR", "UDP_STREAM")
BLK_FIELDS = {"seqwrite": "mbps_seq_write", "seqread": "mbps_seq_read",
              "randread": "iops_4k_randread"}


def read_ddstat(path):
    """{'now': ns, 'dd': cpu_ns, ...} from one ddstat snapshot."""
    snap = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "now":
                snap["now"] = int(w[1])
            elif len(w) >= 3:
                snap[w[1]] = int(w[2])
    if "now" not in snap:
        raise ValueError("%s: no clock line" % path)
    return snap


def xen_cpu(pre, post):
    """(wall seconds, {domain: cpu seconds}) between two snapshots."""
    wall = (post["now"] - pre["now"]) / 1e9
    cpu = {d: (post[d] - pre[d]) / 1e9 for d in post if d != "now" and d in pre}
    return wall, cpu


def parse_netperf(line):
    """'netperf TEST thr,units,lcpu,rcpu,lsd,rsd[,remote_bytes_recvd,elapsed_s]' -> dict.

    For UDP_STREAM the figure is what the receiver got (bytes received over the
    elapsed time), not what the sender pushed into its socket."""
    w = line.split(None, 2)
    if len(w) < 3 or w[0] != "netperf":
        raise ValueError("not a netperf line: %r" % line)
    f = w[2].split(",")
    if len(f) < 6:
        raise ValueError("short netperf line: %r" % line)
    num = [float(x) if x.strip() not in ("", "nan") else None for x in (f[0], f[2], f[3], f[4], f[5])]
    n = {"test": w[1], "thr": num[0], "units": f[1], "cpu_local": num[1],
         "cpu_remote": num[2], "sd_local": num[3], "sd_remote": num[4]}
    if w[1] == "UDP_STREAM" and len(f) >= 8 and float(f[7]) > 0:
        n["thr"] = float(f[6]) * 8 / float(f[7]) / 1e6
    return n


def parse_fio(line):
    """'fio read_kbs=.. read_iops=.. write_kbs=.. write_iops=.. usr=..% sys=..%' -> dict."""
    w = line.split()
    if not w or w[0] != "fio":
        raise ValueError("not a fio line: %r" % line)
    return {k: float(v.rstrip("%")) for k, v in (x.split("=", 1) for x in w[1:])}


def median_spread(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    med = statistics.median(vals)
    spread = (max(vals) - min(vals)) / med if med else 0.0
    return round(med, 3), round(spread, 3)


def load_figures(outdir):
    """{(kind,row,regime,test): [(wall, cpu, last_line), ...]} from out/bench."""
    figs = {}
    bdir = os.path.join(outdir, "bench")
    for name in sorted(os.listdir(bdir)):
        if not name.endswith(".out"):
            continue
        base = name[:-4]
        kind, row, regime, test, rep = base.split(".")
        with open(os.path.join(bdir, name)) as f:
            lines = [x for x in f.read().splitlines() if x.strip()]
        if not lines:
            continue
        wall, cpu = xen_cpu(read_ddstat(os.path.join(bdir, base + ".pre")),
                            read_ddstat(os.path.join(bdir, base + ".post")))
        figs.setdefault((kind, row, regime, test), []).append((wall, cpu, lines[-1]))
    return figs


def read_meta(outdir):
    meta = {}
    try:
        with open(os.path.join(outdir, "cap.txt")) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                meta[k] = v
    except OSError:
        pass
    return meta


def _put(row, key, values):
    med, spread = median_spread(values)
    row[key] = med
    row.setdefault("runs", {})[key] = [None if v is None else round(v, 3) for v in values]
    row.setdefault("spread", {})[key] = spread


def net_row(runs, runtime):
    row = {}
    vals = {k: [] for k in ("mbps", "tps", "cpu_local", "cpu_remote", "sd_local_us_per_kb",
                            "cpu_dd", "cpu_client", "sd_system_us_per_kb", "sd_system_us_per_tran")}
    for wall, cpu, line in runs:
        n = parse_netperf(line)
        rr = n["test"].endswith("_RR")
        sys_s = cpu.get("dd", 0.0) + cpu.get("client", 0.0)
        vals["mbps"].append(None if rr else n["thr"])
        vals["tps"].append(n["thr"] if rr else None)
        vals["cpu_local"].append(n["cpu_local"])
        vals["cpu_remote"].append(n["cpu_remote"])
        vals["sd_local_us_per_kb"].append(None if rr else n["sd_local"])
        vals["cpu_dd"].append(100.0 * cpu.get("dd", 0.0) / wall)
        vals["cpu_client"].append(100.0 * cpu["client"] / wall if "client" in cpu else None)
        kb = (n["thr"] or 0) * 1e6 / 8 / 1024 * runtime if not rr else 0
        vals["sd_system_us_per_kb"].append(sys_s * 1e6 / kb if kb else None)
        trans = (n["thr"] or 0) * runtime if rr else 0
        vals["sd_system_us_per_tran"].append(sys_s * 1e6 / trans if trans else None)
    for k, v in vals.items():
        _put(row, k, v)
    return row


def blk_row(tests, runtime):
    row, cpu_by_test = {}, {}
    for test, runs in sorted(tests.items()):
        field = BLK_FIELDS[test]
        figure, dd, cl, guest, per_io = [], [], [], [], []
        for wall, cpu, line in runs:
            f = parse_fio(line)
            if test == "randread":
                figure.append(f["read_iops"])
            elif test == "seqread":
                figure.append(f["read_kbs"] * 1024 / 1e6)
            else:
                figure.append(f["write_kbs"] * 1024 / 1e6)
            dd.append(100.0 * cpu.get("dd", 0.0) / wall)
            cl.append(100.0 * cpu["client"] / wall if "client" in cpu else None)
            guest.append(f.get("usr", 0.0) + f.get("sys", 0.0))
            if test == "randread" and f["read_iops"]:
                sys_s = cpu.get("dd", 0.0) + cpu.get("client", 0.0)
                per_io.append(sys_s * 1e6 / (f["read_iops"] * runtime))
        _put(row, field, figure)
        cpu_by_test[test] = {"cpu_dd": median_spread(dd)[0], "cpu_client": median_spread(cl)[0],
                             "cpu_guest_fio": median_spread(guest)[0]}
        if test == "randread":
            _put(row, "cpu_dd", dd)
            _put(row, "cpu_client", cl)
            _put(row, "cpu_us_per_io_4k", per_io)
    row["cpu_by_test"] = cpu_by_test
    return row


def ratios(rows, ref, keys):
    """Each row's figures divided by the reference row's."""
    out = {}
    base = rows.get(ref)
    if not base:
        return out
    for name, row in rows.items():
        if name == ref:
            continue
        out["%s/%s" % (name, ref)] = {k: round(row[k] / base[k], 3)
                                      for k in keys if row.get(k) and base.get(k)}
    return out


def build(kind, outdir):
    meta = read_meta(outdir)
    runtime = int(meta.get("runtime", "10"))
    figs = load_figures(outdir)
    doc = {"kind": kind, "units": {}, "cap": {}, "meta": meta}
    if kind == "net":
        doc["units"] = {"mbps": "10^6 bit/s", "tps": "transactions/s",
                        "cpu_*": "percent of one CPU", "sd_*": "CPU microseconds"}
        doc["cap"] = {"capped": {"wire": meta.get("net")}}
    else:
        doc["units"] = {"mbps_*": "MB/s (10^6 bytes)", "iops_4k_randread": "IO/s",
                        "cpu_*": "percent of one CPU (Xen)", "cpu_us_per_io_4k": "CPU microseconds"}
        doc["cap"] = {"capped": {"nvme_bps": meta.get("blk_bps"), "nvme_iops": meta.get("blk_iops")}}
    regimes = sorted({k[2] for k in figs if k[0] == kind})
    if not regimes:
        raise ValueError("no %s figures in %s" % (kind, outdir))
    for regime in regimes:
        rows = {}
        order = {"native": 0, "upstream": 1, "ddstack": 2, "upstream-dd": 3, "ddstack-dd": 4,
                 "upfront-ddback": 5, "ddfront-upback": 6}
        for row in sorted({k[1] for k in figs if k[0] == kind and k[2] == regime},
                          key=lambda r: (order.get(r, 9), r)):
            tests = {k[3]: v for k, v in figs.items() if k[:3] == (kind, row, regime)}
            if kind == "net":
                rows[row] = {t: net_row(tests[t], runtime) for t in NET_TESTS if t in tests}
            else:
                rows[row] = blk_row(tests, runtime)
        doc[regime] = rows
        if kind == "blk":
            keys = ["iops_4k_randread", "mbps_seq_read", "mbps_seq_write", "cpu_us_per_io_4k"]
            r = ratios(rows, "native", keys)
            # every split path against upstream's (the interop rows tell
            # which half of ddstack costs what)
            r.update(ratios({n: v for n, v in rows.items() if n != "native"}, "upstream", keys))
            doc.setdefault("ratios", {})[regime] = r
        else:
            r = {}
            keys = ["mbps", "tps", "sd_system_us_per_kb", "sd_system_us_per_tran"]
            for t in NET_TESTS:
                sub = {n: v[t] for n, v in rows.items() if t in v}
                # every row against native; ddstack also against upstream on
                # the same path (to the peer, and to the driver domain itself)
                pairs = ratios({n: v for n, v in sub.items() if not n.endswith("-dd")},
                               "native", keys)
                for a, b in (("ddstack", "upstream"), ("ddstack-dd", "upstream-dd")):
                    if a in sub and b in sub:
                        pairs.update(ratios({a: sub[a], b: sub[b]}, b, keys))
                for pair, vals in pairs.items():
                    r.setdefault(pair, {})[t] = vals
            doc.setdefault("ratios", {})[regime] = r
    return doc


def parse_dma(line):
    """One 'dma mode=... key=value ...' line of the driver domain's workload."""
    f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    return {k: (f[k] if k == "mode" else float(f[k])) for k in f}


def build_dma(outdir):
    """dma.json: the driver domain's NVMe and NIC under the pool and under
    swiotlb-xen, each the median of the repetitions in one run."""
    bench = os.path.join(outdir, "bench")
    runs = {"pool": [], "swiotlb": []}
    for name in sorted(os.listdir(bench)) if os.path.isdir(bench) else []:
        m = re.match(r"dma-(pool|swiotlb)-(\d+)\.out$", name)
        if not m:
            continue
        with open(os.path.join(bench, name)) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("dma ")]
        if lines:
            runs[m.group(1)].append(parse_dma(lines[-1]))
    if not runs["pool"] or not runs["swiotlb"]:
        raise ValueError("no dma figures for both modes in %s" % outdir)
    doc = {"kind": "dma", "meta": read_meta(outdir),
           "units": {"mbps_nvme": "MB/s (10^6 bytes), 64 MiB written and read back with 1 MiB O_DIRECT",
                     "mbps_nic": "MB/s, mean of TCP_STREAM and TCP_MAERTS with 9000-byte frames",
                     "cpu": "percent of the driver domain's CPU, mean of the NVMe and NIC parts",
                     "direct": "DMA mappings used in place (-1: swiotlb-xen does not count them)",
                     "bounced": "DMA mappings copied through bounce buffers",
                     "bounced_above_mask": "of those, buffers above the device's DMA mask (pool only)",
                     "bounced_scattered": "of those, buffers on pages that are not machine-contiguous (pool only)"}}
    for mode, rs in runs.items():
        row = {}
        for key, src in (("mbps_nvme", "nvme_mbps"), ("mbps_nic", "nic_mbps"),
                         ("direct", "direct"), ("bounced", "bounced"),
                         ("bounced_bytes", "bounced_bytes")):
            _put(row, key, [r[src] for r in rs])
        for key in ("above_mask", "scattered"):
            if all(key in r for r in rs):
                _put(row, "bounced_" + key, [r[key] for r in rs])
        _put(row, "cpu", [(r["nvme_cpu"] + r["nic_cpu"]) / 2 for r in rs])
        _put(row, "cpu_nvme", [r["nvme_cpu"] for r in rs])
        _put(row, "cpu_nic", [r["nic_cpu"] for r in rs])
        doc[mode] = row
    doc["ratios"] = {"pool/swiotlb": {k: (doc["pool"][k] / doc["swiotlb"][k]
                                         if doc["swiotlb"][k] else None)
                                     for k in ("mbps_nvme", "mbps_nic", "cpu")}}
    return doc


def _text_table(path, head, keys, line):
    """A bench file as text: head, then line(key, doc[key]) for each key."""
    with open(path) as f:
        doc = json.load(f)
    return doc, [head] + [line(k, doc[k]) for k in keys]


def dma_table(path):
    """The pool against swiotlb-xen, as text."""
    _, out = _text_table(
        path, "%-8s %10s %10s %7s %10s %10s" % ("dma", "nvme MB/s", "nic MB/s", "cpu %",
                                               "direct", "bounced"),
        ("swiotlb", "pool"),
        lambda mode, r: "%-8s %10.1f %10.1f %7.1f %10d %10d" % (
            mode, r["mbps_nvme"], r["mbps_nic"], r["cpu"], r["direct"], r["bounced"]))
    return "\n".join(out)


# ---- recovery.json: the driver domain destroyed under ddstack's and upstream's frontends ----

RECOVERY_COUNTS = ("lost_writes", "app_errors", "acked", "hung", "recovered")


def build_recovery(outdir):
    """recovery.json from out/recovery.txt, which dom0's dd_restart writes:
    "boot NAME S", "image_kb K", "phase read|write" (what fio was
    doing at each destroy), and "SIDE KEY VALUE" with SIDE ddstack or
    upstream, KEY recovery (seconds from the destroy to the disk connected
    again, once per disruption), vif_recovery (the same for the NIC),
    supervisor (ddctl supervise's whole recovery), or one of
    RECOVERY_COUNTS."""
    sides = {}
    boot = {}
    phases = {}
    image_kb = None
    with open(os.path.join(outdir, "recovery.txt")) as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0] == "image_kb":
                image_kb = int(w[1])
            elif len(w) == 2 and w[0] == "phase":
                phases[w[1]] = phases.get(w[1], 0) + 1
            elif len(w) == 3 and w[0] == "boot":
                boot[w[1] + "_s"] = float(w[2])
            elif len(w) == 3 and w[0] in ("ddstack", "upstream"):
                r = sides.setdefault(w[0], {"recoveries": [], "supervisor_s": []})
                if w[1] == "recovery":
                    r["recoveries"].append(float(w[2]))
                elif w[1] == "supervisor":
                    r["supervisor_s"].append(float(w[2]))
                elif w[1] == "vif_recovery":
                    r.setdefault("vif_recoveries", []).append(float(w[2]))
                elif w[1] in RECOVERY_COUNTS:
                    r[w[1]] = int(w[2])
    for side in ("ddstack", "upstream"):
        if side not in sides:
            raise ValueError("recovery.txt has nothing of %s" % side)
        r = sides[side]
        r["median_s"] = statistics.median(r["recoveries"]) if r["recoveries"] else None
        for k in ("lost_writes", "app_errors"):
            r.setdefault(k, None)
    sides["ddstack"]["disruptions"] = len(sides["ddstack"]["supervisor_s"])
    sides["ddstack"]["destroyed_in_phase"] = phases
    # the upstream disk goes through the first disruption only: it never comes back
    sides["upstream"]["disruptions"] = 1
    return {"ddstack": sides["ddstack"], "upstream": sides["upstream"],
            "dd_boot": boot, "dd_image_kb": image_kb}


def recovery_table(path):
    """recovery.json as text."""
    def line(side, r):
        med = "-" if r["median_s"] is None else "%.1f" % r["median_s"]
        return "%-9s %11d %9s %11s %10s %6s" % (side, r["disruptions"], med, r["lost_writes"],
                                              r["app_errors"], r.get("hung", 0))
    doc, out = _text_table(
        path, "%-9s %11s %9s %11s %10s %6s" % ("frontend", "disruptions", "median s",
                                              "lost writes", "app errors", "hung"),
        ("ddstack", "upstream"), line)
    out.append("driver domain boot (xl create to ready): %s; minimal image %s KiB" % (
        ", ".join("%s %.1f s" % (k[:-2], v) for k, v in sorted(doc["dd_boot"].items())),
        doc["dd_image_kb"]))
    return "\n".join(out)


def write_bench(kind, outdir, benchdir, demo=False):
    if kind == "dma":
        doc = build_dma(outdir)
    elif kind == "recovery":
        doc = build_recovery(outdir)
    else:
        doc = build(kind, outdir)
    os.makedirs(benchdir, exist_ok=True)
    path = os.path.join(benchdir, ("demo-%s.json" if demo else "%s.json") % kind)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return path


def fmt(v, w=9):
    return ("%*.1f" % (w, v)) if isinstance(v, (int, float)) else "%*s" % (w, "-")


def table(path):
    """A plain-text table of one bench JSON file."""
    with open(path) as f:
        doc = json.load(f)
    lines = ["%s (%s)" % (os.path.basename(path), "median of %s runs of %s s" %
                          (doc["meta"].get("reps", "?"), doc["meta"].get("runtime", "?")))]
    for regime in ("open", "capped"):
        if regime not in doc:
            continue
        lines.append("[%s]" % regime)
        if doc["kind"] == "net":
            lines.append("%-10s %-11s %9s %9s %9s %9s %9s %9s %9s" % (
                "row", "test", "Mbit/s", "trans/s", "cpu_loc%", "cpu_rem%", "cpu_dd%",
                "cpu_cli%", "us/KB sys"))
            for row, tests in doc[regime].items():
                for t, v in tests.items():
                    lines.append("%-10s %-11s %s %s %s %s %s %s %s" % (
                        row, t, fmt(v["mbps"]), fmt(v["tps"]), fmt(v["cpu_local"]),
                        fmt(v["cpu_remote"]), fmt(v["cpu_dd"]), fmt(v["cpu_client"]),
                        fmt(v["sd_system_us_per_kb"])))
        else:
            lines.append("%-10s %9s %9s %9s %9s %9s %9s" % (
                "row", "4k IOPS", "rd MB/s", "wr MB/s", "cpu_dd%", "cpu_cli%", "us/IO"))
            for row, v in doc[regime].items():
                lines.append("%-10s %s %s %s %s %s %s" % (
                    row, fmt(v.get("iops_4k_randread")), fmt(v.get("mbps_seq_read")),
                    fmt(v.get("mbps_seq_write")), fmt(v.get("cpu_dd")), fmt(v.get("cpu_client")),
                    fmt(v.get("cpu_us_per_io_4k"))))
    return "\n".join(lines)


def _chart_values(doc, regime, row, key):
    """(value, native value) of one chart bar: key is "figure" or "TEST:figure"."""
    if doc["kind"] == "blk":
        return doc[regime].get(row, {}).get(key), doc[regime]["native"].get(key)
    test, fig = key.split(":")
    return (doc[regime].get(row, {}).get(test, {}).get(fig),
            doc[regime].get("native", {}).get(test, {}).get(fig))


def svg_chart(path, out):
    """A bar chart (SVG) of blk.json or net.json: each figure of each row relative to native."""
    with open(path) as f:
        doc = json.load(f)
    if doc["kind"] == "blk":
        keys = [("iops_4k_randread", "4k rand IOPS"), ("mbps_seq_read", "seq read MB/s"),
                ("mbps_seq_write", "seq write MB/s"), ("cpu_us_per_io_4k", "CPU us per 4k IO")]
        lower = "CPU per IO"
    else:
        keys = [("TCP_STREAM:mbps", "TCP_STREAM Mbit/s"),
                ("TCP_STREAM:sd_system_us_per_kb", "TCP_STREAM CPU us/KB"),
                ("TCP_MAERTS:mbps", "TCP_MAERTS Mbit/s"),
                ("TCP_MAERTS:sd_system_us_per_kb", "TCP_MAERTS CPU us/KB"),
                ("TCP_RR:tps", "TCP_RR trans/s"),
                ("TCP_RR:sd_system_us_per_tran", "TCP_RR CPU us/trans")]
        keys = [k for k in keys if any(_chart_values(doc, r, "native", k[0])[0]
                                       for r in ("open", "capped") if r in doc)]
        lower = "CPU per KB or transaction"
    colors = {"native": "#777777", "upstream": "#4a7ab5", "ddstack": "#d9822b"}
    regimes = [r for r in ("open", "capped") if r in doc]
    bw, gap, h = 18, 30, 220
    width = 60 + len(regimes) * len(keys) * (3 * bw + gap) + 40
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="sans-serif" font-size="11">' % (width, h + 90),
             '<text x="10" y="16" font-size="13">%s: each figure relative to native '
             '(1.0 = native; %s: lower is better)</text>' % (os.path.basename(path), lower)]
    vals = [_chart_values(doc, r, row, k) for r in regimes for row in doc[r] for k, _ in keys]
    top = max([1.0] + [v / n for v, n in vals if v and n])
    x = 60
    base = 30 + h
    parts.append('<line x1="50" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (base, width - 20, base))
    y1 = base - h / top
    parts.append('<line x1="50" y1="%.1f" x2="%d" y2="%.1f" stroke="#bbb" stroke-dasharray="4"/>'
                 % (y1, width - 20, y1))
    parts.append('<text x="20" y="%.1f">1.0</text>' % (y1 + 4))
    for r in regimes:
        for k, label in keys:
            for i, row in enumerate(("native", "upstream", "ddstack")):
                v, n = _chart_values(doc, r, row, k)
                if v is None or not n:
                    continue
                bh = h * (v / n) / top
                parts.append('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s">'
                             '<title>%s %s %s: %.1f</title></rect>'
                             % (x + i * bw, base - bh, bw - 2, bh, colors[row], r, row, label, v))
            parts.append('<text x="%d" y="%d" transform="rotate(30 %d %d)">%s %s</text>'
                         % (x, base + 14, x, base + 14, r, label))
            x += 3 * bw + gap
    for i, (row, c) in enumerate(colors.items()):
        parts.append('<rect x="%d" y="24" width="10" height="10" fill="%s"/>'
                     '<text x="%d" y="33">%s</text>' % (width - 260 + i * 80, c, width - 246 + i * 80, row))
    parts.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")


def markdown(path):
    """Markdown tables of one bench JSON file, with ratios to native, for docs/."""
    with open(path) as f:
        doc = json.load(f)
    out = []

    def cell(v, nd=1):
        return "-" if v is None else ("%.*f" % (nd, v))

    for regime in ("open", "capped"):
        if regime not in doc:
            continue
        out.append("**%s**%s\n" % (regime, "" if regime == "open" else
                                    " (cap: %s)" % json.dumps(doc["cap"].get("capped"))))
        if doc["kind"] == "blk":
            out.append("| row | 4k rand read IOPS | seq read MB/s | seq write MB/s | cpu dd % "
                       "| cpu client % | CPU us per 4k IO | vs native: IOPS, read, write, CPU/IO |")
            out.append("|---|---|---|---|---|---|---|---|")
            nat = doc[regime].get("native", {})
            for row, v in doc[regime].items():
                rat = ", ".join(cell(v.get(k) / nat[k], 2) if v.get(k) and nat.get(k) else "-"
                                for k in ("iops_4k_randread", "mbps_seq_read", "mbps_seq_write",
                                          "cpu_us_per_io_4k"))
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    row, cell(v.get("iops_4k_randread"), 0), cell(v.get("mbps_seq_read")),
                    cell(v.get("mbps_seq_write")), cell(v.get("cpu_dd")), cell(v.get("cpu_client")),
                    cell(v.get("cpu_us_per_io_4k"), 0), rat))
        else:
            out.append("| row | test | Mbit/s | trans/s | cpu local % | cpu remote % | cpu dd % "
                       "| cpu client % | system us/KB | vs native: rate, us/KB |")
            out.append("|---|---|---|---|---|---|---|---|---|---|")
            nat = doc[regime].get("native", {})
            for row, tests in doc[regime].items():
                for t, v in tests.items():
                    n = nat.get(t, {})
                    rate = v["tps"] if t.endswith("_RR") else v["mbps"]
                    nrate = n.get("tps") if t.endswith("_RR") else n.get("mbps")
                    sd = v["sd_system_us_per_tran"] if t.endswith("_RR") else v["sd_system_us_per_kb"]
                    nsd = n.get("sd_system_us_per_tran") if t.endswith("_RR") else n.get("sd_system_us_per_kb")
                    out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s, %s |" % (
                        row, t, cell(v["mbps"]), cell(v["tps"]), cell(v["cpu_local"]),
                        cell(v["cpu_remote"]), cell(v["cpu_dd"]), cell(v["cpu_client"]),
                        cell(sd), cell(rate / nrate, 2) if rate and nrate else "-",
                        cell(sd / nsd, 2) if sd and nsd else "-"))
        out.append("")
    return "\n".join(out)


# ---- hostile.json: the hostile frontends against ddstack's and upstream's backends ----

CLASS_LINE = re.compile(r"^class (\S+): (.*)$")
COUNT = re.compile(r"([a-z-]+) (\d+)")


def parse_hostile(path):
    """One out/hostile-runs/BACKEND-KIND.txt: the tool's class lines, then the
    neighbour, leak and flags lines dom0 appended."""
    classes, extra = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            m = CLASS_LINE.match(line)
            if m:
                name, rest = m.groups()
                counts = {k: int(v) for k, v in COUNT.findall(rest)}
                verdict = re.search(r"verdict (\w+)", rest)
                state = re.search(r"backend (?:state )?([A-Z]\w*|\d+)", rest)
                err = counts.get("error", 0)
                drop = counts.get("dropped", 0)
                c = {
                    "sent": counts.get("sent", 0),
                    "ok": counts.get("ok", 0),
                    # net: "error" counts ERROR and DROPPED answers, "dropped" the latter
                    "errored": err - drop + counts.get("eopnotsupp", 0),
                    "dropped": drop,
                    "no_answer": counts.get("no-answer", 0),
                    "verdict": (verdict.group(1) if verdict else "skipped" if "skipped" in rest
                                else "not-run" if rest.startswith("not run") else "?"),
                    "detail": rest,
                }
                if state:
                    c["backend_state"] = state.group(1)
                classes[name] = c
                continue
            words = line.split()
            if len(words) >= 4 and words[0] == "snap":
                # snap CLASS rc RC crashed C hung H leaked L warned W | SNAPSHOT
                # or snap CLASS rc RC unanswered (the driver domain did not answer)
                head, _, snapshot = line.partition(" | ")
                hw = head.split()
                f = dict(zip(hw[4::2], hw[5::2]))
                extra.setdefault("snaps", {})[hw[1]] = {
                    "rc": int(hw[3]) if hw[3].lstrip("-").isdigit() else -1,
                    "unanswered": hw[4:5] == ["unanswered"],
                    "flags": {k: f.get(k) == "1" for k in ("crashed", "hung", "leaked", "warned")},
                    "dd": snapshot,
                }
            elif len(words) >= 6 and words[0] == "time":
                # time CLASS tool_ms T snap_ms S end_ms E: the class's own run,
                # then the wait for the driver domain's snapshot
                t = dict(zip(words[2::2], words[3::2]))
                extra.setdefault("times", {})[words[1]] = {
                    k: int(t[k]) for k in ("tool_ms", "snap_ms") if t.get(k, "").isdigit()}
            elif words and words[0] in ("neighbour", "leak", "flags"):
                extra[words[0]] = words[1:]
            elif len(words) >= 2 and words[0] == "cpu":
                # cpu SPAN DOMAIN USE...
                try:
                    extra.setdefault("cpu", {})[words[1]] = {
                        d: float(u) for d, u in zip(words[2::2], words[3::2])}
                except ValueError:
                    pass
            elif words and words[0] == "ddlog":
                extra.setdefault("ddlog", []).append(line[len("ddlog "):])
    return classes, extra


def build_hostile(outdir):
    """hostile.json: per kind (blk, net), per class and per backend (ddstack,
    upstream) what was sent, answered with an error, dropped, and the driver
    domain's crashed/hung/leaked/warned flags of that class (each class is
    its own attach and close, measured in the driver domain after it); the
    whole run's own flags and figures under "runs"."""
    doc = {"note": "each class runs alone (its own attach and close), then the driver domain "
                   "measures itself: crashed = BUG/Oops/GPF logged during the class (or the "
                   "domain gone); hung = the class timed out, a lockup was logged, the backend "
                   "stayed Connected after the close, or the driver domain did not answer; "
                   "leaked = event channels above the start, unreclaimable slab up over 1 MiB, "
                   "or ddblkback still holding grants after the close; warned = a WARNING "
                   "logged during the class. runs.*: the whole run (hostile domain gone after "
                   "shutdown, event channels and slab back, the neighbour's rate during the "
                   "attack against undisturbed, the mean of a span before it and one after, and "
                   "each domain's CPU use over each span); "
                   "tool_ms: the class's own run, snap_ms: the wait for the driver domain's "
                   "snapshot after it, dd_cpu_ms: the driver domain's CPU time from the last "
                   "snapshot to this one, snapper_cpu_ms: the snapper's own part of it",
           "blk": {}, "net": {}, "runs": {}}
    for fn in sorted(os.listdir(os.path.join(outdir, "hostile-runs"))):
        m = re.match(r"^(ddstack|upstream)-(blk|net)\.txt$", fn)
        if not m:
            continue
        be, kind = m.groups()
        classes, extra = parse_hostile(os.path.join(outdir, "hostile-runs", fn))
        flags = dict(zip(extra.get("flags", [])[0::2], extra.get("flags", [])[1::2]))
        run = {k: flags.get(k) == "1" for k in ("crashed", "hung", "leaked", "warned")}
        run["dd_kernel_log"] = extra.get("ddlog", [])
        n = extra.get("neighbour", [])
        if len(n) >= 8:
            def num(v):
                try:
                    return float(v)
                except ValueError:
                    return None
            run["neighbour"] = {"undisturbed": num(n[1]), "during": num(n[3]),
                                "ratio": num(n[5]), "unit": n[7], "target": 0.8,
                                "within_target": (num(n[5]) or 0) >= 0.8}
            if len(n) >= 14 and n[8] == "before":
                # the undisturbed reference is the mean of a span before the
                # attack and one after; spread: how far apart, over the mean
                run["neighbour"].update({"undisturbed_before": num(n[9]),
                                         "undisturbed_after": num(n[11]),
                                         "undisturbed_spread": num(n[13])})
        if extra.get("cpu"):
            # each domain's CPU use (1 = one emulated CPU) over each span
            run["cpu_util"] = extra["cpu"]
        lk = extra.get("leak", [])
        if len(lk) >= 8:
            run["leak"] = {"hostile_domain_gone": lk[1] == "1",
                           "evtchn_before": int(lk[3]), "evtchn_after": int(lk[4]),
                           "sunreclaim_kb_before": int(lk[6]), "sunreclaim_kb_after": int(lk[7])}
            if len(lk) >= 11 and lk[8] == "rings":
                run["leak"].update({"ring_pages_before": int(lk[9]),
                                    "ring_pages_after": int(lk[10])})
        run["tool_rc"] = int(flags.get("rc", "-1"))
        doc["runs"]["%s-%s" % (be, kind)] = run
        snaps = extra.get("snaps", {})
        # the driver domain's CPU time and the wall time each class took
        prev = None
        for name in snaps:	# in the order the classes ran
            cur = dict(re.findall(r"\b(cpu_ms|t_ms|self_ms) (\d+)", snaps[name]["dd"]))
            if prev and "cpu_ms" in cur and "cpu_ms" in prev:
                snaps[name]["dd_cpu_ms"] = int(cur["cpu_ms"]) - int(prev["cpu_ms"])
                snaps[name]["ms"] = int(cur["t_ms"]) - int(prev["t_ms"])
                if "self_ms" in cur and "self_ms" in prev:
                    # the snapper's own share of dd_cpu_ms
                    snaps[name]["snapper_cpu_ms"] = int(cur["self_ms"]) - int(prev["self_ms"])
            if cur:
                prev = cur
        for name, c in classes.items():
            if kind == "blk":
                c["dropped"] = c["no_answer"]	# requests the backend never answered
            sn = snaps.get(name)
            if sn is None:
                # not measured (not run, or a whole-run record): unknown
                c.update({k: None for k in ("crashed", "hung", "leaked", "warned")})
            elif sn["unanswered"]:
                c.update({"crashed": run["crashed"], "hung": not run["crashed"],
                          "leaked": None, "warned": None})
            else:
                c.update(sn["flags"])
            c.update(extra.get("times", {}).get(name, {}))
            if sn is not None:
                c["tool_rc"] = sn["rc"]
                c["dd_after"] = sn["dd"]
                for k in ("dd_cpu_ms", "ms", "snapper_cpu_ms"):
                    if k in sn:
                        c[k] = sn[k]
            doc[kind].setdefault(name, {})[be] = c
    return doc


def write_hostile(outdir, benchdir):
    """build/bench/hostile.json from a check run that ran the upstream side too; None if not."""
    d = os.path.join(outdir, "hostile-runs")
    if not os.path.isdir(d) or not any(f.startswith("upstream-") for f in os.listdir(d)):
        return None
    doc = build_hostile(outdir)
    os.makedirs(benchdir, exist_ok=True)
    path = os.path.join(benchdir, "hostile.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return path
