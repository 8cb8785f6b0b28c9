"""The pages of `tinymatch dedup --html` and `tinymatch search --html` open in headless Chromium with every
thumbnail loaded (they are self-contained: base64 JPEGs, nothing fetched). Skipped without chromium."""
import re, shutil, subprocess, tempfile
from pathlib import Path
import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

PROBE = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const out = document.createElement('pre'); out.id = 'probe-result';
  out.textContent = `PROBE images=${imgs.length} broken=${broken} sections=${document.querySelectorAll('section').length}`;
  document.body.appendChild(out);
}, 500));
</script>"""


def probe(html: Path) -> dict:
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / "page.html"
        page.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
        flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={d}/profile", "--virtual-time-budget=5000",
                 "--dump-dom", page.as_uri()]
        dom = subprocess.run(flags, capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"PROBE images=(\d+) broken=(\d+) sections=(\d+)", dom)
    assert m, dom[-2000:]
    return dict(zip(["images", "broken", "sections"], map(int, m.groups())))


def _pictures(folder: Path, n=4):
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(n): Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(folder / f"p{i}.png")


def test_groups_and_results_pages(tmp_path):
    import pandas as pd
    from tinymatch.search import groups_html, results_html
    _pictures(tmp_path)
    ps = sorted(str(p) for p in tmp_path.glob("*.png"))
    r = probe(groups_html([ps[:2], ps[2:]], tmp_path / "groups.html"))
    assert r == dict(images=4, broken=0, sections=2)
    res = pd.DataFrame({"rank": [1, 2, 3], "path": ps[:3], "score": [0.0, -0.5, -0.9], "match": [True, True, False]})
    r = probe(results_html(ps[0], res, tmp_path / "results.html"))
    assert r == dict(images=4, broken=0, sections=2)
