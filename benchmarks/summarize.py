"""Restate the `comparisons` list of every stored benchmark result from its own measurements (nothing re-measured).

Each benchmark script writes `comparisons` (`tinymatch.records.COMPARISONS`) when it runs; this re-derives them for
results written before a script learned to, or after `tinymatch.records.comparison` changed: python benchmarks/summarize.py
The rest of each file is kept as it is (written back with `core.write_json`, not `records.write_result`, which
would stamp this machine into `machine`).
"""
from __future__ import annotations
import sys
from pathlib import Path

from tinymatch.core import write_json
from tinymatch.records import COMPARISONS, read_result, result_comparisons

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    for stem in COMPARISONS:   # results/<stem>.json, and results/<dataset>/<stem>.json of a benchmark run per dataset
        found = [p for p in (RESULTS / f"{stem}.json", *sorted(RESULTS.glob(f"*/{stem}.json"))) if p.exists()]
        if not found: print(f"{RESULTS / f'{stem}.json'}: not measured yet, skipped"); continue
        for results in found:
            data = read_result(stem, results.parent)
            data["comparisons"] = result_comparisons(data)
            write_json(results, data)
            for c in data["comparisons"]: print(f"{stem:>16}: {c['name']}: {c['ratio']}x (goal {c['goal']}, met {c['met']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
