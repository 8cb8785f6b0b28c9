"""Feature extraction: the bare extractor in each runtime vs the whole caching pipeline, and raw-feature quality per image size.

For EfficientNet-Lite0 at each image size, on the same real Tiny ImageNet images (a class-stratified subset
of the validation split of the training classes of configs/hpt.yaml's split: the input size is chosen here,
so never on the official val images, which are the test split, nor on held-out classes):
  runtime   the frozen extractor's runtime the pipeline uses (--runtime auto: TF Lite with XNNPACK, fp32, when the
            extractor converts, else Keras; extractors.frozen_runner)
  bare      images/s of pre-decoded, pre-resized batches through that runtime alone (repeated, before and after the
            pipeline), and through the Keras model alone (keras_bare), same run, same batches
  pipeline  images/s of `features.build_features` (read, decode, resize, extract, write to the memmap cache),
            measured after its first batch (steady) and over the whole call (with model build)
  ratio     pipeline steady / the chosen runtime's bare rate (goal >= 0.9: decoding is hidden behind compute;
            target >= 210 images/s at 192 px on the 2-core reference machine)
  equality  the least cosine between the pipeline's cached features and the Keras model's, over every image of the
            sample (min_cosine_vs_keras; required >= 0.9999)
  quality   of the raw L2-normalised features: exact pairwise ROC AUC, P@1 and MAP@R (tinymatch.metrics)
  flip      the same quality of the mean of each image's and its mirror's features (test-time flip), and the
            seconds of that second pass
  cpu ratio images per CPU-second of the pipeline (whole call, model build included) / bare: robust on a
            shared machine, where wall-clock rates move with other processes' load
Each oneDNN setting (TF_ENABLE_ONEDNN_OPTS=1, TensorFlow's default that tinymatch keeps, and =0) runs in its own process.

Usage: .venv/bin/python benchmarks/extraction.py [--quick] [--sizes 128 160 192 224] [--per-class 10] [--onednn both|0|1]
       [--runtime auto|tflite|keras] [--threads N]
Writes <--out-dir>/extraction.json (default benchmarks/results) in the one result schema (tinymatch.records). The
dataset comes from --source or TINYMATCH_DATA, prepared into --home or TINYMATCH_HOME (default ~/.tinymatch).
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time
from pathlib import Path

from tinymatch.records import benchmark_parser, extraction_comparisons, write_result

RESULTS = Path(__file__).resolve().parent / "results"


SPLIT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "hpt.yaml"
SAMPLE = "valid split (official-train images) of the seen classes of configs/hpt.yaml"


def child(args) -> dict:
    "Measure every size in this process (its TF_ENABLE_ONEDNN_OPTS is fixed at import)"
    from tinymatch.core import quiet_tensorflow
    tf = quiet_tensorflow()
    from tinymatch.config import load_hpt_config
    from tinymatch.data import load_dataset
    from tinymatch.features import first_valid_per_class, time_extraction
    split = load_dataset(load_hpt_config(SPLIT_CONFIG).base, args.source, args.home, progress=False)
    # the first `per_class` validation images (by file name) of every training class of configs/hpt.yaml's split
    subset = first_valid_per_class(split, args.per_class)
    rows = []
    for size in args.sizes:
        rows.append(time_extraction(subset, "efficientnet_lite0", size, batch_size=args.batch_size, bare_images=args.bare_images,
                                    bare_seconds=args.bare_seconds, runtime=args.runtime, home=args.home, threads=args.threads))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return dict(onednn=os.environ.get("TF_ENABLE_ONEDNN_OPTS"), tensorflow=tf.__version__,
                load_average_1_5_15=os.getloadavg(), results=rows)


def main(argv=None) -> int:
    p = benchmark_parser(__doc__, RESULTS)
    p.add_argument("--quick", action="store_true", help="2 images per class, sizes 64 and 128, short bare runs")
    p.add_argument("--sizes", type=int, nargs="+", default=None)
    p.add_argument("--per-class", type=int, default=None, help="val images per class (all 200 classes)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--bare-images", type=int, default=512, help="pre-decoded images cycled through the bare model")
    p.add_argument("--bare-seconds", type=float, default=None)
    p.add_argument("--onednn", choices=["both", "0", "1"], default="both")
    p.add_argument("--runtime", choices=["auto", "tflite", "keras"], default="auto", help="the pipeline's runtime (default auto)")
    p.add_argument("--threads", type=int, default=None,
                   help="TF Lite threads (default: CPU count); XNNPACK spins, so on a busy machine 1 can be many times faster")
    p.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.sizes = a.sizes or ([64, 128] if a.quick else [128, 160, 192, 224])
    a.per_class = a.per_class or (2 if a.quick else 10)
    a.bare_seconds = a.bare_seconds or (3.0 if a.quick else 10.0)
    if a._child:
        print(json.dumps(child(a)))
        return 0
    t0 = time.time()
    runs = []
    for setting in (["0", "1"] if a.onednn == "both" else [a.onednn]):
        cmd = [sys.executable, __file__, "--_child", "--sizes", *map(str, a.sizes), "--per-class", str(a.per_class),
               "--batch-size", str(a.batch_size), "--bare-images", str(a.bare_images), "--bare-seconds", str(a.bare_seconds),
               "--runtime", a.runtime, *(["--threads", str(a.threads)] if a.threads else []),
               *(["--source", a.source] if a.source else []), *(["--home", a.home] if a.home else [])]
        out = subprocess.run(cmd, env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS=setting), check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = [row for r in runs for row in r["results"]]
    result = dict(extractor="efficientnet_lite0", quick=a.quick, sample=SAMPLE, wall_seconds=round(time.time() - t0, 1), runs=runs,
                  goal="pipeline steady images/s >= 0.9 x the chosen runtime's bare images/s; its features equal Keras's "
                       "(cosine >= 0.9999 on every image)",
                  min_cosine_vs_keras=min(row["min_cosine_vs_keras"] for row in rows),
                  features_equal=all(row["min_cosine_vs_keras"] >= 0.9999 for row in rows))
    result["comparisons"] = extraction_comparisons(result)
    path = write_result("extraction", result, a.out_dir)
    for r in runs:
        for row in r["results"]:
            print(f"oneDNN={r['onednn']} {row['image_size']:>3}px  bare keras {row['keras_bare_images_per_second']:>7.1f}/s"
                  f"  bare {row['runtime']} {row['bare_images_per_second']:>7.1f}/s"
                  f"  pipeline {row['pipeline_steady_images_per_second']:>7.1f}/s  ratio {row['ratio_pipeline_over_bare']:.2f}"
                  f" (cpu {row['cpu_ratio_pipeline_over_bare']:.2f})  min cosine vs keras {row['min_cosine_vs_keras']:.6f}"
                  f"  AUC {row['raw_pairwise_auc']:.3f}"
                  f"  P@1 {row['raw_precision_at_1']:.3f}  MAP@R {row['raw_map_at_r']:.3f}")
    print(f"wrote {path} in {result['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
