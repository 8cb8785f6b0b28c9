"""The smoke profile renders the whole report end to end, from synthetic data, with no error cell."""
import html as html_lib, json, re
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


def _markdown_outputs(notebook, marker: str) -> list:
    "The text/markdown outputs of the code cells whose source contains `marker`"
    return [o["data"]["text/markdown"] for c in notebook.cells if c.cell_type == "code" and marker in c.source
            for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]


def test_hpt_observations_computed(smoke_run):
    executed = nbformat.read(smoke_run["home"] / "runs" / "smoke" / "03_hpt.ipynb", 4)
    observations = _markdown_outputs(executed, 'note=observations["')              # show_figure(..., note=...)
    assert len(observations) == 7, observations                    # one after each of the seven figures
    assert all(o.strip() for o in observations), observations
    page = html_lib.unescape(re.sub("<[^>]+>", "", smoke_run["html"].read_text()))     # the report's text
    for o in observations:
        plain = re.sub(r"[`*]", "", re.sub(r"^- ", "", o.splitlines()[0]))
        assert plain[:60] in page, plain
    assert "trial" in observations[0] and "epochs" in observations[1], observations


def test_error_analysis_section(smoke_run):
    import pandas as pd
    html = smoke_run["html"].read_text()
    assert "error analysis" in html.lower() and "most confident false matches" in html.lower()
    figures = smoke_run["out"] / "figures"
    for name in ("errors/retrieval_seen", "errors/retrieval_unseen", "errors/class_ap_seen", "errors/class_ap_unseen",
                 "errors/false_matches_seen", "errors/false_matches_unseen", "evaluation/precision_recall_seen"):
        assert (figures / f"{name}.png").stat().st_size > 1000, name   # the smoke config holds 2 classes out: both groups
    ap = pd.read_csv(figures / "errors" / "class_ap_seen.csv")
    assert len(ap) > 1 and ap["ap"].between(0, 1).all() and ap["class"].notna().all()
    operating = pd.read_csv(figures / "errors" / "operating_point.csv")
    assert operating["classes"].tolist() == ["seen", "unseen"], operating
    assert operating["precision"].between(0, 1).all() and (operating["pairs"] > 0).all()
    executed = nbformat.read(smoke_run["home"] / "runs" / "smoke" / "07_error_analysis.ipynb", 4)
    said = " ".join(_markdown_outputs(executed, "operating_point_text("))
    assert "**precision " in said and "**recall " in said, said


def test_benchmarks_say_where_they_come_from(smoke_run):
    html = smoke_run["html"].read_text()
    assert "measured separately, not by this run" in html
    assert "Measured separately from this report's run, on" in html
    conclusion = _outputs(smoke_run, "06_conclusion")
    assert "Deduplicating **1,000,000 embeddings**" in conclusion and "GB**" in conclusion     # dedup at scale, from its JSON
    assert "recall: mirror" in conclusion and "pHash" in conclusion                            # near-duplicate recall per transform


def _outputs(smoke_run, stem):
    "The text and HTML outputs of one executed report notebook"
    nb = nbformat.read(smoke_run["home"] / "runs" / "smoke" / f"{stem}.ipynb", 4)
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            out.append(data.get("text/html", "") + data.get("text/markdown", "") + data.get("text/plain", "") + o.get("text", ""))
    return "\n".join(out)


def test_open_set_table_with_intervals(smoke_run):
    import pandas as pd
    table = pd.read_csv(smoke_run["out"] / "figures" / "matcher" / "open_set.csv")
    assert {"seen", "unseen"} <= set(table["classes"]) and {"trained", "raw extractor"} <= set(table["embedding"])
    for col in ("auc", "eer", "tar@far=0.1", "tar@far=0.0001", "precision_at_1", "r_precision", "map_at_r", "recall_at_k@10",
                "auc_lo", "auc_hi", "precision_at_1_lo", "map_at_r_hi", "far_at_threshold", "tar_at_threshold"):
        assert table[col].notna().any(), col
    assert (table["auc_lo"] <= table["auc_hi"]).all()
    html = _outputs(smoke_run, "05_evaluation")
    assert "unseen" in html and "[" in html and "far_at_threshold" in html
    metrics = json.loads((smoke_run["home"] / "models" / "smoke_study-best" / "metrics.json").read_text())
    assert {r["classes"] for r in metrics["open_set"]["table"]} >= {"seen", "unseen"}


def test_seed_spread(smoke_run):
    import pandas as pd
    summary = pd.read_csv(smoke_run["out"] / "figures" / "matcher" / "seed_spread.csv")
    assert set(summary["n_seeds"]) == {3} and {"seen", "unseen"} <= set(summary["classes"])
    assert summary["auc_std"].notna().all()
    for s in (1, 2): assert (smoke_run["home"] / "models" / f"smoke_study-best-seed{s}" / "train_summary.json").exists()
    assert "training seeds" in _outputs(smoke_run, "06_conclusion")


def test_decision_table(smoke_run):
    html = _outputs(smoke_run, "02_method")
    for decision in ("unseen test classes", "unseen validation classes", "input size", "triplet margin", "batch composition",
                     "HPT: dropout", "final training: seeds", "decision threshold", "embedding for unseen classes"):
        assert decision in html, decision
    assert "made on" in html


def test_tensorboard_kept_beside_the_report(smoke_run):
    import pandas as pd
    tb = smoke_run["out"] / "report" / "artifacts" / "smoke" / "tensorboard"
    assert {"train", "validation", "hparams", "projector"} <= {p.name for p in tb.iterdir()}
    meta = pd.read_csv(tb / "projector" / "metadata.tsv", sep="\t")
    assert list(meta.columns) == ["class_id", "class_name", "seen"] and len(meta) > 0
    assert (tb / "projector" / "sprite.png").stat().st_size > 1000
    assert all(f.stat().st_size < 5e6 for f in tb.rglob("*") if f.is_file())


def test_few_shot_and_one_shot_sections(smoke_run):
    import pandas as pd
    figures = smoke_run["out"] / "figures"
    few = pd.read_csv(figures / "matcher" / "few_shot.csv")
    assert {"seen", "unseen"} <= set(few["classes"]) and {"trained matcher", "raw extractor features"} <= set(few["method"])
    assert few[["accuracy", "accuracy_lo", "accuracy_hi"]].notna().all().all()
    one = pd.read_csv(figures / "evaluation" / "one_shot_comparison.csv")     # the smoke profile's made-up runs
    assert set(one["method"]) == {"trained matcher", "raw extractor features", "Modified Hausdorff Distance"}
    assert (figures / "evaluation" / "one_shot_run_errors.csv").exists() and list((figures / "one_shot").glob("*.png"))
    html = smoke_run["html"].read_text()
    for said in ("Few-shot accuracy", "The official one-shot runs", "published", "Koch", "trained matcher accuracy &gt;= 92.0%"):
        assert said in html, said


def test_report_speaks_of_its_own_data(smoke_run):
    "The synthetic data (in the Tiny ImageNet layout, 14 classes) is not Tiny ImageNet: nothing speaks of its classes or ImageNet overlap"
    page = html_lib.unescape(re.sub("<[^>]+>", " ", smoke_run["html"].read_text()))
    for word in ("Tiny ImageNet visual recognition challenge", "200 classes", "ImageNet overlap", "synsets", "Stanford"):
        assert word not in page, word
    assert "tinymatch: image matching on synthetic shapes" in page
    assert "14 classes of synthetic shapes" in page                        # the introduction's numbers come from the data
