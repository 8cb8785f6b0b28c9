"""The GPU build resolves: `make install GPU=1` installs requirements.txt and requirements-dev.txt with
requirements-gpu.txt (tensorflow[and-cuda], the same TensorFlow version) in place of tensorflow-cpu. This test
builds that file with the Makefile's own rule and asks pip to resolve it (`pip install --dry-run
--ignore-installed`), installing nothing.

`--use-feature=fast-deps` makes pip read each wheel's metadata by HTTP range requests: about 50 MB and under a
minute, where a plain --dry-run downloads every wheel (2.8 GB here: the TensorFlow and CUDA wheels). Skipped when
the package index cannot be reached (pip finds no tensorflow release).
"""
import re, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP = [sys.executable, "-m", "pip"]


def tensorflow_pin() -> str:
    "The tensorflow-cpu version pinned in requirements.txt"
    return re.search(r"^tensorflow-cpu==(\S+)", (ROOT / "requirements.txt").read_text(), re.M).group(1)


@pytest.fixture(scope="module")
def gpu_requirements(tmp_path_factory) -> Path:
    "The GPU requirement set, written by the Makefile's rule (`make GPU=1 VENV=... <VENV>/requirements-gpu-all.txt`)"
    venv = tmp_path_factory.mktemp("gpu") / "venv"
    target = venv / "requirements-gpu-all.txt"
    subprocess.run(["make", "-s", "GPU=1", f"VENV={venv}", str(target)], cwd=ROOT, check=True, capture_output=True, text=True)
    return target


def test_gpu_set_replaces_tensorflow_cpu(gpu_requirements):
    lines = [l.split("#")[0].strip() for l in gpu_requirements.read_text().splitlines()]
    pins = [l for l in lines if l and not l.startswith("-")]
    names = {re.split(r"[=<>;\[ ]", l)[0].lower() for l in pins}
    assert f"tensorflow[and-cuda]=={tensorflow_pin()}" in pins          # the same TensorFlow version, GPU build
    assert "tensorflow-cpu" not in names and {"pytest", "ruff", "pgserver", "tensorflow-addons"} <= names
    assert not [l for l in lines if l.startswith("-r ")]                  # no include that brings tensorflow-cpu back


def test_gpu_set_resolves(gpu_requirements):
    index = subprocess.run([*PIP, "index", "versions", "tensorflow"], capture_output=True, text=True, timeout=120)
    if index.returncode != 0 or tensorflow_pin() not in index.stdout: pytest.skip("package index not reachable: cannot resolve")
    r = subprocess.run([*PIP, "install", "--dry-run", "--ignore-installed", "--use-feature=fast-deps", "--no-cache-dir",
                        "-r", str(gpu_requirements)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    would = r.stdout[r.stdout.rfind("Would install"):]
    assert f"tensorflow-{tensorflow_pin()}" in would and "nvidia-cudnn-cu12" in would and "tensorflow-cpu" not in would
