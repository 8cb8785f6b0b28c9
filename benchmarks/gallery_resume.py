"""Resuming a killed gallery build: `tinymatch embed` over N Tiny ImageNet pictures, uninterrupted from cold, vs the
same build SIGKILLed once half its chunks are committed and then run again (issue #21).

Each part runs as its own child process (search.embed_in_child): its wall time and its own peak memory (max RSS,
os.wait4) are recorded, with the images the rerun reused from finished chunks and embedded, and whether the
resumed store's output equals the uninterrupted one's. The model is the bundled reference matcher (its real
vector size and input size). Load averages are taken before and after (shared machine).

Usage: python benchmarks/gallery_resume.py [--images 110000] [--chunk-size 1024] [--quick] [--out-dir DIR]
Writes <--out-dir>/gallery_resume.json (default benchmarks/results; with --quick, <home>/bench/quick_results) in
the one result schema (tinymatch.records). Pictures: official train (then val) JPEGs of --source / TINYMATCH_DATA,
copied to <home>/bench/gallery-<N>/. --quick: 200 pictures in chunks of 32, a check that the script runs.
"""
from __future__ import annotations
from pathlib import Path
import numpy as np

from tinymatch.records import benchmark_parser, gallery_resume_comparisons, load_average, write_result

RESULTS = Path(__file__).resolve().parent / "results"
NOTE = "measured on a shared 2-core machine under load from other jobs (load averages in `load_average_*` and `machine`)"


def main():
    ap = benchmark_parser(__doc__, RESULTS)
    ap.add_argument("--images", type=int, default=110_000, help="pictures in the gallery (train first, then val)")
    ap.add_argument("--chunk-size", type=int, default=None, help="files per checkpoint (default search.CHUNK_SIZE)")
    ap.add_argument("--quick", action="store_true", help="200 pictures, chunks of 32: check that the script runs")
    a = ap.parse_args()
    import shutil
    from tinymatch.core import home_dir
    from tinymatch.data import build_index, prepare, sample_pictures
    from tinymatch.search import CHUNK_SIZE, embed_in_child
    home = home_dir(a.home)
    n, chunk = (200, 32) if a.quick else (a.images, a.chunk_size or CHUNK_SIZE)
    out_dir = home / "bench" / "quick_results" if a.quick and a.out_dir == str(RESULTS) else a.out_dir
    index = build_index(prepare(a.source, home, progress=False))
    n_train = min(n, int((index["official_split"] == "train").sum()))
    files = sample_pictures(index, "train", n_train, seed=5) + sample_pictures(index, "val", n - n_train, seed=5)
    folder = home / "bench" / f"gallery-{n}"
    if not folder.is_dir() or sum(1 for _ in folder.iterdir()) != n:
        shutil.rmtree(folder, ignore_errors=True); folder.mkdir(parents=True)
        for f in files: (folder / f.name).write_bytes(f.read_bytes())
    runs = home / "bench" / f"gallery-resume-{n}"
    shutil.rmtree(runs, ignore_errors=True)
    chunks = -(-n // chunk)
    load_start = load_average()
    full = embed_in_child(folder, runs / "full.npz", runs / "full_home", chunk_size=chunk)
    killed = embed_in_child(folder, runs / "resumed.npz", runs / "resumed_home", chunk_size=chunk, kill_after_chunks=chunks // 2)
    rerun = embed_in_child(folder, runs / "resumed.npz", runs / "resumed_home", chunk_size=chunk)
    load_end = load_average()
    with np.load(runs / "full.npz") as x, np.load(runs / "resumed.npz") as y:
        same = bool(np.array_equal(x["paths"], y["paths"]) and np.array_equal(x["embeddings"], y["embeddings"]))
        dim = int(x["embeddings"].shape[1])
    res = dict(note=NOTE, images=n, chunk_size=chunk, chunks=chunks, model="the bundled reference matcher", dimension=dim,
               load_average_start=load_start, load_average_end=load_end, resumed_equals_uninterrupted=same,
               results=[dict(what="uninterrupted build from cold", **full),
                        dict(what=f"the same build, SIGKILLed once {chunks // 2} of {chunks} chunks were committed", **killed),
                        dict(what="the rerun after the kill", images_reused=rerun["gallery"]["kept"],
                             images_embedded=rerun["gallery"]["embedded"], **rerun)])
    res["comparisons"] = gallery_resume_comparisons(res)
    write_result("gallery_resume", res, out_dir)
    for r in res["results"]: print(r)
    print("resumed output equals the uninterrupted build's:", same)
    shutil.rmtree(runs, ignore_errors=True)


if __name__ == "__main__":
    main()
