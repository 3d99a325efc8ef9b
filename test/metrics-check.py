#!/usr/bin/python3
"""metrics-check.py FILE - read a metrics file with Prometheus's own parser.

The official Python client's parser (Debian's python3-prometheus-client)
reads FILE as node_exporter's textfile collector would; the agent's tests
use it as an independent judge of the text format (escaping, HELP/TYPE,
names).  Prints one JSON object per sample, {"name", "labels", "value",
"type"}, and exits 1 with the reason on stderr when the file does not parse
or breaks a naming rule the agent follows (vgpu_agent_ prefix, HELP on
every family, _total exactly on counters).
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and friends
        print(f"{path}: does not parse: {e!r}", file=sys.stderr)
        return 1
    for line in text.splitlines():  # the parser adds _total by itself
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            if (kind == "counter") != name.endswith("_total"):
                print(f"{path}: {name}: _total is for counters only",
                      file=sys.stderr)
                return 1
    for fam in families:
        if not fam.name.startswith("vgpu_agent_"):
            print(f"{path}: {fam.name}: no vgpu_agent_ prefix", file=sys.stderr)
            return 1
        if fam.type not in ("counter", "gauge"):
            print(f"{path}: {fam.name}: type {fam.type}", file=sys.stderr)
            return 1
        if not fam.documentation:
            print(f"{path}: {fam.name}: no HELP", file=sys.stderr)
            return 1
        for s in fam.samples:
            value = None if math.isnan(s.value) else s.value
            print(json.dumps({"name": s.name, "labels": s.labels,
                              "value": value, "type": fam.type}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
