#!/usr/bin/python3
"""Parses `ptreclaim inspect --format prometheus` output (stdin) with prometheus_client's own
text-format parser (Debian package python3-prometheus-client), checks that every family has
HELP text and TYPE gauge, and prints {metric: {pid or "": value}} as JSON for the tests.
Exits 1 with a message on any parse error or a family without HELP/TYPE."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
families = {}
try:
    for fam in text_string_to_metric_families(text):
        if fam.type != "gauge":
            sys.exit(f"{fam.name}: TYPE {fam.type}, expected gauge")
        if not fam.documentation:
            sys.exit(f"{fam.name}: no HELP text")
        values = families.setdefault(fam.name, {})
        for s in fam.samples:
            values[s.labels.get("pid", "")] = s.value
except ValueError as e:
    sys.exit(f"parse error: {e}")
# Every family in the text must have declared HELP and TYPE lines before its samples.
for line in text.splitlines():
    if line and not line.startswith("#"):
        name = line.split("{")[0].split(" ")[0]
        if f"# TYPE {name} gauge" not in text or f"# HELP {name} " not in text:
            sys.exit(f"{name}: samples without HELP and TYPE lines")
json.dump(families, sys.stdout)
