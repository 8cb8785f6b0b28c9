"""A 10,000-image folder is indexed once; adding one image and searching re-embeds that image and the query only.

The embedder is a tiny Keras model (the count of images it embeds is what is checked, not its quality), so the test
spends its time decoding JPEGs, as `tinymatch search` on a real folder would.
"""
import numpy as np
import pytest
from PIL import Image

N_IMAGES = 10_000


def tiny_feature_model(size=32, dim=8):
    import tensorflow as tf
    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((size, size, 3))
    x = tf.keras.layers.Conv2D(6, 3, strides=2, activation="relu")(tf.keras.layers.Rescaling(1 / 255.)(inp))
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inp, tf.keras.layers.UnitNormalization()(tf.keras.layers.Dense(dim)(x)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("gallery")
    rng = np.random.default_rng(0)
    for i in range(N_IMAGES):
        sub = root / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(sub / f"img{i:05d}.jpg", quality=90)
    return root


def test_one_new_image_is_the_only_one_embedded(folder, tmp_path):
    from tinymatch.matcher import ImageMatcher
    from tinymatch.search import Gallery
    matcher = ImageMatcher(tiny_feature_model())
    home = tmp_path / "home"
    first = Gallery.open(folder, matcher, home)
    counts = first.update(progress=False)["search"]
    assert counts["embedded"] == N_IMAGES and first.store("search").embedder.calls == N_IMAGES, counts

    new = folder / "new.jpg"
    Image.fromarray(np.full((16, 16, 3), 200, np.uint8)).save(new, quality=90)
    again = Gallery.open(folder, matcher, home)                  # a later session: the stored vectors are reused
    hits = again.search(new, k=3)
    assert again.store("search").embedder.calls == 2             # the new file, then the query
    assert len(again.store("search")) == N_IMAGES + 1
    assert str(hits["path"].iloc[0]).endswith("new.jpg")              # the added image is found as its own best match
