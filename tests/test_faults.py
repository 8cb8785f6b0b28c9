"""Fault injection on the synthetic dataset: SIGKILL at seeded random points of `data prepare`, `features`,
`train`, `hpt`, a gallery build and `report`; damaged cache files, checkpoints and indexes; a full disk.

Each killed command is rerun: it finishes, reuses the work finished before the kill (counted: chunks,
epochs, trials, files) and its result equals an uninterrupted run's. The kill points come from
TINYMATCH_FAULT_SEED (default 15) and are printed. A slow-down wrapper (`slowed`) only widens the window
in which the kill lands; the kill itself is a real SIGKILL of the real command.
"""
import json, os, shutil, signal, subprocess, time, zipfile
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from faults_common import (ROOT, BIN, RNG, synthetic_setup, hpt_yaml, train_yaml, run, start, wait_for, kill_when, slowed, calls,
                          flip_byte)

COUNTS = dict(faults=0, reused=0, lost=0)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return synthetic_setup(tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def index(setup):
    from tinymatch.data import build_index
    return build_index(setup["root"])


def features_of(setup, index, home):
    from tinymatch.features import load_features
    return load_features(index, setup["tiny"], 32, home)


# ---------------------------------------------------------------- data prepare
def test_kill_data_prepare(setup, tmp_path):
    from tinymatch.data import build_index
    zpath = Path(shutil.make_archive(str(tmp_path / "synth"), "zip", root_dir=setup["root"].parent, base_dir=setup["root"].name))
    ref = build_index(run("data", "prepare", "--source", zpath, "--home", tmp_path / "ref", "--json", check=True) and
                      tmp_path / "ref" / "data" / "tiny-imagenet-200")
    n_files = sum(1 for _ in zipfile.ZipFile(zpath).infolist())
    at = RNG.randint(5, max(6, n_files // 2))
    home = tmp_path / "killed"
    p = slowed("tinymatch.data:_write_file", 0.02, tmp_path / "mark", "data", "prepare", "--source", zpath, "--home", home)
    kill_when(p, lambda: sum(1 for f in home.glob("data/.tiny-imagenet-200.*.tmp/**/*") if f.is_file()) >= at)
    COUNTS["faults"] += 1
    assert not (home / "data" / "tiny-imagenet-200").exists()          # the half extraction is not the dataset
    run("data", "prepare", "--source", zpath, "--home", home, check=True)
    got = build_index(home / "data" / "tiny-imagenet-200")
    rel = lambda df: df.assign(path=df["path"].str.split("tiny-imagenet-200/").str[-1]).reset_index(drop=True)
    pd.testing.assert_frame_equal(rel(got), rel(ref))
    leftovers = [p.name for p in (home / "data").iterdir() if p.name != "tiny-imagenet-200"]
    assert all(n.startswith(".tiny-imagenet-200.") and n.endswith(".tmp") for n in leftovers), leftovers
    # (only an untrusted temporary is left; it is removed after an hour)
    marker = home / "data" / "tiny-imagenet-200" / ".tinymatch_prepared.json"
    before = marker.stat().st_mtime_ns
    run("data", "prepare", "--source", zpath, "--home", home, check=True)
    assert marker.stat().st_mtime_ns == before                           # finished work reused: nothing extracted again
    COUNTS["reused"] += 1
    print(f"\ndata prepare killed after {at} of {n_files} files; rerun extracted it whole, third run extracted nothing")


# ---------------------------------------------------------------- features
def test_sharded_cache_in_two_processes_equals_one(setup, index, tmp_path):
    home = tmp_path / "sharded"
    args = ["features", "--extractor", setup["tiny"], "--image-size", 32, "--source", setup["root"], "--home", home,
            "--chunk-size", 32, "--batch-size", 16, "--no-progress", "--json"]
    procs = [start(*args, "--shard", f"{i}/2") for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
    computed = [json.loads(o[0].strip().splitlines()[-1])["computed"] for o in outs]
    assert sum(computed) == len(index) and all(computed)                 # the work was split, none done twice
    np.testing.assert_array_equal(features_of(setup, index, home), features_of(setup, index, setup["home"]))


def test_kill_features_and_damaged_cache(setup, index, tmp_path):
    home = tmp_path / "killed"
    n_chunks = -(-len(index) // 16)
    at = RNG.randint(1, n_chunks - 2)
    args = ["features", "--extractor", setup["tiny"], "--image-size", 32, "--source", setup["root"], "--home", home,
            "--chunk-size", 16, "--batch-size", 16, "--no-progress", "--json"]
    p = slowed("tinymatch.features:_mark_chunk_done", 0.3, tmp_path / "mark", *args)
    kill_when(p, lambda: len(list(home.glob("features/*/chunks/*.done"))) >= at)
    COUNTS["faults"] += 1
    done = len(list(home.glob("features/*/chunks/*.done")))
    r = json.loads(run(*args, check=True).stdout.strip().splitlines()[-1])
    assert r["complete"] and r["computed"] == len(index) - 16 * done      # only the missing chunks were computed
    COUNTS["reused"] += done
    ref = features_of(setup, index, setup["home"])
    np.testing.assert_array_equal(features_of(setup, index, home), ref)
    npy = Path(r["cache"]) / "features.npy"                              # the runtime's own cache (TF Lite here)
    flip_byte(npy, os.path.getsize(npy) - 5)                             # bit flip in the last chunk
    COUNTS["faults"] += 1
    r = json.loads(run(*args, check=True).stdout.strip().splitlines()[-1])
    assert r["computed"] == len(index) - 16 * (n_chunks - 1)             # that chunk alone recomputed
    np.testing.assert_array_equal(features_of(setup, index, home), ref)
    with open(npy, "r+b") as f: f.truncate(os.path.getsize(npy) - 100)  # truncated
    COUNTS["faults"] += 1
    r = json.loads(run(*args, check=True).stdout.strip().splitlines()[-1])
    assert r["computed"] == len(index)
    np.testing.assert_array_equal(features_of(setup, index, home), ref)
    print(f"\nfeatures killed after {done}/{n_chunks} chunks: rerun computed {len(index) - 16 * done} rows; a flipped bit "
          f"recomputed 1 chunk; a truncated array rebuilt the cache")


# ---------------------------------------------------------------- train (and the gallery built from its model)
@pytest.fixture(scope="module")
def trained(setup, tmp_path_factory):
    base = tmp_path_factory.mktemp("train")
    cfg = train_yaml(base / "ref.yaml", setup, "ref", epochs=30)
    run("train", "--config", cfg, "--home", setup["home"], "--source", setup["root"], check=True)
    return setup["home"] / "models" / "ref"


def test_kill_train(setup, trained, tmp_path):
    cfg = train_yaml(tmp_path / "k.yaml", setup, "killed", epochs=30)
    at = RNG.randint(2, 20)
    model = setup["home"] / "models" / "killed"
    state = model / "checkpoints" / "state.json"
    p = slowed("tinymatch.train:_write_history", 0.15, tmp_path / "mark", "train", "--config", cfg,
               "--home", setup["home"], "--source", setup["root"])
    kill_when(p, lambda: json.loads(state.read_text())["epoch"] >= at)
    COUNTS["faults"] += 1
    before = json.loads(state.read_text())["history"]
    run("train", "--config", cfg, "--home", setup["home"], "--source", setup["root"], check=True)
    after = pd.read_csv(model / "history.csv")
    assert len(after) == 30
    kept = pd.DataFrame(before)
    pd.testing.assert_frame_equal(after.iloc[:len(kept)].reset_index(drop=True), kept, check_dtype=False)   # epochs resumed, not redone
    COUNTS["reused"] += len(kept)
    ref = pd.read_csv(trained / "history.csv")
    np.testing.assert_allclose(after[["loss", "val_loss"]].to_numpy(), ref[["loss", "val_loss"]].to_numpy(), rtol=1e-5, atol=1e-6)
    print(f"\ntrain killed after {len(kept)} of 30 epochs; the rerun ran the other {30 - len(kept)}; losses equal the uninterrupted run's")


def test_kill_gallery_build_and_damaged_index(setup, trained, tmp_path):
    "SIGKILL while `tinymatch search` builds a folder's FAISS gallery, then a bit-flipped index file: both detected, never trusted"
    from tinymatch.search import Gallery, folder_files
    folder = setup["root"] / "train"                                     # 120 images: chunks of 32, batches of 32
    query = sorted((setup["root"] / "val" / "images").glob("*.JPEG"))[0]
    home = tmp_path / "g"
    args = ["search", query, "--gallery", folder, "--model", trained, "--home", home, "--json", "-k", 5, "--chunk-size", 32]
    mark = tmp_path / "mark"
    p = slowed("tinymatch.pipelines:_load_into", 0.02, mark, *args)     # every decoded image is counted
    kill_when(p, lambda: calls(mark) >= 70, timeout=300)                 # decoding the third batch: the first chunk is committed
    COUNTS["faults"] += 1
    done = len(json.loads(next((home / "galleries").glob("*/manifest.json")).read_text())["chunks"])
    assert done >= 1                                                     # work finished before the kill survives it
    killed_rerun = json.loads(run(*args, check=True).stdout)
    g, n_files = killed_rerun["gallery"], len(folder_files(folder))       # the 120 images and each class's boxes.txt
    assert g["embedded"] + g["unreadable"] == n_files - 32 * done and g["kept"] + g["embedded"] == 120, g   # exactly the rest
    ref = json.loads(run("search", query, "--gallery", folder, "--model", trained, "--home", tmp_path / "ref", "--json", "-k", 5,
                         "--chunk-size", 32, check=True).stdout)
    assert killed_rerun["results"] == ref["results"]
    counts = Gallery.open(folder, trained, home=home).update(progress=False)["search"]
    assert counts["embedded"] == 0 and counts["kept"] == 120, counts    # reused, not re-embedded
    COUNTS["reused"] += done
    index_file = next((home / "galleries").glob("*/index.faiss"))
    flip_byte(index_file, os.path.getsize(index_file) // 2)             # a bit flip inside the stored index
    COUNTS["faults"] += 1
    again = Gallery.open(folder, trained, home=home)
    hits = again.search(query, k=5)
    assert again.store("search").embedder.calls == 1                    # the query only: rebuilt from the stored vectors
    test_paths = [r["path"] for r in ref["results"]]
    assert [str(p) for p in hits["path"]] == test_paths, (list(hits["path"]), test_paths)
    print(f"\ngallery build killed after {done} chunks of 32 files; the rerun reused {g['kept']} images and embedded {g['embedded']}")


def test_same_seed_same_results(setup, trained, tmp_path):
    "Two trainings with the same seed on this machine, each evaluated: identical histories and metrics, to the bit"
    cfg = train_yaml(tmp_path / "again.yaml", setup, "ref_again", epochs=30)
    run("train", "--config", cfg, "--home", setup["home"], "--source", setup["root"], check=True)
    again = setup["home"] / "models" / "ref_again"
    pd.testing.assert_frame_equal(pd.read_csv(again / "history.csv").drop(columns="time"),
                                  pd.read_csv(trained / "history.csv").drop(columns="time"), check_exact=True)
    evals = [json.loads(run("evaluate", "--model", m, "--home", setup["home"], "--source", setup["root"], "--json",
                            check=True).stdout) for m in (trained, again)]
    drop = lambda e: {k: v for k, v in e.items() if k not in ("model", "seconds")}
    assert drop(evals[0]) == drop(evals[1]) and evals[0]["metrics"]


# ---------------------------------------------------------------- hpt (SQLite; PostgreSQL in test_hpt_postgres.py)
def test_kill_hpt(setup, tmp_path):
    import optuna
    from tinymatch.hpt import count_trials, COUNTED
    ref_cfg = hpt_yaml(tmp_path / "ref.yaml", setup, "ref_study", n_trials=4, epochs=8)
    run("hpt", "--config", ref_cfg, "--home", setup["home"], "--source", setup["root"], "--json", check=True)
    cfg = hpt_yaml(tmp_path / "k.yaml", setup, "killed_study", n_trials=4, epochs=8)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    at = RNG.randint(0, 2)   # finished trials before the kill
    args = ["hpt", "--config", cfg, "--home", setup["home"], "--source", setup["root"], "--storage", url, "--heartbeat", 1, "--json"]
    p = slowed("tinymatch.train:feature_batches", 0.05, tmp_path / "mark", *args)
    def mid_trial():
        s = optuna.load_study(study_name="killed_study", storage=url)
        running = s.get_trials(states=(optuna.trial.TrialState.RUNNING,))
        return count_trials(s) >= at and any(t.user_attrs.get("epochs_run", 0) >= 1 for t in running) and s
    kill_when(p, mid_trial, timeout=300)
    COUNTS["faults"] += 1
    s = optuna.load_study(study_name="killed_study", storage=url)
    finished = {t.number: t.value for t in s.trials if t.state in COUNTED}
    run(*args, check=True)
    s = optuna.load_study(study_name="killed_study", storage=url)
    assert count_trials(s) == 4
    assert all(s.trials[n].value == v and s.trials[n].state in COUNTED for n, v in finished.items())   # kept, not re-run
    COUNTS["reused"] += len(finished)
    assert not s.get_trials(states=(optuna.trial.TrialState.RUNNING,))
    ref = optuna.load_study(study_name="ref_study", storage=f"sqlite:///{setup['home'] / 'exp' / 'hpt_studies' / 'ref_study.db'}")
    ref_values = {tuple(sorted(t.params.items())): t.value for t in ref.trials if t.state == optuna.trial.TrialState.COMPLETE}
    shared = [(ref_values[k], t.value) for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE
              and (k := tuple(sorted(t.params.items()))) in ref_values]
    assert shared, "no configuration in common with the uninterrupted study"
    for a, b in shared: assert abs(a - b) < 1e-6, (a, b)               # same configuration, same value
    print(f"\nhpt killed with {len(finished)} trials finished; they were kept, "
          f"{len(shared)} configurations equal the uninterrupted study's")


# ---------------------------------------------------------------- report (and two runs at once)
def test_two_report_runs_at_once_one_killed(tmp_path):
    committed = [ROOT / "report" / "tinymatch_report.html", *sorted((ROOT / "figures").rglob("*"))]
    stamp = {p: p.stat().st_mtime_ns for p in committed if p.is_file()}
    only = ["--only", "00_introduction", "01_dataset"]
    a, b = tmp_path / "a", tmp_path / "b"
    pa = start("report", "--profile", "smoke", "--home", a, *only, env={"TINYMATCH_HOME": str(a)})
    pb = start("report", "--profile", "smoke", "--home", b, *only, env={"TINYMATCH_HOME": str(b)})
    wait_for(lambda: (a / "runs" / "smoke" / "00_introduction.ipynb").exists() or pa.poll() is not None, timeout=300)
    time.sleep(RNG.uniform(0, 3))
    if pa.poll() is None:
        os.kill(pa.pid, signal.SIGKILL); COUNTS["faults"] += 1
    pa.wait()
    out_b = pb.communicate(timeout=600)
    assert pb.returncode == 0, out_b[1][-2000:]
    run("report", "--profile", "smoke", "--home", a, *only, env={"TINYMATCH_HOME": str(a)}, check=True)
    for home in (a, b):
        assert (home / "runs" / "smoke" / "report" / "tinymatch_report.html").stat().st_size > 10_000
    ta, tb = (pd.read_csv(h / "runs" / "smoke" / "figures" / "dataset" / "split_counts.csv") for h in (a, b))
    pd.testing.assert_frame_equal(ta, tb)                                # the killed-and-rerun run equals the other
    assert {p: p.stat().st_mtime_ns for p in stamp} == stamp             # the committed cpu report and figures untouched
    rc = run("report", "--profile", "smoke", "--out", ROOT, "--home", a)
    assert rc.returncode == 2 and "committed cpu, omniglot runs" in rc.stderr and rc.stderr.count("\n") == 1


# ---------------------------------------------------------------- full disk
@pytest.fixture
def small_disk(tmp_path):
    "A 1 MB tmpfs (as root, as in CI); where mounting is not allowed, a 1 MB file-size limit on the commands (EFBIG)"
    d = tmp_path / "tiny_disk"; d.mkdir()
    mounted = bool(shutil.which("mount")) and os.environ.get("TINYMATCH_FAULT_NO_MOUNT") != "1" and \
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(d)], capture_output=True).returncode == 0
    yield d, (None if mounted else limit_file_size)
    if mounted: subprocess.run(["umount", str(d)], capture_output=True)


def limit_file_size():
    import resource
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit then fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def run_limited(limit, *args):
    return subprocess.run([str(BIN / "tinymatch"), *map(str, args)], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          preexec_fn=limit)


def test_full_disk(setup, index, small_disk, tmp_path):
    from tinymatch.extractors import tiny_test_extractor
    disk, limit = small_disk
    full = ("no space left", "file size limit reached")
    wide = tiny_test_extractor(tmp_path / "wide", output_dim=4096)        # 150 x 4096 float32 = 2.5 MB > 1 MB
    r = run_limited(limit, "features", "--extractor", wide, "--image-size", 32, "--source", setup["root"], "--home", disk, "--no-progress")
    COUNTS["faults"] += 1
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and any(f in lines[0] for f in full) and "Traceback" not in r.stderr, r.stderr
    assert not [p for p in (disk / "features").glob("*") if (p / "meta.json").exists()]   # no cache a rerun would trust
    zpath = Path(shutil.make_archive(str(tmp_path / "synth"), "zip", root_dir=setup["root"].parent, base_dir=setup["root"].name))
    big = tmp_path / "big.zip"   # the synthetic images plus 2 MB of padding, so they do not fit
    with zipfile.ZipFile(zpath) as src, zipfile.ZipFile(big, "w") as dst:
        for i in src.infolist(): dst.writestr(i, src.read(i))
        dst.writestr(f"{setup['root'].name}/words_padding.bin", os.urandom(2_000_000))
    r = run_limited(limit, "data", "prepare", "--source", big, "--home", disk)
    COUNTS["faults"] += 1
    lines = [l for l in r.stderr.splitlines() if l.strip() and "%|" not in l]
    assert r.returncode == 2 and len(lines) == 1 and any(f in lines[0] for f in full + ("no space left",)), r.stderr
    assert not (disk / "data" / "tiny-imagenet-200").exists() and not list((disk / "data").glob(".*.tmp"))


def test_zz_counts():
    "The suite's tally (printed): faults injected, finished pieces of work reused, work lost"
    print(f"\nfault suite: {COUNTS['faults']} faults injected, {COUNTS['reused']} finished pieces reused, {COUNTS['lost']} lost")
    assert COUNTS["lost"] == 0
