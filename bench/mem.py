#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/mem.py - what helpers cost in memory, read from /proc (run as root: other users' smaps)
#
#   mem.py tree PID...     sum over the process trees rooted at each PID (the helper and what it leaves
#                          running: usernet's namespace agent, anything slirp4netns or pasta keeps) of
#                          Pss and Rss from /proc/P/smaps_rollup: prints "PSS_KB RSS_KB PROCESSES"
#   mem.py maps PID...     where each process's memory goes: Pss and Rss (and their anonymous and
#                          private-dirty parts) grouped by mapping (library, binary, [heap], [stack],
#                          anonymous), from /proc/P/smaps, largest first. Pss_Dirty (anonymous and copied-on-write pages) is what stays each
#                          helper's own when many run: file pages are shared by all of them
#
# Processes of the namespace itself (the holder's sleep, servers run in it) are not the helper's and are
# skipped by name. One pass over /proc builds the tree, so this stays fast with hundreds of helpers.
import os
import sys

NOT_HELPER = {"sleep", "iperf3", "ubench", "busybox", "unshare"}


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: split after the last ')'
        comm = s[s.index("(") + 1:s.rindex(")")]
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append((int(d), comm))
    return kids


def tree(roots, kids):
    seen, todo = [], list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo.extend(c for c, comm in kids.get(p, []) if comm not in NOT_HELPER)
    return seen


def rollup(pid):
    """(pss_kb, rss_kb) of one process, or None if it is gone"""
    pss = rss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        return None
    return pss, rss


def cmd_tree(pids):
    kids = children_map()
    pss = rss = n = 0
    for p in tree(pids, kids):
        r = rollup(p)
        if r:
            pss += r[0]
            rss += r[1]
            n += 1
    print(pss, rss, n)


def cmd_maps(pids):
    for pid in pids:
        groups = {}
        name = None
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                first = line.split(None, 1)[0]
                if "-" in first and not first.endswith(":"):
                    parts = line.split()
                    name = parts[5] if len(parts) > 5 else "[anon]"
                    if name.startswith("/"):
                        name = os.path.basename(name)
                    perms = parts[1]
                    g = groups.setdefault(name, {"Pss": 0, "Pss_Dirty": 0, "Rss": 0, "Anonymous": 0, "Private_Dirty": 0,
                                                 "perms": set()})
                    g["perms"].add(perms)
                    continue
                key = first.rstrip(":")
                if key in ("Pss", "Pss_Dirty", "Rss", "Anonymous", "Private_Dirty"):
                    groups[name][key] += int(line.split()[1])
        with open("/proc/%d/cmdline" % pid) as f:
            cmd = f.read().replace("\0", " ").strip()
        total = {k: sum(g[k] for g in groups.values()) for k in ("Pss", "Pss_Dirty", "Rss", "Anonymous", "Private_Dirty")}
        print("pid %d: %s" % (pid, cmd[:100]))
        cols = ("Pss", "Pss_Dirty", "Rss", "Anonymous", "Private_Dirty")
        print("  %-34s %8s %8s %8s %8s %8s" % ("mapping (KB)", "Pss", "PssDirty", "Rss", "Anon", "PrivDirt"))
        for n, g in sorted(groups.items(), key=lambda kv: -kv[1]["Pss"]):
            if g["Rss"] == 0:
                continue
            print("  %-34s %8d %8d %8d %8d %8d" % ((n[:34],) + tuple(g[c] for c in cols)))
        print("  %-34s %8d %8d %8d %8d %8d" % (("total",) + tuple(total[c] for c in cols)))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("tree", "maps"):
        print("usage: mem.py tree PID... | maps PID...", file=sys.stderr)
        return 2
    pids = [int(p) for p in sys.argv[2:]]
    (cmd_tree if sys.argv[1] == "tree" else cmd_maps)(pids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
