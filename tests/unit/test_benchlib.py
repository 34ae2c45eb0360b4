#!/usr/bin/env python3
"""Unit tests of the lab's benchmark arithmetic (tests/lab/benchlib.py).

Prints 'PASS name' / 'FAIL name: reason' per case, like every ddstack unit test.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
import benchlib  # noqa: E402

failed = 0


def case(name, fn):
    global failed
    try:
        fn()
        print("PASS benchlib-%s" % name)
    except Exception as e:  # a failed assertion or a crash both fail the case
        failed += 1
        print("FAIL benchlib-%s: %s: %s" % (name, type(e).__name__, e))


def snap(now, **cpu):
    return "now %d\n" % now + "".join("%d %s %d 1\n" % (i, d, v) for i, (d, v) in enumerate(cpu.items()))


def make_run(tmp, figures):
    """figures: {id: (pre, post, out)} -> an out/ folder like dom0 writes."""
    os.makedirs(os.path.join(tmp, "bench"))
    for fid, (pre, post, out) in figures.items():
        for ext, text in (("pre", pre), ("post", post), ("out", out)):
            with open(os.path.join(tmp, "bench", "%s.%s" % (fid, ext)), "w") as f:
                f.write(text)
    with open(os.path.join(tmp, "cap.txt"), "w") as f:
        f.write("net 100mbit\nblk_bps 1000\nblk_iops 10\nreps 3\nruntime 10\n")


def t_xen_cpu():
    wall, cpu = benchlib.xen_cpu({"now": 0, "dd": 1_000_000_000, "client": 0},
                                 {"now": 2_000_000_000, "dd": 2_000_000_000, "client": 500_000_000})
    assert wall == 2.0, wall
    assert cpu == {"dd": 1.0, "client": 0.5}, cpu


def t_median_spread():
    assert benchlib.median_spread([10, 12, 11]) == (11, round(2 / 11, 3))
    assert benchlib.median_spread([None, None]) == (None, None)
    assert benchlib.median_spread([5, None, 7]) == (6, round(2 / 6, 3))


def t_parse_netperf():
    n = benchlib.parse_netperf("netperf TCP_STREAM 512.5,10^6bits/s,90.1,40.2,28.8,12.9")
    assert n["thr"] == 512.5 and n["cpu_local"] == 90.1 and n["sd_local"] == 28.8, n
    u = benchlib.parse_netperf("netperf UDP_STREAM 900,10^6bits/s,90,40,1,1,125000000,2.0")
    assert u["thr"] == 500.0, u   # received, not sent
    for bad in ("", "fio x=1", "netperf TCP_RR 1,2"):
        try:
            benchlib.parse_netperf(bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % bad)


def t_parse_fio():
    f = benchlib.parse_fio("fio read_kbs=1024 read_iops=256 write_kbs=0 write_iops=0 usr=1.5% sys=20%")
    assert f["read_iops"] == 256 and f["usr"] == 1.5 and f["sys"] == 20, f


def t_net_json():
    with tempfile.TemporaryDirectory() as tmp:
        figs = {}
        for rep, thr in enumerate((100.0, 120.0, 110.0), 1):
            figs["net.upstream.open.TCP_STREAM.%d" % rep] = (
                snap(0, dd=0, client=0), snap(10_000_000_000, dd=5_000_000_000, client=5_000_000_000),
                "junk\nnetperf TCP_STREAM %.1f,10^6bits/s,50,20,30,10\n" % thr)
            figs["net.native.open.TCP_STREAM.%d" % rep] = (
                snap(0, dd=0), snap(10_000_000_000, dd=5_000_000_000),
                "netperf TCP_STREAM %.1f,10^6bits/s,50,20,30,10\n" % (thr * 2))
        make_run(tmp, figs)
        doc = benchlib.build("net", tmp)
        up = doc["open"]["upstream"]["TCP_STREAM"]
        assert up["mbps"] == 110.0, up
        assert up["cpu_dd"] == 50.0 and up["cpu_client"] == 50.0, up
        # 10 s of CPU over 110 Mbit/s for 10 s = 134277 KB
        assert abs(up["sd_system_us_per_kb"] - 10e6 / (110e6 / 8 / 1024 * 10)) < 0.01, up
        assert doc["open"]["native"]["TCP_STREAM"]["cpu_client"] is None
        assert doc["ratios"]["open"]["upstream/native"]["TCP_STREAM"]["mbps"] == 0.5
        json.dumps(doc)


def t_net_ddstack_rows_and_chart():
    with tempfile.TemporaryDirectory() as tmp:
        figs = {}
        for row, thr in (("native", 400.0), ("upstream", 100.0), ("ddstack", 150.0),
                         ("upstream-dd", 300.0), ("ddstack-dd", 600.0)):
            figs["net.%s.open.TCP_STREAM.1" % row] = (
                snap(0, dd=0, client=0), snap(10_000_000_000, dd=1_000_000_000, client=1_000_000_000),
                "netperf TCP_STREAM %.1f,10^6bits/s,50,20,30,10\n" % thr)
        make_run(tmp, figs)
        doc = benchlib.build("net", tmp)
        assert list(doc["open"]) == ["native", "upstream", "ddstack", "upstream-dd", "ddstack-dd"]
        r = doc["ratios"]["open"]
        assert r["ddstack/upstream"]["TCP_STREAM"]["mbps"] == 1.5, r
        assert r["ddstack-dd/upstream-dd"]["TCP_STREAM"]["mbps"] == 2.0, r
        assert "upstream-dd/native" not in r, r
        # same CPU, 1.5x the bytes: two thirds of upstream's CPU per KB
        assert r["ddstack/upstream"]["TCP_STREAM"]["sd_system_us_per_kb"] == 0.667, r
        path = os.path.join(tmp, "net.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        benchlib.svg_chart(path, os.path.join(tmp, "net.svg"))
        with open(os.path.join(tmp, "net.svg")) as f:
            svg = f.read()
        assert "<title>open ddstack TCP_STREAM Mbit/s: 150.0</title>" in svg, svg[:400]
        assert "upstream-dd" not in svg


def t_blk_json():
    with tempfile.TemporaryDirectory() as tmp:
        figs = {}
        for rep in (1, 2, 3):
            figs["blk.native.capped.randread.%d" % rep] = (
                snap(0, dd=0), snap(10_000_000_000, dd=2_000_000_000),
                "fio read_kbs=4000 read_iops=1000 write_kbs=0 write_iops=0 usr=1% sys=9%\n")
            figs["blk.native.capped.seqwrite.%d" % rep] = (
                snap(0, dd=0), snap(10_000_000_000, dd=1_000_000_000),
                "fio read_kbs=0 read_iops=0 write_kbs=%d write_iops=10 usr=1%% sys=9%%\n" % (1000 * rep))
        make_run(tmp, figs)
        doc = benchlib.build("blk", tmp)
        row = doc["capped"]["native"]
        assert row["iops_4k_randread"] == 1000, row
        assert row["cpu_dd"] == 20.0, row
        assert row["cpu_us_per_io_4k"] == 200.0, row   # 2 s of CPU / 10000 IOs
        assert row["mbps_seq_write"] == 2.048, row
        assert row["spread"]["mbps_seq_write"] == 1.0, row
        assert doc["cap"]["capped"]["nvme_iops"] == "10"


def t_blk_interop_rows():
    with tempfile.TemporaryDirectory() as tmp:
        figs = {}
        for row, iops in (("native", 800), ("upstream", 700), ("ddstack", 560),
                          ("upfront-ddback", 700), ("ddfront-upback", 560)):
            figs["blk.%s.open.randread.1" % row] = (
                snap(0, dd=0, client=0), snap(10_000_000_000, dd=1_000_000_000, client=1_000_000_000),
                "fio read_kbs=4000 read_iops=%d write_kbs=0 write_iops=0 usr=1%% sys=9%%\n" % iops)
        make_run(tmp, figs)
        doc = benchlib.build("blk", tmp)
        assert list(doc["open"])[-2:] == ["upfront-ddback", "ddfront-upback"], list(doc["open"])
        r = doc["ratios"]["open"]
        assert r["ddstack/upstream"]["iops_4k_randread"] == 0.8, r
        assert r["ddfront-upback/upstream"]["iops_4k_randread"] == 0.8, r
        assert r["upfront-ddback/upstream"]["iops_4k_randread"] == 1.0, r
        assert r["ddstack/native"]["iops_4k_randread"] == 0.7, r


def t_dma_pool_against_swiotlb():
    with tempfile.TemporaryDirectory() as tmp:
        make_run(tmp, {})
        for rep, (sw, pool) in enumerate([(40, 50), (44, 52), (42, 51)], 1):
            for mode, mbps, bounced in (("swiotlb", sw, 120), ("pool", pool, 0)):
                with open(os.path.join(tmp, "bench", "dma-%s-%d.out" % (mode, rep)), "w") as f:
                    f.write("dma mode=%s nvme_mbps=%d nvme_cpu=40.0 nic_mbps=20.5 nic_cpu=60.0 "
                            "direct=%d bounced=%d bounced_bytes=%d map_failures=0\n"
                            % (mode, mbps, -1 if mode == "swiotlb" else 900, bounced, bounced * 4096))
        doc = benchlib.build_dma(tmp)
        assert doc["swiotlb"]["mbps_nvme"] == 42, doc["swiotlb"]
        assert doc["pool"]["mbps_nvme"] == 51, doc["pool"]
        assert doc["pool"]["bounced"] == 0 and doc["swiotlb"]["bounced"] == 120, doc
        assert doc["pool"]["cpu"] == 50.0, doc["pool"]
        assert abs(doc["ratios"]["pool/swiotlb"]["mbps_nvme"] - 51 / 42) < 1e-9, doc["ratios"]
        for key in ("mbps_nvme", "mbps_nic", "cpu", "direct", "bounced"):
            assert key in doc["pool"] and key in doc["swiotlb"], key


def t_dma_one_mode_missing():
    with tempfile.TemporaryDirectory() as tmp:
        make_run(tmp, {})
        with open(os.path.join(tmp, "bench", "dma-pool-1.out"), "w") as f:
            f.write("dma mode=pool nvme_mbps=1 nvme_cpu=1 nic_mbps=1 nic_cpu=1 direct=1 bounced=0 "
                    "bounced_bytes=0 map_failures=0\n")
        try:
            benchlib.build_dma(tmp)
        except ValueError:
            return
        raise AssertionError("a dma file without swiotlb figures")


def t_missing_figures():
    with tempfile.TemporaryDirectory() as tmp:
        make_run(tmp, {})
        try:
            benchlib.build("blk", tmp)
        except ValueError:
            return
        raise AssertionError("an empty run produced a benchmark file")


RECOVERY_TXT = """image_kb 28636
boot debian 38.9
boot minimal 25.0
upstream app_errors 1
upstream hung 1
upstream lost_writes 0
upstream acked 40
upstream recovered 0
phase write
ddstack recovery 39.4
ddstack vif_recovery 41.0
ddstack supervisor 39.5
phase read
ddstack recovery 34.9
ddstack supervisor 34.9
phase write
ddstack recovery 42.0
ddstack supervisor 60.1
ddstack lost_writes 0
ddstack acked 1187
ddstack app_errors 0
"""


def t_recovery_json():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "recovery.txt"), "w") as f:
            f.write(RECOVERY_TXT)
        doc = benchlib.build_recovery(tmp)
        d, u = doc["ddstack"], doc["upstream"]
        assert d["recoveries"] == [39.4, 34.9, 42.0], d
        assert d["median_s"] == 39.4 and d["disruptions"] == 3, d
        assert d["lost_writes"] == 0 and d["app_errors"] == 0 and d["acked"] == 1187, d
        assert d["destroyed_in_phase"] == {"write": 2, "read": 1}, d
        assert d["vif_recoveries"] == [41.0], d
        assert u["recoveries"] == [] and u["median_s"] is None, u
        assert u["app_errors"] == 1 and u["hung"] == 1 and u["disruptions"] == 1, u
        assert doc["dd_boot"] == {"debian_s": 38.9, "minimal_s": 25.0}, doc
        assert doc["dd_image_kb"] == 28636, doc
        path = benchlib.write_bench("recovery", tmp, os.path.join(tmp, "bench"))
        table = benchlib.recovery_table(path)
        assert "upstream" in table and "39.4" in table, table


def t_recovery_without_upstream():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "recovery.txt"), "w") as f:
            f.write("\n".join(l for l in RECOVERY_TXT.splitlines() if not l.startswith("upstream")))
        try:
            benchlib.build_recovery(tmp)
        except ValueError:
            return
        raise AssertionError("a recovery file without the upstream side")


HOSTILE_TXT = """hostile: dom 4 vif 0
snap start rc 0 | 0 evtchn 8 sunreclaim 9500 bug 0 lockup 0 warn 0 cpu_ms 1000 t_ms 5000 self_ms 10 bestate 2
class valid: sent 11, ok 11, error 0, dropped 0, null 0, no-answer 0, backend Connected, verdict PASS
time valid tool_ms 1668 snap_ms 2935 end_ms 1795878209708
snap valid rc 0 crashed 0 hung 0 leaked 0 warned 0 | 1 evtchn 8 sunreclaim 9512 bug 0 lockup 0 warn 0 cpu_ms 1250 t_ms 7000 self_ms 14 bestate 6
class gso-bad-type: sent 33, ok 0, error 2, dropped 1, null 0, no-answer 31, backend Connected, verdict FAIL
snap gso-bad-type rc 1 crashed 0 hung 1 leaked 1 warned 1 | 2 evtchn 9 sunreclaim 9530 bug 0 lockup 0 warn 1 bestate 4
hostile: cut off: the backend answered nothing on a fresh connection and stays Connected
class ring-overflow: not run, the backend cut this frontend off
class bad-flood: sent 3, ok 3, error 0, dropped 0, null 0, no-answer 0, backend Connected, verdict PASS
snap bad-flood rc 124 unanswered
neighbour base 131.63 during 158.76 ratio 1.21 unit Mbit/s before 120.00 after 143.26 spread 0.18
cpu before Domain-0 0.10 dd 0.31 client 0.80
cpu attack Domain-0 0.20 dd 0.52 client 0.70 hostile 0.95
leak gone 1 evtchn 8 8 sunreclaim 9512 9564 rings 4 4
flags crashed 0 hung 0 leaked 0 warned 0 rc 1
"""


def t_hostile_classes():
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "hostile-runs"))
        with open(os.path.join(tmp, "hostile-runs", "upstream-net.txt"), "w") as f:
            f.write(HOSTILE_TXT)
        doc = benchlib.build_hostile(tmp)
        net = doc["net"]
        assert net["valid"]["upstream"]["verdict"] == "PASS", net
        c = net["gso-bad-type"]["upstream"]
        assert (c["sent"], c["errored"], c["dropped"], c["no_answer"]) == (33, 1, 1, 31), c
        assert c["backend_state"] == "Connected", c
        assert (c["crashed"], c["hung"], c["leaked"], c["warned"], c["tool_rc"]) == \
            (False, True, True, True, 1), c
        c = net["valid"]["upstream"]
        assert not (c["crashed"] or c["hung"] or c["leaked"] or c["warned"]), c
        assert (c["dd_cpu_ms"], c["ms"], c["snapper_cpu_ms"]) == (250, 2000, 4), c
        assert (c["tool_ms"], c["snap_ms"]) == (1668, 2935), c
        assert "tool_ms" not in net["gso-bad-type"]["upstream"], net
        assert "start" not in net, net
        c = net["ring-overflow"]["upstream"]
        assert c["verdict"] == "not-run" and "backend_state" not in c, c
        assert c["crashed"] is None and c["leaked"] is None, c
        c = net["bad-flood"]["upstream"]
        assert c["hung"] is True and c["crashed"] is False and c["leaked"] is None, c
        run = doc["runs"]["upstream-net"]
        assert run["neighbour"]["ratio"] == 1.21 and not run["crashed"], run
        assert run["neighbour"]["undisturbed_spread"] == 0.18, run
        assert run["neighbour"]["undisturbed_after"] == 143.26, run
        assert run["cpu_util"]["attack"]["hostile"] == 0.95, run
        assert run["cpu_util"]["before"] == {"Domain-0": 0.1, "dd": 0.31, "client": 0.8}, run
        assert run["leak"]["evtchn_after"] == 8 and run["tool_rc"] == 1, run
        assert run["leak"]["ring_pages_after"] == 4, run


for n, f in sorted(globals().items()):
    if n.startswith("t_") and callable(f):
        case(n[2:].replace("_", "-"), f)
sys.exit(1 if failed else 0)
