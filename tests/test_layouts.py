"""`tinymatch data prepare` on every layout a user may bring, run as a user runs it, and the real Omniglot zip.

Synthetic collections (`synthetic.make_picture_tree`): nested groups, split folders, a CSV manifest, mixed formats,
modes and sizes, OS leftovers and a corrupt picture (skipped and counted), a class of one picture (an error).
Several datasets share one TINYMATCH_HOME without mixing; imbalanced classes (10x) go through the batch sampler
and the per-class metrics. The Omniglot test runs when `/work/shared/data/omniglot/images_background_small1.zip`
(or OMNIGLOT_BACKGROUND) exists."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from tinymatch import data
from tinymatch.synthetic import make_picture_tree, make_synthetic_dataset

BIN = Path(sys.executable).parent
OMNIGLOT = Path(os.environ.get("OMNIGLOT_BACKGROUND", "/work/shared/data/omniglot/images_background_small1.zip"))


def prepare_cli(*args):
    "Run `tinymatch data prepare ...` as a user would; return the finished process"
    return subprocess.run([str(BIN / "tinymatch"), "data", "prepare", *map(str, args)], capture_output=True, text=True, timeout=300)


def one_line_error(r) -> str:
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode != 0 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    "One collection per layout, and the zip of one of them (its tree under one top folder, with macOS leftovers)"
    tmp = tmp_path_factory.mktemp("layouts")
    out = dict(
        nested=make_picture_tree(tmp / "nested", n_groups=2, classes_per_group=3, images_per_class=4, imbalance=10,
                                 group_depth=2, junk=True),
        split=make_picture_tree(tmp / "split", n_groups=0, classes_per_group=4, images_per_class=5, split_folders=True),
        csv=make_picture_tree(tmp / "csv", n_groups=2, classes_per_group=2, images_per_class=3, manifest=True),
        lonely=make_picture_tree(tmp / "lonely", n_groups=0, classes_per_group=3, single_image_class=True),
    )
    zipped = Path(shutil.make_archive(str(tmp / "nested_zip"), "zip", tmp, "nested"))
    import zipfile
    with zipfile.ZipFile(zipped, "a") as z: z.writestr("__MACOSX/nested/._notes.txt", "x")
    out["zip"] = zipped
    return tmp, out


def test_nested_groups_with_junk_as_a_user_runs_it(trees):
    tmp, t = trees
    home = tmp / "home"
    r = prepare_cli("--source", t["nested"], "--home", home)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "layout folders" in lines[0] and data.dataset_name(t["nested"]) in lines[0]
    assert lines[1] == "images 101, classes 6, groups 2"
    assert lines[2] == "official split: train 101"
    assert lines[3].startswith("skipped: 2 file(s): notes.txt (not a picture file); set_0/alphabet_0/character01/broken.png (")
    assert not any(s in r.stdout for s in ("__MACOSX", ".DS_Store", "._hidden"))     # OS leftovers: ignored, not listed
    summary = json.loads(prepare_cli("--source", t["nested"], "--home", home, "--json").stdout)
    assert (summary["layout"], summary["images"], summary["classes"], summary["groups"]) == ("folders", 101, 6, 2)
    assert len(summary["skipped"]) == 2 and sum(summary["split"].values()) == 101
    idx = data.build_index(summary["root"])
    assert sorted(idx["group"].unique()) == ["set_0/alphabet_0", "set_1/alphabet_1"]
    assert idx.groupby("class_id").size().agg(["min", "max"]).tolist() == [4, 40]


def test_zip_of_a_tree_gives_the_folder_s_index(trees):
    tmp, t = trees
    home = tmp / "home"
    r = prepare_cli("--source", t["zip"], "--home", home, "--json")
    assert r.returncode == 0, r.stderr
    zipped, folder = json.loads(r.stdout), json.loads(prepare_cli("--source", t["nested"], "--home", home, "--json").stdout)
    assert zipped["root"] != folder["root"] and Path(zipped["root"]).parent == Path(folder["root"]).parent == home / "data"
    for k in ("layout", "images", "classes", "groups", "official_split", "split"): assert zipped[k] == folder[k], k
    a, b = data.build_index(zipped["root"]), data.build_index(folder["root"])
    assert a.drop(columns="path").equals(b.drop(columns="path"))
    assert data.index_fingerprint(a) == data.index_fingerprint(b)     # same pictures, same labels: same rows


def test_split_folders_and_csv(trees):
    tmp, t = trees
    s = json.loads(prepare_cli("--source", t["split"], "--home", tmp / "home", "--json").stdout)
    assert (s["layout"], s["classes"], s["official_split"]) == ("split-folders", 4, {"train": 12, "val": 4, "test": 4})
    assert s["split"] == {"train": 12, "valid": 4, "test": 4}                     # its own val and test, nothing carved
    c = json.loads(prepare_cli("--source", t["csv"] / "labels.csv", "--home", tmp / "home", "--json").stdout)
    assert (c["layout"], c["images"], c["classes"], c["groups"]) == ("csv", 12, 4, 2)
    d = json.loads(prepare_cli("--source", t["csv"], "--home", tmp / "home", "--json").stdout)   # the folder holding it
    assert (d["layout"], d["images"]) == ("csv", 12)


def test_errors_name_the_path_in_one_line(trees):
    tmp, t = trees
    error = one_line_error(prepare_cli("--source", t["lonely"], "--home", tmp / "h"))
    assert "lonely/lonely: 1 picture(s); expected at least 2 per class" in error
    empty = tmp / "empty"; (empty / "a").mkdir(parents=True); (empty / ".DS_Store").write_text("x")
    assert "empty: no pictures found" in one_line_error(prepare_cli("--source", empty, "--home", tmp / "h"))
    bad = tmp / "bad_csv"; shutil.copytree(t["csv"], bad)
    (bad / "labels.csv").write_text("path,split\npictures/x.png,train\n")
    assert "labels.csv: missing column(s) ['label']" in one_line_error(prepare_cli("--source", bad / "labels.csv", "--home", tmp / "h"))
    (bad / "labels.csv").write_text("path,label\npictures/nowhere.png,a\npictures/gone.png,a\n")
    assert "2 path(s) not found" in one_line_error(prepare_cli("--source", bad / "labels.csv", "--home", tmp / "h"))
    assert not (tmp / "h" / "data").exists() or not [p for p in (tmp / "h" / "data").iterdir() if not p.name.startswith(".")]


def test_datasets_side_by_side_never_mix(trees):
    "A Tiny ImageNet-layout set and two picture trees in one home: own folders, own indexes, own feature caches"
    from tinymatch.features import cache_dir
    tmp, t = trees
    home = tmp / "side_by_side"
    synth = make_synthetic_dataset(tmp / "synth", n_classes=4, train_per_class=6, val_per_class=2, image_size=32)
    roots = [data.prepare(s, home=home, progress=False) for s in (synth, t["nested"], t["split"], t["zip"])]
    assert roots[0] == synth.resolve()                                           # Tiny ImageNet folders: checked in place, as before
    assert len({r.name for r in roots[1:]}) == 3 and all(r.parent == home / "data" for r in roots[1:])
    idx = [data.build_index(r) for r in roots]
    fingerprints = {data.index_fingerprint(i) for i in idx}
    caches = {cache_dir(i, "efficientnet_lite0", 64, home) for i in idx}
    assert len(fingerprints) == 3 and len(caches) == 4                           # the zip and its folder: same rows, other identity
    assert data.dataset_label(idx[1])["name"] == roots[1].name and data.dataset_label(idx[0])["name"] == "tiny-imagenet-200"
    assert data.prepare(t["nested"], home=home, progress=False) == roots[1]       # prepared once: a marker lookup


def test_imbalanced_classes_in_the_sampler_and_the_metrics():
    "Classes 10x apart: every row is drawn each epoch, no class twice in a batch; per-class metrics count each class once"
    from tinymatch.pipelines import balanced_batches
    from tinymatch.metrics import class_average_precision, retrieval_metrics
    sizes = [4, 6, 10, 16, 25, 40]
    labels = np.repeat(np.arange(len(sizes)), sizes)
    batches = list(balanced_batches(labels, batch_size=12, samples_per_class=2, seed=0))
    assert set(np.concatenate(batches)) == set(range(len(labels)))
    for b in batches:
        classes, counts = np.unique(labels[b], return_counts=True)
        assert len(classes) == 6 and set(counts) == {2}
    emb = np.eye(len(sizes), 16)[labels] + 0.01 * np.random.default_rng(0).normal(size=(len(labels), 16))   # separable classes
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    m = retrieval_metrics(emb, labels)
    assert m["precision_at_1"] == 1.0 and m["map_at_r"] == pytest.approx(1.0)
    classes, ap, counts = class_average_precision(emb, labels)
    assert classes.tolist() == list(range(6)) and counts.tolist() == sizes and np.allclose(ap, 1.0)


@pytest.mark.skipif(not OMNIGLOT.is_file(), reason="the Omniglot background zip is not on this machine")
def test_omniglot_background_small1(tmp_path):
    r = prepare_cli("--source", OMNIGLOT, "--home", tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "layout folders" in lines[0] and "images-background-small1-" in lines[0]
    assert lines[1:4] == ["images 2720, classes 136, groups 5", "official split: train 2720", "skipped: none"]
    root = data.prepare(OMNIGLOT, home=tmp_path, progress=False)
    idx = data.build_index(root)
    assert set(idx.groupby("class_id").size()) == {20} and idx["group"].nunique() == 5
    assert idx.loc[0, "wnid"].count("/") == 1 and idx.loc[0, "group"] == idx.loc[0, "wnid"].split("/")[0]
    d = data.describe_dataset(idx)
    assert (d["images"], d["classes"], d["groups"], d["sizes"], d["modes"]) == (2720, 136, 5, {"105x105": 200}, {"1": 200})
    sp = data.split_index(idx, seed=0, held_out_groups=1, held_out_valid_groups=1, test_fraction=0.25)
    unseen = sp[~sp["seen"]]
    assert unseen.groupby("split")["group"].nunique().to_dict() == {"unseen_test": 1, "unseen_valid": 1}
    assert set(sp.loc[sp["seen"] & (sp["split"] == "test")].groupby("class_id").size()) == {5}   # 25% of 20 drawings
