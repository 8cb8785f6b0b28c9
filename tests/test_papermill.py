"""papermill by hand: the README's commands that run one report notebook with one's own parameters work as
written. They are read from the README (the bash block that names this file) and run on the smoke profile in a
temporary folder, with a temporary TINYMATCH_HOME, so nothing lands in the repository."""
import json, os, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def readme_papermill_block() -> str:
    "The README's bash block that follows the sentence naming tests/test_papermill.py"
    text = (ROOT / "README.md").read_text()
    after = text[text.index("`tests/test_papermill.py` runs exactly these lines"):]
    return re.search(r"```bash\n(.*?)```", after, re.S).group(1)


def test_readme_papermill_commands(tmp_path):
    block = readme_papermill_block()
    assert "papermill " in block and "-p seed 1" in block and "--parameters" in block
    (tmp_path / "report").symlink_to(ROOT / "report")            # the commands name report/<notebook>.py from the top of a clone
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "TINYMATCH_HOME": str(tmp_path / "home")}
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    executed = json.loads((tmp_path / "01_dataset-seed1.ipynb").read_text())
    injected = next(c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert re.search(r"^seed = 1$", "".join(injected["source"]), re.M)             # -p wins over the YAML file (seed: 0)
    assert re.search(r'^profile = "smoke"$', "".join(injected["source"]), re.M)
    assert not [c for c in executed["cells"] if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert list((tmp_path / "home" / "runs" / "smoke" / "figures").rglob("*.png"))   # figures in the run folder, not the repository
