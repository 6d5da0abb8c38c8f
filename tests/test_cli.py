"""The `tinygrad-sgd` command and the MNIST lesson, run briefly."""
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_sgd import cli
from tinygrad_sgd.tutorials import mnist_cnn

ROOT = Path(__file__).resolve().parents[1]
FASHION = Path("/usr/share/datasets/fashion-mnist")


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
