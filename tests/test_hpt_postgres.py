"""HPT on several machines: three `tinymatch hpt` workers fill one study in a real PostgreSQL server; one
worker is SIGKILLed in the middle of a trial. The study still ends with exactly its number of distinct
finished configurations, the killed trial is failed by the heartbeat and retried, nothing counts twice.

The server: the one named by TINYMATCH_TEST_PG (`postgresql+psycopg://...`) when set, else a throwaway one that
this test starts itself from the `pgserver` wheel (pinned in requirements-dev.txt: PostgreSQL 16 binaries, no
root, no system package), in a temporary folder, stopped and deleted after (as root, pgserver runs the server as
a `pgserver` system user that it creates, since initdb refuses root). Without a reachable server the test
fails, saying why; set TINYMATCH_SKIP_PG=1 to skip it on purpose.
"""
import os, shutil, signal, subprocess, tempfile, uuid
from pathlib import Path
import pytest
from faults_common import BIN, synthetic_setup, hpt_yaml, wait_for

HOW = "set TINYMATCH_TEST_PG=postgresql+psycopg://..., or TINYMATCH_SKIP_PG=1 to skip this test on purpose"


def server_version(url: str) -> str:
    "The version string of the PostgreSQL server at SQLAlchemy `url`: proves a real server answers"
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn: return conn.execute(sqlalchemy.text("select version()")).scalar()
    finally: engine.dispose()


@pytest.fixture(scope="module")
def pg_url():
    "TINYMATCH_TEST_PG, else a throwaway `pgserver` PostgreSQL in a temporary folder, stopped and deleted after"
    if os.environ.get("TINYMATCH_SKIP_PG") == "1": pytest.skip("TINYMATCH_SKIP_PG=1")
    url, server, folder = os.environ.get("TINYMATCH_TEST_PG"), None, None
    try:
        if not url:
            try: import pgserver
            except ImportError: pytest.fail(f"no PostgreSQL server: pgserver is not installed (pip install -r requirements-dev.txt); {HOW}",
                                            pytrace=False)
            # not under pytest's base temp: pytest resets that to 0700 at every session start (another pytest run on the machine
            # included), and as root the server runs as a `pgserver` user that must reach its data folder
            folder = Path(tempfile.mkdtemp(prefix="tinymatch-pg-"))
            try: server = pgserver.get_server(folder / "data", cleanup_mode="delete")
            except Exception as e: pytest.fail(f"no PostgreSQL server: pgserver could not start one ({type(e).__name__}: {e}); {HOW}",
                                               pytrace=False)
            url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)   # a Unix socket in the data folder
        try: print(f"\nPostgreSQL: {server_version(url)}")
        except Exception as e: pytest.fail(f"no PostgreSQL server at {url} ({type(e).__name__}: {e}); {HOW}", pytrace=False)
        yield url
    finally:
        if server is not None: server.cleanup()
        if folder is not None: shutil.rmtree(folder, ignore_errors=True)


def test_three_workers_one_killed(pg_url, tmp_path):
    import optuna
    from tinymatch.hpt import count_trials, is_duplicate, COUNTED
    setup = synthetic_setup(tmp_path)
    name = f"pg_{uuid.uuid4().hex[:8]}"
    cfg = hpt_yaml(tmp_path / "hpt.yaml", setup, name, n_trials=8, epochs=25)
    worker = lambda w: subprocess.Popen([str(BIN / "tinymatch"), "hpt", "--config", str(cfg), "--home", str(setup["home"]),
                                         "--source", str(setup["root"]), "--storage", pg_url, "--worker", str(w),
                                         "--heartbeat", "1", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs = {p.pid: p for p in (worker(w) for w in range(3))}
    study = lambda: optuna.load_study(study_name=name, storage=pg_url)
    def running_mid_trial():   # a worker's trial that has finished an epoch but not its last
        try: trials = study().get_trials(states=(optuna.trial.TrialState.RUNNING,))
        except KeyError: return None
        return next((t for t in trials if t.user_attrs.get("epochs_run", 0) >= 1
                     and int(t.user_attrs.get("worker", ":0").split(":")[-1]) in procs), None)
    victim = wait_for(running_mid_trial, timeout=300)
    assert victim is not None, "no trial started within 300 s"
    pid = int(victim.user_attrs["worker"].split(":")[-1])
    os.kill(pid, signal.SIGKILL)
    outs = {p.pid: p.communicate(timeout=400) for p in procs.values()}
    assert procs[pid].returncode == -signal.SIGKILL
    for other, p in procs.items():
        if other != pid: assert p.returncode == 0, outs[other][1][-2000:]
    s = study()
    killed = s.trials[victim.number]
    assert killed.state == optuna.trial.TrialState.FAIL                     # failed by the heartbeat
    retries = [t for t in s.trials if optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == victim.number]
    assert len(retries) == 1 and retries[0].state in COUNTED and retries[0].params == killed.params   # retried once, finished
    assert count_trials(s) == 8                                              # exactly its distinct configurations
    counted = [t for t in s.trials if t.state in COUNTED and not is_duplicate(t)]
    assert len({tuple(sorted(t.params.items())) for t in counted}) == len(counted) == 8   # nothing counted twice
    assert not s.get_trials(states=(optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING))
    print(f"\n{len(s.trials)} trials: 8 distinct finished, trial {victim.number} killed (pid {pid}) and retried as "
          f"trial {retries[0].number}, {sum(is_duplicate(t) for t in s.trials)} repeats not counted")
