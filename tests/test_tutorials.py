"""Tests for the four lessons in tinygrad_sgd.tutorials and their example scripts.

Each lesson is run briefly with ``--out tmp_path``: its losses go down, its accuracy is what
the lesson promises, its PNGs are real pictures. The logistic regression is compared with the
same program in PyTorch; the blobs lesson's autograd gradient with the hand-derived formulas.
"""

import importlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import cli, nn
from tinygrad_sgd.data import make_blobs, make_separable, make_xor
from tinygrad_sgd.cli import LESSONS
from tinygrad_sgd.tutorials import logistic_regression, perceptron, sgd_blobs, xor_mlp
from tinygrad_sgd.tutorials._common import EpochBar
from helpers import close_figures, n_colours, read_png  # noqa: F401  (autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
MODULES = [sgd_blobs, logistic_regression, perceptron, xor_mlp]


def assert_png(path):
    """``path`` is a PNG that decodes to a picture with more than a few colours."""
    pixels = read_png(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert n_colours(pixels) > 20, f"{path} is nearly blank"


# ---------------------------------------------------------------------- every lesson
@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_help_exits_zero_with_usage(module, capsys):
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:")
    for flag in ("--out", "--seed", "--quiet", "--epochs"):
        assert flag in out
    assert module.__doc__ and len(module.__doc__) > 500     # the lesson teaches


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_prog_names_the_usage_line(module, capsys):
    with pytest.raises(SystemExit):
        module.main(["--help"], prog="tinygrad-sgd lesson")
    assert capsys.readouterr().out.startswith("usage: tinygrad-sgd lesson [-h]")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_bad_epochs_is_a_usage_error(module, capsys):
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--epochs", "0"])
    assert exit_info.value.code == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err


def test_lessons_table_names_every_module():
    assert {m.__name__ for m in MODULES} <= {name for name, _ in LESSONS.values()}
    for command, (name, description) in LESSONS.items():
        assert callable(importlib.import_module(name).main) and description


@pytest.mark.parametrize("name", ["sgd_blobs", "logistic_regression", "perceptron", "xor_mlp"])
def test_example_script_runs_the_lesson(name):
    script = ROOT / "examples" / f"{name}.py"
    text = script.read_text()
    assert f"from tinygrad_sgd.tutorials.{name} import main" in text
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:")


def test_importing_the_lessons_loads_neither_matplotlib_nor_torch_nor_tqdm():
    code = ("import sys, tinygrad_sgd.tutorials.sgd_blobs, tinygrad_sgd.tutorials.perceptron, "
            "tinygrad_sgd.tutorials.logistic_regression, tinygrad_sgd.tutorials.xor_mlp; "
            "from tinygrad_sgd.tutorials._common import EpochBar; "
            "EpochBar(3, 'quiet', quiet=True).update(0.5, 0.5); "
            "print(sorted(m for m in ('matplotlib', 'torch', 'tqdm') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# ---------------------------------------------------------------------- progress bars
SHORT_RUNS = {sgd_blobs: ["--epochs", "3"],
              logistic_regression: ["--epochs", "30", "--print-every", "10"],
              perceptron: ["--epochs", "5"],
              xor_mlp: ["--epochs", "20"]}


def test_epoch_bar_draws_on_stderr_and_logs_to_stdout(capsys):
    with EpochBar(2, "demo") as bar:
        bar.update(0.5, 0.25)
        bar.log("line 1")
        bar.update(0.125, 0.75)
    out, err = capsys.readouterr()
    assert out == "line 1\n"
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("demo: 100%") and "2/2" in last
    assert "loss=0.1250, acc=0.750" in last                # the latest values, in this order
    with EpochBar(2, "demo", quiet=True) as bar:
        bar.update(0.5, 0.25)
        bar.log("line 2")
    assert capsys.readouterr() == ("line 2\n", "")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_lesson_shows_a_progress_bar_on_stderr(module, tmp_path, capsys):
    module.main(SHORT_RUNS[module] + ["--out", str(tmp_path)])
    out, err = capsys.readouterr()
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    done = re.search(r"(\d+)/(\d+) \[.*loss=[\d.]+, acc=[01]\.\d{3}\]$", last)
    assert done, err[-500:]
    assert done[1] == done[2] == SHORT_RUNS[module][1]    # one step per epoch, all done
    assert "acc=" not in out and "epoch/s" not in out and "\r" not in out


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_lesson_quiet_writes_nothing_to_stderr(module, tmp_path, capsys):
    module.main(SHORT_RUNS[module] + ["--out", str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    assert err == "" and out


# ---------------------------------------------------------------------- 1. sgd_blobs
def _blobs_batch(n=32, seed=1):
    X, y = make_blobs(n_samples=400, seed=1)
    X = sgd_blobs.add_bias_column(X)[:n]
    return X, y[:n].reshape(-1, 1).astype(np.float32)


@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])   # 5.0: the sigmoid is saturated
def test_sgd_blobs_autograd_gradient_equals_the_hand_formulas(scale):
    """bce: ∂/∂W Σ BCE(σ(XW), y) = Xᵀ·(p − y) = Xᵀ·error, the tutorial's gradient exactly.
    sse: ∂/∂W Σ (p − y)² = 2·Xᵀ·(error ⊙ p ⊙ (1 − p)), the gradient of the printed loss."""
    xb, yb = _blobs_batch()
    w0 = (np.random.default_rng(0).standard_normal((3, 1)) * scale).astype(np.float32)
    x64, w64 = xb.astype(np.float64), w0.astype(np.float64)
    p = 1 / (1 + np.exp(-(x64 @ w64)))
    error = p - yb
    hand = {"bce": x64.T @ error, "sse": 2 * x64.T @ (error * p * (1 - p))}

    for loss in ("bce", "sse"):
        W = tg.Tensor(w0.copy(), requires_grad=True)
        sse, objective = sgd_blobs.batch_loss(W, xb, yb, loss)
        objective.backward()
        assert sse.item() == pytest.approx(float((error ** 2).sum()), rel=1e-5)
        np.testing.assert_allclose(W.grad.numpy(), hand[loss], rtol=1e-4,
                                   atol=1e-5 * np.abs(hand[loss]).max())
        np.testing.assert_allclose(sgd_blobs.hand_gradient(w0, xb, yb, loss), hand[loss],
                                   rtol=1e-10)
    # the two really are different gradients: Xᵀ·error is not ∂(Σ error²)/∂W
    assert not np.allclose(hand["bce"], hand["sse"], rtol=0.1)


def test_sgd_blobs_one_full_batch_epoch_is_one_hand_update(tmp_path):
    """--batch-size 0, 1 epoch: W₁ = W₀ − α·Xᵀ·(σ(X·W₀) − y) over all 400 points."""
    result = sgd_blobs.main(["--epochs", "1", "--batch-size", "0", "--alpha", "0.001",
                             "--seed", "7", "--out", str(tmp_path), "--quiet"])
    tg.manual_seed(7)
    w0 = tg.randn(3, 1).numpy().astype(np.float64)
    X, y = make_blobs(n_samples=400, seed=1)
    X = np.c_[X, np.ones(len(X))].astype(np.float64)
    p = 1 / (1 + np.exp(-(X @ w0)))
    expected = w0 - 0.001 * X.T @ (p - y.reshape(-1, 1))
    np.testing.assert_allclose(result["weights"], expected.ravel(), rtol=1e-4, atol=1e-5)
    assert result["batch_size"] == 400
    assert result["losses"][0] == pytest.approx(((p - y.reshape(-1, 1)) ** 2).sum(), rel=1e-4)


def test_sgd_blobs_minibatch_run(tmp_path, capsys):
    result = sgd_blobs.main(["--epochs", "5", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    printed = [float(v) for v in re.findall(r"epoch=\d+, loss=([\d.]+)", out)]
    assert len(printed) == 5                               # every epoch without --quiet
    np.testing.assert_allclose(printed, result["losses"], rtol=1e-6)
    assert result["losses"][-1] < result["losses"][0] / 5
    assert result["accuracy"] >= 0.95
    assert f"{result['accuracy']:.2%}" in out
    assert result["batch_size"] == 32 and result["loss"] == "bce"
    assert set(result["files"]) == {"data_boundary", "loss"}
    for path in result["files"].values():
        assert Path(path).parent == tmp_path
        assert_png(path)


def test_sgd_blobs_quiet_prints_every_tenth_epoch(tmp_path, capsys):
    sgd_blobs.main(["--epochs", "25", "--out", str(tmp_path), "--quiet"])
    epochs = re.findall(r"epoch=(\d+),", capsys.readouterr().out)
    assert epochs == ["1", "10", "20", "25"]


def test_sgd_blobs_vanilla_gradient_descent(tmp_path, capsys):
    result = sgd_blobs.main(["--epochs", "20", "--batch-size", "0", "--out", str(tmp_path),
                             "--quiet"])
    assert "vanilla (full-batch) gradient descent" in capsys.readouterr().out
    assert result["batch_size"] == 400 and len(result["losses"]) == 20
    assert result["losses"][-1] < result["losses"][0] / 20
    assert result["accuracy"] >= 0.95
    assert_png(result["files"]["data_boundary"])


def test_sgd_blobs_squared_error_gradient_also_learns(tmp_path):
    result = sgd_blobs.main(["--epochs", "60", "--loss", "sse", "--out", str(tmp_path),
                             "--quiet"])
    assert result["losses"][-1] < result["losses"][0] / 10
    assert result["accuracy"] >= 0.95


# ---------------------------------------------------------------------- 2. logistic regression
# what PyTorch's program prints with the lesson's defaults (10,000 epochs; run with torch 2.13)
TORCH_PRINTS = ["Epoch 1000, Loss: 0.6212", "Epoch 2000, Loss: 0.5708", "Epoch 3000, Loss: 0.5320",
                "Epoch 4000, Loss: 0.5018", "Epoch 5000, Loss: 0.4778", "Epoch 6000, Loss: 0.4583",
                "Epoch 7000, Loss: 0.4424", "Epoch 8000, Loss: 0.4291", "Epoch 9000, Loss: 0.4180",
                "Epoch 10000, Loss: 0.4085", "Accuracy: 83.70%"]


def torch_reference(epochs, seed=541, lr=0.01, n_samples=1000):
    """The lesson's program in PyTorch, from the same seed alone (data and zero-initialised
    parameters): the loss of every epoch (before that epoch's step) and the final accuracy."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    X = torch.rand(n_samples, 2)
    Y = torch.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * torch.rand(n_samples))
    w = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.tensor(0.0))
    criterion, optimizer = torch.nn.BCELoss(), torch.optim.SGD([w, b], lr=lr)
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # tiny tensors: extra threads only add overhead
    try:
        for _ in range(epochs):
            loss = criterion(torch.sigmoid(torch.matmul(X, w) + b), Y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            accuracy = torch.sigmoid(torch.matmul(X, w) + b).round().eq(Y).float().mean().item()
    finally:
        torch.set_num_threads(threads)
    return losses, accuracy


def lesson_lines(out):
    return [line for line in out.splitlines() if line.startswith(("Epoch", "Accuracy"))]


def test_logistic_regression_prints_torchs_lines(tmp_path, capsys):
    """The default program (seed 541, zero-initialised parameters, lr 0.01) for its first
    2,000 epochs: torch's printed lines, character for character, and its loss at every
    epoch (to float32 rounding)."""
    result = logistic_regression.main(["--epochs", "2000", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    losses, accuracy = torch_reference(2000)
    assert lesson_lines(out) == TORCH_PRINTS[:2] + [f"Accuracy: {accuracy * 100:.2f}%"]
    assert sorted(result["printed"]) == [1000, 2000]
    np.testing.assert_allclose(result["losses"], losses, rtol=1e-6)
    assert result["accuracy"] == pytest.approx(accuracy)
    assert set(result["files"]) == {"boundary", "loss"}
    for path in result["files"].values():
        assert_png(path)


@pytest.mark.slow
def test_logistic_regression_defaults_print_torchs_ten_lines(tmp_path, capsys):
    """The full default run (10,000 epochs, about 30 s): the ten loss lines and the accuracy."""
    logistic_regression.main(["--out", str(tmp_path)])
    assert lesson_lines(capsys.readouterr().out) == TORCH_PRINTS


def test_logistic_regression_other_flags_follow_torch(tmp_path, capsys):
    """--seed, --samples, --lr and --print-every change the program as they would torch's."""
    result = logistic_regression.main(["--epochs", "300", "--print-every", "100", "--seed", "7",
                                       "--samples", "200", "--lr", "0.5", "--out",
                                       str(tmp_path)])
    losses, accuracy = torch_reference(300, seed=7, lr=0.5, n_samples=200)
    expected = [f"Epoch {e}, Loss: {losses[e - 1]:.4f}" for e in (100, 200, 300)]
    assert lesson_lines(capsys.readouterr().out) == expected + [f"Accuracy: "
                                                                f"{accuracy * 100:.2f}%"]
    np.testing.assert_allclose(result["losses"], losses, rtol=1e-5)


# The PyTorch program the lesson reproduces; with ``import torch`` → ``import tinygrad_sgd as
# torch`` and nothing else changed it must run here and print the same lines.
SEED_PROGRAM = """import torch

torch.manual_seed(541)
X = torch.rand(1000, 2)
Y = torch.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * torch.rand(1000))

w = torch.nn.Parameter(torch.zeros(2))
b = torch.nn.Parameter(torch.tensor(0.0))


def model(x):
    return torch.sigmoid(torch.matmul(x, w.T) + b)


criterion = torch.nn.BCELoss()
optimizer = torch.optim.SGD([w, b], lr=0.01)

for epoch in range(EPOCHS):
    y_pred = model(X)
    loss = criterion(y_pred, Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 1000 == 0:
        print(f"Epoch {epoch + 1}, Loss: {loss.item():.4f}")

with torch.no_grad():
    predicted = model(X).round()
    accuracy = predicted.eq(Y).sum() / Y.size(0)
    print(f"Accuracy: {accuracy.item() * 100:.2f}%")
"""


def run_program(text, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # torch warns about w.T on a vector
        exec(compile(text, "seed_program.py", "exec"), {"__name__": "seed_program"})
    return capsys.readouterr().out.splitlines()


def test_the_seed_program_uses_only_what_exists():
    for name in ("manual_seed", "rand", "round", "zeros", "tensor", "matmul", "sigmoid",
                 "no_grad"):
        assert callable(getattr(tg, name, None)), f"tinygrad_sgd.{name} is missing"
    for name in ("round", "eq", "size", "T", "sum", "item"):
        assert hasattr(tg.Tensor, name), f"Tensor.{name} is missing"
    assert tg.zeros(2).T.shape == (2,) and tg.zeros(3, 2).size(0) == 3
    assert nn.Parameter and nn.BCELoss and tg.optim.SGD


@pytest.mark.parametrize("epochs", [2000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_the_seed_program_prints_torchs_lines(epochs, capsys):
    """The PyTorch program with ``import torch`` → ``import tinygrad_sgd as torch`` only."""
    text = SEED_PROGRAM.replace("EPOCHS", str(epochs))
    ours = run_program(text.replace("import torch\n", "import tinygrad_sgd as torch\n"), capsys)
    if epochs == 10_000:
        assert ours == TORCH_PRINTS
        return
    pytest.importorskip("torch")
    theirs = run_program(text, capsys)                        # torch itself
    assert ours == theirs and ours[:2] == TORCH_PRINTS[:2]
    assert re.fullmatch(r"Accuracy: \d+\.\d\d%", ours[-1])


def test_logistic_regression_quiet_prints_only_the_end(tmp_path, capsys):
    result = logistic_regression.main(["--epochs", "300", "--print-every", "100", "--quiet",
                                       "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert re.findall(r"Epoch (\d+)", out) == ["300"]
    assert sorted(result["printed"]) == [100, 200, 300]


# ---------------------------------------------------------------------- 3. perceptron
def test_perceptron_separable_100_percent_xor_at_most_75(tmp_path, capsys):
    result = perceptron.main(["--out", str(tmp_path)])
    out = capsys.readouterr().out
    sep, xor = result["separable"], result["xor"]

    assert sep["accuracy"] == 1.0 and sep["converged"]
    assert sep["updates"][-1] == 0 and sep["epochs"] < 100
    assert sum(sep["updates"]) > 0
    assert "separable: converged" in out and "training accuracy 100%" in out

    assert not xor["converged"] and xor["epochs"] == 100
    assert all(u > 0 for u in xor["updates"])              # a mistake in every epoch
    assert xor["accuracy"] <= 0.75 and max(xor["accuracies"]) <= 0.75
    assert xor["best_accuracy"] == 0.75                    # the best any line can do
    assert "XOR: not converged" in out
    assert set(result["files"]) == {"separable", "xor"}
    for part in (sep, xor):
        assert_png(part["file"])


def test_perceptron_steps_are_rosenblatts_rule():
    """SGD on max(0, −y·s), skipping correct points, is w += lr·y·x, b += lr·y on mistakes:
    replay it in NumPy from the same start and visiting order."""
    X, y = make_separable(n_samples=40, seed=3, margin=0.02)
    model, _, history = perceptron.train_perceptron(X, y, epochs=3, lr=0.5, seed=3,
                                                    log=lambda *a: None)
    tg.manual_seed(3)
    start = nn.Linear(2, 1)
    w = start.weight.numpy().astype(np.float64).ravel().copy()
    b = float(start.bias.item())
    rng = np.random.default_rng(3)
    updates = []
    for _ in range(len(history["updates"])):
        n = 0
        for i in rng.permutation(len(X)):
            if y[i] * (X[i] @ w + b) > 0:
                continue
            w += 0.5 * y[i] * X[i]
            b += 0.5 * y[i]
            n += 1
        updates.append(n)
    assert updates == history["updates"] and sum(updates) > 0
    np.testing.assert_allclose(model.weight.numpy().ravel(), w, rtol=1e-5, atol=1e-6)
    assert model.bias.item() == pytest.approx(b, abs=1e-5)


def test_perceptron_with_margin_one(tmp_path):
    result = perceptron.main(["--margin", "1", "--epochs", "200", "--quiet",
                              "--out", str(tmp_path)])
    assert result["separable"]["accuracy"] == 1.0 and result["separable"]["converged"]
    assert result["xor"]["accuracy"] <= 0.75


# ---------------------------------------------------------------------- 4. xor_mlp
def test_xor_mlp_solves_xor_with_the_default_seed(tmp_path, capsys):
    result = xor_mlp.main(["--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert result["solved"]
    assert result["targets"] == [0, 1, 1, 0] and result["outputs"] == [0, 1, 1, 0]
    probs = np.array(result["probabilities"])
    assert (probs[[1, 2]] > 0.9).all() and (probs[[0, 3]] < 0.1).all()
    assert result["losses"][-1] < 0.05 < 0.6 < result["losses"][0]
    rows = re.findall(r"^\s*(\d)\s+(\d) \|\s+(\d)\s+\| ([\d.]+)\s+\|\s+(\d)", out, re.M)
    assert [(int(a), int(b), int(t)) for a, b, t, _, _ in rows] == \
        [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    np.testing.assert_allclose([float(r[3]) for r in rows], probs, atol=1e-4)
    assert "XOR solved: 4 of 4 correct" in out
    assert_png(result["files"]["boundary"])


@pytest.mark.parametrize("flags", [["--hidden", "8"], ["--activation", "sigmoid"],
                                   ["--loss", "mse", "--hidden", "8"]])
def test_xor_mlp_variants(tmp_path, flags):
    result = xor_mlp.main(flags + ["--out", str(tmp_path), "--quiet"])
    assert result["solved"]
    assert result["losses"][-1] < result["losses"][0] / 5


def test_xor_mlp_hidden_flag_sets_the_width():
    model = xor_mlp.build_model(hidden=3)
    assert [tuple(p.shape) for p in model.parameters()] == [(3, 2), (3,), (1, 3), (1,)]
    X, _ = make_xor()
    assert model(tg.Tensor(X)).shape == (4, 1)


# ---------------------------------------------------------------------- the tables of flags
ALL_LESSONS = [importlib.import_module(name) for name, _ in LESSONS.values()]


@pytest.mark.parametrize("module", ALL_LESSONS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_flag_table_gives_the_defaults_and_the_help(module, capsys):
    """Each row of a lesson's FLAGS is a flag of its parser, with that default and help."""
    args = cli.lesson_main(vars, module.DESCRIPTION, module.FLAGS, [])
    names = [flag.name for flag in module.FLAGS]
    assert names[-3:] == ["--seed", "--out", "--quiet"] and len(set(names)) == len(names)
    assert args == {f.name[2:].replace("-", "_"): f.default for f in module.FLAGS}
    assert args["out"].startswith("out" + os.sep) and args["quiet"] is False
    with pytest.raises(SystemExit):
        cli.lesson_main(vars, module.DESCRIPTION, module.FLAGS, ["--help"], "lesson")
    usage = capsys.readouterr().out
    assert " ".join(module.DESCRIPTION.split()[:4]) in usage
    for flag in module.FLAGS:
        assert flag.name in usage
        if flag.help:                                       # argparse re-wraps the text
            assert " ".join(flag.help.split()[:3]) in " ".join(usage.split())


BOUNDED = [m for m in ALL_LESSONS if any(f.at_least is not None for f in m.FLAGS)]


@pytest.mark.parametrize("module", BOUNDED, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_flag_table_lower_bounds_are_usage_errors(module, capsys):
    bounded = [flag for flag in module.FLAGS if flag.at_least is not None]
    assert bounded                     # (--epochs, or --steps / --num for the LM lessons)
    for flag in bounded:
        too_small = str(flag.at_least - 1)
        with pytest.raises(SystemExit) as exit_info:
            module.main([flag.name, too_small])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert f"{flag.name} must be at least {flag.at_least}, got {too_small}" in err
        args = cli.lesson_main(vars, module.DESCRIPTION, module.FLAGS,
                               [flag.name, str(flag.at_least)])
        assert args[flag.name[2:].replace("-", "_")] == flag.at_least


def test_choices_rows_refuse_other_values(capsys):
    with pytest.raises(SystemExit) as exit_info:
        xor_mlp.main(["--activation", "relu"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'relu'" in capsys.readouterr().err
