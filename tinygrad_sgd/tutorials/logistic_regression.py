"""Lesson 2 — logistic regression with ``nn.Linear``, a sigmoid, BCE and ``optim.SGD``.

The same program you would write in PyTorch, line for line: 1000 points in the unit square
whose label is ``round(0.25·x1 + 0.45·x2 + 0.3·u)`` with noise ``u ~ U(0, 1)`` (a noisy
straight boundary, :func:`tinygrad_sgd.data.make_logistic`), a model

    p = σ(x·wᵀ + b)          nn.Linear(2, 1) followed by a sigmoid

and the mean binary cross-entropy over the N points

    L = −(1/N)·Σ [y·ln p + (1−y)·ln(1−p)].

Because σ′ = p·(1−p) cancels the denominators of the log terms, its gradient is simply

    ∂L/∂w = (1/N)·Σ (p − y)·x,      ∂L/∂b = (1/N)·Σ (p − y)

and ``optim.SGD(lr=0.01)`` applies ``θ ← θ − 0.01·∂L/∂θ`` once per epoch (full batch: every
epoch sees all 1000 points). The loss is printed every 1000 epochs; after 10 000 epochs the
accuracy on the training points is printed and the decision boundary (the line where
p = 0.5, i.e. x·wᵀ + b = 0) and the loss curve are saved.

``tests/test_tutorials.py`` runs the same program in PyTorch from the same initial weights
and checks that both print the same losses.

Run it::

    python examples/logistic_regression.py --epochs 10000 --lr 0.01
"""

import os

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import nn, optim
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.data import make_logistic
from tinygrad_sgd.tutorials._common import EpochBar, Flag, close, shared_flags

LESSON = "logistic_regression"

# The command line, one row per flag (``--help`` prints them); the last three rows are the
# flags every lesson takes.
DESCRIPTION = ("Logistic regression (nn.Linear(2, 1) + sigmoid, binary cross-entropy) trained "
               "with optim.SGD, full batch, on make_logistic's 1000 points.")
FLAGS = [
    Flag("--epochs", int, 10_000, "full-batch gradient steps (default 10000)", at_least=1),
    Flag("--lr", float, 0.01, "SGD learning rate (default 0.01)"),
    Flag("--samples", int, 1000, "number of points (default 1000)", at_least=2),
    Flag("--print-every", int, 1000, "print the loss every this many epochs (default 1000)",
         at_least=1),
    *shared_flags(
        LESSON, seed=0,
        seed_help="seed of the data and of the initial weights (default 0)",
        out_help=f"folder for boundary.png and loss.png (default out/{LESSON})",
        quiet_help="no progress bar; print only the final loss and accuracy"),
]


def build_model(seed):
    """``nn.Linear(2, 1)`` with torch's default initialisation, drawn after
    ``manual_seed(seed)`` (the torch comparison copies these initial weights)."""
    tg.manual_seed(seed)
    return nn.Linear(2, 1)


def run(args):
    """Train and report. Returns ``{"losses", "printed", "accuracy", "weight", "bias",
    "files"}``: the loss at every epoch (before that epoch's step), the printed ones as
    ``{epoch: loss}``, the final training accuracy, the learned parameters and the PNG paths."""
    from tinygrad_sgd.viz.plots import plot_decision_boundary, plot_loss

    X, y = make_logistic(n_samples=args.samples, seed=args.seed)   # (N, 2), (N, 1) float32
    X, y = tg.Tensor(X), tg.Tensor(y)
    model = build_model(args.seed)
    optimizer = optim.SGD(model.parameters(), lr=args.lr)

    labels = y.numpy() > 0.5                       # for the accuracy on the bar
    losses, printed = [], {}
    with EpochBar(args.epochs, "logreg", args.quiet) as bar:
        for epoch in range(1, args.epochs + 1):
            p = model(X).sigmoid()                     # probabilities, (N, 1)
            loss = F.binary_cross_entropy(p, y)        # mean over the N points
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.update(losses[-1], ((p.numpy() > 0.5) == labels).mean())
            if epoch % args.print_every == 0 or epoch == args.epochs:
                printed[epoch] = losses[-1]
                if not args.quiet or epoch == args.epochs:
                    bar.log(f"epoch {epoch:6d}   loss {losses[-1]:.6f}")

    with tg.no_grad():
        p = model(X).sigmoid().numpy()
    accuracy = float(((p > 0.5) == (y.numpy() > 0.5)).mean())
    weight = model.weight.numpy().ravel().tolist()
    bias = float(model.bias.item())
    print(f"weight {np.array2string(np.array(weight), precision=4)}   bias {bias:.4f}")
    print(f"training accuracy {accuracy:.2%}")

    files = {"boundary": os.path.join(args.out, "boundary.png"),
             "loss": os.path.join(args.out, "loss.png")}

    def predict(grid):
        with tg.no_grad():
            return model(tg.Tensor(grid)).sigmoid().numpy()

    close(plot_decision_boundary(predict, X.numpy(), y.numpy(), path=files["boundary"],
                                 title=f"Logistic regression: accuracy {accuracy:.1%}"))
    close(plot_loss(losses, path=files["loss"], title="Binary cross-entropy (full batch)"))
    if not args.quiet:
        for path in files.values():
            print(f"saved {path}")
    return {"losses": losses, "printed": printed, "accuracy": accuracy, "weight": weight,
            "bias": bias, "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
