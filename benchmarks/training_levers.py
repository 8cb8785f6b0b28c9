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
import json, sys, time
from pathlib import Path

from tinymatch.evaluation import BASE_LEVER, RAW_LEVER, lever_row, raw_share_choice
from tinymatch.records import benchmark_parser, measured_rows, merge_result_rows, result_record

RESULTS = Path(__file__).resolve().parent / "results"
LEVERS = {   # name -> overrides of the base config
    BASE_LEVER: {},
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
post_hoc_name = lambda w: f"base head + raw-feature share {w:g} after training"
ROW_ORDER = sorted([BASE_LEVER, RAW_LEVER, *map(post_hoc_name, POST_HOC_SHARES)]) + list(LEVERS)[1:]   # as the report lists them


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
    from tinymatch.evaluation import group_metrics, head_embedder, mixed_embedder
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
    done = measured_rows(results, base.to_dict()) if a.only is None else set()
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
        rows = [lever_row(name, LEVERS[name], seconds, summary, group_metrics(learned, index))]
        if not LEVERS[name]:   # the base head: its raw features alone, and mixed in after training
            rows.append(lever_row(RAW_LEVER, {}, 0.0, None, group_metrics(raw_embed, index)))
            rows += [lever_row(post_hoc_name(w), {"raw_share_after_training": w}, 0.0, None,
                               group_metrics(mixed_embedder(raw_embed, learned, w), index)) for w in POST_HOC_SHARES]
        for r in rows: print(json.dumps(r), flush=True)
        merge_result_rows(results, rows, result_record("training_levers", dict(
            splits={"seen validation": "valid", "unseen validation": "unseen_valid"},
            base_config=base.to_dict(), epochs=a.epochs, patience=a.patience)), order=ROW_ORDER)
    result = json.loads(results.read_text()) if results.exists() else {}
    by_name = {r["lever"]: r for r in result.get("results", [])}
    base_dir = Path(data.home or "") / "models" / "levers-0"
    missing = [w for w in POST_HOC_SHARES if post_hoc_name(w) not in by_name]
    if shard == 0 and BASE_LEVER in by_name and missing and (base_dir / "head.keras").exists():
        learned = head_embedder(load_head(base_dir), features)   # more shares of the measured base head, no training
        result = merge_result_rows(results, [lever_row(post_hoc_name(w), {"raw_share_after_training": w}, 0.0, None,
                                                       group_metrics(mixed_embedder(raw_embed, learned, w), index)) for w in missing],
                                   {}, order=ROW_ORDER)
    choice = raw_share_choice(result.get("results", []))
    if choice: merge_result_rows(results, [], {"raw_share_after_training_choice": choice}, order=ROW_ORDER)
    print(f"wrote {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
