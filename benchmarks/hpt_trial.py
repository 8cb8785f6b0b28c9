"""One HPT trial on cached features vs the same trial with the frozen extractor in the loop (the study's way).

Same data (a subset of real Tiny ImageNet), same head, batches, seed and epochs; EfficientNet-Lite0 at 128 px.
Writes <--out-dir>/hpt_trial.json (default benchmarks/results; hpt_trial_quick.json with --quick).
Then, if the full dataset's features are already cached in the
default home, times the study's 15-trial HPT on the full training split (configs/hpt.yaml).

    .venv/bin/python benchmarks/hpt_trial.py [--quick] [--source DIR] [--skip-study]
"""
from __future__ import annotations
import json, os, shutil, sys, tempfile
from pathlib import Path

from tinymatch.records import benchmark_parser, hpt_trial_comparisons, read_result, write_result

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


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
    from tinymatch.config import ExperimentConfig, load_hpt_config
    from tinymatch.data import dataset_dir
    from tinymatch.hpt import hpt_trial_record, time_study_if_cached
    default_data = dataset_dir()                 # the dataset prepared in the default home, if any
    source = args.source or os.environ.get("TINYMATCH_DATA") or (str(default_data) if default_data.is_dir() else None)
    study = load_hpt_config(REPO / "configs" / "hpt.yaml")    # timed in the default home, if its features are cached there
    if args.study_only:
        out = read_result("hpt_trial", args.out_dir)
        out["study"] = time_study_if_cached(study, source)
        out["study"]["load_average"] = os.getloadavg()
        out["comparisons"] = hpt_trial_comparisons(out)
        write_result("hpt_trial", out, args.out_dir)
        print(json.dumps(out["study"], indent=1, default=str))
        return 0
    # the study's best trial (embedding 1024, blocks [512, 256], dropout 0.3); no early stop so both paths run every epoch
    trial = ExperimentConfig("bench_hpt_trial", seed=0, feature_extractor="efficientnet_lite0", image_size=128,
                             embedding_dim=1024, intermediate_ff_block_units=[512, 256], dropout=0.3,
                             epochs=args.epochs, early_stopping_patience=args.epochs + 1, batch_size=256,
                             samples_per_class=4, max_classes=args.classes, images_per_class=args.images_per_class)
    home = args.home or tempfile.mkdtemp(prefix="tinymatch-bench-")
    try:
        out = hpt_trial_record(trial, study, source, home, quick=args.quick,
                               skip_study="--quick or --skip-study" if args.quick or args.skip_study else None)
    finally:
        if args.home is None: shutil.rmtree(home, ignore_errors=True)
    t = out["trial"]
    print(f"one trial, {t['config']['epochs']} epochs on {t['config']['n_train']} train images: cached features "
          f"{t['cached_features_trial_s']} s, extractor in the loop {t['extractor_in_loop_trial_s']} s -> {t['speedup']}x")
    if "minutes" in out["study"]: print(f"15-trial study: {out['study']['minutes']} min")
    write_result("hpt_trial_quick" if args.quick else "hpt_trial", out, args.out_dir)
    print(json.dumps({k: out[k] for k in ("trial", "study")}, indent=1, default=str)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
