"""Lesson 4 — a hidden layer solves XOR.

Lesson 3 showed that no straight line separates XOR's four points. One hidden layer fixes
that: the network

    h = tanh(x·W₁ᵀ + b₁)          nn.Linear(2, H), then tanh (or sigmoid)
    p = σ(h·W₂ᵀ + b₂)             nn.Linear(H, 1), then sigmoid

first maps the four corners to H new features, in which they *are* linearly separable, and
then draws a line there. Its boundary in the input plane is curved.

Training is full-batch SGD with momentum on the mean binary cross-entropy
L = −¼·Σ [y·ln p + (1−y)·ln(1−p)] (or ``--loss mse``: ¼·Σ (p − y)²). Backpropagation is the
chain rule, layer by layer, from the loss back to the first weights::

    δ₂ = ∂L/∂z₂ = (p − y)/4                 (BCE and sigmoid together)
    ∂L/∂W₂ = δ₂ᵀ·h,    ∂L/∂b₂ = Σ δ₂
    δ₁ = (δ₂·W₂) ⊙ (1 − h²)                 (tanh′ = 1 − tanh²)
    ∂L/∂W₁ = δ₁ᵀ·x,    ∂L/∂b₁ = Σ δ₁

``loss.backward()`` computes exactly these; ``optim.SGD(lr, momentum=μ)`` then applies
``v ← μ·v + g``, ``θ ← θ − lr·v`` (torch's update). With 2 hidden units XOR is solvable but
some starting points get stuck; 4 (the default) make it reliable. The lesson prints the
truth table (inputs, target, predicted probability, rounded output) and draws the boundary.

Run it::

    python examples/xor_mlp.py --hidden 4 --epochs 1000
"""

import os

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import nn, optim
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.data import make_xor
from tinygrad_sgd.tutorials._common import EpochBar, Flag, close, shared_flags

LESSON = "xor_mlp"

# The command line, one row per flag (``--help`` prints them); the last three rows are the
# flags every lesson takes.
DESCRIPTION = ("A two-layer MLP (Linear -> tanh -> Linear -> sigmoid) trained with SGD and "
               "momentum on the four XOR points; prints the truth table.")
FLAGS = [
    Flag("--hidden", int, 4, "hidden units H (default 4)", at_least=1),
    Flag("--activation", str, "tanh", "hidden-layer activation (default tanh)",
         choices=("tanh", "sigmoid")),
    Flag("--loss", str, "bce", "binary cross-entropy (default) or mean squared error",
         choices=("bce", "mse")),
    Flag("--epochs", int, 1000, "full-batch SGD steps (default 1000)", at_least=1),
    Flag("--lr", float, 0.1, "learning rate (default 0.1)"),
    Flag("--momentum", float, 0.9, "SGD momentum (default 0.9)"),
    *shared_flags(
        LESSON, seed=0,
        seed_help="seed of the initial weights (default 0)",
        out_help=f"folder for boundary.png (default out/{LESSON})",
        quiet_help="no progress bar; print only the final loss and the truth table"),
]


def build_model(hidden=4, activation="tanh"):
    """Linear(2, H) -> tanh/sigmoid -> Linear(H, 1) -> sigmoid, torch's initialisation."""
    act = nn.Tanh() if activation == "tanh" else nn.Sigmoid()
    return nn.Sequential(nn.Linear(2, hidden), act, nn.Linear(hidden, 1), nn.Sigmoid())


def run(args):
    """Train, print the loss and the truth table, draw the boundary. Returns ``{"losses",
    "probabilities", "outputs", "targets", "solved", "files"}``: the loss per epoch, p for each
    of the four points, the rounded outputs, the targets, whether all four are right and the
    PNG path."""
    from tinygrad_sgd.viz.plots import plot_decision_boundary

    X, y = make_xor()                                   # (4, 2) float32, (4,) int64
    inputs = tg.tensor(X)
    targets = tg.tensor(y.reshape(-1, 1).astype(np.float32))

    tg.manual_seed(args.seed)
    model = build_model(args.hidden, args.activation)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loss_fn = F.binary_cross_entropy if args.loss == "bce" else F.mse_loss

    every = max(1, args.epochs // 10)
    losses = []
    with EpochBar(args.epochs, "xor", args.quiet) as bar:
        for epoch in range(1, args.epochs + 1):
            p = model(inputs)
            loss = loss_fn(p, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.update(losses[-1], ((p.detach().numpy() > 0.5).ravel() == y).mean())
            if (not args.quiet and epoch % every == 0) or epoch == args.epochs:
                bar.log(f"epoch {epoch:5d}   loss {losses[-1]:.6f}")

    with tg.no_grad():
        probabilities = model(inputs).detach().numpy().reshape(-1).astype(np.float64)
    outputs = (probabilities > 0.5).astype(np.int64)
    solved = bool((outputs == y).all())
    print("\n x1  x2 | target | p(y=1)  | output")
    print("--------+--------+---------+-------")
    for (x1, x2), t, prob, out in zip(X, y, probabilities, outputs):
        mark = "" if out == t else "   <- wrong"
        print(f" {x1:2.0f}  {x2:2.0f} |   {t}    | {prob:.4f}  |   {out}{mark}")
    print(f"\nXOR {'solved' if solved else 'NOT solved'}: "
          f"{int((outputs == y).sum())} of 4 correct")

    files = {"boundary": os.path.join(args.out, "boundary.png")}

    def predict(grid):
        with tg.no_grad():
            return model(tg.tensor(grid)).detach().numpy()

    close(plot_decision_boundary(predict, X, y, path=files["boundary"],
                                 title=f"XOR, MLP with {args.hidden} hidden units "
                                       f"({args.activation})"))
    if not args.quiet:
        print(f"saved {files['boundary']}")
    return {"losses": losses, "probabilities": probabilities.tolist(),
            "outputs": outputs.tolist(), "targets": y.tolist(), "solved": solved,
            "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
