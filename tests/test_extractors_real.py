"""EfficientNet-Lite0 features on real Tiny ImageNet images. Runs only when TINYMATCH_DATA names an existing zip:

    TINYMATCH_DATA=/work/shared/data/tiny-imagenet-200.zip .venv/bin/pytest tests/test_extractors_real.py -s

The dataset is prepared into TINYMATCH_HOME (default ~/.tinymatch); features go to a temporary home, except in
`test_default_cache_rows_match_the_extractor`, which checks an existing complete cache of the default home.
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
