"""Levers that could close a dataset's gap, measured on its validation data only: each lever's cost and metrics.

Trains the base config once per lever and scores each result on the seen-class validation split (`valid`) and on
the held-out validation classes or groups (`unseen_valid`): AUC, P@1 and MAP@R over all pairs, and N-way 1-shot
episode accuracy on the unseen validation classes with its 95% interval (`fewshot.few_shot_accuracy`, 20-way and
1,000 seeded episodes by default, each episode's classes from one group when the data has groups, as Koch et al.'s
within-alphabet runs: the headline for Omniglot). The raw extractor features are scored the same way.
The script loads only the train, valid and unseen_valid rows (`evaluation.validation_index`): no test or unseen-test
image is extracted, embedded or scored, and it takes no one-shot runs.

The base: an experiment YAML, or an HPT YAML's fixed fields (with `--head-from-study`, plus its stored study's best
head), then `--set field=value` overrides. The levers, each one change to the base: the study's augmentation layer
(extractor in the loop); a smaller and a larger input size; a smaller and a larger head; the other loss
(multi-similarity, or the semi-hard triplet loss when the base uses multi-similarity); fine-tuning the extractor's
last 1 and 2 blocks (`fine_tune_blocks`, the blocks at `fine_tune_learning_rate`), and the 2 blocks at the head's
learning rate (does their own lower rate matter?). Cost is seconds of training (the feature cache of a new input
size is built before the clock starts).

    python benchmarks/dataset_levers.py --config configs/omniglot/hpt.yaml --head-from-study \\
        --source /work/shared/data/omniglot/images_background_small1.zip
    python benchmarks/dataset_levers.py --quick --allow-load   # a check on a tiny synthetic class-per-folder tree with groups

Writes <--out-dir>/dataset_levers.json (default benchmarks/results/<dataset name>/; --quick: <home>/quick_levers/) in
the one result schema (tinymatch.records), its comparisons from `records.dataset_levers_comparisons`.
"""
from __future__ import annotations
import json, sys, time
from pathlib import Path

import numpy as np
import yaml

from tinymatch.evaluation import BASE_LEVER, RAW_LEVER, lever_row
from tinymatch.records import benchmark_parser, measured_rows, merge_result_rows, result_record, dataset_levers_comparisons

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("auc", "precision_at_1", "map_at_r")
QUICK = dict(experiment_name="levers-quick", image_size=48, embedding_dim=16, intermediate_ff_block_units=[32], dropout=0.1,
             epochs=2, early_stopping_patience=1, batch_size=16, samples_per_class=2, held_out_valid_groups=1, test_fraction=0.2)


def levers(base) -> dict:
    "key -> (row name, overrides of the base): every lever this script measures"
    e, units, size = base.embedding_dim, list(base.intermediate_ff_block_units), base.image_size
    small, large = max(32, round(size * 0.75 / 16) * 16), round(size * 1.5 / 16) * 16
    small_head = {"embedding_dim": max(16, e // 4), "intermediate_ff_block_units": []}
    large_head = {"embedding_dim": 2 * e, "intermediate_ff_block_units": [2 * u for u in units] or [2 * e]}
    other_loss = (("semi-hard triplet loss", {"loss": "fast"}) if base.loss == "multi_similarity" else
                  ("multi-similarity loss", {"loss": "multi_similarity"}))
    return {
        "base": (BASE_LEVER, {}),
        "augmentation": ("the study's augmentation layer (extractor in the loop)", {"image_augmentation": True}),
        "size-small": (f"input size {small} px", {"image_size": small}),
        "size-large": (f"input size {large} px", {"image_size": large}),
        "head-small": (f"smaller head: {small_head['embedding_dim']}-d, no block", small_head),
        "head-large": (f"larger head: {large_head['embedding_dim']}-d, blocks {large_head['intermediate_ff_block_units']}", large_head),
        "loss": other_loss,
        "fine-tune-1": (f"fine-tune the extractor's last block (at {base.fine_tune_learning_rate:g})", {"fine_tune_blocks": 1}),
        "fine-tune-2": (f"fine-tune the extractor's last 2 blocks (at {base.fine_tune_learning_rate:g})", {"fine_tune_blocks": 2}),
        "fine-tune-2-head-rate": (f"fine-tune the last 2 blocks at the head's rate ({base.learning_rate:g})",
                                  {"fine_tune_blocks": 2, "fine_tune_learning_rate": base.learning_rate}),
    }


def base_config(a, home):
    "The config every lever changes: an experiment YAML or an HPT YAML's fixed fields (+ the study's best head), + --set"
    from tinymatch.config import ExperimentConfig, load_experiment_config, load_hpt_config
    from tinymatch.core import TinymatchError
    if a.quick: base = ExperimentConfig(**QUICK)
    else:
        raw = yaml.safe_load(Path(a.config).read_text()) or {}
        is_hpt = "study_name" in raw or any(str(k).endswith("_grid") for k in raw)
        if not is_hpt: base = load_experiment_config(a.config)
        else:
            hpt_cfg = load_hpt_config(a.config)
            base = hpt_cfg.base
            if a.head_from_study:
                import optuna
                from tinymatch.hpt import best_config, open_storage, storage_url
                try: study = optuna.load_study(study_name=hpt_cfg.study_name, storage=open_storage(storage_url(hpt_cfg, home)))
                except KeyError: raise TinymatchError(f"{a.config}: no stored study {hpt_cfg.study_name!r} under {home}; run "
                                                      f"`tinymatch hpt --config {a.config}` first, or drop --head-from-study") from None
                base = best_config(study, hpt_cfg)
    sets = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in a.set)}
    return base.replace(**sets, **({"epochs": a.epochs} if a.epochs else {}),
                        **({"early_stopping_patience": a.patience} if a.patience is not None else {}))


def quick_source(home: Path) -> Path:
    "A tiny class-per-folder tree with groups (3 alphabets of 4 characters, 10 pictures each), written once"
    from tinymatch.synthetic import make_picture_tree
    root = home / "quick_levers" / "pictures"
    if not root.exists(): make_picture_tree(root, n_groups=3, classes_per_group=4, images_per_class=10, seed=0)
    return root


def few_shot(emb, labels, groups, n_way: int, episodes: int) -> dict:
    "N-way 1-shot episode accuracy and its 95% interval, within one group an episode when the data has groups (N capped)"
    import pandas as pd
    from tinymatch.fewshot import few_shot_accuracy
    per_group = pd.Series(labels).groupby(pd.Series(groups)).nunique() if groups is not None else None
    n = min(n_way, int(per_group.min()) if per_group is not None else len(np.unique(labels)))
    r = few_shot_accuracy(emb, labels, n_way=n, k_shot=1, episodes=episodes, seed=0, groups=groups)
    return {"few_shot_accuracy": r.accuracy, "few_shot_lo": r.interval[0], "few_shot_hi": r.interval[1], "few_shot_n_way": n,
            "few_shot_within_group": groups is not None}


def measure(embed, index, n_way: int, episodes: int) -> dict:
    "{group: {metric: value}} on the validation groups, with the unseen validation classes' few-shot accuracy"
    from tinymatch.evaluation import VALIDATION_GROUPS, group_metrics
    cache = {}
    def once(rows):   # each group's rows embedded once (the unseen rows serve the pair metrics and the episodes)
        if rows.tobytes() not in cache: cache[rows.tobytes()] = embed(rows)
        return cache[rows.tobytes()]
    out = group_metrics(once, index, VALIDATION_GROUPS, METRICS)
    rows = np.flatnonzero((index["split"] == "unseen_valid").to_numpy())
    labels = index["class_id"].to_numpy()[rows]
    grouped = "group" in index.columns and index["group"].astype(str).ne("").all()   # e.g. alphabets: episodes within one
    groups = index["group"].astype(str).to_numpy()[rows] if grouped else None
    if len(np.unique(labels)) >= 2: out.setdefault("unseen validation", {}).update(few_shot(once(rows), labels, groups, n_way, episodes))
    return out


def main(argv=None) -> int:
    p = benchmark_parser(__doc__, RESULTS)
    p.set_defaults(out_dir=None)
    p.add_argument("--config", help="experiment or HPT YAML (e.g. configs/omniglot/hpt.yaml)")
    p.add_argument("--head-from-study", action="store_true", help="HPT YAML: take the head of its stored study's best trial")
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="overrides of the base (YAML values)")
    p.add_argument("--epochs", type=int, default=None, help="epoch cap of every lever (default the config's)")
    p.add_argument("--patience", type=int, default=None, help="early-stopping patience (default the config's)")
    p.add_argument("--n-way", type=int, default=20, help="classes per few-shot episode (capped at the unseen validation classes)")
    p.add_argument("--episodes", type=int, default=1000, help="few-shot episodes")
    p.add_argument("--only", nargs="*", default=None, help="lever keys to (re)measure; default all not yet measured")
    p.add_argument("--shard", default="0/1", help="i/n: this process measures levers i, i+n, ...")
    p.add_argument("--quick", action="store_true", help="a tiny synthetic dataset with groups and a tiny head, for a check")
    a = p.parse_args(argv)
    if not a.quick and not a.config: p.error("--config is required (or --quick)")
    from tinymatch.core import home_dir
    from tinymatch.data import dataset_name, load_dataset
    from tinymatch.evaluation import trained_embedder, validation_index
    from tinymatch.features import l2_normalize
    from tinymatch.train import TrainingData, train, SUMMARY_FILE
    home = home_dir(a.home)
    base = base_config(a, home)
    source = str(quick_source(home)) if a.quick else (a.source or base.data)
    name = dataset_name(source, home)
    base = base.replace(experiment_name=f"levers-{name}-base")
    out_dir = Path(a.out_dir or (home / "quick_levers" if a.quick else RESULTS / name))
    index = validation_index(load_dataset(base, source, home, progress=False))   # never a test or unseen-test row
    data = TrainingData(home, source, index=index, progress=False)
    table = levers(base)
    unknown = [k for k in (a.only or []) if k not in table]
    if unknown: p.error(f"--only: unknown lever(s) {unknown}; known: {list(table)}")
    results = out_dir / "dataset_levers.json"
    done = measured_rows(results, base.to_dict()) if a.only is None else set()
    keys = [k for k in (a.only or table) if table[k][0] not in done]
    shard, n_shards = map(int, a.shard.split("/"))
    fields = dict(dataset=name, source=str(source), splits={"seen validation": "valid", "unseen validation": "unseen_valid"},
                  rows={s: int((index["split"] == s).sum()) for s in ("train", "valid", "unseen_valid")},
                  few_shot={"n_way": a.n_way, "k_shot": 1, "episodes": a.episodes, "seed": 0, "classes": "unseen validation"},
                  base_config=base.to_dict(), epochs=base.epochs, patience=base.early_stopping_patience)
    order = [RAW_LEVER] + [table[k][0] for k in table]
    for i, key in enumerate(keys):
        if i % n_shards != shard: continue
        row_name, overrides = table[key]
        cfg = base.replace(experiment_name=f"levers-{name}-{key}", **overrides)
        features = None if cfg.fine_tune_blocks else data.features(cfg)   # a new size's cache is built before the clock starts
        t0 = time.time()
        model_dir = train(cfg, data=data, force=True)
        seconds = time.time() - t0
        summary = json.loads((model_dir / SUMMARY_FILE).read_text())
        rows = [lever_row(row_name, overrides, seconds, summary, measure(trained_embedder(model_dir, index, features), index,
                                                                         a.n_way, a.episodes))]
        if key == "base":
            raw = data.features(base)
            rows.append(lever_row(RAW_LEVER, {}, 0.0, None, measure(lambda r: l2_normalize(raw[r]), index, a.n_way, a.episodes)))
        for r in rows: print(json.dumps(r), flush=True)
        merge_result_rows(results, rows, result_record("dataset_levers", fields), order=order)
    if results.exists():
        result = json.loads(results.read_text())
        merge_result_rows(results, [], {"comparisons": dataset_levers_comparisons(result)}, order=order)
    print(f"wrote {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
