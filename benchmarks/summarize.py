"""Restate the `comparisons` list of every stored benchmark result from its own measurements (nothing re-measured).

Each benchmark script writes `comparisons` when it runs; this re-derives them for results written before a script
learned to, or after `tinymatch.records.comparison` changed: python benchmarks/summarize.py
The rest of each file is kept as it is (written back with `core.write_json`, not `records.write_result`, which
would stamp this machine into `machine`).
"""
from __future__ import annotations
import importlib.util, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tinymatch.core import write_json
from tinymatch.records import read_result

SCRIPTS = {"triplet_loss": "triplet_loss.py", "exact_auc": "exact_auc.py", "pair_scoring": "pair_scoring.py",
           "hpt_trial": "hpt_trial.py", "extraction": "extraction.py", "folder_embedding": "folder_embedding.py",
           "near_duplicates": "near_duplicates.py", "search_latency": "index_scale.py", "dedup_scale": "index_scale.py"}


def load_script(path: Path):
    "Import a benchmark script as a module (its main() is not run)"
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


def main() -> int:
    for stem, script in SCRIPTS.items():
        results = HERE / "results" / f"{stem}.json"
        if not results.exists(): print(f"{results}: not measured yet, skipped"); continue
        data = read_result(stem, results.parent)
        data["comparisons"] = load_script(HERE / script).comparisons(data)
        write_json(results, data)
        for c in data["comparisons"]: print(f"{stem:>16}: {c['name']}: {c['ratio']}x (goal {c['goal']}, met {c['met']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
