"""Shared fixtures: the smoke profile of the report, rendered once per test session."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    "Run `tinymatch report --profile smoke` into a temporary home; it renders into home/runs/smoke/, never the repository"
    base = tmp_path_factory.mktemp("smoke")
    home = base / "home"
    out = home / "runs" / "smoke"        # where every non-cpu profile renders by default
    committed = [ROOT / "report" / "tinymatch_report.html", *(ROOT / "figures").rglob("*.png"), *(ROOT / "report" / "artifacts").rglob("*")]
    before = {p: p.stat().st_mtime_ns for p in committed if p.is_file()}
    env = {**os.environ, "TINYMATCH_HOME": str(home)}
    r = subprocess.run([str(BIN / "tinymatch"), "report", "--profile", "smoke", "--home", str(home)],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in before} == before, "the smoke run touched the committed cpu report"
    return dict(home=home, out=out, html=out / "report" / "tinymatch_report.html", stdout=r.stdout, stderr=r.stderr)
