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
import sys
from pathlib import Path

import numpy as np

from tinymatch.baselines import generator_pair_scores
from tinymatch.core import data_source, quiet_tensorflow
from tinymatch.metrics import pair_scores, pair_statistics
from tinymatch.records import benchmark_parser, load_average, pair_scoring_comparisons, timed, write_result
from tinymatch.synthetic import clustered_embeddings

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    p = benchmark_parser(__doc__, RESULTS)
    p.add_argument("--quick", action="store_true", help="fewer images and pairs (a smoke run)")
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--pairs", type=int, default=512, help="pairs scored the generator way")
    p.add_argument("--size", type=int, default=128)
    args = p.parse_args(argv)
    n_images, n_pairs = (40, 64) if args.quick else (args.images, args.pairs)
    load_before = load_average()
    tf = quiet_tensorflow()
    from tinymatch.config import ExperimentConfig
    from tinymatch.data import build_index, prepare
    from tinymatch.evaluation import evaluate_embeddings
    from tinymatch.extractors import get_extractor
    from tinymatch.matcher import build_siamese
    from tinymatch.model import build_feature_model
    from tinymatch.pipelines import load_resized
    # n official-val images (decoded, resized) and their class ids, from the prepared dataset
    val = build_index(prepare(args.source, args.home, progress=False)).query("official_split == 'val'").sort_values("path")
    pick = val.iloc[np.random.default_rng(0).choice(len(val), n_images, replace=False)]
    images = np.stack([load_resized(f, args.size) for f in pick["path"]])
    labels = pick["class_id"].to_numpy()
    # EfficientNet-Lite0 (offline, frozen) + an untrained head: the FeatureModel both ways use
    fm = build_feature_model(ExperimentConfig("bench", image_size=args.size),
                             extractor_model=get_extractor("efficientnet_lite0").build(args.size))
    _, gen = generator_pair_scores(build_siamese(fm), images, labels, n_pairs)       # the study's way
    # tinymatch's way: embed each image once, then all n(n-1)/2 scores from the embedding matrix
    fm.predict(images[:8], verbose=0)                                                 # warm-up
    emb, embed_s = timed(fm.predict, images, batch_size=64, verbose=0)
    (scores, _), score_s = timed(pair_scores, emb, labels)
    mat = {"images": len(emb), "pairs": len(scores), "seconds": round(embed_s + score_s, 3), "embed_seconds": round(embed_s, 3),
           "pairs_per_second": len(scores) / (embed_s + score_s), "extractor_passes_per_pair": round(len(emb) / len(scores), 5)}
    # the exact AUC over all pairs of realistic (overlapping classes: AUC near 0.9) embeddings, and every metric
    n, n_classes = (2000, 40) if args.quick else (10_000, 200)
    auc_emb, auc_labels = clustered_embeddings(n, 1024, n_classes, noise=4.0)
    stats, t_stats = timed(pair_statistics, auc_emb, auc_labels)
    auc, t_auc = timed(stats.auc)
    ev, t_all = timed(evaluate_embeddings, auc_emb, auc_labels, threshold=-1.0)     # every metric of `tinymatch evaluate`
    auc = {"n": n, "pairs": n * (n - 1) // 2, "dim": 1024, "classes": n_classes, "auc": float(auc),
           "pair_statistics_seconds": round(t_stats, 3), "seconds": round(t_stats + t_auc, 3), "target_seconds": 10.0,
           "meets_target": bool(t_stats + t_auc < 10.0), "all_metrics_seconds": round(t_all, 3),
           "all_metrics_breakdown": ev.seconds, "map_at_r": ev.metrics["map_at_r"], "precision_at_1": ev.metrics["precision_at_1"]}
    result = {
        "quick": args.quick,
        "setup": {"extractor": "efficientnet_lite0", "image_size": args.size, "images": n_images,
                  "data": Path(data_source(args.source)).name + " (official val images)", "embedding_dim": int(emb.shape[1])},
        "generator": gen, "matrix": mat,
        "speedup_pairs_per_second": mat["pairs_per_second"] / gen["pairs_per_second"],
        "exact_auc_all_pairs": auc,
        "machine": {"tensorflow": tf.__version__, "numpy": np.__version__,
                    "load_average_before": load_before, "load_average_after": load_average(),
                    "note": "2 shared cores: absolute rates vary with load; both ways run in the same process, back to back"},
    }
    result["comparisons"] = pair_scoring_comparisons(result)
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
