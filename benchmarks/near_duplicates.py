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
import json, random, time
from pathlib import Path
import numpy as np

from tinymatch.baselines import phash_groups
from tinymatch.records import benchmark_parser, comparison, write_result

RESULTS = Path(__file__).resolve().parent / "results"


def sample_pictures(index, part: str, n: int, seed: int = 0) -> list[Path]:
    "`n` random pictures of the dataset's official `part` ('train' or 'val'), from its index (tinymatch.data.build_index)"
    return [Path(p) for p in random.Random(seed).sample(sorted(index.loc[index["official_split"] == part, "path"]), n)]


def dataset_index(source, home):
    "The prepared dataset's index (tinymatch.data: prepare, then build_index)"
    from tinymatch.data import build_index, prepare
    return build_index(prepare(source, home, progress=False))


def study_index(source, home: Path):
    "The dataset's index (every picture) and its split as configs/hpt.yaml's study splits it (columns split, seen)"
    from extraction import study_split
    index = dataset_index(source, home)
    return index, study_split(index)


def calibration_files(split, n: int, seed: int = 1) -> tuple[list[Path], str]:
    "`n` random pictures of the study's `train` split (seen classes, official train) and a sentence saying so"
    train = split[split["split"] == "train"]
    if n > len(train): raise SystemExit(f"--calibration-pictures: at most {len(train)} train-split pictures, got {n}")
    pick = train.sample(n, random_state=seed)
    return [Path(p) for p in pick["path"]], (
        f"{n} random pictures (seed {seed}) of the train split of configs/hpt.yaml's study: official-train pictures of "
        f"{pick['class_id'].nunique()} of its {train['class_id'].nunique()} seen classes; no held-out class, no validation or test picture")


def calibrate(files, data: str, home: Path):
    from tinymatch.core import quiet_tensorflow
    from tinymatch.extractors import get_extractor
    from tinymatch.search import calibrate_dedup, DEDUP_LAYER, DEDUP_SIZE, DEDUP_ASSETS
    tf = quiet_tensorflow()
    full = get_extractor("efficientnet_lite0").build(DEDUP_SIZE, home=home)
    fmap = tf.keras.Model(full.inputs, full.get_layer(DEDUP_LAYER).output, name=f"lite0-{DEDUP_LAYER}")
    t0 = time.time()
    cal = calibrate_dedup(files, fmap, DEDUP_ASSETS, layer=DEDUP_LAYER, data=data)
    print(json.dumps(cal, indent=1), f"{time.time() - t0:.0f} s")


def class_groups(split) -> dict:
    "official-val file name -> class group of its class in the study: seen, unseen test or unseen validation"
    group = {}
    for w in split.loc[split["split"] == "unseen_valid", "wnid"]: group[w] = "unseen validation classes"
    for w in split.loc[split["split"] == "unseen_test", "wnid"]: group[w] = "unseen test classes"
    for w in split.loc[split["seen"], "wnid"]: group[w] = "seen classes"
    return group


def recall_by_group(groups, truth, group_of_file: dict) -> dict:
    "Share of original-copy pairs put in one group, by class group of the original"
    where = {p: gi for gi, g in enumerate(groups) for p in g}
    originals = {pid: p for p, (pid, kind) in truth.items() if kind == "original"}
    hits = {}
    for p, (pid, kind) in truth.items():
        if kind == "original": continue
        o = originals[pid]
        hits.setdefault(group_of_file[Path(o).name], []).append(p in where and where.get(o) == where[p])
    return {g: dict(copies=len(v), recall=round(float(np.mean(v)), 4)) for g, v in sorted(hits.items())}


def plant(source, home: Path, originals: int, distractors: int) -> tuple[Path, dict]:
    "A folder of originals, their copies and distractors (test split pictures); truth: file -> picture id"
    from tinymatch.search import write_copy, COPY_TRANSFORMS
    files = sample_pictures(dataset_index(source, home), "val", originals + distractors, seed=2)
    folder = home / "bench" / f"planted-{originals}-{distractors}"
    truth = {}
    for i, f in enumerate(files):
        dst = folder / f.name
        if not dst.exists(): dst.parent.mkdir(parents=True, exist_ok=True); dst.write_bytes(f.read_bytes())
        truth[str(dst)] = (i, "original")
        if i < originals:
            for kind in COPY_TRANSFORMS:
                out = folder / f"{f.stem}_copy_{kind}"
                p = out.with_suffix(".jpg" if kind == "jpeg" else ".png")
                if not p.exists(): p = write_copy(f, kind, out)
                truth[str(p)] = (i, kind)
    return folder, truth


def score(groups, truth) -> dict:
    "Recall per transform (original-copy pairs grouped) and pair precision over all pairs inside groups"
    group_of = {p: gi for gi, g in enumerate(groups) for p in g}
    tp = fp = 0
    for g in groups:
        ids = [truth[p][0] for p in g]
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)): tp += ids[a] == ids[b]; fp += ids[a] != ids[b]
    originals = {pid: p for p, (pid, kind) in truth.items() if kind == "original"}
    recall = {}
    for p, (pid, kind) in truth.items():
        if kind == "original": continue
        o = originals[pid]
        recall.setdefault(kind, []).append(p in group_of and group_of.get(o) == group_of[p])
    return dict(pair_precision=round(tp / max(tp + fp, 1), 4), true_pairs_found=tp, false_pairs=fp,
                recall={k: round(float(np.mean(v)), 4) for k, v in sorted(recall.items())},
                groups=len(groups), largest_group=max((len(g) for g in groups), default=0))


def comparisons(data: dict) -> list[dict]:
    "tinymatch dedup vs pHash on the same files: recall (mean over transforms; pHash's worst is 0) and pair precision"
    ours, ph = data["results"][0], data["results"][1]
    mean = lambda r: float(np.mean(list(r["recall"].values())))
    return [comparison(f"near-duplicate recall, mean of {len(ours['recall'])} transforms: dedup vs pHash", mean(ours), mean(ph),
                       "recall", lower_is_better=False),
            comparison("near-duplicate pair precision: dedup vs pHash", ours["pair_precision"], ph["pair_precision"],
                       "precision", lower_is_better=False)]


def main():
    ap = benchmark_parser(__doc__, RESULTS)
    ap.add_argument("--calibrate", action="store_true", help="calibrate the copy descriptor on training pictures first")
    ap.add_argument("--calibration-pictures", type=int, default=4000)
    ap.add_argument("--originals", type=int, default=200)
    ap.add_argument("--distractors", type=int, default=4000)
    ap.add_argument("--phash-bits", type=int, default=8, help="largest Hamming distance of pHash duplicates (imagehash's common choice)")
    a = ap.parse_args()
    from tinymatch.core import home_dir
    home = home_dir(a.home)
    index, split = study_index(a.source, home)
    cal_files, cal_data = calibration_files(split, a.calibration_pictures)
    if a.calibrate: calibrate(cal_files, cal_data, home)
    folder, truth = plant(a.source, home, a.originals, a.distractors)
    planted_names = {Path(p).name for p, (_, kind) in truth.items() if kind == "original"}
    overlap = planted_names & {f.name for f in cal_files}
    if overlap: raise SystemExit(f"planted pictures overlap the calibration pictures: {sorted(overlap)[:3]}")
    wnid_group = class_groups(split)
    file_group = {Path(p).name: wnid_group[w] for p, w, o in zip(index["path"], index["wnid"], index["official_split"]) if o == "val"}
    from tinymatch.search import Gallery, DEDUP_ASSETS
    t0 = time.time()
    g = Gallery.open(folder, None, home)
    counts = g.update(["dedup"])["dedup"]            # files embedded now (0 when an earlier run stored them)
    embed_s = time.time() - t0
    t0 = time.time()
    groups = g.duplicates()
    ours_s = time.time() - t0
    ours = score(groups, truth)
    paths = sorted(truth)
    t0 = time.time()
    ph_groups = phash_groups(paths, a.phash_bits)
    ph = score(ph_groups, truth)
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
    res["comparisons"] = comparisons(res)
    write_result("near_duplicates", res, a.out_dir)
    print(json.dumps(res["results"], indent=1))


if __name__ == "__main__":
    main()
