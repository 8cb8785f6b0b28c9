"""Bad inputs, as a table: bad YAML, unknown keys, wrong types and out-of-range values in every config field;
dataset folders missing wnids.txt, annotations or a class folder, a zip of the wrong layout; bad arguments
for every command. Each must give one line naming the file or field and what was expected, exit code 2,
no traceback. Most rows call `tinymatch.cli.main` in-process (the console script's code path); a few run the
real console script to check the process itself."""
import contextlib, dataclasses, io, re, shutil, subprocess, sys, zipfile
from pathlib import Path
import pytest
from tinymatch.cli import COMMANDS, main
from tinymatch.config import ExperimentConfig, _SPLIT

BIN = Path(sys.executable).parent
TRIED = []
PROGRESS = re.compile(r"\d+%\|.*\|")


def one_line_error(args, expect):
    "Run `tinymatch ARGS` in-process: exit code 2, one stderr line holding `expect`, no traceback"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: rc = main([str(a) for a in args])
        except SystemExit as e: rc = e.code
    lines = [l for l in err.getvalue().splitlines() if l.strip() and not PROGRESS.search(l)]   # tqdm bars are not errors
    TRIED.append(args)
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err.getvalue(), (args, rc, err.getvalue())
    for e in ([expect] if isinstance(expect, str) else expect):   # a tuple: any one of its strings
        assert any(x in lines[0] for x in ((e,) if isinstance(e, str) else e)), (args, lines[0])
    return lines[0]


def bad_values(f):
    "(value, what the message must say) pairs that break field `f` of ExperimentConfig"
    typ, m = str(f.type).replace("| None", "").strip(), f.metadata
    wrong = {"int": ("three", "must be an integer"), "float": ("fast", "must be a number"),
             "bool": ("yes please", "must be true or false"), "str": ([1], "must be a non-empty string"),
             "list[int]": ("[a, b", "must be a list of")}[typ]
    out = [wrong]
    if m.get("choices"): out.append(("nope", "must be one of"))
    if m.get("lo") is not None: out.append((m["lo"] - 1 if typ == "int" else m["lo"] - 0.5, "must be in"))
    if m.get("hi") is not None: out.append((m["hi"] + 1, "must be in"))
    if typ == "list[int]": out.append(([0, -3], "must be a list of positive integers"))
    return out


FIELD_CASES = [(f.name, v, why) for f in dataclasses.fields(ExperimentConfig) for v, why in bad_values(f)]


@pytest.mark.parametrize("field,value,why", FIELD_CASES, ids=[f"{n}={v!r}" for n, v, _ in FIELD_CASES])
def test_every_experiment_field(tmp_path, field, value, why):
    import yaml
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump({"experiment_name": "x", field: value}))
    one_line_error(["train", "--config", cfg, "--home", tmp_path], [str(cfg), field, why])


@pytest.mark.parametrize("field,value,why", FIELD_CASES, ids=[f"{n}={v!r}" for n, v, _ in FIELD_CASES])
def test_every_field_as_fixed_hpt_value_and_grid(tmp_path, field, value, why):
    import yaml
    if field == "experiment_name": return
    cfg = tmp_path / "hpt.yaml"
    cfg.write_text(yaml.safe_dump({"study_name": "s", field: value}))
    one_line_error(["hpt", "--config", cfg, "--home", tmp_path], [str(cfg), field, why])
    cfg.write_text(yaml.safe_dump({"study_name": "s", f"{field}_grid": [value]}))
    grid_why = "fixed for a study" if field in _SPLIT else why        # a split field may not be searched at all
    one_line_error(["hpt", "--config", cfg, "--home", tmp_path], [str(cfg), f"{field}_grid", grid_why])


HPT_OWN = [("n_trials", 0, "must be in"), ("n_trials", "many", "must be an integer"), ("objective", "accuracy", "must be one of"),
           ("pruner", "hyperband", "must be one of"), ("study_name", "", "must be a non-empty string"),
           ("storage", 5, "must be a non-empty string"), ("dropout_grid", [], "must be a non-empty list"),
           ("dropout_grid", 0.3, "must be a non-empty list"), ("colour_grid", [1], "does not name a tunable field"),
           ("experiment_name", "x", "set per trial")]


@pytest.mark.parametrize("field,value,why", HPT_OWN, ids=[f"{n}={v!r}" for n, v, _ in HPT_OWN])
def test_every_hpt_field(tmp_path, field, value, why):
    import yaml
    cfg = tmp_path / "hpt.yaml"
    cfg.write_text(yaml.safe_dump({"study_name": "s", field: value} if field != "study_name" else {field: value}))
    one_line_error(["hpt", "--config", cfg, "--home", tmp_path], [str(cfg), why])


FILES = [("bad YAML", "epochs: [1, 2\n", "not valid YAML"), ("a list", "- 1\n- 2\n", "expected a mapping"),
         ("unknown key", "experiment_name: x\nepoch: 3\n", ["unknown field 'epoch'", "did you mean 'epochs'"]),
         ("empty file", "", "expected a mapping"), ("tab indent", "experiment_name: x\n\tepochs: 3\n", "not valid YAML")]


@pytest.mark.parametrize("what,text,why", FILES, ids=[w for w, _, _ in FILES])
@pytest.mark.parametrize("command", ["train", "hpt"])
def test_bad_config_files(tmp_path, what, text, why, command):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text if command == "train" else text.replace("experiment_name: x", "study_name: x"))
    if command == "hpt" and what == "unknown key": why = ["unknown field 'epoch'"]
    one_line_error([command, "--config", cfg, "--home", tmp_path], [str(cfg)] + ([why] if isinstance(why, str) else why))
    one_line_error([command, "--config", tmp_path / "missing.yaml"], "config file not found")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    from tinymatch.synthetic import make_synthetic_dataset
    return make_synthetic_dataset(tmp_path_factory.mktemp("synth") / "ds", n_classes=3, train_per_class=4, val_per_class=2)


def broken(synth, tmp_path, how):
    root = tmp_path / "tiny-imagenet-200"
    shutil.copytree(synth, root)
    wnid = (root / "wnids.txt").read_text().split()[0]
    if how == "no wnids.txt": (root / "wnids.txt").unlink()
    elif how == "no val annotations": (root / "val" / "val_annotations.txt").unlink()
    elif how == "no class folder": shutil.rmtree(root / "train" / wnid)
    elif how == "no val folder": shutil.rmtree(root / "val")
    elif how == "annotation names a missing image":
        ann = root / "val" / "val_annotations.txt"; ann.write_text(ann.read_text() + f"val_missing.JPEG\t{wnid}\t0\t0\t1\t1\n")
    elif how == "annotation of an unknown class":
        ann = root / "val" / "val_annotations.txt"
        first = ann.read_text().splitlines()[0].split("\t")
        ann.write_text(ann.read_text() + "\t".join([first[0].replace(".JPEG", "_x.JPEG"), "n99999999", *first[2:]]) + "\n")
        shutil.copy(root / "val" / "images" / first[0], root / "val" / "images" / first[0].replace(".JPEG", "_x.JPEG"))
    return root


LAYOUTS = [("no wnids.txt", "wnids.txt"), ("no val annotations", "val_annotations.txt"), ("no class folder", "train"),
           ("no val folder", "val"), ("annotation names a missing image", "val_missing.JPEG"),
           ("annotation of an unknown class", "n99999999")]


@pytest.mark.parametrize("how,named", LAYOUTS, ids=[h for h, _ in LAYOUTS])
def test_bad_dataset_folders(synth, tmp_path, how, named):
    root = broken(synth, tmp_path, how)
    one_line_error(["data", "prepare", "--source", root, "--home", tmp_path / "h"], named)


ZIPS = [("random files", {"a/readme.txt": "hi"}, "wnids.txt"), ("empty", {}, "zip"), ("not a zip", None, "zip")]


@pytest.mark.parametrize("what,members,named", ZIPS, ids=[w for w, _, _ in ZIPS])
def test_bad_zips(tmp_path, what, members, named):
    z = tmp_path / "ds.zip"
    if members is None: z.write_bytes(b"this is not a zip file at all")
    else:
        with zipfile.ZipFile(z, "w") as f:
            for n, t in members.items(): f.writestr(n, t)
    line = one_line_error(["data", "prepare", "--source", z, "--home", tmp_path / "h"], str(z))
    assert named.lower() in line.lower(), line


def test_zip_with_a_class_folder_missing(synth, tmp_path):
    root = broken(synth, tmp_path, "no class folder")
    z = Path(shutil.make_archive(str(tmp_path / "ds"), "zip", root_dir=root.parent, base_dir=root.name))
    one_line_error(["data", "prepare", "--source", z, "--home", tmp_path / "h"], [str(z)])
    assert not (tmp_path / "h" / "data" / "tiny-imagenet-200").exists()


def cli_cases(tmp):
    "(arguments, what the one line must hold) for every command"
    missing = tmp / "missing"
    rows = [([*name.split(), "--no-such-option"], [f"tinymatch {name}: ", ("unrecognized arguments: --no-such-option",
             "the following arguments are required")]) for name in COMMANDS]
    rows += [(["data", "prepare", "--source", missing, "--home", tmp], str(missing)),
             (["data", "synth"], "the following arguments are required: dir"),
             (["data", "synth", tmp / "s", "--classes", "two"], "--classes: invalid int value"),
             (["data", "fetch"], "expected one of ['prepare', 'synth']"),
             (["features", "--image-size", "8", "--source", missing], "--image-size"),
             (["features", "--image-size", "big"], "--image-size: invalid int value"),
             (["features", "--shard", "3/2", "--source", missing, "--home", tmp], str(missing)),
             (["train"], "the following arguments are required: --config"),
             (["hpt", "--config", missing], "config file not found"),
             (["hpt"], "the following arguments are required: --config"),
             (["hpt", "--config", tmp / "ok.yaml", "--n-trials", "0"], "--n-trials"),
             (["hpt", "--config", tmp / "ok.yaml", "--n-trials", "many"], "--n-trials: invalid int value"),
             (["hpt", "--config", tmp / "ok.yaml", "--storage", "not-a-url", "--home", tmp], "storage"),
             (["evaluate", "--model", missing], str(missing)),
             (["one-shot"], "the following arguments are required: --runs"),
             (["one-shot", "--runs", missing, "--method", "mhd", "--home", tmp], str(missing)),
             (["one-shot", "--runs", tmp, "--method", "pixels"], "invalid choice"),
             (["match", missing / "a.jpg", missing / "b.jpg", "--model", missing], "missing"),
             (["match", "only_one.jpg"], "the following arguments are required"),
             (["search", missing / "q.jpg", "--gallery", tmp], "q.jpg"),
             (["search", "q.jpg"], "the following arguments are required: --gallery"),
             (["dedup", missing, "--model", missing], "missing"),
             (["embed", missing, "--model", missing, "--out", tmp / "e.npz"], "missing"),
             (["embed", tmp, "--out", tmp / "e.npz", "--chunk-size", "0"], "--chunk-size: expected a positive number"),
             (["search", "q.jpg", "--gallery", tmp, "--chunk-size", "many"], "--chunk-size: invalid int value"),
             (["dedup", tmp, "--chunk-size", "-3"], "--chunk-size: expected a positive number"),
             (["report", "--profile", "nope"], "profile must be one of"),
             (["report", "--profile", "smoke", "--out", Path(__file__).resolve().parent.parent], "committed cpu, omniglot runs"),
             (["frobnicate"], "unknown command 'frobnicate'")]
    return rows


def test_bad_arguments_for_every_command(tmp_path):
    (tmp_path / "ok.yaml").write_text("study_name: s\nn_trials: 2\n")
    for args, expect in cli_cases(tmp_path): one_line_error(args, expect)


@pytest.mark.parametrize("args", [["train", "--config", "/nonexistent/x.yaml"], ["features", "--batch-size", "-"],
                                  ["hpt", "--config", "/nonexistent/h.yaml", "--heartbeat", "soon"]])
def test_the_console_script_itself(args):
    r = subprocess.run([str(BIN / "tinymatch"), *args], capture_output=True, text=True, timeout=300)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    TRIED.append(args)


def test_zz_tally():
    print(f"\nbad inputs tried: {len(TRIED)} (each one line, exit code 2, no traceback)")
