"""The smoke profile renders the whole report end to end, from synthetic data, with no error cell."""
import json
import nbformat
from tinymatch.report import get_profile


def test_smoke_report_renders(smoke_run):
    html = smoke_run["html"].read_text()
    for section in ("Introduction", "Dataset", "Model architecture", "Training procedure", "Hyperparameter tuning",
                    "Training results", "End-to-end results", "Projector", "Conclusion", "Run manifest", "Appendix"):
        assert section.lower() in html.lower(), f"section {section!r} missing from the report"
    assert "Traceback" not in html


def test_every_step_executed_without_error(smoke_run):
    runs = smoke_run["home"] / "runs" / "smoke"
    for nb in get_profile("smoke").notebooks:
        executed = nbformat.read(runs / (nb.split("/")[-1][:-3] + ".ipynb"), 4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{nb}: {errors[0]['ename']}"
    manifest = json.loads((runs / "manifest.json").read_text())
    assert manifest["profile"] == "smoke" and len(manifest["steps"]) == len(get_profile("smoke").notebooks)
    assert manifest["packages"]["tensorflow-cpu"] == "2.15.1"
    det = manifest["determinism"]   # what could still make another machine's numbers differ
    assert {"cpu_flags", "onednn", "env", "versions", "cpus_usable"} <= set(det) and det["versions"]["numpy"]


def test_figures_are_files(smoke_run):
    figures = list((smoke_run["out"] / "figures").rglob("*.png"))
    assert len(figures) >= 10, figures
    assert all(f.stat().st_size > 1000 for f in figures)


def test_no_tensorflow_log_spam(smoke_run):
    noisy = [l for l in smoke_run["stderr"].splitlines() if "tensorflow" in l.lower() or "TensorFlow Addons" in l]
    assert not noisy, noisy[:5]


def test_run_records_kept_beside_the_report(smoke_run):
    kept = smoke_run["out"] / "report" / "artifacts" / "smoke"
    assert (kept / "smoke_study.db").stat().st_size > 0, "the HPT study database was not kept"
    manifest = json.loads((kept / "manifest.json").read_text())
    assert manifest["data"].get("files", 0) > 0, manifest["data"]   # the synthetic dataset's checksum, once it existed


def test_no_papermill_noise(smoke_run):
    assert "Passed unknown parameter" not in smoke_run["stderr"]
    assert "KeyboardInterrupt" not in smoke_run["stderr"]
