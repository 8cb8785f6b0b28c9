"""Every committed reference run keeps what TensorBoard needs: `tensorboard --logdir report/artifacts/<profile>`
from a fresh clone shows the final training's scalars and hparams and a projector of test images from at
least 10 classes (at least 1,000 images, seen and unseen marked, when the run holds classes out), every
file small. The Omniglot run also keeps its one-shot results beside its figures."""
from pathlib import Path
import pandas as pd
import pytest
from tinymatch.report import REFERENCE_PROFILES, output_paths

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = [p for p in REFERENCE_PROFILES if output_paths(p, ROOT)["html"].exists()]   # reference runs committed so far


@pytest.mark.parametrize("profile", COMMITTED)
def test_committed_tensorboard_export(profile):
    kept = output_paths(profile, ROOT)["artifacts"] / "tensorboard"
    if profile == "cpu" and not kept.exists():
        pytest.xfail("the committed cpu run predates issue 13 and kept no TensorBoard logs; "
                     "it must pass once `tinymatch report --profile cpu` re-renders it")
    runs = {p.parent.relative_to(kept).as_posix() for p in kept.rglob("events.out.tfevents.*")}
    assert {"train", "validation", "hparams", "projector"} <= runs, runs
    meta = pd.read_csv(kept / "projector" / "metadata.tsv", sep="\t")
    assert meta["class_id"].nunique() >= 10, meta["class_id"].nunique()
    if set(meta["seen"]) != {"seen"}:             # a run holding classes out shows both kinds
        assert len(meta) >= 1000 and set(meta["seen"]) == {"seen", "unseen"}, (len(meta), set(meta["seen"]))
    # The kept files stay small enough for git: the largest is the projector's TSV, 1,000 rows of the matcher's
    # embedding (the head's output joined with the 1,280 raw features when raw_share_after_training > 0: ~9.5 MB)
    big = [f for f in kept.rglob("*") if f.is_file() and f.stat().st_size >= 12e6]
    assert not big, big
    emb = pd.read_csv(kept / "projector" / "embeddings.tsv", sep="\t", header=None)
    assert len(emb) == len(meta)


@pytest.mark.skipif("omniglot" not in COMMITTED, reason="the omniglot reference run is not committed yet")
def test_committed_omniglot_one_shot_results():
    figures = output_paths("omniglot", ROOT)["figures"]
    table = pd.read_csv(figures / "evaluation" / "one_shot_comparison.csv")
    assert {"trained matcher", "raw extractor features", "Modified Hausdorff Distance"} <= set(table["method"]), table
    assert table[["accuracy", "accuracy_lo", "accuracy_hi"]].notna().all().all()
    errors = pd.read_csv(figures / "evaluation" / "one_shot_run_errors.csv")
    assert len(errors) == 21 and errors["run"].iloc[-1] == "all runs"          # the 20 official runs and the overall error
    html = output_paths("omniglot", ROOT)["html"].read_text()
    for anchor in ("Koch", "95.5%", "96.7%", "published"): assert anchor in html, anchor
    assert "ImageNet overlap" not in html and "64x64" not in html
