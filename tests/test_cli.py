"""The `tinygrad-sgd` command and the MNIST lesson, run briefly; `graph` and `explain`."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sgd import cli
from tinygrad_sgd.tutorials import mnist_cnn

ROOT = Path(__file__).resolve().parents[1]
FASHION = Path("/usr/share/datasets/fashion-mnist")
SHARED_DATA = ROOT.parent / "shared" / "data"
if not (SHARED_DATA / "mnist").is_dir():
    SHARED_DATA = Path("/work/shared/data")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (CI installs it)")


def test_usage_lists_every_command(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for command in ("mnist", "sgd", "logreg", "perceptron", "xor", "graph", "explain"):
        assert f"  {command}" in out


def test_unknown_command_is_an_error(capsys):
    assert cli.main(["fly"]) == 2
    assert "unknown command 'fly'" in capsys.readouterr().err


@pytest.mark.parametrize("command", list(cli.LESSONS))
def test_every_lesson_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_python_dash_m_runs_the_command():
    out = subprocess.run([sys.executable, "-m", "tinygrad_sgd", "--help"], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    assert "tinygrad-sgd COMMAND" in out.stdout


@pytest.mark.skipif(not FASHION.is_dir(), reason="needs Debian's dataset-fashion-mnist")
def test_mnist_lesson_trains_briefly_and_writes_its_files(tmp_path, capsys):
    result = mnist_cnn.main(["--dataset", "fashion-mnist", "--epochs", "2", "--limit", "4096",
                             "--test-limit", "1000", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert result["dataset"] == "Fashion-MNIST"
    assert "dataset: Fashion-MNIST" in out and "epoch 2:" in out
    assert result["train_loss"][1] < result["train_loss"][0]
    assert result["test_acc"][-1] > 0.5           # chance is 0.10
    for key in ("checkpoint", "loss_curve", "predictions"):
        path = Path(result["files"][key])
        assert path.is_file() and path.stat().st_size > 1000
    with open(result["files"]["predictions"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # the checkpoint loads back into a fresh model and gives the same predictions
    import tinygrad_sgd as tg
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.data import FashionMNIST
    model = SimpleCNN()
    model.load_state_dict(tg.load(result["files"]["checkpoint"]))
    _, acc, _ = mnist_cnn.evaluate(model, FashionMNIST(train=False), limit=1000)
    assert acc == pytest.approx(result["test_acc"][-1])


def test_auto_falls_back_to_fashion_when_mnist_train_is_missing(monkeypatch, tmp_path):
    from tinygrad_sgd.data import mnist as mnist_module
    messages = []

    class FakeFashion:
        def __init__(self, root=None, train=True, download=True):
            self.train = train

    def missing(*args, **kwargs):
        raise FileNotFoundError("train-images-idx3-ubyte.gz not found")

    monkeypatch.setattr(mnist_module, "MNIST", missing)
    monkeypatch.setattr("tinygrad_sgd.data.MNIST", missing)
    monkeypatch.setattr("tinygrad_sgd.data.FashionMNIST", FakeFashion)
    train, test, which = mnist_cnn.load_data("auto", log=messages.append)
    assert which == "Fashion-MNIST" and train.train and not test.train
    assert "Fashion-MNIST instead" in messages[0]
    with pytest.raises(FileNotFoundError):
        mnist_cnn.load_data("mnist", log=messages.append)


def test_example_script_shows_help():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "mnist_cnn.py"), "--help"],
                         capture_output=True, text=True, check=True)
    assert "--batch-size" in out.stdout and "--dataset" in out.stdout


# ------------------------------------------------------------------ graph and explain
def test_graph_and_explain_commands(tmp_path):
    from tinygrad_sgd.viz import EXAMPLES
    assert set(EXAMPLES) == {"expression", "neuron", "logistic", "xor-mlp", "gpt"}
    for name, build in EXAMPLES.items():
        loss, named = build()
        assert loss.grad_fn is not None and all(hasattr(t, "grad_fn") for t in named.values())
        assert np.array_equal(loss.array, build()[0].array)      # fixed seed: same every time
    out = cli.graph_command(example="neuron", output=str(tmp_path / "neuron.dot"))
    assert out.startswith("wrote") and "neuron" in out
    src = (tmp_path / "neuron.dot").read_text()
    assert "grad" in src and "x1*w1" in src and "rankdir=LR" in src
    cli.graph_command(example="xor-mlp", output=str(tmp_path / "xor.dot"))
    assert "rankdir=TB" in (tmp_path / "xor.dot").read_text()    # long chain: top to bottom
    cli.graph_command(example="xor-mlp", output=str(tmp_path / "xor.dot"), rankdir="LR")
    assert "rankdir=LR" in (tmp_path / "xor.dot").read_text()
    cli.graph_command(model="simple-cnn", output=str(tmp_path / "cnn.dot"))
    assert "conv1: Conv2d" in (tmp_path / "cnn.dot").read_text()
    cli.graph_command(model="mlp", output=str(tmp_path / "mlp.dot"))
    assert "0.weight" in (tmp_path / "mlp.dot").read_text()
    text = cli.explain_command("neuron")
    assert "Step 5/5" in text and "x1.grad = -1.5000" in text
    with pytest.raises(ValueError, match="unknown example 'nope'"):
        cli.graph_command(example="nope", output=str(tmp_path / "x.dot"))
    with pytest.raises(ValueError, match="either a model or an example"):
        cli.graph_command(output=str(tmp_path / "x.dot"))
    with pytest.raises(ValueError, match="unknown model 'transformer'"):
        cli.explain_command(model="transformer")
    with pytest.raises(ValueError, match="not both"):
        cli.explain_command(example="neuron", model="simple-cnn")


@needs_dot
def test_explain_frames_as_png_from_the_command_line(tmp_path, capsys):
    assert cli.main(["explain", "--example", "expression", "--frames", str(tmp_path / "f"),
                     "--format", "png"]) == 0
    assert "Wrote 4 frames" in capsys.readouterr().out
    files = sorted((tmp_path / "f").iterdir())
    assert [f.name for f in files] == [f"step_{k:02d}.png" for k in range(4)]
    assert all(f.read_bytes()[:4] == b"\x89PNG" for f in files)
    with pytest.raises(SystemExit) as info:
        cli.main(["explain", "--frames", "d", "--format", "gif"])
    assert info.value.code == 2
    assert "invalid choice: 'gif'" in capsys.readouterr().err


@needs_dot
@pytest.mark.parametrize("example", ["neuron", "logistic", "xor-mlp"])
def test_explain_html_writes_the_explorer_page(tmp_path, capsys, example):
    path = tmp_path / f"{example}.html"
    assert cli.main(["explain", "--example", example, "--html", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {path} (example '{example}'") and "open it in a browser" in out
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "window.tgExplorer" in page
    assert "Backpropagation step by step: example" in page


@needs_dot
def test_explain_html_of_the_tutorial_cnn_on_mnist(tmp_path, capsys, monkeypatch):
    if (SHARED_DATA / "mnist").is_dir():
        monkeypatch.setenv("TINYGRAD_SGD_DATA", str(SHARED_DATA))
    path = tmp_path / "cnn.html"
    assert cli.main(["explain", "--model", "simple-cnn", "--html", str(path),
                     "--batch-size", "16"]) == 0
    out = capsys.readouterr().out
    dataset = "MNIST test images" if (SHARED_DATA / "mnist").is_dir() else ""
    assert out.startswith(f"wrote {path} (the tutorial CNN on 16 {dataset}")
    assert "13 operations, 27 steps" in out
    assert path.stat().st_size < 5_000_000
    with pytest.raises(SystemExit):
        cli.main(["explain", "--model", "simple-cnn", "--batch-size", "0"])
    assert "--batch-size must be at least 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["explain", "--example", "neuron", "--frames", "d", "--html", "x.html"])
    assert "not allowed with argument" in capsys.readouterr().err
