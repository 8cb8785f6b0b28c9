"""Embedding a folder of JPEGs: `tinymatch embed` (search.embed_folder: parallel decode/resize one batch ahead,
store and FAISS index written) vs the bare feature model on pre-decoded, pre-resized batches, same run.

The model is EfficientNet-Lite0 at 128 px with an untrained head (the compute of a trained one). The bare rate
is measured before and after ours (shared machine) and averaged; CPU-time rates are reported too.

Usage: python benchmarks/folder_embedding.py [--images 10000] [--bare-images 1024] [--out-dir DIR]
Writes <--out-dir>/folder_embedding.json (default benchmarks/results) in the one result schema (tinymatch.records).
Pictures: Tiny ImageNet official val JPEGs of --source / TINYMATCH_DATA, copied to <home>/bench/.
"""
from __future__ import annotations
import tempfile, time
from pathlib import Path
import numpy as np

from tinymatch.baselines import bare_images_per_second
from tinymatch.records import benchmark_parser, folder_embedding_comparisons, write_result

RESULTS = Path(__file__).resolve().parent / "results"
NOTE = "measured on a shared 2-core machine under load from other jobs (load average in `machine`)"


def main():
    ap = benchmark_parser(__doc__, RESULTS)
    ap.add_argument("--images", type=int, default=10_000); ap.add_argument("--bare-images", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=64); ap.add_argument("--size", type=int, default=128)
    a = ap.parse_args()
    from tinymatch.core import home_dir, quiet_tensorflow
    from tinymatch.config import ExperimentConfig
    from tinymatch.data import build_index, prepare, sample_pictures
    from tinymatch.model import build_feature_model, save_feature_model
    from tinymatch.matcher import ImageMatcher
    from tinymatch.pipelines import load_resized
    from tinymatch.search import embed_folder
    quiet_tensorflow()
    home = home_dir(a.home)
    files = sample_pictures(build_index(prepare(a.source, home, progress=False)), "val", a.images, seed=3)
    folder = home / "bench" / f"embed-{a.images}"
    if not folder.is_dir():
        folder.mkdir(parents=True)
        for f in files: (folder / f.name).write_bytes(f.read_bytes())
    cfg = ExperimentConfig("bench_embed", image_size=a.size)
    model_dir = home / "bench" / "embed_model"
    if not (model_dir / "feature_model").is_dir(): save_feature_model(build_feature_model(cfg), model_dir)
    matcher = ImageMatcher.load(model_dir)
    fm = matcher.feature_model
    batch_files = sorted(folder.iterdir())[:a.bare_images]
    images = np.stack([load_resized(f, a.size) for f in batch_files])
    batches = [images[i:i + a.batch_size] for i in range(0, len(images), a.batch_size)]
    fm(batches[0], training=False)
    bare = lambda: bare_images_per_second(lambda b: fm(b, training=False), batches)
    before = bare()
    with tempfile.TemporaryDirectory() as h:
        t0, c0 = time.perf_counter(), time.process_time()
        st = embed_folder(folder, Path(h) / "emb.npz", matcher, home=h)
        ours_s, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
        n = len(st)
        t0 = time.perf_counter()
        (folder / "new.JPEG").write_bytes(files[0].read_bytes())
        st2 = embed_folder(folder, Path(h) / "emb2.npz", matcher, home=h)
        again_s = time.perf_counter() - t0
        (folder / "new.JPEG").unlink()
    after = bare()
    bare_rate, bare_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    ours_rate = n / ours_s
    res = dict(note=NOTE, images=n, image_size=a.size, batch_size=a.batch_size,
               results=[dict(what="bare feature model, pre-decoded batches", images=len(images), images_per_second=round(bare_rate, 1),
                             runs_images_per_second=[round(before[0], 1), round(after[0], 1)], images_per_cpu_second=round(bare_cpu, 1)),
                        dict(what="tinymatch embed (embed_folder: decode in a thread pool, embed, store + index)", images=n,
                             seconds=round(ours_s, 1), images_per_second=round(ours_rate, 1), images_per_cpu_second=round(n / ours_cpu, 1),
                             ratio_over_bare=round(ours_rate / bare_rate, 3), cpu_ratio_over_bare=round(n / ours_cpu / bare_cpu, 3)),
                        dict(what="one image added, embed again (incremental)", seconds=round(again_s, 2),
                             embedded=st2.embedder.calls)])
    res["comparisons"] = folder_embedding_comparisons(res)
    write_result("folder_embedding", res, a.out_dir)
    print(res["results"])


if __name__ == "__main__":
    main()
