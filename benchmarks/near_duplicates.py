"""Near-duplicate detection on real pictures: `tinymatch dedup` (copy descriptor) vs perceptual hashing (pHash).

Originals are hidden among other Tiny ImageNet pictures; each original gets one copy per transform (JPEG
re-encoding, 5% crop, mirror, +30% brightness, 2x upscale: `search.COPY_TRANSFORMS`). Reported per method:
recall per transform (share of original-copy pairs put in one group) and pair precision (share of the
pairs inside groups that are copies of one picture). pHash pairs are files whose 64-bit hashes differ by at
most --phash-bits bits, grouped by connected components, the usual way imagehash is used for dedup.

--calibrate first calibrates the copy descriptor on pictures of the `train` split of configs/hpt.yaml's study
(official-train pictures of its seen classes only: no held-out class, no validation or test picture) and
writes tinymatch/assets/dedup/. Originals and distractors are official-val pictures of all 200 classes
(seen-class test pictures and pictures of both held-out class sets), so they are disjoint from the
calibration pictures; the run checks it and reports recall by class group too.

Usage: python benchmarks/near_duplicates.py [--calibrate] [--originals 200] [--distractors 4000] [--out-dir DIR]
Writes <--out-dir>/near_duplicates.json (default benchmarks/results) in the one result schema (tinymatch.records).
Data: --source or TINYMATCH_DATA, prepared into --home or TINYMATCH_HOME; the planted folder is under <home>/bench/.
"""
from __future__ import annotations
import json, time
from pathlib import Path

from tinymatch.baselines import phash_groups
from tinymatch.records import benchmark_parser, near_duplicates_comparisons, write_result

RESULTS = Path(__file__).resolve().parent / "results"
SPLIT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "hpt.yaml"   # the study whose split is used


def main():
    ap = benchmark_parser(__doc__, RESULTS)
    ap.add_argument("--calibrate", action="store_true", help="calibrate the copy descriptor on training pictures first")
    ap.add_argument("--calibration-pictures", type=int, default=4000)
    ap.add_argument("--originals", type=int, default=200)
    ap.add_argument("--distractors", type=int, default=4000)
    ap.add_argument("--phash-bits", type=int, default=8, help="largest Hamming distance of pHash duplicates (imagehash's common choice)")
    a = ap.parse_args()
    from tinymatch.config import load_hpt_config
    from tinymatch.core import home_dir, quiet_tensorflow
    from tinymatch.data import build_index, class_groups, load_dataset, prepare, sample_pictures
    from tinymatch.search import (Gallery, DEDUP_ASSETS, DEDUP_LAYER, DEDUP_SIZE, calibrate_dedup, dedup_scores, plant_copies,
                                  recall_by_group)
    home = home_dir(a.home)
    index = build_index(prepare(a.source, home, progress=False))                      # every picture
    split = load_dataset(load_hpt_config(SPLIT_CONFIG).base, a.source, home, progress=False)   # the study's split
    # calibration pictures: random pictures of the study's train split (seen classes, official train)
    train, n_cal = split[split["split"] == "train"], a.calibration_pictures
    if n_cal > len(train): ap.error(f"--calibration-pictures: at most {len(train)} train-split pictures, got {n_cal}")
    pick = train.sample(n_cal, random_state=1)
    cal_files = [Path(p) for p in pick["path"]]
    cal_data = (f"{n_cal} random pictures (seed 1) of the train split of configs/hpt.yaml's study: official-train pictures of "
                f"{pick['class_id'].nunique()} of its {train['class_id'].nunique()} seen classes; no held-out class, "
                "no validation or test picture")
    if a.calibrate:
        tf = quiet_tensorflow()
        from tinymatch.extractors import get_extractor
        full = get_extractor("efficientnet_lite0").build(DEDUP_SIZE, home=home)
        fmap = tf.keras.Model(full.inputs, full.get_layer(DEDUP_LAYER).output, name=f"lite0-{DEDUP_LAYER}")
        t0 = time.time()
        print(json.dumps(calibrate_dedup(cal_files, fmap, DEDUP_ASSETS, layer=DEDUP_LAYER, data=cal_data), indent=1),
              f"{time.time() - t0:.0f} s")
    # the planted folder: originals, their copies and distractors (official-val pictures)
    folder = home / "bench" / f"planted-{a.originals}-{a.distractors}"
    truth = plant_copies(sample_pictures(index, "val", a.originals + a.distractors, seed=2), folder, a.originals)
    planted_names = {Path(p).name for p, (_, kind) in truth.items() if kind == "original"}
    overlap = planted_names & {f.name for f in cal_files}
    if overlap: raise SystemExit(f"planted pictures overlap the calibration pictures: {sorted(overlap)[:3]}")
    wnid_group = class_groups(split)
    file_group = {Path(p).name: wnid_group[w] for p, w, o in zip(index["path"], index["wnid"], index["official_split"]) if o == "val"}
    t0 = time.time()
    g = Gallery.open(folder, None, home)
    counts = g.update(["dedup"])["dedup"]            # files embedded now (0 when an earlier run stored them)
    embed_s = time.time() - t0
    t0 = time.time()
    groups = g.duplicates()
    ours_s = time.time() - t0
    ours = dedup_scores(groups, truth)
    paths = sorted(truth)
    t0 = time.time()
    ph_groups = phash_groups(paths, a.phash_bits)
    ph = dedup_scores(ph_groups, truth)
    ph_s = time.time() - t0
    ours["recall_by_class_group"] = recall_by_group(groups, truth, file_group)
    ph["recall_by_class_group"] = recall_by_group(ph_groups, truth, file_group)
    cal = json.loads((DEDUP_ASSETS / "calibration.json").read_text())
    res = dict(note="measured on a shared 2-core machine under load from other jobs (other helpers' tests and benchmarks)",
               files=len(truth), originals=a.originals, distractors=a.distractors, data="Tiny ImageNet official val pictures",
               sample=dict(calibration=cal_data + (" (calibrated in this run)" if a.calibrate else " (calibration.json of an earlier run)"),
                           planted=f"{a.originals} originals and {a.distractors} distractors: "
                                   "random official-val pictures (seed 2) of all 200 "
                                   "classes (the seen classes' test split, the held-out test classes' unseen_test split and the "
                                   "held-out validation classes' official-val pictures, which the study drops); none is a calibration "
                                   "picture (checked: no file name in common)", overlap_with_calibration=0),
               transforms=sorted({k for _, k in truth.values()} - {"original"}), calibration=cal,
               results=[dict(method="tinymatch dedup (copy descriptor)", seconds=round(ours_s, 1), embed_seconds=round(embed_s, 1),
                             embedded_now=counts["embedded"], threshold=g.last_threshold, **ours),
                        dict(method=f"pHash (imagehash, <= {a.phash_bits} bits)", seconds=round(ph_s, 1),
                             note="seconds include hashing every file", **ph)],
               done_when=dict(pair_precision_ge=0.95, recall_each_ge=0.9,
                              met=bool(ours["pair_precision"] >= 0.95 and min(ours["recall"].values()) >= 0.9)))
    res["comparisons"] = near_duplicates_comparisons(res)
    write_result("near_duplicates", res, a.out_dir)
    print(json.dumps(res["results"], indent=1))


if __name__ == "__main__":
    main()
