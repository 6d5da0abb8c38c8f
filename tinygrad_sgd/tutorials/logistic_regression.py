"""Lesson 2 — logistic regression: two weights and a bias, a sigmoid, BCE and ``optim.SGD``.

The program is PyTorch's, and so are its numbers: ``manual_seed`` gives torch's random
numbers here too, so this PyTorch program prints what the lesson prints::

    torch.manual_seed(541)
    X = torch.rand(1000, 2)                                   # points in the unit square
    Y = torch.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * torch.rand(1000))
    w = torch.nn.Parameter(torch.zeros(2))                    # zero-initialised parameters
    b = torch.nn.Parameter(torch.tensor(0.0))
    p = torch.sigmoid(torch.matmul(X, w) + b)                 # then BCELoss, SGD(lr=0.01)

The label is ``round(0.25·x1 + 0.45·x2 + 0.3·u)`` with noise ``u ~ U(0, 1)``: a straight
boundary blurred by the noise, so no line classifies every point. The model

    p = σ(x·w + b)

is trained on the mean binary cross-entropy over the N points

    L = −(1/N)·Σ [y·ln p + (1−y)·ln(1−p)].

Because σ′ = p·(1−p) cancels the denominators of the log terms, its gradient is simply

    ∂L/∂w = (1/N)·Σ (p − y)·x,      ∂L/∂b = (1/N)·Σ (p − y)

and ``optim.SGD(lr=0.01)`` applies ``θ ← θ − 0.01·∂L/∂θ`` once per epoch (full batch: every
epoch sees all 1000 points). The loss is printed every 1000 epochs; after 10 000 epochs the
accuracy on the training points (``p`` rounded, compared with ``Y``) is printed — with the
defaults ``Loss: 0.6212`` at epoch 1000 down to ``Loss: 0.4085``, and ``Accuracy: 83.70%``,
exactly what PyTorch prints — and the decision boundary (the line where p = 0.5, i.e.
x·w + b = 0) and the loss curve are saved.

Run it::

    python examples/logistic_regression.py --epochs 10000 --lr 0.01
"""

import os

import tinygrad_sgd as tg
from tinygrad_sgd import nn, optim
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import EpochBar, Flag, close, shared_flags

LESSON = "logistic_regression"

# The command line, one row per flag (``--help`` prints them); the last three rows are the
# flags every lesson takes.
DESCRIPTION = ("Logistic regression (two weights and a bias, zero-initialised, a sigmoid, "
               "binary cross-entropy) trained with optim.SGD, full batch, on noisy points "
               "drawn with tinygrad_sgd.rand: PyTorch's program and PyTorch's numbers.")
FLAGS = [
    Flag("--epochs", int, 10_000, "full-batch gradient steps (default 10000)", at_least=1),
    Flag("--lr", float, 0.01, "SGD learning rate (default 0.01)"),
    Flag("--samples", int, 1000, "number of points (default 1000)", at_least=2),
    Flag("--print-every", int, 1000, "print the loss every this many epochs (default 1000)",
         at_least=1),
    *shared_flags(
        LESSON, seed=541,
        seed_help="manual_seed before drawing the points (default 541, as the PyTorch "
                  "program)",
        out_help=f"folder for boundary.png and loss.png (default out/{LESSON})",
        quiet_help="no progress bar; print only the final loss and accuracy"),
]


def make_data(samples, seed):
    """``manual_seed(seed)``, then the points ``X`` (samples × 2, uniform in the unit square)
    and their labels ``Y = round(0.25·x1 + 0.45·x2 + 0.3·u)`` (samples,), as the PyTorch
    program draws them."""
    tg.manual_seed(seed)
    X = tg.rand(samples, 2)
    Y = tg.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * tg.rand(samples))
    return X, Y


def run(args):
    """Train and report. Returns ``{"losses", "printed", "accuracy", "weight", "bias",
    "files"}``: the loss at every epoch (before that epoch's step), the printed ones as
    ``{epoch: loss}``, the final training accuracy, the learned parameters and the PNG paths."""
    from tinygrad_sgd.viz.plots import plot_decision_boundary, plot_loss

    X, Y = make_data(args.samples, args.seed)
    w = nn.Parameter(tg.zeros(2))
    b = nn.Parameter(tg.tensor(0.0))

    def model(x):
        return tg.sigmoid(tg.matmul(x, w) + b)      # probabilities, (N,)

    criterion = nn.BCELoss()
    optimizer = optim.SGD([w, b], lr=args.lr)

    labels = Y.detach().numpy() > 0.5                       # for the accuracy on the bar
    losses, printed = [], {}
    with EpochBar(args.epochs, "logreg", args.quiet) as bar:
        for epoch in range(1, args.epochs + 1):
            p = model(X)
            loss = criterion(p, Y)                     # mean over the N points
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.update(losses[-1], ((p.detach().numpy() > 0.5) == labels).mean())
            if epoch % args.print_every == 0 or epoch == args.epochs:
                printed[epoch] = losses[-1]
                if not args.quiet or epoch == args.epochs:
                    bar.log(f"Epoch {epoch}, Loss: {losses[-1]:.4f}")

    with tg.no_grad():
        predicted = model(X).round()
        accuracy = predicted.eq(Y).sum() / Y.size(0)
    accuracy = accuracy.item()
    print(f"Accuracy: {accuracy * 100:.2f}%")

    files = {"boundary": os.path.join(args.out, "boundary.png"),
             "loss": os.path.join(args.out, "loss.png")}

    def predict(grid):
        with tg.no_grad():
            return model(tg.tensor(grid)).detach().numpy()

    close(plot_decision_boundary(predict, X.numpy(), Y.numpy(), path=files["boundary"],
                                 title=f"Logistic regression: accuracy {accuracy:.1%}"))
    close(plot_loss(losses, path=files["loss"], title="Binary cross-entropy (full batch)"))
    if not args.quiet:
        for path in files.values():
            print(f"saved {path}")
    return {"losses": losses, "printed": printed, "accuracy": accuracy,
            "weight": w.detach().numpy().tolist(), "bias": float(b.item()), "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
