"""Done-when test of issue 14 on real pictures: `tinymatch dedup` on a small folder of Tiny ImageNet pictures
with planted copies (JPEG re-encoding, small crop, mirror, brightness, 2x upscale) reaches pair precision
>= 0.95 and recall >= 0.9 for each transform; the --html page is written. Needs the dataset zip (skipped
without it) and the bundled dedup calibration."""
import json, os, io
from contextlib import redirect_stdout
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
ZIP = Path(os.environ.get("TINYMATCH_DATA") or "/work/shared/data/tiny-imagenet-200.zip")
pytestmark = pytest.mark.skipif(not ZIP.is_file() or ZIP.suffix != ".zip", reason="Tiny ImageNet zip not available")


def test_dedup_finds_planted_copies(tmp_path):
    from tinymatch.data import build_index, prepare, sample_pictures
    from tinymatch.search import cli_dedup, dedup_scores, plant_copies
    home = Path(os.environ.get("TINYMATCH_HOME") or tmp_path)
    folder = home / "bench" / "planted-30-300"        # as benchmarks/near_duplicates.py plants them
    truth = plant_copies(sample_pictures(build_index(prepare(ZIP, home, progress=False)), "val", 330, seed=2), folder, 30)
    buf = io.StringIO()
    with redirect_stdout(buf): code = cli_dedup([str(folder), "--json", "--home", str(home), "--html", str(tmp_path / "groups.html")])
    assert code == 0
    out = json.loads(buf.getvalue())
    s = dedup_scores(out["groups"], truth)
    assert s["pair_precision"] >= 0.95, s
    assert min(s["recall"].values()) >= 0.9, s
    assert sorted(s["recall"]) == ["brightness", "crop", "jpeg", "mirror", "upscale"]
    page = (tmp_path / "groups.html").read_text()
    assert page.count("<img") == sum(len(g) for g in out["groups"])
