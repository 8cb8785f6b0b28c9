"""Training levers on the validation split: margin and class-balanced batch shape for the tuned head.

Trains the HPT study's best head (from a model folder's config.yaml) for a fixed number of epochs with each
variant, on the cached Lite0 features, and scores the **validation** split (never the test split) with every
pair's AUC, P@1 and MAP@R. The `cpu` profile's fixed HPT fields (configs/hpt.yaml) were chosen from this table.

    python benchmarks/training_levers.py --config ~/.tinymatch/models/hpt_study-1-best/config.yaml
"""
from __future__ import annotations
import argparse, json, sys, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "training_levers.json"
VARIANTS = {   # name -> overrides of the config (every run: 40 epochs, patience 5)
    "margin 1.0, 4 per class, batch 256 (the study's)": {},
    "margin 1.0, 8 per class, batch 512": {"samples_per_class": 8, "batch_size": 512},
    "margin 0.5, 4 per class, batch 256": {"margin": 0.5},
    "margin 0.5, 8 per class, batch 512": {"margin": 0.5, "samples_per_class": 8, "batch_size": 512},
    "margin 0.3, 8 per class, batch 512": {"margin": 0.3, "samples_per_class": 8, "batch_size": 512},
    "margin 0.5, 16 per class, batch 1024": {"margin": 0.5, "samples_per_class": 16, "batch_size": 1024},
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="experiment YAML of the head to vary (e.g. the HPT's best)")
    p.add_argument("--home", default=None, help="TINYMATCH_HOME (feature cache, models)")
    p.add_argument("--source", default=None, help="dataset source (default TINYMATCH_DATA)")
    p.add_argument("--epochs", type=int, default=40)
    a = p.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tinymatch.config import load_experiment_config
    from tinymatch.core import write_json
    from tinymatch.data import load_dataset
    from tinymatch.matcher import ImageMatcher, evaluate
    from tinymatch.report import machine_info
    from tinymatch.train import train
    base = load_experiment_config(a.config)
    rows = []
    for i, (name, over) in enumerate(VARIANTS.items()):
        cfg = base.replace(experiment_name=f"levers-{i}", epochs=a.epochs, early_stopping_patience=5, **over)
        t0 = time.time()
        model_dir = train(cfg, home=a.home, source=a.source, force=True)
        index = load_dataset(cfg, source=a.source, home=a.home, progress=False)
        ev = evaluate(ImageMatcher.load(model_dir), index, split="valid", home=a.home, calibrate_on=None)
        rows.append(dict(variant=name, overrides=over, seconds=round(time.time() - t0),
                         **{k: round(float(ev.metrics[k]), 4) for k in ("auc", "eer", "precision_at_1", "map_at_r")}))
        print(rows[-1], flush=True)
    write_json(RESULTS, dict(benchmark="training_levers", split="valid", base_config=base.to_dict(), epochs=a.epochs,
                             machine=machine_info(), time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                             command=" ".join([Path(sys.executable).name, *sys.argv]), results=rows))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
