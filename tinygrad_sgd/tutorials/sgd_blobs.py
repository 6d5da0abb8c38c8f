"""Lesson 1 — stochastic gradient descent, the classic "SGD with Python" program.

Two Gaussian blobs of 2-D points (400 of them, classes 0 and 1) are separated by a single
sigmoid unit trained with mini-batch SGD, exactly as the well-known pyimagesearch tutorial
does it, but with the gradient computed by ``loss.backward()`` instead of by hand.

The model
---------
*Bias trick*: a column of ones is appended to the data, so ``X`` is N×3 and the bias is just
the third weight; ``W`` (3×1) starts as standard normal noise. Then, for a batch ``X``::

    z = X·W                  scores, N×1
    p = σ(z) = 1/(1+e⁻ᶻ)     predicted probability of class 1
    e = p − y                the error
    loss = Σ e²              the tutorial's "least squares" loss, printed per epoch
                             (the mean over the epoch's batches)

and after each batch ``W ← W − α·∇W``. An epoch is one pass over the batches from
``next_batch``; ``--batch-size 0`` uses the whole set as one batch (plain gradient descent).

Which loss does the tutorial's gradient come from?
--------------------------------------------------
The tutorial writes the gradient as ``Xᵀ·e``. That is **not** the gradient of the loss it
prints. Differentiating Σ e² by the chain rule (σ′(z) = p·(1−p))::

    ∂(Σ e²)/∂W = 2·Xᵀ·(e ⊙ p ⊙ (1−p))                                          (1)

``Xᵀ·e`` is instead the exact gradient of the summed binary cross-entropy
L = −Σ [y·ln p + (1−y)·ln(1−p)], because ∂L/∂z = p − y = e::

    ∂L/∂W = Xᵀ·(p − y) = Xᵀ·e                                                    (2)

So this lesson lets autograd differentiate either loss (``--loss``):

* ``bce`` (default): ``F.binary_cross_entropy_with_logits(z, y, reduction="sum")``, whose
  gradient is exactly (2), the tutorial's update. (It takes the scores z, not p: with p
  rounded to exactly 1.0 in float32 a loss written on p would lose its gradient.)
* ``sse``: Σ e² itself, whose gradient is (1). The factor p·(1−p) is tiny where the sigmoid
  saturates, so a confidently wrong point barely moves W: with some seeds this version stays
  stuck at 50 % for many epochs — the classic argument for cross-entropy.

Either way the printed loss is the tutorial's Σ e², so the numbers can be compared with it.
``tests/test_tutorials.py`` checks (1) and (2) against autograd numerically.

Run it::

    python examples/sgd_blobs.py --epochs 100 --alpha 0.01 --batch-size 32
"""

import os

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.data import make_blobs, next_batch
from tinygrad_sgd.tutorials._common import EpochBar, Flag, close, shared_flags

LESSON = "sgd_blobs"

# The command line, one row per flag (``--help`` prints them); the last three rows are the
# flags every lesson takes.
DESCRIPTION = ("Mini-batch SGD on two Gaussian blobs with one sigmoid unit (the classic "
               "'SGD with Python' tutorial), gradients from autograd.")
FLAGS = [
    Flag("--epochs", int, 100, "passes over the data (default 100)", at_least=1),
    Flag("--alpha", float, 0.01, "learning rate α (default 0.01)"),
    Flag("--batch-size", int, 32, "mini-batch size for next_batch (default 32); 0 = the whole "
         "data set as one batch (vanilla gradient descent)", at_least=0),
    Flag("--loss", str, "bce", "the loss autograd differentiates: 'bce' (default) = summed "
         "binary cross-entropy, whose gradient is exactly the tutorial's X^T·error; 'sse' = "
         "the printed sum of squared errors, whose gradient is 2·X^T·(error·p·(1-p))",
         choices=("bce", "sse")),
    Flag("--samples", int, 400, "number of points (default 400)", at_least=2),
    *shared_flags(
        LESSON, seed=42,
        seed_help="seed of the initial weights (the data always use make_blobs' seed 1)",
        out_help=f"folder for data_boundary.png and loss.png (default out/{LESSON})",
        quiet_help="no progress bar; print the loss every 10th epoch instead of every epoch"),
]


def add_bias_column(X):
    """The bias trick: [x1, x2] -> [x1, x2, 1], so that X·W includes the bias W[2]."""
    return np.c_[X, np.ones(len(X), dtype=X.dtype)]


def batch_loss(W, xb, yb, loss="bce"):
    """Forward pass on one batch: returns ``(sse, objective)`` — the tutorial's Σ e² (for
    printing) and the loss to differentiate (``"bce"`` or ``"sse"``, see the module docstring).
    ``W`` is a 3×1 Tensor, ``xb`` N×3 and ``yb`` N×1 arrays."""
    z = tg.tensor(xb) @ W              # scores
    p = z.sigmoid()                    # predictions
    error = p - tg.tensor(yb)
    sse = (error * error).sum()        # the tutorial's "least squares" loss
    if loss == "sse":
        return sse, sse
    return sse, F.binary_cross_entropy_with_logits(z, tg.tensor(yb), reduction="sum")


def hand_gradient(W, xb, yb, loss="bce"):
    """The gradient written out by hand (NumPy only), for comparison with autograd:
    Xᵀ·e for ``"bce"`` (the tutorial's formula), 2·Xᵀ·(e·p·(1−p)) for ``"sse"``."""
    w = np.asarray(W, dtype=np.float64)
    x = np.asarray(xb, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-(x @ w)))
    e = p - np.asarray(yb, dtype=np.float64)
    if loss == "sse":
        return 2.0 * x.T @ (e * p * (1.0 - p))
    return x.T @ e


def run(args):
    """Train, print the loss per epoch and the accuracy, save the figures.

    Returns ``{"losses", "accuracy", "weights", "epochs", "batch_size", "loss", "files"}``:
    the per-epoch losses as printed (mean over batches of Σ e²), the final training accuracy,
    the learned W (3 numbers, bias last) and the paths of the PNGs written."""
    from tinygrad_sgd.viz.plots import plot_decision_boundary, plot_loss

    X, y = make_blobs(n_samples=args.samples, centers=2, cluster_std=1.5, seed=1)
    X = add_bias_column(X)                          # N×3
    Y = y.reshape(-1, 1).astype(np.float32)         # N×1
    batch_size = args.batch_size if args.batch_size > 0 else len(X)

    tg.manual_seed(args.seed)
    W = tg.randn(3, 1, requires_grad=True)

    how = (f"mini-batch SGD, batch size {batch_size}" if args.batch_size > 0
           else "vanilla (full-batch) gradient descent")
    print(f"[INFO] training for {args.epochs} epochs: {how}, alpha={args.alpha}, "
          f"gradient of the {'cross-entropy' if args.loss == 'bce' else 'squared-error'} loss")
    every = 10 if args.quiet else 1
    losses = []
    with EpochBar(args.epochs, "sgd", args.quiet) as bar:
        for epoch in range(1, args.epochs + 1):
            epoch_loss = []
            for xb, yb in next_batch(X, Y, batch_size):
                sse, objective = batch_loss(W, xb, yb, args.loss)
                epoch_loss.append(sse.item())
                objective.backward()                     # W.grad = ∂objective/∂W
                with tg.no_grad():
                    W.add_(W.grad, alpha=-args.alpha)    # W += -alpha * gradient
                W.grad = None
            losses.append(float(np.mean(epoch_loss)))
            right = (X @ W.detach().numpy() > 0).ravel() == y    # σ(z) > 0.5  ⇔  z > 0
            bar.update(losses[-1], right.mean())          # the bar: loss and accuracy
            if epoch == 1 or epoch % every == 0 or epoch == args.epochs:
                bar.log(f"[INFO] epoch={epoch}, loss={losses[-1]:.7f}")

    weights = W.detach().numpy().astype(np.float64).ravel()
    predictions = (X @ weights > 0).astype(np.int64)   # σ(z) > 0.5  ⇔  z > 0
    accuracy = float((predictions == y).mean())
    print(f"[INFO] final W = {np.array2string(weights, precision=4)}   "
          f"training accuracy = {accuracy:.2%}")

    files = {
        "data_boundary": os.path.join(args.out, "data_boundary.png"),
        "loss": os.path.join(args.out, "loss.png"),
    }

    def predict(grid):
        with tg.no_grad():
            return (tg.tensor(add_bias_column(grid)) @ W).sigmoid().detach().numpy()

    close(plot_decision_boundary(predict, X[:, :2], y, path=files["data_boundary"],
                                 title=f"SGD on blobs: accuracy {accuracy:.1%}"))
    close(plot_loss(losses, path=files["loss"],
                    title="Training loss (mean over batches of Σ error²)"))
    for name, path in files.items():
        print(f"[INFO] saved {path}")
    return {"losses": losses, "accuracy": accuracy, "weights": weights.tolist(),
            "epochs": args.epochs, "batch_size": batch_size, "loss": args.loss,
            "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
