"""A real browser opens the HTML report: every image loads, no output holds an error, every
table-of-contents link lands on a heading, equations are typeset; a screenshot is saved.

Needs Debian's `chromium` (installed by .ci/run); skipped where it is missing."""
import re, shutil, subprocess, tempfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

PROBE = """
<script>
window.addEventListener('load', () => setTimeout(() => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const links = [...document.querySelectorAll('nav.toc a')];
  const dead = links.filter(a => { const t = document.getElementById(a.getAttribute('href').slice(1));
                                   return !t || !/^H[1-6]$/.test(t.tagName); }).length;
  const errors = [...document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
                   .filter(e => /Traceback|Error:/.test(e.textContent)).length;
  const math = document.querySelectorAll('mjx-container').length;
  const raw = (document.body.innerText.match(/\\$\\$/g) || []).length;
  const out = document.createElement('pre'); out.id = 'probe-result';
  out.textContent = `PROBE images=${imgs.length} broken=${broken} links=${links.length} dead=${dead} errors=${errors} math=${math} rawmath=${raw}`;
  document.body.appendChild(out);
}, 1500));
</script>
"""


def probe(html: Path, screenshot: Path) -> dict:
    "Open `html` in headless Chromium and return the probe's counts"
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / "page.html"
        page.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
        flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={d}/profile", "--virtual-time-budget=15000"]
        dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180).stdout
        subprocess.run(flags + ["--window-size=1280,2400", f"--screenshot={screenshot}", html.as_uri()],
                       capture_output=True, timeout=180)
    m = re.search(r"PROBE (.*)</pre>", dom)
    assert m, "the probe did not run: " + dom[-500:]
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def check(html: Path, screenshot: Path):
    r = probe(html, screenshot)
    assert r["images"] >= 5 and r["broken"] == 0, r
    assert r["links"] >= 8 and r["dead"] == 0, r
    assert r["errors"] == 0, r
    assert r["math"] >= 1 and r["rawmath"] == 0, r
    assert screenshot.exists() and screenshot.stat().st_size > 10_000


def test_smoke_report_in_browser(smoke_run, tmp_path):
    check(smoke_run["html"], smoke_run["out"] / "report" / "screenshot.png")


def test_committed_reference_report_in_browser(tmp_path):
    html = ROOT / "report" / "tinymatch_report.html"
    if not html.exists(): pytest.skip("no committed reference report yet")
    check(html, tmp_path / "reference.png")
