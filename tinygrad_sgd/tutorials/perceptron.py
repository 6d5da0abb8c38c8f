"""Lesson 3 — the perceptron is SGD on a hinge loss, and it cannot learn XOR.

Rosenblatt's perceptron (1958) scores a point with ``s = w·x + b`` and predicts the label
``sign(s)`` ∈ {−1, +1}. Its learning rule visits the points one at a time and, **only when a
point is misclassified** (y·s ≤ 0), moves the weights toward it::

    w ← w + η·y·x,      b ← b + η·y

That rule is exactly one step of stochastic gradient descent on the *perceptron criterion*

    ℓ(w, b) = max(0, −y·s)          = F.hinge_loss(s, y, margin=0)

since ∂ℓ/∂w = −y·x and ∂ℓ/∂b = −y when y·s ≤ 0 (the gradient passes at the kink y·s = 0, as
torch's ``clamp`` does), and 0 for a correct point. This lesson writes it that way:
``nn.Linear(2, 1)``, ``optim.SGD`` and ``hinge_loss(...).backward()`` for the gradient, one
shuffled point at a time. A correctly classified point gives a zero gradient, so its step is
skipped altogether, as Rosenblatt's rule does. The weights start from ``nn.Linear``'s small
random values rather than Rosenblatt's zeros (the theorem below holds from any start; from
exactly zero, the four XOR points keep landing exactly on the line). With ``--margin 1`` the
loss is the SVM hinge max(0, 1 − y·s) and a point is used until it is classified with a
margin (y·s > 1): the "margin perceptron".

The perceptron convergence theorem (Novikoff, 1962): if a line separates the two classes
with a gap, the perceptron makes a finite number of mistakes and stops — an epoch without
mistakes is reached and the training accuracy is 100 %. The lesson shows that on
:func:`~tinygrad_sgd.data.make_separable`.

Then it tries XOR (the points (0,0), (1,1) of class −1 and (0,1), (1,0) of class +1). No
straight line puts both diagonals on their own side, so at least one of the four points is
always wrong: the accuracy can never exceed 75 %, the weights cycle forever, and the run
stops only because the epochs run out. That is Minsky and Papert's objection (1969), and the
reason for hidden layers (lesson 4, ``xor_mlp``). Besides the final weights the lesson keeps
the best ones seen after any update (the "pocket" of Gallant's pocket algorithm) and draws
those: on XOR, the best line there is — three points right, one wrong.

Run it::

    python examples/perceptron.py --epochs 100
"""

import os

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import nn, optim
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.data import make_separable, make_xor
from tinygrad_sgd.tutorials._common import EpochBar, Flag, close, shared_flags

LESSON = "perceptron"

# The command line, one row per flag (``--help`` prints them); the last three rows are the
# flags every lesson takes.
DESCRIPTION = ("The perceptron as per-sample SGD on the hinge loss, updating only on mistakes: "
               "it separates make_separable's two classes (100% accuracy) but not XOR (at "
               "most 75%).")
FLAGS = [
    Flag("--epochs", int, 100, "most passes over the shuffled points (default 100); training "
         "stops early after an epoch without an update", at_least=1),
    Flag("--lr", float, 0.1, "learning rate η (default 0.1)"),
    Flag("--margin", float, 0.0, "hinge margin: 0 (default) = the perceptron criterion "
         "max(0, -y·s); 1 = the SVM hinge max(0, 1 - y·s)"),
    Flag("--samples", int, 100, "points in the separable set (default 100)", at_least=2),
    Flag("--gap", float, 0.1, "half-width of the empty band between the separable set's "
         "classes (default 0.1; a narrower gap costs more mistakes)"),
    *shared_flags(
        LESSON, seed=0,
        seed_help="seed of the separable data, the initial weights and the visiting order "
                  "(default 0)",
        out_help=f"folder for separable.png and xor.png (default out/{LESSON})",
        quiet_help="no progress bars; print only the results"),
]


def train_perceptron(X, y, epochs, lr=0.1, margin=0.0, seed=0, log=print, bar=None):
    """Per-sample SGD on ``hinge_loss(s, y, margin)``, stepping only on points with
    y·s ≤ margin (the mistakes, for margin 0). ``y`` holds ±1.

    Returns ``(model, pocket, history)``: the final model, the best ``(weight, bias)`` arrays
    seen after any update, and ``{"updates": [...], "accuracy": [...]}`` per epoch plus
    ``"converged"`` and ``"best_accuracy"``. ``bar`` (an ``EpochBar``), if given, shows each
    epoch's mean hinge loss over the points as they were visited, and the accuracy."""
    tg.manual_seed(seed)
    model = nn.Linear(2, 1)                      # s = w·x + b, small random start
    optimizer = optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    best = accuracy(model, X, y)
    pocket = (model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy())
    history = {"updates": [], "accuracy": [], "converged": False}

    for epoch in range(1, epochs + 1):
        updates, total_loss = 0, 0.0
        for i in rng.permutation(len(X)):        # one point at a time, in a new order
            x, target = tg.tensor(X[i:i + 1]), tg.tensor(y[i:i + 1])
            score = model(x).reshape(1)          # s = w·x + b
            if (target * score).item() > margin:
                continue                         # correct (with margin): no step
            loss = F.hinge_loss(score, target, margin=margin)   # max(0, margin − y·s)
            total_loss += loss.item()            # (a skipped point's loss is 0)
            optimizer.zero_grad()
            loss.backward()                      # w.grad = −y·x,  b.grad = −y
            optimizer.step()                     # w += lr·y·x,    b += lr·y
            updates += 1
            acc = accuracy(model, X, y)
            if acc > best:                       # the pocket keeps the best weights seen
                best = acc
                pocket = (model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy())
        acc = accuracy(model, X, y)
        history["updates"].append(updates)
        history["accuracy"].append(acc)
        if bar is not None:
            bar.update(total_loss / len(X), acc)
        if epoch <= 5 or epoch % 10 == 0 or updates == 0 or epoch == epochs:
            log(f"  epoch {epoch:3d}: {updates:3d} updates, accuracy {acc:.0%}")
        if updates == 0:                         # a whole pass without a mistake: done
            history["converged"] = True
            break
    history["best_accuracy"] = best
    return model, pocket, history


def scores(model, X):
    """s = w·x + b for every row of ``X``, as a 1-D array."""
    with tg.no_grad():
        return model(tg.tensor(np.asarray(X, dtype=np.float32))).detach().numpy().reshape(-1)


def accuracy(model, X, y):
    """Fraction of points on the right side: y·s > 0 (a point on the line counts as wrong)."""
    return float((y * scores(model, X) > 0).mean())


def _fit(name, X, y, args, path, log):
    """Train on one data set, print its result, draw the pocket weights' boundary."""
    from tinygrad_sgd.viz.plots import plot_decision_boundary

    log(f"{name}: {len(X)} points")
    with EpochBar(args.epochs, name, args.quiet) as bar:
        model, (w, b), history = train_perceptron(
            X, y, args.epochs, args.lr, args.margin, args.seed,
            log=log if args.quiet else bar.log, bar=bar)
    acc = accuracy(model, X, y)
    weight = model.weight.detach().numpy().ravel().tolist()
    bias = float(model.bias.item())
    epochs = len(history["updates"])
    verdict = (f"converged after {epochs} epochs" if history["converged"]
               else f"not converged after {epochs} epochs")
    print(f"{name}: {verdict}, training accuracy {acc:.0%}, best seen "
          f"{history['best_accuracy']:.0%} (w = [{weight[0]:.3f}, {weight[1]:.3f}], "
          f"b = {bias:.3f})")

    def pocket_scores(grid):
        return grid @ w.reshape(-1) + b.reshape(())

    close(plot_decision_boundary(
        pocket_scores, X, y, path=path,
        title=f"Perceptron, {name}: best line seen, {history['best_accuracy']:.0%} right"))
    log(f"saved {path}")
    return {"accuracy": acc, "converged": history["converged"], "epochs": epochs,
            "updates": history["updates"], "accuracies": history["accuracy"],
            "best_accuracy": history["best_accuracy"], "weight": weight, "bias": bias,
            "file": path}


def run(args):
    """Train on the separable set, then on XOR. Returns ``{"separable": {...}, "xor": {...},
    "files"}``; each part has ``accuracy`` (final), ``best_accuracy`` (the pocket's),
    ``converged``, ``epochs``, ``updates`` and ``accuracies`` (per epoch), the final
    ``weight`` and ``bias``, and ``file`` (its PNG)."""
    log = (lambda *a: None) if args.quiet else print
    files = {"separable": os.path.join(args.out, "separable.png"),
             "xor": os.path.join(args.out, "xor.png")}

    X, y = make_separable(n_samples=args.samples, seed=args.seed, margin=args.gap)  # y = ±1
    separable = _fit("separable", X, y, args, files["separable"], log)

    X, y01 = make_xor()
    y = (2 * y01 - 1).astype(np.float32)         # {0, 1} -> {−1, +1}
    xor = _fit("XOR", X, y, args, files["xor"], log)
    return {"separable": separable, "xor": xor, "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
