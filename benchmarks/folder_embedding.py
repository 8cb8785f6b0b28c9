"""Embedding a folder of JPEGs: `tinymatch embed` (search.embed_folder: parallel decode/resize one batch ahead,
store and FAISS index written) vs the bare embedding on pre-decoded, pre-resized batches, same run.

The bare embedding is `ImageMatcher.embed_images`: the frozen extractor in the chosen runtime (--runtime auto: TF Lite
with XNNPACK when it converts, else Keras) and the Keras head on its output. The Keras feature model (extractor and
head in one Keras model) is measured on the same batches, and the least cosine between the two embeddings of every
bare image is recorded (required >= 0.9999). The model is EfficientNet-Lite0 at the study's input size
(configs/hpt.yaml) with an untrained head (the compute of a trained one). The chosen runtime's bare rate is measured
before and after ours and averaged; CPU-time rates are reported too.

Usage: python benchmarks/folder_embedding.py [--images 10000] [--bare-images 1024] [--size 192] [--runtime auto] [--threads N]
       [--out-dir DIR]
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
STUDY_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "hpt.yaml"


def main():
    ap = benchmark_parser(__doc__, RESULTS)
    ap.add_argument("--images", type=int, default=10_000); ap.add_argument("--bare-images", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--size", type=int, default=None, help="input size (default: the study's, configs/hpt.yaml)")
    ap.add_argument("--runtime", choices=["auto", "tflite", "keras"], default="auto", help="the frozen extractor's runtime")
    ap.add_argument("--threads", type=int, default=None, help="TF Lite threads (default: CPU count)")
    a = ap.parse_args()
    from tinymatch.core import home_dir, quiet_tensorflow
    from tinymatch.config import ExperimentConfig, load_hpt_config
    from tinymatch.data import build_index, prepare, sample_pictures
    from tinymatch.extractors import feature_cosines
    from tinymatch.model import build_feature_model, save_feature_model
    from tinymatch.matcher import ImageMatcher
    from tinymatch.pipelines import load_resized
    from tinymatch.search import embed_folder
    quiet_tensorflow()
    home = home_dir(a.home)
    size = a.size or load_hpt_config(STUDY_CONFIG).base.image_size
    files = sample_pictures(build_index(prepare(a.source, home, progress=False)), "val", a.images, seed=3)
    folder = home / "bench" / f"embed-{a.images}"
    if not folder.is_dir():
        folder.mkdir(parents=True)
        for f in files: (folder / f.name).write_bytes(f.read_bytes())
    cfg = ExperimentConfig("bench_embed", image_size=size)
    model_dir = home / "bench" / f"embed_model-{size}"
    if not (model_dir / "feature_model").is_dir(): save_feature_model(build_feature_model(cfg), model_dir)
    matcher = ImageMatcher.load(model_dir, runtime=a.runtime, home=home, threads=a.threads)
    fm = matcher.feature_model
    batch_files = sorted(folder.iterdir())[:a.bare_images]
    images = np.stack([load_resized(f, size) for f in batch_files])
    batches = [images[i:i + a.batch_size] for i in range(0, len(images), a.batch_size)]
    fast = matcher._fast_parts()       # converts the extractor once (cached under <home>/tflite/)
    runtime = fast[0].runtime if fast else "keras"
    min_cosine = float(min(feature_cosines(matcher.embed_images(b), fm(b, training=False).numpy()).min() for b in batches))
    keras_bare = bare_images_per_second(lambda b: fm(b, training=False), batches)
    bare = lambda: bare_images_per_second(matcher.embed_images, batches)
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
    res = dict(images=n, image_size=size, batch_size=a.batch_size, runtime=runtime, xnnpack=bool(fast and fast[0].xnnpack),
               threads=fast[0].threads if fast else None,
               keras_bare_images_per_second=round(keras_bare[0], 1), min_cosine_vs_keras=round(min_cosine, 6),
               features_equal=min_cosine >= 0.9999,
               results=[dict(what=f"bare embedding ({runtime} extractor + Keras head), pre-decoded batches", images=len(images),
                             images_per_second=round(bare_rate, 1), runs_images_per_second=[round(before[0], 1), round(after[0], 1)],
                             images_per_cpu_second=round(bare_cpu, 1)),
                        dict(what="tinymatch embed (embed_folder: decode in a thread pool, embed, store + index)", images=n,
                             seconds=round(ours_s, 1), images_per_second=round(ours_rate, 1), images_per_cpu_second=round(n / ours_cpu, 1),
                             ratio_over_bare=round(ours_rate / bare_rate, 3), cpu_ratio_over_bare=round(n / ours_cpu / bare_cpu, 3)),
                        dict(what="one image added, embed again (incremental)", seconds=round(again_s, 2),
                             embedded=st2.embedder.calls),
                        dict(what="bare Keras feature model, pre-decoded batches", images=len(images),
                             images_per_second=round(keras_bare[0], 1), images_per_cpu_second=round(keras_bare[1], 1))])
    res["comparisons"] = folder_embedding_comparisons(res)
    write_result("folder_embedding", res, a.out_dir)
    print(res["results"], f"min cosine vs keras {min_cosine:.6f}")


if __name__ == "__main__":
    main()
