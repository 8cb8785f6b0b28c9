"""The library is what the notebooks say, and the notebooks are clean.

Runs `nbdev_export` and `nbdev_clean` on a copy of the project, so a failure never touches the
working tree, and names the notebook and module that disagree."""
import re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    dst = tmp_path_factory.mktemp("sync") / "proj"
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(".venv", ".git", "runs", ".tinymatch", "figures",
                                                            "__pycache__", "*.egg-info", "_proc", "_docs"))
    return dst


def notebook_of(module: str) -> str:
    "The notebook whose `default_exp` is `module`"
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        if re.search(rf'#\|\s*default_exp\s+{re.escape(module)}\b', nb.read_text()): return f"nbs/{nb.name}"
    return "no notebook"


def test_export_changes_nothing(copy):
    subprocess.run([BIN / "nbdev_export"], cwd=copy, check=True, capture_output=True)
    stale = []
    for new in sorted((copy / "tinymatch").glob("*.py")):
        old = ROOT / "tinymatch" / new.name
        if new.name == "_modidx.py": continue
        if not old.exists() or old.read_text() != new.read_text():
            stale.append(f"tinymatch/{new.name} differs from {notebook_of(new.stem)}: run nbdev_export")
    for old in sorted((ROOT / "tinymatch").glob("*.py")):
        if old.name not in ("__init__.py", "_modidx.py") and not (copy / "tinymatch" / old.name).exists():
            stale.append(f"tinymatch/{old.name} has no notebook exporting it")
    assert not stale, "\n".join(stale)


def test_notebooks_are_clean(copy):
    subprocess.run([BIN / "nbdev_clean"], cwd=copy, check=True, capture_output=True)
    dirty = [f"nbs/{nb.name} is not clean: run nbdev_clean"
             for nb in sorted((copy / "nbs").glob("*.ipynb")) if nb.read_text() != (ROOT / "nbs" / nb.name).read_text()]
    assert not dirty, "\n".join(dirty)


def test_readme_comes_from_index(copy):
    "README.md is generated from nbs/index.ipynb and its first two commands are the report and the tests"
    text = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(make \w+)", text, flags=re.M)
    assert commands[:2] == ["make report", "make test"], commands
    assert "nbs/index.ipynb" in text or "index.ipynb" in text
