"""Shared pieces of the fault-injection tests: a synthetic dataset with a tiny extractor, configs, waiting, killing."""
import os, random, signal, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RNG = random.Random(int(os.environ.get("TINYMATCH_FAULT_SEED", "15")))   # where faults land: seeded, printed


def synthetic_setup(base: Path, features: bool = True) -> dict:
    "A 6-class synthetic dataset, a tiny random SavedModel extractor and (optionally) its feature cache, under `base`"
    from tinymatch.synthetic import make_synthetic_dataset
    from tinymatch.extractors import tiny_test_extractor
    base = Path(base)
    root = make_synthetic_dataset(base / "synth", n_classes=6, train_per_class=20, val_per_class=5)
    tiny = tiny_test_extractor(base / "tiny", output_dim=16)
    out = dict(root=root, tiny=tiny, home=base / "home")
    if features: run("features", "--extractor", tiny, "--image-size", "32", "--source", str(root), "--home", str(out["home"]),
                     "--chunk-size", "32", "--batch-size", "16", "--no-progress", check=True)
    return out


def hpt_yaml(path: Path, setup: dict, name: str, n_trials: int = 4, epochs: int = 6) -> Path:
    "A small HPT study over a 12-configuration grid on the synthetic setup"
    path.write_text(f"""study_name: {name}
n_trials: {n_trials}
pruner: none
seed: 0
feature_extractor: {setup['tiny']}
image_size: 32
epochs: {epochs}
early_stopping_patience: {epochs}
learning_rate: 0.01
batch_size: 16
samples_per_class: 4
embedding_dim_grid: [4, 8]
dropout_grid: [0.0, 0.2, 0.4]
intermediate_ff_block_units_grid: ["[]", "[16]"]
""")
    return path


def train_yaml(path: Path, setup: dict, name: str, epochs: int = 30, seed: int = 0) -> Path:
    "A small training config on the synthetic setup (no early stop before `epochs`)"
    path.write_text(f"""experiment_name: {name}
seed: {seed}
feature_extractor: {setup['tiny']}
image_size: 32
embedding_dim: 8
intermediate_ff_block_units: [16]
dropout: 0.2
epochs: {epochs}
early_stopping_patience: {epochs}
learning_rate: 0.01
batch_size: 16
samples_per_class: 4
""")
    return path


def run(*args, check=False, env=None, timeout=600):
    "Run `tinymatch ARGS` to the end"
    r = subprocess.run([str(BIN / "tinymatch"), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, **(env or {})}, cwd=ROOT)
    if check: assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-2000:])
    return r


def start(*args, env=None):
    "Start `tinymatch ARGS` in the background"
    return subprocess.Popen([str(BIN / "tinymatch"), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, cwd=ROOT)


def wait_for(probe, timeout=120.0, every=0.02):
    "Call `probe()` until it returns something truthy (returned) or `timeout` seconds pass (None)"
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            got = probe()
            if got: return got
        except (OSError, ValueError, KeyError): pass
        time.sleep(every)
    return None


def kill_when(proc, probe, timeout=180.0):
    "SIGKILL `proc` as soon as `probe()` is truthy; returns what the probe saw (asserting the process was still running)"
    def look():
        if proc.poll() is not None: return "exited"
        try: return probe()
        except (OSError, ValueError, KeyError): return None
    seen = wait_for(look, timeout)
    if not seen or seen == "exited":   # stderr is read only then: reading it from a running process would block
        tail = proc.stderr.read()[-1500:] if proc.stderr else ""
        raise AssertionError(f"the process ended (rc {proc.returncode}) before the fault could be injected: {tail}")
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    return seen


SLOW = """
import importlib, sys, time
from tinymatch.cli import main
module, name, pause, mark = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
m = importlib.import_module(module); f = getattr(m, name)
def slowed(*a, **k):
    r = f(*a, **k)
    with open(mark, "a") as out: out.write("1\\n")   # the test counts the calls
    time.sleep(pause); return r
setattr(m, name, slowed)
raise SystemExit(main(sys.argv[5:]))
"""
def slowed(target: str, pause: float, mark: Path, *args):
    "`tinymatch ARGS` in the background with `module:function` followed by a pause at every call (counted in `mark`)"
    module, name = target.split(":")
    return subprocess.Popen([sys.executable, "-c", SLOW, module, name, str(pause), str(mark), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def calls(mark: Path) -> int:
    return len(mark.read_text().splitlines()) if mark.exists() else 0


def flip_byte(path: Path, offset: int):
    with open(path, "r+b") as f:
        f.seek(offset); b = f.read(1); f.seek(offset); f.write(bytes([b[0] ^ 0x04]))
