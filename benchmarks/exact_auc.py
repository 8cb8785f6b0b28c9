"""Exact pairwise AUC over all pairs of n embeddings: tinymatch vs scikit-learn vs a full-argsort rank AUC.

Usage: .venv/bin/python benchmarks/exact_auc.py [--quick] [--n 10000] [--dim 1024] [--classes 200]
Writes <--out-dir>/exact_auc.json (default benchmarks/results) in the one result schema (tinymatch.records).
"""
from __future__ import annotations
import gc, sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score
from tinymatch.metrics import FAR_LEVELS, pair_scores, pair_statistics, pairwise_auc
from tinymatch.baselines import argsort_rank_auc
from tinymatch.records import benchmark_parser, exact_auc_comparisons, peak_rss_gb, timed, write_result
from tinymatch.synthetic import clustered_embeddings

RESULTS = Path(__file__).resolve().parent / "results"


VERSIONS = {"numpy": np.__version__, "sklearn": sklearn.__version__}   # added to the result's `machine`


def main(argv=None) -> int:
    parser = benchmark_parser(__doc__, RESULTS)
    parser.add_argument("--quick", action="store_true", help="n = 2000 instead of 10000")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--noise", type=float, default=4.0, help="noise scale around unit-variance centroids")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the tinymatch timing (median)")
    args = parser.parse_args(argv)
    n = args.n or (2000 if args.quick else 10000)
    emb, labels = clustered_embeddings(n, args.dim, args.classes, args.noise)

    times = []
    for _ in range(args.repeats):
        auc, seconds = timed(pairwise_auc, emb, labels); times.append(seconds); gc.collect()
    tinymatch_seconds = float(np.median(times))
    rss_tinymatch = peak_rss_gb(digits=6)
    stats, stats_seconds = timed(pair_statistics, emb, labels)
    tar = stats.tar_at_far(FAR_LEVELS); eer = stats.eer()
    del stats; gc.collect()

    (scores, positive), scores_seconds = timed(pair_scores, emb, labels)
    sk_auc, sk_seconds = timed(roc_auc_score, positive, scores)
    gc.collect()
    rank_auc, rank_seconds = timed(argsort_rank_auc, scores, positive)
    result = {
        "description": "exact ROC AUC over all pairs of L2-normalised embeddings (negative L2 distance as score)",
        "data": {"n": n, "dim": args.dim, "classes": args.classes, "noise": args.noise, "pairs": n * (n - 1) // 2,
                 "positive_pairs": int(positive.sum()), "negative_pairs": int((~positive).sum())},
        "tinymatch_pairwise_auc": {"auc": auc, "seconds_median": tinymatch_seconds, "seconds": times,
                                   "peak_rss_gib": rss_tinymatch, "note": "embeddings -> AUC, all included"},
        "sklearn_roc_auc_score": {"auc": float(sk_auc), "seconds": sk_seconds,
                                  "note": f"on precomputed scores; computing them took {scores_seconds:.2f} s more"},
        "numpy_full_argsort_rank_auc": {"auc": rank_auc, "seconds": rank_seconds,
                                        "note": "on precomputed scores (the plain numpy baseline)"},
        "abs_diff_vs_sklearn": abs(auc - float(sk_auc)), "abs_diff_vs_argsort": abs(auc - rank_auc),
        "speedup_vs_sklearn": (sk_seconds + scores_seconds) / tinymatch_seconds,
        "speedup_vs_argsort": (rank_seconds + scores_seconds) / tinymatch_seconds,
        "pair_statistics": {"seconds": stats_seconds,
                            "tar_at_far": {str(k): {"tar": v[0], "threshold": v[1]} for k, v in tar.items()},
                            "eer": eer[0], "eer_threshold": eer[1]},
        "goal": "tinymatch under 10 s at n=10,000, d=1024; same AUC as sklearn",
        "machine": VERSIONS,
    }
    result["comparisons"] = exact_auc_comparisons(result)
    path = write_result("exact_auc", result, args.out_dir)
    print({k: v for k, v in result.items() if k not in ("machine",)})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
