"""A real browser opens the HTML report as a reader would: every image loads and is a numbered,
captioned figure with a real alt text, tables are numbered and whole (no cut cell, no nan/None
cell, no 0 s wall time, none printed twice), inline and display equations are typeset, no absolute path of the
rendering machine shows, each section has its figures, no output holds an error or raw log lines,
and every table-of-contents link lands on a heading; a 1280-px-wide screenshot is saved.

Needs Debian's `chromium` (installed by .ci/run); skipped where it is missing."""
import html as htmllib, json, re, shutil, subprocess, tempfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

# Figures each report section must show at least (h2 heading text prefix -> count): any profile, any data.
SECTION_FIGURES = {"Dataset": 4, "Model architecture": 1, "Hyperparameter tuning": 7, "Training the best": 1,
                   "ImageMatcher: evaluation": 6, "Error analysis": 4}

PROBE = r"""
<script>
function tinymatchProbe() {
  const text = e => (e.textContent || '').replace(/\s+/g, ' ').trim();
  const imgs = [...document.images];
  const links = [...document.querySelectorAll('nav.toc a')];
  const cells = [...document.querySelectorAll('td, th')].map(text);
  const tables = [...document.querySelectorAll('main table, body > table, .jp-Cell table')];
  const sections = {}; let current = null;
  for (const el of document.querySelectorAll('h2, img')) {
    if (el.tagName === 'H2') { current = text(el); sections[current] = sections[current] || 0; }
    else if (current) sections[current] += 1;
  }
  const bodyText = document.body.innerText;
  // the same table twice: same columns and the same rows in any order, numbers compared to 3 digits, index cells left out
  const norm = s => /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(s) ? Number(s).toPrecision(3) : s;
  const rowKey = tr => [...tr.querySelectorAll('td')].map(c => norm(text(c))).join(' | ');
  const tableTexts = tables.map(t => (t.tHead ? text(t.tHead) : '') + ' || '
                                   + [...t.querySelectorAll('tbody tr')].map(rowKey).sort().join(' || '));
  const r = {
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
    unnumbered_figures: imgs.filter(i => { const f = i.closest('figure'), c = f && f.querySelector('figcaption');
                                           return !c || !/^Figure \d+\./.test(text(c)); }).length,
    uncaptioned_figures: imgs.filter(i => { const c = i.closest('figure') && i.closest('figure').querySelector('figcaption');
                                            return !c || text(c).replace(/^Figure \d+\.\s*/, '').length < 10; }).length,
    default_alt: imgs.filter(i => !i.alt || i.alt.length < 10 || /No description has been provided/i.test(i.alt)).length,
    tables: tables.length,
    unnumbered_tables: tables.filter(t => !t.caption || !/^Table \d+\./.test(text(t.caption))).length,
    duplicate_tables: tableTexts.length - new Set(tableTexts).size,
    ellipsis_cells: cells.filter(c => /(\.\.\.|\u2026)$/.test(c)).length,
    nan_cells: cells.filter(c => /^(nan|NaN|None|NaT|<NA>)$/.test(c)).length,
    zero_times: tables.map(t => { const h = t.tHead ? [...t.tHead.rows[0].cells].map(text) : [], j = h.indexOf('seconds');
                                  return j < 0 ? 0 : [...t.querySelectorAll('tbody tr')]
                                    .filter(r => r.cells[j] && parseFloat(text(r.cells[j])) === 0).length; })
                      .reduce((a, b) => a + b, 0),
    links: links.length,
    dead: links.filter(a => { const t = document.getElementById(a.getAttribute('href').slice(1));
                              return !t || !/^H[1-6]$/.test(t.tagName); }).length,
    errors: [...document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
              .filter(e => /Traceback|Error:/.test(e.textContent)).length,
    log_lines: [...document.querySelectorAll('pre')].filter(p => /^trial \d+ (complete|pruned|fail)/im.test(p.textContent)).length,
    math: document.querySelectorAll('mjx-container').length,
    inline_math: document.querySelectorAll('mjx-container:not([display="true"])').length,
    raw_display_math: (bodyText.match(/\$\$/g) || []).length,
    raw_inline_math: [...document.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li')]
                       .filter(p => /\$[^$\s][^$]*\$/.test(p.innerText)).length,
    abs_paths: (bodyText.match(/(^|[\s`'"(=])\/(tmp|home|work|root|Users|var|mnt|opt|srv)\/\S*/g) || []).slice(0, 5),
    sections: sections,
  };
  const out = document.createElement('pre'); out.id = 'probe-result';
  out.textContent = 'PROBE ' + JSON.stringify(r) + ' END';
  document.body.appendChild(out);
}
window.addEventListener('load', () => setTimeout(() => {
  const ready = window.MathJax && MathJax.startup && MathJax.startup.promise;
  (ready ? MathJax.startup.promise : Promise.resolve()).then(tinymatchProbe, tinymatchProbe);
}, 500));
</script>
"""


def probe(html: Path, screenshot: Path) -> dict:
    "Open `html` in headless Chromium and return the probe's findings"
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / "page.html"
        page.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
        flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={d}/profile", "--virtual-time-budget=30000"]
        dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=300).stdout
        subprocess.run(flags + ["--window-size=1280,2400", f"--screenshot={screenshot}", html.as_uri()],
                       capture_output=True, timeout=300)
    m = re.search(r"<pre id=\"probe-result\">PROBE (.*?) END</pre>", dom, re.S)
    assert m, "the probe did not run: " + dom[-500:]
    return json.loads(htmllib.unescape(m.group(1)))


def defects(r: dict) -> list:
    "Every check the probed page fails, as readable lines"
    checks = {
        "at least 5 images": r["images"] >= 5, "no broken image": r["broken"] == 0,
        "every image a numbered figure": r["unnumbered_figures"] == 0,
        "every figure captioned": r["uncaptioned_figures"] == 0, "every image has a real alt text": r["default_alt"] == 0,
        "every table numbered": r["unnumbered_tables"] == 0, "no table printed twice": r["duplicate_tables"] == 0,
        "no table cell ends in an ellipsis": r["ellipsis_cells"] == 0, "no nan/None cell": r["nan_cells"] == 0,
        "no wall time of 0 s": r["zero_times"] == 0,
        "at least 8 contents links, none dead": r["links"] >= 8 and r["dead"] == 0, "no error output": r["errors"] == 0,
        "no raw per-trial log lines": r["log_lines"] == 0,
        "display math typeset": r["math"] >= 1 and r["raw_display_math"] == 0,
        "inline math typeset": r["inline_math"] >= 5 and r["raw_inline_math"] == 0,
        "no absolute path of the rendering machine": not r["abs_paths"],
    }
    for prefix, n in SECTION_FIGURES.items():
        got = [v for k, v in r["sections"].items() if k.startswith(prefix)]
        checks[f"section {prefix!r} shows its {n} figures"] = bool(got) and got[0] >= n
    return [name for name, ok in checks.items() if not ok]


def check(html: Path, screenshot: Path):
    r = probe(html, screenshot)
    failed = defects(r)
    assert not failed, f"{html.name} fails: {failed}; probe: {r}"
    assert screenshot.exists() and screenshot.stat().st_size > 10_000


def test_smoke_report_in_browser(smoke_run, tmp_path):
    check(smoke_run["html"], smoke_run["out"] / "report" / "screenshot.png")


from tinymatch.report import REFERENCE_PROFILES, output_paths   # noqa: E402  (after the skip marker, like the probe)


@pytest.mark.parametrize("profile", list(REFERENCE_PROFILES))
def test_committed_reference_report_in_browser(profile, tmp_path):
    "Every committed reference report (cpu: report/, omniglot: report/omniglot/) passes the same checks"
    committed = output_paths(profile, ROOT)["html"]
    if not committed.exists(): pytest.skip(f"no committed {profile} reference report yet (make report PROFILE={profile})")
    if 'class="tm-figure"' not in committed.read_text():
        pytest.xfail("the committed report was rendered before figure captions existed (issue 13); "
                     f"it must pass once `tinymatch report --profile {profile}` re-renders it")
    check(committed, tmp_path / f"{profile}.png")
