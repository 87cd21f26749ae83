#!/usr/bin/env python3
"""check.py OUT RELEASE THP POLICY RESIDENCY: the host-side checks of one guest run (run.sh).

For every workload of workloads.tsv that the guest ran into OUT, and every trace it wrote
(its own and its children's):
  - the program exited as expected;
  - the trace header names the guest's kernel RELEASE and THP mode, the probe's verdict `kernel_policy` is
    POLICY and the residency source is RESIDENCY (pagemap_pread on kernels before 6.7);
  - `ptreclaim report --format json` replays it, complete (or ended by an exec whose image
    wrote the next trace), and validates policy POLICY against
    the kernel's VmPTE within max(1% of observed, 64 KiB) at every snapshot. The report gives the
    largest error and its snapshot: a largest error within 64 KiB holds for every snapshot;
    above 64 KiB it is checked against 1% of that snapshot's VmPTE.
Prints `ok - ...` / `not ok - ...` lines and, last, one `row` line per workload for the summary
table: kernel, workload, traces, snapshots, max validation error. Exit status: failures.
"""
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PTRECLAIM = os.environ.get("PTRECLAIM", os.path.join(ROOT, "build", "ptreclaim"))
FLOOR = 64 * 1024
failures = 0


def check(ok, what):
    global failures
    failures += 0 if ok else 1
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    return ok


def workloads():
    with open(os.path.join(HERE, "workloads.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                yield line.split("\t")[0]


def header(trace):
    """The header pairs `ptreclaim dump` prints first, as `# key: value` lines."""
    pairs = {}
    with subprocess.Popen([PTRECLAIM, "dump", trace], stdout=subprocess.PIPE, text=True) as p:
        for line in p.stdout:
            if not line.startswith("# "):
                break
            key, _, value = line[2:].rstrip("\n").partition(": ")
            pairs[key] = value
        p.kill()
    return pairs


def report(trace):
    p = subprocess.run([PTRECLAIM, "report", "--format", "json", "--no-symbols", trace],
                       capture_output=True, text=True)
    try:
        return json.loads(p.stdout) if p.returncode == 0 else None
    except ValueError:
        return None


def check_trace(label, trace, h, exec_parents, release, thp, policy, residency):
    """Returns (snapshots, max abs error bytes) or None."""
    name = os.path.basename(trace)
    check(h.get("kernel") == release and h.get("thp") == thp,
          "%s %s: recorded on kernel %s, THP %s" % (label, name, h.get("kernel"), h.get("thp")))
    check(h.get("kernel_policy") == policy,
          "%s %s: kernel_policy %s (want %s; probe: %s)" % (label, name, h.get("kernel_policy"), policy, h.get("probe")))
    check(h.get("residency") == residency,
          "%s %s: residency source %s (want %s)" % (label, name, h.get("residency"), residency))
    r = report(trace)
    if not check(r is not None, "%s %s: ptreclaim report --format json replays it" % (label, name)):
        return None
    t = r["trace"]
    by_exec = name in exec_parents  # ends with its EXEC record: no trailer, by design
    check((not t["truncated"] or by_exec) and not t["dropped_events"],
          "%s %s: complete (truncated=%s%s, dropped=%s)" % (
              label, name, t["truncated"], " — ended by exec" if by_exec else "", t["dropped_events"]))
    v = r.get("validation")
    if not check(v is not None and v["policy"] == policy and v["samples"] > 0,
                 "%s %s: validated against VmPTE under %s (%s snapshots)" % (
                     label, name, policy, v and v["samples"])):
        return None
    err = v["max_abs_error_bytes"]
    worst = v.get("worst_sample", {})
    bound = max(FLOOR, worst.get("observed_bytes", 0) // 100)
    check(err <= bound, "%s %s: max validation error %d B <= max(1%%, 64 KiB) = %d B (worst snapshot: VmPTE %s B, model %s B)" % (
        label, name, err, bound, worst.get("observed_bytes"), worst.get("model_bytes")))
    return v["samples"], err


def main(out, release, thp, policy, residency):
    runs = {}
    tsv = os.path.join(out, "guest.tsv")
    if os.path.exists(tsv):
        with open(tsv) as f:
            for line in f:
                name, expect, rc, secs = line.rstrip("\n").split("\t")
                runs[name] = (int(expect), int(rc), int(secs))
    rows = []
    for name in workloads():
        label = "%s %s" % (release, name)
        run = runs.get(name)
        if not check(run is not None and run[0] == run[1], "%s: exit status %s (want %s)%s" % (
                label, run and run[1], run and run[0], "" if run else " — the guest did not run it")):
            if run is None:
                rows.append((release, thp, name, 0, 0, "not run", 0))
                continue
        traces = sorted(glob.glob(os.path.join(out, name + ".ptr*")))
        check(bool(traces), "%s: %d trace(s) written" % (label, len(traces)))
        headers = {t: header(t) for t in traces}
        exec_parents = {os.path.basename(h.get("parent_trace", "")) for h in headers.values()
                        if h.get("origin") == "exec"}
        snaps, worst = 0, 0
        for trace in traces:
            res = check_trace(label, trace, headers[trace], exec_parents, release, thp, policy, residency)
            if res:
                snaps += res[0]
                worst = max(worst, res[1])
        rows.append((release, thp, name, len(traces), snaps, worst, run[2]))
    for r in rows:
        print("row\t%s\t%s\t%s\t%s\t%s\t%s\t%s" % r)
    return failures


if __name__ == "__main__":
    sys.exit(min(main(*sys.argv[1:6]), 125))
