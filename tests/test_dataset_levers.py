"""benchmarks/dataset_levers.py reads no test or unseen-test picture and takes no one-shot runs.

The script is run in its --quick mode (a tiny class-per-folder tree with groups, one alphabet held out for unseen
validation) on three levers that cover its three ways of embedding: the base head on cached features (and the raw
features), the augmentation layer (images through the frozen extractor), and fine-tuning (images through a trained
extractor). As soon as the script has split the data, every picture of a test or unseen-test row is moved away, so any
later read of one (feature cache, training, embedding) fails the run; the test rows do exist (the check cannot pass by
having nothing to hide)."""
import importlib.util, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("dataset_levers", ROOT / "benchmarks" / "dataset_levers.py")
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


def test_dataset_levers_reads_no_test_picture_nor_one_shot_runs(tmp_path, monkeypatch, capsys):
    import tinymatch.evaluation as evaluation_mod
    script, real, hidden = _script(), evaluation_mod.validation_index, {}

    def hide_the_rest(index):
        kept = real(index)
        assert set(kept["split"]) <= set(evaluation_mod.LEVER_SPLITS)
        for split, path in index.loc[~index["split"].isin(evaluation_mod.LEVER_SPLITS), ["split", "path"]].itertuples(index=False):
            Path(path).rename(tmp_path / f"hidden-{len(hidden)}"); hidden[path] = split
        return kept

    monkeypatch.setattr(evaluation_mod, "validation_index", hide_the_rest)
    out = tmp_path / "out"
    assert script.main(["--quick", "--allow-load", "--home", str(tmp_path / "home"), "--out-dir", str(out), "--episodes", "50",
                        "--set", "image_size=32", "--only", "base", "augmentation", "fine-tune-1"]) == 0
    assert "test" in set(hidden.values())                                  # test pictures existed and were out of reach
    result = json.loads((out / "dataset_levers.json").read_text())
    assert result["splits"] == {"seen validation": "valid", "unseen validation": "unseen_valid"}
    assert set(result["rows"]) == {"train", "valid", "unseen_valid"}
    rows = {r["lever"]: r for r in result["results"]}
    assert len(rows) == 4 and all(r["unseen validation few_shot_accuracy"] is not None for r in rows.values())
    assert not any("test" in k for r in rows.values() for k in r)
    with pytest.raises(SystemExit): script.main(["--help"])
    options = set(re.findall(r"(--[a-z-]+)", capsys.readouterr().out))
    assert "--quick" in options and not any("run" in o for o in options)  # no way to hand it the one-shot runs
