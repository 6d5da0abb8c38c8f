"""README.md stays true: its two commands are the ones CI runs, and its tour runs."""
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SHARED = ROOT.parent / "shared" / "data"


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_the_two_commands_ci_runs():
    first, second = _blocks("bash")[:2]
    assert "python3 -m venv .venv" in first and "-c constraints.txt" in first
    assert "tinygrad-sgd mnist" in first
    assert second.strip() == ".venv/bin/python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text()
    for step in ("apt-get install -y -q graphviz dataset-fashion-mnist", "python3 -m venv .venv",
                 "-c constraints.txt -e '.[test]'", "tinygrad-sgd mnist", "-m pytest -q"):
        assert step in ci, step


def test_constraints_pin_torch_to_the_cpu_build_on_disk():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    assert "torch==2.13.0" in (ROOT / "setup.cfg").read_text()


@pytest.mark.skipif(not (SHARED / "mnist").is_dir() and not os.environ.get("TINYGRAD_SGD_DATA"),
                    reason="the tour trains on the MNIST test split")
def test_the_tour_runs(tmp_path, monkeypatch, capsys):
    if (SHARED / "mnist").is_dir():
        monkeypatch.setenv("TINYGRAD_SGD_DATA", str(SHARED))
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for code in _blocks("python"):
        exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "gradient flowing into h:" in out and "SumBackward" in out
    assert (tmp_path / "cnn.pt").is_file() and (tmp_path / "cnn.svg").is_file()
    assert namespace["loss"].item() < 1.0          # one epoch on 10,000 images learns
    assert abs(namespace["d2y"].item()) > 0
