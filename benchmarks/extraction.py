"""Feature extraction: the bare extractor vs the whole caching pipeline, and raw-feature quality per image size.

For EfficientNet-Lite0 at each image size, on the same real Tiny ImageNet images (a class-stratified subset
of the validation split of the training classes of configs/hpt.yaml's split: the input size is chosen here,
so never on the official val images, which are the test split, nor on held-out classes):
  bare      images/s of pre-decoded, pre-resized tensor batches through the model (repeated)
  pipeline  images/s of `features.build_features` (read, decode, resize, extract, write to the memmap cache),
            measured after its first batch (steady) and over the whole call (with model build)
  ratio     pipeline steady / bare (goal >= 0.9: decoding is hidden behind compute)
  quality   of the raw L2-normalised features: exact pairwise ROC AUC, P@1 and MAP@R (tinymatch.metrics)
  flip      the same quality of the mean of each image's and its mirror's features (test-time flip), and the
            seconds of that second pass
  cpu ratio images per CPU-second of the pipeline (whole call, model build included) / bare: robust on a
            shared machine, where wall-clock rates move with other processes' load
Each oneDNN setting (TF_ENABLE_ONEDNN_OPTS=1, TensorFlow's default that tinymatch keeps, and =0) runs in its own process.

Usage: .venv/bin/python benchmarks/extraction.py [--quick] [--sizes 128 160 192 224] [--per-class 10] [--onednn both|0|1]
Writes <--out-dir>/extraction.json (default benchmarks/results) in the one result schema (tinymatch.records). The
dataset comes from --source or TINYMATCH_DATA, prepared into --home or TINYMATCH_HOME (default ~/.tinymatch).
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

from tinymatch.records import benchmark_parser, extraction_comparisons, write_result

RESULTS = Path(__file__).resolve().parent / "results"


SPLIT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "hpt.yaml"
SAMPLE = "valid split (official-train images) of the seen classes of configs/hpt.yaml"


def child(args) -> dict:
    "Measure every size in this process (its TF_ENABLE_ONEDNN_OPTS is fixed at import)"
    import numpy as np
    from tinymatch.core import quiet_tensorflow
    tf = quiet_tensorflow()
    from tinymatch.extractors import get_extractor
    from tinymatch.features import build_features, load_features, l2_normalize
    from tinymatch.metrics import pairwise_auc, retrieval_metrics
    from tinymatch.pipelines import image_dataset
    from tinymatch.baselines import bare_images_per_second

    from tinymatch.config import load_hpt_config
    from tinymatch.data import load_dataset
    split = load_dataset(load_hpt_config(SPLIT_CONFIG).base, args.source, args.home, progress=False)
    # the first `per_class` validation images (by file name) of every training class of configs/hpt.yaml's split
    val = split[split["split"] == "valid"].sort_values(["class_id", "path"])
    subset = val.groupby("class_id", sort=True).head(args.per_class).reset_index(drop=True)
    spec = get_extractor("efficientnet_lite0")
    labels = subset["class_id"].to_numpy()
    rows = []
    for size in args.sizes:
        # bare: the same images decoded and resized once, then only the model, repeated
        n_bare = min(len(subset), args.bare_images)
        images = tf.concat(list(image_dataset(subset["path"][:n_bare], size, batch_size=args.batch_size)), 0)
        batches = [images[i:i + args.batch_size] for i in range(0, n_bare, args.batch_size)]
        model = spec.build(size)
        forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        for b in batches[:2]: forward(b).numpy()              # trace (all batches have one shape)
        # the machine is shared: bare runs before and after the pipeline, and CPU time is reported too
        bare_before = bare_images_per_second(forward, batches, args.bare_seconds / 2)
        # pipeline: the feature cache, from files on disk to the memory-mapped array
        with tempfile.TemporaryDirectory() as home:
            c0 = time.process_time()
            cache = build_features(subset, spec, size, home, batch_size=args.batch_size, chunk_size=512, progress=False)
            pipeline_cpu = time.process_time() - c0
            feats = load_features(subset, spec, size, home)
        bare_after = bare_images_per_second(forward, batches, args.bare_seconds / 2)
        bare = (bare_before[0] + bare_after[0]) / 2
        bare_per_cpu = (bare_before[1] + bare_after[1]) / 2
        emb = l2_normalize(feats)
        ret = retrieval_metrics(emb, labels)
        # test-time flip: the mean of the features of each image and of its mirror (a second pass)
        t0 = time.perf_counter()
        mirrored = np.concatenate([forward(tf.image.flip_left_right(b)).numpy()
                                   for b in image_dataset(subset["path"], size, batch_size=args.batch_size)])
        flip_seconds = time.perf_counter() - t0
        emb_flip = l2_normalize(l2_normalize(feats) + l2_normalize(mirrored))
        ret_flip = retrieval_metrics(emb_flip, labels)
        row = dict(image_size=size, images=len(subset), bare_images_per_second=round(bare, 1),
                   pipeline_steady_images_per_second=round(cache.steady_images_per_second, 1),
                   pipeline_total_images_per_second=round(cache.computed / cache.seconds, 1),
                   pipeline_seconds=round(cache.seconds, 2),
                   ratio_pipeline_over_bare=round(cache.steady_images_per_second / bare, 3),
                   ratio_total_over_bare=round(cache.computed / cache.seconds / bare, 3),
                   bare_runs_images_per_second=[round(bare_before[0], 1), round(bare_after[0], 1)],
                   bare_images_per_cpu_second=round(bare_per_cpu, 1),
                   pipeline_images_per_cpu_second=round(cache.computed / pipeline_cpu, 1),
                   cpu_ratio_pipeline_over_bare=round(cache.computed / pipeline_cpu / bare_per_cpu, 3),
                   raw_pairwise_auc=round(float(pairwise_auc(emb, labels)), 4),
                   raw_precision_at_1=round(float(ret["precision_at_1"]), 4),
                   raw_map_at_r=round(float(ret["map_at_r"]), 4),
                   flip_pass_seconds=round(flip_seconds, 2),
                   raw_flip_pairwise_auc=round(float(pairwise_auc(emb_flip, labels)), 4),
                   raw_flip_precision_at_1=round(float(ret_flip["precision_at_1"]), 4),
                   raw_flip_map_at_r=round(float(ret_flip["map_at_r"]), 4))
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
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
               *(["--source", a.source] if a.source else []), *(["--home", a.home] if a.home else [])]
        out = subprocess.run(cmd, env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS=setting), check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    result = dict(extractor="efficientnet_lite0", quick=a.quick, sample=SAMPLE, wall_seconds=round(time.time() - t0, 1), runs=runs,
                  goal="pipeline steady images/s >= 0.9 x bare images/s")
    result["comparisons"] = extraction_comparisons(result)
    path = write_result("extraction", result, a.out_dir)
    for r in runs:
        for row in r["results"]:
            print(f"oneDNN={r['onednn']} {row['image_size']:>3}px  bare {row['bare_images_per_second']:>7.1f}/s"
                  f"  pipeline {row['pipeline_steady_images_per_second']:>7.1f}/s  ratio {row['ratio_pipeline_over_bare']:.2f}"
                  f" (cpu {row['cpu_ratio_pipeline_over_bare']:.2f})  AUC {row['raw_pairwise_auc']:.3f}"
                  f"  P@1 {row['raw_precision_at_1']:.3f}  MAP@R {row['raw_map_at_r']:.3f}")
    print(f"wrote {path} in {result['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
