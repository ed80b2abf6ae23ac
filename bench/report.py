#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/report.py - turn bench/run's raw measurements ("FIGURE BACKEND VALUE" lines) into the table (stdout and
# latest.txt), latest.json and latest.png (gnuplot). Medians are quoted, the spread is min-max over rounds;
# every ratio is usernet's median divided by the other's (for "lower is better" figures a ratio below 1 is
# usernet's win).
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import time

BACKENDS = ["usernet", "slirp4netns", "pasta", "rootlesskit", "loopback", "veth", "baseline", "run", "run-bypass"]
PEERS = BACKENDS[1:]
# id: (title, unit, higher is better)
FIGURES = {
    "ns2host_65520": ("namespace -> host TCP, MTU 65520 (iperf3)", "Gbit/s", True),
    "ns2host_1500": ("namespace -> host TCP, MTU 1500 (iperf3)", "Gbit/s", True),
    "host2ns_65520": ("host -> namespace TCP (reverse), MTU 65520", "Gbit/s", True),
    "pub_local": ("published port, local client (iperf3)", "Gbit/s", True),
    "pub_outside": ("published port, outside client (veth, MTU 1500)", "Gbit/s", True),
    "http_c1": ("HTTP through a published port, wrk -t1 -c1", "req/s", True),
    "http_c64": ("HTTP through a published port, wrk -t2 -c64", "req/s", True),
    "connrate": ("new connections through a published port", "conn/s", True),
    "rtt_pub_med": ("1-byte TCP round trip, published port, median", "us", False),
    "rtt_pub_p99": ("1-byte TCP round trip, published port, p99", "us", False),
    "rtt_ns2host_med": ("1-byte TCP round trip, namespace -> host, median", "us", False),
    "rtt_ns2host_p99": ("1-byte TCP round trip, namespace -> host, p99", "us", False),
    "rss_idle": ("helper RSS, idle", "MB", False),
    "rss_1000": ("helper RSS, 1000 open connections", "MB", False),
    "rss_after": ("helper RSS, after they closed", "MB", False),
    "ready_ms": ("start to ready", "ms", False),
    "pss_1": ("PSS of one idle helper alone (its processes summed)", "MB", False),
    "rss_1": ("RSS of one idle helper alone (its processes summed)", "MB", False),
    "pss_N_total": ("PSS of N idle helpers side by side, total", "MB", False),
    "rss_N_total": ("RSS of N idle helpers side by side, total", "MB", False),
    "procs_N": ("processes left running by N idle helpers", "", False),
    "ready_median": ("start to ready over every footprint start, median", "ms", False),
    "ready_p90": ("start to ready over every footprint start, p90", "ms", False),
    "ready_cpu_median": ("CPU time of the helper's processes until ready, median over every footprint start "
                         "(pasta: not measured, it daemonises)", "ms", False),
    "cpu_ns2host": ("helper CPU per GB, namespace -> host", "s/GB", False),
    "cpu_pub_local": ("helper CPU per GB, published port local", "s/GB", False),
}


def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    if v >= 10:
        return "%.2f" % v
    return "%.3g" % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--helpers", type=int, default=0)
    a = ap.parse_args()

    runs = {}
    with open(a.raw) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            try:
                runs.setdefault(parts[0], {}).setdefault(parts[1], []).append(float(parts[2]))
            except ValueError:
                pass

    # Every start of the footprint phase is one sample of the time to ready: its median and p90 (nearest
    # rank) are one value each, not a median over rounds
    samples = runs.pop("ready_fp", {})
    for b, r in samples.items():
        r = sorted(r)
        runs.setdefault("ready_median", {})[b] = [statistics.median(r)]
        runs.setdefault("ready_p90", {})[b] = [r[max(0, math.ceil(0.9 * len(r)) - 1)]]
    for b, r in runs.pop("ready_cpu_fp", {}).items():
        runs.setdefault("ready_cpu_median", {})[b] = [statistics.median(r)]

    global BACKENDS, PEERS
    # only the backends measured (--only): usernet's column stays as the reference of the ratios
    BACKENDS = [b for b in BACKENDS if b == "usernet" or any(b in r for r in runs.values())]
    PEERS = BACKENDS[1:]
    figures = []
    for fid, (title, unit, higher) in FIGURES.items():
        if fid not in runs:
            continue
        vals = {}
        for b in BACKENDS:
            r = runs[fid].get(b)
            if r:
                vals[b] = {"median": statistics.median(r), "min": min(r), "max": max(r), "runs": r}
        ratios = {}
        if "usernet" in vals:
            for p in PEERS:
                if p in vals and vals[p]["median"] > 0:
                    ratios[p] = vals["usernet"]["median"] / vals[p]["median"]
        if fid.startswith("ready_") and fid != "ready_ms":
            for b in vals:
                vals[b]["samples"] = len(samples.get(b, []))
        if "_N" in fid:
            title = title.replace("N ", "%d " % a.helpers)
        figures.append({"id": fid, "title": title, "unit": unit,
                        "better": "higher" if higher else "lower",
                        "values": vals, "ratios": ratios})

    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
    except OSError:
        cpu = []
    meminfo = open("/proc/meminfo").readline().split()
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": {"kernel": platform.release(), "cpu": cpu[0] if cpu else "?", "cores": os.cpu_count(),
                    "memory_gib": round(int(meminfo[1]) / 1048576, 1)},
        "rounds": a.rounds, "seconds_per_run": a.seconds, "quick": bool(a.quick),
        "elapsed_s": a.elapsed, "helpers": a.helpers,
        "figures": figures,
    }
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(doc, f, indent=1)

    # The table: value columns, then usernet / X ratios
    head = ["figure", "unit", "better"] + BACKENDS + ["u/" + p[:5] for p in PEERS]
    rows = []
    for fig in figures:
        row = [fig["id"], fig["unit"], "higher" if fig["better"] == "higher" else "lower"]
        for b in BACKENDS:
            v = fig["values"].get(b)
            if v is None:
                row.append("-")
            elif a.rounds > 1 and v["min"] != v["max"]:
                row.append("%s (%s-%s)" % (fmt(v["median"]), fmt(v["min"]), fmt(v["max"])))
            else:
                row.append(fmt(v["median"]))
        for p in PEERS:
            r = fig["ratios"].get(p)
            row.append("-" if r is None else "%.2f" % r)
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    lines = ["usernet benchmark, %s, %s, %d round(s) of %g s runs, %d cores, kernel %s" %
             (doc["date"], doc["machine"]["cpu"], a.rounds, a.seconds, doc["machine"]["cores"],
              doc["machine"]["kernel"]),
             "values: median (min-max over rounds); u/X: usernet's median / X's median", ""]
    if a.helpers:
        lines[-1:-1] = ["footprint: N = %d idle helpers of each backend side by side; ready_median and "
                        "ready_p90 over every start of that phase" % a.helpers]
    for r in [head] + rows:
        lines.append("  ".join(str(c).ljust(widths[i]) if i < 3 else str(c).rjust(widths[i])
                               for i, c in enumerate(r)).rstrip())
    table = "\n".join(lines) + "\n"
    print(table, end="")
    with open(os.path.join(a.out, "latest.txt"), "w") as f:
        f.write(table)

    plot(doc, a.out)


def plot(doc, out):
    """latest.png: for every figure, each backend's median relative to usernet's (usernet = 1), log scale;
    above 1 means better than usernet whatever the unit's direction (lower-is-better figures are inverted)"""
    if not shutil.which("gnuplot"):
        print("(gnuplot is missing: no plot)")
        return
    dat = os.path.join(out, "latest.dat")
    with open(dat, "w") as f:
        f.write("figure " + " ".join(BACKENDS) + "\n")
        for fig in doc["figures"]:
            u = fig["values"].get("usernet")
            if not u or u["median"] <= 0:
                continue
            cols = []
            for b in BACKENDS:
                v = fig["values"].get(b)
                if not v or v["median"] <= 0:
                    cols.append("NaN")
                    continue
                rel = v["median"] / u["median"]
                if fig["better"] == "lower":
                    rel = 1 / rel
                cols.append("%.4f" % rel)
            f.write(fig["id"] + " " + " ".join(cols) + "\n")
    script = """
set terminal pngcairo size 1400,640 font ",10" noenhanced
set output '%s'
set title "usernet and its peers, relative to usernet (1 = usernet, above 1 = better than usernet), %s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y 2
set yrange [0.0625:32]
set ytics ("1/16" 0.0625, "1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32)
set grid ytics
set xtics rotate by -35 scale 0
set key top left horizontal
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (os.path.join(out, "latest.png"), doc["date"], len(BACKENDS) + 1, dat)
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print("(gnuplot failed: %s)" % r.stderr.strip())


if __name__ == "__main__":
    main()
