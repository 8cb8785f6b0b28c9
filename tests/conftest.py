"""Shared fixtures: the smoke profile of the report, rendered once per test session."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    "Run `tinymatch report --profile smoke` into a temporary home and output folder"
    base = tmp_path_factory.mktemp("smoke")
    home, out = base / "home", base / "out"
    env = {**os.environ, "TINYMATCH_HOME": str(home)}
    r = subprocess.run([str(BIN / "tinymatch"), "report", "--profile", "smoke", "--home", str(home), "--out", str(out)],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return dict(home=home, out=out, html=out / "report" / "tinymatch_report.html", stdout=r.stdout, stderr=r.stderr)
