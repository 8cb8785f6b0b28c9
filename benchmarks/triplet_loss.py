"""Forward+backward time of tfa's semi-hard triplet loss vs tinymatch's exact O(B^2 log B) one,
and of the multi-similarity loss vs its loop reference.

Usage: .venv/bin/python benchmarks/triplet_loss.py [--quick] [--batches 64 256 1024] [--out-dir DIR]
Writes <--out-dir>/triplet_loss.json (default benchmarks/results) in the one result schema (tinymatch.records).
"""
from __future__ import annotations
import functools, statistics, sys
from pathlib import Path

import numpy as np
from tinymatch.core import quiet_tensorflow
from tinymatch.baselines import ms_loss_loops
from tinymatch.records import (available_memory_bytes, benchmark_parser,
                               interleaved_timings, load_average, triplet_loss_comparisons, write_result)
tf = quiet_tensorflow()
import tensorflow_addons as tfa
from tinymatch.losses import loss_gradient_step, multi_similarity_loss, semi_hard_triplet_loss

RESULTS = Path(__file__).resolve().parent / "results"


VERSIONS = {"tensorflow": tf.__version__, "tensorflow_addons": tfa.__version__, "numpy": np.__version__}   # added to `machine`


def main(argv=None) -> int:
    parser = benchmark_parser(__doc__, RESULTS)
    parser.add_argument("--quick", action="store_true", help="B = 64, 256 only, fewer repeats")
    parser.add_argument("--batches", type=int, nargs="*", default=None)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    batches = args.batches or ([64, 256] if args.quick else [64, 256, 1024])
    repeats = 3 if args.quick else args.repeats
    rng = np.random.default_rng(0)
    fast_step, tfa_step = loss_gradient_step(semi_hard_triplet_loss), loss_gradient_step(tfa.losses.triplet_semihard_loss)
    sort_step = loss_gradient_step(functools.partial(semi_hard_triplet_loss, method="sort"))
    rows = []
    for batch in batches:
        emb = rng.normal(size=(batch, args.dim)).astype("float32")
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        labels = np.repeat(np.arange(batch // 4), 4)[rng.permutation(batch)]   # 4 images per class
        labels_t, emb_t = tf.constant(labels), tf.constant(emb)
        need = 16 * batch ** 3          # tfa peaks at ~1.9 GiB above baseline for B=512 (B^3 tiles and masks)
        run_tfa = need <= 0.9 * available_memory_bytes()
        steps = {"fast": fast_step, "fast_sort": sort_step, **({"tfa": tfa_step} if run_tfa else {})}
        run = lambda step: lambda: tuple(o.numpy() for o in step(labels_t, emb_t))    # timed with the copy to numpy
        timed = interleaved_timings({k: run(step) for k, step in steps.items()},     # tfa: ~20 s, ~15 GiB per call at 1024
                                    {"fast": repeats, "fast_sort": repeats, "tfa": repeats if batch <= 256 else min(repeats, 3)})
        fast_times, (fast_loss, fast_grad) = timed["fast"]
        sort_times, (_, sort_grad) = timed["fast_sort"]
        row = {"batch_size": batch, "dim": args.dim, "classes": batch // 4,
               "fast_seconds": statistics.median(fast_times), "fast_times": fast_times, "fast_loss": float(fast_loss),
               "fast_sort_seconds": statistics.median(sort_times), "fast_sort_times": sort_times}
        if not run_tfa:
            row.update(tfa_seconds=None, note=f"tfa skipped: needs ~{need / 2**30:.0f} GiB, "
                                              f"{available_memory_bytes() / 2**30:.0f} GiB available")
        else:
            tfa_times, (tfa_loss, tfa_grad) = timed["tfa"]
            row.update(tfa_seconds=statistics.median(tfa_times), tfa_times=tfa_times, tfa_loss=float(tfa_loss),
                       speedup=statistics.median(tfa_times) / statistics.median(fast_times),
                       speedup_sort=statistics.median(tfa_times) / statistics.median(sort_times),
                       max_abs_grad_diff_sort=float(np.abs(sort_grad - tfa_grad).max()),
                       max_abs_loss_diff=float(abs(fast_loss - tfa_loss)),
                       max_abs_grad_diff=float(np.abs(fast_grad - tfa_grad).max()))
        # multi-similarity loss: vectorised value (as the loop computes it) and forward + backward vs the loop reference
        value = tf.function(lambda y, e: multi_similarity_loss(y, e))
        ms_step = loss_gradient_step(lambda y, e, margin: multi_similarity_loss(y, e))
        ms = interleaved_timings({"ms": lambda: float(value(labels_t, emb_t)), "ms_grad": run(ms_step),
                                  "ms_loop": lambda: ms_loss_loops(labels, emb)},
                                 {"ms": repeats, "ms_grad": repeats,
                                  "ms_loop": repeats if batch <= 256 else min(repeats, 2)},     # the loop costs seconds at B=1024
                                 warm_up=["ms", "ms_grad"])
        (fwd, ours), (both, _), (loop, ref) = ms["ms"], ms["ms_grad"], ms["ms_loop"]
        row.update(ms_seconds=statistics.median(fwd), ms_times=fwd, ms_grad_seconds=statistics.median(both), ms_grad_times=both,
                   ms_loop_seconds=statistics.median(loop), ms_loop_times=loop, ms_loss=ours, ms_max_abs_loss_diff=abs(ours - ref),
                   ms_speedup=statistics.median(loop) / statistics.median(fwd))
        row["load_average_1min_after"] = load_average()[0]
        rows.append(row)
        print({k: v for k, v in row.items() if not k.endswith("_times")}, flush=True)
    result = {"description": "semi-hard triplet loss, forward + backward (tf.function, CPU)",
              "variants": {"fast": "semi_hard_triplet_loss(method='auto'): masked (B, P, B) minimum here (P = 3)",
                           "fast_sort": "semi_hard_triplet_loss(method='sort'): per-row sort + searchsorted, O(B^2 log B)",
                           "tfa": "tfa.losses.triplet_semihard_loss, O(B^3)",
                           "ms": "multi_similarity_loss (defaults), value only; ms_grad: forward + backward",
                           "ms_loop": "ms_loss_loops of nbs/06_losses.ipynb: a Python loop over anchors in float64 numpy, value only"},
              "baseline": "tfa.losses.triplet_semihard_loss (the seed's loss), same run",
              "goal": "fast >= 10x tfa at B=256", "repeats": repeats, "statistic": "median seconds",
              "machine": VERSIONS, "results": rows}
    result["comparisons"] = triplet_loss_comparisons(result)
    print(f"wrote {write_result('triplet_loss', result, args.out_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
