"""The Omniglot release's MHD baseline on its 20 official one-shot runs (skipped when the zip is absent).

The release reports 38.8% average error for its demo; `baselines.mhd_distances` follows the demo (ink =
black pixels, each point set centred on its mean), so it should land there. This scores the test set
once and chooses nothing on it. The runs come from TINYMATCH_OMNIGLOT_RUNS, else the shared data folder:

    TINYMATCH_OMNIGLOT_RUNS=/work/shared/data/omniglot/all_runs.zip .venv/bin/pytest tests/test_fewshot_real.py
"""
import os
from pathlib import Path
import pytest

SHARED = [Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot" / "all_runs.zip",
          Path("/work/shared/data/omniglot/all_runs.zip")]
RUNS = Path(os.environ.get("TINYMATCH_OMNIGLOT_RUNS") or next((p for p in SHARED if p.is_file()), SHARED[0]))


@pytest.mark.skipif(not RUNS.exists(), reason=f"{RUNS} not found (set TINYMATCH_OMNIGLOT_RUNS)")
def test_mhd_on_the_official_runs(tmp_path):
    from tinymatch.baselines import mhd_distances
    from tinymatch.fewshot import read_one_shot_runs, score_one_shot_runs
    runs = read_one_shot_runs(RUNS, home=tmp_path)
    assert [r.name for r in runs] == [f"run{i:02d}" for i in range(1, 21)]
    assert all(r.n_way == 20 and len(r.query_paths) == 20 for r in runs)
    score = score_one_shot_runs(runs, mhd_distances, progress=False)
    assert len(score.per_query) == 400
    assert 0.30 <= score.error_rate <= 0.48, score.per_run                 # a sane band around the published figure
    assert abs(score.mean_run_error - 0.388) < 0.005, score.mean_run_error  # the release's demo: 38.8% average error
    lo, hi = score.interval
    assert lo < score.accuracy < hi and hi - lo < 0.25
