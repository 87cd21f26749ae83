"""Shared by make_readme.py and check_report.py: where the shipped traces and their recipes are,
the metadata each recipe declares in its header comments, and `ptreclaim report --format json`.
"""
import json
import os
import re
import subprocess

TRACES = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TRACES)
RECIPES = os.path.join(TRACES, "recipes")
RUN_TIMES = os.path.join(TRACES, "run-times.tsv")
PTRECLAIM = os.environ.get("PTRECLAIM", os.path.join(ROOT, "build", "ptreclaim"))
FIELDS = ("trace", "program", "allocator", "shows")


def recipes():
    """Recipe scripts in name order: every *.sh in traces/recipes/ except the sourced lib.sh."""
    names = sorted(f for f in os.listdir(RECIPES) if f.endswith(".sh") and f != "lib.sh")
    return [os.path.join(RECIPES, n) for n in names]


def recipe_meta(path):
    """The `# key: value` header lines of a recipe (trace, program, allocator, shows)."""
    meta = {"recipe": "traces/recipes/" + os.path.basename(path)}
    with open(path) as f:
        for line in f:
            m = re.match(r"# (\w+): (.*)", line)
            if m and m.group(1) in FIELDS:
                meta[m.group(1)] = m.group(2).strip()
    if "trace" not in meta:
        raise SystemExit("%s: no '# trace: NAME' header line" % path)
    meta["file"] = os.path.join(TRACES, meta["trace"] + ".ptr")
    return meta


def report(trace_path, extra=()):
    """Run `ptreclaim report --format json` on a trace; return (exit status, parsed JSON or
    None, stderr)."""
    p = subprocess.run([PTRECLAIM, "report", "--format", "json", *extra, trace_path],
                       capture_output=True, text=True, timeout=600)
    data = None
    if p.returncode == 0:
        try:
            data = json.loads(p.stdout)
        except ValueError as e:
            return 1, None, "report output is not JSON: %s" % e
    return p.returncode, data, p.stderr.strip()


def run_times():
    """Recipe wall-clock times written by record-all.sh: {name: seconds}, plus '(total)'."""
    times = {}
    if os.path.exists(RUN_TIMES):
        with open(RUN_TIMES) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 2 and not line.startswith("#"):
                    times[parts[0]] = float(parts[1])
    return times


def find_key(obj, key):
    """First value of `key` anywhere in a JSON object (extra keys the contract allows)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            r = find_key(v, key)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = find_key(v, key)
            if r is not None:
                return r
    return None
