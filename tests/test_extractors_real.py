"""EfficientNet-Lite0 features on real Tiny ImageNet images. Runs only when TINYMATCH_DATA names an existing zip:

    TINYMATCH_DATA=/work/shared/data/tiny-imagenet-200.zip .venv/bin/pytest tests/test_extractors_real.py -s

The dataset is prepared into TINYMATCH_HOME (default ~/.tinymatch); features go to a temporary home, except in
`test_default_cache_rows_match_the_extractor`, which checks an existing complete cache of the default home. The
TF Lite conversions of the extractor are cached in TINYMATCH_HOME/tflite/ (converted on the first run only).

The TF Lite runtime's features are checked against the Keras model's on a validation sample of real pictures: the
first validation image (official-train images of the seen classes of configs/hpt.yaml's split, as in
benchmarks/extraction.py) of each of the first 64 classes, at the study's input size (192) and at 128 px.
"""
import os
from pathlib import Path
import numpy as np
import pytest

ZIP = os.environ.get("TINYMATCH_DATA", "")
pytestmark = pytest.mark.skipif(not (ZIP.endswith(".zip") and Path(ZIP).is_file()),
                                reason="set TINYMATCH_DATA to the Tiny ImageNet zip to run the real-data tests")


@pytest.fixture(scope="module")
def index():
    from tinymatch.data import prepare, build_index
    return build_index(prepare(ZIP, progress=False))


def _val_subset(index, per_class):
    val = index[index["official_split"] == "val"].sort_values(["class_id", "path"])
    return val.groupby("class_id").head(per_class).reset_index(drop=True)


def test_raw_lite0_features_separate_classes(index, tmp_path):
    "Raw Lite0 features of 3 val images x 200 classes at 128 px: far better than chance at matching"
    from tinymatch.features import build_features, load_features, l2_normalize
    from tinymatch.metrics import pairwise_auc, retrieval_metrics
    subset = _val_subset(index, 3)
    cache = build_features(subset, "efficientnet_lite0", 128, tmp_path, batch_size=64, chunk_size=256, progress=False)
    assert cache.complete and cache.computed == 600 and cache.dim == 1280
    emb = l2_normalize(load_features(subset, "efficientnet_lite0", 128, tmp_path))
    labels = subset["class_id"].to_numpy()
    auc, p1 = pairwise_auc(emb, labels), retrieval_metrics(emb, labels)["precision_at_1"]
    print(f"\nraw Lite0 128 px, 600 val images: pairwise AUC {auc:.3f}, P@1 {p1:.3f} (chance 0.003)")
    assert auc > 0.78 and p1 > 0.1


def test_default_cache_rows_match_the_extractor(index):
    "If the default home holds a complete 128 px Lite0 cache of the whole dataset, its rows are the right images"
    from tinymatch.features import find_cache
    from tinymatch.extractors import get_extractor
    from tinymatch.pipelines import image_dataset
    cache = find_cache(index, "efficientnet_lite0", 128)
    if cache is None: pytest.skip("no complete 128 px cache in the default home (tinymatch features --image-size 128)")
    rows = cache.rows()
    assert len(rows) == len(index) == 110_000
    pick = index.sample(64, random_state=0)
    at = {p: i for i, p in enumerate(rows["path"])}
    rel = ["/".join(Path(p).parts[-4:] if s == "train" else Path(p).parts[-3:]) for p, s in zip(pick["path"], pick["official_split"])]
    cached = np.asarray(cache.features()[[at[r] for r in rel]])
    direct = get_extractor("efficientnet_lite0").build(128).predict(image_dataset(pick["path"], 128, batch_size=64), verbose=0)
    np.testing.assert_allclose(cached, direct, rtol=1e-3, atol=1e-3)   # oneDNN on/off differ only by round-off
    assert (rows["class_id"].to_numpy()[[at[r] for r in rel]] == pick["class_id"].to_numpy()).all()


STUDY_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "hpt.yaml"


@pytest.fixture(scope="module")
def validation_sample():
    "The first validation row of each of the first 64 seen classes of the study's split"
    from tinymatch.config import load_hpt_config
    from tinymatch.data import load_dataset
    from tinymatch.features import first_valid_per_class
    split = load_dataset(load_hpt_config(STUDY_CONFIG).base, ZIP, progress=False)
    return first_valid_per_class(split, 1).iloc[:64].reset_index(drop=True)


@pytest.mark.parametrize("size", [192, 128])
def test_tflite_features_equal_keras_on_real_pictures(validation_sample, size):
    "TF Lite (XNNPACK, fp32) gives the Keras model's features: cosine >= 0.9999 on every picture of the sample"
    from tinymatch.extractors import MIN_COSINE, feature_cosines, frozen_runner, get_extractor
    from tinymatch.pipelines import image_dataset
    spec = get_extractor("efficientnet_lite0")
    images = np.concatenate([b.numpy() for b in image_dataset(validation_sample["path"], size, batch_size=32)])
    runner = frozen_runner(spec, size, "tflite")
    assert (runner.runtime, runner.xnnpack) == ("tflite", True)
    cos = feature_cosines(runner(images), spec.build(size).predict(images, batch_size=32, verbose=0))
    print(f"\n{size} px, {len(images)} pictures: min cosine TF Lite vs Keras {cos.min():.7f}")
    assert len(cos) == 64 and cos.min() >= MIN_COSINE


def test_feature_caches_of_both_runtimes_agree(validation_sample, tmp_path):
    "The cache filled through TF Lite and the one filled through Keras are two folders holding equal features"
    from tinymatch.extractors import MIN_COSINE, feature_cosines
    from tinymatch.features import build_features, load_features
    caches = {r: build_features(validation_sample, "efficientnet_lite0", 192, tmp_path, batch_size=32, chunk_size=64,
                                progress=False, runtime=r) for r in ("tflite", "keras")}
    assert caches["tflite"].path != caches["keras"].path
    assert [c.meta["runtime"] for c in caches.values()] == ["tflite", "keras"]
    feats = {r: load_features(validation_sample, "efficientnet_lite0", 192, tmp_path, runtime=r) for r in caches}
    assert feature_cosines(feats["tflite"], feats["keras"]).min() >= MIN_COSINE


def test_bundled_matcher_embeds_as_its_keras_model(validation_sample):
    "The bundled matcher's fast embedding equals its Keras feature model's, and every pair's match decision is the same"
    from tinymatch.extractors import MIN_COSINE, feature_cosines
    from tinymatch.matcher import load_bundled_matcher
    from tinymatch.pipelines import prepare_images
    matcher = load_bundled_matcher()
    images = prepare_images(list(validation_sample["path"]), matcher.image_size)
    fast, keras = matcher.embed_images(images), matcher.feature_model.predict(images, batch_size=32, verbose=0)
    assert matcher._fast_parts()[0].runtime == "tflite"
    assert feature_cosines(fast, keras).min() >= MIN_COSINE
    score = lambda e: -np.linalg.norm(e[:, None] - e[None], axis=-1)
    same = (score(fast) >= matcher.threshold) == (score(keras) >= matcher.threshold)
    print(f"\nbundled matcher: {same.size} pairs, {int((~same).sum())} decisions differ; "
          f"largest score difference {np.abs(score(fast) - score(keras)).max():.2e}")
    assert same.all()
