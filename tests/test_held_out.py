"""Held-out classes (unseen test and unseen validation) never reach training, the HPT objective or calibration,
whether they are held out one by one (`held_out_classes`) or as whole groups (`held_out_groups`, e.g. alphabets).

Every function that receives the arrays the trainer, the study's objective and the threshold calibration
work on is wrapped, and the labels it receives are recorded; none may belong to a held-out class, while the
held-out rows do exist in the index (so the check cannot pass by having nothing to find)."""
import numpy as np
import pytest
import tinymatch.matcher as matcher_mod
import tinymatch.evaluation as evaluation_mod
import tinymatch.train as train_mod
from tinymatch.config import load_hpt_config
from tinymatch.data import load_dataset
from tinymatch.synthetic import make_picture_tree, make_synthetic_dataset
from tinymatch.extractors import tiny_test_extractor
from tinymatch.hpt import run_study, best_config
from tinymatch.matcher import ImageMatcher
from tinymatch.evaluation import evaluate, open_set_evaluation


@pytest.fixture(scope="module")
def study_setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("held_out")
    synth = make_synthetic_dataset(tmp / "synth", n_classes=10, train_per_class=12, val_per_class=4, image_size=32)
    ext = tiny_test_extractor(tmp / "ext", output_dim=6)
    (tmp / "hpt.yaml").write_text(
        f"study_name: leak_study\nn_trials: 2\nobjective: map_at_r\npruner: none\nfeature_extractor: {ext}\n"
        "image_size: 32\nembedding_dim: 8\nintermediate_ff_block_units: [8]\nepochs: 2\nearly_stopping_patience: 1\n"
        "batch_size: 12\nsamples_per_class: 3\nheld_out_classes: 2\nheld_out_valid_classes: 2\ndropout_grid: [0.0, 0.5]\n")
    return tmp, synth, load_hpt_config(tmp / "hpt.yaml")


@pytest.fixture(scope="module")
def group_setup(tmp_path_factory):
    "A class-per-folder collection of 4 groups (alphabets) of 3 classes, one group held out for the test, one for validation"
    tmp = tmp_path_factory.mktemp("held_out_groups")
    tree = make_picture_tree(tmp / "tree", n_groups=4, classes_per_group=3, images_per_class=10, imbalance=3)
    ext = tiny_test_extractor(tmp / "ext", output_dim=6)
    (tmp / "hpt.yaml").write_text(
        f"study_name: group_leak_study\nn_trials: 2\nobjective: map_at_r\npruner: none\nfeature_extractor: {ext}\n"
        "image_size: 32\nembedding_dim: 8\nintermediate_ff_block_units: [8]\nepochs: 2\nearly_stopping_patience: 1\n"
        "batch_size: 6\nsamples_per_class: 3\nheld_out_groups: 1\nheld_out_valid_groups: 1\ntest_fraction: 0.3\n"
        "dropout_grid: [0.0, 0.5]\n")
    return tmp, tree, load_hpt_config(tmp / "hpt.yaml")


def test_held_out_classes_reach_no_training_hpt_or_calibration_array(study_setup, monkeypatch):
    tmp, synth, hcfg = study_setup
    _check_no_leak(tmp, synth, hcfg, monkeypatch, n_held=4)


def test_held_out_groups_reach_no_training_hpt_or_calibration_array(group_setup, monkeypatch):
    tmp, tree, hcfg = group_setup
    index = _check_no_leak(tmp, tree, hcfg, monkeypatch, n_held=6)
    unseen = index[~index["seen"]]
    assert unseen.groupby("split")["group"].nunique().to_dict() == {"unseen_test": 1, "unseen_valid": 1}   # whole alphabets
    assert not set(unseen["group"]) & set(index.loc[index["seen"], "group"])


def _check_no_leak(tmp, source, hcfg, monkeypatch, n_held):
    "Run the HPT study, the final training and the evaluations with spies on every array they train or calibrate on"
    home = tmp / "home"
    index = load_dataset(hcfg.base, source=source, home=home, progress=False)
    held = set(index.loc[~index["seen"], "class_id"])
    assert len(held) == n_held and set(index.loc[~index["seen"], "split"]) == {"unseen_test", "unseen_valid"}
    seen = {}   # what each wrapped function received: name -> set of labels

    def note(name, labels): seen.setdefault(name, set()).update(np.asarray(labels).ravel().tolist())
    fit = train_mod.fit
    def spy_fit(cfg, model, train_batches, valid_batches, *a, **kw):
        for e in range(cfg.epochs):
            for _, y in train_batches(e): note("fit train batches", y)
        for _, y in valid_batches(): note("fit valid batches", y)
        return fit(cfg, model, train_batches, valid_batches, *a, **kw)
    valid_map = train_mod.valid_map_at_r
    def spy_valid_map(head, x, y): note("HPT objective (val MAP@R)", y); return valid_map(head, x, y)
    calibrate = ImageMatcher.calibrate
    def spy_calibrate(self, embeddings, labels, *a, **kw):
        note("ImageMatcher.calibrate", labels)
        return calibrate(self, embeddings, labels, *a, **kw)
    thresholds = matcher_mod.calibrate_thresholds
    def spy_thresholds(embeddings, labels, *a, **kw): note("calibrate_thresholds", labels); return thresholds(embeddings, labels, *a, **kw)
    monkeypatch.setattr(train_mod, "fit", spy_fit)
    monkeypatch.setattr(train_mod, "valid_map_at_r", spy_valid_map)
    monkeypatch.setattr(ImageMatcher, "calibrate", spy_calibrate)
    monkeypatch.setattr(matcher_mod, "calibrate_thresholds", spy_thresholds)      # ImageMatcher.calibrate
    monkeypatch.setattr(evaluation_mod, "calibrate_thresholds", spy_thresholds)   # open_set_evaluation

    study = run_study(hcfg, home=home, source=source, progress=False)                # HPT: trials through fit_config
    assert len(study.trials) >= 2
    model_dir = train_mod.train(best_config(study, hcfg), home=home, source=source)  # the final training
    ev = evaluate(ImageMatcher.load(model_dir), index, home=home)                    # calibrates on valid, scores test
    result = open_set_evaluation(model_dir, index, home=home, n_boot=20)           # raw thresholds calibrated too

    for name in ("fit train batches", "fit valid batches", "HPT objective (val MAP@R)", "ImageMatcher.calibrate", "calibrate_thresholds"):
        assert seen.get(name), f"{name}: never called, the check would be vacuous"
        assert not seen[name] & held, f"{name} received held-out classes {sorted(seen[name] & held)}"
    assert held & set(index.loc[index["split"] == "unseen_test", "class_id"])      # ... and they are scored at the end
    assert set(ev.labels.tolist()) & held == set()                                   # the seen test split holds no held-out class
    assert set(result.table["classes"]) == {"seen", "unseen", "unseen validation"}
    return index


def test_training_data_refuses_held_out_rows(study_setup):
    tmp, synth, hcfg = study_setup
    index = load_dataset(hcfg.base, source=synth, home=tmp / "home", progress=False)
    data = train_mod.TrainingData(index=index)
    with pytest.raises(Exception, match="training reads only 'train' and 'valid'"): data.rows(hcfg.base, "unseen_valid")
    bad = index.copy()
    bad.loc[bad["split"] == "unseen_valid", "split"] = "train"                      # a split built by hand, wrongly
    with pytest.raises(Exception, match="holds rows of held-out classes"): train_mod.TrainingData(index=bad).rows(hcfg.base, "train")
