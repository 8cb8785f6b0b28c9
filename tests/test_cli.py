"""The `tinymatch` console script: help, version, and one-line errors from every command."""
import importlib, subprocess, sys
from pathlib import Path
import pytest
from tinymatch.cli import COMMANDS

BIN = Path(sys.executable).parent


def run(*args, **kw):
    return subprocess.run([str(BIN / "tinymatch"), *args], capture_output=True, text=True, timeout=300, **kw)


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and all(name in r.stdout for name in COMMANDS)
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("tinymatch ")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_exists_and_has_help(name):
    module, func = COMMANDS[name][0].split(":")
    assert callable(getattr(importlib.import_module(module), func))
    r = run(*name.split(), "--help")
    assert r.returncode == 0, r.stderr
    assert f"tinymatch {name}" in r.stdout


def test_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dropout: 1.5\n")
    r = run("train", "--config", str(bad), "--home", str(tmp_path / "h"))
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "dropout must be in [0, 1), got 1.5" in lines[0], r.stderr
    r = run("match", str(tmp_path / "missing.jpg"), str(tmp_path / "missing2.jpg"), "--model", str(tmp_path))
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode != 0 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
