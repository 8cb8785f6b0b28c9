"""One HPT trial on cached features vs the same trial with the frozen extractor in the loop (the study's way).

Same data (a subset of real Tiny ImageNet), same head, batches, seed and epochs; EfficientNet-Lite0 at 128 px.
Writes <--out-dir>/hpt_trial.json (default benchmarks/results; hpt_trial_quick.json with --quick).
Then, if the full dataset's features are already cached in the
default home, times the study's 15-trial HPT on the full training split (configs/hpt.yaml).

    .venv/bin/python benchmarks/hpt_trial.py [--quick] [--source DIR] [--skip-study]
"""
from __future__ import annotations
import json, os, shutil, sys, tempfile, time
from pathlib import Path

from tinymatch.records import benchmark_parser, hpt_trial_comparisons, package_versions, read_result, write_result

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def _trial_config(args):
    from tinymatch.config import ExperimentConfig
    # the study's best trial (embedding 1024, blocks [512, 256], dropout 0.3); no early stop so both paths run every epoch
    return ExperimentConfig("bench_hpt_trial", seed=0, feature_extractor="efficientnet_lite0", image_size=128,
                            embedding_dim=1024, intermediate_ff_block_units=[512, 256], dropout=0.3,
                            epochs=args.epochs, early_stopping_patience=args.epochs + 1, batch_size=256,
                            samples_per_class=4, max_classes=args.classes, images_per_class=args.images_per_class)


def bench_trial(args) -> dict:
    import numpy as np
    from tinymatch.train import TrainingData, fit_config
    cfg = _trial_config(args)
    from tinymatch.data import load_dataset
    index = load_dataset(cfg, source=args.source, home=args.home, progress=False)
    index = index[index["split"] != "test"].reset_index(drop=True)    # a trial never touches the test rows
    data = TrainingData(args.home, args.source, index=index, progress=False)
    n_train, n_valid = len(data.rows(cfg, "train")), len(data.rows(cfg, "valid"))
    t0 = time.perf_counter(); data.extractor(cfg); extractor_build_s = time.perf_counter() - t0
    t0 = time.perf_counter(); feats = data.features(cfg); cache_s = time.perf_counter() - t0   # one-time cost
    t0 = time.perf_counter(); _, _, fast, _ = fit_config(cfg, data, through_extractor=False); fast_s = time.perf_counter() - t0
    t0 = time.perf_counter(); _, _, slow, _ = fit_config(cfg, data, through_extractor=True); slow_s = time.perf_counter() - t0
    return dict(
        config=dict(classes=args.classes, images_per_class=args.images_per_class, n_train=n_train, n_valid=n_valid,
                    epochs=cfg.epochs, batch_size=cfg.batch_size, samples_per_class=cfg.samples_per_class,
                    extractor=cfg.feature_extractor, image_size=cfg.image_size, embedding_dim=cfg.embedding_dim,
                    intermediate_ff_block_units=cfg.intermediate_ff_block_units, dropout=cfg.dropout,
                    feature_dim=int(feats.shape[1]), index_rows=len(index)),
        cached_features_trial_s=round(fast_s, 3),
        extractor_in_loop_trial_s=round(slow_s, 3),
        speedup=round(slow_s / fast_s, 1),
        goal_speedup=50,
        meets_goal=bool(slow_s / fast_s >= 50),
        steady_epoch_speedup=round(float(np.median(slow.history["time"][1:]) / np.median(fast.history["time"][1:])), 1)
            if len(fast.history) > 1 else None,
        first_epoch_overhead_s=round(float(fast.history["time"].iloc[0] - np.median(fast.history["time"][1:])), 2)
            if len(fast.history) > 1 else None,
        one_time_feature_cache_s=round(cache_s, 2),
        speedup_including_cache_build=round(slow_s / (fast_s + cache_s), 2),
        extractor_build_s=round(extractor_build_s, 2),
        per_epoch_s=dict(cached=[round(t, 3) for t in fast.history["time"]], in_loop=[round(t, 3) for t in slow.history["time"]]),
        val_loss=dict(cached=[round(v, 5) for v in fast.history["val_loss"]], in_loop=[round(v, 5) for v in slow.history["val_loss"]]),
        note=("Both paths train the same head from the same seed on the same class-balanced batches; the trial times "
              "exclude the one-time feature cache build (reported separately) and the extractor's construction. The cached "
              "path's first epoch includes tracing the training step (first_epoch_overhead_s), a fixed cost per trial."),
    )


def full_features_cached(source) -> bool:
    "Whether the default home already holds complete Lite0-128 features for the whole dataset"
    from tinymatch.config import load_hpt_config
    from tinymatch.data import load_dataset
    from tinymatch.features import find_cache
    h = load_hpt_config(REPO / "configs" / "hpt.yaml")
    try: index = load_dataset(h.base, source=source, progress=False)
    except Exception as e:
        print(f"full dataset not available: {e}"); return False
    return find_cache(index, h.base.feature_extractor, h.base.image_size) is not None


def bench_study(source) -> dict:
    from tinymatch.config import load_hpt_config
    from tinymatch.hpt import run_study, count_trials, create_study
    h = load_hpt_config(REPO / "configs" / "hpt.yaml")
    # time a fresh study: into the default storage if the study does not exist yet (the report then reuses
    # it), otherwise into a temporary SQLite file
    existing = count_trials(create_study(h))
    storage = None if existing == 0 else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    t0 = time.perf_counter()
    study = run_study(h, source=source, storage=storage, progress=True)
    total = time.perf_counter() - t0
    states = [t.state.name for t in study.trials]
    return dict(n_trials=h.n_trials, seconds=round(total, 1), minutes=round(total / 60, 2), goal_minutes=30,
                meets_goal=bool(total < 1800), complete=states.count("COMPLETE"), pruned=states.count("PRUNED"),
                failed=states.count("FAIL"), best_value=study.best_value, best_params=study.best_trial.params,
                storage="default (reused by the report)" if storage is None else "temporary")


def main(argv=None) -> int:
    p = benchmark_parser(__doc__, RESULTS)
    p.add_argument("--quick", action="store_true", help="tiny subset and 1 epoch: checks the script runs")
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--images-per-class", type=int, default=50)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--skip-study", action="store_true", help="do not time the 15-trial study even if the features exist")
    p.add_argument("--study-only", action="store_true", help="only time the 15-trial study, updating the existing results file")
    args = p.parse_args(argv)
    if args.quick: args.classes, args.images_per_class, args.epochs = 64, 10, 1
    from tinymatch.data import dataset_dir
    default_data = dataset_dir()                 # the dataset prepared in the default home, if any
    args.source = args.source or os.environ.get("TINYMATCH_DATA") or (str(default_data) if default_data.is_dir() else None)
    temp_home = None
    if args.home is None and not args.study_only: args.home = temp_home = tempfile.mkdtemp(prefix="tinymatch-bench-")
    try: return _run(args)
    finally:
        if temp_home: shutil.rmtree(temp_home, ignore_errors=True)


def _run(args) -> int:
    if args.study_only:
        out = read_result("hpt_trial", args.out_dir)
        out["study"] = bench_study(args.source) if full_features_cached(args.source) else dict(
            skipped="the full dataset's efficientnet_lite0-128 features are not cached in the default home yet")
        out["study"]["load_average"] = os.getloadavg()
        out["comparisons"] = hpt_trial_comparisons(out)
        write_result("hpt_trial", out, args.out_dir)
        print(json.dumps(out["study"], indent=1, default=str))
        return 0
    out = dict(quick=args.quick, packages=package_versions(), load_average=os.getloadavg())
    out["trial"] = bench_trial(args)
    t = out["trial"]
    print(f"one trial, {t['config']['epochs']} epochs on {t['config']['n_train']} train images: cached features "
          f"{t['cached_features_trial_s']} s, extractor in the loop {t['extractor_in_loop_trial_s']} s -> {t['speedup']}x")
    if args.quick or args.skip_study:
        out["study"] = dict(skipped="--quick or --skip-study")
    elif full_features_cached(args.source):
        out["study"] = bench_study(args.source)
        print(f"15-trial study: {out['study']['minutes']} min")
    else:
        out["study"] = dict(skipped="the full dataset's efficientnet_lite0-128 features are not cached in the default home yet")
    out["load_average_end"] = os.getloadavg()
    out["comparisons"] = hpt_trial_comparisons(out)
    write_result("hpt_trial_quick" if args.quick else "hpt_trial", out, args.out_dir)
    print(json.dumps({k: out[k] for k in ("trial", "study")}, indent=1, default=str)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
