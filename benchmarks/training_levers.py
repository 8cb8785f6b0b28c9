"""Training levers measured on validation data only: each change's cost in seconds and the metrics it gives.

Trains the tuned head (a model folder's config.yaml, at the given input size) once per lever on the cached
features, and scores every result on the **seen-class validation split** (`valid`) and on the **held-out
validation classes** (`unseen_valid`); never on a test split, never on the unseen test classes. The raw extractor
features are scored on the same groups, and the base head is also mixed with its raw features after training
(`model.with_raw_features` at several shares, no training cost: `raw_share_after_training`).
The `cpu` profile's fixed fields (configs/hpt.yaml)
are chosen from this table; the share after training by `evaluation.choose_raw_feature_weight`.

    python benchmarks/training_levers.py --config tinymatch/assets/reference_model/config.yaml --image-size 224
    python benchmarks/training_levers.py ... --shard 1/2     # two processes share the levers (results merged)

Writes <--out-dir>/training_levers.json (default benchmarks/results) in the one result schema (tinymatch.records).
"""
from __future__ import annotations
import fcntl, json, sys, time
from pathlib import Path

from tinymatch.records import benchmark_parser, result_record

RESULTS = Path(__file__).resolve().parent / "results"
LEVERS = {   # name -> overrides of the base config
    "base (the tuned head)": {},
    "margin 0.3": {"margin": 0.3},
    "margin 1.0 (the study's)": {"margin": 1.0},
    "4 images per class, batch 256 (the study's)": {"samples_per_class": 4, "batch_size": 256},
    "learning rate 3e-4": {"learning_rate": 3e-4},
    "raw-feature share 0.5, trained with it": {"raw_feature_weight": 0.5},
    "raw-feature share 0.25, trained with it": {"raw_feature_weight": 0.25},
    "smaller head: 128-d, no block": {"embedding_dim": 128, "intermediate_ff_block_units": []},
    "multi-similarity loss": {"loss": "multi_similarity"},
}
POST_HOC_SHARES = (0.25, 0.5, 0.75, 0.9)   # raw-feature shares mixed into the base head after its training


def main(argv=None) -> int:
    p = benchmark_parser(__doc__, RESULTS)
    p.add_argument("--config", required=True, help="experiment YAML of the head to vary (e.g. the HPT's best)")
    p.add_argument("--image-size", type=int, default=None, help="input size of the features (default the config's)")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--only", nargs="*", default=None, help="lever names to (re)measure; default all not yet measured")
    p.add_argument("--shard", default="0/1", help="i/n: this process measures levers i, i+n, ...")
    a = p.parse_args(argv)
    from tinymatch.config import load_experiment_config
    from tinymatch.evaluation import group_metrics, head_embedder, mixed_embedder, choose_raw_feature_weight
    from tinymatch.features import l2_normalize
    from tinymatch.model import load_head
    from tinymatch.train import TrainingData, train, SUMMARY_FILE
    base = load_experiment_config(a.config)
    base = base.replace(experiment_name="levers-base", image_size=a.image_size or base.image_size,
                        epochs=a.epochs, early_stopping_patience=a.patience)
    data = TrainingData(a.home, a.source, progress=False)
    index, features = data.index(base), data.features(base)
    shard, n_shards = map(int, a.shard.split("/"))
    results = Path(a.out_dir) / "training_levers.json"
    done = {r["lever"] for r in _read(results).get("results", [])} if a.only is None and _same_base(base, results) else set()
    names = [n for n in (a.only or LEVERS) if n not in done]
    unknown = [n for n in names if n not in LEVERS]
    if unknown: p.error(f"--only: unknown lever(s) {unknown}; known: {list(LEVERS)}")
    raw_embed = lambda rows: l2_normalize(features[rows])
    for i, name in enumerate(names):
        if i % n_shards != shard: continue
        cfg = base.replace(experiment_name=f"levers-{list(LEVERS).index(name)}", **LEVERS[name])
        t0 = time.time()
        model_dir = train(cfg, data=data, force=True)
        seconds = time.time() - t0
        summary = json.loads((model_dir / SUMMARY_FILE).read_text())
        learned = head_embedder(load_head(model_dir), features)
        rows = [_row(name, LEVERS[name], seconds, summary, group_metrics(learned, index))]
        if not LEVERS[name]:   # the base head: its raw features alone, and mixed in after training
            rows.append(_row("raw extractor features (no head)", {}, 0.0, None, group_metrics(raw_embed, index)))
            rows += [_row(_post_hoc_name(w), {"raw_share_after_training": w}, 0.0, None,
                          group_metrics(mixed_embedder(raw_embed, learned, w), index)) for w in POST_HOC_SHARES]
        for r in rows: print(json.dumps(r), flush=True)
        _merge(results, rows, result_record("training_levers", dict(
            splits={"seen validation": "valid", "unseen validation": "unseen_valid"},
            base_config=base.to_dict(), epochs=a.epochs, patience=a.patience)))
    result = _read(results)
    by_name = {r["lever"]: r for r in result.get("results", [])}
    base_dir = Path(data.home or "") / "models" / "levers-0"
    missing = [w for w in POST_HOC_SHARES if _post_hoc_name(w) not in by_name]
    if shard == 0 and "base (the tuned head)" in by_name and missing and (base_dir / "head.keras").exists():
        learned = head_embedder(load_head(base_dir), features)   # more shares of the measured base head, no training
        _merge(results, [_row(_post_hoc_name(w), {"raw_share_after_training": w}, 0.0, None,
                              group_metrics(mixed_embedder(raw_embed, learned, w), index)) for w in missing], {})
        result = _read(results); by_name = {r["lever"]: r for r in result["results"]}
    if "raw extractor features (no head)" in by_name:
        raw = _groups(by_name["raw extractor features (no head)"])
        candidates = {0.0: _groups(by_name["base (the tuned head)"])}
        for r in result["results"]:
            w = r["overrides"].get("raw_share_after_training")
            if w is not None: candidates[float(w)] = _groups(r)
        choice = {**choose_raw_feature_weight(candidates, raw), "candidates": sorted(candidates)}
        _merge(results, [], {"raw_share_after_training_choice": choice})
    print(f"wrote {results}")
    return 0


def _row(name, overrides, seconds, summary, metrics) -> dict:
    "One lever: change, cost, training summary and every group's metrics flattened (seen/unseen validation)"
    row = dict(lever=name, overrides=overrides, seconds=round(seconds, 1),
               epochs_run=None if summary is None else summary.get("epochs_run"),
               best_epoch=None if summary is None else summary.get("best_epoch"),
               best_val_loss=None if summary is None else summary.get("best_val_loss"))
    for group, m in metrics.items():
        row.update({f"{group} {k}": round(v, 4) for k, v in m.items()})
    return row


def _post_hoc_name(w: float) -> str: return f"base head + raw-feature share {w:g} after training"


def _groups(row) -> dict:
    "Back from a flattened row to {group: {metric: value}}"
    out = {}
    for k, v in row.items():
        for g in ("seen validation", "unseen validation"):
            if k.startswith(g + " "): out.setdefault(g, {})[k[len(g) + 1:]] = v
    return out


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _same_base(base, results: Path) -> bool:
    "Whether the stored results were measured from this base config (else they are all measured again)"
    stored = _read(results).get("base_config")
    return stored is not None and {k: v for k, v in stored.items() if k != "experiment_name"} == \
        {k: v for k, v in base.to_dict().items() if k != "experiment_name"}


def _merge(results: Path, rows: list, fields: dict) -> None:
    "Add or replace `rows` (by lever name) and `fields` in the results file, under a lock (shards run in parallel)"
    from tinymatch.core import write_json
    results.parent.mkdir(parents=True, exist_ok=True)
    with open(results.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = _read(results)
        if "base_config" in fields and result.get("base_config") not in (None, fields["base_config"]): result = {}
        kept = [r for r in result.get("results", []) if r["lever"] not in {x["lever"] for x in rows}]
        order = {n: i for i, n in enumerate(LEVERS)}
        merged = sorted(kept + rows, key=lambda r: (order.get(r["lever"], order.get("base (the tuned head)", 0)), r["lever"]))
        write_json(results, {**result, **fields, "results": merged})


if __name__ == "__main__":
    sys.exit(main())
