"""The README's "Your own pictures" commands work as written on a collection nobody prepared for.

A class-per-folder tree (`pictures/<label>/*.jpg`, labels `a`, `b`, ... so that the README's example paths
`pictures/a/1.jpg` exist) is written in a temporary folder. The README's blocks of that section are read from
the README and run with bash from the top of a throwaway clone-like folder (`configs/` and `.venv/` linked), with
a temporary TINYMATCH_HOME: `data prepare`, the fixed-config `train` and `evaluate`, then `match`, `search` and
`dedup` with that model. Only the line that renders a whole report (`make report PROFILE=pictures`, the study's
HPT and 3 seeds, minutes) and the line naming the report's model are left out; everything else runs unchanged."""
import os, re, subprocess, sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECTION = "## Your own pictures"
SKIPPED = ("make report PROFILE=pictures", "M=")   # the report (minutes of HPT and seeds) and the line naming its model


def readme_picture_blocks() -> list[str]:
    "The bash blocks of the README's 'Your own pictures' section, in order"
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def write_pictures(root: Path, labels: str = "abcdef", per_label: int = 12, seed: int = 0) -> Path:
    "Labelled JPEGs as people keep them: `<root>/<label>/<n>.jpg`, one colour and stripe pattern per label, varied sizes"
    rng = np.random.default_rng(seed)
    for k, label in enumerate(labels):
        (root / label).mkdir(parents=True)
        base = rng.integers(0, 256, 3)
        for n in range(1, per_label + 1):
            h, w = [(60, 80), (96, 64), (72, 72)][n % 3]
            yy, xx = np.mgrid[:h, :w]
            stripes = ((xx * np.cos(k) + yy * np.sin(k)) // (4 + k) % 2)[..., None]
            img = base * stripes + (255 - base) * (1 - stripes) + rng.normal(0, 12, (h, w, 3))
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(root / label / f"{n}.jpg", quality=90)
    return root


def test_readme_pictures_commands(tmp_path):
    blocks = readme_picture_blocks()
    assert len(blocks) == 2 and "data prepare" in blocks[0] and "tinymatch train" in blocks[1]
    first = [line for line in blocks[0].splitlines() if not line.startswith(SKIPPED)]
    assert any(" match " in line for line in first) and any(" search " in line for line in first)
    write_pictures(tmp_path / "pictures")
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    (tmp_path / ".venv").symlink_to(BIN.parent)
    home = tmp_path / "home"
    # the fixed-config model of the second block stands in for the report's: the commands that use it run unchanged
    script = "\n".join([first[0], first[1], blocks[1], f'M={home}/models/my_pictures', *first[2:]])
    env = {**os.environ, "TINYMATCH_HOME": str(home)}
    env.pop("TINYMATCH_PICTURES", None)
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    assert re.search(r"layout folders\)\nimages 72, classes 6", out), out[:2000]                 # the layout it found, the counts
    assert (home / "models" / "my_pictures" / "config.yaml").exists()
    assert re.search(r"^(no )?match\s+score -?[0-9.]+\s+threshold", out, re.M), out[-2000:]   # match's decision
    ranks = re.findall(r"^\s+\d+\s+-?[0-9.]+\s+(?:no )?match\s+(pictures/\w+)/", out, re.M)   # search: 5 neighbours, nearest first
    assert len(ranks) == 5 and ranks[0] == "pictures/a", out[-2000:]                              # the query is its own nearest
    assert (tmp_path / "copies.html").exists()                                            # dedup's page
