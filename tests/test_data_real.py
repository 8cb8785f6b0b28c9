"""The data module on the real Tiny ImageNet zip. Runs only when TINYMATCH_DATA names an existing zip file:

    TINYMATCH_DATA=/work/shared/data/tiny-imagenet-200.zip .venv/bin/pytest tests/test_data_real.py -s
"""
import errno, json, os, time
from pathlib import Path
import pytest

ZIP = os.environ.get("TINYMATCH_DATA", "")
pytestmark = pytest.mark.skipif(not (ZIP.endswith(".zip") and Path(ZIP).is_file()),
                                reason="set TINYMATCH_DATA to the Tiny ImageNet zip to run the real-data tests")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    "The shared zip prepared into a fresh home, with the wall time of the first call"
    from tinymatch import data
    home = tmp_path_factory.mktemp("home")
    t0 = time.time()
    root = data.prepare(ZIP, home=home, progress=False)
    seconds = time.time() - t0
    print(f"\nprepare({ZIP}) into an empty home: {seconds:.1f} s")
    return dict(home=home, root=root, seconds=seconds, index=data.build_index(root))


def test_counts(prepared):
    idx = prepared["index"]
    assert idx["official_split"].value_counts().to_dict() == {"train": 100_000, "val": 10_000}
    assert idx["class_id"].nunique() == 200 and idx["wnid"].nunique() == 200
    per_class = idx.groupby(["official_split", "class_id"]).size()
    assert set(per_class["train"]) == {500} and set(per_class["val"]) == {50}
    assert sorted(idx["class_id"].unique()) == list(range(200))
    assert idx.loc[idx["wnid"] == "n01443537", "class_name"].iloc[0] == "goldfish"
    assert all(Path(p).is_file() for p in idx["path"].sample(200, random_state=0))
    marker = json.loads((prepared["root"] / ".tinymatch_prepared.json").read_text())
    assert (marker["kind"], marker["n_classes"], marker["n_train"], marker["n_val"]) == ("zip", 200, 100_000, 10_000)


def test_split_is_stratified_and_repeatable(prepared):
    from tinymatch.data import split_index
    idx = prepared["index"]
    sp = split_index(idx, validation_fraction=0.2, seed=0)
    assert sp["split"].value_counts().to_dict() == {"train": 80_000, "valid": 20_000, "test": 10_000}
    per_class = sp[sp["split"] != "test"].groupby(["class_id", "split"]).size().unstack()
    assert set(per_class["train"]) == {400} and set(per_class["valid"]) == {100}
    assert (sp.loc[sp["split"] == "test", "official_split"] == "val").all()
    again = split_index(idx, validation_fraction=0.2, seed=0)
    assert again["split"].tolist() == sp["split"].tolist()
    other = split_index(idx, validation_fraction=0.2, seed=1)
    assert other["split"].tolist() != sp["split"].tolist()


def test_held_out_classes_and_subsampling(prepared):
    from tinymatch.config import ExperimentConfig
    from tinymatch.data import load_dataset
    cfg = ExperimentConfig("real", seed=0, held_out_classes=20, held_out_valid_classes=10, max_classes=50, images_per_class=100)
    df = load_dataset(cfg, source=ZIP, home=prepared["home"], progress=False)
    assert df["class_id"].nunique() == 50
    unseen = df[df["split"] == "unseen_test"]
    assert unseen["class_id"].nunique() == 20 and (unseen["official_split"] == "val").all() and not unseen["seen"].any()
    unseen_valid = df[df["split"] == "unseen_valid"]
    assert unseen_valid["class_id"].nunique() == 10 and set(unseen_valid.groupby("class_id").size()) == {100}
    assert not set(unseen["class_id"]) & set(unseen_valid["class_id"])
    seen = df[df["seen"] & (df["split"] != "test")].groupby(["class_id", "split"]).size().unstack()
    assert len(seen) == 20 and set(seen["train"]) == {80} and set(seen["valid"]) == {20}
    assert (df["split"] == "test").sum() == 20 * 50 and (df["split"] == "unseen_test").sum() == 20 * 50


def test_second_prepare_is_a_fast_no_op(prepared):
    from tinymatch import data
    marker = prepared["root"] / ".tinymatch_prepared.json"
    before = marker.stat().st_mtime_ns
    t0 = time.time()
    assert data.prepare(ZIP, home=prepared["home"], progress=False) == prepared["root"]
    seconds = time.time() - t0
    print(f"\nsecond prepare: {seconds * 1000:.1f} ms (first: {prepared['seconds']:.1f} s)")
    assert marker.stat().st_mtime_ns == before     # nothing re-extracted or re-verified (its time is printed, not asserted)


def test_fingerprint_is_stable(prepared):
    from tinymatch.data import build_index, index_fingerprint
    assert index_fingerprint(prepared["index"]) == index_fingerprint(build_index(prepared["root"]))


def test_grayscale_images_load_as_rgb(prepared):
    from tinymatch.dataset_plots import image_modes
    from tinymatch.pipelines import image_dataset, load_rgb
    idx = prepared["index"]
    modes = image_modes(idx["path"].iloc[:5000], progress=False)
    gray = modes[modes == "L"].index[:2].tolist()
    assert 0.005 < (modes == "L").mean() < 0.05 and len(gray) == 2
    paths = gray + idx["path"].iloc[:2].tolist()
    batch = next(iter(image_dataset(paths, 64, batch_size=4))).numpy()
    assert batch.shape == (4, 64, 64, 3)
    for i, p in enumerate(paths): assert (batch[i] == load_rgb(p)).all()


def test_full_disk_leaves_nothing(tmp_path, monkeypatch):
    "ENOSPC in the middle of extracting the real zip: one-line error, no dataset folder, no temporary folder"
    from tinymatch import data
    from tinymatch.core import TinymatchError
    real_writer, written = data._write_file, [0]
    def fills_up(path, content):
        written[0] += 1
        if written[0] > 2000: raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_writer(path, content)
    monkeypatch.setattr(data, "_write_file", fills_up)
    with pytest.raises(TinymatchError, match="no space left on device") as e:
        data.prepare(ZIP, home=tmp_path, progress=False)
    assert "\n" not in str(e.value)
    assert list((tmp_path / "data").iterdir()) == []
