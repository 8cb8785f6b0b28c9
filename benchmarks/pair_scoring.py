"""Pairs scored per second: the study's pair generator vs embedding once and scoring by matrix.

The study evaluated its Siamese model on a `tf.data.Dataset.from_generator` that yields every ordered
pair of test images, so each pair costs two passes through the extractor; it could afford only 32,000
pairs. tinymatch embeds each image once and scores all n(n-1)/2 pairs from the embedding matrix. Both
run here on the same real Tiny ImageNet images through the same FeatureModel (EfficientNet-Lite0 at
128 px + an untrained head); the generator side runs on a fixed number of pairs. A third measurement
times the exact AUC over all 49,995,000 pairs of 10,000 embeddings (target: under 10 s).

Usage: .venv/bin/python benchmarks/pair_scoring.py [--quick] [--out-dir DIR] [--source ZIP] [--home DIR]
Writes <--out-dir>/pair_scoring.json (default benchmarks/results) in the one result schema (tinymatch.records).
"""
from __future__ import annotations
import os, sys, time
from pathlib import Path

import numpy as np

from tinymatch.core import data_source, quiet_tensorflow
from tinymatch.baselines import generator_pair_scores
from tinymatch.records import benchmark_parser, comparison, write_result

RESULTS = Path(__file__).resolve().parent / "results"


def read_images(source, home, n: int, size: int, seed: int = 0):
    "n official-val images (decoded, resized to size) and their class ids, from the prepared dataset (tinymatch.data)"
    from PIL import Image
    from tinymatch.data import build_index, prepare
    from tinymatch.pipelines import load_rgb
    tf = quiet_tensorflow()
    val = build_index(prepare(source, home, progress=False))
    val = val[val["official_split"] == "val"].sort_values("path").reset_index(drop=True)
    pick = val.iloc[np.random.default_rng(seed).choice(len(val), n, replace=False)]
    wnids = sorted(set(pick["wnid"]))
    images = [tf.image.resize(load_rgb(Image.open(p)).astype("float32"), (size, size)).numpy() for p in pick["path"]]
    return np.stack(images), np.array([wnids.index(w) for w in pick["wnid"]])


def feature_model(size: int):
    "EfficientNet-Lite0 (offline, frozen) + an untrained head: the FeatureModel both methods use"
    from tinymatch.config import ExperimentConfig
    from tinymatch.extractors import get_extractor
    from tinymatch.model import build_feature_model
    cfg = ExperimentConfig("bench", image_size=size)
    return build_feature_model(cfg, extractor_model=get_extractor("efficientnet_lite0").build(size))


def matrix_way(fm, images) -> dict:
    "tinymatch's way: embed each image once, then all n(n-1)/2 scores from the embedding matrix"
    fm.predict(images[:8], verbose=0)                          # warm-up
    t = time.perf_counter()
    emb = fm.predict(images, batch_size=64, verbose=0)
    t_embed = time.perf_counter() - t
    sq = (emb ** 2).sum(1)
    scores = -np.sqrt(np.maximum(sq[:, None] + sq[None] - 2 * emb @ emb.T, 0))
    iu = np.triu_indices(len(emb), 1)
    pair_scores = scores[iu]
    dt = time.perf_counter() - t
    return {"images": int(len(emb)), "pairs": int(len(pair_scores)), "seconds": round(dt, 3),
            "embed_seconds": round(t_embed, 3), "pairs_per_second": len(pair_scores) / dt,
            "extractor_passes_per_pair": round(len(emb) / len(pair_scores), 5)}, emb


def exact_auc_10k(n: int = 10_000, n_classes: int = 200, dim: int = 1024, seed: int = 0) -> dict:
    "Wall time of metrics.pair_statistics(...).auc() over all n(n-1)/2 pairs of realistic embeddings"
    from tinymatch.metrics import pair_statistics
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n // n_classes)
    centres = rng.normal(size=(n_classes, dim))
    emb = centres[labels] + rng.normal(scale=4.0, size=(n, dim))       # overlapping classes: AUC near 0.9, not 1
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype("float32")
    t = time.perf_counter()
    stats = pair_statistics(emb, labels)
    t_stats = time.perf_counter() - t
    auc = stats.auc()
    dt = time.perf_counter() - t
    from tinymatch.evaluation import evaluate_embeddings
    t = time.perf_counter()
    ev = evaluate_embeddings(emb, labels, threshold=-1.0)      # every metric of `tinymatch evaluate`
    t_all = time.perf_counter() - t
    return {"n": n, "pairs": n * (n - 1) // 2, "dim": dim, "classes": n_classes, "auc": float(auc),
            "pair_statistics_seconds": round(t_stats, 3), "seconds": round(dt, 3), "target_seconds": 10.0,
            "meets_target": bool(dt < 10.0),
            "all_metrics_seconds": round(t_all, 3), "all_metrics_breakdown": ev.seconds,
            "map_at_r": ev.metrics["map_at_r"], "precision_at_1": ev.metrics["precision_at_1"]}


def comparisons(result: dict) -> list:
    "Pairs scored per second: embed once and score by matrix, against the seed's pair generator (two passes per pair)"
    return [comparison(f"pair scoring, {result['setup']['images']} images at {result['setup']['image_size']} px",
                       result["matrix"]["pairs_per_second"], result["generator"]["pairs_per_second"], "pairs/s",
                       lower_is_better=False)]


def main(argv=None) -> int:
    p = benchmark_parser(__doc__, RESULTS)
    p.add_argument("--quick", action="store_true", help="fewer images and pairs (a smoke run)")
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--pairs", type=int, default=512, help="pairs scored the generator way")
    p.add_argument("--size", type=int, default=128)
    args = p.parse_args(argv)
    n_images, n_pairs = (40, 64) if args.quick else (args.images, args.pairs)
    load_before = os.getloadavg()
    tf = quiet_tensorflow()
    from tinymatch.matcher import build_siamese
    images, labels = read_images(args.source, args.home, n_images, args.size)
    fm = feature_model(args.size)
    siamese = build_siamese(fm)
    _, gen = generator_pair_scores(siamese, images, labels, n_pairs)
    mat, emb = matrix_way(fm, images)
    auc = exact_auc_10k(n=2000 if args.quick else 10_000, n_classes=40 if args.quick else 200)
    result = {
        "quick": args.quick,
        "setup": {"extractor": "efficientnet_lite0", "image_size": args.size, "images": n_images,
                  "data": Path(data_source(args.source)).name + " (official val images)", "embedding_dim": int(emb.shape[1])},
        "generator": gen, "matrix": mat,
        "speedup_pairs_per_second": mat["pairs_per_second"] / gen["pairs_per_second"],
        "exact_auc_all_pairs": auc,
        "machine": {"tensorflow": tf.__version__, "numpy": np.__version__,
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "note": "2 shared cores: absolute rates vary with load; both ways run in the same process, back to back"},
    }
    result["comparisons"] = comparisons(result)
    out = write_result("pair_scoring", result, args.out_dir)
    print(f"generator: {gen['pairs']} pairs in {gen['seconds']} s = {gen['pairs_per_second']:.1f} pairs/s")
    print(f"matrix:    {mat['pairs']} pairs in {mat['seconds']} s = {mat['pairs_per_second']:.1f} pairs/s")
    print(f"speed-up:  {result['speedup_pairs_per_second']:.0f}x")
    print(f"exact AUC over {auc['pairs']:,} pairs: {auc['seconds']} s (target < 10 s): {auc['auc']:.4f}")
    print(f"every metric of `tinymatch evaluate` (AUC, TAR@FAR x4, EER, confusion, P@1, R-Precision, MAP@R, "
          f"Recall@K) on the same embeddings: {auc['all_metrics_seconds']} s")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
