#!/usr/bin/env python3
"""Checks one shipped trace through `ptreclaim report --format json` (called by check.sh).
Prints one `ok - ...` or `not ok - ...` line per check; exit status = number of failures.

1. the trace replays without error, complete (not truncated, nothing dropped);
2. validation: the model under the recording kernel's policy stays within
   max(1% of observed VmPTE, 64 KiB) of the kernel's VmPTE at every snapshot (per snapshot when
   the report lists them, otherwise max_abs_error_bytes against 1% of the observed peak);
3. ideal <= refcount <= pt-reclaim <= none for final, peak and mean bytes, with the default
   --lazyfree keep and with --lazyfree discard.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in traces/ (the tree is committed)
import tracelib as tl  # noqa: E402

FLOOR = 64 * 1024
ORDER = ("ideal", "refcount", "pt-reclaim", "none")

results = []


def check(ok, what):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + what)


def per_snapshot_samples(val):
    """Per-snapshot (observed, error) pairs if the report lists them (an allowed extra key)."""
    for v in val.values():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            obs = next((k for k in v[0] if "observed" in k), None)
            err = next((k for k in v[0] if "error" in k), None)
            if obs and err:
                return [(s[obs], s[err]) for s in v]
    return None


def main(path):
    name = path.rsplit("/", 1)[-1]
    rc, r, err = tl.report(path)
    check(r is not None, "%s: replays (report status %d%s)" % (name, rc, ": " + err if err and r is None else ""))
    if r is None:
        return
    t = r["trace"]
    check(not t.get("truncated") and not t.get("dropped_events"),
          "%s: complete (truncated=%s, dropped_events=%s)" % (name, t.get("truncated"), t.get("dropped_events")))

    val, obs = r.get("validation"), r.get("observed")
    if not val or not obs:
        check(False, "%s: validation present (observed=%s, validation=%s)" % (name, bool(obs), bool(val)))
    else:
        samples = per_snapshot_samples(val)
        if samples:
            bad = [(o, e) for o, e in samples if abs(e) > max(0.01 * o, FLOOR)]
            check(not bad, "%s: validation error within max(1%%, 64 KiB) at all %d snapshots%s" % (
                name, len(samples), "" if not bad else "; %d outside, worst %d bytes at observed %d" % (
                    len(bad), max(abs(e) for _, e in bad), max(bad, key=lambda s: abs(s[1]))[0])))
        else:
            bound = max(0.01 * obs["vmpte_peak_bytes"], FLOOR)
            check(val["max_abs_error_bytes"] <= bound,
                  "%s: max validation error %d bytes <= bound %d (max(1%% of observed peak %d, 64 KiB)) over %d snapshots"
                  % (name, val["max_abs_error_bytes"], bound, obs["vmpte_peak_bytes"], val["samples"]))

    check_order(name, "", r["policies"])
    # The same with --lazyfree discard (refcount frees tables emptied by vmscan's lazyfree
    # discard): the order must hold under memory pressure too.
    rc, rd, err = tl.report(path, ["--lazyfree", "discard"])
    check(rd is not None, "%s: replays with --lazyfree discard (status %d)" % (name, rc))
    if rd is not None:
        check_order(name, " (lazyfree discard)", rd["policies"])


def check_order(name, label, p):
    for key in ("final_bytes", "peak_bytes", "mean_bytes"):
        vals = [p[pol][key] for pol in ORDER]
        ok = all(a <= b * (1 + 1e-9) + 1e-6 for a, b in zip(vals, vals[1:]))
        check(ok, "%s: %s ideal <= refcount <= pt-reclaim <= none%s (%s)" % (
            name, key, label, " <= ".join("%.0f" % v for v in vals)))


if __name__ == "__main__":
    main(sys.argv[1])
    sys.exit(results.count(False))
